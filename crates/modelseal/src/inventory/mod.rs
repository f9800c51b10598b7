//! `inventory`: every model under some paths, what it is, where it came
//! from, and whether its signature holds.
//!
//! One parallel scan identifies every file by content (as `inspect` does)
//! and groups weight files into models ([`Layout`]): Hugging Face hub cache
//! snapshots, model directories, Ollama stores and lone model files. Each
//! model is then hashed (through the digest cache), checked against its
//! signature (against its manifest only, or verified when a trust is
//! given), read for attestations and model-card declarations, and gated
//! for unsafe formats. [`to_cyclonedx`] writes the result as a CycloneDX
//! ML-BOM.

mod assess;
mod card;
mod cyclonedx;
mod discover;
mod ollama;

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use modelseal_formats::FileFormat;
use modelseal_hash::ProgressFn;
use serde::Serialize;

pub use card::ModelCard;
pub use cyclonedx::{Bom, CYCLONEDX_SPEC_VERSION, to_cyclonedx};
pub(crate) use discover::is_model_format;
pub use discover::{Layout, Skipped};

use crate::error::Error;
use crate::report::{Finding, REPORT_VERSION, SignerReport};
use crate::verify::VerifyOptions;

/// Options for [`inventory`].
#[derive(Clone, Default)]
pub struct InventoryOptions {
    /// Verify every signature with this trust (its `trust` or `policy`;
    /// the signature and attestations paths are each model's own). `None`
    /// checks each model against its signature's manifest without
    /// checking who signed it, as `status` does.
    pub verify: Option<VerifyOptions>,
    /// The digest cache directory; `None` hashes everything.
    pub cache_dir: Option<PathBuf>,
    /// Hashing threads.
    pub threads: Option<usize>,
    /// Called with the bytes hashed.
    pub progress: Option<ProgressFn>,
    /// Called with 1 for each file the scan identifies.
    pub scan_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for InventoryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InventoryOptions")
            .field("verify", &self.verify.is_some())
            .field("cache_dir", &self.cache_dir)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// The outcome of [`inventory`]; `modelseal inventory --format json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InventoryReport {
    /// Always `"inventory"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The paths scanned, as given.
    pub paths: Vec<String>,
    /// What signatures were checked against: `manifest only` (who signed
    /// was not checked), or the trust given.
    pub trust: String,
    /// Every model found, in path order.
    pub models: Vec<InventoryModel>,
    /// Counts over the models.
    pub summary: InventorySummary,
    /// Entries the scan did not look into, and why (links out of the tree,
    /// unreadable directories, hub dataset repositories, …).
    pub skipped: Vec<Skipped>,
    /// Files identified by the scan, models or not.
    pub files_scanned: u64,
    /// How the digest cache served the models' files, when one was used
    /// (files whose digests came from it, files hashed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<crate::CacheReport>,
    /// What `--require` asked and which models fall short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require: Option<RequireReport>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Counts over an [`InventoryReport`]'s models.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct InventorySummary {
    /// Models found.
    pub models: usize,
    /// Their files.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Models by [`SignatureStatus`] (`unsigned`, `signed`, `verified`, …).
    pub signatures: std::collections::BTreeMap<&'static str, usize>,
    /// Models whose files differ from what they were checked against.
    pub modified: usize,
    /// Models holding a file that runs code when loaded, or an invalid one.
    pub unsafe_formats: usize,
}

/// One model of an [`InventoryReport`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InventoryModel {
    /// Its name: `ORG/NAME@REV` for a hub snapshot, Ollama's `MODEL:TAG`,
    /// else the directory or file name.
    pub name: String,
    /// Its path (a hub snapshot directory, an Ollama manifest file).
    pub path: String,
    /// How it was found.
    pub layout: Layout,
    /// The hub snapshot revision, or the Ollama tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Hub refs (`main`) pointing at this snapshot.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
    /// The model formats among its files (weights and graphs), sorted.
    pub formats: Vec<FileFormat>,
    /// How many files it has.
    pub file_count: usize,
    /// Their total size in bytes.
    pub size: u64,
    /// Its identity: the OMS root digest (SHA-256, files method) of its
    /// files as found, the signature and attestations files left out; for
    /// an Ollama model, the SHA-256 of its manifest (Ollama's model ID).
    pub root_digest: modelseal_hash::DigestJson,
    /// Each file, with its SHA-256 as found.
    pub files: Vec<InventoryFile>,
    /// The signature and what checking it found.
    pub signature: SignatureReport,
    /// Whether the files match what they were checked against (the
    /// signature's manifest, or an Ollama manifest's layer digests);
    /// `None` when there is nothing to check them against.
    pub intact: Option<bool>,
    /// What differs, as `verify` reports it.
    pub findings: Vec<Finding>,
    /// Files that run code when loaded (pickle-based) or break their
    /// format's rules, as the format gate reports them.
    pub format_findings: Vec<Finding>,
    /// The statements of its attestations file.
    pub attestations: Vec<InventoryAttestation>,
    /// What its model card declares (`README.md` front matter, else
    /// `config.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<ModelCard>,
    /// What could not be read or checked.
    pub problems: Vec<String>,
}

