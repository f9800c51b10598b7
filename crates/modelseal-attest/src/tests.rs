//! Unit tests: predicates, statements, policies and rules, each as a table
//! of good and bad cases.

use std::collections::BTreeMap;

use modelseal_oms::{KeyAlgorithm, SigningKey};

use crate::policy::{MAX_POLICY_SIZE, Policy};
use crate::predicate::*;
use crate::statement::Statement;
use crate::store::StoredAttestation;
use crate::time::Timestamp;
use crate::{
    AttestationStatus, ModelDigests, ModelFacts, check_attestations, evaluate, history,
    history_complete,
};

fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("test time")
}

fn digest(byte: u8) -> DigestSet {
    DigestSet::parse(&format!("{byte:02x}").repeat(32)).expect("digest")
}

/// The test model with root digest `root`: its manifest digest is derived
/// from the root (`ab…` for root `01…`), so each root names one manifest
/// unless a test says otherwise.
fn model(root: &DigestSet) -> ModelDigests {
    let manifest: String = root.sha256.chars().rev().collect();
    ModelDigests {
        root_digest: root.clone(),
        manifest_digest: DigestSet::parse(&format!("ab{}", &manifest[2..])).expect("digest"),
    }
}

fn lineage(
    version: &str,
    parent: Option<(&str, DigestSet)>,
    data: &[(&str, DigestSet)],
) -> Predicate {
    Predicate::Lineage(Lineage {
        role: Role::Developer,
        attested_at: t("2026-06-01T00:00:00Z"),
        version: version.into(),
        parent: parent.map(|(v, d)| ParentVersion {
            version: v.into(),
            root_digest: d,
            manifest_digest: None,
        }),
        base_model: None,
        change: "retrained".into(),
        training_data: data
            .iter()
            .map(|(n, d)| TrainingData {
                name: (*n).into(),
                digest: d.clone(),
            })
            .collect(),
    })
}

fn dataset(role: Role, name: &str, d: DigestSet) -> Predicate {
    Predicate::DatasetProvenance(DatasetProvenance {
        role,
        attested_at: t("2026-06-01T00:00:00Z"),
        datasets: vec![Dataset {
            name: name.into(),
            source_uri: "https://example.org/data".into(),
            retrieved_at: t("2026-05-01T00:00:00Z"),
            retrieved_at_basis: None,
            digest: d,
            size: 10,
            files: Some(1),
            license: "CC-BY-4.0".into(),
            obtained_by: "download".into(),
            usage: vec![DatasetUsage::FineTuning],
            custodian: "data team".into(),
        }],
    })
}

fn test_result(result: TestResult) -> Predicate {
    Predicate::SecurityTest(SecurityTest {
        role: Role::Tester,
        attested_at: t("2026-06-01T00:00:00Z"),
        test: TestRun {
            name: "garak".into(),
            kind: TestKind::SecurityTest,
        },
        result,
        report: DocumentRef {
            uri: "report.html".into(),
            digest: digest(9),
        },
        tester: "tess".into(),
        performed_at: t("2026-06-01T00:00:00Z"),
    })
}

fn exception(component: &str, expires: &str) -> Predicate {
    Predicate::Exception(Exception {
        role: Role::Developer,
        attested_at: t("2026-06-01T00:00:00Z"),
        component: component.into(),
        justification: "legacy checkpoint".into(),
        risk_assessment: DocumentRef {
            uri: "risk.pdf".into(),
            digest: digest(8),
        },
        mitigations: vec!["loaded in a sandbox".into()],
        approver: "ciso".into(),
        expires: t(expires),
    })
}

/// Keys by name, their public halves written where a policy finds them.
struct World {
    dir: tempfile::TempDir,
    keys: BTreeMap<&'static str, SigningKey>,
}

impl World {
    fn new(names: &[&'static str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut keys = BTreeMap::new();
        for name in names {
            let key = SigningKey::generate(KeyAlgorithm::Ed25519);
            std::fs::write(
                dir.path().join(format!("{name}.pub")),
                key.public_key().to_pem(),
            )
            .expect("write key");
            keys.insert(*name, key);
        }
        Self { dir, keys }
    }

    fn policy(&self, text: &str) -> Result<Policy, crate::PolicyError> {
        let path = self.dir.path().join("policy.toml");
        Policy::from_toml(&path, text, self.dir.path())
    }

    /// A v2 statement about the test model with root digest `root`.
    fn sign(
        &self,
        who: &str,
        root: &DigestSet,
        predicate: Predicate,
        line: usize,
    ) -> StoredAttestation {
        self.sign_bound(who, &model(root), Some(()), predicate, line)
    }

    /// A v1 statement (no manifest digest) about root digest `root`.
    fn sign_v1(
        &self,
        who: &str,
        root: &DigestSet,
        predicate: Predicate,
        line: usize,
    ) -> StoredAttestation {
        self.sign_bound(who, &model(root), None, predicate, line)
    }

    /// A statement about `digests`, v2 with `Some`, v1 with `None`.
    fn sign_bound(
        &self,
        who: &str,
        digests: &ModelDigests,
        v2: Option<()>,
        predicate: Predicate,
        line: usize,
    ) -> StoredAttestation {
        let statement = Statement {
            subject_name: "model".into(),
            subject_digest: digests.root_digest.clone(),
            manifest_digest: v2.map(|()| digests.manifest_digest.clone()),
            predicate,
        };
        let bundle = modelseal_oms::sign_statement(&statement.to_json(), &self.keys[who], None)
            .expect("sign");
        StoredAttestation { line, bundle }
    }
}

const SIGNERS: &str = r#"
version = 1
[[signers]]
name = "dev"
key = "dev.pub"
roles = ["developer"]
[[signers]]
name = "cust"
key = "cust.pub"
roles = ["data-custodian"]
[[signers]]
name = "tess"
key = "tess.pub"
roles = ["tester"]
[[signers]]
name = "tom"
key = "tom.pub"
roles = ["tester"]
valid_until = "2026-12-31T00:00:00Z"
"#;

const RULES: &str = r#"
[rules.model_signature]
roles = ["developer"]
[rules.lineage]
roles = ["developer"]
[rules.datasets]
roles = ["data-custodian"]
[rules.tests]
threshold = 1
[rules.retraining]
[rules.unsafe_formats]
roles = ["developer"]
"#;

fn outcomes(
    world: &World,
    policy_text: &str,
    stored: &[StoredAttestation],
    root: &DigestSet,
    unsafe_files: &[&str],
) -> BTreeMap<&'static str, (bool, String)> {
    outcomes_for(world, policy_text, stored, &model(root), unsafe_files)
}

