//! A digest cache: unchanged files are not hashed again.
//!
//! An entry is keyed by the file's model-relative name and its stat (size,
//! mtime and ctime in nanoseconds, inode, device) and holds the digests of
//! one algorithm and method. A stat cache can be fooled by someone who
//! restores a file's timestamps (ctime makes that harder, but root can
//! change the clock), so only convenience commands use it by default; a
//! verifier uses it only when asked.
//!
//! The cache lives in the user's cache directory, one JSON file per model
//! (named by the SHA-256 of the model's canonical path), written atomically.
//! A corrupt cache, a cache of another format version or of another model is
//! ignored and rebuilt, never trusted.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, HashAlgorithm};
use crate::engine::{HashOptions, Method, Resource, hash_files, shard_name};
use crate::error::{Error, io_error};
use crate::walk::ModelFile;

/// The environment variable naming the cache directory.
pub const CACHE_DIR_ENV: &str = "MODELSEAL_CACHE_DIR";

const FORMAT: &str = "modelseal-digest-cache";
const VERSION: u32 = 1;
/// The largest cache file read: beyond it the cache is discarded.
const MAX_CACHE_FILE: u64 = 256 << 20;
/// Files changed this close to the cache's last write are hashed again: a
/// change within the timestamps' granularity could otherwise go unseen
/// (git's "racy" entries).
const RACY_NS: i128 = 2_000_000_000;

/// What identifies an unchanged file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct StatKey {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
    dev: u64,
}