/// One file of an [`InventoryModel`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InventoryFile {
    /// Its model-relative name (an Ollama layer: its media type's last
    /// word, `model`, `template`, `params`, …).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its format, identified by content.
    pub format: FileFormat,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// Where a model's signature stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureStatus {
    /// No signature file.
    Unsigned,
    /// A signature whose manifest the files match; who signed it was not
    /// checked (no trust given).
    Signed,
    /// A signature whose manifest the files do not match (no trust given).
    Modified,
    /// Verified with the trust given: signer trusted, files match, policy
    /// (if any) satisfied.
    Verified,
    /// The signature verified, but the files differ or the policy fails.
    Failed,
    /// The signature does not verify with the trust given.
    Refused,
    /// The signature file could not be read as a bundle.
    Malformed,
    /// The model could not be read to check it (an unreadable folder or
    /// file: see its `problems`).
    Unchecked,
}

impl SignatureStatus {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Signed => "signed",
            Self::Modified => "modified",
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::Refused => "refused",
            Self::Malformed => "malformed",
            Self::Unchecked => "unchecked",
        }
    }
}

/// A model's signature in an [`InventoryModel`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SignatureReport {
    /// Where it stands.
    pub status: SignatureStatus,
    /// The signature file, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Who signed, when verified (as `verify` reports it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerReport>,
    /// The signed root digest (with the signature's own serialization).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "modelseal_hash::digest_json::sha256_hex_opt"
    )]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub root_digest: Option<String>,
    /// Why it was refused, failed or could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One statement of a model's attestations file, as far as the inventory
/// needs it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InventoryAttestation {
    /// Its line in the attestations file.
    pub line: usize,
    /// The predicate's short name (`dataset-provenance`, `lineage`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<&'static str>,
    /// `accepted` (and the other statuses) under a policy; without one,
    /// `unverified` (bound to this model, signer not checked),
    /// `other-model` (bound to other content) or `malformed`.
    pub status: &'static str,
    /// A lineage statement's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// A lineage statement's base model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_model: Option<BaseModelRef>,
    /// A lineage statement's parent version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    /// A dataset-provenance statement's datasets (a lineage statement's
    /// training data, by name and digest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetRef>,
}

/// A base model named by a lineage statement.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BaseModelRef {
    /// Its name.
    pub name: String,
    /// Where it came from.
    pub source: String,
    /// Its digest, lowercase hex SHA-256.
    pub sha256: String,
}

/// A parent version named by a lineage statement.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ParentRef {
    /// Its version.
    pub version: String,
    /// Its root digest, lowercase hex SHA-256.
    pub sha256: String,
}

/// A dataset named by an attestation.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DatasetRef {
    /// Its name.
    pub name: String,
    /// Where it was obtained (provenance only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_uri: Option<String>,
    /// When it was retrieved, RFC 3339 (provenance only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieved_at: Option<String>,
    /// Its licence (provenance only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Its digest, lowercase hex SHA-256.
    pub sha256: String,
}

/// What `--require` asked of an [`InventoryReport`]'s models.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RequireReport {
    /// `signed` or `verified`.
    pub level: Requirement,
    /// True when models were found, every one meets it, and nothing was
    /// left unchecked.
    pub passed: bool,
    /// The paths of the models that do not meet it.
    pub falling_short: Vec<String>,
    /// Skipped entries that may hide model content (unreadable, links out
    /// of the tree): a requirement cannot pass over what was not looked at.
    pub unchecked: Vec<String>,
}

impl InventoryReport {
    /// Checks every model against `requirement` and records the outcome
    /// in [`InventoryReport::require`]; returns whether it passed: models
    /// were found, all meet it, and no skipped entry is
    /// [`Skipped::unchecked`].
    pub fn require(&mut self, requirement: Requirement) -> bool {
        let falling_short: Vec<String> = self
            .models
            .iter()
            .filter(|m| !m.meets(requirement))
            .map(|m| m.path.clone())
            .collect();
        let unchecked: Vec<String> = self
            .skipped
            .iter()
            .filter(|s| s.unchecked)
            .map(|s| s.path.clone())
            .collect();
        let passed = !self.models.is_empty() && falling_short.is_empty() && unchecked.is_empty();
        self.require = Some(RequireReport {
            level: requirement,
            passed,
            falling_short,
            unchecked,
        });
        passed
    }
}

