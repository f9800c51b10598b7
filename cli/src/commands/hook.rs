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
    /// Pickle globals `hook formats` accepts (a project's own classes):
    /// `MODULE.NAME` or `MODULE.*`.
    #[serde(default)]
    allow_globals: Vec<String>,
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
    let trust = HookTrust::load(args)?;
    let (mut failed, mut errors) = (0, 0);
    let mut text = String::new();
    for (model, signature) in &targets {
        if std::fs::symlink_metadata(signature).is_err() {
            failed += 1;
            let _ = writeln!(
                text,
                "`{}`: its signature `{}` is missing (deleted by this commit?) while the model's \
                 files remain\nhint: re-sign the model, or delete the whole model in the same commit",
                model.display(),
                signature.display()
            );
            continue;
        }
        let outcome = trust.check(model, signature, &cache_dir);
        let (clean, findings, policy) = match outcome {
            Ok(checked) => checked,
            // A signature that is malformed, forged or from the wrong signer
            // is a failed check (exit 1), reported with the others.
            Err(error) if error.is_verification_failure() => {
                failed += 1;
                let _ = writeln!(text, "`{}`: {}", model.display(), output::chain(&error));
                continue;
            }
            // A disk or usage error is no verdict: stderr, exit 2, and the
            // other models are still checked.
            Err(error) => {
                errors += 1;
                output::print_error(&anyhow::Error::new(error).context(format!(
                    "cannot check `{}` against `{}`",
                    model.display(),
                    signature.display()
                )));
                continue;
            }
        };
        if !clean {
            failed += 1;
            let _ = writeln!(
                text,
                "`{}` does not pass against `{}`:",
                model.display(),
                signature.display()
            );
            write_findings(&mut text, &findings);
            if let Some(policy) = &policy {
                super::verify::write_policy(&mut text, policy);
            }
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
    }
    Ok(if errors > 0 {
        Status::Error
    } else if failed > 0 {
        Status::Failure
    } else {
        Status::Success
    })
}

/// What the verify hook checks: content only (the default), or content and
/// signer (`--key`, `--policy`).
enum HookTrust {
    Content,
    Key(Box<modelseal::PublicKey>),
    Policy(std::sync::Arc<modelseal::Policy>),
}

/// A check's outcome: passed, the findings, and the policy's report.
type HookChecked = (
    bool,
    Vec<modelseal::Finding>,
    Option<modelseal::PolicyReport>,
);

impl HookTrust {
    fn load(args: &HookVerifyArgs) -> anyhow::Result<Self> {
        Ok(match (&args.key, &args.policy) {
            (Some(key), _) => Self::Key(Box::new(modelseal::load_public_key(key)?)),
            (None, Some(policy)) => {
                Self::Policy(std::sync::Arc::new(modelseal::Policy::load(policy)?))
            }
            (None, None) => Self::Content,
        })
    }

    fn check(
        &self,
        model: &Path,
        signature: &Path,
        cache_dir: &Path,
    ) -> Result<HookChecked, modelseal::Error> {
        let mut options = match self {
            Self::Content => {
                let options = modelseal::StatusOptions {
                    signature: Some(signature.to_owned()),
                    cache_dir: Some(cache_dir.to_owned()),
                    unsafe_formats: modelseal::UnsafeFormats::Allow,
                    threads: None,
                    progress: None,
                };
                let report = modelseal::status_model(model, &options)?;
                return Ok((report.clean, report.findings, None));
            }
            Self::Key(key) => {
                modelseal::VerifyOptions::new(modelseal::Trust::PublicKey((**key).clone()))
            }
            Self::Policy(policy) => {
                let mut options = modelseal::VerifyOptions::new(modelseal::Trust::Roots {
                    roots: Vec::new(),
                    time: None,
                });
                options.policy = Some(policy.clone());
                options
            }
        };
        // A developer's own checkout: the digest cache is fine here (see
        // README, "When `--cached` is acceptable").
        options.signature = Some(signature.to_owned());
        options.cache_dir = Some(cache_dir.to_owned());
        options.unsafe_formats = modelseal::UnsafeFormats::Allow;
        let report = modelseal::verify_model(model, &options)?;
        Ok((report.verified, report.findings, report.policy))
    }
}

/// The models to check: `--model`; else those `.modelseal.toml` lists and
/// the directories holding a `model.sig` above the files the commit
/// touches, added or deleted (every signed model when it touches none).
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
    // pre-commit passes no names for deleted files: a commit that only
    // deletes a signed file would otherwise check nothing.
    let touched: Vec<PathBuf> = args
        .files
        .iter()
        .cloned()
        .chain(staged_deletions())
        .collect();
    let mut targets: BTreeSet<Target> = BTreeSet::new();
    // The configuration adds models (those whose signature is elsewhere);
    // it does not turn off finding the others.
    if let Some(config) = read_config(&args.config)? {
        for model in config.model {
            let signature = model
                .signature
                .clone()
                .unwrap_or_else(|| modelseal::default_signature_path(&model.path));
            let is_touched = touched.is_empty()
                || touched
                    .iter()
                    .any(|f| f.starts_with(&model.path) || f == &signature);
            if is_touched {
                targets.insert((model.path, signature));
            }
        }
    }
    if touched.is_empty() {
        find_signed_models(Path::new("."), &mut targets)?;
    }
    for file in &touched {
        if let Some(model) = signed_model_of(file) {
            let signature = model.join(modelseal::SIGNATURE_FILE_NAME);
            targets.insert((model, signature));
        }
        // A deleted signature of a model whose files remain: checked, so
        // that tampering cannot hide behind deleting the signature.
        if file
            .file_name()
            .is_some_and(|n| n == modelseal::SIGNATURE_FILE_NAME)
            && std::fs::symlink_metadata(file).is_err()
        {
            let model = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            if holds_files(&model) {
                targets.insert((model, file.clone()));
            }
        }
    }
    Ok(targets.into_iter().collect())
}

