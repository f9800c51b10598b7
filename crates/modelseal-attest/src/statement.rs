//! The in-toto Statement v1 that carries an attestation: one subject (the
//! model, by its root digest), the model's manifest digest, and one
//! modelseal predicate.

use serde::Deserialize;

use crate::error::AttestError;
use crate::predicate::{DigestSet, PREDICATE_V1_TYPES, Predicate};

/// The most JSON values an attestation statement may hold (its tree is
/// built before any policy vouches for it): far beyond any real predicate.
const MAX_STATEMENT_VALUES: u64 = 1 << 18;

/// The in-toto statement type.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// The predicate field that binds a v2 statement to the model's manifest.
pub const MANIFEST_DIGEST_FIELD: &str = "manifestDigest";

/// An attestation's statement: which model it is about and what it says.
///
/// The subject is the model's OMS root digest, the digest people see in
/// `model.sig`. The root digest covers the resources' digests in order but
/// not their names, so two models with the same contents under other names
/// share it; a v2 statement is also bound to the model's manifest digest
/// ([`modelseal_hash::Manifest::manifest_digest_of`]), which covers names,
/// as the predicate's `manifestDigest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The model's name (its directory or file name).
    pub subject_name: String,
    /// The model's root digest.
    pub subject_digest: DigestSet,
    /// The model's manifest digest. `None` only for a v1 statement read
    /// back (bound to the root digest alone); [`Statement::to_json`] then
    /// writes the v1 form, which modelseal itself no longer writes.
    pub manifest_digest: Option<DigestSet>,
    /// What is attested.
    pub predicate: Predicate,
}

impl Statement {
    /// The predicate type URI of this statement: v2 when it is bound to a
    /// manifest digest, else v1.
    pub fn predicate_type(&self) -> &'static str {
        if self.manifest_digest.is_some() {
            self.predicate.type_uri()
        } else {
            self.predicate.v1_type_uri()
        }
    }

    /// The statement JSON, as signed. Field order is fixed, so the same
    /// statement always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut predicate = self.predicate.to_json();
        if let (Some(manifest), Some(fields)) = (&self.manifest_digest, predicate.as_object_mut()) {
            fields.insert(
                MANIFEST_DIGEST_FIELD.to_owned(),
                serde_json::json!({"sha256": manifest.sha256}),
            );
        }
        let value = serde_json::json!({
            "_type": STATEMENT_V1,
            "subject": [{
                "name": self.subject_name,
                "digest": {"sha256": self.subject_digest.sha256},
            }],
            "predicateType": self.predicate_type(),
            "predicate": predicate,
        });
        // A `Value` of strings and numbers always serialises.
        serde_json::to_vec(&value).unwrap_or_default()
    }

    /// Parses a signed payload: an in-toto Statement v1 with exactly one
    /// subject carrying a `sha256` digest, and a known, well-formed
    /// modelseal predicate: a v2 one with its `manifestDigest`, or a v1 one
    /// without.
    pub fn from_json(payload: &[u8]) -> Result<Self, AttestError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Wire {
            #[serde(rename = "_type")]
            type_: String,
            subject: Vec<WireSubject>,
            predicate_type: String,
            predicate: serde_json::Value,
        }
        #[derive(Deserialize)]
        struct WireSubject {
            name: String,
            digest: std::collections::BTreeMap<String, String>,
        }
        let bad = |m: String| AttestError::Statement(m);
        // Listed before (or without) a policy check: count the values in
        // constant memory before the predicate becomes a tree.
        modelseal_oms::count_json_values(payload, MAX_STATEMENT_VALUES)
            .map_err(|max| bad(format!("the statement holds more than {max} JSON values")))?;
        let wire: Wire = serde_json::from_slice(payload).map_err(|e| bad(e.to_string()))?;
        if wire.type_ != STATEMENT_V1 {
            return Err(bad(format!(
                "`_type` is `{}`, expected `{STATEMENT_V1}`",
                wire.type_
            )));
        }
        let [subject] = wire.subject.as_slice() else {
            return Err(bad(format!(
                "{} subjects, expected exactly one (the model)",
                wire.subject.len()
            )));
        };
        let digest = subject
            .digest
            .get("sha256")
            .ok_or_else(|| bad("the subject has no `sha256` digest".to_owned()))?;
        let subject_digest = DigestSet::parse(digest).map_err(bad)?;
        if digest != &subject_digest.sha256 {
            return Err(bad(format!(
                "subject digest `{digest}` is not lowercase hex"
            )));
        }
        // A signed statement names its predicate by URI, never a short name.
        let v2 = crate::predicate::PREDICATE_NAMES
            .iter()
            .any(|(_, uri)| *uri == wire.predicate_type);
        let v1 = PREDICATE_V1_TYPES
            .iter()
            .any(|(uri, _)| *uri == wire.predicate_type);
        if !v1 && !v2 {
            return Err(AttestError::UnknownPredicateType(wire.predicate_type));
        }
        let invalid = |message: String| AttestError::Predicate {
            predicate_type: wire.predicate_type.clone(),
            message,
        };
        let mut fields = wire.predicate;
        let manifest = fields
            .as_object_mut()
            .and_then(|f| f.remove(MANIFEST_DIGEST_FIELD));
        let manifest_digest = match (v2, manifest) {
            (true, None) => {
                return Err(invalid(format!(
                    "`{MANIFEST_DIGEST_FIELD}` is missing: a v2 statement is bound to the model's \
                     manifest digest"
                )));
            }
            (true, Some(value)) => {
                let set: DigestSet = serde_json::from_value(value)
                    .map_err(|e| invalid(format!("`{MANIFEST_DIGEST_FIELD}`: {e}")))?;
                let parsed = DigestSet::parse(&set.sha256)
                    .map_err(|e| invalid(format!("`{MANIFEST_DIGEST_FIELD}`: {e}")))?;
                if parsed != set {
                    return Err(invalid(format!(
                        "`{MANIFEST_DIGEST_FIELD}`: `{}` is not lowercase hex",
                        set.sha256
                    )));
                }
                Some(set)
            }
            (false, Some(_)) => {
                return Err(invalid(format!(
                    "unknown field `{MANIFEST_DIGEST_FIELD}` (it belongs to v2)"
                )));
            }
            (false, None) => None,
        };
        let predicate = Predicate::from_json(&wire.predicate_type, fields)?;
        if let (None, Predicate::Lineage(l)) = (&manifest_digest, &predicate) {
            if l.parent
                .as_ref()
                .is_some_and(|p| p.manifest_digest.is_some())
            {
                return Err(invalid(
                    "unknown field `parent.manifestDigest` (it belongs to v2)".to_owned(),
                ));
            }
        }
        Ok(Self {
            subject_name: subject.name.clone(),
            subject_digest,
            manifest_digest,
            predicate,
        })
    }
}
