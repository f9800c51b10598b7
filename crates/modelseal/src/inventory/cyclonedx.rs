//! The inventory as a CycloneDX 1.6 ML-BOM (JSON).
//!
//! Typed structures rather than the `cyclonedx-bom` crate, which writes
//! specification 1.3 to 1.5 only; the tests validate what this writes
//! against the official 1.6 JSON schema.
//!
//! One `machine-learning-model` component per model: its root digest as
//! its hash, its files as nested `file` components with their digests, its
//! signature status and signer as `modelseal:` properties, its licence and
//! declared datasets from the model card, the datasets of its provenance
//! attestations as `data` components (source URL as an external
//! reference) referenced from `modelCard.modelParameters.datasets`, and
//! its base model and parent version (lineage) as dependencies.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{InventoryModel, InventoryReport};

/// The CycloneDX specification version written.
pub const CYCLONEDX_SPEC_VERSION: &str = "1.6";

/// A CycloneDX BOM.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Debug, Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    properties: Vec<Property>,
}

#[derive(Debug, Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Debug, Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(rename = "modelCard", skip_serializing_if = "Option::is_none")]
    model_card: Option<ModelCard>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    data: Vec<ComponentData>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
}

#[derive(Debug, Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Debug, Serialize)]
struct LicenseChoice {
    license: License,
}

#[derive(Debug, Serialize)]
struct License {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct ExternalReference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Debug, Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelCard {
    model_parameters: ModelParameters,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Debug, Serialize)]
struct ModelParameters {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    datasets: Vec<DatasetChoice>,
}

#[derive(Debug, Serialize)]
struct DatasetChoice {
    #[serde(rename = "ref")]
    reference: String,
}

#[derive(Debug, Serialize)]
struct ComponentData {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    contents: Option<DataContents>,
}

#[derive(Debug, Serialize)]
struct DataContents {
    url: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

fn property(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: format!("modelseal:{name}"),
        value: value.into(),
    }
}

fn sha256(hex: &str) -> Vec<Hash> {
    // The schema takes 32 to 128 hex digits; anything else is left out
    // rather than written as an invalid hash.
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        vec![Hash {
            alg: "SHA-256",
            content: hex.to_ascii_lowercase(),
        }]
    } else {
        Vec::new()
    }
}

/// A URL the BOM can carry as an external reference: absolute, with a
/// scheme. Anything else (`org/name`, a free-text source) is a property.
fn is_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            && !rest.is_empty()
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// An SPDX license id for a model card's `license` (Hugging Face writes
/// them in lower case), else the text as a license name.
fn license(text: &str) -> LicenseChoice {
    let id = spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(text))
        .map(|l| l.name);
    LicenseChoice {
        license: License {
            id,
            name: id.is_none().then(|| text.to_owned()),
        },
    }
}

/// What the BOM knows of every model and dataset, by digest: one
/// component each, however many models refer to it.
#[derive(Default)]
struct Refs {
    /// Root digest -> bom-ref of the inventory's own models.
    models: BTreeMap<String, String>,
    /// Components added for what models refer to (datasets, base models,
    /// parent versions), by bom-ref.
    extra: BTreeMap<String, Component>,
}

/// The inventory as a CycloneDX 1.6 BOM; serialize it with `serde_json`.
pub fn to_cyclonedx(report: &InventoryReport) -> Bom {
    let mut refs = Refs::default();
    for (index, model) in report.models.iter().enumerate() {
        let bom_ref = model_ref(index);
        refs.models
            .entry(model.root_digest.digest.clone())
            .or_insert_with(|| bom_ref.clone());
        if let Some(signed) = &model.signature.root_digest {
            refs.models.entry(signed.clone()).or_insert(bom_ref);
        }
    }
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    for (index, model) in report.models.iter().enumerate() {
        let (component, depends_on) = model_component(index, model, &mut refs);
        components.push(component);
        dependencies.push(Dependency {
            reference: model_ref(index),
            depends_on,
        });
    }
    components.extend(refs.extra.into_values());
    let timestamp = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    Bom {
        bom_format: "CycloneDX",
        spec_version: CYCLONEDX_SPEC_VERSION,
        serial_number: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        version: 1,
        metadata: Metadata {
            timestamp,
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: "modelseal".to_owned(),
                    version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                    ..Component::default()
                }],
            },
            properties: vec![
                property("trust", report.trust.clone()),
                property("paths", report.paths.join(", ")),
            ],
        },
        components,
        dependencies,
    }
}

fn model_ref(index: usize) -> String {
    format!("model-{}", index + 1)
}

