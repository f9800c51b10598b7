//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Sign machine-learning models and verify them before loading.
#[derive(Debug, Parser)]
#[command(name = "modelseal", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hash a model (a directory or one file) and print each resource's
    /// digest and the root digest.
    Hash(HashArgs),
    /// Generate a signing key pair: PATH (private, mode 0600) and PATH.pub.
    Keygen(KeygenArgs),
    /// Sign a model: hash it and write an OMS v1.0 signature bundle.
    Sign(SignArgs),
    /// Verify a model against its signature before loading it.
    Verify(VerifyArgs),
    /// Show what changed in a model since it was signed (content only: no
    /// key needed, no trust established; `verify` does that).
    Status(StatusArgs),
    /// Checks for the pre-commit framework (see `.pre-commit-hooks.yaml`).
    #[command(subcommand)]
    Hook(HookCommand),
    /// Sign a statement about a model (dataset provenance, lineage, a
    /// security test, an exception) bound to its root digest, and add it to
    /// the model's attestations file.
    #[command(subcommand)]
    Attest(AttestCommand),
    /// List a model's attestations: type, signer, role, and (with
    /// --policy) whether each is valid.
    Attestations(AttestationsArgs),
    /// Show a model's versions through its lineage statements, each link
    /// checked against its parent's root digest.
    Log(LogArgs),
    /// Evidence report for ETSI EN 304 223: provision by provision, the
    /// signed statements that evidence it and what is missing.
    Report(ReportArgs),
    /// Check a signed evidence report (`report --out FILE --sign KEY`):
    /// the file is the one signed, by a trusted signer.
    VerifyReport(VerifyReportArgs),
    /// Find every model under some paths (hub caches, model directories,
    /// Ollama stores, lone model files) and list what each is, where it
    /// came from and whether its signature holds; CycloneDX ML-BOM with
    /// `--format cyclonedx`.
    Inventory(InventoryArgs),
    /// The known-good store: signed models that verified, kept as an OCI
    /// image layout (add, list, verify, gc).
    #[command(subcommand)]
    Store(StoreCommand),
    /// Restore a stored version into a directory: written beside it,
    /// verified, then moved into place in one rename.
    Restore(RestoreArgs),
    /// Identify every file of a model and check it: safetensors and GGUF
    /// headers validated, pickle-based files (which run code when loaded)
    /// flagged with the globals they import.
    Inspect(InspectArgs),
    /// Print the JSON Schema (draft 2020-12) of a subcommand's `--format
    /// json` document; the same schemas are in `docs/schemas/`.
    Schema(SchemaArgs),
}

/// Arguments of `modelseal inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Directory trees or files to look for models in.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Whom to trust: every signature is verified with it. Without one,
    /// signatures are checked against their manifests only (who signed is
    /// not checked).
    #[command(flatten)]
    pub trust: TrustArgs,

    /// Exit 1 unless models were found, nothing was left unchecked, and
    /// every model is signed (a signature its files match) or verified
    /// (with the trust given), listing what falls short. Without a trust,
    /// `signed` checks content only: anyone can write a matching model.sig.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub require: Option<RequireArg>,

    /// Hash every file instead of reusing digests of unchanged files from
    /// the digest cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Hashing threads (default: RAYON_NUM_THREADS, else one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Output format: text, the JSON report, or a CycloneDX 1.6 ML-BOM.
    #[arg(long, value_enum, default_value_t)]
    pub format: InventoryFormat,
}

/// `modelseal store …`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Store a model directory that verifies (any trust `verify` takes),
    /// with its signature and attestations, as NAME:VERSION.
    Add(StoreAddArgs),
    /// List the stored versions.
    List(StoreArgs),
    /// Check every blob against its digest, and with a trust every
    /// version's signature over its stored files.
    Verify(StoreVerifyArgs),
    /// Remove blobs no stored version refers to.
    Gc(StoreArgs),
}