/// What `--require` asks of every model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// A signature the files match (`signed` or `verified`).
    Signed,
    /// A signature verified with the trust given.
    Verified,
}

impl InventoryModel {
    /// Whether this model meets `requirement`.
    pub fn meets(&self, requirement: Requirement) -> bool {
        match requirement {
            Requirement::Signed => matches!(
                self.signature.status,
                SignatureStatus::Signed | SignatureStatus::Verified
            ),
            Requirement::Verified => self.signature.status == SignatureStatus::Verified,
        }
    }
}

/// Finds every model under `paths` (directory trees or files) and reports
/// on each: see the module documentation.
///
/// # Errors
/// None for what is found: unreadable entries are [`InventoryReport::skipped`]
/// and per-model failures [`InventoryModel::problems`]. A cache directory
/// that cannot be written is an error.
pub fn inventory(paths: &[PathBuf], options: &InventoryOptions) -> Result<InventoryReport, Error> {
    let started = Instant::now();
    let scanned = AtomicU64::new(0);
    let discovery = discover::discover(paths, &scanned, options.scan_progress.as_ref());
    let mut models = Vec::with_capacity(discovery.candidates.len());
    let mut cache: Option<crate::CacheReport> = None;
    for candidate in &discovery.candidates {
        let (model, stats) = assess::assess(candidate, options, true)?;
        if let Some(stats) = stats {
            let total = cache.get_or_insert(crate::CacheReport {
                hits: 0,
                misses: 0,
                discarded: None,
            });
            total.hits += stats.hits;
            total.misses += stats.misses;
        }
        models.push(model);
    }
    models.sort_by(|a, b| a.path.cmp(&b.path));
    let summary = summarize(&models);
    let trust = match &options.verify {
        None => {
            "manifest only: signatures were not verified (give a trust to verify them)".to_owned()
        }
        Some(verify) => match &verify.policy {
            Some(policy) => format!("policy `{}`", policy.path.display()),
            None => match &verify.trust {
                crate::Trust::PublicKey(key) => format!("public key {}", key.key_id()),
                crate::Trust::Roots { roots, .. } => {
                    format!("certificate chains to {} trusted root(s)", roots.len())
                }
                crate::Trust::Sigstore { policy, .. } => match policy {
                    Some(p) => format!("Sigstore keyless: {} from {}", p.identity, p.issuer),
                    None => "Sigstore keyless".to_owned(),
                },
                _ => "the trust given".to_owned(),
            },
        },
    };
    Ok(InventoryReport {
        kind: "inventory",
        version: REPORT_VERSION,
        paths: paths.iter().map(|p| p.display().to_string()).collect(),
        trust,
        models,
        summary,
        skipped: discovery.skipped,
        files_scanned: discovery.files_scanned,
        require: None,
        cache,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The inventory entry of the one model at `path` (a directory or a
/// file), its signature checked against its manifest only: what the
/// evidence report lists for 5.2.1-1.
pub(crate) fn inventory_model(
    path: &std::path::Path,
    cache_dir: Option<PathBuf>,
) -> Result<InventoryModel, Error> {
    let layout = if path.is_dir() {
        Layout::Directory
    } else {
        Layout::File
    };
    let candidate = discover::Candidate {
        layout,
        path: path.to_owned(),
        name: discover::file_name(path),
        refs: Vec::new(),
        revision: None,
        store: None,
    };
    let options = InventoryOptions {
        cache_dir,
        ..InventoryOptions::default()
    };
    // The report has verified the signature: the inventory lists the files.
    assess::assess(&candidate, &options, false).map(|(model, _)| model)
}

fn summarize(models: &[InventoryModel]) -> InventorySummary {
    let mut summary = InventorySummary {
        models: models.len(),
        ..InventorySummary::default()
    };
    for model in models {
        summary.files += model.file_count;
        summary.bytes += model.size;
        *summary
            .signatures
            .entry(model.signature.status.name())
            .or_default() += 1;
        if model.intact == Some(false) {
            summary.modified += 1;
        }
        if !model.format_findings.is_empty() {
            summary.unsafe_formats += 1;
        }
    }
    summary
}
