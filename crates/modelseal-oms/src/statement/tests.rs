use modelseal_hash::Resource;
use serde_json::json;

use super::*;

const D1: &str = "9b831899b1bc0a535a484c7c989d5150cc4e2f32376dcdc5e62e37d7086232d7";
const D2: &str = "df87ea0beb4f4a5d27def964be04a11b0cebdc2139cb7405ad856715efcde1e4";

fn base() -> Value {
    let mut v = json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "m", "digest": {"sha256": ""}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": false,
                              "ignore_paths": [".git"]},
            "resources": [
                {"name": "config.json", "algorithm": "sha256", "digest": D1},
                {"name": "weights/model.safetensors", "algorithm": "sha256", "digest": D2}
            ]
        }
    });
    fix_root(&mut v);
    v
}

/// Sets the subject digest to the root of the resources as they stand.
fn fix_root(v: &mut Value) {
    let digests: Vec<Digest> = v["predicate"]["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["digest"].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v["subject"][0]["digest"]["sha256"] = json!(Manifest::root_digest_of(&digests).to_hex());
}

fn parse(v: &Value) -> Result<SignedManifest, StatementError> {
    parse_statement(&serde_json::to_vec(v).expect("json"))
}

fn shards(v: &mut Value, size: Value) {
    v["predicate"]["serialization"]["method"] = json!("shards");
    v["predicate"]["serialization"]["shard_size"] = size;
    v["predicate"]["resources"][0]["name"] = json!("config.json:0:41");
    v["predicate"]["resources"][1]["name"] = json!("weights/model.safetensors:0:29");
}

#[test]
fn accepts_the_reference_sample_payload() {
    let payload = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference-sample/payload.raw.json"
    ));
    let m = parse_statement(payload).expect("parses");
    assert_eq!(m.subject_name, "tiny_model");
    assert_eq!(m.resources.len(), 2);
    assert_eq!(m.resources[0].name, "config.json");
    assert_eq!(m.resources[0].digest.to_hex(), D1);
    assert_eq!(m.resources[1].name, "weights/model.safetensors");
    assert_eq!(m.resources[1].digest.to_hex(), D2);
    assert_eq!(m.serialization.method, Method::Files);
    assert_eq!(m.serialization.ignore_paths.len(), 4);
}

#[test]
fn accepts_what_the_reference_tool_writes() {
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit); 7] = [
        ("as is", |_| {}),
        ("sharded algorithm and float shard size", |v| {
            shards(v, json!(1_000_000_000.0));
            for r in v["predicate"]["resources"].as_array_mut().expect("array") {
                r["algorithm"] = json!("sha256-sharded-1000000000");
            }
        }),
        ("integer shard size", |v| shards(v, json!(8))),
        ("resources not in code-point order", |v| {
            v["predicate"]["resources"]
                .as_array_mut()
                .expect("array")
                .reverse();
            fix_root(v);
        }),
        ("single file named .", |v| {
            v["predicate"]["resources"]
                .as_array_mut()
                .expect("array")
                .truncate(1);
            v["predicate"]["resources"][0]["name"] = json!(".");
            fix_root(v);
        }),
        ("ignore_paths absent", |v| {
            v["predicate"]["serialization"]
                .as_object_mut()
                .expect("object")
                .remove("ignore_paths");
        }),
        ("extra resource fields", |v| {
            v["predicate"]["resources"][0]["size"] = json!(41);
        }),
    ];
    for (what, edit) in cases {
        let mut v = base();
        edit(&mut v);
        let m = parse(&v).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            m.resources
                .iter()
                .all(|r| r.algorithm == HashAlgorithm::Sha256)
        );
    }
    // The given order is kept, and the root is computed over it.
    let mut v = base();
    v["predicate"]["resources"]
        .as_array_mut()
        .expect("array")
        .reverse();
    fix_root(&mut v);
    let m = parse(&v).expect("reversed");
    assert_eq!(m.resources[0].name, "weights/model.safetensors");
    // Shard size from a float.
    let mut v = base();
    shards(&mut v, json!(1_000_000_000.0));
    assert_eq!(
        parse(&v).expect("shards").serialization.method,
        Method::Shards {
            shard_size: 1_000_000_000
        }
    );
}

