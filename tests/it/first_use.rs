//! What a first-time user ran into: a partial verification that did not
//! say so, `hash` and `sign` disagreeing on the root, a `status` right after
//! `sign` hashing everything again, a rename shown as two unrelated
//! findings, "1 files", and `--ignore` typos passing silently.

use std::path::Path;

use crate::support::{FindingJson, keygen, modelseal, run, tiny_model, verify_json};

fn signed_tiny(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    crate::support::signed_tiny_model(dir, "p256")
}

#[test]
fn a_partial_verification_says_it_is_partial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = signed_tiny(dir.path());
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--only", &"config.json"]);
    out.expect_code(0);
    assert!(report.partial);
    assert_eq!((report.resources_checked, report.resources_signed), (1, 3));
    let text = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public)
        .args(["--only", "config.json"]));
    text.expect_code(0);
    assert!(text.stdout.contains("(partially)"), "{}", text.stdout);
    assert!(
        text.stdout.contains("1 of 3 resources (partial"),
        "{}",
        text.stdout
    );
    // A whole verification is not partial.
    let (_, whole) = verify_json(&model, &[&"--key", &public]);
    assert!(!whole.partial && whole.resources_checked == whole.resources_signed);
}

#[test]
fn hash_gives_the_root_that_sign_signs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = signed_tiny(dir.path());
    std::fs::write(model.join("model.att.jsonl"), b"").expect("attestations file");
    let out = run(modelseal().arg("hash").arg(&model));
    out.expect_code(0);
    let (_, report) = verify_json(&model, &[&"--key", &public]);
    assert!(
        out.stdout
            .contains(&format!("root sha256:{}", report.root_digest)),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("model.sig"), "{}", out.stdout);
}

#[test]
fn status_right_after_sign_hashes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, _, _) = keygen(dir.path(), "key", "p256");
    // A digest recorded within 2 s of its file's last change is not
    // trusted (git's racy rule): the model was made long before it is
    // signed, as models are.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .env("MODELSEAL_CACHE_DIR", &cache))
    .expect_code(0);
    let out = run(modelseal()
        .arg("status")
        .arg(&model)
        .args(["--format", "json"])
        .env("MODELSEAL_CACHE_DIR", &cache));
    out.expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(status["cache"]["hits"], 3, "{status}");
    assert_eq!(status["cache"]["misses"], 0, "{status}");
}

#[test]
fn a_renamed_file_is_reported_as_a_rename() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = signed_tiny(dir.path());
    std::fs::rename(model.join("tokenizer.json"), model.join("tok.json")).expect("rename");
    let (out, report) = verify_json(&model, &[&"--key", &public]);
    out.expect_code(1);
    assert_eq!(
        report.findings,
        [FindingJson::Renamed {
            from: "tokenizer.json".into(),
            to: "tok.json".into()
        }]
    );
    let text = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public));
    assert!(
        text.stdout
            .contains("renamed       tokenizer.json -> tok.json"),
        "{}",
        text.stdout
    );
    // Other content under a new name is still a missing and an unsigned
    // file.
    std::fs::write(model.join("tok.json"), b"{}").expect("write");
    let (_, report) = verify_json(&model, &[&"--key", &public]);
    assert_eq!(report.kinds(), ["unsigned", "missing"]);
}

#[test]
fn counts_read_as_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("one.bin");
    std::fs::write(&file, b"one file").expect("write");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    let signed = run(modelseal().arg("sign").arg(&file).arg("--key").arg(&key));
    signed.expect_code(0);
    assert!(signed.stdout.contains(": 1 file, "), "{}", signed.stdout);
    let verified = run(modelseal()
        .arg("verify")
        .arg(&file)
        .arg("--key")
        .arg(&public));
    assert!(
        verified.stdout.contains("checked       1 resource, "),
        "{}",
        verified.stdout
    );
    let inspected = run(modelseal().arg("inspect").arg(&file));
    assert!(
        inspected.stdout.contains("1 file: "),
        "{}",
        inspected.stdout
    );
}

#[test]
fn ignore_paths_that_match_nothing_are_warned_about_and_dot_slash_is_normalised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    let out = run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .args([
            "--ignore",
            "./weights/model.safetensors",
            "--ignore",
            "wieghts",
        ]));
    out.expect_code(0);
    out.expect_stderr(&["`wieghts` matches nothing"]);
    assert!(
        !out.stderr
            .contains("weights/model.safetensors` matches nothing"),
        "{}",
        out.stderr
    );
    let (_, report) = verify_json(&model, &[&"--key", &public, &"--ignore", &"nothing-here"]);
    assert!(report.verified);
    assert!(
        report
            .serialization
            .ignore_paths
            .iter()
            .any(|p| p == "weights/model.safetensors"),
        "{:?}",
        report.serialization.ignore_paths
    );
    assert_eq!(report.unused_ignore_paths, ["nothing-here"]);
    let hashed = run(modelseal()
        .arg("hash")
        .arg(&model)
        .args(["--ignore", "nope"]));
    hashed.expect_stderr(&["`nope` matches nothing"]);
}

// Regression: a signature that did not verify printed nothing on stdout
// with `--format json`, so `jq .verified` failed instead of saying false.
#[test]
fn a_signature_stage_failure_still_prints_a_json_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = signed_tiny(dir.path());
    let (_, other, _) = keygen(dir.path(), "other", "p256");
    let sig = model.join("model.sig");
    let json_of = |args: &[&dyn AsRef<std::ffi::OsStr>], cmd: &str| {
        let out = run(modelseal()
            .arg(cmd)
            .arg(&model)
            .args(args.iter().map(|a| a.as_ref()))
            .args(["--format", "json"]));
        out.expect_code(1);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("no JSON ({e}): {}{}", out.stdout, out.stderr));
        assert!(!out.stderr.is_empty(), "the message is on stderr too");
        doc
    };
    let wrong_key = json_of(&[&"--key", &other], "verify");
    assert_eq!(wrong_key["kind"], "verify");
    assert_eq!(wrong_key["version"], 2);
    assert_eq!(wrong_key["verified"], false);
    assert_eq!(wrong_key["error"]["stage"], "trust", "{wrong_key}");
    assert!(
        wrong_key["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    let original = std::fs::read(&sig).expect("read");
    let mut bundle: serde_json::Value = serde_json::from_slice(&original).expect("bundle");
    let signature = bundle["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .expect("sig")
        .to_owned();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = format!("{flipped}{}", &signature[1..]).into();
    std::fs::write(&sig, serde_json::to_vec(&bundle).expect("json")).expect("write");
    let forged = json_of(&[&"--key", &public], "verify");
    assert_eq!(forged["error"]["stage"], "signature", "{forged}");

    std::fs::write(&sig, b"{ not json").expect("write");
    let malformed = json_of(&[&"--key", &public], "verify");
    assert_eq!(malformed["error"]["stage"], "bundle", "{malformed}");
    let status = json_of(&[], "status");
    assert_eq!(
        (status["kind"].as_str(), &status["clean"]),
        (Some("status"), &false.into())
    );
    assert_eq!(status["error"]["stage"], "bundle");
}
