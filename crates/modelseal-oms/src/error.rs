//! Error types, one enum per stage so callers can tell a malformed file from
//! a forged one.

use std::time::SystemTime;

use crate::keys::KeyAlgorithm;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A key could not be read, written or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No `-----BEGIN …-----` line.
    #[error("`{name}` is not a PEM key: no `-----BEGIN` line found")]
    NotPem {
        /// What the key was read from.
        name: String,
    },
    /// A PEM block that does not decode.
    #[error("`{name}` holds a malformed PEM block")]
    Pem {
        /// What the key was read from.
        name: String,
        /// The decoding problem.
        #[source]
        source: BoxError,
    },
    /// A PEM block that is not a key (a certificate, say).
    #[error("`{name}` holds a `{label}` PEM block, not a key")]
    UnexpectedLabel {
        /// What the key was read from.
        name: String,
        /// The PEM label found.
        label: String,
    },
    /// An encrypted private key and no password.
    #[error("the private key `{name}` is encrypted: give its password")]
    Encrypted {
        /// What the key was read from.
        name: String,
    },
    /// Decryption failed.
    #[error("cannot decrypt the private key `{name}`: wrong password or corrupted key")]
    WrongPassword {
        /// What the key was read from.
        name: String,
        /// The decryption problem.
        #[source]
        source: BoxError,
    },
    /// A public key where a private key is needed.
    #[error("`{name}` is a public key, but a private key is needed to sign")]
    PublicNotPrivate {
        /// What the key was read from.
        name: String,
    },
    /// A private key where a public key is needed.
    #[error("`{name}` is a private key, but a public key is expected here")]
    PrivateNotPublic {
        /// What the key was read from.
        name: String,
    },
    /// A key of an algorithm or curve modelseal does not support.
    #[error("`{name}`: unsupported key type {algorithm} (supported: ed25519, p256, p384, p521)")]
    UnsupportedAlgorithm {
        /// What the key was read from.
        name: String,
        /// The algorithm or curve found.
        algorithm: String,
    },
    /// A key structure that does not parse.
    #[error("`{name}`: malformed {what}")]
    Malformed {
        /// What the key was read from.
        name: String,
        /// The structure that failed.
        what: &'static str,
        /// The parsing problem.
        #[source]
        source: BoxError,
    },
    /// Writing the key failed.
    #[error("cannot encode the private key")]
    Encode {
        /// The encoding problem.
        #[source]
        source: BoxError,
    },
}

/// The signature file is not a well-formed OMS (Sigstore v0.3) bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Larger than [`crate::bundle::MAX_BUNDLE_SIZE`].
    #[error("the bundle is {size} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// The size given.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Zero bytes (or only whitespace).
    #[error("the bundle is empty")]
    Empty,
    /// The JSON ends early.
    #[error("the bundle JSON is truncated (it ends at line {line}, column {column})")]
    Truncated {
        /// Where the text ends.
        line: usize,
        /// Where the text ends.
        column: usize,
    },
    /// The JSON is malformed or has the wrong shape.
    #[error("the bundle is not valid Sigstore bundle JSON")]
    Json {
        /// The JSON problem, with its position.
        #[source]
        source: serde_json::Error,
    },
    /// `mediaType` missing or not v0.3.
    #[error(
        "unsupported bundle media type `{0}` (expected application/vnd.dev.sigstore.bundle.v0.3+json)"
    )]
    MediaType(String),
    /// No `verificationMaterial`.
    #[error("the bundle has no `verificationMaterial`")]
    MissingVerificationMaterial,
    /// `verificationMaterial` names no key or certificate.
    #[error(
        "the bundle's `verificationMaterial` has no `publicKey`, `x509CertificateChain` or `certificate`"
    )]
    NoKeyMaterial,
    /// `verificationMaterial` names more than one kind of key material.
    #[error("the bundle's `verificationMaterial` has more than one kind of key material")]
    AmbiguousKeyMaterial,
    /// `publicKey` with neither `hint` nor `rawBytes`.
    #[error("the bundle's `publicKey` has neither `hint` nor `rawBytes`")]
    EmptyPublicKey,
    /// `x509CertificateChain.certificates` is empty.
    #[error("the bundle's certificate chain is empty")]
    EmptyCertificateChain,
    /// A Sigstore (Fulcio certificate) bundle without transparency log entries.
    #[error("the Sigstore bundle has a `certificate` but no `tlogEntries`")]
    MissingTlogEntries,
    /// A list longer than its cap (`tlogEntries`, the certificate chain,
    /// the DSSE signatures): refused before its entries are kept.
    #[error("the bundle's `{field}` has {count} entries, more than the {max} accepted")]
    TooManyEntries {
        /// The JSON field.
        field: &'static str,
        /// The entries found.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// No `dsseEnvelope`.
    #[error("the bundle has no `dsseEnvelope` (OMS signs a DSSE envelope)")]
    MissingEnvelope,
    /// `payloadType` other than in-toto JSON.
    #[error("unexpected DSSE payload type `{0}` (expected application/vnd.in-toto+json)")]
    PayloadType(String),
    /// A base64 field that does not decode.
    #[error("the bundle field `{field}` is not valid base64")]
    Base64 {
        /// The JSON field.
        field: &'static str,
        /// The decoding problem.
        #[source]
        source: base64::DecodeError,
    },
}

