//! `modelseal keygen`, `sign` and `verify` on their own: round trips, the
//! JSON contracts, key files, and everything verification must refuse.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::support::{
    DEFAULT_IGNORES, FindingJson, Run, SerializationJson, SignJson, SignerJson, copy_fixture,
    keygen, modelseal, run, run_with_timeout, sha256sum, tiny_model, verify_json,
};

fn sign_json(model: &Path, args: &[&dyn AsRef<OsStr>]) -> SignJson {
    let out = sign(model, args);
    out.expect_code(0);
    serde_json::from_str(&out.stdout).expect("documented sign JSON")
}

fn sign(model: &Path, args: &[&dyn AsRef<OsStr>]) -> Run {
    run(modelseal()
        .arg("sign")
        .arg(model)
        .args(args.iter().map(|a| a.as_ref()))
        .args(["--format", "json"]))
}

fn verify(model: &Path, args: &[&dyn AsRef<OsStr>]) -> Run {
    run(modelseal()
        .arg("verify")
        .arg(model)
        .args(args.iter().map(|a| a.as_ref())))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The base64 body lines of a PEM file (what must never be printed).
fn pem_body(pem: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(pem)
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_owned)
        .collect()
}

#[track_caller]
fn assert_no_secret(out: &Run, pem: &[u8]) {
    for line in pem_body(pem) {
        assert!(
            !out.stdout.contains(&line) && !out.stderr.contains(&line),
            "private key material printed"
        );
    }
    for marker in ["BEGIN PRIVATE", "BEGIN ENCRYPTED"] {
        assert!(!out.stdout.contains(marker) && !out.stderr.contains(marker));
    }
}

#[test]
fn round_trip_every_key_algorithm_method_and_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let total: u64 = ["config.json", "tokenizer.json", "weights/model.safetensors"]
        .iter()
        .map(|f| std::fs::metadata(model.join(f)).expect("stat").len())
        .sum();
    // Root digest per (hash, method): independent of the key.
    let mut roots: BTreeMap<(&str, bool), String> = BTreeMap::new();
    for algorithm in ["ed25519", "p256", "p384", "p521"] {
        let (key, public, key_id) = keygen(dir.path(), &format!("{algorithm}.key"), algorithm);
        assert!(is_hex(&key_id, 64), "{key_id}");
        for hash in ["sha256", "blake3", "blake2b"] {
            for shards in [false, true] {
                let sig = dir.path().join(format!("{algorithm}-{hash}-{shards}.sig"));
                let mut args: Vec<&dyn AsRef<OsStr>> =
                    vec![&"--key", &key, &"--signature", &sig, &"--hash", &hash];
                if shards {
                    args.extend([&"--shard-size" as &dyn AsRef<OsStr>, &"1000"]);
                }
                let signed = sign_json(&model, &args);
                let what = format!("{algorithm} {hash} shards={shards}");
                assert_eq!(
                    (signed.kind.as_str(), signed.version),
                    ("sign", 2),
                    "{what}"
                );
                assert_eq!(signed.method, "key");
                assert_eq!(signed.key_id, key_id);
                assert_eq!(signed.model, model.display().to_string());
                assert_eq!(signed.signature, sig.display().to_string());
                assert_eq!((signed.files, signed.bytes), (3, total));
                assert_eq!(signed.tensor_files, 0, "no --tensors");
                // 1000-byte shards: one each for the small files, three for
                // the 3000-byte weights.
                assert_eq!(signed.resources, if shards { 5 } else { 3 }, "{what}");
                assert_eq!(
                    signed.serialization,
                    SerializationJson {
                        method: if shards { "shards" } else { "files" }.to_owned(),
                        hash_type: hash.to_owned(),
                        shard_size: shards.then_some(1000),
                        allow_symlinks: false,
                        // The attestations file is never part of a model,
                        // nor what `hf download --local-dir` leaves.
                        ignore_paths: [".cache/huggingface"]
                            .iter()
                            .chain(DEFAULT_IGNORES.iter())
                            .chain(&["model.att.jsonl"])
                            .map(|s| (*s).to_owned())
                            .collect(),
                    }
                );
                assert_eq!(signed.root_digest.algorithm, "sha256");
                assert!(is_hex(&signed.root_digest.digest, 64));
                assert!(signed.elapsed_ms >= 0.0);
                let root = roots
                    .entry((hash, shards))
                    .or_insert_with(|| signed.root_digest.digest.clone());
                assert_eq!(*root, signed.root_digest.digest, "{what}");

                let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
                out.expect_code(0);
                assert!(out.stderr.is_empty(), "{}", out.stderr);
                assert_eq!((report.kind.as_str(), report.version), ("verify", 2));
                assert!(report.verified, "{what}: {report:?}");
                assert!(report.findings.is_empty(), "{what}: {report:?}");
                assert_eq!(report.model, signed.model);
                assert_eq!(report.signature, signed.signature);
                assert_eq!(
                    report.signer,
                    SignerJson::Key {
                        key_id: key_id.clone(),
                        unmatched_hint: None,
                    }
                );
                assert_eq!(report.signature_algorithm, algorithm);
                assert_eq!(report.root_digest, signed.root_digest.digest);
                assert_eq!(report.serialization, signed.serialization);
                assert_eq!(report.resources_checked, signed.resources);
                assert_eq!(report.bytes_hashed, signed.bytes);
                assert!(report.elapsed_ms >= 0.0);
            }
        }
    }
    let distinct: BTreeSet<&String> = roots.values().collect();
    assert_eq!(distinct.len(), 6, "each hash and method has its own root");

    // Text output, for people.
    let sig = dir.path().join("ed25519-sha256-false.sig");
    let out = verify(
        &model,
        &[
            &"--key",
            &dir.path().join("ed25519.key.pub"),
            &"--signature",
            &sig,
        ],
    );
    out.expect_code(0);
    assert!(
        out.stdout
            .starts_with(&format!("verified `{}`\n", model.display())),
        "{}",
        out.stdout
    );
}