/// A store and an output format.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store: an OCI image layout directory.
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `modelseal store add`.
#[derive(Debug, Args)]
pub struct StoreAddArgs {
    /// The model directory.
    pub model: PathBuf,

    /// NAME:VERSION (default: the directory name and the first 12 digits
    /// of its signed root digest).
    #[arg(long, value_name = "NAME:VERSION")]
    pub tag: Option<String>,

    /// The signature (default: MODEL/model.sig); stored as the version's
    /// model.sig.
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    #[command(flatten)]
    pub trust: TrustArgs,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// Arguments of `modelseal store verify`.
#[derive(Debug, Args)]
pub struct StoreVerifyArgs {
    /// With a trust, every version's signature is verified over its
    /// stored files; without, only the blob digests are checked.
    #[command(flatten)]
    pub trust: TrustArgs,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// Arguments of `modelseal restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The stored version, NAME:VERSION.
    #[arg(required_unless_present = "repair", conflicts_with = "repair")]
    pub name: Option<String>,

    /// Where to restore it (a directory; never overwritten without
    /// --force).
    #[arg(required_unless_present = "repair", conflicts_with = "repair")]
    pub dest: Option<PathBuf>,

    /// Replace an existing DEST (atomically where the system allows).
    #[arg(long, conflicts_with = "repair")]
    pub force: bool,

    /// Repair this model directory in place instead: only the files
    /// `verify` reports missing or modified against the stored version
    /// are written (each by one rename), then it is verified.
    #[arg(long, value_name = "MODEL", requires = "from")]
    pub repair: Option<PathBuf>,

    /// With --repair: the stored version to repair from, NAME:VERSION.
    #[arg(long, value_name = "NAME:VERSION", requires = "repair")]
    pub from: Option<String>,

    /// With --repair: also remove files nobody signed.
    #[arg(long, requires = "repair")]
    pub prune: bool,

    #[command(flatten)]
    pub trust: TrustArgs,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// `inventory --require`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequireArg {
    /// A signature the files match (who signed is checked when a trust is
    /// given).
    Signed,
    /// A signature verified with the trust given (needs one).
    Verified,
}

/// `inventory --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum InventoryFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// The versioned JSON report.
    Json,
    /// A CycloneDX 1.6 JSON BOM.
    Cyclonedx,
}

/// Arguments of `modelseal schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The subcommand whose JSON document to describe.
    #[arg(value_enum)]
    pub document: SchemaDocument,
}

/// The JSON documents `modelseal` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaDocument {
    /// `modelseal hash --format json`.
    Hash,
    /// `modelseal sign --format json`.
    Sign,
    /// `modelseal verify --format json`.
    Verify,
    /// `modelseal status --format json`.
    Status,
    /// `modelseal inspect --format json`.
    Inspect,
    /// `modelseal inventory --format json`.
    Inventory,
    /// `modelseal store add --format json`.
    StoreAdd,
    /// `modelseal store list --format json`.
    StoreList,
    /// `modelseal store verify --format json`.
    StoreVerify,
    /// `modelseal store gc --format json`.
    StoreGc,
    /// `modelseal restore --format json`.
    Restore,
    /// `modelseal restore --repair --format json`.
    Repair,
    /// `modelseal attest … --format json`.
    Attest,
    /// `modelseal attestations --format json`.
    Attestations,
    /// `modelseal log --format json`.
    Log,
    /// `modelseal report --format json`.
    Report,
    /// `modelseal verify-report --format json`.
    VerifyReport,
}

impl SchemaDocument {
    /// The subcommand's name, as in the document's `kind`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hash => "hash",
            Self::Sign => "sign",
            Self::Verify => "verify",
            Self::Status => "status",
            Self::Inspect => "inspect",
            Self::Inventory => "inventory",
            Self::StoreAdd => "store-add",
            Self::StoreList => "store-list",
            Self::StoreVerify => "store-verify",
            Self::StoreGc => "store-gc",
            Self::Restore => "restore",
            Self::Repair => "repair",
            Self::Attest => "attest",
            Self::Attestations => "attestations",
            Self::Log => "log",
            Self::Report => "report",
            Self::VerifyReport => "verify-report",
        }
    }
}

