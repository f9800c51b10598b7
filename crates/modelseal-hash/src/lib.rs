//! Walk a machine-learning model and hash it, fast and with bounded memory.
//!
//! This crate is modelseal's foundation: it enumerates a model (a directory
//! tree or one file) by the OpenSSF Model Signing (OMS) v1.0 rules and hashes
//! it in parallel into a [`Manifest`] of per-file (or per-shard) digests and
//! a root digest. Signing and verification build on it.
//!
//! Which type for what:
//! - [`walk`] with [`WalkOptions`] gives a [`Model`]: its files in canonical
//!   order and the exclusions that applied.
//! - [`hash_model`] with [`HashOptions`] gives a [`Manifest`] of
//!   [`Resource`]s and the root [`Digest`]; [`hash_path`] does both steps.
//! - [`HashAlgorithm`] names SHA-256 (default), BLAKE3 and BLAKE2b-512;
//!   [`Method`] chooses whole files or fixed-size shards.
//! - [`Hasher`] hashes a stream incrementally with any algorithm.
//! - [`DigestCache`] with [`hash_files_cached`] skips files whose stat has
//!   not changed since they were last hashed.
//! - [`Error`] names the path behind every failure.
//!
//! ```
//! use modelseal_hash::{hash_path, HashOptions, WalkOptions};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("config.json"), b"{}\n")?;
//! std::fs::create_dir(dir.path().join("weights"))?;
//! std::fs::write(dir.path().join("weights/model.bin"), [0u8; 1000])?;
//!
//! let manifest = hash_path(dir.path(), &WalkOptions::default(), &HashOptions::default())?;
//! let names: Vec<_> = manifest.resources.iter().map(|r| r.name.as_str()).collect();
//! assert_eq!(names, ["config.json", "weights/model.bin"]);
//! println!("root digest: {}", manifest.root_digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod cache;
mod digest;
mod engine;
mod error;
mod mmap;
mod open;
mod walk;

pub use cache::{CACHE_DIR_ENV, CacheStats, DigestCache, hash_files_cached, hash_model_cached};
pub use digest::{Digest, DigestJson, HashAlgorithm, InvalidDigest, UnknownAlgorithm, digest_json};
pub use engine::{
    DEFAULT_SHARD_SIZE, HashOptions, Hasher, Manifest, Method, ProgressFn, Resource, Serialization,
    hash_files, hash_model, parse_shard_name, shard_name,
};
pub use error::Error;
pub use open::{Links, open_regular, open_regular_stat, open_regular_with, read_regular};
pub use walk::{
    DEFAULT_IGNORES, HF_DOWNLOAD_CACHE, Model, ModelFile, ModelKind, WalkOptions, hub_cache_repo,
    model_relative_name, walk,
};

/// Walks the model at `path` and hashes it: [`walk`] then [`hash_model`].
///
/// ```
/// use modelseal_hash::{hash_path, HashAlgorithm, HashOptions, Method, WalkOptions};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("weights.bin"), vec![7u8; 2500])?;
/// let options = HashOptions {
///     algorithm: HashAlgorithm::Blake3,
///     method: Some(Method::Shards { shard_size: 1000 }),
///     ..HashOptions::default()
/// };
/// let manifest = hash_path(dir.path(), &WalkOptions::default(), &options)?;
/// let names: Vec<_> = manifest.resources.iter().map(|r| r.name.as_str()).collect();
/// assert_eq!(names, ["weights.bin:0:1000", "weights.bin:1000:2000", "weights.bin:2000:2500"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// See [`walk`] and [`hash_model`].
pub fn hash_path(
    path: &std::path::Path,
    walk_options: &WalkOptions,
    options: &HashOptions,
) -> Result<Manifest, Error> {
    let model = walk(path, walk_options)?;
    hash_model(&model, options)
}
