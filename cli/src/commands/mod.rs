//! One module per subcommand.

mod hash;

use crate::args::{Cli, Command, HashArg, HashingArgs, MethodArg};

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done, or verified.
    Success = 0,
    /// Verification failed (unused until `verify` exists).
    #[allow(dead_code)]
    Failure = 1,
    /// Usage, I/O or internal error.
    Error = 2,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::Hash(args) => hash::run(&args),
    }
}

impl HashingArgs {
    /// The library's hash options for these arguments.
    pub fn hash_options(&self) -> anyhow::Result<modelseal_hash::HashOptions> {
        let algorithm = match self.hash {
            HashArg::Sha256 => modelseal_hash::HashAlgorithm::Sha256,
            HashArg::Blake3 => modelseal_hash::HashAlgorithm::Blake3,
            HashArg::Blake2b => modelseal_hash::HashAlgorithm::Blake2b,
        };
        let method = match (self.method, self.shard_size) {
            (Some(MethodArg::Files), Some(_)) => {
                anyhow::bail!(
                    "`--shard-size` needs `--method shards` (it was given with `--method files`)"
                )
            }
            (Some(MethodArg::Files), None) | (None, None) => modelseal_hash::Method::Files,
            (Some(MethodArg::Shards) | None, size) => modelseal_hash::Method::Shards {
                shard_size: size.unwrap_or(modelseal_hash::DEFAULT_SHARD_SIZE),
            },
        };
        Ok(modelseal_hash::HashOptions {
            algorithm,
            method: Some(method),
            threads: self.threads.map(usize::from),
            progress: None,
        })
    }

    /// The library's walk options for these arguments.
    pub fn walk_options(&self) -> modelseal_hash::WalkOptions {
        modelseal_hash::WalkOptions {
            allow_symlinks: self.allow_symlinks,
            ignore_paths: self.ignore.clone(),
            exclude_files: Vec::new(),
        }
    }
}
