//! The known-good store: a model goes in only when it verifies, and comes
//! back out (restore) only when what is written verifies, into place in
//! one rename, never over an existing directory without being asked.
//!
//! The store itself is an OCI image layout ([`modelseal_store`]); this
//! module adds the trust: `verify` before storing, the stored bytes checked
//! against the signed manifest before the version is named, `verify` of the
//! restored copy before it replaces anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modelseal_hash::{ModelFile, WalkOptions};
use modelseal_store::{FileLayer, LayerKind, Store};
use serde::Serialize;

use crate::error::Error;
use crate::inventory::is_model_format;
use crate::layout::{SIGNATURE_FILE_NAME, default_signature_path};
use crate::report::VerificationReport;
use crate::verify::{VerifyOptions, read_unverified_manifest, verify_model};

/// The attestations file's name in a model directory.
const ATTESTATIONS_FILE_NAME: &str = "model.att.jsonl";

/// What [`store_model`] did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoreAddReport {
    /// Always `"store-add"`.
    pub kind: &'static str,
    /// [`crate::REPORT_VERSION`].
    pub version: u32,
    /// The store.
    pub store: String,
    /// `NAME:VERSION`, when stored.
    pub name: String,
    /// True when stored (the model verified); false: `verification` says
    /// why not, and nothing was stored.
    pub stored: bool,
    /// `sha256:HEX` of the version's OCI manifest, when stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// Files stored (the signature and attestations included).
    pub files: usize,
    /// Blobs written; the others were in the store already.
    pub new_blobs: usize,
    /// Bytes written.
    pub new_bytes: u64,
    /// True when the name already held exactly this content.
    pub unchanged: bool,
    /// The verification the model passed (or failed) before storing.
    pub verification: VerificationReport,
}

/// What [`restore_model`] did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RestoreReport {
    /// Always `"restore"`.
    pub kind: &'static str,
    /// [`crate::REPORT_VERSION`].
    pub version: u32,
    /// The store.
    pub store: String,
    /// `NAME:VERSION`.
    pub name: String,
    /// Where it was restored.
    pub destination: String,
    /// True when the restored files verified and are in place; false:
    /// `verification` says why, and the destination is as it was.
    pub restored: bool,
    /// True when an existing destination was replaced (`--force`).
    pub replaced: bool,
    /// Files written.
    pub files: usize,
    /// The verification of the restored copy, before it was moved into
    /// place.
    pub verification: VerificationReport,
}

fn store_error(e: modelseal_store::StoreError) -> Error {
    Error::Store(Box::new(e))
}

/// A blob that is not what its digest names is a stored copy that does
/// not verify (exit 1); other store errors are I/O (exit 2).
fn stored_copy_error(name: &str, e: modelseal_store::StoreError) -> Error {
    match e {
        modelseal_store::StoreError::Invalid { path, reason } => Error::StoredCopy {
            name: name.to_owned(),
            reason: format!("`{}`: {reason}", path.display()),
        },
        other => store_error(other),
    }
}

/// The layer kind of a stored file, by name and content.
fn kind_of(name: &str, path: &Path) -> LayerKind {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    if base == SIGNATURE_FILE_NAME {
        return LayerKind::Signature;
    }
    if base.ends_with(".md") || base.starts_with("license") || base.starts_with("notice") {
        return LayerKind::Doc;
    }
    if base.ends_with(".py") {
        return LayerKind::Code;
    }
    match modelseal_formats::identify_as(path, name) {
        Ok(format) if is_model_format(format) => LayerKind::Weight,
        _ => LayerKind::Config,
    }
}

