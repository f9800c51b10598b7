//! The parallel hashing engine.
//!
//! Work is split into units (a whole file for the `files` method, one byte
//! range for `shards`), sorted largest first and pulled by one worker per
//! thread from a shared counter: the longest units start first, so both
//! cores stay busy to the end whatever the model's shape. Large units are
//! read through memory-mapped windows; BLAKE3 additionally splits each window
//! across threads, so one huge file still uses every core.

use std::fmt;
use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use blake2::Digest as _;

use crate::digest::{Digest, HashAlgorithm};
use crate::error::{Error, io_error};
use crate::walk::{Model, ModelFile};

/// The shard size OMS recommends and modelseal uses by default: 10⁹ bytes.
pub const DEFAULT_SHARD_SIZE: u64 = 1_000_000_000;

/// Units at least this long are read through mapped windows; shorter ones
/// with `read` into a reused buffer, which is cheaper for small files.
const MMAP_THRESHOLD: u64 = 4 << 20;
/// One mapped window. With one window per worker this bounds the mapped
/// part of the resident set to `threads × WINDOW`.
const WINDOW: u64 = 16 << 20;
/// The buffer each worker reads small files into.
const READ_BUFFER: usize = 256 << 10;

/// How a model's files are turned into resources (OMS `serialization.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One digest per file.
    Files,
    /// One digest per byte range of `shard_size` bytes; resources are named
    /// `path:start:end` (end exclusive) and empty files give none.
    Shards {
        /// The range length in bytes, at least 1.
        shard_size: u64,
    },
}

impl Method {
    /// The OMS name: `files` or `shards`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Files => "files",
            Method::Shards { .. } => "shards",
        }
    }
}

/// The parameters that reproduce a manifest: what OMS records as
/// `serialization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serialization {
    /// Files or shards.
    pub method: Method,
    /// The hash algorithm of every resource digest.
    pub hash_type: HashAlgorithm,
    /// Whether symbolic links inside the model were followed.
    pub allow_symlinks: bool,
    /// The exclusions, model-relative, sorted.
    pub ignore_paths: Vec<String>,
}

/// One entry of a manifest: a file, or a byte range of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The resource name: the file's relative path, or `path:start:end`.
    pub name: String,
    /// The algorithm of `digest`.
    pub algorithm: HashAlgorithm,
    /// The digest of the content.
    pub digest: Digest,
    /// How many bytes the digest covers.
    pub size: u64,
}

/// A model's manifest: every resource in canonical order and the root digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// How the resources were produced.
    pub serialization: Serialization,
    /// The resources, sorted by name in Unicode code point order.
    pub resources: Vec<Resource>,
    /// SHA-256 over the concatenated raw resource digests (the OMS subject
    /// digest).
    pub root_digest: Digest,
}

