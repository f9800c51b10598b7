//! Signed evidence reports: `report --out FILE --sign KEY` writes the
//! report and `FILE.sig`, a DSSE bundle of an in-toto statement whose
//! subject is the report file's SHA-256 and whose predicate says what was
//! evaluated (model, digests, policy digest, verdicts, tool and edition);
//! `verify-report` checks that the file is unchanged and who signed it.

use std::path::{Path, PathBuf};

use modelseal_attest::{Policy, Timestamp};
use modelseal_oms::{PublicKey, SigningKey, Trust, bundle::MAX_BUNDLE_SIZE};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::evidence::EvidenceReport;
use crate::files::{read_capped, write_atomic};
use crate::report::REPORT_VERSION;

/// The predicate type of a signed report statement.
pub const REPORT_PREDICATE_V1: &str = "https://modelseal.dev/report/v1";
/// The largest report file read back.
const MAX_REPORT: usize = 64 << 20;

/// What a signed report states about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportPredicate {
    /// The model path as given.
    pub model: String,
    /// The signed root digest, hex.
    pub root_digest: String,
    /// The manifest digest, hex.
    pub manifest_digest: String,
    /// The policy file.
    pub policy: String,
    /// The SHA-256 of its text, hex.
    pub policy_digest: String,
    /// When it was evaluated.
    pub evaluated_at: String,
    /// `verify --policy`'s verdict.
    pub verified: bool,
    /// The files matched the signature.
    pub model_verified: bool,
    /// The enforced rules passed.
    pub policy_passed: bool,
    /// `modelseal VERSION`.
    pub tool: String,
    /// `ETSI EN 304 223 EDITION`.
    pub standard: String,
    /// `md` or `json`.
    pub format: String,
}

/// Writes `report_bytes` to `out` and, with a key, `out.sig` beside it.
/// Neither file is overwritten unless `overwrite`.
///
/// # Errors
/// An existing file, a write error, or a key the certificate does not match.
pub fn write_signed_report(
    out: &Path,
    report_bytes: &[u8],
    report: &EvidenceReport,
    format: &str,
    signer: Option<(&SigningKey, &[Vec<u8>])>,
    overwrite: bool,
) -> Result<Option<PathBuf>, Error> {
    let signature = signature_path(out);
    if !overwrite {
        let paths: &[&Path] = if signer.is_some() {
            &[out, signature.as_path()]
        } else {
            &[out]
        };
        if let Some(path) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_ok()) {
            return Err(Error::Exists {
                path: path.to_path_buf(),
            });
        }
    }
    let bundle = match signer {
        Some((key, certificates)) => {
            let name = out
                .file_name()
                .map_or_else(|| "report".to_owned(), |n| n.to_string_lossy().into_owned());
            let predicate = ReportPredicate {
                model: report.model.clone(),
                root_digest: report.root_digest.clone(),
                manifest_digest: report.manifest_digest.clone(),
                policy: report.policy.path.clone(),
                policy_digest: report.policy.digest.clone(),
                evaluated_at: report.evaluated_at.clone(),
                verified: report.verified,
                model_verified: report.model_verified,
                policy_passed: report.policy_passed,
                tool: format!("{} {}", report.tool.name, report.tool.version),
                standard: format!("{} {}", report.standard.name, report.standard.edition),
                format: format.to_owned(),
            };
            let statement = serde_json::json!({
                "_type": modelseal_attest::STATEMENT_V1,
                "subject": [{
                    "name": name,
                    "digest": {"sha256": modelseal_hash::HashAlgorithm::Sha256.digest(report_bytes).to_hex()},
                }],
                "predicateType": REPORT_PREDICATE_V1,
                "predicate": predicate,
            });
            let payload =
                serde_json::to_vec(&statement).map_err(|e| Error::Usage(e.to_string()))?;
            let chain = (!certificates.is_empty()).then_some(certificates);
            Some(modelseal_oms::sign_statement(&payload, key, chain).map_err(Error::Sign)?)
        }
        None => None,
    };
    write_atomic(out, report_bytes, 0o644, overwrite)?;
    if let Some(bundle) = bundle {
        write_atomic(&signature, &bundle, 0o644, overwrite)?;
        return Ok(Some(signature));
    }
    Ok(None)
}

