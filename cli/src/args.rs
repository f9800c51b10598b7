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
    /// Identify every file of a model and check it: safetensors and GGUF
    /// headers validated, pickle-based files (which run code when loaded)
    /// flagged with the globals they import.
    Inspect(InspectArgs),
}

/// The format gate of `sign` and `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum UnsafeFormatsArg {
    /// Fail on any pickle-based file, signed or not.
    Deny,
    /// Report pickle-based files, but do not fail.
    #[default]
    Warn,
    /// Do not report pickle-based files (invalid files still fail).
    Allow,
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

    /// Follow symbolic links that stay inside the model (refused by default).
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
    /// Ed25519 (RFC 8032): small, fast, deterministic. Not in the OMS
    /// registry: only Ed25519-aware verifiers read it.
    #[default]
    Ed25519,
    /// ECDSA P-256 with SHA-256: what the OMS reference tools use.
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
    /// it, the MODELSEAL_PASSWORD environment variable is used if set.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// Arguments of `modelseal keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The private key file to write; the public key goes to PATH.pub.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,

    /// Key algorithm.
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

    /// Where to write the signature (default: MODEL/model.sig for a
    /// directory, MODEL.sig beside a single file).
    #[arg(long, value_name = "OUT")]
    pub signature: Option<PathBuf>,

    /// Replace an existing signature.
    #[arg(long)]
    pub force: bool,

    /// Pickle-based files (which run code when loaded): refuse to sign
    /// (deny), sign and warn, or allow silently. Invalid safetensors and GGUF
    /// files are refused unless `allow`.
    #[arg(long, value_enum, default_value_t)]
    pub unsafe_formats: UnsafeFormatsArg,

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

    #[command(flatten)]
    pub password: PasswordArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `modelseal verify`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("trust").required(true).args(["key", "cert_chain"])))]
pub struct VerifyArgs {
    /// The model: a directory or a single file.
    pub model: PathBuf,

    /// The signature (default: MODEL/model.sig for a directory, MODEL.sig
    /// beside a single file).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// Trust this public key (SubjectPublicKeyInfo PEM): the bundle must be
    /// signed by it.
    #[arg(long, value_name = "PUB.pem")]
    pub key: Option<PathBuf>,

    /// Trust these root certificates (PEM; a file may hold several): the
    /// bundle's certificate chain must lead to one of them. Repeatable.
    #[arg(long = "cert-chain", value_name = "ROOT.pem")]
    pub cert_chain: Vec<PathBuf>,

    /// Also exclude this path (relative to the model, or absolute inside
    /// it), beyond those the signature records. Repeatable.
    #[arg(long = "ignore", value_name = "PATH")]
    pub ignore: Vec<PathBuf>,

    /// Do not fail on files that were not signed (they are still listed).
    #[arg(long)]
    pub ignore_unsigned_files: bool,

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

    /// Pickle-based files (which run code when loaded): fail (deny), report
    /// (warn) or ignore (allow). Invalid safetensors and GGUF files always
    /// fail.
    #[arg(long, value_enum, default_value_t)]
    pub unsafe_formats: UnsafeFormatsArg,

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

    /// The files the commit touches (pre-commit passes them).
    pub files: Vec<PathBuf>,
}

/// Arguments of `modelseal hook formats`.
#[derive(Debug, Args)]
pub struct HookFormatsArgs {
    /// Allow pickle-based files (they are still reported).
    #[arg(long)]
    pub allow_pickle: bool,

    /// The files to check (pre-commit passes them).
    pub files: Vec<PathBuf>,
}
