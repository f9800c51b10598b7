//! `modelseal attest`: sign a statement about a model and add it to its
//! attestations file.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use modelseal::attestation::{
    BaseModel, Dataset, DatasetProvenance, DigestSet, DocumentRef, Exception, Lineage,
    ParentVersion, Predicate, Role, SecurityTest, TestRun, TimeBasis, Timestamp, TrainingData,
};
use serde::Serialize;

use crate::args::{
    AttestCommand, AttestCommon, AttestDatasetArgs, AttestExceptionArgs, AttestFileArgs,
    AttestLineageArgs, AttestTestArgs, Format,
};
use crate::commands::Status;
use crate::output::{self, JSON_VERSION};

/// `modelseal attest --format json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct AttestJson {
    kind: &'static str,
    version: u32,
    model: String,
    attestations: String,
    line: usize,
    predicate_type: &'static str,
    role: &'static str,
    subject_name: String,
    subject_digest: modelseal_hash::DigestJson,
    manifest_digest: modelseal_hash::DigestJson,
    bound_to_signature: Option<String>,
    key_id: String,
}

/// The largest predicate or document file read.
const MAX_INPUT: u64 = 1 << 20;

pub fn run(command: &AttestCommand) -> anyhow::Result<Status> {
    let (common, default_role) = match command {
        AttestCommand::Dataset(a) => (&a.common, Role::DataCustodian),
        AttestCommand::Lineage(a) => (&a.common, Role::Developer),
        AttestCommand::Test(a) => (&a.common, Role::Tester),
        AttestCommand::Exception(a) => (&a.common, Role::Developer),
        AttestCommand::File(a) => (&a.common, default_role(&a.predicate_type)?),
    };
    let role = match &common.role {
        Some(text) => text.parse::<Role>().map_err(anyhow::Error::msg)?,
        None => default_role,
    };
    let now = Timestamp::now();
    let options = modelseal::AttestOptions {
        signature: common.signature.clone(),
        attestations: common.attestations.clone(),
        certificates: Vec::new(),
        cache_dir: if common.cached {
            Some(super::cache_dir()?)
        } else {
            None
        },
    };
    let (key, certificates) = common.signer.load()?;
    let own = key.public_key();
    let predicate = match command {
        AttestCommand::Dataset(a) => dataset(a, role, now)?,
        AttestCommand::Lineage(a) => lineage(a, &options, &own, role, now)?,
        AttestCommand::Test(a) => security_test(a, role, now)?,
        AttestCommand::Exception(a) => exception(a, role, now)?,
        AttestCommand::File(a) => from_file(a, role, now)?,
    };
    let options = modelseal::AttestOptions {
        certificates,
        ..options
    };
    let outcome = modelseal::attest_model(&common.model, predicate, &key, &options)?;
    render(common, &outcome)
}

/// `attest dataset`: hashes the local copy; the retrieval time is the one
/// declared, else the copy's file time, else now (and the report says so).
fn dataset(a: &AttestDatasetArgs, role: Role, now: Timestamp) -> anyhow::Result<Predicate> {
    let copy = modelseal::hash_local_copy(&a.path)?;
    let (retrieved_at, basis) = match (&a.retrieved_at, copy.obtained_at) {
        (Some(text), _) => (time(text, "--retrieved-at")?, TimeBasis::Declared),
        (None, Some(t)) => (t, TimeBasis::FileTime),
        (None, None) => (now, TimeBasis::AttestationTime),
    };
    if basis != TimeBasis::Declared {
        crate::output::print_warning(&format!(
            "no --retrieved-at: the retrieval time recorded is {}; the report flags it \
             as not declared",
            if basis == TimeBasis::FileTime {
                "the local copy's file time"
            } else {
                "now"
            }
        ));
    }
    let usage = a
        .usage
        .iter()
        .map(|u| u.parse().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Predicate::DatasetProvenance(DatasetProvenance {
        role,
        attested_at: now,
        datasets: vec![Dataset {
            name: a.name.clone(),
            source_uri: a.source.clone(),
            retrieved_at_basis: Some(basis),
            retrieved_at,
            digest: copy.digest,
            size: copy.size,
            files: Some(copy.files),
            license: a.license.clone(),
            obtained_by: a.obtained_by.clone(),
            usage,
            custodian: a.custodian.clone(),
        }],
    }))
}

