//! The verification report: a typed value, and the versioned JSON document
//! `modelseal verify --format json` prints (serde field names are the
//! contract; see README, "JSON output").

use serde::Serialize;

/// The version of the report's JSON shape. Fields may be added within a
/// version; anything incompatible bumps it.
pub const REPORT_VERSION: u32 = 2;

/// The outcome of [`crate::verify_model`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
    /// The signed root digest (SHA-256 over the resource digests), hex;
    /// `{"algorithm": "sha256", "digest": HEX}` in JSON.
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub root_digest: String,
    /// The signed serialization the model was re-hashed with.
    pub serialization: SerializationReport,
    /// Every difference between the model and its manifest, one entry each.
    pub findings: Vec<Finding>,
    /// Signed resources compared (files, or shards).
    #[serde(rename = "checked_resource_count")]
    pub resources_checked: usize,
    /// Resources the signature lists; more than `resources_checked` when
    /// the verification was partial.
    #[serde(rename = "resource_count")]
    pub resources_signed: usize,
    /// True for a partial verification (`--only`): files not named were
    /// neither read nor checked.
    pub partial: bool,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
    /// The trust policy's outcome, when verified with `--policy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyReport>,
    /// Symbolic links on the way to the model's bytes, when there were any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<LinksReport>,
    /// `--ignore` paths given to `verify` that matched nothing (a typo,
    /// most likely); omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_ignore_paths: Vec<String>,
    /// Files whose format was identified but whose contents are not
    /// inspected (ONNX, HDF5, SavedModel, …): nothing was checked about
    /// what they do when loaded. Omitted when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked_files: Vec<UncheckedFile>,
}

/// Which symbolic links were followed to reach the model's bytes: the
/// model path itself, and links inside the model (a Hugging Face hub cache
/// snapshot is made of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LinksReport {
    /// The canonical path walked, when the model path is itself a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_target: Option<String>,
    /// The hub cache repository (`…/models--ORG--NAME`) the model is a
    /// snapshot of: links into it were followed without `--allow-symlinks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_repo: Option<String>,
    /// How many of the model's files are links whose targets were hashed.
    pub followed: usize,
}

impl LinksReport {
    /// The report for a walked model; `None` when no link was involved.
    pub(crate) fn of(model: &modelseal_hash::Model) -> Option<Self> {
        let followed = model.followed_symlinks().count();
        // A single-file model reached through a link counts as the model
        // path's link, not as a followed file.
        let followed = if model.kind() == modelseal_hash::ModelKind::File {
            0
        } else {
            followed
        };
        let report = Self {
            model_target: model.resolved_root().map(|p| p.display().to_string()),
            hub_repo: model.hub_repo().map(|p| p.display().to_string()),
            followed,
        };
        (report.model_target.is_some() || report.followed > 0).then_some(report)
    }
}

/// The outcome of a trust policy: every rule, every attestation.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyReport {
    /// The policy file.
    pub policy: String,
    /// The SHA-256 of the policy file's text, hex (an object in JSON).
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub policy_digest: String,
    /// The attestations file read.
    pub attestations_file: String,
    /// When the policy was evaluated, RFC 3339.
    pub evaluated_at: String,
    /// The policy signer who signed the model.
    pub model_signer: String,
    /// The signed manifest's manifest digest, hex (an object in JSON): the
    /// `manifestDigest` an attestation must carry to count, besides the
    /// root digest as its subject.
    #[serde(serialize_with = "modelseal_hash::digest_json::sha256_hex")]
    #[schemars(with = "modelseal_hash::DigestJson")]
    pub manifest_digest: String,
    /// True when every rule passed.
    pub passed: bool,
    /// Each rule's outcome.
    pub rules: Vec<modelseal_attest::RuleOutcome>,
    /// Each attestation, in file order.
    pub attestations: Vec<AttestationEntry>,
}

