//! `modelseal inventory`: models found in trees as real tools lay them out
//! (a hub cache with relative links into its blobs, an Ollama store of
//! manifests and `sha256-` blobs, nested project directories, real ONNX,
//! TFLite, SavedModel and Core ML files), their signature states,
//! `--require`, and the CycloneDX BOM checked against the official 1.6
//! schema by the CycloneDX Python library.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::layouts::{REVISION, hub_cache};
use crate::support::{
    copy_fixture, fixtures, keygen, modelseal, reference_tool, run, sha256sum, tiny_model,
};

#[derive(Debug, Deserialize)]
struct InventoryJson {
    kind: String,
    models: Vec<ModelJson>,
    skipped: Vec<SkippedJson>,
    summary: serde_json::Value,
    require: Option<RequireJson>,
}

#[derive(Debug, Deserialize)]
struct ModelJson {
    name: String,
    path: String,
    layout: String,
    #[serde(default)]
    refs: Vec<String>,
    formats: Vec<String>,
    file_count: usize,
    root_digest: crate::support::DigestJson,
    files: Vec<FileJson>,
    signature: SignatureJson,
    intact: Option<bool>,
    findings: Vec<serde_json::Value>,
    format_findings: Vec<serde_json::Value>,
    attestations: Vec<serde_json::Value>,
    card: Option<serde_json::Value>,
    problems: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct FileJson {
    name: String,
    format: String,
    sha256: String,
}

#[derive(Debug, Deserialize)]
struct SignatureJson {
    status: String,
    signer: Option<serde_json::Value>,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SkippedJson {
    path: String,
    reason: String,
    unchecked: bool,
}

#[derive(Debug, Deserialize)]
struct RequireJson {
    passed: bool,
    falling_short: Vec<String>,
}

impl InventoryJson {
    #[track_caller]
    fn model(&self, name: &str) -> &ModelJson {
        self.models
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no model `{name}` in {:#?}", self.names()))
    }

    fn names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.name.as_str()).collect()
    }
}

/// The (`a`, `b`) string fields of each JSON object.
fn pairs<'a>(items: &'a [serde_json::Value], a: &str, b: &str) -> Vec<(&'a str, &'a str)> {
    items
        .iter()
        .map(|item| {
            (
                item[a].as_str().unwrap_or(""),
                item[b].as_str().unwrap_or(""),
            )
        })
        .collect()
}

/// `modelseal inventory ARGS --format json`: the run and its report.
fn inventory(
    args: &[&dyn AsRef<std::ffi::OsStr>],
    code: i32,
) -> (crate::support::Run, InventoryJson) {
    let out = run(modelseal()
        .arg("inventory")
        .args(args.iter().map(|a| a.as_ref()))
        .args(["--format", "json"]));
    out.expect_code(code);
    let report: InventoryJson = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("inventory JSON: {e}\n{}", out.stdout));
    assert_eq!(report.kind, "inventory");
    (out, report)
}

/// `modelseal hash MODEL`'s root digest: the inventory's must be the same.
fn hash_root(model: &Path, extra: &[&str]) -> String {
    let out = run(modelseal()
        .arg("hash")
        .arg(model)
        .args(extra)
        .args(["--format", "json"]));
    out.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("hash JSON");
    v["root_digest"]["digest"]
        .as_str()
        .expect("root digest")
        .to_owned()
}

fn formats_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/modelseal-formats/tests/data")
        .join(name)
}

/// An Ollama store as Ollama writes it: `manifests/HOST/NS/MODEL/TAG` (an
/// OCI image manifest) and `blobs/sha256-HEX`, the model layer a GGUF.
fn ollama_store(store: &Path, host: &str, namespace: &str, model: &str, tag: &str) -> PathBuf {
    std::fs::create_dir_all(store.join("blobs")).expect("mkdir");
    let blob = |bytes: &[u8]| {
        let tmp = store.join("blob.tmp");
        std::fs::write(&tmp, bytes).expect("write");
        let digest = sha256sum(&tmp);
        std::fs::rename(&tmp, store.join("blobs").join(format!("sha256-{digest}"))).expect("mv");
        (digest, bytes.len())
    };
    let gguf = blob(&std::fs::read(formats_data("good.gguf")).expect("gguf"));
    let template = blob(b"{{ .System }} {{ .Prompt }}");
    let params = blob(b"{\"stop\": [\"<|eot_id|>\"]}");
    let config = blob(b"{\"model_format\":\"gguf\",\"model_family\":\"llama\"}");
    let layer = |media: &str, (digest, size): &(String, usize)| {
        format!(
            "{{\"mediaType\":\"application/vnd.ollama.image.{media}\",\"digest\":\"sha256:{digest}\",\"size\":{size}}}"
        )
    };
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\
         \"config\":{{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"sha256:{}\",\"size\":{}}},\
         \"layers\":[{},{},{}]}}",
        config.0,
        config.1,
        layer("model", &gguf),
        layer("template", &template),
        layer("params", &params)
    );
    let path = store
        .join("manifests")
        .join(host)
        .join(namespace)
        .join(model)
        .join(tag);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, manifest).expect("manifest");
    path
}

