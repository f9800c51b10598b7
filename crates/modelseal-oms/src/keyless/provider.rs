//! The cryptography sigstore-verify calls, from the RustCrypto crates the
//! rest of modelseal uses (sigstore-crypto's only built-in provider is
//! aws-lc-rs, a C build). This is an adapter, not cryptography: every
//! operation is one call into `sha2`, `p256`, `p384` or `ed25519-dalek`.
//!
//! The public-good instance needs ECDSA P-256 and P-384 (with SHA-256 or
//! SHA-384) and Ed25519 (Rekor v2 checkpoints); RSA and ML-DSA are refused
//! as unsupported.

use sha2::Digest as _;
use sigstore_verify::crypto::{CryptoProvider, Error, HashContext, Result, SigningScheme};
use sigstore_verify::types::HashAlgorithm;

#[derive(Debug)]
pub(crate) struct RustCrypto;

static PROVIDER: RustCrypto = RustCrypto;

/// Installs the provider for the process, once (a later call, or another
/// provider installed first, changes nothing).
pub(crate) fn ensure_installed() {
    let _ = sigstore_verify::crypto::install_default_provider(&PROVIDER);
}

struct Context<D>(D);

impl<D: sha2::Digest + Send> HashContext for Context<D> {
    fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::UnsupportedAlgorithm(format!(
        "{what} (modelseal verifies ECDSA P-256/P-384 and Ed25519)"
    ))
}

fn invalid(scheme: SigningScheme) -> Error {
    Error::Verification(format!("{} signature invalid", scheme.name()))
}

fn digest(algorithm: Option<HashAlgorithm>, data: &[u8]) -> Result<Vec<u8>> {
    Ok(match algorithm {
        Some(HashAlgorithm::Sha2256) => sha2::Sha256::digest(data).to_vec(),
        Some(HashAlgorithm::Sha2384) => sha2::Sha384::digest(data).to_vec(),
        Some(HashAlgorithm::Sha2512) => sha2::Sha512::digest(data).to_vec(),
        _ => return Err(unsupported("this hash")),
    })
}

impl CryptoProvider for RustCrypto {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        match algorithm {
            HashAlgorithm::Sha2256 => Ok(Box::new(Context(sha2::Sha256::new()))),
            HashAlgorithm::Sha2384 => Ok(Box::new(Context(sha2::Sha384::new()))),
            HashAlgorithm::Sha2512 => Ok(Box::new(Context(sha2::Sha512::new()))),
            other => Err(unsupported(format!("{other:?}"))),
        }
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        match scheme {
            SigningScheme::Ed25519 => {
                let key: [u8; 32] = spki_pubkey_bytes.try_into().map_err(|_| invalid(scheme))?;
                let key =
                    ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| invalid(scheme))?;
                let signature =
                    ed25519_dalek::Signature::from_slice(signature).map_err(|_| invalid(scheme))?;
                key.verify_strict(data, &signature)
                    .map_err(|_| invalid(scheme))
            }
            _ => self.verify_prehashed(
                scheme,
                spki_pubkey_bytes,
                &digest(scheme.hash_algorithm(), data)?,
                signature,
            ),
        }
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        use ecdsa::signature::hazmat::PrehashVerifier as _;
        match scheme {
            SigningScheme::EcdsaP256Sha256 | SigningScheme::EcdsaP256Sha384 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(spki_pubkey_bytes)
                    .map_err(|_| invalid(scheme))?;
                let signature =
                    p256::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
                key.verify_prehash(digest, &signature)
                    .map_err(|_| invalid(scheme))
            }
            SigningScheme::EcdsaP384Sha256 | SigningScheme::EcdsaP384Sha384 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(spki_pubkey_bytes)
                    .map_err(|_| invalid(scheme))?;
                let signature =
                    p384::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
                key.verify_prehash(digest, &signature)
                    .map_err(|_| invalid(scheme))
            }
            other => Err(unsupported(other.name())),
        }
    }
}