/// Stores a model directory that verifies under `options` as
/// `tag` (`NAME:VERSION`; default: the directory name and the first 12
/// digits of its signed root digest) in the store at `store` (created when
/// missing). The files stored are the ones the signature covers, plus the
/// signature and the attestations file; before the version is named, the
/// stored blobs are hashed with the signature's own serialization and
/// compared with its manifest, so a file changed between the verification
/// and the copy is never stored as known good.
///
/// # Errors
/// A model that is not a directory, store and I/O errors, a stored copy
/// that differs from the signed manifest. A model that does not verify is
/// no error: the report says `stored: false`.
pub fn store_model(
    model: &Path,
    store: &Path,
    tag: Option<&str>,
    options: &VerifyOptions,
) -> Result<StoreAddReport, Error> {
    if !model.is_dir() {
        return Err(Error::Usage(format!(
            "`{}`: the store takes model directories",
            model.display()
        )));
    }
    let given = options
        .signature
        .clone()
        .unwrap_or_else(|| default_signature_path(model));
    // The signature is read once: the bytes verified are the bytes stored.
    let bytes = modelseal_hash::read_regular(
        &given,
        modelseal_hash::Links::Follow,
        modelseal_oms::bundle::MAX_BUNDLE_SIZE as u64,
    )
    .map_err(|e| Error::io("read", &given, e))?;
    let held =
        tempfile::NamedTempFile::new().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    std::fs::write(held.path(), &bytes).map_err(|e| Error::io("write", held.path(), e))?;
    let signature = held.path().to_owned();
    let mut options = options.clone();
    options.signature = Some(signature.clone());
    // The model's own signature file stays out of the walk, as when it is
    // the one verified.
    let inside = |p: &Path| matches!((p.canonicalize(), model.canonicalize()), (Ok(p), Ok(m)) if p.starts_with(&m));
    if inside(&given) {
        options.ignore_paths.push(given.clone());
    }
    let options = &options;
    let mut verification = verify_model(model, options)?;
    verification.signature = given.display().to_string();
    verification.unused_ignore_paths.clear();
    let mut report = StoreAddReport {
        kind: "store-add",
        version: crate::REPORT_VERSION,
        store: store.display().to_string(),
        name: String::new(),
        stored: false,
        manifest_digest: None,
        files: 0,
        new_blobs: 0,
        new_bytes: 0,
        unchanged: false,
        verification,
    };
    if !report.verification.verified {
        return Ok(report);
    }
    let signed = read_unverified_manifest(&signature)?;
    if signed.root_digest.to_hex() != report.verification.root_digest {
        return Err(Error::Usage(format!(
            "`{}` changed while the model was being stored: store it again",
            signature.display()
        )));
    }
    let walk_options = WalkOptions {
        allow_symlinks: signed.serialization.allow_symlinks,
        ignore_paths: signed
            .serialization
            .ignore_paths
            .iter()
            .map(PathBuf::from)
            .collect(),
        exclude_files: vec![
            given.clone(),
            modelseal_attest::default_attestations_path(model),
        ],
        ..WalkOptions::default()
    };
    let walked = modelseal_hash::walk(model, &walk_options)?;
    let mut layers: Vec<FileLayer> = walked
        .files()
        .iter()
        .map(|f| {
            FileLayer::new(
                &f.name,
                f.content_path(),
                kind_of(&f.name, f.content_path()),
            )
        })
        .collect();
    layers.push(FileLayer::new(
        SIGNATURE_FILE_NAME,
        &signature,
        LayerKind::Signature,
    ));
    let attestations = modelseal_attest::default_attestations_path(model);
    if attestations.is_file() {
        layers.push(FileLayer::new(
            ATTESTATIONS_FILE_NAME,
            &attestations,
            LayerKind::Attestations,
        ));
    }
    let root = report.verification.root_digest.clone();
    let name = match tag {
        Some(tag) => tag.to_owned(),
        None => format!(
            "{}:{}",
            model
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "model".to_owned()),
            &root[..12.min(root.len())]
        ),
    };
    check_tag(&name)?;
    let annotations = BTreeMap::from([
        (
            modelseal_store::ANNOTATION_ROOT_DIGEST.to_owned(),
            format!("sha256:{root}"),
        ),
        (
            modelseal_store::ANNOTATION_CREATED.to_owned(),
            modelseal_attest::Timestamp::now().to_string(),
        ),
    ]);
    let store = Store::create(store).map_err(store_error)?;
    let stored = store
        .add_checked(&name, &layers, annotations, |blobs| {
            stored_matches_signed(blobs, &signed).map_err(|e| {
                format!("{e}: a file changed while it was stored; nothing was stored as known good")
            })
        })
        .map_err(store_error)?;
    report.name = name;
    report.stored = true;
    report.manifest_digest = Some(stored.manifest_digest);
    report.files = stored.files.len();
    report.new_blobs = stored.new_blobs;
    report.new_bytes = stored.new_bytes;
    report.unchanged = stored.unchanged;
    Ok(report)
}

