//! `status`: what changed in a model since it was signed, without trust.
//!
//! Like `git status` for a signed model. It reads the signature's manifest
//! without checking who signed it (no key is needed) and compares the files
//! with it, through the digest cache, so an unchanged model answers at once.
//! It compares content; it does not establish trust: that is `verify`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use modelseal_hash::ProgressFn;
use serde::Serialize;

use crate::error::Error;
use crate::formats::UnsafeFormats;
use crate::layout::default_signature_path;
use crate::report::{Finding, LinksReport, REPORT_VERSION, SerializationReport};
use crate::verify::{Check, check_model, open_cache, read_unverified_manifest};

/// What `status` says about trust, in every report.
pub const STATUS_TRUST_NOTE: &str = "content only: the signature's manifest was read without checking who signed it; \
     `modelseal verify` establishes trust";

/// Options for [`status_model`].
#[derive(Clone, Default)]
pub struct StatusOptions {
    /// The signature; `MODEL/model.sig` (or `MODEL.sig`) if `None`.
    pub signature: Option<PathBuf>,
    /// The digest cache directory; `None` hashes everything.
    pub cache_dir: Option<PathBuf>,
    /// The format gate for pickle-based files.
    pub unsafe_formats: UnsafeFormats,
    /// Hashing threads.
    pub threads: Option<usize>,
    /// Called as bytes are hashed.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for StatusOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusOptions")
            .field("signature", &self.signature)
            .field("cache_dir", &self.cache_dir)
            .field("unsafe_formats", &self.unsafe_formats)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// The outcome of [`status_model`]; `modelseal status --format json`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StatusReport {
    /// Always `"status"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// True when nothing differs from the signed manifest.
    pub clean: bool,
    /// [`STATUS_TRUST_NOTE`].
    pub trust: &'static str,
    /// The model path as given.
    pub model: String,
    /// The signature file.
    pub signature: String,
    /// The signed root digest, hex (an object in JSON, as in `verify`).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub root_digest: String,
    /// The signed serialization.
    pub serialization: SerializationReport,
    /// Every difference, as in `verify`'s report.
    pub findings: Vec<Finding>,
    /// Git LFS pointer files compared by their `oid` instead of hashed.
    pub lfs_pointers: Vec<String>,
    /// How the digest cache served, when one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheReport>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
    /// Symbolic links on the way to the model's bytes, as in `verify`'s
    /// report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<LinksReport>,
}

/// Digest cache use in a [`StatusReport`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CacheReport {
    /// Files whose digests came from the cache.
    pub hits: usize,
    /// Files hashed.
    pub misses: usize,
    /// Why an existing cache was ignored, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discarded: Option<String>,
}

/// Compares a model with its signature's manifest, without checking the
/// signature: see the module documentation.
///
/// # Errors
/// [`Error::Signature`] when the signature file is not a well-formed OMS
/// bundle; I/O and walk errors.
pub fn status_model(model: &Path, options: &StatusOptions) -> Result<StatusReport, Error> {
    let started = Instant::now();
    let signature = options
        .signature
        .clone()
        .unwrap_or_else(|| default_signature_path(model));
    std::fs::symlink_metadata(model).map_err(|e| Error::io("read", model, e))?;
    let signed = read_unverified_manifest(&signature)?;

    let mut cache = open_cache(model, options.cache_dir.as_deref())?;
    let checked = check_model(
        model,
        &signed,
        &signature,
        &Check {
            ignore_paths: &[],
            allow_symlinks: false,
            signature_verified: false,
            ignore_unsigned_files: false,
            only: &[],
            unsafe_formats: options.unsafe_formats,
            allow_globals: &modelseal_formats::AllowGlobals::default(),
            threads: options.threads,
            progress: options.progress.clone(),
            lfs_pointers: true,
        },
        cache.as_mut(),
    )?;
    let cache_report = match (&mut cache, checked.cache) {
        (Some(cache), Some(stats)) => {
            cache.save()?;
            Some(CacheReport {
                hits: stats.hits,
                misses: stats.misses,
                discarded: cache.discarded().map(str::to_owned),
            })
        }
        _ => None,
    };
    Ok(StatusReport {
        kind: "status",
        version: REPORT_VERSION,
        clean: !checked.findings.iter().any(Finding::fails),
        trust: STATUS_TRUST_NOTE,
        model: model.display().to_string(),
        signature: signature.display().to_string(),
        root_digest: signed.root_digest.to_hex(),
        serialization: (&signed.serialization).into(),
        findings: checked.findings,
        lfs_pointers: checked.lfs_pointers,
        cache: cache_report,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        links: checked.links,
    })
}