impl Manifest {
    /// The OMS root digest of resources in the given order: SHA-256 over the
    /// concatenation of their raw digests, whatever their algorithm.
    pub fn root_digest_of<'a>(digests: impl IntoIterator<Item = &'a Digest>) -> Digest {
        let mut hasher = sha2::Sha256::new();
        for digest in digests {
            hasher.update(digest.as_bytes());
        }
        Digest::from_bytes(&hasher.finalize()).expect("SHA-256 output is 32 bytes")
    }

    /// The manifest digest of this manifest ([`Manifest::manifest_digest_of`]).
    pub fn manifest_digest(&self) -> Digest {
        Self::manifest_digest_of(
            self.serialization.method,
            self.resources
                .iter()
                .map(|r| (r.name.as_str(), r.algorithm, &r.digest)),
        )
    }

    /// The manifest digest: SHA-256 over the canonical JSON (RFC 8785) of
    /// the method and every resource's name, algorithm and digest, sorted
    /// by name (Unicode code point order):
    ///
    /// ```text
    /// {"method":"files","resources":[{"algorithm":"sha256","digest":"<hex>","name":"config.json"},…]}
    /// ```
    ///
    /// Unlike the root digest, which covers the digests in order but no
    /// names, it changes when a file is renamed or two files swap contents:
    /// `{a: A, b: B}` and `{a: B, c: A}` differ. Attestations bind to it.
    pub fn manifest_digest_of<'a>(
        method: Method,
        resources: impl IntoIterator<Item = (&'a str, HashAlgorithm, &'a Digest)>,
    ) -> Digest {
        // Fields in code point order, strings only: serde_json's compact
        // output is then the RFC 8785 form (it escapes `"`, `\` and control
        // characters exactly as RFC 8785 does, and nothing else).
        #[derive(serde::Serialize)]
        struct Canonical<'a> {
            method: &'static str,
            resources: Vec<CanonicalResource<'a>>,
        }
        #[derive(serde::Serialize)]
        struct CanonicalResource<'a> {
            algorithm: &'static str,
            digest: String,
            name: &'a str,
        }
        let mut resources: Vec<CanonicalResource<'a>> = resources
            .into_iter()
            .map(|(name, algorithm, digest)| CanonicalResource {
                algorithm: algorithm.name(),
                digest: digest.to_hex(),
                name,
            })
            .collect();
        resources.sort_by(|a, b| a.name.cmp(b.name));
        let canonical = Canonical {
            method: method.name(),
            resources,
        };
        // A struct of strings always serialises.
        let json = serde_json::to_vec(&canonical).unwrap_or_default();
        Digest::from_bytes(&sha2::Sha256::digest(&json)).expect("SHA-256 output is 32 bytes")
    }

    /// Total bytes covered by the resources.
    pub fn total_size(&self) -> u64 {
        self.resources.iter().map(|r| r.size).sum()
    }
}

/// The name of a shard resource: `path:start:end`, end exclusive.
pub fn shard_name(path: &str, start: u64, end: u64) -> String {
    format!("{path}:{start}:{end}")
}

/// Splits a shard resource name into its path and byte range, using the last
/// two colons (paths may contain colons). `None` unless both offsets are
/// decimal integers with `start <= end`.
pub fn parse_shard_name(name: &str) -> Option<(&str, u64, u64)> {
    let (rest, end) = name.rsplit_once(':')?;
    let (path, start) = rest.rsplit_once(':')?;
    let decimal = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (start, end) = (decimal(start)?, decimal(end)?);
    (!path.is_empty() && start <= end).then_some((path, start, end))
}

/// A progress callback: called with the number of bytes just hashed.
pub type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

