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

/// A bundle over `model` made straight from its manifest, without
/// `sign_model`'s gate or naming: as an older modelseal or another OMS
/// signer would make it (a single file keeps its basename).
fn raw_bundle(model: &Path, key: &SigningKey) -> Vec<u8> {
    let walked =
        modelseal_hash::walk(model, &modelseal_hash::WalkOptions::default()).expect("walk");
    let manifest = modelseal_hash::hash_model(&walked, &HashOptions::default()).expect("hash");
    modelseal_oms::sign_manifest_with(
        &manifest,
        &walked.name(),
        key,
        None,
        &modelseal_oms::ResourceExtensions::new(),
    )
    .expect("sign manifest")
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
    let s = setup(&[("weights.bin", b"not really")]);
    let file = s.model.join("weights.bin");
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

// A single file's one signed resource is that file whatever its name:
// `.` (what both reference tools and modelseal now write) or a basename
// (what modelseal wrote before), and after a rename.
#[test]
fn a_single_file_verifies_whatever_its_signed_name() {
    let s = setup(&[("weights.bin", b"not really")]);
    let file = s.model.join("weights.bin");
    let outcome = sign_model(&file, &s.key, &SignOptions::default()).expect("sign");
    let names: Vec<_> = outcome
        .manifest
        .resources
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["."]);
    // A bundle naming it by its basename, made without sign_model.
    let legacy = s.model.join("legacy.sig");
    fs::write(&legacy, raw_bundle(&file, &s.key)).expect("write signature");
    let renamed = s.model.join("renamed.bin");
    fs::rename(&file, &renamed).expect("rename");
    for signature in [outcome.signature.clone(), legacy] {
        let mut options = VerifyOptions::new(s.trust.clone());
        options.signature = Some(signature.clone());
        let report = verify_model(&renamed, &options).expect("verify");
        assert!(
            report.verified,
            "{}: {:?}",
            signature.display(),
            report.findings
        );
    }
    // Other content under the same name is still caught.
    fs::write(&renamed, b"changed").expect("write");
    let mut options = VerifyOptions::new(s.trust.clone());
    options.signature = Some(outcome.signature);
    let report = verify_model(&renamed, &options).expect("verify");
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

/// A safetensors file holding `tensors` (name, dtype, shape, bytes) in that
/// order, its header padded with spaces to 8 bytes.
fn safetensors(tensors: &[(&str, &str, &[u64], &[u8])]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut offset = 0;
    for (name, dtype, shape, data) in tensors {
        let end = offset + data.len();
        header.insert(
            (*name).to_owned(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut json = serde_json::to_vec(&header).expect("json");
    while json.len() % 8 != 0 {
        json.push(b' ');
    }
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    for (_, _, _, data) in tensors {
        out.extend_from_slice(data);
    }
    out
}

const WEIGHT: [u8; 8] = [0, 0, 128, 63, 0, 0, 0, 64]; // F32 [1.0, 2.0]
const MASK: [u8; 3] = [1, 0, 1];

fn tensor_model() -> Setup {
    let weights = safetensors(&[
        ("weight", "F32", &[2], &WEIGHT),
        ("mask", "BOOL", &[3], &MASK),
    ]);
    setup(&[
        ("config.json", b"{}\n"),
        ("model.safetensors", &weights),
        ("other.safetensors", &weights),
    ])
}

fn load(s: &Setup, file: &str) -> Result<SafeTensorsBuffer, Error> {
    load_safetensors(&s.model, file, &LoadOptions::new(s.trust.clone()))
}

#[test]
fn load_safetensors_hands_out_the_signed_bytes() {
    let s = tensor_model();
    for hash in [
        modelseal_hash::HashAlgorithm::Sha256,
        modelseal_hash::HashAlgorithm::Blake3,
    ] {
        let options = SignOptions {
            hash: HashOptions {
                algorithm: hash,
                ..HashOptions::default()
            },
            force: true,
            ..SignOptions::default()
        };
        sign_model(&s.model, &s.key, &options).expect("sign");
        let buffer = load(&s, "model.safetensors").expect("load");
        let tensors: Vec<(&str, &str, &[u64], &[u8])> = buffer
            .tensors()
            .map(|t| (t.name, t.dtype, t.shape, t.data))
            .collect();
        assert_eq!(
            tensors,
            [
                ("weight", "F32", &[2u64][..], &WEIGHT[..]),
                ("mask", "BOOL", &[3u64][..], &MASK[..]),
            ],
            "{hash:?}"
        );
        assert_eq!(buffer.tensor("mask").expect("mask").data, MASK);
        assert!(buffer.tensor("nope").is_none());
        assert_eq!(
            buffer.as_bytes(),
            fs::read(s.model.join("model.safetensors")).expect("read")
        );
    }

    // A single-file model: its file name, its own signature beside it.
    let file = s.model.join("other.safetensors");
    sign_model(&file, &s.key, &SignOptions::default()).expect("sign");
    let buffer = load_safetensors(
        &file,
        "other.safetensors",
        &LoadOptions::new(s.trust.clone()),
    )
    .expect("load single file");
    assert_eq!(buffer.tensors().count(), 2);
}

#[test]
fn load_safetensors_refuses_a_modified_file_or_an_untrusted_signature() {
    let s = tensor_model();
    sign_model(&s.model, &s.key, &SignOptions::default()).expect("sign");
    let other = SigningKey::generate(KeyAlgorithm::Ed25519);
    let wrong = LoadOptions::new(Trust::PublicKey(other.public_key()));
    match load_safetensors(&s.model, "model.safetensors", &wrong) {
        Err(error @ Error::Signature { .. }) => assert!(error.is_verification_failure()),
        other => panic!("expected a signature error, got {other:?}"),
    }

    let path = s.model.join("model.safetensors");
    let mut bytes = fs::read(&path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1; // inside `mask`: the header still parses
    fs::write(&path, &bytes).expect("write");
    match load(&s, "model.safetensors") {
        Err(error @ Error::Format(_)) => {
            assert!(error.is_verification_failure(), "{error}");
            assert!(error.to_string().contains("model.safetensors"), "{error}");
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    // So is one that grew.
    bytes.push(0);
    fs::write(&path, &bytes).expect("write");
    let error = load(&s, "model.safetensors").expect_err("grown");
    assert!(error.is_verification_failure(), "{error}");
    // The other, untouched file still loads.
    load(&s, "other.safetensors").expect("untouched");
}

#[test]
fn load_safetensors_checks_the_header_even_when_the_digest_matches() {
    // Two tensors over the same byte: a header loaders must not trust.
    let header = br#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#;
    let hostile = [
        &(header.len() as u64).to_le_bytes()[..],
        &header[..],
        &[0u8; 3][..],
    ]
    .concat();
    let s = setup(&[("model.safetensors", &hostile)]);
    let refused = sign_model(&s.model, &s.key, &SignOptions::default()).expect_err("gate");
    assert!(matches!(refused, Error::FormatGate(_)), "{refused:?}");
    // `allow` admits pickles, never an invalid safetensors file.
    let allow = SignOptions {
        unsafe_formats: UnsafeFormats::Allow,
        ..SignOptions::default()
    };
    let refused = sign_model(&s.model, &s.key, &allow).expect_err("gate under allow");
    assert!(matches!(refused, Error::FormatGate(_)), "{refused:?}");
    // A signature over the hostile bytes, made without the gate (as an
    // older modelseal or another OMS signer would).
    fs::write(
        s.model.join(SIGNATURE_FILE_NAME),
        raw_bundle(&s.model, &s.key),
    )
    .expect("write signature");
    match load(&s, "model.safetensors") {
        Err(Error::Format(e)) => {
            assert!(
                !matches!(*e, modelseal_formats::FormatError::DigestMismatch { .. }),
                "{e}"
            );
            assert!(e.to_string().contains("overlaps"), "{e}");
        }
        other => panic!("expected a header error, got {other:?}"),
    }
}

// Issue 13, finding 2: `load_safetensors` on a file swapped for a FIFO
// blocked forever in `open`.
#[test]
fn load_safetensors_refuses_a_fifo_without_hanging() {
    let s = tensor_model();
    sign_model(&s.model, &s.key, &SignOptions::default()).expect("sign");
    let file = s.model.join("model.safetensors");
    fs::remove_file(&file).expect("rm");
    let made = std::process::Command::new("mkfifo")
        .arg(&file)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let (send, receive) = std::sync::mpsc::channel();
    let model = s.model.clone();
    let trust = s.trust.clone();
    std::thread::spawn(move || {
        let result = load_safetensors(&model, "model.safetensors", &LoadOptions::new(trust));
        let _ = send.send(result.map(|_| ()).map_err(|e| e.to_string()));
    });
    let result = receive
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("load_safetensors hung on a FIFO");
    let error = result.expect_err("a FIFO is refused");
    assert!(error.contains("model.safetensors"), "{error}");
}

#[test]
fn load_safetensors_needs_a_whole_file_digest_of_that_file() {
    let s = tensor_model();
    let shards = SignOptions {
        hash: HashOptions {
            method: Some(Method::Shards { shard_size: 16 }),
            ..HashOptions::default()
        },
        ..SignOptions::default()
    };
    sign_model(&s.model, &s.key, &shards).expect("sign shards");
    match load(&s, "model.safetensors") {
        Err(Error::Usage(message)) => assert!(message.contains("shards"), "{message}"),
        other => panic!("expected a usage error, got {other:?}"),
    }

    let ignoring = SignOptions {
        walk: modelseal_hash::WalkOptions {
            ignore_paths: vec![PathBuf::from("other.safetensors")],
            ..modelseal_hash::WalkOptions::default()
        },
        force: true,
        ..SignOptions::default()
    };
    sign_model(&s.model, &s.key, &ignoring).expect("sign");
    load(&s, "model.safetensors").expect("covered");
    for name in [
        "other.safetensors",
        "missing.safetensors",
        "../model.safetensors",
    ] {
        match load(&s, name) {
            Err(error @ Error::Usage(_)) => {
                assert!(!error.is_verification_failure());
                assert!(error.to_string().contains(name), "{error}");
            }
            other => panic!("{name}: expected a usage error, got {other:?}"),
        }
    }
}

#[test]
fn the_format_gate_refuses_or_reports_pickles() {
    let evil: &[u8] = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.";
    let s = setup(&[("config.json", b"{}\n"), ("pytorch_model.bin", evil)]);
    let deny = SignOptions {
        unsafe_formats: UnsafeFormats::Deny,
        ..SignOptions::default()
    };
    let error = sign_model(&s.model, &s.key, &deny).expect_err("deny refuses");
    assert!(error.is_verification_failure());
    assert!(error.to_string().starts_with("refusing to sign"), "{error}");
    match &error {
        Error::FormatGate(findings) => assert!(
            matches!(
                &findings[..],
                [Finding::UnsafeFormat { name, fails: true, .. }] if name == "pytorch_model.bin"
            ),
            "{findings:?}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!s.model.join(SIGNATURE_FILE_NAME).exists());

    // Warn (the default) refuses a pickle that imports a dangerous global.
    let error = sign_model(&s.model, &s.key, &SignOptions::default()).expect_err("warn refuses");
    match &error {
        Error::FormatGate(findings) => assert!(
            matches!(
                &findings[..],
                [Finding::UnsafeFormat { dangerous_globals, fails: true, .. }]
                    if dangerous_globals == &["os.system"]
            ),
            "{findings:?}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(error.to_string().contains("`os.system`"), "{error}");
    let allow = SignOptions {
        unsafe_formats: UnsafeFormats::Allow,
        ..SignOptions::default()
    };
    let outcome = sign_model(&s.model, &s.key, &allow).expect("allow signs");
    assert!(outcome.warnings.is_empty());
    let report = verify(&s, |_| {});
    assert!(!report.verified);
    assert_eq!(kinds(&report), ["unsafe_format"]);
    assert!(report.findings.iter().all(Finding::fails));
    let report = verify(&s, |o| o.unsafe_formats = UnsafeFormats::Deny);
    assert!(!report.verified);
    assert!(report.findings.iter().all(Finding::fails));
    let report = verify(&s, |o| o.unsafe_formats = UnsafeFormats::Allow);
    assert!(report.verified && report.findings.is_empty());
}