#[test]
fn signing_twice_with_one_key_gives_identical_bundles() {
    let (dir, model) = copy_fixture("example-model");
    // Ed25519 is deterministic by design, ECDSA by RFC 6979 nonces.
    for algorithm in ["ed25519", "p256"] {
        let (key, public, _) = keygen(dir.path(), &format!("{algorithm}.key"), algorithm);
        let first = dir.path().join(format!("{algorithm}-first.sig"));
        let second = dir.path().join(format!("{algorithm}-second.sig"));
        sign_json(&model, &[&"--key", &key, &"--signature", &first]);
        sign_json(&model, &[&"--key", &key, &"--signature", &second]);
        assert_eq!(read(&first), read(&second), "{algorithm}");
        verify(&model, &[&"--key", &public, &"--signature", &second]).expect_code(0);
    }
}

#[test]
fn keygen_writes_an_owner_only_key_prints_its_id_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("signing.key");
    let public = dir.path().join("signing.key.pub");
    let out = run(modelseal().arg("keygen").arg("--out").arg(&key));
    out.expect_code(0);
    let private_pem = read(&key);
    assert_no_secret(&out, &private_pem);
    assert!(private_pem.starts_with(b"-----BEGIN PRIVATE KEY-----\n"));
    let mode = std::fs::metadata(&key).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "private key mode {mode:o}");
    assert!(read(&public).starts_with(b"-----BEGIN PUBLIC KEY-----\n"));
    let key_id = out.stdout.trim_end().to_owned();
    assert_eq!(
        out.stdout,
        format!("{key_id}\n"),
        "stdout is the key id only"
    );
    assert!(is_hex(&key_id, 64), "{key_id}");
    assert_eq!(key_id, sha256sum(&public), "OMS key id: SHA-256 of the PEM");
    // The default: the algorithm the reference tool verifies.
    out.expect_stderr(&["p256"]);

    // The id printed is the signer a later verify reports.
    let model = tiny_model(dir.path(), "tiny");
    let sig = dir.path().join("tiny.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(0);
    assert_eq!(report.key_id(), key_id);

    // No silent overwrite, of either file.
    let public_pem = read(&public);
    for algorithm in ["ed25519", "p256"] {
        let out = run(modelseal()
            .args(["keygen", "--algorithm", algorithm, "--out"])
            .arg(&key));
        out.expect_code(2);
        out.expect_stderr(&["already exists", "--force"]);
        assert!(out.stdout.is_empty());
        assert_eq!(read(&key), private_pem, "old private key unchanged");
        assert_eq!(read(&public), public_pem, "old public key unchanged");
    }
    std::fs::remove_file(&key).expect("rm");
    let out = run(modelseal().arg("keygen").arg("--out").arg(&key));
    out.expect_code(2);
    out.expect_stderr(&["signing.key.pub"]);
    assert!(!key.exists(), "nothing written when the .pub exists");
    std::fs::write(&key, &private_pem).expect("restore");

    // --force replaces both.
    let out = run(modelseal()
        .args(["keygen", "--force", "--algorithm", "p384", "--out"])
        .arg(&key));
    out.expect_code(0);
    let new_pem = read(&key);
    assert_no_secret(&out, &new_pem);
    assert_ne!(new_pem, private_pem);
    assert_ne!(read(&public), public_pem);
    let new_id = out.stdout.trim_end();
    assert_ne!(new_id, key_id);
    assert_eq!(new_id, sha256sum(&public));
    let mode = std::fs::metadata(&key).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "replaced private key mode {mode:o}");
    // The old signature is not the new key's.
    verify(&model, &[&"--key", &public, &"--signature", &sig]).expect_code(1);
}

