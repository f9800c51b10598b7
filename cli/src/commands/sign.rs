//! `modelseal sign`: hash a model and write its signature.

use serde::Serialize;

use crate::args::{Format, SignArgs};
use crate::commands::Status;
use crate::output::{self, DigestJson, JSON_VERSION};
use crate::progress::Progress;

/// `modelseal sign --format json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct SignJson {
    kind: &'static str,
    version: u32,
    model: String,
    signature: String,
    key_id: String,
    method: &'static str,
    serialization: modelseal::SerializationReport,
    root_digest: DigestJson,
    file_count: usize,
    tensor_file_count: usize,
    resource_count: usize,
    bytes: u64,
    elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<modelseal::LinksReport>,
}

pub fn run(args: &SignArgs) -> anyhow::Result<Status> {
    let (key, certificates) = args.signer.load()?;
    let mut hash = args.hashing.hash_options()?;
    // Size the progress bar from a first cheap walk only when it will show.
    let progress = Progress::for_model(&args.model);
    hash.progress = progress.callback();
    let options = modelseal::SignOptions {
        walk: args.hashing.walk_options(),
        hash,
        signature: args.signature.clone(),
        certificates,
        force: args.force,
        unsafe_formats: args.unsafe_formats.policy(),
        allow_globals: crate::args::allow_globals(&args.allow_global)?,
        tensors: args.tensors,
        cache_dir: if args.incremental {
            Some(super::cache_dir()?)
        } else {
            None
        },
        // A full pass still leaves its digests for `status` (best effort).
        fill_cache: if args.incremental {
            None
        } else {
            super::cache_dir().ok()
        },
    };
    let outcome = modelseal::sign_model(&args.model, &key, &options);
    progress.finish();
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error @ modelseal::Error::FormatGate(_)) => {
            output::print_error(&error.into());
            return Ok(Status::Failure);
        }
        Err(error) => return Err(error.into()),
    };
    output::warn_unused_ignores(&outcome.unused_ignore_paths);
    if outcome.stale_attestations > 0 {
        output::print_warning(&format!(
            "{} bound to the manifest this signature replaced: {} now only history \
             (other-model); re-attest with `modelseal attest ... {}`",
            output::plural(outcome.stale_attestations, "attestation"),
            if outcome.stale_attestations == 1 {
                "it counts"
            } else {
                "they count"
            },
            args.model.display()
        ));
    }
    for warning in &outcome.warnings {
        if let modelseal::Finding::UnsafeFormat {
            name,
            format,
            dangerous_globals,
            ..
        } = warning
        {
            let globals = if dangerous_globals.is_empty() {
                String::new()
            } else {
                format!(" (imports {})", dangerous_globals.join(", "))
            };
            output::print_warning(&format!(
                "`{name}` is {format}, which can run code when loaded{globals}"
            ));
        }
    }

    let report = SignJson {
        kind: "sign",
        version: JSON_VERSION,
        model: args.model.display().to_string(),
        signature: outcome.signature.display().to_string(),
        key_id: outcome.key_id.clone(),
        method: if options.certificates.is_empty() {
            "key"
        } else {
            "certificate"
        },
        serialization: (&outcome.manifest.serialization).into(),
        root_digest: DigestJson::sha256_hex(&outcome.manifest.root_digest.to_hex()),
        file_count: outcome.files,
        tensor_file_count: outcome.tensor_files,
        resource_count: outcome.manifest.resources.len(),
        bytes: outcome.manifest.total_size(),
        elapsed_ms: outcome.elapsed.as_secs_f64() * 1000.0,
        links: outcome.links.clone(),
    };
    match args.format {
        Format::Json => output::write_json(&report)?,
        Format::Text => {
            let mut text = format!(
                "signed `{}`: {}, {}, {} {}\n  signature  {}\n  signer     {} {}\n  root       sha256:{}\n",
                report.model,
                output::plural(report.file_count, "file"),
                output::human_bytes(report.bytes),
                report.serialization.hash_type,
                report.serialization.method,
                report.signature,
                report.method,
                report.key_id,
                report.root_digest.digest,
            );
            if let Some(links) = &report.links {
                output::write_links(&mut text, links);
            }
            output::write_text(&text)?;
        }
    }
    Ok(Status::Success)
}
