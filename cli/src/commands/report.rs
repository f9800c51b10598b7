//! `modelseal report`: the ETSI EN 304 223 evidence report.

use std::fmt::Write as _;

use modelseal::{EvidenceReport, ProvisionStatus};

use crate::args::{Format, ReportArgs, ReportFormat};
use crate::commands::Status;

pub fn run(args: &ReportArgs) -> anyhow::Result<Status> {
    let mut options = modelseal::VerifyOptions::with_policy(modelseal::Policy::load(&args.policy)?);
    options.signature = args.files.signature.clone();
    options.attestations = args.files.attestations.clone();
    let outcome = modelseal::evidence_report(&args.files.model, &options);
    let format = match args.format {
        ReportFormat::Md => Format::Text,
        ReportFormat::Json => Format::Json,
    };
    super::render_check(
        ("report", &args.files.model),
        outcome,
        format,
        to_markdown,
        // Like `verify`: the files must match, and the policy pass.
        |r| r.files_verified && r.policy_passed,
    )
}

fn status_text(status: ProvisionStatus) -> &'static str {
    match status {
        ProvisionStatus::Met => "met",
        ProvisionStatus::Partial => "partial",
        ProvisionStatus::Missing => "MISSING",
        ProvisionStatus::NotCovered => "not covered",
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
    let _ = writeln!(md, "- Root digest: `sha256:{}`", r.root_digest);
    let _ = writeln!(
        md,
        "- Policy: {}, evaluated at {}",
        md_text(&r.policy),
        r.evaluated_at
    );
    let _ = writeln!(
        md,
        "- Files match the signature: {}",
        if r.files_verified { "yes" } else { "**no**" }
    );
    let _ = writeln!(
        md,
        "- Rules the policy enforces: {}\n",
        if r.policy_passed {
            "all pass"
        } else {
            "**some fail**"
        }
    );
    let _ = writeln!(md, "| Provision | Asks for | Status |");
    let _ = writeln!(md, "|---|---|---|");
    for p in &r.provisions {
        let _ = writeln!(md, "| {} | {} | {} |", p.id, p.title, status_text(p.status));
    }
    for p in &r.provisions {
        let _ = writeln!(md, "\n## {} ({})\n", p.id, status_text(p.status));
        let _ = writeln!(md, "{}\n", p.title);
        for e in &p.evidence {
            let _ = writeln!(md, "- evidence: {}", md_text(e));
        }
        for m in &p.missing {
            let _ = writeln!(md, "- missing: {}", md_text(m));
        }
    }
    let _ = writeln!(md, "\n## Rules\n");
    let _ = writeln!(md, "| Rule | Enforced | Outcome | Reason |");
    let _ = writeln!(md, "|---|---|---|---|");
    for rule in &r.rules {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
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
            md_text(&rule.outcome.reason)
        );
    }
    let _ = writeln!(md, "\n## Attestations\n");
    let _ = writeln!(md, "| Line | Type | Signer | Role | Status | Summary |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for a in &r.attestations {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            a.line,
            a.predicate.unwrap_or("?"),
            md_text(a.signer.as_deref().unwrap_or("?")),
            a.role.unwrap_or("?"),
            a.status,
            md_text(a.summary.as_deref().unwrap_or(""))
        );
    }
    md
}
