//! Checking an OMS bundle's signature against an explicit trust input.

use std::time::SystemTime;

use crate::bundle::{Bundle, VerificationMaterial};
use crate::error::{SignatureError, TrustError, VerifyError};
use crate::keys::{KeyAlgorithm, PublicKey};
use crate::statement::{SignedManifest, parse_statement};

/// What a bundle must be signed by. The key or certificate inside a bundle
/// is never trusted by itself.
#[derive(Debug, Clone)]
#[non_exhaustive]
// Built once per verification; boxing the key would only make it clumsier.
#[allow(clippy::large_enum_variant)]
pub enum Trust {
    /// Key method: this public key.
    PublicKey(PublicKey),
    /// Certificate method: a chain leading to one of these DER roots, valid
    /// at `time` (default now) for code signing.
    Roots {
        /// Trusted root certificates, DER.
        roots: Vec<Vec<u8>>,
        /// The time to check validity at; `None` means now.
        time: Option<SystemTime>,
    },
    /// Sigstore keyless: a Fulcio certificate logged in Rekor, checked
    /// against this trusted root, from a signer `policy` names (`None`:
    /// refuse, showing the identity and issuer the bundle claims).
    Sigstore {
        /// The trusted root.
        root: std::sync::Arc<crate::keyless::SigstoreRoot>,
        /// Who must have signed.
        policy: Option<crate::keyless::IdentityPolicy>,
    },
}

/// Who signed a verified bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signer {
    /// A bare key.
    Key {
        /// The key id (OMS `publicKey.hint`).
        key_id: String,
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
        /// The bundle's `publicKey.hint` when it is not `key_id`. The hint
        /// is not signed, so this is a note, not a failure: the signature
        /// verified with the trusted key all the same.
        unmatched_hint: Option<String>,
    },
    /// A certificate that chains to a trusted root.
    Certificate {
        /// The leaf's subject, RFC 4514 style.
        subject: String,
        /// The leaf's issuer, RFC 4514 style.
        issuer: String,
        /// The leaf's serial number, lowercase hex.
        serial: String,
        /// The end of the leaf's validity.
        not_after: SystemTime,
        /// Certificates in the bundle's chain, leaf included.
        chain_len: usize,
    },
    /// A Sigstore keyless signer (Fulcio certificate, Rekor entry).
    Sigstore(crate::keyless::KeylessSigner),
}

/// A bundle whose signature verified, with its statement.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    /// The signed content.
    pub manifest: SignedManifest,
    /// Who signed it.
    pub signer: Signer,
    /// The DSSE signature's algorithm.
    pub algorithm: KeyAlgorithm,
}

/// A bundle whose signature verified, with its payload not yet interpreted:
/// what [`verify_statement`] returns for any in-toto statement.
#[derive(Debug, Clone)]
pub struct VerifiedStatement {
    /// The signed payload (in-toto statement JSON), exactly as signed.
    pub payload: Vec<u8>,
    /// Who signed it.
    pub signer: Signer,
    /// The DSSE signature's algorithm.
    pub algorithm: KeyAlgorithm,
}

/// Verifies bundle JSON: parses it, checks its verification material fits
/// `trust`, checks the one DSSE signature over the pre-authentication
/// encoding, and only then parses and checks the statement.
///
/// This does not hash the model: compare [`VerifiedBundle::manifest`] with
/// the files afterwards.
pub fn verify_bundle(bundle_bytes: &[u8], trust: &Trust) -> Result<VerifiedBundle, VerifyError> {
    let verified = verify_statement(bundle_bytes, trust)?;
    let manifest = parse_statement(&verified.payload)?;
    Ok(VerifiedBundle {
        manifest,
        signer: verified.signer,
        algorithm: verified.algorithm,
    })
}

