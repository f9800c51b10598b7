//! Key files other tools read and write: keys from `modelseal keygen` load
//! in OpenSSL (`openssl pkey`) and Python `cryptography`, and sign what the
//! reference tool verifies; keys from `openssl` load and sign here; the
//! hint rule (`publicKey.hint` is not signed, so it decides nothing); and
//! the password prompt for an encrypted key.
//!
//! Needs `openssl` (3.x), `script` (util-linux) and the reference tool's
//! virtualenv (see `interop.rs`), whose Python has `cryptography`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::interop::{assert_reference_verifies, reference_verify};
use crate::support::{
    SignerJson, keygen, modelseal, reference_tool, run, sha256sum, tiny_model, verify_json,
};

const PASSWORD: &str = "correct horse battery";

/// Every algorithm, plain and encrypted.
const CASES: [(&str, bool); 8] = [
    ("ed25519", false),
    ("ed25519", true),
    ("p256", false),
    ("p256", true),
    ("p384", false),
    ("p384", true),
    ("p521", false),
    ("p521", true),
];

/// The reference virtualenv's Python (it has `cryptography`).
fn python() -> PathBuf {
    reference_tool().parent().expect("venv bin").join("python")
}

fn password_file(dir: &Path) -> PathBuf {
    let path = dir.join("password.txt");
    std::fs::write(&path, format!("{PASSWORD}\n")).expect("write");
    path
}

/// `modelseal keygen --algorithm ALG --out DIR/NAME [--password-file PW]`.
fn keygen_with(dir: &Path, name: &str, algorithm: &str, password: Option<&Path>) -> PathBuf {
    let out = dir.join(name);
    let mut command = modelseal();
    command
        .args(["keygen", "--algorithm", algorithm, "--out"])
        .arg(&out);
    if let Some(password) = password {
        command.arg("--password-file").arg(password);
    }
    run(&mut command).expect_code(0);
    out
}

fn public_of(key: &Path) -> PathBuf {
    let mut public = key.as_os_str().to_owned();
    public.push(".pub");
    PathBuf::from(public)
}

#[track_caller]
fn expect_ok(what: &str, out: &crate::support::Run) {
    assert_eq!(
        out.code, 0,
        "{what}\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
}

/// Loads a private key and its public key with `cryptography`, and checks
/// that the public key it derives, written as PEM, is the `.pub` text: the
/// text whose SHA-256 is the OMS hint.
const LOAD_WITH_CRYPTOGRAPHY: &str = r#"
import sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
key, pub = sys.argv[1], sys.argv[2]
password = open(sys.argv[3], "rb").read().split(b"\n")[0] if len(sys.argv) > 3 else None
private = s.load_pem_private_key(open(key, "rb").read(), password)
public = s.load_pem_public_key(open(pub, "rb").read())
derived = private.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo)
assert derived == open(pub, "rb").read(), "derived public key differs from the .pub file"
if isinstance(private, ed25519.Ed25519PrivateKey):
    print("ed25519")
else:
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    print(private.curve.name)
"#;

/// Ed25519 keys were written as PKCS#8 v2 (OpenSSL 3.0: "unsupported",
/// `cryptography`: "extra data") and encrypted keys with scrypt N=2^15
/// (OpenSSL 3.0: "memory limit exceeded"). Every key `keygen` writes must
/// load in both.
#[test]
fn keygen_keys_load_in_openssl_and_cryptography() {
    let dir = tempfile::tempdir().expect("tempdir");
    let password = password_file(dir.path());
    for (algorithm, encrypted) in CASES {
        let what = format!("{algorithm}{}", if encrypted { " encrypted" } else { "" });
        let key = keygen_with(
            dir.path(),
            &format!("{algorithm}-{encrypted}.key"),
            algorithm,
            encrypted.then_some(password.as_path()),
        );
        let public = public_of(&key);

        let mut openssl = Command::new("openssl");
        openssl.args(["pkey", "-noout", "-in"]).arg(&key);
        if encrypted {
            openssl
                .arg("-passin")
                .arg(format!("file:{}", password.display()));
        }
        expect_ok(&format!("openssl pkey: {what}"), &run(&mut openssl));
        let out = run(Command::new("openssl")
            .args(["pkey", "-pubin", "-noout", "-in"])
            .arg(&public));
        expect_ok(&format!("openssl pkey -pubin: {what}"), &out);

        let mut python = Command::new(python());
        python
            .args(["-c", LOAD_WITH_CRYPTOGRAPHY])
            .arg(&key)
            .arg(&public);
        if encrypted {
            python.arg(&password);
        }
        let out = run(&mut python);
        expect_ok(&format!("cryptography: {what}"), &out);
        let loaded = match algorithm {
            "p256" => "secp256r1",
            "p384" => "secp384r1",
            "p521" => "secp521r1",
            other => other,
        };
        assert_eq!(out.stdout.trim(), loaded, "{what}");
    }
}