/// A tree of every kind the inventory knows, with non-model files and
/// things it must not follow or list.
struct Tree {
    dir: tempfile::TempDir,
    root: PathBuf,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("machine");
    // A hub cache (relative links into blobs) with a model card.
    let (_fixture, model) = copy_fixture("example-model");
    std::fs::write(
        model.join("README.md"),
        "---\nlicense: apache-2.0\nbase_model: acme/base-7b\ndatasets:\n  - acme/corpus\n---\n# tiny\n",
    )
    .expect("card");
    hub_cache(&model, &root.join("hf"));
    // A hub dataset repository: not a model.
    std::fs::create_dir_all(root.join("hf/hub/datasets--acme--corpus/snapshots/abc"))
        .expect("mkdir");
    std::fs::write(
        root.join("hf/hub/datasets--acme--corpus/snapshots/abc/data.npy"),
        std::fs::read(formats_data("good.npy")).expect("npy"),
    )
    .expect("write");
    // An Ollama store, default registry and another host.
    ollama_store(
        &root.join("ollama/models"),
        "registry.ollama.ai",
        "library",
        "tiny",
        "latest",
    );
    ollama_store(
        &root.join("ollama/models"),
        "hf.co",
        "acme",
        "tiny-gguf",
        "Q4_K_M",
    );
    // A project: a model directory nested two deep, real third-party
    // models, a diffusers-like pipeline, a pickle under a text name, code.
    let project = root.join("work/project");
    tiny_model(&project.join("models"), "bert");
    let real = fixtures().join("real/basic-pitch");
    let assets = project.join("assets");
    std::fs::create_dir_all(&assets).expect("mkdir");
    for name in ["nmp.onnx", "nmp.tflite"] {
        std::fs::copy(real.join(name), assets.join(name)).expect("copy");
    }
    copy_tree(&real.join("nmp"), &assets.join("nmp"));
    copy_tree(&real.join("nmp.mlpackage"), &assets.join("nmp.mlpackage"));
    let pipeline = project.join("pipeline");
    std::fs::create_dir_all(pipeline.join("unet")).expect("mkdir");
    std::fs::write(
        pipeline.join("model_index.json"),
        b"{\"_class_name\": \"Pipe\"}",
    )
    .expect("w");
    std::fs::write(pipeline.join("unet/config.json"), b"{}").expect("w");
    std::fs::write(
        pipeline.join("unet/diffusion_pytorch_model.safetensors"),
        crate::support::tiny_weights(3),
    )
    .expect("w");
    std::fs::copy(
        formats_data("evil_global_os_system.pkl"),
        project.join("notes.txt"),
    )
    .expect("copy");
    std::fs::create_dir_all(project.join("src")).expect("mkdir");
    for i in 0..50 {
        std::fs::write(project.join(format!("src/m{i}.py")), format!("x = {i}\n")).expect("w");
    }
    // Weights in git's object store: never listed.
    std::fs::create_dir_all(project.join(".git/objects")).expect("mkdir");
    std::fs::write(
        project.join(".git/objects/w.safetensors"),
        crate::support::tiny_weights(1),
    )
    .expect("w");
    // Links: one out of the tree (not followed), one inside (followed),
    // a directory link back up (not followed: no cycle).
    let outside = dir.path().join("outside.safetensors");
    std::fs::write(&outside, crate::support::tiny_weights(2)).expect("w");
    symlink(&outside, project.join("escape.safetensors")).expect("symlink");
    symlink("assets/nmp.onnx", project.join("alias.onnx")).expect("symlink");
    symlink("..", project.join("src/up")).expect("symlink");
    Tree { dir, root }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[test]
fn finds_every_kind_of_model_by_content_and_layout() {
    let tree = tree();
    let (_, report) = inventory(&[&tree.root], 0);
    let mut names = report.names();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "acme/tiny@3f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
            "alias.onnx",
            "bert",
            "hf.co/acme/tiny-gguf:Q4_K_M",
            "nmp",
            "nmp.mlpackage",
            "nmp.onnx",
            "nmp.tflite",
            "notes.txt",
            "pipeline",
            "tiny:latest",
        ],
        "{report:#?}"
    );

    let hub = report.model(&format!("acme/tiny@{REVISION}"));
    assert_eq!(hub.layout, "hub-cache");
    assert_eq!(hub.refs, ["main"]);
    assert_eq!(hub.formats, ["safetensors"]);
    // The snapshot's links were followed into its blobs: the same root
    // digest as `modelseal hash` gives the snapshot.
    assert_eq!(hub.root_digest.digest, hash_root(Path::new(&hub.path), &[]));
    assert_eq!(hub.signature.status, "unsigned");
    assert_eq!(hub.intact, None);
    let card = hub.card.as_ref().expect("card from README front matter");
    assert_eq!(card["license"], "apache-2.0");
    assert_eq!(card["base_model"][0], "acme/base-7b");
    assert_eq!(card["datasets"][0], "acme/corpus");

    let ollama = report.model("tiny:latest");
    assert_eq!(ollama.layout, "ollama");
    assert_eq!(ollama.formats, ["gguf"]);
    // Ollama's model id: the SHA-256 of the manifest file.
    assert_eq!(
        ollama.root_digest.digest,
        sha256sum(Path::new(&ollama.path))
    );
    let files: Vec<&str> = ollama.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(files, ["config", "model", "template", "params"]);
    assert_eq!(ollama.files[1].format, "gguf");
    assert_eq!(ollama.intact, Some(true));
    assert_eq!(report.model("hf.co/acme/tiny-gguf:Q4_K_M").layout, "ollama");

    let bert = report.model("bert");
    assert_eq!(bert.layout, "directory");
    assert_eq!(bert.file_count, 3);
    assert_eq!(
        bert.root_digest.digest,
        hash_root(Path::new(&bert.path), &[])
    );
    for file in &bert.files {
        assert_eq!(
            file.sha256,
            sha256sum(&Path::new(&bert.path).join(&file.name)),
            "{}",
            file.name
        );
    }
    // Real third-party models, each identified by content.
    for (name, layout, format) in [
        ("nmp.onnx", "file", "onnx"),
        ("nmp.tflite", "file", "tflite"),
        ("nmp", "directory", "saved_model"),
        ("nmp.mlpackage", "directory", "coreml"),
        ("alias.onnx", "file", "onnx"),
    ] {
        let model = report.model(name);
        assert_eq!(
            (model.layout.as_str(), model.formats.as_slice()),
            (layout, &[format.to_owned()][..]),
            "{name}"
        );
    }
    // One pipeline, not a model per component.
    let pipeline = report.model("pipeline");
    assert_eq!(pipeline.layout, "directory");
    assert_eq!(pipeline.file_count, 3);
    // A pickle under a text name, flagged with the global it imports.
    let notes = report.model("notes.txt");
    assert_eq!(notes.formats, ["pickle"]);
    assert_eq!(notes.format_findings.len(), 1);
    assert_eq!(
        notes.format_findings[0]["dangerous_globals"][0],
        "os.system"
    );
    assert_eq!(report.summary["unsafe_formats"], 1);

    // Not followed, not listed, and said so.
    let skipped = |needle: &str| {
        report
            .skipped
            .iter()
            .find(|s| s.path.ends_with(needle))
            .unwrap_or_else(|| panic!("`{needle}` not skipped: {:#?}", report.skipped))
    };
    assert!(
        skipped("escape.safetensors")
            .reason
            .contains("out of the scanned tree")
    );
    assert!(skipped("src/up").reason.contains("directory"));
    assert!(
        skipped("datasets--acme--corpus")
            .reason
            .contains("not a model")
    );
    assert!(
        report.models.iter().all(|m| !m.path.contains(".git")),
        "{:?}",
        report.names()
    );
    assert!(
        report.models.iter().all(|m| m.problems.is_empty()),
        "{report:#?}"
    );
    drop(tree.dir);
}

