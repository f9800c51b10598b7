//! The four modelseal predicate types, each versioned by its URI, and the
//! roles their signers act in.
//!
//! Every predicate carries the `role` its signer claims and the time it was
//! made (`attestedAt`); a trust policy decides whether the signer holds that
//! role. The JSON Schemas in `docs/attestations/` describe the same shapes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AttestError;
use crate::time::Timestamp;

/// Predicate type of a [`DatasetProvenance`], as written: v2 carries the
/// model's manifest digest (see [`crate::Statement::manifest_digest`]).
pub const DATASET_PROVENANCE_V2: &str = "https://modelseal.dev/attestation/dataset-provenance/v2";
/// Predicate type of a [`Lineage`], as written.
pub const LINEAGE_V2: &str = "https://modelseal.dev/attestation/lineage/v2";
/// Predicate type of a [`SecurityTest`], as written.
pub const SECURITY_TEST_V2: &str = "https://modelseal.dev/attestation/security-test/v2";
/// Predicate type of an [`Exception`], as written.
pub const EXCEPTION_V2: &str = "https://modelseal.dev/attestation/exception/v2";

/// The first version of [`DATASET_PROVENANCE_V2`]: the same fields, bound
/// to the root digest only. Read, never written.
pub const DATASET_PROVENANCE_V1: &str = "https://modelseal.dev/attestation/dataset-provenance/v1";
/// The first version of [`LINEAGE_V2`]. Read, never written.
pub const LINEAGE_V1: &str = "https://modelseal.dev/attestation/lineage/v1";
/// The first version of [`SECURITY_TEST_V2`]. Read, never written.
pub const SECURITY_TEST_V1: &str = "https://modelseal.dev/attestation/security-test/v1";
/// The first version of [`EXCEPTION_V2`]. Read, never written.
pub const EXCEPTION_V1: &str = "https://modelseal.dev/attestation/exception/v1";

/// The longest free-text field accepted (a justification, a change summary).
pub const MAX_TEXT: usize = 16 * 1024;
/// The most entries in a predicate's list (datasets, mitigations, …).
pub const MAX_ITEMS: usize = 1024;

/// The roles of ETSI EN 304 223, plus the tester who runs security tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Builds, trains and releases the model.
    Developer,
    /// Deploys and runs it.
    SystemOperator,
    /// Obtains, holds and documents the data.
    DataCustodian,
    /// Runs security tests and evaluations.
    Tester,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::Developer,
        Role::SystemOperator,
        Role::DataCustodian,
        Role::Tester,
    ];

    /// The role's name as written in predicates and policies.
    pub fn name(self) -> &'static str {
        match self {
            Role::Developer => "developer",
            Role::SystemOperator => "system-operator",
            Role::DataCustodian => "data-custodian",
            Role::Tester => "tester",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role `{s}` (roles: developer, system-operator, data-custodian, tester)"
                )
            })
    }
}

/// An in-toto digest set; modelseal writes and requires `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSet {
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

impl DigestSet {
    /// A digest set from a SHA-256 digest.
    pub fn sha256(digest: &modelseal_hash::Digest) -> Self {
        Self {
            sha256: digest.to_hex(),
        }
    }

    /// Parses `sha256:HEX` or bare `HEX` (64 hex digits).
    pub fn parse(text: &str) -> Result<Self, String> {
        let hex = text.strip_prefix("sha256:").unwrap_or(text);
        let set = Self {
            sha256: hex.to_ascii_lowercase(),
        };
        set.check().map(|()| set)
    }

    fn check(&self) -> Result<(), String> {
        if self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(())
        } else {
            Err(format!(
                "`{}` is not a SHA-256 digest (64 lowercase hex digits)",
                self.sha256
            ))
        }
    }
}

impl fmt::Display for DigestSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.sha256)
    }
}

/// How a dataset was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetUsage {
    /// Pre-training.
    PreTraining,
    /// Fine-tuning.
    FineTuning,
    /// Evaluation or testing only.
    Evaluation,
}

impl DatasetUsage {
    /// Whether the data shaped the weights (pre-training or fine-tuning).
    pub fn is_training(self) -> bool {
        matches!(self, DatasetUsage::PreTraining | DatasetUsage::FineTuning)
    }

