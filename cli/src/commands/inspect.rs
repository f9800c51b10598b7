//! `modelseal inspect`: what each file of a model is, and whether it is safe
//! to load.

use std::fmt::Write as _;

use modelseal::{InspectReport, InspectedFile};
use modelseal_formats::{Details, Verdict};

use crate::args::{Format, InspectArgs};
use crate::commands::Status;
use crate::output;

pub fn run(args: &InspectArgs) -> anyhow::Result<Status> {
    let report = modelseal::inspect_model(&args.model, args.allow_symlinks)?;
    match args.format {
        Format::Json => output::write_json(&report)?,
        Format::Text => output::write_text(&to_text(&report))?,
    }
    Ok(if report.ok {
        Status::Success
    } else {
        Status::Failure
    })
}

fn to_text(report: &InspectReport) -> String {
    let mut text = String::new();
    for file in &report.files {
        file_text(&mut text, file);
    }
    for problem in &report.problems {
        let _ = writeln!(text, "problem  {problem}");
    }
    let count =
        |f: fn(&Verdict) -> bool| report.files.iter().filter(|x| f(&x.report.verdict)).count();
    let _ = writeln!(
        text,
        "{}: {} safe, {} unsafe, {} invalid, {} not checked",
        crate::output::plural(report.files.len(), "file"),
        count(|v| matches!(v, Verdict::Safe)),
        count(|v| matches!(v, Verdict::Unsafe { .. })),
        count(|v| matches!(v, Verdict::Invalid { .. })),
        count(|v| matches!(v, Verdict::Unchecked { .. })),
    );
    text
}

fn file_text(text: &mut String, file: &InspectedFile) {
    let format = serde_json::to_value(file.report.format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let verdict = match &file.report.verdict {
        Verdict::Safe => "ok".to_owned(),
        Verdict::Unsafe { .. } => "UNSAFE".to_owned(),
        Verdict::Invalid { .. } => "INVALID".to_owned(),
        Verdict::Unchecked { reason } => format!("not checked ({reason})"),
    };
    let _ = writeln!(
        text,
        "{}  {format}  {}  {verdict}",
        file.name,
        output::human_bytes(file.report.size)
    );
    match &file.report.verdict {
        Verdict::Unsafe { reasons } => {
            for reason in reasons {
                let _ = writeln!(text, "    {reason}");
            }
        }
        Verdict::Invalid { errors } => {
            for error in errors {
                let _ = writeln!(text, "    {}", error.message);
            }
        }
        _ => {}
    }
    match &file.report.details {
        Details::Safetensors(header) => {
            for t in &header.tensors {
                let _ = writeln!(
                    text,
                    "    tensor {}  {} {:?}  bytes {}..{}",
                    t.name, t.dtype, t.shape, t.file_offsets[0], t.file_offsets[1]
                );
            }
            if let Some(metadata) = &header.metadata {
                for (key, value) in metadata {
                    let _ = writeln!(text, "    metadata {key} = {value}");
                }
            }
        }
        Details::Gguf(header) => {
            let _ = writeln!(
                text,
                "    gguf v{}: {} tensors, {} metadata keys",
                header.version, header.tensor_count, header.metadata_kv_count
            );
        }
        Details::Pickle(scan) => pickle_text(text, scan),
        Details::PickleZip { members } => {
            for member in members {
                let _ = writeln!(text, "    member {}", member.name);
                pickle_text(text, &member.scan);
            }
        }
        _ => {}
    }
}

fn pickle_text(text: &mut String, scan: &modelseal_formats::PickleScan) {
    for global in &scan.globals {
        let risk = serde_json::to_value(global.risk)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "    imports {}.{}  ({risk})",
            global.module, global.name
        );
    }
}
