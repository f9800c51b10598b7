//! Helpers shared by the integration tests.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

/// The `modelseal` binary under test.
pub fn modelseal() -> Command {
    modelseal_at(Path::new(env!("CARGO_BIN_EXE_modelseal")))
}

/// [`modelseal`] for a copy of the binary at `binary`, in the same
/// environment.
pub fn modelseal_at(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .env_remove("NO_COLOR")
        .env_remove("RAYON_NUM_THREADS")
        .env_remove("MODELSEAL_PASSWORD")
        // Never the user's own digest cache.
        .env(
            "MODELSEAL_CACHE_DIR",
            std::env::temp_dir().join(format!("modelseal-it-cache-{}", std::process::id())),
        );
    command
}

/// The repository's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Copies a fixture model into a fresh temporary directory.
pub fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let to = dir.path().join(name);
    copy_dir(&fixtures().join(name), &to);
    (dir, to)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Output of a finished command, with helpers for assertions.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a command to completion.
pub fn run(command: &mut Command) -> Run {
    let output = command.output().expect("modelseal runs");
    Run {
        code: output.status.code().expect("exited normally (no signal)"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

impl Run {
    /// Asserts the exit code, showing both streams when it differs, and
    /// that nothing panicked.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    /// Asserts that stderr holds every one of `needles`, showing it when
    /// one is missing.
    #[track_caller]
    pub fn expect_stderr(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}:\n{}",
                self.stderr
            );
        }
        self
    }
}

/// Writes a small nested model: two top-level files and a 3000-byte
/// weights file in a subdirectory (three shards of 1000 bytes).
pub fn tiny_model(parent: &Path, name: &str) -> PathBuf {
    let model = parent.join(name);
    std::fs::create_dir_all(model.join("weights")).expect("mkdir");
    std::fs::write(
        model.join("config.json"),
        b"{\"model_type\": \"tiny\", \"hidden_size\": 4}\n",
    )
    .expect("write");
    std::fs::write(
        model.join("tokenizer.json"),
        b"{\"vocab\": [\"a\", \"b\"]}\n",
    )
    .expect("write");
    std::fs::write(model.join("weights/model.safetensors"), tiny_weights(0)).expect("write");
    model
}

/// [`tiny_model`] in `dir`, signed (`MODEL/model.sig`) with a new key pair
/// `dir/key` of `algorithm`: the model, the private and the public key.
pub fn signed_tiny_model(dir: &Path, algorithm: &str) -> (PathBuf, PathBuf, PathBuf) {
    let model = tiny_model(dir, "tiny");
    let (key, public, _) = keygen(dir, "key", algorithm);
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    (model, key, public)
}

/// A real safetensors file (written by the `safetensors` crate) of exactly
/// 3,000 bytes, holding one U8 tensor `w`; another `seed` gives other
/// weights.
pub fn tiny_weights(seed: u32) -> Vec<u8> {
    let file = |len: usize| {
        let data: Vec<u8> = (0..len)
            .map(|i| u8::try_from((i * 7 + seed as usize) % 251).expect("below 251"))
            .collect();
        let view = safetensors::tensor::TensorView::new(safetensors::Dtype::U8, vec![len], &data)
            .expect("tensor view");
        safetensors::serialize([("w", view)], None).expect("serialize")
    };
    // The header's size does not change between two four-digit lengths.
    let overhead = file(3000).len() - 3000;
    let bytes = file(3000 - overhead);
    assert_eq!(bytes.len(), 3000);
    bytes
}

/// `modelseal keygen --out DIR/NAME --algorithm ALG`: the private key path,
/// the public key path and the printed key id.
pub fn keygen(dir: &Path, name: &str, algorithm: &str) -> (PathBuf, PathBuf, String) {
    let out = dir.join(name);
    let run = run(modelseal()
        .args(["keygen", "--algorithm", algorithm, "--out"])
        .arg(&out));
    run.expect_code(0);
    let key_id = run.stdout.trim().to_owned();
    let mut public = out.clone().into_os_string();
    public.push(".pub");
    (out, PathBuf::from(public), key_id)
}

/// `sha256sum` of `bytes` (on its stdin), as hex: computed by coreutils,
/// not by modelseal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write stdin");
    let out = child.wait_with_output().expect("sha256sum exits");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

