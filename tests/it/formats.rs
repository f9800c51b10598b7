//! Format checks: `modelseal inspect`, the `--unsafe-formats` gate of `sign`
//! and `verify`, per-tensor digests (`sign --tensors`) and partial
//! verification (`verify --only`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::support::{
    FindingJson as Finding, Run, SignJson, SignerJson, TensorChangesJson as TensorChanges,
    VerifyJson as Report, copy_fixture, keygen, modelseal, run, run_with_timeout, sha256sum,
    signed_statement,
};

/// A file of `crates/modelseal-formats/tests/data`.
fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/modelseal-formats/tests/data")
        .join(name)
}

/// A model directory `DIR/model` holding copies of format fixtures, each
/// under its new name: `(name in the model, fixture)`.
fn fixture_model(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let model = dir.join("model");
    for (name, fixture) in files {
        let to = model.join(name);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(data(fixture), &to).expect("copy fixture");
    }
    model
}

/// Writes the evil `os.system` pickle (as `pytorch_model.bin`) into `model`.
fn add_evil_pickle(model: &Path) {
    std::fs::copy(
        data("evil_global_os_system.pkl"),
        model.join("pytorch_model.bin"),
    )
    .expect("copy");
}

fn cmd(sub: &str, model: &Path, args: &[&dyn AsRef<OsStr>]) -> Command {
    let mut command = modelseal();
    command
        .arg(sub)
        .arg(model)
        .args(args.iter().map(|a| a.as_ref()));
    command
}

/// `modelseal sign MODEL ARGS` (text output: warnings go to stderr).
fn sign(model: &Path, args: &[&dyn AsRef<OsStr>]) -> Run {
    run(&mut cmd("sign", model, args))
}

/// `modelseal verify MODEL ARGS --format json`, parsed strictly.
fn verify_json(model: &Path, args: &[&dyn AsRef<OsStr>]) -> (Run, Report) {
    let out = run(cmd("verify", model, args).args(["--format", "json"]));
    let report = parse_report(&out);
    (out, report)
}

#[track_caller]
fn parse_report(out: &Run) -> Report {
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let report: Report = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no report ({e}), exit {}\nstdout: {}\nstderr: {}",
            out.code, out.stdout, out.stderr
        )
    });
    assert_eq!((report.kind.as_str(), report.version), ("verify", 2));
    assert_eq!(report.verified, out.code == 0, "{report:?}");
    assert!(report.elapsed_ms >= 0.0);
    report
}

fn mkfifo(path: &Path) {
    let made = run(Command::new("mkfifo").arg(path));
    assert_eq!(made.code, 0, "{}", made.stderr);
}

/// `modelseal inspect --format json` (README, "JSON output"), parsed
/// strictly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InspectJson {
    kind: String,
    version: u32,
    model: String,
    ok: bool,
    files: Vec<InspectedJson>,
    problems: Vec<String>,
}

/// One file of an inspect report: its name beside the flattened file
/// report, whose verdict brings its own field (`reasons`, `errors` or
/// `reason`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InspectedJson {
    name: String,
    report_version: u32,
    path: String,
    size: u64,
    format: String,
    verdict: String,
    reasons: Option<Vec<String>>,
    errors: Option<Vec<ProblemJson>>,
    reason: Option<String>,
    details: serde_json::Value,
}

/// One broken rule of an invalid file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProblemJson {
    code: String,
    message: String,
}

impl InspectJson {
    /// The report of the file called `name`.
    #[track_caller]
    fn file(&self, name: &str) -> &InspectedJson {
        self.files
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no `{name}` in {self:?}"))
    }
}

/// `modelseal inspect MODEL --format json ARGS`: the run and its report,
/// with the invariants every report keeps checked.
fn inspect_json(model: &Path, args: &[&str]) -> (Run, InspectJson) {
    let out = run_with_timeout(
        modelseal()
            .arg("inspect")
            .arg(model)
            .args(args)
            .args(["--format", "json"]),
        Duration::from_secs(20),
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let report: InspectJson = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no inspect report ({e}), exit {}\nstdout: {}\nstderr: {}",
            out.code, out.stdout, out.stderr
        )
    });
    assert_eq!((report.kind.as_str(), report.version), ("inspect", 2));
    assert_eq!(report.model, model.display().to_string());
    assert_eq!(report.ok, out.code == 0, "{report:?}");
    for file in &report.files {
        assert_eq!(file.report_version, 1);
        let path = Path::new(&file.path);
        // What was read: for a followed symlink, its target.
        assert!(path.is_file(), "{file:?}");
        assert_eq!(
            file.size,
            std::fs::metadata(path).expect("stat").len(),
            "{file:?}"
        );
        // Exactly the verdict's own field is present.
        let fields = (
            file.reasons.is_some(),
            file.errors.is_some(),
            file.reason.is_some(),
        );
        let expected = match file.verdict.as_str() {
            "safe" => (false, false, false),
            "unsafe" => (true, false, false),
            "invalid" => (false, true, false),
            "unchecked" => (false, false, true),
            other => panic!("verdict `{other}`"),
        };
        assert_eq!(fields, expected, "{file:?}");
        assert!(file.details["kind"].is_string(), "{file:?}");
    }
    (out, report)
}

/// The statement's resource called `name`.
fn resource<'a>(statement: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    statement["predicate"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no resource `{name}`"))
}

/// One tensor of a safetensors file, read independently of modelseal.
#[derive(Debug)]
struct RawTensor {
    name: String,
    dtype: String,
    shape: Vec<u64>,
    /// Absolute `[begin, end)` in the file.
    range: (usize, usize),
}

/// The tensors of a safetensors file, sorted by offset.
fn raw_tensors(path: &Path) -> Vec<RawTensor> {
    let bytes = std::fs::read(path).expect("read");
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let start = 8 + usize::try_from(len).expect("header length");
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..start]).expect("header JSON");
    let offset = |v: &serde_json::Value| {
        start + usize::try_from(v.as_u64().expect("offset")).expect("usize")
    };
    let mut tensors: Vec<RawTensor> = header
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .map(|(name, info)| RawTensor {
            name: name.clone(),
            dtype: info["dtype"].as_str().expect("dtype").to_owned(),
            shape: info["shape"]
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_u64().expect("dim"))
                .collect(),
            range: (
                offset(&info["data_offsets"][0]),
                offset(&info["data_offsets"][1]),
            ),
        })
        .collect();
    tensors.sort_by_key(|t| t.range);
    tensors
}

