//! X.509 chains for the OMS certificate method: path validation to given
//! roots (rustls-webpki), code-signing usage, and a readable summary of the
//! signing certificate (x509-cert).
//!
//! Three shapes of signing certificate are accepted, as OpenSSL and Go's
//! `crypto/x509` (the reference verifiers) accept them:
//! - an end-entity certificate whose chain leads to a given root;
//! - a certificate with `CA:TRUE` whose key usage allows digital signatures
//!   and not certificate signing, whose chain leads to a given root
//!   ([`verify_chain`] explains how webpki still validates that path);
//! - a certificate that is itself one of the given roots, byte for byte
//!   (pinning, as for a self-signed signing certificate).
//!
//! In every shape the signing certificate must be valid at the check time,
//! list id-kp-codeSigning in its extended key usage, allow
//! `digitalSignature` if it has a key usage, carry no critical extension
//! webpki does not know, and carry the key that made the signature; a
//! `CA:TRUE` one, pinned or not, must have a key usage without
//! `keyCertSign`. In a chain, every certificate that issues another must be
//! allowed to (`keyCertSign` if it has a key usage, RFC 5280 6.1.4(n)),
//! which webpki does not check ([`verify_chain`] explains).

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pkcs8::der::{Decode, Encode};
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    TrustAnchor, UnixTime, alg_id,
};
use sha2::Digest as _;
use x509_cert::Certificate;

use crate::error::{KeyError, TrustError};
use crate::keys::{KeyAlgorithm, PublicKey};

/// id-kp-codeSigning, 1.3.6.1.5.5.7.3.3, DER content octets.
const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const OID_CODE_SIGNING: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

/// id-alg-unsigned, 1.3.6.1.5.5.7.6.36 (RFC 9925): the signature algorithm
/// of an unsigned certificate, which its consumer is not expected to verify.
/// The stand-in end entity that lets webpki validate the path of a `CA:TRUE`
/// signing certificate (see [`verify_chain`]) is one; it never leaves the
/// process.
const OID_UNSIGNED: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.6.36");
/// [`OID_UNSIGNED`] as webpki compares algorithms: the content octets of the
/// AlgorithmIdentifier (the OID's tag, length and value; no parameters).
const ALG_UNSIGNED: &[u8] = &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x06, 0x24];

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

/// The one link of a stand-in path that is not a real signature: "the
/// signing certificate issued the stand-in end entity". It answers for the
/// [`OID_UNSIGNED`] algorithm only, which none of the algorithms above
/// does, so every real signature in the path is still checked by them; and
/// it accepts exactly one message, the stand-in's own TBS bytes, under
/// exactly one key, the signing certificate's. A certificate in a bundle
/// that claims to be unsigned is therefore refused like any other
/// unverifiable one.
#[derive(Debug)]
struct StandInLink<'a> {
    /// The signing certificate's public key algorithm, as webpki compares it.
    key_algorithm: AlgorithmIdentifier,
    /// The signing certificate's public key (the subjectPublicKey bits).
    issuer_key: &'a [u8],
    /// The stand-in's DER `tbsCertificate`.
    tbs: &'a [u8],
}

impl SignatureVerificationAlgorithm for StandInLink<'_> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        _signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        if public_key == self.issuer_key && message == self.tbs {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.key_algorithm
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(ALG_UNSIGNED)
    }
}

