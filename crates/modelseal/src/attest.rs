//! Attestations about a model: making them (bound to the model's root
//! digest and manifest digest), listing them, following its versions.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use modelseal_attest::{
    CheckedAttestation, DigestSet, ModelDigests, Policy, Predicate, Statement, StoredAttestation,
    Timestamp, default_attestations_path,
};
use modelseal_hash::{HashOptions, WalkOptions};
use modelseal_oms::SigningKey;
use modelseal_oms::bundle::{Bundle, VerificationMaterial};
use serde::Serialize;

use crate::error::Error;
use crate::formats::UnsafeFormats;
use crate::layout::default_signature_path;
use crate::report::AttestationEntry;
use crate::report::REPORT_VERSION;
use crate::verify::{Check, check_model, open_cache, read_policy_bundle, read_unverified_manifest};

/// Options for [`attest_model`] and [`bind_model`].
#[derive(Debug, Clone, Default)]
pub struct AttestOptions {
    /// The model's signature; [`default_signature_path`] if `None`.
    pub signature: Option<PathBuf>,
    /// The attestations file; [`default_attestations_path`] if `None`.
    pub attestations: Option<PathBuf>,
    /// Certificate method: the signing certificate first, then its chain
    /// (DER). Empty for the key method.
    pub certificates: Vec<Vec<u8>>,
    /// Take unchanged files' digests from the digest cache in this
    /// directory when checking the model against its signature.
    pub cache_dir: Option<PathBuf>,
}

impl AttestOptions {
    /// The signature file: the one given, else [`default_signature_path`].
    fn signature_path(&self, model: &Path) -> PathBuf {
        self.signature
            .clone()
            .unwrap_or_else(|| default_signature_path(model))
    }

    /// The attestations file: the one given, else
    /// [`default_attestations_path`].
    fn attestations_path(&self, model: &Path) -> PathBuf {
        self.attestations
            .clone()
            .unwrap_or_else(|| default_attestations_path(model))
    }
}

/// The model an attestation is about: its name, root digest and manifest
/// digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelBinding {
    /// The model's name (the subject name).
    pub name: String,
    /// Its root digest (the statement's subject).
    pub root_digest: DigestSet,
    /// Its manifest digest, which covers the files' names (the statement's
    /// `manifestDigest`).
    pub manifest_digest: DigestSet,
    /// The signature it was taken from; `None` when the model is not
    /// signed yet and was hashed with the default settings.
    pub signature: Option<PathBuf>,
}

/// Finds the root digest and manifest digest an attestation binds to.
///
/// A signed model is checked against its signature's manifest (without
/// trust: the attester vouches for the bytes, not for the signer) and must
/// match it: attesting a model that changed since signing is refused. An
/// unsigned model is hashed with the defaults `modelseal sign` uses, so the
/// digests are those a default signature will carry.
pub fn bind_model(model: &Path, options: &AttestOptions) -> Result<ModelBinding, Error> {
    std::fs::symlink_metadata(model).map_err(|e| Error::io("read", model, e))?;
    let signature = options.signature_path(model);
    if std::fs::symlink_metadata(&signature).is_err() {
        let walk_options = WalkOptions {
            exclude_files: vec![signature.clone(), default_attestations_path(model)],
            ..WalkOptions::default()
        };
        let walked = modelseal_hash::walk(model, &walk_options)?;
        let mut manifest = modelseal_hash::hash_model(&walked, &HashOptions::default())?;
        // A single file is signed as `.`: the manifest digest covers names.
        if walked.kind() == modelseal_hash::ModelKind::File {
            manifest = crate::sign::single_file_names(manifest, Default::default()).0;
        }
        return Ok(ModelBinding {
            name: walked.name(),
            root_digest: DigestSet::sha256(&manifest.root_digest),
            manifest_digest: DigestSet::sha256(&manifest.manifest_digest()),
            signature: None,
        });
    }
    let manifest = read_unverified_manifest(&signature)?;
    let mut cache = open_cache(model, options.cache_dir.as_deref())?;
    let checked = check_model(
        model,
        &manifest,
        &signature,
        &Check {
            ignore_paths: &[],
            allow_symlinks: false,
            signature_verified: false,
            ignore_unsigned_files: false,
            only: &[],
            unsafe_formats: UnsafeFormats::Allow,
            allow_globals: &modelseal_formats::AllowGlobals::default(),
            threads: None,
            progress: None,
            lfs_pointers: false,
        },
        cache.as_mut(),
    )?;
    if let Some(cache) = &mut cache {
        cache.save()?;
    }
    let differences: Vec<String> = checked
        .findings
        .iter()
        .filter(|f| f.fails())
        .map(crate::report::Finding::describe)
        .collect();
    if !differences.is_empty() {
        return Err(Error::Usage(format!(
            "`{}` differs from its signature `{}` ({}); an attestation binds to the signed root \
             digest, so sign the model again first",
            model.display(),
            signature.display(),
            differences.join("; ")
        )));
    }
    Ok(ModelBinding {
        name: manifest.subject_name.clone(),
        root_digest: DigestSet::sha256(&manifest.root_digest),
        manifest_digest: DigestSet::sha256(&manifest.manifest_digest()),
        signature: Some(signature),
    })
}