#[test]
fn signature_states_with_and_without_a_trust() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("models");
    let (key, public, key_id) = keygen(dir.path(), "release", "ed25519");
    let (_, stranger, _) = keygen(dir.path(), "stranger", "p256");
    for name in ["good", "changed", "unsigned", "broken"] {
        tiny_model(&root, name);
    }
    for name in ["good", "changed", "broken"] {
        run(modelseal()
            .arg("sign")
            .arg(root.join(name))
            .arg("--key")
            .arg(&key))
        .expect_code(0);
    }
    std::fs::write(root.join("changed/config.json"), b"{\"changed\": 1}\n").expect("tamper");
    std::fs::write(root.join("broken/model.sig"), b"{\"not\": \"a bundle\"}").expect("break");

    let status = |report: &InventoryJson, name: &str| report.model(name).signature.status.clone();
    let (_, report) = inventory(&[&root], 0);
    assert_eq!(status(&report, "good"), "signed");
    assert_eq!(report.model("good").intact, Some(true));
    assert!(
        report.model("good").signature.signer.is_none(),
        "no trust: no signer claimed"
    );
    assert_eq!(status(&report, "changed"), "modified");
    assert_eq!(report.model("changed").intact, Some(false));
    assert_eq!(report.model("changed").findings[0]["name"], "config.json");
    assert_eq!(status(&report, "unsigned"), "unsigned");
    assert_eq!(status(&report, "broken"), "malformed");

    let (_, report) = inventory(&[&root, &"--key", &public], 0);
    assert_eq!(
        status(&report, "broken"),
        "malformed",
        "the same bundle error with a trust"
    );
    assert_eq!(status(&report, "good"), "verified");
    assert_eq!(
        report
            .model("good")
            .signature
            .signer
            .as_ref()
            .expect("signer")["key_id"],
        key_id.as_str()
    );
    assert_eq!(status(&report, "changed"), "failed");
    assert_eq!(status(&report, "unsigned"), "unsigned");

    let (_, report) = inventory(&[&root, &"--key", &stranger], 0);
    assert_eq!(status(&report, "good"), "refused");
    assert!(report.model("good").signature.reason.is_some());
}