/// One attestation as a policy saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AttestationEntry {
    /// Its line in the attestations file.
    pub line: usize,
    /// The predicate's short name (`lineage`, …), when it could be read.
    pub predicate: Option<&'static str>,
    /// The policy signer's name, when identified.
    pub signer: Option<String>,
    /// The role the statement claims.
    pub role: Option<&'static str>,
    /// When the statement says it was made.
    pub attested_at: Option<String>,
    /// The root digest it is bound to, `sha256:HEX`; a `{algorithm,
    /// digest}` object in JSON.
    #[serde(serialize_with = "modelseal_hash::digest_json::labelled_opt")]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub subject_digest: Option<String>,
    /// The manifest digest it is bound to, `sha256:HEX` (an object in
    /// JSON); `None` for a v1 statement (bound to the root digest only) or
    /// one that could not be read.
    #[serde(serialize_with = "modelseal_hash::digest_json::labelled_opt")]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub manifest_digest: Option<String>,
    /// The statement's `predicateType` URI (v1 or v2), when it verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<&'static str>,
    /// The SHA-256 of the signed statement (the DSSE payload of this line's
    /// bundle), `sha256:HEX`; a `{algorithm, digest}` object in JSON.
    #[serde(serialize_with = "modelseal_hash::digest_json::labelled_opt")]
    #[schemars(with = "Option<modelseal_hash::DigestJson>")]
    pub statement_digest: Option<String>,
    /// The key id (hex SHA-256 of the public key PEM) of a key signer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The key algorithm of a key signer (`p256`, `ed25519`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_algorithm: Option<&'static str>,
    /// The required leaf subject of a certificate signer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_subject: Option<String>,
    /// `accepted`, `other-model`, `root-only`, `expired`,
    /// `untrusted-signer`, `signer-not-valid`, `role-not-held`,
    /// `bad-signature` or `malformed`.
    pub status: &'static str,
    /// Why, when not accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What it says, in a few words.
    pub summary: Option<String>,
    /// The rules that count it as evidence (empty: an accepted statement
    /// no rule uses, or one that does not count). Filled where rules were
    /// evaluated (`verify --policy`, `report`).
    pub counted_by: Vec<&'static str>,
}

/// Who signed a verified model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignerReport {
    /// A key given with `--key`.
    Key {
        /// Hex SHA-256 of the public key PEM (OMS `publicKey.hint`).
        key_id: String,
        /// The signature's `publicKey.hint` when it is not `key_id`: the
        /// hint is not signed, so this is a note, not a failure (the
        /// signature verified with the key). Omitted when the hint matches.
        #[serde(skip_serializing_if = "Option::is_none")]
        unmatched_hint: Option<String>,
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
    /// A Sigstore keyless signature: a Fulcio certificate for an OIDC
    /// identity, logged in Rekor, verified offline.
    Sigstore {
        /// The certificate's identity (SAN: email, URI or otherName).
        identity: String,
        /// The OIDC issuer.
        issuer: String,
        /// The Rekor log index.
        log_index: u64,
        /// The log's base URL, from the trusted root.
        #[serde(skip_serializing_if = "Option::is_none")]
        log_url: Option<String>,
        /// The SET-authenticated integrated time, RFC 3339.
        #[serde(skip_serializing_if = "Option::is_none")]
        integrated_time: Option<String>,
        /// The verified RFC 3161 timestamps' times, RFC 3339.
        tsa_times: Vec<String>,
        /// The certificate's validity, RFC 3339.
        not_before: String,
        /// The certificate's validity, RFC 3339.
        not_after: String,
    },
}

impl SignerReport {
    /// One line naming the signer: `key HEX`, `certificate SUBJECT`, or
    /// `IDENTITY (ISSUER)` for a keyless signature.
    pub fn describe(&self) -> String {
        match self {
            Self::Key { key_id, .. } => format!("key {key_id}"),
            Self::Certificate { subject, .. } => format!("certificate {subject}"),
            Self::Sigstore {
                identity, issuer, ..
            } => format!("{identity} ({issuer})"),
        }
    }
}

/// The signed `serialization`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
    /// A signed file that is gone, and an unsigned file with its signed
    /// content: the file was renamed (or copied and the original deleted).
    /// Fails like the missing file it stands for.
    Renamed {
        /// The signed name.
        from: String,
        /// The name on disk now.
        to: String,
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
    /// One line saying what the finding is (`modified: config.json`).
    pub fn describe(&self) -> String {
        match self {
            Finding::Modified { name, .. } => format!("modified: {name}"),
            Finding::SizeChanged { name, .. } => format!("size changed: {name}"),
            Finding::Missing { name } => format!("missing: {name}"),
            Finding::Renamed { from, to } => format!("renamed: {from} -> {to}"),
            Finding::Unsigned { name, .. } => format!("unsigned: {name}"),
            Finding::NotSigned { name } => format!("not signed: {name}"),
            Finding::InvalidFormat { name, format, .. } => format!("invalid {format}: {name}"),
            Finding::UnsafeFormat { name, format, .. } => format!("unsafe format {format}: {name}"),
            Finding::PathProblem { message, .. } => format!("path problem: {message}"),
        }
    }

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TensorChanges {
    /// Tensors whose bytes, dtype or shape changed.
    pub changed: Vec<String>,
    /// Tensors that were not signed.
    pub added: Vec<String>,
    /// Signed tensors that are gone.
    pub removed: Vec<String>,
}

/// A model file whose format was identified but whose contents the gate
/// does not inspect (HDF5, ONNX, SavedModel, a ZIP of no known layout, JSON
/// over the size cap): nothing was checked about what it does when loaded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct UncheckedFile {
    /// Its name in the model.
    pub name: String,
    /// The format identified (`onnx`, `hdf5`, …).
    pub format: String,
    /// Why it was not checked.
    pub reason: String,
}
