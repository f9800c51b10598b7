//! `modelseal attestations`: list a model's attestations.

use std::fmt::Write as _;

use crate::args::AttestationsArgs;
use crate::commands::Status;
use crate::output::one_line;

pub fn run(args: &AttestationsArgs) -> anyhow::Result<Status> {
    let policy = args
        .policy
        .as_deref()
        .map(modelseal::Policy::load)
        .transpose()?;
    let options = args.files.attest_options();
    let outcome = match args.show {
        Some(line) => {
            modelseal::show_attestation(&args.files.model, policy.as_ref(), &options, line, None)
        }
        None => modelseal::list_attestations(&args.files.model, policy.as_ref(), &options, None),
    };
    super::render_check(
        ("attestations", &args.files.model),
        outcome,
        args.format,
        to_text,
        |list| {
            list.attestations
                .iter()
                .all(|a| !matches!(a.status, "bad-signature" | "malformed" | "role-not-held"))
        },
    )
}

fn to_text(list: &modelseal::AttestationList) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} attestation{} in `{}`{}",
        list.attestations.len(),
        if list.attestations.len() == 1 {
            ""
        } else {
            "s"
        },
        list.attestations_file,
        match &list.policy {
            Some(policy) => format!(", checked with `{policy}`"),
            None => " (not verified: give --policy to check signers and roles)".to_owned(),
        }
    );
    if let Some(root) = &list.root_digest {
        let _ = writeln!(text, "  model root    {root}");
    }
    if let Some(manifest) = &list.manifest_digest {
        let _ = writeln!(text, "  manifest      sha256:{manifest}");
    }
    for a in &list.attestations {
        let _ = writeln!(
            text,
            "  {:>4}  {:<18} {:<16} {:<15} {}",
            a.line,
            a.predicate.unwrap_or("?"),
            a.status,
            a.role.unwrap_or("?"),
            one_line(a.signer.as_deref().unwrap_or("?")),
        );
        if let Some(summary) = &a.summary {
            let _ = writeln!(
                text,
                "        {} (at {})",
                one_line(summary),
                a.attested_at.as_deref().unwrap_or("?")
            );
        }
        if let (Some(reason), true) = (&a.reason, list.policy.is_some()) {
            let _ = writeln!(text, "        {}", one_line(reason));
        }
        if !a.counted_by.is_empty() {
            let _ = writeln!(text, "        counted by {}", a.counted_by.join(", "));
        }
    }
    if let (Some(statement), [a]) = (&list.statement, list.attestations.as_slice()) {
        for (label, value) in [
            ("predicate type", a.predicate_type.map(str::to_owned)),
            ("statement digest", a.statement_digest.clone()),
            ("key id", a.key_id.clone()),
            ("key algorithm", a.key_algorithm.map(str::to_owned)),
            ("certificate", a.certificate_subject.clone()),
        ] {
            if let Some(value) = value {
                let _ = writeln!(text, "  {label:<17} {}", one_line(&value));
            }
        }
        // JSON escapes newlines inside strings: one value per line.
        let pretty = serde_json::to_string_pretty(statement).unwrap_or_default();
        let _ = writeln!(text, "  signed statement:");
        for line in pretty.lines() {
            let _ = writeln!(text, "    {line}");
        }
    }
    text
}
