//! Verifying a model: signature first, then one hashing pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use modelseal_hash::{CacheStats, DigestCache};
use modelseal_hash::{
    Digest, HashAlgorithm, HashOptions, Method, ModelFile, ModelKind, ProgressFn, WalkOptions,
    parse_shard_name,
};
use modelseal_oms::{SignedManifest, Signer, Trust, VerifiedBundle, bundle::MAX_BUNDLE_SIZE};

use crate::error::Error;
use crate::files::read_capped;
use crate::formats::{FormatGate, UncheckedFile, UnsafeFormats, check_files_noting};
use crate::layout::default_signature_path;
use crate::report::{AttestationEntry, LinksReport, PolicyReport};
use crate::report::{
    Finding, REPORT_VERSION, SerializationReport, SignerReport, TensorChanges, VerificationReport,
};
use modelseal_attest::policy::Unidentified;
use modelseal_attest::{
    CheckedAttestation, ModelDigests, ModelFacts, Policy, Timestamp, default_attestations_path,
};
use modelseal_formats::AllowGlobals;
use std::sync::Arc;

/// Options for [`verify_model`].
#[derive(Clone)]
pub struct VerifyOptions {
    /// What the signature must chain to: a public key, or root certificates.
    pub trust: Trust,
    /// The signature file; [`crate::default_signature_path`] if `None`.
    pub signature: Option<PathBuf>,
    /// More paths to exclude, beyond those the signature records.
    pub ignore_paths: Vec<PathBuf>,
    /// Follow symbolic links that stay inside the model (`verify
    /// --allow-symlinks`), even when the signature says they were not
    /// followed. Links in a Hugging Face hub cache snapshot are followed
    /// anyway, and so are links when the signature records
    /// `allow_symlinks`.
    pub allow_symlinks: bool,
    /// Do not fail on files that were not signed (they are still listed).
    pub ignore_unsigned_files: bool,
    /// Partial verification: check only these files (relative to the model,
    /// or absolute inside it); no other file is read. Empty means all.
    pub only: Vec<PathBuf>,
    /// The format gate for pickle-based files (invalid files always fail).
    pub unsafe_formats: UnsafeFormats,
    /// Globals the gate accepts beyond the known-safe table (a project's
    /// own classes), with those of a policy's `[rules.unsafe_formats]`.
    pub allow_globals: AllowGlobals,
    /// Use the digest cache in this directory (`verify --cached`): files
    /// whose stat is unchanged are not hashed again. Faster, and weaker:
    /// see the README's Security model. `None` (the default) hashes all.
    pub cache_dir: Option<PathBuf>,
    /// Hashing threads; `None` for rayon's default.
    pub threads: Option<usize>,
    /// Called as bytes are hashed.
    pub progress: Option<ProgressFn>,
    /// A trust policy. When set, its signers decide who may sign the model
    /// (`trust` is not used) and its rules are checked against the model's
    /// attestations; the report's `policy` section gives each outcome.
    pub policy: Option<Arc<Policy>>,
    /// The attestations file; [`crate::default_attestations_path`] if
    /// `None`.
    pub attestations: Option<PathBuf>,
    /// When to evaluate the policy (validity windows, expiry); now if
    /// `None`.
    pub at: Option<Timestamp>,
}

impl VerifyOptions {
    /// Options that check against `trust` and otherwise use the defaults.
    pub fn new(trust: Trust) -> Self {
        Self {
            trust,
            signature: None,
            ignore_paths: Vec::new(),
            allow_symlinks: false,
            ignore_unsigned_files: false,
            only: Vec::new(),
            unsafe_formats: UnsafeFormats::default(),
            allow_globals: AllowGlobals::default(),
            cache_dir: None,
            threads: None,
            progress: None,
            policy: None,
            attestations: None,
            at: None,
        }
    }

    /// Options that check against a trust policy: its signers are the
    /// trust, and its rules are evaluated.
    pub fn with_policy(policy: Policy) -> Self {
        let mut options = Self::new(Trust::Roots {
            roots: Vec::new(),
            time: None,
        });
        options.policy = Some(Arc::new(policy));
        options
    }
}

impl std::fmt::Debug for VerifyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("trust", &self.trust)
            .field("signature", &self.signature)
            .field("ignore_paths", &self.ignore_paths)
            .field("allow_symlinks", &self.allow_symlinks)
            .field("ignore_unsigned_files", &self.ignore_unsigned_files)
            .field("only", &self.only)
            .field("unsafe_formats", &self.unsafe_formats)
            .field("allow_globals", &self.allow_globals)
            .field("cache_dir", &self.cache_dir)
            .field("threads", &self.threads)
            .field("policy", &self.policy.as_ref().map(|p| p.path.clone()))
            .field("attestations", &self.attestations)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// Verifies a model against its signature.
