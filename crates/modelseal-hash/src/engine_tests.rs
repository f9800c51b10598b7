//! The engine against a straightforward sequential reference, and against
//! known answers recorded in `fixtures/kat/digests.json` by independent tools.

// Test byte patterns wrap on purpose; the case tables read best inline.
#![allow(clippy::cast_possible_truncation, clippy::type_complexity)]
use std::fs;
use std::path::Path;

use proptest::prelude::*;
use sha2::Digest as _;

use super::*;
use crate::walk::{WalkOptions, walk};

/// The obvious implementation: read each whole file, cut it into ranges,
/// hash each with the algorithm crates directly, sort by name.
fn sequential(root: &Path, algorithm: HashAlgorithm, method: Method) -> Vec<(String, String)> {
    let model = walk(root, &WalkOptions::default()).expect("walk");
    let mut out = Vec::new();
    for file in model.files() {
        let data = fs::read(&file.path).expect("read");
        let ranges: Vec<(usize, usize)> = match method {
            Method::Files => vec![(0, data.len())],
            Method::Shards { shard_size } => {
                let step = usize::try_from(shard_size).expect("small");
                (0..data.len())
                    .step_by(step)
                    .map(|s| (s, (s + step).min(data.len())))
                    .collect()
            }
        };
        for (start, end) in ranges {
            let bytes = &data[start..end];
            let hex = match algorithm {
                HashAlgorithm::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
                HashAlgorithm::Blake3 => blake3::hash(bytes).to_hex().to_string(),
                HashAlgorithm::Blake2b => hex::encode(blake2::Blake2b512::digest(bytes)),
            };
            let name = match method {
                Method::Files => file.name.clone(),
                Method::Shards { .. } => format!("{}:{start}:{end}", file.name),
            };
            out.push((name, hex));
        }
    }
    out.sort();
    out
}

fn engine(root: &Path, algorithm: HashAlgorithm, method: Method, threads: usize) -> Manifest {
    let model = walk(root, &WalkOptions::default()).expect("walk");
    let options = HashOptions {
        algorithm,
        method: Some(method),
        threads: Some(threads),
        progress: None,
    };
    hash_model(&model, &options).expect("hash")
}

fn pairs(manifest: &Manifest) -> Vec<(String, String)> {
    manifest
        .resources
        .iter()
        .map(|r| (r.name.clone(), r.digest.to_hex()))
        .collect()
}

