//! Interoperability with the reference OMS tool (`model_signing`, PyPI
//! model-signing 1.1.1), run as a subprocess: each tool verifies what the
//! other signed, and both catch the same tampering.
//!
//! The tool lives in a virtualenv made by `scripts/reference-tool.sh`:
//! `$MODELSEAL_REFERENCE_VENV`, else `<repo>/target/oms-reference-venv`.
//! Without it these tests fail; they never skip.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{
    FindingJson, Run, copy_fixture, keygen, modelseal, reference_tool, run, sha256sum,
    signed_statement, tiny_model, verify_json,
};

/// Runs `model_signing ARGS` in `cwd` (it writes nothing there: every call
/// names its signature file).
fn reference(cwd: &Path, args: &[&dyn AsRef<OsStr>]) -> Run {
    run(Command::new(reference_tool())
        .args(args.iter().map(|a| a.as_ref()))
        .current_dir(cwd))
}

/// `model_signing sign key MODEL --private_key KEY --signature SIG`.
fn reference_sign(model: &Path, key: &Path, sig: &Path) {
    reference_sign_with(model, key, sig, &[]);
}

/// [`reference_sign`] with more arguments (`--allow_symlinks`, …).
pub(crate) fn reference_sign_with(model: &Path, key: &Path, sig: &Path, extra: &[&str]) {
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![
        &"sign",
        &"key",
        &model,
        &"--private_key",
        &key,
        &"--signature",
        &sig,
    ];
    args.extend(extra.iter().map(|a| a as &dyn AsRef<OsStr>));
    let out = reference(model.parent().expect("parent"), &args);
    assert_eq!(
        out.code, 0,
        "reference sign failed\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
}

/// `model_signing verify key MODEL --signature SIG --public_key PUB …`.
pub(crate) fn reference_verify(model: &Path, sig: &Path, public: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&dyn AsRef<OsStr>> = vec![
        &"verify",
        &"key",
        &model,
        &"--signature",
        &sig,
        &"--public_key",
        &public,
    ];
    args.extend(extra.iter().map(|a| a as &dyn AsRef<OsStr>));
    reference(model.parent().expect("parent"), &args)
}

#[track_caller]
pub(crate) fn assert_reference_verifies(out: &Run) {
    assert_eq!(
        out.code, 0,
        "the reference tool rejected it\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("Verification succeeded"),
        "stdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
}

/// The reference tool's verdict on a tampered model: a failed
/// verification (not a crash, not a pass).
#[track_caller]
pub(crate) fn assert_reference_refuses(out: &Run) {
    assert_ne!(
        out.code, 0,
        "the reference tool accepted a tampered model: {}{}",
        out.stdout, out.stderr
    );
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("Verification failed"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}

/// An EC key pair made the way the reference sample was: a SEC1 private key
/// (`openssl ecparam -genkey -noout`) and its SubjectPublicKeyInfo.
fn openssl_ec_key(dir: &Path, name: &str, curve: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub"));
    let out = run(Command::new("openssl")
        .args(["ecparam", "-name", curve, "-genkey", "-noout", "-out"])
        .arg(&key));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(Command::new("openssl")
        .args(["ec", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read_to_string(&key)
            .expect("key")
            .starts_with("-----BEGIN EC PRIVATE KEY-----"),
        "SEC1"
    );
    (key, public)
}

/// `modelseal sign MODEL --key KEY --signature SIG`, asserting success.
fn modelseal_sign(model: &Path, key: &Path, sig: &Path) -> Run {
    let out = run(modelseal()
        .arg("sign")
        .arg(model)
        .arg("--key")
        .arg(key)
        .arg("--signature")
        .arg(sig));
    out.expect_code(0);
    out
}

fn resource_names(statement: &serde_json::Value) -> Vec<String> {
    statement["predicate"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn p256_bundles_verify_in_both_directions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");

    // Reference -> modelseal.
    let theirs = dir.path().join("reference.sig");
    reference_sign(&model, &key, &theirs);
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(0);
    assert!(report.verified && report.findings.is_empty(), "{report:?}");
    assert_eq!(report.signature_algorithm, "p256");
    assert_eq!(report.key_id(), sha256sum(&public), "OMS key hint");
    assert_eq!(report.resources_checked, 3);
    assert_eq!(report.serialization.method, "files");

    // modelseal -> reference, with the same key as SEC1 and as PKCS#8.
    let pkcs8 = dir.path().join("p256.p8.pem");
    let out = run(Command::new("openssl")
        .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&pkcs8));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let key_id = report.key_id().to_owned();
    for (name, private) in [("sec1", &key), ("pkcs8", &pkcs8)] {
        let ours = dir.path().join(format!("modelseal-{name}.sig"));
        let signed = modelseal_sign(&model, private, &ours);
        assert!(signed.stdout.contains(&key_id), "{name}: {}", signed.stdout);
        assert_reference_verifies(&reference_verify(&model, &ours, &public, &[]));
    }

    // A key pair from `modelseal keygen`, used by the reference tool.
    let (our_key, our_public, key_id) = keygen(dir.path(), "keygen.key", "p256");
    let theirs = dir.path().join("reference-keygen.sig");
    reference_sign(&model, &our_key, &theirs);
    let (out, report) = verify_json(&model, &[&"--key", &our_public, &"--signature", &theirs]);
    out.expect_code(0);
    assert_eq!(report.key_id(), key_id);
    assert_reference_verifies(&reference_verify(&model, &theirs, &our_public, &[]));
}

#[test]
fn p384_bundles_verify_in_both_directions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public) = openssl_ec_key(dir.path(), "p384", "secp384r1");

    let theirs = dir.path().join("reference.sig");
    reference_sign(&model, &key, &theirs);
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(0);
    assert!(report.verified);
    assert_eq!(report.signature_algorithm, "p384");

    let ours = dir.path().join("modelseal.sig");
    modelseal_sign(&model, &key, &ours);
    assert_reference_verifies(&reference_verify(&model, &ours, &public, &[]));
}

#[test]
fn certificate_bundles_verify_in_both_directions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/modelseal-oms/tests/data/chain");
    let (key, leaf, intermediate, root) = (
        data.join("p521-leaf.key"),
        data.join("p521-leaf.pem"),
        data.join("p521-intermediate.pem"),
        data.join("rsa-root.pem"),
    );

    let theirs = dir.path().join("reference.sig");
    let out = reference(
        dir.path(),
        &[
            &"sign",
            &"certificate",
            &model,
            &"--private_key",
            &key,
            &"--signing_certificate",
            &leaf,
            &"--certificate_chain",
            &intermediate,
            &"--signature",
            &theirs,
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let (out, report) = verify_json(&model, &[&"--cert-chain", &root, &"--signature", &theirs]);
    out.expect_code(0);
    assert!(report.verified);
    assert_eq!(report.signature_algorithm, "p521");

    let ours = dir.path().join("modelseal.sig");
    let out = run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .arg("--cert")
        .arg(&leaf)
        .arg("--cert-chain")
        .arg(&intermediate)
        .arg("--signature")
        .arg(&ours));
    out.expect_code(0);
    let reference_verify_ours = || {
        reference(
            dir.path(),
            &[
                &"verify",
                &"certificate",
                &model,
                &"--signature",
                &ours,
                &"--certificate_chain",
                &root,
            ],
        )
    };
    let out = reference_verify_ours();
    assert_reference_verifies(&out);

    // Tampered, each tool refuses the other's certificate bundle.
    let weights = model.join("weights/model.safetensors");
    let mut bytes = std::fs::read(&weights).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&weights, &bytes).expect("write");
    let (out, report) = verify_json(&model, &[&"--cert-chain", &root, &"--signature", &theirs]);
    out.expect_code(1);
    assert!(!report.verified);
    assert_eq!(report.kinds(), ["modified"], "{report:?}");
    assert_eq!(report.findings[0].name(), "weights/model.safetensors");
    assert_reference_refuses(&reference_verify_ours());
}

/// Runs `openssl ARGS` in `dir`, asserting success.
fn openssl(dir: &Path, args: &[&str]) {
    let out = run(Command::new("openssl").args(args).current_dir(dir));
    assert_eq!(out.code, 0, "openssl {args:?}: {}", out.stderr);
}

/// The two certificate shapes the reference verifiers (OpenSSL, Go) accept
/// and webpki alone does not, made with the OpenSSL CLI as the ecosystem's
/// test PKIs are: an RSA root and a P-384 intermediate `CN=intermediate-ca`
/// issuing a P-256 signing certificate with `CA:TRUE`, key usage
/// `digitalSignature` and EKU `codeSigning`, named like its issuer; and a
/// self-signed P-256 signing certificate to pin. Returns the file names in
/// `dir`.
struct OpensslPki {
    root: PathBuf,
    intermediate: PathBuf,
    ca_leaf: PathBuf,
    ca_leaf_key: PathBuf,
    pinned: PathBuf,
    pinned_key: PathBuf,
}

fn openssl_pki(dir: &Path) -> OpensslPki {
    std::fs::write(
        dir.join("ca.ext"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .expect("ca.ext");
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .expect("leaf.ext");
    #[rustfmt::skip]
    openssl(dir, &[
        "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key",
        "-subj", "/CN=root-ca", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "root.pem",
    ]);
    #[rustfmt::skip]
    openssl(dir, &[
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
        "-keyout", "intermediate.key", "-subj", "/CN=intermediate-ca", "-out", "intermediate.csr",
    ]);
    #[rustfmt::skip]
    openssl(dir, &[
        "x509", "-req", "-in", "intermediate.csr", "-CA", "root.pem", "-CAkey", "root.key",
        "-days", "3650", "-set_serial", "2", "-extfile", "ca.ext", "-out", "intermediate.pem",
    ]);
    let (ca_leaf_key, _) = openssl_ec_key(dir, "ca-leaf", "prime256v1");
    #[rustfmt::skip]
    openssl(dir, &[
        "req", "-new", "-key", "ca-leaf.pem", "-subj", "/CN=intermediate-ca", "-out", "ca-leaf.csr",
    ]);
    #[rustfmt::skip]
    openssl(dir, &[
        "x509", "-req", "-in", "ca-leaf.csr", "-CA", "intermediate.pem",
        "-CAkey", "intermediate.key", "-days", "3650", "-set_serial", "3",
        "-extfile", "leaf.ext", "-out", "ca-leaf.crt",
    ]);
    let (pinned_key, _) = openssl_ec_key(dir, "pinned", "prime256v1");
    #[rustfmt::skip]
    openssl(dir, &[
        "req", "-x509", "-new", "-key", "pinned.pem", "-subj", "/CN=model signer", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,digitalSignature",
        "-addext", "extendedKeyUsage=codeSigning", "-out", "pinned.crt",
    ]);
    OpensslPki {
        root: dir.join("root.pem"),
        intermediate: dir.join("intermediate.pem"),
        ca_leaf: dir.join("ca-leaf.crt"),
        ca_leaf_key,
        pinned: dir.join("pinned.crt"),
        pinned_key,
    }
}

// Issue 12: a `CA:TRUE` signing certificate (model-signing's own test PKI
// has one) and a pinned self-signed one verified with the reference tool but
// modelseal refused both (webpki: `CaUsedAsEndEntity`).
#[test]
fn ca_and_pinned_signing_certificates_verify_in_both_directions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let pki = openssl_pki(dir.path());
    // (name, key, signing certificate, chain to embed, roots to verify with,
    // subject). The reference signer needs a chain file: for the pinned
    // certificate it is given the certificate itself.
    let cases: [(&str, &Path, &Path, &Path, &Path, &str); 2] = [
        (
            "ca-leaf",
            &pki.ca_leaf_key,
            &pki.ca_leaf,
            &pki.intermediate,
            &pki.root,
            "CN=intermediate-ca",
        ),
        (
            "pinned",
            &pki.pinned_key,
            &pki.pinned,
            &pki.pinned,
            &pki.pinned,
            "CN=model signer",
        ),
    ];
    for (name, key, cert, chain, roots, subject) in cases {
        // Reference -> modelseal.
        let theirs = dir.path().join(format!("reference-{name}.sig"));
        let out = reference(
            dir.path(),
            &[
                &"sign",
                &"certificate",
                &model,
                &"--private_key",
                &key,
                &"--signing_certificate",
                &cert,
                &"--certificate_chain",
                &chain,
                &"--signature",
                &theirs,
            ],
        );
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
        let (out, report) =
            verify_json(&model, &[&"--cert-chain", &roots, &"--signature", &theirs]);
        out.expect_code(0);
        assert!(report.verified, "{name}: {report:?}");
        let crate::support::SignerJson::Certificate {
            subject: signed_by,
            issuer,
            ..
        } = &report.signer
        else {
            panic!("{name}: {:?}", report.signer)
        };
        assert_eq!((signed_by.as_str(), issuer.as_str()), (subject, subject));

        // modelseal -> reference (the pinned certificate alone, no chain).
        let ours = dir.path().join(format!("modelseal-{name}.sig"));
        let mut sign = modelseal();
        sign.arg("sign")
            .arg(&model)
            .arg("--key")
            .arg(key)
            .arg("--cert")
            .arg(cert)
            .arg("--signature")
            .arg(&ours);
        if chain != cert {
            sign.arg("--cert-chain").arg(chain);
        }
        run(&mut sign).expect_code(0);
        let out = reference(
            dir.path(),
            &[
                &"verify",
                &"certificate",
                &model,
                &"--signature",
                &ours,
                &"--certificate_chain",
                &roots,
            ],
        );
        assert_reference_verifies(&out);
        let (out, _) = verify_json(&model, &[&"--cert-chain", &roots, &"--signature", &ours]);
        out.expect_code(0);
    }

    // Each is still refused under the other's trust: the pinned certificate
    // is no root of the CA leaf's chain, and the root does not issue the
    // pinned certificate.
    for (sig, roots) in [
        ("modelseal-ca-leaf.sig", &pki.pinned),
        ("modelseal-pinned.sig", &pki.root),
    ] {
        let out = run(modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--cert-chain")
            .arg(roots)
            .arg("--signature")
            .arg(dir.path().join(sig)));
        out.expect_code(1)
            .expect_stderr(&["does not lead to a trusted root"]);
    }
}

/// One way to change a signed model.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    Modify,
    Add,
    Remove,
}

impl Tamper {
    fn apply(self, model: &Path) {
        match self {
            Tamper::Modify => {
                let weights = model.join("weights/model.safetensors");
                let mut bytes = std::fs::read(&weights).expect("read");
                bytes[100] ^= 0x20;
                std::fs::write(&weights, bytes).expect("write");
            }
            Tamper::Add => {
                std::fs::write(model.join("weights/extra.bin"), b"smuggled").expect("write");
            }
            Tamper::Remove => std::fs::remove_file(model.join("config.json")).expect("rm"),
        }
    }

    fn finding(self) -> FindingJson {
        match self {
            Tamper::Modify => unreachable!("checked separately: digests vary"),
            Tamper::Add => FindingJson::Unsigned {
                name: "weights/extra.bin".into(),
                fails: true,
            },
            Tamper::Remove => FindingJson::Missing {
                name: "config.json".into(),
            },
        }
    }
}

#[test]
fn tampering_is_caught_in_both_directions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pristine = tiny_model(dir.path(), "pristine");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    let theirs = dir.path().join("reference.sig");
    let ours = dir.path().join("modelseal.sig");
    reference_sign(&pristine, &key, &theirs);
    modelseal_sign(&pristine, &key, &ours);
    let weights_digest = sha256sum(&pristine.join("weights/model.safetensors"));

    for tamper in [Tamper::Modify, Tamper::Add, Tamper::Remove] {
        // The subject name is informational: a renamed copy still matches.
        let model = tiny_model(dir.path(), &format!("{tamper:?}").to_lowercase());
        tamper.apply(&model);

        let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
        out.expect_code(1);
        assert!(!report.verified, "{tamper:?}");
        match tamper {
            Tamper::Modify => {
                let [
                    FindingJson::Modified {
                        name,
                        expected,
                        actual,
                        ..
                    },
                ] = report.findings.as_slice()
                else {
                    panic!("{tamper:?}: {report:?}")
                };
                assert_eq!(name, "weights/model.safetensors");
                assert_eq!(*expected, weights_digest);
                assert_eq!(*actual, sha256sum(&model.join("weights/model.safetensors")));
            }
            _ => assert_eq!(report.findings, [tamper.finding()], "{tamper:?}"),
        }

        assert_reference_refuses(&reference_verify(&model, &ours, &public, &[]));
    }
}

#[test]
fn the_references_path_component_order_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("diffusion");
    std::fs::create_dir_all(model.join("vae")).expect("mkdir");
    std::fs::write(model.join("vae-ft.bin"), b"fine-tuned vae").expect("write");
    std::fs::write(model.join("vae/x.bin"), b"vae weights").expect("write");
    std::fs::write(model.join("unet.bin"), b"unet weights").expect("write");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");

    let theirs = dir.path().join("reference.sig");
    reference_sign(&model, &key, &theirs);
    // '-' (0x2d) sorts before '/' (0x2f) by code point; the reference sorts
    // by path components, so this is the order it signs and roots.
    assert_eq!(
        resource_names(&signed_statement(&theirs)),
        ["unet.bin", "vae/x.bin", "vae-ft.bin"]
    );
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(0);
    assert!(report.verified && report.findings.is_empty(), "{report:?}");
    assert_eq!(report.resources_checked, 3);

    // modelseal signs in code-point order; the reference accepts that too.
    let ours = dir.path().join("modelseal.sig");
    modelseal_sign(&model, &key, &ours);
    assert_eq!(
        resource_names(&signed_statement(&ours)),
        ["unet.bin", "vae-ft.bin", "vae/x.bin"]
    );
    assert_reference_verifies(&reference_verify(&model, &ours, &public, &[]));

    // And a change is still found in either order.
    std::fs::write(model.join("vae-ft.bin"), b"poisoned vae").expect("write");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);
    assert_eq!(report.findings[0].name(), "vae-ft.bin");
}