/// What [`attest_model`] did.
#[derive(Debug, Clone)]
pub struct AttestOutcome {
    /// The attestations file appended to.
    pub attestations: PathBuf,
    /// The new attestation's line.
    pub line: usize,
    /// What was signed.
    pub statement: Statement,
    /// Where the root digest came from.
    pub binding: ModelBinding,
    /// The signing key's id.
    pub key_id: String,
}

/// Signs `predicate` about the model (bound by [`bind_model`]: a v2
/// statement, its subject the root digest, its `manifestDigest` the
/// manifest digest) and appends the bundle to its attestations file.
/// Nothing already there is touched.
pub fn attest_model(
    model: &Path,
    predicate: Predicate,
    key: &SigningKey,
    options: &AttestOptions,
) -> Result<AttestOutcome, Error> {
    predicate
        .check()
        .map_err(|message| modelseal_attest::AttestError::Predicate {
            predicate_type: predicate.type_uri().to_owned(),
            message,
        })?;
    let binding = bind_model(model, options)?;
    let statement = Statement {
        subject_name: binding.name.clone(),
        subject_digest: binding.root_digest.clone(),
        manifest_digest: Some(binding.manifest_digest.clone()),
        predicate,
    };
    let certificates =
        (!options.certificates.is_empty()).then_some(options.certificates.as_slice());
    let bundle = modelseal_oms::sign_statement(&statement.to_json(), key, certificates)
        .map_err(Error::Sign)?;
    let attestations = options.attestations_path(model);
    let line = modelseal_attest::append_attestation(&attestations, &bundle)?;
    Ok(AttestOutcome {
        attestations,
        line,
        statement,
        binding,
        key_id: key.public_key().key_id(),
    })
}

/// A local copy of a dataset, hashed: what a provenance record states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCopy {
    /// A file's SHA-256, or a directory's root digest over its files.
    pub digest: DigestSet,
    /// Bytes.
    pub size: u64,
    /// Files (1 for a file).
    pub files: u64,
    /// When it was obtained, as far as the file system knows: its creation
    /// time where recorded, else its modification time.
    pub obtained_at: Option<Timestamp>,
}

/// Hashes a dataset's local copy (a file or a directory, walked with the
/// model rules) with SHA-256.
pub fn hash_local_copy(path: &Path) -> Result<LocalCopy, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    let obtained_at = meta
        .created()
        .or_else(|_| meta.modified())
        .ok()
        .filter(|t| *t > SystemTime::UNIX_EPOCH)
        .and_then(Timestamp::from_system_time);
    let manifest =
        modelseal_hash::hash_path(path, &WalkOptions::default(), &HashOptions::default())?;
    let digest = match (meta.is_file(), manifest.resources.as_slice()) {
        (true, [only]) => only.digest,
        _ => manifest.root_digest,
    };
    Ok(LocalCopy {
        digest: DigestSet::sha256(&digest),
        size: manifest.total_size(),
        files: manifest.resources.len() as u64,
        obtained_at,
    })
}