/// `attest lineage`: a parent version or dataset named without a digest is
/// looked up in the model's attestations file (signed by this key, else a
/// warning names who signed it).
fn lineage(
    a: &AttestLineageArgs,
    options: &modelseal::AttestOptions,
    own: &modelseal::PublicKey,
    role: Role,
    now: Timestamp,
) -> anyhow::Result<Predicate> {
    let common = &a.common;
    let parent = match (&a.parent_version, &a.parent_digest) {
        (None, _) => None,
        (Some(version), Some(digest)) => Some(ParentVersion {
            version: version.clone(),
            root_digest: digest_arg(digest, "--parent-digest")?,
            manifest_digest: None,
        }),
        (Some(version), None) => {
            let found = modelseal::find_version_digest(&common.model, options, version, own)?
                .with_context(|| {
                    format!(
                        "no lineage statement for version {version} in the model's \
                             attestations file: give --parent-digest"
                    )
                })?;
            warn_if_foreign(&found, &format!("version {version}'s root digest"));
            Some(ParentVersion {
                version: version.clone(),
                root_digest: found.digest,
                manifest_digest: found.manifest_digest,
            })
        }
    };
    let base_model = match (&a.base_model, &a.base_model_source, &a.base_model_digest) {
        (Some(name), Some(source), Some(digest)) => Some(BaseModel {
            name: name.clone(),
            source: source.clone(),
            digest: digest_arg(digest, "--base-model-digest")?,
        }),
        _ => None,
    };
    let mut training_data = Vec::new();
    for spec in &a.datasets {
        training_data.push(match spec.split_once('=') {
            Some((name, digest)) => TrainingData {
                name: name.to_owned(),
                digest: digest_arg(digest, "--dataset")?,
            },
            None => {
                let found = modelseal::find_dataset_digest(&common.model, options, spec, own)?
                    .with_context(|| {
                        format!(
                            "no dataset provenance for `{spec}` in the model's \
                                 attestations file: give --dataset {spec}=sha256:HEX"
                        )
                    })?;
                warn_if_foreign(&found, &format!("dataset `{spec}`'s digest"));
                TrainingData {
                    name: spec.clone(),
                    digest: found.digest,
                }
            }
        });
    }
    Ok(Predicate::Lineage(Lineage {
        role,
        attested_at: now,
        version: a.model_version.clone(),
        parent,
        base_model,
        change: a.change.clone(),
        training_data,
    }))
}

/// `attest test`.
fn security_test(a: &AttestTestArgs, role: Role, now: Timestamp) -> anyhow::Result<Predicate> {
    Ok(Predicate::SecurityTest(SecurityTest {
        role,
        attested_at: now,
        test: TestRun {
            name: a.name.clone(),
            kind: enum_arg(&a.kind, "--kind")?,
        },
        result: enum_arg(&a.result, "--result")?,
        report: document(&a.report, a.report_uri.as_deref())?,
        tester: a.tester.clone(),
        performed_at: match &a.performed_at {
            Some(text) => time(text, "--performed-at")?,
            None => now,
        },
    }))
}

/// `attest exception`: warns when it has already expired.
fn exception(a: &AttestExceptionArgs, role: Role, now: Timestamp) -> anyhow::Result<Predicate> {
    Ok(Predicate::Exception(Exception {
        role,
        attested_at: now,
        component: a.component.clone(),
        justification: a.justification.clone(),
        risk_assessment: document(&a.risk_assessment, a.risk_assessment_uri.as_deref())?,
        mitigations: a.mitigations.clone(),
        approver: a.approver.clone(),
        expires: {
            let expires = time(&a.expires, "--expires")?;
            if expires <= now {
                output::print_warning(&format!(
                    "--expires {expires} is already past: a policy will not accept this exception"
                ));
            }
            expires
        },
    }))
}

/// `attest file`: any modelseal predicate from JSON or TOML; the role and
/// time are filled in, the model binding never taken from the file.
fn from_file(a: &AttestFileArgs, role: Role, now: Timestamp) -> anyhow::Result<Predicate> {
    let common = &a.common;
    let text = read_input(&a.predicate)?;
    let mut value: serde_json::Value = match a.predicate.extension().and_then(|e| e.to_str()) {
        Some("toml") => toml::from_str(&text)
            .with_context(|| format!("`{}` is not valid TOML", a.predicate.display()))?,
        _ => serde_json::from_str(&text)
            .with_context(|| format!("`{}` is not valid JSON", a.predicate.display()))?,
    };
    let object = value
        .as_object_mut()
        .with_context(|| format!("`{}` must hold an object (table)", a.predicate.display()))?;
    match object.get("role").and_then(serde_json::Value::as_str) {
        Some(in_file) if common.role.as_deref().is_some_and(|r| r != in_file) => {
            anyhow::bail!(
                "`{}` says role `{in_file}` but --role says `{role}`: give one",
                a.predicate.display()
            );
        }
        Some(_) => {}
        None => {
            object.insert("role".to_owned(), serde_json::Value::from(role.name()));
        }
    }
    object
        .entry("attestedAt")
        .or_insert_with(|| serde_json::Value::from(now.to_string()));
    // The binding is taken from the model, never from the file.
    if object.contains_key(modelseal::attestation::MANIFEST_DIGEST_FIELD) {
        anyhow::bail!(
            "`{}` has `{}`: modelseal binds the statement to the model's manifest \
             digest itself; remove the field",
            a.predicate.display(),
            modelseal::attestation::MANIFEST_DIGEST_FIELD
        );
    }
    Predicate::from_json(&a.predicate_type, value)
        .with_context(|| format!("predicate file `{}`", a.predicate.display()))
}