/// The DSSE signature does not verify: the payload was changed, or was not
/// signed by the trusted key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Not exactly one signature in the envelope.
    #[error("expected exactly one DSSE signature, found {0}")]
    Count(usize),
    /// The signature does not match the payload and key.
    #[error(
        "the signature does not verify with key {key_id}: the payload was altered or signed by another key"
    )]
    Invalid {
        /// The key tried.
        key_id: String,
    },
    /// The signature bytes are not a signature of the key's algorithm
    /// (for ECDSA: not a DER `ECDSA-Sig-Value`; BER forms, such as a
    /// long-form length or a zero-padded integer, are refused here too).
    #[error("the signature ({length} bytes) is not a well-formed {algorithm} signature")]
    Malformed {
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
        /// The signature length.
        length: usize,
    },
    /// An ECDSA signature that decodes but is not in DER form: the same
    /// `(r, s)` encoded otherwise.
    #[error("the {algorithm} signature ({length} bytes) is not DER-encoded (a BER form of it)")]
    NotDer {
        /// The key's algorithm.
        algorithm: KeyAlgorithm,
        /// The signature length.
        length: usize,
    },
}

/// The bundle's key or certificate is not trusted for this verification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The signature does not verify with the trusted key, and
    /// `publicKey.hint` names another key. (A differing hint alone is not
    /// an error: see [`crate::Signer::Key`]'s `unmatched_hint`.)
    #[error(
        "the bundle names key {found} as its signer; its signature does not verify with the given key {expected}"
    )]
    KeyIdMismatch {
        /// The trusted key's id.
        expected: String,
        /// The hint in the bundle.
        found: String,
    },
    /// `publicKey.rawBytes` is not the trusted key.
    #[error("the bundle's public key is not the given key {expected}")]
    RawKeyMismatch {
        /// The trusted key's id.
        expected: String,
    },
    /// A key bundle checked against certificate roots.
    #[error(
        "the bundle was signed with a bare key, but certificate roots were given: verify it with the public key"
    )]
    KeyBundleWithRoots,
    /// A certificate bundle checked against a key.
    #[error(
        "the bundle carries a certificate chain, but a public key was given: verify it with the root certificates"
    )]
    CertificateBundleWithKey,
    /// A Sigstore keyless bundle checked without saying whose it must be.
    #[error(
        "the bundle is a Sigstore keyless signature by {} issued by {}: verify it with --identity \
         and --issuer (or their -regex forms), or a policy naming a keyless signer",
        identity.as_deref().map_or_else(|| "an unreadable identity".to_owned(), |i| format!("`{i}`")),
        issuer.as_deref().map_or_else(|| "an unknown issuer".to_owned(), |i| format!("`{i}`"))
    )]
    KeylessIdentityRequired {
        /// The identity the (unverified) certificate claims.
        identity: Option<String>,
        /// The issuer it claims.
        issuer: Option<String>,
    },
    /// A key or certificate-chain bundle checked as keyless.
    #[error(
        "the bundle is not a Sigstore keyless signature (it carries a key or a certificate chain): \
         verify it with --key or --cert-chain"
    )]
    NotKeyless,
    /// The keyless verification failed at a stage.
    #[error("Sigstore keyless verification failed")]
    Keyless(#[from] crate::keyless::KeylessError),
    /// No root certificates given.
    #[error("no trusted root certificates were given")]
    NoRoots,
    /// A certificate that does not parse.
    #[error("certificate {index} of the {whose} is malformed")]
    MalformedCertificate {
        /// `chain` or `roots`.
        whose: &'static str,
        /// Position, 0 = leaf or first root.
        index: usize,
        /// The parsing problem.
        #[source]
        source: BoxError,
    },
    /// The chain does not lead to a given root.
    #[error("the certificate chain does not lead to a trusted root")]
    UntrustedChain,
    /// A certificate in the path had expired at the check time.
    #[error(
        "a certificate in the chain has expired (checked at {})",
        rfc3339(time)
    )]
    Expired {
        /// The verification time.
        time: SystemTime,
    },
    /// A certificate in the path was not yet valid at the check time.
    #[error(
        "a certificate in the chain is not yet valid (checked at {})",
        rfc3339(time)
    )]
    NotYetValid {
        /// The verification time.
        time: SystemTime,
    },
    /// The leaf has a key usage extension without `digitalSignature`.
    #[error("the signing certificate's key usage does not allow digital signatures")]
    NoDigitalSignatureUsage,
    /// The leaf (or a CA) lacks the code-signing extended key usage.
    #[error(
        "the signing certificate is not valid for code signing (extended key usage 1.3.6.1.5.5.7.3.3)"
    )]
    NotCodeSigning,
    /// CA basic constraints violated: a non-CA used as CA, a path length, or
    /// a `CA:TRUE` signing certificate whose key usage is missing or allows
    /// certificate signing.
    #[error("the certificate chain violates CA constraints: {0}")]
    CaConstraints(&'static str),
    /// Another path-validation failure.
    #[error("the certificate chain is invalid")]
    InvalidChain {
        /// The path-validation error.
        #[source]
        source: webpki::Error,
    },
    /// The leaf's key is not one modelseal verifies with.
    #[error("the signing certificate's public key is unusable")]
    LeafKey {
        /// The key problem.
        #[source]
        source: KeyError,
    },
}

