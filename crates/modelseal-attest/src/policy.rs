//! The trust policy (`policy.toml`): who may sign what, in which role, when,
//! and which rules a model's attestations must satisfy.
//!
//! ```toml
//! version = 1
//!
//! [[signers]]
//! name = "alice"
//! key = "keys/alice.pub"          # relative to the policy file
//! roles = ["developer"]
//! valid_from = "2026-01-01T00:00:00Z"
//! valid_until = "2027-01-01T00:00:00Z"
//!
//! [[revocations]]
//! signer = "bob"
//! reason = "laptop stolen"
//!
//! [rules.model_signature]
//! roles = ["developer"]
//! ```
//!
//! `docs/policy.md` documents every key.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use modelseal_oms::bundle::{Bundle, VerificationMaterial};
use modelseal_oms::{PublicKey, Signer, Trust, VerifiedStatement, VerifyError};
use serde::Deserialize;

use crate::error::PolicyError;
use crate::predicate::Role;
use crate::time::Timestamp;

/// The largest policy file read: 1 MiB.
pub const MAX_POLICY_SIZE: u64 = 1 << 20;

/// A loaded trust policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The file it was read from.
    pub path: PathBuf,
    /// The SHA-256 of the policy text, hex: which policy decided.
    pub digest: String,
    /// The Sigstore trusted root keyless signers are checked against:
    /// `sigstore_trusted_root` (a `trusted_root.json`, relative to the
    /// policy), else the embedded public-good root. `None` when no signer
    /// is keyless.
    pub sigstore_root: Option<std::sync::Arc<modelseal_oms::keyless::SigstoreRoot>>,
    /// Who is trusted, for what.
    pub signers: Vec<PolicySigner>,
    /// The rules.
    pub rules: Rules,
}

/// One trusted signer.
#[derive(Debug, Clone)]
pub struct PolicySigner {
    /// Its name in the policy.
    pub name: String,
    /// How it is recognised.
    pub identity: Identity,
    /// The roles it holds.
    pub roles: BTreeSet<Role>,
    /// Not trusted before this time.
    pub valid_from: Option<Timestamp>,
    /// Not trusted after this time.
    pub valid_until: Option<Timestamp>,
    /// Set when the policy revokes it.
    pub revoked: Option<Revocation>,
}

/// How a [`PolicySigner`] is recognised.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Identity {
    /// A public key (key-method bundles).
    Key(PublicKey),
    /// A certificate chaining to `roots` whose leaf subject is `subject`.
    Certificate {
        /// Trusted roots, DER.
        roots: Vec<Vec<u8>>,
        /// The required leaf subject, RFC 4514 style (`CN=ci,O=Example`).
        subject: String,
    },
    /// A Sigstore keyless signer: a Fulcio certificate for this OIDC
    /// identity and issuer, logged in Rekor, checked against the policy's
    /// Sigstore trusted root.
    Keyless {
        /// The certificate's identity (SAN).
        identity: modelseal_oms::keyless::Matcher,
        /// The OIDC issuer.
        issuer: modelseal_oms::keyless::Matcher,
    },
}

impl Identity {
    /// Whether two entries name the same signer: the same key, or the same
    /// roots and subject (one entry with both roles is the way to say it).
    fn same_signer(&self, other: &Identity) -> bool {
        match (self, other) {
            (Identity::Key(a), Identity::Key(b)) => a == b,
            (
                Identity::Certificate { roots, subject },
                Identity::Certificate {
                    roots: r,
                    subject: t,
                },
            ) => roots == r && subject == t,
            _ => false,
        }
    }

    /// A short description: the key id, or the subject.
    pub fn describe(&self) -> String {
        match self {
            Identity::Key(key) => format!("key {}", key.key_id()),
            Identity::Certificate { subject, .. } => format!("certificate `{subject}`"),
            Identity::Keyless { identity, issuer } => {
                format!("Sigstore keyless {identity} (issuer {issuer})")
            }
        }
    }
}