/// `NAME:VERSION`, each part non-empty, printable, no whitespace or `/`
/// in the version.
fn check_tag(tag: &str) -> Result<(), Error> {
    let ok = tag.rsplit_once(':').is_some_and(|(name, version)| {
        !name.is_empty()
            && !version.is_empty()
            && !tag.chars().any(|c| c.is_whitespace() || c.is_control())
            && !version.contains('/')
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "`{tag}`: a store name is NAME:VERSION (no spaces, no `/` in the version)"
        )))
    }
}

/// Hashes the stored file blobs (the signature's and attestations' left
/// out) with the signed serialization and compares them with the signed
/// manifest, resource by resource.
fn stored_matches_signed(
    blobs: &[(String, PathBuf)],
    signed: &modelseal_oms::SignedManifest,
) -> Result<(), String> {
    let is_file = |name: &str| name != SIGNATURE_FILE_NAME && name != ATTESTATIONS_FILE_NAME;
    let expected: BTreeMap<&str, String> = signed
        .resources
        .iter()
        .map(|r| (r.name.as_str(), r.digest.to_hex()))
        .collect();
    // SHA-256 over whole files is how blobs are named: each blob's name,
    // computed as it was copied, is the digest to compare.
    if signed.serialization.hash_type == modelseal_hash::HashAlgorithm::Sha256
        && signed.serialization.method == modelseal_hash::Method::Files
    {
        let stored: BTreeMap<&str, String> = blobs
            .iter()
            .filter(|(name, _)| is_file(name))
            .map(|(name, path)| {
                let hex = path.file_name().map(|n| n.to_string_lossy().into_owned());
                (name.as_str(), hex.unwrap_or_default())
            })
            .collect();
        return compare_stored(&stored, &expected);
    }
    let files: Vec<ModelFile> = blobs
        .iter()
        .filter(|(name, _)| is_file(name))
        .map(|(name, path)| ModelFile {
            name: name.clone(),
            size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            path: path.clone(),
            target: None,
        })
        .collect();
    let options = modelseal_hash::HashOptions {
        algorithm: signed.serialization.hash_type,
        method: Some(signed.serialization.method),
        ..modelseal_hash::HashOptions::default()
    };
    let hashed = modelseal_hash::hash_files(
        &files,
        signed.serialization.hash_type,
        signed.serialization.method,
        &options,
    )
    .map_err(|e| e.to_string())?;
    let stored: BTreeMap<&str, String> = hashed
        .iter()
        .map(|r| (r.name.as_str(), r.digest.to_hex()))
        .collect();
    compare_stored(&stored, &expected)
}

fn compare_stored(
    stored: &BTreeMap<&str, String>,
    expected: &BTreeMap<&str, String>,
) -> Result<(), String> {
    if stored == expected {
        Ok(())
    } else {
        let differing: Vec<&str> = expected
            .iter()
            .filter(|(name, digest)| stored.get(*name) != Some(*digest))
            .map(|(name, _)| *name)
            .chain(
                stored
                    .keys()
                    .filter(|n| !expected.contains_key(*n))
                    .copied(),
            )
            .collect();
        Err(format!(
            "the stored files differ from the signed manifest ({})",
            differing.join(", ")
        ))
    }
}