/// Reads every `CERTIFICATE` block of PEM text (other blocks and text
/// between them are skipped) as DER.
///
/// # Errors
/// A block that does not end, or a certificate block that does not decode.
pub fn certificates_from_pem(text: &str) -> Result<Vec<Vec<u8>>, pkcs8::der::pem::Error> {
    let mut out = Vec::new();
    for block in crate::pem::blocks(text) {
        let block = block?;
        if block.label == "CERTIFICATE" {
            out.push(block.decode()?);
        }
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
///
/// # The three shapes, and why each is sound
///
/// - **An end-entity leaf.** webpki builds and validates the path to a
///   root: every signature, validity at `time`, CA basic constraints, path
///   lengths, name constraints, and code signing in every EKU present.
/// - **A pinned leaf**, byte for byte one of `roots` (a self-signed signing
///   certificate given as its own trust anchor). The caller trusted this very
///   certificate, so there is no path to build; webpki has no way to say so
///   (a trust anchor is not an end entity to it). What a path check would add
///   for a lone certificate is checked here field by field: validity at
///   `time`, key usage, code signing, and no unknown critical extension
///   (webpki parses trust anchors ignoring those, so the certificate is
///   parsed again as webpki parses an end entity; OpenSSL and Go refuse such
///   a certificate too). A pinned `CA:TRUE` certificate is held to the key
///   usage rule of the `CA:TRUE` shape below: a pinned certificate is also a
///   root, and a root's key that may sign certificates should not sign
///   models. The envelope signature must still verify with its key. Its
///   self-signature would prove nothing that the byte comparison does not.
///   Any other certificates in the chain are unused.
/// - **A `CA:TRUE` leaf** whose key usage allows `digitalSignature` and not
///   `keyCertSign`. RFC 5280 6.1 lets a CA certificate be the target of a
///   path "as long as the subject public key is to be used for a purpose
///   other than verifying the signature on a public key certificate", and
///   OpenSSL and Go accept one; webpki refuses it (`CaUsedAsEndEntity`, with
///   no option). Requiring the key usage to exclude certificate signing keeps
///   a key that may act as a CA from also signing models. The path is still
///   validated by webpki, with the leaf re-presented as an intermediate: an
///   in-memory stand-in end entity names the leaf as its issuer and webpki
///   validates stand-in -> leaf -> ... -> root. The one link it does not
///   check by a real signature is stand-in -> leaf (`StandInLink`), which
///   vouches for that in-memory certificate and nothing else; the leaf and
///   every certificate above it get the checks of any path (the leaf's
///   signature by its issuer, its validity, its EKU). The validated path
///   must run through the leaf itself: a look-alike in the chain with the
///   leaf's name and key but other extensions cannot take its place. webpki
///   counts the leaf as an intermediate for path length constraints, so an
///   issuer with `pathLenConstraint: 0` is refused where RFC 5280 would
///   accept: stricter, never looser.
///
/// # Issuers must be allowed to issue
///
/// webpki ignores key usage on issuers ("for cert validation, we ignore the
/// KeyUsage extension") and keeps only a trust anchor's name, key and name
/// constraints. Alone, that lets a `CA:TRUE` signing certificate whose key
/// usage is `digitalSignature` only (the second shape) issue certificates
/// with any subject that chain to the same roots, and a pinned certificate
/// (`CA:TRUE` or not) issue certificates that chain to itself. So every
/// path webpki validates goes through `IssuerChecks`, in both webpki
/// shapes: each certificate in it that issues another (the leaf itself, in
/// the second shape, issues only the stand-in) must allow `keyCertSign` if
/// it has a key usage (RFC 5280 6.1.4(n)), and so must the root, whose
/// basic constraints, if any, must also say `CA:TRUE`. OpenSSL, the
/// reference tool's verifier, refuses all of these ("invalid CA
/// certificate", "key usage does not include certificate signing"). A
/// refused path makes webpki try the others; if none passes, the refusal is
/// the error, naming the certificate.
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
    let malformed = |e: pkcs8::der::Error| TrustError::MalformedCertificate {
        whose: "chain",
        index: 0,
        source: Box::new(e),
    };
    let leaf_cert = Certificate::from_der(leaf).map_err(malformed)?;
    let (info, spki) = certificate_info(leaf).map_err(malformed)?;
    let leaf_key = || {
        PublicKey::from_spki_der_named("signing certificate", &spki)
            .map_err(|source: KeyError| TrustError::LeafKey { source })
    };
    let time = time.unwrap_or_else(SystemTime::now);
    let unix =
        UnixTime::since_unix_epoch(time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO));
    let intermediate_ders: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    // As webpki parses any certificate of a path: an unknown critical
    // extension is refused here, whatever the shape (a pinned certificate
    // is otherwise parsed only as a trust anchor, which ignores them).
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let end_entity = webpki::EndEntityCert::try_from(&leaf_der).map_err(|e| {
        TrustError::MalformedCertificate {
            whose: "chain",
            index: 0,
            source: Box::new(e),
        }
    })?;
    let is_ca_leaf = is_ca(&leaf_cert).map_err(malformed)?;
    let check_ca_leaf_usage = || {
        check_ca_leaf_key_usage(&leaf_cert).map_err(|e| match e {
            CaLeafUsage::Malformed(e) => malformed(e),
            CaLeafUsage::Refused(e) => e,
        })
    };
    let issuers = IssuerChecks {
        chain,
        roots,
        anchors: &anchors,
        refusal: RefCell::new(None),
    };

    if roots.iter().any(|root| root == leaf) {
        check_validity(&leaf_cert, time)?;
        if is_ca_leaf {
            check_ca_leaf_usage()?;
        }
    } else if is_ca_leaf {
        check_ca_leaf_usage()?;
        // Checked before the path too: when the issuer shares the leaf's
        // name (as in the ecosystem's test PKIs), webpki also tries it as the
        // stand-in's issuer, and that failure would outrank the leaf's own.
        if !leaf_allows_code_signing(&leaf_cert).map_err(malformed)? {
            return Err(TrustError::NotCodeSigning);
        }
        verify_ca_leaf_path(
            leaf,
            &leaf_cert,
            leaf_key()?.algorithm(),
            &intermediate_ders,
            &anchors,
            unix,
            &issuers,
        )
        .map_err(|e| issuers.error(e, time))?;
    } else {
        let allowed_to_issue = |path: &webpki::VerifiedPath<'_>| {
            issuers.check(
                path.intermediate_certificates().map(|c| c.der()),
                path.anchor(),
            )
        };
        end_entity
            .verify_for_usage(
                SUPPORTED_ALGORITHMS,
                &anchors,
                &intermediate_ders,
                unix,
                // Any certificate with an EKU extension must allow code
                // signing (webpki applies this to CAs too); the leaf must
                // have one, which is checked below.
                webpki::KeyUsage::required_if_present(EKU_CODE_SIGNING),
                None,
                Some(&allowed_to_issue),
            )
            .map_err(|e| issuers.error(e, time))?;
    }

    if !leaf_allows_code_signing(&leaf_cert).map_err(malformed)? {
        return Err(TrustError::NotCodeSigning);
    }
    if !leaf_allows_digital_signature(&leaf_cert).map_err(malformed)? {
        return Err(TrustError::NoDigitalSignatureUsage);
    }
    Ok((leaf_key()?, info))
}

