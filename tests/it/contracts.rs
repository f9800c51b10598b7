//! Verdicts that survive where they are consumed (issue 14): exit codes
//! behind a closed pipe, the hook's exit codes and streams, exact `--only`
//! names, and `report`'s exit code.

use std::path::Path;

use crate::support::{keygen, modelseal, run, tiny_model};

fn tampered_model(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let (model, key, public) = crate::support::signed_tiny_model(dir, "p256");
    std::fs::write(model.join("config.json"), b"{\"tampered\": true}\n").expect("tamper");
    (model, key, public)
}

// Regression: `modelseal verify TAMPERED … | true` exited 0, since a broken
// pipe was mapped to success: a CI gate with `pipefail` passed a tampered
// model. Run through a real shell pipeline whose reader exits at once.
#[test]
fn a_closed_pipe_never_turns_a_failed_verification_into_success() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, key, public) = tampered_model(dir.path());
    let bin = env!("CARGO_BIN_EXE_modelseal");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "version = 1\n[[signers]]\nname = \"publisher\"\nkey = '{}'\nroles = [\"developer\"]\n",
            public.display()
        ),
    )
    .expect("policy");
    // The untampered twin, for the commands whose verdict is a pass.
    let (good, _, good_public) =
        crate::support::signed_tiny_model(&dir.path().join("good"), "p256");
    let (m, p, k, g, gp) = (
        model.display(),
        policy.display(),
        key.display(),
        good.display(),
        good_public.display(),
    );
    let out = dir.path().join("out");
    let o = out.display();
    // Every subcommand that prints, with the code it must exit with.
    let commands: Vec<(String, i32)> = vec![
        (format!("'{bin}' verify '{m}' --policy '{p}'"), 1),
        (
            format!("'{bin}' verify '{m}' --policy '{p}' --format json"),
            1,
        ),
        (format!("'{bin}' verify '{g}' --key '{gp}'"), 0),
        (format!("'{bin}' report '{m}' --policy '{p}'"), 1),
        (
            format!("'{bin}' report '{m}' --policy '{p}' --format json"),
            1,
        ),
        (format!("'{bin}' log '{m}' --policy '{p}'"), 1),
        (format!("'{bin}' attestations '{m}' --policy '{p}'"), 0),
        (format!("'{bin}' inspect '{m}'"), 0),
        (format!("'{bin}' inspect '{m}' --format json"), 0),
        (format!("'{bin}' hook verify --model '{m}'"), 1),
        (
            format!("'{bin}' sign '{m}' --key '{k}' --signature '{o}.sig'"),
            0,
        ),
        (
            format!("'{bin}' sign '{m}' --key '{k}' --signature '{o}.sig'"),
            2,
        ),
        (format!("'{bin}' keygen --out '{o}.key'"), 0),
        (format!("'{bin}' schema verify"), 0),
        (format!("'{bin}' verify '{m}' --key '{o}.missing'"), 2),
        (format!("'{bin}' --help"), 0),
    ];
    for (command, want) in commands.into_iter().chain([
        (
            format!(
                "'{bin}' verify '{}' --key '{}'",
                model.display(),
                public.display()
            ),
            1,
        ),
        (
            format!(
                "'{bin}' verify '{}' --key '{}' --format json",
                model.display(),
                public.display()
            ),
            1,
        ),
        (format!("'{bin}' status '{}'", model.display()), 1),
        (format!("'{bin}' hash '{}'", model.display()), 0),
    ]) {
        // `true` closes the pipe at once; `sleep` makes sure modelseal
        // writes to it only after that. `pipefail` gives modelseal's code.
        let script = format!("set -o pipefail; {{ sleep 0.3; {command}; }} | true");
        let out = run(std::process::Command::new("bash")
            .args(["-c", &script])
            .env("MODELSEAL_CACHE_DIR", dir.path().join("cache")));
        assert_eq!(out.code, want, "{command}: {}", out.stderr);
        assert!(!out.stderr.contains("Broken pipe"), "{}", out.stderr);
    }
}

// Regression: `hook verify` exited 1 on I/O errors and printed them on
// stdout; the contract is exit 2 and stderr (a verdict stays exit 1).
#[test]
fn the_hook_exits_2_on_errors_and_1_on_verdicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, _, _) = tampered_model(dir.path());
    let hook = |extra: &[&dyn AsRef<std::ffi::OsStr>]| {
        run(modelseal()
            .args(["hook", "verify", "--model"])
            .arg(&model)
            .args(extra.iter().map(|a| a.as_ref()))
            .env("MODELSEAL_CACHE_DIR", dir.path().join("cache")))
    };
    let verdict = hook(&[]);
    verdict.expect_code(1);
    assert!(
        verdict.stdout.contains("modified      config.json"),
        "{}",
        verdict.stdout
    );
    // An unreadable model file: an I/O error, not a verdict.
    let unreadable = model.join("tokenizer.json");
    std::fs::remove_file(&unreadable).expect("rm");
    std::fs::create_dir(&unreadable).expect("a folder where a file was");
    std::fs::write(
        model.join("config.json"),
        b"{\"model_type\": \"tiny\", \"hidden_size\": 4}\n",
    )
    .expect("restore");
    let broken_cache = dir.path().join("not-a-dir");
    std::fs::write(&broken_cache, b"x").expect("write");
    let error = run(modelseal()
        .args(["hook", "verify", "--model"])
        .arg(&model)
        .env("MODELSEAL_CACHE_DIR", broken_cache.join("sub")));
    error.expect_code(2);
    assert!(
        error.stdout.is_empty(),
        "errors go to stderr: {}",
        error.stdout
    );
    assert!(error.stderr.contains("tiny"), "{}", error.stderr);
}

