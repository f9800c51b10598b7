//! `modelseal schema DOCUMENT`: the JSON Schema of a `--format json`
//! document, derived from the types that print it (so it cannot drift).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::args::{SchemaArgs, SchemaDocument};
use crate::commands::Status;

pub fn run(args: &SchemaArgs) -> anyhow::Result<Status> {
    crate::output::write_json(&schema(args.document))?;
    Ok(Status::Success)
}

/// The schema of one document. Checks whose signature stage can fail
/// (`verify`, `status`, `log`, `report`, `attestations`) print either the
/// report or a failure document: the schema admits both.
pub fn schema(document: SchemaDocument) -> Value {
    // The documents are written, never read: describe what serialising
    // gives (a field skipped when empty is not required).
    let generator = || {
        schemars::generate::SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator()
    };
    let report = match document {
        SchemaDocument::Hash => generator().into_root_schema_for::<crate::output::HashReport>(),
        SchemaDocument::Sign => generator().into_root_schema_for::<super::sign::SignJson>(),
        SchemaDocument::Verify => {
            generator().into_root_schema_for::<modelseal::VerificationReport>()
        }
        SchemaDocument::Status => generator().into_root_schema_for::<modelseal::StatusReport>(),
        SchemaDocument::Inspect => generator().into_root_schema_for::<modelseal::InspectReport>(),
        SchemaDocument::Inventory => {
            generator().into_root_schema_for::<modelseal::InventoryReport>()
        }
        SchemaDocument::StoreAdd => generator().into_root_schema_for::<modelseal::StoreAddReport>(),
        SchemaDocument::StoreList => {
            generator().into_root_schema_for::<modelseal::StoreListReport>()
        }
        SchemaDocument::StoreVerify => {
            generator().into_root_schema_for::<modelseal::StoreVerifyReport>()
        }
        SchemaDocument::StoreGc => generator().into_root_schema_for::<modelseal::StoreGcReport>(),
        SchemaDocument::Restore => generator().into_root_schema_for::<modelseal::RestoreReport>(),
        SchemaDocument::Repair => generator().into_root_schema_for::<modelseal::RepairReport>(),
        SchemaDocument::Attest => generator().into_root_schema_for::<super::attest::AttestJson>(),
        SchemaDocument::Attestations => {
            generator().into_root_schema_for::<modelseal::AttestationList>()
        }
        SchemaDocument::Log => generator().into_root_schema_for::<modelseal::HistoryReport>(),
        SchemaDocument::Report => generator().into_root_schema_for::<modelseal::EvidenceReport>(),
        SchemaDocument::VerifyReport => {
            generator().into_root_schema_for::<modelseal::ReportVerification>()
        }
    };
    let mut report = report.to_value();
    let name = document.name();
    let kind = json!({ "const": name });
    let version = json!({ "const": crate::output::JSON_VERSION });
    if let Some(properties) = report.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("kind".into(), kind.clone());
        properties.insert("version".into(), version.clone());
    }
    let Some(verdict) = failure_verdict(document) else {
        return with_header(report, name);
    };
    let root = report
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let (mut defs, mut body) = (serde_json::Map::new(), serde_json::Map::new());
    for (key, value) in root {
        match key.as_str() {
            "$defs" => defs = value.as_object().cloned().unwrap_or_default(),
            "$schema" | "title" => {}
            _ => {
                body.insert(key, value);
            }
        }
    }
    let mut failure_properties = serde_json::Map::new();
    failure_properties.insert("kind".into(), kind);
    failure_properties.insert("version".into(), version);
    failure_properties.insert("model".into(), json!({ "type": "string" }));
    failure_properties.insert(
        "error".into(),
        json!({
            "type": "object",
            "properties": {
                "stage": {
                    "enum": ["bundle", "signature", "trust", "statement", "policy",
                             "format_gate", "tensors", "attestations", "content"]
                },
                "message": { "type": "string" }
            },
            "required": ["stage", "message"],
            "additionalProperties": false
        }),
    );
    let mut required = vec!["kind", "version", "model", "error"];
    if let Some(verdict) = verdict {
        failure_properties.insert(verdict.into(), json!({ "const": false }));
        required.push(verdict);
    }
    let failure = json!({
        "description": "The signature stage failed: no report could be made.",
        "type": "object",
        "properties": failure_properties,
        "required": required,
        "additionalProperties": false
    });
    with_header(
        json!({ "anyOf": [Value::Object(body), failure], "$defs": defs }),
        name,
    )
}