/// Restores the version `name` of the store at `store` into `dest`: the
/// files are written into a fresh directory beside `dest`, verified under
/// `options` (its signature: the stored `model.sig`), and only then moved
/// into place in one rename; an existing `dest` is replaced only with
/// `force` (atomically exchanged where the system allows, then removed).
/// A failure at any point leaves `dest` as it was.
///
/// # Errors
/// An unknown name, an existing `dest` without `force`, store and I/O
/// errors. A restored copy that does not verify is no error: the report
/// says `restored: false` and `dest` is untouched.
pub fn restore_model(
    store: &Path,
    name: &str,
    dest: &Path,
    options: &VerifyOptions,
    force: bool,
) -> Result<RestoreReport, Error> {
    let store_dir = store;
    let store = Store::open(store).map_err(store_error)?;
    let version = store.get(name).map_err(store_error)?;
    let exists = std::fs::symlink_metadata(dest).is_ok();
    if exists && !force {
        return Err(Error::Exists {
            path: dest.to_owned(),
        });
    }
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let staging = tempfile::Builder::new()
        .prefix(".modelseal-restore-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io("create a directory in", &parent, e))?;
    // Only what the stored signature covers (checked under the trust
    // first), its signature and attestations: a layer a hostile manifest
    // adds under an ignored path is never written.
    let manifest =
        check_version(&store, &version, options).map_err(|reason| Error::StoredCopy {
            name: name.to_owned(),
            reason,
        })?;
    let signed: std::collections::BTreeSet<String> = manifest
        .resources
        .iter()
        .map(|r| file_of(&r.name, &manifest))
        .collect();
    let mut files = 0;
    for (file, layer) in version.layers() {
        if !signed.contains(file) && file != SIGNATURE_FILE_NAME && file != ATTESTATIONS_FILE_NAME {
            continue;
        }
        if !modelseal_store::is_safe_relative_path(file) {
            return Err(Error::Usage(format!(
                "`{name}` in `{}` names a file `{file}` outside the model: not restored",
                store_dir.display()
            )));
        }
        let to = staging.path().join(file);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        store
            .copy_blob(layer, &to)
            .map_err(|e| stored_copy_error(name, e))?;
        files += 1;
    }
    let mut verify = options.clone();
    verify.signature = Some(staging.path().join(SIGNATURE_FILE_NAME));
    verify.attestations = Some(staging.path().join(ATTESTATIONS_FILE_NAME));
    let verification = verify_model(staging.path(), &verify)?;
    let mut report = RestoreReport {
        kind: "restore",
        version: crate::REPORT_VERSION,
        store: store_dir.display().to_string(),
        name: name.to_owned(),
        destination: dest.display().to_string(),
        restored: false,
        replaced: false,
        files,
        verification,
    };
    if !report.verification.verified {
        return Ok(report);
    }
    // Durable before it replaces anything; readable as a directory made
    // by `cp` would be (the staging directory is created 0700).
    sync_tree(staging.path())?;
    let staged = staging.keep();
    if exists {
        replace(&staged, dest)?;
        report.replaced = true;
    } else if let Err(e) = std::fs::rename(&staged, dest) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(Error::io("move into place", dest, e));
    }
    report.restored = true;
    // The verification names the staging directory: name the destination.
    report.verification.model = dest.display().to_string();
    report.verification.signature = dest.join(SIGNATURE_FILE_NAME).display().to_string();
    Ok(report)
}

/// Syncs every file of the staged tree (one `syncfs` on Linux) and gives
/// its root directory the mode a new directory gets (the staging
/// directory is created 0700).
fn sync_tree(root: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io("set the mode of", root, e))?;
    }
    let dir = std::fs::File::open(root).map_err(|e| Error::io("open", root, e))?;
    #[cfg(target_os = "linux")]
    rustix::fs::syncfs(&dir).map_err(|e| Error::io("sync", root, e.into()))?;
    #[cfg(not(target_os = "linux"))]
    dir.sync_all().map_err(|e| Error::io("sync", root, e))?;
    Ok(())
}