/// Signatures made with `keygen` keys (plain and encrypted) verify in the
/// reference tool, and the reference tool signs with the same key files
/// (plain ones: its `--password` option fails on any encrypted key, "Cannot
/// convert <class 'str'> instance to a buffer", whoever wrote it).
#[test]
fn keygen_ecdsa_keys_sign_what_the_reference_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let password = password_file(dir.path());
    for (algorithm, encrypted) in CASES {
        if !matches!(algorithm, "p256" | "p384") {
            continue;
        }
        let name = format!("{algorithm}-{encrypted}");
        let key = keygen_with(
            dir.path(),
            &format!("{name}.key"),
            algorithm,
            encrypted.then_some(password.as_path()),
        );
        let public = public_of(&key);
        let ours = dir.path().join(format!("{name}.sig"));
        let mut sign = modelseal();
        sign.arg("sign")
            .arg(&model)
            .arg("--key")
            .arg(&key)
            .arg("--signature")
            .arg(&ours);
        if encrypted {
            sign.arg("--password-file").arg(&password);
        }
        run(&mut sign).expect_code(0);
        assert_reference_verifies(&reference_verify(&model, &ours, &public, &[]));

        if encrypted {
            continue;
        }
        // The reference tool signs with the key file too.
        let theirs = dir.path().join(format!("{name}-reference.sig"));
        crate::interop::reference_sign_with(&model, &key, &theirs, &[]);
        let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
        out.expect_code(0);
        assert_eq!(report.key_id(), sha256sum(&public), "{name}: the same hint");
    }
}

/// Keys made by `openssl genpkey` (PKCS#8), plain and encrypted (PBKDF2 and
/// scrypt), load here and sign; ECDSA signatures also verify in the
/// reference tool.
#[test]
fn openssl_made_keys_load_and_sign() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let password = password_file(dir.path());
    let passin = format!("file:{}", password.display());
    let algorithms: [(&str, &[&str]); 4] = [
        ("ed25519", &["-algorithm", "ed25519"]),
        (
            "p256",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        (
            "p384",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        ),
        (
            "p521",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        ),
    ];
    for (algorithm, genpkey) in algorithms {
        let plain = dir.path().join(format!("{algorithm}.pem"));
        let public = dir.path().join(format!("{algorithm}.pub"));
        expect_ok(
            "openssl genpkey",
            &run(Command::new("openssl")
                .arg("genpkey")
                .args(genpkey)
                .arg("-out")
                .arg(&plain)),
        );
        expect_ok(
            "openssl pkey -pubout",
            &run(Command::new("openssl")
                .args(["pkey", "-pubout", "-in"])
                .arg(&plain)
                .arg("-out")
                .arg(&public)),
        );
        // PBES2 with PBKDF2 (OpenSSL's default) and with scrypt.
        let pbkdf2 = dir.path().join(format!("{algorithm}-pbkdf2.pem"));
        expect_ok(
            "openssl pkcs8 -v2 aes-256-cbc",
            &run(Command::new("openssl")
                .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in"])
                .arg(&plain)
                .args(["-passout", &passin, "-out"])
                .arg(&pbkdf2)),
        );
        let scrypt = dir.path().join(format!("{algorithm}-scrypt.pem"));
        expect_ok(
            "openssl pkcs8 -scrypt",
            &run(Command::new("openssl")
                .args(["pkcs8", "-topk8", "-scrypt", "-in"])
                .arg(&plain)
                .args(["-passout", &passin, "-out"])
                .arg(&scrypt)),
        );
        for (form, key, encrypted) in [
            ("plain", &plain, false),
            ("pbkdf2", &pbkdf2, true),
            ("scrypt", &scrypt, true),
        ] {
            let what = format!("openssl {algorithm} {form}");
            let sig = dir.path().join(format!("{algorithm}-{form}.sig"));
            let mut sign = modelseal();
            sign.arg("sign")
                .arg(&model)
                .arg("--key")
                .arg(key)
                .arg("--signature")
                .arg(&sig);
            if encrypted {
                sign.arg("--password-file").arg(&password);
            }
            let out = run(&mut sign);
            assert_eq!(out.code, 0, "{what}: {}", out.stderr);
            let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
            out.expect_code(0);
            assert_eq!(report.signature_algorithm, algorithm, "{what}");
            assert_eq!(report.key_id(), sha256sum(&public), "{what}: hint");
            if algorithm != "ed25519" && form == "plain" {
                assert_reference_verifies(&reference_verify(&model, &sig, &public, &[]));
            }
        }
    }
}