#[test]
fn require_lists_the_models_that_fall_short() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("models");
    let (key, public, _) = keygen(dir.path(), "release", "ed25519");
    for name in ["a", "b"] {
        tiny_model(&root, name);
        run(modelseal()
            .arg("sign")
            .arg(root.join(name))
            .arg("--key")
            .arg(&key))
        .expect_code(0);
    }
    let (_, report) = inventory(&[&root, &"--require", &"signed"], 0);
    assert!(report.require.as_ref().expect("require").passed);
    inventory(&[&root, &"--require", &"verified", &"--key", &public], 0);

    tiny_model(&root, "c");
    std::fs::write(root.join("a/tokenizer.json"), b"{}").expect("tamper");
    let (out, report) = inventory(&[&root, &"--require", &"signed"], 1);
    let require = report.require.expect("require");
    assert!(!require.passed);
    let mut short: Vec<&str> = require
        .falling_short
        .iter()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .collect();
    short.sort_unstable();
    assert_eq!(short, ["a", "c"]);
    out.expect_stderr(&["2 models of 3 not signed", "a (modified)", "c (unsigned)"]);
    // Text output: the same verdict and exit code.
    let text = run(modelseal()
        .arg("inventory")
        .arg(&root)
        .args(["--require", "signed"]));
    text.expect_code(1).expect_stderr(&["not signed"]);
    assert!(text.stdout.contains("summary: 3 models"), "{}", text.stdout);
    // `verified` needs a trust: a usage error, not a verdict.
    run(modelseal()
        .arg("inventory")
        .arg(&root)
        .args(["--require", "verified"]))
    .expect_code(2)
    .expect_stderr(&["whom to trust"]);
}

#[test]
fn an_ollama_blob_that_no_longer_matches_its_name_is_modified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("models");
    let manifest = ollama_store(&store, "registry.ollama.ai", "library", "tiny", "latest");
    let (_, report) = inventory(&[&store], 0);
    let model = report.model("tiny:latest");
    assert_eq!(model.intact, Some(true));
    let blob = |name: &str| {
        let sha = &model
            .files
            .iter()
            .find(|f| f.name == name)
            .expect("layer")
            .sha256;
        store.join("blobs").join(format!("sha256-{sha}"))
    };
    let mut template = std::fs::read(blob("template")).expect("read");
    template.extend_from_slice(b"{{ exfiltrate }}");
    std::fs::write(blob("template"), template).expect("tamper");
    std::fs::remove_file(blob("params")).expect("rm");
    let (_, report) = inventory(&[&store, &"--no-cache"], 0);
    let model = report.model("tiny:latest");
    assert_eq!(model.intact, Some(false));
    assert_eq!(
        pairs(&model.findings, "kind", "name"),
        [("missing", "params"), ("modified", "template")]
    );
    assert_eq!(report.summary["modified"], 1);
    assert!(manifest.is_file());
}