/// Verifies any bundle's signature against `trust`, as [`verify_bundle`]
/// does, and returns the signed payload without interpreting it: for
/// statements other than an OMS manifest (attestations).
pub fn verify_statement(
    bundle_bytes: &[u8],
    trust: &Trust,
) -> Result<VerifiedStatement, VerifyError> {
    let bundle = Bundle::from_json(bundle_bytes)?;
    let (key, signer) = match (&bundle.material, trust) {
        (VerificationMaterial::SigstoreCertificate(cert), Trust::Sigstore { root, policy }) => {
            let Some(policy) = policy else {
                let (identity, issuer) = crate::keyless::unverified_claims(cert);
                return Err(TrustError::KeylessIdentityRequired { identity, issuer }.into());
            };
            let [signature] = bundle.envelope.signatures.as_slice() else {
                return Err(SignatureError::Count(bundle.envelope.signatures.len()).into());
            };
            let parsed = crate::keyless::Parsed {
                payload: &bundle.envelope.payload,
                payload_type: &bundle.envelope.payload_type,
                signature: &signature.sig,
                certificate: cert,
            };
            let (signer, algorithm) = crate::keyless::verify(bundle_bytes, &parsed, root, policy)
                .map_err(TrustError::from)?;
            return Ok(VerifiedStatement {
                algorithm,
                payload: bundle.envelope.payload,
                signer: Signer::Sigstore(signer),
            });
        }
        (VerificationMaterial::SigstoreCertificate(cert), _) => {
            let (identity, issuer) = crate::keyless::unverified_claims(cert);
            return Err(TrustError::KeylessIdentityRequired { identity, issuer }.into());
        }
        (_, Trust::Sigstore { .. }) => {
            return Err(TrustError::NotKeyless.into());
        }
        (VerificationMaterial::PublicKey { .. }, Trust::Roots { .. }) => {
            return Err(TrustError::KeyBundleWithRoots.into());
        }
        (VerificationMaterial::CertificateChain(_), Trust::PublicKey(_)) => {
            return Err(TrustError::CertificateBundleWithKey.into());
        }
        (VerificationMaterial::PublicKey { hint, raw_bytes }, Trust::PublicKey(key)) => {
            let unmatched_hint = check_key_material(key, hint.as_deref(), raw_bytes.as_deref())?;
            let signer = Signer::Key {
                key_id: key.key_id(),
                algorithm: key.algorithm(),
                unmatched_hint,
            };
            (key.clone(), signer)
        }
        (VerificationMaterial::CertificateChain(chain), Trust::Roots { roots, time }) => {
            let (key, info) = crate::x509::verify_chain(chain, roots, *time)?;
            let signer = Signer::Certificate {
                subject: info.subject,
                issuer: info.issuer,
                serial: info.serial,
                not_after: info.not_after,
                chain_len: chain.len(),
            };
            (key, signer)
        }
    };
    let [signature] = bundle.envelope.signatures.as_slice() else {
        return Err(SignatureError::Count(bundle.envelope.signatures.len()).into());
    };
    if let Err(error) = key.verify(&bundle.envelope.pae(), &signature.sig) {
        // A hint naming another key is the likelier explanation of a bad
        // signature: say who the bundle claims signed it.
        if let Signer::Key {
            key_id,
            unmatched_hint: Some(hint),
            ..
        } = &signer
        {
            return Err(TrustError::KeyIdMismatch {
                expected: key_id.clone(),
                found: hint.clone(),
            }
            .into());
        }
        return Err(error.into());
    }
    Ok(VerifiedStatement {
        algorithm: key.algorithm(),
        payload: bundle.envelope.payload,
        signer,
    })
}

/// Compares the bundle's key material with the trusted key. Returns the
/// hint when it is not the key's id: the hint rule.
///
/// The hint is the reference tool's (hex SHA-256 of the key's canonical
/// SubjectPublicKeyInfo PEM, [`PublicKey::key_id`]), but it is not signed
/// and other tools may compute it otherwise (from the key file's own bytes,
/// say). So it decides nothing: a signature that verifies with the trusted
/// key passes whatever the hint says, and one that does not fails whatever
/// it says. A differing hint only names the key the bundle claims.
///
/// `rawBytes` (older reference tools: the key itself, DER or PEM) is
/// compared by value, whatever its encoding, and must be the trusted key.
fn check_key_material(
    key: &PublicKey,
    hint: Option<&str>,
    raw_bytes: Option<&[u8]>,
) -> Result<Option<String>, TrustError> {
    if let Some(hint) = hint {
        let matches = hint.eq_ignore_ascii_case(&key.key_id());
        return Ok((!matches).then(|| hint.to_owned()));
    }
    if let Some(raw) = raw_bytes {
        // Older reference tools wrote the key itself: DER, or PEM text.
        let same = raw == key.to_spki_der()
            || raw == key.to_pem().as_bytes()
            || PublicKey::from_spki_der(raw)
                .or_else(|_| {
                    std::str::from_utf8(raw)
                        .map_err(|_| ())
                        .and_then(|t| PublicKey::from_pem(t).map_err(|_| ()))
                        .map_err(|()| crate::KeyError::NotPem {
                            name: String::new(),
                        })
                })
                .is_ok_and(|k| &k == key);
        if !same {
            return Err(TrustError::RawKeyMismatch {
                expected: key.key_id(),
            });
        }
    }
    Ok(None)
}