fn outcomes_for(
    world: &World,
    policy_text: &str,
    stored: &[StoredAttestation],
    digests: &ModelDigests,
    unsafe_files: &[&str],
) -> BTreeMap<&'static str, (bool, String)> {
    let policy = world.policy(policy_text).expect("policy");
    let at = t("2026-07-01T00:00:00Z");
    let checked = check_attestations(&policy, stored, Some(digests), at);
    let facts = ModelFacts {
        digests: digests.clone(),
        model_signer: 0,
        unsafe_files: unsafe_files.iter().map(|s| (*s).to_owned()).collect(),
        at,
    };
    evaluate(&policy, &facts, &checked)
        .into_iter()
        .map(|r| (r.rule, (r.passed, r.reason)))
        .collect()
}

#[test]
fn a_complete_version_passes_every_rule() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let stored = [
        w.sign(
            "cust",
            &root,
            dataset(Role::DataCustodian, "wiki", digest(7)),
            1,
        ),
        w.sign(
            "dev",
            &root,
            lineage("1.0", None, &[("wiki", digest(7))]),
            2,
        ),
        w.sign("tess", &root, test_result(TestResult::Pass), 3),
    ];
    let out = outcomes(&w, &format!("{SIGNERS}{RULES}"), &stored, &root, &[]);
    for (rule, (passed, reason)) in &out {
        assert!(passed, "{rule}: {reason}");
    }
    assert_eq!(out.len(), 7);
}

#[test]
fn each_rule_fails_with_its_reason() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let other = digest(2);
    let policy = format!("{SIGNERS}{RULES}");
    // (what, attestations, unsafe files, rule that fails, words in the reason)
    type Case<'a> = (
        &'a str,
        Vec<StoredAttestation>,
        Vec<&'a str>,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "dataset without provenance",
            vec![w.sign(
                "dev",
                &root,
                lineage("1.0", None, &[("wiki", digest(7))]),
                1,
            )],
            vec![],
            "datasets",
            "`wiki`",
        ),
        (
            "provenance of another copy",
            vec![
                w.sign(
                    "cust",
                    &root,
                    dataset(Role::DataCustodian, "wiki", digest(6)),
                    1,
                ),
                w.sign(
                    "dev",
                    &root,
                    lineage("1.0", None, &[("wiki", digest(7))]),
                    2,
                ),
            ],
            vec![],
            "datasets",
            "other copies",
        ),
        (
            "forged role: a developer claiming to be a custodian",
            vec![w.sign(
                "dev",
                &root,
                dataset(Role::DataCustodian, "wiki", digest(7)),
                1,
            )],
            vec![],
            "attestations",
            "claims role data-custodian but signer `dev` holds developer",
        ),
        (
            "test bound to another model",
            vec![w.sign("tess", &other, test_result(TestResult::Pass), 1)],
            vec![],
            "tests",
            "not this model's root digest",
        ),
        (
            "failed test",
            vec![w.sign("tess", &root, test_result(TestResult::Fail), 1)],
            vec![],
            "tests",
            "line 1: test `garak` failed (by `tess`)",
        ),
        (
            "inconclusive test",
            vec![w.sign("tess", &root, test_result(TestResult::Inconclusive), 1)],
            vec![],
            "tests",
            "0 distinct tester signers have a passing test",
        ),
        (
            "retrained without a new test",
            vec![
                w.sign(
                    "dev",
                    &root,
                    lineage("2.0", Some(("1.0", other.clone())), &[]),
                    1,
                ),
                w.sign("tess", &other, test_result(TestResult::Pass), 2),
            ],
            vec![],
            "retraining",
            "no passing test is bound to its root digest",
        ),
        (
            "retrained under the same version",
            vec![
                w.sign(
                    "dev",
                    &root,
                    lineage("1.0", Some(("1.0", other.clone())), &[]),
                    1,
                ),
                w.sign("tess", &root, test_result(TestResult::Pass), 2),
            ],
            vec![],
            "retraining",
            "the version is still 1.0",
        ),
        (
            "pickle without exception",
            vec![],
            vec!["pytorch_model.bin"],
            "unsafe-formats",
            "no exception",
        ),
        (
            "pickle with an expired exception",
            vec![w.sign(
                "dev",
                &root,
                exception("pytorch_model.bin", "2026-06-30T00:00:00Z"),
                1,
            )],
            vec!["pytorch_model.bin"],
            "unsafe-formats",
            "expired at 2026-06-30T00:00:00Z",
        ),
        (
            "lineage from a tester",
            vec![w.sign("tess", &root, lineage("1.0", None, &[]), 1)],
            vec![],
            "attestations",
            "claims role developer",
        ),
    ];
    for (what, stored, unsafe_files, rule, words) in cases {
        let out = outcomes(&w, &policy, &stored, &root, &unsafe_files);
        let (passed, reason) = &out[rule];
        assert!(!passed, "{what}: rule {rule} passed: {reason}");
        assert!(
            reason.contains(words),
            "{what}: {rule}: `{reason}` lacks `{words}`"
        );
    }
}

#[test]
fn an_unexpired_exception_allows_its_file_only() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let stored = [w.sign("dev", &root, exception("a.bin", "2027-01-01T00:00:00Z"), 1)];
    let policy = format!("{SIGNERS}{RULES}");
    assert!(outcomes(&w, &policy, &stored, &root, &["a.bin"])["unsafe-formats"].0);
    let out = outcomes(&w, &policy, &stored, &root, &["a.bin", "b.bin"]);
    assert!(!out["unsafe-formats"].0);
    assert!(out["unsafe-formats"].1.contains("`b.bin`"));
}

#[test]
fn threshold_counts_distinct_signers() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let policy = format!("{SIGNERS}[rules.tests]\nthreshold = 2\n");
    let twice_by_tess = [
        w.sign("tess", &root, test_result(TestResult::Pass), 1),
        w.sign("tess", &root, test_result(TestResult::Pass), 2),
    ];
    assert!(!outcomes(&w, &policy, &twice_by_tess, &root, &[])["tests"].0);
    let both = [
        w.sign("tess", &root, test_result(TestResult::Pass), 1),
        w.sign("tom", &root, test_result(TestResult::Pass), 2),
    ];
    assert!(outcomes(&w, &policy, &both, &root, &[])["tests"].0);
}

