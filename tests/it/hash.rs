//! `modelseal hash`: output contract, exit codes, and agreement with
//! `sha256sum`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use serde::Deserialize;

use crate::support::{copy_fixture, fixtures, modelseal, run};

/// The documented JSON shape (README, "JSON output"), parsed strictly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HashJson {
    kind: String,
    version: u32,
    model: String,
    model_kind: String,
    serialization: SerializationJson,
    resources: Vec<ResourceJson>,
    root_digest: DigestJson,
    #[serde(rename = "file_count")]
    files: usize,
    bytes: u64,
    elapsed_ms: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerializationJson {
    method: String,
    hash_type: String,
    shard_size: Option<u64>,
    allow_symlinks: bool,
    ignore_paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceJson {
    name: String,
    algorithm: String,
    digest: String,
    size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DigestJson {
    algorithm: String,
    digest: String,
}

fn hash_json(args: &[&str]) -> HashJson {
    let out = run(modelseal()
        .arg("hash")
        .args(args)
        .args(["--format", "json"]));
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    serde_json::from_str(&out.stdout).expect("documented JSON")
}

#[test]
fn text_output_matches_sha256sum() {
    let model = fixtures().join("example-model");
    let ours = run(modelseal().arg("hash").arg(&model));
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    assert!(
        ours.stderr.is_empty(),
        "no progress or noise when stderr is not a terminal"
    );

    let mut names: Vec<String> = std::fs::read_dir(&model)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    names.sort();
    let theirs = run(std::process::Command::new("sha256sum")
        .args(&names)
        .current_dir(&model));
    assert_eq!(theirs.code, 0);
    let mut lines: Vec<&str> = ours.stdout.lines().collect();
    let root = lines.pop().expect("root line");
    assert_eq!(lines.join("\n") + "\n", theirs.stdout);
    assert!(root.starts_with("root sha256:"), "{root}");
}

#[test]
fn json_output_is_the_documented_contract() {
    let model = fixtures().join("example-model");
    let json = hash_json(&[model.to_str().expect("utf-8")]);
    assert_eq!((json.kind.as_str(), json.version), ("hash", 2));
    assert_eq!(json.model_kind, "directory");
    assert!(json.model.ends_with("example-model"));
    assert_eq!(json.serialization.method, "files");
    assert_eq!(json.serialization.hash_type, "sha256");
    assert_eq!(json.serialization.shard_size, None);
    assert!(!json.serialization.allow_symlinks);
    assert_eq!(
        json.serialization.ignore_paths,
        [
            ".cache/huggingface",
            ".git",
            ".gitattributes",
            ".github",
            ".gitignore",
            // As `sign` records them: hash gives the root sign signs.
            "model.att.jsonl",
            "model.sig"
        ]
    );
    assert_eq!(json.files, json.resources.len());
    assert_eq!(
        json.bytes,
        json.resources.iter().map(|r| r.size).sum::<u64>()
    );
    assert!(json.elapsed_ms >= 0.0);
    assert_eq!(json.root_digest.algorithm, "sha256");
    assert_eq!(json.root_digest.digest.len(), 64);
    let names: Vec<&str> = json.resources.iter().map(|r| r.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(
        json.resources
            .iter()
            .all(|r| r.algorithm == "sha256" && r.digest.len() == 64)
    );
}

#[test]
fn algorithms_methods_and_threads() {
    let model = fixtures().join("example-model");
    let model = model.to_str().expect("utf-8");
    let blake2b = hash_json(&[model, "--hash", "blake2b"]);
    assert!(
        blake2b
            .resources
            .iter()
            .all(|r| r.algorithm == "blake2b" && r.digest.len() == 128)
    );
    assert_eq!(
        blake2b.root_digest.digest.len(),
        64,
        "the root is SHA-256 whatever the file hash"
    );

    let shards = hash_json(&[model, "--hash", "blake3", "--shard-size", "100"]);
    assert_eq!(shards.serialization.method, "shards");
    assert_eq!(shards.serialization.shard_size, Some(100));
    assert!(
        shards
            .resources
            .iter()
            .all(|r| r.size <= 100 && r.name.matches(':').count() >= 2)
    );

    let default_size = hash_json(&[model, "--method", "shards"]);
    assert_eq!(default_size.serialization.shard_size, Some(1_000_000_000));

    let one = hash_json(&[model, "--threads", "1"]);
    let four = hash_json(&[model, "--threads", "4"]);
    assert_eq!(one.root_digest.digest, four.root_digest.digest);
    let out = run(modelseal()
        .args(["hash", model, "--format", "json"])
        .env("RAYON_NUM_THREADS", "1"));
    let env_one: HashJson = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(env_one.root_digest.digest, one.root_digest.digest);
}

#[test]
fn ignore_paths_are_recorded_and_a_single_file_is_named_by_basename() {
    let (_dir, model) = copy_fixture("example-model");
    let json = hash_json(&[model.to_str().expect("utf-8"), "--ignore", "README.md"]);
    assert!(json.resources.iter().all(|r| r.name != "README.md"));
    assert!(
        json.serialization
            .ignore_paths
            .contains(&"README.md".to_owned())
    );

    let file = model.join("model.safetensors");
    let json = hash_json(&[file.to_str().expect("utf-8")]);
    assert_eq!(json.model_kind, "file");
    assert_eq!(json.resources.len(), 1);
    assert_eq!(json.resources[0].name, "model.safetensors");
}

#[test]
fn errors_exit_2_and_name_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let linked = dir.path().join("linked");
    std::fs::create_dir(&linked).expect("mkdir");
    std::fs::write(linked.join("a.bin"), b"a").expect("write");
    std::os::unix::fs::symlink("a.bin", linked.join("b.bin")).expect("symlink");
    let missing = dir.path().join("missing");

    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![missing.display().to_string()],
            format!("`{}`", missing.display()),
        ),
        (
            vec![empty.display().to_string()],
            "has no files to hash".to_owned(),
        ),
        (
            vec![linked.display().to_string()],
            format!("`{}`", linked.join("b.bin").display()),
        ),
        (
            vec![
                linked.display().to_string(),
                "--ignore".into(),
                "*.bin".into(),
            ],
            "invalid ignore path `*.bin`".to_owned(),
        ),
        (
            vec![linked.display().to_string(), "--hash".into(), "md5".into()],
            "md5".to_owned(),
        ),
        (
            vec![
                linked.display().to_string(),
                "--shard-size".into(),
                "0".into(),
            ],
            "0".to_owned(),
        ),
        (
            vec![
                linked.display().to_string(),
                "--method".into(),
                "files".into(),
                "--shard-size".into(),
                "9".into(),
            ],
            "--method shards".to_owned(),
        ),
    ];
    for (args, expected) in cases {
        let out = run(modelseal().arg("hash").args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(
            out.stderr.contains(&expected),
            "{args:?}: {:?} should contain {expected:?}",
            out.stderr
        );
    }

    // Allowed, the same symlink is hashed under its own name.
    let json = hash_json(&[linked.to_str().expect("utf-8"), "--allow-symlinks"]);
    assert_eq!(json.resources.len(), 2);
    assert_eq!(json.resources[0].digest, json.resources[1].digest);
}

/// `modelseal hash … | head -1`: a closed pipe ends the run quietly.
#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..3000 {
        std::fs::write(dir.path().join(format!("file-{i:05}.txt")), i.to_string()).expect("write");
    }
    let mut child = modelseal()
        .arg("hash")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    // Dropping the reader closes the pipe with most of the output unread.
    let output = child.wait_with_output().expect("wait");
    assert!(first.ends_with("  file-00000.txt\n"), "{first}");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
