//! `modelseal verify`: check a model against its signature.

use std::fmt::Write as _;

use modelseal::{Finding, SignerReport, Trust, VerificationReport};

use crate::args::VerifyArgs;
use crate::commands::Status;
use crate::output;
use crate::progress::Progress;

pub fn run(args: &VerifyArgs) -> anyhow::Result<Status> {
    // No trust flag at all: a keyless bundle is refused with the identity
    // and issuer it claims (exit 2); any other, with what to give.
    let (mut options, no_trust) = match trust_options(&args.trust)? {
        Some(options) => (options, false),
        None => (
            modelseal::VerifyOptions::new(Trust::Sigstore {
                root: modelseal::keyless::SigstoreRoot::public_good()?,
                policy: None,
            }),
            true,
        ),
    };
    let progress = Progress::for_model(&args.model);
    options.signature = args.signature.clone();
    options.attestations = args.attestations.clone();
    options.ignore_paths = args.ignore.clone();
    options.ignore_unsigned_files = args.ignore_unsigned_files;
    options.allow_symlinks = args.allow_symlinks;
    options.only = args.only.clone();
    options.unsafe_formats = args.unsafe_formats.policy();
    options.allow_globals = crate::args::allow_globals(&args.allow_global)?;
    options.cache_dir = if args.cached {
        Some(super::cache_dir()?)
    } else {
        None
    };
    options.threads = args.threads.map(usize::from);
    options.progress = progress.callback();
    let outcome = modelseal::verify_model(&args.model, &options);
    progress.finish();
    if no_trust {
        if let Err(modelseal::Error::Signature {
            source: modelseal::VerifyError::Trust(modelseal::TrustError::NotKeyless),
            ..
        }) = &outcome
        {
            return Err(modelseal::Error::Usage(
                "verify needs to know whom to trust: --key PUB.pem, --cert-chain ROOT.pem, \
                 --policy POLICY.toml, or --identity and --issuer for a Sigstore keyless bundle"
                    .to_owned(),
            )
            .into());
        }
    }
    if let Ok(report) = &outcome {
        output::warn_unused_ignores(&report.unused_ignore_paths);
    }
    super::render_check(
        ("verify", &args.model),
        outcome,
        args.format,
        to_text,
        |r| r.verified,
    )
}

/// Verify options with the trust the flags give, or `None` when no trust
/// flag was given.
pub fn trust_options(
    args: &crate::args::TrustArgs,
) -> anyhow::Result<Option<modelseal::VerifyOptions>> {
    let keyless = keyless_trust(&args.keyless)?;
    Ok(Some(match (&args.policy, &args.key, keyless) {
        (_, _, Some(trust)) => modelseal::VerifyOptions::new(trust),
        (Some(policy), _, None) => {
            modelseal::VerifyOptions::with_policy(modelseal::Policy::load(policy)?)
        }
        (None, Some(key), None) => {
            modelseal::VerifyOptions::new(Trust::PublicKey(modelseal::load_public_key(key)?))
        }
        (None, None, None) if args.cert_chain.is_empty() => return Ok(None),
        (None, None, None) => {
            let mut roots = Vec::new();
            for path in &args.cert_chain {
                roots.extend(modelseal::load_certificates(path)?);
            }
            modelseal::VerifyOptions::new(Trust::Roots { roots, time: None })
        }
    }))
}