#[test]
fn revoked_and_expired_signers_do_not_count() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let stored = [w.sign("tess", &root, test_result(TestResult::Pass), 1)];
    let revoked = format!(
        "{SIGNERS}[[revocations]]\nsigner = \"tess\"\nreason = \"key leaked\"\n[rules.tests]\n"
    );
    let out = outcomes(&w, &revoked, &stored, &root, &[]);
    assert!(!out["tests"].0);
    assert!(
        out["tests"].1.contains("revoked: key leaked"),
        "{}",
        out["tests"].1
    );

    // tom's window ends 2026-12-31: fine in July 2026, not in 2027.
    let policy = w
        .policy(&format!("{SIGNERS}[rules.tests]\n"))
        .expect("policy");
    let by_tom = [w.sign("tom", &root, test_result(TestResult::Pass), 1)];
    let late = check_attestations(
        &policy,
        &by_tom,
        Some(&model(&root)),
        t("2027-01-02T00:00:00Z"),
    );
    assert!(
        matches!(&late[0].status, AttestationStatus::SignerNotValid(r) if r.contains("expired at 2026-12-31")),
        "{:?}",
        late[0].status
    );
    let in_time = check_attestations(
        &policy,
        &by_tom,
        Some(&model(&root)),
        t("2026-07-01T00:00:00Z"),
    );
    assert_eq!(in_time[0].status, AttestationStatus::Accepted);
}

#[test]
fn tampered_unknown_and_malformed_lines_are_classified() {
    let w = World::new(&["dev", "cust", "tess", "tom", "stranger"]);
    let root = digest(1);
    let policy = w.policy(SIGNERS).expect("policy");
    let good = w.sign("tess", &root, test_result(TestResult::Pass), 1);
    let mut tampered = good.clone();
    // Flip one character of the base64 signature.
    let text = String::from_utf8(tampered.bundle.clone()).expect("utf8");
    let at = text.find("\"sig\":\"").expect("sig") + 7;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    tampered.bundle = bytes;
    let stranger = w.sign("stranger", &root, test_result(TestResult::Pass), 3);
    // A stranger naming the key by its raw bytes (as older reference tools
    // did) is a stranger, not a trusted signer with a bad signature.
    let mut raw: serde_json::Value = serde_json::from_slice(&stranger.bundle).expect("json");
    raw["verificationMaterial"]["publicKey"] = serde_json::json!({
        "rawBytes": base64_of(w.keys["stranger"].public_key().to_pem().as_bytes()),
    });
    let raw = StoredAttestation {
        line: 5,
        bundle: serde_json::to_vec(&raw).expect("json"),
    };
    let junk = StoredAttestation {
        line: 4,
        bundle: b"{not json".to_vec(),
    };
    let checked = check_attestations(
        &policy,
        &[good, tampered, stranger, junk, raw],
        Some(&model(&root)),
        t("2026-07-01T00:00:00Z"),
    );
    let names: Vec<&str> = checked.iter().map(|c| c.status.name()).collect();
    assert_eq!(
        names,
        [
            "accepted",
            "bad-signature",
            "untrusted-signer",
            "malformed",
            "untrusted-signer"
        ]
    );
    assert!(
        !checked[2].status.fails(),
        "an unknown signer is ignored, not fatal"
    );
}

/// The hint rule: `publicKey.hint` is not signed. A listed signer's
/// attestation whose hint was computed otherwise is still that signer's; a
/// stranger's stays a stranger's whatever hint it carries.
#[test]
fn a_hint_naming_no_listed_key_leaves_the_signature_to_decide() {
    let w = World::new(&["dev", "cust", "tess", "tom", "stranger"]);
    let root = digest(1);
    let policy = w.policy(SIGNERS).expect("policy");
    let rehint = |stored: StoredAttestation, hint: &str| {
        let mut v: serde_json::Value = serde_json::from_slice(&stored.bundle).expect("json");
        v["verificationMaterial"]["publicKey"]["hint"] = hint.into();
        StoredAttestation {
            line: stored.line,
            bundle: serde_json::to_vec(&v).expect("json"),
        }
    };
    let odd_hint = "00".repeat(32);
    let tess = rehint(
        w.sign("tess", &root, test_result(TestResult::Pass), 1),
        &odd_hint,
    );
    let stranger = rehint(
        w.sign("stranger", &root, test_result(TestResult::Pass), 2),
        &odd_hint,
    );
    let checked = check_attestations(
        &policy,
        &[tess, stranger],
        Some(&model(&root)),
        t("2026-07-01T00:00:00Z"),
    );
    let names: Vec<&str> = checked.iter().map(|c| c.status.name()).collect();
    assert_eq!(names, ["accepted", "untrusted-signer"]);
}

#[test]
fn history_follows_parents_and_flags_broken_links() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let policy = w.policy(SIGNERS).expect("policy");
    let (v1, v2, v3) = (digest(1), digest(2), digest(3));
    let stored = [
        w.sign("dev", &v1, lineage("1.0", None, &[]), 1),
        w.sign(
            "dev",
            &v2,
            lineage("2.0", Some(("1.0", v1.clone())), &[]),
            2,
        ),
        w.sign(
            "dev",
            &v3,
            lineage("3.0", Some(("2.5", v2.clone())), &[]),
            3,
        ),
    ];
    let checked = check_attestations(&policy, &stored, None, t("2026-07-01T00:00:00Z"));
    let chain = history(&checked, &model(&v2), &[Role::Developer], |i| {
        policy.signers[i].name.clone()
    });
    let links: Vec<(&str, bool)> = chain
        .iter()
        .map(|v| (v.version.as_str(), v.link.is_broken()))
        .collect();
    assert_eq!(links, [("2.0", false), ("1.0", false)]);
    let chain = history(&checked, &model(&v3), &[Role::Developer], |i| {
        policy.signers[i].name.clone()
    });
    assert!(matches!(&chain[0].link, crate::Link::VersionMismatch(d) if d.contains("says 2.0")));
    // Two statements bound to v1 that disagree on its version.
    let conflicting = [
        w.sign("dev", &v1, lineage("1.0", None, &[]), 1),
        w.sign("dev", &v1, lineage("1.1", None, &[]), 2),
    ];
    let checked = check_attestations(&policy, &conflicting, None, t("2026-07-01T00:00:00Z"));
    let chain = history(&checked, &model(&v1), &[Role::Developer], |i| {
        policy.signers[i].name.clone()
    });
    assert!(matches!(&chain[0].link, crate::Link::Conflicting(d) if d.contains("1.0, 1.1")));
    let orphan = [w.sign("dev", &v3, lineage("3.0", Some(("2.0", digest(4))), &[]), 1)];
    let checked = check_attestations(&policy, &orphan, None, t("2026-07-01T00:00:00Z"));
    let chain = history(&checked, &model(&v3), &[Role::Developer], |i| {
        policy.signers[i].name.clone()
    });
    assert!(matches!(chain[0].link, crate::Link::ParentNotRecorded(_)));
}

