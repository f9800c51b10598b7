//! The evidence report: ETSI EN 304 223 provision by provision, which
//! signed statements evidence it and what is missing.

use std::path::Path;
use std::sync::Arc;

use modelseal_attest::policy::{RetrainingRule, RoleRule, TestRule, UnsafeFormatsRule};
use modelseal_attest::{Role, RuleOutcome, Timestamp};
use serde::Serialize;

use crate::error::Error;
use crate::report::{AttestationEntry, REPORT_VERSION};
use crate::verify::{VerifyOptions, verify_model_checked};

/// How well a provision is evidenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProvisionStatus {
    /// Signed statements evidence it.
    Met,
    /// Some of it is evidenced.
    Partial,
    /// Evidence is missing.
    Missing,
    /// modelseal does not cover it yet.
    NotCovered,
}

/// One provision of the standard.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Provision {
    /// The provision number(s), e.g. `5.2.4-2, 5.2.4-2.1`.
    pub id: &'static str,
    /// What it asks for.
    pub title: &'static str,
    /// How well it is evidenced.
    pub status: ProvisionStatus,
    /// The signed statements that evidence it.
    pub evidence: Vec<String>,
    /// What is missing.
    pub missing: Vec<String>,
}

/// The evidence report of a model under a policy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EvidenceReport {
    /// Always `"report"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The model path as given.
    pub model: String,
    /// The policy file.
    pub policy: String,
    /// When it was evaluated, RFC 3339.
    pub evaluated_at: String,
    /// The signed root digest, hex (an object in JSON, as in `verify`).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub root_digest: String,
    /// True when the signature verified and the files match it.
    #[serde(rename = "model_verified")]
    pub files_verified: bool,
    /// True when every rule the policy itself configures passed.
    pub policy_passed: bool,
    /// Each provision.
    pub provisions: Vec<Provision>,
    /// Every rule, evaluated whether or not the policy enforces it, with
    /// `enforced` telling which.
    pub rules: Vec<EvaluatedRule>,
    /// Each attestation.
    pub attestations: Vec<AttestationEntry>,
    /// The version history, newest first.
    pub history: Vec<modelseal_attest::Version>,
}

/// A rule's outcome and whether the policy enforces it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EvaluatedRule {
    /// The outcome.
    #[serde(flatten)]
    pub outcome: RuleOutcome,
    /// Whether the policy configures this rule (else it was evaluated only
    /// for the report, with default roles).
    pub enforced: bool,
}

