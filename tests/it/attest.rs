//! Attestations, roles and the trust policy, as a model's lifecycle: a
//! custodian records a public dataset, a developer fine-tunes a base model
//! and signs v1 with lineage, a tester attests, an operator verifies with
//! the policy; v2 is retrained without a new test (fails), then tested
//! (passes). Then each way a policy must refuse: a revoked key, an expired
//! exception, a dataset without provenance, an attestation bound to another
//! model, a forged role, a tampered line, an untrusted model signer.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::support::{
    AttestationJson, AttestationListJson, LogJson, PolicyJson, Run, bundle_statement, keygen,
    modelseal, reference_tool, run, tiny_model, verify_json,
};

/// Keys and a policy in a temporary directory.
struct World {
    dir: tempfile::TempDir,
}

const PEOPLE: [&str; 6] = ["dev", "cust", "tess", "tom", "op", "eve"];

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in PEOPLE {
            keygen(dir.path(), name, "ed25519");
        }
        Self { dir }
    }

    fn key(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a policy: dev developer, cust data-custodian, tess and tom
    /// testers, op system-operator (eve is nobody), then `extra`.
    fn policy(&self, name: &str, extra: &str) -> PathBuf {
        let mut text = String::from("version = 1\n");
        for (signer, role) in [
            ("dev", "developer"),
            ("cust", "data-custodian"),
            ("tess", "tester"),
            ("tom", "tester"),
            ("op", "system-operator"),
        ] {
            text.push_str(&format!(
                "[[signers]]\nname = \"{signer}\"\nkey = \"{signer}.pub\"\nroles = [\"{role}\"]\n"
            ));
        }
        text.push_str(extra);
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write policy");
        path
    }

    /// `modelseal attest KIND MODEL --key WHO ARGS… --format json`.
    fn attest(&self, kind: &str, model: &Path, who: &str, args: &[&str]) -> AttestJson {
        let out = run(modelseal()
            .args(["attest", kind])
            .arg(model)
            .arg("--key")
            .arg(self.key(who))
            .args(args)
            .args(["--format", "json"]));
        out.expect_code(0);
        serde_json::from_str(&out.stdout).expect("attest JSON")
    }
}

const ALL_RULES: &str = r#"
[rules.model_signature]
roles = ["developer"]
[rules.lineage]
roles = ["developer"]
[rules.datasets]
roles = ["data-custodian"]
[rules.tests]
roles = ["tester"]
[rules.retraining]
[rules.unsafe_formats]
roles = ["developer", "system-operator"]
"#;

/// `modelseal attest --format json`, strictly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttestJson {
    kind: String,
    version: u32,
    model: String,
    attestations: String,
    line: usize,
    predicate_type: String,
    role: String,
    subject_name: String,
    #[serde(deserialize_with = "crate::support::sha256_object_labelled")]
    subject_digest: String,
    #[serde(deserialize_with = "crate::support::sha256_object")]
    manifest_digest: String,
    bound_to_signature: Option<String>,
    key_id: String,
}

/// `modelseal sign MODEL --key dev EXTRA…`: the root digest.
fn sign(world: &World, model: &Path, extra: &[&str]) -> String {
    sign_as(world, model, "dev", extra)
}

/// `modelseal sign MODEL --key WHO EXTRA…`: the root digest.
fn sign_as(world: &World, model: &Path, who: &str, extra: &[&str]) -> String {
    let out = run(modelseal()
        .arg("sign")
        .arg(model)
        .arg("--key")
        .arg(world.key(who))
        .args(extra)
        .args(["--format", "json"]));
    out.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("sign JSON");
    json["root_digest"]["digest"]
        .as_str()
        .expect("root digest")
        .to_owned()
}

fn verify_policy(model: &Path, policy: &Path) -> (i32, PolicyJson) {
    let (out, report) = verify_json(model, &[&"--policy", &policy]);
    let policy = report
        .policy
        .unwrap_or_else(|| panic!("no policy section: {}", out.stdout));
    assert_eq!(
        out.code,
        i32::from(!policy.passed || !report.verified),
        "{}",
        out.stdout
    );
    (out.code, policy)
}

/// `modelseal verify MODEL --policy POLICY EXTRA…`, in text.
fn verify_text(model: &Path, policy: &Path, extra: &[&str]) -> Run {
    run(modelseal()
        .arg("verify")
        .arg(model)
        .arg("--policy")
        .arg(policy)
        .args(extra))
}

