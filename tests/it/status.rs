//! `modelseal status`, the digest cache, `sign --incremental`,
//! `verify --cached`, and Git LFS pointers.

use std::path::Path;

use serde::Deserialize;

use crate::support::{FindingJson, Run, keygen, modelseal, run, sha256sum, tiny_model};

/// `modelseal status --format json` (README, "JSON output"), strictly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusJson {
    kind: String,
    version: u32,
    clean: bool,
    trust: String,
    model: String,
    signature: String,
    #[serde(deserialize_with = "crate::support::sha256_object")]
    root_digest: String,
    serialization: serde_json::Value,
    findings: Vec<FindingJson>,
    lfs_pointers: Vec<String>,
    cache: Option<CacheJson>,
    elapsed_ms: f64,
    #[serde(default)]
    links: Option<crate::support::LinksJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheJson {
    hits: usize,
    misses: usize,
    discarded: Option<String>,
}

fn status(model: &Path, cache: &Path, args: &[&str]) -> (Run, StatusJson) {
    let out = run(modelseal()
        .arg("status")
        .arg(model)
        .args(args)
        .args(["--format", "json"])
        .env("MODELSEAL_CACHE_DIR", cache));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let report: StatusJson = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", out.stdout, out.stderr));
    assert_eq!((report.kind.as_str(), report.version), ("status", 2));
    assert_eq!(report.clean, out.code == 0);
    assert!(report.trust.contains("without checking who signed"));
    assert!(report.elapsed_ms >= 0.0);
    assert_eq!(report.model, model.display().to_string());
    assert!(report.signature.ends_with("model.sig"));
    assert_eq!(report.root_digest.len(), 64);
    assert!(report.serialization["method"].is_string());
    (out, report)
}

/// Lets the racy-entry window (2 s) pass, so cached entries are trusted.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(2100));
}

#[test]
fn status_lists_changes_without_a_key_and_reuses_the_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, _, _) = keygen(dir.path(), "key", "ed25519");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    settle();

    let (_, first) = status(&model, &cache, &[]);
    assert!(first.clean && first.findings.is_empty(), "{first:?}");
    assert_eq!(first.links, None, "no link on the way");
    let files = first.cache.as_ref().expect("cache used");
    assert_eq!(files.misses, 3, "{first:?}");
    settle();
    let (_, warm) = status(&model, &cache, &[]);
    let warm_cache = warm.cache.expect("cache used");
    assert_eq!((warm_cache.hits, warm_cache.misses), (3, 0));
    assert!(warm_cache.discarded.is_none());

    std::fs::write(model.join("config.json"), b"{\"changed\": true}\n").expect("write");
    std::fs::write(model.join("extra.txt"), b"new").expect("write");
    std::fs::remove_file(model.join("tokenizer.json")).expect("remove");
    let (out, changed) = status(&model, &cache, &[]);
    out.expect_code(1);
    let kinds: Vec<&str> = changed.findings.iter().map(FindingJson::kind).collect();
    assert_eq!(kinds, ["modified", "unsigned", "missing"], "{changed:?}");
    assert_eq!(
        changed.cache.expect("cache").misses,
        1,
        "only the changed file is hashed"
    );

    // The text output says how to re-sign; --no-cache hashes everything.
    let text = run(modelseal()
        .arg("status")
        .arg(&model)
        .env("MODELSEAL_CACHE_DIR", &cache));
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("modelseal sign"), "{}", text.stdout);
    let (_, uncached) = status(&model, &cache, &["--no-cache"]);
    assert!(uncached.cache.is_none());
}

#[test]
fn a_corrupt_cache_is_rebuilt_not_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, _, _) = keygen(dir.path(), "key", "ed25519");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    status(&model, &cache, &[]);
    for entry in std::fs::read_dir(&cache).expect("cache dir") {
        std::fs::write(entry.expect("entry").path(), b"{ garbage").expect("corrupt");
    }
    std::fs::write(model.join("config.json"), b"tampered").expect("write");
    let (out, report) = status(&model, &cache, &[]);
    out.expect_code(1);
    assert_eq!(report.findings[0].kind(), "modified");
    let used = report.cache.expect("cache");
    assert!(used.discarded.is_some_and(|d| d.contains("corrupt")));
    assert_eq!(used.hits, 0);
}

#[test]
fn incremental_signing_and_cached_verification() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "ed25519");
    let sign = |extra: &[&str]| {
        run(modelseal()
            .arg("sign")
            .arg(&model)
            .arg("--key")
            .arg(&key)
            .args(extra)
            .args(["--format", "json"])
            .env("MODELSEAL_CACHE_DIR", &cache))
    };
    sign(&["--incremental"]).expect_code(0);
    settle();
    std::fs::write(model.join("config.json"), b"{\"epoch\": 2}\n").expect("write");
    sign(&["--incremental"]).expect_code(2); // a signature exists: --force
    sign(&["--incremental", "--force"]).expect_code(0);

    // The incremental signature is the full one: a plain verify agrees.
    let verify = |extra: &[&str]| {
        run(modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--key")
            .arg(&public)
            .args(extra)
            .env("MODELSEAL_CACHE_DIR", &cache))
    };
    verify(&[]).expect_code(0);
    verify(&["--cached"]).expect_code(0);
    std::fs::write(model.join("config.json"), b"{\"epoch\": 3}\n").expect("write");
    verify(&["--cached"]).expect_code(1);
}

#[test]
fn lfs_pointer_files_are_compared_by_oid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "ed25519");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let weights = model.join("weights/model.safetensors");
    let name = "weights/model.safetensors".to_owned();
    let oid = sha256sum(&weights);
    let size = std::fs::metadata(&weights).expect("stat").len();
    let pointer = |oid: &str| {
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n")
    };

    std::fs::write(&weights, pointer(&oid)).expect("pointer");
    let (out, report) = status(&model, &cache, &["--no-cache"]);
    out.expect_code(0);
    assert_eq!(report.lfs_pointers, std::slice::from_ref(&name));
    // verify checks real content, never pointers.
    run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public))
    .expect_code(1);

    std::fs::write(&weights, pointer(&"0".repeat(64))).expect("pointer");
    let (out, report) = status(&model, &cache, &["--no-cache"]);
    out.expect_code(1);
    assert!(
        matches!(&report.findings[..], [FindingJson::Modified { name: n, .. }] if *n == name),
        "{report:?}"
    );
}