/// Validates the path of a `CA:TRUE` signing certificate with webpki, the
/// certificate re-presented as the intermediate above an in-memory stand-in
/// end entity (the reasoning is on [`verify_chain`]).
fn verify_ca_leaf_path(
    leaf: &[u8],
    leaf_cert: &Certificate,
    algorithm: KeyAlgorithm,
    intermediates: &[CertificateDer<'_>],
    anchors: &[TrustAnchor<'_>],
    time: UnixTime,
    issuers: &IssuerChecks<'_>,
) -> Result<(), webpki::Error> {
    use x509_cert::certificate::{TbsCertificate, Version};
    use x509_cert::der::asn1::BitString;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::AlgorithmIdentifierOwned;
    use x509_cert::time::{Time, Validity};

    let leaf_tbs = &leaf_cert.tbs_certificate;
    let encoding = |_| webpki::Error::BadDer;
    // Valid for the one second checked, so webpki's validity check of the
    // stand-in always passes and the leaf's own validity is what counts.
    let at = Time::try_from(UNIX_EPOCH + Duration::from_secs(time.as_secs()))
        .map_err(|_| webpki::Error::BadDerTime)?;
    let stand_in_algorithm = AlgorithmIdentifierOwned {
        oid: OID_UNSIGNED,
        parameters: None,
    };
    // No extensions: not a CA, no EKU (so nothing to require of it), no
    // names for name constraints to refuse. Its key is the leaf's, unused.
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[1]).map_err(encoding)?,
        signature: stand_in_algorithm.clone(),
        issuer: leaf_tbs.subject.clone(),
        validity: Validity {
            not_before: at,
            not_after: at,
        },
        subject: Default::default(),
        subject_public_key_info: leaf_tbs.subject_public_key_info.clone(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: None,
    };
    let tbs_der = tbs.to_der().map_err(encoding)?;
    let stand_in = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: stand_in_algorithm,
        signature: BitString::from_bytes(&[]).map_err(encoding)?,
    }
    .to_der()
    .map_err(encoding)?;
    let link = StandInLink {
        key_algorithm: match algorithm {
            KeyAlgorithm::Ed25519 => alg_id::ED25519,
            KeyAlgorithm::P256 => alg_id::ECDSA_P256,
            KeyAlgorithm::P384 => alg_id::ECDSA_P384,
            KeyAlgorithm::P521 => alg_id::ECDSA_P521,
        },
        issuer_key: leaf_tbs
            .subject_public_key_info
            .subject_public_key
            .raw_bytes(),
        tbs: &tbs_der,
    };
    let mut algorithms = SUPPORTED_ALGORITHMS.to_vec();
    algorithms.push(&link);
    // The leaf first, so path building tries it before a look-alike.
    let mut candidates = vec![CertificateDer::from(leaf)];
    candidates.extend(intermediates.iter().cloned());
    let stand_in_der = CertificateDer::from(stand_in.as_slice());
    let end_entity = webpki::EndEntityCert::try_from(&stand_in_der)?;
    let through_the_leaf = |path: &webpki::VerifiedPath<'_>| {
        let mut intermediates = path.intermediate_certificates();
        match intermediates.next() {
            // The leaf issues only the in-memory stand-in (its key usage
            // must exclude `keyCertSign`); the certificates above it and the
            // root issue real ones, and are checked.
            Some(issuer) if issuer.der().as_ref() == leaf => {
                issuers.check(intermediates.map(|c| c.der()), path.anchor())
            }
            // `None` is a root with the leaf's name and key that issued the
            // stand-in itself: the leaf's own signature, validity and
            // extensions would go unchecked.
            _ => Err(webpki::Error::UnknownIssuer),
        }
    };
    end_entity.verify_for_usage(
        &algorithms,
        anchors,
        &candidates,
        time,
        webpki::KeyUsage::required_if_present(EKU_CODE_SIGNING),
        None,
        Some(&through_the_leaf),
    )?;
    Ok(())
}