fn attestation_lines(model: &Path) -> Vec<String> {
    std::fs::read_to_string(model.join("model.att.jsonl"))
        .expect("attestations file")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Writes model weights: a safetensors file of a pattern seeded by `seed`.
fn retrain(model: &Path, seed: u32) {
    std::fs::write(
        model.join("weights/model.safetensors"),
        crate::support::tiny_weights(seed),
    )
    .expect("write");
}

#[test]
fn lifecycle_v1_then_retrained_v2() {
    let w = World::new();
    let work = w.dir.path();
    // The custodian downloads a public dataset.
    std::fs::create_dir(work.join("data")).expect("mkdir");
    std::fs::write(work.join("data/wiki.txt"), "public text\n").expect("write");
    // The developer fine-tunes a base model.
    let base = tiny_model(work, "base");
    let base_hash = run(modelseal()
        .arg("hash")
        .arg(&base)
        .args(["--format", "json"]));
    base_hash.expect_code(0);
    let base_root: serde_json::Value = serde_json::from_str(&base_hash.stdout).expect("JSON");
    let base_root = base_root["root_digest"]["digest"]
        .as_str()
        .expect("base root")
        .to_owned();
    let model = tiny_model(work, "model");
    retrain(&model, 11);
    let v1 = sign(&w, &model, &[]);

    let data = work.join("data/wiki.txt");
    let dataset = w.attest(
        "dataset",
        &model,
        "cust",
        &[
            "--name",
            "wiki",
            "--source",
            "https://example.org/wiki/dump.txt",
            "--path",
            data.to_str().expect("utf-8"),
            "--license",
            "CC-BY-SA-4.0",
        ],
    );
    assert_eq!(
        (
            dataset.kind.as_str(),
            dataset.version,
            dataset.line,
            dataset.role.as_str()
        ),
        ("attest", 2, 1, "data-custodian")
    );
    assert_eq!(dataset.subject_digest, format!("sha256:{v1}"));
    assert_eq!(dataset.subject_name, "model");
    assert!(dataset.bound_to_signature.is_some());
    assert!(dataset.predicate_type.ends_with("/dataset-provenance/v2"));
    // Bound to the manifest too (issue 13, finding 3): not the root digest.
    assert_eq!(dataset.manifest_digest.len(), 64);
    assert_ne!(dataset.manifest_digest, v1);
    assert!(dataset.attestations.ends_with("model.att.jsonl"));
    assert_eq!(dataset.model, model.display().to_string());
    assert_eq!(dataset.key_id.len(), 64);

    let base_digest = format!("sha256:{base_root}");
    w.attest(
        "lineage",
        &model,
        "dev",
        &[
            "--model-version",
            "1.0",
            "--base-model",
            "tiny-base",
            "--base-model-source",
            "https://example.org/models/tiny-base",
            "--base-model-digest",
            &base_digest,
            "--change",
            "fine-tuned on wiki",
            "--dataset",
            "wiki",
        ],
    );
    std::fs::write(work.join("report.html"), "<p>no injection found</p>").expect("write");
    let report = work.join("report.html");
    let test_args = [
        "--name",
        "garak 0.9 prompt injection",
        "--result",
        "pass",
        "--report",
        report.to_str().expect("utf-8"),
        "--tester",
        "Tess",
    ];
    w.attest("test", &model, "tess", &test_args);

    // The operator verifies with the policy: it passes.
    let policy = w.policy("policy.toml", ALL_RULES);
    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!(code, 0, "{outcome:?}");
    let rules: Vec<&str> = outcome.rules.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "model-signature",
            "attestations",
            "lineage",
            "datasets",
            "tests",
            "retraining",
            "unsafe-formats"
        ]
    );
    assert_eq!(outcome.model_signer, "dev");
    assert!(outcome.policy.ends_with("policy.toml"));
    assert!(outcome.attestations_file.ends_with("model.att.jsonl"));
    assert!(
        outcome.evaluated_at.ends_with('Z'),
        "{}",
        outcome.evaluated_at
    );
    // Non-empty: `all` holds on nothing.
    assert!(!outcome.attestations.is_empty());
    assert!(
        outcome
            .attestations
            .iter()
            .all(|a| a.status == "accepted" && a.reason.is_none())
    );
    let first = &outcome.attestations[0];
    assert_eq!(
        (
            first.predicate.as_deref(),
            first.role.as_deref(),
            first.signer.as_deref()
        ),
        (
            Some("dataset-provenance"),
            Some("data-custodian"),
            Some("cust")
        )
    );
    assert_eq!(first.subject_digest, Some(format!("sha256:{v1}")));
    assert!(
        first
            .attested_at
            .as_deref()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let summary = first.summary.as_deref().expect("summary");
    assert!(
        summary.starts_with("wiki from https://example.org/wiki/dump.txt (retrieved "),
        "{summary}"
    );
    assert_eq!(outcome.rules[3].evidence, [1]);

    // v2: retrained, re-signed, new provenance and lineage, no new test.
    retrain(&model, 13);
    let out = run(modelseal()
        .args(["attest", "test"])
        .arg(&model)
        .arg("--key")
        .arg(w.key("tess"))
        .args(test_args));
    out.expect_code(2);
    out.expect_stderr(&["differs from its signature"]);
    let v2 = sign(&w, &model, &["--force"]);
    assert_ne!(v1, v2);
    w.attest(
        "dataset",
        &model,
        "cust",
        &[
            "--name",
            "wiki",
            "--source",
            "https://example.org/wiki/dump.txt",
            "--path",
            data.to_str().expect("utf-8"),
        ],
    );
    w.attest(
        "lineage",
        &model,
        "dev",
        &[
            "--model-version",
            "2.0",
            "--parent-version",
            "1.0",
            "--change",
            "retrained on new data",
            "--dataset",
            "wiki",
        ],
    );
    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!(code, 1);
    assert_eq!(outcome.failed(), ["tests", "retraining"]);
    assert!(
        outcome.reason("retraining").contains(
            "version 2.0 differs from parent 1.0 but no passing test is bound to its root digest"
        ),
        "{}",
        outcome.reason("retraining")
    );
    // The v1 test is there, but about v1.
    assert!(
        outcome
            .reason("tests")
            .contains(&format!("bound to sha256:{v1}"))
    );

    // The tester tests v2: it passes.
    w.attest("test", &model, "tess", &test_args);
    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!(code, 0, "{:?}", outcome.failed());
    assert_eq!(outcome.attestations.len(), 6);
    let other: Vec<usize> = outcome
        .attestations
        .iter()
        .filter(|a| a.status == "other-model")
        .map(|a| a.line)
        .collect();
    assert_eq!(other, [1, 2, 3], "v1's statements are history now");

    // The history, link by link.
    let out = run(modelseal()
        .arg("log")
        .arg(&model)
        .arg("--policy")
        .arg(&policy)
        .args(["--format", "json"]));
    out.expect_code(0);
    let log: LogJson = serde_json::from_str(&out.stdout).expect("log JSON");
    assert!(log.complete);
    assert_eq!((log.kind.as_str(), log.version), ("log", 2));
    assert_eq!(log.model, model.display().to_string());
    assert_eq!(log.policy, policy.display().to_string());
    // The chain starts at the verified signature's digests.
    assert_eq!(log.root_digest, v2);
    assert_eq!(
        log.versions[0].manifest_digest.as_deref(),
        Some(log.manifest_digest.as_str())
    );
    let versions: Vec<(&str, &str, &str)> = log
        .versions
        .iter()
        .map(|v| {
            (
                v.version.as_str(),
                v.root_digest.as_str(),
                v.link.status.as_str(),
            )
        })
        .collect();
    // Bare hex beside `algorithm`, as every standalone digest.
    let (r1, r2) = (v1.clone(), v2.clone());
    assert_eq!(
        versions,
        [
            ("2.0", r2.as_str(), "verified"),
            ("1.0", r1.as_str(), "first-version")
        ]
    );
    let changes: Vec<(&str, &str)> = log
        .versions
        .iter()
        .map(|v| (v.signer.as_str(), v.change.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("dev", "retrained on new data"),
            ("dev", "fine-tuned on wiki")
        ]
    );
    // v2's lineage was written after v1's; sound links carry no detail.
    assert!(log.versions[0].line > log.versions[1].line);
    assert!(
        log.versions
            .iter()
            .all(|v| v.link.detail.is_none() && v.attested_at.ends_with('Z'))
    );
    assert!(
        log.versions[1]
            .base_model
            .as_deref()
            .expect("base")
            .contains(&base_root)
    );

    // The evidence report.
    let out = run(modelseal()
        .arg("report")
        .arg(&model)
        .arg("--policy")
        .arg(&policy)
        .args(["--format", "json"]));
    out.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("report JSON");
    let status = |id: &str| -> String {
        report["provisions"]
            .as_array()
            .expect("provisions")
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["status"].as_str().expect("status").to_owned())
            .unwrap_or_else(|| panic!("no provision {id}"))
    };
    for id in ["5.2.4-1.2", "5.2.1-2", "5.4.1-2", "5.2.4-1"] {
        assert_eq!(status(id), "met", "{id}: {report}");
    }
    // No pickle or uninspected file: nothing for 5.2.3-2 to cover.
    assert_eq!(status("5.2.3-2, 5.2.3-2.1, 5.2.3-2.2"), "not-applicable");
    // The dataset was attested with the default licence (`unknown`) and
    // no --retrieved-at: placeholders, so partial, each named.
    assert_eq!(status("5.2.4-2, 5.2.4-2.1"), "partial");
    let missing = report["provisions"]
        .as_array()
        .expect("provisions")
        .iter()
        .find(|p| p["id"] == "5.2.4-2, 5.2.4-2.1")
        .map(|p| p["missing"].clone())
        .expect("provision");
    assert_eq!(
        missing,
        serde_json::json!([
            "line 4: dataset `wiki`: licence `unknown` is a placeholder",
            "line 4: dataset `wiki`: retrieval time is the local copy's file time, not a declared time"
        ])
    );
    assert_eq!(status("5.5.1-1, 5.5.1-2"), "missing");
    let md = run(modelseal()
        .arg("report")
        .arg(&model)
        .arg("--policy")
        .arg(&policy));
    md.expect_code(0);
    assert!(md.stdout.contains("| 5.2.4-2, 5.2.4-2.1 | source (e.g. URL) and retrieval time of public training data | partial |"), "{}", md.stdout);
    assert!(md.stdout.contains("https://example.org/wiki/dump.txt"));

    // A policy that revokes the tester: v2's test no longer counts.
    let revoked = w.policy(
        "revoked.toml",
        &format!("{ALL_RULES}\n[[revocations]]\nsigner = \"tess\"\nreason = \"key leaked\"\n"),
    );
    let (code, outcome) = verify_policy(&model, &revoked);
    assert_eq!(code, 1);
    assert_eq!(outcome.failed(), ["tests", "retraining"]);
    assert!(
        outcome
            .reason("tests")
            .contains("signer `tess` is revoked: key leaked"),
        "{}",
        outcome.reason("tests")
    );
    let tess_lines: Vec<&AttestationJson> = outcome
        .attestations
        .iter()
        .filter(|a| a.signer.as_deref() == Some("tess"))
        .collect();
    assert!(!tess_lines.is_empty(), "the tester's lines are listed");
    assert!(tess_lines.iter().all(|a| a.status == "signer-not-valid"));

    // A policy that revokes the developer: no history is shown for a model
    // its signer can no longer vouch for.
    let dev_revoked = w.policy(
        "dev-revoked.toml",
        "[[revocations]]\nsigner = \"dev\"\nreason = \"left\"\n",
    );
    let out = run(modelseal()
        .arg("log")
        .arg(&model)
        .arg("--policy")
        .arg(&dev_revoked));
    out.expect_code(1);
    out.expect_stderr(&["signer `dev` is revoked: left"]);

    // The same report for an auditor who has only the evidence: the
    // attestations list, unverified without a policy.
    let out = run(modelseal()
        .arg("attestations")
        .arg(&model)
        .args(["--format", "json"]));
    out.expect_code(0);
    let list: AttestationListJson = serde_json::from_str(&out.stdout).expect("list JSON");
    assert_eq!(list.kind, "attestations");
    assert!(list.policy.is_none());
    assert!(!list.attestations.is_empty(), "{list:?}");
    assert!(list.attestations.iter().all(|a| a.status == "unverified"));
}

