//! Sigstore keyless bundles, verified offline: a short-lived Fulcio
//! certificate for an OIDC identity, logged in Rekor.
//!
//! The only module that names `sigstore-verify` (pinned exactly), so its
//! API churn stays here. That crate checks the certificate chain to a
//! Fulcio CA of the trusted root at each verified time, the SCT, the
//! code-signing EKU, the Rekor entry (inclusion proof against a checkpoint
//! signed by a Rekor key of the root, the SET, the entry body against this
//! DSSE envelope), integratedTime, RFC 3161 timestamps and the DSSE
//! signature. This module adds what it leaves to its caller: matching the
//! identity (email, URI or otherName SAN) and issuer exactly or by an
//! anchored regex, a check that sigstore-verify read the same envelope and
//! certificate as modelseal's own parser, and the stage each failure names.
//! No network call is ever made.

mod provider;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Artifact, Bundle as SigstoreBundle, Sha256Hash, SignatureContent};
use sigstore_verify::{VerificationPolicy, Verifier};
use x509_cert::der::{Decode as _, asn1::Utf8StringRef};

use crate::keys::KeyAlgorithm;

/// The public-good instance's `trusted_root.json` (the Sigstore TUF
/// repository's target, as sigstore-trust-root 0.15.1 ships it; SHA-256
/// `6494e21e…`). A release ships a newer snapshot; see README.
const PUBLIC_GOOD_ROOT: &str = include_str!("keyless/public-good.trusted_root.json");
/// The staging instance's `trusted_root.json` (same origin).
const STAGING_ROOT: &str = include_str!("keyless/staging.trusted_root.json");

/// Fulcio's OIDC issuer extension (DER UTF8String), and its older raw form.
const ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
/// The otherName type Fulcio uses for usernames.
const OTHERNAME_SAN: &str = "1.3.6.1.4.1.57264.1.7";
/// subjectAltName.
const SAN: &str = "2.5.29.17";

/// A Sigstore trusted root, ready to verify with.
pub struct SigstoreRoot {
    verifier: Verifier,
    root: TrustedRoot,
    name: String,
}

impl fmt::Debug for SigstoreRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigstoreRoot")
            .field("name", &self.name)
            .field("tlogs", &self.root.tlogs.len())
            .field(
                "certificate_authorities",
                &self.root.certificate_authorities.len(),
            )
            .field("ctlogs", &self.root.ctlogs.len())
            .field(
                "timestamp_authorities",
                &self.root.timestamp_authorities.len(),
            )
            .finish()
    }
}

impl SigstoreRoot {
    /// The embedded public-good root (built once per process).
    ///
    /// # Errors
    /// Only if the embedded copy were unreadable.
    pub fn public_good() -> Result<Arc<Self>, KeylessError> {
        static ROOT: OnceLock<Result<Arc<SigstoreRoot>, KeylessError>> = OnceLock::new();
        ROOT.get_or_init(|| {
            Self::from_trusted_root_json(
                PUBLIC_GOOD_ROOT.as_bytes(),
                "the embedded public-good root",
            )
            .map(Arc::new)
        })
        .clone()
    }

    /// The embedded staging root.
    ///
    /// # Errors
    /// Only if the embedded copy were unreadable.
    pub fn staging() -> Result<Arc<Self>, KeylessError> {
        Self::from_trusted_root_json(STAGING_ROOT.as_bytes(), "the embedded staging root")
            .map(Arc::new)
    }

