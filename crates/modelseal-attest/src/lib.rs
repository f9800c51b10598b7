//! Signed attestations about a model and the trust policy that checks them.
//!
//! An attestation is an in-toto Statement v1 whose subject is the model's
//! root digest and whose predicate carries the model's manifest digest
//! (which, unlike the root digest, covers the files' names), signed into a
//! Sigstore bundle exactly like the model's OMS signature, and stored one
//! per line beside it (`model.att.jsonl`).
//!
//! # Which type for what
//!
//! | You want to…                                      | Use |
//! |---------------------------------------------------|-----|
//! | say where a dataset came from, what a version derives from, what was tested, why an unsafe file is allowed | [`Predicate`]: [`DatasetProvenance`], [`Lineage`], [`SecurityTest`], [`Exception`] |
//! | bind a predicate to a model and sign it            | [`Statement`] → [`Statement::to_json`] → [`modelseal_oms::sign_statement`] |
//! | read and append the attestations file              | [`read_attestations`], [`append_attestation`] |
//! | load `policy.toml`                                 | [`Policy::load`] |
//! | check each attestation's signer and standing       | [`check_attestations`] with [`ModelDigests`] → [`CheckedAttestation`] |
//! | evaluate the policy's rules                        | [`evaluate`] with [`ModelFacts`] → [`RuleOutcome`]s |
//! | follow a model's versions                          | [`history`] → [`Version`]s |
//!
//! # Example
//!
//! ```
//! use modelseal_attest::{DigestSet, Lineage, Predicate, Role, Statement, Timestamp};
//!
//! let statement = Statement {
//!     subject_name: "my-model".into(),
//!     subject_digest: DigestSet::parse(&"ab".repeat(32))?,
//!     manifest_digest: Some(DigestSet::parse(&"cd".repeat(32))?),
//!     predicate: Predicate::Lineage(Lineage {
//!         role: Role::Developer,
//!         attested_at: Timestamp::parse("2026-11-26T09:30:00Z")?,
//!         version: "1.0".into(),
//!         parent: None,
//!         base_model: None,
//!         change: "first release".into(),
//!         training_data: vec![],
//!     }),
//! };
//! let json = statement.to_json();
//! assert_eq!(Statement::from_json(&json)?, statement);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod evaluate;
mod lineage;
pub mod policy;
mod predicate;
mod statement;
mod store;
mod time;

#[cfg(test)]
mod tests;

pub use error::{AttestError, PolicyError, StoreError};
pub use evaluate::{
    AttestationStatus, CheckedAttestation, ModelDigests, ModelFacts, RuleOutcome,
    check_attestations, evaluate,
};
pub use lineage::{Link, Version, history, history_complete};
pub use policy::{Identity, Policy, PolicySigner};
pub use predicate::{
    BaseModel, DATASET_PROVENANCE_V1, DATASET_PROVENANCE_V2, Dataset, DatasetProvenance,
    DatasetUsage, DigestSet, DocumentRef, EXCEPTION_V1, EXCEPTION_V2, Exception, LINEAGE_V1,
    LINEAGE_V2, Lineage, MAX_ITEMS, MAX_TEXT, PREDICATE_NAMES, PREDICATE_V1_TYPES, ParentVersion,
    Predicate, Role, SECURITY_TEST_V1, SECURITY_TEST_V2, SecurityTest, TestKind, TestResult,
    TestRun, TimeBasis, TrainingData, resolve_type,
};
pub use statement::{MANIFEST_DIGEST_FIELD, STATEMENT_V1, Statement};
pub use store::{
    ATTESTATIONS_FILE_NAME, MAX_ATTESTATION_LINE, MAX_ATTESTATIONS, MAX_ATTESTATIONS_SIZE,
    StoredAttestation, append_attestation, default_attestations_path, read_attestations,
};
pub use time::Timestamp;
