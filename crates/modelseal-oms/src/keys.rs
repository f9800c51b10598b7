//! Signing and verification keys: Ed25519 and ECDSA over P-256, P-384 and
//! P-521, read from and written to PEM.
//!
//! Accepted PEM blocks (each may follow explanatory text, RFC 7468 §5.2):
//! `PRIVATE KEY` (PKCS#8), `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2),
//! `EC PRIVATE KEY` (SEC1) and `PUBLIC KEY` (SubjectPublicKeyInfo).

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use pkcs8::der::Decode;
use pkcs8::der::pem::LineEnding;
use pkcs8::{ObjectIdentifier, SecretDocument};
use rand_core::{OsRng, RngCore};
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::error::{KeyError, SignatureError};

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// scrypt cost for keys we encrypt: N = 2^14, r = 8, p = 1, 16 MiB of
/// memory. OpenSSL's default scrypt memory limit is 32 MiB, which N = 2^15
/// (32 MiB plus a little) exceeds: OpenSSL 3.0 then fails with "memory limit
/// exceeded". N = 2^14 is what OpenSSL and Python `cryptography` both read.
/// Keys encrypted with stronger parameters still load.
const SCRYPT_LOG_N: u8 = 14;

/// A signature algorithm modelseal signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032), pure, over the DSSE pre-authentication encoding.
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256, DER signatures.
    P256,
    /// ECDSA over NIST P-384 with SHA-384, DER signatures.
    P384,
    /// ECDSA over NIST P-521 with SHA-512, DER signatures.
    P521,
}

impl KeyAlgorithm {
    /// Every supported algorithm.
    pub const ALL: [KeyAlgorithm; 4] = [Self::Ed25519, Self::P256, Self::P384, Self::P521];

    /// The name: `ed25519`, `p256`, `p384` or `p521`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::P256 => "p256",
            Self::P384 => "p384",
            Self::P521 => "p521",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| KeyError::UnsupportedAlgorithm {
                name: "argument".to_owned(),
                algorithm: s.to_owned(),
            })
    }
}

enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// A private key. The secret is wiped from memory when dropped, and `Debug`
/// shows only the algorithm and the key id.
pub struct SigningKey {
    secret: Secret,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.public_key().key_id())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key from the operating system's random source.
    pub fn generate(algorithm: KeyAlgorithm) -> Self {
        let secret = match algorithm {
            KeyAlgorithm::Ed25519 => {
                Secret::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng))
            }
            KeyAlgorithm::P256 => Secret::P256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            KeyAlgorithm::P384 => Secret::P384(p384::ecdsa::SigningKey::random(&mut OsRng)),
            KeyAlgorithm::P521 => Secret::P521(p521::ecdsa::SigningKey::random(&mut OsRng)),
        };
        Self { secret }
    }

    /// Reads a private key from PEM text; see [`SigningKey::from_pem_named`].
    pub fn from_pem(text: &str, password: Option<&[u8]>) -> Result<Self, KeyError> {
        Self::from_pem_named("input", text, password)
    }

    /// Reads a private key from PEM text (`PRIVATE KEY`, `ENCRYPTED PRIVATE
    /// KEY` or `EC PRIVATE KEY`), decrypting it with `password` if it is
    /// encrypted. `name` (a file name, say) is used in error messages.
    pub fn from_pem_named(
        name: &str,
        text: &str,
        password: Option<&[u8]>,
    ) -> Result<Self, KeyError> {
        let (label, der) = decode_pem(name, text)?;
        match label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(name, &der),
            "ENCRYPTED PRIVATE KEY" => {
                let Some(password) = password else {
                    return Err(KeyError::Encrypted {
                        name: name.to_owned(),
                    });
                };
                let info = pkcs8::EncryptedPrivateKeyInfo::from_der(&der).map_err(|e| {
                    KeyError::Malformed {
                        name: name.to_owned(),
                        what: "encrypted PKCS#8 key",
                        source: Box::new(e),
                    }
                })?;
                let doc: SecretDocument =
                    info.decrypt(password)
                        .map_err(|e| KeyError::WrongPassword {
                            name: name.to_owned(),
                            source: Box::new(e),
                        })?;
                // A wrong password occasionally yields valid padding; the
                // plaintext then fails to parse, which means the same thing.
                match Self::from_pkcs8_der(name, doc.as_bytes()) {
                    Err(KeyError::Malformed { source, .. }) => Err(KeyError::WrongPassword {
                        name: name.to_owned(),
                        source,
                    }),
                    other => other,
                }
            }
            "EC PRIVATE KEY" => Self::from_sec1_der(name, &der),
            "PUBLIC KEY" => Err(KeyError::PublicNotPrivate {
                name: name.to_owned(),
            }),
            "RSA PRIVATE KEY" => Err(KeyError::UnsupportedAlgorithm {
                name: name.to_owned(),
                algorithm: "RSA".to_owned(),
            }),
            _ => Err(KeyError::UnexpectedLabel {
                name: name.to_owned(),
                label,
            }),
        }
    }

    fn from_pkcs8_der(name: &str, der: &[u8]) -> Result<Self, KeyError> {
        let malformed = |e: Box<dyn std::error::Error + Send + Sync>| KeyError::Malformed {
            name: name.to_owned(),
            what: "PKCS#8 private key",
            source: e,
        };
        let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|e| malformed(Box::new(e)))?;
        let algorithm = classify(
            name,
            info.algorithm.oid,
            info.algorithm.parameters_oid().ok(),
        )?;
        let secret = match algorithm {
            KeyAlgorithm::Ed25519 => Secret::Ed25519(
                ed25519_dalek::SigningKey::from_pkcs8_der(der)
                    .map_err(|e| malformed(Box::new(e)))?,
            ),
            KeyAlgorithm::P256 => Secret::P256(
                p256::SecretKey::from_pkcs8_der(der)
                    .map_err(|e| malformed(Box::new(e)))?
                    .into(),
            ),
            KeyAlgorithm::P384 => Secret::P384(
                p384::SecretKey::from_pkcs8_der(der)
                    .map_err(|e| malformed(Box::new(e)))?
                    .into(),
            ),
            KeyAlgorithm::P521 => {
                let secret =
                    p521::SecretKey::from_pkcs8_der(der).map_err(|e| malformed(Box::new(e)))?;
                Secret::P521(p521_signing_key(name, &secret)?)
            }
        };
        Ok(Self { secret })
    }

    fn from_sec1_der(name: &str, der: &[u8]) -> Result<Self, KeyError> {
        let malformed = |e: Box<dyn std::error::Error + Send + Sync>| KeyError::Malformed {
            name: name.to_owned(),
            what: "SEC1 EC private key",
            source: e,
        };
        let key = sec1::EcPrivateKey::from_der(der).map_err(|e| malformed(Box::new(e)))?;
        let curve = key
            .parameters
            .and_then(|p| p.named_curve())
            .ok_or_else(|| KeyError::UnsupportedAlgorithm {
                name: name.to_owned(),
                algorithm: "EC key without a named curve".to_owned(),
            })?;
        let secret = match classify(name, OID_EC_PUBLIC_KEY, Some(curve))? {
            KeyAlgorithm::P256 => Secret::P256(
                p256::SecretKey::from_sec1_der(der)
                    .map_err(|e| malformed(Box::new(e)))?
                    .into(),
            ),
            KeyAlgorithm::P384 => Secret::P384(
                p384::SecretKey::from_sec1_der(der)
                    .map_err(|e| malformed(Box::new(e)))?
                    .into(),
            ),
            KeyAlgorithm::P521 => {
                let secret =
                    p521::SecretKey::from_sec1_der(der).map_err(|e| malformed(Box::new(e)))?;
                Secret::P521(p521_signing_key(name, &secret)?)
            }
            KeyAlgorithm::Ed25519 => unreachable_ed25519(name)?,
        };
        Ok(Self { secret })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.secret {
            Secret::Ed25519(_) => KeyAlgorithm::Ed25519,
            Secret::P256(_) => KeyAlgorithm::P256,
            Secret::P384(_) => KeyAlgorithm::P384,
            Secret::P521(_) => KeyAlgorithm::P521,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let inner = match &self.secret {
            Secret::Ed25519(k) => Public::Ed25519(k.verifying_key()),
            Secret::P256(k) => Public::P256(*k.verifying_key()),
            Secret::P384(k) => Public::P384(*k.verifying_key()),
            Secret::P521(k) => Public::P521(p521::ecdsa::VerifyingKey::from(k)),
        };
        PublicKey::from_inner(inner)
    }

    /// Writes the key as PKCS#8 PEM: `PRIVATE KEY`, or with a password
    /// `ENCRYPTED PRIVATE KEY` (PBES2: scrypt N=2^14 r=8 p=1, AES-256-CBC).
    /// Ed25519 keys are written in the RFC 8410 form (PKCS#8 v1, no public
    /// key), the one OpenSSL and Python `cryptography` read.
    pub fn to_pkcs8_pem(&self, password: Option<&[u8]>) -> Result<Zeroizing<String>, KeyError> {
        let encode = |e: Box<dyn std::error::Error + Send + Sync>| KeyError::Encode { source: e };
        let doc = match &self.secret {
            // Not `k.to_pkcs8_der()`: that writes the RFC 5958 v2 form with
            // the public key embedded, which OpenSSL 3.0 ("unsupported") and
            // `cryptography` ("extra data") refuse. Both forms are read.
            Secret::Ed25519(k) => ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: k.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_der()
            .map_err(|e| encode(Box::new(e)))?,
            Secret::P256(k) => p256::SecretKey::from(k.as_nonzero_scalar())
                .to_pkcs8_der()
                .map_err(|e| encode(Box::new(e)))?,
            Secret::P384(k) => p384::SecretKey::from(k.as_nonzero_scalar())
                .to_pkcs8_der()
                .map_err(|e| encode(Box::new(e)))?,
            Secret::P521(k) => p521::SecretKey::from(k.as_nonzero_scalar())
                .to_pkcs8_der()
                .map_err(|e| encode(Box::new(e)))?,
        };
        match password {
            None => doc
                .to_pem("PRIVATE KEY", LineEnding::LF)
                .map_err(|e| encode(Box::new(e))),
            Some(password) => encrypt_pkcs8(&doc, password, SCRYPT_LOG_N),
        }
    }

    /// Signs `message`. Ed25519 gives the 64-byte signature; ECDSA a DER
    /// signature over SHA-256 (P-256), SHA-384 (P-384) or SHA-512 (P-521),
    /// as the OMS reference tool does.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use ecdsa::signature::Signer;
        match &self.secret {
            Secret::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            Secret::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Secret::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Secret::P521(k) => {
                let sig: p521::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

/// Encrypts a PKCS#8 document as `ENCRYPTED PRIVATE KEY` PEM: PBES2 with
/// scrypt (N = 2^`log_n`, r = 8, p = 1) and AES-256-CBC.
fn encrypt_pkcs8(
    doc: &SecretDocument,
    password: &[u8],
    log_n: u8,
) -> Result<Zeroizing<String>, KeyError> {
    let encode = |e: Box<dyn std::error::Error + Send + Sync>| KeyError::Encode { source: e };
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut iv);
    let scrypt = pkcs8::pkcs5::scrypt::Params::new(log_n, 8, 1, 32)
        .map_err(|e| encode(format!("scrypt parameters: {e}").into()))?;
    let params = pkcs8::pkcs5::pbes2::Parameters::scrypt_aes256cbc(scrypt, &salt, &iv)
        .map_err(|e| encode(e.to_string().into()))?;
    let info = pkcs8::PrivateKeyInfo::from_der(doc.as_bytes()).map_err(|e| encode(Box::new(e)))?;
    let encrypted = info
        .encrypt_with_params(params, password)
        .map_err(|e| encode(Box::new(e)))?;
    encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| encode(Box::new(e)))
}

fn p521_signing_key(
    name: &str,
    secret: &p521::SecretKey,
) -> Result<p521::ecdsa::SigningKey, KeyError> {
    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes()).map_err(|e| KeyError::Malformed {
        name: name.to_owned(),
        what: "P-521 private key",
        source: Box::new(e),
    })
}

