//! The OCI image layout on disk: blobs named by their SHA-256, manifests,
//! and the index naming each version.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use modelseal_hash::{HashAlgorithm, Hasher, Links};

use crate::oci::{Descriptor, ImageIndex, ImageManifest, MANIFEST_MEDIA_TYPE};
use crate::{ANNOTATION_FILEPATH, ANNOTATION_REF_NAME, ARTIFACT_TYPE, CONFIG_MEDIA_TYPE};

/// The largest manifest, index or config read (real ones: kilobytes).
const MAX_JSON: u64 = 64 << 20;
/// How much one copy reads at a time.
const CHUNK: usize = 1 << 20;

/// An error of the store, naming the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing a file failed.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A store file is not what the OCI image layout says it must be.
    #[error("`{path}`: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No version of that name.
    #[error("the store `{store}` has no version `{name}` (it has: {known})")]
    NotFound {
        /// The store.
        store: PathBuf,
        /// The name asked for.
        name: String,
        /// The names it has.
        known: String,
    },
    /// The name is already taken by other content.
    #[error(
        "the store `{store}` already has `{name}` with other content (root {existing}); pick another version"
    )]
    Exists {
        /// The store.
        store: PathBuf,
        /// The name.
        name: String,
        /// The stored root digest.
        existing: String,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// What a stored file is, for its layer media type (CNCF ModelPack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// Weights and graphs (`application/vnd.cncf.model.weight.v1.raw`).
    Weight,
    /// Configs and tokenizers (`…weight.config.v1.raw`).
    Config,
    /// Documentation: README, licence (`…doc.v1.raw`).
    Doc,
    /// Code shipped with the model (`…code.v1.raw`).
    Code,
    /// The OMS signature bundle (`application/vnd.dev.sigstore.bundle.v0.3+json`).
    Signature,
    /// The attestations file (`application/vnd.dev.modelseal.attestations.v1+jsonl`).
    Attestations,
}

impl LayerKind {
    /// The layer media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Weight => "application/vnd.cncf.model.weight.v1.raw",
            Self::Config => "application/vnd.cncf.model.weight.config.v1.raw",
            Self::Doc => "application/vnd.cncf.model.doc.v1.raw",
            Self::Code => "application/vnd.cncf.model.code.v1.raw",
            Self::Signature => "application/vnd.dev.sigstore.bundle.v0.3+json",
            Self::Attestations => "application/vnd.dev.modelseal.attestations.v1+jsonl",
        }
    }
}

/// One file to store: its model-relative name, where to read it, and what
/// it is.
#[derive(Debug, Clone)]
pub struct FileLayer {
    /// The model-relative name (`/`-separated).
    pub name: String,
    /// Where its content is read from.
    pub path: PathBuf,
    /// What it is.
    pub kind: LayerKind,
}

impl FileLayer {
    /// A file layer.
    pub fn new(name: &str, path: &Path, kind: LayerKind) -> Self {
        Self {
            name: name.to_owned(),
            path: path.to_owned(),
            kind,
        }
    }
}

/// A version as [`Store::add`] stored it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// `sha256:HEX` of its manifest.
    pub manifest_digest: String,
    /// Each file layer's name and SHA-256 (hex), in the order given.
    pub files: Vec<(String, String)>,
    /// Blobs written (the others were in the store already).
    pub new_blobs: usize,
    /// Bytes written.
    pub new_bytes: u64,
    /// True when the same name already held exactly this manifest.
    pub unchanged: bool,
}

/// One version in the store's index.
#[derive(Debug, Clone)]
pub struct Version {
    /// `NAME:VERSION`.
    pub name: String,
    /// `sha256:HEX` of its manifest.
    pub manifest_digest: String,
    /// The manifest.
    pub manifest: ImageManifest,
}

