//! The evidence report: ETSI EN 304 223 provision by provision, which
//! signed statements evidence it and what is missing.
//!
//! One source of truth: the report is built from the result `verify
//! --policy` returns (the same findings, the same rule outcomes, the same
//! verdict and exit code). Rules the policy does not configure are then
//! evaluated on those same checked attestations, for the report only.

use std::path::Path;

use modelseal_attest::policy::{RetrainingRule, RoleRule, TestRule, UnsafeFormatsRule};
use modelseal_attest::{CheckedAttestation, Policy, Role, RuleOutcome, Timestamp};
use serde::Serialize;

use crate::error::Error;
use crate::formats::UncheckedFile;
use crate::report::{AttestationEntry, Finding, REPORT_VERSION, SignerReport};
use crate::verify::{Verified, VerifyOptions, verify_model_checked};

/// The standard the report maps to, with the edition its provision
/// numbers come from.
pub const STANDARD: &str = "ETSI EN 304 223";
/// The edition of [`STANDARD`] whose provisions the report lists.
pub const STANDARD_EDITION: &str = "V2.1.1 (2025-12)";

/// How well a provision is evidenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProvisionStatus {
    /// Signed statements evidence it, about the files on disk.
    Met,
    /// The evidence contradicts it: the files differ from the signature,
    /// a trusted test failed, an exception expired, a link is broken.
    Failed,
    /// Some of it is evidenced; `missing` says what is not (placeholders,
    /// formats not inspected, files that do not match).
    Partial,
    /// No evidence.
    Missing,
    /// Nothing in this model that the provision is about (no pickle-based
    /// or uninspected files, say).
    NotApplicable,
}

impl ProvisionStatus {
    /// The name used in JSON and in the Markdown report.
    pub fn name(self) -> &'static str {
        match self {
            ProvisionStatus::Met => "met",
            ProvisionStatus::Failed => "failed",
            ProvisionStatus::Partial => "partial",
            ProvisionStatus::Missing => "missing",
            ProvisionStatus::NotApplicable => "not-applicable",
        }
    }
}

/// One piece of evidence, traceable to the signed bytes it comes from.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EvidenceItem {
    /// `model-signature`, `attestation`, `version`, `manifest` or `note`.
    pub kind: &'static str,
    /// Its line in the attestations file (attestations and versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// One line for people.
    pub text: String,
    /// The policy signer who signed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The signer's key id (hex SHA-256 of the public key PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The signer's key algorithm (`p256`, `ed25519`, …): of the policy's
    /// key for an attestation, of the signature for the model signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_algorithm: Option<&'static str>,
    /// The required leaf subject of a certificate signer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_subject: Option<String>,
    /// The SHA-256 of the signed statement, `sha256:HEX` (an object in
    /// JSON): recompute it from the attestations file's line.
    #[serde(
        serialize_with = "modelseal_hash::digest_json::labelled_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub statement_digest: Option<String>,
    /// The statement's `predicateType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<&'static str>,
    /// The signed predicate, in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub predicate: Option<serde_json::Value>,
}

impl EvidenceItem {
    fn note(kind: &'static str, text: String) -> Self {
        Self {
            kind,
            line: None,
            text,
            signer: None,
            key_id: None,
            key_algorithm: None,
            certificate_subject: None,
            statement_digest: None,
            predicate_type: None,
            predicate: None,
        }
    }
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
    /// What evidences it, in attestations-file order.
    pub evidence: Vec<EvidenceItem>,
    /// What is missing, failed or not checked.
    pub missing: Vec<String>,
}

/// The tool that made a report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ToolRef {
    /// `modelseal`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// The standard a report maps to.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StandardRef {
    /// [`STANDARD`].
    pub name: &'static str,
    /// [`STANDARD_EDITION`].
    pub edition: &'static str,
}

/// The policy that decided.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyRef {
    /// The policy file.
    pub path: String,
    /// The SHA-256 of its text, hex (an object in JSON).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub digest: String,
}

