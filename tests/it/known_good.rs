//! The known-good store (`store add|list|verify|gc`, `restore`): only a
//! model that verifies goes in, an OCI image layout that OCI tools read;
//! a restore is verified before it is moved into place and never leaves
//! the destination half-written.

use std::path::{Path, PathBuf};

use crate::support::{copy_fixture, keygen, modelseal, run, sha256sum};

struct Setup {
    dir: tempfile::TempDir,
    model: PathBuf,
    key: PathBuf,
    public: PathBuf,
    store: PathBuf,
}

fn setup() -> Setup {
    let (fixture, model) = copy_fixture("example-model");
    let dir = tempfile::tempdir().expect("tempdir");
    let moved = dir.path().join("model");
    std::fs::rename(&model, &moved).expect("move");
    drop(fixture);
    let (key, public, _) = keygen(dir.path(), "release", "p256");
    run(modelseal().arg("sign").arg(&moved).arg("--key").arg(&key)).expect_code(0);
    let store = dir.path().join("store");
    Setup {
        dir,
        model: moved,
        key,
        public,
        store,
    }
}

impl Setup {
    /// `store add MODEL --store STORE --key PUB --tag TAG`, in JSON when
    /// `json`.
    fn add(&self, tag: &str, json: bool) -> crate::support::Run {
        let mut command = modelseal();
        command
            .args(["store", "add"])
            .arg(&self.model)
            .arg("--store")
            .arg(&self.store)
            .arg("--key")
            .arg(&self.public)
            .args(["--tag", tag]);
        if json {
            command.args(["--format", "json"]);
        }
        run(&mut command)
    }
}

fn ms(args: &[&dyn AsRef<std::ffi::OsStr>]) -> crate::support::Run {
    run(modelseal().args(args.iter().map(|a| a.as_ref())))
}

fn json(out: &crate::support::Run) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{}", out.stdout))
}

/// Every file of a directory tree with its SHA-256, by relative name.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("prefix")
                    .display()
                    .to_string();
                out.push((rel, sha256sum(&path)));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn add_list_verify_and_restore_round_trip_as_an_oci_layout() {
    let s = setup();
    let out = s.add("demo:1.0", true);
    out.expect_code(0);
    let added = json(&out);
    assert_eq!(added["stored"], true);
    assert_eq!(added["files"], 6, "5 files and the signature");
    // An OCI image layout: oci-layout, index.json naming the version, and
    // blobs named by their SHA-256 (checked here with coreutils).
    let layout: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.store.join("oci-layout")).expect("read"))
            .expect("json");
    assert_eq!(layout["imageLayoutVersion"], "1.0.0");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.store.join("index.json")).expect("read"))
            .expect("json");
    let entry = &index["manifests"][0];
    assert_eq!(
        entry["annotations"]["org.opencontainers.image.ref.name"],
        "demo:1.0"
    );
    assert_eq!(
        entry["artifactType"],
        "application/vnd.cncf.model.manifest.v1+json"
    );
    let digest = entry["digest"]
        .as_str()
        .expect("digest")
        .trim_start_matches("sha256:")
        .to_owned();
    let manifest_path = s.store.join("blobs/sha256").join(&digest);
    assert_eq!(sha256sum(&manifest_path), digest);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("read"))
            .expect("json");
    let layers = manifest["layers"].as_array().expect("layers");
    let weights = layers
        .iter()
        .find(|l| l["annotations"]["org.cncf.model.filepath"] == "model.safetensors")
        .expect("weights layer");
    assert_eq!(
        weights["mediaType"],
        "application/vnd.cncf.model.weight.v1.raw"
    );
    assert_eq!(
        weights["digest"].as_str().expect("digest"),
        format!("sha256:{}", sha256sum(&s.model.join("model.safetensors")))
    );
    assert!(
        layers
            .iter()
            .any(|l| l["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json")
    );

    let listed = json(&ms(&[
        &"store",
        &"list",
        &"--store",
        &s.store,
        &"--format",
        &"json",
    ]));
    assert_eq!(listed["versions"][0]["name"], "demo:1.0");
    let verified = ms(&[
        &"store",
        &"verify",
        &"--store",
        &s.store,
        &"--key",
        &s.public,
        &"--format",
        &"json",
    ]);
    verified.expect_code(0);
    assert_eq!(json(&verified)["versions"][0]["signature_verified"], true);

    // Restored, the files are the originals, and they verify.
    let dest = s.dir.path().join("restored");
    ms(&[
        &"restore",
        &"demo:1.0",
        &dest,
        &"--store",
        &s.store,
        &"--key",
        &s.public,
    ])
    .expect_code(0);
    assert_eq!(tree(&dest), tree(&s.model));
    run(modelseal()
        .arg("verify")
        .arg(&dest)
        .arg("--key")
        .arg(&s.public))
    .expect_code(0);
    // The same name again is "already stored"; other content under it is refused.
    let again = json(&s.add("demo:1.0", true));
    assert_eq!(again["unchanged"], true);
}