/// The two broken links `history_follows_parents_and_flags_broken_links`
/// does not reach: a version whose content changed under the same version
/// number, and a chain that comes back to a version already shown.
#[test]
fn history_flags_an_unchanged_version_and_a_cycle() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let policy = w.policy(SIGNERS).expect("policy");
    let (v1, v2) = (digest(1), digest(2));
    let name = |i: usize| policy.signers[i].name.clone();
    let at = t("2026-07-01T00:00:00Z");

    // Retrained (new root digest) but still called 1.0.
    let unchanged = [
        w.sign("dev", &v1, lineage("1.0", None, &[]), 1),
        w.sign(
            "dev",
            &v2,
            lineage("1.0", Some(("1.0", v1.clone())), &[]),
            2,
        ),
    ];
    let checked = check_attestations(&policy, &unchanged, None, at);
    let chain = history(&checked, &model(&v2), &[Role::Developer], name);
    assert_eq!(chain.len(), 2, "{chain:?}");
    assert!(
        matches!(&chain[0].link, crate::Link::VersionUnchanged(d)
            if d.contains(&v1.to_string()) && d.contains("still 1.0")),
        "{:?}",
        chain[0].link
    );
    assert!(chain[0].link.is_broken());
    assert_eq!(chain[1].link, crate::Link::FirstVersion);

    // 2.0 names 1.0 as parent, and 1.0 names 2.0: the walk stops at the
    // repeat and marks the last version shown.
    let cycle = [
        w.sign(
            "dev",
            &v1,
            lineage("1.0", Some(("2.0", v2.clone())), &[]),
            1,
        ),
        w.sign(
            "dev",
            &v2,
            lineage("2.0", Some(("1.0", v1.clone())), &[]),
            2,
        ),
    ];
    let checked = check_attestations(&policy, &cycle, None, at);
    let chain = history(&checked, &model(&v2), &[Role::Developer], name);
    let versions: Vec<&str> = chain.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(versions, ["2.0", "1.0"]);
    assert_eq!(chain[0].link, crate::Link::Verified);
    assert!(
        matches!(&chain[1].link, crate::Link::Cycle(d)
            if d.contains(&v2.to_string()) && d.contains("twice")),
        "{:?}",
        chain[1].link
    );
    assert!(chain[1].link.is_broken());
}

/// Each way the lineage rule fails, with its reason: no statement, one from
/// a signer without the role, statements that disagree on the version.
#[test]
fn the_lineage_rule_fails_for_each_reason() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let v1 = digest(1);
    let policy = format!("{SIGNERS}[rules.lineage]\nroles = [\"developer\"]\n");
    let lineage_of = |stored: &[StoredAttestation]| {
        let outcomes = outcomes(&w, &policy, stored, &v1, &[]);
        outcomes["lineage"].clone()
    };

    // Passing first, so the failures below are the statements' doing.
    let (ok, reason) = lineage_of(&[w.sign("dev", &v1, lineage("1.0", None, &[]), 1)]);
    assert!(
        ok && reason.contains("version 1.0 (no parent version)"),
        "{reason}"
    );

    let (ok, reason) = lineage_of(&[]);
    assert!(
        !ok && reason.contains("no lineage statement from developer is bound"),
        "{reason}"
    );

    // Signed by a tester: not counted, and the reason says why.
    let (ok, reason) = lineage_of(&[w.sign("tess", &v1, lineage("1.0", None, &[]), 1)]);
    assert!(!ok, "{reason}");
    assert!(
        reason.contains("no lineage statement from developer") && reason.contains("line 1"),
        "{reason}"
    );

    let (ok, reason) = lineage_of(&[
        w.sign("dev", &v1, lineage("1.0", None, &[]), 1),
        w.sign("dev", &v1, lineage("1.1", None, &[]), 2),
    ]);
    assert!(
        !ok && reason.contains("conflicting lineage statements") && reason.contains("1.0, 1.1"),
        "{reason}"
    );
}

/// Evidence lines are listed in numeric order (10 after 9, not after 1),
/// whatever order the statements were read in.
#[test]
fn evidence_lines_are_in_numeric_order() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let names: Vec<String> = (1..=12).map(|i| format!("d{i}")).collect();
    let data: Vec<(&str, DigestSet)> = names
        .iter()
        .zip(20u8..)
        .map(|(n, b)| (n.as_str(), digest(b)))
        .collect();
    // Read out of order: lines 12, 11, …, 2, then the lineage on line 1.
    let mut stored: Vec<StoredAttestation> = data
        .iter()
        .enumerate()
        .rev()
        .filter(|(i, _)| *i > 0)
        .map(|(i, (n, d))| {
            w.sign(
                "cust",
                &root,
                dataset(Role::DataCustodian, n, d.clone()),
                i + 1,
            )
        })
        .collect();
    stored.push(w.sign(
        "cust",
        &root,
        dataset(Role::DataCustodian, data[0].0, data[0].1.clone()),
        13,
    ));
    // The lineage names them last first: the rule collects in that order.
    let named: Vec<(&str, DigestSet)> = data.iter().rev().cloned().collect();
    stored.push(w.sign("dev", &root, lineage("1.0", None, &named), 1));
    let policy = w
        .policy(&format!(
            "{SIGNERS}[rules.lineage]\nroles = [\"developer\"]\n[rules.datasets]\nroles = [\"data-custodian\"]\n"
        ))
        .expect("policy");
    let at = t("2026-07-01T00:00:00Z");
    let digests = model(&root);
    let checked = check_attestations(&policy, &stored, Some(&digests), at);
    let facts = ModelFacts {
        digests,
        model_signer: 0,
        unsafe_files: Vec::new(),
        at,
    };
    let rules = evaluate(&policy, &facts, &checked);
    let datasets = rules
        .iter()
        .find(|r| r.rule == "datasets")
        .expect("datasets rule");
    assert!(datasets.passed, "{}", datasets.reason);
    // The datasets' own lines (the lineage that names them is the lineage
    // rule's evidence).
    assert_eq!(datasets.evidence, (2..=13).collect::<Vec<usize>>());
}