/// Flips the low bit of the first byte of tensor `name`.
fn flip_tensor_byte(path: &Path, name: &str) {
    let tensor = raw_tensors(path)
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tensor `{name}`"));
    let mut bytes = std::fs::read(path).expect("read");
    bytes[tensor.range.0] ^= 1;
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn inspect_reports_every_file_and_exits_by_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fixture_model(
        dir.path(),
        &[
            ("model.safetensors", "good.safetensors"),
            ("model.gguf", "good.gguf"),
            ("config.json", "config.json"),
            ("sub/model.onnx", "model.onnx"),
        ],
    );
    let (out, report) = inspect_json(&model, &[]);
    out.expect_code(0);
    assert!(report.ok && report.problems.is_empty(), "{report:?}");
    let names: Vec<&str> = report.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "config.json",
            "model.gguf",
            "model.safetensors",
            "sub/model.onnx"
        ]
    );
    let st = report.file("model.safetensors");
    assert_eq!(
        (st.format.as_str(), st.verdict.as_str()),
        ("safetensors", "safe")
    );
    assert_eq!(st.details["kind"], "safetensors");
    let tensors: Vec<&str> = st.details["tensors"]
        .as_array()
        .expect("tensors")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    let raw: Vec<String> = raw_tensors(&model.join("model.safetensors"))
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tensors, raw);
    let gguf = report.file("model.gguf");
    assert_eq!(
        (gguf.format.as_str(), gguf.verdict.as_str()),
        ("gguf", "safe")
    );
    assert_eq!(gguf.details["kind"], "gguf");
    assert_eq!(report.file("config.json").format, "json");
    // Identified but not inspected: reported, and not a failure.
    let onnx = report.file("sub/model.onnx");
    assert_eq!(
        (onnx.format.as_str(), onnx.verdict.as_str()),
        ("onnx", "unchecked")
    );
    assert!(onnx.reason.as_deref().is_some_and(|r| r.contains("ONNX")));

    // A pickle (whatever its name) and a hostile safetensors header fail.
    add_evil_pickle(&model);
    std::fs::copy(
        data("st_overlap.safetensors"),
        model.join("bad.safetensors"),
    )
    .expect("copy");
    let (out, report) = inspect_json(&model, &[]);
    out.expect_code(1);
    assert!(!report.ok);
    let pickle = report.file("pytorch_model.bin");
    assert_eq!(
        (pickle.format.as_str(), pickle.verdict.as_str()),
        ("pickle", "unsafe")
    );
    let reasons = pickle.reasons.as_ref().expect("reasons");
    assert!(
        reasons.iter().any(|r| r.contains("`os.system`")),
        "{reasons:?}"
    );
    assert_eq!(pickle.details["kind"], "pickle");
    assert_eq!(pickle.details["globals"][0]["risk"], "dangerous");
    let bad = report.file("bad.safetensors");
    assert_eq!(
        (bad.format.as_str(), bad.verdict.as_str()),
        ("safetensors", "invalid")
    );
    let errors = bad.errors.as_ref().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "overlap");
    assert!(errors[0].message.contains("overlaps"), "{errors:?}");
    assert_eq!(bad.details["kind"], "none");

    // The text report says the same.
    let out = run(modelseal().arg("inspect").arg(&model));
    out.expect_code(1);
    assert!(
        out.stdout.contains("pytorch_model.bin  pickle"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("UNSAFE") && out.stdout.contains("INVALID"));
    assert!(out.stdout.contains("imports os.system  (dangerous)"));
    assert!(
        out.stdout
            .ends_with("6 files: 3 safe, 1 unsafe, 1 invalid, 1 not checked\n"),
        "{}",
        out.stdout
    );

    // Single files.
    let (out, report) = inspect_json(&data("good.safetensors"), &[]);
    out.expect_code(0);
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].name, "good.safetensors");
    for (fixture, format) in [
        ("evil_model.joblib", "joblib"),
        ("torch_zip.pt", "pytorch_zip"),
        ("torch_zip_evil.pt", "pytorch_zip"),
    ] {
        let (out, report) = inspect_json(&data(fixture), &[]);
        out.expect_code(1);
        assert_eq!(report.files[0].format, format, "{fixture}");
        assert_eq!(report.files[0].verdict, "unsafe", "{fixture}");
    }

    // Usage and I/O errors.
    run(modelseal().arg("inspect").arg(dir.path().join("nope"))).expect_code(2);
    run(modelseal()
        .arg("inspect")
        .arg(&model)
        .args(["--format", "yaml"]))
    .expect_code(2);
}

#[test]
fn inspect_lists_refused_entries_as_problems() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fixture_model(dir.path(), &[("model.safetensors", "good.safetensors")]);
    std::os::unix::fs::symlink("model.safetensors", model.join("link.safetensors"))
        .expect("symlink");
    let (out, report) = inspect_json(&model, &[]);
    out.expect_code(1);
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(
        report.problems[0].contains("link.safetensors"),
        "{report:?}"
    );
    let (out, report) = inspect_json(&model, &["--allow-symlinks"]);
    out.expect_code(0);
    assert_eq!(report.files.len(), 2, "{report:?}");
    let link = report.file("link.safetensors");
    assert_eq!(link.verdict, "safe");
    assert!(link.path.ends_with("model/model.safetensors"), "{link:?}");

    // A FIFO is refused without being opened (no hang).
    mkfifo(&model.join("pipe.bin"));
    let (out, report) = inspect_json(&model, &["--allow-symlinks"]);
    out.expect_code(1);
    assert!(
        report.problems.iter().any(|p| p.contains("pipe.bin")),
        "{report:?}"
    );
}