/// Puts `staged` where `dest` is: one atomic exchange where the system has
/// it (Linux `renameat2(RENAME_EXCHANGE)`), then the old copy is removed;
/// elsewhere `dest` is moved aside first (a crash between the two renames
/// leaves it beside, named `.modelseal-old-…`).
fn replace(staged: &Path, dest: &Path) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, staged, CWD, dest, RenameFlags::EXCHANGE).is_ok() {
            // `staged` now holds the old copy (a directory or a file). DEST
            // is restored either way: an old copy that cannot be removed
            // is left beside it, not reported as a failed restore.
            let _ = if staged.is_dir() {
                std::fs::remove_dir_all(staged)
            } else {
                std::fs::remove_file(staged)
            };
            return Ok(());
        }
    }
    let aside = staged.with_file_name(format!(
        ".modelseal-old-{}",
        staged
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::rename(dest, &aside).map_err(|e| Error::io("move aside", dest, e))?;
    if let Err(e) = std::fs::rename(staged, dest) {
        let _ = std::fs::rename(&aside, dest);
        return Err(Error::io("move into place", dest, e));
    }
    let file = aside.is_file();
    if file {
        std::fs::remove_file(&aside)
    } else {
        std::fs::remove_dir_all(&aside)
    }
    .map_err(|e| Error::io("remove the replaced copy", &aside, e))
}

/// What [`verify_store`] found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoreVerifyReport {
    /// Always `"store-verify"`.
    pub kind: &'static str,
    /// [`crate::REPORT_VERSION`].
    pub version: u32,
    /// The store.
    pub store: String,
    /// True when every blob matches its digest and every version's
    /// signature verifies (when a trust was given) over its stored files.
    pub verified: bool,
    /// Blobs missing or whose content is not the digest they are named by.
    pub problems: Vec<StoreProblem>,
    /// Each version, with its signature checked when a trust was given.
    pub versions: Vec<StoredVersion>,
}

/// A blob that does not match its name.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoreProblem {
    /// The blob.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// One version of a store, as [`verify_store`] and [`list_store`] see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoredVersion {
    /// `NAME:VERSION`.
    pub name: String,
    /// `sha256:HEX` of its manifest.
    pub manifest_digest: String,
    /// The signed root digest it was stored with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_digest: Option<String>,
    /// When it was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Its files (the signature and attestations included).
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// With a trust: whether its signature verifies and the stored files
    /// match the signed manifest. Without: `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_verified: Option<bool>,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn stored_version(version: &modelseal_store::Version) -> StoredVersion {
    StoredVersion {
        name: version.name.clone(),
        manifest_digest: version.manifest_digest.clone(),
        root_digest: version
            .annotation(modelseal_store::ANNOTATION_ROOT_DIGEST)
            .map(str::to_owned),
        created: version
            .annotation(modelseal_store::ANNOTATION_CREATED)
            .map(str::to_owned),
        files: version.layers().count(),
        bytes: version.layers().map(|(_, l)| l.size).sum(),
        signature_verified: None,
        reason: None,
    }
}

/// `modelseal store list`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoreListReport {
    /// Always `"store-list"`.
    pub kind: &'static str,
    /// [`crate::REPORT_VERSION`].
    pub version: u32,
    /// The store.
    pub store: String,
    /// Every stored version, in index order.
    pub versions: Vec<StoredVersion>,
}

/// `modelseal store gc`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StoreGcReport {
    /// Always `"store-gc"`.
    pub kind: &'static str,
    /// [`crate::REPORT_VERSION`].
    pub version: u32,
    /// The store.
    pub store: String,
    /// The blobs removed.
    pub removed: Vec<String>,
    /// Their bytes.
    pub bytes: u64,
}

/// Every version of the store at `store`.
///
/// # Errors
/// Not a store, a malformed index or manifest.
pub fn list_store(store: &Path) -> Result<StoreListReport, Error> {
    let opened = Store::open(store).map_err(store_error)?;
    Ok(StoreListReport {
        kind: "store-list",
        version: crate::REPORT_VERSION,
        store: store.display().to_string(),
        versions: opened
            .list()
            .map_err(store_error)?
            .iter()
            .map(stored_version)
            .collect(),
    })
}

/// Removes the blobs of the store at `store` that no version refers to.
///
/// # Errors
/// Not a store, a malformed index or manifest (nothing removed), I/O.
pub fn gc_store(store: &Path) -> Result<StoreGcReport, Error> {
    let opened = Store::open(store).map_err(store_error)?;
    let (removed, bytes) = opened.gc().map_err(store_error)?;
    Ok(StoreGcReport {
        kind: "store-gc",
        version: crate::REPORT_VERSION,
        store: store.display().to_string(),
        removed: removed.iter().map(|p| p.display().to_string()).collect(),
        bytes,
    })
}

