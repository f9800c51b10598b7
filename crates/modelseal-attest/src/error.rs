//! Errors, one enum per stage: a statement or predicate that does not
//! parse, an attestations file that cannot be read, a policy file that is
//! wrong.

use std::path::PathBuf;

/// A statement or predicate is malformed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// A predicate type modelseal does not know.
    #[error(
        "unknown predicate type `{0}` (known: dataset-provenance, lineage, security-test, exception)"
    )]
    UnknownPredicateType(String),
    /// A predicate that does not fit its type.
    #[error("malformed `{predicate_type}` predicate: {message}")]
    Predicate {
        /// The predicate type URI.
        predicate_type: String,
        /// What is wrong.
        message: String,
    },
    /// A statement that is not an in-toto Statement v1 about one model.
    #[error("malformed attestation statement: {0}")]
    Statement(String),
}

/// The attestations file cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An I/O error.
    #[error("cannot {action} `{path}`")]
    Io {
        /// `read`, `write`, …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Larger than the cap.
    #[error("`{path}` is {size} bytes, more than the {max}-byte limit of an attestations file")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The cap.
        max: u64,
    },
    /// A line longer than the cap of one attestation.
    #[error("`{path}`: line {line} is more than the {max}-byte limit of one attestation")]
    LineTooLarge {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The cap.
        max: usize,
    },
    /// More lines than the cap.
    #[error("`{path}` has more than {max} attestations")]
    TooMany {
        /// The file.
        path: PathBuf,
        /// The cap.
        max: usize,
    },
    /// A new bundle that is not one line of JSON.
    #[error("an attestation bundle must be one line of JSON")]
    NotOneLine,
    /// The file to append to holds something other than bundles.
    #[error(
        "`{path}` does not look like an attestations file (line {line} is not a Sigstore bundle); \
         refusing to append to it"
    )]
    NotAttestations {
        /// The file.
        path: PathBuf,
        /// The first line that is not a bundle.
        line: usize,
    },
}

/// The trust policy cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file cannot be read.
    #[error("cannot read policy `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not parse or has the wrong shape.
    #[error("policy `{path}` is not a valid policy")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The cause, with its position.
        #[source]
        source: toml::de::Error,
    },
    /// A rule or signer that cannot work.
    #[error("policy `{path}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A key or certificate file named by the policy.
    #[error("policy `{path}`: signer `{signer}`: cannot load `{file}`: {message}")]
    Material {
        /// The policy file.
        path: PathBuf,
        /// The signer entry.
        signer: String,
        /// The key or certificate file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
}