#[test]
fn sign_applies_the_unsafe_formats_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_copy, model) = copy_fixture("example-model");
    add_evil_pickle(&model);
    let (key, _, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");

    let out = sign(
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--unsafe-formats",
            &"deny",
        ],
    );
    out.expect_code(1);
    out.expect_stderr(&["refusing to sign"]);
    out.expect_stderr(&["pytorch_model.bin"]);
    assert!(!sig.exists(), "nothing written on refusal");

    // Warn (the default) refuses a pickle that imports a dangerous global,
    // naming the file and the import; an allow-list cannot admit it.
    let out = sign(&model, &[&"--key", &key, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["refusing to sign", "`pytorch_model.bin`", "`os.system`"]);
    assert!(!sig.exists(), "nothing written on refusal");
    let out = sign(
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--allow-global",
            &"os.system",
        ],
    );
    out.expect_code(2);
    out.expect_stderr(&["`os.system` is rated dangerous"]);

    let out = sign(
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--force",
            &"--unsafe-formats",
            &"allow",
        ],
    );
    out.expect_code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn sign_refuses_invalid_safetensors_whatever_the_gate_and_verify_always_fails_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_copy, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    // Signed before the invalid file arrives: `sign` no longer signs one.
    let sig = dir.path().join("model.sig");
    sign(&model, &[&"--key", &key, &"--signature", &sig]).expect_code(0);
    let before = dir.path().join("before.sig");
    std::fs::rename(&sig, &before).expect("rename");
    std::fs::copy(
        data("st_overlap.safetensors"),
        model.join("bad.safetensors"),
    )
    .expect("copy");

    // Regression: `--unsafe-formats allow` signed it, though its help said
    // invalid files still fail.
    for policy in ["warn", "deny", "allow"] {
        let out = sign(
            &model,
            &[
                &"--key",
                &key,
                &"--signature",
                &sig,
                &"--unsafe-formats",
                &policy,
            ],
        );
        out.expect_code(1);
        out.expect_stderr(&["refusing to sign"]);
        out.expect_stderr(&["bad.safetensors"]);
        assert!(!sig.exists());
    }
    let sig = before;

    // Unsigned files allowed, the file still fails, whatever the policy.
    for policy in ["warn", "deny", "allow"] {
        let (out, report) = verify_json(
            &model,
            &[
                &"--key",
                &public,
                &"--signature",
                &sig,
                &"--ignore-unsigned-files",
                &"--unsafe-formats",
                &policy,
            ],
        );
        out.expect_code(1);
        assert_eq!(
            report.kinds(),
            ["unsigned", "invalid_format"],
            "{policy}: {report:?}"
        );
        match &report.findings[1] {
            Finding::InvalidFormat {
                name,
                format,
                errors,
            } => {
                assert_eq!(
                    (name.as_str(), format.as_str()),
                    ("bad.safetensors", "safetensors")
                );
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert!(errors[0].contains("overlaps"), "{errors:?}");
            }
            other => panic!("{other:?}"),
        }
    }
    let out = run(&mut cmd(
        "verify",
        &model,
        &[
            &"--key",
            &public,
            &"--signature",
            &sig,
            &"--ignore-unsigned-files",
        ],
    ));
    out.expect_code(1);
    assert!(
        out.stdout
            .contains("invalid       bad.safetensors (safetensors)"),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_applies_the_unsafe_formats_gate_to_signed_and_unsigned_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_copy, model) = copy_fixture("example-model");
    add_evil_pickle(&model);
    std::fs::copy(data("torch_zip_evil.pt"), model.join("evil.pt")).expect("copy");
    std::fs::copy(data("torch_zip.pt"), model.join("benign.pt")).expect("copy");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");
    sign(
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--unsafe-formats",
            &"allow",
        ],
    )
    .expect_code(0);
    let trust: [&dyn AsRef<OsStr>; 4] = [&"--key", &public, &"--signature", &sig];

    let expected = |fails: [bool; 3]| {
        let finding = |name: &str, format: &str, dangerous: &[&str]| {
            (
                name.to_owned(),
                format.to_owned(),
                dangerous
                    .iter()
                    .map(|d| (*d).to_owned())
                    .collect::<Vec<_>>(),
            )
        };
        let found = [
            finding("benign.pt", "pytorch_zip", &[]),
            finding("evil.pt", "pytorch_zip", &["os.system"]),
            finding("pytorch_model.bin", "pickle", &["os.system"]),
        ];
        found
            .into_iter()
            .zip(fails)
            .map(|((n, f, d), fails)| (n, f, d, fails))
            .collect::<Vec<_>>()
    };
    let unsafe_findings = |report: &Report| {
        report
            .findings
            .iter()
            .map(|f| match f {
                Finding::UnsafeFormat {
                    name,
                    format,
                    reasons,
                    dangerous_globals,
                    fails,
                } => {
                    assert!(
                        reasons.iter().any(|r| r.starts_with("pickle-based format")),
                        "{reasons:?}"
                    );
                    (
                        name.clone(),
                        format.clone(),
                        dangerous_globals.clone(),
                        *fails,
                    )
                }
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
    };

    // Warn (the default): listed; those importing a dangerous global fail.
    let (out, report) = verify_json(&model, &trust);
    out.expect_code(1);
    assert_eq!(unsafe_findings(&report), expected([false, true, true]));
    let out = run(&mut cmd("verify", &model, &trust));
    out.expect_code(1);
    assert!(
        out.stdout
            .contains("  warning       benign.pt is pytorch_zip: it can run code when loaded"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  unsafe format pytorch_model.bin is pickle: it can run code when loaded"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("dangerous imports: os.system"),
        "{}",
        out.stdout
    );

    // Deny: the same findings fail.
    let mut deny = trust.to_vec();
    deny.extend([&"--unsafe-formats" as &dyn AsRef<OsStr>, &"deny"]);
    let (out, report) = verify_json(&model, &deny);
    out.expect_code(1);
    assert_eq!(unsafe_findings(&report), expected([true; 3]));
    let out = run(&mut cmd("verify", &model, &deny));
    out.expect_code(1);
    assert!(
        out.stdout.contains("  unsafe format pytorch_model.bin"),
        "{}",
        out.stdout
    );

    // Allow: nothing said.
    let mut allow = trust.to_vec();
    allow.extend([&"--unsafe-formats" as &dyn AsRef<OsStr>, &"allow"]);
    let (out, report) = verify_json(&model, &allow);
    out.expect_code(0);
    assert!(report.findings.is_empty(), "{report:?}");

    // An unsigned pickle is checked too: denied even when unsigned files
    // are allowed.
    std::fs::remove_file(model.join("evil.pt")).expect("rm");
    std::fs::remove_file(model.join("benign.pt")).expect("rm");
    std::fs::copy(data("evil_model.joblib"), model.join("extra.joblib")).expect("copy");
    deny.push(&"--ignore-unsigned-files");
    let (out, report) = verify_json(&model, &deny);
    out.expect_code(1);
    assert_eq!(
        report.kinds(),
        [
            "missing",
            "missing",
            "unsigned",
            "unsafe_format",
            "unsafe_format"
        ],
        "{report:?}"
    );
    assert!(report.findings.contains(&Finding::Unsigned {
        name: "extra.joblib".to_owned(),
        fails: false
    }));
    let joblib = report
        .findings
        .iter()
        .find_map(|f| match f {
            Finding::UnsafeFormat {
                name,
                format,
                dangerous_globals,
                fails,
                ..
            } if name == "extra.joblib" => {
                Some((format.as_str(), dangerous_globals.clone(), *fails))
            }
            _ => None,
        })
        .expect("joblib finding");
    assert_eq!(joblib, ("joblib", vec!["os.system".to_owned()], true));
}

/// A JSON file as Python's `json.dump` writes it by default (`NaN` for a
/// diverged loss, as in many `trainer_state.json` files). The CLI documents
/// that only invalid *safetensors* files are refused by `sign` and always
/// fail `verify`; a non-standard JSON file must not make a model
/// unsignable under the defaults, nor unverifiable under every option.
#[test]
fn a_python_json_file_with_nan_neither_blocks_signing_nor_fails_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_copy, model) = copy_fixture("example-model");
    std::fs::write(
        model.join("trainer_state.json"),
        b"{\"log_history\": [{\"step\": 10, \"loss\": NaN}]}\n",
    )
    .expect("write");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");
    sign(&model, &[&"--key", &key, &"--signature", &sig]).expect_code(0);
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(0);
    assert!(report.findings.is_empty(), "{report:?}");
}