/// Finding 3 of issue 13: the root digest covers no names, so two models
/// can share it. A statement counts only for the manifest it is bound to.
#[test]
fn statements_count_only_for_the_manifest_they_are_bound_to() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let m1 = model(&root);
    let m2 = ModelDigests {
        root_digest: root.clone(),
        manifest_digest: digest(0xee),
    };
    let stored = [
        w.sign_bound("dev", &m1, Some(()), lineage("1.0", None, &[]), 1),
        w.sign_bound("tess", &m1, Some(()), test_result(TestResult::Pass), 2),
    ];
    let policy = format!("{SIGNERS}[rules.lineage]\nroles = [\"developer\"]\n[rules.tests]\n");
    fn passed(outcomes: &BTreeMap<&'static str, (bool, String)>) -> Vec<&'static str> {
        outcomes
            .iter()
            .filter(|(_, (ok, _))| *ok)
            .map(|(rule, _)| *rule)
            .collect()
    }
    let for_m1 = outcomes_for(&w, &policy, &stored, &m1, &[]);
    assert_eq!(
        passed(&for_m1),
        ["attestations", "lineage", "model-signature", "tests"]
    );
    let for_m2 = outcomes_for(&w, &policy, &stored, &m2, &[]);
    assert_eq!(passed(&for_m2), ["attestations", "model-signature"]);
    let (_, reason) = &for_m2["tests"];
    assert!(
        reason.contains(&format!("bound to manifest {}", m1.manifest_digest))
            && reason.contains("other file names"),
        "{reason}"
    );
    // And in the history: m1's lineage is not m2's.
    let p = w.policy(SIGNERS).expect("policy");
    let checked = check_attestations(&p, &stored, None, t("2026-07-01T00:00:00Z"));
    let name = |i: usize| p.signers[i].name.clone();
    assert_eq!(history(&checked, &m1, &[Role::Developer], name).len(), 1);
    assert!(history(&checked, &m2, &[Role::Developer], name).is_empty());
}

/// `parent.manifestDigest`, when recorded, picks the parent among versions
/// with one root digest, and makes renamed files a change for retraining.
#[test]
fn a_parent_manifest_digest_picks_the_parent_and_makes_a_rename_a_change() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let (m1, m2) = (
        model(&root),
        ModelDigests {
            root_digest: root.clone(),
            manifest_digest: digest(0xee),
        },
    );
    let child = |version: &str, parent_manifest: Option<DigestSet>| {
        let Predicate::Lineage(mut l) = lineage(version, Some(("1.0", root.clone())), &[]) else {
            unreachable!("a lineage")
        };
        if let Some(parent) = &mut l.parent {
            parent.manifest_digest = parent_manifest;
        }
        Predicate::Lineage(l)
    };
    // m2 (files renamed, same root) claims to follow m1 as version 1.0.
    let stored = [
        w.sign_bound("dev", &m1, Some(()), lineage("1.0", None, &[]), 1),
        w.sign_bound(
            "dev",
            &m2,
            Some(()),
            child("1.0", Some(m1.manifest_digest.clone())),
            2,
        ),
    ];
    let rules = format!("{SIGNERS}[rules.lineage]\nroles = [\"developer\"]\n[rules.retraining]\n");
    let (ok, reason) = &outcomes_for(&w, &rules, &stored, &m2, &[])["retraining"];
    assert!(
        !ok && reason.contains(&format!(
            "manifest {} → {}",
            m1.manifest_digest, m2.manifest_digest
        )),
        "{reason}"
    );
    // Without the parent's manifest digest only the root digest is compared.
    let unknown = [
        stored[0].clone(),
        w.sign_bound("dev", &m2, Some(()), child("1.0", None), 2),
    ];
    let (ok, reason) = &outcomes_for(&w, &rules, &unknown, &m2, &[])["retraining"];
    assert!(*ok && reason.contains("unchanged"), "{reason}");

    // The history follows the parent bound to the recorded manifest only.
    let policy = w.policy(SIGNERS).expect("policy");
    let name = |i: usize| policy.signers[i].name.clone();
    let other_parent = w.sign_bound("dev", &m2, Some(()), lineage("0.9", None, &[]), 1);
    let three = ModelDigests {
        root_digest: digest(3),
        manifest_digest: digest(0x33),
    };
    let grandchild = w.sign_bound(
        "dev",
        &three,
        Some(()),
        child("2.0", Some(m1.manifest_digest.clone())),
        3,
    );
    let checked = check_attestations(
        &policy,
        &[stored[0].clone(), other_parent, grandchild],
        None,
        t("2026-07-01T00:00:00Z"),
    );
    let chain = history(&checked, &three, &[Role::Developer], name);
    let versions: Vec<(&str, bool)> = chain
        .iter()
        .map(|v| (v.version.as_str(), v.link.is_broken()))
        .collect();
    assert_eq!(versions, [("2.0", false), ("1.0", false)]);
    assert!(history_complete(&chain));

    // A version that only renames files keeps the root digest: not a cycle.
    let renamed = [
        stored[0].clone(),
        w.sign_bound(
            "dev",
            &m2,
            Some(()),
            child("1.1", Some(m1.manifest_digest.clone())),
            2,
        ),
    ];
    let checked = check_attestations(&policy, &renamed, None, t("2026-07-01T00:00:00Z"));
    let chain = history(&checked, &m2, &[Role::Developer], name);
    let links: Vec<&crate::Link> = chain.iter().map(|v| &v.link).collect();
    assert_eq!(
        links,
        [&crate::Link::Verified, &crate::Link::FirstVersion],
        "{chain:?}"
    );
}

