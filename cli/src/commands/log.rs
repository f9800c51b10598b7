//! `modelseal log`: a model's versions through its lineage statements.

use std::fmt::Write as _;

use crate::args::LogArgs;
use crate::commands::Status;

pub fn run(args: &LogArgs) -> anyhow::Result<Status> {
    let policy = modelseal::Policy::load(&args.policy)?;
    let options = args.files.attest_options();
    let outcome = modelseal::model_history(&args.files.model, &policy, &options, None);
    super::render_check(
        ("log", &args.files.model),
        outcome,
        args.format,
        to_text,
        |h| h.complete,
    )
}

fn to_text(history: &modelseal::HistoryReport) -> String {
    let mut text = String::new();
    if history.versions.is_empty() {
        let _ = writeln!(
            text,
            "no trusted lineage statement is bound to `{}` ({})",
            history.model, history.root_digest
        );
        return text;
    }
    for v in &history.versions {
        let _ = writeln!(text, "version {}  {}", v.version, v.root_digest);
        let _ = writeln!(text, "  by          `{}` at {}", v.signer, v.attested_at);
        let _ = writeln!(text, "  change      {}", crate::output::one_line(&v.change));
        if let Some(base) = &v.base_model {
            let _ = writeln!(text, "  base model  {}", crate::output::one_line(base));
        }
        if v.manifest_digest.is_none() {
            let _ = writeln!(
                text,
                "  binding     root digest only (a v1 statement, which covers no file names)"
            );
        }
        let link = match &v.link {
            modelseal::attestation::Link::FirstVersion => "first version".to_owned(),
            modelseal::attestation::Link::Verified => "parent verified".to_owned(),
            modelseal::attestation::Link::ParentNotRecorded(d)
            | modelseal::attestation::Link::VersionMismatch(d)
            | modelseal::attestation::Link::VersionUnchanged(d)
            | modelseal::attestation::Link::Cycle(d)
            | modelseal::attestation::Link::Conflicting(d) => {
                format!("BROKEN: {}", crate::output::one_line(d))
            }
            _ => "unknown".to_owned(),
        };
        let _ = writeln!(text, "  link        {link}");
    }
    let _ = writeln!(
        text,
        "{}",
        if history.complete {
            "history complete: every link verified back to the first version"
        } else if history
            .versions
            .first()
            .is_some_and(|v| v.manifest_digest.is_none())
        {
            "history INCOMPLETE: this version's lineage statement is v1, bound to the root digest \
             only; re-attest it with `modelseal attest lineage`"
        } else {
            "history INCOMPLETE"
        }
    );
    text
}