    /// A `trusted_root.json` (`--trust-root`), named `name` in messages.
    ///
    /// # Errors
    /// Not JSON, not a trusted root (its `mediaType`), or keys or
    /// certificates sigstore-verify refuses.
    pub fn from_trusted_root_json(bytes: &[u8], name: &str) -> Result<Self, KeylessError> {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            KeylessError::new(KeylessStage::TrustRoot, format!("{name}: not UTF-8"))
        })?;
        let root = TrustedRoot::from_json(text).map_err(|e| {
            KeylessError::new(
                KeylessStage::TrustRoot,
                format!("{name}: not a Sigstore trusted root: {e}"),
            )
        })?;
        Self::from_root(root, name)
    }

    /// A ClientTrustConfig (`--trust-config`, the reference tool's
    /// `--trust_config`): its `trustedRoot` (the signing config is for
    /// signing and is not needed).
    ///
    /// # Errors
    /// Not a ClientTrustConfig, or its root is refused.
    pub fn from_client_trust_config_json(bytes: &[u8], name: &str) -> Result<Self, KeylessError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ClientTrustConfig {
            media_type: String,
            trusted_root: TrustedRoot,
        }
        let config: ClientTrustConfig = serde_json::from_slice(bytes).map_err(|e| {
            KeylessError::new(
                KeylessStage::TrustRoot,
                format!("{name}: not a Sigstore ClientTrustConfig: {e}"),
            )
        })?;
        if !config
            .media_type
            .starts_with("application/vnd.dev.sigstore.clienttrustconfig")
        {
            return Err(KeylessError::new(
                KeylessStage::TrustRoot,
                format!(
                    "{name}: mediaType `{}` is not a ClientTrustConfig",
                    config.media_type
                ),
            ));
        }
        Self::from_root(config.trusted_root, name)
    }

    fn from_root(root: TrustedRoot, name: &str) -> Result<Self, KeylessError> {
        if !root
            .media_type
            .starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(KeylessError::new(
                KeylessStage::TrustRoot,
                format!(
                    "{name}: mediaType `{}` is not a trusted root",
                    root.media_type
                ),
            ));
        }
        provider::ensure_installed();
        let verifier = Verifier::new(&root)
            .map_err(|e| KeylessError::new(KeylessStage::TrustRoot, format!("{name}: {e}")))?;
        Ok(Self {
            verifier,
            root,
            name: name.to_owned(),
        })
    }

    /// What the root was read from.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// How an identity or issuer must match.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The whole string, exactly.
    Exact(String),
    /// A regular expression that must match the whole string (anchored).
    Regex(regex::Regex),
}

impl Matcher {
    /// An anchored regex: `RE` matches only if it matches the whole value.
    ///
    /// # Errors
    /// Not a valid regular expression.
    pub fn regex(pattern: &str) -> Result<Self, regex::Error> {
        regex::Regex::new(&format!(r"\A(?:{pattern})\z")).map(Self::Regex)
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(want) => want == value,
            Matcher::Regex(re) => re.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Exact(s) => write!(f, "`{s}`"),
            Matcher::Regex(re) => {
                let shown = re.as_str();
                let inner = shown
                    .strip_prefix(r"\A(?:")
                    .and_then(|s| s.strip_suffix(r")\z"))
                    .unwrap_or(shown);
                write!(f, "regex `{inner}` (whole string)")
            }
        }
    }
}

/// Who a keyless bundle must be from.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    /// The certificate's SAN (email, URI or otherName).
    pub identity: Matcher,
    /// The Fulcio OIDC issuer extension.
    pub issuer: Matcher,
}

/// Who signed a verified keyless bundle, and the log evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessSigner {
    /// The certificate's identity (SAN).
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
    /// The Rekor log index of the entry.
    pub log_index: u64,
    /// The log's base URL, from the trusted root.
    pub log_url: Option<String>,
    /// The SET-authenticated integrated time, when the entry has one.
    pub integrated_time: Option<SystemTime>,
    /// Times of the RFC 3161 timestamps that verified.
    pub tsa_times: Vec<SystemTime>,
    /// The certificate's validity.
    pub not_before: SystemTime,
    /// The certificate's validity.
    pub not_after: SystemTime,
}