/// The format gate of `sign` and `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum UnsafeFormatsArg {
    /// Fail on any pickle-based file, signed or not.
    Deny,
    /// Fail on pickle-based files that import a dangerous global (os.system,
    /// subprocess, builtins.eval, ...); report the others without failing.
    #[default]
    Warn,
    /// Do not report pickle-based files (invalid files still fail).
    Allow,
}

/// `--allow-global MODULE.NAME`: checked as it is parsed, so a dangerous or
/// malformed entry is a usage error.
pub fn parse_allow_global(entry: &str) -> Result<String, String> {
    modelseal::AllowGlobals::new([entry])
        .map(|_| entry.to_owned())
        .map_err(|e| e.to_string())
}

/// The allow-list of `--allow-global` entries (each already checked).
pub fn allow_globals(entries: &[String]) -> anyhow::Result<modelseal::AllowGlobals> {
    Ok(modelseal::AllowGlobals::new(entries)?)
}

impl UnsafeFormatsArg {
    /// The library's policy.
    pub fn policy(self) -> modelseal::UnsafeFormats {
        match self {
            Self::Deny => modelseal::UnsafeFormats::Deny,
            Self::Warn => modelseal::UnsafeFormats::Warn,
            Self::Allow => modelseal::UnsafeFormats::Allow,
        }
    }
}

