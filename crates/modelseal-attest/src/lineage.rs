//! A model's history: the chain of versions its lineage statements form,
//! each link checked against the parent's root digest.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::evaluate::CheckedAttestation;
use crate::predicate::{DigestSet, Lineage, Predicate, Role};
use crate::time::Timestamp;

/// One version in a model's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Version {
    /// The version.
    pub version: String,
    /// Its root digest (the lineage statement's subject), hex; a
    /// `{algorithm, digest}` object in JSON.
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub root_digest: String,
    /// The attestations-file line of its lineage statement.
    pub line: usize,
    /// The policy signer's name.
    pub signer: String,
    /// When the lineage statement was made.
    pub attested_at: Timestamp,
    /// What changed.
    pub change: String,
    /// The base model, `name (digest)`, when named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model: Option<String>,
    /// How this version links to its parent.
    pub link: Link,
}

/// How a version links to its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "status", content = "detail")]
#[non_exhaustive]
pub enum Link {
    /// No parent: the first version.
    FirstVersion,
    /// The parent's lineage statement is bound to the recorded root digest
    /// and has the recorded version.
    Verified,
    /// No trusted lineage statement is bound to the parent's root digest.
    ParentNotRecorded(String),
    /// The parent's lineage statement gives another version.
    VersionMismatch(String),
    /// The content changed but the version did not.
    VersionUnchanged(String),
    /// The chain comes back to a version already shown.
    Cycle(String),
    /// Trusted lineage statements bound to this digest disagree on its
    /// version.
    Conflicting(String),
}

impl Link {
    /// Whether the link is broken.
    pub fn is_broken(&self) -> bool {
        !matches!(self, Link::FirstVersion | Link::Verified)
    }
}

/// Follows lineage statements from `root` back through parents. Only
/// trusted statements ([`CheckedAttestation::trusted`]) from `roles` count;
/// when several are bound to one digest the newest is used.
pub fn history(
    checked: &[CheckedAttestation],
    root: &DigestSet,
    roles: &[Role],
    signer_name: impl Fn(usize) -> String,
) -> Vec<Version> {
    let candidates = |digest: &DigestSet| -> Vec<(&CheckedAttestation, &Lineage)> {
        checked
            .iter()
            .filter_map(|a| a.trusted().map(|s| (a, s)))
            .filter(|(_, s)| &s.subject_digest == digest && roles.contains(&s.predicate.role()))
            .filter_map(|(a, s)| match &s.predicate {
                Predicate::Lineage(l) => Some((a, l)),
                _ => None,
            })
            .collect()
    };
    let find = |digest: &DigestSet| -> Option<(&CheckedAttestation, &Lineage)> {
        candidates(digest)
            .into_iter()
            .max_by_key(|(a, l)| (l.attested_at, a.line))
    };
    // Versions named by more than one statement bound to `digest`.
    let conflict = |digest: &DigestSet| -> Option<String> {
        let versions: BTreeSet<&str> = candidates(digest)
            .into_iter()
            .map(|(_, l)| l.version.as_str())
            .collect();
        (versions.len() > 1).then(|| {
            format!(
                "lineage statements bound to {digest} name different versions: {}",
                versions.into_iter().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut digest = root.clone();
    while let Some((a, l)) = find(&digest) {
        if !seen.insert(digest.clone()) {
            if let Some(last) = out.last_mut() {
                let last: &mut Version = last;
                last.link = Link::Cycle(format!("{digest} appears twice in the chain"));
            }
            break;
        }
        let (link, next) = match (conflict(&digest), &l.parent) {
            (Some(detail), parent) => (
                Link::Conflicting(detail),
                parent.as_ref().map(|p| p.root_digest.clone()),
            ),
            (None, parent) => match parent {
                None => (Link::FirstVersion, None),
                Some(parent) => match find(&parent.root_digest) {
                    None => (
                        Link::ParentNotRecorded(format!(
                            "no trusted lineage statement is bound to parent {} {}",
                            parent.version, parent.root_digest
                        )),
                        None,
                    ),
                    Some((_, p)) if p.version != parent.version => (
                        Link::VersionMismatch(format!(
                            "this version names parent {} but the statement bound to {} says {}",
                            parent.version, parent.root_digest, p.version
                        )),
                        Some(parent.root_digest.clone()),
                    ),
                    Some(_) if parent.version == l.version && parent.root_digest != digest => (
                        Link::VersionUnchanged(format!(
                            "content changed from {} but the version is still {}",
                            parent.root_digest, l.version
                        )),
                        Some(parent.root_digest.clone()),
                    ),
                    Some(_) => (Link::Verified, Some(parent.root_digest.clone())),
                },
            },
        };
        out.push(Version {
            version: l.version.clone(),
            root_digest: digest.to_string(),
            line: a.line,
            signer: a.signer.map(&signer_name).unwrap_or_default(),
            attested_at: l.attested_at,
            change: l.change.clone(),
            base_model: l
                .base_model
                .as_ref()
                .map(|b| format!("{} ({}) from {}", b.name, b.digest, b.source)),
            link,
        });
        match next {
            Some(next) => digest = next,
            None => break,
        }
    }
    out
}