/// The stage of keyless verification that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeylessStage {
    /// The bundle's structure.
    Bundle,
    /// The trusted root given.
    TrustRoot,
    /// An RFC 3161 timestamp, or no verified signing time at all.
    Timestamp,
    /// The transparency log entry (structure, unknown log).
    Tlog,
    /// The signed entry timestamp (inclusion promise).
    TlogSet,
    /// The Merkle inclusion proof.
    TlogInclusionProof,
    /// The signed checkpoint.
    TlogCheckpoint,
    /// The entry body against the envelope.
    TlogEntry,
    /// integratedTime outside the certificate's validity, or in the future.
    IntegratedTime,
    /// The certificate chain to a Fulcio CA (code signing).
    CertificateChain,
    /// The certificate's validity at the verified time.
    CertificateValidity,
    /// The signed certificate timestamp from a CT log.
    Sct,
    /// The identity did not match.
    Identity,
    /// The issuer did not match.
    Issuer,
    /// The DSSE signature by the certificate's key.
    Signature,
}

impl KeylessStage {
    /// The stage's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            KeylessStage::Bundle => "bundle",
            KeylessStage::TrustRoot => "trust root",
            KeylessStage::Timestamp => "timestamp",
            KeylessStage::Tlog => "transparency log",
            KeylessStage::TlogSet => "transparency log: signed entry timestamp",
            KeylessStage::TlogInclusionProof => "transparency log: inclusion proof",
            KeylessStage::TlogCheckpoint => "transparency log: checkpoint",
            KeylessStage::TlogEntry => "transparency log: entry body",
            KeylessStage::IntegratedTime => "transparency log: integrated time",
            KeylessStage::CertificateChain => "certificate chain",
            KeylessStage::CertificateValidity => "certificate validity",
            KeylessStage::Sct => "signed certificate timestamp",
            KeylessStage::Identity => "identity",
            KeylessStage::Issuer => "issuer",
            KeylessStage::Signature => "signature",
        }
    }
}

/// A keyless bundle that did not verify, with the stage that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", stage.name())]
pub struct KeylessError {
    /// Where it failed.
    pub stage: KeylessStage,
    /// What was wrong.
    pub message: String,
}

impl KeylessError {
    fn new(stage: KeylessStage, message: impl Into<String>) -> Self {
        Self {
            stage,
            message: message.into(),
        }
    }
}

fn stage_of(error: &sigstore_verify::Error) -> KeylessStage {
    use sigstore_verify::bundle::Error as B;
    use sigstore_verify::{CertificateError as C, Error as E, TransparencyLogError as T};
    match error {
        E::SignatureInvalid(_) => KeylessStage::Signature,
        E::Certificate(C::NotYetValid { .. } | C::Expired { .. }) => {
            KeylessStage::CertificateValidity
        }
        E::Certificate(C::Sct(_)) => KeylessStage::Sct,
        E::Certificate(_) => KeylessStage::CertificateChain,
        E::TransparencyLog(T::InclusionPromise(_)) => KeylessStage::TlogSet,
        E::TransparencyLog(T::InclusionProof(_)) => KeylessStage::TlogInclusionProof,
        E::TransparencyLog(T::Checkpoint(_)) => KeylessStage::TlogCheckpoint,
        E::TransparencyLog(T::EntryMismatch(_) | T::MalformedEntry(_)) => KeylessStage::TlogEntry,
        E::TransparencyLog(T::IntegratedTime(_)) => KeylessStage::IntegratedTime,
        E::TransparencyLog(_) => KeylessStage::Tlog,
        E::Timestamp(_) => KeylessStage::Timestamp,
        E::Bundle(
            B::MissingInclusionPromise(_)
            | B::MissingInclusionProof(_)
            | B::MissingCheckpoint
            | B::CheckpointRootMismatch
            | B::LogIndexOutOfRange { .. }
            | B::MissingSigningTimeEvidence,
        ) => KeylessStage::Tlog,
        E::InvalidTrustRoot(m) if m.contains("CT log") => KeylessStage::Sct,
        E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => {
            KeylessStage::TrustRoot
        }
        _ => KeylessStage::Bundle,
    }
}

