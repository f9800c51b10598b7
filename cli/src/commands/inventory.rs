//! `modelseal inventory`: every model under some paths.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;

use modelseal::{InventoryModel, InventoryReport, Requirement, SignatureStatus};

use crate::args::{InventoryArgs, InventoryFormat, RequireArg};
use crate::commands::Status;
use crate::commands::verify::{trust_options, write_findings};
use crate::output::{self, human_bytes, plural};

pub fn run(args: &InventoryArgs) -> anyhow::Result<Status> {
    let verify = trust_options(&args.trust)?;
    let requirement = args.require.map(|r| match r {
        RequireArg::Signed => Requirement::Signed,
        RequireArg::Verified => Requirement::Verified,
    });
    if requirement == Some(Requirement::Verified) && verify.is_none() {
        return Err(modelseal::Error::Usage(
            "--require verified needs to know whom to trust: --key PUB.pem, --cert-chain \
             ROOT.pem, --policy POLICY.toml, or --identity and --issuer"
                .to_owned(),
        )
        .into());
    }
    let spinner = Spinner::new();
    let options = modelseal::InventoryOptions {
        verify,
        cache_dir: if args.no_cache {
            None
        } else {
            Some(super::cache_dir()?)
        },
        threads: args.threads.map(usize::from),
        progress: spinner.bytes(),
        scan_progress: spinner.files(),
    };
    let outcome = modelseal::inventory(&args.paths, &options);
    spinner.finish();
    let mut report = outcome?;
    let passed = requirement.is_none_or(|r| report.require(r));
    match args.format {
        InventoryFormat::Json => output::write_json(&report)?,
        InventoryFormat::Cyclonedx => output::write_json(&modelseal::to_cyclonedx(&report))?,
        InventoryFormat::Text => output::write_text(&to_text(&report))?,
    }
    if let Some(require) = report.require.as_ref().filter(|r| !r.passed) {
        let level = match require.level {
            Requirement::Signed => "signed",
            Requirement::Verified => "verified",
        };
        let mut message = if report.models.is_empty() {
            format!("--require {level}: no model found")
        } else {
            format!(
                "{} of {} not {level} (--require {level}):",
                plural(require.falling_short.len(), "model"),
                report.models.len()
            )
        };
        for model in report
            .models
            .iter()
            .filter(|m| require.falling_short.contains(&m.path))
        {
            let _ = write!(
                message,
                "\n  {} ({}): {}",
                output::one_line(&model.name),
                model.signature.status.name(),
                output::one_line(&model.path)
            );
        }
        for skipped in report.skipped.iter().filter(|s| s.unchecked) {
            let _ = write!(
                message,
                "\n  not checked: {}: {}",
                output::one_line(&skipped.path),
                output::one_line(&skipped.reason)
            );
        }
        output::print_error(&anyhow::anyhow!(message));
    }
    Ok(if passed {
        Status::Success
    } else {
        Status::Failure
    })
}

fn to_text(report: &InventoryReport) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} in {} ({} scanned)",
        plural(report.models.len(), "model"),
        report
            .paths
            .iter()
            .map(|p| format!("`{}`", output::one_line(p)))
            .collect::<Vec<_>>()
            .join(", "),
        plural(
            usize::try_from(report.files_scanned).unwrap_or(usize::MAX),
            "file"
        ),
    );
    let _ = writeln!(text, "  trust         {}", report.trust);
    for model in &report.models {
        text.push('\n');
        write_model(&mut text, model);
    }
    for skipped in &report.skipped {
        let _ = writeln!(
            text,
            "\n  skipped       {}: {}",
            output::one_line(&skipped.path),
            output::one_line(&skipped.reason)
        );
    }
    let s = &report.summary;
    let signatures: Vec<String> = s
        .signatures
        .iter()
        .map(|(status, count)| format!("{count} {status}"))
        .collect();
    let _ = writeln!(
        text,
        "\nsummary: {}, {}, {}; {}{}{}",
        plural(s.models, "model"),
        plural(s.files, "file"),
        human_bytes(s.bytes),
        if signatures.is_empty() {
            "none".to_owned()
        } else {
            signatures.join(", ")
        },
        if s.modified > 0 {
            format!("; {} modified", s.modified)
        } else {
            String::new()
        },
        if s.unsafe_formats > 0 {
            format!(
                "; {} with unsafe formats",
                plural(s.unsafe_formats, "model")
            )
        } else {
            String::new()
        },
    );
    text
}