/// The evidence report of a model under a policy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EvidenceReport {
    /// Always `"report"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The tool and its version.
    pub tool: ToolRef,
    /// The standard and its edition.
    pub standard: StandardRef,
    /// The model path as given.
    pub model: String,
    /// The policy file and its digest.
    pub policy: PolicyRef,
    /// When it was evaluated, RFC 3339.
    pub evaluated_at: String,
    /// The signature file.
    pub signature: String,
    /// Who signed the model, as `verify` reports it.
    pub signer: SignerReport,
    /// The policy signer who signed the model.
    pub model_signer: String,
    /// The signed root digest, hex (an object in JSON, as in `verify`).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub root_digest: String,
    /// The signed manifest's digest, which attestations are bound to, hex
    /// (an object in JSON).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub manifest_digest: String,
    /// `verify --policy`'s verdict, which sets the exit code: the files
    /// match the signature and every rule the policy configures passed.
    pub verified: bool,
    /// True when the signature verified and the files match it (no failing
    /// finding).
    pub model_verified: bool,
    /// `verify`'s `policy.passed`: every rule the policy configures passed.
    pub policy_passed: bool,
    /// `verify`'s findings, failing or not.
    pub findings: Vec<Finding>,
    /// Files whose format was identified but not inspected.
    pub unchecked_files: Vec<UncheckedFile>,
    /// Each provision.
    pub provisions: Vec<Provision>,
    /// Every rule, evaluated whether or not the policy enforces it, with
    /// `enforced` telling which.
    pub rules: Vec<EvaluatedRule>,
    /// Each attestation, with the rules (enforced or not) that count it.
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
    /// for the report, with default roles, and does not decide the
    /// verdict).
    pub enforced: bool,
}

/// Verifies the model with the policy in `options` (which must have one),
/// exactly as `verify --policy` does, and maps the outcome to the
/// provisions of ETSI EN 304 223. Rules the policy does not configure are
/// evaluated on the same checked attestations with the default roles
/// (developer, data-custodian, tester) and never change the verdict.
pub fn evidence_report(model: &Path, options: &VerifyOptions) -> Result<EvidenceReport, Error> {
    evidence_report_with(model, options, None)
}

/// [`evidence_report`], with the known-good store the model is kept in:
/// 5.2.1-3 (restoring a known good state) is met when the store holds a
/// version of this signed root digest whose blobs and signature verify.
///
/// # Errors
/// As [`evidence_report`]; a store that cannot be read.
pub fn evidence_report_with(
    model: &Path,
    options: &VerifyOptions,
    store: Option<&Path>,
) -> Result<EvidenceReport, Error> {
    let policy = options
        .policy
        .clone()
        .ok_or_else(|| Error::Usage("an evidence report needs a trust policy".to_owned()))?;
    let mut options = options.clone();
    options.at = Some(options.at.unwrap_or_else(Timestamp::now));
    // The inventory (5.2.1-1) hashes the same files: without a cache of
    // the caller's, one for this report alone, so they are read once.
    let scratch = match &options.cache_dir {
        Some(_) => None,
        None => {
            Some(tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?)
        }
    };
    if let Some(dir) = &scratch {
        options.cache_dir = Some(dir.path().to_owned());
    }
    let v = verify_model_checked(model, &options)?;
    let inventory = crate::inventory::inventory_model(model, options.cache_dir.clone())?;
    let known_good = store
        .map(|store| {
            crate::known_good::stored_copy(
                store,
                &format!("sha256:{}", v.report.root_digest),
                &options,
            )
            .map(|found| (store.to_owned(), found))
        })
        .transpose()?;
    let (Some(outcome), Some(facts)) = (v.report.policy.clone(), v.facts.clone()) else {
        return Err(Error::Usage("the policy was not evaluated".to_owned()));
    };
    let full = with_default_rules(&policy);
    let rules = merge_rules(
        &outcome.rules,
        &modelseal_attest::evaluate(&full, &facts, &v.checked),
    );
    let mut attestations = outcome.attestations.clone();
    let all: Vec<RuleOutcome> = rules.iter().map(|r| r.outcome.clone()).collect();
    AttestationEntry::count_by(&mut attestations, &all);
    let history = crate::attest::lineage_history(&full, &v.checked, &facts.digests);
    let ctx = Ctx {
        v: &v,
        rules: &rules,
        entries: &attestations,
        history: &history,
        model_signer: &outcome.model_signer,
        manifest_digest: &outcome.manifest_digest,
        inventory: &inventory,
        known_good: known_good.as_ref(),
    };
    let provisions = ctx.provisions();
    let report = &v.report;
    Ok(EvidenceReport {
        kind: "report",
        version: REPORT_VERSION,
        tool: ToolRef {
            name: "modelseal",
            version: env!("CARGO_PKG_VERSION"),
        },
        standard: StandardRef {
            name: STANDARD,
            edition: STANDARD_EDITION,
        },
        model: model.display().to_string(),
        policy: PolicyRef {
            path: policy.path.display().to_string(),
            digest: policy.digest.clone(),
        },
        evaluated_at: outcome.evaluated_at.clone(),
        signature: report.signature.clone(),
        signer: report.signer.clone(),
        model_signer: outcome.model_signer.clone(),
        root_digest: report.root_digest.clone(),
        manifest_digest: outcome.manifest_digest.clone(),
        verified: report.verified,
        model_verified: ctx.files_ok(),
        policy_passed: outcome.passed,
        findings: report.findings.clone(),
        unchecked_files: report.unchecked_files.clone(),
        provisions,
        rules,
        attestations,
        history,
    })
}