/// Options for [`hash_model`].
#[derive(Clone, Default)]
pub struct HashOptions {
    /// The hash algorithm; SHA-256 by default.
    pub algorithm: HashAlgorithm,
    /// Files (the default) or shards.
    pub method: Option<Method>,
    /// Worker threads; `None` uses rayon's global pool, which honours
    /// `RAYON_NUM_THREADS` and otherwise uses every core.
    pub threads: Option<usize>,
    /// Called from worker threads as bytes are hashed.
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for HashOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashOptions")
            .field("algorithm", &self.algorithm)
            .field("method", &self.method)
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// One piece of work: a byte range of one file.
struct Unit {
    file: usize,
    start: u64,
    end: u64,
}

/// Hashes a walked model into its manifest.
///
/// # Errors
/// [`Error::InvalidShardSize`] for a zero shard size; otherwise the files
/// that could not be read or changed while being read, every one of them
/// (as [`Error::Many`] when there is more than one).
pub fn hash_model(model: &Model, options: &HashOptions) -> Result<Manifest, Error> {
    let method = options.method.unwrap_or(Method::Files);
    let resources = hash_files(model.files(), options.algorithm, method, options)?;
    Ok(manifest_of(model, options.algorithm, method, resources))
}

/// A walked model's manifest from its resources (sorted by name).
pub(crate) fn manifest_of(
    model: &Model,
    algorithm: HashAlgorithm,
    method: Method,
    resources: Vec<Resource>,
) -> Manifest {
    let root_digest = Manifest::root_digest_of(resources.iter().map(|r| &r.digest));
    Manifest {
        serialization: Serialization {
            method,
            hash_type: algorithm,
            allow_symlinks: model.allow_symlinks(),
            ignore_paths: model.ignore_paths().to_vec(),
        },
        resources,
        root_digest,
    }
}

/// Hashes a list of files into resources sorted by name. This is the engine
/// under [`hash_model`], for callers that choose the files themselves.
///
/// # Errors
/// As [`hash_model`].
pub fn hash_files(
    files: &[ModelFile],
    algorithm: HashAlgorithm,
    method: Method,
    options: &HashOptions,
) -> Result<Vec<Resource>, Error> {
    let units = plan(files, method)?;
    let outcomes = run_in_pool(options.threads, || {
        run_units(files, &units, algorithm, options)
    })?;

    let mut errors = Vec::new();
    let mut resources = Vec::with_capacity(units.len());
    for (unit, outcome) in units.iter().zip(outcomes) {
        match outcome {
            Ok(digest) => {
                let file = &files[unit.file];
                let name = match method {
                    Method::Files => file.name.clone(),
                    Method::Shards { .. } => shard_name(&file.name, unit.start, unit.end),
                };
                resources.push(Resource {
                    name,
                    algorithm,
                    digest,
                    size: unit.end - unit.start,
                });
            }
            Err(error) => errors.push(error),
        }
    }
    match errors.len() {
        0 => {
            resources.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(resources)
        }
        1 => Err(errors.remove(0)),
        _ => Err(Error::Many(errors)),
    }
}

fn plan(files: &[ModelFile], method: Method) -> Result<Vec<Unit>, Error> {
    let mut units = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        match method {
            Method::Files => units.push(Unit {
                file: index,
                start: 0,
                end: file.size,
            }),
            Method::Shards { shard_size: 0 } => return Err(Error::InvalidShardSize),
            Method::Shards { shard_size } => {
                let mut start = 0;
                while start < file.size {
                    let end = file.size.min(start.saturating_add(shard_size));
                    units.push(Unit {
                        file: index,
                        start,
                        end,
                    });
                    start = end;
                }
            }
        }
    }
    Ok(units)
}

fn run_in_pool<T: Send>(
    threads: Option<usize>,
    job: impl FnOnce() -> T + Send,
) -> Result<T, Error> {
    match threads {
        None => Ok(job()),
        Some(threads) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("modelseal-hash-{i}"))
                .build()
                .map_err(|source| Error::ThreadPool { threads, source })?;
            Ok(pool.install(job))
        }
    }
}

/// Runs every unit on every thread of the current pool, longest first, and
/// returns the outcomes in the units' own order.
fn run_units(
    files: &[ModelFile],
    units: &[Unit],
    algorithm: HashAlgorithm,
    options: &HashOptions,
) -> Vec<Result<Digest, Error>> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(units[i].end - units[i].start));
    let next = AtomicUsize::new(0);

    let per_worker = rayon::broadcast(|_| {
        let mut done = Vec::new();
        let mut buffer = Vec::new();
        loop {
            let taken = next.fetch_add(1, Ordering::Relaxed);
            let Some(&index) = order.get(taken) else {
                break;
            };
            let unit = &units[index];
            let outcome = hash_unit(&files[unit.file], unit, algorithm, &mut buffer, options);
            done.push((index, outcome));
        }
        done
    });

    let mut outcomes: Vec<Option<Result<Digest, Error>>> = (0..units.len()).map(|_| None).collect();
    for (index, outcome) in per_worker.into_iter().flatten() {
        outcomes[index] = Some(outcome);
    }
    outcomes
        .into_iter()
        .map(|o| o.expect("every unit is taken by exactly one worker"))
        .collect()
}