/// One model's component and what it depends on.
/// The `modelseal:` properties of a model's component.
fn model_properties(model: &InventoryModel) -> Vec<Property> {
    let mut properties = vec![
        property("layout", model.layout.name()),
        property("path", model.path.clone()),
        property("signature:status", model.signature.status.name()),
        property("files", model.file_count.to_string()),
        property("size", model.size.to_string()),
    ];
    if !model.formats.is_empty() {
        let formats: Vec<&str> = model.formats.iter().map(|f| f.name()).collect();
        properties.push(property("formats", formats.join(", ")));
    }
    if let Some(path) = &model.signature.path {
        properties.push(property("signature:path", path.clone()));
    }
    if let Some(signer) = &model.signature.signer {
        properties.push(property("signature:signer", signer.describe()));
    }
    if let Some(root) = &model.signature.root_digest {
        properties.push(property("signature:root-digest", format!("sha256:{root}")));
    }
    if let Some(reason) = &model.signature.reason {
        properties.push(property("signature:reason", reason.clone()));
    }
    if let Some(intact) = model.intact {
        properties.push(property("intact", intact.to_string()));
    }
    for finding in &model.format_findings {
        if let crate::Finding::UnsafeFormat { name, format, .. }
        | crate::Finding::InvalidFormat { name, format, .. } = finding
        {
            let kind = if matches!(finding, crate::Finding::UnsafeFormat { .. }) {
                "unsafe-format"
            } else {
                "invalid-format"
            };
            properties.push(property(kind, format!("{name} ({format})")));
        }
    }
    for r in &model.refs {
        properties.push(property("hub:ref", r.clone()));
    }
    properties
}

/// What a model's bound statements say: its version, the datasets
/// (references to `data` components added to `refs`), and what it
/// depends on (base model, parent version).
struct Lineage {
    version: Option<String>,
    datasets: Vec<DatasetChoice>,
    depends_on: Vec<String>,
}

fn lineage(model: &InventoryModel, refs: &mut Refs) -> Lineage {
    let mut datasets = Vec::new();
    let mut depends_on = Vec::new();
    let mut version = model.revision.clone();
    // Only statements bound to this model: accepted under a policy, or
    // unverified (no policy) but naming its digest. A copied attestations
    // file's `other-model` statements must not put lineage in the BOM.
    let bound = model
        .attestations
        .iter()
        .filter(|a| matches!(a.status, "accepted" | "unverified"));
    for attestation in bound {
        if let Some(v) = &attestation.version {
            version = Some(v.clone());
        }
        for dataset in &attestation.datasets {
            let data_ref = format!("dataset-{}", dataset.sha256);
            let entry = refs
                .extra
                .entry(data_ref.clone())
                .or_insert_with(|| dataset_component(&data_ref, dataset));
            if let Some(uri) = &dataset.source_uri {
                if entry.external_references.is_empty() && is_url(uri) {
                    entry.external_references.push(ExternalReference {
                        kind: "distribution",
                        url: uri.clone(),
                        comment: None,
                    });
                }
            }
            if !datasets
                .iter()
                .any(|d: &DatasetChoice| d.reference == data_ref)
            {
                datasets.push(DatasetChoice {
                    reference: data_ref,
                });
            }
        }
        if let Some(base) = &attestation.base_model {
            let target = refs.models.get(&base.sha256).cloned().unwrap_or_else(|| {
                let base_ref = format!("base-model-{}", base.sha256);
                refs.extra.entry(base_ref.clone()).or_insert_with(|| {
                    referred_model(&base_ref, &base.name, None, &base.sha256, &base.source)
                });
                base_ref
            });
            push_unique(&mut depends_on, target);
        }
        if let Some(parent) = &attestation.parent {
            let target = refs.models.get(&parent.sha256).cloned().unwrap_or_else(|| {
                let parent_ref = format!("parent-{}", parent.sha256);
                refs.extra.entry(parent_ref.clone()).or_insert_with(|| {
                    referred_model(
                        &parent_ref,
                        &model.name,
                        Some(&parent.version),
                        &parent.sha256,
                        "",
                    )
                });
                parent_ref
            });
            push_unique(&mut depends_on, target);
        }
    }
    Lineage {
        version,
        datasets,
        depends_on,
    }
}