/// The hint rule. The hint is written as the reference tool computes it;
/// on verify a hint that differs (a tool that hashed the key file's own
/// bytes, here a compressed-point encoding of the key) is a note, not a
/// failure, and the same key in another encoding verifies. A wrong key
/// still fails, whatever the hint says.
#[test]
fn a_differing_hint_is_a_note_and_a_wrong_key_still_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, key_id) = keygen(dir.path(), "p256.key", "p256");
    let sig = dir.path().join("tiny.sig");
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .arg("--signature")
        .arg(&sig))
    .expect_code(0);

    // The same key with a compressed point: another file, another
    // `sha256sum`, the same key id.
    let compressed = dir.path().join("p256-compressed.pub");
    expect_ok(
        "openssl ec -conv_form compressed",
        &run(Command::new("openssl")
            .args(["ec", "-pubin", "-conv_form", "compressed", "-pubout", "-in"])
            .arg(&public)
            .arg("-out")
            .arg(&compressed)),
    );
    let file_hash = sha256sum(&compressed);
    assert_ne!(file_hash, key_id);
    let (out, report) = verify_json(&model, &[&"--key", &compressed, &"--signature", &sig]);
    out.expect_code(0);
    assert_eq!(
        report.signer,
        SignerJson::Key {
            key_id: key_id.clone(),
            unmatched_hint: None
        }
    );

    // A bundle whose hint is the file's hash verifies, with a note.
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sig).expect("read")).expect("json");
    bundle["verificationMaterial"]["publicKey"]["hint"] = file_hash.clone().into();
    let rehinted = dir.path().join("rehinted.sig");
    std::fs::write(&rehinted, serde_json::to_vec(&bundle).expect("json")).expect("write");
    for trusted in [&public, &compressed] {
        let (out, report) = verify_json(&model, &[&"--key", trusted, &"--signature", &rehinted]);
        out.expect_code(0);
        assert!(report.verified);
        assert_eq!(
            report.signer,
            SignerJson::Key {
                key_id: key_id.clone(),
                unmatched_hint: Some(file_hash.clone())
            }
        );
    }
    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public)
        .arg("--signature")
        .arg(&rehinted));
    out.expect_code(0);
    assert!(
        out.stdout
            .contains(&format!("unsigned key hint says {file_hash}")),
        "{}",
        out.stdout
    );

    // A wrong key fails with either hint.
    let (_, other, _) = keygen(dir.path(), "other.key", "p256");
    for bundle in [&sig, &rehinted] {
        let out = run(modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--key")
            .arg(&other)
            .arg("--signature")
            .arg(bundle));
        out.expect_code(1);
        out.expect_stderr(&["does not verify"]);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

/// On a terminal, an encrypted key given without a password has it asked
/// for, without echo. `script` (util-linux) gives the command a
/// pseudo-terminal; the password is typed once the prompt is shown.
#[test]
fn an_encrypted_key_asks_for_its_password_on_a_terminal() {
    use std::io::{Read as _, Write as _};
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let password = password_file(dir.path());
    let key = keygen_with(dir.path(), "p256.key", "p256", Some(&password));
    let sig = dir.path().join("tiny.sig");
    let quote = |p: &Path| format!("'{}'", p.display());
    let command = format!(
        "{} sign {} --key {} --signature {}",
        quote(Path::new(env!("CARGO_BIN_EXE_modelseal"))),
        quote(&model),
        quote(&key),
        quote(&sig)
    );
    let mut script = Command::new("script");
    // The environment `modelseal()` gives (no MODELSEAL_PASSWORD, …).
    for (name, value) in modelseal().get_envs() {
        match value {
            Some(value) => script.env(name, value),
            None => script.env_remove(name),
        };
    }
    let mut child = script
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let seen = Arc::clone(&seen);
        let mut stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut chunk = [0u8; 256];
            while let Ok(n @ 1..) = stdout.read(&mut chunk) {
                seen.lock().expect("lock").extend_from_slice(&chunk[..n]);
            }
        })
    };
    let shown =
        |needle: &str| String::from_utf8_lossy(&seen.lock().expect("lock")).contains(needle);
    let started = Instant::now();
    while !shown("password for") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no prompt: {}",
            String::from_utf8_lossy(&seen.lock().expect("lock"))
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Echo is turned off just after the prompt is written.
    std::thread::sleep(Duration::from_millis(300));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("type");
    drop(stdin);
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    reader.join().expect("reader");
    let text = String::from_utf8_lossy(&seen.lock().expect("lock")).into_owned();
    assert!(child.wait().expect("wait").success(), "{text}");
    assert!(
        text.contains(&format!("password for `{}`", key.display())),
        "{text}"
    );
    assert!(text.contains("signed `"), "{text}");
    assert!(!text.contains(PASSWORD), "the password was echoed: {text}");
    assert!(sig.is_file());
}
