//! Checking a model's attestations against a trust policy: each
//! attestation's signature and signer standing, then each rule.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::policy::{
    Identified, Policy, RetrainingRule, RoleRule, TestRule, Unidentified, UnsafeFormatsRule,
};
use crate::predicate::{
    DatasetProvenance, DigestSet, Exception, Lineage, Predicate, Role, TestResult,
};
use crate::statement::Statement;
use crate::store::StoredAttestation;
use crate::time::Timestamp;

/// The digests an attestation about a model must be bound to, both from
/// the model's (verified) signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDigests {
    /// The root digest: the statement's subject.
    pub root_digest: DigestSet,
    /// The manifest digest, which also covers the files' names: the
    /// statement's `manifestDigest`.
    pub manifest_digest: DigestSet,
}

impl ModelDigests {
    /// The digests of a signed manifest.
    pub fn of(manifest: &modelseal_oms::SignedManifest) -> Self {
        Self {
            root_digest: DigestSet::sha256(&manifest.root_digest),
            manifest_digest: DigestSet::sha256(&manifest.manifest_digest()),
        }
    }
}

/// What the policy is evaluated against: facts established by verifying
/// the model's signature and files.
#[derive(Debug, Clone)]
pub struct ModelFacts {
    /// The verified model signature's root and manifest digests.
    pub digests: ModelDigests,
    /// The policy signer who signed the model ([`Policy::identify`]).
    pub model_signer: usize,
    /// Pickle-based files of the model (names as in the manifest).
    pub unsafe_files: Vec<String>,
    /// When to evaluate (validity windows, exception expiry).
    pub at: Timestamp,
}

/// How one attestation fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "status", content = "reason")]
#[non_exhaustive]
pub enum AttestationStatus {
    /// Verified, from a signer in good standing holding the claimed role,
    /// bound to this model: it counts.
    Accepted,
    /// Verified and in good standing, but about another root digest (an
    /// earlier version, or another model), or about another manifest with
    /// this root digest (the same contents under other file names): it
    /// does not count here.
    OtherModel(String),
    /// Verified and in good standing, bound to this root digest, but a v1
    /// statement: the root digest covers no file names, so it may have been
    /// made about another manifest with the same root. It does not count
    /// for the rules (re-attest to bind it to the manifest); it does not
    /// fail the policy by itself, and `modelseal log` still lists it.
    RootOnly(String),
    /// An exception, verified and bound to this model, whose expiry date
    /// has passed: it no longer covers its component (shown, never
    /// counted; it fails nothing by itself).
    Expired(String),
    /// Signed by nobody the policy lists: ignored.
    UntrustedSigner(String),
    /// The signer is revoked or outside its validity window: ignored.
    SignerNotValid(String),
    /// The signer does not hold the role the statement claims: a forged
    /// role, which fails the policy.
    RoleNotHeld(String),
    /// The signature does not verify: fails the policy.
    BadSignature(String),
    /// Not a well-formed bundle or statement: fails the policy.
    Malformed(String),
}

impl AttestationStatus {
    /// Whether this attestation by itself fails the policy.
    pub fn fails(&self) -> bool {
        matches!(
            self,
            AttestationStatus::RoleNotHeld(_)
                | AttestationStatus::BadSignature(_)
                | AttestationStatus::Malformed(_)
        )
    }

    /// A short name of the status.
    pub fn name(&self) -> &'static str {
        match self {
            AttestationStatus::Accepted => "accepted",
            AttestationStatus::OtherModel(_) => "other-model",
            AttestationStatus::RootOnly(_) => "root-only",
            AttestationStatus::Expired(_) => "expired",
            AttestationStatus::UntrustedSigner(_) => "untrusted-signer",
            AttestationStatus::SignerNotValid(_) => "signer-not-valid",
            AttestationStatus::RoleNotHeld(_) => "role-not-held",
            AttestationStatus::BadSignature(_) => "bad-signature",
            AttestationStatus::Malformed(_) => "malformed",
        }
    }

    /// Why, when not accepted.
    pub fn reason(&self) -> Option<&str> {
        match self {
            AttestationStatus::Accepted => None,
            AttestationStatus::OtherModel(r)
            | AttestationStatus::RootOnly(r)
            | AttestationStatus::Expired(r)
            | AttestationStatus::UntrustedSigner(r)
            | AttestationStatus::SignerNotValid(r)
            | AttestationStatus::RoleNotHeld(r)
            | AttestationStatus::BadSignature(r)
            | AttestationStatus::Malformed(r) => Some(r),
        }
    }
}

