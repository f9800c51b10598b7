//! The in-toto Statement v1 with the OMS v1.0 predicate: built from a
//! [`Manifest`], parsed into a [`SignedManifest`].

use std::collections::HashSet;

use modelseal_hash::{Digest, HashAlgorithm, Manifest, Method, Serialization, parse_shard_name};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{NameProblem, StatementError};

/// The in-toto statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The OMS v1.0 predicate type.
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";

/// A verified statement's content: what the signer signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedManifest {
    /// The subject name (the model directory name; informational).
    pub subject_name: String,
    /// The subject digest: SHA-256 over the resource digests in order.
    pub root_digest: Digest,
    /// How the resources were produced.
    pub serialization: Serialization,
    /// The resources, in the order given in the statement.
    pub resources: Vec<SignedResource>,
}

impl SignedManifest {
    /// The manifest digest ([`Manifest::manifest_digest_of`]): unlike
    /// [`SignedManifest::root_digest`], it covers the resources' names.
    pub fn manifest_digest(&self) -> Digest {
        Manifest::manifest_digest_of(
            self.serialization.method,
            self.resources
                .iter()
                .map(|r| (r.name.as_str(), r.algorithm, &r.digest)),
        )
    }
}

/// One signed resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedResource {
    /// A relative path, or `path:start:end` for shards, or `.` for the
    /// reference tool's single-file model.
    pub name: String,
    /// The digest's algorithm.
    pub algorithm: HashAlgorithm,
    /// The digest.
    pub digest: Digest,
    /// Any other fields of the resource object (the OMS schema allows
    /// them), such as modelseal's per-tensor digests under `tensors`.
    pub extra: Map<String, Value>,
}

/// Extra fields to write on resources, by resource name: the OMS schema
/// allows fields beyond `name`, `algorithm` and `digest`. A `BTreeMap`, so
/// the output stays deterministic.
pub type ResourceExtensions = std::collections::BTreeMap<String, Map<String, Value>>;

/// The fields every resource has, which an extension may not replace.
pub const RESERVED_RESOURCE_FIELDS: [&str; 3] = ["name", "algorithm", "digest"];

// --- Building ------------------------------------------------------------

#[derive(Serialize)]
struct OutStatement<'a> {
    #[serde(rename = "_type")]
    type_: &'static str,
    subject: [OutSubject<'a>; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: OutPredicate<'a>,
}

#[derive(Serialize)]
struct OutSubject<'a> {
    name: &'a str,
    digest: OutSha256,
}

#[derive(Serialize)]
struct OutSha256 {
    sha256: String,
}

#[derive(Serialize)]
struct OutPredicate<'a> {
    serialization: OutSerialization<'a>,
    resources: Vec<OutResource<'a>>,
}

#[derive(Serialize)]
struct OutSerialization<'a> {
    method: &'static str,
    hash_type: &'static str,
    allow_symlinks: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard_size: Option<u64>,
    ignore_paths: &'a [String],
}

#[derive(Serialize)]
struct OutResource<'a> {
    name: &'a str,
    algorithm: &'static str,
    digest: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    extra: Option<&'a Map<String, Value>>,
}

/// The statement payload for `manifest`: compact JSON with a fixed key
/// order, so the same manifest always gives the same bytes. Resource
/// algorithms are written as the spec names them (`sha256`, not the
/// reference tool's `sha256-sharded-N`).
pub fn statement_json(
    manifest: &Manifest,
    subject_name: &str,
) -> Result<Vec<u8>, serde_json::Error> {
    statement_json_with(manifest, subject_name, &ResourceExtensions::new())
}

/// [`statement_json`] with extra fields on some resources. Extension keys
/// must not be [`RESERVED_RESOURCE_FIELDS`] (the caller checks).
pub fn statement_json_with(
    manifest: &Manifest,
    subject_name: &str,
    extensions: &ResourceExtensions,
) -> Result<Vec<u8>, serde_json::Error> {
    let s = &manifest.serialization;
    let out = OutStatement {
        type_: STATEMENT_TYPE,
        subject: [OutSubject {
            name: subject_name,
            digest: OutSha256 {
                sha256: manifest.root_digest.to_hex(),
            },
        }],
        predicate_type: PREDICATE_TYPE,
        predicate: OutPredicate {
            serialization: OutSerialization {
                method: s.method.name(),
                hash_type: s.hash_type.name(),
                allow_symlinks: s.allow_symlinks,
                shard_size: match s.method {
                    Method::Files => None,
                    Method::Shards { shard_size } => Some(shard_size),
                },
                ignore_paths: &s.ignore_paths,
            },
            resources: manifest
                .resources
                .iter()
                .map(|r| OutResource {
                    name: &r.name,
                    algorithm: r.algorithm.name(),
                    digest: r.digest.to_hex(),
                    extra: extensions.get(&r.name).filter(|m| !m.is_empty()),
                })
                .collect(),
        },
    };
    serde_json::to_vec(&out)
}

