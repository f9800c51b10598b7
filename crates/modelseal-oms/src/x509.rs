//! X.509 chains for the OMS certificate method: path validation to given
//! roots (rustls-webpki), code-signing usage, and a readable summary of the
//! signing certificate (x509-cert).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pkcs8::der::{Decode, Encode};
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    UnixTime, alg_id,
};
use sha2::Digest as _;

use crate::error::{KeyError, TrustError};
use crate::keys::PublicKey;

/// id-kp-codeSigning, 1.3.6.1.5.5.7.3.3, DER content octets.
const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const OID_CODE_SIGNING: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

/// A readable summary of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject distinguished name, RFC 4514 style (`CN=signer,O=Example`).
    pub subject: String,
    /// The issuer distinguished name, RFC 4514 style.
    pub issuer: String,
    /// The serial number, lowercase hex.
    pub serial: String,
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
}

/// ECDSA P-521 certificate signatures, checked with the RustCrypto `p521`
/// crate (ring, webpki's backend, has no P-521).
#[derive(Debug)]
struct EcdsaP521 {
    hash: ShaHash,
}

#[derive(Debug, Clone, Copy)]
enum ShaHash {
    Sha256,
    Sha384,
    Sha512,
}

impl SignatureVerificationAlgorithm for EcdsaP521 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let prehash = match self.hash {
            ShaHash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            ShaHash::Sha384 => sha2::Sha384::digest(message).to_vec(),
            ShaHash::Sha512 => sha2::Sha512::digest(message).to_vec(),
        };
        if PublicKey::p521_verify_prehash(public_key, &prehash, signature) {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P521
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.hash {
            ShaHash::Sha256 => alg_id::ECDSA_SHA256,
            ShaHash::Sha384 => alg_id::ECDSA_SHA384,
            ShaHash::Sha512 => alg_id::ECDSA_SHA512,
        }
    }
}

static ECDSA_P521_SHA256: EcdsaP521 = EcdsaP521 {
    hash: ShaHash::Sha256,
};
static ECDSA_P521_SHA384: EcdsaP521 = EcdsaP521 {
    hash: ShaHash::Sha384,
};
static ECDSA_P521_SHA512: EcdsaP521 = EcdsaP521 {
    hash: ShaHash::Sha512,
};

/// Certificate signature algorithms accepted in chains.
static SUPPORTED_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    &ECDSA_P521_SHA256,
    &ECDSA_P521_SHA384,
    &ECDSA_P521_SHA512,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// Reads every `CERTIFICATE` block of PEM text (other blocks and text
/// between them are skipped) as DER.
pub fn certificates_from_pem(text: &str) -> Result<Vec<Vec<u8>>, pkcs8::der::pem::Error> {
    let mut out = Vec::new();
    let mut rest = text;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    while let Some(start) = rest.find(BEGIN) {
        let block = &rest[start..];
        let end = block
            .find(END)
            .ok_or(pkcs8::der::pem::Error::PostEncapsulationBoundary)?;
        let (_, der) = pkcs8::der::pem::decode_vec(&block.as_bytes()[..end + END.len()])?;
        out.push(der);
        rest = &block[end + END.len()..];
    }
    Ok(out)
}

/// Reads the summary and public key of a DER certificate.
pub fn certificate_info(der: &[u8]) -> Result<(CertificateInfo, Vec<u8>), pkcs8::der::Error> {
    let cert = x509_cert::Certificate::from_der(der)?;
    let tbs = &cert.tbs_certificate;
    let info = CertificateInfo {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: hex::encode(tbs.serial_number.as_bytes()),
        not_before: tbs.validity.not_before.to_system_time(),
        not_after: tbs.validity.not_after.to_system_time(),
    };
    let spki = tbs.subject_public_key_info.to_der()?;
    Ok((info, spki))
}