fn write_model(text: &mut String, model: &InventoryModel) {
    let _ = writeln!(
        text,
        "{}  ({})",
        output::one_line(&model.name),
        model.layout.name()
    );
    let _ = writeln!(text, "  path          {}", output::one_line(&model.path));
    let formats: Vec<&str> = model.formats.iter().map(|f| f.name()).collect();
    let _ = writeln!(
        text,
        "  formats       {} ({}, {})",
        if formats.is_empty() {
            "none identified".to_owned()
        } else {
            formats.join(", ")
        },
        plural(model.file_count, "file"),
        human_bytes(model.size)
    );
    let _ = writeln!(
        text,
        "  root digest   {}:{}",
        model.root_digest.algorithm, model.root_digest.digest
    );
    let signature = &model.signature;
    let mut line = signature.status.name().to_owned();
    if let Some(signer) = &signature.signer {
        let _ = write!(line, ", signed by {}", output::one_line(&signer.describe()));
    }
    match signature.status {
        SignatureStatus::Signed => line.push_str(" (files match its manifest; signer not checked)"),
        SignatureStatus::Modified | SignatureStatus::Failed if model.intact == Some(false) => {
            line.push_str(": the files differ from the signed manifest");
        }
        SignatureStatus::Unsigned if model.layout == modelseal::Layout::Ollama => {
            line.push_str(" (Ollama has no signatures; layers checked against their digests)");
        }
        _ => {}
    }
    if let Some(reason) = &signature.reason {
        let _ = write!(line, ": {}", output::one_line(reason));
    }
    let _ = writeln!(text, "  signature     {line}");
    if model.intact == Some(false) {
        write_findings(text, &model.findings);
    }
    for finding in &model.format_findings {
        if let modelseal::Finding::UnsafeFormat {
            name,
            format,
            dangerous_globals,
            fails,
            ..
        } = finding
        {
            let _ = writeln!(
                text,
                "  unsafe        {} ({format}{}){}",
                output::one_line(name),
                if dangerous_globals.is_empty() {
                    String::new()
                } else {
                    format!(": imports {}", dangerous_globals.join(", "))
                },
                if *fails { ", dangerous" } else { "" }
            );
        } else if let modelseal::Finding::InvalidFormat { name, format, .. } = finding {
            let _ = writeln!(
                text,
                "  invalid       {} ({format})",
                output::one_line(name)
            );
        }
    }
    for attestation in &model.attestations {
        let mut what = attestation.predicate.unwrap_or("unreadable").to_owned();
        if let Some(version) = &attestation.version {
            let _ = write!(what, " {}", output::one_line(version));
        }
        if let Some(base) = &attestation.base_model {
            let _ = write!(what, ", base {}", output::one_line(&base.name));
        }
        for dataset in &attestation.datasets {
            let _ = write!(
                what,
                ", dataset {}{}",
                output::one_line(&dataset.name),
                dataset
                    .source_uri
                    .as_ref()
                    .map(|u| format!(" <{}>", output::one_line(u)))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(
            text,
            "  attestation   line {}: {what} ({})",
            attestation.line, attestation.status
        );
    }
    if let Some(card) = &model.card {
        let mut parts = Vec::new();
        if let Some(license) = &card.license {
            parts.push(format!("license {}", output::one_line(license)));
        }
        if !card.base_model.is_empty() {
            parts.push(format!(
                "base model {}",
                output::one_line(&card.base_model.join(", "))
            ));
        }
        if !card.datasets.is_empty() {
            parts.push(format!(
                "datasets {}",
                output::one_line(&card.datasets.join(", "))
            ));
        }
        let _ = writeln!(
            text,
            "  card          {} ({})",
            parts.join("; "),
            card.source
        );
    }
    if !model.refs.is_empty() {
        let _ = writeln!(
            text,
            "  refs          {}",
            output::one_line(&model.refs.join(", "))
        );
    }
    for problem in &model.problems {
        let _ = writeln!(text, "  problem       {}", output::one_line(problem));
    }
}

/// A spinner on stderr (a terminal only): files identified, bytes hashed.
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} files identified {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self(Some(bar))
    }

    fn files(&self) -> Option<modelseal_hash::ProgressFn> {
        let bar = self.0.clone()?;
        Some(Arc::new(move |n| bar.inc(n)))
    }

    fn bytes(&self) -> Option<modelseal_hash::ProgressFn> {
        let bar = self.0.clone()?;
        let hashed = Arc::new(std::sync::atomic::AtomicU64::new(0));
        Some(Arc::new(move |n| {
            let total = hashed.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            bar.set_message(format!("· {} hashed", human_bytes(total)));
        }))
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
