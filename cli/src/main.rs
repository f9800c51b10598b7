//! `modelseal`: sign machine-learning models and verify them before loading.
//!
//! The command line itself is the `modelseal_cli` library (`cli/src/lib.rs`),
//! which the Python package runs too.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(modelseal_cli::main(std::env::args_os()))
}
