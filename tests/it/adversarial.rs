//! Findings of the adversarial review (issue 13), one regression test each,
//! named after what it guards.

use crate::support::{keygen, modelseal, run, tiny_model};

// Finding 4: strings from a forged bundle and file names were printed raw,
// so a `model.sig` could redraw a VT100 terminal as a "verified" block.
#[test]
fn terminal_escapes_from_file_names_and_forged_bundles_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = crate::support::signed_tiny_model(dir.path(), "p256");
    let hostile = "x\u{1b}[2J\u{1b}[Hverified `tiny`\u{9b}0m.bin";
    std::fs::write(model.join(hostile), b"planted").expect("write");
    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public));
    out.expect_code(1);
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}'),
            "raw control characters: {text:?}"
        );
    }
    assert!(out.stdout.contains("x\\x1b[2J\\x1b[H"), "{}", out.stdout);
    assert!(out.stdout.contains("\\u{9b}"), "{}", out.stdout);

    // A forged bundle whose fields carry escape sequences.
    std::fs::remove_file(model.join(hostile)).expect("rm");
    let sig = model.join("model.sig");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sig).expect("read")).expect("bundle");
    bundle["mediaType"] = "\u{1b}[2J\u{1b}[Hverified `tiny`\u{1b}[8m".into();
    std::fs::write(&sig, serde_json::to_vec(&bundle).expect("json")).expect("write");
    for args in [&["verify", "--key"][..], &["status"][..]] {
        let mut command = modelseal();
        command.arg(args[0]).arg(&model);
        if args.len() > 1 {
            command.arg(args[1]).arg(&public);
        }
        let out = run(&mut command);
        out.expect_code(1);
        for text in [&out.stdout, &out.stderr] {
            assert!(!text.contains('\u{1b}'), "{args:?}: raw ESC in {text:?}");
        }
    }
}

// Finding 8: the digest cache's temporary file had a guessable name
// (`<hash>.json.<pid>.tmp`) and was opened with `File::create`, so a link
// planted in a shared cache folder redirected the write to another file.
#[test]
fn the_digest_cache_never_writes_through_a_planted_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, _, _) = keygen(dir.path(), "key", "p256");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"precious").expect("write");
    // Plant links under every name the old code could have used, for a
    // range of process ids around ours, in the cache folder.
    std::fs::create_dir(&cache).expect("mkdir");
    let sign = |cache: &std::path::Path| {
        run(modelseal()
            .arg("sign")
            .arg(&model)
            .arg("--key")
            .arg(&key)
            .args(["--incremental", "--force"])
            .env("MODELSEAL_CACHE_DIR", cache))
    };
    sign(&cache).expect_code(0);
    let cache_file = std::fs::read_dir(&cache)
        .expect("read cache")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a cache file");
    let base = cache_file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_owned();
    let me = std::process::id();
    for pid in me.saturating_sub(2000)..me + 20000 {
        let _ = std::os::unix::fs::symlink(&victim, cache.join(format!("{base}.{pid}.tmp")));
    }
    std::fs::write(model.join("config.json"), b"{\"changed\": 1}\n").expect("change");
    sign(&cache).expect_code(0);
    assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
    // A cache folder modelseal creates is private.
    let fresh = dir.path().join("fresh-cache");
    sign(&fresh).expect_code(0);
    let mode = std::fs::metadata(&fresh)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
}

fn mkfifo(path: &std::path::Path) {
    let made = run(std::process::Command::new("mkfifo").arg(path));
    assert_eq!(made.code, 0, "{}", made.stderr);
}

// Finding 2: `model.sig` as a FIFO hung verify, status, verify --cached
// and the hook forever (a plain blocking open). Each is now refused at
// once, naming the file; a 60 s limit turns a hang into a failure.
#[test]
fn a_fifo_in_place_of_a_signature_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = crate::support::signed_tiny_model(dir.path(), "p256");
    std::fs::remove_file(model.join("model.sig")).expect("rm");
    mkfifo(&model.join("model.sig"));
    let limit = std::time::Duration::from_secs(60);
    let cases: [(&[&str], bool); 4] = [
        (&["verify", "--key"], true),
        (&["verify", "--cached", "--key"], true),
        (&["status"], false),
        (&["hook", "verify", "--model"], false),
    ];
    for (args, with_key) in cases {
        let mut command = modelseal();
        command.current_dir(dir.path());
        if args[0] == "hook" {
            command.args(args).arg(&model);
        } else {
            command.args(&args[..1]).arg(&model).args(&args[1..]);
            if with_key {
                command.arg(&public);
            }
        }
        let out = crate::support::run_with_timeout(&mut command, limit);
        assert_ne!(out.code, 0, "{args:?}: {}{}", out.stdout, out.stderr);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(
            text.contains("model.sig") && text.contains("a FIFO"),
            "{args:?}: {text}"
        );
    }
}

