//! `modelseal keygen`: write a new key pair.

use std::io::Write;

use crate::args::KeygenArgs;
use crate::commands::Status;

pub fn run(args: &KeygenArgs) -> anyhow::Result<Status> {
    let password = args.password.password()?;
    let files = modelseal::generate_key_pair(
        &args.out,
        args.algorithm.algorithm(),
        password.as_deref().map(Vec::as_slice),
        args.force,
    )?;
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "wrote private key `{}` ({}, mode 0600{}) and public key `{}`",
        files.private_key.display(),
        args.algorithm.algorithm().name(),
        if password.is_some() {
            ", encrypted"
        } else {
            ""
        },
        files.public_key.display(),
    )?;
    crate::output::write_text(&format!("{}\n", files.key_id))?;
    Ok(Status::Success)
}
