//! A known-good store of signed models as an OCI image layout.
//!
//! The store is a directory in the OCI image layout format (`oci-layout`,
//! `index.json`, `blobs/sha256/HEX`), so the tools that move OCI artefacts
//! (ORAS, registries, container runtimes) read it as it is. Each stored
//! version is one OCI image manifest of artifact type
//! [`ARTIFACT_TYPE`] (CNCF ModelPack): a config blob, one layer per model
//! file (annotated with its path, [`ANNOTATION_FILEPATH`]; identical files
//! share a blob across versions), and the signature and attestations as
//! layers of their own media types. The index names each version
//! `NAME:VERSION` ([`ANNOTATION_REF_NAME`]).
//!
//! This crate only stores and checks bytes: a blob is named by the SHA-256
//! of its content, and [`Store::verify_blobs`] re-hashes every one. Whether
//! a model may be stored, and whether what is restored verifies, is
//! `modelseal`'s business (signatures, trust).
//!
//! ```
//! use modelseal_store::{FileLayer, LayerKind, Store};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("model.bin"), b"weights")?;
//! let store = Store::create(&dir.path().join("store"))?;
//! let layers = vec![FileLayer::new("model.bin", &dir.path().join("model.bin"), LayerKind::Weight)];
//! let stored = store.add("demo:1", &layers, Default::default())?;
//! assert_eq!(store.list()?[0].name, "demo:1");
//! assert!(store.verify_blobs()?.is_empty());
//! assert_eq!(stored.files[0].0, "model.bin");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod layout;
mod oci;

pub use layout::{
    FileLayer, LayerKind, Problem, Store, StoreError, Stored, Version, is_safe_relative_path,
};
pub use oci::{Descriptor, INDEX_MEDIA_TYPE, ImageIndex, ImageManifest, MANIFEST_MEDIA_TYPE};

/// The artifact type of a stored version (CNCF ModelPack).
pub const ARTIFACT_TYPE: &str = "application/vnd.cncf.model.manifest.v1+json";
/// The config blob's media type (CNCF ModelPack).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.model.config.v1+json";
/// The layer annotation holding a file's model-relative path (ModelPack).
pub const ANNOTATION_FILEPATH: &str = "org.cncf.model.filepath";
/// The index annotation naming a version (`NAME:VERSION`), as in the OCI
/// image layout.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The manifest annotation holding the signed root digest.
pub const ANNOTATION_ROOT_DIGEST: &str = "dev.modelseal.root-digest";
/// The manifest annotation holding when the version was stored (RFC 3339).
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