///
/// The bundle's signature is checked against `options.trust` before any
/// model file is read; then the model is walked and hashed once with the
/// signed serialization (method, hash, shard size, symlink policy, ignore
/// paths), and every difference is reported as a [`Finding`].
///
/// # Errors
/// [`Error::Signature`] when the signature file is malformed, forged or not
/// trusted ([`Error::is_verification_failure`]); I/O and walk errors
/// otherwise. Differences in the model's files are findings, not errors.
pub fn verify_model(model: &Path, options: &VerifyOptions) -> Result<VerificationReport, Error> {
    verify_model_checked(model, options).map(|v| v.report)
}

/// What [`verify_model_checked`] established: the report `verify` prints
/// and what the policy evaluation saw, for callers (the evidence report)
/// that go on from the same checked result instead of checking again.
pub(crate) struct Verified {
    /// Exactly what `verify` returns.
    pub report: VerificationReport,
    /// Each attestation as the policy checked it (empty without a policy).
    pub checked: Vec<CheckedAttestation>,
    /// The facts the policy was evaluated on (`None` without a policy).
    pub facts: Option<ModelFacts>,
}

/// [`verify_model`], also returning what the policy evaluation saw.
pub(crate) fn verify_model_checked(
    model: &Path,
    options: &VerifyOptions,
) -> Result<Verified, Error> {
    let started = Instant::now();
    let signature = options
        .signature
        .clone()
        .unwrap_or_else(|| default_signature_path(model));
    // Fail on a missing model before reading the signature.
    std::fs::symlink_metadata(model).map_err(|e| Error::io("read", model, e))?;
    let at = options.at.unwrap_or_else(Timestamp::now);
    if let Some(policy) = &options.policy {
        if policy.rules.unsafe_formats.is_some() && !options.only.is_empty() {
            return Err(Error::Usage(
                "--only cannot be combined with a policy that has [rules.unsafe_formats]: that \
                 rule needs the format of every file, and --only reads no other file"
                    .to_owned(),
            ));
        }
    }
    let (verified, policy_signer) = match &options.policy {
        None => (read_verified_bundle(&signature, &options.trust)?, None),
        Some(policy) => {
            let (verified, signer) = read_policy_bundle(&signature, policy, at)?;
            (verified, Some(signer))
        }
    };

    // A policy's unsafe-formats rule needs the pickle-based files listed:
    // `allow` must not hide them from it.
    let unsafe_formats = match &options.policy {
        Some(policy)
            if policy.rules.unsafe_formats.is_some()
                && options.unsafe_formats == UnsafeFormats::Allow =>
        {
            UnsafeFormats::Warn
        }
        _ => options.unsafe_formats,
    };
    let unsafe_rule = options
        .policy
        .as_ref()
        .and_then(|policy| policy.rules.unsafe_formats.as_ref());
    let mut allow_globals = options.allow_globals.clone();
    for entry in unsafe_rule.iter().flat_map(|rule| &rule.allow_globals) {
        allow_globals.add(entry).map_err(|e| {
            Error::Usage(format!(
                "`{}`: [rules.unsafe_formats] allow_globals: {e}",
                options
                    .policy
                    .as_ref()
                    .map_or_else(String::new, |p| p.path.display().to_string())
            ))
        })?;
    }
    let mut cache = open_cache(model, options.cache_dir.as_deref())?;
    let mut checked = check_model(
        model,
        &verified.manifest,
        &signature,
        &Check {
            ignore_paths: &options.ignore_paths,
            allow_symlinks: options.allow_symlinks,
            signature_verified: true,
            ignore_unsigned_files: options.ignore_unsigned_files,
            only: &options.only,
            unsafe_formats,
            allow_globals: &allow_globals,
            threads: options.threads,
            progress: options.progress.clone(),
            lfs_pointers: false,
        },
        cache.as_mut(),
    )?;
    if let Some(cache) = &mut cache {
        cache.save()?;
    }
    // With `[rules.unsafe_formats]`, a policy exception covers a pickle
    // (dangerous globals included): the rule, not the finding, decides.
    // `deny` still fails them whatever exceptions exist.
    if unsafe_rule.is_some() && options.unsafe_formats != UnsafeFormats::Deny {
        for finding in &mut checked.findings {
            if let Finding::UnsafeFormat { fails, .. } = finding {
                *fails = false;
            }
        }
    }
    let signed = &verified.manifest;
    let policy = match (&options.policy, policy_signer) {
        (Some(policy), Some(model_signer)) => {
            let attestations = options
                .attestations
                .clone()
                .unwrap_or_else(|| default_attestations_path(model));
            let unsafe_files = checked
                .findings
                .iter()
                .filter_map(|f| match f {
                    Finding::UnsafeFormat { name, .. } => Some(name.clone()),
                    _ => None,
                })
                .collect();
            let facts = ModelFacts {
                // Attestations must name this manifest, not only its root
                // digest: the root covers no file names.
                digests: ModelDigests::of(signed),
                model_signer,
                unsafe_files,
                at,
            };
            let (report, checked) = evaluate_policy(policy, &facts, &attestations)?;
            Some((report, checked, facts))
        }
        _ => None,
    };
    let (policy, attestations, facts) = match policy {
        Some((report, attestations, facts)) => (Some(report), attestations, Some(facts)),
        None => (None, Vec::new(), None),
    };
    let report = VerificationReport {
        kind: "verify",
        version: REPORT_VERSION,
        verified: !checked.findings.iter().any(Finding::fails)
            && policy.as_ref().is_none_or(|p| p.passed),
        policy,
        model: model.display().to_string(),
        signature: signature.display().to_string(),
        signer: signer_report(&verified.signer),
        signature_algorithm: verified.algorithm.name(),
        root_digest: signed.root_digest.to_hex(),
        serialization: serialization_report(&signed.serialization),
        findings: checked.findings,
        resources_checked: checked.resources_checked,
        resources_signed: checked.resources_signed,
        partial: !options.only.is_empty(),
        bytes_hashed: checked.bytes_hashed,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        links: checked.links,
        unused_ignore_paths: checked.unused_ignore_paths,
        unchecked_files: checked.unchecked_files,
    };
    Ok(Verified {
        report,
        checked: attestations,
        facts,
    })
}

