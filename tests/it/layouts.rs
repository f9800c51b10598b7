//! Models as they are on disk: a Hugging Face hub cache snapshot (relative
//! links into the repository's blobs, laid out as `huggingface_hub` writes
//! it), a `hf download --local-dir` folder with its `.cache/huggingface`,
//! a model path that is itself a link, and files under ignore paths, which
//! the format gate still checks.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::interop::{assert_reference_verifies, reference_sign_with, reference_verify};
use crate::support::{FindingJson, copy_fixture, keygen, modelseal, run, sha256sum, verify_json};

/// The revision folder name: a 40-hex commit, as the hub writes it.
pub(crate) const REVISION: &str = "3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39";

/// Lays out `model` (a plain directory) as a hub cache repository under
/// `cache`: `models--acme--tiny/{blobs/<sha256>, snapshots/REV/<file> ->
/// ../../blobs/<sha256>, refs/main}`. Returns the repository and snapshot.
pub(crate) fn hub_cache(model: &Path, cache: &Path) -> (PathBuf, PathBuf) {
    let repo = cache.join("hub/models--acme--tiny");
    let snapshot = repo.join("snapshots").join(REVISION);
    std::fs::create_dir_all(repo.join("blobs")).expect("mkdir");
    std::fs::create_dir_all(repo.join("refs")).expect("mkdir");
    std::fs::write(repo.join("refs/main"), REVISION).expect("ref");
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in std::fs::read_dir(model.join(&rel)).expect("read_dir") {
            let entry = entry.expect("entry");
            let name = rel.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                stack.push(name);
                continue;
            }
            if name == Path::new("model.sig") {
                continue;
            }
            let blob = sha256sum(&entry.path());
            std::fs::copy(entry.path(), repo.join("blobs").join(&blob)).expect("blob");
            let link = snapshot.join(&name);
            std::fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
            let up = "../".repeat(name.components().count() + 1);
            symlink(format!("{up}blobs/{blob}"), &link).expect("symlink");
        }
    }
    (repo, snapshot)
}

/// The example model as a hub cache snapshot, and a P-256 key pair (the
/// reference tool reads P-256).
struct Hub {
    dir: tempfile::TempDir,
    repo: PathBuf,
    snapshot: PathBuf,
    key: PathBuf,
    public: PathBuf,
}

fn hub() -> Hub {
    let (_fixture_dir, model) = copy_fixture("example-model");
    let dir = tempfile::tempdir().expect("tempdir");
    let (repo, snapshot) = hub_cache(&model, &dir.path().join("cache"));
    let (key, public, _) = keygen(dir.path(), "release", "p256");
    Hub {
        dir,
        repo,
        snapshot,
        key,
        public,
    }
}

fn sign(model: &Path, key: &Path, sig: &Path, extra: &[&str]) -> crate::support::Run {
    run(modelseal()
        .arg("sign")
        .arg(model)
        .arg("--key")
        .arg(key)
        .arg("--signature")
        .arg(sig)
        .args(extra))
}

// Regression: every command refused a hub snapshot ("outside the model"),
// the most common way a model arrives.
#[test]
fn a_hub_cache_snapshot_signs_verifies_and_inspects_with_no_flag() {
    let hub = hub();
    let sig = hub.dir.path().join("tiny.sig");
    let signed = sign(&hub.snapshot, &hub.key, &sig, &[]);
    signed.expect_code(0);
    assert!(
        signed
            .stdout
            .contains("symbolic links followed into the Hugging Face cache repository"),
        "{}",
        signed.stdout
    );

    let json = sign(
        &hub.snapshot,
        &hub.key,
        &hub.dir.path().join("again.sig"),
        &["--format", "json"],
    );
    json.expect_code(0);
    let signed: crate::support::SignJson = serde_json::from_str(&json.stdout).expect("sign JSON");
    assert_eq!(signed.links.map(|l| l.followed), Some(5));

    let (out, report) = verify_json(
        &hub.snapshot,
        &[&"--key", &hub.public, &"--signature", &sig],
    );
    out.expect_code(0);
    assert!(report.verified && report.findings.is_empty(), "{report:?}");
    assert_eq!(report.resources_checked, 5);
    assert!(report.serialization.allow_symlinks, "following is recorded");
    let links = report.links.expect("links reported");
    assert_eq!(links.followed, 5);
    let repo = std::fs::canonicalize(&hub.repo).expect("canonical");
    assert_eq!(
        links.hub_repo.as_deref(),
        Some(repo.to_str().expect("utf-8"))
    );
    let text = run(modelseal()
        .arg("verify")
        .arg(&hub.snapshot)
        .arg("--key")
        .arg(&hub.public)
        .arg("--signature")
        .arg(&sig));
    text.expect_code(0);
    assert!(
        text.stdout
            .contains("5 symbolic links followed into the Hugging Face cache")
    );

    // The file names, not the blobs' hash names, decide the format.
    let inspect = run(modelseal().arg("inspect").arg(&hub.snapshot));
    inspect.expect_code(0);
    assert!(
        inspect.stdout.contains("model.safetensors  safetensors"),
        "{}",
        inspect.stdout
    );
    run(modelseal().arg("hash").arg(&hub.snapshot)).expect_code(0);
    run(modelseal()
        .arg("status")
        .arg(&hub.snapshot)
        .arg("--signature")
        .arg(&sig))
    .expect_code(0);

    // A changed blob is a changed file of the snapshot.
    let weights = std::fs::canonicalize(hub.snapshot.join("model.safetensors")).expect("blob");
    let mut bytes = std::fs::read(&weights).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&weights, bytes).expect("write");
    let (out, report) = verify_json(
        &hub.snapshot,
        &[&"--key", &hub.public, &"--signature", &sig],
    );
    out.expect_code(1);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert!(
        matches!(&report.findings[0], FindingJson::Modified { name, .. } if name == "model.safetensors")
    );
}

