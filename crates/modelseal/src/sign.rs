//! Signing a model: walk, hash, sign the manifest, write the bundle.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use modelseal_hash::{HashAlgorithm, HashOptions, Manifest, Method, WalkOptions};
use modelseal_oms::{ResourceExtensions, SigningKey};

use crate::error::Error;
use crate::files::write_atomic;
use crate::formats::{FormatGate, UnsafeFormats, check_files};
use crate::report::Finding;
use modelseal_formats::AllowGlobals;

use crate::layout::default_signature_path;

/// Options for [`sign_model`].
#[derive(Debug, Clone, Default)]
pub struct SignOptions {
    /// How to walk the model; the signature and attestations files are
    /// excluded automatically.
    pub walk: WalkOptions,
    /// How to hash it.
    pub hash: HashOptions,
    /// Where to write the signature; [`default_signature_path`] if `None`.
    pub signature: Option<PathBuf>,
    /// Certificate method: the signing certificate first, then its CA chain
    /// (DER). Empty for the key method.
    pub certificates: Vec<Vec<u8>>,
    /// Replace an existing signature file.
    pub force: bool,
    /// The format gate: what to do about pickle-based files. Invalid files
    /// (a broken safetensors or GGUF header) are refused whatever this says.
    pub unsafe_formats: UnsafeFormats,
    /// Globals the gate accepts beyond the known-safe table (a project's
    /// own classes); see [`AllowGlobals`].
    pub allow_globals: AllowGlobals,
    /// Record per-tensor digests (name, dtype, shape, digest) for every
    /// safetensors file, inside its signed resource. Needs the files method.
    pub tensors: bool,
    /// Incremental signing: take the digests of files whose stat has not
    /// changed from the digest cache in this directory, and update it.
    pub cache_dir: Option<PathBuf>,
    /// A full signing pass that leaves its digests in the digest cache in
    /// this directory (read nothing from it), so that a `status` right
    /// after signing does not hash again. Best effort: a cache that cannot
    /// be opened or written is skipped. Ignored when `cache_dir` is set.
    pub fill_cache: Option<PathBuf>,
}

/// What [`sign_model`] did.
#[derive(Debug, Clone)]
pub struct SignOutcome {
    /// The signature file written.
    pub signature: PathBuf,
    /// The manifest that was signed.
    pub manifest: Manifest,
    /// The files signed.
    pub files: usize,
    /// The signing key's id.
    pub key_id: String,
    /// Format findings that did not stop signing (unsafe formats under
    /// [`UnsafeFormats::Warn`]).
    pub warnings: Vec<Finding>,
    /// Safetensors files whose tensors were recorded.
    pub tensor_files: usize,
    /// Symbolic links followed to reach the model's bytes, if any.
    pub links: Option<crate::LinksReport>,
    /// Ignore paths that matched nothing in the model (a typo, most likely).
    pub unused_ignore_paths: Vec<String>,
    /// With `force` over an existing signature of other content:
    /// attestations bound to the replaced manifest, which now count only as
    /// history (re-attest them).
    pub stale_attestations: usize,
    /// Wall time.
    pub elapsed: Duration,
}

/// Signs a model: hashes it and writes an OMS v1.0 bundle.
///
/// The signature file is written atomically and never replaces an existing
/// one unless [`SignOptions::force`] is set; the check happens before any
/// hashing, so a refusal is immediate.
///
/// # Errors
/// [`Error::Exists`], walk and hashing errors, signing errors (a certificate
/// whose key is not the signing key), I/O errors.
pub fn sign_model(
    model: &Path,
    key: &SigningKey,
    options: &SignOptions,
) -> Result<SignOutcome, Error> {
    let started = Instant::now();
    let signature = options
        .signature
        .clone()
        .unwrap_or_else(|| default_signature_path(model));
    if !options.force && std::fs::symlink_metadata(&signature).is_ok() {
        return Err(Error::Exists { path: signature });
    }
    if options.tensors && !matches!(options.hash.method, None | Some(Method::Files)) {
        return Err(Error::Usage(
            "per-tensor digests (--tensors) need the files method, not shards".to_owned(),
        ));
    }
    if let Some((_, message)) = crate::layout::attestations_file_problem(model) {
        return Err(Error::Usage(format!("refusing to sign: {message}")));
    }
    let mut walk_options = options.walk.clone();
    walk_options.exclude_files.push(signature.clone());
    walk_options
        .exclude_files
        .push(modelseal_attest::default_attestations_path(model));
    walk_options.keep_going = false;
    // Excluded files are not signed, but they are on disk and loadable: the
    // format gate checks them too.
    walk_options.list_ignored = true;
    let walked = modelseal_hash::walk(model, &walk_options)?;

    // The format gate runs first: refusing should not cost a hashing pass.
    // It runs under `allow` too: that admits pickles, never an invalid
    // safetensors or GGUF file.
    let gate = FormatGate {
        unsafe_formats: options.unsafe_formats,
        allow_globals: options.allow_globals.clone(),
    };
    let warnings = {
        let files = walked
            .files()
            .iter()
            .chain(walked.ignored_files())
            .map(|f| (f.name.as_str(), f.content_path()));
        let (failing, passing): (Vec<Finding>, Vec<Finding>) = check_files(files, &gate)?
            .into_iter()
            .partition(Finding::fails);
        if !failing.is_empty() {
            return Err(Error::FormatGate(failing));
        }
        passing
    };

    let manifest = match &options.cache_dir {
        Some(dir) => {
            let mut cache = modelseal_hash::DigestCache::open(dir, model)?;
            let (manifest, _) =
                modelseal_hash::hash_model_cached(&walked, &options.hash, &mut cache)?;
            cache.save()?;
            manifest
        }
        None => match options
            .fill_cache
            .as_deref()
            .and_then(|dir| modelseal_hash::DigestCache::open(dir, model).ok())
        {
            Some(mut cache) => {
                cache.clear();
                let (manifest, _) =
                    modelseal_hash::hash_model_cached(&walked, &options.hash, &mut cache)?;
                // The signature matters, the cache does not.
                let _ = cache.save();
                manifest
            }
            None => modelseal_hash::hash_model(&walked, &options.hash)?,
        },
    };
    let extensions = if options.tensors {
        tensor_extensions(&walked, options.hash.algorithm)?
    } else {
        ResourceExtensions::new()
    };
    // A single-file model's resource is named `.` (`.:start:end` for
    // shards), as both reference tools write and expect it; verification
    // then does not depend on the file's current name.
    let (manifest, extensions) = if walked.kind() == modelseal_hash::ModelKind::File {
        single_file_names(manifest, extensions)
    } else {
        (manifest, extensions)
    };
    let subject = walked.name();
    let certificates =
        (!options.certificates.is_empty()).then_some(options.certificates.as_slice());
    let bundle =
        modelseal_oms::sign_manifest_with(&manifest, &subject, key, certificates, &extensions)
            .map_err(Error::Sign)?;
    let stale_attestations = if options.force {
        stale_attestations(model, &signature, &bundle)
    } else {
        0
    };
    write_atomic(&signature, &bundle, 0o644, options.force)?;
    Ok(SignOutcome {
        stale_attestations,
        signature,
        files: walked.files().len(),
        manifest,
        key_id: key.public_key().key_id(),
        warnings,
        tensor_files: extensions.len(),
        links: crate::LinksReport::of(&walked),
        unused_ignore_paths: walked.unused_ignore_paths().to_vec(),
        elapsed: started.elapsed(),
    })
}