/// The model's attestations, listed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AttestationList {
    /// Always `"attestations"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The model path as given.
    pub model: String,
    /// The attestations file.
    pub attestations_file: String,
    /// The signed root digest (from the signature, not re-hashed), when the
    /// model is signed (an object in JSON, as in `verify`).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex_opt")]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub root_digest: Option<String>,
    /// The manifest digest of that manifest, which attestations must be
    /// bound to besides the root digest (an object in JSON).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex_opt")]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub manifest_digest: Option<String>,
    /// The policy the signatures were checked with; without one, nothing
    /// was verified.
    pub policy: Option<String>,
    /// Each attestation, in file order (with `--show`, the one shown).
    pub attestations: Vec<AttestationEntry>,
    /// With `--show LINE`: that line's signed statement, decoded from its
    /// DSSE payload, in full (whatever its status says of its signature).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub statement: Option<serde_json::Value>,
}

/// Lists a model's attestations. With a policy each is verified and
/// classified ([`modelseal_attest::AttestationStatus`]) against the root
/// and manifest digests of the model's signature (verified with the
/// policy), or of its files when it is not signed; without one, statements
/// are only parsed and every entry is `unverified`.
pub fn list_attestations(
    model: &Path,
    policy: Option<&Policy>,
    options: &AttestOptions,
    at: Option<Timestamp>,
) -> Result<AttestationList, Error> {
    let at = at.unwrap_or_else(Timestamp::now);
    let attestations = options.attestations_path(model);
    let signature = options.signature_path(model);
    let stored = modelseal_attest::read_attestations(&attestations)?;
    let signed = std::fs::symlink_metadata(&signature).is_ok();
    let (root, entries) = match policy {
        Some(policy) => {
            // Statements are about a root digest: the verified signature's,
            // or for an unsigned model that of its files as they are.
            let digests = if signed {
                let (verified, _) = read_policy_bundle(&signature, policy, at)?;
                ModelDigests::of(&verified.manifest)
            } else {
                let binding = bind_model(model, options)?;
                ModelDigests {
                    root_digest: binding.root_digest,
                    manifest_digest: binding.manifest_digest,
                }
            };
            let checked = modelseal_attest::check_attestations(policy, &stored, Some(&digests), at);
            let entries = checked
                .iter()
                .map(|a| AttestationEntry::new(policy, a))
                .collect();
            (Some(digests), entries)
        }
        None => {
            let digests = if signed {
                Some(ModelDigests::of(&read_unverified_manifest(&signature)?))
            } else {
                None
            };
            (digests, stored.iter().map(unverified_entry).collect())
        }
    };
    Ok(AttestationList {
        kind: "attestations",
        version: REPORT_VERSION,
        model: model.display().to_string(),
        attestations_file: attestations.display().to_string(),
        root_digest: root.as_ref().map(|r| r.root_digest.to_string()),
        manifest_digest: root.map(|r| r.manifest_digest.sha256),
        policy: policy.map(|p| p.path.display().to_string()),
        attestations: entries,
        statement: None,
    })
}

/// [`list_attestations`] narrowed to the attestation on `line`, with its
/// signed statement in full: what an auditor reads to trace a report's
/// evidence to the signed bytes.
///
/// # Errors
/// As [`list_attestations`]; [`Error::Usage`] when the file has no such
/// line.
pub fn show_attestation(
    model: &Path,
    policy: Option<&Policy>,
    options: &AttestOptions,
    line: usize,
    at: Option<Timestamp>,
) -> Result<AttestationList, Error> {
    let mut list = list_attestations(model, policy, options, at)?;
    let count = list.attestations.len();
    list.attestations.retain(|a| a.line == line);
    if list.attestations.is_empty() {
        return Err(Error::Usage(format!(
            "`{}` has no attestation on line {line} ({count} lines)",
            list.attestations_file
        )));
    }
    let stored = modelseal_attest::read_attestations(&options.attestations_path(model))?;
    list.statement = stored
        .iter()
        .find(|s| s.line == line)
        .and_then(|s| Bundle::from_json(&s.bundle).ok())
        .and_then(|b| serde_json::from_slice(&b.envelope.payload).ok());
    Ok(list)
}