// Finding 2, for model files: a file given directly that is a FIFO must not
// hang either (`load_safetensors` on a FIFO is a unit test of `modelseal`).
#[test]
fn a_fifo_in_place_of_a_model_file_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("weights.safetensors");
    mkfifo(&fifo);
    let limit = std::time::Duration::from_secs(60);
    let out = crate::support::run_with_timeout(modelseal().arg("inspect").arg(&fifo), limit);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("FIFO"), "{}", out.stderr);
}

// Finding 7: appending to a file while `verify` hashed it gave "verified",
// since only the signed length was read. The size (and the file's identity)
// is checked again after hashing.
#[test]
fn a_file_that_grows_while_it_is_hashed_is_not_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("big");
    std::fs::create_dir(&model).expect("mkdir");
    let weights = model.join("weights.bin");
    // 2 GiB of zeros, sparse: hashing takes a second or so, reading nothing
    // from disk.
    std::fs::File::create(&weights)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let mut child = modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Past start-up and the walk, into the hashing; then keep appending.
    std::thread::sleep(std::time::Duration::from_millis(150));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&weights)
        .expect("open");
    let started = std::time::Instant::now();
    let status = loop {
        use std::io::Write as _;
        let _ = file.write_all(b"x");
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(started.elapsed().as_secs() < 120, "verify did not finish");
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(
        status.code(),
        Some(0),
        "verified a growing file: {stdout}{stderr}"
    );
    assert!(
        stderr.contains("changed while being hashed") || stdout.contains("weights.bin"),
        "{stdout}{stderr}"
    );
}

// Finding 5: `status` and the hook took `allow_symlinks` from the
// unverified `model.sig`, so a hostile repository could make them follow
// links into directories (and multiply the tree) without any key. From an
// unverified signature only links to files are followed.
#[test]
fn an_unverified_signature_cannot_widen_the_walk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    std::os::unix::fs::symlink("config.json", model.join("alias.json")).expect("symlink");
    std::os::unix::fs::symlink("weights", model.join("more-weights")).expect("symlink");
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .arg("--allow-symlinks"))
    .expect_code(0);
    // verify checked the signer, so the signed allowance holds in full.
    run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public))
    .expect_code(0);
    let out = run(modelseal().arg("status").arg(&model));
    out.expect_code(1);
    assert!(out.stdout.contains("more-weights"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("alias.json"),
        "file links are still followed: {}",
        out.stdout
    );
}

// Finding 6: a 10 GB sparse file in place of a 6-byte signed file was
// hashed in full before the size change was reported. With shards the
// signed ranges give the size: it is compared first, and nothing is read.
#[test]
fn a_size_the_signature_gives_is_checked_before_hashing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m");
    std::fs::create_dir(&model).expect("mkdir");
    std::fs::write(model.join("small.bin"), b"six by").expect("write");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .args(["--method", "shards"]))
    .expect_code(0);
    // 1 TiB, sparse: hashing it would take many minutes.
    std::fs::File::create(model.join("small.bin"))
        .and_then(|f| f.set_len(1 << 40))
        .expect("sparse file");
    let out = crate::support::run_with_timeout(
        modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--key")
            .arg(&public)
            .args(["--format", "json"]),
        std::time::Duration::from_secs(60),
    );
    out.expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(report["findings"][0]["kind"], "size_changed", "{report}");
    assert_eq!(report["bytes_hashed"], 0, "{report}");
}