/// What [`check_model`] needs beyond the signed manifest.
pub(crate) struct Check<'a> {
    pub ignore_paths: &'a [PathBuf],
    /// Follow links inside the model whatever the signature recorded.
    pub allow_symlinks: bool,
    /// Whether `signed` comes from a verified signature (its walk options
    /// are then trusted as they are).
    pub signature_verified: bool,
    pub ignore_unsigned_files: bool,
    pub only: &'a [PathBuf],
    pub unsafe_formats: UnsafeFormats,
    pub allow_globals: &'a AllowGlobals,
    pub threads: Option<usize>,
    pub progress: Option<ProgressFn>,
    /// Compare Git LFS pointer files by their `oid` instead of hashing them.
    pub lfs_pointers: bool,
}

/// What [`check_model`] found.
pub(crate) struct Checked {
    pub findings: Vec<Finding>,
    pub resources_checked: usize,
    /// Resources in the signed manifest (more than checked with `--only`).
    pub resources_signed: usize,
    pub bytes_hashed: u64,
    pub lfs_pointers: Vec<String>,
    pub cache: Option<CacheStats>,
    pub links: Option<LinksReport>,
    /// The caller's extra ignore paths that matched nothing.
    pub unused_ignore_paths: Vec<String>,
    /// Files whose format was identified but not inspected.
    pub unchecked_files: Vec<UncheckedFile>,
}

/// Opens the digest cache when a cache directory is given.
pub(crate) fn open_cache(model: &Path, dir: Option<&Path>) -> Result<Option<DigestCache>, Error> {
    dir.map(|dir| DigestCache::open(dir, model).map_err(Error::from))
        .transpose()
}

/// Compares a model with a signed manifest: one walk with the signed
/// serialization, one hashing pass (through `cache` when given), every
/// difference as a finding. Trust is the caller's business.
pub(crate) fn check_model(
    model: &Path,
    signed: &SignedManifest,
    signature: &Path,
    options: &Check<'_>,
    cache: Option<&mut DigestCache>,
) -> Result<Checked, Error> {
    let walked = walk_model(model, signed, signature, options)?;
    let mut findings: Vec<Finding> = walked
        .problems()
        .iter()
        .map(|problem| Finding::PathProblem {
            path: problem_path(problem),
            message: problem.to_string(),
        })
        .collect();
    if let Some((path, message)) = crate::layout::attestations_file_problem(model) {
        findings.push(Finding::PathProblem {
            path: path.display().to_string(),
            message,
        });
    }

    let mut expected = Expected::from_signed(signed, &walked, signature)?;
    let mut on_disk: BTreeMap<&str, &ModelFile> = walked
        .files()
        .iter()
        .map(|f| (f.name.as_str(), f))
        .collect();
    if !options.only.is_empty() {
        let only = only_names(model, options.only, &walked)?;
        restrict_to_only(model, &only, &mut expected, &mut on_disk, &mut findings);
    }
    presence(signed, &expected, &on_disk, options, &mut findings);
    detect_renames(signed, &expected, &on_disk, options, &mut findings)?;

    // Formats: every file present that is being checked, signed or not,
    // excluded or not (an ignore path hides a file from the manifest, not
    // from a loader).
    let (format_findings, unchecked_files) = check_files_noting(
        on_disk
            .values()
            .copied()
            .chain(walked.ignored_files())
            .map(|f| (f.name.as_str(), f.content_path())),
        &FormatGate {
            unsafe_formats: options.unsafe_formats,
            allow_globals: options.allow_globals.clone(),
        },
    )?;
    findings.extend(format_findings);

    let hashed = hash_signed(&walked, signed, &expected, options, cache, &mut findings)?;
    compare(
        &expected,
        &hashed.compared,
        &hashed.actual,
        signed.serialization.method,
        &mut findings,
    );

    findings.sort_by(|a, b| finding_key(a).cmp(&finding_key(b)));
    Ok(Checked {
        findings,
        resources_checked: resources_checked(&expected),
        resources_signed: signed.resources.len(),
        bytes_hashed: hashed.actual.iter().map(|r| r.size).sum(),
        lfs_pointers: hashed.lfs_pointers,
        cache: hashed.cache,
        links: LinksReport::of(&walked),
        unused_ignore_paths: unused_extra_ignores(model, options.ignore_paths, &walked),
        unchecked_files,
    })
}