#[test]
fn sign_tensors_records_a_digest_per_tensor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_copy, model) = copy_fixture("example-model");
    let (key, public, key_id) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");
    let out = run(&mut cmd(
        "sign",
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--tensors",
            &"--format",
            &"json",
        ],
    ));
    out.expect_code(0);
    let signed: SignJson = serde_json::from_str(&out.stdout).expect("sign JSON");
    assert_eq!((signed.kind.as_str(), signed.version), ("sign", 2));
    assert_eq!(
        (signed.files, signed.resources, signed.tensor_files),
        (5, 5, 1)
    );
    assert_eq!(signed.model, model.display().to_string());
    assert_eq!(signed.signature, sig.display().to_string());
    assert_eq!(
        (signed.key_id.as_str(), signed.method.as_str()),
        (key_id.as_str(), "key")
    );
    assert_eq!(signed.serialization.method, "files");
    assert_eq!(signed.root_digest.algorithm, "sha256");
    assert!(signed.bytes > 0 && signed.elapsed_ms >= 0.0);

    let statement = signed_statement(&sig);
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        signed.root_digest.digest.as_str()
    );
    let file = model.join("model.safetensors");
    let bytes = std::fs::read(&file).expect("read");
    let recorded = resource(&statement, "model.safetensors")["tensors"]
        .as_array()
        .expect("tensors on the safetensors resource")
        .clone();
    let raw = raw_tensors(&file);
    let names: Vec<&str> = raw.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["layers.0.mlp.bias", "embed.weight", "layers.0.attn.weight"],
        "fixture changed"
    );
    assert_eq!(recorded.len(), raw.len(), "{recorded:?}");
    for tensor in &raw {
        let entry = recorded
            .iter()
            .find(|r| r["name"] == tensor.name.as_str())
            .unwrap_or_else(|| panic!("`{}` not recorded: {recorded:?}", tensor.name));
        let keys: Vec<&String> = entry.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["digest", "dtype", "name", "shape"], "{entry}");
        assert_eq!(entry["dtype"], tensor.dtype.as_str());
        assert_eq!(entry["shape"], serde_json::json!(tensor.shape));
        let range = dir.path().join("range.bin");
        std::fs::write(&range, &bytes[tensor.range.0..tensor.range.1]).expect("write");
        assert_eq!(
            entry["digest"],
            sha256sum(&range).as_str(),
            "{}",
            tensor.name
        );
    }
    for other in ["config.json", "README.md", "tokenizer.json"] {
        assert!(
            resource(&statement, other).get("tensors").is_none(),
            "{other}"
        );
    }
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(0);
    assert!(report.findings.is_empty(), "{report:?}");

    // Without --tensors nothing is recorded.
    let plain = dir.path().join("plain.sig");
    let out = run(&mut cmd(
        "sign",
        &model,
        &[&"--key", &key, &"--signature", &plain, &"--format", &"json"],
    ));
    out.expect_code(0);
    let signed: SignJson = serde_json::from_str(&out.stdout).expect("sign JSON");
    assert_eq!(signed.tensor_files, 0);
    assert!(
        resource(&signed_statement(&plain), "model.safetensors")
            .get("tensors")
            .is_none()
    );

    // Per-tensor digests need whole files.
    for shards in [&["--shard-size", "100"][..], &["--method", "shards"][..]] {
        let other = dir.path().join("shards.sig");
        let out = run(cmd(
            "sign",
            &model,
            &[&"--key", &key, &"--signature", &other, &"--tensors"],
        )
        .args(shards));
        out.expect_code(2);
        out.expect_stderr(&["--tensors"]);
        assert!(!other.exists());
    }
}