// Finding 3: attestations were bound to the OMS root digest, the hash of
// the resource digests in order, which covers no names. m1 = {model: A,
// unused: B} and m2 = {a: A, model: B} share it, so a test passed for m1
// passed m2, whose loaded weights (`model.safetensors` = B) were never
// tested. Statements now carry the manifest digest, which covers names.
#[test]
fn an_attestation_for_one_manifest_does_not_count_for_another_with_the_same_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (
        crate::support::tiny_weights(1),
        crate::support::tiny_weights(2),
    );
    let make = |name: &str, files: [(&str, &[u8]); 2]| {
        let model = dir.path().join(name);
        std::fs::create_dir(&model).expect("mkdir");
        for (file, bytes) in files {
            std::fs::write(model.join(file), bytes).expect("write");
        }
        model
    };
    let m1 = make(
        "m1",
        [("model.safetensors", &a), ("unused.safetensors", &b)],
    );
    let m2 = make("m2", [("a.safetensors", &a), ("model.safetensors", &b)]);
    let (dev, _, _) = keygen(dir.path(), "dev", "p256");
    let (tess, _, _) = keygen(dir.path(), "tess", "p256");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n\
         [[signers]]\nname = \"dev\"\nkey = \"dev.pub\"\nroles = [\"developer\"]\n\
         [[signers]]\nname = \"tess\"\nkey = \"tess.pub\"\nroles = [\"tester\"]\n\
         [rules.tests]\n",
    )
    .expect("write policy");
    let mut roots = Vec::new();
    for model in [&m1, &m2] {
        let out = run(modelseal()
            .arg("sign")
            .arg(model)
            .arg("--key")
            .arg(&dev)
            .args(["--format", "json"]));
        out.expect_code(0);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("sign JSON");
        roots.push(json["root_digest"]["digest"].clone());
    }
    assert_eq!(roots[0], roots[1], "the two models share a root digest");
    let report = dir.path().join("garak.report.jsonl");
    std::fs::write(&report, b"{\"passed\": true}\n").expect("write");
    run(modelseal()
        .args(["attest", "test"])
        .arg(&m1)
        .arg("--key")
        .arg(&tess)
        .args([
            "--name",
            "garak 0.17.1",
            "--result",
            "pass",
            "--tester",
            "tess",
        ])
        .arg("--report")
        .arg(&report))
    .expect_code(0);
    std::fs::copy(m1.join("model.att.jsonl"), m2.join("model.att.jsonl")).expect("copy");

    let (out, verified) = crate::support::verify_json(&m1, &[&"--policy", &policy]);
    out.expect_code(0);
    assert!(verified.policy.expect("policy").failed().is_empty());
    let (out, verified) = crate::support::verify_json(&m2, &[&"--policy", &policy]);
    out.expect_code(1);
    let policy_report = verified.policy.expect("policy");
    assert_eq!(policy_report.failed(), ["tests"]);
    let reason = policy_report.reason("tests");
    assert!(
        reason.contains("bound to manifest") && reason.contains("other file names"),
        "{reason}"
    );
    let entry = &policy_report.attestations[0];
    assert_eq!(entry.status, "other-model");
    assert_eq!(
        entry.subject_digest,
        Some(format!("sha256:{}", roots[1].as_str().expect("hex")))
    );
    assert!(entry.manifest_digest.is_some());
    assert_ne!(
        entry.manifest_digest,
        Some(format!("sha256:{}", policy_report.manifest_digest))
    );
}

/// The order of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// A DER INTEGER holding the unsigned big-endian `value`, minimally.
fn der_integer(value: &[u8]) -> Vec<u8> {
    let start = value
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(value.len() - 1);
    let mut bytes = value[start..].to_vec();
    if bytes[0] >= 0x80 {
        bytes.insert(0, 0);
    }
    let mut out = vec![0x02, u8::try_from(bytes.len()).expect("short")];
    out.extend(bytes);
    out
}

/// `(r, s)` of a DER P-256 signature, each as 32 big-endian bytes.
fn p256_scalars(der: &[u8]) -> ([u8; 32], [u8; 32]) {
    assert_eq!(der[0], 0x30, "a SEQUENCE");
    let mut at = 2;
    let mut read = || {
        assert_eq!(der[at], 0x02, "an INTEGER");
        let len = usize::from(der[at + 1]);
        let value = &der[at + 2..at + 2 + len];
        at += 2 + len;
        let value = value.strip_prefix(&[0]).unwrap_or(value);
        let mut out = [0u8; 32];
        out[32 - value.len()..].copy_from_slice(value);
        out
    };
    let r = read();
    (r, read())
}