fn render(common: &AttestCommon, outcome: &modelseal::AttestOutcome) -> anyhow::Result<Status> {
    let predicate = &outcome.statement.predicate;
    match common.format {
        Format::Json => output::write_json(&AttestJson {
            kind: "attest",
            version: JSON_VERSION,
            model: common.model.display().to_string(),
            attestations: outcome.attestations.display().to_string(),
            line: outcome.line,
            predicate_type: outcome.statement.predicate_type(),
            role: predicate.role().name(),
            subject_name: outcome.statement.subject_name.clone(),
            subject_digest: modelseal_hash::DigestJson::from_labelled(
                &outcome.statement.subject_digest.to_string(),
            ),
            manifest_digest: modelseal_hash::DigestJson::sha256_hex(
                &outcome.binding.manifest_digest.sha256,
            ),
            bound_to_signature: outcome
                .binding
                .signature
                .as_ref()
                .map(|p| p.display().to_string()),
            key_id: outcome.key_id.clone(),
        })?,
        Format::Text => {
            let mut text = String::new();
            let _ = writeln!(
                text,
                "added {} attestation to `{}` (line {})",
                predicate.kind(),
                outcome.attestations.display(),
                outcome.line
            );
            let _ = writeln!(text, "  role          {}", predicate.role());
            let _ = writeln!(
                text,
                "  subject       {} {}",
                outcome.statement.subject_name, outcome.statement.subject_digest
            );
            let _ = writeln!(
                text,
                "  manifest      {} (names and digests of the files)",
                outcome.binding.manifest_digest
            );
            let _ = writeln!(
                text,
                "  bound to      {}",
                outcome.binding.signature.as_ref().map_or_else(
                    || "the model's files (not signed yet: a default `modelseal sign` gives this root digest)".to_owned(),
                    |p| format!("`{}` (the files match it)", p.display())
                )
            );
            let _ = writeln!(text, "  key           {}", outcome.key_id);
            output::write_text(&text)?;
        }
    }
    Ok(Status::Success)
}

/// A reference taken from a line someone else signed: not checked here.
fn warn_if_foreign(found: &modelseal::FoundRecord, what: &str) {
    if !found.signed_by_you {
        output::print_warning(&format!(
            "{what} ({}) comes from line {} of the attestations file, which your key did not \
             sign and which is not verified here; check it",
            found.digest, found.line
        ));
    }
}

/// The role a predicate type is normally attested in.
fn default_role(predicate_type: &str) -> anyhow::Result<Role> {
    use modelseal::attestation::{DATASET_PROVENANCE_V2, SECURITY_TEST_V2, resolve_type};
    Ok(match resolve_type(predicate_type)? {
        DATASET_PROVENANCE_V2 => Role::DataCustodian,
        SECURITY_TEST_V2 => Role::Tester,
        _ => Role::Developer,
    })
}

fn document(path: &Path, uri: Option<&str>) -> anyhow::Result<DocumentRef> {
    let copy = modelseal::hash_local_copy(path)?;
    let uri = match uri {
        Some(uri) => uri.to_owned(),
        None => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    Ok(DocumentRef {
        uri,
        digest: copy.digest,
    })
}

fn time(text: &str, flag: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse(text).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

fn digest_arg(text: &str, flag: &str) -> anyhow::Result<DigestSet> {
    DigestSet::parse(text).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

fn enum_arg<T: serde::de::DeserializeOwned>(text: &str, flag: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::from(text)).map_err(|_| {
        anyhow::anyhow!("{flag}: `{text}` is not one of the accepted values (see --help)")
    })
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT + 1).read_to_string(&mut text))
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    if text.len() as u64 > MAX_INPUT {
        anyhow::bail!("`{}` is larger than {MAX_INPUT} bytes", path.display());
    }
    Ok(text)
}