#[test]
fn a_modified_tensor_is_named_in_the_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_copy, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");
    let plain = dir.path().join("plain.sig");
    sign(
        &model,
        &[&"--key", &key, &"--signature", &sig, &"--tensors"],
    )
    .expect_code(0);
    sign(&model, &[&"--key", &key, &"--signature", &plain]).expect_code(0);
    let file = model.join("model.safetensors");
    let signed_digest = sha256sum(&file);

    flip_tensor_byte(&file, "layers.0.attn.weight");
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    assert_eq!(
        report.findings,
        [Finding::Modified {
            name: "model.safetensors".to_owned(),
            algorithm: "sha256".to_owned(),
            expected: signed_digest.clone(),
            actual: sha256sum(&file),
            tensors: Some(TensorChanges {
                changed: vec!["layers.0.attn.weight".to_owned()],
                added: vec![],
                removed: vec![],
            }),
        }]
    );
    let out = run(&mut cmd(
        "verify",
        &model,
        &[&"--key", &public, &"--signature", &sig],
    ));
    out.expect_code(1);
    assert!(
        out.stdout.contains("changed tensors: layers.0.attn.weight"),
        "{}",
        out.stdout
    );

    // A signature without tensors says only that the file changed.
    let out = run(cmd(
        "verify",
        &model,
        &[&"--key", &public, &"--signature", &plain],
    )
    .args(["--format", "json"]));
    out.expect_code(1);
    let raw: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(raw["findings"][0]["kind"], "modified");
    assert!(raw["findings"][0].get("tensors").is_none(), "{raw}");

    // A renamed tensor: one removed, one added, none changed.
    let bytes = std::fs::read(&file).expect("read");
    let len =
        usize::try_from(u64::from_le_bytes(bytes[..8].try_into().expect("8"))).expect("usize");
    let mut header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + len]).expect("header");
    let bias = header.remove("layers.0.mlp.bias").expect("bias");
    header.insert("layers.0.mlp.b".to_owned(), bias);
    let header = serde_json::to_vec(&header).expect("json");
    let mut renamed = (header.len() as u64).to_le_bytes().to_vec();
    renamed.extend_from_slice(&header);
    renamed.extend_from_slice(&bytes[8 + len..]);
    std::fs::write(&file, renamed).expect("write");
    flip_tensor_byte(&file, "layers.0.attn.weight"); // back to the signed bytes
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    match &report.findings[..] {
        [Finding::Modified { tensors, .. }] => assert_eq!(
            tensors.as_ref(),
            Some(&TensorChanges {
                changed: vec![],
                added: vec!["layers.0.mlp.b".to_owned()],
                removed: vec!["layers.0.mlp.bias".to_owned()],
            })
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_reference_tool_verifies_a_bundle_with_tensors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_copy, model) = copy_fixture("example-model");
    let (key, public, _) = keygen(dir.path(), "p256.key", "p256");
    let sig = dir.path().join("model.sig");
    sign(
        &model,
        &[&"--key", &key, &"--signature", &sig, &"--tensors"],
    )
    .expect_code(0);
    assert!(resource(&signed_statement(&sig), "model.safetensors")["tensors"].is_array());

    let out = crate::interop::reference_verify(&model, &sig, &public, &[]);
    crate::interop::assert_reference_verifies(&out);
}

/// `DIR/model` with `a.bin`, `b.bin` and `sub/x.bin`, signed with an
/// Ed25519 key: the model, the public key and the signature.
fn signed_three_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let model = dir.join("model");
    std::fs::create_dir_all(model.join("sub")).expect("mkdir");
    std::fs::write(model.join("a.bin"), b"aaaa").expect("write");
    std::fs::write(model.join("b.bin"), b"bbbbbbbb").expect("write");
    std::fs::write(model.join("sub/x.bin"), b"xxxxxxxxxxxx").expect("write");
    let (key, public, _) = keygen(dir, "ed.key", "ed25519");
    let sig = dir.join("model.sig");
    sign(&model, &[&"--key", &key, &"--signature", &sig]).expect_code(0);
    (model, public, sig)
}

#[test]
fn verify_only_reads_nothing_but_the_named_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, public, sig) = signed_three_files(dir.path());
    // b.bin becomes a FIFO (opening it would block) and x.bin changes:
    // neither matters to a check of a.bin alone.
    std::fs::remove_file(model.join("b.bin")).expect("rm");
    mkfifo(&model.join("b.bin"));
    std::fs::write(model.join("sub/x.bin"), b"XXXXXXXXXXXX").expect("write");
    std::fs::write(model.join("unsigned.bin"), b"new").expect("write");

    let out = run_with_timeout(
        &mut cmd(
            "verify",
            &model,
            &[
                &"--key",
                &public,
                &"--signature",
                &sig,
                &"--only",
                &"a.bin",
                &"--format",
                &"json",
            ],
        ),
        Duration::from_secs(20),
    );
    out.expect_code(0);
    let report = parse_report(&out);
    assert!(report.findings.is_empty(), "{report:?}");
    assert_eq!((report.resources_checked, report.bytes_hashed), (1, 4));
    assert_eq!(report.model, model.display().to_string());
    assert_eq!(report.signature, sig.display().to_string());
    assert_eq!(report.signature_algorithm, "ed25519");
    assert!(matches!(report.signer, SignerJson::Key { .. }));
    assert_eq!(report.root_digest.len(), 64);
    assert_eq!(report.serialization.method, "files");

    // The changed file, named, is caught; so is a name the signature does
    // not cover.
    let (out, report) = verify_json(
        &model,
        &[
            &"--key",
            &public,
            &"--signature",
            &sig,
            &"--only",
            &"sub/x.bin",
            &"nope.bin",
        ],
    );
    out.expect_code(1);
    assert_eq!(report.kinds(), ["not_signed", "modified"], "{report:?}");
    assert_eq!(
        report.findings[0],
        Finding::NotSigned {
            name: "nope.bin".to_owned()
        }
    );
    let (out, report) = verify_json(
        &model,
        &[
            &"--key",
            &public,
            &"--signature",
            &sig,
            &"--only",
            &"unsigned.bin",
        ],
    );
    out.expect_code(1);
    assert_eq!(
        report.findings,
        [Finding::NotSigned {
            name: "unsigned.bin".to_owned()
        }]
    );
    assert_eq!(report.resources_checked, 0);
}