/// Arguments of `modelseal status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The model: a directory or a single file.
    pub model: PathBuf,

    /// The signature (default: MODEL/model.sig for a directory, MODEL.sig
    /// beside a single file).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// Hash every file instead of reusing digests of unchanged files from
    /// the digest cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Pickle-based files: listed as failing (deny), listed (warn), or not
    /// listed (allow).
    #[arg(long, value_enum, default_value_t)]
    pub unsafe_formats: UnsafeFormatsArg,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `modelseal inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A model directory or a single file.
    pub model: PathBuf,

    /// Follow symbolic links that stay inside the model.
    #[arg(long)]
    pub allow_symlinks: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// A versioned JSON document (see README, "JSON output").
    Json,
}

/// Hash algorithms, as the CLI spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum HashArg {
    /// SHA-256: what `sha256sum` and Git LFS use.
    #[default]
    Sha256,
    /// BLAKE3: parallel inside one file, fastest on large files.
    Blake3,
    /// BLAKE2b-512.
    Blake2b,
}

/// Serialization methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum MethodArg {
    /// One digest per file.
    #[default]
    Files,
    /// One digest per byte range of `--shard-size` bytes.
    Shards,
}

/// How to walk and hash a model: shared by `hash` and `sign`.
#[derive(Debug, Args)]
pub struct HashingArgs {
    /// Hash algorithm for file digests.
    #[arg(long = "hash", value_enum, default_value_t)]
    pub hash: HashArg,

    /// Hash whole files, or fixed-size shards of them.
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,

    /// Shard size in bytes (implies `--method shards`; default 1000000000).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_size: Option<u64>,

    /// Exclude a file or directory subtree: a path relative to the model, or
    /// an absolute path inside it. Repeatable.
    #[arg(long = "ignore", value_name = "PATH")]
    pub ignore: Vec<PathBuf>,

    /// Follow symbolic links that stay inside the model (refused by default,
    /// except links in a Hugging Face hub cache snapshot into its own
    /// `blobs/`, which are always followed).
    #[arg(long)]
    pub allow_symlinks: bool,

    /// Hashing threads (default: RAYON_NUM_THREADS, else one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

/// Arguments of `modelseal hash`.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// The model: a directory or a single file.
    pub model: PathBuf,

    #[command(flatten)]
    pub hashing: HashingArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Key algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum KeyAlgorithmArg {
    /// Ed25519 (RFC 8032): small and fast. Not in the OMS algorithm
    /// registry: only modelseal-aware verifiers read its signatures (the
    /// reference `model_signing` tool does not).
    Ed25519,
    /// ECDSA P-256 with SHA-256 (the default): what the OMS reference tools
    /// use and verify.
    #[default]
    P256,
    /// ECDSA P-384 with SHA-384.
    P384,
    /// ECDSA P-521 with SHA-512.
    P521,
}

/// Where a private key's password comes from.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the private key's password from this file (first line). Without
    /// it, the MODELSEAL_PASSWORD environment variable is used if set. An
    /// encrypted key loaded with neither has its password asked for on the
    /// terminal (not echoed).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// Arguments of `modelseal keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The private key file to write; the public key goes to PATH.pub.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// Key algorithm. The reference `model_signing` tool verifies the
    /// ECDSA ones; ed25519 signatures only verify with modelseal-aware tools.
    #[arg(long, value_enum, default_value_t)]
    pub algorithm: KeyAlgorithmArg,

    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Arguments of `modelseal sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The model: a directory or a single file.
    pub model: PathBuf,

    /// The signing key and certificates.
    #[command(flatten)]
    pub signer: SignerArgs,

    /// Where to write the signature (default: MODEL/model.sig for a
    /// directory, MODEL.sig beside a single file).
    #[arg(long, value_name = "OUT")]
    pub signature: Option<PathBuf>,

    /// Replace an existing signature.
    #[arg(long)]
    pub force: bool,

    /// Pickle-based files (which run code when loaded): refuse to sign
    /// (deny); refuse those importing a dangerous global and warn about the
    /// others (warn); or allow silently. Invalid safetensors and GGUF files
    /// are refused whatever this says.
    #[arg(long, value_enum, default_value_t)]
    pub unsafe_formats: UnsafeFormatsArg,

    /// Accept this pickle global (a project's own class) as known-safe
    /// rather than unknown: MODULE.NAME or MODULE.*; repeatable. A global
    /// rated dangerous cannot be listed.
    #[arg(long, value_name = "MODULE.NAME", value_parser = parse_allow_global)]
    pub allow_global: Vec<String>,

    /// Record per-tensor digests (name, dtype, shape, digest) of every
    /// safetensors file in the signature (files method only).
    #[arg(long)]
    pub tensors: bool,

    /// Re-hash only files whose stat (size, times, inode) changed since the
    /// digest cache last saw them; the rest come from the cache. Use with
    /// `--force` to renew an existing signature.
    #[arg(long)]
    pub incremental: bool,

    #[command(flatten)]
    pub hashing: HashingArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Who signs: a private key, and optionally its certificate chain.
#[derive(Debug, Args)]
pub struct SignerArgs {
    /// The private key (PKCS#8, encrypted PKCS#8 or SEC1 PEM).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,

    /// Sign with this certificate (PEM) for the key (certificate method).
    #[arg(long, value_name = "LEAF.pem")]
    pub cert: Option<PathBuf>,

    /// Intermediate CA certificates to include after the leaf (PEM; a file
    /// may hold several). Repeatable.
    #[arg(long = "cert-chain", value_name = "CA.pem", requires = "cert")]
    pub cert_chain: Vec<PathBuf>,

    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Arguments of `modelseal verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The model: a directory or a single file.
    pub model: PathBuf,

    /// The signature (default: MODEL/model.sig for a directory, MODEL.sig
    /// beside a single file).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    #[command(flatten)]
    pub trust: TrustArgs,

    /// The attestations file (default: MODEL/model.att.jsonl, or
    /// MODEL.att.jsonl beside a single file).
    #[arg(long, value_name = "FILE", requires = "policy")]
    pub attestations: Option<PathBuf>,

    /// Also exclude this path (relative to the model, or absolute inside
    /// it), beyond those the signature records. Repeatable.
    #[arg(long = "ignore", value_name = "PATH")]
    pub ignore: Vec<PathBuf>,

    /// Do not fail on files that were not signed (they are still listed).
    #[arg(long)]
    pub ignore_unsigned_files: bool,

    /// Follow symbolic links that stay inside the model, even when the
    /// signature does not record `allow_symlinks` (as the reference tool's
    /// `--allow_symlinks`). Links in a Hugging Face hub cache snapshot into
    /// its own `blobs/` are followed without it.
    #[arg(long)]
    pub allow_symlinks: bool,

    /// Partial verification: check the signature and only these files
    /// (relative to the model, or absolute inside it); no other file is
    /// read. Takes one or more paths; repeatable.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub only: Vec<PathBuf>,

    /// Reuse digests of files whose stat is unchanged from the digest cache
    /// (faster; a stat cache can be fooled by restored timestamps: see the
    /// README's Security model before using it for verification).
    #[arg(long)]
    pub cached: bool,

    /// Pickle-based files (which run code when loaded): fail (deny); fail
    /// those importing a dangerous global and report the others (warn); or
    /// ignore (allow). Invalid safetensors and GGUF files always fail.
    #[arg(long, value_enum, default_value_t)]
    pub unsafe_formats: UnsafeFormatsArg,

    /// Accept this pickle global (a project's own class) as known-safe
    /// rather than unknown: MODULE.NAME or MODULE.*; repeatable. A global
    /// rated dangerous cannot be listed.
    #[arg(long, value_name = "MODULE.NAME", value_parser = parse_allow_global)]
    pub allow_global: Vec<String>,

    /// Hashing threads (default: RAYON_NUM_THREADS, else one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// The pre-commit hooks.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Block a commit that changes signed model files while the signature
    /// was not renewed. Checks the signed models the given files belong to
    /// (each directory holding a `model.sig`, or those `.modelseal.toml`
    /// lists); with no files, every signed model in the working directory.
    Verify(HookVerifyArgs),
    /// Block committing invalid safetensors/GGUF files and pickle-based
    /// files (which run code when loaded).
    Formats(HookFormatsArgs),
}