fn unreachable_ed25519(name: &str) -> Result<Secret, KeyError> {
    Err(KeyError::UnsupportedAlgorithm {
        name: name.to_owned(),
        algorithm: "Ed25519 in a SEC1 container".to_owned(),
    })
}

/// Maps a key's algorithm identifier to a supported algorithm, or names the
/// unsupported one.
fn classify(
    name: &str,
    oid: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
) -> Result<KeyAlgorithm, KeyError> {
    let unsupported = |algorithm: String| KeyError::UnsupportedAlgorithm {
        name: name.to_owned(),
        algorithm,
    };
    if oid == OID_ED25519 {
        return Ok(KeyAlgorithm::Ed25519);
    }
    if oid == OID_EC_PUBLIC_KEY {
        return match curve {
            Some(c) if c == OID_P256 => Ok(KeyAlgorithm::P256),
            Some(c) if c == OID_P384 => Ok(KeyAlgorithm::P384),
            Some(c) if c == OID_P521 => Ok(KeyAlgorithm::P521),
            Some(c) => Err(unsupported(format!("EC curve {}", curve_name(c)))),
            None => Err(unsupported("EC key without a named curve".to_owned())),
        };
    }
    Err(unsupported(algorithm_name(oid)))
}

fn curve_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1".to_owned(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".to_owned(),
        "1.2.840.10045.3.1.1" => "P-192".to_owned(),
        "1.3.132.0.33" => "P-224".to_owned(),
        other => other.to_owned(),
    }
}