/// One attestation, checked.
#[derive(Debug, Clone)]
pub struct CheckedAttestation {
    /// Its line in the attestations file.
    pub line: usize,
    /// The statement, when it verified and parsed.
    pub statement: Option<Statement>,
    /// The policy signer, when identified.
    pub signer: Option<usize>,
    /// The SHA-256 of the signed statement (the DSSE payload, the exact
    /// bytes the signature covers), hex: what an auditor recomputes from
    /// the attestations file. `None` when the bundle did not verify.
    pub statement_digest: Option<String>,
    /// The outcome.
    pub status: AttestationStatus,
}

impl CheckedAttestation {
    /// The statement, if it verified, its signer is in good standing and
    /// holds the claimed role (bound to this model or not, v1 or v2).
    pub fn trusted(&self) -> Option<&Statement> {
        match self.status {
            AttestationStatus::Accepted
            | AttestationStatus::OtherModel(_)
            | AttestationStatus::RootOnly(_)
            | AttestationStatus::Expired(_) => self.statement.as_ref(),
            _ => None,
        }
    }
}

/// Verifies every stored attestation against the policy (in parallel) and
/// decides its [`AttestationStatus`]. `model`, when given, is the model the
/// statements must be about (root digest and manifest digest); `None`
/// accepts any subject (for listing and history).
pub fn check_attestations(
    policy: &Policy,
    stored: &[StoredAttestation],
    model: Option<&ModelDigests>,
    at: Timestamp,
) -> Vec<CheckedAttestation> {
    stored
        .par_iter()
        .map(|a| check_one(policy, a, model, at))
        .collect()
}

fn check_one(
    policy: &Policy,
    stored: &StoredAttestation,
    model: Option<&ModelDigests>,
    at: Timestamp,
) -> CheckedAttestation {
    let done = |statement, signer, status| CheckedAttestation {
        line: stored.line,
        statement,
        signer,
        statement_digest: None,
        status,
    };
    let Identified { signer, verified } = match policy.identify(&stored.bundle, at) {
        Ok(identified) => identified,
        Err(Unidentified::Malformed(m)) => {
            return done(None, None, AttestationStatus::Malformed(m));
        }
        Err(Unidentified::Unknown(who)) => {
            return done(
                None,
                None,
                AttestationStatus::UntrustedSigner(format!("signed by {who}, not in the policy")),
            );
        }
        Err(Unidentified::BadSignature { signer, message }) => {
            return done(None, Some(signer), AttestationStatus::BadSignature(message));
        }
    };
    let statement = match Statement::from_json(&verified.payload) {
        Ok(statement) => statement,
        Err(e) => {
            return done(
                None,
                Some(signer),
                AttestationStatus::Malformed(e.to_string()),
            );
        }
    };
    let holder = &policy.signers[signer];
    let status = if let Err(reason) = holder.standing(at, Some(statement.predicate.attested_at())) {
        AttestationStatus::SignerNotValid(reason)
    } else if !holder.roles.contains(&statement.predicate.role()) {
        AttestationStatus::RoleNotHeld(format!(
            "claims role {} but signer `{}` holds {}",
            statement.predicate.role(),
            holder.name,
            holder.roles_text()
        ))
    } else {
        match (model, &statement.manifest_digest) {
            (None, _) => AttestationStatus::Accepted,
            (Some(model), _) if model.root_digest != statement.subject_digest => {
                AttestationStatus::OtherModel(format!(
                    "bound to {}, not this model's root digest",
                    statement.subject_digest
                ))
            }
            (Some(model), Some(manifest)) if model.manifest_digest != *manifest => {
                AttestationStatus::OtherModel(format!(
                    "bound to manifest {manifest}, not this model's {} (the same root digest: \
                     the same contents under other file names)",
                    model.manifest_digest
                ))
            }
            (Some(_), Some(_)) => match &statement.predicate {
                Predicate::Exception(e) if e.expires <= at => {
                    AttestationStatus::Expired(format!("expired at {}", e.expires))
                }
                _ => AttestationStatus::Accepted,
            },
            (Some(_), None) => AttestationStatus::RootOnly(format!(
                "a v1 statement ({}), bound to the root digest only, which covers no file names; \
                 re-attest with `modelseal attest` to bind it to this model's manifest ({})",
                statement.predicate_type(),
                statement.predicate.type_uri()
            )),
        }
    };
    CheckedAttestation {
        statement_digest: Some(
            modelseal_hash::HashAlgorithm::Sha256
                .digest(&verified.payload)
                .to_hex(),
        ),
        ..done(Some(statement), Some(signer), status)
    }
}