fn unverified_entry(stored: &StoredAttestation) -> AttestationEntry {
    let bundle = Bundle::from_json(&stored.bundle);
    let signer = bundle.as_ref().ok().map(|b| match &b.material {
        VerificationMaterial::PublicKey { hint: Some(h), .. } => format!("key {h}"),
        VerificationMaterial::CertificateChain(chain) => chain
            .first()
            .and_then(|c| modelseal_oms::x509::certificate_info(c).ok())
            .map_or_else(
                || "a certificate".to_owned(),
                |(i, _)| format!("certificate `{}`", i.subject),
            ),
        _ => "unknown".to_owned(),
    });
    let statement = bundle
        .as_ref()
        .map_err(ToString::to_string)
        .and_then(|b| Statement::from_json(&b.envelope.payload).map_err(|e| e.to_string()));
    let statement_digest = bundle.as_ref().ok().map(|b| {
        format!(
            "sha256:{}",
            modelseal_hash::HashAlgorithm::Sha256
                .digest(&b.envelope.payload)
                .to_hex()
        )
    });
    match statement {
        Ok(s) => AttestationEntry {
            line: stored.line,
            predicate: Some(s.predicate.kind()),
            signer,
            role: Some(s.predicate.role().name()),
            attested_at: Some(s.predicate.attested_at().to_string()),
            subject_digest: Some(s.subject_digest.to_string()),
            manifest_digest: s.manifest_digest.as_ref().map(ToString::to_string),
            predicate_type: Some(s.predicate_type()),
            statement_digest,
            key_id: None,
            key_algorithm: None,
            certificate_subject: None,
            status: "unverified",
            reason: Some("no policy given: the signature and signer were not checked".to_owned()),
            summary: Some(summary(&s.predicate)),
            counted_by: Vec::new(),
        },
        Err(message) => AttestationEntry {
            line: stored.line,
            predicate: None,
            signer,
            role: None,
            attested_at: None,
            subject_digest: None,
            manifest_digest: None,
            predicate_type: None,
            statement_digest,
            key_id: None,
            key_algorithm: None,
            certificate_subject: None,
            status: "malformed",
            reason: Some(message),
            summary: None,
            counted_by: Vec::new(),
        },
    }
}

/// A model's history through its lineage statements.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HistoryReport {
    /// Always `"log"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The model path as given.
    pub model: String,
    /// The verified signature's root digest, where the chain starts (an
    /// object in JSON, as in `verify`).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub root_digest: String,
    /// The verified signature's manifest digest, which the newest version's
    /// lineage statement must be bound to (an object in JSON).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub manifest_digest: String,
    /// The policy the statements were checked with.
    pub policy: String,
    /// Versions, newest first.
    pub versions: Vec<modelseal_attest::Version>,
    /// True when the chain reaches a first version, every link holds, and
    /// the newest version's lineage statement is bound to this manifest
    /// (v2), not to the root digest only
    /// ([`modelseal_attest::history_complete`]).
    pub complete: bool,
}