/// "certificate N of the chain issues …", by N: [`TrustError::CaConstraints`]
/// takes a static message. Index 0, the signing certificate, never issues a
/// certificate of its path. webpki caps a path at six intermediates, but
/// unused certificates may come before the ones a path takes, so an index
/// past the table gets the message without a number.
macro_rules! cannot_sign_certificates {
    ($($index:literal)*) => {
        [$(concat!(
            "certificate ", $index, " of the chain issues a certificate in the path, \
             but its key usage does not allow certificate signing (keyCertSign)"
        )),*]
    };
}
const CHAIN_CANNOT_SIGN_CERTIFICATES: [&str; 9] = cannot_sign_certificates!(0 1 2 3 4 5 6 7 8);
const CHAIN_CANNOT_SIGN_CERTIFICATES_UNNUMBERED: &str = "a certificate of the chain issues a \
    certificate in the path, but its key usage does not allow certificate signing (keyCertSign)";
const ROOT_CANNOT_SIGN_CERTIFICATES: &str = "the root the chain leads to issues a certificate \
    in the path, but its key usage does not allow certificate signing (keyCertSign)";
const ROOT_NOT_A_CA: &str = "the root the chain leads to issues a certificate in the path, \
    but its basic constraints say CA:FALSE";

/// The checks webpki leaves out of the certificates that issue others in a
/// path (reasoning on [`verify_chain`]), run from webpki's `verify_path`
/// callback on every candidate path it validates.
struct IssuerChecks<'a> {
    /// The bundle's chain, leaf first: to name a refused certificate.
    chain: &'a [Vec<u8>],
    /// The given roots, DER, in the order of `anchors`.
    roots: &'a [Vec<u8>],
    anchors: &'a [TrustAnchor<'a>],
    /// Why the first refused path was refused.
    refusal: RefCell<Option<TrustError>>,
}