/// One rule's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleOutcome {
    /// The rule (`model-signature`, `attestations`, `lineage`, `datasets`,
    /// `tests`, `retraining`, `unsafe-formats`).
    pub rule: &'static str,
    /// Whether it holds.
    pub passed: bool,
    /// Why, in one or more sentences.
    pub reason: String,
    /// Lines of the attestations file that evidence it.
    pub evidence: Vec<usize>,
}

/// Evaluates every configured rule. `checked` comes from
/// [`check_attestations`] with the model's digests.
pub fn evaluate(
    policy: &Policy,
    facts: &ModelFacts,
    checked: &[CheckedAttestation],
) -> Vec<RuleOutcome> {
    let ctx = Ctx {
        policy,
        facts,
        checked,
    };
    let rules = &policy.rules;
    let lineage = ctx.lineage();
    let mut out = vec![ctx.model_signature_rule(), ctx.attestations_rule()];
    if rules.lineage.is_some() {
        out.push(lineage_rule(&lineage));
    }
    if let Some(rule) = &rules.datasets {
        out.push(ctx.datasets_rule(rule, &lineage));
    }
    if let Some(rule) = &rules.tests {
        out.push(ctx.tests_rule(rule));
    }
    if let Some(rule) = &rules.retraining {
        out.push(ctx.retraining_rule(rule, &lineage));
    }
    if let Some(rule) = &rules.unsafe_formats {
        out.push(ctx.unsafe_formats_rule(rule));
    }
    out
}

/// The lineage statement of this version: its line and content, or why
/// there is none.
type ThisLineage<'a> = Result<(usize, &'a Lineage), String>;

/// What every rule looks at.
struct Ctx<'a> {
    policy: &'a Policy,
    facts: &'a ModelFacts,
    checked: &'a [CheckedAttestation],
}

impl<'a> Ctx<'a> {
    /// Accepted statements claiming one of `roles`, with the predicate
    /// `pick` selects (a match on one variant).
    fn accepted<T>(
        &self,
        roles: &[Role],
        pick: fn(&'a Predicate) -> Option<&'a T>,
    ) -> Vec<(&'a CheckedAttestation, &'a T)> {
        self.checked
            .iter()
            .filter(|a| a.status == AttestationStatus::Accepted)
            .filter_map(|a| a.statement.as_ref().map(|s| (a, &s.predicate)))
            .filter(|(_, p)| roles.contains(&p.role()))
            .filter_map(|(a, p)| pick(p).map(|picked| (a, picked)))
            .collect()
    }

    /// Why the statements of `kind` that did not count did not: ` (line N
    /// not counted: …)`, or nothing.
    fn rejected(&self, kind: &str) -> String {
        let notes: Vec<String> = self
            .checked
            .iter()
            .filter(|a| a.status != AttestationStatus::Accepted)
            .filter(|a| {
                a.statement
                    .as_ref()
                    .is_some_and(|s| s.predicate.kind() == kind)
            })
            .map(|a| {
                format!(
                    "line {} not counted: {}",
                    a.line,
                    a.status.reason().unwrap_or("")
                )
            })
            .collect();
        if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        }
    }

    /// The roles whose tests count: `[rules.tests]`, else `tester`.
    fn test_roles(&self) -> Vec<Role> {
        self.policy
            .rules
            .tests
            .as_ref()
            .map_or_else(|| vec![Role::Tester], |r| r.roles.clone())
    }

    /// Distinct signers of passing tests bound to this model, and the lines.
    fn passing_tests(&self) -> (BTreeSet<usize>, Vec<usize>) {
        let mut signers = BTreeSet::new();
        let mut lines = Vec::new();
        let tests = self.accepted(&self.test_roles(), |p| match p {
            Predicate::SecurityTest(t) => Some(t),
            _ => None,
        });
        for (a, t) in tests {
            if t.result == TestResult::Pass {
                signers.extend(a.signer);
                lines.push(a.line);
            }
        }
        (signers, lines)
    }