    /// The name as written in predicates.
    pub fn name(self) -> &'static str {
        match self {
            DatasetUsage::PreTraining => "pre-training",
            DatasetUsage::FineTuning => "fine-tuning",
            DatasetUsage::Evaluation => "evaluation",
        }
    }
}

impl std::str::FromStr for DatasetUsage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::PreTraining, Self::FineTuning, Self::Evaluation]
            .into_iter()
            .find(|u| u.name() == s)
            .ok_or_else(|| format!("unknown usage `{s}` (pre-training, fine-tuning, evaluation)"))
    }
}

/// Dataset provenance (`dataset-provenance/v2`): where each dataset came
/// from and when, what the local copy was, who holds it. ETSI EN 304 223
/// 5.2.4-2 and 5.2.4-2.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatasetProvenance {
    /// The role the signer acts in (normally `data-custodian`).
    pub role: Role,
    /// When the attestation was made.
    pub attested_at: Timestamp,
    /// One entry per dataset (at least one).
    pub datasets: Vec<Dataset>,
}

/// One dataset in a [`DatasetProvenance`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dataset {
    /// The dataset's name, as the lineage statement refers to it.
    pub name: String,
    /// Where it was obtained, e.g. the URL of the scraped page.
    pub source_uri: String,
    /// When it was obtained.
    pub retrieved_at: Timestamp,
    /// Where `retrieved_at` came from: declared by the signer, or taken
    /// from the local copy's file time, or the time of the attestation.
    /// Absent in statements made before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieved_at_basis: Option<TimeBasis>,
    /// Digest of the local copy: the file's SHA-256, or for a directory the
    /// root digest over its files (OMS style).
    pub digest: DigestSet,
    /// Size of the local copy in bytes.
    pub size: u64,
    /// Files in the local copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// Its licence (an SPDX identifier where there is one).
    pub license: String,
    /// How it was obtained (download, scrape, purchase, …).
    pub obtained_by: String,
    /// How it is used (at least one).
    pub usage: Vec<DatasetUsage>,
    /// Who holds and answers for it.
    pub custodian: String,
}

/// Where a recorded time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeBasis {
    /// Given by the signer (`--retrieved-at`).
    Declared,
    /// The local copy's file time (creation, else modification): when the
    /// copy was made here, a guess at when it was retrieved.
    FileTime,
    /// The time the statement was made: nothing better was known.
    AttestationTime,
}

impl Dataset {
    /// Values that stand in for information the signer did not give: a
    /// licence of `unknown`, `NOASSERTION` or nothing, a source that is not
    /// a URI (`scheme:...`), a retrieval time that was not declared.
    pub fn placeholders(&self) -> Vec<String> {
        let mut out = Vec::new();
        let license = self.license.trim();
        if license.is_empty()
            || license.eq_ignore_ascii_case("unknown")
            || license.eq_ignore_ascii_case("noassertion")
        {
            out.push(format!("licence `{license}` is a placeholder"));
        }
        let uri = self
            .source_uri
            .split_once(':')
            .is_some_and(|(scheme, rest)| {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    && !rest.is_empty()
            });
        if !uri {
            out.push(format!(
                "source `{}` is not a URI (e.g. https://...)",
                self.source_uri
            ));
        }
        match self.retrieved_at_basis {
            Some(TimeBasis::Declared) => {}
            Some(TimeBasis::FileTime) => out.push(
                "retrieval time is the local copy's file time, not a declared time".to_owned(),
            ),
            Some(TimeBasis::AttestationTime) => out.push(
                "retrieval time is the time of the attestation, not a declared time".to_owned(),
            ),
            None => out.push("the retrieval time's basis is not recorded".to_owned()),
        }
        out
    }
}

/// A parent version in a [`Lineage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParentVersion {
    /// The parent's version.
    pub version: String,
    /// The parent's root digest (the OMS subject digest of its signature).
    pub root_digest: DigestSet,
    /// The parent's manifest digest, when known (v2 only): the
    /// `manifestDigest` of its lineage statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<DigestSet>,
}