// --- Parsing -------------------------------------------------------------

fn field<'a>(
    obj: &'a Map<String, Value>,
    key: &'static str,
    path: &'static str,
) -> Result<&'a Value, StatementError> {
    obj.get(key).ok_or(StatementError::MissingField(path))
}

fn as_str<'a>(v: &'a Value, path: &'static str) -> Result<&'a str, StatementError> {
    v.as_str().ok_or(StatementError::FieldType {
        field: path,
        expected: "a string",
    })
}

fn as_object<'a>(
    v: &'a Value,
    path: &'static str,
) -> Result<&'a Map<String, Value>, StatementError> {
    v.as_object().ok_or(StatementError::FieldType {
        field: path,
        expected: "an object",
    })
}

fn as_array<'a>(v: &'a Value, path: &'static str) -> Result<&'a Vec<Value>, StatementError> {
    v.as_array().ok_or(StatementError::FieldType {
        field: path,
        expected: "an array",
    })
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks that `name` is a normalised relative `/`-separated path (`.` alone
/// is accepted: the reference tool's name for a single-file model).
pub fn check_resource_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name == "." {
        return Ok(());
    }
    if name.contains('\0') {
        return Err(NameProblem::Nul);
    }
    if name.contains('\\') {
        return Err(NameProblem::Backslash);
    }
    if name.starts_with('/') {
        return Err(NameProblem::Absolute);
    }
    for segment in name.split('/') {
        match segment {
            "" => return Err(NameProblem::EmptySegment),
            ".." => return Err(NameProblem::ParentSegment),
            "." => return Err(NameProblem::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

fn parse_shard_size(v: &Value) -> Result<u64, StatementError> {
    let invalid = || StatementError::ShardSizeInvalid(v.to_string());
    let Value::Number(n) = v else {
        return Err(invalid());
    };
    if let Some(u) = n.as_u64() {
        return if u == 0 { Err(invalid()) } else { Ok(u) };
    }
    if n.is_i64() {
        return Err(invalid());
    }
    // The reference tool writes the size as a float (1000000000.0).
    let f = n.as_f64().ok_or_else(invalid)?;
    // 2^53: beyond this, floats do not hold every integer.
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
    if !((1.0..=MAX_EXACT).contains(&f) && f.fract() == 0.0) {
        return Err(invalid());
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(f as u64)
}

/// How many JSON values (objects, arrays, strings, numbers, …) a payload
/// read without a checked signature may hold: its parsed tree costs some
/// 80 bytes a value, so this bounds the memory of `status`, the pre-commit
/// hook and `attest` on a forged bundle at about 80 MiB. A manifest of
/// about 250,000 files fits; a larger one is read by `verify`, which parses
/// only after the signature verified.
pub const MAX_UNVERIFIED_VALUES: u64 = 1 << 20;

/// [`parse_statement`] for a payload whose signature nobody has checked
/// (`status`): the values are counted first, in constant memory, and a
/// payload holding more than [`MAX_UNVERIFIED_VALUES`] is refused before
/// any tree is built.
///
/// # Errors
/// [`StatementError::TooManyValues`], and those of [`parse_statement`].
pub fn parse_unverified_statement(payload: &[u8]) -> Result<SignedManifest, StatementError> {
    count_json_values(payload, MAX_UNVERIFIED_VALUES)
        .map_err(|max| StatementError::TooManyValues { max })?;
    parse_statement(payload)
}

/// Walks `bytes` as JSON keeping nothing (constant memory; serde_json
/// bounds the nesting at 128): `Err(max)` once more than `max` values were
/// seen, before a caller builds a tree of them. Malformed JSON is `Ok`:
/// the caller's own parse reports it, with its position.
///
/// # Errors
/// `max`, when the input holds more values.
pub fn count_json_values(bytes: &[u8], max: u64) -> Result<(), u64> {
    use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use std::cell::Cell;

    #[derive(Clone, Copy)]
    struct Count<'a>(&'a Cell<u64>);

    impl Count<'_> {
        fn one<E: serde::de::Error>(self) -> Result<(), E> {
            let left = self.0.get();
            if left == 0 {
                return Err(E::custom("too many values"));
            }
            self.0.set(left - 1);
            Ok(())
        }
    }

    impl<'de> DeserializeSeed<'de> for Count<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Count<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
            self.one()
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
            self.one()
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
            self.one()
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
            self.one()
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
            self.one()
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
            self.one()
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            self.one()?;
            while seq.next_element_seed(self)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            self.one()?;
            while map.next_key_seed(self)?.is_some() {
                map.next_value_seed(self)?;
            }
            Ok(())
        }
    }

    let left = Cell::new(max);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match Count(&left).deserialize(&mut deserializer) {
        Ok(()) => Ok(()),
        // Malformed JSON is reported by the real parse, with its position.
        Err(_) if left.get() > 0 => Ok(()),
        Err(_) => Err(max),
    }
}

/// Parses and checks a statement payload.
///
/// Accepts what the reference tool writes (see the crate docs); rejects
/// everything in [`StatementError`], including a subject digest that is not
/// the root of the resource digests in the order given.
pub fn parse_statement(payload: &[u8]) -> Result<SignedManifest, StatementError> {
    let root: Value =
        serde_json::from_slice(payload).map_err(|source| StatementError::Json { source })?;
    let root = as_object(&root, "statement")?;

    let type_ = as_str(field(root, "_type", "_type")?, "_type")?;
    if type_ != STATEMENT_TYPE {
        return Err(StatementError::StatementType(type_.to_owned()));
    }
    let predicate_type = as_str(
        field(root, "predicateType", "predicateType")?,
        "predicateType",
    )?;
    if predicate_type != PREDICATE_TYPE {
        return Err(StatementError::PredicateType(predicate_type.to_owned()));
    }

    let subjects = as_array(field(root, "subject", "subject")?, "subject")?;
    let [subject] = subjects.as_slice() else {
        return Err(StatementError::SubjectCount(subjects.len()));
    };
    let subject = as_object(subject, "subject[0]")?;
    let subject_name = match subject.get("name") {
        Some(v) => as_str(v, "subject[0].name")?.to_owned(),
        None => String::new(),
    };
    let digests = as_object(
        field(subject, "digest", "subject[0].digest")?,
        "subject[0].digest",
    )?;
    let subject_hex = as_str(
        field(digests, "sha256", "subject[0].digest.sha256")?,
        "subject[0].digest.sha256",
    )?;
    if subject_hex.len() != 64 || !is_lower_hex(subject_hex) {
        return Err(StatementError::SubjectDigest(
            subject_hex.chars().take(140).collect(),
        ));
    }
    let root_digest: Digest = subject_hex
        .parse()
        .map_err(|_| StatementError::SubjectDigest(subject_hex.to_owned()))?;

    let predicate = as_object(field(root, "predicate", "predicate")?, "predicate")?;
    if let Some(unknown) = predicate
        .keys()
        .find(|k| *k != "serialization" && *k != "resources")
    {
        return Err(StatementError::UnknownPredicateField(unknown.clone()));
    }
    let serialization = parse_serialization(as_object(
        field(predicate, "serialization", "predicate.serialization")?,
        "predicate.serialization",
    )?)?;

    let entries = as_array(
        field(predicate, "resources", "predicate.resources")?,
        "predicate.resources",
    )?;
    if entries.is_empty() {
        return Err(StatementError::EmptyResources);
    }
    let mut seen = HashSet::with_capacity(entries.len());
    let mut resources = Vec::with_capacity(entries.len());
    for entry in entries {
        let resource = parse_resource(entry, &serialization)?;
        if !seen.insert(resource.name.clone()) {
            return Err(StatementError::DuplicateResource(resource.name));
        }
        resources.push(resource);
    }

    let computed = Manifest::root_digest_of(resources.iter().map(|r| &r.digest));
    if computed != root_digest {
        return Err(StatementError::RootMismatch {
            subject: root_digest.to_hex(),
            computed: computed.to_hex(),
        });
    }
    Ok(SignedManifest {
        subject_name,
        root_digest,
        serialization,
        resources,
    })
}

fn parse_serialization(obj: &Map<String, Value>) -> Result<Serialization, StatementError> {
    let method = as_str(
        field(obj, "method", "predicate.serialization.method")?,
        "predicate.serialization.method",
    )?;
    let hash_type = as_str(
        field(obj, "hash_type", "predicate.serialization.hash_type")?,
        "predicate.serialization.hash_type",
    )?;
    let hash_type: HashAlgorithm = hash_type
        .parse()
        .map_err(|_| StatementError::UnknownHashType(hash_type.to_owned()))?;
    let allow_symlinks = field(
        obj,
        "allow_symlinks",
        "predicate.serialization.allow_symlinks",
    )?
    .as_bool()
    .ok_or(StatementError::FieldType {
        field: "predicate.serialization.allow_symlinks",
        expected: "a boolean",
    })?;
    let method = match method {
        "files" => Method::Files,
        "shards" => Method::Shards {
            shard_size: parse_shard_size(
                obj.get("shard_size")
                    .ok_or(StatementError::ShardSizeMissing)?,
            )?,
        },
        other => return Err(StatementError::UnknownMethod(other.to_owned())),
    };
    let ignore_paths = match obj.get("ignore_paths") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => as_array(v, "predicate.serialization.ignore_paths")?
            .iter()
            .map(|p| as_str(p, "predicate.serialization.ignore_paths[]").map(str::to_owned))
            .collect::<Result<_, _>>()?,
    };
    Ok(Serialization {
        method,
        hash_type,
        allow_symlinks,
        ignore_paths,
    })
}

fn parse_resource(
    entry: &Value,
    serialization: &Serialization,
) -> Result<SignedResource, StatementError> {
    let obj = as_object(entry, "predicate.resources[]")?;
    let name = as_str(
        field(obj, "name", "predicate.resources[].name")?,
        "predicate.resources[].name",
    )?;
    let path = match serialization.method {
        Method::Files => name,
        Method::Shards { .. } => {
            parse_shard_name(name)
                .ok_or_else(|| StatementError::ShardName(name.to_owned()))?
                .0
        }
    };
    check_resource_name(path).map_err(|problem| StatementError::ResourceName {
        name: name.to_owned(),
        problem,
    })?;

    let algorithm_text = as_str(
        field(obj, "algorithm", "predicate.resources[].algorithm")?,
        "predicate.resources[].algorithm",
    )?;
    let algorithm = match (
        serialization.method,
        algorithm_text.strip_prefix("sha256-sharded-"),
    ) {
        // The reference tool names shard digests `sha256-sharded-<size>`.
        (Method::Shards { .. }, Some(size))
            if !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit()) =>
        {
            HashAlgorithm::Sha256
        }
        _ => algorithm_text
            .parse()
            .map_err(|_| StatementError::UnknownResourceAlgorithm {
                name: name.to_owned(),
                algorithm: algorithm_text.to_owned(),
            })?,
    };
    if algorithm != serialization.hash_type {
        return Err(StatementError::AlgorithmMismatch {
            name: name.to_owned(),
            algorithm: algorithm_text.to_owned(),
            hash_type: serialization.hash_type.name().to_owned(),
        });
    }

    let hex = as_str(
        field(obj, "digest", "predicate.resources[].digest")?,
        "predicate.resources[].digest",
    )?;
    if !is_lower_hex(hex) {
        return Err(StatementError::DigestHex {
            name: name.to_owned(),
        });
    }
    let expected = algorithm.output_len() * 2;
    if hex.len() != expected {
        return Err(StatementError::DigestLength {
            name: name.to_owned(),
            algorithm: algorithm.name().to_owned(),
            expected,
            found: hex.len(),
        });
    }
    let digest: Digest = hex.parse().map_err(|_| StatementError::DigestHex {
        name: name.to_owned(),
    })?;
    let extra = obj
        .iter()
        .filter(|(key, _)| !RESERVED_RESOURCE_FIELDS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(SignedResource {
        name: name.to_owned(),
        algorithm,
        digest,
        extra,
    })
}

#[cfg(test)]
mod tests;