#[test]
fn each_refusal_names_its_reason() {
    let w = World::new();
    let work = w.dir.path();

    // A dataset the lineage names without provenance.
    let model = tiny_model(work, "no-provenance");
    sign(&w, &model, &[]);
    let digest = format!("sha256:{}", "ab".repeat(32));
    w.attest(
        "lineage",
        &model,
        "dev",
        &[
            "--model-version",
            "1",
            "--change",
            "first",
            "--dataset",
            &format!("scraped={digest}"),
        ],
    );
    let policy = w.policy(
        "datasets.toml",
        "[rules.datasets]\nroles = [\"data-custodian\"]\n",
    );
    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!((code, outcome.failed()), (1, vec!["datasets"]));
    assert!(
        outcome
            .reason("datasets")
            .contains(&format!("`scraped` {digest} has provenance from 0"))
    );

    // A forged role: the developer records a dataset claiming to be its custodian.
    w.attest(
        "dataset",
        &model,
        "dev",
        &[
            "--role",
            "data-custodian",
            "--name",
            "scraped",
            "--source",
            "https://example.org/",
            "--path",
            model.join("config.json").to_str().expect("utf-8"),
        ],
    );
    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!(code, 1);
    assert!(outcome.failed().contains(&"attestations"));
    assert!(
        outcome.reason("attestations").contains(
            "line 2: role-not-held: claims role data-custodian but signer `dev` holds developer"
        ),
        "{}",
        outcome.reason("attestations")
    );
    let out = run(modelseal()
        .arg("attestations")
        .arg(&model)
        .arg("--policy")
        .arg(&policy));
    out.expect_code(1);
    assert!(out.stdout.contains("role-not-held"), "{}", out.stdout);

    // An attestation copied from another model.
    let a = tiny_model(work, "a");
    let b = tiny_model(work, "b");
    retrain(&b, 17);
    sign(&w, &a, &[]);
    sign(&w, &b, &[]);
    let report = work.join("report.txt");
    std::fs::write(&report, "ok").expect("write");
    let test = [
        "--name",
        "suite",
        "--result",
        "pass",
        "--report",
        report.to_str().expect("utf-8"),
        "--tester",
        "Tess",
    ];
    w.attest("test", &a, "tess", &test);
    std::fs::copy(a.join("model.att.jsonl"), b.join("model.att.jsonl")).expect("copy");
    let tests = w.policy("tests.toml", "[rules.tests]\n");
    assert_eq!(verify_policy(&a, &tests).0, 0);
    let (code, outcome) = verify_policy(&b, &tests);
    assert_eq!((code, outcome.failed()), (1, vec!["tests"]));
    assert_eq!(outcome.attestations[0].status, "other-model");
    assert!(
        outcome
            .reason("tests")
            .contains("not this model's root digest")
    );

    // k of n: two distinct testers.
    let two = w.policy("two.toml", "[rules.tests]\nthreshold = 2\n");
    w.attest("test", &a, "tess", &test);
    assert_eq!(verify_policy(&a, &two).1.failed(), ["tests"]);
    w.attest("test", &a, "tom", &test);
    assert_eq!(verify_policy(&a, &two).0, 0);

    // An unknown signer is listed and ignored; a tampered line fails.
    w.attest("test", &a, "eve", &test);
    let (code, outcome) = verify_policy(&a, &two);
    assert_eq!(code, 0);
    assert_eq!(
        outcome.attestations.last().expect("eve").status,
        "untrusted-signer"
    );
    let mut lines = attestation_lines(&a);
    // The same statement with one signature character changed.
    let at = lines[0].find("\"sig\":\"").expect("a signature") + 7;
    let mut tampered = lines[0].clone().into_bytes();
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("utf-8");
    lines.push(tampered);
    std::fs::write(a.join("model.att.jsonl"), lines.join("\n") + "\n").expect("write");
    let (code, outcome) = verify_policy(&a, &two);
    assert_eq!(code, 1);
    assert!(
        outcome.reason("attestations").contains("bad-signature"),
        "{}",
        outcome.reason("attestations")
    );

    // An expired exception for a pickle file, then a valid one.
    let pickled = tiny_model(work, "pickled");
    // protocol 2: {} (EMPTY_DICT), memoised, STOP: a pickle built from opcodes.
    std::fs::write(pickled.join("legacy.pkl"), b"\x80\x02}q\x00.").expect("write");
    sign(&w, &pickled, &[]);
    let risk = work.join("risk.md");
    std::fs::write(&risk, "risk assessment").expect("write");
    let exception = |expires: &str| {
        w.attest(
            "exception",
            &pickled,
            "op",
            &[
                "--role",
                "system-operator",
                "--component",
                "legacy.pkl",
                "--justification",
                "no safetensors export",
                "--risk-assessment",
                risk.to_str().expect("utf-8"),
                "--mitigation",
                "loaded in a sandbox",
                "--approver",
                "CISO",
                "--expires",
                expires,
            ],
        );
    };
    let formats = w.policy(
        "formats.toml",
        "[rules.unsafe_formats]\nroles = [\"system-operator\"]\n",
    );
    let (code, outcome) = verify_policy(&pickled, &formats);
    assert_eq!((code, outcome.failed()), (1, vec!["unsafe-formats"]));
    assert!(
        outcome
            .reason("unsafe-formats")
            .contains("`legacy.pkl` is pickle-based and no exception")
    );
    // `--unsafe-formats allow` does not hide the file from the policy.
    let (out, report) = verify_json(
        &pickled,
        &[&"--policy", &formats, &"--unsafe-formats", &"allow"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(report.policy.expect("policy").failed(), ["unsafe-formats"]);
    exception("2020-01-01T00:00:00Z");
    let (code, outcome) = verify_policy(&pickled, &formats);
    assert_eq!(code, 1);
    assert!(
        outcome
            .reason("unsafe-formats")
            .contains("its exception expired at 2020-01-01T00:00:00Z")
    );
    exception("2999-01-01T00:00:00Z");
    assert_eq!(verify_policy(&pickled, &formats).0, 0);
    // A pickle importing a dangerous global fails `verify` by default, but
    // an exception under [rules.unsafe_formats] covers it (`deny` still
    // fails it); the rule's allow_globals cannot name a dangerous global.
    let dangerous = tiny_model(work, "dangerous");
    std::fs::write(dangerous.join("evil.pkl"), b"cos\nsystem\n(S'true'\ntR.").expect("write");
    sign(&w, &dangerous, &["--unsafe-formats", "allow"]);
    let trust_only = w.policy("trust-only.toml", "");
    let (code, _) = verify_policy(&dangerous, &trust_only);
    assert_eq!(code, 1, "a dangerous pickle fails without a rule");
    let (code, outcome) = verify_policy(&dangerous, &formats);
    assert_eq!((code, outcome.failed()), (1, vec!["unsafe-formats"]));
    w.attest(
        "exception",
        &dangerous,
        "op",
        &[
            "--role",
            "system-operator",
            "--component",
            "evil.pkl",
            "--justification",
            "red-team fixture",
            "--risk-assessment",
            risk.to_str().expect("utf-8"),
            "--mitigation",
            "never loaded",
            "--approver",
            "CISO",
            "--expires",
            "2999-01-01T00:00:00Z",
        ],
    );
    assert_eq!(verify_policy(&dangerous, &formats).0, 0);
    let (out, _) = verify_json(
        &dangerous,
        &[&"--policy", &formats, &"--unsafe-formats", &"deny"],
    );
    assert_eq!(out.code, 1);
    let allowing = w.policy(
        "allowing.toml",
        "[rules.unsafe_formats]\nroles = [\"system-operator\"]\nallow_globals = [\"mypkg.Model\"]\n",
    );
    assert_eq!(verify_policy(&dangerous, &allowing).0, 0);
    let admitting = w.policy(
        "admitting.toml",
        "[rules.unsafe_formats]\nroles = [\"system-operator\"]\nallow_globals = [\"os.system\"]\n",
    );
    let out = verify_text(&dangerous, &admitting, &[]);
    out.expect_code(2);
    out.expect_stderr(&["allow_globals", "`os.system` is rated dangerous"]);
    let malformed = w.policy(
        "malformed.toml",
        "[rules.unsafe_formats]\nroles = [\"system-operator\"]\nallow_globals = [\"not a name\"]\n",
    );
    let out = verify_text(&dangerous, &malformed, &[]);
    out.expect_code(2);
    out.expect_stderr(&["`not a name` is not MODULE.NAME"]);
    // Partial verification would not see the pickle: refused, not passed.
    let out = verify_text(&pickled, &formats, &["--only", "config.json"]);
    out.expect_code(2);
    out.expect_stderr(&["--only cannot be combined"]);

    // A model signed by a key the policy does not list.
    let foreign = tiny_model(work, "foreign");
    sign_as(&w, &foreign, "eve", &[]);
    let out = verify_text(&foreign, &tests, &[]);
    out.expect_code(1);
    out.expect_stderr(&["is not trusted by the policy: signed by key"]);

    // A model signed by a key the policy lists without the developer role.
    let by_tester = tiny_model(work, "by-tester");
    sign_as(&w, &by_tester, "tess", &[]);
    let signature = w.policy(
        "signature.toml",
        "[rules.model_signature]\nroles = [\"developer\"]\n",
    );
    let (code, outcome) = verify_policy(&by_tester, &signature);
    assert_eq!((code, outcome.failed()), (1, vec!["model-signature"]));
    assert!(
        outcome
            .reason("model-signature")
            .contains("signed by `tess`, who holds tester but not developer")
    );
    // Without that rule, verify and the report agree that it passes (the
    // report evaluates its other rules for information only).
    let no_rules = w.policy("no-rules.toml", "");
    assert_eq!(verify_policy(&by_tester, &no_rules).0, 0);
    let out = run(modelseal()
        .arg("report")
        .arg(&by_tester)
        .arg("--policy")
        .arg(&no_rules)
        .args(["--format", "json"]));
    out.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("report JSON");
    assert_eq!(report["policy_passed"], true);
    let failures: Vec<&serde_json::Value> = report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["passed"] == false)
        .collect();
    // Some rules fail here (the policy configures few), none of them
    // enforced: `all` over an empty set would prove nothing.
    assert!(!failures.is_empty(), "{report}");
    assert!(failures.iter().all(|r| r["enforced"] == false), "{report}");
}

#[test]
fn bad_policies_and_predicates_exit_2_with_the_file_named() {
    let w = World::new();
    let model = tiny_model(w.dir.path(), "m");
    sign(&w, &model, &[]);
    let policy = w.policy("bad.toml", "[rules.tests]\nthreshold = 0\n");
    let out = verify_text(&model, &policy, &[]);
    out.expect_code(2);
    out.expect_stderr(&["bad.toml", "threshold must be at least 1"]);

    let predicate = w.dir.path().join("p.json");
    std::fs::write(
        &predicate,
        r#"{"version": "1", "change": "x", "surprise": true}"#,
    )
    .expect("write");
    let out = run(modelseal()
        .args(["attest", "file"])
        .arg(&model)
        .arg("--key")
        .arg(w.key("dev"))
        .args(["--type", "lineage", "--predicate"])
        .arg(&predicate));
    out.expect_code(2);
    out.expect_stderr(&["p.json", "surprise"]);
    assert!(
        !model.join("model.att.jsonl").exists(),
        "nothing appended on failure"
    );
    let policy = w.policy(
        "threshold.toml",
        "[rules.model_signature]\nroles = [\"developer\"]\nthreshold = 2\n",
    );
    let out = verify_text(&model, &policy, &[]);
    out.expect_code(2);
    out.expect_stderr(&["[rules.model_signature] takes no threshold"]);

    // A role in the file and a different --role: refused, not guessed.
    let tested = w.dir.path().join("t.json");
    std::fs::write(&tested, format!(
        r#"{{"role": "tester", "test": {{"name": "n", "kind": "evaluation"}}, "result": "pass", "report": {{"uri": "r", "digest": {{"sha256": "{}"}}}}, "tester": "t", "performedAt": "2026-11-01T00:00:00Z"}}"#,
        "ab".repeat(32)
    )).expect("write");
    let out = run(modelseal()
        .args(["attest", "file"])
        .arg(&model)
        .arg("--key")
        .arg(w.key("tess"))
        .args([
            "--role",
            "developer",
            "--type",
            "security-test",
            "--predicate",
        ])
        .arg(&tested));
    out.expect_code(2);
    out.expect_stderr(&["says role `tester` but --role says `developer`"]);
    // Without a role anywhere, the type's usual one: tester.
    let untagged = w.dir.path().join("u.json");
    std::fs::write(
        &untagged,
        std::fs::read_to_string(&tested)
            .expect("read")
            .replace(r#""role": "tester", "#, ""),
    )
    .expect("write");
    let made = w.attest(
        "file",
        &model,
        "tess",
        &[
            "--type",
            "security-test",
            "--predicate",
            untagged.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(made.role, "tester");

    let out = run(modelseal()
        .args(["attest", "exception"])
        .arg(&model)
        .arg("--key")
        .arg(w.key("dev"))
        .args([
            "--component",
            "../outside",
            "--justification",
            "j",
            "--risk-assessment",
        ])
        .arg(model.join("config.json"))
        .args([
            "--mitigation",
            "m",
            "--approver",
            "a",
            "--expires",
            "2030-01-01T00:00:00Z",
        ]));
    out.expect_code(2);
    out.expect_stderr(&["component `../outside`"]);

    let out = run(modelseal()
        .args(["attest", "test"])
        .arg(&model)
        .arg("--key")
        .arg(w.key("tess"))
        .args(["--name", "n", "--result", "great", "--report"])
        .arg(model.join("config.json"))
        .args(["--tester", "t"]));
    out.expect_code(2);
    out.expect_stderr(&["--result: `great`"]);
}

/// Predicates written by `modelseal attest` (from flags and from a TOML
/// file) validate against the JSON Schemas published in docs/attestations.
#[test]
fn predicates_match_their_published_schemas() {
    let w = World::new();
    let model = tiny_model(w.dir.path(), "m");
    std::fs::write(model.join("legacy.pkl"), b"\x80\x02}q\x00.").expect("write");
    sign(&w, &model, &[]);
    let doc = model.join("config.json");
    let doc = doc.to_str().expect("utf-8");
    w.attest(
        "dataset",
        &model,
        "cust",
        &[
            "--name",
            "d",
            "--source",
            "https://example.org/d",
            "--path",
            doc,
            "--usage",
            "pre-training",
            "--usage",
            "evaluation",
        ],
    );
    w.attest(
        "lineage",
        &model,
        "dev",
        &[
            "--model-version",
            "1",
            "--change",
            "first",
            "--dataset",
            "d",
            "--base-model",
            "b",
            "--base-model-source",
            "https://example.org/b",
            "--base-model-digest",
            &format!("sha256:{}", "cd".repeat(32)),
        ],
    );
    w.attest(
        "test",
        &model,
        "tess",
        &[
            "--name",
            "n",
            "--kind",
            "red-team",
            "--result",
            "inconclusive",
            "--report",
            doc,
            "--report-uri",
            "https://example.org/r",
            "--tester",
            "t",
            "--performed-at",
            "2026-11-26T10:30:00+01:00",
        ],
    );
    w.attest(
        "exception",
        &model,
        "op",
        &[
            "--role",
            "system-operator",
            "--component",
            "legacy.pkl",
            "--justification",
            "j",
            "--risk-assessment",
            doc,
            "--mitigation",
            "m1",
            "--mitigation",
            "m2",
            "--approver",
            "a",
            "--expires",
            "2030-01-01T00:00:00Z",
        ],
    );
    let toml = w.dir.path().join("lineage.toml");
    std::fs::write(&toml, "version = \"2\"\nchange = \"from TOML\"\n[parent]\nversion = \"1\"\nrootDigest = { sha256 = \"".to_owned() + &"ef".repeat(32) + "\" }\n").expect("write");
    w.attest(
        "file",
        &model,
        "dev",
        &[
            "--type",
            "lineage",
            "--predicate",
            toml.to_str().expect("utf-8"),
        ],
    );

    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/attestations/schemas");
    let python = reference_tool().parent().expect("venv bin").join("python");
    let lines = attestation_lines(&model);
    assert_eq!(lines.len(), 5);
    let mut kinds = Vec::new();
    for line in &lines {
        let statement = bundle_statement(line.as_bytes());
        let kind = statement["predicateType"]
            .as_str()
            .expect("type")
            .trim_end_matches("/v2")
            .rsplit('/')
            .next()
            .expect("name")
            .to_owned();
        let schema = schemas.join(format!("{kind}.v2.schema.json"));
        let out = run(std::process::Command::new(&python)
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 jsonschema.Draft202012Validator.check_schema(schema)\n\
                 v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())\n\
                 errors = [e.message for e in v.iter_errors(json.loads(sys.argv[2]))]\n\
                 print('; '.join(errors)); sys.exit(1 if errors else 0)",
            ])
            .arg(&schema)
            .arg(statement["predicate"].to_string()));
        assert_eq!(out.code, 0, "{kind}: {}{}", out.stdout, out.stderr);
        kinds.push(kind);
    }
    assert_eq!(
        kinds,
        [
            "dataset-provenance",
            "lineage",
            "security-test",
            "exception",
            "lineage"
        ]
    );
}

/// A policy signer identified by certificate: roots plus the leaf's exact
/// subject, for the model signature and for an attestation alike.
#[test]
fn certificate_identities_sign_and_attest() {
    let w = World::new();
    let chain = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/modelseal-oms/tests/data/chain");
    let model = tiny_model(w.dir.path(), "m");
    let out = run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(chain.join("p521-leaf.key"))
        .arg("--cert")
        .arg(chain.join("p521-leaf.pem"))
        .arg("--cert-chain")
        .arg(chain.join("p521-intermediate.pem")));
    out.expect_code(0);
    let report = w.dir.path().join("report.txt");
    std::fs::write(&report, "ok").expect("write");
    let out = run(modelseal()
        .args(["attest", "test"])
        .arg(&model)
        .arg("--key")
        .arg(chain.join("p521-leaf.key"))
        .arg("--cert")
        .arg(chain.join("p521-leaf.pem"))
        .arg("--cert-chain")
        .arg(chain.join("p521-intermediate.pem"))
        .args([
            "--role", "tester", "--name", "n", "--result", "pass", "--report",
        ])
        .arg(&report)
        .args(["--tester", "ci"]));
    out.expect_code(0);
    let root = chain.join("rsa-root.pem");
    let identity = |subject: &str, roles: &str| {
        format!(
            "[[signers]]\nname = \"release-ci\"\nroots = \"{}\"\nsubject = \"{subject}\"\nroles = [{roles}]\n\
             [rules.model_signature]\nroles = [\"developer\"]\n[rules.tests]\n",
            root.display()
        )
    };
    let policy = w.policy(
        "ci.toml",
        &identity(
            "CN=model signer,O=modelseal test",
            "\"developer\", \"tester\"",
        ),
    );
    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!(code, 0, "{:?}", outcome.rules);
    assert_eq!(outcome.model_signer, "release-ci");
    assert_eq!(
        outcome.attestations[0].signer.as_deref(),
        Some("release-ci")
    );

    // The same roots with another subject trust nobody here.
    let other = w.policy(
        "other.toml",
        &identity("CN=someone else,O=modelseal test", "\"developer\""),
    );
    let out = verify_text(&model, &other, &[]);
    out.expect_code(1);
    out.expect_stderr(&["certificate `CN=model signer,O=modelseal test`"]);
}