/// How many attestations are bound to the manifest `signature` holds now
/// and not to the one `new_bundle` signs (read without verifying: a count
/// for a warning, not a decision).
fn stale_attestations(model: &Path, signature: &Path, new_bundle: &[u8]) -> usize {
    let manifest_digest = |bundle: &[u8]| {
        modelseal_oms::bundle::Bundle::from_json(bundle)
            .ok()
            .and_then(|b| modelseal_oms::parse_unverified_statement(&b.envelope.payload).ok())
            .map(|m| m.manifest_digest())
    };
    let Ok(old) = crate::files::read_capped(signature, modelseal_oms::bundle::MAX_BUNDLE_SIZE)
    else {
        return 0;
    };
    let (Some(old), Some(new)) = (manifest_digest(&old), manifest_digest(new_bundle)) else {
        return 0;
    };
    if old == new {
        return 0;
    }
    let old = modelseal_attest::DigestSet::sha256(&old);
    let Ok(stored) =
        modelseal_attest::read_attestations(&modelseal_attest::default_attestations_path(model))
    else {
        return 0;
    };
    stored
        .iter()
        .filter_map(|a| modelseal_oms::bundle::Bundle::from_json(&a.bundle).ok())
        .filter_map(|b| modelseal_attest::Statement::from_json(&b.envelope.payload).ok())
        .filter(|s| s.manifest_digest.as_ref() == Some(&old))
        .count()
}

/// Renames a single-file manifest's resources (and their extensions) to
/// `.`, the name the reference tools give a single file.
pub(crate) fn single_file_names(
    mut manifest: Manifest,
    extensions: ResourceExtensions,
) -> (Manifest, ResourceExtensions) {
    for resource in &mut manifest.resources {
        resource.name = match modelseal_hash::parse_shard_name(&resource.name) {
            Some((_, start, end))
                if matches!(manifest.serialization.method, Method::Shards { .. }) =>
            {
                modelseal_hash::shard_name(".", start, end)
            }
            _ => ".".to_owned(),
        };
    }
    let extensions = extensions
        .into_values()
        .map(|fields| (".".to_owned(), fields))
        .collect();
    (manifest, extensions)
}

/// The `tensors` field for every safetensors file of a walked model: per
/// tensor its name, dtype, shape and the digest of its bytes.
fn tensor_extensions(
    walked: &modelseal_hash::Model,
    algorithm: HashAlgorithm,
) -> Result<ResourceExtensions, Error> {
    let mut extensions = ResourceExtensions::new();
    for file in walked.files() {
        let path = file.content_path();
        let format = modelseal_formats::identify_as(path, &file.name)
            .map_err(|e| Error::Format(Box::new(e)))?;
        if format != modelseal_formats::FileFormat::Safetensors {
            continue;
        }
        let tensors = match modelseal_formats::tensor_digests(path, algorithm) {
            Ok(tensors) => tensors,
            // An invalid header has no tensors to list (the gate refused
            // the file before hashing, so this is a file that changed since).
            Err(modelseal_formats::FormatError::Safetensors(_)) => continue,
            Err(e) => return Err(Error::Format(Box::new(e))),
        };
        let list: Vec<serde_json::Value> = tensors
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name,
                    "dtype": t.dtype,
                    "shape": t.shape,
                    "digest": t.digest.to_hex(),
                })
            })
            .collect();
        let mut fields = serde_json::Map::new();
        fields.insert("tensors".to_owned(), serde_json::Value::Array(list));
        extensions.insert(file.name.clone(), fields);
    }
    Ok(extensions)
}