/// Walks the model as the signature says it was walked (its ignore paths
/// and link allowance), plus the caller's, leaving out the signature and
/// attestations files.
fn walk_model(
    model: &Path,
    signed: &SignedManifest,
    signature: &Path,
    options: &Check<'_>,
) -> Result<modelseal_hash::Model, Error> {
    let mut ignore_paths: Vec<PathBuf> = signed
        .serialization
        .ignore_paths
        .iter()
        .map(PathBuf::from)
        .collect();
    ignore_paths.extend(options.ignore_paths.iter().cloned());
    let walk_options = WalkOptions {
        allow_symlinks: signed.serialization.allow_symlinks || options.allow_symlinks,
        ignore_paths,
        exclude_files: vec![
            signature.to_owned(),
            modelseal_attest::default_attestations_path(model),
        ],
        keep_going: true,
        // Excluded files are unsigned but still on disk and loadable.
        list_ignored: options.only.is_empty(),
        // An allowance read from a signature nobody verified (status, the
        // hook) must not let a hostile repository widen the walk: links to
        // files only, never into directories.
        file_symlinks_only: !options.signature_verified && !options.allow_symlinks,
    };
    Ok(modelseal_hash::walk(model, &walk_options)?)
}

/// `--only`: keeps the named files (exact names) on both sides, and the
/// path problems of those files; a named file the signature lacks is
/// unsigned.
fn restrict_to_only(
    model: &Path,
    only: &std::collections::BTreeSet<String>,
    expected: &mut Expected,
    on_disk: &mut BTreeMap<&str, &ModelFile>,
    findings: &mut Vec<Finding>,
) {
    for name in only {
        if !expected.files.contains_key(name) {
            findings.push(Finding::NotSigned { name: name.clone() });
        }
    }
    expected.files.retain(|name, _| only.contains(name));
    on_disk.retain(|name, _| only.contains(*name));
    findings.retain(|finding| match finding {
        // Exact names, as for files: `a.bin` is not `sub/a.bin`.
        Finding::PathProblem { path, .. } => Path::new(path)
            .strip_prefix(model)
            .ok()
            .and_then(Path::to_str)
            .is_some_and(|name| only.contains(name)),
        _ => true,
    });
}

/// Signed files that are not on disk, and files on disk nobody signed.
fn presence(
    signed: &SignedManifest,
    expected: &Expected,
    on_disk: &BTreeMap<&str, &ModelFile>,
    options: &Check<'_>,
    findings: &mut Vec<Finding>,
) {
    for name in expected.files.keys() {
        if !on_disk.contains_key(name.as_str()) {
            findings.push(Finding::Missing { name: name.clone() });
        }
    }
    // OMS: a zero-byte file has no shard, so a sharded manifest cannot list
    // it (the reference tool skips it too); it is not an unsigned file.
    let no_shards = |file: &ModelFile| {
        matches!(signed.serialization.method, Method::Shards { .. }) && file.size == 0
    };
    for (name, file) in on_disk {
        if !expected.files.contains_key(*name) && options.only.is_empty() && !no_shards(file) {
            findings.push(Finding::Unsigned {
                name: (*name).to_owned(),
                fails: !options.ignore_unsigned_files,
            });
        }
    }
}

/// What [`hash_signed`] hashed.
struct Hashed {
    /// The files compared with the signature (sizes that differ from the
    /// signed ones were compared without hashing).
    compared: Vec<ModelFile>,
    /// Their digests as hashed now.
    actual: Vec<modelseal_hash::Resource>,
    lfs_pointers: Vec<String>,
    cache: Option<CacheStats>,
}

/// Hashes the signed files that are present: Git LFS pointers compared by
/// their recorded digest (with `lfs_pointers`), files whose size already
/// differs from the signed one not read at all.
fn hash_signed(
    walked: &modelseal_hash::Model,
    signed: &SignedManifest,
    expected: &Expected,
    options: &Check<'_>,
    cache: Option<&mut DigestCache>,
    findings: &mut Vec<Finding>,
) -> Result<Hashed, Error> {
    // Hash only what was signed and is present: extra files need no hashing.
    let to_hash: Vec<ModelFile> = walked
        .files()
        .iter()
        .filter(|f| expected.files.contains_key(&f.name))
        .cloned()
        .collect();
    let hash_options = HashOptions {
        algorithm: signed.serialization.hash_type,
        method: Some(signed.serialization.method),
        threads: options.threads,
        progress: options.progress.clone(),
    };
    let mut lfs_pointers = Vec::new();
    let to_hash = if options.lfs_pointers {
        lfs_compare(to_hash, signed, expected, &mut lfs_pointers, findings)
    } else {
        to_hash
    };
    // A size the signature gives (shards: the signed ranges end at it) is
    // checked before hashing: a 10 GB file in place of a 6-byte one is a
    // size change found by `stat`, not after reading 10 GB.
    let hash_now: Vec<ModelFile> = to_hash
        .iter()
        .filter(|file| match signed.serialization.method {
            Method::Files => true,
            Method::Shards { .. } => expected.files.get(&file.name).is_none_or(|signed| {
                signed.iter().filter_map(|s| s.1).max().unwrap_or(0) == file.size
            }),
        })
        .cloned()
        .collect();
    let (actual, cache_stats) = match cache {
        Some(cache) => {
            let (actual, stats) = modelseal_hash::hash_files_cached(
                &hash_now,
                signed.serialization.hash_type,
                signed.serialization.method,
                &hash_options,
                cache,
            )?;
            (actual, Some(stats))
        }
        None => (
            modelseal_hash::hash_files(
                &hash_now,
                signed.serialization.hash_type,
                signed.serialization.method,
                &hash_options,
            )?,
            None,
        ),
    };
    Ok(Hashed {
        compared: to_hash,
        actual,
        lfs_pointers,
        cache: cache_stats,
    })
}