#[test]
fn encrypted_keys_need_their_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let password = "correct horse battery";
    let right = dir.path().join("right.txt");
    let wrong = dir.path().join("wrong.txt");
    std::fs::write(&right, format!("{password}\n")).expect("write");
    std::fs::write(&wrong, "incorrect horse\n").expect("write");

    let by_file = dir.path().join("by-file.key");
    let by_env = dir.path().join("by-env.key");
    let outs = [
        run(modelseal()
            .args(["keygen", "--algorithm", "p256", "--password-file"])
            .arg(&right)
            .arg("--out")
            .arg(&by_file)),
        run(modelseal()
            .args(["keygen", "--algorithm", "ed25519", "--out"])
            .arg(&by_env)
            .env("MODELSEAL_PASSWORD", password)),
    ];
    for (out, key) in outs.iter().zip([&by_file, &by_env]) {
        out.expect_code(0);
        let pem = read(key);
        assert!(pem.starts_with(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        assert_no_secret(out, &pem);
        out.expect_stderr(&["encrypted"]);
        assert!(!out.stderr.contains(password) && !out.stdout.contains(password));
    }

    for key in [&by_file, &by_env] {
        let public = {
            let mut p = key.clone().into_os_string();
            p.push(".pub");
            PathBuf::from(p)
        };
        let sig = dir.path().join("tiny.sig");
        let base: Vec<&dyn AsRef<OsStr>> = vec![&"--key", key, &"--signature", &sig, &"--force"];

        let pem = read(key);
        // Off a terminal (tests have no TTY) there is no prompt: the error
        // says how to give the password.
        let out = sign(&model, &base);
        out.expect_code(2);
        out.expect_stderr(&["encrypted", "--password-file", "MODELSEAL_PASSWORD"]);
        assert_no_secret(&out, &pem);
        assert!(!sig.exists());

        let mut with_wrong_file = base.clone();
        with_wrong_file.extend([&"--password-file" as &dyn AsRef<OsStr>, &wrong]);
        let out = sign(&model, &with_wrong_file);
        out.expect_code(2);
        out.expect_stderr(&["wrong password"]);
        assert_no_secret(&out, &pem);
        let out = run(modelseal()
            .arg("sign")
            .arg(&model)
            .args(base.iter().map(|a| a.as_ref()))
            .env("MODELSEAL_PASSWORD", "incorrect horse"));
        out.expect_code(2);
        assert!(!sig.exists());

        let mut with_right_file = base.clone();
        with_right_file.extend([&"--password-file" as &dyn AsRef<OsStr>, &right]);
        sign_json(&model, &with_right_file);
        verify(&model, &[&"--key", &public, &"--signature", &sig]).expect_code(0);
        std::fs::remove_file(&sig).expect("rm");
        let out = run(modelseal()
            .arg("sign")
            .arg(&model)
            .args(base.iter().map(|a| a.as_ref()))
            .env("MODELSEAL_PASSWORD", password));
        out.expect_code(0);
        assert!(!out.stderr.contains(password) && !out.stdout.contains(password));
        verify(&model, &[&"--key", &public, &"--signature", &sig]).expect_code(0);
        std::fs::remove_file(&sig).expect("rm");
    }
}

#[test]
fn sign_never_replaces_a_signature_without_force() {
    let (dir, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = model.join("model.sig");
    sign_json(&model, &[&"--key", &key]);
    let original = read(&sig);

    // A new signature would differ: the model changed.
    std::fs::write(model.join("config.json"), b"{}\n").expect("write");
    let out = sign(&model, &[&"--key", &key]);
    out.expect_code(2);
    out.expect_stderr(&["already exists", "--force"]);
    assert_eq!(read(&sig), original, "unchanged after the refusal");
    let (out, report) = verify_json(&model, &[&"--key", &public]);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);

    let signed = sign_json(&model, &[&"--key", &key, &"--force"]);
    assert_eq!(signed.signature, sig.display().to_string());
    assert_ne!(read(&sig), original, "--force replaced it");
    verify(&model, &[&"--key", &public]).expect_code(0);
    let leftovers: Vec<_> = std::fs::read_dir(&model)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name())
        .filter(|n| n.to_string_lossy().starts_with(".modelseal"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn default_signature_locations_are_found_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, public, key_id) = keygen(dir.path(), "ed.key", "ed25519");

    // A directory: MODEL/model.sig, excluded from the model and recorded.
    let model = tiny_model(dir.path(), "tiny");
    let signed = sign_json(&model, &[&"--key", &key]);
    assert_eq!(
        signed.signature,
        model.join("model.sig").display().to_string()
    );
    assert!(model.join("model.sig").is_file());
    assert_eq!(signed.files, 3);
    assert!(
        signed
            .serialization
            .ignore_paths
            .contains(&"model.sig".to_owned())
    );
    let (out, report) = verify_json(&model, &[&"--key", &public]);
    out.expect_code(0);
    assert!(report.findings.is_empty(), "{report:?}");
    assert_eq!(
        report.signature,
        model.join("model.sig").display().to_string()
    );
    assert_eq!(report.key_id(), key_id);

    // A single file: MODEL.sig beside it.
    let file = dir.path().join("weights.bin");
    std::fs::write(&file, b"single-file model").expect("write");
    let signed = sign_json(&file, &[&"--key", &key]);
    let beside = dir.path().join("weights.bin.sig");
    assert_eq!(signed.signature, beside.display().to_string());
    assert_eq!((signed.files, signed.resources), (1, 1));
    let (out, report) = verify_json(&file, &[&"--key", &public]);
    out.expect_code(0);
    assert_eq!(report.signature, beside.display().to_string());
    assert_eq!(report.resources_checked, 1);
    std::fs::write(&file, b"single-file model, changed").expect("write");
    let (out, report) = verify_json(&file, &[&"--key", &public]);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);
    assert_eq!(report.findings[0].name(), "weights.bin");
}