fn algorithm_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "RSA".to_owned(),
        "1.2.840.113549.1.1.10" => "RSA-PSS".to_owned(),
        "1.3.101.113" => "Ed448".to_owned(),
        "1.3.101.110" => "X25519".to_owned(),
        "1.3.101.111" => "X448".to_owned(),
        "1.2.840.10040.4.1" => "DSA".to_owned(),
        other => other.to_owned(),
    }
}

/// Finds the first PEM block in `text`, skipping explanatory text before it
/// and any `EC PARAMETERS` block (`openssl ecparam -genkey` writes one), and
/// decodes it. The DER is wiped on drop, as it may be a secret.
fn decode_pem(name: &str, text: &str) -> Result<(String, Zeroizing<Vec<u8>>), KeyError> {
    let unterminated = || KeyError::Pem {
        name: name.to_owned(),
        source: pkcs8::der::pem::Error::PostEncapsulationBoundary
            .to_string()
            .into(),
    };
    for block in crate::pem::blocks(text) {
        let block = block.map_err(|_| unterminated())?;
        if block.label == "EC PARAMETERS" {
            continue;
        }
        let der = Zeroizing::new(block.decode().map_err(|e| KeyError::Pem {
            name: name.to_owned(),
            source: e.to_string().into(),
        })?);
        return Ok((block.label.to_owned(), der));
    }
    Err(KeyError::NotPem {
        name: name.to_owned(),
    })
}