/// Pairs each missing file with an unsigned file of the same signed
/// content and reports the pair as one rename. Only with the files method
/// (a whole-file digest to compare), and only when something is missing:
/// unsigned files are hashed for this alone.
fn detect_renames(
    signed: &SignedManifest,
    expected: &Expected,
    on_disk: &BTreeMap<&str, &ModelFile>,
    options: &Check<'_>,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    if signed.serialization.method != Method::Files || !options.only.is_empty() {
        return Ok(());
    }
    // Digests compare in constant time and have no order: a list.
    let missing: Vec<(Digest, &str)> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::Missing { name } => expected
                .files
                .get(name)
                .and_then(|d| d.first())
                .map(|(_, _, digest)| (*digest, name.as_str())),
            _ => None,
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let unsigned: Vec<ModelFile> = on_disk
        .iter()
        .filter(|(name, _)| !expected.files.contains_key(**name))
        .map(|(_, f)| (*f).clone())
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    let hash_options = HashOptions {
        algorithm: signed.serialization.hash_type,
        method: Some(Method::Files),
        threads: options.threads,
        progress: None,
    };
    let hashed = modelseal_hash::hash_files(
        &unsigned,
        signed.serialization.hash_type,
        Method::Files,
        &hash_options,
    )?;
    let mut renames: Vec<(String, String)> = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    for resource in &hashed {
        let from = missing
            .iter()
            .find(|(digest, name)| *digest == resource.digest && !taken.contains(name));
        if let Some((_, from)) = from {
            taken.insert(*from);
            renames.push(((*from).to_owned(), resource.name.clone()));
        }
    }
    for (from, to) in renames {
        findings.retain(|f| match f {
            Finding::Missing { name } => name != &from,
            Finding::Unsigned { name, .. } => name != &to,
            _ => true,
        });
        findings.push(Finding::Renamed { from, to });
    }
    Ok(())
}

/// Which of the caller's extra ignore paths (not the signed ones, which
/// may well match nothing here) matched nothing in the model.
fn unused_extra_ignores(
    model: &Path,
    extra: &[PathBuf],
    walked: &modelseal_hash::Model,
) -> Vec<String> {
    extra
        .iter()
        .filter_map(|p| modelseal_hash::model_relative_name(model, p).ok())
        .filter(|name| walked.unused_ignore_paths().contains(name))
        .collect()
}

/// Reads a signature file and checks it with the policy signer it names:
/// the verified bundle and that signer's index.
pub(crate) fn read_policy_bundle(
    signature: &Path,
    policy: &Policy,
    at: Timestamp,
) -> Result<(VerifiedBundle, usize), Error> {
    let bundle = read_capped(signature, MAX_BUNDLE_SIZE)?;
    let identified = policy
        .identify(&bundle, at)
        .map_err(|e| Error::PolicySignature {
            path: signature.to_owned(),
            reason: unidentified_reason(policy, e),
        })?;
    let manifest = modelseal_oms::parse_statement(&identified.verified.payload).map_err(|e| {
        Error::Signature {
            path: signature.to_owned(),
            source: e.into(),
        }
    })?;
    Ok((
        VerifiedBundle {
            manifest,
            signer: identified.verified.signer,
            algorithm: identified.verified.algorithm,
        },
        identified.signer,
    ))
}

/// Why a bundle could not be tied to a policy signer, in words.
pub(crate) fn unidentified_reason(policy: &Policy, e: Unidentified) -> String {
    match e {
        Unidentified::Malformed(m) => format!("malformed bundle: {m}"),
        Unidentified::Unknown(who) => format!("signed by {who}, which the policy does not list"),
        Unidentified::BadSignature { signer, message } => format!(
            "it names signer `{}` but does not verify: {message}",
            policy.signers[signer].name
        ),
        _ => "not identified".to_owned(),
    }
}