// Finding 9: ECDSA signatures are malleable: `(r, n - s)` verifies as well
// as `(r, s)`. modelseal accepts high-S (OpenSSL and the reference tools do
// not normalise `s`), as the README and the threat model say; what it must
// not accept is an encoding other than DER (a BER length or a padded
// integer), which would make one signature many byte strings.
#[test]
fn ecdsa_signatures_verify_high_s_but_only_in_der() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = crate::support::signed_tiny_model(dir.path(), "p256");
    let sig_path = model.join("model.sig");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sig_path).expect("read")).expect("bundle");
    let der = b64
        .decode(
            bundle["dsseEnvelope"]["signatures"][0]["sig"]
                .as_str()
                .expect("sig"),
        )
        .expect("base64");
    let verify_with = |sig: &[u8]| {
        let mut edited = bundle.clone();
        edited["dsseEnvelope"]["signatures"][0]["sig"] = b64.encode(sig).into();
        std::fs::write(&sig_path, serde_json::to_vec(&edited).expect("json")).expect("write");
        run(modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--key")
            .arg(&public))
    };

    // n - s, by long subtraction: one of s and n - s is high.
    let (r, s) = p256_scalars(&der);
    let mut other_s = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(P256_ORDER[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        other_s[i] = u8::try_from(d.rem_euclid(256)).expect("a byte");
    }
    let body = |s: &[u8]| [der_integer(&r), der_integer(s)].concat();
    let sequence = |content: Vec<u8>| {
        let mut out = vec![0x30, u8::try_from(content.len()).expect("short")];
        out.extend(content);
        out
    };
    assert_eq!(sequence(body(&s)), der, "re-encodes as signed");
    let out = verify_with(&sequence(body(&other_s)));
    out.expect_code(0);

    // The same (r, s) in BER: each is refused as not a well-formed signature.
    let long_length = {
        let content = body(&s);
        let mut out = vec![0x30, 0x81, u8::try_from(content.len()).expect("short")];
        out.extend(content);
        out
    };
    let padded_r = {
        let mut r_int = der_integer(&r);
        r_int.insert(2, 0);
        r_int[1] += 1;
        sequence([r_int, der_integer(&s)].concat())
    };
    let mut indefinite = vec![0x30, 0x80];
    indefinite.extend(body(&s));
    indefinite.extend([0, 0]);
    for (what, ber) in [
        ("a long-form length", long_length),
        ("a zero-padded r", padded_r),
        ("an indefinite length", indefinite),
    ] {
        let out = verify_with(&ber);
        assert_eq!(out.code, 1, "{what} accepted: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("not a well-formed p256 signature")
                || out.stderr.contains("not DER-encoded"),
            "{what}: {}",
            out.stderr
        );
    }
    verify_with(&der).expect_code(0);
}

// Finding 1: untrusted input was parsed into `serde_json::Value` trees (or
// whole into memory) before the signature was checked: a forged 64 MiB
// `model.sig` of `{"":0}` tlog entries cost 6.4 GB, a 16 MiB junk line in
// `model.att.jsonl` 1.6 GB, and the format gate's parse of an unsigned
// JSON, GGUF or safetensors file up to 2.6 GB. Each is now refused (or
// checked as a stream) by a cap, with an error or finding naming the file.
// Peak memory is the benchmark's business (case m), not these tests'.

/// `[{"":0},{"":0},...]` with `n` entries.
fn empty_objects(n: usize) -> String {
    format!("[{}]", vec![r#"{"":0}"#; n].join(","))
}

#[test]
fn a_forged_bundle_of_millions_of_tlog_entries_is_refused_by_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = crate::support::signed_tiny_model(dir.path(), "ed25519");
    let forged = format!(
        r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{{"tlogEntries":{}}}}}"#,
        empty_objects(2_000_000)
    );
    std::fs::write(model.join("model.sig"), forged).expect("write");
    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public));
    out.expect_code(1);
    out.expect_stderr(&[
        "model.sig",
        "`verificationMaterial.tlogEntries` has 2000000 entries, more than the 64 accepted",
    ]);
    // `status` reads the same bundle without a key: the same refusal.
    let out = run(modelseal().arg("status").arg(&model));
    assert_ne!(out.code, 0, "{}", out.stdout);
    out.expect_stderr(&["model.sig", "more than the 64 accepted"]);
}

