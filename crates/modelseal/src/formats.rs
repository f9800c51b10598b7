//! Format checks: what a matching digest does not tell.
//!
//! A signature proves a file is the one that was released, not that it is
//! safe to load. These checks run beside verification (and signing): every
//! file is identified, safetensors headers are validated, and pickle-based
//! files (which run code when loaded) are reported with the globals they
//! import.

use std::path::Path;

use modelseal_formats::{AllowGlobals, Details, FileReport, InspectOptions, Verdict};
use serde::Serialize;

use crate::error::Error;
use crate::report::Finding;

/// What to do about files that can run code when loaded (pickle-based
/// formats: raw pickles, PyTorch checkpoints, joblib, `.npy` object arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnsafeFormats {
    /// Fail on every one: verification reports them as failing findings,
    /// signing refuses.
    Deny,
    /// Fail on those that import a dangerous global (`os.system`,
    /// `subprocess.*`, `builtins.eval`, an unresolvable `STACK_GLOBAL`, …)
    /// or use extension-registry codes; report the others without failing
    /// (the default).
    #[default]
    Warn,
    /// Do not report them. Invalid files (a broken safetensors or GGUF
    /// header, a `.safetensors` file that is not one) still fail.
    Allow,
}

/// The format gate's settings, as `sign`, `verify` and the pre-commit hook
/// apply them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatGate {
    /// What to do about pickle-based files.
    pub unsafe_formats: UnsafeFormats,
    /// Globals accepted beyond the known-safe table (a project's own
    /// classes): rated allowed instead of unknown. Dangerous globals cannot
    /// be listed.
    pub allow_globals: AllowGlobals,
}

/// `modelseal inspect`: every file of a model, identified and checked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InspectReport {
    /// Always `"inspect"`.
    pub kind: &'static str,
    /// [`crate::REPORT_VERSION`].
    pub version: u32,
    /// The model path as given.
    pub model: String,
    /// True when every file is valid and safe to load.
    pub ok: bool,
    /// One report per file, in canonical order (see `modelseal-formats`).
    pub files: Vec<InspectedFile>,
    /// Entries the walk refused (symlinks, special files, …).
    pub problems: Vec<String>,
}

/// One file of an [`InspectReport`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InspectedFile {
    /// The model-relative name.
    pub name: String,
    /// What inspecting it found.
    #[serde(flatten)]
    pub report: FileReport,
}

/// Identifies and checks every file of a model (a directory or one file).
/// Only headers and pickle streams are read, never whole weight files.
///
/// # Errors
/// Walk errors other than per-entry problems, and files that cannot be read.
pub fn inspect_model(model: &Path, allow_symlinks: bool) -> Result<InspectReport, Error> {
    let options = modelseal_hash::WalkOptions {
        allow_symlinks,
        keep_going: true,
        ..modelseal_hash::WalkOptions::default()
    };
    let walked = modelseal_hash::walk(model, &options)?;
    let inspect = InspectOptions::default();
    let mut files = Vec::with_capacity(walked.files().len());
    for file in walked.files() {
        let report = modelseal_formats::inspect_file_as(file.content_path(), &file.name, &inspect)
            .map_err(|e| Error::Format(Box::new(e)))?;
        files.push(InspectedFile {
            name: file.name.clone(),
            report,
        });
    }
    let problems: Vec<String> = walked.problems().iter().map(ToString::to_string).collect();
    let ok = problems.is_empty()
        && !files.is_empty()
        && files.iter().all(|f| {
            !matches!(
                f.report.verdict,
                Verdict::Unsafe { .. } | Verdict::Invalid { .. }
            )
        });
    Ok(InspectReport {
        kind: "inspect",
        version: crate::REPORT_VERSION,
        model: model.display().to_string(),
        ok,
        files,
        problems,
    })
}

/// The format gate on a list of `(name, path)` pairs, as `sign`, `verify`
/// and the pre-commit hook apply it: invalid safetensors and GGUF files give
/// a failing finding whatever the gate says; unsafe (pickle-based) ones a
/// finding that fails under [`UnsafeFormats::Deny`], and under
/// [`UnsafeFormats::Warn`] when they import a dangerous global. Other
/// formats' problems are `inspect`'s business, not the gate's.
///
/// # Errors
/// A file that cannot be read.
pub fn check_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a Path)>,
    gate: &FormatGate,
) -> Result<Vec<Finding>, Error> {
    check_files_noting(files, gate).map(|(findings, _)| findings)
}

