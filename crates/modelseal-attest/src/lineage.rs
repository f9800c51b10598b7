//! A model's history: the chain of versions its lineage statements form,
//! each link checked against the parent's root digest.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::evaluate::{CheckedAttestation, ModelDigests};
use crate::predicate::{DigestSet, Lineage, Predicate, Role};
use crate::statement::Statement;
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
    /// The manifest digest its lineage statement is bound to, hex (an
    /// object in JSON); `None` (`null`) for a v1 statement, bound to the
    /// root digest only.
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex_opt")]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub manifest_digest: Option<String>,
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

impl std::fmt::Display for Link {
    /// For people: what the link is, and its detail, never a Rust name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Link::FirstVersion => write!(f, "first version"),
            Link::Verified => write!(f, "verified"),
            Link::ParentNotRecorded(d) => write!(f, "parent not recorded: {d}"),
            Link::VersionMismatch(d) => write!(f, "version mismatch: {d}"),
            Link::VersionUnchanged(d) => write!(f, "version unchanged: {d}"),
            Link::Cycle(d) => write!(f, "cycle: {d}"),
            Link::Conflicting(d) => write!(f, "conflicting lineage: {d}"),
        }
    }
}

impl Link {
    /// Whether the link is broken.
    pub fn is_broken(&self) -> bool {
        !matches!(self, Link::FirstVersion | Link::Verified)
    }
}

/// Whether a version's history is complete: it reaches a first version,
/// every link holds, and the newest version's lineage statement is bound to
/// the manifest (v2), not to the root digest only.
pub fn history_complete(versions: &[Version]) -> bool {
    versions
        .last()
        .is_some_and(|v| v.link == Link::FirstVersion)
        && versions.iter().all(|v| !v.link.is_broken())
        && versions
            .first()
            .is_some_and(|v| v.manifest_digest.is_some())
}

/// Follows lineage statements from the model `head` back through parents.
/// Only trusted statements ([`CheckedAttestation::trusted`]) from `roles`
/// count; when several are bound to one version the newest v2 statement
/// is used, else the newest v1 one.
///
/// A version is a root digest and, where known, a manifest digest (the
/// head's, and a parent's when its `parent.manifestDigest` is recorded).
/// A v2 statement counts for it when both match; a v1 statement, which
/// records no manifest, when the root digest does (it is listed with no
/// manifest digest, and [`history_complete`] wants the head's to be v2).
pub fn history(
    checked: &[CheckedAttestation],
    head: &ModelDigests,
    roles: &[Role],
    signer_name: impl Fn(usize) -> String,
) -> Vec<Version> {
    type Key = (DigestSet, Option<DigestSet>);
    let candidates = |(root, manifest): &Key| -> Vec<(&CheckedAttestation, &Statement, &Lineage)> {
        checked
            .iter()
            .filter_map(|a| a.trusted().map(|s| (a, s)))
            .filter(|(_, s)| &s.subject_digest == root && roles.contains(&s.predicate.role()))
            .filter(|(_, s)| match (manifest, &s.manifest_digest) {
                (Some(wanted), Some(bound)) => wanted == bound,
                _ => true,
            })
            .filter_map(|(a, s)| match &s.predicate {
                Predicate::Lineage(l) => Some((a, s, l)),
                _ => None,
            })
            .collect()
    };
    let find = |key: &Key| -> Option<(&CheckedAttestation, &Statement, &Lineage)> {
        candidates(key)
            .into_iter()
            .max_by_key(|(a, s, l)| (s.manifest_digest.is_some(), l.attested_at, a.line))
    };
    // Versions named by more than one statement bound to `key`.
    let conflict = |key: &Key| -> Option<String> {
        let digest = &key.0;
        let versions: BTreeSet<&str> = candidates(key)
            .into_iter()
            .map(|(_, _, l)| l.version.as_str())
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
    let mut key: Key = (head.root_digest.clone(), Some(head.manifest_digest.clone()));
    while let Some((a, s, l)) = find(&key) {
        let digest = key.0.clone();
        // A version is its root digest and manifest: renaming files keeps
        // the root digest, and is not a cycle.
        if !seen.insert((digest.clone(), s.manifest_digest.clone())) {
            if let Some(last) = out.last_mut() {
                let last: &mut Version = last;
                last.link = Link::Cycle(format!("{digest} appears twice in the chain"));
            }
            break;
        }
        let parent_key = |p: &crate::predicate::ParentVersion| {
            (p.root_digest.clone(), p.manifest_digest.clone())
        };
        let (link, next) = match (conflict(&key), &l.parent) {
            (Some(detail), parent) => (Link::Conflicting(detail), parent.as_ref().map(parent_key)),
            (None, parent) => match parent {
                None => (Link::FirstVersion, None),
                Some(parent) => match find(&parent_key(parent)) {
                    None => (
                        Link::ParentNotRecorded(format!(
                            "no trusted lineage statement is bound to parent {} {}",
                            parent.version, parent.root_digest
                        )),
                        None,
                    ),
                    Some((_, _, p)) if p.version != parent.version => (
                        Link::VersionMismatch(format!(
                            "this version names parent {} but the statement bound to {} says {}",
                            parent.version, parent.root_digest, p.version
                        )),
                        Some(parent_key(parent)),
                    ),
                    Some(_)
                        if parent.version == l.version
                            && (parent.root_digest != digest
                                || matches!(
                                    (&parent.manifest_digest, &s.manifest_digest),
                                    (Some(a), Some(b)) if a != b
                                )) =>
                    {
                        (
                            Link::VersionUnchanged(format!(
                                "content changed from {} but the version is still {}",
                                parent.root_digest, l.version
                            )),
                            Some(parent_key(parent)),
                        )
                    }
                    Some(_) => (Link::Verified, Some(parent_key(parent))),
                },
            },
        };
        out.push(Version {
            version: l.version.clone(),
            root_digest: digest.to_string(),
            manifest_digest: s.manifest_digest.as_ref().map(|m| m.sha256.clone()),
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
            Some(next) => key = next,
            None => break,
        }
    }
    out
}