#[test]
fn hostile_unsigned_files_are_checked_within_their_caps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, public) = crate::support::signed_tiny_model(dir.path(), "ed25519");
    // 14 MB of JSON objects: checked as a stream, valid.
    std::fs::write(model.join("extra.json"), empty_objects(2_000_000)).expect("write");
    // A GGUF declaring a million metadata pairs (what cost 912 MB at 6M):
    // refused from its counts; the 13 MB it needs are a hole in the file.
    let gguf = model.join("extra.gguf");
    let mut header = b"GGUF".to_vec();
    header.extend_from_slice(&3u32.to_le_bytes());
    header.extend_from_slice(&0u64.to_le_bytes());
    header.extend_from_slice(&1_000_000u64.to_le_bytes());
    std::fs::write(&gguf, &header).expect("write");
    std::fs::File::options()
        .append(true)
        .open(&gguf)
        .and_then(|f| f.set_len(13_000_100))
        .expect("grow");
    // A safetensors header of 200,000 empty tensors: a valid layout, but
    // more than the header memory cap.
    let entries: Vec<String> = (0..200_000)
        .map(|i| format!(r#""t{i}":{{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}"#))
        .collect();
    let mut text = format!("{{{}}}", entries.join(","));
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    let mut st = (text.len() as u64).to_le_bytes().to_vec();
    st.extend_from_slice(text.as_bytes());
    std::fs::write(model.join("extra.safetensors"), st).expect("write");

    let (out, report) = crate::support::verify_json(&model, &[&"--key", &public]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    for name in ["extra.json", "extra.gguf", "extra.safetensors"] {
        assert!(
            report.findings.iter().any(|f| f.name() == name),
            "{name}: {:?}",
            report.findings
        );
    }
    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public));
    out.expect_code(1);
    for expected in [
        "extra.gguf",
        "header needs more than 33554432 bytes of memory for its metadata and tensors",
        "extra.safetensors",
        "header needs more than 33554432 bytes of memory for its tensors and metadata",
    ] {
        assert!(out.stdout.contains(expected), "{expected}: {}", out.stdout);
    }
    // `inspect` says what each file is: the JSON valid, a JSON with a
    // 2 MiB string unchecked (its string is never held whole).
    std::fs::write(
        model.join("long.json"),
        format!(r#"{{"a":"{}"}}"#, "x".repeat(2 << 20)),
    )
    .expect("write");
    let out = run(modelseal()
        .arg("inspect")
        .arg(&model)
        .args(["--format", "json"]));
    let inspected: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let verdict = |name: &str| {
        inspected["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["verdict"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(verdict("extra.json").as_deref(), Some("safe"));
    assert_eq!(verdict("long.json").as_deref(), Some("unchecked"));
    assert_eq!(verdict("extra.gguf").as_deref(), Some("invalid"));
    assert_eq!(verdict("extra.safetensors").as_deref(), Some("invalid"));
}

#[test]
fn an_attestation_line_over_the_cap_is_refused_naming_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, _) = crate::support::signed_tiny_model(dir.path(), "ed25519");
    let file = model.join("model.att.jsonl");
    // Under the line cap: a malformed line, reported as such.
    let junk = format!(r#"{{"dsseEnvelope":{}}}"#, empty_objects(300_000));
    std::fs::write(&file, format!("{junk}\n")).expect("write");
    let out = run(modelseal()
        .arg("attestations")
        .arg(&model)
        .args(["--format", "json"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("malformed"), "{}", out.stdout);
    // Over it (16 MiB): refused as it is read.
    let junk = empty_objects(16 << 20 >> 3);
    std::fs::write(&file, format!("\n{junk}\n")).expect("write");
    let out = run(modelseal().arg("attestations").arg(&model));
    assert_ne!(out.code, 0, "{}", out.stdout);
    out.expect_stderr(&[
        "model.att.jsonl",
        "line 2 is more than the 4194304-byte limit of one attestation",
    ]);
}

// Finding 1, for the readers that check no signature (`status`, the hook):
// the payload of a forged bundle was parsed into a JSON tree (a 16 MiB
// bundle cost 1.2 GB in `status`). Its values are counted first, in
// constant memory, and too many are refused.
#[test]
fn an_unverified_payload_of_millions_of_values_is_refused_before_parsing() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, _) = crate::support::signed_tiny_model(dir.path(), "p256");
    let sig = model.join("model.sig");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sig).expect("read")).expect("bundle");
    let mut payload = String::from("{\"_type\":\"https://in-toto.io/Statement/v1\",\"x\":[");
    payload.push_str(&"{\"\":0},".repeat(1_500_000));
    payload.push_str("0]}");
    bundle["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD
        .encode(payload)
        .into();
    std::fs::write(&sig, serde_json::to_vec(&bundle).expect("json")).expect("write");
    for args in [&["status"][..], &["hook", "verify", "--model"][..]] {
        let out = run(modelseal().args(args).arg(&model));
        assert_ne!(out.code, 0, "{args:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains("JSON values"), "{args:?}: {text}");
        assert!(text.contains("model.sig"), "{args:?}: {text}");
    }
}

/// A command for the modelseal binary that runs without the privilege to
/// read what permissions forbid: as `nobody` when the suite runs as root
/// (root reads any file, which would make the test below pass for the
/// wrong reason), else as the current user. The binary is copied where
/// `nobody` can run it (`target/` may sit under a private home).
fn unprivileged(dir: &std::path::Path) -> std::process::Command {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let probe = dir.join(".uid-probe");
    std::fs::write(&probe, b"").expect("probe");
    let root = std::fs::metadata(&probe).expect("stat").uid() == 0;
    std::fs::remove_file(&probe).expect("rm");
    if !root {
        return modelseal();
    }
    let binary = dir.join("modelseal");
    if !binary.exists() {
        std::fs::copy(env!("CARGO_BIN_EXE_modelseal"), &binary).expect("copy binary");
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let mut command = crate::support::modelseal_at(&binary);
    // A cache `nobody` may write.
    command
        .env("MODELSEAL_CACHE_DIR", dir.join("out/cache"))
        .uid(65534)
        .gid(65534);
    command
}

/// Files and folders the user may not read: every command stops with an
/// I/O error (exit 2) naming the path and saying permission was denied,
/// never a pass, never a panic, never a signature written.
#[test]
fn unreadable_files_and_folders_are_errors_naming_them() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    mode(dir.path(), 0o755);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    mode(&out, 0o777);
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "k.key", "p256");
    mode(&key, 0o644);
    let signed = run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key));
    signed.expect_code(0);
    for path in [
        model.clone(),
        model.join("weights"),
        model.join("config.json"),
        model.join("tokenizer.json"),
        model.join("weights/model.safetensors"),
        model.join("model.sig"),
        public.clone(),
    ] {
        mode(&path, if path.is_dir() { 0o755 } else { 0o644 });
    }
    let commands = |model: &std::path::Path| {
        let new_sig = out.join("new.sig");
        [
            ("verify", {
                let mut c = unprivileged(dir.path());
                c.arg("verify").arg(model).arg("--key").arg(&public);
                c
            }),
            ("status", {
                let mut c = unprivileged(dir.path());
                c.arg("status").arg(model);
                c
            }),
            ("hash", {
                let mut c = unprivileged(dir.path());
                c.arg("hash").arg(model);
                c
            }),
            ("sign", {
                let mut c = unprivileged(dir.path());
                c.arg("sign")
                    .arg(model)
                    .arg("--key")
                    .arg(&key)
                    .arg("--signature")
                    .arg(new_sig);
                c
            }),
        ]
    };
    // Readable, everything passes as that user: the failures below are
    // the permissions' doing.
    for (name, mut command) in commands(&model) {
        let out = run(&mut command);
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
    }
    std::fs::remove_file(out.join("new.sig")).expect("rm");

    for (path, locked) in [
        (model.join("weights/model.safetensors"), 0o000),
        (model.join("weights"), 0o700),
        // Listable but not searchable: names read, entries not opened.
        (model.join("weights"), 0o744),
    ] {
        mode(&path, locked);
        for (name, mut command) in commands(&model) {
            let run = run(&mut command);
            assert_eq!(
                run.code, 2,
                "{name} {path:?} {locked:o}: {}{}",
                run.stdout, run.stderr
            );
            run.expect_stderr(&[&path.display().to_string(), "Permission denied"]);
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            assert!(
                !out.join("new.sig").exists(),
                "{name}: a signature was written"
            );
        }
        mode(&path, if path.is_dir() { 0o755 } else { 0o644 });
    }
}