/// The paths the commit being made deletes, as git's index says (relative
/// to the repository root, where pre-commit runs hooks). Empty outside a
/// git repository.
fn staged_deletions() -> Vec<PathBuf> {
    let output = std::process::Command::new("git")
        .args(["diff", "--cached", "--name-only", "--diff-filter=D", "-z"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => out
            .stdout
            .split(|&b| b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `dir` is a directory holding anything (the model's files are
/// still there after its signature was deleted).
fn holds_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

fn read_config(path: &Path) -> anyhow::Result<Option<Config>> {
    // A repository's file: a regular file (no FIFO to hang the commit on),
    // and small.
    const MAX_CONFIG: u64 = 1 << 20;
    let text = match modelseal_hash::read_regular(path, modelseal_hash::Links::Follow, MAX_CONFIG) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("`{}` is not UTF-8", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => anyhow::bail!("cannot read `{}`: {e}", path.display()),
    };
    let config: Config = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("`{}` is not a valid configuration: {e}", path.display()))?;
    for model in &config.model {
        inside_repository(path, &model.path)?;
        if let Some(signature) = &model.signature {
            inside_repository(path, signature)?;
        }
    }
    Ok(Some(config))
}

/// A path `.modelseal.toml` names must stay inside the repository: relative,
/// without `..`, and not a link that leads out of it.
fn inside_repository(config: &Path, path: &Path) -> anyhow::Result<()> {
    use std::path::Component;
    let refuse = |why: &str| {
        anyhow::anyhow!(
            "`{}`: path `{}` {why}; paths are relative to the repository root and stay inside it",
            config.display(),
            path.display()
        )
    };
    if path.as_os_str().is_empty() {
        return Err(refuse("is empty"));
    }
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(refuse("contains `..`")),
            Component::RootDir | Component::Prefix(_) => return Err(refuse("is absolute")),
        }
    }
    let root = std::fs::canonicalize(".")
        .map_err(|e| anyhow::anyhow!("cannot resolve the working directory: {e}"))?;
    if let Ok(resolved) = std::fs::canonicalize(path) {
        if !resolved.starts_with(&root) {
            return Err(refuse(&format!(
                "leads to `{}`, outside the repository",
                resolved.display()
            )));
        }
    }
    Ok(())
}

/// The nearest directory above `file` (or `file`'s own, for a `model.sig`)
/// that holds a `model.sig` (of any file type: one replaced by a link or a
/// directory is a signed model whose signature is broken), within the
/// working directory.
fn signed_model_of(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent();
    while let Some(candidate) = dir {
        let here = if candidate.as_os_str().is_empty() {
            Path::new(".")
        } else {
            candidate
        };
        if std::fs::symlink_metadata(here.join(modelseal::SIGNATURE_FILE_NAME)).is_ok() {
            return Some(here.to_owned());
        }
        dir = candidate.parent();
    }
    None
}

/// Every directory below `dir` holding a `model.sig` of any file type
/// (`.git` skipped, links to directories not followed).
fn find_signed_models(dir: &Path, found: &mut BTreeSet<Target>) -> anyhow::Result<()> {
    let signature = dir.join(modelseal::SIGNATURE_FILE_NAME);
    if std::fs::symlink_metadata(&signature).is_ok() {
        found.insert((dir.to_owned(), signature));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", dir.display()))?;
        let file_type = entry
            .file_type()
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", entry.path().display()))?;
        if file_type.is_dir()
            && entry.file_name() != ".git"
            && entry.file_name() != modelseal::SIGNATURE_FILE_NAME
        {
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
    let mut allow_globals = crate::args::allow_globals(&args.allow_global)?;
    for entry in read_config(&args.config)?
        .iter()
        .flat_map(|c| &c.allow_globals)
    {
        allow_globals
            .add(entry)
            .map_err(|e| anyhow::anyhow!("`{}`: {e}", args.config.display()))?;
    }
    let gate = modelseal::FormatGate {
        unsafe_formats: policy,
        allow_globals,
    };
    let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    let files = names
        .iter()
        .zip(&args.files)
        .filter(|(_, path)| path.is_file())
        .map(|(name, path)| (name.as_str(), path.as_path()));
    let findings = modelseal::check_files(files, &gate)?;
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