/// A revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Why.
    pub reason: String,
    /// When, if given (informative: without a trusted timestamp on each
    /// signature, every signature by a revoked signer is rejected).
    pub revoked_at: Option<Timestamp>,
}

/// The rules a model must satisfy; a rule that is absent is not checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The model signature must come from a signer holding one of `roles`.
    pub model_signature: Option<RoleRule>,
    /// A lineage statement for this version from one of `roles`.
    pub lineage: Option<RoleRule>,
    /// Every dataset the lineage names as training data has a provenance
    /// attestation from one of `roles`.
    pub datasets: Option<RoleRule>,
    /// Passing security tests from `threshold` distinct signers holding
    /// one of `roles`.
    pub tests: Option<TestRule>,
    /// A version whose content differs from its parent's is a new version
    /// with a new passing test.
    pub retraining: Option<RetrainingRule>,
    /// Pickle-based files are denied unless an unexpired exception from one
    /// of `roles` names them.
    pub unsafe_formats: Option<UnsafeFormatsRule>,
}

/// The unsafe-formats rule: a [`RoleRule`] for exceptions, and the globals
/// the format gate accepts beyond its known-safe table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsafeFormatsRule {
    /// Roles whose exceptions count.
    pub roles: Vec<Role>,
    /// Distinct signers needed (default 1).
    #[serde(default = "one")]
    pub threshold: usize,
    /// `MODULE.NAME` or `MODULE.*` entries: a project's own classes, rated
    /// allowed rather than unknown by verification's format check (as
    /// `verify --allow-global`). A global rated dangerous cannot be listed.
    /// Every pickle-based file still needs its exception.
    #[serde(default)]
    pub allow_globals: Vec<String>,
}

/// A rule satisfied by attestations from signers holding one of `roles`,
/// `threshold` distinct ones (k of the n holding the roles).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRule {
    /// Roles that count.
    pub roles: Vec<Role>,
    /// Distinct signers needed (default 1).
    #[serde(default = "one")]
    pub threshold: usize,
}

/// The security-test rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRule {
    /// Roles that count (default `tester`).
    #[serde(default = "tester")]
    pub roles: Vec<Role>,
    /// Distinct signers with a passing test needed (default 1).
    #[serde(default = "one")]
    pub threshold: usize,
}

/// The retraining rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrainingRule {
    /// The version must differ from the parent's (default true).
    #[serde(default = "yes")]
    pub new_version: bool,
    /// A passing test bound to the new root digest must exist (default
    /// true); who counts comes from `[rules.tests]`, else `tester`.
    #[serde(default = "yes")]
    pub new_test: bool,
}

fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}
fn tester() -> Vec<Role> {
    vec![Role::Tester]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: u32,
    #[serde(default)]
    sigstore_trusted_root: Option<PathBuf>,
    #[serde(default)]
    signers: Vec<SignerEntry>,
    #[serde(default)]
    revocations: Vec<RevocationEntry>,
    #[serde(default)]
    rules: Rules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignerEntry {
    name: String,
    key: Option<PathBuf>,
    roots: Option<PathBuf>,
    subject: Option<String>,
    identity: Option<String>,
    identity_regex: Option<String>,
    issuer: Option<String>,
    issuer_regex: Option<String>,
    roles: Vec<Role>,
    #[serde(default, deserialize_with = "policy_time")]
    valid_from: Option<Timestamp>,
    #[serde(default, deserialize_with = "policy_time")]
    valid_until: Option<Timestamp>,
}

/// A keyless signer's identity and issuer matchers: one exact or regex
/// form of each.
fn keyless_identity(entry: &SignerEntry) -> Result<Identity, String> {
    use modelseal_oms::keyless::Matcher;
    let pick = |exact: &Option<String>, regex: &Option<String>, what: &str| match (exact, regex) {
        (Some(s), None) => Ok(Matcher::Exact(s.clone())),
        (None, Some(re)) => {
            Matcher::regex(re).map_err(|e| format!("signer `{}`: {what}_regex: {e}", entry.name))
        }
        (Some(_), Some(_)) => Err(format!(
            "signer `{}`: give `{what}` or `{what}_regex`, not both",
            entry.name
        )),
        (None, None) => Err(format!(
            "signer `{}`: a keyless signer needs `{what}` (or `{what}_regex`)",
            entry.name
        )),
    };
    Ok(Identity::Keyless {
        identity: pick(&entry.identity, &entry.identity_regex, "identity")?,
        issuer: pick(&entry.issuer, &entry.issuer_regex, "issuer")?,
    })
}

/// A time in a policy: an RFC 3339 string, or a TOML offset date-time
/// written without quotes (`valid_from = 2026-01-01T00:00:00Z`). A TOML
/// local date or time, which has no offset, is refused.
fn policy_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Toml(toml::value::Datetime),
    }
    let text = match Written::deserialize(d)? {
        Written::Text(text) => text,
        Written::Toml(dt) if dt.offset.is_none() || dt.date.is_none() || dt.time.is_none() => {
            return Err(serde::de::Error::custom(format!(
                "`{dt}` has no time zone offset: write it with one, e.g. \
                 `2026-01-01T00:00:00Z`"
            )));
        }
        Written::Toml(dt) => dt.to_string(),
    };
    Timestamp::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationEntry {
    signer: Option<String>,
    key_id: Option<String>,
    reason: String,
    #[serde(default, deserialize_with = "policy_time")]
    revoked_at: Option<Timestamp>,
}

