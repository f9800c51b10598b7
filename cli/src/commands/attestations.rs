//! `modelseal attestations`: list a model's attestations.

use std::fmt::Write as _;

use crate::args::AttestationsArgs;
use crate::commands::Status;

pub fn run(args: &AttestationsArgs) -> anyhow::Result<Status> {
    let policy = args
        .policy
        .as_deref()
        .map(modelseal::Policy::load)
        .transpose()?;
    let options = args.files.attest_options();
    let outcome = modelseal::list_attestations(&args.files.model, policy.as_ref(), &options, None);
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
            a.signer.as_deref().unwrap_or("?"),
        );
        if let Some(summary) = &a.summary {
            let _ = writeln!(
                text,
                "        {summary} (at {})",
                a.attested_at.as_deref().unwrap_or("?")
            );
        }
        if let (Some(reason), true) = (&a.reason, list.policy.is_some()) {
            let _ = writeln!(text, "        {reason}");
        }
    }
    text
}