/// The policy with every rule it does not configure added, with the
/// default roles: what the report evaluates for information.
fn with_default_rules(policy: &Policy) -> Policy {
    let mut full = policy.clone();
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
    full
}

/// Every rule of `informational` (the full set), taking the outcome
/// `verify` computed for each rule the policy configures.
fn merge_rules(enforced: &[RuleOutcome], informational: &[RuleOutcome]) -> Vec<EvaluatedRule> {
    informational
        .iter()
        .map(|info| match enforced.iter().find(|r| r.rule == info.rule) {
            Some(outcome) => EvaluatedRule {
                outcome: outcome.clone(),
                enforced: true,
            },
            None => EvaluatedRule {
                outcome: info.clone(),
                enforced: false,
            },
        })
        .collect()
}

/// What the provisions are read from.
struct Ctx<'a> {
    v: &'a Verified,
    rules: &'a [EvaluatedRule],
    entries: &'a [AttestationEntry],
    history: &'a [modelseal_attest::Version],
    model_signer: &'a str,
    manifest_digest: &'a str,
    inventory: &'a crate::inventory::InventoryModel,
    /// The store given, and the verified stored copy of this root digest
    /// in it, if any.
    known_good: Option<&'a (std::path::PathBuf, Option<crate::known_good::StoredVersion>)>,
}