/// Arguments of `modelseal hook verify`.
#[derive(Debug, Args)]
pub struct HookVerifyArgs {
    /// Check this model (repeatable) instead of finding models from FILES.
    #[arg(long, value_name = "DIR")]
    pub model: Vec<PathBuf>,

    /// The signature of the `--model` given (default: MODEL/model.sig).
    #[arg(long, value_name = "SIG", requires = "model")]
    pub signature: Option<PathBuf>,

    /// The configuration listing models and their signatures.
    #[arg(long, value_name = "FILE", default_value = ".modelseal.toml")]
    pub config: PathBuf,

    /// Make the hook a trust check: each model's signature must also be
    /// made by this public key (without it, the hook checks only that the
    /// files match their signature, whoever made it).
    #[arg(long, value_name = "PUB.pem", conflicts_with = "policy")]
    pub key: Option<PathBuf>,

    /// Make the hook a trust check against a trust policy: its signers and
    /// its rules, as `verify --policy`.
    #[arg(long, value_name = "POLICY.toml")]
    pub policy: Option<PathBuf>,

    /// The files the commit touches (pre-commit passes them).
    pub files: Vec<PathBuf>,
}

/// Arguments of `modelseal hook formats`.
#[derive(Debug, Args)]
pub struct HookFormatsArgs {
    /// Allow pickle-based files (they are still reported), except those
    /// that import a dangerous global.
    #[arg(long)]
    pub allow_pickle: bool,

    /// Accept this pickle global (a project's own class): MODULE.NAME or
    /// MODULE.*; repeatable, added to `allow_globals` of the configuration.
    #[arg(long, value_name = "MODULE.NAME", value_parser = parse_allow_global)]
    pub allow_global: Vec<String>,

    /// The configuration (its `allow_globals` list is read).
    #[arg(long, value_name = "FILE", default_value = ".modelseal.toml")]
    pub config: PathBuf,

    /// The files to check (pre-commit passes them).
    pub files: Vec<PathBuf>,
}

