//! One model of the inventory: hashed, checked against its signature,
//! read for attestations and declarations, gated for unsafe formats.

use std::collections::BTreeSet;
use std::path::Path;

use modelseal_attest::{Predicate, Statement, StoredAttestation};
use modelseal_formats::FileFormat;
use modelseal_hash::{CacheStats, DigestCache, DigestJson, HashOptions, ModelFile, WalkOptions};
use modelseal_oms::bundle::Bundle;
use rayon::prelude::*;

use super::discover::{Candidate, Layout, is_model_format};
use super::{
    BaseModelRef, DatasetRef, InventoryAttestation, InventoryFile, InventoryModel,
    InventoryOptions, ParentRef, SignatureReport, SignatureStatus,
};
use crate::error::Error;
use crate::formats::{FormatGate, check_files};
use crate::layout::default_signature_path;
use crate::report::Finding;

/// Hashes and checks one candidate. `check_signature` false leaves the
/// signature to the caller (the evidence report has verified it). An error
/// reading the model (an unreadable folder, a file gone) is the model's
/// problem, with status [`SignatureStatus::Unchecked`], not the run's.
pub(crate) fn assess(
    candidate: &Candidate,
    options: &InventoryOptions,
    check_signature: bool,
) -> Result<(InventoryModel, Option<CacheStats>), Error> {
    let mut model = InventoryModel {
        name: candidate.name.clone(),
        path: candidate.path.display().to_string(),
        layout: candidate.layout,
        revision: candidate.revision.clone(),
        refs: candidate.refs.clone(),
        formats: Vec::new(),
        file_count: 0,
        size: 0,
        root_digest: DigestJson::sha256_hex(""),
        files: Vec::new(),
        signature: SignatureReport {
            status: SignatureStatus::Unsigned,
            path: None,
            signer: None,
            root_digest: None,
            reason: None,
        },
        intact: None,
        findings: Vec::new(),
        format_findings: Vec::new(),
        attestations: Vec::new(),
        card: None,
        problems: Vec::new(),
    };
    match check(candidate, options, check_signature, &mut model) {
        Ok(cache) => Ok((model, cache)),
        Err(e @ Error::Usage(_)) => Err(e),
        Err(e) => {
            model.signature.status = SignatureStatus::Unchecked;
            model.intact = None;
            model
                .problems
                .push(crate::attestation::policy::chain_text(&e));
            Ok((model, None))
        }
    }
}

fn check(
    candidate: &Candidate,
    options: &InventoryOptions,
    check_signature: bool,
    model: &mut InventoryModel,
) -> Result<Option<CacheStats>, Error> {
    let (files, cache) = if candidate.layout == Layout::Ollama {
        ollama_files(candidate, options, model)?
    } else {
        model_files(&candidate.path, options, model)?
    };
    let formats: std::collections::BTreeMap<&str, FileFormat> = files
        .par_iter()
        .map(|f| {
            let format = modelseal_formats::identify_as(f.content_path(), &f.name)
                .unwrap_or(FileFormat::Unknown);
            (f.name.as_str(), format)
        })
        .collect();
    for file in &mut model.files {
        file.format = formats
            .get(file.name.as_str())
            .copied()
            .unwrap_or(FileFormat::Unknown);
    }
    let distinct: BTreeSet<&str> = formats
        .values()
        .filter(|f| is_model_format(**f))
        .map(|f| f.name())
        .collect();
    model.formats = distinct
        .iter()
        .filter_map(|name| formats.values().find(|f| f.name() == *name).copied())
        .collect();
    // A signature check runs the format gate over every file already.
    let gated = candidate.layout != Layout::Ollama
        && check_signature
        && self::check_signature(&candidate.path, options, model)?;
    if !gated {
        model.format_findings = check_files(
            files.iter().map(|f| (f.name.as_str(), f.content_path())),
            &FormatGate::default(),
        )?;
    }
    if candidate.layout != Layout::Ollama {
        model.attestations = attestations(&candidate.path, options, model);
    }
    if candidate.layout == Layout::Directory || candidate.layout == Layout::HubCache {
        // Through the walk's files: a card link is followed only where the
        // walk follows links (inside the model, or its hub repository).
        let top = |name: &str| {
            files
                .iter()
                .find(|f| f.name == name)
                .map(ModelFile::content_path)
        };
        match super::card::read_card(top("README.md"), top("config.json")) {
            Ok(card) => model.card = card,
            Err(problem) => model.problems.push(problem),
        }
    }
    Ok(cache)
}

