//! The verification report: a typed value, and the versioned JSON document
//! `modelseal verify --format json` prints (serde field names are the
//! contract; see README, "JSON output").

use serde::Serialize;

/// The version of the report's JSON shape. Fields may be added within a
/// version; anything incompatible bumps it.
pub const REPORT_VERSION: u32 = 1;

/// The outcome of [`crate::verify_model`].
#[derive(Debug, Clone, Serialize)]
pub struct VerificationReport {
    /// Always `"verify"`.
    pub kind: &'static str,
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// True when the signature verified and no finding fails verification.
    pub verified: bool,
    /// The model path as given.
    pub model: String,
    /// The signature file.
    pub signature: String,
    /// Who signed.
    pub signer: SignerReport,
    /// The signing algorithm (`ed25519`, `p256`, `p384`, `p521`).
    pub signature_algorithm: &'static str,
    /// The signed root digest (SHA-256 over the resource digests), hex.
    pub root_digest: String,
    /// The signed serialization the model was re-hashed with.
    pub serialization: SerializationReport,
    /// Every difference between the model and its manifest, one entry each.
    pub findings: Vec<Finding>,
    /// Signed resources compared (files, or shards).
    pub resources_checked: usize,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Who signed a verified model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignerReport {
    /// A key given with `--key`.
    Key {
        /// Hex SHA-256 of the public key PEM (OMS `publicKey.hint`).
        key_id: String,
    },
    /// A certificate chain that validated to a trusted root.
    Certificate {
        /// The signing certificate's subject.
        subject: String,
        /// Its issuer.
        issuer: String,
        /// Its serial number, hex.
        serial: String,
        /// The end of its validity, RFC 3339.
        not_after: String,
        /// Certificates in the bundle's chain, leaf included.
        chain_length: usize,
    },
}

/// The signed `serialization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerializationReport {
    /// `files` or `shards`.
    pub method: &'static str,
    /// `sha256`, `blake3` or `blake2b`.
    pub hash_type: &'static str,
    /// Shards only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_size: Option<u64>,
    /// Whether symlinks were followed.
    pub allow_symlinks: bool,
    /// The recorded exclusions.
    pub ignore_paths: Vec<String>,
}

/// One difference between a model and its signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Finding {
    /// The content differs from what was signed.
    Modified {
        /// The resource (file, or `path:start:end` shard).
        name: String,
        /// The algorithm of both digests.
        algorithm: &'static str,
        /// The signed digest, hex.
        expected: String,
        /// The digest of the file on disk, hex.
        actual: String,
        /// For a safetensors file signed with `--tensors`: which tensors
        /// changed.
        #[serde(skip_serializing_if = "Option::is_none")]
        tensors: Option<TensorChanges>,
    },
    /// A file's size no longer matches its signed shards.
    SizeChanged {
        /// The file.
        name: String,
        /// The size the signed shards cover.
        expected_size: u64,
        /// The size on disk.
        actual_size: u64,
    },
    /// A signed file is not on disk.
    Missing {
        /// The file.
        name: String,
    },
    /// A file on disk that was not signed (and is not ignored).
    Unsigned {
        /// The file.
        name: String,
        /// False when `--ignore-unsigned-files` allowed it.
        fails: bool,
    },
    /// A file named for partial verification that the signature does not
    /// cover.
    NotSigned {
        /// The file.
        name: String,
    },
    /// A file that breaks its format's rules (a hostile safetensors header,
    /// say): loaders may misbehave on it even when its digest matches.
    InvalidFormat {
        /// The file.
        name: String,
        /// Its format (`safetensors`, `gguf`, …).
        format: String,
        /// Every rule it breaks.
        errors: Vec<String>,
    },
    /// A file that can run code when loaded (a pickle-based format).
    UnsafeFormat {
        /// The file.
        name: String,
        /// Its format (`pickle`, `pytorch_zip`, `joblib`).
        format: String,
        /// Why it is unsafe.
        reasons: Vec<String>,
        /// Imported globals that can run code (`os.system`, …).
        dangerous_globals: Vec<String>,
        /// True under `--unsafe-formats deny`.
        fails: bool,
    },
    /// An entry the walk refused: a symlink, a special file, a non-UTF-8
    /// name.
    PathProblem {
        /// The path.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl Finding {
    /// Whether this finding makes verification fail.
    pub fn fails(&self) -> bool {
        !matches!(
            self,
            Finding::Unsigned { fails: false, .. } | Finding::UnsafeFormat { fails: false, .. }
        )
    }
}

/// Which tensors of a modified safetensors file differ from the signed
/// per-tensor digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TensorChanges {
    /// Tensors whose bytes, dtype or shape changed.
    pub changed: Vec<String>,
    /// Tensors that were not signed.
    pub added: Vec<String>,
    /// Signed tensors that are gone.
    pub removed: Vec<String>,
}