/// A v1 statement bound to this root digest is `root-only`: listed, never
/// counted, never failing the policy by itself; the reason names the
/// upgrade. `log` lists v1 versions, but a head bound only to its root
/// digest leaves the history incomplete.
#[test]
fn v1_statements_bound_to_this_root_are_root_only() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let (v1, v2) = (digest(1), digest(2));
    let stored = [
        w.sign_v1("dev", &v2, lineage("2.0", None, &[]), 1),
        w.sign_v1("tess", &v2, test_result(TestResult::Pass), 2),
        w.sign_v1("tess", &v1, test_result(TestResult::Pass), 3),
    ];
    let policy = w.policy(SIGNERS).expect("policy");
    let checked = check_attestations(
        &policy,
        &stored,
        Some(&model(&v2)),
        t("2026-07-01T00:00:00Z"),
    );
    let statuses: Vec<&str> = checked.iter().map(|a| a.status.name()).collect();
    assert_eq!(statuses, ["root-only", "root-only", "other-model"]);
    assert!(checked.iter().all(|a| !a.status.fails()));
    let text = format!("{SIGNERS}[rules.lineage]\nroles = [\"developer\"]\n[rules.tests]\n");
    let outcomes = outcomes(&w, &text, &stored, &v2, &[]);
    let (ok, reason) = &outcomes["tests"];
    assert!(
        !ok && reason.contains("line 2 not counted: a v1 statement")
            && reason.contains("re-attest")
            && reason.contains(SECURITY_TEST_V2),
        "{reason}"
    );
    assert!(!outcomes["lineage"].0, "{:?}", outcomes["lineage"]);
    let (ok, reason) = &outcomes["attestations"];
    assert!(
        *ok && reason.contains("lines 1, 2 (re-attest them)"),
        "{reason}"
    );

    // The history lists it, without a manifest digest, and is incomplete
    // until the head is re-attested; a v1 parent is fine.
    let checked = check_attestations(&policy, &stored, None, t("2026-07-01T00:00:00Z"));
    let name = |i: usize| policy.signers[i].name.clone();
    let chain = history(&checked, &model(&v2), &[Role::Developer], name);
    assert_eq!(chain.len(), 1);
    assert_eq!(chain[0].manifest_digest, None);
    assert!(!history_complete(&chain));
    let mut upgraded = stored.to_vec();
    upgraded.push(w.sign("dev", &v2, lineage("2.0", None, &[]), 4));
    let checked = check_attestations(&policy, &upgraded, None, t("2026-07-01T00:00:00Z"));
    let chain = history(&checked, &model(&v2), &[Role::Developer], name);
    assert_eq!(chain[0].line, 4, "the v2 statement is preferred");
    assert!(history_complete(&chain));
    let child = w.sign(
        "dev",
        &digest(3),
        lineage("3.0", Some(("2.0", v2.clone())), &[]),
        5,
    );
    let with_v1_parent = [stored[0].clone(), child];
    let checked = check_attestations(&policy, &with_v1_parent, None, t("2026-07-01T00:00:00Z"));
    let chain = history(&checked, &model(&digest(3)), &[Role::Developer], name);
    assert_eq!(chain.len(), 2);
    assert!(history_complete(&chain), "{chain:?}");
}

#[test]
fn policies_that_cannot_work_are_refused() {
    let w = World::new(&["dev", "tess"]);
    let roots = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../modelseal-oms/tests/data/chain/rsa-root.pem");
    let identity = |name: &str| {
        format!(
            "[[signers]]\nname = \"{name}\"\nroots = \"{}\"\nsubject = \"CN=ci\"\nroles = [\"developer\"]\n",
            roots.display()
        )
    };
    let certificate_twice = format!("version = 1\n{}{}", identity("a"), identity("b"));
    let cases = [
        ("version = 2\n", "policy version 1"),
        ("version = 1\nbogus = 1\n", "not a valid policy"),
        (
            "version = 1\n[[signers]]\nname = \"a\"\nkey = \"dev.pub\"\nroles = []\n",
            "has no roles",
        ),
        (
            "version = 1\n[[signers]]\nname = \"a\"\nkey = \"missing.pub\"\nroles = [\"developer\"]\n",
            "cannot load",
        ),
        (
            "version = 1\n[[signers]]\nname = \"a\"\nroles = [\"developer\"]\n",
            "needs either `key`",
        ),
        (
            "version = 1\n[[signers]]\nname = \"a\"\nkey = \"dev.pub\"\nroles = [\"boss\"]\n",
            "not a valid policy",
        ),
        (
            "version = 1\n[[signers]]\nname = \"a\"\nkey = \"dev.pub\"\nroles = [\"developer\"]\n[[signers]]\nname = \"b\"\nkey = \"dev.pub\"\nroles = [\"tester\"]\n",
            "have the same key",
        ),
        (
            "version = 1\n[[signers]]\nname = \"a\"\nkey = \"dev.pub\"\nroles = [\"developer\"]\nvalid_from = \"2027-01-01T00:00:00Z\"\nvalid_until = \"2026-01-01T00:00:00Z\"\n",
            "is not before",
        ),
        (
            "version = 1\n[[signers]]\nname = \"a\"\nkey = \"dev.pub\"\nroles = [\"tester\"]\n[rules.tests]\nthreshold = 2\n",
            "only 1 signers hold its roles",
        ),
        (
            "version = 1\n[[revocations]]\nsigner = \"ghost\"\nreason = \"x\"\n",
            "not a signer",
        ),
        (
            certificate_twice.as_str(),
            "have the same roots and subject",
        ),
    ];
    for (text, words) in cases {
        let error = w.policy(text).expect_err(text);
        let message = crate::policy::chain_text(&error);
        assert!(
            message.contains(words),
            "`{text}`: `{message}` lacks `{words}`"
        );
    }
}