/// The kinds of attestation `modelseal attest` makes.
#[derive(Debug, Subcommand)]
pub enum AttestCommand {
    /// Dataset provenance (data custodian): hashes the local copy, records
    /// where and when it was obtained.
    Dataset(AttestDatasetArgs),
    /// Lineage (developer): this version, its parent, base model, training
    /// data and what changed.
    Lineage(AttestLineageArgs),
    /// A security test or evaluation (tester) run on these exact weights.
    Test(AttestTestArgs),
    /// An exception (developer or operator) for a component that is not
    /// well documented or not safe by default, such as a pickle file.
    Exception(AttestExceptionArgs),
    /// Any modelseal predicate from a JSON or TOML file.
    File(AttestFileArgs),
}

/// What every `modelseal attest` takes.
#[derive(Debug, Args)]
pub struct AttestCommon {
    /// The model: a directory or a single file.
    pub model: PathBuf,

    /// The signing key and certificates.
    #[command(flatten)]
    pub signer: SignerArgs,

    /// The role you act in (default: data-custodian for dataset provenance,
    /// developer for lineage and exception, tester for tests). A policy accepts the
    /// attestation only if your key holds this role.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,

    /// The model's signature, whose root digest the statement binds to
    /// (default: MODEL/model.sig). An unsigned model is hashed with the
    /// defaults of `modelseal sign`.
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// The attestations file to append to (default: MODEL/model.att.jsonl,
    /// or MODEL.att.jsonl beside a single file).
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,