/// `sha256sum FILE`, as hex.
pub fn sha256sum(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

/// `modelseal verify … --format json`: the run and its parsed report (the
/// report is printed whether or not the model verified).
pub fn verify_json(model: &Path, args: &[&dyn AsRef<OsStr>]) -> (Run, VerifyJson) {
    let out = run(modelseal()
        .arg("verify")
        .arg(model)
        .args(args.iter().map(|a| a.as_ref()))
        .args(["--format", "json"]));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let report = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no report ({e}), exit {}\nstdout: {}\nstderr: {}",
            out.code, out.stdout, out.stderr
        )
    });
    (out, report)
}

/// `modelseal verify --format json` (README, "JSON output"), parsed
/// strictly: a field added or renamed fails the tests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyJson {
    pub kind: String,
    pub version: u32,
    pub verified: bool,
    pub model: String,
    pub signature: String,
    pub signer: SignerJson,
    pub signature_algorithm: String,
    #[serde(deserialize_with = "sha256_object")]
    pub root_digest: String,
    pub serialization: SerializationJson,
    pub findings: Vec<FindingJson>,
    #[serde(rename = "checked_resource_count")]
    pub resources_checked: usize,
    pub bytes_hashed: u64,
    pub elapsed_ms: f64,
    /// Only with `--policy`.
    #[serde(default)]
    pub policy: Option<PolicyJson>,
    /// Only when symbolic links led to the model's bytes.
    #[serde(default)]
    pub links: Option<LinksJson>,
    /// Only when an `--ignore` path matched nothing.
    #[serde(default)]
    pub unused_ignore_paths: Vec<String>,
    #[serde(default)]
    pub unchecked_files: Vec<UncheckedJson>,
    #[serde(rename = "resource_count")]
    pub resources_signed: usize,
    pub partial: bool,
}

/// The `links` object of `verify --format json`.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LinksJson {
    #[serde(default)]
    pub model_target: Option<String>,
    #[serde(default)]
    pub hub_repo: Option<String>,
    pub followed: usize,
}

/// The `policy` object of `verify --policy --format json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyJson {
    pub policy: String,
    #[serde(deserialize_with = "sha256_object")]
    pub policy_digest: String,
    pub attestations_file: String,
    pub evaluated_at: String,
    pub model_signer: String,
    #[serde(deserialize_with = "sha256_object")]
    pub manifest_digest: String,
    pub passed: bool,
    pub rules: Vec<RuleJson>,
    pub attestations: Vec<AttestationJson>,
}

impl PolicyJson {
    /// The rules that failed, by name.
    pub fn failed(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.rule.as_str())
            .collect()
    }

    /// The reason a rule gives.
    pub fn reason(&self, rule: &str) -> &str {
        &self
            .rules
            .iter()
            .find(|r| r.rule == rule)
            .unwrap_or_else(|| panic!("no rule {rule} in {:?}", self.rules))
            .reason
    }
}

/// One rule's outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleJson {
    pub rule: String,
    pub passed: bool,
    pub reason: String,
    pub evidence: Vec<usize>,
}

/// One attestation as `verify --policy` and `attestations` list it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationJson {
    pub line: usize,
    pub predicate: Option<String>,
    pub signer: Option<String>,
    pub role: Option<String>,
    pub attested_at: Option<String>,
    #[serde(deserialize_with = "labelled_object_opt")]
    pub subject_digest: Option<String>,
    /// `None` for a v1 statement (bound to the root digest only).
    #[serde(deserialize_with = "labelled_object_opt")]
    pub manifest_digest: Option<String>,
    #[serde(default)]
    pub predicate_type: Option<String>,
    #[serde(deserialize_with = "labelled_object_opt")]
    pub statement_digest: Option<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub key_algorithm: Option<String>,
    #[serde(default)]
    pub certificate_subject: Option<String>,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    pub summary: Option<String>,
    pub counted_by: Vec<String>,
}