#[test]
fn every_statement_error_has_a_case() {
    type Edit = fn(&mut Value);
    type Check = fn(&StatementError) -> bool;
    let cases: Vec<(&str, Edit, Check)> = vec![
        (
            "empty resources",
            |v| {
                v["predicate"]["resources"] = json!([]);
            },
            |e| matches!(e, StatementError::EmptyResources),
        ),
        (
            "duplicate names",
            |v| {
                v["predicate"]["resources"][1]["name"] = json!("config.json");
            },
            |e| matches!(e, StatementError::DuplicateResource(_)),
        ),
        (
            "absolute name",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("/etc/passwd");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::Absolute,
                        ..
                    }
                )
            },
        ),
        (
            "dot-dot segment",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("a/../../b");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::ParentSegment,
                        ..
                    }
                )
            },
        ),
        (
            "backslash",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("a\\b");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::Backslash,
                        ..
                    }
                )
            },
        ),
        (
            "NUL",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("a\u{0}b");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::Nul,
                        ..
                    }
                )
            },
        ),
        (
            "empty segment",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("a//b");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::EmptySegment,
                        ..
                    }
                )
            },
        ),
        (
            "trailing slash",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("a/");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::EmptySegment,
                        ..
                    }
                )
            },
        ),
        (
            "dot segment",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("./a");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::DotSegment,
                        ..
                    }
                )
            },
        ),
        (
            "empty name",
            |v| {
                v["predicate"]["resources"][0]["name"] = json!("");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::Empty,
                        ..
                    }
                )
            },
        ),
        (
            "bad shard name",
            |v| {
                shards(v, json!(8));
                v["predicate"]["resources"][0]["name"] = json!("config.json");
            },
            |e| matches!(e, StatementError::ShardName(_)),
        ),
        (
            "dot-dot in shard path",
            |v| {
                shards(v, json!(8));
                v["predicate"]["resources"][0]["name"] = json!("../x:0:8");
            },
            |e| {
                matches!(
                    e,
                    StatementError::ResourceName {
                        problem: NameProblem::ParentSegment,
                        ..
                    }
                )
            },
        ),
        (
            "wrong _type",
            |v| {
                v["_type"] = json!("https://in-toto.io/Statement/v0.1");
            },
            |e| matches!(e, StatementError::StatementType(_)),
        ),
        (
            "wrong predicateType",
            |v| {
                v["predicateType"] = json!("https://example.com/wrong-predicate/v1.0");
            },
            |e| matches!(e, StatementError::PredicateType(_)),
        ),
        (
            "unknown hash_type",
            |v| {
                v["predicate"]["serialization"]["hash_type"] = json!("md5");
            },
            |e| matches!(e, StatementError::UnknownHashType(_)),
        ),
        (
            "unknown method",
            |v| {
                v["predicate"]["serialization"]["method"] = json!("chunks");
            },
            |e| matches!(e, StatementError::UnknownMethod(_)),
        ),
        (
            "shard_size missing",
            |v| {
                shards(v, json!(8));
                v["predicate"]["serialization"]
                    .as_object_mut()
                    .expect("o")
                    .remove("shard_size");
            },
            |e| matches!(e, StatementError::ShardSizeMissing),
        ),
        (
            "shard_size zero",
            |v| shards(v, json!(0)),
            |e| matches!(e, StatementError::ShardSizeInvalid(_)),
        ),
        (
            "shard_size negative",
            |v| shards(v, json!(-8)),
            |e| matches!(e, StatementError::ShardSizeInvalid(_)),
        ),
        (
            "shard_size fractional",
            |v| shards(v, json!(8.5)),
            |e| matches!(e, StatementError::ShardSizeInvalid(_)),
        ),
        (
            "shard_size string",
            |v| shards(v, json!("8")),
            |e| matches!(e, StatementError::ShardSizeInvalid(_)),
        ),
        (
            "digest too short",
            |v| {
                v["predicate"]["resources"][0]["digest"] = json!(&D1[..62]);
            },
            |e| {
                matches!(
                    e,
                    StatementError::DigestLength {
                        expected: 64,
                        found: 62,
                        ..
                    }
                )
            },
        ),
        (
            "blake2b digest of sha256 length",
            |v| {
                v["predicate"]["serialization"]["hash_type"] = json!("blake2b");
                v["predicate"]["resources"][0]["algorithm"] = json!("blake2b");
                v["predicate"]["resources"][1]["algorithm"] = json!("blake2b");
            },
            |e| matches!(e, StatementError::DigestLength { expected: 128, .. }),
        ),
        (
            "digest not hex",
            |v| {
                v["predicate"]["resources"][0]["digest"] = json!(D1.replace('9', "g"));
            },
            |e| matches!(e, StatementError::DigestHex { .. }),
        ),
        (
            "digest upper case",
            |v| {
                v["predicate"]["resources"][0]["digest"] = json!(D1.to_uppercase());
            },
            |e| matches!(e, StatementError::DigestHex { .. }),
        ),
        (
            "unknown resource algorithm",
            |v| {
                v["predicate"]["resources"][0]["algorithm"] = json!("sha512");
            },
            |e| matches!(e, StatementError::UnknownResourceAlgorithm { .. }),
        ),
        (
            "sharded algorithm with the files method",
            |v| {
                v["predicate"]["resources"][0]["algorithm"] = json!("sha256-sharded-8");
            },
            |e| matches!(e, StatementError::UnknownResourceAlgorithm { .. }),
        ),
        (
            "resource algorithm differs from hash_type",
            |v| {
                v["predicate"]["resources"][0]["algorithm"] = json!("blake3");
            },
            |e| matches!(e, StatementError::AlgorithmMismatch { .. }),
        ),
        (
            "unknown predicate key",
            |v| {
                v["predicate"]["extra"] = json!(1);
            },
            |e| matches!(e, StatementError::UnknownPredicateField(k) if k == "extra"),
        ),
        (
            "subject digest short",
            |v| {
                v["subject"][0]["digest"]["sha256"] = json!("abcd");
            },
            |e| matches!(e, StatementError::SubjectDigest(_)),
        ),
        (
            "no subjects",
            |v| {
                v["subject"] = json!([]);
            },
            |e| matches!(e, StatementError::SubjectCount(0)),
        ),
        (
            "two subjects",
            |v| {
                let s = v["subject"][0].clone();
                v["subject"] = json!([s.clone(), s]);
            },
            |e| matches!(e, StatementError::SubjectCount(2)),
        ),
        (
            "root mismatch",
            |v| {
                v["predicate"]["resources"]
                    .as_array_mut()
                    .expect("a")
                    .reverse();
            },
            |e| matches!(e, StatementError::RootMismatch { .. }),
        ),
        (
            "missing predicate",
            |v| {
                v.as_object_mut().expect("o").remove("predicate");
            },
            |e| matches!(e, StatementError::MissingField("predicate")),
        ),
        (
            "missing allow_symlinks",
            |v| {
                v["predicate"]["serialization"]
                    .as_object_mut()
                    .expect("o")
                    .remove("allow_symlinks");
            },
            |e| matches!(e, StatementError::MissingField(_)),
        ),
        (
            "resources not an array",
            |v| {
                v["predicate"]["resources"] = json!({});
            },
            |e| matches!(e, StatementError::FieldType { .. }),
        ),
    ];
    for (what, edit, check) in cases {
        let mut v = base();
        edit(&mut v);
        match parse(&v) {
            Err(e) => assert!(check(&e), "{what}: unexpected {e:?}"),
            Ok(_) => panic!("{what}: accepted"),
        }
    }
    assert!(matches!(
        parse_statement(b"{\"_type\":"),
        Err(StatementError::Json { .. })
    ));
    let root_error = parse(&{
        let mut v = base();
        v["predicate"]["resources"]
            .as_array_mut()
            .expect("a")
            .reverse();
        v
    })
    .expect_err("mismatch");
    assert!(root_error.to_string().starts_with("root_mismatch"));
}