#[test]
fn the_wrong_key_or_the_wrong_kind_of_trust_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, key_id) = keygen(dir.path(), "ed.key", "ed25519");
    let (_, other_ed, other_id) = keygen(dir.path(), "other-ed.key", "ed25519");
    let (_, other_p256, _) = keygen(dir.path(), "other-p256.key", "p256");
    let sig = dir.path().join("tiny.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);

    for wrong in [&other_ed, &other_p256] {
        let out = verify(&model, &[&"--key", wrong, &"--signature", &sig]);
        out.expect_code(1);
        out.expect_stderr(&["does not verify"]);
        assert!(
            out.stderr.contains(&key_id),
            "names the signer: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "no report for an untrusted bundle");
    }

    // The key hint is not trusted: pointing it at the other key does not
    // make the other key's verification pass.
    let mut bundle: serde_json::Value = serde_json::from_slice(&read(&sig)).expect("json");
    let hint = bundle
        .pointer_mut("/verificationMaterial/publicKey/hint")
        .expect("a key hint");
    assert_eq!(hint.as_str(), Some(key_id.as_str()));
    *hint = serde_json::Value::String(other_id);
    let forged = dir.path().join("forged.sig");
    std::fs::write(&forged, serde_json::to_vec(&bundle).expect("json")).expect("write");
    verify(&model, &[&"--key", &other_ed, &"--signature", &forged]).expect_code(1);

    // A key bundle checked against roots.
    let root = oms_data("chain/rsa-root.pem");
    let out = verify(&model, &[&"--cert-chain", &root, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["bare key", "public key"]);
    verify(&model, &[&"--key", &public, &"--signature", &sig]).expect_code(0);
}

#[test]
fn another_models_signature_does_not_verify_this_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let a = tiny_model(dir.path(), "a");
    let b = dir.path().join("b");
    std::fs::create_dir(&b).expect("mkdir");
    std::fs::write(b.join("config.json"), b"{\"model_type\": \"other\"}\n").expect("write");
    std::fs::write(b.join("model.bin"), [7u8; 100]).expect("write");
    let sig_a = dir.path().join("a.sig");
    sign_json(&a, &[&"--key", &key, &"--signature", &sig_a]);

    let (out, report) = verify_json(&b, &[&"--key", &public, &"--signature", &sig_a]);
    out.expect_code(1);
    assert!(!report.verified);
    assert_eq!(
        report.kinds(),
        ["modified", "unsigned", "missing", "missing"],
        "{report:?}"
    );
    let names: Vec<&str> = report.findings.iter().map(FindingJson::name).collect();
    assert_eq!(
        names,
        [
            "config.json",
            "model.bin",
            "tokenizer.json",
            "weights/model.safetensors"
        ]
    );
}

/// A file of `modelseal-oms`'s test data.
fn oms_data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/modelseal-oms/tests/data")
        .join(path)
}

#[test]
fn malformed_bundles_fail_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("good.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);
    let good = read(&sig);
    let bundle: serde_json::Value = serde_json::from_slice(&good).expect("json");

    // One digest digit of the signed statement changed, signature kept.
    let config_digest = sha256sum(&model.join("config.json"));
    let mut payload = STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().expect("payload"))
        .expect("base64");
    let at = payload
        .windows(64)
        .position(|w| w == config_digest.as_bytes())
        .expect("the statement lists config.json's digest");
    payload[at] = if payload[at] == b'0' { b'1' } else { b'0' };
    let mut flipped_payload = bundle.clone();
    flipped_payload["dsseEnvelope"]["payload"] = STANDARD.encode(&payload).into();

    // One bit of the signature flipped.
    let mut signature = STANDARD
        .decode(
            bundle["dsseEnvelope"]["signatures"][0]["sig"]
                .as_str()
                .expect("sig"),
        )
        .expect("base64");
    signature[10] ^= 0x01;
    let mut flipped_signature = bundle.clone();
    flipped_signature["dsseEnvelope"]["signatures"][0]["sig"] = STANDARD.encode(&signature).into();

    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        ("truncated", good[..good.len() / 2].to_vec(), 1, "truncated"),
        (
            "payload byte flipped",
            serde_json::to_vec(&flipped_payload).expect("json"),
            1,
            "does not verify",
        ),
        (
            "signature bit flipped",
            serde_json::to_vec(&flipped_signature).expect("json"),
            1,
            "does not verify",
        ),
        ("empty", Vec::new(), 1, "empty"),
        (
            "not JSON",
            b"this is not JSON\n".to_vec(),
            1,
            "does not verify",
        ),
        (
            "JSON, not a bundle",
            b"[1, 2, 3]".to_vec(),
            1,
            "does not verify",
        ),
        (
            "binary",
            (0..=255u8).cycle().take(4096).collect(),
            1,
            "does not verify",
        ),
    ];
    for (what, bytes, code, message) in cases {
        let bad = dir.path().join("bad.sig");
        std::fs::write(&bad, &bytes).expect("write");
        let out = verify(&model, &[&"--key", &public, &"--signature", &bad]);
        assert_eq!(out.code, code, "{what}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{what}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{what}: {}", out.stdout);
    }

    // The OMS specification's invalid vectors.
    for vector in [
        "empty",
        "missing-envelope",
        "missing-tlog-entries",
        "missing-verification-material",
    ] {
        let bad = oms_data(&format!("spec-vectors/invalid/{vector}.bundle.json"));
        let out = verify(
            &model,
            &[
                &"--key",
                &oms_data("spec-vectors/signer.pub"),
                &"--signature",
                &bad,
            ],
        );
        assert!(matches!(out.code, 1 | 2), "{vector}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{vector}: {}", out.stderr);
    }

    // 100 MB of nothing, sparse: refused by the size cap, not read whole.
    let huge = dir.path().join("huge.sig");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(100 << 20))
        .expect("sparse file");
    let started = Instant::now();
    let out = verify(&model, &[&"--key", &public, &"--signature", &huge]);
    assert!(matches!(out.code, 1 | 2), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.expect_stderr(&["limit"]);
    assert!(started.elapsed() < Duration::from_secs(30));

    verify(&model, &[&"--key", &public, &"--signature", &sig]).expect_code(0);
}

