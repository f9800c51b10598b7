//! The `modelseal` command line as a library: the `modelseal` binary and
//! the Python package's console command and API run this same code.
//!
//! It is glue: it parses arguments, builds option values, calls the
//! libraries and renders their results. Exit codes: 0 done or verified,
//! 1 verification failed, 2 usage, I/O or internal error.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod env;
mod output;
mod progress;

use std::ffi::OsString;

use clap::Parser;

/// Runs the command line `args` (the program name first), printing as the
/// binary does, and returns its exit code.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    output::reopen_stdout();
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    match commands::run(cli) {
        Ok(status) => status as u8,
        Err(error) => {
            if !output::is_broken_pipe(&error) {
                // A broken pipe that reached here came before the command
                // could decide (the writers absorb it and let the command
                // finish): never report success for what did not finish.
                output::print_error(&error);
            }
            commands::Status::Error as u8
        }
    }
}

/// Why [`run_captured`] produced no document.
#[derive(Debug)]
pub enum Failure {
    /// The arguments do not parse (clap's message), or do not make sense
    /// together.
    Usage(String),
    /// A file the command needs does not exist (the error and its causes).
    NotFound(String),
    /// Any other error (the error and its causes on one line).
    Error(String),
}

/// Runs the command line `args` with stdout collected: the exit code and
/// what it printed (the `--format json` document, given that flag), or
/// the error it stopped with. Warnings still go to stderr.
pub fn run_captured<I, T>(args: I) -> Result<(u8, Vec<u8>), Failure>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = args::Cli::try_parse_from(args).map_err(|e| Failure::Usage(e.to_string()))?;
    let (outcome, out) = output::capture(|| commands::run(cli));
    match outcome {
        Ok(status) => Ok((status as u8, out)),
        Err(error) => {
            let text = modelseal::attestation::policy::chain_text(error.as_ref());
            let not_found = error
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::NotFound);
            let usage = error
                .chain()
                .any(|e| matches!(e.downcast_ref(), Some(modelseal::Error::Usage(_))));
            Err(if usage {
                Failure::Usage(text)
            } else if not_found {
                Failure::NotFound(text)
            } else {
                Failure::Error(text)
            })
        }
    }
}

/// clap's own report of `--help`, `--version` or a usage error, and its
/// exit code (0 for help and version, 2 for errors).
fn clap_exit(e: &clap::Error) -> u8 {
    let _ = e.print();
    if e.use_stderr() { 2 } else { 0 }
}
