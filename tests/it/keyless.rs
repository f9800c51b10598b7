//! `modelseal verify` on Sigstore keyless bundles, offline: the four real
//! signing events in `fixtures/keyless/` verify with `--identity` and
//! `--issuer`, the report shows the log evidence, the reference tool
//! (given a `--trust_config` built from the same embedded root, with any
//! network access made to fail) agrees on every vector, and the flags'
//! mistakes are usage errors that show what the bundle claims.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{SignerJson, fixtures, modelseal, reference_tool, run, verify_json};

const IDENTITY: &str = "stefanb@us.ibm.com";
const ISSUER: &str = "https://sigstore.verify.ibm.com/oauth2";
const ROOT: &str =
    include_str!("../../crates/modelseal-oms/src/keyless/public-good.trusted_root.json");

/// (version, extra files to ignore at verify)
const VECTORS: [(&str, &[&str]); 4] = [
    ("v0.3.1", &[]),
    ("v1.0.0", &[]),
    ("v1.0.1", &["ignore-me"]),
    ("v1.1.0", &[]),
];

fn vector(version: &str) -> (PathBuf, PathBuf) {
    let dir = fixtures().join("keyless").join(version);
    (dir.join("model"), dir.join("model.sig"))
}

/// A proxy that refuses: any network access a tool tries fails at once.
fn offline(command: &mut Command) -> &mut Command {
    for var in [
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "https_proxy",
        "http_proxy",
        "ALL_PROXY",
    ] {
        command.env(var, "http://127.0.0.1:9");
    }
    command.env_remove("NO_PROXY").env_remove("no_proxy")
}

// `&PathBuf`: a sized value to hand out as `&dyn AsRef<OsStr>`.
#[allow(clippy::ptr_arg)]
fn keyless_args<'a>(
    signature: &'a PathBuf,
    ignore: &'a [&'a str],
) -> Vec<&'a dyn AsRef<std::ffi::OsStr>> {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
        &"--signature",
        signature,
        &"--identity",
        &IDENTITY,
        &"--issuer",
        &ISSUER,
    ];
    for path in ignore {
        args.push(&"--ignore");
        args.push(path);
    }
    args
}

#[test]
fn the_reference_keyless_vectors_verify_offline() {
    for (version, ignore) in VECTORS {
        let (model, signature) = vector(version);
        let (out, report) = verify_json(&model, &keyless_args(&signature, ignore));
        out.expect_code(0);
        assert!(report.verified, "{version}");
        match &report.signer {
            SignerJson::Sigstore {
                identity,
                issuer,
                log_url,
                integrated_time,
                tsa_times,
                ..
            } => {
                assert_eq!((identity.as_str(), issuer.as_str()), (IDENTITY, ISSUER));
                assert_eq!(log_url.as_deref(), Some("https://rekor.sigstore.dev"));
                assert!(integrated_time.is_some());
                assert_eq!(
                    tsa_times.len(),
                    usize::from(version == "v1.1.0"),
                    "{version}"
                );
            }
            other => panic!("{version}: {other:?}"),
        }
        // Text output names the identity, issuer and log evidence.
        let mut command = modelseal();
        command.arg("verify").arg(&model);
        for a in keyless_args(&signature, ignore) {
            command.arg(a);
        }
        let text = run(offline(&mut command));
        text.expect_code(0);
        assert!(text.stdout.contains("signer        Sigstore keyless `stefanb@us.ibm.com`, issuer `https://sigstore.verify.ibm.com/oauth2`"), "{}", text.stdout);
        assert!(
            text.stdout.contains("  rekor         log index "),
            "{}",
            text.stdout
        );
    }
}

#[test]
fn the_reference_tool_agrees_on_every_vector_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("trust_config.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"mediaType":"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json","trustedRoot":{ROOT},"signingConfig":{{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json"}}}}"#
        ),
    )
    .expect("config");
    for (version, ignore) in VECTORS {
        let (model, signature) = vector(version);
        for (identity, expect) in [(IDENTITY, 0), ("stefanb@us.ibm.co", 1)] {
            let mut reference = Command::new(reference_tool());
            reference
                .args(["verify", "sigstore"])
                .arg(&model)
                .arg("--signature")
                .arg(&signature)
                .args(["--identity", identity, "--identity_provider", ISSUER])
                .arg("--trust_config")
                .arg(&config);
            for path in ignore {
                reference.arg("--ignore-paths").arg(model.join(path));
            }
            let theirs = run(offline(&mut reference));
            let mut ours = modelseal();
            ours.arg("verify")
                .arg(&model)
                .arg("--signature")
                .arg(&signature)
                .args(["--identity", identity, "--issuer", ISSUER])
                .arg("--trust-config")
                .arg(&config);
            for path in ignore {
                ours.args(["--ignore", path]);
            }
            let ours = run(offline(&mut ours));
            assert_eq!(
                (theirs.code == 0, ours.code),
                (expect == 0, expect),
                "{version} {identity}: reference {}{} / modelseal {}{}",
                theirs.stdout,
                theirs.stderr,
                ours.stdout,
                ours.stderr
            );
        }
    }
}