#[test]
fn hostile_trees_give_problems_not_panics_or_hangs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("t");
    // A FIFO named like weights: never opened for a blocking read.
    let model = tiny_model(&root, "m");
    let fifo = model.join("weights/pipe.safetensors");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // A card that would expand to billions of nodes.
    let mut card = String::from("---\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..14 {
        let p = i - 1;
        card.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    card.push_str("license: *a13\n---\n");
    std::fs::write(model.join("README.md"), card).expect("card");
    // An Ollama manifest that names a blob outside the store, and one that
    // is not JSON.
    let store = root.join("ollama");
    ollama_store(&store, "registry.ollama.ai", "library", "ok", "latest");
    let evil = store.join("manifests/registry.ollama.ai/library/evil/latest");
    std::fs::create_dir_all(evil.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &evil,
        r#"{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:../../../../etc/passwd"}]}"#,
    )
    .expect("w");
    let junk = store.join("manifests/registry.ollama.ai/library/junk/latest");
    std::fs::create_dir_all(junk.parent().expect("parent")).expect("mkdir");
    std::fs::write(&junk, [0xffu8; 64]).expect("w");
    // A hub snapshot link that leaves its repository.
    let (_f, example) = copy_fixture("example-model");
    let (repo, snapshot) = hub_cache(&example, &root.join("hf"));
    let secret = dir.path().join("secret.safetensors");
    std::fs::write(&secret, crate::support::tiny_weights(9)).expect("w");
    std::fs::remove_file(snapshot.join("model.safetensors")).expect("rm");
    symlink(&secret, snapshot.join("model.safetensors")).expect("symlink");
    assert!(repo.is_dir());

    let out = crate::support::run_with_timeout(
        modelseal()
            .arg("inventory")
            .arg(&root)
            .args(["--format", "json"]),
        std::time::Duration::from_secs(60),
    );
    out.expect_code(0);
    let report: InventoryJson = serde_json::from_str(&out.stdout).expect("JSON");
    let m = report.model("m");
    assert!(
        m.problems
            .iter()
            .any(|p| p.contains("aliases are not accepted")),
        "{:?}",
        m.problems
    );
    assert!(
        m.problems.iter().any(|p| p.contains("pipe.safetensors")),
        "{:?}",
        m.problems
    );
    assert!(
        report.model("evil:latest").problems[0].contains("not `sha256:HEX`"),
        "{:?}",
        report.model("evil:latest").problems
    );
    assert!(report.model("junk:latest").problems[0].contains("not an Ollama manifest"));
    assert!(report.model("ok:latest").problems.is_empty());
    let hub = report.model(&format!("acme/tiny@{REVISION}"));
    assert!(
        hub.problems.iter().any(|p| p.contains("model.safetensors")),
        "the escaping link is a problem: {:?}",
        hub.problems
    );
    assert!(
        hub.files.iter().all(|f| f.name != "model.safetensors"),
        "the secret was not hashed as the model's"
    );
}

/// What the CycloneDX Python library's strict JSON validator (the official
/// 1.6 schema, SPDX and JSF schemas bundled with it) says of each BOM: one
/// line per BOM it refuses.
fn cyclonedx_errors(boms: &[PathBuf]) -> Vec<String> {
    let python = reference_tool().parent().expect("venv bin").join("python");
    let out = run(std::process::Command::new(python)
        .arg("-c")
        .arg(
            "import sys\n\
             from cyclonedx.schema import SchemaVersion\n\
             from cyclonedx.validation.json import JsonStrictValidator\n\
             v = JsonStrictValidator(SchemaVersion.V1_6)\n\
             for path in sys.argv[1:]:\n\
             \x20   error = v.validate_str(open(path).read())\n\
             \x20   if error is not None: print('%s: %s' % (path, repr(error)[:300]))",
        )
        .args(boms));
    assert_eq!(out.code, 0, "the validator ran: {}", out.stderr);
    out.stdout.lines().map(str::to_owned).collect()
}