#[test]
fn a_single_file_signed_by_the_reference_verifies() {
    let (dir, model) = copy_fixture("example-model");
    let file = model.join("model.safetensors");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    let theirs = dir.path().join("single.sig");
    reference_sign(&file, &key, &theirs);
    assert_eq!(resource_names(&signed_statement(&theirs)), ["."]);

    let (out, report) = verify_json(&file, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(0);
    assert!(report.verified && report.findings.is_empty(), "{report:?}");
    assert_eq!(report.resources_checked, 1);

    // Another file with the same signature: modified.
    let other = model.join("config.json");
    let (out, report) = verify_json(&other, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);
}

// Regression: modelseal named a single file's resource by its basename,
// which model-signing 1.1.1 (and the Go port) reject: both write and expect
// `.`. Renaming a signed file broke verification too.
#[test]
fn single_file_signatures_verify_in_both_directions_and_survive_a_rename() {
    let (dir, model) = copy_fixture("example-model");
    let file = model.join("model.safetensors");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    let ours = dir.path().join("ours.sig");
    modelseal_sign(&file, &key, &ours);
    assert_eq!(resource_names(&signed_statement(&ours)), ["."]);
    assert_reference_verifies(&reference_verify(&file, &ours, &public, &[]));
    // The reference's bundle and ours sign the same manifest.
    let theirs = dir.path().join("theirs.sig");
    reference_sign(&file, &key, &theirs);
    assert_eq!(
        signed_statement(&ours)["predicate"]["resources"],
        signed_statement(&theirs)["predicate"]["resources"]
    );

    // Renamed, both signatures still verify.
    let renamed = dir.path().join("renamed.safetensors");
    std::fs::rename(&file, &renamed).expect("rename");
    for sig in [&ours, &theirs] {
        let (out, report) = verify_json(&renamed, &[&"--key", &public, &"--signature", sig]);
        out.expect_code(0);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
    }
    assert_reference_verifies(&reference_verify(&renamed, &ours, &public, &[]));
    // Shards of a single file are `.:start:end`.
    let sharded = dir.path().join("sharded.sig");
    run(modelseal()
        .arg("sign")
        .arg(&renamed)
        .arg("--key")
        .arg(&key)
        .arg("--signature")
        .arg(&sharded)
        .args(["--shard-size", "300"]))
    .expect_code(0);
    assert_eq!(
        resource_names(&signed_statement(&sharded)),
        [".:0:300", ".:300:600", ".:600:900", ".:900:968"]
    );
    let (out, report) = verify_json(&renamed, &[&"--key", &public, &"--signature", &sharded]);
    out.expect_code(0);
    assert_eq!(report.resources_checked, 4);
}

#[test]
fn unsigned_files_are_allowed_on_request_like_the_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    let theirs = dir.path().join("reference.sig");
    let ours = dir.path().join("modelseal.sig");
    reference_sign(&model, &key, &theirs);
    modelseal_sign(&model, &key, &ours);
    std::fs::write(model.join("README.md"), b"added after signing").expect("write");

    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(1);
    assert_eq!(
        report.findings,
        [FindingJson::Unsigned {
            name: "README.md".into(),
            fails: true
        }]
    );
    let (out, report) = verify_json(
        &model,
        &[
            &"--key",
            &public,
            &"--signature",
            &theirs,
            &"--ignore-unsigned-files",
        ],
    );
    out.expect_code(0);
    assert!(report.verified);
    assert_eq!(
        report.findings,
        [FindingJson::Unsigned {
            name: "README.md".into(),
            fails: false
        }]
    );

    // The reference tool: the same two outcomes on modelseal's signature.
    let out = reference_verify(&model, &ours, &public, &[]);
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_reference_verifies(&reference_verify(
        &model,
        &ours,
        &public,
        &["--ignore_unsigned_files"],
    ));
}