impl Version {
    /// The file layers: (model-relative name, descriptor), signature and
    /// attestations included under their file names.
    pub fn layers(&self) -> impl Iterator<Item = (&str, &Descriptor)> {
        self.manifest.layers.iter().filter_map(|layer| {
            layer
                .annotations
                .get(ANNOTATION_FILEPATH)
                .map(|name| (name.as_str(), layer))
        })
    }

    /// A manifest annotation.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.manifest.annotations.get(key).map(String::as_str)
    }
}

/// A blob whose content no longer matches its name, or that is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The blob's path.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A `/`-separated relative path of normal components only: no `..`, no
/// root, no empty or `.` parts. What a stored file name must be before it
/// is written anywhere.
pub fn is_safe_relative_path(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('\0')
        && !name.contains('\\')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

fn sha256_hex_of(digest: &str) -> Option<&str> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

impl Store {
    /// Opens an existing store.
    ///
    /// # Errors
    /// The directory has no `oci-layout` of version 1.0.0.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let layout = root.join("oci-layout");
        let bytes = modelseal_hash::read_regular(&layout, Links::Refuse, 4096)
            .map_err(io("read", &layout))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(&layout, format!("not JSON: {e}")))?;
        if value["imageLayoutVersion"] != "1.0.0" {
            return Err(invalid(&layout, "imageLayoutVersion is not \"1.0.0\""));
        }
        // A layout unpacked from a tarball may carry links: `gc` must not
        // delete files behind a linked blobs folder.
        for dir in [root.join("blobs"), root.join("blobs/sha256")] {
            match std::fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(invalid(
                        &dir,
                        "not a directory (a link?): refusing this store",
                    ));
                }
                Err(e) => return Err(io("read", &dir)(e)),
            }
        }
        Ok(Self {
            root: root.to_owned(),
        })
    }

    /// Copies the blob `descriptor` names to `to` (a new file, not synced), reading it
    /// as a regular file (no link, no FIFO), at most its descriptor's size,
    /// hashing as it copies: a blob whose bytes are not the ones its digest
    /// names is refused and `to` removed. What restore and repair write is
    /// always what the manifest says.
    ///
    /// # Errors
    /// A malformed digest, a missing, linked or special blob, a size or
    /// digest that differs, I/O.
    pub fn copy_blob(&self, descriptor: &Descriptor, to: &Path) -> Result<(), StoreError> {
        let path = self.blob(&descriptor.digest)?;
        let input =
            modelseal_hash::open_regular(&path, Links::Refuse).map_err(io("read", &path))?;
        let mut output = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(to)
            .map_err(io("create", to))?;
        let mut limited = input.take(descriptor.size.saturating_add(1));
        let mut hasher = Hasher::new(HashAlgorithm::Sha256);
        let mut buf = vec![0u8; CHUNK];
        let mut size = 0u64;
        let result = loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(io("read", &path)(e)),
            };
            hasher.update(&buf[..n]);
            size += n as u64;
            if let Err(e) = output.write_all(&buf[..n]) {
                break Err(io("write", to)(e));
            }
        };
        let actual = format!("sha256:{}", hasher.finalize().to_hex());
        let result = result.and_then(|()| {
            if size != descriptor.size || actual != descriptor.digest {
                Err(invalid(
                    &path,
                    format!(
                        "holds {size} bytes of {actual}, not the {} bytes of {} the manifest names",
                        descriptor.size, descriptor.digest
                    ),
                ))
            } else {
                // Durability is the caller's: restore syncs its whole
                // staged tree at once, repair each file it renames.
                Ok(())
            }
        });
        if result.is_err() {
            drop(output);
            let _ = std::fs::remove_file(to);
        }
        result
    }

    /// Opens the store at `root`, creating an empty one (`oci-layout`,
    /// `index.json`, `blobs/sha256/`) when the directory is missing or
    /// empty.
    ///
    /// # Errors
    /// A non-empty directory that is not a store, or I/O.
    pub fn create(root: &Path) -> Result<Self, StoreError> {
        if root.join("oci-layout").exists() {
            return Self::open(root);
        }
        std::fs::create_dir_all(root).map_err(io("create", root))?;
        let empty = std::fs::read_dir(root)
            .map_err(io("list", root))?
            .next()
            .is_none();
        if !empty {
            return Err(invalid(
                root,
                "not an OCI image layout (no `oci-layout`) and not empty: refusing to write a store into it",
            ));
        }
        let blobs = root.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).map_err(io("create", &blobs))?;
        let store = Self {
            root: root.to_owned(),
        };
        store.write_atomic(
            &root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        store.write_index(&ImageIndex::default())?;
        Ok(store)
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, hex: &str) -> PathBuf {
        self.root.join("blobs/sha256").join(hex)
    }

    /// The path of the blob `sha256:HEX`, when the digest is well formed.
    ///
    /// # Errors
    /// A digest that is not `sha256:` and 64 lowercase hex digits (never a
    /// path into the store's parent).
    pub fn blob(&self, digest: &str) -> Result<PathBuf, StoreError> {
        sha256_hex_of(digest)
            .map(|hex| self.blob_path(hex))
            .ok_or_else(|| invalid(&self.root, format!("`{digest}` is not a sha256 digest")))
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let dir = path.parent().unwrap_or(&self.root);
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io("create a file in", dir))?;
        tmp.write_all(bytes).map_err(io("write", path))?;
        tmp.as_file().sync_all().map_err(io("sync", path))?;
        tmp.persist(path).map_err(|e| StoreError::Io {
            action: "write",
            path: path.to_owned(),
            source: e.error,
        })?;
        Ok(())
    }

    /// Stores `bytes` as a blob, if not there yet: its digest and whether
    /// it was written.
    fn put_bytes(&self, bytes: &[u8]) -> Result<(String, bool), StoreError> {
        let hex = HashAlgorithm::Sha256.digest(bytes).to_hex();
        let path = self.blob_path(&hex);
        if path.exists() {
            return Ok((format!("sha256:{hex}"), false));
        }
        self.write_atomic(&path, bytes)?;
        Ok((format!("sha256:{hex}"), true))
    }

    /// Copies a file into a temporary file among the blobs, hashing as it
    /// copies: the copy (`None` when a blob of that digest exists already),
    /// its SHA-256 (hex) and size. Nothing is synced or named yet: see
    /// [`Store::persist_blobs`].
    fn copy_file(
        &self,
        source: &Path,
    ) -> Result<(Option<tempfile::NamedTempFile>, String, u64), StoreError> {
        let dir = self.root.join("blobs/sha256");
        let mut input =
            modelseal_hash::open_regular(source, Links::Follow).map_err(io("read", source))?;
        let mut tmp =
            tempfile::NamedTempFile::new_in(&dir).map_err(io("create a file in", &dir))?;
        let mut hasher = Hasher::new(HashAlgorithm::Sha256);
        let mut buf = vec![0u8; CHUNK];
        let mut size = 0u64;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io("read", source)(e)),
            };
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(io("write", tmp.path()))?;
            size += n as u64;
        }
        let hex = hasher.finalize().to_hex();
        // An existing blob of that name is replaced by this copy, whose
        // bytes were just hashed: a corrupted blob is never taken as the
        // known-good copy because its name matches.
        Ok((Some(tmp), hex, size))
    }

    /// Makes the copies durable, then names them: a blob's name only ever
    /// appears once its bytes are on disk, so a crash cannot leave a blob
    /// whose name says content it does not hold. One `syncfs` on Linux
    /// (as `sync` would), each file's `fsync` elsewhere; then the renames
    /// and the directory's `fsync`. Returns which copies became new blobs
    /// (an existing blob of the same name is replaced by the fresh copy).
    fn persist_blobs(
        &self,
        copies: Vec<(Option<tempfile::NamedTempFile>, String)>,
    ) -> Result<Vec<bool>, StoreError> {
        let dir = self.root.join("blobs/sha256");
        let dir_file = std::fs::File::open(&dir).map_err(io("open", &dir))?;
        #[cfg(target_os = "linux")]
        rustix::fs::syncfs(&dir_file).map_err(|e| io("sync", &dir)(e.into()))?;
        #[cfg(not(target_os = "linux"))]
        for (tmp, _) in &copies {
            if let Some(tmp) = tmp {
                tmp.as_file().sync_all().map_err(io("sync", tmp.path()))?;
            }
        }
        let mut new = Vec::with_capacity(copies.len());
        for (tmp, hex) in copies {
            let Some(tmp) = tmp else {
                new.push(false);
                continue;
            };
            let path = self.blob_path(&hex);
            let existed = path.exists();
            tmp.persist(&path).map_err(|e| StoreError::Io {
                action: "write",
                path: path.clone(),
                source: e.error,
            })?;
            new.push(!existed);
        }
        dir_file.sync_all().map_err(io("sync", &dir))?;
        Ok(new)
    }

    fn read_json<T: serde::de::DeserializeOwned>(&self, path: &Path) -> Result<T, StoreError> {
        let bytes = modelseal_hash::read_regular(path, Links::Refuse, MAX_JSON)
            .map_err(io("read", path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| invalid(path, format!("not what the OCI image spec describes: {e}")))
    }

    /// The index (`index.json`).
    ///
    /// # Errors
    /// A missing or malformed index.
    pub fn index(&self) -> Result<ImageIndex, StoreError> {
        self.read_json(&self.root.join("index.json"))
    }

    fn write_index(&self, index: &ImageIndex) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec_pretty(index).map_err(|e| invalid(&self.root, e.to_string()))?;
        self.write_atomic(&self.root.join("index.json"), &bytes)
    }

    /// Reads a manifest blob and checks its digest.
    ///
    /// # Errors
    /// A missing blob, a digest mismatch, or not a manifest.
    pub fn manifest(&self, digest: &str) -> Result<ImageManifest, StoreError> {
        let path = self.blob(digest)?;
        let bytes = modelseal_hash::read_regular(&path, Links::Refuse, MAX_JSON)
            .map_err(io("read", &path))?;
        let actual = format!("sha256:{}", HashAlgorithm::Sha256.digest(&bytes).to_hex());
        if actual != digest {
            return Err(invalid(
                &path,
                format!("content is {actual}, not the {digest} it is named by"),
            ));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| invalid(&path, format!("not an OCI image manifest: {e}")))
    }

    /// Every stored version, in index order.
    ///
    /// # Errors
    /// A malformed index or manifest.
    pub fn list(&self) -> Result<Vec<Version>, StoreError> {
        self.index()?
            .manifests
            .iter()
            .filter(|d| d.media_type == MANIFEST_MEDIA_TYPE)
            .filter_map(|d| d.annotations.get(ANNOTATION_REF_NAME).map(|name| (name, d)))
            .map(|(name, d)| {
                Ok(Version {
                    name: name.clone(),
                    manifest_digest: d.digest.clone(),
                    manifest: self.manifest(&d.digest)?,
                })
            })
            .collect()
    }

    /// The version named `name` (`NAME:VERSION`).
    ///
    /// # Errors
    /// [`StoreError::NotFound`], or a malformed index or manifest.
    pub fn get(&self, name: &str) -> Result<Version, StoreError> {
        let versions = self.list()?;
        let known = versions
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        versions
            .into_iter()
            .find(|v| v.name == name)
            .ok_or_else(|| StoreError::NotFound {
                store: self.root.clone(),
                name: name.to_owned(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known
                },
            })
    }

    /// Stores one version: each file as a blob (shared with other versions
    /// of the same content), a config, a manifest, and the index entry
    /// `name`. Re-adding the same content under the same name changes
    /// nothing; other content under a taken name is refused.
    ///
    /// # Errors
    /// A file name that is not a safe relative path, a taken name, I/O.
    pub fn add(
        &self,
        name: &str,
        files: &[FileLayer],
        annotations: BTreeMap<String, String>,
    ) -> Result<Stored, StoreError> {
        self.add_checked(name, files, annotations, |_| Ok(()))
    }

    /// [`Store::add`], calling `check` with each file's name and blob path
    /// once the blobs are written and before the version is named: an
    /// error from it (the stored bytes are not the ones that were signed)
    /// stores no version. Blobs it leaves are removed by [`Store::gc`].
    ///
    /// # Errors
    /// As [`Store::add`]; [`StoreError::Invalid`] with `check`'s reason.
    pub fn add_checked(
        &self,
        name: &str,
        files: &[FileLayer],
        annotations: BTreeMap<String, String>,
        check: impl FnOnce(&[(String, PathBuf)]) -> Result<(), String>,
    ) -> Result<Stored, StoreError> {
        let mut layers = Vec::with_capacity(files.len());
        let mut stored = Stored {
            manifest_digest: String::new(),
            files: Vec::with_capacity(files.len()),
            new_blobs: 0,
            new_bytes: 0,
            unchanged: false,
        };
        let mut seen = BTreeSet::new();
        for file in files {
            if !is_safe_relative_path(&file.name) || !seen.insert(file.name.as_str()) {
                return Err(invalid(
                    &file.path,
                    format!(
                        "`{}` cannot be stored: not a unique relative path",
                        file.name
                    ),
                ));
            }
        }
        // Copied (and hashed) in parallel, one file per thread at a time.
        let copied: Vec<(Option<tempfile::NamedTempFile>, String, u64)> = {
            use rayon::prelude::*;
            files
                .par_iter()
                .map(|file| self.copy_file(&file.path))
                .collect::<Result<_, _>>()?
        };
        let sizes: Vec<(String, u64)> = copied
            .iter()
            .map(|(_, hex, size)| (hex.clone(), *size))
            .collect();
        let fresh =
            self.persist_blobs(copied.into_iter().map(|(tmp, hex, _)| (tmp, hex)).collect())?;
        for ((file, (hex, size)), new) in files.iter().zip(sizes).zip(fresh) {
            let digest = format!("sha256:{hex}");
            if new {
                stored.new_blobs += 1;
                stored.new_bytes += size;
            }
            stored.files.push((
                file.name.clone(),
                digest.trim_start_matches("sha256:").to_owned(),
            ));
            layers.push(Descriptor {
                media_type: file.kind.media_type().to_owned(),
                digest,
                size,
                artifact_type: None,
                annotations: BTreeMap::from([(ANNOTATION_FILEPATH.to_owned(), file.name.clone())]),
            });
        }
        let blobs: Vec<(String, PathBuf)> = stored
            .files
            .iter()
            .map(|(name, hex)| (name.clone(), self.blob_path(hex)))
            .collect();
        check(&blobs).map_err(|reason| invalid(&self.root, reason))?;
        let (model_name, version) = name.rsplit_once(':').unwrap_or((name, ""));
        let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
        let config = serde_json::json!({
            "descriptor": {"name": model_name, "version": version},
            "config": {},
            "modelfs": {"type": "layers", "diffIds": diff_ids},
        });
        let config_bytes =
            serde_json::to_vec(&config).map_err(|e| invalid(&self.root, e.to_string()))?;
        let (config_digest, _) = self.put_bytes(&config_bytes)?;
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: MANIFEST_MEDIA_TYPE.to_owned(),
            artifact_type: Some(ARTIFACT_TYPE.to_owned()),
            config: Descriptor {
                media_type: CONFIG_MEDIA_TYPE.to_owned(),
                digest: config_digest,
                size: config_bytes.len() as u64,
                artifact_type: None,
                annotations: BTreeMap::new(),
            },
            layers,
            annotations,
        };
        let manifest_bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|e| invalid(&self.root, e.to_string()))?;
        let (manifest_digest, _) = self.put_bytes(&manifest_bytes)?;
        stored.manifest_digest.clone_from(&manifest_digest);

        let mut index = self.index()?;
        if let Some(existing) = index.manifests.iter().find(|d| {
            d.annotations
                .get(ANNOTATION_REF_NAME)
                .is_some_and(|n| n == name)
        }) {
            let existing_manifest = self.manifest(&existing.digest)?;
            let same_files = |m: &ImageManifest| -> Vec<(Option<String>, String)> {
                m.layers
                    .iter()
                    .map(|l| {
                        (
                            l.annotations.get(ANNOTATION_FILEPATH).cloned(),
                            l.digest.clone(),
                        )
                    })
                    .collect()
            };
            if same_files(&existing_manifest) == same_files(&manifest) {
                stored.manifest_digest.clone_from(&existing.digest);
                stored.unchanged = true;
                return Ok(stored);
            }
            return Err(StoreError::Exists {
                store: self.root.clone(),
                name: name.to_owned(),
                existing: existing_manifest
                    .annotations
                    .get(crate::ANNOTATION_ROOT_DIGEST)
                    .cloned()
                    .unwrap_or_else(|| existing.digest.clone()),
            });
        }
        index.manifests.push(Descriptor {
            media_type: MANIFEST_MEDIA_TYPE.to_owned(),
            digest: manifest_digest,
            size: manifest_bytes.len() as u64,
            artifact_type: Some(ARTIFACT_TYPE.to_owned()),
            annotations: BTreeMap::from([(ANNOTATION_REF_NAME.to_owned(), name.to_owned())]),
        });
        self.write_index(&index)?;
        Ok(stored)
    }

    /// Re-hashes every blob the index refers to (manifests, configs,
    /// layers): each that is missing or whose content is not the digest it
    /// is named by.
    ///
    /// # Errors
    /// A malformed index.
    pub fn verify_blobs(&self) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        let mut digests = BTreeSet::new();
        for d in self.index()?.manifests {
            digests.insert(d.digest.clone());
            match self.manifest(&d.digest) {
                Ok(m) => {
                    digests.insert(m.config.digest);
                    digests.extend(m.layers.into_iter().map(|l| l.digest));
                }
                Err(e) => problems.push(Problem {
                    path: self.blob(&d.digest).unwrap_or_else(|_| self.root.clone()),
                    reason: e.to_string(),
                }),
            }
        }
        for digest in digests {
            let path = match self.blob(&digest) {
                Ok(path) => path,
                Err(e) => {
                    problems.push(Problem {
                        path: self.root.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            match hash_file(&path) {
                Ok(actual) if format!("sha256:{actual}") == digest => {}
                Ok(actual) => problems.push(Problem {
                    path,
                    reason: format!("content is sha256:{actual}, not the {digest} it is named by"),
                }),
                Err(e) => problems.push(Problem {
                    path,
                    reason: format!("cannot read: {e}"),
                }),
            }
        }
        Ok(problems)
    }

    /// Removes the blobs no manifest in the index refers to (and temporary
    /// files of interrupted writes): the paths removed and their bytes.
    ///
    /// # Errors
    /// A malformed index or manifest (nothing is removed then), I/O.
    pub fn gc(&self) -> Result<(Vec<PathBuf>, u64), StoreError> {
        let mut keep = BTreeSet::new();
        for d in self.index()?.manifests {
            let manifest = self.manifest(&d.digest)?;
            keep.insert(d.digest);
            keep.insert(manifest.config.digest);
            keep.extend(manifest.layers.into_iter().map(|l| l.digest));
        }
        let dir = self.root.join("blobs/sha256");
        let mut removed = Vec::new();
        let mut bytes = 0;
        for entry in std::fs::read_dir(&dir).map_err(io("list", &dir))? {
            let entry = entry.map_err(io("list", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if keep.contains(&format!("sha256:{name}")) {
                continue;
            }
            let path = entry.path();
            bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
            std::fs::remove_file(&path).map_err(io("remove", &path))?;
            removed.push(path);
        }
        removed.sort();
        Ok((removed, bytes))
    }
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = modelseal_hash::open_regular(path, Links::Refuse)?;
    let mut hasher = Hasher::new(HashAlgorithm::Sha256);
    let mut buf = vec![0u8; CHUNK];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finalize().to_hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_normal_relative_paths_are_safe() {
        for ok in ["a", "a/b.safetensors", "dir/sub/x"] {
            assert!(is_safe_relative_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
            "a\0b",
            "a/.",
        ] {
            assert!(!is_safe_relative_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn digests_are_checked_before_they_become_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::create(&dir.path().join("s")).expect("store");
        for bad in ["sha256:../../../etc/passwd", "sha512:00", "sha256:ABC", ""] {
            assert!(store.blob(bad).is_err(), "{bad}");
        }
        assert!(store.blob(&format!("sha256:{}", "0".repeat(64))).is_ok());
    }

    #[test]
    fn identical_files_share_a_blob_and_a_taken_name_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.bin");
        let b = dir.path().join("b.bin");
        std::fs::write(&a, b"same").expect("w");
        std::fs::write(&b, b"other").expect("w");
        let store = Store::create(&dir.path().join("s")).expect("store");
        let first = store
            .add(
                "m:1",
                &[FileLayer::new("w.bin", &a, LayerKind::Weight)],
                BTreeMap::new(),
            )
            .expect("add");
        assert_eq!(first.new_blobs, 1);
        let second = store
            .add(
                "m:2",
                &[
                    FileLayer::new("w.bin", &a, LayerKind::Weight),
                    FileLayer::new("x.bin", &b, LayerKind::Weight),
                ],
                BTreeMap::new(),
            )
            .expect("add");
        assert_eq!(second.new_blobs, 1, "w.bin's blob is shared");
        let again = store
            .add(
                "m:1",
                &[FileLayer::new("w.bin", &a, LayerKind::Weight)],
                BTreeMap::new(),
            )
            .expect("same content, same name");
        assert!(again.unchanged);
        let taken = store.add(
            "m:1",
            &[FileLayer::new("w.bin", &b, LayerKind::Weight)],
            BTreeMap::new(),
        );
        assert!(matches!(taken, Err(StoreError::Exists { .. })), "{taken:?}");
        assert_eq!(store.list().expect("list").len(), 2);
        assert!(store.verify_blobs().expect("verify").is_empty());
        // The refused add left its config and manifest blobs (b.bin's blob
        // is m:2's): gc takes those two and nothing any version refers to.
        let (removed, _) = store.gc().expect("gc");
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert!(store.verify_blobs().expect("verify").is_empty());
        assert_eq!(store.list().expect("list").len(), 2);
    }

    #[test]
    fn a_changed_blob_is_found_and_an_orphan_collected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.bin");
        std::fs::write(&a, b"weights").expect("w");
        let store = Store::create(&dir.path().join("s")).expect("store");
        let stored = store
            .add(
                "m:1",
                &[FileLayer::new("w.bin", &a, LayerKind::Weight)],
                BTreeMap::new(),
            )
            .expect("add");
        let blob = store
            .blob(&format!("sha256:{}", stored.files[0].1))
            .expect("blob");
        std::fs::write(&blob, b"tampered").expect("tamper");
        let problems = store.verify_blobs().expect("verify");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, blob);
        let orphan = store
            .root()
            .join(format!("blobs/sha256/{}", "1".repeat(64)));
        std::fs::write(&orphan, b"x").expect("w");
        let (removed, _) = store.gc().expect("gc");
        assert_eq!(removed, [orphan]);
    }

    #[test]
    fn a_non_empty_directory_that_is_no_store_is_not_written_into() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("precious.txt"), b"x").expect("w");
        assert!(matches!(
            Store::create(dir.path()),
            Err(StoreError::Invalid { .. })
        ));
        assert!(!dir.path().join("oci-layout").exists());
    }
}