/// Runs `openssl` in `dir`, asserting success.
fn openssl(dir: &Path, args: &[&str]) {
    let out = run(Command::new("openssl").args(args).current_dir(dir));
    assert_eq!(out.code, 0, "openssl {args:?}: {}", out.stderr);
}

/// A throwaway P-256 certificate authority made with the OpenSSL CLI.
struct TestCa {
    dir: tempfile::TempDir,
    root: PathBuf,
}

const LEAF_EXTENSIONS: &str = "basicConstraints=critical,CA:FALSE\n\
    keyUsage=critical,digitalSignature\n\
    extendedKeyUsage=codeSigning\n";

impl TestCa {
    fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        openssl(
            dir.path(),
            &[
                "req",
                "-x509",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "root.key",
                "-subj",
                &format!("/O=modelseal test/CN={name}"),
                "-days",
                "3650",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                "root.pem",
            ],
        );
        std::fs::write(dir.path().join("leaf.ext"), LEAF_EXTENSIONS).expect("write");
        let root = dir.path().join("root.pem");
        Self { dir, root }
    }

    /// A code-signing certificate for `key` (a PEM private key), valid for
    /// 30 days from now, or over `dates` (`YYYYMMDDHHMMSSZ` start and end).
    fn issue(&self, key: &Path, out: &str, dates: Option<(&str, &str)>) -> PathBuf {
        let dir = self.dir.path();
        let key = key.to_str().expect("utf-8");
        let csr = format!("{out}.csr");
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-key",
                key,
                "-subj",
                "/O=modelseal test/CN=model signer",
                "-out",
                &csr,
            ],
        );
        match dates {
            None => openssl(
                dir,
                &[
                    "x509", "-req", "-in", &csr, "-CA", "root.pem", "-CAkey", "root.key", "-days",
                    "30", "-extfile", "leaf.ext", "-out", out,
                ],
            ),
            // `openssl x509` cannot set a start date before OpenSSL 3.4;
            // `openssl ca` can.
            Some((start, end)) => {
                std::fs::write(
                    dir.join("ca.cnf"),
                    "[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\n\
                     new_certs_dir = .\nserial = serial\ndefault_md = sha256\n\
                     policy = any\n[any]\norganizationName = optional\n\
                     commonName = supplied\n",
                )
                .expect("write");
                std::fs::write(dir.join("index.txt"), b"").expect("write");
                std::fs::write(dir.join("serial"), b"1000\n").expect("write");
                openssl(
                    dir,
                    &[
                        "ca",
                        "-batch",
                        "-config",
                        "ca.cnf",
                        "-cert",
                        "root.pem",
                        "-keyfile",
                        "root.key",
                        "-in",
                        &csr,
                        "-startdate",
                        start,
                        "-enddate",
                        end,
                        "-extfile",
                        "leaf.ext",
                        "-notext",
                        "-out",
                        out,
                    ],
                );
            }
        }
        dir.join(out)
    }
}