impl Policy {
    /// Reads and checks `path`; key and certificate files are resolved
    /// relative to its directory.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let io = |source| PolicyError::Io {
            path: path.to_owned(),
            source,
        };
        let text = read_capped(path).map_err(io)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(path, &text, base)
    }

    /// Parses policy text; `base` is where relative file names start.
    pub fn from_toml(path: &Path, text: &str, base: &Path) -> Result<Self, PolicyError> {
        let invalid = |message: String| invalid(path, message);
        let file: PolicyFile = toml::from_str(text).map_err(|source| PolicyError::Toml {
            path: path.to_owned(),
            source,
        })?;
        if file.version != 1 {
            return Err(invalid(format!(
                "`version = {}`: this modelseal reads policy version 1",
                file.version
            )));
        }
        let mut signers = read_signers(path, base, file.signers)?;
        apply_revocations(&mut signers, file.revocations).map_err(invalid)?;
        check_rules(&file.rules, &signers).map_err(invalid)?;
        let sigstore_root = sigstore_root(file.sigstore_trusted_root.as_deref(), base, &signers)
            .map_err(invalid)?;
        Ok(Self {
            path: path.to_owned(),
            sigstore_root,
            digest: modelseal_hash::HashAlgorithm::Sha256
                .digest(text.as_bytes())
                .to_hex(),
            signers,
            rules: file.rules,
        })
    }

    /// Finds the policy signer a bundle names and checks the bundle's
    /// signature with it (certificate chains are checked at `at`).
    ///
    /// Nothing about standing (revocation, validity, roles) is decided
    /// here: see [`PolicySigner::standing`].
    pub fn identify(&self, bundle: &[u8], at: Timestamp) -> Result<Identified, Unidentified> {
        let parsed =
            Bundle::from_json(bundle).map_err(|e| Unidentified::Malformed(e.to_string()))?;
        let at_time = SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(u64::try_from(at.unix_seconds()).unwrap_or(0));
        match &parsed.material {
            VerificationMaterial::PublicKey { hint, raw_bytes } => {
                let mut candidates: Vec<usize> = self
                    .signers
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| match (&s.identity, hint, raw_bytes) {
                        (Identity::Key(k), Some(hint), _) => k.key_id().eq_ignore_ascii_case(hint),
                        (Identity::Key(k), None, Some(raw)) => raw_key_is(raw, k),
                        _ => false,
                    })
                    .map(|(i, _)| i)
                    .collect();
                // The hint rule: the hint is not signed and may be computed
                // otherwise, so when it names no listed key the signature
                // itself decides. A failure then names no signer.
                let by_hint = !candidates.is_empty() || hint.is_none();
                if !by_hint {
                    candidates = (0..self.signers.len())
                        .filter(|&i| matches!(self.signers[i].identity, Identity::Key(_)))
                        .collect();
                }
                let mut last = None;
                for index in candidates {
                    let Identity::Key(key) = &self.signers[index].identity else {
                        continue;
                    };
                    match modelseal_oms::verify_statement(bundle, &Trust::PublicKey(key.clone())) {
                        Ok(verified) => {
                            return Ok(Identified {
                                signer: index,
                                verified,
                            });
                        }
                        Err(e) => last = Some((index, e)),
                    }
                }
                match last.filter(|_| by_hint) {
                    Some((signer, error)) => Err(Unidentified::BadSignature {
                        signer,
                        message: chain_text(&error),
                    }),
                    None => Err(Unidentified::Unknown(match hint {
                        Some(hint) => format!("key {hint}"),
                        None => "a key given by its raw bytes".to_owned(),
                    })),
                }
            }
            VerificationMaterial::CertificateChain(chain_der) => {
                let mut subject_seen = None;
                for (index, signer) in self.signers.iter().enumerate() {
                    let Identity::Certificate { roots, subject } = &signer.identity else {
                        continue;
                    };
                    let trust = Trust::Roots {
                        roots: roots.clone(),
                        time: Some(at_time),
                    };
                    match modelseal_oms::verify_statement(bundle, &trust) {
                        Ok(verified) => {
                            if let Signer::Certificate { subject: got, .. } = &verified.signer {
                                if got == subject {
                                    return Ok(Identified {
                                        signer: index,
                                        verified,
                                    });
                                }
                                subject_seen = Some(got.clone());
                            }
                        }
                        Err(VerifyError::Signature(e)) => {
                            return Err(Unidentified::BadSignature {
                                signer: index,
                                message: e.to_string(),
                            });
                        }
                        Err(_) => {}
                    }
                }
                let leaf = chain_der
                    .first()
                    .and_then(|c| modelseal_oms::x509::certificate_info(c).ok())
                    .map(|(info, _)| info.subject);
                Err(Unidentified::Unknown(format!(
                    "certificate `{}`{}",
                    subject_seen.or(leaf).unwrap_or_else(|| "?".to_owned()),
                    " (no policy signer's roots and subject match it)"
                )))
            }
            VerificationMaterial::SigstoreCertificate(cert) => self.identify_keyless(bundle, cert),
            _ => Err(Unidentified::Unknown(
                "an unknown kind of signer".to_owned(),
            )),
        }
    }

    /// A keyless bundle: the signers whose identity and issuer match what
    /// the certificate claims, then one verification (chain, SCT, Rekor,
    /// signature) against the policy's Sigstore root.
    fn identify_keyless(&self, bundle: &[u8], cert: &[u8]) -> Result<Identified, Unidentified> {
        use modelseal_oms::keyless::{IdentityPolicy, unverified_claims};
        let (claimed_identity, claimed_issuer) = unverified_claims(cert);
        let claims = format!(
            "Sigstore keyless `{}` (issuer `{}`)",
            claimed_identity.as_deref().unwrap_or("?"),
            claimed_issuer.as_deref().unwrap_or("?")
        );
        let candidate = self.signers.iter().position(|s| match &s.identity {
            Identity::Keyless { identity, issuer } => {
                claimed_identity
                    .as_deref()
                    .is_some_and(|c| identity.matches(c))
                    && claimed_issuer.as_deref().is_some_and(|c| issuer.matches(c))
            }
            _ => false,
        });
        let (Some(index), Some(root)) = (candidate, &self.sigstore_root) else {
            return Err(Unidentified::Unknown(claims));
        };
        let Identity::Keyless { identity, issuer } = &self.signers[index].identity else {
            return Err(Unidentified::Unknown(claims));
        };
        let trust = Trust::Sigstore {
            root: root.clone(),
            policy: Some(IdentityPolicy {
                identity: identity.clone(),
                issuer: issuer.clone(),
            }),
        };
        match modelseal_oms::verify_statement(bundle, &trust) {
            Ok(verified) => Ok(Identified {
                signer: index,
                verified,
            }),
            Err(e) => Err(Unidentified::BadSignature {
                signer: index,
                message: chain_text(&e),
            }),
        }
    }
}

