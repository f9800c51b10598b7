//! `modelseal hook verify|formats`: the pre-commit framework's entry points.
//!
//! pre-commit runs them from the repository root with the staged files as
//! arguments, after stashing unstaged changes, so the working tree is what
//! is about to be committed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::args::{HookCommand, HookFormatsArgs, HookVerifyArgs};
use crate::commands::Status;
use crate::commands::verify::write_findings;
use crate::output;

pub fn run(command: &HookCommand) -> anyhow::Result<Status> {
    match command {
        HookCommand::Verify(args) => verify(args),
        HookCommand::Formats(args) => formats(args),
    }
}

/// `.modelseal.toml`: models a repository declares, for layouts where the
/// signature is not `MODEL/model.sig`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    model: Vec<ConfigModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigModel {
    /// The model directory or file, relative to the repository root.
    path: PathBuf,
    /// Its signature (default: PATH/model.sig, or PATH.sig for a file).
    signature: Option<PathBuf>,
}

/// A signed model to check, and its signature.
type Target = (PathBuf, PathBuf);

fn verify(args: &HookVerifyArgs) -> anyhow::Result<Status> {
    let targets = targets(args)?;
    let cache_dir = super::cache_dir()?;
    let mut failed = 0;
    let mut text = String::new();
    for (model, signature) in &targets {
        let options = modelseal::StatusOptions {
            signature: Some(signature.clone()),
            cache_dir: Some(cache_dir.clone()),
            unsafe_formats: modelseal::UnsafeFormats::Allow,
            threads: None,
            progress: None,
        };
        let report = match modelseal::status_model(model, &options) {
            Ok(report) => report,
            Err(error) => {
                failed += 1;
                let _ = writeln!(text, "`{}`: {}", model.display(), output::chain(&error));
                continue;
            }
        };
        if !report.clean {
            failed += 1;
            let _ = writeln!(
                text,
                "`{}` changed since `{}` was signed:",
                model.display(),
                signature.display()
            );
            write_findings(&mut text, &report.findings);
            let _ = writeln!(
                text,
                "hint: re-sign it if the changes are intended, then stage the signature:\n      modelseal sign {} --signature {} --key KEY --incremental --force && git add {}",
                model.display(),
                signature.display(),
                signature.display()
            );
        }
    }
    if failed > 0 {
        output::write_text(&text)?;
        return Ok(Status::Failure);
    }
    Ok(Status::Success)
}

/// The models to check: `--model`, else those of `.modelseal.toml`, else
/// the directories holding a `model.sig` above the touched files (every
/// such directory when no file is given).
fn targets(args: &HookVerifyArgs) -> anyhow::Result<Vec<Target>> {
    if !args.model.is_empty() {
        return Ok(args
            .model
            .iter()
            .map(|m| {
                let sig = args
                    .signature
                    .clone()
                    .unwrap_or_else(|| modelseal::default_signature_path(m));
                (m.clone(), sig)
            })
            .collect());
    }
    let configured = read_config(&args.config)?;
    let mut targets: BTreeSet<Target> = BTreeSet::new();
    if let Some(config) = configured {
        for model in config.model {
            let signature = model
                .signature
                .clone()
                .unwrap_or_else(|| modelseal::default_signature_path(&model.path));
            let touched = args.files.is_empty()
                || args
                    .files
                    .iter()
                    .any(|f| f.starts_with(&model.path) || f == &signature);
            if touched {
                targets.insert((model.path, signature));
            }
        }
        return Ok(targets.into_iter().collect());
    }
    if args.files.is_empty() {
        find_signed_models(Path::new("."), &mut targets)?;
    }
    for file in &args.files {
        if let Some(model) = signed_model_of(file) {
            let signature = model.join(modelseal::SIGNATURE_FILE_NAME);
            targets.insert((model, signature));
        }
    }
    Ok(targets.into_iter().collect())
}

fn read_config(path: &Path) -> anyhow::Result<Option<Config>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => anyhow::bail!("cannot read `{}`: {e}", path.display()),
    };
    let config: Config = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("`{}` is not a valid configuration: {e}", path.display()))?;
    Ok(Some(config))
}

/// The nearest directory above `file` (or `file`'s own, for a `model.sig`)
/// that holds a `model.sig`, within the working directory.
fn signed_model_of(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent();
    while let Some(candidate) = dir {
        let here = if candidate.as_os_str().is_empty() {
            Path::new(".")
        } else {
            candidate
        };
        if here.join(modelseal::SIGNATURE_FILE_NAME).is_file() {
            return Some(here.to_owned());
        }
        dir = candidate.parent();
    }
    None
}

/// Every directory below `dir` holding a `model.sig` (`.git` skipped).
fn find_signed_models(dir: &Path, found: &mut BTreeSet<Target>) -> anyhow::Result<()> {
    let signature = dir.join(modelseal::SIGNATURE_FILE_NAME);
    if signature.is_file() {
        found.insert((dir.to_owned(), signature));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", dir.display()))?;
        let file_type = entry
            .file_type()
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", entry.path().display()))?;
        if file_type.is_dir() && entry.file_name() != ".git" {
            find_signed_models(&entry.path(), found)?;
        }
    }
    Ok(())
}

fn formats(args: &HookFormatsArgs) -> anyhow::Result<Status> {
    let policy = if args.allow_pickle {
        modelseal::UnsafeFormats::Warn
    } else {
        modelseal::UnsafeFormats::Deny
    };
    let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    let files = names
        .iter()
        .zip(&args.files)
        .filter(|(_, path)| path.is_file())
        .map(|(name, path)| (name.as_str(), path.as_path()));
    let findings = modelseal::check_files(files, policy)?;
    if findings.is_empty() {
        return Ok(Status::Success);
    }
    let mut text = String::new();
    write_findings(&mut text, &findings);
    let blocked = findings.iter().any(modelseal::Finding::fails);
    if blocked {
        let _ = writeln!(
            text,
            "hint: pickle-based files run code when loaded; convert them to safetensors, or pass --allow-pickle to this hook"
        );
    }
    output::write_text(&text)?;
    Ok(if blocked {
        Status::Failure
    } else {
        Status::Success
    })
}
