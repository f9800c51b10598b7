//! One module per subcommand.

mod attest;
mod attestations;
mod hash;
mod hook;
mod inspect;
mod inventory;
mod keygen;
mod known_good;
mod log;
mod report;
mod schema;
mod sign;
mod status;
pub mod verify;

use zeroize::Zeroizing;

use crate::args::{
    Cli, Command, HashArg, HashingArgs, KeyAlgorithmArg, MethodArg, PasswordArgs, SignerArgs,
};

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done, or verified.
    Success = 0,
    /// Verification failed.
    Failure = 1,
    /// Usage, I/O or internal error.
    Error = 2,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::Hash(args) => hash::run(&args),
        Command::Keygen(args) => keygen::run(&args),
        Command::Sign(args) => sign::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Inventory(args) => inventory::run(&args),
        Command::Store(command) => known_good::run(&command),
        Command::Restore(args) => known_good::restore(&args),
        Command::Status(args) => status::run(&args),
        Command::Hook(command) => hook::run(&command),
        Command::Attest(command) => attest::run(&command),
        Command::Attestations(args) => attestations::run(&args),
        Command::Log(args) => log::run(&args),
        Command::Report(args) => report::run(&args),
        Command::VerifyReport(args) => report::verify(&args),
        Command::Schema(args) => schema::run(&args),
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
            ..modelseal_hash::WalkOptions::default()
        }
    }
}

impl crate::args::ModelFiles {
    /// The library's options naming the signature and attestations files.
    pub fn attest_options(&self) -> modelseal::AttestOptions {
        modelseal::AttestOptions {
            signature: self.signature.clone(),
            attestations: self.attestations.clone(),
            ..modelseal::AttestOptions::default()
        }
    }
}

impl SignerArgs {
    /// The signing key (decrypted with the password, if any) and the
    /// certificate chain (empty for the key method).
    pub fn load(&self) -> anyhow::Result<(modelseal::SigningKey, Vec<Vec<u8>>)> {
        let password = self.password.password()?;
        let key =
            match modelseal::load_signing_key(&self.key, password.as_deref().map(Vec::as_slice)) {
                Err(modelseal::Error::Key {
                    source: modelseal::KeyError::Encrypted { .. },
                    ..
                }) if password.is_none() => {
                    let password = PasswordArgs::prompt(&self.key)?;
                    modelseal::load_signing_key(&self.key, Some(&password))?
                }
                loaded => loaded?,
            };
        let mut certificates = Vec::new();
        if let Some(leaf) = &self.cert {
            certificates.extend(modelseal::load_certificates(leaf)?);
            for chain in &self.cert_chain {
                certificates.extend(modelseal::load_certificates(chain)?);
            }
        }
        Ok((key, certificates))
    }
}

impl PasswordArgs {
    /// The password from `--password-file`, else `MODELSEAL_PASSWORD`.
    pub fn password(&self) -> anyhow::Result<Option<Zeroizing<Vec<u8>>>> {
        if let Some(path) = &self.password_file {
            use std::io::Read as _;
            // A password is short; cap the read so `/dev/zero` cannot exhaust memory.
            const MAX_PASSWORD_FILE: u64 = 64 << 10;
            let mut text = Zeroizing::new(Vec::new());
            std::fs::File::open(path)
                .and_then(|f| f.take(MAX_PASSWORD_FILE + 1).read_to_end(&mut text))
                .map_err(|e| {
                    anyhow::anyhow!("cannot read password file `{}`: {e}", path.display())
                })?;
            if text.len() as u64 > MAX_PASSWORD_FILE {
                anyhow::bail!(
                    "password file `{}` is larger than {MAX_PASSWORD_FILE} bytes",
                    path.display()
                );
            }
            // The first line; a trailing newline is not part of the password.
            let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                anyhow::bail!("password file `{}` is empty", path.display());
            }
            return Ok(Some(Zeroizing::new(line.to_vec())));
        }
        Ok(std::env::var_os(crate::env::MODELSEAL_PASSWORD)
            .filter(|p| !p.is_empty())
            .map(|p| Zeroizing::new(p.into_encoded_bytes())))
    }

    /// Asks for the password of the encrypted private key `key` on the
    /// terminal, without echo. Off a terminal (a pipe, CI) it fails with
    /// the ways to give one instead.
    pub fn prompt(key: &std::path::Path) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        use std::io::IsTerminal as _;
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "the private key `{}` is encrypted and no password was given\n\
                 hint: give it with `--password-file FILE` or the {} environment variable",
                key.display(),
                crate::env::MODELSEAL_PASSWORD
            );
        }
        let typed = Zeroizing::new(
            rpassword::prompt_password(format!("password for `{}`: ", key.display()))
                .map_err(|e| anyhow::anyhow!("cannot read the password from the terminal: {e}"))?,
        );
        if typed.is_empty() {
            anyhow::bail!("no password typed for `{}`", key.display());
        }
        Ok(Zeroizing::new(typed.as_bytes().to_vec()))
    }
}

impl KeyAlgorithmArg {
    /// The library's algorithm.
    pub fn algorithm(self) -> modelseal::KeyAlgorithm {
        match self {
            KeyAlgorithmArg::Ed25519 => modelseal::KeyAlgorithm::Ed25519,
            KeyAlgorithmArg::P256 => modelseal::KeyAlgorithm::P256,
            KeyAlgorithmArg::P384 => modelseal::KeyAlgorithm::P384,
            KeyAlgorithmArg::P521 => modelseal::KeyAlgorithm::P521,
        }
    }
}

/// The digest cache directory, or an error saying how to name one.
pub fn cache_dir() -> anyhow::Result<std::path::PathBuf> {
    modelseal::DigestCache::default_dir().ok_or_else(|| {
        anyhow::anyhow!(
            "no cache directory: set {} (or HOME)",
            modelseal_hash::CACHE_DIR_ENV
        )
    })
}

/// Renders the outcome of a check: its report (exit 0 when `passed`, else
/// 1), or a signature file that does not verify (exit 1, the error on
/// stderr). Other errors are returned (exit 2).
pub fn render_check<R: serde::Serialize>(
    (kind, model): (&'static str, &std::path::Path),
    outcome: Result<R, modelseal::Error>,
    format: crate::args::Format,
    to_text: impl Fn(&R) -> String,
    passed: impl Fn(&R) -> bool,
) -> anyhow::Result<Status> {
    let report = match outcome {
        Ok(report) => report,
        Err(error) if error.is_verification_failure() => {
            // `jq .verified` must work in every case: a document that says
            // what failed, beside the message on stderr.
            if format == crate::args::Format::Json {
                crate::output::write_json(&crate::output::failure_document(kind, model, &error))?;
            }
            crate::output::print_error(&error.into());
            return Ok(Status::Failure);
        }
        Err(error) => return Err(error.into()),
    };
    match format {
        crate::args::Format::Json => crate::output::write_json(&report)?,
        crate::args::Format::Text => crate::output::write_text(&to_text(&report))?,
    }
    Ok(if passed(&report) {
        Status::Success
    } else {
        Status::Failure
    })
}