/// `REPORT.sig`.
pub fn signature_path(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Whom a signed report must come from.
#[derive(Debug, Clone)]
pub enum ReportTrust {
    /// This key.
    Key(Box<PublicKey>),
    /// A signer of this policy in good standing.
    Policy(std::sync::Arc<Policy>),
}

/// The outcome of `verify-report`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReportVerification {
    /// Always `"verify-report"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The report file.
    pub report: String,
    /// Its signature.
    pub signature: String,
    /// True when the signature verified, the signer is trusted and the
    /// file is the one signed.
    pub verified: bool,
    /// Who signed (`key HEX`, or the policy signer's name).
    pub signer: String,
    /// The report file's SHA-256 now, hex.
    pub digest: String,
    /// The SHA-256 the signature covers, hex.
    pub signed_digest: String,
    /// What the signed statement says.
    pub predicate: ReportPredicate,
}

/// Verifies a signed report: the bundle's signature and signer, its
/// predicate type, and the file's digest against the signed one (a changed
/// file gives `verified: false`).
///
/// # Errors
/// [`Error::Signature`] or [`Error::PolicySignature`] when the bundle does
/// not verify or is not from a trusted signer (a verification failure);
/// I/O errors otherwise.
pub fn verify_report(
    report: &Path,
    signature: &Path,
    trust: &ReportTrust,
) -> Result<ReportVerification, Error> {
    let bundle = read_capped(signature, MAX_BUNDLE_SIZE)?;
    let not_a_report = |why: String| Error::PolicySignature {
        path: signature.to_owned(),
        reason: why,
    };
    let (payload, signer) = match trust {
        ReportTrust::Key(key) => {
            let verified =
                modelseal_oms::verify_statement(&bundle, &Trust::PublicKey((**key).clone()))
                    .map_err(|source| Error::Signature {
                        path: signature.to_owned(),
                        source,
                    })?;
            (verified.payload, format!("key {}", key.key_id()))
        }
        ReportTrust::Policy(policy) => {
            let at = Timestamp::now();
            let identified = policy
                .identify(&bundle, at)
                .map_err(|e| not_a_report(crate::verify::unidentified_reason(policy, e)))?;
            let holder = &policy.signers[identified.signer];
            holder
                .standing(at, None)
                .map_err(|reason| not_a_report(format!("signer `{}`: {reason}", holder.name)))?;
            (identified.verified.payload, holder.name.clone())
        }
    };
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Subject {
        digest: std::collections::BTreeMap<String, String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ReportStatement {
        subject: Vec<Subject>,
        predicate_type: String,
        predicate: ReportPredicate,
    }
    let statement: ReportStatement = serde_json::from_slice(&payload)
        .map_err(|e| not_a_report(format!("not a signed report statement: {e}")))?;
    if statement.predicate_type != REPORT_PREDICATE_V1 {
        return Err(not_a_report(format!(
            "predicate type `{}` is not a signed report ({REPORT_PREDICATE_V1})",
            statement.predicate_type
        )));
    }
    let signed_digest = match statement.subject.as_slice() {
        [one] => one.digest.get("sha256").cloned().unwrap_or_default(),
        _ => {
            return Err(not_a_report(
                "a signed report has exactly one subject".into(),
            ));
        }
    };
    let bytes = read_capped(report, MAX_REPORT)?;
    let digest = modelseal_hash::HashAlgorithm::Sha256
        .digest(&bytes)
        .to_hex();
    Ok(ReportVerification {
        kind: "verify-report",
        version: REPORT_VERSION,
        report: report.display().to_string(),
        signature: signature.display().to_string(),
        verified: digest.eq_ignore_ascii_case(&signed_digest),
        signer,
        digest,
        signed_digest,
        predicate: statement.predicate,
    })
}