fn open_cache(options: &InventoryOptions, key: &Path) -> Result<Option<DigestCache>, Error> {
    options
        .cache_dir
        .as_deref()
        .map(|dir| DigestCache::open(dir, key).map_err(Error::from))
        .transpose()
}

fn hash_options(options: &InventoryOptions) -> HashOptions {
    HashOptions {
        threads: options.threads,
        progress: options.progress.clone(),
        ..HashOptions::default()
    }
}

/// Walks and hashes a model directory or file as it is (SHA-256, files
/// method; links followed while they stay inside it, a hub snapshot's into
/// its own blobs), leaving out its signature and attestations files.
fn model_files(
    path: &Path,
    options: &InventoryOptions,
    model: &mut InventoryModel,
) -> Result<(Vec<ModelFile>, Option<CacheStats>), Error> {
    let walk_options = WalkOptions {
        allow_symlinks: true,
        // Links to files only, never into directories: nothing checked
        // this tree's links, and a file reached twice is listed twice.
        file_symlinks_only: true,
        exclude_files: vec![
            default_signature_path(path),
            modelseal_attest::default_attestations_path(path),
        ],
        keep_going: true,
        ..WalkOptions::default()
    };
    let walked = modelseal_hash::walk(path, &walk_options)?;
    model
        .problems
        .extend(walked.problems().iter().map(ToString::to_string));
    let hash_options = hash_options(options);
    let (manifest, stats) = match open_cache(options, path)? {
        Some(mut cache) => {
            let (manifest, stats) =
                modelseal_hash::hash_model_cached(&walked, &hash_options, &mut cache)?;
            cache.save()?;
            (manifest, Some(stats))
        }
        None => (modelseal_hash::hash_model(&walked, &hash_options)?, None),
    };
    model.root_digest = DigestJson::sha256_hex(&manifest.root_digest.to_hex());
    model.files = manifest
        .resources
        .iter()
        .map(|r| InventoryFile {
            name: r.name.clone(),
            size: r.size,
            format: FileFormat::Unknown,
            sha256: r.digest.to_hex(),
        })
        .collect();
    model.file_count = model.files.len();
    model.size = walked.total_size();
    Ok((walked.files().to_vec(), stats))
}

/// An Ollama model's layers, each hashed and compared with the digest its
/// blob is named by.
fn ollama_files(
    candidate: &Candidate,
    options: &InventoryOptions,
    model: &mut InventoryModel,
) -> Result<(Vec<ModelFile>, Option<CacheStats>), Error> {
    let store = candidate.store.as_deref().unwrap_or(Path::new("."));
    let read = match super::ollama::read_model(store, &candidate.path) {
        Ok(read) => read,
        Err(problem) => {
            model
                .problems
                .push(format!("`{}`: {problem}", candidate.path.display()));
            return Ok((Vec::new(), None));
        }
    };
    model.root_digest = DigestJson::sha256_hex(&read.manifest_digest.to_hex());
    let files: Vec<ModelFile> = read.files.iter().map(|(f, _)| f.clone()).collect();
    let algorithm = modelseal_hash::HashAlgorithm::Sha256;
    let method = modelseal_hash::Method::Files;
    let hash_options = hash_options(options);
    let (actual, stats) = match open_cache(options, &candidate.path)? {
        Some(mut cache) => {
            let (actual, stats) = modelseal_hash::hash_files_cached(
                &files,
                algorithm,
                method,
                &hash_options,
                &mut cache,
            )?;
            cache.save()?;
            (actual, Some(stats))
        }
        None => (
            modelseal_hash::hash_files(&files, algorithm, method, &hash_options)?,
            None,
        ),
    };
    // Hashed resources come back sorted by name: pair them by name.
    let actual: std::collections::BTreeMap<&str, &modelseal_hash::Digest> = actual
        .iter()
        .map(|r| (r.name.as_str(), &r.digest))
        .collect();
    for name in &read.missing {
        model.findings.push(Finding::Missing { name: name.clone() });
    }
    model.files = Vec::with_capacity(read.files.len());
    for (file, expected) in &read.files {
        let Some(digest) = actual.get(file.name.as_str()) else {
            continue;
        };
        if *digest != expected {
            model.findings.push(Finding::Modified {
                name: file.name.clone(),
                algorithm: algorithm.name(),
                expected: expected.to_hex(),
                actual: digest.to_hex(),
                tensors: None,
            });
        }
        model.files.push(InventoryFile {
            name: file.name.clone(),
            size: file.size,
            format: FileFormat::Unknown,
            sha256: digest.to_hex(),
        });
    }
    model.intact = Some(model.findings.is_empty());
    model.file_count = model.files.len();
    model.size = files.iter().map(|f| f.size).sum();
    Ok((files, stats))
}