/// Verifies the model with the policy in `options` (which must have one)
/// and maps the outcome to the provisions of ETSI EN 304 223. Every rule is
/// evaluated for the report; rules the policy does not configure use the
/// default roles (developer, data-custodian, tester) and do not count
/// towards [`EvidenceReport::policy_passed`]. The model signature's rule is
/// the policy's own (its signer's standing is always checked).
pub fn evidence_report(model: &Path, options: &VerifyOptions) -> Result<EvidenceReport, Error> {
    let policy = options
        .policy
        .clone()
        .ok_or_else(|| Error::Usage("an evidence report needs a trust policy".to_owned()))?;
    let at = options.at.unwrap_or_else(Timestamp::now);
    let mut full = (*policy).clone();
    let rules = &mut full.rules;
    let rule = |roles: Vec<Role>| RoleRule {
        roles,
        threshold: 1,
    };
    rules
        .lineage
        .get_or_insert_with(|| rule(vec![Role::Developer]));
    rules
        .datasets
        .get_or_insert_with(|| rule(vec![Role::DataCustodian]));
    rules.tests.get_or_insert_with(|| TestRule {
        roles: vec![Role::Tester],
        threshold: 1,
    });
    rules.retraining.get_or_insert(RetrainingRule {
        new_version: true,
        new_test: true,
    });
    rules
        .unsafe_formats
        .get_or_insert_with(|| UnsafeFormatsRule {
            roles: vec![Role::Developer, Role::SystemOperator],
            threshold: 1,
            allow_globals: Vec::new(),
        });
    let mut full_options = options.clone();
    full_options.policy = Some(Arc::new(full.clone()));
    full_options.at = Some(at);
    let (report, checked) = verify_model_checked(model, &full_options)?;
    let Some(outcome) = report.policy.clone() else {
        return Err(Error::Usage("the policy was not evaluated".to_owned()));
    };
    let enforced = |name: &str| {
        let r = &policy.rules;
        match name {
            "model-signature" | "attestations" => true,
            "lineage" => r.lineage.is_some(),
            "datasets" => r.datasets.is_some(),
            "tests" => r.tests.is_some(),
            "retraining" => r.retraining.is_some(),
            "unsafe-formats" => r.unsafe_formats.is_some(),
            _ => false,
        }
    };
    let files_verified = !report.findings.iter().any(crate::Finding::fails);
    let rules: Vec<EvaluatedRule> = outcome
        .rules
        .iter()
        .map(|r| EvaluatedRule {
            enforced: enforced(r.rule),
            outcome: r.clone(),
        })
        .collect();
    let policy_passed = files_verified && rules.iter().all(|r| r.outcome.passed || !r.enforced);

    // The history follows every trusted statement, whichever version it is
    // bound to: those verify classed `accepted`, `other-model` or
    // `root-only`.
    let head = modelseal_attest::ModelDigests {
        root_digest: modelseal_attest::DigestSet {
            sha256: report.root_digest.clone(),
        },
        manifest_digest: modelseal_attest::DigestSet {
            sha256: outcome.manifest_digest.clone(),
        },
    };
    let history = crate::attest::lineage_history(&full, &checked, &head);

    let rule_of = |name: &str| outcome.rules.iter().find(|r| r.rule == name);
    let lines = |name: &str| -> Vec<String> {
        rule_of(name)
            .map(|r| {
                r.evidence
                    .iter()
                    .filter_map(|line| outcome.attestations.iter().find(|a| a.line == *line))
                    .map(describe_entry)
                    .collect()
            })
            .unwrap_or_default()
    };
    let failing = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .filter_map(|n| rule_of(n))
            .filter(|r| !r.passed)
            .map(|r| format!("{}: {}", r.rule, r.reason))
            .collect()
    };
    let passed = |name: &str| rule_of(name).is_some_and(|r| r.passed);
    let status_of = |all: bool, some: bool| {
        if all {
            ProvisionStatus::Met
        } else if some {
            ProvisionStatus::Partial
        } else {
            ProvisionStatus::Missing
        }
    };

    let mut provisions = Vec::new();
    let signature_line = format!(
        "model signature `{}` by `{}`: {} resources, root sha256:{}",
        report.signature, outcome.model_signer, report.resources_checked, report.root_digest
    );
    let mut file_problems: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.fails())
        .map(crate::Finding::describe)
        .collect();
    file_problems.extend(failing(&["model-signature"]));
    provisions.push(Provision {
        id: "5.2.4-1.2",
        title: "cryptographic hashes for model components released to others",
        status: status_of(file_problems.is_empty(), false),
        evidence: vec![signature_line.clone()],
        missing: file_problems,
    });
    let mut evidence = vec![signature_line];
    evidence.extend(lines("lineage"));
    provisions.push(Provision {
        id: "5.2.1-2",
        title: "assets tracked, authenticated and version-controlled",
        status: status_of(
            passed("model-signature") && passed("lineage"),
            passed("model-signature"),
        ),
        evidence,
        missing: failing(&["model-signature", "lineage"]),
    });
    let dataset_evidence = lines("datasets");
    let names_data = passed("datasets") && !dataset_evidence.is_empty();
    let mut missing = failing(&["datasets"]);
    if passed("datasets") && dataset_evidence.is_empty() {
        missing.push("the lineage statement names no training data".to_owned());
    }
    provisions.push(Provision {
        id: "5.2.4-2, 5.2.4-2.1",
        title: "source (e.g. URL) and retrieval time of public training data",
        status: status_of(names_data, !dataset_evidence.is_empty()),
        evidence: dataset_evidence,
        missing,
    });
    let mut evidence = lines("retraining");
    evidence.extend(lines("tests"));
    evidence.sort();
    evidence.dedup();
    provisions.push(Provision {
        id: "5.4.1-2",
        title: "a major update (retraining) is a new version with new security testing",
        status: status_of(
            passed("retraining") && passed("tests"),
            passed("retraining") || passed("tests"),
        ),
        evidence,
        missing: failing(&["retraining", "tests"]),
    });
    provisions.push(Provision {
        id: "5.2.3-2, 5.2.3-2.1, 5.2.3-2.2",
        title: "documented justification and risk assessment for components that are not well documented",
        status: status_of(passed("unsafe-formats"), false),
        evidence: {
            let mut e = lines("unsafe-formats");
            if e.is_empty() && passed("unsafe-formats") {
                e.push("no pickle-based files in the model".to_owned());
            }
            e
        },
        missing: failing(&["unsafe-formats"]),
    });
    let mut breaks: Vec<String> = history
        .iter()
        .filter_map(|v| match &v.link {
            l if l.is_broken() => Some(format!("version {}: {l}", v.version)),
            _ => None,
        })
        .collect();
    if let Some(v) = history.first().filter(|v| v.manifest_digest.is_none()) {
        breaks.push(format!(
            "version {}: its lineage statement (line {}) is v1, bound to the root digest only: \
             re-attest it",
            v.version, v.line
        ));
    }
    let complete = modelseal_attest::history_complete(&history);
    provisions.push(Provision {
        id: "5.2.4-1",
        title: "audit trail of the model's lifecycle",
        status: status_of(complete && passed("model-signature"), !history.is_empty()),
        evidence: history
            .iter()
            .map(|v| {
                format!(
                    "version {} {} by `{}` at {}: {}",
                    v.version, v.root_digest, v.signer, v.attested_at, v.change
                )
            })
            .collect(),
        missing: if history.is_empty() {
            vec!["no lineage statement is bound to this version".to_owned()]
        } else {
            breaks
        },
    });
    provisions.push(Provision {
        id: "5.2.1-1",
        title: "inventory of AI assets and their interdependencies",
        status: ProvisionStatus::Partial,
        evidence: vec![format!(
            "the signed manifest lists {} components",
            report.resources_checked
        )],
        missing: vec![
            "an asset inventory with dependencies (CycloneDX ML-BOM) is not produced yet"
                .to_owned(),
        ],
    });
    provisions.push(Provision {
        id: "5.2.1-3, 5.2.1-3.1",
        title: "a known good state can be restored",
        status: ProvisionStatus::Partial,
        evidence: vec![format!(
            "the signature pins the known-good state (root sha256:{}); verify lists exactly what differs",
            report.root_digest
        )],
        missing: vec!["restoring from a known-good store is not provided yet".to_owned()],
    });
    provisions.push(Provision {
        id: "5.5.1-1, 5.5.1-2",
        title: "secure disposal at end of life",
        status: ProvisionStatus::NotCovered,
        evidence: Vec::new(),
        missing: vec!["signed retirement records are not provided yet".to_owned()],
    });

    Ok(EvidenceReport {
        kind: "report",
        version: REPORT_VERSION,
        model: model.display().to_string(),
        policy: policy.path.display().to_string(),
        evaluated_at: at.to_string(),
        root_digest: report.root_digest,
        files_verified,
        policy_passed,
        provisions,
        rules,
        attestations: outcome.attestations,
        history,
    })
}

fn describe_entry(a: &AttestationEntry) -> String {
    format!(
        "line {}: {} by `{}` ({}) at {}: {}",
        a.line,
        a.predicate.unwrap_or("?"),
        a.signer.as_deref().unwrap_or("?"),
        a.role.unwrap_or("?"),
        a.attested_at.as_deref().unwrap_or("?"),
        a.summary.as_deref().unwrap_or("")
    )
}