/// Checks the store at `store`: every blob against its digest, and with
/// `options` (a trust) every version's stored signature and its stored
/// files against the signed manifest.
///
/// # Errors
/// Not a store, a malformed index.
pub fn verify_store(
    store: &Path,
    options: Option<&VerifyOptions>,
) -> Result<StoreVerifyReport, Error> {
    let store_dir = store;
    let store = Store::open(store).map_err(store_error)?;
    let problems: Vec<StoreProblem> = store
        .verify_blobs()
        .map_err(store_error)?
        .into_iter()
        .map(|p| StoreProblem {
            path: p.path.display().to_string(),
            reason: p.reason,
        })
        .collect();
    let mut versions = Vec::new();
    for version in store.list().map_err(store_error)? {
        let mut entry = stored_version(&version);
        if let Some(options) = options {
            match check_version(&store, &version, options) {
                Ok(manifest) => {
                    entry.signature_verified = Some(true);
                    // The signed root, not the (unsigned) annotation.
                    entry.root_digest = Some(format!("sha256:{}", manifest.root_digest.to_hex()));
                }
                Err(reason) => {
                    entry.signature_verified = Some(false);
                    entry.reason = Some(reason);
                }
            }
        }
        versions.push(entry);
    }
    Ok(StoreVerifyReport {
        kind: "store-verify",
        version: crate::REPORT_VERSION,
        store: store_dir.display().to_string(),
        verified: problems.is_empty()
            && versions.iter().all(|v| v.signature_verified != Some(false)),
        problems,
        versions,
    })
}

/// A stored version's signature, verified with the trust, over its stored
/// files.
fn check_version(
    store: &Store,
    version: &modelseal_store::Version,
    options: &VerifyOptions,
) -> Result<modelseal_oms::SignedManifest, String> {
    let mut blobs = Vec::new();
    let mut signature = None;
    for (name, layer) in version.layers() {
        let path = store.blob(&layer.digest).map_err(|e| e.to_string())?;
        if name == SIGNATURE_FILE_NAME {
            signature = Some(path.clone());
        }
        blobs.push((name.to_owned(), path));
    }
    let signature = signature.ok_or("no signature layer")?;
    let manifest = match &options.policy {
        Some(policy) => crate::verify::read_policy_bundle(
            &signature,
            policy,
            modelseal_attest::Timestamp::now(),
        )
        .map(|(v, _)| v.manifest),
        None => crate::verify::read_verified_bundle(&signature, &options.trust).map(|v| v.manifest),
    }
    .map_err(|e| crate::attestation::policy::chain_text(&e))?;
    stored_matches_signed(&blobs, &manifest)?;
    Ok(manifest)
}

/// What [`repair_model`] did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RepairReport {
    /// Always `"repair"`.
    pub kind: &'static str,
    /// [`crate::REPORT_VERSION`].
    pub version: u32,
    /// The store.
    pub store: String,
    /// `NAME:VERSION` repaired from.
    pub name: String,
    /// The model repaired.
    pub model: String,
    /// True when the model verifies after the repair.
    pub repaired: bool,
    /// Files written from the store (missing or modified ones, the
    /// signature when it differed).
    pub replaced: Vec<String>,
    /// Unsigned files removed (`--prune`).
    pub removed: Vec<String>,
    /// Unsigned files left in place (without `--prune`).
    pub unsigned: Vec<String>,
    /// The verification after the repair.
    pub verification: VerificationReport,
}