/// A base model a [`Lineage`] starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BaseModel {
    /// Its name.
    pub name: String,
    /// Where it came from.
    pub source: String,
    /// Its root digest or file digest.
    pub digest: DigestSet,
}

/// A dataset a [`Lineage`] says the version was trained on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingData {
    /// The dataset's name (as in its provenance).
    pub name: String,
    /// The digest of the copy used.
    pub digest: DigestSet,
}

/// Lineage (`lineage/v2`): which version this is, what it came from and
/// what changed. ETSI EN 304 223 5.2.1-2, 5.4.1-2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lineage {
    /// The role the signer acts in (normally `developer`).
    pub role: Role,
    /// When the attestation was made.
    pub attested_at: Timestamp,
    /// This version.
    pub version: String,
    /// The version it was derived from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentVersion>,
    /// The base model it was fine-tuned from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model: Option<BaseModel>,
    /// What changed, e.g. "retrained on new data".
    pub change: String,
    /// The datasets the weights were trained on.
    #[serde(default)]
    pub training_data: Vec<TrainingData>,
}

/// What kind of test a [`SecurityTest`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestKind {
    /// A security test (adversarial robustness, prompt injection, …).
    SecurityTest,
    /// A quality or safety evaluation.
    Evaluation,
    /// A red-team exercise.
    RedTeam,
}

/// A test's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestResult {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Neither.
    Inconclusive,
}

impl TestResult {
    /// The name as written in predicates.
    pub fn name(self) -> &'static str {
        match self {
            TestResult::Pass => "pass",
            TestResult::Fail => "fail",
            TestResult::Inconclusive => "inconclusive",
        }
    }
}

/// A document referred to by digest (a report, a risk assessment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentRef {
    /// Where it is.
    pub uri: String,
    /// Its SHA-256.
    pub digest: DigestSet,
}

/// The test a [`SecurityTest`] ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestRun {
    /// What was run (suite name and version).
    pub name: String,
    /// Which kind of test.
    pub kind: TestKind,
}

/// Security test or evaluation (`security-test/v2`): what was run on these
/// exact weights, with what result. ETSI EN 304 223 5.4.1-2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityTest {
    /// The role the signer acts in (normally `tester`).
    pub role: Role,
    /// When the attestation was made.
    pub attested_at: Timestamp,
    /// What was run.
    pub test: TestRun,
    /// The outcome.
    pub result: TestResult,
    /// The report.
    pub report: DocumentRef,
    /// Who ran it.
    pub tester: String,
    /// When it ran.
    pub performed_at: Timestamp,
}

/// Exception (`exception/v2`): a documented, approved and expiring
/// justification for using a component that is not well documented or not
/// safe by default (a pickle checkpoint). ETSI EN 304 223 5.2.3-2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exception {
    /// The role the signer acts in.
    pub role: Role,
    /// When the attestation was made.
    pub attested_at: Timestamp,
    /// The component: a file of the model, by its name in the manifest.
    pub component: String,
    /// Why it is used.
    pub justification: String,
    /// The risk assessment.
    pub risk_assessment: DocumentRef,
    /// What limits the risk (at least one).
    pub mitigations: Vec<String>,
    /// Who approved it.
    pub approver: String,
    /// When the exception ends.
    pub expires: Timestamp,
}

/// A predicate of one of the modelseal types.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Predicate {
    /// `dataset-provenance/v2` (and `v1`).
    DatasetProvenance(DatasetProvenance),
    /// `lineage/v2` (and `v1`).
    Lineage(Lineage),
    /// `security-test/v2` (and `v1`).
    SecurityTest(SecurityTest),
    /// `exception/v2` (and `v1`).
    Exception(Exception),
}

/// The short names of the predicate types, as the CLI takes them, with the
/// URI written.
pub const PREDICATE_NAMES: [(&str, &str); 4] = [
    ("dataset-provenance", DATASET_PROVENANCE_V2),
    ("lineage", LINEAGE_V2),
    ("security-test", SECURITY_TEST_V2),
    ("exception", EXCEPTION_V2),
];