/// `modelseal log --format json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogJson {
    pub kind: String,
    pub version: u32,
    pub model: String,
    /// Bare hex (the object's `digest`).
    #[serde(deserialize_with = "sha256_object")]
    pub root_digest: String,
    #[serde(deserialize_with = "sha256_object")]
    pub manifest_digest: String,
    pub policy: String,
    pub versions: Vec<VersionJson>,
    pub complete: bool,
}

/// One version of `log`, newest first.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionJson {
    pub version: String,
    #[serde(deserialize_with = "sha256_object")]
    pub root_digest: String,
    /// `None` for a v1 statement.
    #[serde(deserialize_with = "sha256_object_opt")]
    pub manifest_digest: Option<String>,
    pub line: usize,
    pub signer: String,
    pub attested_at: String,
    pub change: String,
    #[serde(default)]
    pub base_model: Option<String>,
    pub link: LinkJson,
}

/// How a version links to its parent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkJson {
    pub status: String,
    #[serde(default)]
    pub detail: Option<String>,
}

/// `modelseal attestations --format json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationListJson {
    pub kind: String,
    pub version: u32,
    pub model: String,
    pub attestations_file: String,
    #[serde(deserialize_with = "sha256_object_opt")]
    pub root_digest: Option<String>,
    #[serde(deserialize_with = "sha256_object_opt")]
    pub manifest_digest: Option<String>,
    pub policy: Option<String>,
    pub attestations: Vec<AttestationJson>,
    /// With `--show LINE`: the signed statement, in full (its shape is the
    /// predicate's, pinned by the predicate schemas).
    #[serde(default)]
    pub statement: Option<serde_json::Value>,
}

/// A file whose format was identified but not inspected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncheckedJson {
    pub name: String,
    pub format: String,
    pub reason: String,
}

impl VerifyJson {
    /// The findings' kinds, in report order.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.findings.iter().map(FindingJson::kind).collect()
    }

    /// The key id of a key-method signer.
    pub fn key_id(&self) -> &str {
        match &self.signer {
            SignerJson::Key { key_id, .. } => key_id,
            other => panic!("not a key signer: {other:?}"),
        }
    }
}

/// The OMS `serialization`, as both `sign` and `verify` print it.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SerializationJson {
    pub method: String,
    pub hash_type: String,
    pub shard_size: Option<u64>,
    pub allow_symlinks: bool,
    pub ignore_paths: Vec<String>,
}

/// Who signed.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignerJson {
    Key {
        key_id: String,
        /// Only when the signature's unsigned `publicKey.hint` is not
        /// `key_id` (the hint rule).
        #[serde(default)]
        unmatched_hint: Option<String>,
    },
    Certificate {
        subject: String,
        issuer: String,
        serial: String,
        not_after: String,
        chain_length: usize,
    },
    Sigstore {
        identity: String,
        issuer: String,
        log_index: u64,
        #[serde(default)]
        log_url: Option<String>,
        #[serde(default)]
        integrated_time: Option<String>,
        tsa_times: Vec<String>,
        not_before: String,
        not_after: String,
    },
}

/// One difference between the model and its signature.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FindingJson {
    Modified {
        name: String,
        algorithm: String,
        expected: String,
        actual: String,
        /// Present for safetensors files signed with `--tensors`.
        #[serde(default)]
        tensors: Option<TensorChangesJson>,
    },
    SizeChanged {
        name: String,
        expected_size: u64,
        actual_size: u64,
    },
    Missing {
        name: String,
    },
    Renamed {
        from: String,
        to: String,
    },
    Unsigned {
        name: String,
        fails: bool,
    },
    /// A file named by `verify --only` that the signature does not cover.
    NotSigned {
        name: String,
    },
    InvalidFormat {
        name: String,
        format: String,
        errors: Vec<String>,
    },
    UnsafeFormat {
        name: String,
        format: String,
        reasons: Vec<String>,
        dangerous_globals: Vec<String>,
        fails: bool,
    },
    PathProblem {
        path: String,
        message: String,
    },
}