#[test]
fn the_references_signature_inside_the_model_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    // Where `model_signing sign key .` run inside the model puts it.
    let inside = model.join("model.sig");
    reference_sign(&model, &key, &inside);
    let statement = signed_statement(&inside);
    let ignores = statement["predicate"]["serialization"]["ignore_paths"]
        .as_array()
        .expect("ignore_paths");
    assert!(ignores.iter().any(|p| p == "model.sig"), "{ignores:?}");

    // Found by default, and not an unsigned file of the model.
    let (out, report) = verify_json(&model, &[&"--key", &public]);
    out.expect_code(0);
    assert!(report.verified && report.findings.is_empty(), "{report:?}");
    assert_eq!(report.signature, inside.display().to_string());
    assert!(
        report
            .serialization
            .ignore_paths
            .contains(&"model.sig".to_owned())
    );
    assert_eq!(report.resources_checked, 3);

    // A copy elsewhere still verifies: the recorded ignore path covers the
    // one inside.
    let outside = dir.path().join("copy.sig");
    std::fs::copy(&inside, &outside).expect("copy");
    let (out, _) = verify_json(&model, &[&"--key", &public, &"--signature", &outside]);
    out.expect_code(0);
}

#[test]
fn ignore_paths_recorded_by_the_reference_are_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    std::fs::create_dir(model.join("notes")).expect("mkdir");
    std::fs::write(model.join("notes/todo.txt"), b"not signed").expect("write");
    std::fs::write(model.join("scratch.txt"), b"not signed either").expect("write");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    let theirs = dir.path().join("reference.sig");
    // The reference resolves --ignore-paths against its working directory.
    let out = reference(
        dir.path(),
        &[
            &"sign",
            &"key",
            &"tiny",
            &"--private_key",
            &key,
            &"--signature",
            &theirs,
            &"--ignore-paths",
            &"tiny/notes",
            &"--ignore-paths",
            &"tiny/scratch.txt",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(0);
    assert!(report.findings.is_empty(), "{report:?}");
    for ignored in ["notes", "scratch.txt"] {
        assert!(
            report
                .serialization
                .ignore_paths
                .contains(&ignored.to_owned()),
            "{:?}",
            report.serialization.ignore_paths
        );
    }
    // An ignored file may change; a signed one may not.
    std::fs::write(model.join("notes/todo.txt"), b"changed").expect("write");
    verify_json(&model, &[&"--key", &public, &"--signature", &theirs])
        .0
        .expect_code(0);
    std::fs::write(model.join("tokenizer.json"), b"changed").expect("write");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);
}