/// Each v1 predicate type URI with the v2 URI that supersedes it. A v1
/// statement has the same predicate fields but no `manifestDigest`: it is
/// bound to the root digest only, which covers no file names.
pub const PREDICATE_V1_TYPES: [(&str, &str); 4] = [
    (DATASET_PROVENANCE_V1, DATASET_PROVENANCE_V2),
    (LINEAGE_V1, LINEAGE_V2),
    (SECURITY_TEST_V1, SECURITY_TEST_V2),
    (EXCEPTION_V1, EXCEPTION_V2),
];

impl Predicate {
    /// The predicate type URI written (v2).
    pub fn type_uri(&self) -> &'static str {
        match self {
            Predicate::DatasetProvenance(_) => DATASET_PROVENANCE_V2,
            Predicate::Lineage(_) => LINEAGE_V2,
            Predicate::SecurityTest(_) => SECURITY_TEST_V2,
            Predicate::Exception(_) => EXCEPTION_V2,
        }
    }

    /// The v1 predicate type URI of the same type.
    pub fn v1_type_uri(&self) -> &'static str {
        let uri = self.type_uri();
        PREDICATE_V1_TYPES
            .iter()
            .find(|(_, v2)| *v2 == uri)
            .map_or(uri, |(v1, _)| v1)
    }

    /// The short name (`lineage`, …).
    pub fn kind(&self) -> &'static str {
        let uri = self.type_uri();
        PREDICATE_NAMES
            .iter()
            .find(|(_, u)| *u == uri)
            .map_or("unknown", |(name, _)| name)
    }

    /// The role the signer claims.
    pub fn role(&self) -> Role {
        match self {
            Predicate::DatasetProvenance(p) => p.role,
            Predicate::Lineage(p) => p.role,
            Predicate::SecurityTest(p) => p.role,
            Predicate::Exception(p) => p.role,
        }
    }

    /// When the attestation says it was made.
    pub fn attested_at(&self) -> Timestamp {
        match self {
            Predicate::DatasetProvenance(p) => p.attested_at,
            Predicate::Lineage(p) => p.attested_at,
            Predicate::SecurityTest(p) => p.attested_at,
            Predicate::Exception(p) => p.attested_at,
        }
    }

    /// The predicate as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Predicate::DatasetProvenance(p) => serde_json::to_value(p),
            Predicate::Lineage(p) => serde_json::to_value(p),
            Predicate::SecurityTest(p) => serde_json::to_value(p),
            Predicate::Exception(p) => serde_json::to_value(p),
        };
        // Plain structs of strings, numbers and lists always serialise.
        value.unwrap_or(serde_json::Value::Null)
    }

    /// Reads a predicate of type `type_uri` (a URI of either version or a
    /// short name) from JSON, and checks it (see [`Predicate::check`]). The
    /// fields are the same in both versions; `manifestDigest` is the
    /// statement's ([`crate::Statement::from_json`]), not a predicate field.
    pub fn from_json(type_uri: &str, value: serde_json::Value) -> Result<Self, AttestError> {
        let uri = resolve_type(type_uri)?;
        let bad = |source: serde_json::Error| AttestError::Predicate {
            predicate_type: uri.to_owned(),
            message: source.to_string(),
        };
        let predicate = match uri {
            DATASET_PROVENANCE_V2 => {
                Predicate::DatasetProvenance(serde_json::from_value(value).map_err(bad)?)
            }
            LINEAGE_V2 => Predicate::Lineage(serde_json::from_value(value).map_err(bad)?),
            SECURITY_TEST_V2 => {
                Predicate::SecurityTest(serde_json::from_value(value).map_err(bad)?)
            }
            _ => Predicate::Exception(serde_json::from_value(value).map_err(bad)?),
        };
        predicate
            .check()
            .map_err(|message| AttestError::Predicate {
                predicate_type: uri.to_owned(),
                message,
            })?;
        Ok(predicate)
    }

    /// Checks what the types alone do not: non-empty names and lists, text
    /// and list lengths within [`MAX_TEXT`] and [`MAX_ITEMS`], digests of 64
    /// lowercase hex digits, component names relative and inside the model.
    pub fn check(&self) -> Result<(), String> {
        let mut c = Checker::default();
        match self {
            Predicate::DatasetProvenance(p) => {
                c.list("datasets", p.datasets.len(), 1);
                for (i, d) in p.datasets.iter().enumerate() {
                    let at = |f: &str| format!("datasets[{i}].{f}");
                    c.text(&at("name"), &d.name);
                    c.text(&at("sourceUri"), &d.source_uri);
                    c.text(&at("license"), &d.license);
                    c.text(&at("obtainedBy"), &d.obtained_by);
                    c.text(&at("custodian"), &d.custodian);
                    c.digest(&at("digest"), &d.digest);
                    c.list(&at("usage"), d.usage.len(), 1);
                }
            }
            Predicate::Lineage(p) => {
                c.text("version", &p.version);
                c.text("change", &p.change);
                if let Some(parent) = &p.parent {
                    c.text("parent.version", &parent.version);
                    c.digest("parent.rootDigest", &parent.root_digest);
                    if let Some(manifest) = &parent.manifest_digest {
                        c.digest("parent.manifestDigest", manifest);
                    }
                }
                if let Some(base) = &p.base_model {
                    c.text("baseModel.name", &base.name);
                    c.text("baseModel.source", &base.source);
                    c.digest("baseModel.digest", &base.digest);
                }
                c.list("trainingData", p.training_data.len(), 0);
                for (i, d) in p.training_data.iter().enumerate() {
                    c.text(&format!("trainingData[{i}].name"), &d.name);
                    c.digest(&format!("trainingData[{i}].digest"), &d.digest);
                }
            }
            Predicate::SecurityTest(p) => {
                c.text("test.name", &p.test.name);
                c.text("report.uri", &p.report.uri);
                c.digest("report.digest", &p.report.digest);
                c.text("tester", &p.tester);
            }
            Predicate::Exception(p) => {
                c.text("component", &p.component);
                if p.component == "." {
                    c.fail(
                        "component `.` names no file: give the file's path in the model".to_owned(),
                    );
                } else if let Err(problem) =
                    modelseal_oms::statement::check_resource_name(&p.component)
                {
                    c.fail(format!("component `{}`: {problem}", p.component));
                }
                c.text("justification", &p.justification);
                c.text("riskAssessment.uri", &p.risk_assessment.uri);
                c.digest("riskAssessment.digest", &p.risk_assessment.digest);
                c.list("mitigations", p.mitigations.len(), 1);
                for (i, m) in p.mitigations.iter().enumerate() {
                    c.text(&format!("mitigations[{i}]"), m);
                }
                c.text("approver", &p.approver);
            }
        }
        c.finish()
    }
}

