//! OpenSSF Model Signing (OMS) v1.0 signatures: keys, Sigstore bundles,
//! DSSE envelopes, in-toto statements and X.509 chains.
//!
//! # Which type for what
//!
//! | You want to…                                   | Use                                              |
//! |------------------------------------------------|--------------------------------------------------|
//! | make or load a private key                     | [`SigningKey`] ([`SigningKey::generate`], [`SigningKey::from_pem`]) |
//! | load a public key, get its OMS key id          | [`PublicKey`] ([`PublicKey::from_pem`], [`PublicKey::key_id`]) |
//! | sign a [`modelseal_hash::Manifest`]            | [`sign_manifest`] → bundle JSON bytes            |
//! | check a bundle's signature                     | [`verify_bundle`] with a [`Trust`] → [`VerifiedBundle`] |
//! | sign or check any other in-toto statement      | [`sign_statement`], [`verify_statement`] → [`VerifiedStatement`] |
//! | read what was signed                           | [`SignedManifest`] (in [`VerifiedBundle::manifest`]) |
//! | tell tampering from a malformed file           | [`VerifyError`]: [`BundleError`], [`SignatureError`], [`TrustError`], [`StatementError`] |
//! | handle the bundle JSON or DSSE directly        | [`bundle::Bundle`], [`bundle::pae`]              |
//! | read certificates                              | [`x509::certificates_from_pem`], [`x509::verify_chain`] |
//!
//! Verification never hashes the model: it proves who signed which
//! manifest. The caller then compares [`SignedManifest::resources`] with the
//! files on disk.
//!
//! # Example
//!
//! ```
//! use modelseal_hash::{Digest, HashAlgorithm, Manifest, Method, Resource, Serialization};
//! use modelseal_oms::{KeyAlgorithm, SigningKey, Trust, sign_manifest, verify_bundle};
//!
//! let digest = HashAlgorithm::Sha256.digest(b"weights");
//! let manifest = Manifest {
//!     serialization: Serialization {
//!         method: Method::Files,
//!         hash_type: HashAlgorithm::Sha256,
//!         allow_symlinks: false,
//!         ignore_paths: vec![".git".into()],
//!     },
//!     resources: vec![Resource {
//!         name: "model.safetensors".into(),
//!         algorithm: HashAlgorithm::Sha256,
//!         digest,
//!         size: 7,
//!     }],
//!     root_digest: Manifest::root_digest_of([&digest]),
//! };
//! let key = SigningKey::generate(KeyAlgorithm::P256);
//! let bundle = sign_manifest(&manifest, "my-model", &key, None)?;
//!
//! let verified = verify_bundle(&bundle, &Trust::PublicKey(key.public_key()))?;
//! assert_eq!(verified.manifest.resources[0].name, "model.safetensors");
//! assert_eq!(verified.manifest.root_digest, manifest.root_digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Reading what the reference tool writes
//!
//! Bundles from the Python `model-signing` tool are accepted as they are:
//! `publicKey.hint` or `rawBytes`; `keyid` absent, `""` or `null`;
//! `tlogEntries` absent or `[]`; resources in its own order (the root digest
//! is checked over the order given); shard digests named
//! `sha256-sharded-<N>`; `shard_size` written as a float; a single file named
//! `"."`. Bundles written here use the spec's names and a deterministic
//! layout.
//!
//! `publicKey.hint` is written as the reference tool writes it (hex SHA-256
//! of the canonical SubjectPublicKeyInfo PEM, [`PublicKey::key_id`]) but is
//! not signed, so on verification it decides nothing: a signature that
//! verifies with the trusted key passes even when the hint differs (the
//! hint is returned as [`Signer::Key`]'s `unmatched_hint`), and one that
//! does not verify fails whatever the hint says.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bundle;
mod error;
pub mod keyless;
pub mod keys;
mod pem;
mod sign;
pub mod statement;
mod verify;
pub mod x509;

pub use error::{
    BundleError, KeyError, NameProblem, SignError, SignatureError, StatementError, TrustError,
    VerifyError,
};
pub use keys::{KeyAlgorithm, PublicKey, SigningKey};
pub use sign::{sign_manifest, sign_manifest_with, sign_statement};
pub use statement::{
    MAX_UNVERIFIED_VALUES, ResourceExtensions, SignedManifest, SignedResource, count_json_values,
    parse_statement, parse_unverified_statement,
};
pub use verify::{
    Signer, Trust, VerifiedBundle, VerifiedStatement, verify_bundle, verify_statement,
};