/// Checks every attestation in `attestations` and evaluates the policy's
/// rules for the model `facts` describe: the report, and the attestations
/// as checked.
pub(crate) fn evaluate_policy(
    policy: &Policy,
    facts: &ModelFacts,
    attestations: &Path,
) -> Result<(PolicyReport, Vec<CheckedAttestation>), Error> {
    let stored = modelseal_attest::read_attestations(attestations)?;
    let checked =
        modelseal_attest::check_attestations(policy, &stored, Some(&facts.digests), facts.at);
    let rules = modelseal_attest::evaluate(policy, facts, &checked);
    let mut entries: Vec<AttestationEntry> = checked
        .iter()
        .map(|a| AttestationEntry::new(policy, a))
        .collect();
    AttestationEntry::count_by(&mut entries, &rules);
    let report = PolicyReport {
        policy: policy.path.display().to_string(),
        attestations_file: attestations.display().to_string(),
        evaluated_at: facts.at.to_string(),
        model_signer: policy.signers[facts.model_signer].name.clone(),
        manifest_digest: facts.digests.manifest_digest.sha256.clone(),
        policy_digest: policy.digest.clone(),
        passed: rules.iter().all(|r| r.passed),
        rules,
        attestations: entries,
    };
    Ok((report, checked))
}

/// Reads a signature's manifest without checking who signed it (`status`,
/// and the digest an attestation binds to).
pub(crate) fn read_unverified_manifest(signature: &Path) -> Result<SignedManifest, Error> {
    let bytes = read_capped(signature, MAX_BUNDLE_SIZE)?;
    let malformed = |source: modelseal_oms::VerifyError| Error::Signature {
        path: signature.to_owned(),
        source,
    };
    let bundle =
        modelseal_oms::bundle::Bundle::from_json(&bytes).map_err(|e| malformed(e.into()))?;
    // Nobody checked this signature: the payload's JSON is counted before a
    // tree is built, so a forged bundle cannot cost gigabytes.
    modelseal_oms::parse_unverified_statement(&bundle.envelope.payload)
        .map_err(|e| malformed(e.into()))
}

/// Reads a signature file (capped at the bundle size limit) and checks it
/// against `trust`: the step before any model byte is read.
pub(crate) fn read_verified_bundle(
    signature: &Path,
    trust: &Trust,
) -> Result<VerifiedBundle, Error> {
    let bundle = read_capped(signature, MAX_BUNDLE_SIZE)?;
    modelseal_oms::verify_bundle(&bundle, trust).map_err(|source| Error::Signature {
        path: signature.to_owned(),
        source,
    })
}

/// The signed manifest, indexed by file.
struct Expected {
    /// File name → its signed resources: one `(0, None, digest)` entry for
    /// the files method, `(start, Some(end), digest)` per shard.
    files: BTreeMap<String, Vec<(u64, Option<u64>, Digest)>>,
    /// File name → its signed per-tensor digests, where recorded.
    tensors: BTreeMap<String, Vec<SignedTensor>>,
    algorithm: HashAlgorithm,
}

impl Expected {
    fn from_signed(
        signed: &SignedManifest,
        walked: &modelseal_hash::Model,
        signature: &Path,
    ) -> Result<Self, Error> {
        // A single-file model's one signed file is the file being verified,
        // whatever it was called: the reference tools name it `.`, older
        // modelseal bundles by its basename, and a renamed file is the same
        // content. A manifest of several files stays as signed (and fails).
        let file_path = |name: &str| -> String {
            match signed.serialization.method {
                Method::Files => name.to_owned(),
                Method::Shards { .. } => parse_shard_name(name)
                    .map_or_else(|| name.to_owned(), |(path, _, _)| path.to_owned()),
            }
        };
        let signed_paths: std::collections::BTreeSet<String> = signed
            .resources
            .iter()
            .map(|r| file_path(&r.name))
            .collect();
        let single_name = (walked.kind() == ModelKind::File && signed_paths.len() == 1)
            .then(|| walked.files().first().map(|f| f.name.clone()))
            .flatten();
        let rename = |path: &str| -> String {
            match &single_name {
                Some(name) => name.clone(),
                None => path.to_owned(),
            }
        };
        let mut files: BTreeMap<String, Vec<(u64, Option<u64>, Digest)>> = BTreeMap::new();
        let mut tensors = BTreeMap::new();
        for resource in &signed.resources {
            if let Some(value) = resource.extra.get("tensors") {
                let list: Vec<SignedTensor> =
                    serde_json::from_value(value.clone()).map_err(|_| Error::Tensors {
                        path: signature.to_owned(),
                        name: resource.name.clone(),
                    })?;
                tensors.insert(rename(&resource.name), list);
            }
            match signed.serialization.method {
                Method::Files => files.entry(rename(&resource.name)).or_default().push((
                    0,
                    None,
                    resource.digest,
                )),
                Method::Shards { .. } => {
                    // The statement parser has checked the name's form.
                    let (path, start, end) =
                        parse_shard_name(&resource.name).unwrap_or((resource.name.as_str(), 0, 0));
                    files.entry(rename(path)).or_default().push((
                        start,
                        Some(end),
                        resource.digest,
                    ));
                }
            }
        }
        for shards in files.values_mut() {
            shards.sort_by_key(|s| s.0);
        }
        Ok(Self {
            files,
            tensors,
            algorithm: signed.serialization.hash_type,
        })
    }
}