/// The predicate type URI written (v2) for a short name (`lineage`), a v2
/// URI, or the v1 URI it supersedes (same fields).
pub fn resolve_type(type_uri: &str) -> Result<&'static str, AttestError> {
    PREDICATE_NAMES
        .iter()
        .find(|(name, uri)| *name == type_uri || *uri == type_uri)
        .map(|(_, uri)| *uri)
        .or_else(|| {
            PREDICATE_V1_TYPES
                .iter()
                .find(|(v1, _)| *v1 == type_uri)
                .map(|(_, v2)| *v2)
        })
        .ok_or_else(|| AttestError::UnknownPredicateType(type_uri.to_owned()))
}

/// Collects the first problem of a predicate.
#[derive(Default)]
struct Checker {
    problem: Option<String>,
}

impl Checker {
    fn fail(&mut self, message: String) {
        self.problem.get_or_insert(message);
    }

    fn text(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(format!("`{field}` is empty"));
        } else if value.len() > MAX_TEXT {
            self.fail(format!(
                "`{field}` is {} bytes, more than the {MAX_TEXT}-byte limit",
                value.len()
            ));
        }
    }

    fn list(&mut self, field: &str, len: usize, min: usize) {
        if len < min {
            self.fail(format!("`{field}` needs at least {min} entry"));
        } else if len > MAX_ITEMS {
            self.fail(format!(
                "`{field}` has {len} entries, more than {MAX_ITEMS}"
            ));
        }
    }

    fn digest(&mut self, field: &str, digest: &DigestSet) {
        if let Err(message) = digest.check() {
            self.fail(format!("`{field}`: {message}"));
        }
    }

    fn finish(self) -> Result<(), String> {
        self.problem.map_or(Ok(()), Err)
    }
}