#[test]
fn policy_files_are_read_within_their_cap() {
    let w = World::new(&["dev"]);
    // A policy over the cap, padded with a TOML comment.
    let big = w.dir.path().join("big.toml");
    let mut text = "version = 1\n#".to_owned();
    text.push_str(&"x".repeat(usize::try_from(MAX_POLICY_SIZE).expect("fits")));
    std::fs::write(&big, text).expect("write");
    let message = crate::policy::chain_text(&Policy::load(&big).expect_err("too large"));
    assert!(
        message.contains("big.toml") && message.contains("-byte limit"),
        "{message}"
    );
    // A key that never ends is refused before a byte is read: it is a
    // device, not a regular file.
    #[cfg(target_os = "linux")]
    {
        let endless = "version = 1\n[[signers]]\nname = \"a\"\nkey = \"/dev/zero\"\nroles = [\"developer\"]\n";
        let message = crate::policy::chain_text(&w.policy(endless).expect_err("endless key"));
        assert!(
            message.contains("/dev/zero") && message.contains("a character device"),
            "{message}"
        );
    }
}

#[test]
fn predicates_are_checked_beyond_their_types() {
    let good = [
        lineage("1.0", None, &[]),
        dataset(Role::DataCustodian, "wiki", digest(1)),
        test_result(TestResult::Pass),
        exception("sub/model.bin", "2027-01-01T00:00:00Z"),
    ];
    for p in &good {
        assert_eq!(p.check(), Ok(()), "{p:?}");
        let back = Predicate::from_json(p.type_uri(), p.to_json()).expect("round trip");
        assert_eq!(&back, p);
    }
    let mut empty_name = dataset(Role::DataCustodian, " ", digest(1));
    let cases: Vec<(Predicate, &str)> = vec![
        (empty_name.clone(), "datasets[0].name` is empty"),
        (
            exception("../etc/passwd", "2027-01-01T00:00:00Z"),
            "component `../etc/passwd`",
        ),
        (exception(".", "2027-01-01T00:00:00Z"), "names no file"),
        (
            lineage(&"v".repeat(MAX_TEXT + 1), None, &[]),
            "more than the 16384-byte limit",
        ),
    ];
    for (p, words) in cases {
        let problem = p.check().expect_err(words);
        assert!(problem.contains(words), "`{problem}` lacks `{words}`");
    }
    if let Predicate::DatasetProvenance(p) = &mut empty_name {
        p.datasets.clear();
    }
    assert!(
        empty_name
            .check()
            .expect_err("no datasets")
            .contains("at least 1")
    );
    // Unknown fields and bad digests are refused when reading.
    let mut json = lineage("1.0", None, &[]).to_json();
    json["extra"] = serde_json::json!(1);
    assert!(Predicate::from_json("lineage", json).is_err());
    assert!(DigestSet::parse("sha256:ABC").is_err());
    assert!(resolve_type("https://example.org/other/v1").is_err());
}

#[test]
fn statements_must_name_one_model_by_sha256() {
    let statement = Statement {
        subject_name: "m".into(),
        subject_digest: digest(1),
        manifest_digest: Some(digest(2)),
        predicate: lineage("1.0", Some(("0.9", digest(3))), &[]),
    };
    let good: serde_json::Value = serde_json::from_slice(&statement.to_json()).expect("json");
    assert_eq!(good["predicateType"], LINEAGE_V2);
    assert_eq!(
        good["predicate"]["manifestDigest"]["sha256"],
        "02".repeat(32)
    );
    assert_eq!(
        Statement::from_json(&statement.to_json()).expect("parse"),
        statement
    );
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 10] = [
        ("_type", |v| {
            v["_type"] = "https://in-toto.io/Statement/v0.1".into()
        }),
        ("subjects", |v| {
            let s = v["subject"][0].clone();
            v["subject"] = serde_json::json!([s.clone(), s]);
        }),
        ("sha256", |v| {
            v["subject"][0]["digest"] = serde_json::json!({"sha512": "00"})
        }),
        ("lowercase", |v| {
            v["subject"][0]["digest"]["sha256"] = "AB".repeat(32).into()
        }),
        ("predicate type", |v| v["predicateType"] = "lineage".into()),
        // Finding 3 of issue 13: a v2 statement names its manifest, exactly.
        ("no manifest digest", |v| {
            v["predicate"]
                .as_object_mut()
                .map(|p| p.remove("manifestDigest"));
        }),
        ("uppercase manifest digest", |v| {
            v["predicate"]["manifestDigest"]["sha256"] = "AB".repeat(32).into()
        }),
        ("manifest digest of another algorithm", |v| {
            v["predicate"]["manifestDigest"] = serde_json::json!({"sha512": "00"})
        }),
        ("v1 with a manifest digest", |v| {
            v["predicateType"] = LINEAGE_V1.into()
        }),
        ("v1 with a parent manifest digest", |v| {
            v["predicateType"] = LINEAGE_V1.into();
            v["predicate"]
                .as_object_mut()
                .map(|p| p.remove("manifestDigest"));
            v["predicate"]["parent"]["manifestDigest"] =
                serde_json::json!({"sha256": "04".repeat(32)});
        }),
    ];
    for (what, edit) in edits {
        let mut v = good.clone();
        edit(&mut v);
        let bytes = serde_json::to_vec(&v).expect("json");
        assert!(Statement::from_json(&bytes).is_err(), "{what} accepted");
    }
}

/// v1 statements (bound to the root digest only) are still read, and
/// written back as v1: the same fields, no `manifestDigest`.
#[test]
fn v1_statements_are_read_as_bound_to_the_root_digest_only() {
    for (predicate, v1) in [
        (lineage("1.0", Some(("0.9", digest(3))), &[]), LINEAGE_V1),
        (test_result(TestResult::Pass), SECURITY_TEST_V1),
        (
            dataset(Role::DataCustodian, "d", digest(4)),
            DATASET_PROVENANCE_V1,
        ),
        (exception("a.pkl", "2027-01-01T00:00:00Z"), EXCEPTION_V1),
    ] {
        let statement = Statement {
            subject_name: "m".into(),
            subject_digest: digest(1),
            manifest_digest: None,
            predicate,
        };
        let json: serde_json::Value = serde_json::from_slice(&statement.to_json()).expect("json");
        assert_eq!(json["predicateType"], v1);
        assert!(json["predicate"].get("manifestDigest").is_none());
        let read = Statement::from_json(&statement.to_json()).expect("v1 parses");
        assert_eq!(read, statement);
        assert_eq!(read.predicate_type(), v1);
        // `attest file --type <v1 URI>` writes the v2 type.
        assert_eq!(
            resolve_type(v1).expect("resolves"),
            statement.predicate.type_uri()
        );
    }
}