#[test]
fn hub_snapshots_interoperate_with_the_reference_tool() {
    let hub = hub();
    // Reference -> modelseal: the reference needs --allow_symlinks to sign
    // a snapshot; modelseal verifies it with no flag.
    let theirs = hub.dir.path().join("reference.sig");
    reference_sign_with(&hub.snapshot, &hub.key, &theirs, &["--allow_symlinks"]);
    let (out, report) = verify_json(
        &hub.snapshot,
        &[&"--key", &hub.public, &"--signature", &theirs],
    );
    out.expect_code(0);
    assert!(report.verified && report.findings.is_empty(), "{report:?}");
    assert_eq!(report.resources_checked, 5);

    // modelseal -> reference.
    let ours = hub.dir.path().join("modelseal.sig");
    sign(&hub.snapshot, &hub.key, &ours, &[]).expect_code(0);
    assert_reference_verifies(&reference_verify(
        &hub.snapshot,
        &ours,
        &hub.public,
        &["--allow_symlinks"],
    ));
    // Both sign the same root digest.
    let (_, mine) = verify_json(
        &hub.snapshot,
        &[&"--key", &hub.public, &"--signature", &ours],
    );
    assert_eq!(mine.root_digest, report.root_digest);
}

#[test]
fn hub_links_leaving_the_repository_or_to_special_files_are_refused() {
    let hub = hub();
    let outside = hub.dir.path().join("secret.txt");
    std::fs::write(&outside, b"not part of the model").expect("write");
    let sig = hub.dir.path().join("tiny.sig");
    sign(&hub.snapshot, &hub.key, &sig, &[]).expect_code(0);

    // A link out of the repository, added after signing: a problem that
    // fails verification, naming the link.
    symlink(&outside, hub.snapshot.join("extra.txt")).expect("symlink");
    let (out, report) = verify_json(
        &hub.snapshot,
        &[&"--key", &hub.public, &"--signature", &sig],
    );
    out.expect_code(1);
    assert!(
        report.findings.iter().any(
            |f| matches!(f, FindingJson::PathProblem { path, .. } if path.ends_with("extra.txt"))
        ),
        "{:?}",
        report.findings
    );
    // Signing it is refused.
    sign(
        &hub.snapshot,
        &hub.key,
        &hub.dir.path().join("again.sig"),
        &[],
    )
    .expect_code(2)
    .expect_stderr(&["extra.txt", "outside the model"]);
    std::fs::remove_file(hub.snapshot.join("extra.txt")).expect("rm");

    // A link to a FIFO in the blobs: refused without opening it (a plain
    // open would block until a writer came).
    let fifo = hub.repo.join("blobs/fifo");
    let made = run(std::process::Command::new("mkfifo").arg(&fifo));
    assert_eq!(made.code, 0, "{}", made.stderr);
    symlink("../../blobs/fifo", hub.snapshot.join("fifo.bin")).expect("symlink");
    let out = crate::support::run_with_timeout(
        modelseal()
            .arg("verify")
            .arg(&hub.snapshot)
            .arg("--key")
            .arg(&hub.public)
            .arg("--signature")
            .arg(&sig),
        std::time::Duration::from_secs(60),
    );
    out.expect_code(1);
    assert!(
        out.stdout.contains("a symbolic link to a FIFO"),
        "{}",
        out.stdout
    );
}