/// The signature's status: checked against its manifest (status), or
/// verified with the trust given. True when the check ran the format gate
/// (its format findings are then the model's).
fn check_signature(
    path: &Path,
    options: &InventoryOptions,
    model: &mut InventoryModel,
) -> Result<bool, Error> {
    let signature = default_signature_path(path);
    if std::fs::symlink_metadata(&signature).is_err() {
        return Ok(false);
    }
    model.signature.path = Some(signature.display().to_string());
    // Format findings go to `format_findings`, failing or not; the other
    // failing ones are what differs.
    let split = |findings: Vec<Finding>, model: &mut InventoryModel| {
        let (format, content): (Vec<Finding>, Vec<Finding>) = findings.into_iter().partition(|f| {
            matches!(
                f,
                Finding::UnsafeFormat { .. } | Finding::InvalidFormat { .. }
            )
        });
        model.format_findings = format;
        model.findings = content.into_iter().filter(Finding::fails).collect();
        model.intact = Some(model.findings.is_empty());
    };
    let mut gated = false;
    match &options.verify {
        None => {
            let status = crate::status_model(
                path,
                &crate::StatusOptions {
                    cache_dir: options.cache_dir.clone(),
                    threads: options.threads,
                    progress: options.progress.clone(),
                    ..crate::StatusOptions::default()
                },
            );
            match status {
                Ok(report) => {
                    model.signature.root_digest = Some(report.root_digest.clone());
                    split(report.findings, model);
                    gated = true;
                    model.signature.status = if model.findings.is_empty() {
                        SignatureStatus::Signed
                    } else {
                        SignatureStatus::Modified
                    };
                }
                Err(e) => not_checked(&signature, e, model)?,
            }
        }
        Some(verify) => {
            let mut verify = verify.clone();
            verify.cache_dir.clone_from(&options.cache_dir);
            verify.threads = options.threads;
            verify.progress.clone_from(&options.progress);
            match crate::verify_model(path, &verify) {
                Ok(report) => {
                    model.signature.root_digest = Some(report.root_digest.clone());
                    model.signature.signer = Some(report.signer.clone());
                    let policy_failed = report.policy.as_ref().is_some_and(|p| !p.passed);
                    split(report.findings.clone(), model);
                    gated = true;
                    model.signature.status = if model.findings.is_empty() && !policy_failed {
                        SignatureStatus::Verified
                    } else {
                        SignatureStatus::Failed
                    };
                    if policy_failed {
                        model.signature.reason = Some(format!(
                            "the policy fails: {}",
                            report
                                .policy
                                .iter()
                                .flat_map(|p| &p.rules)
                                .filter(|r| !r.passed)
                                .map(|r| format!("{}: {}", r.rule, r.reason))
                                .collect::<Vec<_>>()
                                .join("; ")
                        ));
                    }
                }
                Err(e) => not_checked(&signature, e, model)?,
            }
        }
    }
    Ok(gated)
}

/// A check that ended in an error, by stage: a bundle that does not parse
/// is `malformed`; one that does not verify (another signer, a forged
/// bundle, a policy that refuses it) `refused`; anything else (an
/// unreadable file, a walk problem) `unchecked`. The signed root digest is
/// still read, unverified, for the attestations' binding. Usage errors
/// (a policy that cannot apply) end the run.
fn not_checked(signature: &Path, e: Error, model: &mut InventoryModel) -> Result<(), Error> {
    model.signature.status = match &e {
        Error::Usage(_) => return Err(e),
        Error::Signature {
            source: modelseal_oms::VerifyError::Bundle(_),
            ..
        } => SignatureStatus::Malformed,
        Error::Signature { .. } | Error::PolicySignature { .. } => SignatureStatus::Refused,
        _ => SignatureStatus::Unchecked,
    };
    model.signature.reason = Some(crate::attestation::policy::chain_text(&e));
    if model.signature.root_digest.is_none() {
        model.signature.root_digest = crate::verify::read_unverified_manifest(signature)
            .ok()
            .map(|m| m.root_digest.to_hex());
    }
    Ok(())
}