/// The identity and issuer a certificate claims, read without verifying
/// anything: for the message that asks for `--identity` and `--issuer`.
pub fn unverified_claims(cert_der: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(cert) = x509_cert::Certificate::from_der(cert_der) else {
        return (None, None);
    };
    (san_identity(&cert), issuer_extension(&cert))
}

/// The certificate's identity: an email, URI or Fulcio otherName SAN.
fn san_identity(cert: &x509_cert::Certificate) -> Option<String> {
    use x509_cert::ext::pkix::name::GeneralName;
    let ext = cert
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id.to_string() == SAN)?;
    let names = x509_cert::ext::pkix::SubjectAltName::from_der(ext.extn_value.as_bytes()).ok()?;
    names.0.iter().find_map(|name| match name {
        GeneralName::Rfc822Name(s) => Some(s.to_string()),
        GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
        GeneralName::OtherName(other) if other.type_id.to_string() == OTHERNAME_SAN => other
            .value
            .decode_as::<Utf8StringRef<'_>>()
            .ok()
            .map(|s| s.as_str().to_owned()),
        _ => None,
    })
}

/// The Fulcio OIDC issuer extension (.1.8, DER UTF8String; else .1.1, raw).
fn issuer_extension(cert: &x509_cert::Certificate) -> Option<String> {
    let extensions = cert.tbs_certificate.extensions.as_ref()?;
    let find = |oid: &str| extensions.iter().find(|e| e.extn_id.to_string() == oid);
    if let Some(ext) = find(ISSUER_V2) {
        return Utf8StringRef::from_der(ext.extn_value.as_bytes())
            .ok()
            .map(|s| s.as_str().to_owned());
    }
    find(ISSUER_V1).and_then(|ext| String::from_utf8(ext.extn_value.as_bytes().to_vec()).ok())
}

/// What modelseal's own parser read from the bundle, which sigstore-verify
/// must have read identically.
pub(crate) struct Parsed<'a> {
    pub payload: &'a [u8],
    pub payload_type: &'a str,
    pub signature: &'a [u8],
    pub certificate: &'a [u8],
}