/// The verdict field a failure document sets to false, for documents that
/// have a failure form at all.
fn failure_verdict(document: SchemaDocument) -> Option<Option<&'static str>> {
    match document {
        SchemaDocument::Verify => Some(Some("verified")),
        SchemaDocument::Status => Some(Some("clean")),
        SchemaDocument::Log => Some(Some("complete")),
        SchemaDocument::Report | SchemaDocument::VerifyReport => Some(Some("verified")),
        SchemaDocument::Attestations => Some(None),
        _ => None,
    }
}

/// Closes every object schema: a document field that the types do not
/// declare fails validation (`unevaluatedProperties: false`, which counts
/// the properties a `oneOf`/`anyOf`/`allOf` branch declares, as flattened
/// and tagged types need). Set on the schema that holds the combinator,
/// never on its branches, which see only their own properties.
///
/// A definition that some branch extends (`$ref` beside `properties`, as a
/// tagged newtype variant gives) is left open: closed, it would refuse the
/// tag the branch adds; the schema holding that branch's combinator closes
/// the whole.
fn close_objects(schema: &mut Value, is_branch: bool, extended: &BTreeSet<String>) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let combines = ["oneOf", "anyOf", "allOf"]
        .iter()
        .any(|k| object.get(*k).is_some_and(Value::is_array));
    let is_object =
        object.contains_key("properties") || object.get("type").is_some_and(|t| t == "object");
    if !is_branch && (is_object || combines) && !object.contains_key("additionalProperties") {
        object.insert("unevaluatedProperties".into(), false.into());
    }
    for (key, value) in object.iter_mut() {
        match key.as_str() {
            "oneOf" | "anyOf" | "allOf" => {
                if let Some(branches) = value.as_array_mut() {
                    for branch in branches {
                        close_objects(branch, true, extended);
                    }
                }
            }
            "properties" => {
                if let Some(children) = value.as_object_mut() {
                    for child in children.values_mut() {
                        close_objects(child, false, extended);
                    }
                }
            }
            "$defs" => {
                if let Some(children) = value.as_object_mut() {
                    for (name, child) in children.iter_mut() {
                        close_objects(child, extended.contains(name), extended);
                    }
                }
            }
            "items" => close_objects(value, false, extended),
            _ => {}
        }
    }
}

/// The definitions some schema extends: `{"$ref": "#/$defs/NAME",
/// "properties": …}`.
fn extended_definitions(schema: &Value, found: &mut BTreeSet<String>) {
    match schema {
        Value::Object(object) => {
            if let (Some(Value::String(target)), true) =
                (object.get("$ref"), object.contains_key("properties"))
            {
                if let Some(name) = target.strip_prefix("#/$defs/") {
                    found.insert(name.to_owned());
                }
            }
            for value in object.values() {
                extended_definitions(value, found);
            }
        }
        Value::Array(items) => {
            for value in items {
                extended_definitions(value, found);
            }
        }
        _ => {}
    }
}

fn with_header(mut schema: Value, name: &str) -> Value {
    let mut extended = BTreeSet::new();
    extended_definitions(&schema, &mut extended);
    close_objects(&mut schema, false, &extended);
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        object.insert(
            "title".into(),
            format!("modelseal {name} --format json").into(),
        );
        if object
            .get("$defs")
            .is_some_and(|d| d.as_object().is_some_and(|d| d.is_empty()))
        {
            object.remove("$defs");
        }
    }
    schema
}