#[test]
fn verify_only_takes_paths_relative_to_the_model_or_the_working_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, public, sig) = signed_three_files(dir.path());
    std::fs::write(model.join("a.bin"), b"AAAA").expect("write");
    let absolute = model.join("sub/x.bin");
    let ways: [(&Path, &dyn AsRef<OsStr>); 5] = [
        (&model, &"sub/x.bin"),
        (&model, &"model/sub/x.bin"),
        (&model, &absolute),
        (Path::new("model"), &"model/sub/x.bin"),
        (Path::new("model"), &"sub/x.bin"),
    ];
    for (model_arg, only) in ways {
        let out = run(cmd(
            "verify",
            model_arg,
            &[
                &"--key",
                &public,
                &"--signature",
                &sig,
                &"--only",
                only,
                &"--format",
                &"json",
            ],
        )
        .current_dir(dir.path()));
        let what = format!("{} --only {:?}", model_arg.display(), only.as_ref());
        out.expect_code(0);
        let report = parse_report(&out);
        assert!(report.findings.is_empty(), "{what}: {report:?}");
        assert_eq!(
            (report.resources_checked, report.bytes_hashed),
            (1, 12),
            "{what}"
        );
    }
    // Both files, one modified.
    let out = run(cmd(
        "verify",
        &model,
        &[
            &"--key",
            &public,
            &"--signature",
            &sig,
            &"--only",
            &"model/sub/x.bin",
            &"a.bin",
        ],
    )
    .args(["--format", "json"])
    .current_dir(dir.path()));
    out.expect_code(1);
    let report = parse_report(&out);
    assert_eq!(report.kinds(), ["modified"]);
    assert_eq!(report.resources_checked, 2);
    // A path outside the model is a usage error.
    let outside = dir.path().join("outside.bin");
    std::fs::write(&outside, b"o").expect("write");
    run(&mut cmd(
        "verify",
        &model,
        &[&"--key", &public, &"--signature", &sig, &"--only", &outside],
    ))
    .expect_code(2);
}

/// The python of the test virtualenv (beside the reference tool).
fn venv_python() -> PathBuf {
    crate::support::reference_tool().with_file_name("python")
}

/// Runs `script` with the venv's python, `sys.argv[1]` being `dir`.
fn python(dir: &Path, script: &str) {
    run(Command::new(venv_python()).arg("-c").arg(script).arg(dir)).expect_code(0);
}

/// Writes, for every file under `DIR/model`, the globals CPython's own
/// unpickler resolves when loading it (a `find_class` that records and
/// returns a harmless stub) to `DIR/expected.json`: what the walker must
/// report.
const RECORD_GLOBALS: &str = r#"
import json, os, pickle, sys
root = os.path.join(sys.argv[1], "model")
class Recorder(pickle.Unpickler):
    def find_class(self, module, name):
        self.seen.append(module + "." + name)
        return lambda *a, **k: None
out = {}
for dirpath, _, files in os.walk(root):
    for f in files:
        path = os.path.join(dirpath, f)
        with open(path, "rb") as fh:
            r = Recorder(fh)
            r.seen = []
            try:
                r.load()
            except Exception:
                pass
        out[os.path.relpath(path, root)] = sorted(set(r.seen))
json.dump(out, open(os.path.join(sys.argv[1], "expected.json"), "w"))
"#;

