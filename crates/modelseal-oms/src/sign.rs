//! Producing an OMS bundle from a manifest.

use modelseal_hash::Manifest;

use crate::bundle::{Bundle, DsseEnvelope, DsseSignature, PAYLOAD_TYPE, VerificationMaterial, pae};
use crate::error::SignError;
use crate::keys::{PublicKey, SigningKey};
use crate::statement::{RESERVED_RESOURCE_FIELDS, ResourceExtensions, statement_json_with};

/// Signs `manifest` and returns the bundle JSON.
///
/// Without `certificates` the bundle uses the key method
/// (`publicKey.hint` = the key id). With `certificates` (DER, leaf first)
/// it uses the certificate method; the leaf's public key must be the
/// signing key's. The output is deterministic for Ed25519 (and for ECDSA,
/// whose nonces are derived per RFC 6979).
pub fn sign_manifest(
    manifest: &Manifest,
    subject_name: &str,
    key: &SigningKey,
    certificates: Option<&[Vec<u8>]>,
) -> Result<Vec<u8>, SignError> {
    sign_manifest_with(
        manifest,
        subject_name,
        key,
        certificates,
        &ResourceExtensions::new(),
    )
}

/// [`sign_manifest`] with extra fields on resources (keyed by resource
/// name), such as per-tensor digests. They are signed with the rest.
pub fn sign_manifest_with(
    manifest: &Manifest,
    subject_name: &str,
    key: &SigningKey,
    certificates: Option<&[Vec<u8>]>,
    extensions: &ResourceExtensions,
) -> Result<Vec<u8>, SignError> {
    for (resource, fields) in extensions {
        if !manifest.resources.iter().any(|r| &r.name == resource) {
            return Err(SignError::UnknownExtensionResource {
                name: resource.clone(),
            });
        }
        if let Some(field) = fields
            .keys()
            .find(|k| RESERVED_RESOURCE_FIELDS.contains(&k.as_str()))
        {
            return Err(SignError::ReservedExtensionField {
                field: field.clone(),
            });
        }
    }
    if manifest.resources.is_empty() {
        return Err(SignError::EmptyManifest);
    }
    if Manifest::root_digest_of(manifest.resources.iter().map(|r| &r.digest))
        != manifest.root_digest
    {
        return Err(SignError::RootMismatch);
    }
    let payload = statement_json_with(manifest, subject_name, extensions)
        .map_err(|source| SignError::Json { source })?;
    sign_statement(&payload, key, certificates)
}

/// Signs any in-toto statement (the JSON `payload`) into a bundle, the way
/// [`sign_manifest`] signs an OMS manifest: one DSSE signature over the
/// pre-authentication encoding, the key method without `certificates`, the
/// certificate method with them (leaf first; its key must be `key`).
///
/// The payload is signed as given; the caller builds and checks it.
pub fn sign_statement(
    payload: &[u8],
    key: &SigningKey,
    certificates: Option<&[Vec<u8>]>,
) -> Result<Vec<u8>, SignError> {
    let public = key.public_key();
    let material = match certificates {
        None => VerificationMaterial::PublicKey {
            hint: Some(public.key_id()),
            raw_bytes: None,
        },
        Some(chain) => {
            let leaf = chain.first().ok_or(SignError::EmptyCertificateChain)?;
            let (_, spki) = crate::x509::certificate_info(leaf).map_err(|e| {
                SignError::MalformedCertificate {
                    source: Box::new(e),
                }
            })?;
            let certificate_key = match PublicKey::from_spki_der(&spki) {
                Ok(k) if k == public => None,
                Ok(k) => Some(format!("{} key {}", k.algorithm(), k.key_id())),
                Err(e) => Some(e.to_string()),
            };
            if let Some(certificate_key) = certificate_key {
                return Err(SignError::CertificateKeyMismatch {
                    certificate_key,
                    signing_key: format!("{} key {}", public.algorithm(), public.key_id()),
                });
            }
            VerificationMaterial::CertificateChain(chain.to_vec())
        }
    };
    let sig = key.sign(&pae(PAYLOAD_TYPE, payload));
    let bundle = Bundle {
        material,
        tlog_entries: Some(Vec::new()),
        envelope: DsseEnvelope {
            payload: payload.to_vec(),
            payload_type: PAYLOAD_TYPE.to_owned(),
            signatures: vec![DsseSignature { sig, keyid: None }],
        },
    };
    Ok(bundle.to_json())
}