/// The keyless trust the flags ask for, if any: an identity form and an
/// issuer form (both required), and the trusted root (embedded public-good
/// by default). Trust-root flags alone give a trust that refuses keyless
/// bundles with a message naming the identity and issuer they claim.
pub fn keyless_trust(args: &crate::args::KeylessArgs) -> anyhow::Result<Option<Trust>> {
    use modelseal::keyless::{IdentityPolicy, Matcher, SigstoreRoot};
    let matcher = |exact: &Option<String>, regex: &Option<String>, flag: &str| match (exact, regex)
    {
        (Some(s), _) => Ok(Some(Matcher::Exact(s.clone()))),
        (None, Some(re)) => Matcher::regex(re)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--{flag}-regex: {e}")),
        (None, None) => Ok(None),
    };
    let identity = matcher(&args.identity, &args.identity_regex, "identity")?;
    let issuer = matcher(&args.issuer, &args.issuer_regex, "issuer")?;
    let root_given = args.use_staging || args.trust_root.is_some() || args.trust_config.is_some();
    if identity.is_none() && issuer.is_none() && !root_given {
        return Ok(None);
    }
    let policy = match (identity, issuer) {
        (Some(identity), Some(issuer)) => Some(IdentityPolicy { identity, issuer }),
        (None, None) => None,
        (Some(_), None) => anyhow::bail!(
            "keyless verification needs an issuer too: --issuer URL (or --issuer-regex RE)"
        ),
        (None, Some(_)) => anyhow::bail!(
            "keyless verification needs an identity too: --identity ID (or --identity-regex RE)"
        ),
    };
    let read = |path: &std::path::Path| {
        modelseal_hash::read_regular(path, modelseal_hash::Links::Follow, 16 << 20)
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))
    };
    let root = if args.use_staging {
        SigstoreRoot::staging()?
    } else if let Some(path) = &args.trust_root {
        std::sync::Arc::new(SigstoreRoot::from_trusted_root_json(
            &read(path)?,
            &format!("`{}`", path.display()),
        )?)
    } else if let Some(path) = &args.trust_config {
        std::sync::Arc::new(SigstoreRoot::from_client_trust_config_json(
            &read(path)?,
            &format!("`{}`", path.display()),
        )?)
    } else {
        SigstoreRoot::public_good()?
    };
    Ok(Some(Trust::Sigstore { root, policy }))
}

fn to_text(report: &VerificationReport) -> String {
    let mut text = String::new();
    let failing = report.findings.iter().filter(|f| f.fails()).count();
    let failed_rules = report
        .policy
        .as_ref()
        .map_or(0, |p| p.rules.iter().filter(|r| !r.passed).count());
    if report.verified && report.partial {
        let _ = writeln!(text, "verified `{}` (partially)", report.model);
    } else if report.verified {
        let _ = writeln!(text, "verified `{}`", report.model);
    } else if failing > 0 {
        let _ = writeln!(
            text,
            "verification FAILED for `{}`: {failing} finding{}",
            report.model,
            if failing == 1 { "" } else { "s" }
        );
    } else {
        let _ = writeln!(
            text,
            "verification FAILED for `{}`: {failed_rules} policy rule{} failed",
            report.model,
            if failed_rules == 1 { "" } else { "s" }
        );
    }
    // Under a policy with [rules.unsafe_formats], its exceptions decide.
    let pickle_note = report.policy.as_ref().and_then(|p| {
        p.rules
            .iter()
            .find(|r| r.rule == "unsafe-formats")
            .map(|r| {
                if r.passed {
                    "covered by an exception the policy accepts (see unsafe-formats below)"
                } else {
                    "no accepted exception covers it: the policy's unsafe-formats rule fails"
                }
            })
    });
    write_findings_noting(&mut text, &report.findings, pickle_note);
    for fix in content_fixes(&report.findings) {
        let _ = writeln!(text, "  fix           {fix}");
    }
    let mut keyless_lines: Vec<String> = Vec::new();
    let signer = match &report.signer {
        SignerReport::Key {
            key_id,
            unmatched_hint: None,
        } => format!("key {key_id}"),
        // The hint is not signed: a note, not a failure (README, "hint rule").
        SignerReport::Key {
            key_id,
            unmatched_hint: Some(hint),
        } => format!("key {key_id} (the signature's unsigned key hint says {hint})"),
        SignerReport::Certificate {
            subject, issuer, ..
        } => format!("certificate `{subject}` issued by `{issuer}`"),
        SignerReport::Sigstore {
            identity, issuer, ..
        } => format!("Sigstore keyless `{identity}`, issuer `{issuer}`"),
        _ => "unknown".to_owned(),
    };
    if let SignerReport::Sigstore {
        log_index,
        log_url,
        integrated_time,
        tsa_times,
        ..
    } = &report.signer
    {
        let mut log = format!(
            "  rekor         log index {log_index}{}",
            log_url
                .as_deref()
                .map_or_else(String::new, |u| format!(" ({u})"))
        );
        if let Some(t) = integrated_time {
            let _ = write!(log, ", integrated {t}");
        }
        if !tsa_times.is_empty() {
            let _ = write!(log, ", RFC 3161 timestamp {}", tsa_times.join(", "));
        }
        keyless_lines.push(log);
    }
    let _ = writeln!(
        text,
        "  signature     {} ({})",
        report.signature, report.signature_algorithm
    );
    let _ = writeln!(text, "  signer        {signer}");
    for line in &keyless_lines {
        let _ = writeln!(text, "{line}");
    }
    let _ = writeln!(text, "  root          sha256:{}", report.root_digest);
    let checked = if report.partial {
        format!(
            "{} of {} resources (partial: --only; other files were not checked)",
            report.resources_checked, report.resources_signed
        )
    } else {
        output::plural(report.resources_checked, "resource")
    };
    let _ = writeln!(
        text,
        "  checked       {checked}, {}, {} {}, in {:.0} ms",
        output::human_bytes(report.bytes_hashed),
        report.serialization.hash_type,
        report.serialization.method,
        report.elapsed_ms
    );
    if let Some(links) = &report.links {
        output::write_links(&mut text, links);
    }
    if let Some(policy) = &report.policy {
        write_policy(&mut text, policy);
    }
    text
}