fn model_component(
    index: usize,
    model: &InventoryModel,
    refs: &mut Refs,
) -> (Component, Vec<String>) {
    let bom_ref = model_ref(index);
    let mut properties = model_properties(model);
    let Lineage {
        version,
        datasets,
        depends_on,
    } = lineage(model, refs);
    let mut card_properties = Vec::new();
    for attestation in &model.attestations {
        card_properties.push(property(
            &format!("attestation:{}", attestation.line),
            format!(
                "{} ({})",
                attestation.predicate.unwrap_or("unreadable"),
                attestation.status
            ),
        ));
    }
    let mut licenses = Vec::new();
    if let Some(card) = &model.card {
        if let Some(text) = &card.license {
            licenses.push(license(text));
        }
        for base in &card.base_model {
            card_properties.push(property("card:base-model", base.clone()));
        }
        for dataset in &card.datasets {
            card_properties.push(property("card:dataset", dataset.clone()));
        }
        card_properties.push(property("card:source", card.source.clone()));
    }
    let files = model
        .files
        .iter()
        .map(|file| Component {
            kind: "file",
            bom_ref: Some(format!("{bom_ref}/{}", file.name)),
            name: file.name.clone(),
            hashes: sha256(&file.sha256),
            properties: vec![
                property("size", file.size.to_string()),
                property("format", file.format.name()),
            ],
            ..Component::default()
        })
        .collect();
    // A lone file's hash is the file's own SHA-256 (what `sha256sum` and
    // other tools give); a model of several files carries its root digest.
    let hash = match (&model.layout, model.files.as_slice()) {
        (super::Layout::File, [file]) => {
            properties.push(property(
                "root-digest",
                format!("sha256:{}", model.root_digest.digest),
            ));
            file.sha256.clone()
        }
        _ => model.root_digest.digest.clone(),
    };
    let component = Component {
        kind: "machine-learning-model",
        bom_ref: Some(bom_ref),
        name: model.name.clone(),
        version,
        hashes: sha256(&hash),
        licenses,
        properties,
        model_card: (!datasets.is_empty() || !card_properties.is_empty()).then_some(ModelCard {
            model_parameters: ModelParameters { datasets },
            properties: card_properties,
        }),
        components: files,
        ..Component::default()
    };
    (component, depends_on)
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn dataset_component(bom_ref: &str, dataset: &super::DatasetRef) -> Component {
    let mut properties = Vec::new();
    if let Some(at) = &dataset.retrieved_at {
        properties.push(property("dataset:retrieved-at", at.clone()));
    }
    if let Some(uri) = dataset.source_uri.as_ref().filter(|u| !is_url(u)) {
        properties.push(property("dataset:source", uri.clone()));
    }
    Component {
        kind: "data",
        bom_ref: Some(bom_ref.to_owned()),
        name: dataset.name.clone(),
        hashes: sha256(&dataset.sha256),
        licenses: dataset
            .license
            .as_deref()
            .filter(|l| !l.is_empty())
            .map(license)
            .into_iter()
            .collect(),
        properties,
        data: vec![ComponentData {
            kind: "dataset",
            name: dataset.name.clone(),
            contents: dataset
                .source_uri
                .as_ref()
                .filter(|u| is_url(u))
                .map(|url| DataContents { url: url.clone() }),
        }],
        ..Component::default()
    }
}

/// A model the inventory did not find but one of its models refers to.
fn referred_model(
    bom_ref: &str,
    name: &str,
    version: Option<&str>,
    sha256_hex: &str,
    source: &str,
) -> Component {
    let mut component = Component {
        kind: "machine-learning-model",
        bom_ref: Some(bom_ref.to_owned()),
        name: name.to_owned(),
        version: version.map(str::to_owned),
        hashes: sha256(sha256_hex),
        properties: vec![property("found", "false")],
        ..Component::default()
    };
    if is_url(source) {
        component.external_references.push(ExternalReference {
            kind: "distribution",
            url: source.to_owned(),
            comment: None,
        });
    } else if !source.is_empty() {
        component
            .properties
            .push(property("source", source.to_owned()));
    }
    component
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::SignatureStatus;

    #[test]
    fn urls_and_licenses() {
        assert!(is_url("https://example.org/data.tar"));
        assert!(is_url("s3://bucket/key"));
        assert!(!is_url("meta-llama/Llama-3.1-8B"));
        assert!(!is_url("https://exa mple.org"));
        assert!(!is_url("://x"));
        assert_eq!(license("apache-2.0").license.id, Some("Apache-2.0"));
        assert_eq!(license("MIT").license.id, Some("MIT"));
        let other = license("llama3");
        assert_eq!(other.license.id, None);
        assert_eq!(other.license.name.as_deref(), Some("llama3"));
    }

    #[test]
    fn hashes_only_of_hex_digests() {
        assert_eq!(sha256(&"a".repeat(64)).len(), 1);
        assert!(sha256("").is_empty());
        assert!(sha256(&"g".repeat(64)).is_empty());
    }

    #[test]
    fn layout_names_are_the_json_names() {
        use crate::inventory::Layout;
        for layout in [
            Layout::HubCache,
            Layout::Directory,
            Layout::Ollama,
            Layout::File,
        ] {
            assert_eq!(
                serde_json::to_value(layout).ok(),
                Some(layout.name().into())
            );
        }
    }

    #[test]
    fn status_names_are_the_json_names() {
        for status in [
            SignatureStatus::Unsigned,
            SignatureStatus::Signed,
            SignatureStatus::Modified,
            SignatureStatus::Verified,
            SignatureStatus::Failed,
            SignatureStatus::Refused,
            SignatureStatus::Malformed,
        ] {
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(status.name().into())
            );
        }
    }
}
