//! Errors of the high-level API, split by stage.

use std::io;
use std::path::PathBuf;

/// What can go wrong while signing or verifying a model.
///
/// [`Error::is_verification_failure`] tells a signature that does not verify
/// (malformed, forged, untrusted: the CLI's exit code 1) from everything
/// else (usage, a missing file, a disk error: exit code 2). Differences
/// between the model and its manifest are not errors: they are findings in
/// a [`crate::VerificationReport`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`")]
    Io {
        /// `read`, `write`, …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A file that must not be overwritten exists already.
    #[error("`{path}` already exists; refusing to overwrite it (use --force to replace it)")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A key could not be loaded or written.
    #[error("key `{path}`")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: modelseal_oms::KeyError,
    },
    /// A certificate file could not be read.
    #[error("certificate file `{path}`: {message}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The model could not be walked or hashed.
    #[error(transparent)]
    Model(#[from] modelseal_hash::Error),
    /// The known-good store could not be read or written.
    #[error(transparent)]
    Store(Box<modelseal_store::StoreError>),
    /// A stored version is not what was signed (a blob changed, a file
    /// the signature does not cover, a signature the trust refuses).
    #[error("the stored copy `{name}` does not verify: {reason}")]
    StoredCopy {
        /// `NAME:VERSION`.
        name: String,
        /// Why.
        reason: String,
    },
    /// Signing failed.
    #[error("cannot sign")]
    Sign(#[source] modelseal_oms::SignError),
    /// A file's format could not be checked (it could not be read).
    #[error(transparent)]
    Format(Box<modelseal_formats::FormatError>),
    /// Signing refused: files that are invalid, or unsafe under
    /// `--unsafe-formats deny`. Each is listed.
    #[error("refusing to sign: {}", describe(.0))]
    FormatGate(Vec<crate::Finding>),
    /// An option combination that cannot work.
    #[error("{0}")]
    Usage(String),
    /// A signed resource's per-tensor digests are malformed.
    #[error("signature `{path}`: malformed `tensors` on resource `{name}`")]
    Tensors {
        /// The signature file.
        path: PathBuf,
        /// The resource.
        name: String,
    },
    /// The signature file does not verify: malformed, forged or untrusted.
    #[error("signature `{path}` does not verify")]
    Signature {
        /// The signature file.
        path: PathBuf,
        /// The stage that failed: bundle format, signature, trust or statement.
        #[source]
        source: modelseal_oms::VerifyError,
    },
    /// The signature does not come from a signer the trust policy lists, or
    /// does not verify with that signer's key.
    #[error("signature `{path}` is not trusted by the policy: {reason}")]
    PolicySignature {
        /// The signature file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The trust policy cannot be loaded.
    #[error(transparent)]
    Policy(#[from] modelseal_attest::PolicyError),
    /// The attestations file cannot be read or written.
    #[error(transparent)]
    Attestations(#[from] modelseal_attest::StoreError),
    /// A predicate or statement is malformed.
    #[error(transparent)]
    Attest(#[from] modelseal_attest::AttestError),
}

impl Error {
    /// Whether this is a failed verification (exit code 1) rather than a
    /// usage or I/O error (exit code 2).
    pub fn is_verification_failure(&self) -> bool {
        match self {
            // A keyless bundle checked without --identity/--issuer: a
            // usage error, whose message shows the claimed identity.
            Error::Signature {
                source:
                    modelseal_oms::VerifyError::Trust(
                        modelseal_oms::TrustError::KeylessIdentityRequired { .. },
                    ),
                ..
            } => false,
            Error::Signature { .. }
            | Error::StoredCopy { .. }
            | Error::PolicySignature { .. }
            | Error::FormatGate(_)
            | Error::Tensors { .. } => true,
            // An attestations file over its limits is hostile input, not a
            // disk problem.
            Error::Attestations(
                modelseal_attest::StoreError::TooLarge { .. }
                | modelseal_attest::StoreError::LineTooLarge { .. }
                | modelseal_attest::StoreError::TooMany { .. },
            ) => true,
            // Verify-on-load: the file is not the one that was signed, or
            // its header breaks the format's rules.
            Error::Format(e) => matches!(
                **e,
                modelseal_formats::FormatError::DigestMismatch { .. }
                    | modelseal_formats::FormatError::Safetensors(_)
            ),
            _ => false,
        }
    }

    /// For a failed verification, the stage that failed: `bundle` (the
    /// signature file is malformed), `signature` (it does not verify),
    /// `trust` (not the trusted key, or no chain to a trusted root),
    /// `statement` (the signed payload is not a valid OMS statement),
    /// `policy` (no policy signer made it), `format_gate`, `tensors`,
    /// `attestations` or `content`; `None` for usage and I/O errors.
    pub fn stage(&self) -> Option<&'static str> {
        if !self.is_verification_failure() {
            return None;
        }
        Some(match self {
            Error::Signature { source, .. } => match source {
                modelseal_oms::VerifyError::Bundle(_) => "bundle",
                modelseal_oms::VerifyError::Signature(_) => "signature",
                modelseal_oms::VerifyError::Trust(_) => "trust",
                modelseal_oms::VerifyError::Statement(_) => "statement",
                _ => "signature",
            },
            Error::PolicySignature { .. } => "policy",
            Error::FormatGate(_) => "format_gate",
            Error::Tensors { .. } => "tensors",
            Error::Attestations(_) => "attestations",
            _ => "content",
        })
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

fn describe(findings: &[crate::Finding]) -> String {
    findings
        .iter()
        .map(|f| match f {
            crate::Finding::InvalidFormat { name, errors, .. } => {
                format!("`{name}` is invalid ({})", errors.join("; "))
            }
            crate::Finding::UnsafeFormat {
                name,
                format,
                dangerous_globals,
                ..
            } if !dangerous_globals.is_empty() => format!(
                "`{name}` is {format}, which can run code when loaded, and imports the dangerous \
                 {} `{}`",
                if dangerous_globals.len() == 1 {
                    "global"
                } else {
                    "globals"
                },
                dangerous_globals.join("`, `")
            ),
            crate::Finding::UnsafeFormat { name, format, .. } => {
                format!("`{name}` is {format}, which can run code when loaded")
            }
            other => other.describe(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