#[derive(Clone)]
enum Public {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

/// A public key, with its canonical SubjectPublicKeyInfo encoding.
#[derive(Clone)]
pub struct PublicKey {
    inner: Public,
    spki_der: Vec<u8>,
    pem: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id())
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    fn from_inner(inner: Public) -> Self {
        let spki_der = match &inner {
            Public::Ed25519(k) => k.to_public_key_der(),
            Public::P256(k) => k.to_public_key_der(),
            Public::P384(k) => k.to_public_key_der(),
            Public::P521(k) => p521::PublicKey::from_affine(*k.as_affine())
                .map_err(|_| spki::Error::KeyMalformed)
                .and_then(|p| p.to_public_key_der()),
        }
        .map(|doc| doc.as_bytes().to_vec())
        .unwrap_or_default();
        let pem = pkcs8::der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &spki_der)
            .unwrap_or_default();
        Self {
            inner,
            spki_der,
            pem,
        }
    }

    /// Reads a `PUBLIC KEY` (SubjectPublicKeyInfo) PEM block; see
    /// [`PublicKey::from_pem_named`].
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        Self::from_pem_named("input", text)
    }

    /// Reads a `PUBLIC KEY` (SubjectPublicKeyInfo) PEM block, which may
    /// follow explanatory text. `name` is used in error messages.
    pub fn from_pem_named(name: &str, text: &str) -> Result<Self, KeyError> {
        let (label, der) = decode_pem(name, text)?;
        match label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der_named(name, &der),
            "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" => {
                Err(KeyError::PrivateNotPublic {
                    name: name.to_owned(),
                })
            }
            _ => Err(KeyError::UnexpectedLabel {
                name: name.to_owned(),
                label,
            }),
        }
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_spki_der_named("input", der)
    }

    pub(crate) fn from_spki_der_named(name: &str, der: &[u8]) -> Result<Self, KeyError> {
        let malformed = |e: spki::Error| KeyError::Malformed {
            name: name.to_owned(),
            what: "public key",
            source: Box::new(e),
        };
        let info =
            spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|e| KeyError::Malformed {
                name: name.to_owned(),
                what: "public key",
                source: Box::new(e),
            })?;
        let inner = match classify(
            name,
            info.algorithm.oid,
            info.algorithm.parameters_oid().ok(),
        )? {
            KeyAlgorithm::Ed25519 => Public::Ed25519(
                ed25519_dalek::VerifyingKey::from_public_key_der(der).map_err(malformed)?,
            ),
            KeyAlgorithm::P256 => Public::P256(
                p256::ecdsa::VerifyingKey::from_public_key_der(der).map_err(malformed)?,
            ),
            KeyAlgorithm::P384 => Public::P384(
                p384::ecdsa::VerifyingKey::from_public_key_der(der).map_err(malformed)?,
            ),
            KeyAlgorithm::P521 => {
                let key = p521::PublicKey::from_public_key_der(der).map_err(malformed)?;
                Public::P521(
                    p521::ecdsa::VerifyingKey::from_affine(*key.as_affine())
                        .map_err(|_| malformed(spki::Error::KeyMalformed))?,
                )
            }
        };
        Ok(Self::from_inner(inner))
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.inner {
            Public::Ed25519(_) => KeyAlgorithm::Ed25519,
            Public::P256(_) => KeyAlgorithm::P256,
            Public::P384(_) => KeyAlgorithm::P384,
            Public::P521(_) => KeyAlgorithm::P521,
        }
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The SubjectPublicKeyInfo as PEM (`PUBLIC KEY`, 64-column base64, LF
    /// line ends, trailing newline), the same text OpenSSL writes.
    pub fn to_pem(&self) -> String {
        self.pem.clone()
    }

    /// The key id: lowercase hex SHA-256 of [`PublicKey::to_pem`]'s text.
    /// This is the OMS `publicKey.hint`.
    pub fn key_id(&self) -> String {
        hex::encode(sha2::Sha256::digest(self.pem.as_bytes()))
    }

    /// Checks `signature` over `message` (formats as [`SigningKey::sign`]
    /// writes them).
    ///
    /// ECDSA signatures must be DER, byte for byte: a BER form of the same
    /// `(r, s)` (a long-form or indefinite length, an integer padded with
    /// zeros, trailing bytes) is [`SignatureError::NotDer`]. High-S
    /// signatures (`s > n/2`) are accepted: OpenSSL and the reference tools
    /// do not normalise `s`, so about half their signatures are high-S.
    /// Either way the signature is malleable (`(r, n - s)` verifies too),
    /// which changes the bundle's bytes but never what it proves.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        use ecdsa::signature::Verifier;
        let bad = || SignatureError::Invalid {
            key_id: self.key_id(),
        };
        let malformed = || SignatureError::Malformed {
            algorithm: self.algorithm(),
            length: signature.len(),
        };
        match &self.inner {
            Public::Ed25519(k) => {
                let sig =
                    ed25519_dalek::Signature::from_slice(signature).map_err(|_| malformed())?;
                k.verify_strict(message, &sig).map_err(|_| bad())
            }
            Public::P256(k) => {
                let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| malformed())?;
                strict_der(signature, sig.to_der().as_bytes(), self.algorithm())?;
                k.verify(message, &sig).map_err(|_| bad())
            }
            Public::P384(k) => {
                let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| malformed())?;
                strict_der(signature, sig.to_der().as_bytes(), self.algorithm())?;
                k.verify(message, &sig).map_err(|_| bad())
            }
            Public::P521(k) => {
                let sig = p521::ecdsa::Signature::from_der(signature).map_err(|_| malformed())?;
                strict_der(signature, sig.to_der().as_bytes(), self.algorithm())?;
                k.verify(message, &sig).map_err(|_| bad())
            }
        }
    }

    /// Verifies an ECDSA P-521 signature made over `message` with the given
    /// digest, for X.509 signature checks.
    pub(crate) fn p521_verify_prehash(spki_bits: &[u8], prehash: &[u8], signature: &[u8]) -> bool {
        use ecdsa::signature::hazmat::PrehashVerifier;
        let Ok(key) = p521::ecdsa::VerifyingKey::from_sec1_bytes(spki_bits) else {
            return false;
        };
        let Ok(sig) = p521::ecdsa::Signature::from_der(signature) else {
            return false;
        };
        strict_der(signature, sig.to_der().as_bytes(), KeyAlgorithm::P521).is_ok()
            && key.verify_prehash(prehash, &sig).is_ok()
    }
}

/// An ECDSA signature is accepted only as the DER encoding of its `(r, s)`:
/// the bytes given must be the bytes a DER encoder writes. The `der` crate
/// already refuses BER forms; this keeps the rule ours, whichever parser.
fn strict_der(given: &[u8], der: &[u8], algorithm: KeyAlgorithm) -> Result<(), SignatureError> {
    if given == der {
        Ok(())
    } else {
        Err(SignatureError::NotDer {
            algorithm,
            length: given.len(),
        })
    }
}

#[cfg(test)]
mod tests;