/// Every bom-ref once, and every dependency naming bom-refs that exist.
fn assert_refs_resolve(bom: &serde_json::Value) {
    fn collect<'a>(components: &'a serde_json::Value, refs: &mut Vec<&'a str>) {
        for c in components.as_array().into_iter().flatten() {
            if let Some(r) = c["bom-ref"].as_str() {
                refs.push(r);
            }
            collect(&c["components"], refs);
        }
    }
    let mut refs = Vec::new();
    collect(&bom["components"], &mut refs);
    let unique: std::collections::BTreeSet<&str> = refs.iter().copied().collect();
    assert_eq!(unique.len(), refs.len(), "duplicate bom-refs");
    for dependency in bom["dependencies"].as_array().expect("dependencies") {
        let named = std::iter::once(&dependency["ref"])
            .chain(dependency["dependsOn"].as_array().into_iter().flatten());
        for r in named {
            assert!(unique.contains(r.as_str().unwrap_or("")), "dangling {r}");
        }
    }
}

#[test]
fn cyclonedx_boms_validate_against_the_official_schema_and_carry_lineage() {
    let tree = tree();
    let dir = tree.dir.path();
    let (key, public, key_id) = keygen(dir, "release", "ed25519");
    // A base model and its fine-tune, both signed; the fine-tune's lineage
    // names the base by its signed root digest, and its dataset's
    // provenance gives a source URL.
    let project = tree.root.join("work/project/models");
    let base = tiny_model(&project, "base");
    let tuned = tiny_model(&project, "tuned");
    std::fs::write(
        tuned.join("weights/model.safetensors"),
        crate::support::tiny_weights(5),
    )
    .expect("w");
    for model in [&base, &tuned] {
        run(modelseal().arg("sign").arg(model).arg("--key").arg(&key)).expect_code(0);
    }
    // The signed root digest, as `status` reads it from the signature.
    let status = run(modelseal()
        .arg("status")
        .arg(&base)
        .args(["--format", "json"]));
    status.expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).expect("status JSON");
    let base_root = status["root_digest"]["digest"]
        .as_str()
        .expect("root")
        .to_owned();
    let data = dir.join("corpus.jsonl");
    std::fs::write(&data, b"{\"text\": \"hello\"}\n").expect("data");
    run(modelseal()
        .args(["attest", "dataset"])
        .arg(&tuned)
        .arg("--key")
        .arg(&key)
        .args([
            "--name",
            "corpus",
            "--source",
            "https://data.example.org/corpus.jsonl",
        ])
        .arg("--path")
        .arg(&data)
        .args([
            "--retrieved-at",
            "2026-11-01T00:00:00Z",
            "--license",
            "cc-by-4.0",
        ]))
    .expect_code(0);
    run(modelseal()
        .args(["attest", "lineage"])
        .arg(&tuned)
        .arg("--key")
        .arg(&key)
        .args(["--model-version", "2.0", "--change", "fine-tuned on corpus"])
        .args([
            "--base-model",
            "base",
            "--base-model-source",
            "https://models.example.org/base",
        ])
        .arg("--base-model-digest")
        .arg(format!("sha256:{base_root}"))
        .args(["--dataset", "corpus"]))
    .expect_code(0);

    let (_, report) = inventory(&[&tree.root], 0);
    assert_eq!(
        pairs(&report.model("tuned").attestations, "predicate", "status"),
        [
            ("dataset-provenance", "unverified"),
            ("lineage", "unverified")
        ]
    );
    assert_eq!(report.model("tuned").attestations[1]["version"], "2.0");

    let mut boms = Vec::new();
    for (name, args) in [
        ("plain", vec![]),
        (
            "verified",
            vec!["--key".to_owned(), public.display().to_string()],
        ),
    ] {
        let out = run(modelseal()
            .arg("inventory")
            .arg(&tree.root)
            .args(&args)
            .args(["--format", "cyclonedx"]));
        out.expect_code(0);
        let path = dir.join(format!("{name}.cdx.json"));
        std::fs::write(&path, &out.stdout).expect("write");
        boms.push(path);
    }
    // A tampered tree: the BOM says so and is still valid.
    std::fs::write(base.join("config.json"), b"{}").expect("tamper");
    let out = run(modelseal()
        .arg("inventory")
        .arg(&tree.root)
        .args(["--format", "cyclonedx"]));
    out.expect_code(0);
    let tampered = dir.join("tampered.cdx.json");
    std::fs::write(&tampered, &out.stdout).expect("write");
    boms.push(tampered.clone());
    assert_eq!(cyclonedx_errors(&boms), Vec::<String>::new());
    for path in &boms {
        let bom =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
        assert_refs_resolve(&bom);
    }

    let bom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&boms[1]).expect("read")).expect("JSON");
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    let components = bom["components"].as_array().expect("components");
    let component = |name: &str| {
        components
            .iter()
            .find(|c| c["name"] == name && c["type"] == "machine-learning-model")
            .unwrap_or_else(|| panic!("no component `{name}`"))
    };
    let property = |c: &serde_json::Value, name: &str| {
        c["properties"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == name))
            .map(|p| p["value"].as_str().unwrap_or("").to_owned())
    };
    let tuned_c = component("tuned");
    let base_c = component("base");
    assert_eq!(tuned_c["version"], "2.0", "the lineage version");
    assert_eq!(base_c["hashes"][0]["alg"], "SHA-256");
    assert_eq!(base_c["hashes"][0]["content"], base_root.as_str());
    assert_eq!(
        property(tuned_c, "modelseal:signature:status").as_deref(),
        Some("verified")
    );
    assert_eq!(
        property(tuned_c, "modelseal:signature:signer"),
        Some(format!("key {key_id}"))
    );
    let files = tuned_c["components"].as_array().expect("file components");
    let weights = files
        .iter()
        .find(|f| f["name"] == "weights/model.safetensors")
        .expect("weights file");
    assert_eq!(weights["type"], "file");
    assert_eq!(
        weights["hashes"][0]["content"],
        sha256sum(&tuned.join("weights/model.safetensors")).as_str()
    );
    // Dataset: a data component with its source URL, referenced from the
    // model card.
    let dataset_ref = tuned_c["modelCard"]["modelParameters"]["datasets"][0]["ref"]
        .as_str()
        .expect("dataset ref");
    let dataset = components
        .iter()
        .find(|c| c["bom-ref"] == dataset_ref)
        .expect("dataset component");
    assert_eq!(dataset["type"], "data");
    assert_eq!(dataset["name"], "corpus");
    assert_eq!(
        dataset["data"][0]["contents"]["url"],
        "https://data.example.org/corpus.jsonl"
    );
    assert_eq!(dataset["licenses"][0]["license"]["id"], "CC-BY-4.0");
    // Lineage: the fine-tune depends on the base model found in the tree.
    let depends = bom["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .find(|d| d["ref"] == tuned_c["bom-ref"])
        .expect("tuned's dependencies");
    assert_eq!(depends["dependsOn"][0], base_c["bom-ref"]);
    // The hub model's card licence as an SPDX id.
    let hub = component(&format!("acme/tiny@{REVISION}"));
    assert_eq!(hub["licenses"][0]["license"]["id"], "Apache-2.0");
    assert_eq!(hub["version"], REVISION);

    let bom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&tampered).expect("read")).expect("JSON");
    let base_c = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["name"] == "base")
        .expect("base")
        .clone();
    assert_eq!(
        property(&base_c, "modelseal:signature:status").as_deref(),
        Some("modified")
    );
    assert_eq!(
        property(&base_c, "modelseal:intact").as_deref(),
        Some("false")
    );
}