/// Which tensors of a modified safetensors file changed.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TensorChangesJson {
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl FindingJson {
    /// The `kind` tag.
    pub fn kind(&self) -> &'static str {
        match self {
            FindingJson::Modified { .. } => "modified",
            FindingJson::SizeChanged { .. } => "size_changed",
            FindingJson::Missing { .. } => "missing",
            FindingJson::Renamed { .. } => "renamed",
            FindingJson::Unsigned { .. } => "unsigned",
            FindingJson::NotSigned { .. } => "not_signed",
            FindingJson::InvalidFormat { .. } => "invalid_format",
            FindingJson::UnsafeFormat { .. } => "unsafe_format",
            FindingJson::PathProblem { .. } => "path_problem",
        }
    }

    /// The file (or shard, or path) it is about.
    pub fn name(&self) -> &str {
        match self {
            FindingJson::Modified { name, .. }
            | FindingJson::SizeChanged { name, .. }
            | FindingJson::Missing { name }
            | FindingJson::Unsigned { name, .. }
            | FindingJson::NotSigned { name }
            | FindingJson::InvalidFormat { name, .. }
            | FindingJson::UnsafeFormat { name, .. } => name,
            FindingJson::Renamed { from, .. } => from,
            FindingJson::PathProblem { path, .. } => path,
        }
    }
}

/// The reference tool's executable; panics with a hint when it is missing.
pub fn reference_tool() -> PathBuf {
    let venv = std::env::var_os("MODELSEAL_REFERENCE_VENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oms-reference-venv"));
    let tool = venv.join("bin/model_signing");
    assert!(
        tool.is_file(),
        "the reference OMS tool `{}` is missing: run `bash scripts/reference-tool.sh` \
         (the test command in README does it), or set MODELSEAL_REFERENCE_VENV",
        tool.display()
    );
    tool
}

/// Runs a command, killing it and failing the test if it outlives `limit`.
pub fn run_with_timeout(command: &mut Command, limit: Duration) -> Run {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    Run {
        code: output.status.code().expect("exited normally (no signal)"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// `modelseal sign --format json`, parsed strictly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignJson {
    pub kind: String,
    pub version: u32,
    pub model: String,
    pub signature: String,
    pub key_id: String,
    pub method: String,
    pub serialization: SerializationJson,
    pub root_digest: DigestJson,
    #[serde(rename = "file_count")]
    pub files: usize,
    #[serde(rename = "tensor_file_count")]
    pub tensor_files: usize,
    #[serde(rename = "resource_count")]
    pub resources: usize,
    #[serde(default)]
    pub links: Option<LinksJson>,
    pub bytes: u64,
    pub elapsed_ms: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestJson {
    pub algorithm: String,
    pub digest: String,
}

pub const DEFAULT_IGNORES: [&str; 4] = [".git", ".gitattributes", ".github", ".gitignore"];

/// The signed in-toto statement of a bundle.
pub fn signed_statement(sig: &Path) -> serde_json::Value {
    bundle_statement(&std::fs::read(sig).expect("read"))
}

/// The signed in-toto statement of bundle JSON.
pub fn bundle_statement(bytes: &[u8]) -> serde_json::Value {
    let bundle: serde_json::Value = serde_json::from_slice(bytes).expect("bundle JSON");
    let payload = base64::engine::general_purpose::STANDARD
        .decode(
            bundle["dsseEnvelope"]["payload"]
                .as_str()
                .expect("a DSSE payload"),
        )
        .expect("base64");
    serde_json::from_slice(&payload).expect("statement JSON")
}

/// A standalone digest in the JSON contract: `{"algorithm": "sha256",
/// "digest": HEX}` (version 2); read as its hex, after checking the
/// algorithm and that no other field is there.
pub fn sha256_object<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let digest = DigestJson::deserialize(d)?;
    if digest.algorithm != "sha256" {
        return Err(serde::de::Error::custom(format!(
            "a root digest is sha256, not {}",
            digest.algorithm
        )));
    }
    Ok(digest.digest)
}

/// An optional standalone digest, read as `ALGORITHM:HEX`.
pub fn labelled_object_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<DigestJson>::deserialize(d)?.map(|j| format!("{}:{}", j.algorithm, j.digest)))
}

/// A standalone digest, read as `ALGORITHM:HEX`.
pub fn sha256_object_labelled<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let j = DigestJson::deserialize(d)?;
    Ok(format!("{}:{}", j.algorithm, j.digest))
}

/// [`sha256_object`], or `null`.
pub fn sha256_object_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "sha256_object")] String);
    Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
}