/// The commands (or the one step) that resolve the failing findings, one
/// line per kind of problem, in a fixed order. A digest mismatch has two
/// honest answers: the files are not the published ones (restore them), or
/// they are a new version (sign it, which makes a new release).
fn content_fixes(findings: &[Finding]) -> Vec<&'static str> {
    let failing = |f: &&Finding| match f {
        Finding::Unsigned { fails, .. } | Finding::UnsafeFormat { fails, .. } => *fails,
        _ => true,
    };
    let mut fixes = Vec::new();
    let mut add = |fix: &'static str| {
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    };
    for finding in findings.iter().filter(failing) {
        match finding {
            Finding::Modified { .. }
            | Finding::SizeChanged { .. }
            | Finding::Missing { .. }
            | Finding::Renamed { .. } => add(
                "restore the published files (a known-good copy), or sign this as a new version: \
                 `modelseal sign MODEL --key KEY --force`",
            ),
            Finding::Unsigned { .. } => {
                add("remove the files nobody signed, or accept them with `--ignore-unsigned-files`")
            }
            Finding::NotSigned { .. } => {
                add("name only files the signature lists (`modelseal inspect MODEL` shows them)")
            }
            Finding::PathProblem { .. } => add(
                "replace links and special files with regular files (or allow links inside the \
                 model with `--allow-symlinks`)",
            ),
            Finding::UnsafeFormat { .. } => add(
                "convert pickle-based files to safetensors, or record an exception \
                 (`modelseal attest exception`) that a policy accepts",
            ),
            _ => {}
        }
    }
    fixes
}

/// The policy section: one line per rule, then the attestation count.
pub fn write_policy(text: &mut String, policy: &modelseal::PolicyReport) {
    let _ = writeln!(
        text,
        "  policy        {} (sha256:{}, evaluated at {}), model signed by `{}`",
        policy.policy, policy.policy_digest, policy.evaluated_at, policy.model_signer
    );
    for rule in &policy.rules {
        // Reasons quote attestation fields (test names, versions).
        let _ = writeln!(
            text,
            "    {} {:<16} {}",
            if rule.passed { "pass" } else { "FAIL" },
            rule.rule,
            crate::output::one_line(&rule.reason)
        );
        if let (false, Some(fix)) = (rule.passed, rule_fix(rule.rule)) {
            let _ = writeln!(text, "         {:<16} fix: {fix}", "");
        }
    }
    let counted = policy
        .attestations
        .iter()
        .filter(|a| a.status == "accepted")
        .count();
    let _ = writeln!(
        text,
        "  attestations  {} in `{}`, {counted} bound to this model and trusted",
        policy.attestations.len(),
        policy.attestations_file
    );
}