fn hash_unit(
    file: &ModelFile,
    unit: &Unit,
    algorithm: HashAlgorithm,
    buffer: &mut Vec<u8>,
    options: &HashOptions,
) -> Result<Digest, Error> {
    let path = file.content_path();
    // The walk saw a regular file; it may have been swapped for a FIFO or
    // a link since. The content path is already resolved: refuse links.
    let (handle, before) = crate::open_regular_stat(
        path,
        std::fs::OpenOptions::new().read(true),
        crate::Links::Refuse,
    )
    .map_err(|e| io_error(&file.path, e))?;
    let size = before.len();
    if size != file.size {
        return Err(Error::FileChanged {
            path: file.path.clone(),
            expected: file.size,
            found: size,
        });
    }
    let mut hasher = Hasher::new(algorithm);
    let progress = |n: u64| {
        if let Some(progress) = &options.progress {
            progress(n);
        }
    };
    let len = unit.end - unit.start;
    // A file the system cannot map at all is read instead; a failure once
    // hashing through the map has begun is an error (a fallback would count
    // the progress twice and hide what went wrong).
    let mapped = len >= MMAP_THRESHOLD
        && hash_mapped(&handle, unit, &mut hasher, &progress)
            .map_err(|e| io_error(&file.path, e))?;
    if !mapped {
        // Small units, and any file the system cannot map, are read.
        hasher = Hasher::new(algorithm);
        hash_read(&handle, file, unit, &mut hasher, buffer, &progress)?;
    } else {
        // Read in one go or a few reads, a small unit checks growth itself
        // (the probe byte in `hash_read`); a mapped one takes long enough to
        // check size and identity after.
        check_unchanged(file, &handle, &before)?;
    }
    Ok(hasher.finalize())
}

/// After hashing a mapped unit: the file must still be the size the walk
/// saw (a file appended to while it was hashed was accepted, since only
/// the signed range was read), and the path must still name the file that
/// was read (same device and inode), so that what a loader opens next is
/// what was hashed. A path swapped after this is the time-of-use gap no
/// check closes (docs/threat-model.md).
fn check_unchanged(
    file: &ModelFile,
    handle: &File,
    before: &std::fs::Metadata,
) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    let after = handle.metadata().map_err(|e| io_error(&file.path, e))?;
    if after.len() != file.size {
        return Err(Error::FileChanged {
            path: file.path.clone(),
            expected: file.size,
            found: after.len(),
        });
    }
    let now = std::fs::metadata(file.content_path()).map_err(|e| io_error(&file.path, e))?;
    if (now.dev(), now.ino()) != (before.dev(), before.ino()) {
        return Err(Error::FileReplaced {
            path: file.path.clone(),
        });
    }
    Ok(())
}

/// Hashes `unit` through mapped windows: `Ok(false)` when its first window
/// cannot be mapped (nothing hashed yet: the caller reads instead).
fn hash_mapped(
    handle: &File,
    unit: &Unit,
    hasher: &mut Hasher,
    progress: &impl Fn(u64),
) -> std::io::Result<bool> {
    let window_len = |offset: u64| (unit.end - offset).min(WINDOW);
    let to_usize = |n: u64| usize::try_from(n).map_err(std::io::Error::other);
    let mut offset = unit.start;
    let Ok(mut current) = crate::mmap::map_window(handle, offset, to_usize(window_len(offset))?)
    else {
        return Ok(false);
    };
    loop {
        let next_offset = offset + window_len(offset);
        let next = if next_offset < unit.end {
            let map =
                crate::mmap::map_window(handle, next_offset, to_usize(window_len(next_offset))?)?;
            crate::mmap::prefetch(&map);
            Some(map)
        } else {
            None
        };
        // BLAKE3 splits each window across idle threads (so one huge file
        // still uses every core); when all are busy it runs inline.
        hasher.update_parallel(&current);
        progress(current.len() as u64);
        match next {
            Some(map) => {
                current = map;
                offset = next_offset;
            }
            None => return Ok(true),
        }
    }
}