pub use crate::report::UncheckedFile;

/// [`check_files`], also listing the files it could not inspect. Files of
/// no known format (`unknown`) are not listed: nothing identifies them as
/// something a loader runs.
///
/// # Errors
/// A file that cannot be read.
pub fn check_files_noting<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a Path)>,
    gate: &FormatGate,
) -> Result<(Vec<Finding>, Vec<UncheckedFile>), Error> {
    use rayon::prelude::*;

    let policy = gate.unsafe_formats;
    let options = InspectOptions {
        allow_globals: gate.allow_globals.clone(),
        ..InspectOptions::default()
    };
    let files: Vec<(&str, &Path)> = files.into_iter().collect();
    // Each file costs an open and a few kilobytes read: spread them over
    // the cores, keeping the findings in the files' order.
    let per_file: Vec<(Option<Finding>, Option<UncheckedFile>)> = files
        .par_iter()
        .map(|(name, path)| {
            // Identified by the name it is loaded by: a hub cache blob's
            // own name says nothing.
            let report = modelseal_formats::inspect_file_as(path, name, &options)
                .map_err(|e| Error::Format(Box::new(e)))?;
            let unchecked = match &report.verdict {
                Verdict::Unchecked { reason }
                    if report.format != modelseal_formats::FileFormat::Unknown =>
                {
                    Some(UncheckedFile {
                        name: (*name).to_owned(),
                        format: format_name(&report),
                        reason: reason.clone(),
                    })
                }
                _ => None,
            };
            Ok((gate_finding(name, &report, policy), unchecked))
        })
        .collect::<Result<_, Error>>()?;
    let (findings, unchecked): (Vec<_>, Vec<_>) = per_file.into_iter().unzip();
    Ok((
        findings.into_iter().flatten().collect(),
        unchecked.into_iter().flatten().collect(),
    ))
}

/// The gate's finding for one inspected file, if any.
fn gate_finding(name: &str, report: &FileReport, policy: UnsafeFormats) -> Option<Finding> {
    match &report.verdict {
        // Only weight formats with a history of hostile headers crashing
        // loaders fail the gate; a config JSON that Python wrote with
        // `NaN` in it is not a reason to refuse a model.
        Verdict::Invalid { errors } if gates_invalid(report.format) => {
            Some(Finding::InvalidFormat {
                name: name.to_owned(),
                format: format_name(report),
                errors: errors.iter().map(|p| p.message.clone()).collect(),
            })
        }
        Verdict::Unsafe { reasons } if policy != UnsafeFormats::Allow => {
            let dangerous = dangerous_globals(&report.details);
            let fails = policy == UnsafeFormats::Deny
                || !dangerous.is_empty()
                || uses_extension_codes(&report.details);
            Some(Finding::UnsafeFormat {
                name: name.to_owned(),
                format: format_name(report),
                reasons: reasons.clone(),
                dangerous_globals: dangerous,
                fails,
            })
        }
        _ => None,
    }
}

/// The formats whose invalid files fail the gate.
fn gates_invalid(format: modelseal_formats::FileFormat) -> bool {
    matches!(
        format,
        modelseal_formats::FileFormat::Safetensors | modelseal_formats::FileFormat::Gguf
    )
}

fn format_name(report: &FileReport) -> String {
    report.format.name().to_owned()
}

/// The pickles a file's details hold.
fn pickle_scans(details: &Details) -> Vec<&modelseal_formats::PickleScan> {
    match details {
        Details::Pickle(scan) | Details::NpyObject { pickle: scan, .. } => vec![scan],
        Details::PickleZip { members } => members.iter().map(|m| &m.scan).collect(),
        _ => Vec::new(),
    }
}

/// Whether a pickle uses extension-registry codes (`EXT1/2/4`): the walker
/// cannot tell what they import.
fn uses_extension_codes(details: &Details) -> bool {
    pickle_scans(details)
        .iter()
        .any(|scan| !scan.extension_codes.is_empty())
}

/// `module.name` of every global rated dangerous in a pickle-based file.
fn dangerous_globals(details: &Details) -> Vec<String> {
    pickle_scans(details)
        .into_iter()
        .flat_map(|scan| scan.globals.iter())
        .filter(|g| g.risk == modelseal_formats::GlobalRisk::Dangerous)
        .map(|g| format!("{}.{}", g.module, g.name))
        .collect()
}