/// The signed statement is not a valid OMS v1.0 statement.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// A payload nobody has verified yet holds more JSON values than it is
    /// read with (its parsed tree would cost far more memory than its
    /// bytes).
    #[error(
        "the signed payload holds more than {max} JSON values, more than is read before its \
         signature is checked (`verify` reads it after checking the signature)"
    )]
    TooManyValues {
        /// The limit.
        max: u64,
    },
    /// The payload is not JSON.
    #[error("the signed payload is not JSON")]
    Json {
        /// The JSON problem.
        #[source]
        source: serde_json::Error,
    },
    /// A required field is absent.
    #[error("the statement has no `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    #[error("the statement field `{field}` must be {expected}")]
    FieldType {
        /// The field.
        field: &'static str,
        /// The JSON type expected.
        expected: &'static str,
    },
    /// `_type` is not in-toto Statement v1.
    #[error("unexpected statement type `{0}` (expected https://in-toto.io/Statement/v1)")]
    StatementType(String),
    /// `predicateType` is not OMS v1.0.
    #[error("unexpected predicate type `{0}` (expected https://model_signing/signature/v1.0)")]
    PredicateType(String),
    /// Not exactly one subject.
    #[error("expected exactly one subject, found {0}")]
    SubjectCount(usize),
    /// The subject digest is not 64 lowercase hex characters.
    #[error("the subject digest `{0}` is not 64 lowercase hexadecimal characters")]
    SubjectDigest(String),
    /// A predicate key the schema does not allow.
    #[error("unknown predicate field `{0}`")]
    UnknownPredicateField(String),
    /// `serialization.method` unknown.
    #[error("unknown serialization method `{0}` (expected files or shards)")]
    UnknownMethod(String),
    /// `serialization.hash_type` unknown.
    #[error("unknown hash type `{0}` (expected sha256, blake2b or blake3)")]
    UnknownHashType(String),
    /// `shard_size` missing for the shards method.
    #[error("the shards method needs `serialization.shard_size`")]
    ShardSizeMissing,
    /// `shard_size` zero, negative, fractional or too large.
    #[error("`serialization.shard_size` {0} is not a positive integer")]
    ShardSizeInvalid(String),
    /// No resources.
    #[error("the statement lists no resources")]
    EmptyResources,
    /// A resource name that is not a normalised relative path.
    #[error("invalid resource name `{name}`: {problem}")]
    ResourceName {
        /// The name.
        name: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// A shard resource whose name is not `path:start:end`.
    #[error("invalid shard name `{0}` (expected path:start:end)")]
    ShardName(String),
    /// Two resources with one name.
    #[error("duplicate resource `{0}`")]
    DuplicateResource(String),
    /// A resource algorithm that is unknown.
    #[error("resource `{name}`: unknown algorithm `{algorithm}`")]
    UnknownResourceAlgorithm {
        /// The resource.
        name: String,
        /// The algorithm.
        algorithm: String,
    },
    /// A resource algorithm that differs from `hash_type`.
    #[error("resource `{name}`: algorithm `{algorithm}` differs from hash_type `{hash_type}`")]
    AlgorithmMismatch {
        /// The resource.
        name: String,
        /// The resource algorithm.
        algorithm: String,
        /// The serialization hash type.
        hash_type: String,
    },
    /// A digest that is not lowercase hex.
    #[error("resource `{name}`: digest is not lowercase hexadecimal")]
    DigestHex {
        /// The resource.
        name: String,
    },
    /// A digest whose length does not fit its algorithm.
    #[error(
        "resource `{name}`: {algorithm} digest has {found} hex characters, expected {expected}"
    )]
    DigestLength {
        /// The resource.
        name: String,
        /// The algorithm.
        algorithm: String,
        /// Hex characters expected.
        expected: usize,
        /// Hex characters found.
        found: usize,
    },
    /// The subject digest is not the root of the resource digests.
    #[error(
        "root_mismatch: the subject digest {subject} is not the root digest {computed} of the resources"
    )]
    RootMismatch {
        /// The subject's digest.
        subject: String,
        /// SHA-256 over the resource digests in order.
        computed: String,
    },
}