/// The statements of the model's attestations file: under a policy, with
/// the policy's status of each; without one, unverified claims, marked
/// `other-model` when bound to other content.
fn attestations(
    path: &Path,
    options: &InventoryOptions,
    model: &mut InventoryModel,
) -> Vec<InventoryAttestation> {
    let file = modelseal_attest::default_attestations_path(path);
    if std::fs::symlink_metadata(&file).is_err() {
        return Vec::new();
    }
    let stored = match modelseal_attest::read_attestations(&file) {
        Ok(stored) => stored,
        Err(e) => {
            model.problems.push(format!("`{}`: {e}", file.display()));
            return Vec::new();
        }
    };
    let policy = options.verify.as_ref().and_then(|v| v.policy.as_deref());
    let statuses = policy.and_then(|policy| {
        match crate::list_attestations(path, Some(policy), &crate::AttestOptions::default(), None) {
            Ok(list) => Some(list.attestations),
            Err(e) => {
                model.problems.push(format!(
                    "`{}`: {}",
                    file.display(),
                    crate::attestation::policy::chain_text(&e)
                ));
                None
            }
        }
    });
    // What a statement must be bound to: the signed root digest, else the
    // files as they are.
    let bound_to = model
        .signature
        .root_digest
        .clone()
        .unwrap_or_else(|| model.root_digest.digest.clone());
    stored
        .iter()
        .map(|s| {
            let mut entry = decode(s);
            entry.status = match &statuses {
                Some(list) => list
                    .iter()
                    .find(|a| a.line == s.line)
                    .map_or("malformed", |a| a.status),
                None => match entry.status {
                    "malformed" => "malformed",
                    _ if entry_subject(s).is_some_and(|d| d == bound_to) => "unverified",
                    _ => "other-model",
                },
            };
            entry
        })
        .collect()
}

fn statement(stored: &StoredAttestation) -> Option<Statement> {
    let bundle = Bundle::from_json(&stored.bundle).ok()?;
    Statement::from_json(&bundle.envelope.payload).ok()
}

fn entry_subject(stored: &StoredAttestation) -> Option<String> {
    statement(stored).map(|s| s.subject_digest.sha256)
}

/// A statement's facts, decoded without checking its signature.
fn decode(stored: &StoredAttestation) -> InventoryAttestation {
    let mut entry = InventoryAttestation {
        line: stored.line,
        predicate: None,
        status: "malformed",
        version: None,
        base_model: None,
        parent: None,
        datasets: Vec::new(),
    };
    let Some(statement) = statement(stored) else {
        return entry;
    };
    entry.status = "unverified";
    entry.predicate = Some(statement.predicate.kind());
    match statement.predicate {
        Predicate::DatasetProvenance(p) => {
            entry.datasets = p
                .datasets
                .into_iter()
                .map(|d| DatasetRef {
                    name: d.name,
                    source_uri: Some(d.source_uri),
                    retrieved_at: Some(d.retrieved_at.to_string()),
                    license: Some(d.license),
                    sha256: d.digest.sha256,
                })
                .collect();
        }
        Predicate::Lineage(p) => {
            entry.version = Some(p.version);
            entry.base_model = p.base_model.map(|b| BaseModelRef {
                name: b.name,
                source: b.source,
                sha256: b.digest.sha256,
            });
            entry.parent = p.parent.map(|parent| ParentRef {
                version: parent.version,
                sha256: parent.root_digest.sha256,
            });
            entry.datasets = p
                .training_data
                .into_iter()
                .map(|d| DatasetRef {
                    name: d.name,
                    source_uri: None,
                    retrieved_at: None,
                    license: None,
                    sha256: d.digest.sha256,
                })
                .collect();
        }
        _ => {}
    }
    entry
}
