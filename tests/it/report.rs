//! The ETSI evidence report as an auditor reads it: the demo scenario
//! (README's Quick start) checked field by field against values the test
//! computes itself, the same model tampered, and the places a report used
//! to claim more than `verify` showed.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use crate::support::{
    AttestationJson, AttestationListJson, FindingJson, SignerJson, UncheckedJson, VersionJson,
    copy_fixture, keygen, modelseal, run, sha256_object, sha256sum, verify_json,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportJson {
    kind: String,
    version: u32,
    tool: ToolJson,
    standard: StandardJson,
    model: String,
    policy: PolicyRefJson,
    evaluated_at: String,
    signature: String,
    signer: SignerJson,
    model_signer: String,
    #[serde(deserialize_with = "sha256_object")]
    root_digest: String,
    #[serde(deserialize_with = "sha256_object")]
    manifest_digest: String,
    verified: bool,
    model_verified: bool,
    policy_passed: bool,
    findings: Vec<FindingJson>,
    unchecked_files: Vec<UncheckedJson>,
    provisions: Vec<ProvisionJson>,
    rules: Vec<ReportRuleJson>,
    attestations: Vec<AttestationJson>,
    history: Vec<VersionJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolJson {
    name: String,
    version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StandardJson {
    name: String,
    edition: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyRefJson {
    path: String,
    #[serde(deserialize_with = "sha256_object")]
    digest: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvisionJson {
    id: String,
    title: String,
    status: String,
    evidence: Vec<EvidenceJson>,
    missing: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceJson {
    kind: String,
    #[serde(default)]
    line: Option<usize>,
    text: String,
    #[serde(default)]
    signer: Option<String>,
    #[serde(default)]
    key_id: Option<String>,
    #[serde(default)]
    key_algorithm: Option<String>,
    #[serde(default)]
    certificate_subject: Option<String>,
    #[serde(default, deserialize_with = "crate::support::labelled_object_opt")]
    statement_digest: Option<String>,
    #[serde(default)]
    predicate_type: Option<String>,
    #[serde(default)]
    predicate: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRuleJson {
    rule: String,
    passed: bool,
    reason: String,
    evidence: Vec<usize>,
    enforced: bool,
}

impl ReportJson {
    fn provision(&self, id: &str) -> &ProvisionJson {
        self.provisions
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no provision {id}"))
    }

    fn statuses(&self) -> Vec<(&str, &str)> {
        self.provisions
            .iter()
            .map(|p| (p.id.as_str(), p.status.as_str()))
            .collect()
    }
}

/// The demo scenario: keys, a signed copy of the example model, dataset
/// provenance, lineage, a passing test, the demo's policy.
struct Demo {
    dir: tempfile::TempDir,
    model: PathBuf,
    policy: PathBuf,
    key_ids: [(String, String); 3],
    data: PathBuf,
    test_report: PathBuf,
}

const POLICY: &str = r#"version = 1
[[signers]]
name = "publisher"
key = "publisher.key.pub"
roles = ["developer"]
[[signers]]
name = "custodian"
key = "custodian.key.pub"
roles = ["data-custodian"]
[[signers]]
name = "tester"
key = "tester.key.pub"
roles = ["tester"]
[rules.model_signature]
roles = ["developer"]
[rules.lineage]
roles = ["developer"]
[rules.datasets]
roles = ["data-custodian"]
[rules.tests]
[rules.retraining]
[rules.unsafe_formats]
roles = ["developer"]
"#;

impl Demo {
    fn new(policy: &str) -> Self {
        let (dir, model) = copy_fixture("example-model");
        // Two algorithms, so a report that named one for all would fail.
        let key_ids = ["publisher", "custodian", "tester"].map(|who| {
            let algorithm = if who == "custodian" {
                "ed25519"
            } else {
                "p256"
            };
            let (_, _, id) = keygen(dir.path(), &format!("{who}.key"), algorithm);
            (who.to_owned(), id)
        });
        let demo = Self {
            model,
            policy: dir.path().join("policy.toml"),
            data: dir.path().join("demo-data.txt"),
            test_report: dir.path().join("report.html"),
            key_ids,
            dir,
        };
        std::fs::write(&demo.policy, policy).expect("policy");
        std::fs::write(&demo.data, "public text the model was fine-tuned on\n").expect("data");
        std::fs::write(&demo.test_report, "<p>no findings</p>\n").expect("report");
        demo.ms(&[
            "sign",
            &demo.path(&demo.model),
            "--key",
            &demo.key("publisher"),
        ]);
        demo.ms(&[
            "attest",
            "dataset",
            &demo.path(&demo.model),
            "--key",
            &demo.key("custodian"),
            "--name",
            "demo-data",
            "--source",
            "https://example.org/demo-data.txt",
            "--path",
            &demo.path(&demo.data),
            "--license",
            "CC-BY-4.0",
            "--retrieved-at",
            "2026-11-30T09:00:00Z",
        ]);
        let data_digest = format!("demo-data=sha256:{}", sha256sum(&demo.data));
        demo.ms(&[
            "attest",
            "lineage",
            &demo.path(&demo.model),
            "--key",
            &demo.key("publisher"),
            "--model-version",
            "1.0",
            "--change",
            "fine-tuned on demo-data",
            "--dataset",
            &data_digest,
        ]);
        demo.attest_test("prompt-injection suite", "pass");
        demo
    }

    fn path(&self, p: &Path) -> String {
        p.to_str().expect("utf-8 path").to_owned()
    }

    fn key(&self, who: &str) -> String {
        self.path(&self.dir.path().join(format!("{who}.key")))
    }

    /// The key algorithm `Demo::new` gave a signer.
    fn algorithm(who: &str) -> &'static str {
        if who == "custodian" {
            "ed25519"
        } else {
            "p256"
        }
    }

    fn key_id(&self, who: &str) -> &str {
        &self
            .key_ids
            .iter()
            .find(|(w, _)| w == who)
            .expect("signer")
            .1
    }

    fn ms(&self, args: &[&str]) {
        run(modelseal().args(args)).expect_code(0);
    }

    /// Re-signs the model with the publisher's key (`--force`), `extra`
    /// appended.
    fn resign(&self, extra: &[&str]) {
        let (model, key) = (self.path(&self.model), self.key("publisher"));
        let mut args = vec!["sign", &model, "--key", &key, "--force"];
        args.extend_from_slice(extra);
        self.ms(&args);
    }

    /// A security test by the tester.
    fn attest_test(&self, name: &str, result: &str) {
        let (model, key, report) = (
            self.path(&self.model),
            self.key("tester"),
            self.path(&self.test_report),
        );
        self.ms(&[
            "attest",
            "test",
            &model,
            "--key",
            &key,
            "--name",
            name,
            "--result",
            result,
            "--report",
            &report,
            "--tester",
            "demo tester",
        ]);
    }

    fn report(&self, expect: i32) -> ReportJson {
        let out = run(modelseal()
            .arg("report")
            .arg(&self.model)
            .arg("--policy")
            .arg(&self.policy)
            .args(["--format", "json"]));
        out.expect_code(expect);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("report JSON: {e}\n{}", out.stdout))
    }

    fn markdown(&self, expect: i32) -> String {
        let out = run(modelseal()
            .arg("report")
            .arg(&self.model)
            .arg("--policy")
            .arg(&self.policy));
        out.expect_code(expect);
        out.stdout
    }

    /// Each attestations-file line's statement: its SHA-256 (of the exact
    /// DSSE payload bytes) and its JSON.
    fn statements(&self) -> Vec<(String, serde_json::Value)> {
        let text = std::fs::read_to_string(self.model.join("model.att.jsonl")).expect("att");
        text.lines()
            .map(|line| {
                let bundle: serde_json::Value = serde_json::from_str(line).expect("bundle");
                let payload = base64::engine::general_purpose::STANDARD
                    .decode(bundle["dsseEnvelope"]["payload"].as_str().expect("payload"))
                    .expect("base64");
                (
                    crate::support::sha256_hex(&payload),
                    serde_json::from_slice(&payload).expect("statement"),
                )
            })
            .collect()
    }
}

// The auditor's view of the demo scenario: every field traced to what the
// test computes on its own (key ids from keygen, statement digests from the
// attestations file's bytes, the policy digest from the policy file, the
// root digest from the signature), every provision's exact status, evidence
// lines and gaps; then the Markdown against the committed golden report.
#[test]
fn auditor_golden_report_for_the_demo_scenario() {
    let demo = Demo::new(POLICY);
    let r = demo.report(0);
    let statements = demo.statements();
    let signature = std::fs::read(demo.model.join("model.sig")).expect("sig");
    let signed = crate::support::bundle_statement(&signature);
    let root = signed["subject"][0]["digest"]["sha256"]
        .as_str()
        .expect("root");
    assert_eq!(
        (
            r.kind.as_str(),
            r.version,
            r.tool.name.as_str(),
            r.tool.version.as_str()
        ),
        ("report", 2, "modelseal", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        (r.standard.name.as_str(), r.standard.edition.as_str()),
        ("ETSI EN 304 223", "V2.1.1 (2025-12)")
    );
    assert_eq!(r.policy.digest, sha256sum(&demo.policy));
    assert_eq!(r.policy.path, demo.path(&demo.policy));
    assert_eq!(r.model, demo.path(&demo.model));
    assert_eq!(r.signature, demo.path(&demo.model.join("model.sig")));
    assert_eq!(r.root_digest, root);
    // Every attestation carries the manifest digest it is bound to.
    for (_, statement) in &statements {
        assert_eq!(
            statement["predicate"]["manifestDigest"]["sha256"].as_str(),
            Some(r.manifest_digest.as_str()),
            "{statement}"
        );
        assert_eq!(
            statement["subject"][0]["digest"]["sha256"].as_str(),
            Some(root)
        );
    }
    match &r.signer {
        SignerJson::Key { key_id, .. } => assert_eq!(key_id, demo.key_id("publisher")),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.model_signer, "publisher");
    assert!(r.verified && r.model_verified && r.policy_passed);
    assert!(r.findings.is_empty() && r.unchecked_files.is_empty());
    assert!(!r.evaluated_at.is_empty());
    // The same verdict as verify.
    let (_, v) = verify_json(&demo.model, &[&"--policy", &demo.policy]);
    assert_eq!(v.verified, r.verified);
    assert_eq!(v.policy.as_ref().map(|p| p.passed), Some(r.policy_passed));
    assert_eq!(
        v.policy.as_ref().map(|p| p.policy_digest.as_str()),
        Some(r.policy.digest.as_str())
    );

    // Attestations: signer, key id, statement digest, the rules counting it.
    let expected = [
        (1, "dataset-provenance", "custodian", vec!["datasets"]),
        (2, "lineage", "publisher", vec!["lineage", "retraining"]),
        (3, "security-test", "tester", vec!["tests"]),
    ];
    assert_eq!(r.attestations.len(), expected.len());
    for ((line, kind, who, counted), a) in expected.iter().zip(&r.attestations) {
        assert_eq!(a.line, *line);
        assert_eq!(a.predicate.as_deref(), Some(*kind));
        assert_eq!(a.signer.as_deref(), Some(*who));
        assert_eq!(a.key_id.as_deref(), Some(demo.key_id(who)));
        assert_eq!(a.key_algorithm.as_deref(), Some(Demo::algorithm(who)));
        assert_eq!(a.status, "accepted");
        assert_eq!(
            a.statement_digest.as_deref(),
            Some(format!("sha256:{}", statements[line - 1].0).as_str())
        );
        assert_eq!(&a.counted_by, counted);
        assert_eq!(
            a.predicate_type.as_deref(),
            statements[line - 1].1["predicateType"].as_str()
        );
        assert_eq!(a.certificate_subject, None);
    }

    // Provisions, exactly.
    assert_eq!(
        r.statuses(),
        [
            ("5.2.4-1.2", "met"),
            ("5.2.1-2", "met"),
            ("5.2.4-2, 5.2.4-2.1", "met"),
            ("5.4.1-2", "met"),
            ("5.2.3-2, 5.2.3-2.1, 5.2.3-2.2", "not-applicable"),
            ("5.2.4-1", "met"),
            ("5.2.1-1", "met"),
            ("5.2.1-3, 5.2.1-3.1", "partial"),
            ("5.5.1-1, 5.5.1-2", "missing"),
        ]
    );
    let lines = |id: &str| -> Vec<Option<usize>> {
        r.provision(id).evidence.iter().map(|e| e.line).collect()
    };
    assert_eq!(lines("5.2.4-1.2"), [None]);
    assert_eq!(lines("5.2.1-2"), [None, Some(2)]);
    assert_eq!(lines("5.2.4-2, 5.2.4-2.1"), [Some(1)]);
    assert_eq!(lines("5.4.1-2"), [Some(2), Some(3)]);
    assert_eq!(lines("5.2.4-1"), [Some(2)]);
    for p in &r.provisions[..6] {
        assert!(p.missing.is_empty(), "{}: {:?}", p.id, p.missing);
        assert!(!p.title.is_empty());
    }
    // The model signature evidence names the key and both digests.
    let sig = &r.provision("5.2.4-1.2").evidence[0];
    assert_eq!(sig.kind, "model-signature");
    assert_eq!(sig.key_id.as_deref(), Some(demo.key_id("publisher")));
    assert_eq!(sig.key_algorithm.as_deref(), Some("p256"));
    assert!(sig.text.contains(root) && sig.text.contains(&r.manifest_digest));
    assert!(sig.certificate_subject.is_none());
    // Each attestation item carries its signed predicate in full: the
    // dataset's source, licence, declared retrieval time and the digest of
    // the data file; the test's report digest.
    for e in r.provisions.iter().flat_map(|p| &p.evidence) {
        if let Some(line) = e.line {
            assert_eq!(
                e.statement_digest.as_deref(),
                Some(format!("sha256:{}", statements[line - 1].0).as_str()),
                "{}",
                e.text
            );
            if e.kind == "attestation" {
                assert_eq!(
                    e.predicate.as_ref(),
                    Some(&statements[line - 1].1["predicate"])
                );
                assert_eq!(
                    e.predicate_type.as_deref(),
                    statements[line - 1].1["predicateType"].as_str()
                );
                assert!(e.signer.is_some() && e.key_id.is_some());
                let who = e.signer.as_deref().expect("signer");
                assert_eq!(e.key_algorithm.as_deref(), Some(Demo::algorithm(who)));
            }
        }
    }
    let dataset = &r.provision("5.2.4-2, 5.2.4-2.1").evidence[0]
        .predicate
        .as_ref()
        .expect("predicate")["datasets"][0];
    assert_eq!(dataset["sourceUri"], "https://example.org/demo-data.txt");
    assert_eq!(dataset["license"], "CC-BY-4.0");
    assert_eq!(dataset["retrievedAt"], "2026-11-30T09:00:00Z");
    assert_eq!(dataset["retrievedAtBasis"], "declared");
    assert_eq!(dataset["digest"]["sha256"], sha256sum(&demo.data).as_str());
    let test = r.provision("5.4.1-2").evidence[1]
        .predicate
        .as_ref()
        .expect("predicate");
    assert_eq!(
        test["report"]["digest"]["sha256"],
        sha256sum(&demo.test_report).as_str()
    );
    // Every rule is configured by the demo's policy, and passes.
    assert!(
        r.rules.iter().all(|x| x.enforced && x.passed),
        "{:?}",
        r.rules
    );
    assert_eq!(
        r.rules
            .iter()
            .find(|x| x.rule == "tests")
            .map(|x| x.evidence.clone()),
        Some(vec![3])
    );
    assert!(r.rules.iter().all(|x| !x.reason.is_empty()));
    assert_eq!(r.history.len(), 1);

    // The Markdown, with what changes from run to run replaced.
    let md = golden_text(&demo.markdown(0), &demo);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/golden/demo-report.md");
    if std::env::var_os("MODELSEAL_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &md).expect("write golden");
    }
    let expected = std::fs::read_to_string(&golden).expect("golden report");
    assert_eq!(md, expected, "the report differs from {}", golden.display());
}

/// The Markdown with the temporary folder, hex digests and times replaced
/// by placeholders (key ids by the signer's name).
fn golden_text(md: &str, demo: &Demo) -> String {
    let mut text = md.replace(&demo.path(demo.dir.path()), "<TMP>");
    // Markdown escapes `-` in paths.
    text = text.replace(&demo.path(demo.dir.path()).replace('-', "\\-"), "<TMP>");
    for (who, id) in &demo.key_ids {
        text = text.replace(id, &format!("<KEY:{who}>"));
    }
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if hex == 64 {
            out.push_str("<SHA256>");
            i += 64;
            continue;
        }
        // 2026\-12\-03T14:12:32Z (escaped) or 2026-12-03T14:12:32Z.
        let rest = &text[i..];
        let time_len = time_at(rest);
        if time_len > 0 {
            out.push_str("<TIME>");
            i += time_len;
            continue;
        }
        let c = rest.chars().next().expect("char");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The length of an RFC 3339 UTC time (Markdown-escaped or not) at the
/// start of `s`, or 0.
fn time_at(s: &str) -> usize {
    let shape = "dddd-dd-ddTdd:dd:ddZ";
    let mut si = s.char_indices().peekable();
    for want in shape.chars() {
        if want == '-' && s[si.peek().map_or(s.len(), |(i, _)| *i)..].starts_with('\\') {
            si.next();
        }
        match si.next() {
            Some((_, c)) if want == 'd' && c.is_ascii_digit() => {}
            Some((_, c)) if want != 'd' && c == want => {}
            _ => return 0,
        }
    }
    si.peek().map_or(s.len(), |(i, _)| *i)
}

// The same scenario with config.json changed after signing: the report
// agrees with verify (exit 1, `verified` false, `policy.passed` as verify
// has it), 5.2.4-1.2 fails naming the file, and no provision is "met".
#[test]
fn the_report_on_a_tampered_model_agrees_with_verify() {
    let demo = Demo::new(POLICY);
    std::fs::write(
        demo.model.join("config.json"),
        "{\"architectures\": [\"Backdoored\"]}\n",
    )
    .expect("tamper");
    let r = demo.report(1);
    let (out, v) = verify_json(&demo.model, &[&"--policy", &demo.policy]);
    out.expect_code(1);
    assert!(!r.verified && !v.verified && !r.model_verified);
    assert_eq!(v.policy.as_ref().map(|p| p.passed), Some(r.policy_passed));
    let hashes = r.provision("5.2.4-1.2");
    assert_eq!(hashes.status, "failed");
    assert_eq!(hashes.missing, ["modified: config.json"]);
    assert_eq!(r.provision("5.2.1-2").status, "failed");
    assert!(
        r.provisions.iter().all(|p| p.status != "met"),
        "{:?}",
        r.statuses()
    );
    assert!(
        r.provision("5.2.4-2, 5.2.4-2.1")
            .missing
            .iter()
            .any(|m| m.contains("do not match the signed manifest")),
        "{:?}",
        r.provision("5.2.4-2, 5.2.4-2.1").missing
    );
    let md = demo.markdown(1);
    assert!(
        md.contains("- Verdict (as `modelseal verify --policy`): **FAILED**"),
        "{md}"
    );
    assert!(
        md.contains("- Files match the signature: **no**: modified: config.json"),
        "{md}"
    );
    // Every enforced rule passes: the header says so, not "some fail".
    assert!(
        md.contains("- Rules the policy enforces: 7 of 7 pass\n"),
        "{md}"
    );
}

// Under a policy without [rules.unsafe_formats], a signed pickle importing
// os.system fails verify; the report must fail too (it once evaluated its
// own unsafe-formats rule, which switched the finding off).
#[test]
fn a_dangerous_pickle_fails_the_report_as_it_fails_verify() {
    let policy = POLICY.replace("[rules.unsafe_formats]\nroles = [\"developer\"]\n", "");
    let demo = Demo::new(&policy);
    // protocol 4: os.system('id')
    std::fs::write(
        demo.model.join("extra.pkl"),
        b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x02id\x85R.",
    )
    .expect("pickle");
    demo.resign(&["--unsafe-formats", "allow"]);
    let (out, v) = verify_json(&demo.model, &[&"--policy", &demo.policy]);
    out.expect_code(1);
    let r = demo.report(1);
    assert_eq!((r.verified, r.model_verified), (v.verified, false));
    assert_eq!(r.provision("5.2.4-1.2").status, "failed");
    assert!(
        r.provision("5.2.4-1.2")
            .missing
            .iter()
            .any(|m| m.contains("extra.pkl")),
        "{:?}",
        r.provision("5.2.4-1.2").missing
    );
}

// Formats that are identified but not inspected (ONNX here) make 5.2.3-2
// partial, naming the file; they are listed by verify too.
#[test]
fn unchecked_formats_are_not_met() {
    let demo = Demo::new(POLICY);
    // An ONNX ModelProto starts with field 1 (ir_version), a varint.
    std::fs::write(
        demo.model.join("model.onnx"),
        b"\x08\x07\x12\x04test\x1a\x030.1",
    )
    .expect("onnx");
    demo.resign(&[]);
    // Re-attest the lineage and test for the new manifest.
    let r = demo.report(1);
    let p = r.provision("5.2.3-2, 5.2.3-2.1, 5.2.3-2.2");
    assert_eq!(p.status, "partial", "{p:?}");
    assert!(
        p.missing
            .iter()
            .any(|m| m.starts_with("not checked: `model.onnx` (onnx)")),
        "{:?}",
        p.missing
    );
    assert_eq!(r.unchecked_files.len(), 1);
    let (_, v) = verify_json(
        &demo.model,
        &[&"--key", &format!("{}.pub", demo.key("publisher"))],
    );
    assert_eq!(
        v.unchecked_files
            .iter()
            .map(|u| (u.name.as_str(), u.format.as_str()))
            .collect::<Vec<_>>(),
        [("model.onnx", "onnx")]
    );
    assert!(v.unchecked_files[0].reason.contains("not inspected"));
}

// 5.2.1-3 is met by a verified copy of the signed state in a known-good
// store, partial without one, and partial again when the store's copy is
// tampered with.
#[test]
fn the_known_good_provision_needs_a_verified_stored_copy() {
    let demo = Demo::new(POLICY);
    let store = demo.dir.path().join("store");
    let (model, policy, store_s) = (
        demo.path(&demo.model),
        demo.path(&demo.policy),
        demo.path(&store),
    );
    demo.ms(&[
        "store", "add", &model, "--store", &store_s, "--policy", &policy, "--tag", "demo:1.0",
    ]);
    let report = |code: i32| -> ReportJson {
        let out = run(modelseal()
            .arg("report")
            .arg(&demo.model)
            .arg("--policy")
            .arg(&demo.policy)
            .arg("--store")
            .arg(&store)
            .args(["--format", "json"]));
        out.expect_code(code);
        serde_json::from_str(&out.stdout).expect("report JSON")
    };
    let r = report(0);
    let p = r.provision("5.2.1-3, 5.2.1-3.1");
    assert_eq!(p.status, "met", "{p:?}");
    assert!(
        p.evidence
            .iter()
            .any(|e| e.text.starts_with("stored as demo:1.0 in")),
        "{:?}",
        p.evidence
    );
    // Without the store: partial, saying what to give.
    let p = demo.report(0);
    let p = p.provision("5.2.1-3, 5.2.1-3.1");
    assert_eq!(p.status, "partial");
    assert!(p.missing[0].contains("--store DIR"), "{:?}", p.missing);
    // A tampered stored copy is no known good state.
    let blob = store
        .join("blobs/sha256")
        .join(crate::support::sha256sum(&demo.model.join("config.json")));
    std::fs::write(&blob, b"{}").expect("tamper");
    let r = report(0);
    let p = r.provision("5.2.1-3, 5.2.1-3.1");
    assert_eq!(p.status, "partial", "{p:?}");
    assert!(
        p.missing[0].contains("holds no verified copy"),
        "{:?}",
        p.missing
    );
}

// 5.2.1-1 is met by the inventory with accepted dependencies only: a
// re-signed model whose lineage and provenance name the old manifest has
// an inventory, and nothing accepted saying what it depends on.
#[test]
fn the_inventory_provision_needs_accepted_dependencies() {
    let demo = Demo::new(POLICY);
    std::fs::write(demo.model.join("notes.md"), b"# changed\n").expect("change");
    demo.resign(&[]);
    let r = demo.report(1);
    let p = r.provision("5.2.1-1");
    assert_eq!(p.status, "partial", "{p:?}");
    assert!(
        p.missing
            .iter()
            .any(|m| m.starts_with("no accepted lineage or dataset-provenance statement")),
        "{:?}",
        p.missing
    );
    assert!(
        p.evidence.iter().any(|e| e
            .text
            .starts_with("6 components with their SHA-256 digests")),
        "{:?}",
        p.evidence
    );
}

// A trusted failing security test fails 5.4.1-2 and verify's tests rule.
#[test]
fn a_trusted_failing_test_fails_5_4_1_2_and_verify() {
    let demo = Demo::new(POLICY);
    demo.attest_test("jailbreak suite", "fail");
    let (out, v) = verify_json(&demo.model, &[&"--policy", &demo.policy]);
    out.expect_code(1);
    let policy = v.policy.expect("policy");
    assert!(
        policy
            .reason("tests")
            .contains("line 4: test `jailbreak suite` failed (by `tester`)"),
        "{}",
        policy.reason("tests")
    );
    let r = demo.report(1);
    assert_eq!(r.provision("5.4.1-2").status, "failed");
    assert!(r.model_verified && !r.policy_passed);
}

// `attestations --show N` prints one attestation with its signed statement
// in full (what the report's line numbers point at); a line that does not
// exist is a usage error (exit 2).
#[test]
fn attestations_show_prints_one_full_statement() {
    let demo = Demo::new(POLICY);
    let statements = demo.statements();
    let show = |line: &str, format: &str| {
        run(modelseal()
            .arg("attestations")
            .arg(&demo.model)
            .arg("--policy")
            .arg(&demo.policy)
            .args(["--show", line, "--format", format]))
    };
    let out = show("1", "json");
    out.expect_code(0);
    let list: AttestationListJson = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!((list.kind.as_str(), list.version), ("attestations", 2));
    assert_eq!(list.model, demo.model.display().to_string());
    assert_eq!(
        list.attestations_file,
        demo.model.join("model.att.jsonl").display().to_string()
    );
    // The signed model's digests, as `hash` computes them.
    let hashed = run(modelseal()
        .arg("hash")
        .arg(&demo.model)
        .args(["--format", "json"]));
    hashed.expect_code(0);
    let hashed: serde_json::Value = serde_json::from_str(&hashed.stdout).expect("hash JSON");
    assert_eq!(
        list.root_digest.as_deref(),
        hashed["root_digest"]["digest"].as_str()
    );
    assert!(list.manifest_digest.as_ref().is_some_and(|d| d.len() == 64));
    assert_eq!(list.attestations.len(), 1);
    assert_eq!(list.attestations[0].line, 1);
    assert_eq!(list.statement.as_ref(), Some(&statements[0].1));
    assert_eq!(
        list.attestations[0].statement_digest,
        Some(format!("sha256:{}", statements[0].0))
    );
    let text = show("1", "text");
    text.expect_code(0);
    for needle in [
        "signed statement:",
        "\"license\": \"CC-BY-4.0\"",
        "\"retrievedAt\": \"2026-11-30T09:00:00Z\"",
        &format!("statement digest  sha256:{}", statements[0].0),
        &format!("key id            {}", demo.key_id("custodian")),
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }
    let missing = show("99", "text");
    missing.expect_code(2);
    assert!(
        missing.stderr.contains("no attestation on line 99"),
        "{}",
        missing.stderr
    );
}

// A newline in an attested field (a test name) is shown escaped in text
// output, so it cannot print a forged row in `attestations` or a forged
// rule line in `verify`.
#[test]
fn newlines_in_attested_fields_cannot_forge_rows() {
    let demo = Demo::new(POLICY);
    let forged = "x\n     9  lineage            accepted         developer       publisher";
    demo.attest_test(forged, "fail");
    let list = run(modelseal()
        .arg("attestations")
        .arg(&demo.model)
        .arg("--policy")
        .arg(&demo.policy));
    list.expect_code(0);
    let verify = run(modelseal()
        .arg("verify")
        .arg(&demo.model)
        .arg("--policy")
        .arg(&demo.policy));
    verify.expect_code(1);
    for out in [&list.stdout, &verify.stdout] {
        assert!(
            !out.lines().any(|l| l.starts_with("     9  lineage")),
            "{out}"
        );
        assert!(out.contains("x\\n     9  lineage"), "{out}");
    }
}

// Revoking the only developer: the policy still loads, verify fails
// (exit 1, not 2) at the model-signature rule, and the report shows it.
#[test]
fn revoking_the_only_developer_fails_verification_with_a_report() {
    let policy = format!(
        "{POLICY}[[revocations]]\nsigner = \"publisher\"\nreason = \"key left the company\"\n"
    );
    let demo = Demo::new(&policy);
    let (out, v) = verify_json(&demo.model, &[&"--policy", &demo.policy]);
    out.expect_code(1);
    let p = v.policy.expect("policy evaluated");
    assert!(p.failed().contains(&"model-signature"), "{:?}", p.failed());
    assert!(
        p.reason("model-signature").contains("revoked"),
        "{}",
        p.reason("model-signature")
    );
    let r = demo.report(1);
    assert_eq!(r.provision("5.2.4-1.2").status, "failed");
    assert!(r.model_verified && !r.policy_passed);
}

// `report --out FILE --sign KEY` writes the report and FILE.sig;
// `verify-report` passes it, and fails (exit 1) a changed file, another
// key, an attestation's bundle given as the signature, and a signer the
// policy revoked. Nothing is overwritten without --force.
#[test]
fn a_signed_report_verifies_and_a_changed_one_does_not() {
    let demo = Demo::new(POLICY);
    let out = demo.dir.path().join("evidence.md");
    let sign = |extra: &[&str]| {
        run(modelseal()
            .arg("report")
            .arg(&demo.model)
            .arg("--policy")
            .arg(&demo.policy)
            .arg("--out")
            .arg(&out)
            .arg("--sign")
            .arg(demo.key("publisher"))
            .args(extra))
    };
    sign(&[]).expect_code(0);
    let sig = demo.dir.path().join("evidence.md.sig");
    assert!(sig.is_file());
    let markdown = std::fs::read_to_string(&out).expect("report");
    assert!(
        markdown.starts_with("# ETSI EN 304 223 evidence"),
        "{markdown}"
    );
    let check = |report: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]| {
        let out = run(modelseal()
            .arg("verify-report")
            .arg(report)
            .args(args.iter().map(|a| a.as_ref()))
            .args(["--format", "json"]));
        let doc: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
        (out.code, doc)
    };
    let public = format!("{}.pub", demo.key("publisher"));
    let (code, doc) = check(&out, &[&"--key", &public]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["digest"], crate::support::sha256sum(&out).as_str());
    let r = demo.report(0);
    assert_eq!(doc["predicate"]["rootDigest"], r.root_digest.as_str());
    assert_eq!(doc["predicate"]["policyDigest"], r.policy.digest.as_str());
    assert_eq!(doc["predicate"]["verified"], true);
    assert_eq!(doc["predicate"]["format"], "md");
    // Under the policy, the publisher is a signer in good standing.
    let (code, doc) = check(&out, &[&"--policy", &demo.policy]);
    assert_eq!((code, doc["signer"].as_str()), (0, Some("publisher")));

    // Exists: refused without --force, the report unchanged.
    let again = sign(&[]);
    again.expect_code(2);
    assert_eq!(std::fs::read_to_string(&out).expect("report"), markdown);
    sign(&["--force"]).expect_code(0);

    // One byte changed.
    let changed = demo.dir.path().join("changed.md");
    std::fs::write(&changed, markdown.replacen("met", "mEt", 1)).expect("write");
    std::fs::copy(&sig, demo.dir.path().join("changed.md.sig")).expect("copy sig");
    let (code, doc) = check(&changed, &[&"--key", &public]);
    assert_eq!(
        (code, &doc["verified"]),
        (1, &serde_json::json!(false)),
        "{doc}"
    );
    // Another key.
    let other = format!("{}.pub", demo.key("tester"));
    assert_eq!(check(&out, &[&"--key", &other]).0, 1);
    // An attestation's bundle as the signature: not a report statement.
    let attestation = demo.dir.path().join("line1.sig");
    let line = std::fs::read_to_string(demo.model.join("model.att.jsonl")).expect("att");
    std::fs::write(&attestation, line.lines().next().expect("a line")).expect("write");
    let custodian = format!("{}.pub", demo.key("custodian"));
    let (code, doc) = check(&out, &[&"--signature", &attestation, &"--key", &custodian]);
    assert_eq!(code, 1, "{doc}");
    // A policy that revoked the publisher.
    let revoked = demo.dir.path().join("revoked.toml");
    std::fs::write(
        &revoked,
        format!("{POLICY}[[revocations]]\nsigner = \"publisher\"\nreason = \"left\"\n"),
    )
    .expect("policy");
    assert_eq!(check(&out, &[&"--policy", &revoked]).0, 1);
}

// Re-signing changed content with --force warns that the attestations
// bound to the replaced manifest now count only as history; re-signing
// the same content does not.
#[test]
fn sign_force_warns_about_attestations_bound_to_the_old_manifest() {
    let demo = Demo::new(POLICY);
    let resign = || {
        run(modelseal()
            .arg("sign")
            .arg(&demo.model)
            .arg("--key")
            .arg(demo.key("publisher"))
            .arg("--force"))
    };
    let same = resign();
    same.expect_code(0);
    assert!(!same.stderr.contains("attestation"), "{}", same.stderr);
    std::fs::write(demo.model.join("config.json"), "{\"hidden_size\": 2}\n").expect("change");
    let changed = resign();
    changed.expect_code(0);
    assert!(
        changed
            .stderr
            .contains("warning: 3 attestations bound to the manifest this signature replaced"),
        "{}",
        changed.stderr
    );
}

// Under a policy with [rules.unsafe_formats], a pickle warning says the
// policy's exceptions decide, not "--unsafe-formats deny to fail".
#[test]
fn pickle_warnings_under_a_policy_name_the_exception_rule() {
    let demo = Demo::new(POLICY);
    std::fs::write(demo.model.join("extra.pkl"), b"\x80\x04K\x01.").expect("pickle");
    demo.resign(&[]);
    let out = run(modelseal()
        .arg("verify")
        .arg(&demo.model)
        .arg("--policy")
        .arg(&demo.policy));
    out.expect_code(1);
    assert!(
        out.stdout.contains(
            "extra.pkl is pickle: it can run code when loaded (no accepted exception covers it"
        ),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("--unsafe-formats deny to fail"),
        "{}",
        out.stdout
    );
    // The failing rule ends with the command that fixes it.
    assert!(
        out.stdout
            .contains("fix: convert the file to safetensors, or `modelseal attest exception"),
        "{}",
        out.stdout
    );
}