/// The attestations file sits in a directory anyone may have shipped: a
/// symbolic link there must not redirect an append, nor hide from verify.
#[test]
fn an_attestations_file_that_is_a_link_is_refused() {
    let w = World::new();
    let model = tiny_model(w.dir.path(), "m");
    sign(&w, &model, &[]);
    let victim = w.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").expect("write");
    std::os::unix::fs::symlink(&victim, model.join("model.att.jsonl")).expect("symlink");
    let report = model.join("config.json");
    let out = run(modelseal()
        .args(["attest", "test"])
        .arg(&model)
        .arg("--key")
        .arg(w.key("tess"))
        .args(["--name", "n", "--result", "pass", "--report"])
        .arg(&report)
        .args(["--tester", "t"]));
    out.expect_code(2);
    out.expect_stderr(&["symbolic link"]);
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "precious\n"
    );
    let public = w.dir.path().join("dev.pub");
    let (out, verified) = verify_json(&model, &[&"--key", &public]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(verified.kinds(), ["path_problem"]);
    let out = run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(w.key("dev"))
        .arg("--force"));
    out.expect_code(2);
    out.expect_stderr(&["refusing to sign", "symbolic link"]);
}

/// Re-signs attestations-file lines as their signers' v1 statements: the
/// same statement without `manifestDigest`, of the v1 predicate type, as
/// modelseal wrote them before statements were bound to the manifest.
fn downgrade_to_v1(w: &World, model: &Path, signers: &[&str]) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let lines: Vec<String> = attestation_lines(model)
        .iter()
        .zip(signers)
        .map(|(line, who)| {
            let mut bundle: serde_json::Value = serde_json::from_str(line).expect("bundle");
            let mut statement = bundle_statement(line.as_bytes());
            statement["predicate"]
                .as_object_mut()
                .expect("predicate")
                .remove("manifestDigest")
                .expect("a v2 statement");
            let v1 = statement["predicateType"]
                .as_str()
                .expect("type")
                .replace("/v2", "/v1");
            statement["predicateType"] = v1.into();
            let payload = serde_json::to_vec(&statement).expect("json");
            let payload_type = bundle["dsseEnvelope"]["payloadType"]
                .as_str()
                .expect("payload type")
                .to_owned();
            let mut pae = format!(
                "DSSEv1 {} {payload_type} {} ",
                payload_type.len(),
                payload.len()
            )
            .into_bytes();
            pae.extend_from_slice(&payload);
            let key = modelseal::load_signing_key(&w.key(who), None).expect("key");
            bundle["dsseEnvelope"]["payload"] = b64.encode(&payload).into();
            bundle["dsseEnvelope"]["signatures"][0]["sig"] = b64.encode(key.sign(&pae)).into();
            serde_json::to_string(&bundle).expect("json")
        })
        .collect();
    std::fs::write(model.join("model.att.jsonl"), lines.join("\n") + "\n").expect("write");
}