/// Repairs `model` from the stored version `name`: the files `verify`
/// reports missing or modified against the stored signature (verified
/// first, with its stored files, under `options`) are written from the
/// store, each blob checked against its digest as it is copied into a
/// temporary file beside its target and renamed over it; files nobody
/// signed are removed only with `prune`; the model's `model.sig` becomes
/// the stored one; then the model is verified. Files that match are not
/// touched. Every blob is checked, and every target's folders refused if
/// one is a link, before the first file is written.
///
/// # Errors
/// An unknown name, a stored signature the trust refuses
/// ([`Error::is_verification_failure`]), a stored blob that is not what
/// its digest says, a link on the way to a target, store and I/O errors.
pub fn repair_model(
    store: &Path,
    name: &str,
    model: &Path,
    options: &VerifyOptions,
    prune: bool,
) -> Result<RepairReport, Error> {
    let store_dir = store;
    let store = Store::open(store).map_err(store_error)?;
    let version = store.get(name).map_err(store_error)?;
    let layers: BTreeMap<String, modelseal_store::Descriptor> = version
        .layers()
        .map(|(file, layer)| (file.to_owned(), layer.clone()))
        .collect();
    let signature_layer = layers.get(SIGNATURE_FILE_NAME).cloned().ok_or_else(|| {
        Error::Usage(format!(
            "`{name}` in `{}` has no signature",
            store_dir.display()
        ))
    })?;
    // The stored version must verify on its own before it repairs anything.
    let signed = check_version(&store, &version, options).map_err(|reason| Error::StoredCopy {
        name: name.to_owned(),
        reason,
    })?;
    if !model.is_dir() {
        return Err(Error::Usage(format!(
            "`{}`: --repair takes a model directory",
            model.display()
        )));
    }
    // The stored signature, copied (checked) out of the store once.
    let held = tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    let stored_signature = held.path().join(SIGNATURE_FILE_NAME);
    store
        .copy_blob(&signature_layer, &stored_signature)
        .map_err(|e| stored_copy_error(name, e))?;
    let mut against = options.clone();
    against.signature = Some(stored_signature.clone());
    against
        .ignore_paths
        .push(PathBuf::from(SIGNATURE_FILE_NAME));
    let before = verify_model(model, &against)?;
    let mut replace = std::collections::BTreeSet::new();
    let mut extra = Vec::new();
    for finding in &before.findings {
        match finding {
            crate::Finding::Missing { name }
            | crate::Finding::SizeChanged { name, .. }
            | crate::Finding::Modified { name, .. } => {
                replace.insert(file_of(name, &signed));
            }
            crate::Finding::Renamed { from, to } => {
                replace.insert(from.clone());
                extra.push(to.clone());
            }
            crate::Finding::Unsigned { name, .. } => extra.push(name.clone()),
            _ => {}
        }
    }
    let own_signature = model.join(SIGNATURE_FILE_NAME);
    let cap = modelseal_oms::bundle::MAX_BUNDLE_SIZE as u64;
    let read = |p: &Path| modelseal_hash::read_regular(p, modelseal_hash::Links::Refuse, cap).ok();
    if read(&own_signature) != read(&stored_signature) {
        replace.insert(SIGNATURE_FILE_NAME.to_owned());
    }
    // Everything checked before the first write: each file is in the
    // store, a plain relative path, and no folder on its way is a link.
    let mut plan = Vec::new();
    for file in &replace {
        let layer = layers.get(file).ok_or_else(|| {
            Error::Usage(format!(
                "`{name}` in `{}` has no file `{file}`",
                store_dir.display()
            ))
        })?;
        no_links_on_the_way(model, file)?;
        plan.push((file.clone(), layer));
    }
    // Unsigned files first: one named `tok` must not block `tok/x`.
    let mut removed = Vec::new();
    let mut unsigned = Vec::new();
    for file in extra {
        if prune && no_links_on_the_way(model, &file).is_ok() {
            let path = model.join(&file);
            std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            removed.push(file);
        } else {
            unsigned.push(file);
        }
    }
    let mut replaced = Vec::new();
    for (file, layer) in plan {
        write_beside(&store, layer, model, &file)?;
        replaced.push(file);
    }
    let mut after = options.clone();
    after.signature = None;
    let verification = verify_model(model, &after)?;
    Ok(RepairReport {
        kind: "repair",
        version: crate::REPORT_VERSION,
        store: store_dir.display().to_string(),
        name: name.to_owned(),
        model: model.display().to_string(),
        repaired: verification.verified,
        replaced,
        removed,
        unsigned,
        verification,
    })
}