/// `module.name` of every global an inspected pickle lists, with its risk.
fn listed_globals(details: &serde_json::Value) -> Vec<(String, String)> {
    let scan = details.get("pickle").unwrap_or(details);
    let mut out: Vec<(String, String)> = scan["globals"]
        .as_array()
        .map(|globals| {
            globals
                .iter()
                .map(|g| {
                    (
                        format!(
                            "{}.{}",
                            g["module"].as_str().expect("module"),
                            g["name"].as_str().expect("name")
                        ),
                        g["risk"].as_str().expect("risk").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// Section 2 of issue 11: `pickle.dumps` at protocols 0-5 and hand-made
/// opcode streams, under names that do not say pickle (jieba's
/// `prob_emit.p`, scikit-learn's `.sav`/`.model`, `.txt`, `.bin`, none),
/// are all identified as pickles, and the globals the walker lists are the
/// ones CPython's unpickler resolves (memo keys by `int()` rules included).
/// Regression: protocol 0/1 pickles and streams starting with `\x8c`, `M`
/// or `\x80\x01` were "unknown" or "text ok, safe", and passed every gate.
#[test]
fn pickles_are_found_by_content_whatever_their_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model");
    std::fs::create_dir_all(model.join("handmade")).expect("mkdir");
    python(
        dir.path(),
        r#"
import os, pickle, sys
model = os.path.join(sys.argv[1], "model")
# As jieba's HMM tables: dicts of dicts of floats keyed by CJK characters.
table = {s: {chr(0x4e00 + i): -3.14 - i for i in range(40)} for s in "BEMS"}
names = ["prob_emit.p", "model.sav", "clf.model", "table.txt", "weights.bin", "state"]
class Evil:
    def __reduce__(self):
        return (os.system, ("true",))
for p in range(6):
    for n in names:
        stem, dot, ext = n.partition(".")
        with open(os.path.join(model, f"{stem}_p{p}{dot}{ext}"), "wb") as f:
            pickle.dump(table, f, protocol=p)
    with open(os.path.join(model, f"evil_p{p}.dat"), "wb") as f:
        pickle.dump(Evil(), f, protocol=p)
"#,
    );
    let random: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    let handmade: [(&str, Vec<u8>); 6] = [
        // `p1_0` is memo 10 to `int()`: this imports `os.system`, not
        // `builtins.system`.
        (
            "memo.bin",
            b"Vbuiltins\np10\n0Vos\np1_0\n0Vsystem\np2\n0g10\ng2\n\x93(S'true'\ntR.".to_vec(),
        ),
        // CPython reads a memo key up to a NUL.
        (
            "nul.p",
            b"Vos\np7\x00junk\n0Vsystem\np8\n0g7\ng8\n\x93(S'true'\ntR.".to_vec(),
        ),
        (
            "short.sav",
            b"\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.".to_vec(),
        ),
        ("binint2.txt", b"M\x01\x00.".to_vec()),
        (
            "proto1.model",
            b"\x80\x01cos\nsystem\nq\x00(X\x04\x00\x00\x00trueq\x01tq\x02Rq\x03.".to_vec(),
        ),
        // An attacker's short stream, then random bytes.
        (
            "weights.bin",
            [&b"cos\nsystem\n(S'true'\ntR."[..], &random].concat(),
        ),
    ];
    for (name, bytes) in &handmade {
        std::fs::write(model.join("handmade").join(name), bytes).expect("write");
    }
    python(dir.path(), RECORD_GLOBALS);
    let expected: std::collections::BTreeMap<String, Vec<String>> = serde_json::from_slice(
        &std::fs::read(dir.path().join("expected.json")).expect("expected.json"),
    )
    .expect("json");
    assert_eq!(expected.len(), 48);

    let (out, report) = inspect_json(&model, &[]);
    out.expect_code(1);
    assert_eq!(report.files.len(), 48);
    for file in &report.files {
        assert_eq!(
            (file.format.as_str(), file.verdict.as_str()),
            ("pickle", "unsafe"),
            "{}: {file:?}",
            file.name
        );
        let listed = listed_globals(&file.details);
        let names: Vec<&str> = listed.iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(names, expected[&file.name], "{}", file.name);
        for (global, risk) in &listed {
            assert_eq!(risk, "dangerous", "{}: {global}", file.name);
        }
        let dangerous = file.name.starts_with("evil")
            || file.name.starts_with("handmade/") && !file.name.ends_with("binint2.txt");
        assert_eq!(!listed.is_empty(), dangerous, "{}: {listed:?}", file.name);
    }

    // The default gate refuses the dangerous ones, naming each.
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");
    let out = sign(&model, &[&"--key", &key, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&[
        "refusing to sign",
        "`evil_p0.dat`",
        "`evil_p5.dat`",
        "`handmade/memo.bin`",
        "`os.system`",
        "`posix.system`",
    ]);
    assert!(!out.stderr.contains("prob_emit_p0.p"), "{}", out.stderr);
    sign(
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--unsafe-formats",
            &"allow",
        ],
    )
    .expect_code(0);
    let (out, report) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(1);
    let failing: Vec<&str> = report
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::UnsafeFormat {
                name, fails: true, ..
            } => Some(name.as_str()),
            Finding::UnsafeFormat { fails: false, .. } => None,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(failing.len(), 11, "{failing:?}");
    assert!(
        failing
            .iter()
            .all(|n| n.starts_with("evil") || n.starts_with("handmade/"))
    );

    // Without the dangerous ones, the tables keep today's warning…
    for (name, _) in &handmade {
        std::fs::remove_file(model.join("handmade").join(name)).expect("rm");
    }
    for p in 0..6 {
        std::fs::remove_file(model.join(format!("evil_p{p}.dat"))).expect("rm");
    }
    let out = sign(&model, &[&"--key", &key, &"--signature", &sig, &"--force"]);
    out.expect_code(0);
    out.expect_stderr(&["warning:", "prob_emit_p0.p"]);
    let (out, _) = verify_json(&model, &[&"--key", &public, &"--signature", &sig]);
    out.expect_code(0);
    // …and `deny` refuses them, as `hook formats` does by default.
    sign(
        &model,
        &[
            &"--key",
            &key,
            &"--signature",
            &sig,
            &"--force",
            &"--unsafe-formats",
            &"deny",
        ],
    )
    .expect_code(1);
    let out = run(modelseal()
        .args(["hook", "formats", "--config", "none.toml"])
        .arg(model.join("table_p0.txt")));
    out.expect_code(1);
    assert!(out.stdout.contains("table_p0.txt"), "{}", out.stdout);
}

/// `--allow-global` and `allow_globals` in `.modelseal.toml` accept a
/// project's own classes (no longer "unknown"), never a dangerous global.
#[test]
fn allow_globals_accept_a_projects_classes_not_dangerous_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model");
    std::fs::create_dir_all(dir.path().join("mypkg")).expect("mkdir");
    std::fs::create_dir_all(&model).expect("mkdir");
    python(
        dir.path(),
        r#"
import os, pickle, sys
sys.path.insert(0, sys.argv[1])
open(os.path.join(sys.argv[1], "mypkg", "__init__.py"), "w").write(
    "class Model:\n    def __init__(self):\n        self.w = [1.0, 2.0]\n")
import mypkg
with open(os.path.join(sys.argv[1], "model", "clf.model"), "wb") as f:
    pickle.dump(mypkg.Model(), f, protocol=0)
with open(os.path.join(sys.argv[1], "model", "clf4.sav"), "wb") as f:
    pickle.dump(mypkg.Model(), f, protocol=4)
"#,
    );
    let (key, public, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");
    sign(&model, &[&"--key", &key, &"--signature", &sig]).expect_code(0);
    let reasons = |args: &[&dyn AsRef<OsStr>]| {
        let mut all = vec![&"--key" as &dyn AsRef<OsStr>, &public, &"--signature", &sig];
        all.extend_from_slice(args);
        let (out, report) = verify_json(&model, &all);
        out.expect_code(0);
        report
            .findings
            .iter()
            .flat_map(|f| match f {
                Finding::UnsafeFormat { reasons, fails, .. } => {
                    assert!(!fails);
                    reasons.clone()
                }
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
    };
    let unknown = |r: &[String]| {
        r.iter()
            .filter(|r| r.contains("imports unknown global `mypkg.Model`"))
            .count()
    };
    assert_eq!(unknown(&reasons(&[])), 2);
    assert_eq!(unknown(&reasons(&[&"--allow-global", &"mypkg.Model"])), 0);
    assert_eq!(unknown(&reasons(&[&"--allow-global", &"mypkg.*"])), 0);
    assert_eq!(unknown(&reasons(&[&"--allow-global", &"mypkg.Other"])), 2);
    for bad in ["os.system", "subprocess.*", "builtins.eval", "mypkg"] {
        let out = run(&mut cmd(
            "verify",
            &model,
            &[
                &"--key",
                &public,
                &"--signature",
                &sig,
                &"--allow-global",
                &bad,
            ],
        ));
        out.expect_code(2);
        out.expect_stderr(&[bad]);
    }

    // The hook reads `allow_globals` from `.modelseal.toml`; a dangerous
    // pickle is blocked even with --allow-pickle.
    let config = dir.path().join("modelseal.toml");
    std::fs::write(&config, "allow_globals = [\"mypkg.Model\"]\n").expect("write");
    std::fs::write(model.join("evil.p"), b"cos\nsystem\n(S'true'\ntR.").expect("write");
    let hook = |files: &[&str], extra: &[&str]| {
        let mut command = modelseal();
        command
            .args(["hook", "formats", "--config"])
            .arg(&config)
            .args(extra);
        for f in files {
            command.arg(model.join(f));
        }
        run(&mut command)
    };
    let out = hook(&["clf.model", "clf4.sav"], &["--allow-pickle"]);
    out.expect_code(0);
    assert!(!out.stdout.contains("mypkg.Model"), "{}", out.stdout);
    hook(&["clf.model"], &[]).expect_code(1);
    hook(&["evil.p"], &["--allow-pickle"]).expect_code(1);
    std::fs::write(&config, "allow_globals = [\"os.system\"]\n").expect("write");
    let out = hook(&["clf.model"], &["--allow-pickle"]);
    out.expect_code(2);
    out.expect_stderr(&["os.system", "modelseal.toml"]);
}

/// A `.npy` object array holds a pickle: its globals are listed and gated
/// like any pickle's.
#[test]
fn npy_object_arrays_are_walked_as_pickles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model");
    std::fs::create_dir_all(&model).expect("mkdir");
    python(
        dir.path(),
        r#"
import os, sys, numpy as np
model = os.path.join(sys.argv[1], "model")
class Evil:
    def __reduce__(self):
        return (os.system, ("true",))
np.save(os.path.join(model, "evil.npy"), np.array([Evil(), 1], dtype=object), allow_pickle=True)
np.save(os.path.join(model, "mixed.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
np.save(os.path.join(model, "plain.npy"), np.arange(4, dtype=np.float32))
"#,
    );
    let (out, report) = inspect_json(&model, &[]);
    out.expect_code(1);
    let by_name = |n: &str| {
        report
            .files
            .iter()
            .find(|f| f.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let evil = by_name("evil.npy");
    assert_eq!(
        (evil.format.as_str(), evil.verdict.as_str()),
        ("npy", "unsafe")
    );
    assert_eq!(evil.details["kind"], "npy_object", "{:?}", evil.details);
    assert!(
        listed_globals(&evil.details)
            .contains(&("posix.system".to_owned(), "dangerous".to_owned())),
        "{:?}",
        evil.details
    );
    let mixed = by_name("mixed.npy");
    assert_eq!(mixed.verdict, "unsafe");
    assert!(
        listed_globals(&mixed.details)
            .iter()
            .all(|(_, risk)| risk != "dangerous"),
        "{:?}",
        mixed.details
    );
    assert_eq!(by_name("plain.npy").verdict, "safe");

    let (key, _, _) = keygen(dir.path(), "ed.key", "ed25519");
    let sig = dir.path().join("model.sig");
    let out = sign(&model, &[&"--key", &key, &"--signature", &sig]);
    out.expect_code(1);
    out.expect_stderr(&["`evil.npy`", "`posix.system`"]);
    assert!(!out.stderr.contains("mixed.npy"), "{}", out.stderr);
}

/// A file named `.safetensors` or `.gguf` that does not parse as one is
/// invalid (empty and 7-byte files too), and no gate setting signs it.
/// Regression: these were "unknown" and signed under every setting.
#[test]
fn a_file_named_safetensors_or_gguf_that_is_not_one_is_invalid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, _, _) = keygen(dir.path(), "ed.key", "ed25519");
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.safetensors", b"", "safetensors"),
        (
            "seven.safetensors",
            b"\x01\x02\x03\x04\x05\x06\x07",
            "safetensors",
        ),
        ("pickled.safetensors", b"\x80\x02}q\x00.", "safetensors"),
        ("empty.gguf", b"", "gguf"),
        ("garbage.gguf", b"GGUX\x03\x00\x00\x00garbage", "gguf"),
    ];
    for (name, bytes, format) in cases {
        let model = dir.path().join(name.replace('.', "-"));
        std::fs::create_dir_all(&model).expect("mkdir");
        std::fs::write(model.join("README.md"), b"# m\n").expect("write");
        std::fs::write(model.join(name), bytes).expect("write");
        let (out, report) = inspect_json(&model, &[]);
        out.expect_code(1);
        let file = report
            .files
            .iter()
            .find(|f| f.name == name)
            .expect("listed");
        assert_eq!(
            (file.format.as_str(), file.verdict.as_str()),
            (format, "invalid"),
            "{name}: {file:?}"
        );
        let sig = dir.path().join(format!("{name}.sig"));
        for policy in ["warn", "deny", "allow"] {
            let out = sign(
                &model,
                &[
                    &"--key",
                    &key,
                    &"--signature",
                    &sig,
                    &"--unsafe-formats",
                    &policy,
                ],
            );
            out.expect_code(1);
            out.expect_stderr(&["refusing to sign", name]);
            assert!(!sig.exists(), "{name} signed under {policy}");
        }
    }
}