/// Validates `chain` (leaf first, then intermediates) to one of `roots` at
/// `time` (default now) for code signing, and returns the leaf's key and
/// summary.
pub fn verify_chain(
    chain: &[Vec<u8>],
    roots: &[Vec<u8>],
    time: Option<SystemTime>,
) -> Result<(PublicKey, CertificateInfo), TrustError> {
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(TrustError::MalformedCertificate {
            whose: "chain",
            index: 0,
            source: "the chain is empty".into(),
        });
    };
    if roots.is_empty() {
        return Err(TrustError::NoRoots);
    }
    let root_ders: Vec<CertificateDer<'_>> = roots
        .iter()
        .map(|r| CertificateDer::from(r.as_slice()))
        .collect();
    let anchors = root_ders
        .iter()
        .enumerate()
        .map(|(index, der)| {
            webpki::anchor_from_trusted_cert(der).map_err(|e| TrustError::MalformedCertificate {
                whose: "roots",
                index,
                source: Box::new(e),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let end_entity = webpki::EndEntityCert::try_from(&leaf_der).map_err(|e| {
        TrustError::MalformedCertificate {
            whose: "chain",
            index: 0,
            source: Box::new(e),
        }
    })?;
    let intermediate_ders: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let time = time.unwrap_or_else(SystemTime::now);
    let unix =
        UnixTime::since_unix_epoch(time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO));
    end_entity
        .verify_for_usage(
            SUPPORTED_ALGORITHMS,
            &anchors,
            &intermediate_ders,
            unix,
            // Any certificate with an EKU extension must allow code signing
            // (webpki applies this to CAs too); the leaf must have one, which
            // is checked below.
            webpki::KeyUsage::required_if_present(EKU_CODE_SIGNING),
            None,
            None,
        )
        .map_err(|e| map_webpki(e, time))?;

    let malformed = |e: pkcs8::der::Error| TrustError::MalformedCertificate {
        whose: "chain",
        index: 0,
        source: Box::new(e),
    };
    if !leaf_allows_code_signing(leaf).map_err(malformed)? {
        return Err(TrustError::NotCodeSigning);
    }
    if !leaf_allows_digital_signature(leaf).map_err(malformed)? {
        return Err(TrustError::NoDigitalSignatureUsage);
    }
    let (info, spki) = certificate_info(leaf).map_err(malformed)?;
    let key = PublicKey::from_spki_der_named("signing certificate", &spki)
        .map_err(|source: KeyError| TrustError::LeafKey { source })?;
    Ok((key, info))
}

/// Whether the certificate has an extended key usage extension listing
/// id-kp-codeSigning.
fn leaf_allows_code_signing(der: &[u8]) -> Result<bool, pkcs8::der::Error> {
    let cert = x509_cert::Certificate::from_der(der)?;
    let eku = cert
        .tbs_certificate
        .get::<x509_cert::ext::pkix::ExtendedKeyUsage>()?;
    Ok(eku.is_some_and(|(_, usages)| usages.0.contains(&OID_CODE_SIGNING)))
}

/// Whether the certificate's key usage, if it has that extension, includes
/// `digitalSignature` (RFC 5280 4.2.1.3); no extension means any usage.
fn leaf_allows_digital_signature(der: &[u8]) -> Result<bool, pkcs8::der::Error> {
    let cert = x509_cert::Certificate::from_der(der)?;
    let usage = cert
        .tbs_certificate
        .get::<x509_cert::ext::pkix::KeyUsage>()?;
    Ok(usage.is_none_or(|(_, usage)| usage.digital_signature()))
}

fn map_webpki(e: webpki::Error, time: SystemTime) -> TrustError {
    use webpki::Error as E;
    match e {
        // A bad issuer signature means a look-alike issuer (same name, other
        // key): the chain does not lead to a trusted root either.
        E::UnknownIssuer | E::InvalidSignatureForPublicKey => TrustError::UntrustedChain,
        E::CertExpired { .. } => TrustError::Expired { time },
        E::CertNotValidYet { .. } => TrustError::NotYetValid { time },
        #[allow(deprecated)]
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            TrustError::NotCodeSigning
        }
        E::CaUsedAsEndEntity => {
            TrustError::CaConstraints("a CA certificate is used as the signing certificate")
        }
        E::EndEntityUsedAsCa => {
            TrustError::CaConstraints("a non-CA certificate is used as an issuer")
        }
        E::PathLenConstraintViolated => {
            TrustError::CaConstraints("a CA path length constraint is exceeded")
        }
        other => TrustError::InvalidChain { source: other },
    }
}
