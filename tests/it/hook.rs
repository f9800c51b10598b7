//! The pre-commit hooks, run by the real pre-commit framework (PyPI
//! `pre-commit`, installed by `scripts/test.sh` beside the reference tool)
//! in a temporary git repository. pre-commit builds the hooks from this
//! repository's committed HEAD with `cargo install --path .`, as it would
//! from GitHub; the build is shared between runs under `target/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Run, keygen, modelseal, run, tiny_model};

/// The `pre-commit` executable; panics with a hint when it is missing.
fn pre_commit() -> PathBuf {
    let tool = crate::support::reference_tool()
        .parent()
        .expect("venv bin")
        .join("pre-commit");
    assert!(
        tool.is_file(),
        "`{}` is missing: run `bash scripts/test.sh` (it installs pre-commit)",
        tool.display()
    );
    tool
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .args([
            "-c",
            "user.name=modelseal test",
            "-c",
            "user.email=test@modelseal.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    command
}

/// `git commit` with the installed hooks, in an environment that builds the
/// hook once and keeps it.
fn commit(dir: &Path, message: &str, cache: &Path) -> Run {
    let target = repo_root().join("target");
    run(git(dir)
        .args(["commit", "-q", "-m", message])
        .env("PRE_COMMIT_HOME", target.join("pre-commit-home"))
        .env("CARGO_TARGET_DIR", target.join("pre-commit-build"))
        // A test build: no LTO, parallel code generation.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("MODELSEAL_CACHE_DIR", cache)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE"))
}

/// A git repository with the hooks installed from this repository's HEAD
/// and one model `tiny` signed with an Ed25519 key: the repository, the
/// digest cache folder, the key and the model.
struct HookRepo {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    cache: PathBuf,
    key: PathBuf,
    model: PathBuf,
}

impl HookRepo {
    fn new() -> Self {
        let head = run(git(repo_root()).args(["rev-parse", "HEAD"]));
        assert_eq!(
            head.code, 0,
            "the hooks are built from this repository's git HEAD: {}",
            head.stderr
        );
        let rev = head.stdout.trim();
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("models");
        let cache = dir.path().join("cache");
        std::fs::create_dir(&repo).expect("mkdir");
        assert_eq!(run(git(&repo).args(["init", "-q"])).code, 0);
        let model = tiny_model(&repo, "tiny");
        let (key, _, _) = keygen(dir.path(), "key", "ed25519");
        run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
        std::fs::write(
            repo.join(".pre-commit-config.yaml"),
            format!(
                "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: modelseal-verify\n  - id: modelseal-formats\n",
                repo_root().display()
            ),
        )
        .expect("config");
        let install = run(Command::new(pre_commit()).arg("install").current_dir(&repo));
        assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
        Self {
            _dir: dir,
            repo,
            cache,
            key,
            model,
        }
    }

    /// `git add -A` then `git commit` through the hooks.
    fn commit_all(&self, message: &str) -> Run {
        assert_eq!(run(git(&self.repo).args(["add", "-A"])).code, 0);
        commit(&self.repo, message, &self.cache)
    }

    /// `git` in the repository, which must succeed.
    fn git(&self, args: &[&str]) {
        let out = run(git(&self.repo).args(args));
        assert_eq!(out.code, 0, "git {args:?}: {}", out.stderr);
    }
}

#[test]
fn the_pre_commit_hooks_block_unsigned_changes_and_pickles() {
    let setup = HookRepo::new();
    let (repo, cache, key, model) = (&setup.repo, &setup.cache, &setup.key, &setup.model);

    // A signed model commits.
    assert_eq!(run(git(repo).args(["add", "-A"])).code, 0);
    let first = commit(repo, "signed model", cache);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);

    // A changed weight file without a new signature is blocked.
    std::fs::write(
        model.join("weights/model.safetensors"),
        crate::support::tiny_weights(1),
    )
    .expect("write");
    assert_eq!(run(git(repo).args(["add", "-A"])).code, 0);
    let blocked = commit(repo, "new weights", cache);
    let output = format!("{}{}", blocked.stdout, blocked.stderr);
    assert_ne!(blocked.code, 0, "{output}");
    assert!(
        output.contains("modified      weights/model.safetensors"),
        "{output}"
    );
    assert!(
        output.contains("modelseal sign"),
        "the message says how to re-sign: {output}"
    );

    // Re-signed incrementally, the commit passes.
    run(modelseal()
        .arg("sign")
        .arg(model)
        .arg("--key")
        .arg(key)
        .args(["--incremental", "--force"])
        .env("MODELSEAL_CACHE_DIR", cache))
    .expect_code(0);
    assert_eq!(run(git(repo).args(["add", "-A"])).code, 0);
    let resigned = commit(repo, "new weights, re-signed", cache);
    assert_eq!(resigned.code, 0, "{}{}", resigned.stdout, resigned.stderr);

    // A pickle is blocked by the formats hook (outside any signed model).
    let evil = repo_root().join("crates/modelseal-formats/tests/data/evil_global_os_system.pkl");
    std::fs::copy(evil, repo.join("helper.pkl")).expect("copy");
    assert_eq!(run(git(repo).args(["add", "-A"])).code, 0);
    let pickle = commit(repo, "a pickle", cache);
    let output = format!("{}{}", pickle.stdout, pickle.stderr);
    assert_ne!(pickle.code, 0, "{output}");
    assert!(
        output.contains("helper.pkl") && output.contains("os.system"),
        "{output}"
    );
    assert!(
        output.contains("modelseal formats"),
        "the formats hook failed: {output}"
    );
}

/// The gaps an attacker (or a hurried colleague) could use to commit a
/// tampered model past the hook, each closed: a `.modelseal.toml` that
/// switched off finding `model.sig` directories, a commit that only deletes
/// a signed file (pre-commit passes no names for deletions), a tampered
/// file committed together with deleting or replacing `model.sig`, and a
/// configuration naming paths outside the repository.
#[test]
fn the_pre_commit_hook_has_no_way_around_it() {
    let setup = HookRepo::new();
    let blocked = |message: &str, expect: &[&str]| {
        let out = setup.commit_all(message);
        let output = format!("{}{}", out.stdout, out.stderr);
        assert_ne!(out.code, 0, "{message}: {output}");
        for words in expect {
            assert!(output.contains(words), "{message}: `{words}` in {output}");
        }
        // Undo the attempt: back to the last commit.
        setup.git(&["reset", "-q", "--hard", "HEAD"]);
        setup.git(&["clean", "-qfdx"]);
    };
    // A second model whose signature lives elsewhere, listed in the config.
    let other = tiny_model(&setup.repo, "other");
    run(modelseal()
        .arg("sign")
        .arg(&other)
        .arg("--key")
        .arg(&setup.key)
        .arg("--signature")
        .arg(setup.repo.join("other.sig")))
    .expect_code(0);
    std::fs::write(
        setup.repo.join(".modelseal.toml"),
        "[[model]]\npath = \"other\"\nsignature = \"other.sig\"\n",
    )
    .expect("config");
    let first = setup.commit_all("two signed models");
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);

    // The configuration adds `other`; `tiny` (found by its model.sig) is
    // still checked.
    std::fs::write(setup.model.join("config.json"), b"{\"evil\": 1}\n").expect("write");
    blocked(
        "tamper the unlisted model",
        &["tiny", "modified      config.json"],
    );
    std::fs::write(other.join("config.json"), b"{\"evil\": 1}\n").expect("write");
    blocked(
        "tamper the listed model",
        &["other.sig", "modified      config.json"],
    );

    // A commit that only deletes a signed file.
    setup.git(&["rm", "-q", "tiny/tokenizer.json"]);
    blocked("delete a signed file", &["missing       tokenizer.json"]);
    setup.git(&["rm", "-q", "other/tokenizer.json"]);
    blocked(
        "delete a file of the listed model",
        &["missing       tokenizer.json"],
    );

    // Tamper a file and delete the signature in the same commit.
    std::fs::write(setup.model.join("config.json"), b"{\"evil\": 1}\n").expect("write");
    std::fs::remove_file(setup.model.join("model.sig")).expect("rm");
    blocked(
        "tamper and delete model.sig",
        &["tiny/model.sig", "missing"],
    );
    // ... or replace it with a link to another model's signature, or with
    // a directory.
    std::fs::write(setup.model.join("config.json"), b"{\"evil\": 1}\n").expect("write");
    std::fs::remove_file(setup.model.join("model.sig")).expect("rm");
    std::os::unix::fs::symlink("../other.sig", setup.model.join("model.sig")).expect("symlink");
    blocked("tamper and link model.sig", &["tiny/model.sig"]);
    std::fs::write(setup.model.join("config.json"), b"{\"evil\": 1}\n").expect("write");
    std::fs::remove_file(setup.model.join("model.sig")).expect("rm");
    std::fs::create_dir(setup.model.join("model.sig")).expect("mkdir");
    std::fs::write(setup.model.join("model.sig/x"), b"x").expect("write");
    blocked("tamper and make model.sig a folder", &["tiny/model.sig"]);

    // A whole model deleted, signature and all, is no tampering.
    setup.git(&["rm", "-rq", "tiny"]);
    let deleted = commit(&setup.repo, "retire tiny", &setup.cache);
    assert_eq!(deleted.code, 0, "{}{}", deleted.stdout, deleted.stderr);

    // Paths outside the repository are refused.
    for path in ["../outside", "/etc"] {
        std::fs::write(
            setup.repo.join(".modelseal.toml"),
            format!("[[model]]\npath = \"{path}\"\n"),
        )
        .expect("config");
        blocked("a config naming a path outside", &[".modelseal.toml", path]);
    }
    std::os::unix::fs::symlink("/etc", setup.repo.join("etc-link")).expect("symlink");
    std::fs::write(
        setup.repo.join(".modelseal.toml"),
        "[[model]]\npath = \"etc-link\"\n",
    )
    .expect("config");
    blocked(
        "a config naming a link outside",
        &["outside the repository"],
    );
}

/// The hook entry points without the framework.
#[test]
fn hook_verify_finds_models_from_touched_files_and_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, _, _) = keygen(dir.path(), "key", "ed25519");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let hook = |args: &[&str]| {
        run(modelseal()
            .args(["hook", "verify"])
            .args(args)
            .current_dir(dir.path())
            .env("MODELSEAL_CACHE_DIR", &cache))
    };
    hook(&["tiny/config.json"]).expect_code(0);
    hook(&[]).expect_code(0);
    std::fs::write(model.join("config.json"), b"{}").expect("write");
    hook(&["tiny/config.json"]).expect_code(1);
    hook(&[]).expect_code(1);
    // A file outside any signed model touches nothing.
    std::fs::write(dir.path().join("notes.txt"), b"hi").expect("write");
    hook(&["notes.txt"]).expect_code(0);

    // A configuration names a model whose signature lives elsewhere.
    std::fs::rename(model.join("model.sig"), dir.path().join("tiny.sig")).expect("move");
    std::fs::write(
        dir.path().join(".modelseal.toml"),
        "[[model]]\npath = \"tiny\"\nsignature = \"tiny.sig\"\n",
    )
    .expect("config");
    let out = hook(&["tiny/config.json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("tiny.sig"), "{}", out.stdout);
    std::fs::write(dir.path().join(".modelseal.toml"), "[[model]]\nnope = 1\n").expect("config");
    let bad = hook(&["tiny/config.json"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    bad.expect_stderr(&[".modelseal.toml"]);
}