/// One entry of a resource's signed `tensors` list (`sign --tensors`).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedTensor {
    name: String,
    dtype: String,
    shape: Vec<u64>,
    #[serde(deserialize_with = "digest_hex")]
    digest: Digest,
}

fn digest_hex<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// Which tensors of a modified safetensors file differ from the signed ones;
/// `None` when the file no longer parses (its own finding says why).
fn tensor_changes(
    path: &Path,
    algorithm: HashAlgorithm,
    signed: &[SignedTensor],
) -> Option<TensorChanges> {
    let current = modelseal_formats::tensor_digests(path, algorithm).ok()?;
    let now: BTreeMap<&str, &modelseal_formats::TensorDigest> =
        current.iter().map(|t| (t.name.as_str(), t)).collect();
    let then: BTreeMap<&str, &SignedTensor> = signed.iter().map(|t| (t.name.as_str(), t)).collect();
    let changed = then
        .iter()
        .filter(|(name, old)| {
            now.get(*name).is_some_and(|new| {
                new.digest != old.digest || new.dtype != old.dtype || new.shape != old.shape
            })
        })
        .map(|(name, _)| (*name).to_owned())
        .collect();
    let added = now
        .keys()
        .filter(|name| !then.contains_key(*name))
        .map(|name| (*name).to_owned())
        .collect();
    let removed = then
        .keys()
        .filter(|name| !now.contains_key(*name))
        .map(|name| (*name).to_owned())
        .collect();
    Some(TensorChanges {
        changed,
        added,
        removed,
    })
}

fn compare(
    expected: &Expected,
    hashed: &[ModelFile],
    actual: &[modelseal_hash::Resource],
    method: Method,
    findings: &mut Vec<Finding>,
) {
    let actual: BTreeMap<&str, &Digest> = actual
        .iter()
        .map(|r| (r.name.as_str(), &r.digest))
        .collect();
    for file in hashed {
        let Some(signed) = expected.files.get(&file.name) else {
            continue;
        };
        match method {
            Method::Files => {
                let (_, _, digest) = &signed[0];
                if let Some(found) = actual.get(file.name.as_str()) {
                    if *found != digest {
                        let mut finding = modified(&file.name, expected.algorithm, digest, found);
                        if let (Finding::Modified { tensors, .. }, Some(signed_tensors)) =
                            (&mut finding, expected.tensors.get(&file.name))
                        {
                            *tensors = tensor_changes(
                                file.content_path(),
                                expected.algorithm,
                                signed_tensors,
                            );
                        }
                        findings.push(finding);
                    }
                }
            }
            Method::Shards { .. } => {
                let signed_size = signed.iter().filter_map(|s| s.1).max().unwrap_or(0);
                let layout_matches = signed_size == file.size
                    && signed.iter().all(|(start, end, _)| {
                        let name = modelseal_hash::shard_name(&file.name, *start, end.unwrap_or(0));
                        actual.contains_key(name.as_str())
                    })
                    && signed.len() == shard_count(file.size, method);
                if !layout_matches {
                    findings.push(Finding::SizeChanged {
                        name: file.name.clone(),
                        expected_size: signed_size,
                        actual_size: file.size,
                    });
                    continue;
                }
                for (start, end, digest) in signed {
                    let name = modelseal_hash::shard_name(&file.name, *start, end.unwrap_or(0));
                    if let Some(found) = actual.get(name.as_str()) {
                        if *found != digest {
                            findings.push(modified(&name, expected.algorithm, digest, found));
                        }
                    }
                }
            }
        }
    }
}

fn resources_checked(expected: &Expected) -> usize {
    expected.files.values().map(Vec::len).sum()
}

/// The model-relative names `--only` gave; a single-file model's only name
/// is its own.
fn only_names(
    model: &Path,
    only: &[PathBuf],
    walked: &modelseal_hash::Model,
) -> Result<std::collections::BTreeSet<String>, Error> {
    if walked.kind() == ModelKind::File {
        return Ok(walked.files().iter().map(|f| f.name.clone()).collect());
    }
    only.iter()
        .map(|path| {
            // Model-relative first; a path that exists only relative to the
            // working directory (as shell completion gives it) also works.
            let path = if path.is_relative() && !model.join(path).exists() && path.exists() {
                std::path::absolute(path).map_err(|e| Error::io("read", path, e))?
            } else {
                path.clone()
            };
            modelseal_hash::model_relative_name(model, &path).map_err(Error::from)
        })
        .collect()
}

fn shard_count(size: u64, method: Method) -> usize {
    match method {
        Method::Shards { shard_size } if shard_size > 0 => {
            usize::try_from(size.div_ceil(shard_size)).unwrap_or(usize::MAX)
        }
        _ => 1,
    }
}

fn modified(name: &str, algorithm: HashAlgorithm, expected: &Digest, actual: &Digest) -> Finding {
    Finding::Modified {
        name: name.to_owned(),
        algorithm: algorithm.name(),
        expected: expected.to_hex(),
        actual: actual.to_hex(),
        tensors: None,
    }
}