/// Issue 13, finding 3: v1 attestations (bound to the root digest only)
/// stay readable. They are listed as `root-only`, count for no rule (the
/// reason names the upgrade), fail nothing by themselves, and `log` lists
/// them but calls the history incomplete until the version is re-attested.
#[test]
fn v1_attestations_are_listed_as_root_only_and_count_for_no_rule() {
    let w = World::new();
    let model = tiny_model(w.dir.path(), "m");
    sign(&w, &model, &[]);
    let report = model.join("config.json");
    let report = report.to_str().expect("utf-8");
    let lineage = ["--model-version", "1.0", "--change", "first release"];
    let test = [
        "--name", "n", "--result", "pass", "--report", report, "--tester", "t",
    ];
    w.attest("lineage", &model, "dev", &lineage);
    w.attest("test", &model, "tess", &test);
    downgrade_to_v1(&w, &model, &["dev", "tess"]);
    let policy = w.policy(
        "policy.toml",
        "[rules.lineage]\nroles = [\"developer\"]\n[rules.tests]\n",
    );

    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!(code, 1);
    assert_eq!(outcome.failed(), ["lineage", "tests"]);
    let statuses: Vec<(&str, Option<&str>)> = outcome
        .attestations
        .iter()
        .map(|a| (a.status.as_str(), a.manifest_digest.as_deref()))
        .collect();
    assert_eq!(statuses, [("root-only", None), ("root-only", None)]);
    let reason = outcome.reason("tests");
    assert!(
        reason.contains("a v1 statement (https://modelseal.dev/attestation/security-test/v1)")
            && reason.contains("re-attest with `modelseal attest`"),
        "{reason}"
    );
    assert!(
        outcome
            .reason("attestations")
            .contains("v1 statements bound to the root digest only on lines 1, 2"),
        "{}",
        outcome.reason("attestations")
    );

    // Listed, with or without a policy.
    let out = run(modelseal()
        .arg("attestations")
        .arg(&model)
        .arg("--policy")
        .arg(&policy));
    out.expect_code(0);
    assert!(out.stdout.contains("root-only"), "{}", out.stdout);
    let out = run(modelseal().arg("attestations").arg(&model));
    out.expect_code(0);
    assert!(out.stdout.contains("unverified"), "{}", out.stdout);

    // `log` lists the v1 version and wants it re-attested.
    let log = |code: i32| -> LogJson {
        let out = run(modelseal()
            .arg("log")
            .arg(&model)
            .arg("--policy")
            .arg(&policy)
            .args(["--format", "json"]));
        out.expect_code(code);
        serde_json::from_str(&out.stdout).expect("log JSON")
    };
    let history = log(1);
    assert!(!history.complete);
    assert_eq!(history.versions[0].version, "1.0");
    assert!(history.versions[0].manifest_digest.is_none());

    // Re-attested, the model passes again.
    w.attest("lineage", &model, "dev", &lineage);
    w.attest("test", &model, "tess", &test);
    let (code, outcome) = verify_policy(&model, &policy);
    assert_eq!(code, 0, "{:?}", outcome.rules);
    let history = log(0);
    assert!(history.complete);
    assert_eq!(
        history.versions[0].manifest_digest.as_deref(),
        Some(outcome.manifest_digest.as_str())
    );
}