/// A bundle whose signature verified with a policy signer's identity.
#[derive(Debug, Clone)]
pub struct Identified {
    /// Index into [`Policy::signers`].
    pub signer: usize,
    /// The verified payload.
    pub verified: VerifiedStatement,
}

/// Why a bundle could not be tied to a policy signer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unidentified {
    /// Not a well-formed bundle.
    Malformed(String),
    /// Signed by nobody the policy lists.
    Unknown(String),
    /// Names a policy signer, but the signature does not verify.
    BadSignature {
        /// Index into [`Policy::signers`].
        signer: usize,
        /// Why.
        message: String,
    },
}

impl PolicySigner {
    /// Whether the signer may be trusted at `at` for a statement made at
    /// `made_at`: not revoked, and both times within its validity window.
    pub fn standing(&self, at: Timestamp, made_at: Option<Timestamp>) -> Result<(), String> {
        if let Some(revocation) = &self.revoked {
            return Err(match revocation.revoked_at {
                Some(t) => format!(
                    "signer `{}` is revoked since {t}: {}",
                    self.name, revocation.reason
                ),
                None => format!("signer `{}` is revoked: {}", self.name, revocation.reason),
            });
        }
        for (what, t) in [("now", Some(at)), ("the statement's attestedAt", made_at)] {
            let Some(t) = t else { continue };
            if let Some(from) = self.valid_from {
                if t < from {
                    return Err(format!(
                        "signer `{}` is not valid before {from} ({what} is {t})",
                        self.name
                    ));
                }
            }
            if let Some(until) = self.valid_until {
                if t > until {
                    return Err(format!(
                        "signer `{}` expired at {until} ({what} is {t})",
                        self.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// The roles, comma-separated.
    pub fn roles_text(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A policy that parses but says something impossible.
fn invalid(path: &Path, message: String) -> PolicyError {
    PolicyError::Invalid {
        path: path.to_owned(),
        message,
    }
}

/// The `[[signers]]` stage of [`Policy::from_toml`]: each entry's shape,
/// its key, roots or keyless identity (files relative to `base`), and no
/// signer listed twice under two names.
fn read_signers(
    path: &Path,
    base: &Path,
    entries: Vec<SignerEntry>,
) -> Result<Vec<PolicySigner>, PolicyError> {
    let invalid = |message: String| invalid(path, message);
    let mut signers: Vec<PolicySigner> = Vec::with_capacity(entries.len());
    for entry in entries {
        if signers.iter().any(|s| s.name == entry.name) {
            return Err(invalid(format!("signer `{}` is listed twice", entry.name)));
        }
        if entry.roles.is_empty() {
            return Err(invalid(format!("signer `{}` has no roles", entry.name)));
        }
        if let (Some(from), Some(until)) = (entry.valid_from, entry.valid_until) {
            if from >= until {
                return Err(invalid(format!(
                    "signer `{}`: valid_from {from} is not before valid_until {until}",
                    entry.name
                )));
            }
        }
        let identity = signer_identity(path, base, &entry)?;
        if let Some(other) = signers.iter().find(|s| s.identity.same_signer(&identity)) {
            return Err(invalid(format!(
                "signers `{}` and `{}` have the same {}; give it one entry with both roles",
                other.name,
                entry.name,
                match identity {
                    Identity::Key(_) => "key",
                    _ => "roots and subject",
                }
            )));
        }
        signers.push(PolicySigner {
            name: entry.name,
            identity,
            roles: entry.roles.into_iter().collect(),
            valid_from: entry.valid_from,
            valid_until: entry.valid_until,
            revoked: None,
        });
    }
    Ok(signers)
}

/// One signer entry's identity: `key`, `roots` with `subject`, or a
/// keyless identity with issuer, and never a mix.
fn signer_identity(path: &Path, base: &Path, entry: &SignerEntry) -> Result<Identity, PolicyError> {
    let invalid = |message: String| invalid(path, message);
    let material = |file: &Path, message: String| PolicyError::Material {
        path: path.to_owned(),
        signer: entry.name.clone(),
        file: file.to_owned(),
        message,
    };
    let keyless = entry.identity.is_some()
        || entry.identity_regex.is_some()
        || entry.issuer.is_some()
        || entry.issuer_regex.is_some();
    match (&entry.key, &entry.roots, &entry.subject) {
        (None, None, None) if keyless => keyless_identity(entry).map_err(invalid),
        _ if keyless => Err(invalid(format!(
            "signer `{}`: a keyless signer (identity and issuer) takes no `key`, \
             `roots` or `subject`",
            entry.name
        ))),
        (Some(key), None, None) => {
            let file = base.join(key);
            let text = read_capped(&file).map_err(|e| material(&file, e.to_string()))?;
            let key = PublicKey::from_pem_named(&file.display().to_string(), &text)
                .map_err(|e| material(&file, e.to_string()))?;
            Ok(Identity::Key(key))
        }
        (None, Some(roots), Some(subject)) => {
            let file = base.join(roots);
            let text = read_capped(&file).map_err(|e| material(&file, e.to_string()))?;
            let roots = modelseal_oms::x509::certificates_from_pem(&text)
                .map_err(|e| material(&file, e.to_string()))?;
            if roots.is_empty() {
                return Err(material(&file, "no `CERTIFICATE` PEM block".to_owned()));
            }
            Ok(Identity::Certificate {
                roots,
                subject: subject.clone(),
            })
        }
        _ => Err(invalid(format!(
            "signer `{}` needs either `key`, `roots` with `subject`, or `identity` \
             with `issuer` (keyless)",
            entry.name
        ))),
    }
}

/// The `[[revocations]]` stage: each names a listed signer, or a key id
/// (a revoked key the policy does not list is distrusted anyway).
fn apply_revocations(
    signers: &mut [PolicySigner],
    revocations: Vec<RevocationEntry>,
) -> Result<(), String> {
    for revocation in revocations {
        let mut found = false;
        for signer in signers.iter_mut().filter(|s| {
            revocation.signer.as_deref() == Some(s.name.as_str())
                || matches!((&s.identity, &revocation.key_id),
                    (Identity::Key(k), Some(id)) if k.key_id().eq_ignore_ascii_case(id))
        }) {
            found = true;
            signer.revoked = Some(Revocation {
                reason: revocation.reason.clone(),
                revoked_at: revocation.revoked_at,
            });
        }
        if !found && (revocation.signer.is_some() || revocation.key_id.is_none()) {
            return Err(format!(
                "a revocation names `{}`, which is not a signer",
                revocation
                    .signer
                    .or(revocation.key_id)
                    .unwrap_or_else(|| "nobody".to_owned())
            ));
        }
    }
    Ok(())
}

/// The `[rules]` stage: every role a rule asks for is held by enough
/// signers, thresholds only where k-of-n means something, and
/// `allow_globals` entries shaped `MODULE.NAME` or `MODULE.*`.
fn check_rules(rules: &Rules, signers: &[PolicySigner]) -> Result<(), String> {
    for (name, rule) in [
        ("model_signature", &rules.model_signature),
        ("lineage", &rules.lineage),
        ("datasets", &rules.datasets),
    ] {
        if let Some(rule) = rule {
            // One signature signs a model, and one lineage statement
            // describes a version: k-of-n applies to the others.
            if rule.threshold != 1 && matches!(name, "model_signature" | "lineage") {
                return Err(format!(
                    "[rules.{name}] takes no threshold (k-of-n applies to datasets, tests \
                     and unsafe_formats)"
                ));
            }
            check_rule(name, &rule.roles, rule.threshold, signers)?;
        }
    }
    if let Some(rule) = &rules.tests {
        check_rule("tests", &rule.roles, rule.threshold, signers)?;
    }
    if let Some(rule) = &rules.unsafe_formats {
        check_rule("unsafe_formats", &rule.roles, rule.threshold, signers)?;
        // The full check (no dangerous global) is the format gate's, when
        // `verify` builds it; the shape is checked here.
        if let Some(bad) = rule.allow_globals.iter().find(|entry| {
            let mut segments = entry.split('.');
            entry.split('.').count() < 2
                || !segments.all(|s| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c == '_' || c == '*' || c.is_alphanumeric())
                })
        }) {
            return Err(format!(
                "[rules.unsafe_formats] allow_globals: `{bad}` is not MODULE.NAME or MODULE.*"
            ));
        }
    }
    Ok(())
}

/// The Sigstore trusted root keyless signers are checked against: the
/// file `sigstore_trusted_root` names, or the embedded public-good root;
/// none when no signer is keyless.
fn sigstore_root(
    file: Option<&Path>,
    base: &Path,
    signers: &[PolicySigner],
) -> Result<Option<std::sync::Arc<modelseal_oms::keyless::SigstoreRoot>>, String> {
    if !signers
        .iter()
        .any(|s| matches!(s.identity, Identity::Keyless { .. }))
    {
        return Ok(None);
    }
    let root = match file {
        Some(root) => {
            let root_path = base.join(root);
            let bytes = read_capped(&root_path)
                .map_err(|e| format!("sigstore_trusted_root `{}`: {e}", root_path.display()))?;
            std::sync::Arc::new(
                modelseal_oms::keyless::SigstoreRoot::from_trusted_root_json(
                    bytes.as_bytes(),
                    &format!("`{}`", root_path.display()),
                )
                .map_err(|e| e.to_string())?,
            )
        }
        None => modelseal_oms::keyless::SigstoreRoot::public_good().map_err(|e| e.to_string())?,
    };
    Ok(Some(root))
}

fn check_rule(
    name: &str,
    roles: &[Role],
    threshold: usize,
    signers: &[PolicySigner],
) -> Result<(), String> {
    if roles.is_empty() {
        return Err(format!("[rules.{name}] has no roles"));
    }
    if threshold == 0 {
        return Err(format!("[rules.{name}] threshold must be at least 1"));
    }
    // Revoked signers count here: a revocation takes effect when the rule
    // is evaluated (the model then fails verification, with a report),
    // not by making the policy unreadable.
    let holders = signers
        .iter()
        .filter(|s| s.roles.iter().any(|r| roles.contains(r)))
        .count();
    if holders < threshold {
        return Err(format!(
            "[rules.{name}] needs {threshold} distinct signers but only {holders} signers \
             hold its roles"
        ));
    }
    Ok(())
}

/// Whether a bundle's `publicKey.rawBytes` (DER, or PEM text as older
/// reference tools wrote it) is `key`.
fn raw_key_is(raw: &[u8], key: &PublicKey) -> bool {
    raw == key.to_spki_der()
        || raw == key.to_pem().as_bytes()
        || PublicKey::from_spki_der(raw).is_ok_and(|k| &k == key)
        || std::str::from_utf8(raw)
            .ok()
            .and_then(|text| PublicKey::from_pem(text).ok())
            .is_some_and(|k| &k == key)
}

/// Reads a policy or a file it names, as UTF-8 text of at most
/// [`MAX_POLICY_SIZE`] bytes. The cap is on what is read, not on what
/// `stat` says, so a file that grows or a device that never ends (a policy
/// naming `/dev/zero` as a key) is refused rather than read without bound.
fn read_capped(path: &Path) -> std::io::Result<String> {
    // The project's one capped, non-blocking, regular-file reader.
    let bytes = modelseal_hash::read_regular(path, modelseal_hash::Links::Follow, MAX_POLICY_SIZE)?;
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// An error and its causes on one line: `what: why: why`.
pub fn chain_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