#[test]
fn certificate_chains_verify_to_their_root_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");

    // The committed RSA root -> P-521 intermediate -> P-521 leaf chain.
    let sig = dir.path().join("chain.sig");
    let signed = sign_json(
        &model,
        &[
            &"--key",
            &oms_data("chain/p521-leaf.key"),
            &"--cert",
            &oms_data("chain/p521-leaf.pem"),
            &"--cert-chain",
            &oms_data("chain/p521-intermediate.pem"),
            &"--signature",
            &sig,
        ],
    );
    assert_eq!(signed.method, "certificate");
    let rsa_root = oms_data("chain/rsa-root.pem");
    let (out, report) = verify_json(&model, &[&"--cert-chain", &rsa_root, &"--signature", &sig]);
    out.expect_code(0);
    assert!(report.verified);
    assert_eq!(report.signature_algorithm, "p521");
    let SignerJson::Certificate {
        subject,
        issuer,
        serial,
        not_after,
        chain_length,
    } = &report.signer
    else {
        panic!("{:?}", report.signer)
    };
    assert_eq!(subject, "CN=model signer,O=modelseal test");
    assert_eq!(issuer, "CN=P-521 intermediate,O=modelseal test");
    assert_eq!(serial, "2002");
    assert!(
        not_after.ends_with('Z') && not_after.len() == 20,
        "{not_after}"
    );
    assert_eq!(*chain_length, 2);

    // A certificate bundle checked with a bare key.
    let leaf_public = dir.path().join("leaf.pub");
    openssl(
        dir.path(),
        &[
            "pkey",
            "-in",
            oms_data("chain/p521-leaf.key").to_str().expect("utf-8"),
            "-pubout",
            "-out",
            "leaf.pub",
        ],
    );
    let out = verify(&model, &[&"--key", &leaf_public, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["certificate"]);

    // Another CA's root is not trusted.
    let ca = TestCa::new("other root");
    let out = verify(&model, &[&"--cert-chain", &ca.root, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["trusted root"]);

    // A leaf issued by the openssl CA: good with its root, not with the RSA one.
    let (key, _, _) = keygen(dir.path(), "leaf.key", "p256");
    let leaf = ca.issue(&key, "leaf.pem", None);
    let sig = dir.path().join("openssl-ca.sig");
    sign_json(
        &model,
        &[&"--key", &key, &"--cert", &leaf, &"--signature", &sig],
    );
    let (out, report) = verify_json(&model, &[&"--cert-chain", &ca.root, &"--signature", &sig]);
    out.expect_code(0);
    assert!(matches!(
        report.signer,
        SignerJson::Certificate {
            chain_length: 1,
            ..
        }
    ));
    let out = verify(&model, &[&"--cert-chain", &rsa_root, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["trusted root"]);
    // Several roots: any one of them may anchor the chain.
    verify(
        &model,
        &[
            &"--cert-chain",
            &rsa_root,
            &"--cert-chain",
            &ca.root,
            &"--signature",
            &sig,
        ],
    )
    .expect_code(0);
}

#[test]
fn an_expired_or_not_yet_valid_certificate_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let ca = TestCa::new("expiry root");
    let (key, _, _) = keygen(dir.path(), "leaf.key", "p256");
    let expired = ca.issue(
        &key,
        "expired.pem",
        Some(("20200101000000Z", "20210101000000Z")),
    );
    let sig = dir.path().join("expired.sig");
    sign_json(
        &model,
        &[&"--key", &key, &"--cert", &expired, &"--signature", &sig],
    );
    let out = verify(&model, &[&"--cert-chain", &ca.root, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["expired"]);
    assert!(out.stdout.is_empty());

    let future = ca.issue(
        &key,
        "future.pem",
        Some(("20900101000000Z", "20910101000000Z")),
    );
    let sig = dir.path().join("future.sig");
    sign_json(
        &model,
        &[&"--key", &key, &"--cert", &future, &"--signature", &sig],
    );
    let out = verify(&model, &[&"--cert-chain", &ca.root, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["not yet valid"]);
}

#[test]
fn a_certificate_for_another_key_is_refused_at_signing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let sig = dir.path().join("tiny.sig");
    for algorithm in ["p521", "ed25519"] {
        let (key, _, _) = keygen(dir.path(), &format!("{algorithm}.key"), algorithm);
        let out = sign(
            &model,
            &[
                &"--key",
                &key,
                &"--cert",
                &oms_data("chain/p521-leaf.pem"),
                &"--signature",
                &sig,
            ],
        );
        out.expect_code(2);
        out.expect_stderr(&["not the signing key"]);
        assert!(!sig.exists(), "no signature written");
    }
}

#[test]
fn a_symlink_in_a_signed_model_is_a_path_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("tiny.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);
    std::os::unix::fs::symlink("config.json", model.join("link.json")).expect("symlink");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    assert!(!report.verified);
    assert_eq!(report.kinds(), ["path_problem"], "{report:?}");
    let FindingJson::PathProblem { path, message } = &report.findings[0] else {
        unreachable!()
    };
    assert!(path.ends_with("link.json"), "{path}");
    assert!(message.contains("symbolic link"), "{message}");
}

#[test]
fn a_fifo_in_the_model_is_a_path_problem_and_does_not_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("tiny.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);
    let fifo = model.join("weights/pipe");
    let made = run(Command::new("mkfifo").arg(&fifo));
    assert_eq!(made.code, 0, "{}", made.stderr);

    let out = run_with_timeout(
        modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--key")
            .arg(&public)
            .arg("--signature")
            .arg(&sig)
            .args(["--format", "json"]),
        Duration::from_secs(20),
    );
    out.expect_code(1);
    let report: crate::support::VerifyJson = serde_json::from_str(&out.stdout).expect("report");
    assert_eq!(report.kinds(), ["path_problem"], "{report:?}");
    assert!(report.findings[0].name().ends_with("weights/pipe"));

    // Signing such a model is refused outright, without hanging either.
    let out = run_with_timeout(
        modelseal()
            .arg("sign")
            .arg(&model)
            .arg("--key")
            .arg(&key)
            .arg("--signature")
            .arg(dir.path().join("other.sig")),
        Duration::from_secs(20),
    );
    out.expect_code(2);
    out.expect_stderr(&["FIFO"]);
}

#[test]
fn key_files_in_the_wrong_place_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("tiny.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);
    let private_pem = read(&key);

    let cases: [(&str, Vec<&dyn AsRef<OsStr>>, &str); 4] = [
        (
            "sign",
            vec![&"--key", &public, &"--signature", &sig, &"--force"],
            "public key",
        ),
        (
            "verify",
            vec![&"--key", &key, &"--signature", &sig],
            "private key",
        ),
        (
            "verify",
            vec![&"--key", &sig, &"--signature", &sig],
            "not a PEM key",
        ),
        (
            "verify",
            vec![&"--cert-chain", &key, &"--signature", &sig],
            "CERTIFICATE",
        ),
    ];
    for (command, args, message) in cases {
        let out = run(modelseal()
            .arg(command)
            .arg(&model)
            .args(args.iter().map(|a| a.as_ref())));
        out.expect_code(2);
        assert!(
            out.stderr.contains(message),
            "{command} {message}: {}",
            out.stderr
        );
        assert_no_secret(&out, &private_pem);
    }
    verify(&model, &[&"--key", &public, &"--signature", &sig]).expect_code(0);
}

#[test]
fn verify_lists_every_finding_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("tiny.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);
    let original = sha256sum(&model.join("config.json"));

    std::fs::write(model.join("config.json"), b"{\"model_type\": \"evil\"}\n").expect("write");
    std::fs::remove_file(model.join("tokenizer.json")).expect("rm");
    std::fs::write(model.join("weights/extra.bin"), b"payload").expect("write");
    let now = sha256sum(&model.join("config.json"));

    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    assert!(!report.verified);
    assert_eq!(
        report.findings,
        [
            FindingJson::Modified {
                name: "config.json".into(),
                algorithm: "sha256".into(),
                expected: original.clone(),
                actual: now.clone(),
                tensors: None,
            },
            FindingJson::Missing {
                name: "tokenizer.json".into()
            },
            FindingJson::Unsigned {
                name: "weights/extra.bin".into(),
                fails: true
            },
        ]
    );
    assert_ne!(original, now);
    assert_eq!(report.resources_checked, 3);

    let out = verify(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    for line in [
        "verification FAILED",
        "3 findings",
        "modified      config.json",
        &format!("expected sha256:{original}"),
        &format!("actual   sha256:{now}"),
        "missing       tokenizer.json",
        "unsigned      weights/extra.bin",
    ] {
        assert!(out.stdout.contains(line), "{line:?} in {}", out.stdout);
    }
}

#[test]
fn shard_findings_name_the_shard_or_the_size_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "p256.key", "p256");
    let sig = dir.path().join("tiny.sig");
    sign_json(
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--hash",
            &"blake3",
            &"--shard-size",
            &"1000",
        ],
    );
    let weights = model.join("weights/model.safetensors");
    let mut bytes = read(&weights);
    bytes[1500] ^= 0xff;
    std::fs::write(&weights, &bytes).expect("write");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);
    let FindingJson::Modified {
        name,
        algorithm,
        expected,
        actual,
        ..
    } = &report.findings[0]
    else {
        unreachable!()
    };
    assert_eq!(name, "weights/model.safetensors:1000:2000");
    assert_eq!(algorithm, "blake3");
    assert!(is_hex(expected, 64) && is_hex(actual, 64) && expected != actual);

    bytes[1500] ^= 0xff;
    bytes.push(0);
    std::fs::write(&weights, &bytes).expect("write");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    // The size is compared, and the byte appended to a safetensors file
    // also makes its header wrong.
    assert_eq!(report.kinds(), ["size_changed", "invalid_format"]);
    assert_eq!(
        report.findings[0],
        FindingJson::SizeChanged {
            name: "weights/model.safetensors".into(),
            expected_size: 3000,
            actual_size: 3001,
        }
    );
}