/// Verifies a keyless bundle against `root` and `policy`: the signer and
/// the leaf key's algorithm.
pub(crate) fn verify(
    bundle_bytes: &[u8],
    ours: &Parsed<'_>,
    root: &SigstoreRoot,
    policy: &IdentityPolicy,
) -> Result<(KeylessSigner, KeyAlgorithm), KeylessError> {
    let bundle_error = |m: String| KeylessError::new(KeylessStage::Bundle, m);
    let text = std::str::from_utf8(bundle_bytes).map_err(|_| bundle_error("not UTF-8".into()))?;
    let bundle = SigstoreBundle::from_json(text).map_err(|e| bundle_error(e.to_string()))?;
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Err(bundle_error("not a DSSE envelope".into()));
    };
    // Both parsers must have read the same bytes: what is verified here is
    // what modelseal goes on to check.
    if envelope.payload.as_bytes() != ours.payload
        || envelope.payload_type != ours.payload_type
        || envelope.signature.sig.as_bytes() != ours.signature
        || bundle.signing_certificate().map(|c| c.as_bytes()) != Some(ours.certificate)
    {
        return Err(bundle_error(
            "sigstore-verify and modelseal read different envelopes or certificates".into(),
        ));
    }
    for entry in &bundle.verification_material.tlog_entries {
        if !root
            .root
            .tlogs
            .iter()
            .any(|t| t.log_id.key_id == entry.log_id.key_id)
        {
            return Err(KeylessError::new(
                KeylessStage::Tlog,
                format!(
                    "entry {} is from a transparency log {} does not list",
                    entry.log_index.get(),
                    root.name
                ),
            ));
        }
    }
    // The payload is not verified yet: its values are counted in constant
    // memory first (sigstore-verify parses it into a JSON tree), and only
    // the subject digest is read here.
    crate::statement::count_json_values(ours.payload, crate::statement::MAX_UNVERIFIED_VALUES)
        .map_err(|max| bundle_error(format!("the statement has more than {max} JSON values")))?;
    #[derive(serde::Deserialize)]
    struct Digest {
        sha256: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Subject {
        digest: Digest,
    }
    #[derive(serde::Deserialize)]
    struct Subjects {
        subject: Vec<Subject>,
    }
    let statement: Subjects = serde_json::from_slice(ours.payload)
        .map_err(|e| bundle_error(format!("statement: {e}")))?;
    let subject = statement
        .subject
        .first()
        .and_then(|s| s.digest.sha256.as_deref())
        .and_then(|hex| Sha256Hash::from_hex(hex).ok())
        .ok_or_else(|| bundle_error("the statement has no sha256 subject".into()))?;
    let result = root
        .verifier
        .verify(
            Artifact::from_digest(subject),
            &bundle,
            &VerificationPolicy::any_identity(),
        )
        .map_err(|e| KeylessError::new(stage_of(&e), e.to_string()))?;
    if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
        return Err(bundle_error(
            "the certificate, SCT and transparency log were not all verified".into(),
        ));
    }
    let cert = x509_cert::Certificate::from_der(ours.certificate)
        .map_err(|e| KeylessError::new(KeylessStage::CertificateChain, e.to_string()))?;
    let identity = san_identity(&cert).ok_or_else(|| {
        KeylessError::new(
            KeylessStage::Identity,
            "the certificate has no email, URI or otherName identity",
        )
    })?;
    let issuer = result.issuer().map(str::to_owned).ok_or_else(|| {
        KeylessError::new(KeylessStage::Issuer, "the certificate names no issuer")
    })?;
    if !policy.identity.matches(&identity) {
        return Err(KeylessError::new(
            KeylessStage::Identity,
            format!(
                "the certificate is for `{identity}`, not {}",
                policy.identity
            ),
        ));
    }
    if !policy.issuer.matches(&issuer) {
        return Err(KeylessError::new(
            KeylessStage::Issuer,
            format!(
                "the identity was issued by `{issuer}`, not {}",
                policy.issuer
            ),
        ));
    }
    let info = result.certificate().ok_or_else(|| {
        KeylessError::new(
            KeylessStage::CertificateChain,
            "no certificate was verified",
        )
    })?;
    let algorithm = match info.key_algorithm {
        sigstore_verify::crypto::KeyAlgorithm::EcdsaP256 => KeyAlgorithm::P256,
        sigstore_verify::crypto::KeyAlgorithm::EcdsaP384 => KeyAlgorithm::P384,
        sigstore_verify::crypto::KeyAlgorithm::Ed25519 => KeyAlgorithm::Ed25519,
        other => {
            return Err(KeylessError::new(
                KeylessStage::CertificateChain,
                format!("unsupported certificate key {other:?}"),
            ));
        }
    };
    let entry = bundle.verification_material.tlog_entries.first();
    let tsa_count = bundle
        .verification_material
        .timestamp_verification_data
        .rfc3161_timestamps
        .len();
    // sigstore-verify lists TSA times first, then integrated times.
    let tsa_times = result
        .verified_timestamps()
        .iter()
        .take(tsa_count)
        .map(|t| SystemTime::from(*t))
        .collect();
    Ok((
        KeylessSigner {
            identity,
            issuer,
            log_index: entry.map_or(0, |e| e.log_index.get()),
            log_url: entry.and_then(|e| {
                root.root
                    .tlogs
                    .iter()
                    .find(|t| t.log_id.key_id == e.log_id.key_id)
                    .map(|t| t.base_url.clone())
            }),
            integrated_time: result.integrated_time().map(SystemTime::from),
            tsa_times,
            not_before: SystemTime::from(info.not_before),
            not_after: SystemTime::from(info.not_after),
        },
        algorithm,
    ))
}