// `hf download --local-dir` writes `.cache/huggingface/` into the model.
#[test]
fn a_local_dir_download_verifies_with_no_flag_in_both_directions() {
    let (dir, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "release", "p256");
    // The publisher signs the model before anyone downloaded it.
    let theirs = dir.path().join("reference.sig");
    reference_sign_with(&model, &key, &theirs, &[]);
    let ours = dir.path().join("modelseal.sig");
    sign(&model, &key, &ours, &[]).expect_code(0);
    // The download adds the hub client's metadata.
    let meta = model.join(".cache/huggingface/download");
    std::fs::create_dir_all(&meta).expect("mkdir");
    std::fs::write(model.join(".cache/huggingface/.gitignore"), b"*\n").expect("write");
    std::fs::write(
        meta.join("model.safetensors.metadata"),
        b"3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39\n\"etag\"\n1733212800.0\n",
    )
    .expect("write");
    for sig in [&theirs, &ours] {
        let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", sig]);
        out.expect_code(0);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
    }
    // The exclusion is signed, so the reference tool honours it too.
    let recorded = crate::support::signed_statement(&ours);
    let ignore = recorded["predicate"]["serialization"]["ignore_paths"]
        .as_array()
        .expect("ignore_paths");
    assert!(
        ignore.iter().any(|p| p == ".cache/huggingface"),
        "{ignore:?}"
    );
    assert_reference_verifies(&reference_verify(&model, &ours, &public, &[]));
    // Anything else under `.cache` is still a file of the model.
    std::fs::write(model.join(".cache/notes.txt"), b"x").expect("write");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &ours]);
    out.expect_code(1);
    assert!(
        matches!(&report.findings[..], [FindingJson::Unsigned { name, fails: true }] if name == ".cache/notes.txt"),
        "{:?}",
        report.findings
    );
}

// Regression: `/models/current -> v3` was refused ("symbolic link").
#[test]
fn a_model_path_that_is_a_link_is_resolved_and_verified() {
    let (dir, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "release", "p256");
    let current = dir.path().join("current");
    symlink(&model, &current).expect("symlink");
    let sig = dir.path().join("current.sig");
    sign(&current, &key, &sig, &[]).expect_code(0);
    let (out, report) = verify_json(&current, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(0);
    let canonical = std::fs::canonicalize(&model).expect("canonical");
    assert_eq!(
        report.links.and_then(|l| l.model_target),
        Some(canonical.display().to_string())
    );
    // The same bytes through the real path verify against that signature.
    verify_json(&model, &[&"--key", &public, &"--signature", &sig])
        .0
        .expect_code(0);

    // A single file given through a link (a snapshot file given directly).
    let file_link = dir.path().join("weights.safetensors");
    symlink(model.join("model.safetensors"), &file_link).expect("symlink");
    let file_sig = dir.path().join("weights.sig");
    sign(&file_link, &key, &file_sig, &[]).expect_code(0);
    let (out, report) = verify_json(&file_link, &[&"--key", &public, &"--signature", &file_sig]);
    out.expect_code(0);
    assert_eq!(report.resources_checked, 1);
}

#[test]
fn verify_allow_symlinks_follows_links_the_signature_did_not_record() {
    let (dir, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "release", "p256");
    let sig = dir.path().join("plain.sig");
    sign(&model, &key, &sig, &[]).expect_code(0);
    // Deduplicated on disk: the tokenizer is now a link to an identical
    // copy inside the model.
    std::fs::create_dir(model.join("store")).expect("mkdir");
    std::fs::rename(
        model.join("tokenizer.json"),
        model.join("store/tokenizer.json"),
    )
    .expect("move");
    symlink("store/tokenizer.json", model.join("tokenizer.json")).expect("symlink");
    let ignore_store: [&dyn AsRef<std::ffi::OsStr>; 6] = [
        &"--key",
        &public,
        &"--signature",
        &sig,
        &"--ignore",
        &"store",
    ];
    let (out, report) = verify_json(&model, &ignore_store);
    out.expect_code(1);
    assert!(
        report
            .findings
            .iter()
            .any(|f| matches!(f, FindingJson::PathProblem { .. })),
        "refused without the flag: {:?}",
        report.findings
    );
    let mut with_flag: Vec<&dyn AsRef<std::ffi::OsStr>> = ignore_store.to_vec();
    with_flag.push(&"--allow-symlinks");
    let (out, report) = verify_json(&model, &with_flag);
    out.expect_code(0);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.links.map(|l| l.followed), Some(1));
}

// Regression: a pickle under an ignore path is not signed, but it is on
// disk and loadable; the format gate passed over it.
#[test]
fn the_format_gate_checks_files_under_ignore_paths() {
    let (dir, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "release", "p256");
    std::fs::create_dir(model.join("extras")).expect("mkdir");
    let evil = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/modelseal-formats/tests/data/evil_global_os_system.pkl");
    std::fs::copy(&evil, model.join("extras/helper.pkl")).expect("copy");
    let sig = dir.path().join("model.sig");
    sign(
        &model,
        &key,
        &sig,
        &["--ignore", "extras", "--unsafe-formats", "deny"],
    )
    .expect_code(1)
    .expect_stderr(&["extras/helper.pkl", "can run code"]);
    sign(
        &model,
        &key,
        &sig,
        &["--ignore", "extras", "--unsafe-formats", "allow"],
    )
    .expect_code(0);
    let (out, report) = verify_json(
        &model,
        &[
            &"--key",
            &public,
            &"--signature",
            &sig,
            &"--unsafe-formats",
            &"deny",
        ],
    );
    out.expect_code(1);
    assert!(
        report.findings.iter().any(
            |f| matches!(f, FindingJson::UnsafeFormat { name, .. } if name == "extras/helper.pkl")
        ),
        "{:?}",
        report.findings
    );
}