/// What is wrong with a resource name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameProblem {
    /// Empty.
    #[error("empty")]
    Empty,
    /// Starts with `/`.
    #[error("absolute path")]
    Absolute,
    /// Has a `..` segment.
    #[error("`..` segment")]
    ParentSegment,
    /// Has a `.` segment (only `.` alone is allowed).
    #[error("`.` segment")]
    DotSegment,
    /// Has a backslash.
    #[error("backslash")]
    Backslash,
    /// Has a NUL character.
    #[error("NUL character")]
    Nul,
    /// Has an empty segment (`a//b`, trailing `/`).
    #[error("empty path segment")]
    EmptySegment,
}

/// A bundle could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// An extension names a resource the manifest does not have.
    #[error("resource extension for `{name}`, which is not in the manifest")]
    UnknownExtensionResource {
        /// The resource name.
        name: String,
    },
    /// An extension would replace a field every resource has.
    #[error("resource extension field `{field}` is reserved")]
    ReservedExtensionField {
        /// The field.
        field: String,
    },
    /// The manifest has no resources.
    #[error("the manifest has no resources: refusing to sign an empty model")]
    EmptyManifest,
    /// The manifest's root digest is not the root of its resources.
    #[error("the manifest's root digest does not match its resources")]
    RootMismatch,
    /// Certificates given as an empty list.
    #[error("the certificate chain is empty")]
    EmptyCertificateChain,
    /// The leaf certificate does not parse.
    #[error("the signing certificate is malformed")]
    MalformedCertificate {
        /// The parsing problem.
        #[source]
        source: BoxError,
    },
    /// The leaf certificate's key is not the signing key.
    #[error(
        "the signing certificate's public key ({certificate_key}) is not the signing key ({signing_key})"
    )]
    CertificateKeyMismatch {
        /// The certificate key's id (or algorithm if unsupported).
        certificate_key: String,
        /// The signing key's id.
        signing_key: String,
    },
    /// Serialising the statement failed.
    #[error("cannot serialise the statement")]
    Json {
        /// The problem.
        #[source]
        source: serde_json::Error,
    },
}

/// Why a bundle did not verify, by stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The file is not a well-formed bundle.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The signature is wrong: the payload was altered or another key signed.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The signer is not trusted.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The signed statement is invalid.
    #[error(transparent)]
    Statement(#[from] StatementError),
}

/// A time as RFC 3339 UTC (`2026-11-25T22:36:00Z`), for messages.
fn rfc3339(time: &SystemTime) -> String {
    pkcs8::der::DateTime::from_system_time(*time)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| format!("{time:?}"))
}
