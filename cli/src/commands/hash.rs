//! `modelseal hash`: print a model's manifest.

use std::time::Instant;

use crate::args::{Format, HashArgs};
use crate::commands::Status;
use crate::output::{self, HashReport};
use crate::progress::Progress;

pub fn run(args: &HashArgs) -> anyhow::Result<Status> {
    let started = Instant::now();
    let mut options = args.hashing.hash_options()?;
    // As `sign` does: the signature and attestations files are no part of
    // the model, so the root printed here is the root `sign` would sign.
    let mut walk_options = args.hashing.walk_options();
    walk_options
        .exclude_files
        .push(modelseal::default_signature_path(&args.model));
    walk_options
        .exclude_files
        .push(modelseal::default_attestations_path(&args.model));
    let model = modelseal_hash::walk(&args.model, &walk_options)?;
    output::warn_unused_ignores(model.unused_ignore_paths());
    let progress = Progress::for_bytes(model.total_size());
    options.progress = progress.callback();
    let manifest = modelseal_hash::hash_model(&model, &options);
    progress.finish();
    let manifest = manifest?;

    let report = HashReport::new(&model, &manifest, started.elapsed());
    match args.format {
        Format::Json => output::write_json(&report)?,
        Format::Text => output::write_text(&report.to_text())?,
    }
    Ok(Status::Success)
}
