//! `modelseal store …` and `modelseal restore`: the known-good store.

use std::fmt::Write as _;

use crate::args::{Format, RestoreArgs, StoreCommand, TrustArgs};
use crate::commands::Status;
use crate::commands::verify::{trust_options, write_findings};
use crate::output::{self, human_bytes, plural};

/// The trust for storing and restoring: required (a store holds only what
/// verified, and hands back only what verifies).
fn required_trust(trust: &TrustArgs, what: &str) -> anyhow::Result<modelseal::VerifyOptions> {
    trust_options(trust)?.ok_or_else(|| {
        modelseal::Error::Usage(format!(
            "{what} needs to know whom to trust: --key PUB.pem, --cert-chain ROOT.pem, --policy \
             POLICY.toml, or --identity and --issuer"
        ))
        .into()
    })
}

fn render<R: serde::Serialize>(
    format: Format,
    report: &R,
    text: impl FnOnce(&R) -> String,
) -> anyhow::Result<()> {
    match format {
        Format::Json => output::write_json(report)?,
        Format::Text => output::write_text(&text(report))?,
    }
    Ok(())
}

/// A signature refused by the trust: the error on stderr, exit 1.
fn refused(e: modelseal::Error, what: &str) -> anyhow::Result<Status> {
    output::print_error(&anyhow::Error::new(e).context(what.to_owned()));
    Ok(Status::Failure)
}

pub fn run(command: &StoreCommand) -> anyhow::Result<Status> {
    match command {
        StoreCommand::Add(args) => {
            let mut options = required_trust(&args.trust, "store add")?;
            options.signature.clone_from(&args.signature);
            let report = match modelseal::store_model(
                &args.model,
                &args.store.store,
                args.tag.as_deref(),
                &options,
            ) {
                Ok(report) => report,
                // A signature that does not verify: nothing stored, exit 1.
                Err(e) if e.is_verification_failure() => return refused(e, "not stored"),
                Err(e) => return Err(e.into()),
            };
            render(args.store.format, &report, |r| {
                let mut text = String::new();
                if r.stored {
                    let _ = writeln!(
                        text,
                        "stored `{}` as {} in `{}`: {}, {} new ({}){}",
                        r.verification.model,
                        r.name,
                        r.store,
                        plural(r.files, "file"),
                        plural(r.new_blobs, "blob"),
                        human_bytes(r.new_bytes),
                        if r.unchanged { ", already stored" } else { "" }
                    );
                } else {
                    let _ = writeln!(
                        text,
                        "not stored: `{}` does not verify",
                        r.verification.model
                    );
                    write_findings(&mut text, &r.verification.findings);
                }
                text
            })?;
            Ok(if report.stored {
                Status::Success
            } else {
                Status::Failure
            })
        }
        StoreCommand::List(args) => {
            let report = modelseal::list_store(&args.store)?;
            render(args.format, &report, |report| {
                let mut text = String::new();
                let versions = &report.versions;
                for v in versions {
                    let _ = writeln!(
                        text,
                        "{}  {}  {}  root {}  stored {}",
                        output::one_line(&v.name),
                        plural(v.files, "file"),
                        human_bytes(v.bytes),
                        v.root_digest.as_deref().unwrap_or("?"),
                        v.created.as_deref().unwrap_or("?")
                    );
                }
                if versions.is_empty() {
                    text.push_str("no stored versions\n");
                }
                text
            })?;
            Ok(Status::Success)
        }
        StoreCommand::Verify(args) => {
            let options = trust_options(&args.trust)?;
            let report = modelseal::verify_store(&args.store.store, options.as_ref())?;
            render(args.store.format, &report, |r| {
                let mut text = String::new();
                for p in &r.problems {
                    let _ = writeln!(
                        text,
                        "  blob          {}: {}",
                        output::one_line(&p.path),
                        output::one_line(&p.reason)
                    );
                }
                for v in &r.versions {
                    let state = match v.signature_verified {
                        Some(true) => "signature verified over the stored files".to_owned(),
                        Some(false) => format!(
                            "FAILED: {}",
                            output::one_line(v.reason.as_deref().unwrap_or("?"))
                        ),
                        None => "signature not checked (no trust given)".to_owned(),
                    };
                    let _ = writeln!(text, "  {}  {state}", output::one_line(&v.name));
                }
                let _ = writeln!(
                    text,
                    "{}: {} checked, {}",
                    r.store,
                    plural(r.versions.len(), "version"),
                    if r.verified {
                        "ok".to_owned()
                    } else {
                        format!("{} blob problems", r.problems.len())
                    }
                );
                text
            })?;
            Ok(if report.verified {
                Status::Success
            } else {
                Status::Failure
            })
        }
        StoreCommand::Gc(args) => {
            let report = modelseal::gc_store(&args.store)?;
            render(args.format, &report, |r| {
                format!(
                    "removed {} ({}) from `{}`\n",
                    plural(r.removed.len(), "blob"),
                    human_bytes(r.bytes),
                    r.store
                )
            })?;
            Ok(Status::Success)
        }
    }
}