/// `file` is a plain relative path, and no existing folder between
/// `model` and it is a symbolic link (nor the file itself): a write or a
/// removal there stays inside the model.
fn no_links_on_the_way(model: &Path, file: &str) -> Result<(), Error> {
    if !modelseal_store::is_safe_relative_path(file) {
        return Err(Error::Usage(format!(
            "`{file}` is outside the model: not written"
        )));
    }
    let mut path = model.to_owned();
    for part in file.split('/') {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::Usage(format!(
                    "`{}` is a symbolic link: --repair does not write through links",
                    path.display()
                )));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// The file a resource names: a shard `path:start:end` is of `path`
/// (only under the shards method: a file's own name may hold colons).
fn file_of(resource: &str, signed: &modelseal_oms::SignedManifest) -> String {
    match signed.serialization.method {
        modelseal_hash::Method::Shards { .. } => modelseal_hash::parse_shard_name(resource)
            .map_or(resource, |(file, _, _)| file)
            .to_owned(),
        modelseal_hash::Method::Files => resource.to_owned(),
    }
}

/// Writes the blob as `model/file`: checked against its digest as it is
/// copied into a temporary file in the same folder, then one rename over
/// the old one.
fn write_beside(
    store: &Store,
    layer: &modelseal_store::Descriptor,
    model: &Path,
    file: &str,
) -> Result<(), Error> {
    let to = model.join(file);
    let dir = to.parent().unwrap_or(model);
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".modelseal-repair-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a file in", dir, e))?;
    // `copy_blob` creates its target: hand it a fresh name in that folder.
    let staged = tmp.path().with_extension("part");
    drop(tmp);
    store
        .copy_blob(layer, &staged)
        .map_err(|e| stored_copy_error(file, e))?;
    std::fs::rename(&staged, &to).map_err(|e| {
        let _ = std::fs::remove_file(&staged);
        Error::io("replace", &to, e)
    })
}

/// The version of the store at `store` holding the signed root digest
/// `root` (`sha256:HEX`) whose blobs match their digests and whose stored
/// signature verifies under `options` over its stored files, if any.
///
/// # Errors
/// Not a store, a malformed index.
pub(crate) fn stored_copy(
    store: &Path,
    root: &str,
    options: &VerifyOptions,
) -> Result<Option<StoredVersion>, Error> {
    let report = verify_store(store, Some(options))?;
    let bad_blobs: std::collections::BTreeSet<&str> =
        report.problems.iter().map(|p| p.path.as_str()).collect();
    let opened = Store::open(store).map_err(store_error)?;
    // `verify_store` lists the versions in index order: pair by position
    // (two entries may carry one name), and match the verified root.
    for (version, entry) in opened
        .list()
        .map_err(store_error)?
        .iter()
        .zip(&report.versions)
    {
        let sound = entry.signature_verified == Some(true)
            && version.layers().all(|(_, layer)| {
                opened
                    .blob(&layer.digest)
                    .is_ok_and(|p| !bad_blobs.contains(p.display().to_string().as_str()))
            });
        if sound && entry.root_digest.as_deref() == Some(root) {
            return Ok(Some(entry.clone()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_copy_that_differs_is_named() {
        let expected = BTreeMap::from([("a.bin", "11".to_owned()), ("b.bin", "22".to_owned())]);
        assert!(compare_stored(&expected.clone(), &expected).is_ok());
        let changed = BTreeMap::from([("a.bin", "11".to_owned()), ("b.bin", "33".to_owned())]);
        let error = compare_stored(&changed, &expected).expect_err("differs");
        assert!(error.contains("(b.bin)"), "{error}");
        let extra = BTreeMap::from([
            ("a.bin", "11".to_owned()),
            ("b.bin", "22".to_owned()),
            ("c.bin", "44".to_owned()),
        ]);
        assert!(
            compare_stored(&extra, &expected)
                .expect_err("extra")
                .contains("c.bin")
        );
    }
}