fn finding_key(finding: &Finding) -> (&str, u8) {
    match finding {
        Finding::Modified { name, .. } => (name, 0),
        Finding::SizeChanged { name, .. } => (name, 1),
        Finding::Missing { name } => (name, 2),
        Finding::Renamed { from, .. } => (from, 2),
        Finding::Unsigned { name, .. } => (name, 3),
        Finding::NotSigned { name } => (name, 4),
        Finding::InvalidFormat { name, .. } => (name, 5),
        Finding::UnsafeFormat { name, .. } => (name, 6),
        Finding::PathProblem { path, .. } => (path, 7),
    }
}

fn problem_path(problem: &modelseal_hash::Error) -> String {
    use modelseal_hash::Error as E;
    match problem {
        E::NonUtf8Name { path }
        | E::SpecialFile { path, .. }
        | E::SymlinkNotAllowed { path }
        | E::SymlinkEscapes { path, .. }
        | E::SymlinkCycle { path }
        | E::SymlinkRepeated { path, .. }
        | E::BrokenSymlink { path, .. }
        | E::Io { path, .. } => path.display().to_string(),
        other => other.to_string(),
    }
}

impl From<&modelseal_hash::Serialization> for SerializationReport {
    fn from(s: &modelseal_hash::Serialization) -> Self {
        serialization_report(s)
    }
}

fn serialization_report(s: &modelseal_hash::Serialization) -> SerializationReport {
    SerializationReport {
        method: s.method.name(),
        hash_type: s.hash_type.name(),
        shard_size: match s.method {
            Method::Shards { shard_size } => Some(shard_size),
            Method::Files => None,
        },
        allow_symlinks: s.allow_symlinks,
        ignore_paths: s.ignore_paths.clone(),
    }
}

fn signer_report(signer: &Signer) -> SignerReport {
    match signer {
        Signer::Key {
            key_id,
            unmatched_hint,
            ..
        } => SignerReport::Key {
            key_id: key_id.clone(),
            unmatched_hint: unmatched_hint.clone(),
        },
        Signer::Certificate {
            subject,
            issuer,
            serial,
            not_after,
            chain_len,
        } => SignerReport::Certificate {
            subject: subject.clone(),
            issuer: issuer.clone(),
            serial: serial.clone(),
            not_after: rfc3339(*not_after),
            chain_length: *chain_len,
        },
        Signer::Sigstore(k) => SignerReport::Sigstore {
            identity: k.identity.clone(),
            issuer: k.issuer.clone(),
            log_index: k.log_index,
            log_url: k.log_url.clone(),
            integrated_time: k.integrated_time.map(rfc3339),
            tsa_times: k.tsa_times.iter().copied().map(rfc3339).collect(),
            not_before: rfc3339(k.not_before),
            not_after: rfc3339(k.not_after),
        },
        // Signer is non-exhaustive: a kind this crate does not know yet.
        _ => SignerReport::Key {
            key_id: String::new(),
            unmatched_hint: None,
        },
    }
}

fn rfc3339(time: SystemTime) -> String {
    x509_cert::der::DateTime::from_system_time(time)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "unrepresentable".to_owned())
}

/// Git LFS pointer files (`version https://git-lfs.github.com/spec/v1`, an
/// `oid sha256:` and a `size`) among the files to hash are compared by their
/// oid with the signed SHA-256 digest instead of being hashed: in a checkout
/// whose weights were never smudged, the pointer stands for the file. Their
/// names go to `pointers`; the rest are returned to be hashed.
fn lfs_compare(
    files: Vec<ModelFile>,
    signed: &SignedManifest,
    expected: &Expected,
    pointers: &mut Vec<String>,
    findings: &mut Vec<Finding>,
) -> Vec<ModelFile> {
    if signed.serialization.method != Method::Files
        || signed.serialization.hash_type != HashAlgorithm::Sha256
    {
        return files;
    }
    let mut rest = Vec::with_capacity(files.len());
    for file in files {
        let oid = (file.size < 1024)
            .then(|| std::fs::read(file.content_path()).ok())
            .flatten()
            .and_then(|bytes| lfs_pointer_oid(&bytes));
        let (Some(oid), Some(signed_entries)) = (oid, expected.files.get(&file.name)) else {
            rest.push(file);
            continue;
        };
        let (_, _, digest) = &signed_entries[0];
        if oid != *digest {
            findings.push(modified(&file.name, HashAlgorithm::Sha256, digest, &oid));
        }
        pointers.push(file.name);
    }
    rest
}

/// The `oid sha256:` of a Git LFS pointer file, if `bytes` is one.
fn lfs_pointer_oid(bytes: &[u8]) -> Option<Digest> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    if lines.next()? != "version https://git-lfs.github.com/spec/v1" {
        return None;
    }
    let mut oid = None;
    let mut size = false;
    for line in lines {
        if let Some(hex) = line.strip_prefix("oid sha256:") {
            oid = hex
                .parse::<Digest>()
                .ok()
                .filter(|d| d.as_bytes().len() == 32);
        } else if let Some(n) = line.strip_prefix("size ") {
            size = n.parse::<u64>().is_ok();
        }
    }
    oid.filter(|_| size)
}