    /// This version's lineage statement: the only one, or the newest of
    /// several that agree on the version (as `history` takes it).
    fn lineage(&self) -> ThisLineage<'a> {
        let roles = self
            .policy
            .rules
            .lineage
            .as_ref()
            .map_or_else(|| vec![Role::Developer], |r| r.roles.clone());
        let lineages: Vec<(usize, &'a Lineage)> = self
            .accepted(&roles, |p| match p {
                Predicate::Lineage(l) => Some(l),
                _ => None,
            })
            .into_iter()
            .map(|(a, l)| (a.line, l))
            .collect();
        let versions: BTreeSet<&str> = lineages.iter().map(|(_, l)| l.version.as_str()).collect();
        if versions.len() > 1 {
            return Err(format!(
                "conflicting lineage statements for this root digest name versions {}",
                versions.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        lineages
            .into_iter()
            .max_by_key(|(line, l)| (l.attested_at, *line))
            .ok_or_else(|| {
                format!(
                    "no lineage statement from {} is bound to this model's root digest{}",
                    names(&roles),
                    self.rejected("lineage")
                )
            })
    }

    fn model_signature_rule(&self) -> RuleOutcome {
        let signer = &self.policy.signers[self.facts.model_signer];
        let roles: Vec<Role> = self
            .policy
            .rules
            .model_signature
            .as_ref()
            .map_or_else(Vec::new, |r| r.roles.clone());
        match signer.standing(self.facts.at, None) {
            Err(reason) => fail(
                "model-signature",
                format!("the model signature is not trusted: {reason}"),
            ),
            Ok(()) if !roles.is_empty() && !signer.roles.iter().any(|r| roles.contains(r)) => fail(
                "model-signature",
                format!(
                    "the model is signed by `{}`, who holds {} but not {}",
                    signer.name,
                    signer.roles_text(),
                    names(&roles)
                ),
            ),
            Ok(()) => pass(
                "model-signature",
                format!(
                    "signed by `{}` ({}), in good standing",
                    signer.name,
                    signer.roles_text()
                ),
                Vec::new(),
            ),
        }
    }

    fn attestations_rule(&self) -> RuleOutcome {
        let bad: Vec<String> = self
            .checked
            .iter()
            .filter(|a| a.status.fails())
            .map(|a| {
                format!(
                    "line {}: {}: {}",
                    a.line,
                    a.status.name(),
                    a.status.reason().unwrap_or("")
                )
            })
            .collect();
        if !bad.is_empty() {
            return fail("attestations", bad.join("; "));
        }
        let counted = self
            .checked
            .iter()
            .filter(|a| a.status == AttestationStatus::Accepted)
            .count();
        let root_only: Vec<String> = self
            .checked
            .iter()
            .filter(|a| matches!(a.status, AttestationStatus::RootOnly(_)))
            .map(|a| a.line.to_string())
            .collect();
        let upgrade = if root_only.is_empty() {
            String::new()
        } else {
            format!(
                "; not counted: v1 statements bound to the root digest only on lines {} \
                 (re-attest them)",
                root_only.join(", ")
            )
        };
        pass(
            "attestations",
            format!(
                "{} attestations read, {counted} bound to this model from trusted signers; none \
                 forged or malformed{upgrade}",
                self.checked.len()
            ),
            Vec::new(),
        )
    }

    fn datasets_rule(&self, rule: &RoleRule, lineage: &ThisLineage<'_>) -> RuleOutcome {
        let l = match lineage {
            Ok((_, l)) => l,
            Err(reason) => {
                return fail(
                    "datasets",
                    format!("training data is named by the lineage statement: {reason}"),
                );
            }
        };
        if l.training_data.is_empty() {
            return pass(
                "datasets",
                "the lineage statement names no training data".to_owned(),
                Vec::new(),
            );
        }
        let provenances: Vec<(&CheckedAttestation, &DatasetProvenance)> =
            self.accepted(&rule.roles, |p| match p {
                Predicate::DatasetProvenance(d) => Some(d),
                _ => None,
            });
        let mut missing = Vec::new();
        let mut evidence = BTreeSet::new();
        for data in &l.training_data {
            let mut signers = BTreeSet::new();
            for (a, p) in &provenances {
                if p.datasets.iter().any(|d| {
                    d.name == data.name
                        && d.digest == data.digest
                        && d.usage.iter().any(|u| u.is_training())
                }) {
                    signers.extend(a.signer);
                    evidence.insert(a.line);
                }
            }
            if signers.len() >= rule.threshold {
                continue;
            }
            let other_copies: Vec<String> = provenances
                .iter()
                .flat_map(|(_, p)| p.datasets.iter())
                .filter(|d| d.name == data.name && d.digest != data.digest)
                .map(|d| d.digest.to_string())
                .collect();
            let note = if other_copies.is_empty() {
                String::new()
            } else {
                format!(
                    " (provenance exists for other copies: {})",
                    other_copies.join(", ")
                )
            };
            missing.push(format!(
                "`{}` {} has provenance from {} of the {} signers needed{note}",
                data.name,
                data.digest,
                signers.len(),
                rule.threshold
            ));
        }
        if missing.is_empty() {
            pass(
                "datasets",
                format!(
                    "all {} training datasets have provenance from {}",
                    l.training_data.len(),
                    names(&rule.roles)
                ),
                evidence.into_iter().collect(),
            )
        } else {
            fail(
                "datasets",
                format!(
                    "{}{}",
                    missing.join("; "),
                    self.rejected("dataset-provenance")
                ),
            )
        }
    }

    /// Trusted tests of this manifest that did not pass and that no later
    /// pass of the same test by the same signer supersedes: `line N: test
    /// `NAME` failed (by `SIGNER`)`.
    fn failing_tests(&self) -> Vec<(usize, String)> {
        let tests = self.accepted(&self.test_roles(), |p| match p {
            Predicate::SecurityTest(t) => Some(t),
            _ => None,
        });
        let mut out = Vec::new();
        for (a, t) in &tests {
            if t.result != TestResult::Fail {
                continue;
            }
            let superseded = tests.iter().any(|(b, u)| {
                u.result == TestResult::Pass
                    && b.signer == a.signer
                    && u.test.name == t.test.name
                    && (u.attested_at, b.line) > (t.attested_at, a.line)
            });
            if !superseded {
                let who = a
                    .signer
                    .map_or_else(|| "?".to_owned(), |i| self.policy.signers[i].name.clone());
                out.push((
                    a.line,
                    format!(
                        "line {}: test `{}` failed (by `{who}`)",
                        a.line, t.test.name
                    ),
                ));
            }
        }
        out
    }

    fn tests_rule(&self, rule: &TestRule) -> RuleOutcome {
        let (signers, lines) = self.passing_tests();
        let failing = self.failing_tests();
        if !failing.is_empty() {
            let text: Vec<&str> = failing.iter().map(|(_, t)| t.as_str()).collect();
            return RuleOutcome {
                evidence: failing.iter().map(|(line, _)| *line).collect(),
                ..fail(
                    "tests",
                    format!(
                        "a trusted security test of this model failed: {}; a later passing \
                         run of the same test by the same signer supersedes it",
                        text.join("; ")
                    ),
                )
            };
        }
        if signers.len() >= rule.threshold {
            pass(
                "tests",
                format!(
                    "passing tests bound to this root digest from {} distinct signers (need {})",
                    signers.len(),
                    rule.threshold
                ),
                lines,
            )
        } else {
            fail(
                "tests",
                format!(
                    "{} distinct {} signers have a passing test bound to this model's root \
                     digest, {} needed{}",
                    signers.len(),
                    names(&rule.roles),
                    rule.threshold,
                    self.rejected("security-test")
                ),
            )
        }
    }

    fn retraining_rule(&self, rule: &RetrainingRule, lineage: &ThisLineage<'_>) -> RuleOutcome {
        let (line, l) = match lineage {
            Ok(found) => *found,
            Err(reason) => {
                return fail(
                    "retraining",
                    format!("needs the version's lineage: {reason}"),
                );
            }
        };
        let Some(parent) = &l.parent else {
            return pass(
                "retraining",
                format!("version {} has no parent version", l.version),
                vec![line],
            );
        };
        // Unchanged only when the names are too, where the parent's
        // manifest digest is known.
        let digests = &self.facts.digests;
        if parent.root_digest == digests.root_digest
            && parent
                .manifest_digest
                .as_ref()
                .is_none_or(|m| *m == digests.manifest_digest)
        {
            return pass(
                "retraining",
                format!(
                    "content is unchanged from parent version {}",
                    parent.version
                ),
                vec![line],
            );
        }
        let mut problems = Vec::new();
        if rule.new_version && parent.version == l.version {
            let change = match &parent.manifest_digest {
                Some(m) if parent.root_digest == digests.root_digest => {
                    format!("manifest {m} → {}", digests.manifest_digest)
                }
                _ => format!("{} → {}", parent.root_digest, digests.root_digest),
            };
            problems.push(format!(
                "the content differs from the parent ({change}) but the version is still {}",
                l.version
            ));
        }
        let (signers, mut lines) = self.passing_tests();
        if rule.new_test && signers.is_empty() {
            problems.push(format!(
                "version {} differs from parent {} but no passing test is bound to its root digest",
                l.version, parent.version,
            ));
        }
        if !problems.is_empty() {
            return fail("retraining", problems.join("; "));
        }
        lines.insert(0, line);
        let reason = if rule.new_test {
            format!(
                "version {} follows {} with a new passing test",
                l.version, parent.version
            )
        } else {
            format!("version {} follows {}", l.version, parent.version)
        };
        pass("retraining", reason, lines)
    }

    fn unsafe_formats_rule(&self, rule: &UnsafeFormatsRule) -> RuleOutcome {
        let files = &self.facts.unsafe_files;
        let exceptions: Vec<(&CheckedAttestation, &Exception)> =
            self.accepted(&rule.roles, |p| match p {
                Predicate::Exception(e) => Some(e),
                _ => None,
            });
        let mut problems = Vec::new();
        let mut evidence = Vec::new();
        // Expired exceptions carry their own status; they explain a
        // failure and count for nothing.
        let expired_exceptions: Vec<&Exception> = self
            .checked
            .iter()
            .filter(|a| matches!(a.status, AttestationStatus::Expired(_)))
            .filter_map(|a| match a.statement.as_ref().map(|s| &s.predicate) {
                Some(Predicate::Exception(e)) if rule.roles.contains(&e.role) => Some(e),
                _ => None,
            })
            .collect();
        for file in files {
            let mut expired = expired_exceptions
                .iter()
                .filter(|e| &e.component == file)
                .map(|e| e.expires)
                .max();
            let mut approvers = BTreeSet::new();
            for (a, e) in exceptions.iter().filter(|(_, e)| &e.component == file) {
                if e.expires > self.facts.at {
                    approvers.extend(a.signer);
                    evidence.push(a.line);
                } else {
                    expired = expired.max(Some(e.expires));
                }
            }
            if approvers.len() >= rule.threshold {
                continue;
            }
            problems.push(match (expired, approvers.len()) {
                (Some(t), 0) => {
                    format!("`{file}` is pickle-based and its exception expired at {t}")
                }
                (None, 0) => format!(
                    "`{file}` is pickle-based and no exception from {} names it{}",
                    names(&rule.roles),
                    self.rejected("exception")
                ),
                (_, n) => format!(
                    "`{file}` is pickle-based and has unexpired exceptions from {n} distinct \
                     signers, {} needed",
                    rule.threshold
                ),
            });
        }
        if !problems.is_empty() {
            return fail("unsafe-formats", problems.join("; "));
        }
        let reason = if files.is_empty() {
            "no pickle-based files".to_owned()
        } else {
            format!(
                "{} pickle-based files, each under an unexpired exception",
                files.len()
            )
        };
        pass("unsafe-formats", reason, evidence)
    }
}

fn lineage_rule(lineage: &ThisLineage<'_>) -> RuleOutcome {
    match lineage {
        Ok((line, l)) => {
            let parent = l.parent.as_ref().map_or_else(
                || "no parent version".to_owned(),
                |p| format!("parent {} {}", p.version, p.root_digest),
            );
            pass(
                "lineage",
                format!("version {} ({parent})", l.version),
                vec![*line],
            )
        }
        Err(reason) => fail("lineage", reason.clone()),
    }
}

fn pass(rule: &'static str, reason: String, mut evidence: Vec<usize>) -> RuleOutcome {
    evidence.sort_unstable();
    evidence.dedup();
    RuleOutcome {
        rule,
        passed: true,
        reason,
        evidence,
    }
}

fn fail(rule: &'static str, reason: String) -> RuleOutcome {
    RuleOutcome {
        rule,
        passed: false,
        reason,
        evidence: Vec::new(),
    }
}

fn names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(" or ")
}