pub fn restore(args: &RestoreArgs) -> anyhow::Result<Status> {
    let options = required_trust(&args.trust, "restore")?;
    if let (Some(model), Some(from)) = (&args.repair, &args.from) {
        return repair(args, model, from, &options);
    }
    let (Some(name), Some(dest)) = (&args.name, &args.dest) else {
        anyhow::bail!("restore takes NAME:VERSION DEST, or --repair MODEL --from NAME:VERSION");
    };
    let report = match modelseal::restore_model(&args.store.store, name, dest, &options, args.force)
    {
        Ok(report) => report,
        // The stored signature refused by the trust: DEST untouched, exit 1.
        Err(e) if e.is_verification_failure() => {
            return refused(e, &format!("not restored, `{}` untouched", dest.display()));
        }
        Err(e) => return Err(e.into()),
    };
    render(args.store.format, &report, |r| {
        let mut text = String::new();
        if r.restored {
            let _ = writeln!(
                text,
                "restored {} into `{}`: {}, verified{}",
                r.name,
                r.destination,
                plural(r.files, "file"),
                if r.replaced {
                    " (replaced the existing copy)"
                } else {
                    ""
                }
            );
        } else {
            let _ = writeln!(
                text,
                "not restored: the stored copy of {} does not verify; `{}` is untouched",
                r.name, r.destination
            );
            write_findings(&mut text, &r.verification.findings);
        }
        text
    })?;
    Ok(if report.restored {
        Status::Success
    } else {
        Status::Failure
    })
}

fn repair(
    args: &RestoreArgs,
    model: &std::path::Path,
    from: &str,
    options: &modelseal::VerifyOptions,
) -> anyhow::Result<Status> {
    let report = match modelseal::repair_model(&args.store.store, from, model, options, args.prune)
    {
        Ok(report) => report,
        Err(e) if e.is_verification_failure() => {
            return refused(e, &format!("not repaired, `{}` untouched", model.display()));
        }
        Err(e) => return Err(e.into()),
    };
    render(args.store.format, &report, |r| {
        let mut text = String::new();
        for file in &r.replaced {
            let _ = writeln!(text, "  restored      {}", output::one_line(file));
        }
        for file in &r.removed {
            let _ = writeln!(
                text,
                "  removed       {} (unsigned)",
                output::one_line(file)
            );
        }
        for file in &r.unsigned {
            let _ = writeln!(
                text,
                "  unsigned      {} (left; --prune removes it)",
                output::one_line(file)
            );
        }
        let _ = writeln!(
            text,
            "{} `{}` from {}: {}",
            if r.repaired {
                "repaired"
            } else {
                "NOT repaired"
            },
            r.model,
            r.name,
            if r.repaired {
                format!("{} written, verified", plural(r.replaced.len(), "file"))
            } else {
                "it still does not verify".to_owned()
            }
        );
        if !r.repaired {
            write_findings(&mut text, &r.verification.findings);
        }
        text
    })?;
    Ok(if report.repaired {
        Status::Success
    } else {
        Status::Failure
    })
}