/// Signs with the reference tool's Python API (its CLI cannot choose shards).
const REFERENCE_SIGN_SHARDS: &str = "\
import pathlib, sys
import model_signing
key, model, sig, shard_size = sys.argv[1:]
config = model_signing.signing.Config().use_elliptic_key_signer(private_key=pathlib.Path(key))
config.set_hashing_config(
    model_signing.hashing.Config().use_shard_serialization(shard_size=int(shard_size)))
config.sign(pathlib.Path(model), pathlib.Path(sig))
";

#[test]
fn reference_shard_bundles_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("sharded");
    std::fs::create_dir(&model).expect("mkdir");
    let weights: Vec<u8> = (0..2500u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(model.join("w.bin"), &weights).expect("write");
    std::fs::write(model.join("config.json"), b"{}\n").expect("write");
    // A zero-byte file has no shard: the reference lists nothing for it.
    std::fs::write(model.join("empty.txt"), b"").expect("write");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    let theirs = dir.path().join("reference.sig");
    let python = reference_tool().with_file_name("python");
    let out = run(Command::new(python)
        .args(["-c", REFERENCE_SIGN_SHARDS])
        .args([&key, &model, &theirs])
        .arg("200")
        .current_dir(dir.path()));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // What the reference writes, unlike the specification: a float shard
    // size, `sha256-sharded-<N>` algorithms, shards in numeric order.
    let statement = signed_statement(&theirs);
    let serialization = &statement["predicate"]["serialization"];
    assert!(serialization["shard_size"].is_f64(), "{serialization}");
    assert_eq!(
        statement["predicate"]["resources"][0]["algorithm"],
        "sha256-sharded-200"
    );
    let names = resource_names(&statement);
    assert_eq!(names.len(), 1 + 13, "{names:?}");
    assert_eq!(names[5..7], ["w.bin:800:1000", "w.bin:1000:1200"]);

    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(0);
    assert!(report.verified && report.findings.is_empty(), "{report:?}");
    assert_eq!(report.serialization.method, "shards");
    assert_eq!(report.serialization.shard_size, Some(200));
    assert_eq!(report.resources_checked, 14);

    let mut tampered = weights;
    tampered[2300] ^= 1;
    std::fs::write(model.join("w.bin"), &tampered).expect("write");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &theirs]);
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);
    assert_eq!(report.findings[0].name(), "w.bin:2200:2400");
}