#[test]
fn the_cyclonedx_validator_refuses_a_broken_bom() {
    // The check above can fail: a BOM with a hash that is not hex and an
    // unknown component type is refused by the same validator.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(modelseal()
        .arg("inventory")
        .arg(fixtures().join("example-model"))
        .args(["--format", "cyclonedx"]));
    out.expect_code(0);
    let mut bom: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    bom["components"][0]["type"] = "ai-model".into();
    let path = dir.path().join("broken.cdx.json");
    std::fs::write(&path, bom.to_string()).expect("write");
    let python = reference_tool().parent().expect("venv bin").join("python");
    let out = run(std::process::Command::new(python)
        .arg("-c")
        .arg(
            "import sys\n\
             from cyclonedx.schema import SchemaVersion\n\
             from cyclonedx.validation.json import JsonStrictValidator\n\
             e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
             sys.exit(0 if e is not None else 1)",
        )
        .arg(&path));
    assert_eq!(
        out.code, 0,
        "the validator accepted a broken BOM: {}",
        out.stderr
    );
}

#[test]
fn keyless_and_policy_trust_verify_every_signature() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("models");
    // A real Sigstore keyless signature (fixtures/keyless), its bundle
    // placed as the model's own `model.sig`; the files are raw bytes, so
    // the signature is what makes the directory a model.
    let keyless = root.join("keyless");
    copy_tree(&fixtures().join("keyless/v1.1.0/model"), &keyless);
    std::fs::copy(
        fixtures().join("keyless/v1.1.0/model.sig"),
        keyless.join("model.sig"),
    )
    .expect("sig");
    let identity = ["--identity", "stefanb@us.ibm.com"];
    let issuer = ["--issuer", "https://sigstore.verify.ibm.com/oauth2"];
    let (_, report) = inventory(
        &[&root, &identity[0], &identity[1], &issuer[0], &issuer[1]],
        0,
    );
    let model = report.model("keyless");
    assert_eq!(model.layout, "directory");
    assert_eq!(model.signature.status, "verified", "{model:#?}");
    let signer = model.signature.signer.as_ref().expect("signer");
    assert_eq!(signer["identity"], "stefanb@us.ibm.com");
    let (_, report) = inventory(
        &[
            &root,
            &"--identity",
            &"someone@example.org",
            &issuer[0],
            &issuer[1],
        ],
        0,
    );
    assert_eq!(report.model("keyless").signature.status, "refused");

    // A policy: its signer verifies the model and accepts its lineage.
    let model = tiny_model(&root, "released");
    let (key, _, _) = keygen(dir.path(), "dev", "ed25519");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    run(modelseal()
        .args(["attest", "lineage"])
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .args(["--model-version", "1.0", "--change", "first release"]))
    .expect_code(0);
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n[[signers]]\nname = \"dev\"\nkey = \"dev.pub\"\nroles = [\"developer\"]\n",
    )
    .expect("policy");
    let (_, report) = inventory(&[&root, &"--policy", &policy], 0);
    let released = report.model("released");
    assert_eq!(released.signature.status, "verified", "{released:#?}");
    assert_eq!(
        pairs(&released.attestations, "predicate", "status"),
        [("lineage", "accepted")]
    );
    // The keyless model's signer is not a policy signer.
    assert_eq!(report.model("keyless").signature.status, "refused");
}

