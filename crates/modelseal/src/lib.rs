//! Sign machine-learning models and verify them before loading.
//!
//! This is the API applications embed: it ties the model walk and hashing
//! engine ([`modelseal_hash`]) to OpenSSF Model Signing v1.0 signatures
//! ([`modelseal_oms`]).
//!
//! Which type for what:
//! - [`sign_model`] with [`SignOptions`] hashes a model and writes its
//!   signature bundle, giving a [`SignOutcome`].
//! - [`verify_model`] with [`VerifyOptions`] checks the signature against an
//!   explicit [`Trust`] (a public key or root certificates), re-hashes the
//!   model once and returns a [`VerificationReport`] listing every
//!   [`Finding`].
//! - [`generate_key_pair`], [`load_signing_key`], [`load_public_key`] and
//!   [`load_certificates`] handle key and certificate files.
//! - [`inspect_model`] identifies every file and checks its format
//!   (safetensors validation, pickle globals); [`FormatGate`]
//!   ([`UnsafeFormats`] and the [`AllowGlobals`] a project accepts) is the
//!   gate `sign` and `verify` apply.
//! - [`load_safetensors`] is verify-on-load: one read pass that hashes the
//!   file, checks it against the verified signature and hands out tensors
//!   from the bytes that were checked.
//! - [`status_model`] compares a model with its signature's manifest
//!   without checking trust, through a [`DigestCache`]: what changed since
//!   signing, in milliseconds for an unchanged model.
//! - [`attest_model`] signs a statement about the model (dataset
//!   provenance, lineage, a security test, an exception) bound to its root
//!   digest and appends it to `model.att.jsonl`; [`list_attestations`] and
//!   [`model_history`] read them back; [`VerifyOptions::with_policy`] makes
//!   [`verify_model`] check a trust [`Policy`] (who may sign, in which role,
//!   and the rules the attestations must satisfy).
//! - [`inventory`] with [`InventoryOptions`] finds every model under some
//!   paths (hub cache snapshots, model directories, Ollama stores, lone
//!   files) and gives an [`InventoryReport`]: formats, root digest,
//!   signature status and signer, attestations, model-card declarations,
//!   unsafe formats; [`to_cyclonedx`] turns it into a CycloneDX 1.6 ML-BOM.
//! - [`Error`] tells a signature that does not verify from an I/O or usage
//!   problem ([`Error::is_verification_failure`]).
//!
//! ```
//! use modelseal::{generate_key_pair, load_public_key, load_signing_key, sign_model,
//!     verify_model, KeyAlgorithm, SignOptions, Trust, VerifyOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let model = dir.path().join("my-model");
//! std::fs::create_dir(&model)?;
//! std::fs::write(model.join("config.json"), b"{}\n")?;
//! // The smallest safetensors file: an 8-byte header length, then `{}`.
//! std::fs::write(model.join("model.safetensors"), [&2u64.to_le_bytes()[..], b"{}"].concat())?;
//!
//! let files = generate_key_pair(&dir.path().join("key"), KeyAlgorithm::Ed25519, None, false)?;
//! let key = load_signing_key(&files.private_key, None)?;
//! let signed = sign_model(&model, &key, &SignOptions::default())?;
//! assert!(signed.signature.ends_with("my-model/model.sig"));
//!
//! let trust = Trust::PublicKey(load_public_key(&files.public_key)?);
//! let report = verify_model(&model, &VerifyOptions::new(trust.clone()))?;
//! assert!(report.verified);
//!
//! std::fs::write(model.join("config.json"), b"{\"tampered\": true}\n")?;
//! let report = verify_model(&model, &VerifyOptions::new(trust))?;
//! assert!(!report.verified);
//! assert_eq!(report.findings.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod attest;
mod error;
mod evidence;
mod files;
mod formats;
mod inventory;
mod keys;
mod known_good;
mod layout;
mod load;
mod report;
mod report_sign;
mod sign;
mod status;
mod verify;

pub use attest::{
    AttestOptions, AttestOutcome, AttestationList, FoundRecord, HistoryReport, LocalCopy,
    ModelBinding, attest_model, bind_model, find_dataset_digest, find_version_digest,
    hash_local_copy, list_attestations, model_history, show_attestation,
};
pub use error::Error;
pub use evidence::{
    EvaluatedRule, EvidenceItem, EvidenceReport, PolicyRef, Provision, ProvisionStatus, STANDARD,
    STANDARD_EDITION, StandardRef, ToolRef, evidence_report, evidence_report_with,
};
pub use formats::{
    FormatGate, InspectReport, InspectedFile, UnsafeFormats, check_files, inspect_model,
};
pub use inventory::{
    BaseModelRef, Bom, CYCLONEDX_SPEC_VERSION, DatasetRef, InventoryAttestation, InventoryFile,
    InventoryModel, InventoryOptions, InventoryReport, InventorySummary, Layout, ModelCard,
    ParentRef, RequireReport, Requirement, SignatureReport, SignatureStatus, Skipped, inventory,
    to_cyclonedx,
};
pub use keys::{
    KeyPairFiles, generate_key_pair, load_certificates, load_public_key, load_signing_key,
    public_key_path,
};
pub use known_good::{
    RepairReport, RestoreReport, StoreAddReport, StoreGcReport, StoreListReport, StoreProblem,
    StoreVerifyReport, StoredVersion, gc_store, list_store, repair_model, restore_model,
    store_model, verify_store,
};
pub use layout::{SIGNATURE_FILE_NAME, default_signature_path};
pub use load::{LoadOptions, SignedSafetensors, load_safetensors, open_signed_safetensors};
pub use modelseal_attest as attestation;
pub use modelseal_attest::{Policy, default_attestations_path};
pub use modelseal_formats::{AllowGlobalError, AllowGlobals};
pub use modelseal_formats::{SafeTensorsBuffer, TensorView};
pub use modelseal_hash::DigestCache;
pub use modelseal_oms::{
    KeyAlgorithm, KeyError, PublicKey, SigningKey, Trust, TrustError, VerifyError, keyless,
};
pub use report::{
    AttestationEntry, Finding, LinksReport, PolicyReport, REPORT_VERSION, SerializationReport,
    SignerReport, VerificationReport,
};
pub use report_sign::{
    REPORT_PREDICATE_V1, ReportPredicate, ReportTrust, ReportVerification,
    signature_path as report_signature_path, verify_report, write_signed_report,
};
pub use sign::{SignOptions, SignOutcome, sign_model};
pub use status::{CacheReport, STATUS_TRUST_NOTE, StatusOptions, StatusReport, status_model};
pub use verify::{VerifyOptions, verify_model};

#[cfg(test)]
mod tests;