/// Follows a model's versions: from the root digest of its signature
/// (verified with the policy; the files are not re-hashed, `verify` does
/// that) back through each lineage statement's parent.
pub fn model_history(
    model: &Path,
    policy: &Policy,
    options: &AttestOptions,
    at: Option<Timestamp>,
) -> Result<HistoryReport, Error> {
    let at = at.unwrap_or_else(Timestamp::now);
    let signature = options.signature_path(model);
    std::fs::symlink_metadata(model).map_err(|e| Error::io("read", model, e))?;
    let (verified, signer) = read_policy_bundle(&signature, policy, at)?;
    // The history of a model whose signer is not trusted now is no history.
    let holder = &policy.signers[signer];
    let allowed = policy
        .rules
        .model_signature
        .as_ref()
        .is_none_or(|r| holder.roles.iter().any(|role| r.roles.contains(role)));
    let standing = holder.standing(at, None).and_then(|()| {
        if allowed {
            Ok(())
        } else {
            Err(format!(
                "signer `{}` holds {}, not a role [rules.model_signature] accepts",
                holder.name,
                holder.roles_text()
            ))
        }
    });
    if let Err(reason) = standing {
        return Err(Error::PolicySignature {
            path: signature,
            reason,
        });
    }
    let head = ModelDigests::of(&verified.manifest);
    let attestations = options.attestations_path(model);
    let stored = modelseal_attest::read_attestations(&attestations)?;
    let checked = modelseal_attest::check_attestations(policy, &stored, None, at);
    let versions = lineage_history(policy, &checked, &head);
    let complete = modelseal_attest::history_complete(&versions);
    Ok(HistoryReport {
        kind: "log",
        version: REPORT_VERSION,
        model: model.display().to_string(),
        root_digest: head.root_digest.to_string(),
        manifest_digest: head.manifest_digest.sha256.clone(),
        policy: policy.path.display().to_string(),
        versions,
        complete,
    })
}

pub(crate) fn lineage_history(
    policy: &Policy,
    checked: &[CheckedAttestation],
    head: &ModelDigests,
) -> Vec<modelseal_attest::Version> {
    let roles = policy.rules.lineage.as_ref().map_or_else(
        || vec![modelseal_attest::Role::Developer],
        |r| r.roles.clone(),
    );
    modelseal_attest::history(checked, head, &roles, |i| policy.signers[i].name.clone())
}

/// A record found in the model's attestations file by [`find_version_digest`]
/// or [`find_dataset_digest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRecord {
    /// The digest it gives.
    pub digest: DigestSet,
    /// The manifest digest a lineage statement found by
    /// [`find_version_digest`] is bound to (`None` for a v1 statement, and
    /// for datasets).
    pub manifest_digest: Option<DigestSet>,
    /// Its line.
    pub line: usize,
    /// Whether it verifies with the key given as `own` (else it was signed
    /// by someone else, unchecked: say so before relying on it).
    pub signed_by_you: bool,
}

/// Statements in the model's attestations file that parse, with their line
/// and whether they verify under `own`. No policy is applied: this serves
/// an attester filling in references (a parent version's digest, a
/// dataset's digest); the policy checks everything at verification.
fn statements_for_lookup(
    model: &Path,
    options: &AttestOptions,
    own: &modelseal_oms::PublicKey,
) -> Result<Vec<(usize, Statement, bool)>, Error> {
    let path = options.attestations_path(model);
    let trust = modelseal_oms::Trust::PublicKey(own.clone());
    Ok(modelseal_attest::read_attestations(&path)?
        .into_iter()
        .filter_map(|a| {
            let bundle = Bundle::from_json(&a.bundle).ok()?;
            let statement = Statement::from_json(&bundle.envelope.payload).ok()?;
            let mine = modelseal_oms::verify_statement(&a.bundle, &trust).is_ok();
            Some((a.line, statement, mine))
        })
        .collect())
}

/// The newest record, preferring those signed with `own`.
fn newest(found: Vec<(usize, DigestSet, Option<DigestSet>, bool)>) -> Option<FoundRecord> {
    found
        .into_iter()
        .max_by_key(|(line, _, _, mine)| (*mine, *line))
        .map(
            |(line, digest, manifest_digest, signed_by_you)| FoundRecord {
                digest,
                manifest_digest,
                line,
                signed_by_you,
            },
        )
}