/// Verifies with the reference library, letting it take the hashing
/// configuration from the signed manifest (`_guess_hashing_config`). Its
/// CLI cannot verify a sharded bundle, even its own: it always sets the
/// files method, and reports every shard missing.
const REFERENCE_VERIFY_AS_SIGNED: &str = "\
import pathlib, sys
import model_signing
public, model, sig = sys.argv[1:]
model_signing.verifying.Config().use_elliptic_key_verifier(
    public_key=pathlib.Path(public)).verify(pathlib.Path(model), pathlib.Path(sig))
print('Verification succeeded')
";

/// The other direction of `reference_shard_bundles_verify`, which the
/// reference tool cannot take: modelseal writes shard digests with the
/// algorithm the specification names, `sha256`; the reference library
/// compares algorithm names and expects its own `sha256-sharded-<N>`, so
/// it refuses modelseal's sharded bundle although every name and digest
/// agrees, and it cannot verify its own sharded bundles at all. This test
/// pins exactly that, so a change on either side shows up here.
#[test]
fn modelseal_shard_bundles_differ_from_the_reference_only_in_the_algorithm_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("sharded");
    std::fs::create_dir(&model).expect("mkdir");
    let weights: Vec<u8> = (0..2500u32).map(|i| (i * 17 % 253) as u8).collect();
    std::fs::write(model.join("w.bin"), &weights).expect("write");
    std::fs::write(model.join("config.json"), b"{}\n").expect("write");
    let (key, public) = openssl_ec_key(dir.path(), "p256", "prime256v1");
    let ours = dir.path().join("modelseal.sig");
    let out = run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .args(["--shard-size", "200"])
        .arg("--signature")
        .arg(&ours));
    out.expect_code(0);
    let statement = signed_statement(&ours);
    assert_eq!(
        statement["predicate"]["serialization"]["method"], "shards",
        "{statement}"
    );
    // 13 shards of w.bin and one of config.json.
    let names = resource_names(&statement);
    assert_eq!(names.len(), 14);

    // The reference signs the same model: same names, same digests.
    let theirs = dir.path().join("reference.sig");
    let python = reference_tool().with_file_name("python");
    let signed = run(Command::new(&python)
        .args(["-c", REFERENCE_SIGN_SHARDS])
        .args([&key, &model, &theirs])
        .arg("200")
        .current_dir(dir.path()));
    assert_eq!(signed.code, 0, "{}{}", signed.stdout, signed.stderr);
    let reference = signed_statement(&theirs);
    let digests = |statement: &serde_json::Value| -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = statement["predicate"]["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().expect("name").to_owned(),
                    r["digest"].as_str().expect("digest").to_owned(),
                )
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(digests(&statement), digests(&reference));
    assert!(
        statement["predicate"]["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .all(|r| r["algorithm"] == "sha256")
    );

    // And so the reference library's only complaint is the name.
    let out = run(Command::new(&python)
        .args(["-c", REFERENCE_VERIFY_AS_SIGNED])
        .args([&public, &model, &ours])
        .current_dir(dir.path()));
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // Python's repr escapes the quotes of some items: compare unescaped.
    let stderr = out.stderr.replace("\\'", "'");
    assert_eq!(
        stderr.matches("Hash mismatch").count(),
        14,
        "{}",
        out.stderr
    );
    assert_eq!(
        stderr
            .matches("Expected 'Digest(algorithm='sha256',")
            .count(),
        14,
        "{}",
        out.stderr
    );
    assert_eq!(
        stderr
            .matches("Actual 'Digest(algorithm='sha256-sharded-200',")
            .count(),
        14,
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("Missing files") && !out.stderr.contains("Extra files"),
        "{}",
        out.stderr
    );
    // Its own sharded bundle the library cannot verify either: it reads
    // back the float `shard_size` it wrote and fails in `range()`. So no
    // sharded bundle verifies with model-signing 1.1.1, whoever wrote it.
    let out = run(Command::new(&python)
        .args(["-c", REFERENCE_VERIFY_AS_SIGNED])
        .args([&public, &model, &theirs])
        .current_dir(dir.path()));
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("TypeError: 'float' object cannot be interpreted as an integer"),
        "{}",
        out.stderr
    );
}