#[test]
fn ignore_and_ignore_unsigned_files_on_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("tiny.sig");
    sign_json(&model, &[&"--key", &key, &"--signature", &sig]);
    std::fs::write(model.join("extra.txt"), b"added").expect("write");
    std::fs::create_dir(model.join("notes")).expect("mkdir");
    std::fs::write(model.join("notes/a.txt"), b"added too").expect("write");
    let trust: [&dyn AsRef<OsStr>; 4] = [&"--key", &public, &"--signature", &sig];

    let (out, report) = verify_json(&model, &trust);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["unsigned", "unsigned"]);

    // --ignore: relative to the model, or absolute inside it; a directory
    // excludes its subtree.
    let absolute = model.join("extra.txt");
    for ignores in [
        vec![&"extra.txt" as &dyn AsRef<OsStr>, &"notes"],
        vec![&absolute, &"notes/a.txt"],
    ] {
        let mut args = trust.to_vec();
        for ignore in ignores {
            args.extend([&"--ignore" as &dyn AsRef<OsStr>, ignore]);
        }
        let (out, report) = verify_json(&model, &args);
        out.expect_code(0);
        assert!(report.verified && report.findings.is_empty(), "{report:?}");
    }
    let mut args = trust.to_vec();
    args.extend([&"--ignore" as &dyn AsRef<OsStr>, &"extra.txt"]);
    let (out, report) = verify_json(&model, &args);
    out.expect_code(1);
    assert_eq!(report.findings[0].name(), "notes/a.txt");

    // --ignore-unsigned-files: listed, not failing.
    let mut args = trust.to_vec();
    args.push(&"--ignore-unsigned-files");
    let (out, report) = verify_json(&model, &args);
    out.expect_code(0);
    assert!(report.verified);
    assert_eq!(
        report.findings,
        [
            FindingJson::Unsigned {
                name: "extra.txt".into(),
                fails: false
            },
            FindingJson::Unsigned {
                name: "notes/a.txt".into(),
                fails: false
            },
        ]
    );
    let out = verify(&model, &args);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("extra.txt (allowed by --ignore-unsigned-files)"),
        "{}",
        out.stdout
    );
    // …but it does not hide a modification.
    std::fs::write(model.join("config.json"), b"{}").expect("write");
    let (out, report) = verify_json(&model, &args);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified", "unsigned", "unsigned"]);
}

