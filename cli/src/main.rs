//! `modelseal`: sign machine-learning models and verify them before loading.
//!
//! This binary is glue: it parses arguments, builds option values, calls the
//! libraries and renders their results. Exit codes: 0 done or verified,
//! 1 verification failed, 2 usage, I/O or internal error.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod env;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let outcome = commands::run(cli);
    match outcome {
        Ok(status) => ExitCode::from(status as u8),
        Err(error) => {
            if output::is_broken_pipe(&error) {
                // A broken pipe that reached here came before the command
                // could decide (the writers absorb it and let the command
                // finish): never report success for what did not finish.
                return ExitCode::from(commands::Status::Error as u8);
            }
            output::print_error(&error);
            ExitCode::from(commands::Status::Error as u8)
        }
    }
}