impl IssuerChecks<'_> {
    /// Checks a validated path's issuers: `intermediates`, each of which
    /// issues the certificate below it, and `anchor`. A refusal is kept for
    /// [`Self::error`] and makes webpki try its other candidate paths.
    fn check<'p>(
        &self,
        mut intermediates: impl Iterator<Item = CertificateDer<'p>>,
        anchor: &TrustAnchor<'_>,
    ) -> Result<(), webpki::Error> {
        let checked = intermediates
            .try_for_each(|der| self.check_intermediate(&der))
            .and_then(|()| self.check_anchor(anchor));
        checked.map_err(|refusal| {
            self.refusal.borrow_mut().get_or_insert(refusal);
            // Which error does not matter: [`Self::error`] reports the
            // refusal instead.
            webpki::Error::UnknownIssuer
        })
    }

    fn check_intermediate(&self, der: &[u8]) -> Result<(), TrustError> {
        // Every certificate webpki puts in a path is one it was given, from
        // the chain (the leaf, in the stand-in shape, is never checked
        // here); one that is not would be refused, never passed unchecked.
        let Some(index) = self.chain.iter().position(|c| c.as_slice() == der) else {
            return Err(TrustError::CaConstraints(
                "the path holds a certificate that is not in the chain",
            ));
        };
        let malformed = |e: pkcs8::der::Error| TrustError::MalformedCertificate {
            whose: "chain",
            index,
            source: Box::new(e),
        };
        let cert = Certificate::from_der(der).map_err(malformed)?;
        if may_sign_certificates(&cert).map_err(malformed)? {
            Ok(())
        } else {
            Err(TrustError::CaConstraints(
                CHAIN_CANNOT_SIGN_CERTIFICATES
                    .get(index)
                    .copied()
                    .unwrap_or(CHAIN_CANNOT_SIGN_CERTIFICATES_UNNUMBERED),
            ))
        }
    }

    /// The root a path leads to: every given root that is this anchor (two
    /// roots may share name, key and name constraints) must allow issuing.
    fn check_anchor(&self, anchor: &TrustAnchor<'_>) -> Result<(), TrustError> {
        for (index, root) in self.roots.iter().enumerate() {
            if self.anchors.get(index) != Some(anchor) {
                continue;
            }
            let malformed = |e: pkcs8::der::Error| TrustError::MalformedCertificate {
                whose: "roots",
                index,
                source: Box::new(e),
            };
            let cert = Certificate::from_der(root).map_err(malformed)?;
            if !may_sign_certificates(&cert).map_err(malformed)? {
                return Err(TrustError::CaConstraints(ROOT_CANNOT_SIGN_CERTIFICATES));
            }
            let constraints = cert
                .tbs_certificate
                .get::<x509_cert::ext::pkix::BasicConstraints>()
                .map_err(malformed)?;
            // No basic constraints: a version 1 root, which may issue.
            if constraints.is_some_and(|(_, c)| !c.ca) {
                return Err(TrustError::CaConstraints(ROOT_NOT_A_CA));
            }
        }
        Ok(())
    }

    /// The error for a failed webpki validation: the refusal of a path that
    /// webpki validated (the closest any path came) if there was one.
    fn error(&self, e: webpki::Error, time: SystemTime) -> TrustError {
        self.refusal.take().unwrap_or_else(|| map_webpki(e, time))
    }
}

/// Whether the certificate's key usage, if it has that extension, includes
/// `keyCertSign` (RFC 5280 4.2.1.3); no extension means any usage.
fn may_sign_certificates(cert: &Certificate) -> Result<bool, pkcs8::der::Error> {
    let usage = cert
        .tbs_certificate
        .get::<x509_cert::ext::pkix::KeyUsage>()?;
    Ok(usage.is_none_or(|(_, usage)| usage.key_cert_sign()))
}

/// Whether the certificate's basic constraints say `CA:TRUE`.
fn is_ca(cert: &Certificate) -> Result<bool, pkcs8::der::Error> {
    let constraints = cert
        .tbs_certificate
        .get::<x509_cert::ext::pkix::BasicConstraints>()?;
    Ok(constraints.is_some_and(|(_, c)| c.ca))
}

/// Why a `CA:TRUE` signing certificate's key usage is not accepted.
enum CaLeafUsage {
    Malformed(pkcs8::der::Error),
    Refused(TrustError),
}

/// A `CA:TRUE` signing certificate must say, in a key usage extension, that
/// its key signs data (`digitalSignature`) and not certificates (no
/// `keyCertSign`): without the extension its key may act as a CA.
fn check_ca_leaf_key_usage(cert: &Certificate) -> Result<(), CaLeafUsage> {
    let usage = cert
        .tbs_certificate
        .get::<x509_cert::ext::pkix::KeyUsage>()
        .map_err(CaLeafUsage::Malformed)?;
    let refused = |e| Err(CaLeafUsage::Refused(e));
    match usage {
        None => refused(TrustError::CaConstraints(
            "the signing certificate is a CA certificate without a key usage extension",
        )),
        Some((_, usage)) if !usage.digital_signature() => {
            refused(TrustError::NoDigitalSignatureUsage)
        }
        Some((_, usage)) if usage.key_cert_sign() => refused(TrustError::CaConstraints(
            "the signing certificate is a CA certificate whose key usage allows certificate signing",
        )),
        Some(_) => Ok(()),
    }
}

/// Checks a pinned certificate's validity period at `time`, to the second,
/// as webpki checks those in a path.
fn check_validity(cert: &Certificate, time: SystemTime) -> Result<(), TrustError> {
    let validity = &cert.tbs_certificate.validity;
    let at = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    if at < validity.not_before.to_unix_duration().as_secs() {
        return Err(TrustError::NotYetValid { time });
    }
    if at > validity.not_after.to_unix_duration().as_secs() {
        return Err(TrustError::Expired { time });
    }
    Ok(())
}

