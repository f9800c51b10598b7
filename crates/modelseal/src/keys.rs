//! Key and certificate files.

use std::path::{Path, PathBuf};

use modelseal_oms::{KeyAlgorithm, PublicKey, SigningKey};

use crate::error::Error;
use crate::files::{read_text, write_atomic};

/// The key pair files [`generate_key_pair`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    /// The private key (PKCS#8 PEM, mode 0600).
    pub private_key: PathBuf,
    /// The public key (SubjectPublicKeyInfo PEM), `PRIVATE.pub`.
    pub public_key: PathBuf,
    /// The public key id (hex SHA-256 of the public key PEM; OMS
    /// `publicKey.hint`).
    pub key_id: String,
}

/// The public key path for a private key path: the same name plus `.pub`.
pub fn public_key_path(private_key: &Path) -> PathBuf {
    let mut name = private_key.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Generates a key pair and writes it to `out` and `out.pub`. Neither file
/// is overwritten unless `force`; with a password the private key is
/// encrypted (PKCS#8 PBES2 with scrypt).
///
/// # Errors
/// [`Error::Exists`] when either file exists and `force` is false; I/O
/// errors naming the file.
pub fn generate_key_pair(
    out: &Path,
    algorithm: KeyAlgorithm,
    password: Option<&[u8]>,
    force: bool,
) -> Result<KeyPairFiles, Error> {
    let public_path = public_key_path(out);
    if !force {
        for path in [out, public_path.as_path()] {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::Exists {
                    path: path.to_owned(),
                });
            }
        }
    }
    let key = SigningKey::generate(algorithm);
    let private_pem = key.to_pkcs8_pem(password).map_err(|source| Error::Key {
        path: out.to_owned(),
        source,
    })?;
    let public = key.public_key();
    write_atomic(out, private_pem.as_bytes(), 0o600, force)?;
    write_atomic(&public_path, public.to_pem().as_bytes(), 0o644, force)?;
    Ok(KeyPairFiles {
        private_key: out.to_owned(),
        public_key: public_path,
        key_id: public.key_id(),
    })
}

/// Loads a private key (PKCS#8, encrypted PKCS#8, SEC1; explanatory text
/// before the PEM block is allowed).
///
/// # Errors
/// I/O errors, and key errors naming the file (encrypted without a
/// password, wrong password, unsupported algorithm, …).
pub fn load_signing_key(path: &Path, password: Option<&[u8]>) -> Result<SigningKey, Error> {
    let text = read_text(path)?;
    SigningKey::from_pem_named(&path.display().to_string(), &text, password).map_err(|source| {
        Error::Key {
            path: path.to_owned(),
            source,
        }
    })
}

/// Loads a public key (SubjectPublicKeyInfo PEM).
///
/// # Errors
/// I/O errors, and key errors naming the file.
pub fn load_public_key(path: &Path) -> Result<PublicKey, Error> {
    let text = read_text(path)?;
    PublicKey::from_pem_named(&path.display().to_string(), &text).map_err(|source| Error::Key {
        path: path.to_owned(),
        source,
    })
}

/// Loads every certificate of a PEM file, in file order, as DER.
///
/// # Errors
/// I/O errors, a malformed PEM block, or a file without any certificate.
pub fn load_certificates(path: &Path) -> Result<Vec<Vec<u8>>, Error> {
    let text = read_text(path)?;
    let certificates =
        modelseal_oms::x509::certificates_from_pem(&text).map_err(|e| Error::Certificate {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    if certificates.is_empty() {
        return Err(Error::Certificate {
            path: path.to_owned(),
            message: "no `CERTIFICATE` PEM block found".to_owned(),
        });
    }
    Ok(certificates)
}