/// OMS: a zero-byte file has no shard, so a sharded manifest cannot list
/// it. Signing such a model must not make its own verification fail.
#[test]
fn an_empty_file_in_a_sharded_model_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    std::fs::write(model.join("weights/empty.bin"), b"").expect("write");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    for shards in [false, true] {
        let sig = dir.path().join(format!("shards-{shards}.sig"));
        let mut args: Vec<&dyn AsRef<OsStr>> = vec![&"--key", &key, &"--signature", &sig];
        if shards {
            args.extend([&"--shard-size" as &dyn AsRef<OsStr>, &"1000"]);
        }
        let signed = sign_json(&model, &args);
        assert_eq!(signed.files, 4);
        assert_eq!(signed.resources, if shards { 5 } else { 4 });
        let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
        out.expect_code(0);
        assert!(report.findings.is_empty(), "shards={shards}: {report:?}");
    }
    // Once it has content, it is an unsigned file again.
    std::fs::write(model.join("weights/empty.bin"), b"no longer empty").expect("write");
    let sig = dir.path().join("shards-true.sig");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    assert_eq!(
        report.findings,
        [FindingJson::Unsigned {
            name: "weights/empty.bin".into(),
            fails: true
        }]
    );
}

/// Regression: `--password-file /dev/zero` used to read without bound.
#[test]
fn an_endless_password_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(modelseal()
        .args(["keygen", "--out"])
        .arg(dir.path().join("key"))
        .args(["--password-file", "/dev/zero"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    out.expect_stderr(&["password file `/dev/zero` is larger than"]);
    assert!(!dir.path().join("key").exists(), "no key is written");
}

/// A failed verification ends with what fixes it, one line per kind of
/// problem; a pass prints none.
#[test]
fn failed_verifications_say_what_fixes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = crate::support::signed_tiny_model(dir.path(), "p256");
    let verify = || {
        run(modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--key")
            .arg(&public))
    };
    let fix_lines = |out: &Run| -> Vec<String> {
        out.stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("fix "))
            .map(str::to_owned)
            .collect()
    };
    let passed = verify();
    passed.expect_code(0);
    assert!(!passed.stdout.contains("fix "), "{}", passed.stdout);

    std::fs::write(model.join("config.json"), b"{\"changed\": 1}\n").expect("write");
    let modified = verify();
    modified.expect_code(1);
    let fixes = fix_lines(&modified);
    assert_eq!(fixes.len(), 1, "{}", modified.stdout);
    assert!(
        fixes[0].contains("restore the published files")
            && fixes[0].contains("`modelseal sign MODEL --key KEY --force`"),
        "{}",
        fixes[0]
    );

    std::fs::write(model.join("extra.txt"), b"x").expect("write");
    let both = verify();
    both.expect_code(1);
    let fixes = fix_lines(&both);
    assert_eq!(fixes.len(), 2, "{}", both.stdout);
    assert!(fixes[1].contains("--ignore-unsigned-files"), "{}", fixes[1]);
    // Accepted unsigned files need no fix.
    let allowed = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public)
        .arg("--ignore-unsigned-files"));
    allowed.expect_code(1);
    assert!(
        !allowed.stdout.contains("--ignore-unsigned-files`"),
        "{}",
        allowed.stdout
    );
}