// The verify hook checks content only unless given a key or a policy;
// with `--key` a signature regenerated with any other key fails.
#[test]
fn the_hook_checks_the_signer_when_given_a_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    let (other, _, _) = keygen(dir.path(), "other", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let hook = |extra: &[&dyn AsRef<std::ffi::OsStr>]| {
        run(modelseal()
            .args(["hook", "verify", "--model"])
            .arg(&model)
            .args(extra.iter().map(|a| a.as_ref()))
            .env("MODELSEAL_CACHE_DIR", dir.path().join("cache")))
    };
    hook(&[&"--key", &public]).expect_code(0);
    // Someone changes a file and re-signs with their own key.
    std::fs::write(model.join("config.json"), b"{\"evil\": 1}\n").expect("tamper");
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&other)
        .arg("--force"))
    .expect_code(0);
    hook(&[]).expect_code(0);
    let trusted = hook(&[&"--key", &public]);
    trusted.expect_code(1);
    assert!(trusted.stdout.contains("tiny"), "{}", trusted.stdout);
}

// Regression: `verify --only a.bin` also selected `sub/a.bin` (suffix
// matching); names are exact.
#[test]
fn only_names_are_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m");
    std::fs::create_dir_all(model.join("sub")).expect("mkdir");
    std::fs::write(model.join("a.bin"), b"top").expect("write");
    std::fs::write(model.join("sub/a.bin"), b"nested").expect("write");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    std::fs::remove_file(model.join("sub/a.bin")).expect("rm");
    std::os::unix::fs::symlink("../a.bin", model.join("sub/a.bin")).expect("symlink");
    let (out, report) =
        crate::support::verify_json(&model, &[&"--key", &public, &"--only", &"a.bin"]);
    out.expect_code(0);
    assert_eq!(report.resources_checked, 1);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

// `report` exits 1 when the model fails verification, like `verify`, even
// where the policy's rules pass.
#[test]
fn report_exits_1_when_the_files_do_not_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, _, _) = keygen(dir.path(), "dev", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n[[signers]]\nname = \"dev\"\nkey = \"dev.pub\"\nroles = [\"developer\"]\n",
    )
    .expect("policy");
    let report = |code| {
        let out = run(modelseal()
            .arg("report")
            .arg(&model)
            .arg("--policy")
            .arg(&policy)
            .args(["--format", "json"]));
        assert_eq!(out.code, code, "{}{}", out.stdout, out.stderr);
        serde_json::from_str::<serde_json::Value>(&out.stdout).expect("json")
    };
    let good = report(0);
    assert_eq!(good["model_verified"], true);
    std::fs::write(model.join("config.json"), b"{}").expect("tamper");
    let bad = report(1);
    assert_eq!(bad["model_verified"], false);
}

// Regression: free text from an attestation reached the Markdown report
// raw: a test name with a newline injected a fake "## 5.5.1 (met)" section.
// Enum debug names (`ParentNotRecorded("…")`) reached users too.
#[test]
fn the_report_escapes_attestation_text_and_shows_no_internal_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (dev, _, _) = keygen(dir.path(), "dev", "p256");
    let (tess, _, _) = keygen(dir.path(), "tess", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&dev)).expect_code(0);
    let report_file = dir.path().join("report.html");
    std::fs::write(&report_file, "<p>ok</p>").expect("write");
    run(modelseal()
        .args(["attest", "test"])
        .arg(&model)
        .arg("--key")
        .arg(&tess)
        .args([
            "--name",
            "probe\n\n## 5.5.1 (met)\n\nall good | yes",
            "--result",
            "pass",
            "--tester",
            "tess",
            "--report",
        ])
        .arg(&report_file))
    .expect_code(0);
    // A lineage whose parent was never recorded: a broken link.
    run(modelseal()
        .args(["attest", "lineage"])
        .arg(&model)
        .arg("--key")
        .arg(&dev)
        .args([
            "--model-version",
            "2.0",
            "--parent-version",
            "1.0",
            "--parent-digest",
            &"ab".repeat(32),
            "--change",
            "x",
        ]))
    .expect_code(0);
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n[[signers]]\nname = \"dev\"\nkey = \"dev.pub\"\nroles = [\"developer\"]\n\
         [[signers]]\nname = \"tess\"\nkey = \"tess.pub\"\nroles = [\"tester\"]\n",
    )
    .expect("policy");
    let out = run(modelseal()
        .arg("report")
        .arg(&model)
        .arg("--policy")
        .arg(&policy));
    let md = out.stdout;
    assert!(!md.contains("\n## 5.5.1 (met)"), "injected section: {md}");
    assert!(
        md.lines().filter(|l| l.starts_with("## 5.5.1")).count() <= 1,
        "{md}"
    );
    for internal in [
        "ParentNotRecorded(",
        "VersionMismatch(",
        "Conflicting(",
        "Some(",
    ] {
        assert!(!md.contains(internal), "`{internal}` in {md}");
    }
}