/// Whether the certificate has an extended key usage extension listing
/// id-kp-codeSigning.
fn leaf_allows_code_signing(cert: &Certificate) -> Result<bool, pkcs8::der::Error> {
    let eku = cert
        .tbs_certificate
        .get::<x509_cert::ext::pkix::ExtendedKeyUsage>()?;
    Ok(eku.is_some_and(|(_, usages)| usages.0.contains(&OID_CODE_SIGNING)))
}

/// Whether the certificate's key usage, if it has that extension, includes
/// `digitalSignature` (RFC 5280 4.2.1.3); no extension means any usage.
fn leaf_allows_digital_signature(cert: &Certificate) -> Result<bool, pkcs8::der::Error> {
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

#[cfg(test)]
mod tests {
    use pkcs8::der::Encode;
    use rustls_pki_types::{AlgorithmIdentifier, SignatureVerificationAlgorithm, alg_id};

    use super::{
        ALG_UNSIGNED, CHAIN_CANNOT_SIGN_CERTIFICATES, EKU_CODE_SIGNING, OID_CODE_SIGNING,
        OID_UNSIGNED, SUPPORTED_ALGORITHMS, StandInLink,
    };

    #[test]
    fn algorithm_bytes_are_the_oids_encodings() {
        // webpki compares raw bytes; the certificates are built from the OIDs.
        assert_eq!(OID_UNSIGNED.to_der().expect("der"), ALG_UNSIGNED);
        assert_eq!(OID_CODE_SIGNING.as_bytes(), EKU_CODE_SIGNING);
    }

    #[test]
    fn the_stand_in_link_accepts_only_its_own_message_under_the_leafs_key() {
        let leaf_key: &[u8] = &[0x04; 65];
        let tbs: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x01];
        let link = StandInLink {
            key_algorithm: alg_id::ECDSA_P256,
            issuer_key: leaf_key,
            tbs,
        };
        let mut other_key = leaf_key.to_vec();
        other_key[64] ^= 1;
        let mut other_tbs = tbs.to_vec();
        other_tbs[4] = 2;
        // (case, issuer key, message, accepted); the signature is never read.
        let cases: &[(&str, &[u8], &[u8], bool)] = &[
            ("its own message under the leaf's key", leaf_key, tbs, true),
            ("another message", leaf_key, &other_tbs, false),
            ("a prefix of its message", leaf_key, &tbs[..4], false),
            (
                "its message with bytes after it",
                leaf_key,
                &[tbs, &[0]].concat(),
                false,
            ),
            ("an empty message", leaf_key, &[], false),
            ("another key", &other_key, tbs, false),
            ("a prefix of the leaf's key", &leaf_key[..64], tbs, false),
            ("an empty key", &[], tbs, false),
            ("another key and message", &other_key, &other_tbs, false),
        ];
        for (case, key, message, accepted) in cases {
            for signature in [&[][..], &[0x30, 0x00], &[0xff; 64]] {
                assert_eq!(
                    link.verify_signature(key, message, signature).is_ok(),
                    *accepted,
                    "{case}, signature {signature:?}"
                );
            }
        }
    }

    #[test]
    fn the_stand_in_link_answers_for_id_alg_unsigned_only() {
        let link = StandInLink {
            key_algorithm: alg_id::ED25519,
            issuer_key: &[],
            tbs: &[],
        };
        let unsigned = AlgorithmIdentifier::from_slice(ALG_UNSIGNED);
        assert_eq!(link.signature_alg_id(), unsigned);
        assert_eq!(link.public_key_alg_id(), alg_id::ED25519);
        // No real algorithm claims it, so every other link of a stand-in
        // path is checked by a real signature.
        for algorithm in SUPPORTED_ALGORITHMS {
            assert_ne!(algorithm.signature_alg_id(), unsigned, "{algorithm:?}");
        }
    }

    #[test]
    fn cannot_sign_messages_name_their_certificate() {
        for (index, message) in CHAIN_CANNOT_SIGN_CERTIFICATES.iter().enumerate() {
            assert!(
                message.starts_with(&format!("certificate {index} of the chain issues ")),
                "{message}"
            );
            assert!(message.ends_with("(keyCertSign)"), "{message}");
        }
    }
}