#[test]
fn only_a_model_that_verifies_is_stored() {
    let s = setup();
    let (_, stranger, _) = keygen(s.dir.path(), "stranger", "p256");
    let out = ms(&[
        &"store", &"add", &s.model, &"--store", &s.store, &"--key", &stranger,
    ]);
    out.expect_code(1);
    std::fs::write(s.model.join("config.json"), b"{}").expect("tamper");
    let out = ms(&[
        &"store", &"add", &s.model, &"--store", &s.store, &"--key", &s.public,
    ]);
    out.expect_code(1);
    assert!(out.stdout.contains("not stored"), "{}", out.stdout);
    assert!(
        !s.store.join("index.json").exists()
            || json(&ms(&[
                &"store",
                &"list",
                &"--store",
                &s.store,
                &"--format",
                &"json"
            ]))["versions"]
                .as_array()
                .is_some_and(Vec::is_empty),
        "nothing stored"
    );
    // No trust at all: a usage error.
    ms(&[&"store", &"add", &s.model, &"--store", &s.store])
        .expect_code(2)
        .expect_stderr(&["whom to trust"]);
}

#[test]
fn a_second_version_stores_only_what_changed() {
    let s = setup();
    s.add("demo:1", false).expect_code(0);
    std::fs::write(s.model.join("config.json"), b"{\"hidden_size\": 8}\n").expect("change");
    run(modelseal()
        .arg("sign")
        .arg(&s.model)
        .arg("--key")
        .arg(&s.key)
        .arg("--force"))
    .expect_code(0);
    let out = json(&s.add("demo:2", true));
    // The changed file and the new signature; the four unchanged files are shared.
    assert_eq!(out["new_blobs"], 2, "{out}");
    assert_eq!(
        json(&ms(&[
            &"store",
            &"list",
            &"--store",
            &s.store,
            &"--format",
            &"json"
        ]))["versions"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
fn a_tampered_store_is_found_and_restores_nothing() {
    let s = setup();
    s.add("demo:1", false).expect_code(0);
    let blob = s
        .store
        .join("blobs/sha256")
        .join(sha256sum(&s.model.join("config.json")));
    std::fs::write(&blob, b"{\"tampered\": true}").expect("tamper");
    let out = ms(&[
        &"store", &"verify", &"--store", &s.store, &"--key", &s.public,
    ]);
    out.expect_code(1);
    assert!(
        out.stdout.contains(&blob.display().to_string()),
        "{}",
        out.stdout
    );
    // An existing destination, --force: it stays exactly as it was.
    let dest = s.dir.path().join("prod");
    std::fs::create_dir(&dest).expect("mkdir");
    std::fs::write(dest.join("keep.txt"), b"current").expect("w");
    let out = ms(&[
        &"restore", &"demo:1", &dest, &"--store", &s.store, &"--key", &s.public, &"--force",
    ]);
    out.expect_code(1)
        .expect_stderr(&["untouched", "not the 139 bytes"]);
    assert_eq!(
        std::fs::read(dest.join("keep.txt")).expect("read"),
        b"current"
    );
    assert_eq!(std::fs::read_dir(&dest).expect("ls").count(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".modelseal-"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
}

#[test]
fn restore_never_overwrites_without_force_and_replaces_whole_with_it() {
    let s = setup();
    s.add("demo:1", false).expect_code(0);
    let dest = s.dir.path().join("prod");
    std::fs::create_dir(&dest).expect("mkdir");
    std::fs::write(dest.join("stale.bin"), b"old").expect("w");
    ms(&[
        &"restore", &"demo:1", &dest, &"--store", &s.store, &"--key", &s.public,
    ])
    .expect_code(2)
    .expect_stderr(&["already exists", "--force"]);
    assert!(dest.join("stale.bin").exists());
    ms(&[
        &"restore", &"demo:1", &dest, &"--store", &s.store, &"--key", &s.public, &"--force",
    ])
    .expect_code(0);
    assert!(
        !dest.join("stale.bin").exists(),
        "replaced whole, not merged"
    );
    assert_eq!(tree(&dest), tree(&s.model));
    // An unknown name says which names there are.
    ms(&[
        &"restore",
        &"demo:9",
        &s.dir.path().join("x"),
        &"--store",
        &s.store,
        &"--key",
        &s.public,
    ])
    .expect_code(2)
    .expect_stderr(&["no version `demo:9`", "demo:1"]);
}

#[test]
fn an_interrupted_restore_leaves_the_destination_untouched() {
    let s = setup();
    // A model large enough that the restore is still copying when killed.
    std::fs::write(s.model.join("big.bin"), vec![7u8; 256 << 20]).expect("big");
    run(modelseal()
        .arg("sign")
        .arg(&s.model)
        .arg("--key")
        .arg(&s.key)
        .arg("--force"))
    .expect_code(0);
    s.add("big:1", false).expect_code(0);
    let dest = s.dir.path().join("prod");
    std::fs::create_dir(&dest).expect("mkdir");
    std::fs::write(dest.join("current.txt"), b"the running model").expect("w");
    let before = tree(&dest);
    let mut child = modelseal()
        .arg("restore")
        .arg("big:1")
        .arg(&dest)
        .arg("--store")
        .arg(&s.store)
        .arg("--key")
        .arg(&s.public)
        .arg("--force")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Killed while it writes its staging copy beside DEST.
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(10) {
        let staging = std::fs::read_dir(s.dir.path())
            .expect("ls")
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".modelseal-restore-")
            });
        if staging {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().expect("kill");
    let status = child.wait().expect("wait");
    assert!(
        !status.success(),
        "the restore finished before it was killed: enlarge big.bin"
    );
    assert_eq!(
        tree(&dest),
        before,
        "DEST changed by an interrupted restore"
    );
}

#[test]
fn a_hostile_store_cannot_write_outside_the_destination() {
    let s = setup();
    s.add("demo:1", false).expect_code(0);
    // Rewrite the manifest: a layer path that climbs out, then re-point
    // the index at it (a store from someone else).
    let index_path = s.store.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index_path).expect("read")).expect("json");
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .trim_start_matches("sha256:")
        .to_owned();
    let manifest_path = s.store.join("blobs/sha256").join(&digest);
    let text = std::fs::read_to_string(&manifest_path).expect("read");
    let evil = text.replace("\"config.json\"", "\"../../escaped.json\"");
    assert_ne!(evil, text);
    let evil_path = s.dir.path().join("evil-manifest.json");
    std::fs::write(&evil_path, &evil).expect("w");
    let evil_digest = sha256sum(&evil_path);
    std::fs::copy(&evil_path, s.store.join("blobs/sha256").join(&evil_digest)).expect("blob");
    index["manifests"][0]["digest"] = format!("sha256:{evil_digest}").into();
    index["manifests"][0]["size"] = evil.len().into();
    std::fs::write(&index_path, index.to_string()).expect("index");
    let dest = s.dir.path().join("a/b/prod");
    std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
    let out = ms(&[
        &"restore", &"demo:1", &dest, &"--store", &s.store, &"--key", &s.public,
    ]);
    // Refused before anything is written: the stored files are not the
    // signed ones (the path names a file the signature does not cover).
    out.expect_code(1)
        .expect_stderr(&["does not verify", "../../escaped.json", "untouched"]);
    assert!(!s.dir.path().join("a/escaped.json").exists());
    assert!(!s.dir.path().join("escaped.json").exists());
    assert!(!dest.exists());
    // A digest that is a path is refused before it is opened.
    let mut index2 = index.clone();
    index2["manifests"][0]["digest"] = "sha256:../../../../etc/passwd".into();
    std::fs::write(&index_path, index2.to_string()).expect("index");
    ms(&[&"store", &"list", &"--store", &s.store])
        .expect_code(2)
        .expect_stderr(&["is not a sha256 digest"]);
}

/// `restore --repair PROD --from demo:1 --store STORE --key KEY EXTRA…`.
fn repair(s: &Setup, prod: &Path, key: &Path, extra: &[&str]) -> crate::support::Run {
    run(modelseal()
        .args(["restore", "--repair"])
        .arg(prod)
        .args(["--from", "demo:1", "--store"])
        .arg(&s.store)
        .arg("--key")
        .arg(key)
        .args(extra))
}

#[test]
fn repair_rewrites_only_what_differs_and_prunes_only_when_asked() {
    use std::os::unix::fs::MetadataExt as _;
    let s = setup();
    s.add("demo:1", false).expect_code(0);
    let prod = s.dir.path().join("prod");
    ms(&[
        &"restore", &"demo:1", &prod, &"--store", &s.store, &"--key", &s.public,
    ])
    .expect_code(0);
    std::fs::write(prod.join("config.json"), b"{\"tampered\": 1}").expect("tamper");
    std::fs::remove_file(prod.join("tokenizer.json")).expect("rm");
    std::fs::write(prod.join("extra.bin"), b"dropped in").expect("extra");
    let untouched = |p: &Path| {
        let m = std::fs::metadata(p).expect("stat");
        (m.ino(), m.mtime(), m.mtime_nsec())
    };
    let weights_before = untouched(&prod.join("model.safetensors"));

    // A trust that refuses the stored signature repairs nothing.
    let (_, stranger, _) = keygen(s.dir.path(), "stranger", "p256");
    repair(&s, &prod, &stranger, &[]).expect_code(1);
    assert!(!prod.join("tokenizer.json").exists());

    let out = repair(&s, &prod, &s.public, &["--format", "json"]);
    out.expect_code(1);
    let report = json(&out);
    assert_eq!(
        report["replaced"],
        serde_json::json!(["config.json", "tokenizer.json"])
    );
    assert_eq!(report["unsigned"], serde_json::json!(["extra.bin"]));
    assert_eq!(
        report["repaired"], false,
        "an unsigned file still fails verify"
    );
    assert_eq!(
        untouched(&prod.join("model.safetensors")),
        weights_before,
        "a matching file was rewritten"
    );

    let out = repair(&s, &prod, &s.public, &["--prune", "--format", "json"]);
    out.expect_code(0);
    let report = json(&out);
    assert_eq!(report["removed"], serde_json::json!(["extra.bin"]));
    assert_eq!(report["replaced"], serde_json::json!([]));
    assert_eq!(tree(&prod), tree(&s.model));
    assert_eq!(untouched(&prod.join("model.safetensors")), weights_before);
}

#[test]
fn a_model_signed_with_blake3_shards_is_stored_and_restored() {
    let s = setup();
    run(modelseal()
        .arg("sign")
        .arg(&s.model)
        .arg("--key")
        .arg(&s.key)
        .args([
            "--force",
            "--hash",
            "blake3",
            "--method",
            "shards",
            "--shard-size",
            "256",
        ]))
    .expect_code(0);
    // The stored copy is re-hashed with the signature's own serialization.
    s.add("shards:1", false).expect_code(0);
    let dest = s.dir.path().join("restored");
    ms(&[
        &"restore",
        &"shards:1",
        &dest,
        &"--store",
        &s.store,
        &"--key",
        &s.public,
    ])
    .expect_code(0);
    assert_eq!(tree(&dest), tree(&s.model));
}

#[test]
fn blobs_are_checked_as_they_are_copied_out() {
    let s = setup();
    s.add("demo:1", false).expect_code(0);
    let prod = s.dir.path().join("prod");
    ms(&[
        &"restore", &"demo:1", &prod, &"--store", &s.store, &"--key", &s.public,
    ])
    .expect_code(0);
    std::fs::remove_file(prod.join("config.json")).expect("rm");
    // A stored blob swapped for a link to a secret, then for other bytes:
    // neither reaches the model, and restore writes no DEST.
    let secret = s.dir.path().join("secret.txt");
    std::fs::write(&secret, b"aws_secret_access_key=...").expect("w");
    let blob = s
        .store
        .join("blobs/sha256")
        .join(sha256sum(&s.model.join("config.json")));
    let original = std::fs::read(&blob).expect("read");
    std::fs::remove_file(&blob).expect("rm");
    std::os::unix::fs::symlink(&secret, &blob).expect("symlink");
    let out = repair(&s, &prod, &s.public, &[]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        !prod.join("config.json").exists(),
        "a linked blob was copied"
    );
    let dest = s.dir.path().join("fresh");
    assert_ne!(
        ms(&[
            &"restore", &"demo:1", &dest, &"--store", &s.store, &"--key", &s.public
        ])
        .code,
        0
    );
    assert!(!dest.exists());
    std::fs::remove_file(&blob).expect("rm");
    let mut changed = original.clone();
    changed[0] ^= 1;
    std::fs::write(&blob, &changed).expect("w");
    let out = repair(&s, &prod, &s.public, &[]);
    assert_ne!(out.code, 0);
    assert!(
        !prod.join("config.json").exists(),
        "a tampered blob was copied"
    );
    std::fs::write(&blob, &original).expect("w");
    repair(&s, &prod, &s.public, &[]).expect_code(0);
    assert_eq!(tree(&prod), tree(&s.model));
}

#[test]
fn repair_does_not_write_through_a_linked_folder() {
    let s = setup();
    std::fs::create_dir(s.model.join("sub")).expect("mkdir");
    std::fs::write(s.model.join("sub/w.bin"), b"weights").expect("w");
    run(modelseal()
        .arg("sign")
        .arg(&s.model)
        .arg("--key")
        .arg(&s.key)
        .arg("--force"))
    .expect_code(0);
    s.add("demo:1", false).expect_code(0);
    let prod = s.dir.path().join("prod");
    ms(&[
        &"restore", &"demo:1", &prod, &"--store", &s.store, &"--key", &s.public,
    ])
    .expect_code(0);
    // `sub` becomes a link to a folder outside the model.
    let elsewhere = s.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::remove_dir_all(prod.join("sub")).expect("rm");
    std::os::unix::fs::symlink(&elsewhere, prod.join("sub")).expect("symlink");
    let out = repair(&s, &prod, &s.public, &["--prune"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    out.expect_stderr(&["symbolic link"]);
    assert_eq!(
        std::fs::read_dir(&elsewhere).expect("ls").count(),
        0,
        "written through the link"
    );
}