    /// Reuse digests of unchanged files from the digest cache when checking
    /// the model against its signature.
    #[arg(long)]
    pub cached: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `modelseal attest dataset`.
#[derive(Debug, Args)]
pub struct AttestDatasetArgs {
    #[command(flatten)]
    pub common: AttestCommon,
    /// The dataset's name (as the lineage statement will name it).
    #[arg(long)]
    pub name: String,
    /// Where it was obtained (e.g. the URL of the scraped page).
    #[arg(long, value_name = "URI")]
    pub source: String,
    /// The local copy (a file or directory), hashed with SHA-256.
    #[arg(long, value_name = "PATH")]
    pub path: PathBuf,
    /// When it was obtained, RFC 3339 (default: the local copy's creation
    /// time, else its modification time).
    #[arg(long, value_name = "TIME")]
    pub retrieved_at: Option<String>,
    /// Its licence (an SPDX identifier where there is one).
    #[arg(long, default_value = "unknown")]
    pub license: String,
    /// How it was obtained.
    #[arg(long, default_value = "download")]
    pub obtained_by: String,
    /// How it is used: pre-training, fine-tuning, evaluation. Repeatable.
    #[arg(long, value_name = "USAGE", default_value = "fine-tuning")]
    pub usage: Vec<String>,
    /// Who holds and answers for it (a name or team).
    #[arg(long, default_value = "data custodian")]
    pub custodian: String,
}

/// Arguments of `modelseal attest lineage`.
#[derive(Debug, Args)]
pub struct AttestLineageArgs {
    #[command(flatten)]
    pub common: AttestCommon,
    /// This version.
    #[arg(long, value_name = "VERSION")]
    pub model_version: String,
    /// The version it derives from.
    #[arg(long, value_name = "VERSION")]
    pub parent_version: Option<String>,
    /// The parent's root digest, sha256:HEX (default: the subject of the
    /// parent version's lineage statement in the attestations file).
    #[arg(long, value_name = "DIGEST", requires = "parent_version")]
    pub parent_digest: Option<String>,
    /// The base model it was fine-tuned from.
    #[arg(long, value_name = "NAME", requires_all = ["base_model_source", "base_model_digest"])]
    pub base_model: Option<String>,
    /// Where the base model came from.
    #[arg(long, value_name = "URI", requires = "base_model")]
    pub base_model_source: Option<String>,
    /// The base model's digest, sha256:HEX.
    #[arg(long, value_name = "DIGEST", requires = "base_model")]
    pub base_model_digest: Option<String>,
    /// What changed, e.g. "retrained on new data".
    #[arg(long)]
    pub change: String,
    /// A dataset the weights were trained on: NAME=sha256:HEX, or NAME to
    /// take the digest from its provenance attestation. Repeatable.
    #[arg(long = "dataset", value_name = "NAME[=DIGEST]")]
    pub datasets: Vec<String>,
}

/// Arguments of `modelseal attest test`.
#[derive(Debug, Args)]
pub struct AttestTestArgs {
    #[command(flatten)]
    pub common: AttestCommon,
    /// What was run (suite and version).
    #[arg(long)]
    pub name: String,
    /// security-test, evaluation or red-team.
    #[arg(long, default_value = "security-test")]
    pub kind: String,
    /// pass, fail or inconclusive.
    #[arg(long)]
    pub result: String,
    /// The report file (its SHA-256 is recorded).
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// Where the report is published (default: its file name).
    #[arg(long, value_name = "URI")]
    pub report_uri: Option<String>,
    /// Who ran it.
    #[arg(long)]
    pub tester: String,
    /// When it ran, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    pub performed_at: Option<String>,
}

/// Arguments of `modelseal attest exception`.
#[derive(Debug, Args)]
pub struct AttestExceptionArgs {
    #[command(flatten)]
    pub common: AttestCommon,
    /// The component, by its path inside the model.
    #[arg(long, value_name = "PATH")]
    pub component: String,
    /// Why it is used.
    #[arg(long)]
    pub justification: String,
    /// The risk assessment document (its SHA-256 is recorded).
    #[arg(long, value_name = "FILE")]
    pub risk_assessment: PathBuf,
    /// Where the risk assessment is published (default: its file name).
    #[arg(long, value_name = "URI")]
    pub risk_assessment_uri: Option<String>,
    /// What limits the risk. Repeatable; at least one.
    #[arg(long = "mitigation", value_name = "TEXT", required = true)]
    pub mitigations: Vec<String>,
    /// Who approved it.
    #[arg(long)]
    pub approver: String,
    /// When the exception ends, RFC 3339.
    #[arg(long, value_name = "TIME")]
    pub expires: String,
}

/// Arguments of `modelseal attest file`.
#[derive(Debug, Args)]
pub struct AttestFileArgs {
    #[command(flatten)]
    pub common: AttestCommon,
    /// The predicate type: dataset-provenance, lineage, security-test,
    /// exception, or its URI.
    #[arg(long = "type", value_name = "TYPE")]
    pub predicate_type: String,
    /// The predicate, JSON or TOML (by extension); `role` (from --role, else
    /// the type's usual role) and `attestedAt` (now) are filled in when
    /// absent.
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
}

/// A model, its signature and its attestations file.
#[derive(Debug, Args)]
pub struct ModelFiles {
    /// The model: a directory or a single file.
    pub model: PathBuf,
    /// The model's signature (default: MODEL/model.sig, or MODEL.sig beside
    /// a single file).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// The attestations file (default: MODEL/model.att.jsonl, or
    /// MODEL.att.jsonl beside a single file).
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,
}

/// Arguments of `modelseal attestations`.
#[derive(Debug, Args)]
pub struct AttestationsArgs {
    #[command(flatten)]
    pub files: ModelFiles,
    /// Check each attestation's signature, signer, role and subject with
    /// this trust policy (without it nothing is verified).
    #[arg(long, value_name = "POLICY.toml")]
    pub policy: Option<PathBuf>,
    /// Show only the attestation on this line of the attestations file,
    /// with its signed statement in full (the numbers `report` and
    /// `verify --policy` cite).
    #[arg(long, value_name = "LINE")]
    pub show: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `modelseal log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub files: ModelFiles,
    /// The trust policy whose signers' lineage statements count.
    #[arg(long, value_name = "POLICY.toml")]
    pub policy: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    /// Markdown, for people.
    #[default]
    Md,
    /// A versioned JSON document.
    Json,
}

/// Whom to trust, as `verify` and `inventory` take it.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Trust this public key (SubjectPublicKeyInfo PEM): the bundle must be
    /// signed by it.
    #[arg(long, value_name = "PUB.pem")]
    pub key: Option<PathBuf>,

    /// Trust these root certificates (PEM; a file may hold several): the
    /// bundle's certificate chain must lead to one of them. Repeatable.
    #[arg(long = "cert-chain", value_name = "ROOT.pem")]
    pub cert_chain: Vec<PathBuf>,

    #[command(flatten)]
    pub keyless: KeylessArgs,

    /// Verify with a trust policy (see docs/policy.md): its signers decide
    /// who may sign the model, and its rules are checked against the
    /// model's attestations. Replaces --key and --cert-chain.
    #[arg(long, value_name = "POLICY.toml", conflicts_with_all = ["key", "cert_chain"])]
    pub policy: Option<PathBuf>,
}

/// Sigstore keyless verification: who must have signed, and the trusted
/// root (no network: the public-good root is embedded).
#[derive(Debug, Args)]
pub struct KeylessArgs {
    /// Keyless: the certificate identity (SAN: email, URI or otherName),
    /// matched exactly.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with_all = ["key", "cert_chain", "policy", "identity_regex"]
    )]
    pub identity: Option<String>,
    /// Keyless: a regular expression the whole identity must match.
    #[arg(long, value_name = "RE", conflicts_with_all = ["key", "cert_chain", "policy"])]
    pub identity_regex: Option<String>,
    /// Keyless: the OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8,
    /// else .1.1), matched exactly.
    #[arg(
        long,
        alias = "identity-provider",
        value_name = "URL",
        conflicts_with_all = ["key", "cert_chain", "policy", "issuer_regex"]
    )]
    pub issuer: Option<String>,
    /// Keyless: a regular expression the whole issuer must match.
    #[arg(long, value_name = "RE", conflicts_with_all = ["key", "cert_chain", "policy"])]
    pub issuer_regex: Option<String>,
    /// Keyless: trust the Sigstore staging instance (embedded root).
    #[arg(long, conflicts_with_all = ["trust_root", "trust_config", "key", "cert_chain"])]
    pub use_staging: bool,
    /// Keyless: trust this `trusted_root.json` (a private Sigstore
    /// deployment) instead of the embedded public-good root.
    #[arg(
        long,
        value_name = "trusted_root.json",
        conflicts_with_all = ["trust_config", "key", "cert_chain"]
    )]
    pub trust_root: Option<PathBuf>,
    /// Keyless: trust the root of this ClientTrustConfig (the reference
    /// tool's `--trust_config`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "cert_chain"])]
    pub trust_config: Option<PathBuf>,
}

/// Arguments of `modelseal report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The known-good store the model is kept in: 5.2.1-3 (restoring a
    /// known good state) is met when it holds a verified copy.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    #[command(flatten)]
    pub files: ModelFiles,
    /// The trust policy.
    #[arg(long, value_name = "POLICY.toml")]
    pub policy: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Sign the written report with this private key: FILE.sig, a DSSE
    /// statement of the file's SHA-256 and what it evaluated, which
    /// `modelseal verify-report` checks.
    #[arg(long, value_name = "KEY", requires = "out")]
    pub sign: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Replace an existing FILE (and FILE.sig).
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Arguments of `modelseal verify-report`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("trust").required(true).args(["key", "policy"])))]
pub struct VerifyReportArgs {
    /// The report file.
    pub report: PathBuf,
    /// Its signature (default: REPORT.sig).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// Trust this public key.
    #[arg(long, value_name = "PUB.pem")]
    pub key: Option<PathBuf>,
    /// Trust the signers of this policy (in good standing).
    #[arg(long, value_name = "POLICY.toml")]
    pub policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[cfg(test)]
mod tests {
    /// clap checks its definition only when a subcommand is parsed: a clash
    /// (two arguments with one id, say) would otherwise surface as a panic
    /// the first time a user runs that subcommand.
    #[test]
    fn every_subcommand_definition_is_consistent() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