/// The examples published beside the JSON Schemas are predicates this code
/// reads (and writes back unchanged): v2 in a statement, with its
/// `manifestDigest`; v1 without.
#[test]
fn published_examples_parse() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/attestations/examples");
    let mut seen = 0;
    for ((name, v2), (v1, _)) in PREDICATE_NAMES.into_iter().zip(PREDICATE_V1_TYPES) {
        let read = |version: &str| -> serde_json::Value {
            let path = dir.join(format!("{name}.{version}.json"));
            let text = std::fs::read_to_string(&path).expect("example");
            serde_json::from_str(&text).expect("JSON")
        };
        let value = read("v1");
        let predicate =
            Predicate::from_json(v1, value.clone()).unwrap_or_else(|e| panic!("{name} v1: {e}"));
        assert_eq!(predicate.to_json(), value, "{name} v1");

        let value = read("v2");
        let payload = serde_json::json!({
            "_type": crate::STATEMENT_V1,
            "subject": [{"name": "m", "digest": {"sha256": "01".repeat(32)}}],
            "predicateType": v2,
            "predicate": value,
        });
        let statement = Statement::from_json(&serde_json::to_vec(&payload).expect("json"))
            .unwrap_or_else(|e| panic!("{name} v2: {e}"));
        assert!(statement.manifest_digest.is_some(), "{name} v2");
        let written: serde_json::Value =
            serde_json::from_slice(&statement.to_json()).expect("json");
        assert_eq!(written["predicate"], value, "{name} v2");
        seen += 1;
    }
    assert_eq!(seen, 4);
}

/// A security test by `tester` with `result`, attested at `at`.
fn test_at(result: TestResult, at: &str) -> Predicate {
    match test_result(result) {
        Predicate::SecurityTest(mut test) => {
            test.attested_at = t(at);
            Predicate::SecurityTest(test)
        }
        other => other,
    }
}

// A trusted failing test fails the tests rule until a later pass of the
// same test by the same signer supersedes it; another signer's pass does
// not, and neither does an earlier one.
#[test]
fn a_trusted_failing_test_fails_until_the_same_signer_passes_it() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let policy = format!("{SIGNERS}{RULES}");
    let fail = w.sign(
        "tess",
        &root,
        test_at(TestResult::Fail, "2026-06-02T00:00:00Z"),
        1,
    );
    let cases = [
        (vec![fail.clone()], false),
        (
            vec![
                fail.clone(),
                w.sign(
                    "tom",
                    &root,
                    test_at(TestResult::Pass, "2026-06-03T00:00:00Z"),
                    2,
                ),
            ],
            false,
        ),
        (
            vec![
                w.sign(
                    "tess",
                    &root,
                    test_at(TestResult::Pass, "2026-06-01T00:00:00Z"),
                    1,
                ),
                w.sign(
                    "tess",
                    &root,
                    test_at(TestResult::Fail, "2026-06-02T00:00:00Z"),
                    2,
                ),
            ],
            false,
        ),
        (
            vec![
                fail,
                w.sign(
                    "tess",
                    &root,
                    test_at(TestResult::Pass, "2026-06-03T00:00:00Z"),
                    2,
                ),
            ],
            true,
        ),
    ];
    for (i, (stored, passes)) in cases.into_iter().enumerate() {
        let out = outcomes(&w, &policy, &stored, &root, &[]);
        let (passed, reason) = &out["tests"];
        assert_eq!(*passed, passes, "case {i}: {reason}");
        if !passes {
            assert!(reason.contains("failed (by `tess`)"), "case {i}: {reason}");
        }
    }
}

// An expired exception has its own status (never "accepted"), fails
// nothing by itself, and explains the unsafe-formats failure.
#[test]
fn an_expired_exception_is_expired() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let policy = w.policy(&format!("{SIGNERS}{RULES}")).expect("policy");
    let stored = vec![w.sign(
        "dev",
        &root,
        exception("pytorch_model.bin", "2026-06-30T00:00:00Z"),
        1,
    )];
    let at = t("2026-07-01T00:00:00Z");
    let checked = check_attestations(&policy, &stored, Some(&model(&root)), at);
    assert_eq!(checked[0].status.name(), "expired");
    assert!(!checked[0].status.fails());
    assert!(checked[0].trusted().is_some());
    let (passed, reason) = &outcomes(
        &w,
        &format!("{SIGNERS}{RULES}"),
        &stored,
        &root,
        &["pytorch_model.bin"],
    )["unsafe-formats"];
    assert!(!passed);
    assert!(reason.contains("expired at 2026-06-30"), "{reason}");
}

// Revoking the only developer leaves a policy that loads: the model
// signature rule then fails at evaluation (verify exits 1 with a report),
// instead of the policy being unreadable.
#[test]
fn revoking_the_only_developer_fails_the_model_signature_rule() {
    let w = World::new(&["dev", "cust", "tess", "tom"]);
    let root = digest(1);
    let policy =
        format!("{SIGNERS}[[revocations]]\nsigner = \"dev\"\nreason = \"key left\"\n{RULES}");
    let (passed, reason) = &outcomes(&w, &policy, &[], &root, &[])["model-signature"];
    assert!(!passed);
    assert!(reason.contains("revoked"), "{reason}");
}

// Policy times may be TOML date-times written without quotes; one without
// an offset is refused.
#[test]
fn policy_times_may_be_unquoted() {
    let w = World::new(&["dev"]);
    let text = |when: &str| {
        format!(
            "version = 1\n[[signers]]\nname = \"dev\"\nkey = \"dev.pub\"\nroles = \
             [\"developer\"]\nvalid_from = {when}\n"
        )
    };
    for when in [
        "\"2026-01-01T00:00:00Z\"",
        "2026-01-01T00:00:00Z",
        "2026-01-01T01:00:00+01:00",
    ] {
        let policy = w.policy(&text(when)).expect(when);
        assert_eq!(
            policy.signers[0].valid_from,
            Some(t("2026-01-01T00:00:00Z")),
            "{when}"
        );
    }
    for when in ["2026-01-01T00:00:00", "2026-01-01"] {
        let error = w.policy(&text(when)).expect_err(when);
        assert!(
            crate::policy::chain_text(&error).contains("no time zone offset"),
            "{when}: {}",
            crate::policy::chain_text(&error)
        );
    }
}