#[test]
fn keyless_flag_mistakes_are_usage_errors_that_show_the_claims() {
    let (model, signature) = vector("v1.0.0");
    let verify = |args: &[&str]| {
        run(offline(
            modelseal()
                .arg("verify")
                .arg(&model)
                .arg("--signature")
                .arg(&signature)
                .args(args),
        ))
    };
    // No trust at all: exit 2, naming the identity and issuer claimed.
    let none = verify(&[]);
    none.expect_code(2);
    assert!(
        none.stderr.contains("Sigstore keyless signature by `stefanb@us.ibm.com` issued by `https://sigstore.verify.ibm.com/oauth2`"),
        "{}",
        none.stderr
    );
    // One half of the pair.
    verify(&["--identity", IDENTITY]).expect_code(2);
    verify(&["--issuer-regex", ".*"]).expect_code(2);
    // A bad regex.
    verify(&["--identity-regex", "(", "--issuer", ISSUER]).expect_code(2);
    // --identity-provider is the reference tool's name for --issuer.
    verify(&["--identity", IDENTITY, "--identity-provider", ISSUER]).expect_code(0);
    // Anchored regexes: a prefix does not match, the whole string does.
    verify(&["--identity-regex", "stefanb", "--issuer", ISSUER]).expect_code(1);
    verify(&[
        "--identity-regex",
        r"stefanb@us\.ibm\.com",
        "--issuer-regex",
        "https://sigstore[.]verify[.]ibm[.]com/.+",
    ])
    .expect_code(0);
    // The staging root does not trust public-good certificates.
    let staging = verify(&["--identity", IDENTITY, "--issuer", ISSUER, "--use-staging"]);
    staging.expect_code(1);
    assert!(
        staging.stderr.contains("keyless verification failed"),
        "{}",
        staging.stderr
    );
    // A trusted root file, and a file that is not one.
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("trusted_root.json");
    std::fs::write(&root, ROOT).expect("root");
    let root_arg = root.to_str().expect("utf-8");
    verify(&[
        "--identity",
        IDENTITY,
        "--issuer",
        ISSUER,
        "--trust-root",
        root_arg,
    ])
    .expect_code(0);
    let sig_arg = signature.to_str().expect("utf-8");
    let wrong = verify(&[
        "--identity",
        IDENTITY,
        "--issuer",
        ISSUER,
        "--trust-root",
        sig_arg,
    ]);
    wrong.expect_code(2);
    assert!(
        wrong.stderr.contains("is not a trusted root"),
        "{}",
        wrong.stderr
    );
    // Keyless flags conflict with --key.
    verify(&["--identity", IDENTITY, "--issuer", ISSUER, "--key", sig_arg]).expect_code(2);
}

// A modified file in a keyless-signed model is caught like any other.
#[test]
fn a_tampered_keyless_model_fails() {
    let (model, signature) = vector("v1.0.0");
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("model");
    std::fs::create_dir(&copy).expect("mkdir");
    for name in ["signme-1", "signme-2"] {
        std::fs::copy(model.join(name), copy.join(name)).expect("copy");
    }
    std::fs::write(copy.join("signme-2"), "tampered").expect("tamper");
    let (out, report) = verify_json(&copy, &keyless_args(&signature, &[]));
    out.expect_code(1);
    assert_eq!(report.kinds(), ["modified"]);
}

// A policy may name a keyless signer (identity and issuer, exact or
// regex) in place of a key, with roles, like any other signer.
#[test]
fn a_policy_names_keyless_signers() {
    let (model, signature) = vector("v1.0.0");
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = |name: &str, signer: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "version = 1\n[[signers]]\nname = \"stefan\"\n{signer}\nroles = [\"developer\"]\n\
                 [rules.model_signature]\nroles = [\"developer\"]\n"
            ),
        )
        .expect("policy");
        path
    };
    let exact = policy(
        "exact.toml",
        &format!("identity = \"{IDENTITY}\"\nissuer = \"{ISSUER}\""),
    );
    let regex = policy(
        "regex.toml",
        &format!("identity_regex = \".*@us\\\\.ibm\\\\.com\"\nissuer = \"{ISSUER}\""),
    );
    let other = policy(
        "other.toml",
        &format!("identity = \"someone@us.ibm.com\"\nissuer = \"{ISSUER}\""),
    );
    for p in [&exact, &regex] {
        let (out, report) = verify_json(&model, &[&"--signature", &signature, &"--policy", p]);
        out.expect_code(0);
        let policy = report.policy.expect("policy");
        assert_eq!(policy.model_signer, "stefan");
        assert!(policy.failed().is_empty(), "{:?}", policy.failed());
    }
    let out = run(offline(
        modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--signature")
            .arg(&signature)
            .arg("--policy")
            .arg(&other),
    ));
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("Sigstore keyless `stefanb@us.ibm.com` (issuer `https://sigstore.verify.ibm.com/oauth2`)"),
        "{}",
        out.stderr
    );
    // A keyless signer needs both halves.
    let half = policy("half.toml", &format!("identity = \"{IDENTITY}\""));
    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--signature")
        .arg(&signature)
        .arg("--policy")
        .arg(&half));
    out.expect_code(2);
    assert!(out.stderr.contains("needs `issuer`"), "{}", out.stderr);
}
