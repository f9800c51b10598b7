//! `modelseal report`: the ETSI EN 304 223 evidence report.

use std::fmt::Write as _;

use modelseal::{EvidenceReport, ProvisionStatus};

use crate::args::{Format, ReportArgs, ReportFormat};
use crate::commands::Status;

pub fn run(args: &ReportArgs) -> anyhow::Result<Status> {
    let mut options = modelseal::VerifyOptions::with_policy(modelseal::Policy::load(&args.policy)?);
    options.signature = args.files.signature.clone();
    options.attestations = args.files.attestations.clone();
    let outcome =
        modelseal::evidence_report_with(&args.files.model, &options, args.store.as_deref());
    let format = match args.format {
        ReportFormat::Md => Format::Text,
        ReportFormat::Json => Format::Json,
    };
    if let (Some(out), Ok(report)) = (&args.out, &outcome) {
        return write_report(args, out, report);
    }
    super::render_check(
        ("report", &args.files.model),
        outcome,
        format,
        to_markdown,
        // `verify --policy`'s own verdict.
        |r| r.verified,
    )
}

/// `--out FILE [--sign KEY]`: the report written to FILE (and signed).
/// The exit code is still the verdict's.
fn write_report(
    args: &ReportArgs,
    out: &std::path::Path,
    report: &EvidenceReport,
) -> anyhow::Result<Status> {
    let (bytes, format) = match args.format {
        ReportFormat::Md => (to_markdown(report).into_bytes(), "md"),
        ReportFormat::Json => {
            let mut bytes = serde_json::to_vec_pretty(report)?;
            bytes.push(b'\n');
            (bytes, "json")
        }
    };
    let signer = match &args.sign {
        Some(key) => Some(
            crate::args::SignerArgs {
                key: key.clone(),
                cert: None,
                cert_chain: Vec::new(),
                password: crate::args::PasswordArgs {
                    password_file: args.password.password_file.clone(),
                },
            }
            .load()?,
        ),
        None => None,
    };
    let signature = modelseal::write_signed_report(
        out,
        &bytes,
        report,
        format,
        signer.as_ref().map(|(k, c)| (k, c.as_slice())),
        args.force,
    )?;
    crate::output::print_note(&match signature {
        Some(sig) => format!(
            "wrote `{}` and its signature `{}` (check it with `modelseal verify-report`)",
            out.display(),
            sig.display()
        ),
        None => format!("wrote `{}`", out.display()),
    });
    Ok(if report.verified {
        Status::Success
    } else {
        Status::Failure
    })
}

/// `modelseal verify-report`.
pub fn verify(args: &crate::args::VerifyReportArgs) -> anyhow::Result<Status> {
    let trust = match (&args.key, &args.policy) {
        (Some(key), _) => modelseal::ReportTrust::Key(Box::new(modelseal::load_public_key(key)?)),
        (None, Some(policy)) => {
            modelseal::ReportTrust::Policy(std::sync::Arc::new(modelseal::Policy::load(policy)?))
        }
        (None, None) => anyhow::bail!("verify-report needs --key or --policy"),
    };
    let signature = args
        .signature
        .clone()
        .unwrap_or_else(|| modelseal::report_signature_path(&args.report));
    let outcome = modelseal::verify_report(&args.report, &signature, &trust);
    super::render_check(
        ("verify-report", &args.report),
        outcome,
        args.format,
        |v| {
            let p = &v.predicate;
            if v.verified {
                format!(
                    "verified report `{}`\n  signed by     {}\n  sha256        {}\n  model         {} (root sha256:{})\n  verdict       {} (policy {} sha256:{}, evaluated at {})\n  made by       {}, {}\n",
                    v.report,
                    v.signer,
                    v.digest,
                    p.model,
                    p.root_digest,
                    if p.verified { "verified" } else { "FAILED" },
                    p.policy,
                    p.policy_digest,
                    p.evaluated_at,
                    p.tool,
                    p.standard
                )
            } else {
                format!(
                    "report `{}` was CHANGED after it was signed by {}\n  signed sha256 {}\n  actual sha256 {}\n",
                    v.report, v.signer, v.signed_digest, v.digest
                )
            }
        },
        |v| v.verified,
    )
}

fn status_text(status: ProvisionStatus) -> &'static str {
    match status {
        ProvisionStatus::Met => "met",
        ProvisionStatus::Failed => "**FAILED**",
        ProvisionStatus::Partial => "partial",
        ProvisionStatus::Missing => "**MISSING**",
        ProvisionStatus::NotApplicable => "not applicable",
    }
}

