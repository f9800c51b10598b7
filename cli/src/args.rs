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