fn hash_read(
    handle: &File,
    file: &ModelFile,
    unit: &Unit,
    hasher: &mut Hasher,
    buffer: &mut Vec<u8>,
    progress: &impl Fn(u64),
) -> Result<(), Error> {
    use std::os::unix::fs::FileExt;

    if buffer.is_empty() {
        buffer.resize(READ_BUFFER, 0);
    }
    let mut offset = unit.start;
    while offset < unit.end {
        let want =
            usize::try_from((unit.end - offset).min(buffer.len() as u64)).unwrap_or(buffer.len());
        // The file's last read asks for one byte more: getting it means the
        // file grew while it was hashed, found at no extra system call.
        let probe = usize::from(unit.end == file.size && want < buffer.len());
        let n = match handle.read_at(&mut buffer[..want + probe], offset) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(&file.path, e)),
        };
        if n == 0 {
            return Err(Error::FileChanged {
                path: file.path.clone(),
                expected: file.size,
                found: offset,
            });
        }
        if n > want {
            return Err(Error::FileChanged {
                path: file.path.clone(),
                expected: file.size,
                found: offset + n as u64,
            });
        }
        hasher.update(&buffer[..n]);
        progress(n as u64);
        offset += n as u64;
    }
    Ok(())
}

/// An incremental hasher for any [`HashAlgorithm`].
///
/// ```
/// use modelseal_hash::{HashAlgorithm, Hasher};
///
/// let mut hasher = Hasher::new(HashAlgorithm::Sha256);
/// hasher.update(b"hello ");
/// hasher.update(b"world");
/// assert_eq!(hasher.finalize(), HashAlgorithm::Sha256.digest(b"hello world"));
/// ```
#[derive(Clone)]
pub struct Hasher(HasherState);

#[derive(Clone)]
enum HasherState {
    Sha256(sha2::Sha256),
    Blake3(Box<blake3::Hasher>),
    Blake2b(blake2::Blake2b512),
}

impl Hasher {
    /// A new hasher for `algorithm`.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        Self(match algorithm {
            HashAlgorithm::Sha256 => HasherState::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Blake3 => HasherState::Blake3(Box::new(blake3::Hasher::new())),
            HashAlgorithm::Blake2b => HasherState::Blake2b(blake2::Blake2b512::new()),
        })
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            HasherState::Sha256(h) => h.update(data),
            HasherState::Blake3(h) => {
                h.update(data);
            }
            HasherState::Blake2b(h) => h.update(data),
        }
    }

    /// Feeds bytes, splitting the work across the current rayon pool where
    /// the algorithm allows it (BLAKE3); otherwise the same as [`update`].
    ///
    /// [`update`]: Hasher::update
    pub fn update_parallel(&mut self, data: &[u8]) {
        match &mut self.0 {
            HasherState::Blake3(h) => {
                h.update_rayon(data);
            }
            _ => self.update(data),
        }
    }

    /// The digest of everything fed.
    pub fn finalize(self) -> Digest {
        let digest = match self.0 {
            HasherState::Sha256(h) => Digest::from_bytes(&h.finalize()),
            HasherState::Blake3(h) => Digest::from_bytes(h.finalize().as_bytes()),
            HasherState::Blake2b(h) => Digest::from_bytes(&h.finalize()),
        };
        digest.expect("supported algorithms produce 32- or 64-byte digests")
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let algorithm = match self.0 {
            HasherState::Sha256(_) => HashAlgorithm::Sha256,
            HasherState::Blake3(_) => HashAlgorithm::Blake3,
            HasherState::Blake2b(_) => HashAlgorithm::Blake2b,
        };
        f.debug_tuple("Hasher").field(&algorithm).finish()
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
