//! `modelseal status`: what changed since the model was signed.

use std::fmt::Write as _;

use modelseal::StatusReport;

use crate::args::StatusArgs;
use crate::commands::Status;
use crate::commands::verify::write_findings;
use crate::progress::Progress;

pub fn run(args: &StatusArgs) -> anyhow::Result<Status> {
    let progress = Progress::for_model(&args.model);
    let options = modelseal::StatusOptions {
        signature: args.signature.clone(),
        cache_dir: if args.no_cache {
            None
        } else {
            Some(super::cache_dir()?)
        },
        unsafe_formats: args.unsafe_formats.policy(),
        threads: None,
        progress: progress.callback(),
    };
    let outcome = modelseal::status_model(&args.model, &options);
    progress.finish();
    super::render_check(
        ("status", &args.model),
        outcome,
        args.format,
        to_text,
        |r| r.clean,
    )
}

fn to_text(report: &StatusReport) -> String {
    let mut text = String::new();
    let differences = report.findings.iter().filter(|f| f.fails()).count();
    if report.clean {
        let _ = writeln!(text, "`{}` matches `{}`", report.model, report.signature);
    } else {
        let _ = writeln!(
            text,
            "`{}` differs from `{}`: {differences} difference{}",
            report.model,
            report.signature,
            if differences == 1 { "" } else { "s" }
        );
    }
    write_findings(&mut text, &report.findings);
    for name in &report.lfs_pointers {
        let _ = writeln!(
            text,
            "  lfs pointer   {name} (compared by its oid, not hashed)"
        );
    }
    if let Some(links) = &report.links {
        crate::output::write_links(&mut text, links);
    }
    let _ = writeln!(text, "  note          {}", report.trust);
    if let Some(cache) = &report.cache {
        let _ = writeln!(
            text,
            "  cache         {} unchanged, {} hashed, in {:.0} ms",
            cache.hits, cache.misses, report.elapsed_ms
        );
    }
    if !report.clean {
        let _ = writeln!(
            text,
            "hint: if the changes are intended, re-sign: modelseal sign {} --key KEY --incremental --force",
            report.model
        );
    }
    text
}