/// Text from attestations, policies and paths, made inert for Markdown: one
/// line (a newline could start a fake `## 5.5.1 (met)` section), and every
/// character Markdown gives a meaning to escaped, table pipes included.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '+'
            | '-' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn to_markdown(r: &EvidenceReport) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# ETSI EN 304 223 evidence: {}\n", md_text(&r.model));
    let failing: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.fails())
        .map(modelseal::Finding::describe)
        .collect();
    let enforced: Vec<&modelseal::EvaluatedRule> = r.rules.iter().filter(|x| x.enforced).collect();
    let enforced_passing = enforced.iter().filter(|x| x.outcome.passed).count();
    let _ = writeln!(
        md,
        "- Verdict (as `modelseal verify --policy`): {}",
        if r.verified { "verified" } else { "**FAILED**" }
    );
    let _ = writeln!(
        md,
        "- Files match the signature: {}",
        if r.model_verified {
            "yes".to_owned()
        } else {
            format!("**no**: {}", md_text(&failing.join("; ")))
        }
    );
    let _ = writeln!(
        md,
        "- Rules the policy enforces: {enforced_passing} of {} pass{}",
        enforced.len(),
        if r.policy_passed {
            ""
        } else {
            " (**some fail**)"
        }
    );
    let count = |s: ProvisionStatus| r.provisions.iter().filter(|p| p.status == s).count();
    let _ = writeln!(
        md,
        "- Provisions: {} met, {} failed, {} partial, {} missing, {} not applicable",
        count(ProvisionStatus::Met),
        count(ProvisionStatus::Failed),
        count(ProvisionStatus::Partial),
        count(ProvisionStatus::Missing),
        count(ProvisionStatus::NotApplicable)
    );
    let _ = writeln!(
        md,
        "- Standard: {} {}; report by {} {}",
        r.standard.name, r.standard.edition, r.tool.name, r.tool.version
    );
    let _ = writeln!(
        md,
        "- Policy: {} (sha256:{}), evaluated at {}",
        md_text(&r.policy.path),
        r.policy.digest,
        r.evaluated_at
    );
    let _ = writeln!(
        md,
        "- Signature: {}, by `{}`",
        md_text(&r.signature),
        md_text(&r.model_signer)
    );
    let _ = writeln!(md, "- Root digest: `sha256:{}`", r.root_digest);
    let _ = writeln!(md, "- Manifest digest: `sha256:{}`\n", r.manifest_digest);
    let _ = writeln!(md, "| Provision | Asks for | Status |");
    let _ = writeln!(md, "|---|---|---|");
    for p in &r.provisions {
        let _ = writeln!(md, "| {} | {} | {} |", p.id, p.title, status_text(p.status));
    }
    for p in &r.provisions {
        let _ = writeln!(md, "\n## {} ({})\n", p.id, p.status.name());
        let _ = writeln!(md, "{}\n", p.title);
        for e in &p.evidence {
            write_item(&mut md, e);
        }
        for m in &p.missing {
            let _ = writeln!(md, "- missing: {}", md_text(m));
        }
    }
    if !r.findings.is_empty() || !r.unchecked_files.is_empty() {
        let _ = writeln!(md, "\n## Findings\n");
        for f in &r.findings {
            let _ = writeln!(
                md,
                "- {}{}",
                md_text(&f.describe()),
                if f.fails() { " (fails)" } else { "" }
            );
        }
        for u in &r.unchecked_files {
            let _ = writeln!(
                md,
                "- not checked: {} ({})",
                md_text(&u.name),
                md_text(&u.format)
            );
        }
    }
    let _ = writeln!(md, "\n## Rules\n");
    let _ = writeln!(
        md,
        "| Rule | Enforced | Outcome | Evidence lines | Reason |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    for rule in &r.rules {
        let lines: Vec<String> = rule
            .outcome
            .evidence
            .iter()
            .map(ToString::to_string)
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            rule.outcome.rule,
            if rule.enforced {
                "yes"
            } else {
                "no (report only)"
            },
            if rule.outcome.passed {
                "pass"
            } else {
                "**fail**"
            },
            lines.join(", "),
            md_text(&rule.outcome.reason)
        );
    }
    let _ = writeln!(md, "\n## Attestations\n");
    let _ = writeln!(
        md,
        "| Line | Type | Signer | Role | Status | Counted by | Statement digest | Summary |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for a in &r.attestations {
        let counted = if a.counted_by.is_empty() {
            "no rule".to_owned()
        } else {
            a.counted_by.join(", ")
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            a.line,
            a.predicate.unwrap_or("?"),
            md_text(a.signer.as_deref().unwrap_or("?")),
            a.role.unwrap_or("?"),
            a.status,
            counted,
            a.statement_digest.as_deref().unwrap_or("-"),
            md_text(a.summary.as_deref().unwrap_or(""))
        );
    }
    md
}

/// One evidence bullet, with what traces it to signed bytes nested.
fn write_item(md: &mut String, e: &modelseal::EvidenceItem) {
    let _ = writeln!(md, "- evidence: {}", md_text(&e.text));
    match (&e.key_id, e.key_algorithm) {
        (Some(k), Some(a)) => {
            let _ = writeln!(md, "  - key id: `{k}` ({a})");
        }
        (Some(k), None) => {
            let _ = writeln!(md, "  - key id: `{k}`");
        }
        (None, Some(a)) => {
            let _ = writeln!(md, "  - signature algorithm: {a}");
        }
        (None, None) => {}
    }
    if let Some(c) = &e.certificate_subject {
        let _ = writeln!(md, "  - certificate subject: {}", md_text(c));
    }
    if let Some(d) = &e.statement_digest {
        let _ = writeln!(md, "  - statement digest: `{d}`");
    }
    if let Some(t) = e.predicate_type {
        let _ = writeln!(md, "  - predicate type: {}", md_text(t));
    }
    if let Some(p) = &e.predicate {
        let _ = writeln!(
            md,
            "  - predicate: {}",
            md_text(&serde_json::to_string(p).unwrap_or_default())
        );
    }
}