#[test]
fn require_fails_on_what_it_could_not_look_at() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("models");
    let (key, _, _) = keygen(dir.path(), "release", "ed25519");
    let model = tiny_model(&root, "a");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    inventory(&[&root, &"--require", &"signed"], 0);
    // A mistyped path: nothing found is no pass.
    let missing = dir.path().join("no-such-dir");
    let (out, report) = inventory(&[&missing, &"--require", &"signed"], 1);
    assert!(report.models.is_empty());
    assert!(report.skipped[0].unchecked);
    out.expect_stderr(&["no model found", "not checked", "no-such-dir"]);
    // Weights behind a link out of the tree: a loader follows it.
    let outside = dir.path().join("elsewhere.safetensors");
    std::fs::write(&outside, crate::support::tiny_weights(4)).expect("w");
    symlink(&outside, root.join("linked.safetensors")).expect("symlink");
    let (out, report) = inventory(&[&root, &"--require", &"signed"], 1);
    assert_eq!(report.model("a").signature.status, "signed");
    let require = report.require.expect("require");
    assert!(require.falling_short.is_empty());
    out.expect_stderr(&[
        "not checked",
        "linked.safetensors",
        "out of the scanned tree",
    ]);
}

#[test]
fn a_hub_snapshot_or_repository_given_directly_is_a_hub_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_f, example) = copy_fixture("example-model");
    let (repo, snapshot) = hub_cache(&example, &dir.path().join("hf"));
    for given in [&snapshot, &repo] {
        let (_, report) = inventory(&[given], 0);
        assert_eq!(
            report.names(),
            [format!("acme/tiny@{REVISION}").as_str()],
            "{given:?}"
        );
        let model = &report.models[0];
        assert_eq!(model.layout, "hub-cache");
        assert_eq!(model.file_count, 5);
        assert!(model.problems.is_empty(), "{:?}", model.problems);
    }
    // A folder inside a snapshot: its links into the blobs are followed.
    let sub = snapshot.join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    let weights = std::fs::read_link(snapshot.join("model.safetensors")).expect("link");
    symlink(Path::new("..").join(weights), sub.join("model.safetensors")).expect("symlink");
    let (_, report) = inventory(&[&sub], 0);
    assert_eq!(report.names(), ["model.safetensors"]);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}

#[test]
fn a_model_card_linked_out_of_the_model_is_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "m");
    let secret = dir.path().join("secret.md");
    std::fs::write(&secret, "---\nlicense: secret-license\n---\n").expect("w");
    symlink(&secret, model.join("README.md")).expect("symlink");
    let (_, report) = inventory(&[&model], 0);
    let m = report.model("m");
    assert!(m.card.is_none(), "{:?}", m.card);
    assert!(
        m.problems.iter().any(|p| p.contains("README.md")),
        "{:?}",
        m.problems
    );
}