impl Ctx<'_> {
    fn files_ok(&self) -> bool {
        !self.v.report.findings.iter().any(Finding::fails)
    }

    fn rule(&self, name: &str) -> Option<&RuleOutcome> {
        self.rules
            .iter()
            .map(|r| &r.outcome)
            .find(|r| r.rule == name)
    }

    fn passed(&self, name: &str) -> bool {
        self.rule(name).is_some_and(|r| r.passed)
    }

    fn failing(&self, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .filter_map(|n| self.rule(n))
            .filter(|r| !r.passed)
            .map(|r| format!("{}: {}", r.rule, r.reason))
            .collect()
    }

    fn checked(&self, line: usize) -> Option<&CheckedAttestation> {
        self.v.checked.iter().find(|a| a.line == line)
    }

    /// One evidence item per line, in line order.
    fn items(&self, lines: impl IntoIterator<Item = usize>) -> Vec<EvidenceItem> {
        let mut lines: Vec<usize> = lines.into_iter().collect();
        lines.sort_unstable();
        lines.dedup();
        lines
            .into_iter()
            .filter_map(|line| self.entries.iter().find(|a| a.line == line))
            .map(|a| self.item(a))
            .collect()
    }

    fn item(&self, a: &AttestationEntry) -> EvidenceItem {
        let statement = self.checked(a.line).and_then(|c| c.statement.as_ref());
        EvidenceItem {
            kind: "attestation",
            line: Some(a.line),
            text: format!(
                "line {}: {} by `{}` ({}) at {} (self-declared time): {}",
                a.line,
                a.predicate.unwrap_or("?"),
                a.signer.as_deref().unwrap_or("?"),
                a.role.unwrap_or("?"),
                a.attested_at.as_deref().unwrap_or("?"),
                a.summary.as_deref().unwrap_or("")
            ),
            signer: a.signer.clone(),
            key_id: a.key_id.clone(),
            key_algorithm: a.key_algorithm,
            certificate_subject: a.certificate_subject.clone(),
            statement_digest: a.statement_digest.clone(),
            predicate_type: a.predicate_type,
            // The predicate as signed, its manifest binding included.
            predicate: statement.and_then(|s| {
                serde_json::from_slice::<serde_json::Value>(&s.to_json())
                    .ok()
                    .and_then(|mut v| v.get_mut("predicate").map(serde_json::Value::take))
            }),
        }
    }

    fn rule_items(&self, names: &[&str]) -> Vec<EvidenceItem> {
        self.items(
            names
                .iter()
                .filter_map(|n| self.rule(n))
                .flat_map(|r| r.evidence.iter().copied()),
        )
    }

    fn signature_item(&self) -> EvidenceItem {
        let r = &self.v.report;
        let (key_id, certificate_subject) = match &r.signer {
            SignerReport::Key { key_id, .. } => (Some(key_id.clone()), None),
            SignerReport::Certificate { subject, .. } => (None, Some(subject.clone())),
            SignerReport::Sigstore {
                identity,
                issuer,
                log_index,
                ..
            } => (
                None,
                Some(format!(
                    "Sigstore keyless: {identity} (issuer {issuer}), Rekor log index {log_index}"
                )),
            ),
        };
        EvidenceItem {
            signer: Some(self.model_signer.to_owned()),
            key_id,
            key_algorithm: Some(r.signature_algorithm),
            certificate_subject,
            ..EvidenceItem::note(
                "model-signature",
                format!(
                    "model signature `{}` ({}) by `{}`: {} resources, root sha256:{}, manifest \
                     sha256:{}",
                    r.signature,
                    r.signature_algorithm,
                    self.model_signer,
                    r.resources_signed,
                    r.root_digest,
                    self.manifest_digest
                ),
            )
        }
    }

    /// Caps a status when the files on disk do not match the signature:
    /// the evidence is then about bytes that are not there.
    fn gate(&self, status: ProvisionStatus, missing: &mut Vec<String>) -> ProvisionStatus {
        if self.files_ok() || status != ProvisionStatus::Met {
            return status;
        }
        missing.push(
            "the files on disk do not match the signed manifest (see 5.2.4-1.2): this evidence \
             is about the signed bytes, not the files present"
                .to_owned(),
        );
        ProvisionStatus::Partial
    }

    fn provisions(&self) -> Vec<Provision> {
        vec![
            self.hashes(),
            self.assets(),
            self.training_data(),
            self.retraining(),
            self.components(),
            self.audit_trail(),
            self.inventory(),
            self.known_good(),
            Provision {
                id: "5.5.1-1, 5.5.1-2",
                title: "secure disposal at end of life",
                status: ProvisionStatus::Missing,
                evidence: Vec::new(),
                missing: vec![
                    "modelseal does not produce this evidence yet: signed retirement records are \
                     not provided"
                        .to_owned(),
                ],
            },
        ]
    }

    /// 5.2.4-1.2: the signed hashes, and whether the files match them.
    fn hashes(&self) -> Provision {
        let r = &self.v.report;
        let mut missing: Vec<String> = r
            .findings
            .iter()
            .filter(|f| f.fails())
            .map(Finding::describe)
            .collect();
        missing.extend(self.failing(&["model-signature"]));
        let tolerated: Vec<String> = r
            .findings
            .iter()
            .filter(|f| matches!(f, Finding::Unsigned { fails: false, .. }))
            .map(Finding::describe)
            .collect();
        let status = if !missing.is_empty() {
            ProvisionStatus::Failed
        } else if r.partial || !tolerated.is_empty() {
            if r.partial {
                missing.push(format!(
                    "only {} of {} resources were checked (--only)",
                    r.resources_checked, r.resources_signed
                ));
            }
            missing.extend(tolerated.into_iter().map(|t| format!("{t} (allowed)")));
            ProvisionStatus::Partial
        } else {
            ProvisionStatus::Met
        };
        Provision {
            id: "5.2.4-1.2",
            title: "cryptographic hashes for model components released to others",
            status,
            evidence: vec![self.signature_item()],
            missing,
        }
    }

    /// 5.2.1-2: signed, and version-controlled through lineage.
    fn assets(&self) -> Provision {
        let mut evidence = vec![self.signature_item()];
        evidence.extend(self.rule_items(&["lineage"]));
        let mut missing = self.failing(&["model-signature", "lineage"]);
        let status = if !self.files_ok() || !self.passed("model-signature") {
            if !self.files_ok() {
                missing.push("the files on disk do not match the signed manifest".to_owned());
            }
            ProvisionStatus::Failed
        } else if self.passed("lineage") {
            ProvisionStatus::Met
        } else {
            ProvisionStatus::Partial
        };
        Provision {
            id: "5.2.1-2",
            title: "assets tracked, authenticated and version-controlled",
            status,
            evidence,
            missing,
        }
    }

    /// 5.2.4-2: provenance of the training data, placeholders flagged.
    fn training_data(&self) -> Provision {
        let evidence = self.rule_items(&["datasets"]);
        let mut missing = self.failing(&["datasets"]);
        let mut placeholders = Vec::new();
        for item in &evidence {
            let statement = item
                .line
                .and_then(|l| self.checked(l))
                .and_then(|c| c.statement.as_ref());
            if let Some(modelseal_attest::Predicate::DatasetProvenance(p)) =
                statement.map(|s| &s.predicate)
            {
                for d in &p.datasets {
                    for what in d.placeholders() {
                        placeholders.push(format!(
                            "line {}: dataset `{}`: {what}",
                            item.line.unwrap_or(0),
                            d.name
                        ));
                    }
                }
            }
        }
        let provenance_bound = self.v.checked.iter().any(|a| {
            a.status == modelseal_attest::AttestationStatus::Accepted
                && a.statement
                    .as_ref()
                    .is_some_and(|s| s.predicate.kind() == "dataset-provenance")
        });
        let status = if !self.passed("datasets") {
            // Provenance bound to this model that the lineage's datasets do
            // not match contradicts it; none at all is missing.
            if provenance_bound {
                ProvisionStatus::Failed
            } else {
                ProvisionStatus::Missing
            }
        } else if evidence.is_empty() {
            missing.push("the lineage statement names no training data".to_owned());
            ProvisionStatus::Missing
        } else if !placeholders.is_empty() {
            ProvisionStatus::Partial
        } else {
            ProvisionStatus::Met
        };
        missing.extend(placeholders);
        let status = self.gate(status, &mut missing);
        Provision {
            id: "5.2.4-2, 5.2.4-2.1",
            title: "source (e.g. URL) and retrieval time of public training data",
            status,
            evidence,
            missing,
        }
    }

    /// 5.4.1-2: a retrained model is a new version, with new testing.
    fn retraining(&self) -> Provision {
        let evidence = self.rule_items(&["retraining", "tests"]);
        let mut missing = self.failing(&["retraining", "tests"]);
        // The tests rule cites lines only when it passes or when a trusted
        // test failed.
        let trusted_failure = self
            .rule("tests")
            .is_some_and(|r| !r.passed && !r.evidence.is_empty());
        let status = match (
            trusted_failure,
            self.passed("retraining"),
            self.passed("tests"),
        ) {
            (true, _, _) => ProvisionStatus::Failed,
            (false, true, true) => ProvisionStatus::Met,
            (false, true, false) | (false, false, true) => ProvisionStatus::Partial,
            (false, false, false) => ProvisionStatus::Missing,
        };
        let status = self.gate(status, &mut missing);
        Provision {
            id: "5.4.1-2",
            title: "a major update (retraining) is a new version with new security testing",
            status,
            evidence,
            missing,
        }
    }

    /// 5.2.3-2: pickle-based files justified, uninspected formats named.
    fn components(&self) -> Provision {
        let facts = self.v.facts.as_ref();
        let pickles = facts.map_or(&[][..], |f| f.unsafe_files.as_slice());
        let unchecked = &self.v.report.unchecked_files;
        let mut evidence = self.rule_items(&["unsafe-formats"]);
        let mut missing = self.failing(&["unsafe-formats"]);
        missing.extend(
            unchecked
                .iter()
                .map(|u| format!("not checked: `{}` ({}): {}", u.name, u.format, u.reason)),
        );
        let expired = self.entries.iter().any(|a| a.status == "expired");
        let status = if !self.passed("unsafe-formats") {
            if expired {
                ProvisionStatus::Failed
            } else {
                ProvisionStatus::Missing
            }
        } else if pickles.is_empty() && unchecked.is_empty() {
            evidence.push(EvidenceItem::note(
                "manifest",
                "no pickle-based files, and every file's format was inspected".to_owned(),
            ));
            ProvisionStatus::NotApplicable
        } else if !unchecked.is_empty() {
            ProvisionStatus::Partial
        } else {
            ProvisionStatus::Met
        };
        let status = self.gate(status, &mut missing);
        Provision {
            id: "5.2.3-2, 5.2.3-2.1, 5.2.3-2.2",
            title: "documented justification and risk assessment for components that are not well \
                    documented",
            status,
            evidence,
            missing,
        }
    }

    /// 5.2.4-1: the version history, linked back to a first version.
    fn audit_trail(&self) -> Provision {
        let history = self.history;
        let mut missing: Vec<String> = history
            .iter()
            .filter(|v| v.link.is_broken())
            .map(|v| format!("version {}: {}", v.version, v.link))
            .collect();
        let broken = !missing.is_empty();
        let head_v1 = history.first().filter(|v| v.manifest_digest.is_none());
        if let Some(v) = head_v1 {
            missing.push(format!(
                "version {}: its lineage statement (line {}) is v1, bound to the root digest \
                 only: re-attest it",
                v.version, v.line
            ));
        }
        let status = if history.is_empty() {
            missing.push("no lineage statement is bound to this version".to_owned());
            ProvisionStatus::Missing
        } else if broken {
            ProvisionStatus::Failed
        } else if head_v1.is_some() || !modelseal_attest::history_complete(history) {
            ProvisionStatus::Partial
        } else {
            ProvisionStatus::Met
        };
        let status = self.gate(status, &mut missing);
        let evidence = history
            .iter()
            .map(|v| {
                let from = self.entries.iter().find(|a| a.line == v.line);
                EvidenceItem {
                    line: Some(v.line),
                    signer: Some(v.signer.clone()),
                    key_id: from.and_then(|a| a.key_id.clone()),
                    key_algorithm: from.and_then(|a| a.key_algorithm),
                    statement_digest: from.and_then(|a| a.statement_digest.clone()),
                    ..EvidenceItem::note(
                        "version",
                        format!(
                            "version {} {} by `{}` at {}: {} ({})",
                            v.version, v.root_digest, v.signer, v.attested_at, v.change, v.link
                        ),
                    )
                }
            })
            .collect();
        Provision {
            id: "5.2.4-1",
            title: "audit trail of the model's lifecycle",
            status,
            evidence,
            missing,
        }
    }

    /// 5.2.1-1: the model's files as an inventory lists them (digests,
    /// formats), and what it depends on, from accepted statements.
    fn inventory(&self) -> Provision {
        let inv = self.inventory;
        let formats: Vec<&str> = inv.formats.iter().map(|f| f.name()).collect();
        let mut evidence = vec![EvidenceItem::note(
            "inventory",
            format!(
                "{} components with their SHA-256 digests ({}; {} bytes), root sha256:{} of the \
                 files as found; `modelseal inventory {} --format cyclonedx` exports them as a \
                 CycloneDX ML-BOM",
                inv.file_count,
                if formats.is_empty() {
                    "no model format identified".to_owned()
                } else {
                    format!("formats: {}", formats.join(", "))
                },
                inv.size,
                inv.root_digest.digest,
                self.v.report.model
            ),
        )];
        // Dependencies: base model, parent version, datasets, from
        // statements the policy accepted.
        let accepted: Vec<usize> = self
            .v
            .checked
            .iter()
            .filter(|a| {
                a.status == modelseal_attest::AttestationStatus::Accepted
                    && a.statement.as_ref().is_some_and(|s| {
                        matches!(s.predicate.kind(), "lineage" | "dataset-provenance")
                    })
            })
            .map(|a| a.line)
            .collect();
        let dependencies = self.items(accepted);
        let mut missing: Vec<String> = inv.problems.clone();
        if let Some(card) = &inv.card {
            let mut declared = Vec::new();
            if !card.base_model.is_empty() {
                declared.push(format!("base model {}", card.base_model.join(", ")));
            }
            if !card.datasets.is_empty() {
                declared.push(format!("datasets {}", card.datasets.join(", ")));
            }
            if let Some(license) = &card.license {
                declared.push(format!("license {license}"));
            }
            if !declared.is_empty() {
                evidence.push(EvidenceItem::note(
                    "model-card",
                    format!(
                        "`{}` declares (unsigned): {}",
                        card.source,
                        declared.join("; ")
                    ),
                ));
            }
        }
        if dependencies.is_empty() {
            missing.push(
                "no accepted lineage or dataset-provenance statement records what the model \
                 depends on (base model, parent version, datasets)"
                    .to_owned(),
            );
        }
        evidence.extend(dependencies);
        let status = if missing.is_empty() {
            ProvisionStatus::Met
        } else {
            ProvisionStatus::Partial
        };
        let status = self.gate(status, &mut missing);
        Provision {
            id: "5.2.1-1",
            title: "inventory of AI assets and their interdependencies",
            status,
            evidence,
            missing,
        }
    }

    /// 5.2.1-3: a verified copy of this signed state in a known-good
    /// store, from which `restore` brings it back.
    fn known_good(&self) -> Provision {
        let pin = EvidenceItem::note(
            "manifest",
            format!(
                "the signature pins the known-good state (root sha256:{}); verify lists \
                 exactly what differs",
                self.v.report.root_digest
            ),
        );
        let (status, evidence, missing) = match self.known_good {
            None => (
                ProvisionStatus::Partial,
                vec![pin],
                vec!["no known-good store given (`report --store DIR`): nothing shows a copy to restore from".to_owned()],
            ),
            Some((store, None)) => (
                ProvisionStatus::Partial,
                vec![pin],
                vec![format!(
                    "the store `{}` holds no verified copy of root sha256:{} (`modelseal store add`)",
                    store.display(),
                    self.v.report.root_digest
                )],
            ),
            Some((store, Some(version))) => (
                ProvisionStatus::Met,
                vec![
                    pin,
                    EvidenceItem::note(
                        "store",
                        format!(
                            "stored as {} in `{}` (OCI manifest {}, stored {}): every blob and the \
                             signature over the stored files verified; `modelseal restore {} DEST \
                             --store {}` restores it, verified before it is moved into place",
                            version.name,
                            store.display(),
                            version.manifest_digest,
                            version.created.as_deref().unwrap_or("?"),
                            version.name,
                            store.display()
                        ),
                    ),
                ],
                Vec::new(),
            ),
        };
        let mut missing = missing;
        let status = self.gate(status, &mut missing);
        Provision {
            id: "5.2.1-3, 5.2.1-3.1",
            title: "a known good state can be restored",
            status,
            evidence,
            missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(rule: &'static str, passed: bool) -> RuleOutcome {
        RuleOutcome {
            rule,
            passed,
            reason: String::new(),
            evidence: Vec::new(),
        }
    }

    // The rules the policy configures keep verify's outcome; the others
    // are the report's own and never enforced.
    #[test]
    fn enforced_rules_keep_verify_outcome() {
        let enforced = [outcome("model-signature", true), outcome("tests", false)];
        let info = [
            outcome("model-signature", true),
            outcome("tests", true),
            outcome("lineage", false),
        ];
        let merged = merge_rules(&enforced, &info);
        let got: Vec<(&str, bool, bool)> = merged
            .iter()
            .map(|r| (r.outcome.rule, r.outcome.passed, r.enforced))
            .collect();
        assert_eq!(
            got,
            [
                ("model-signature", true, true),
                ("tests", false, true),
                ("lineage", false, false)
            ]
        );
    }
}