#[test]
fn built_statements_parse_back_and_are_deterministic() {
    let d1: Digest = D1.parse().expect("hex");
    let d2: Digest = D2.parse().expect("hex");
    for method in [Method::Files, Method::Shards { shard_size: 64 }] {
        let names = match method {
            Method::Files => ["a.bin", "b/c.bin"],
            Method::Shards { .. } => ["a.bin:0:64", "a.bin:64:100"],
        };
        let manifest = Manifest {
            serialization: Serialization {
                method,
                hash_type: HashAlgorithm::Sha256,
                allow_symlinks: false,
                ignore_paths: vec![".git".into(), "x".into()],
            },
            resources: vec![
                Resource {
                    name: names[0].into(),
                    algorithm: HashAlgorithm::Sha256,
                    digest: d1,
                    size: 1,
                },
                Resource {
                    name: names[1].into(),
                    algorithm: HashAlgorithm::Sha256,
                    digest: d2,
                    size: 1,
                },
            ],
            root_digest: Manifest::root_digest_of([&d1, &d2]),
        };
        let json = statement_json(&manifest, "model").expect("builds");
        assert_eq!(json, statement_json(&manifest, "model").expect("builds"));
        let m = parse_statement(&json).expect("parses back");
        assert_eq!(m.serialization, manifest.serialization);
        assert_eq!(m.root_digest, manifest.root_digest);
        assert_eq!(m.resources.len(), 2);
        assert_eq!(m.resources[1].name, names[1]);
        let text = String::from_utf8(json).expect("utf-8");
        assert!(text.starts_with(
            "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"model\""
        ));
        assert_eq!(text.contains("\"shard_size\":64"), method != Method::Files);
    }
}

#[test]
fn json_values_are_counted_within_a_cap_in_constant_memory() {
    let cases: &[(&[u8], u64, bool)] = &[
        (b"{}", 1, true),
        // Keys count too: they cost memory as much as values.
        (b"{\"a\": [1, 2, {\"b\": null}]}", 8, true),
        (b"{\"a\": [1, 2, {\"b\": null}]}", 7, false),
        (b"[1, 2, 3]", 3, false),
        // Malformed JSON is left to the real parse to report.
        (b"{\"a\": ", 10, true),
        (b"not json", 1, true),
    ];
    for (bytes, max, ok) in cases {
        let got = count_json_values(bytes, *max);
        assert_eq!(
            got.is_ok(),
            *ok,
            "{:?} with {max}",
            String::from_utf8_lossy(bytes)
        );
    }
    // A forged payload of a million tiny objects is refused by count.
    let forged = format!("[{}0]", "{\"\":0},".repeat(1_000_000));
    assert!(matches!(
        parse_unverified_statement(forged.as_bytes()),
        Err(StatementError::TooManyValues { .. })
    ));
}