impl StatKey {
    fn of(path: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::MetadataExt;
        let m = fs::metadata(path)?;
        let ns = |secs: i64, nsecs: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsecs);
        Ok(Self {
            size: m.len(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
            ino: m.ino(),
            dev: m.dev(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    stat: StatKey,
    algorithm: String,
    /// `files`, or `shards:SIZE`.
    method: String,
    /// `(start, end, hex digest)` per resource of the file.
    digests: Vec<(u64, u64, String)>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    format: String,
    version: u32,
    model: String,
    written_ns: i128,
    entries: BTreeMap<String, Entry>,
}

/// How a cached hashing run went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files whose digests came from the cache.
    pub hits: usize,
    /// Files hashed.
    pub misses: usize,
}

/// A model's digest cache. See the module documentation.
#[derive(Debug)]
pub struct DigestCache {
    file: PathBuf,
    model: String,
    written_ns: i128,
    entries: BTreeMap<String, Entry>,
    discarded: Option<String>,
    /// Whether entries changed since the cache was loaded or saved.
    dirty: bool,
}

impl DigestCache {
    /// The default cache directory: `$MODELSEAL_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/modelseal`, else `$HOME/.cache/modelseal`.
    pub fn default_dir() -> Option<PathBuf> {
        let from = |var: &str| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        from(CACHE_DIR_ENV)
            .or_else(|| from("XDG_CACHE_HOME").map(|d| d.join("modelseal")))
            .or_else(|| from("HOME").map(|d| d.join(".cache/modelseal")))
    }

    /// Opens the cache of the model at `model` in `dir` (see
    /// [`DigestCache::default_dir`]). Never fails: a missing, corrupt or
    /// foreign cache starts empty, and [`DigestCache::discarded`] says why.
    ///
    /// # Errors
    /// Only when the model path cannot be resolved.
    pub fn open(dir: &Path, model: &Path) -> Result<Self, Error> {
        let canonical = fs::canonicalize(model).map_err(|e| io_error(model, e))?;
        let model_key = canonical.to_string_lossy().into_owned();
        let name = crate::HashAlgorithm::Sha256
            .digest(model_key.as_bytes())
            .to_hex();
        let file = dir.join(format!("{name}.json"));
        let mut cache = Self {
            file,
            model: model_key,
            written_ns: 0,
            entries: BTreeMap::new(),
            discarded: None,
            dirty: false,
        };
        match cache.load() {
            Ok(Some(loaded)) => {
                cache.written_ns = loaded.written_ns;
                cache.entries = loaded.entries;
            }
            Ok(None) => {}
            Err(why) => cache.discarded = Some(why),
        }
        Ok(cache)
    }

    fn load(&self) -> Result<Option<CacheFile>, String> {
        let meta = match fs::metadata(&self.file) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read `{}`: {e}", self.file.display())),
        };
        if meta.len() > MAX_CACHE_FILE {
            return Err(format!("`{}` is too large", self.file.display()));
        }
        // A FIFO planted in a shared cache folder must not hang the reader.
        let bytes = crate::read_regular(&self.file, crate::Links::Refuse, MAX_CACHE_FILE)
            .map_err(|e| format!("cannot read `{}`: {e}", self.file.display()))?;
        let loaded: CacheFile = serde_json::from_slice(&bytes)
            .map_err(|e| format!("`{}` is corrupt: {e}", self.file.display()))?;
        if loaded.format != FORMAT || loaded.version != VERSION {
            return Err(format!(
                "`{}` is of another format or version",
                self.file.display()
            ));
        }
        if loaded.model != self.model {
            return Err(format!(
                "`{}` belongs to another model",
                self.file.display()
            ));
        }
        Ok(Some(loaded))
    }

    /// Forgets every entry, so that the next [`hash_model_cached`] hashes
    /// every file and records what it found: for a caller that must not
    /// trust the cache (a full `sign`) but wants to leave it filled.
    pub fn clear(&mut self) {
        self.dirty = self.dirty || !self.entries.is_empty();
        self.entries.clear();
    }

    /// Why an existing cache file was ignored, if it was.
    pub fn discarded(&self) -> Option<&str> {
        self.discarded.as_deref()
    }

    /// The cache file's path.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Writes the cache atomically (a temporary file renamed over the old
    /// one), creating the directory if needed; nothing when no entry
    /// changed. The file is not synced to disk: a cache lost in a crash is
    /// only rebuilt.
    ///
    /// # Errors
    /// I/O errors naming the cache file.
    pub fn save(&mut self) -> Result<(), Error> {
        if !self.dirty {
            return Ok(());
        }
        let dir = self.file.parent().unwrap_or(Path::new("."));
        // Private: the cache says which files are trusted unchanged.
        {
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io_error(dir, e))?;
        }
        self.written_ns = now_ns();
        let contents = CacheFile {
            format: FORMAT.to_owned(),
            version: VERSION,
            model: self.model.clone(),
            written_ns: self.written_ns,
            entries: self.entries.clone(),
        };
        let json = serde_json::to_vec(&contents).map_err(|e| io_error(&self.file, e.into()))?;
        // A fresh, unpredictable name created with O_CREAT | O_EXCL (mode
        // 0600) by `tempfile`: a link planted in a shared cache folder under
        // a guessable name (`…json.<pid>.tmp`) made this write through it.
        // The rename replaces a link at the final name, never follows it.
        let write = || -> std::io::Result<()> {
            let mut temp = tempfile::Builder::new()
                .prefix(".modelseal-cache-")
                .tempfile_in(dir)?;
            temp.write_all(&json)?;
            temp.persist(&self.file).map_err(|e| e.error)?;
            Ok(())
        };
        write().map_err(|e| io_error(&self.file, e))?;
        self.dirty = false;
        Ok(())
    }

    /// The cached resources of `file`, if its stat, algorithm and method
    /// still match and it did not change too close to the last write.
    fn lookup(
        &self,
        file: &ModelFile,
        stat: &StatKey,
        algorithm: HashAlgorithm,
        method: Method,
    ) -> Option<Vec<Resource>> {
        let entry = self.entries.get(&file.name)?;
        let racy = |t: i128| t >= self.written_ns - RACY_NS;
        if entry.stat != *stat
            || entry.algorithm != algorithm.name()
            || entry.method != method_key(method)
            || racy(stat.mtime_ns)
            || racy(stat.ctime_ns)
        {
            return None;
        }
        entry
            .digests
            .iter()
            .map(|(start, end, hex)| {
                let digest: Digest = hex.parse().ok()?;
                let name = match method {
                    Method::Files => file.name.clone(),
                    Method::Shards { .. } => shard_name(&file.name, *start, *end),
                };
                Some(Resource {
                    name,
                    algorithm,
                    digest,
                    size: end.checked_sub(*start)?,
                })
            })
            .collect()
    }
}

fn method_key(method: Method) -> String {
    match method {
        Method::Files => "files".to_owned(),
        Method::Shards { shard_size } => format!("shards:{shard_size}"),
    }
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
        .unwrap_or(0)
}

/// [`hash_files`] through a [`DigestCache`]: files whose stat is unchanged
/// take their digests from the cache, the rest are hashed (in parallel, as
/// usual) and recorded. Resources come back sorted by name. The caller
/// saves the cache.
///
/// # Errors
/// As [`hash_files`].
pub fn hash_files_cached(
    files: &[ModelFile],
    algorithm: HashAlgorithm,
    method: Method,
    options: &HashOptions,
    cache: &mut DigestCache,
) -> Result<(Vec<Resource>, CacheStats), Error> {
    let mut resources = Vec::new();
    let mut misses = Vec::new();
    let mut stats = Vec::new();
    for file in files {
        let stat = StatKey::of(file.content_path()).map_err(|e| io_error(&file.path, e))?;
        match cache.lookup(file, &stat, algorithm, method) {
            Some(cached) => resources.extend(cached),
            None => {
                misses.push(file.clone());
                stats.push(stat);
            }
        }
    }
    let counts = CacheStats {
        hits: files.len() - misses.len(),
        misses: misses.len(),
    };
    if !misses.is_empty() {
        cache.dirty = true;
        let hashed = hash_files(&misses, algorithm, method, options)?;
        let mut by_file: BTreeMap<&str, Vec<(u64, u64, String)>> = BTreeMap::new();
        for r in &hashed {
            let (file, start, end) = split_resource(&r.name, method, r.size);
            by_file
                .entry(file)
                .or_default()
                .push((start, end, r.digest.to_hex()));
        }
        for (file, stat) in misses.iter().zip(stats) {
            // An empty file has no shard, and so an empty list.
            let digests = by_file.remove(file.name.as_str()).unwrap_or_default();
            cache.entries.insert(
                file.name.clone(),
                Entry {
                    stat,
                    algorithm: algorithm.name().to_owned(),
                    method: method_key(method),
                    digests,
                },
            );
        }
        resources.extend(hashed);
    }
    resources.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((resources, counts))
}

/// [`crate::hash_model`] through a [`DigestCache`].
///
/// # Errors
/// As [`crate::hash_model`].
pub fn hash_model_cached(
    model: &crate::Model,
    options: &HashOptions,
    cache: &mut DigestCache,
) -> Result<(crate::Manifest, CacheStats), Error> {
    let method = options.method.unwrap_or(Method::Files);
    if method == (Method::Shards { shard_size: 0 }) {
        return Err(Error::InvalidShardSize);
    }
    let (resources, stats) =
        hash_files_cached(model.files(), options.algorithm, method, options, cache)?;
    Ok((
        crate::engine::manifest_of(model, options.algorithm, method, resources),
        stats,
    ))
}

/// A resource's file and byte range: the whole file for the files method,
/// the range in its `path:start:end` name for shards.
fn split_resource(name: &str, method: Method, size: u64) -> (&str, u64, u64) {
    match method {
        Method::Files => (name, 0, size),
        Method::Shards { .. } => crate::parse_shard_name(name).unwrap_or((name, 0, size)),
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