/// The root digest (and manifest digest, for a v2 statement) of the
/// lineage statement for `version` in the model's attestations file: the
/// newest signed with `own`, else the newest by anyone (flagged
/// [`FoundRecord::signed_by_you`] false).
pub fn find_version_digest(
    model: &Path,
    options: &AttestOptions,
    version: &str,
    own: &modelseal_oms::PublicKey,
) -> Result<Option<FoundRecord>, Error> {
    Ok(newest(
        statements_for_lookup(model, options, own)?
            .into_iter()
            .filter(
                |(_, s, _)| matches!(&s.predicate, Predicate::Lineage(l) if l.version == version),
            )
            .map(|(line, s, mine)| (line, s.subject_digest, s.manifest_digest, mine))
            .collect(),
    ))
}

/// The digest of dataset `name` from a provenance statement in the model's
/// attestations file, chosen as [`find_version_digest`] chooses.
pub fn find_dataset_digest(
    model: &Path,
    options: &AttestOptions,
    name: &str,
    own: &modelseal_oms::PublicKey,
) -> Result<Option<FoundRecord>, Error> {
    Ok(newest(
        statements_for_lookup(model, options, own)?
            .into_iter()
            .filter_map(|(line, s, mine)| match s.predicate {
                Predicate::DatasetProvenance(p) => p
                    .datasets
                    .into_iter()
                    .find(|d| d.name == name)
                    .map(|d| (line, d.digest, None, mine)),
                _ => None,
            })
            .collect(),
    ))
}

/// A few words on what a predicate says.
pub(crate) fn summary(predicate: &Predicate) -> String {
    match predicate {
        Predicate::DatasetProvenance(p) => p
            .datasets
            .iter()
            .map(|d| {
                format!(
                    "{} from {} (retrieved {})",
                    d.name, d.source_uri, d.retrieved_at
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Predicate::Lineage(l) => match &l.parent {
            Some(p) => format!("version {} from {}: {}", l.version, p.version, l.change),
            None => format!("version {}: {}", l.version, l.change),
        },
        Predicate::SecurityTest(t) => {
            format!("{} {} by {}", t.test.name, t.result.name(), t.tester)
        }
        Predicate::Exception(e) => format!(
            "`{}` allowed until {}, approved by {}",
            e.component, e.expires, e.approver
        ),
        _ => String::new(),
    }
}

impl crate::report::AttestationEntry {
    pub(crate) fn new(
        policy: &modelseal_attest::Policy,
        a: &modelseal_attest::CheckedAttestation,
    ) -> Self {
        let statement = a.statement.as_ref();
        Self {
            line: a.line,
            predicate: statement.map(|s| s.predicate.kind()),
            signer: a.signer.map(|i| policy.signers[i].name.clone()),
            role: statement.map(|s| s.predicate.role().name()),
            attested_at: statement.map(|s| s.predicate.attested_at().to_string()),
            subject_digest: statement.map(|s| s.subject_digest.to_string()),
            manifest_digest: statement
                .and_then(|s| s.manifest_digest.as_ref())
                .map(ToString::to_string),
            predicate_type: statement.map(modelseal_attest::Statement::predicate_type),
            statement_digest: a.statement_digest.as_ref().map(|d| format!("sha256:{d}")),
            key_id: a.signer.and_then(|i| match &policy.signers[i].identity {
                modelseal_attest::Identity::Key(key) => Some(key.key_id()),
                _ => None,
            }),
            key_algorithm: a.signer.and_then(|i| match &policy.signers[i].identity {
                modelseal_attest::Identity::Key(key) => Some(key.algorithm().name()),
                _ => None,
            }),
            certificate_subject: a.signer.and_then(|i| match &policy.signers[i].identity {
                modelseal_attest::Identity::Certificate { subject, .. } => Some(subject.clone()),
                _ => None,
            }),
            status: a.status.name(),
            reason: a.status.reason().map(str::to_owned),
            summary: statement.map(|s| summary(&s.predicate)),
            counted_by: Vec::new(),
        }
    }

    /// Fills [`Self::counted_by`] from the rules' evidence lines.
    pub(crate) fn count_by(entries: &mut [Self], rules: &[modelseal_attest::RuleOutcome]) {
        for entry in entries {
            entry.counted_by = rules
                .iter()
                .filter(|r| r.evidence.contains(&entry.line))
                .map(|r| r.rule)
                .collect();
        }
    }
}