// Security review: webpki ignores key usage on issuers, so the `CA:TRUE`
// signing certificate of issue 12 (key usage `digitalSignature` only) could
// issue: with its key, a certificate for any subject (here the pinned
// signer's), and the chain [E, ca-leaf, intermediate] verified under the
// root. OpenSSL, and so the reference tool, refuses it (RFC 5280 6.1.4(n):
// `X509_check_ca` says a key usage without keyCertSign is no CA, "invalid CA
// certificate"; `openssl verify` goes on to "key usage does not include
// certificate signing"); so does modelseal now.
#[test]
fn a_signing_certificate_that_issues_is_refused_by_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let pki = openssl_pki(dir.path());
    std::fs::write(
        dir.path().join("issued.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .expect("issued.ext");
    let (issued_key, _) = openssl_ec_key(dir.path(), "issued", "prime256v1");
    #[rustfmt::skip]
    openssl(dir.path(), &[
        "req", "-new", "-key", "issued.pem", "-subj", "/CN=model signer", "-out", "issued.csr",
    ]);
    #[rustfmt::skip]
    openssl(dir.path(), &[
        "x509", "-req", "-in", "issued.csr", "-CA", "ca-leaf.crt", "-CAkey", "ca-leaf.pem",
        "-days", "3650", "-set_serial", "4", "-extfile", "issued.ext", "-out", "issued.crt",
    ]);
    let sig = dir.path().join("issued.sig");
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&issued_key)
        .arg("--cert")
        .arg(dir.path().join("issued.crt"))
        .arg("--cert-chain")
        .arg(&pki.ca_leaf)
        .arg("--cert-chain")
        .arg(&pki.intermediate)
        .arg("--signature")
        .arg(&sig))
    .expect_code(0);

    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--cert-chain")
        .arg(&pki.root)
        .arg("--signature")
        .arg(&sig));
    out.expect_code(1).expect_stderr(&[
        "certificate 1 of the chain issues a certificate in the path, but its key usage does not \
         allow certificate signing (keyCertSign)",
    ]);
    let out = reference(
        dir.path(),
        &[
            &"verify",
            &"certificate",
            &model,
            &"--signature",
            &sig,
            &"--certificate_chain",
            &pki.root,
        ],
    );
    let output = format!("{}{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "the reference tool accepted it\n{output}");
    assert!(
        !output.contains("Verification succeeded")
            && (output.contains("invalid CA certificate")
                || output.contains("key usage does not include certificate signing")),
        "{output}"
    );
}
