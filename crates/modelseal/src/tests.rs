//! The library's sign/verify behaviour, without the CLI.

use std::fs;
use std::path::{Path, PathBuf};

use modelseal_hash::{HashOptions, Method};

use super::*;

struct Setup {
    _dir: tempfile::TempDir,
    model: PathBuf,
    key: SigningKey,
    trust: Trust,
}

fn setup(files: &[(&str, &[u8])]) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model");
    for (name, data) in files {
        let path = model.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, data).expect("write");
    }
    let key = SigningKey::generate(KeyAlgorithm::Ed25519);
    let trust = Trust::PublicKey(key.public_key());
    Setup {
        _dir: dir,
        model,
        key,
        trust,
    }
}

fn verify(setup: &Setup, adjust: impl FnOnce(&mut VerifyOptions)) -> VerificationReport {
    let mut options = VerifyOptions::new(setup.trust.clone());
    adjust(&mut options);
    verify_model(&setup.model, &options).expect("verify runs")
}

fn kinds(report: &VerificationReport) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            serde_json::to_value(f).expect("json")["kind"]
                .as_str()
                .expect("kind")
                .to_owned()
        })
        .collect()
}

#[test]
fn partial_verification_reads_only_the_named_files() {
    let s = setup(&[
        ("a.bin", b"aaaa"),
        ("b.bin", b"bbbb"),
        ("sub/c.bin", b"cccc"),
    ]);
    sign_model(&s.model, &s.key, &SignOptions::default()).expect("sign");
    // Make b.bin unreadable in a way even root notices: replace it by a FIFO.
    // A partial verification of a.bin must not touch it.
    fs::remove_file(s.model.join("b.bin")).expect("rm");
    let status = std::process::Command::new("mkfifo")
        .arg(s.model.join("b.bin"))
        .status()
        .expect("mkfifo");
    assert!(status.success());
    fs::write(s.model.join("extra.bin"), b"extra").expect("write");

    let report = verify(&s, |o| o.only = vec![PathBuf::from("a.bin")]);
    assert!(report.verified, "{:?}", report.findings);
    assert_eq!(report.resources_checked, 1);
    assert_eq!(report.bytes_hashed, 4);

    fs::write(s.model.join("sub/c.bin"), b"CCCC").expect("write");
    let report = verify(&s, |o| {
        o.only = vec![s.model.join("sub/c.bin"), PathBuf::from("nope.bin")]
    });
    assert!(!report.verified);
    assert_eq!(kinds(&report), ["not_signed", "modified"]);
}

#[test]
fn shards_report_size_changes_and_modified_ranges() {
    let s = setup(&[("w.bin", &[7u8; 2500]), ("x.bin", &[1u8; 10])]);
    let options = SignOptions {
        hash: HashOptions {
            method: Some(Method::Shards { shard_size: 1000 }),
            ..HashOptions::default()
        },
        ..SignOptions::default()
    };
    sign_model(&s.model, &s.key, &options).expect("sign");
    assert!(verify(&s, |_| {}).verified);

    let mut data = vec![7u8; 2500];
    data[1500] = 8;
    fs::write(s.model.join("w.bin"), &data).expect("write");
    fs::write(s.model.join("x.bin"), [1u8; 11]).expect("write");
    let report = verify(&s, |_| {});
    assert_eq!(kinds(&report), ["modified", "size_changed"]);
    match &report.findings[0] {
        Finding::Modified { name, .. } => assert_eq!(name, "w.bin:1000:2000"),
        other => panic!("{other:?}"),
    }
    match &report.findings[1] {
        Finding::SizeChanged {
            name,
            expected_size,
            actual_size,
        } => assert_eq!(
            (name.as_str(), *expected_size, *actual_size),
            ("x.bin", 10, 11)
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_single_file_model_signs_beside_itself() {
    let s = setup(&[("weights.safetensors", b"not really")]);
    let file = s.model.join("weights.safetensors");
    let outcome = sign_model(&file, &s.key, &SignOptions::default()).expect("sign");
    assert_eq!(
        outcome.signature,
        Path::new(&format!("{}.sig", file.display()))
    );
    let report = verify_model(&file, &VerifyOptions::new(s.trust.clone())).expect("verify");
    assert!(report.verified);
    fs::write(&file, b"changed").expect("write");
    let report = verify_model(&file, &VerifyOptions::new(s.trust.clone())).expect("verify");
    assert_eq!(kinds(&report), ["modified"]);
}

#[test]
fn a_signature_is_never_overwritten_without_force() {
    let s = setup(&[("a.bin", b"a")]);
    sign_model(&s.model, &s.key, &SignOptions::default()).expect("sign");
    let sig = s.model.join(SIGNATURE_FILE_NAME);
    let before = fs::read(&sig).expect("read");
    fs::write(s.model.join("a.bin"), b"b").expect("write");
    match sign_model(&s.model, &s.key, &SignOptions::default()) {
        Err(Error::Exists { path }) => assert_eq!(path, sig),
        other => panic!("expected Exists, got {other:?}"),
    }
    assert_eq!(fs::read(&sig).expect("read"), before);
    let forced = SignOptions {
        force: true,
        ..SignOptions::default()
    };
    sign_model(&s.model, &s.key, &forced).expect("sign --force");
    assert_ne!(fs::read(&sig).expect("read"), before);
    assert!(verify(&s, |_| {}).verified);
}

#[test]
fn a_forged_or_foreign_signature_is_a_verification_failure() {
    let s = setup(&[("a.bin", b"a")]);
    sign_model(&s.model, &s.key, &SignOptions::default()).expect("sign");
    let other = SigningKey::generate(KeyAlgorithm::Ed25519);
    let options = VerifyOptions::new(Trust::PublicKey(other.public_key()));
    let error = verify_model(&s.model, &options).expect_err("wrong key");
    assert!(error.is_verification_failure(), "{error}");

    let sig = s.model.join(SIGNATURE_FILE_NAME);
    let text = fs::read_to_string(&sig).expect("read");
    fs::write(&sig, &text[..text.len() / 2]).expect("truncate");
    let error =
        verify_model(&s.model, &VerifyOptions::new(s.trust.clone())).expect_err("truncated");
    assert!(error.is_verification_failure(), "{error}");

    fs::remove_file(&sig).expect("rm");
    let error = verify_model(&s.model, &VerifyOptions::new(s.trust.clone())).expect_err("missing");
    assert!(
        !error.is_verification_failure(),
        "a missing file is an I/O error: {error}"
    );
}