fn algorithms() -> impl Strategy<Value = HashAlgorithm> {
    prop_oneof![
        Just(HashAlgorithm::Sha256),
        Just(HashAlgorithm::Blake3),
        Just(HashAlgorithm::Blake2b)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn parallel_equals_sequential(
        files in prop::collection::btree_map(
            "[a-c]{1,2}(/[a-c:é -]{1,3}){0,2}",
            (0usize..70_000, any::<u8>()),
            1..12,
        ),
        algorithm in algorithms(),
        shard_size in prop_oneof![Just(None), (1u64..50_000).prop_map(Some)],
        threads in 1usize..5,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut written = 0;
        for (name, (len, seed)) in &files {
            let path = dir.path().join(name);
            // A name generated as both a file and a directory: skip the clash.
            if fs::create_dir_all(path.parent().expect("parent")).is_err() || path.is_dir() {
                continue;
            }
            let data: Vec<u8> = (0..*len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(*seed)).collect();
            if fs::write(&path, data).is_ok() {
                written += 1;
            }
        }
        prop_assume!(written > 0);
        let method = shard_size.map_or(Method::Files, |shard_size| Method::Shards { shard_size });
        let manifest = engine(dir.path(), algorithm, method, threads);
        let expected = sequential(dir.path(), algorithm, method);
        prop_assert_eq!(pairs(&manifest), expected);
        let root = Manifest::root_digest_of(manifest.resources.iter().map(|r| &r.digest));
        prop_assert_eq!(manifest.root_digest, root);
    }
}

/// Files past the mapping threshold and across several windows, with shard
/// boundaries that fall inside windows: the mapped path against the reference.
#[test]
fn mapped_windows_equal_sequential() {
    let dir = tempfile::tempdir().expect("tempdir");
    let len = 2 * WINDOW as usize + 12_345;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    fs::write(dir.path().join("big.bin"), &data).expect("write");
    fs::write(dir.path().join("small.bin"), &data[..100]).expect("write");
    for algorithm in HashAlgorithm::ALL {
        for method in [
            Method::Files,
            Method::Shards {
                shard_size: 7_000_001,
            },
            Method::Shards { shard_size: WINDOW },
        ] {
            for threads in [1, 2] {
                let manifest = engine(dir.path(), algorithm, method, threads);
                assert_eq!(
                    pairs(&manifest),
                    sequential(dir.path(), algorithm, method),
                    "{algorithm} {method:?} threads={threads}"
                );
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct Kat {
    shard_size: u64,
    files: Vec<KatFile>,
    model: std::collections::BTreeMap<String, KatRoots>,
}

#[derive(serde::Deserialize)]
struct KatFile {
    name: String,
    length: usize,
    seed: usize,
    sha256: String,
    blake3: String,
    blake2b: String,
    shards: Vec<KatShard>,
}

#[derive(serde::Deserialize)]
struct KatShard {
    start: u64,
    end: u64,
    sha256: String,
    blake3: String,
    blake2b: String,
}

#[derive(serde::Deserialize)]
struct KatRoots {
    files_root: String,
    shards_root: String,
}

fn pick<'a>(
    algorithm: HashAlgorithm,
    sha256: &'a str,
    blake3: &'a str,
    blake2b: &'a str,
) -> &'a str {
    match algorithm {
        HashAlgorithm::Sha256 => sha256,
        HashAlgorithm::Blake3 => blake3,
        HashAlgorithm::Blake2b => blake2b,
    }
}

/// Known answers from hashlib, the `blake3` package, `sha256sum` and
/// `openssl` (see `fixtures/generate.py`).
#[test]
fn known_answers_from_independent_tools() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/kat/digests.json");
    let kat: Kat = serde_json::from_slice(&fs::read(&path).expect("fixture")).expect("json");
    let dir = tempfile::tempdir().expect("tempdir");
    for file in &kat.files {
        let data: Vec<u8> = (0..file.length)
            .map(|i| ((i * 31 + file.seed) % 251) as u8)
            .collect();
        fs::write(dir.path().join(&file.name), data).expect("write");
    }
    for algorithm in HashAlgorithm::ALL {
        let files = engine(dir.path(), algorithm, Method::Files, 2);
        let shard_method = Method::Shards {
            shard_size: kat.shard_size,
        };
        let shards = engine(dir.path(), algorithm, shard_method, 2);
        for file in &kat.files {
            let resource = files
                .resources
                .iter()
                .find(|r| r.name == file.name)
                .expect("resource");
            let expected = pick(algorithm, &file.sha256, &file.blake3, &file.blake2b);
            assert_eq!(
                resource.digest.to_hex(),
                expected,
                "{algorithm} {}",
                file.name
            );
            for shard in &file.shards {
                let name = shard_name(&file.name, shard.start, shard.end);
                let resource = shards
                    .resources
                    .iter()
                    .find(|r| r.name == name)
                    .expect("shard");
                let expected = pick(algorithm, &shard.sha256, &shard.blake3, &shard.blake2b);
                assert_eq!(resource.digest.to_hex(), expected, "{algorithm} {name}");
            }
        }
        let roots = &kat.model[algorithm.name()];
        assert_eq!(
            files.root_digest.to_hex(),
            roots.files_root,
            "{algorithm} files root"
        );
        assert_eq!(
            shards.root_digest.to_hex(),
            roots.shards_root,
            "{algorithm} shards root"
        );
        // Empty files give a files resource but no shard.
        assert!(files.resources.iter().any(|r| r.name == "empty"));
        assert!(
            !shards
                .resources
                .iter()
                .any(|r| r.name.starts_with("empty:"))
        );
    }
}

/// The manifest digest covers names: the two models of issue 13 (finding 3)
/// share a root digest but not a manifest digest. Known answers from
/// Python's `json.dumps(…, separators=(",", ":"), ensure_ascii=False,
/// sort_keys=True)` over the resources sorted by name.
#[test]
fn manifest_digests_cover_names_where_root_digests_do_not() {
    let a = HashAlgorithm::Sha256.digest(b"A");
    let b = HashAlgorithm::Sha256.digest(b"B");
    let sha = HashAlgorithm::Sha256;
    let m1 = [
        ("model.safetensors", sha, &a),
        ("unused.safetensors", sha, &b),
    ];
    let m2 = [("a.safetensors", sha, &a), ("model.safetensors", sha, &b)];
    assert_eq!(
        Manifest::root_digest_of(m1.iter().map(|r| r.2)),
        Manifest::root_digest_of(m2.iter().map(|r| r.2))
    );
    let cases: [(&[(&str, HashAlgorithm, &Digest)], &str); 3] = [
        (
            &m1,
            "8ed4e385fe2a2f0561602a55d8e9854302cb9945ed789a1e073ea7eb2d85c1af",
        ),
        (
            &m2,
            "0a99f4b7a1c43271632a4af6679089e7aa59fff2c873820f6f3c18db0007cddc",
        ),
        // Escaped as RFC 8785 escapes: `\n`, `\"`; non-ASCII as is.
        (
            &[("sub/\u{e9}\n\"x", sha, &a)],
            "670d1be29bcaae7338f3cb7fe4bb3605484672e052cb342e70c64d4e21f63659",
        ),
    ];
    for (resources, expected) in cases {
        let digest = Manifest::manifest_digest_of(Method::Files, resources.iter().copied());
        assert_eq!(digest.to_hex(), expected, "{resources:?}");
    }
    // Order-independent (sorted by name); the method counts.
    let reversed = Manifest::manifest_digest_of(Method::Files, m1.iter().rev().copied());
    assert_eq!(reversed.to_hex(), cases[0].1);
    let shards = Manifest::manifest_digest_of(Method::Shards { shard_size: 8 }, m1);
    assert_ne!(shards.to_hex(), cases[0].1);
}

#[test]
fn shard_names_parse_from_the_last_two_colons() {
    let cases: [(&str, Option<(&str, u64, u64)>); 9] = [
        ("a.bin:0:10", Some(("a.bin", 0, 10))),
        ("dir/a:b:c.bin:5:9", Some(("dir/a:b:c.bin", 5, 9))),
        ("a.bin:10:10", Some(("a.bin", 10, 10))),
        ("a.bin:10:9", None),
        ("a.bin:-1:9", None),
        ("a.bin:+1:9", None),
        ("a.bin:1:", None),
        (":0:1", None),
        ("a.bin", None),
    ];
    for (name, expected) in cases {
        assert_eq!(parse_shard_name(name), expected, "{name}");
    }
}

#[test]
fn zero_shard_size_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a"), b"x").expect("write");
    let model = walk(dir.path(), &WalkOptions::default()).expect("walk");
    let options = HashOptions {
        method: Some(Method::Shards { shard_size: 0 }),
        ..HashOptions::default()
    };
    assert!(matches!(
        hash_model(&model, &options),
        Err(Error::InvalidShardSize)
    ));
}

#[test]
fn files_that_change_or_vanish_after_the_walk_are_reported_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["grows.bin", "gone.bin", "fine.bin"] {
        fs::write(dir.path().join(name), b"0123456789").expect("write");
    }
    let model = walk(dir.path(), &WalkOptions::default()).expect("walk");
    fs::write(dir.path().join("grows.bin"), b"0123456789abc").expect("write");
    fs::remove_file(dir.path().join("gone.bin")).expect("remove");
    let error = hash_model(&model, &HashOptions::default()).expect_err("must fail");
    let failures = error.failures();
    assert_eq!(failures.len(), 2, "{error}");
    assert!(failures.iter().any(|e| matches!(e,
        Error::FileChanged { path, expected: 10, found: 13 } if path.ends_with("grows.bin"))));
    assert!(failures.iter().any(|e| matches!(e,
        Error::Io { path, .. } if path.ends_with("gone.bin"))));
}

#[test]
fn progress_reports_every_byte() {
    use std::sync::atomic::AtomicU64;
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a"), vec![1u8; 5 << 20]).expect("write");
    fs::write(dir.path().join("b"), vec![2u8; 1000]).expect("write");
    let model = walk(dir.path(), &WalkOptions::default()).expect("walk");
    let seen = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&seen);
    let options = HashOptions {
        progress: Some(Arc::new(move |n| {
            counter.fetch_add(n, Ordering::Relaxed);
        })),
        ..HashOptions::default()
    };
    hash_model(&model, &options).expect("hash");
    assert_eq!(seen.load(Ordering::Relaxed), model.total_size());
}
