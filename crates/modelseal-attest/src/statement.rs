//! The in-toto Statement v1 that carries an attestation: one subject (the
//! model, by its root digest) and one modelseal predicate.

use serde::Deserialize;

use crate::error::AttestError;
use crate::predicate::{DigestSet, Predicate};

/// The in-toto statement type.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// An attestation's statement: which model it is about and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The model's name (its directory or file name).
    pub subject_name: String,
    /// The model's root digest.
    pub subject_digest: DigestSet,
    /// What is attested.
    pub predicate: Predicate,
}

impl Statement {
    /// The statement JSON, as signed. Field order is fixed, so the same
    /// statement always gives the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let value = serde_json::json!({
            "_type": STATEMENT_V1,
            "subject": [{
                "name": self.subject_name,
                "digest": {"sha256": self.subject_digest.sha256},
            }],
            "predicateType": self.predicate.type_uri(),
            "predicate": self.predicate.to_json(),
        });
        // A `Value` of strings and numbers always serialises.
        serde_json::to_vec(&value).unwrap_or_default()
    }

    /// Parses a signed payload: an in-toto Statement v1 with exactly one
    /// subject carrying a `sha256` digest, and a known, well-formed
    /// modelseal predicate.
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
        if !crate::predicate::PREDICATE_NAMES
            .iter()
            .any(|(_, uri)| *uri == wire.predicate_type)
        {
            return Err(AttestError::UnknownPredicateType(wire.predicate_type));
        }
        let predicate = Predicate::from_json(&wire.predicate_type, wire.predicate)?;
        Ok(Self {
            subject_name: subject.name.clone(),
            subject_digest,
            predicate,
        })
    }
}