/// The command that supplies what a failing rule lacks.
fn rule_fix(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "model-signature" => {
            "sign with a key the policy lists for the role: `modelseal sign MODEL --key KEY --force`"
        }
        "attestations" => {
            "list the failing lines with `modelseal attestations MODEL --policy POLICY` and remove them"
        }
        "lineage" => "`modelseal attest lineage MODEL --key KEY --model-version V --change TEXT`",
        "datasets" => {
            "`modelseal attest dataset MODEL --key KEY --name NAME --source URL --path COPY --license SPDX --retrieved-at TIME`"
        }
        "tests" => {
            "`modelseal attest test MODEL --key KEY --name SUITE --result pass --report FILE`"
        }
        "retraining" => {
            "attest the new version (`modelseal attest lineage MODEL --model-version NEW --parent-version OLD ...`) and a new passing test"
        }
        "unsafe-formats" => {
            "convert the file to safetensors, or `modelseal attest exception MODEL --key KEY --component FILE --justification TEXT --risk-assessment FILE --expires TIME`"
        }
        _ => return None,
    })
}

/// One block per finding, as `verify` and `status` print them.
pub fn write_findings(text: &mut String, findings: &[Finding]) {
    write_findings_noting(text, findings, None);
}

/// [`write_findings`]; `pickle_note` replaces the `--unsafe-formats deny`
/// hint on pickle warnings (a policy's exceptions decide instead).
pub fn write_findings_noting(text: &mut String, findings: &[Finding], pickle_note: Option<&str>) {
    for finding in findings {
        match finding {
            Finding::Modified {
                name,
                algorithm,
                expected,
                actual,
                tensors,
            } => {
                let _ = writeln!(text, "  modified      {name}");
                let _ = writeln!(text, "                expected {algorithm}:{expected}");
                let _ = writeln!(text, "                actual   {algorithm}:{actual}");
                if let Some(t) = tensors {
                    for (label, names) in [
                        ("changed tensors", &t.changed),
                        ("added tensors", &t.added),
                        ("removed tensors", &t.removed),
                    ] {
                        if !names.is_empty() {
                            let _ = writeln!(text, "                {label}: {}", names.join(", "));
                        }
                    }
                }
            }
            Finding::SizeChanged {
                name,
                expected_size,
                actual_size,
            } => {
                let _ = writeln!(
                    text,
                    "  size changed  {name} (signed {expected_size} bytes, now {actual_size})"
                );
            }
            Finding::Missing { name } => {
                let _ = writeln!(text, "  missing       {name}");
            }
            Finding::Renamed { from, to } => {
                let _ = writeln!(
                    text,
                    "  renamed       {from} -> {to} (the signed content, under another name)"
                );
            }
            Finding::Unsigned { name, fails: true } => {
                let _ = writeln!(text, "  unsigned      {name}");
            }
            Finding::Unsigned { name, fails: false } => {
                let _ = writeln!(
                    text,
                    "  unsigned      {name} (allowed by --ignore-unsigned-files)"
                );
            }
            Finding::NotSigned { name } => {
                let _ = writeln!(text, "  not signed    {name} (named by --only)");
            }
            Finding::InvalidFormat {
                name,
                format,
                errors,
            } => {
                let _ = writeln!(text, "  invalid       {name} ({format})");
                for error in errors {
                    let _ = writeln!(text, "                {error}");
                }
            }
            Finding::UnsafeFormat {
                name,
                format,
                dangerous_globals,
                fails,
                ..
            } => {
                let label = if *fails { "unsafe format" } else { "warning" };
                let _ = writeln!(
                    text,
                    "  {label:<13} {name} is {format}: it can run code when loaded{}",
                    match (*fails, pickle_note) {
                        (true, _) => String::new(),
                        (false, Some(note)) => format!(" ({note})"),
                        (false, None) => " (--unsafe-formats deny to fail)".to_owned(),
                    }
                );
                if !dangerous_globals.is_empty() {
                    let _ = writeln!(
                        text,
                        "                dangerous imports: {}",
                        dangerous_globals.join(", ")
                    );
                }
            }
            Finding::PathProblem { message, .. } => {
                let _ = writeln!(text, "  path problem  {message}");
            }
            _ => {
                let _ = writeln!(text, "  {}", finding.describe());
            }
        }
    }
}
