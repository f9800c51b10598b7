//! The digest cache: hits, misses, and never trusting what it should not.

use std::fs;
use std::path::Path;

use super::*;
use crate::walk::{WalkOptions, walk};

fn files(root: &Path) -> Vec<ModelFile> {
    walk(root, &WalkOptions::default())
        .expect("walk")
        .files()
        .to_vec()
}

fn hash(root: &Path, cache: &mut DigestCache, method: Method) -> (Vec<Resource>, CacheStats) {
    hash_files_cached(
        &files(root),
        HashAlgorithm::Sha256,
        method,
        &HashOptions::default(),
        cache,
    )
    .expect("hash")
}

/// Pretends the cache was written long ago, so that nothing is racy.
fn age(cache: &mut DigestCache) {
    cache.written_ns = now_ns() + 10 * RACY_NS;
}

fn make_model() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a.bin"), vec![1u8; 5000]).expect("write");
    fs::write(dir.path().join("b.bin"), b"bbb").expect("write");
    fs::write(dir.path().join("empty"), b"").expect("write");
    dir
}

#[test]
fn unchanged_files_come_from_the_cache_and_changed_ones_are_hashed() {
    let model = make_model();
    let dir = tempfile::tempdir().expect("cache dir");
    let mut cache = DigestCache::open(dir.path(), model.path()).expect("open");
    let (first, stats) = hash(model.path(), &mut cache, Method::Files);
    assert_eq!(stats, CacheStats { hits: 0, misses: 3 });
    cache.save().expect("save");

    let mut cache = DigestCache::open(dir.path(), model.path()).expect("reopen");
    assert!(cache.discarded().is_none());
    // Just written: everything is racy and hashed again.
    let (_, stats) = hash(model.path(), &mut cache, Method::Files);
    assert_eq!(stats.hits, 0);
    age(&mut cache);
    let (again, stats) = hash(model.path(), &mut cache, Method::Files);
    assert_eq!(stats, CacheStats { hits: 3, misses: 0 });
    assert_eq!(again, first);

    fs::write(model.path().join("b.bin"), b"BBB").expect("write");
    let (changed, stats) = hash(model.path(), &mut cache, Method::Files);
    assert_eq!(stats, CacheStats { hits: 2, misses: 1 });
    let b = changed.iter().find(|r| r.name == "b.bin").expect("b");
    assert_eq!(b.digest, HashAlgorithm::Sha256.digest(b"BBB"));

    // Another algorithm or method is a miss, not a wrong answer.
    let (shards, stats) = hash(
        model.path(),
        &mut cache,
        Method::Shards { shard_size: 1000 },
    );
    assert_eq!(stats.hits, 0);
    assert_eq!(
        shards.len(),
        5 + 1,
        "five shards of a.bin, one of b.bin, none of empty"
    );
}

#[test]
fn restored_timestamps_do_not_fool_the_cache() {
    let model = make_model();
    let dir = tempfile::tempdir().expect("cache dir");
    let mut cache = DigestCache::open(dir.path(), model.path()).expect("open");
    hash(model.path(), &mut cache, Method::Files);
    age(&mut cache);
    // Same size, same mtime (restored), different content: ctime moves.
    let path = model.path().join("b.bin");
    let mtime = fs::metadata(&path)
        .expect("stat")
        .modified()
        .expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&path, b"xyz").expect("write");
    fs::File::options()
        .write(true)
        .open(&path)
        .expect("open")
        .set_modified(mtime)
        .expect("restore mtime");
    let (resources, stats) = hash(model.path(), &mut cache, Method::Files);
    assert_eq!(stats.misses, 1, "ctime changed, so b.bin is hashed again");
    let b = resources.iter().find(|r| r.name == "b.bin").expect("b");
    assert_eq!(b.digest, HashAlgorithm::Sha256.digest(b"xyz"));
}

#[test]
fn corrupt_and_foreign_caches_are_ignored() {
    let model = make_model();
    let other = make_model();
    let dir = tempfile::tempdir().expect("cache dir");
    let cache = DigestCache::open(dir.path(), model.path()).expect("open");
    let path = cache.path().to_owned();

    for (contents, why) in [
        (b"{ not json".to_vec(), "corrupt"),
        (
            br#"{"format":"other","version":1,"model":"x","written_ns":0,"entries":{}}"#.to_vec(),
            "format",
        ),
    ] {
        fs::write(&path, contents).expect("write");
        let cache = DigestCache::open(dir.path(), model.path()).expect("open");
        assert!(
            cache.discarded().is_some_and(|d| d.contains(why)),
            "{:?}",
            cache.discarded()
        );
        assert!(cache.entries.is_empty());
    }

    // Another model's cache copied over this one's file name.
    let mut theirs = DigestCache::open(dir.path(), other.path()).expect("open");
    hash(other.path(), &mut theirs, Method::Files);
    theirs.save().expect("save");
    fs::copy(theirs.path(), &path).expect("copy");
    let cache = DigestCache::open(dir.path(), model.path()).expect("open");
    assert!(
        cache
            .discarded()
            .is_some_and(|d| d.contains("another model"))
    );
}
