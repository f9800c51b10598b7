//! The JSON contract: every `--format json` document has a JSON Schema in
//! `docs/schemas/`, derived from the types that print it (`modelseal schema
//! DOCUMENT`); the committed files must equal what the code derives, and
//! real documents from every subcommand, passing and failing, must validate
//! against them (Python `jsonschema`, draft 2020-12, from the test venv).

use std::path::{Path, PathBuf};

use crate::support::{keygen, modelseal, reference_tool, run, tiny_model};

const DOCUMENTS: [&str; 17] = [
    "hash",
    "sign",
    "verify",
    "status",
    "inspect",
    "inventory",
    "store-add",
    "store-list",
    "store-verify",
    "store-gc",
    "restore",
    "repair",
    "attest",
    "attestations",
    "log",
    "report",
    "verify-report",
];

fn schema_file(document: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schemas")
        .join(format!("{document}.schema.json"))
}

#[test]
fn committed_schemas_are_the_derived_ones() {
    for document in DOCUMENTS {
        let out = run(modelseal().args(["schema", document]));
        out.expect_code(0);
        let derived: serde_json::Value = serde_json::from_str(&out.stdout).expect("schema JSON");
        let committed: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(schema_file(document)).expect("committed schema"),
        )
        .expect("committed schema JSON");
        assert_eq!(
            derived, committed,
            "docs/schemas/{document}.schema.json is stale: run `bash scripts/schemas.sh`"
        );
    }
}

/// Runs `modelseal ARGS --format json` and keeps its stdout under `name`.
struct Documents {
    dir: PathBuf,
    made: Vec<(String, PathBuf)>,
}

impl Documents {
    fn capture(
        &mut self,
        document: &str,
        name: &str,
        args: &[&dyn AsRef<std::ffi::OsStr>],
        code: i32,
    ) {
        let out = run(modelseal()
            .args(args.iter().map(|a| a.as_ref()))
            .args(["--format", "json"]));
        assert_eq!(out.code, code, "{name}: {}{}", out.stdout, out.stderr);
        let path = self.dir.join(format!("{name}.json"));
        std::fs::write(&path, &out.stdout).expect("write document");
        self.made.push((document.to_owned(), path));
    }
}

#[test]
fn every_document_validates_against_its_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "dev", "ed25519");
    let (_, stranger, _) = keygen(dir.path(), "stranger", "p256");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n[[signers]]\nname = \"dev\"\nkey = \"dev.pub\"\nroles = [\"developer\"]\n",
    )
    .expect("policy");
    let mut docs = Documents {
        dir: dir.path().join("docs"),
        made: Vec::new(),
    };
    std::fs::create_dir(&docs.dir).expect("mkdir");

    docs.capture("hash", "hash", &[&"hash", &model], 0);
    docs.capture("inspect", "inspect", &[&"inspect", &model], 0);
    docs.capture("sign", "sign", &[&"sign", &model, &"--key", &key], 0);
    docs.capture(
        "verify",
        "verify",
        &[&"verify", &model, &"--key", &public],
        0,
    );
    docs.capture("status", "status", &[&"status", &model], 0);
    docs.capture(
        "inventory",
        "inventory",
        &[&"inventory", &dir.path(), &"--key", &public],
        0,
    );
    let store = dir.path().join("store");
    docs.capture(
        "store-add",
        "store-add",
        &[
            &"store", &"add", &model, &"--store", &store, &"--key", &public, &"--tag", &"tiny:1",
        ],
        0,
    );
    docs.capture(
        "store-list",
        "store-list",
        &[&"store", &"list", &"--store", &store],
        0,
    );
    docs.capture(
        "store-verify",
        "store-verify",
        &[&"store", &"verify", &"--store", &store, &"--key", &public],
        0,
    );
    docs.capture(
        "store-gc",
        "store-gc",
        &[&"store", &"gc", &"--store", &store],
        0,
    );
    docs.capture(
        "restore",
        "restore",
        &[
            &"restore",
            &"tiny:1",
            &dir.path().join("restored"),
            &"--store",
            &store,
            &"--key",
            &public,
        ],
        0,
    );
    docs.capture(
        "repair",
        "repair",
        &[
            &"restore",
            &"--repair",
            &dir.path().join("restored"),
            &"--from",
            &"tiny:1",
            &"--store",
            &store,
            &"--key",
            &public,
        ],
        0,
    );
    docs.capture(
        "attest",
        "attest",
        &[
            &"attest",
            &"lineage",
            &model,
            &"--key",
            &key,
            &"--model-version",
            &"1.0",
            &"--change",
            &"first",
        ],
        0,
    );
    docs.capture(
        "verify",
        "verify-policy",
        &[&"verify", &model, &"--policy", &policy],
        0,
    );
    docs.capture(
        "attestations",
        "attestations",
        &[&"attestations", &model, &"--policy", &policy],
        0,
    );
    docs.capture("log", "log", &[&"log", &model, &"--policy", &policy], 0);
    docs.capture(
        "report",
        "report",
        &[&"report", &model, &"--policy", &policy],
        0,
    );
    let signed = dir.path().join("report.md");
    run(modelseal()
        .arg("report")
        .arg(&model)
        .arg("--policy")
        .arg(&policy)
        .arg("--out")
        .arg(&signed)
        .arg("--sign")
        .arg(&key))
    .expect_code(0);
    docs.capture(
        "verify-report",
        "verify-report",
        &[&"verify-report", &signed, &"--key", &public],
        0,
    );
    std::fs::write(&signed, "# changed\n").expect("change the report");
    docs.capture(
        "verify-report",
        "verify-report-changed",
        &[&"verify-report", &signed, &"--key", &public],
        1,
    );
    // Failing: findings, then a signature that does not verify.
    std::fs::write(model.join("config.json"), b"{}").expect("tamper");
    std::fs::write(model.join("extra.pkl"), b"\x80\x04K\x01.").expect("extra");
    std::fs::write(model.join("evil.pkl"), b"cos\nsystem\n(S'id'\ntR.").expect("evil");
    docs.capture("inspect", "inspect-pickles", &[&"inspect", &model], 1);
    docs.capture(
        "verify",
        "verify-findings",
        &[&"verify", &model, &"--key", &public],
        1,
    );
    docs.capture("status", "status-findings", &[&"status", &model], 1);
    docs.capture(
        "inventory",
        "inventory-findings",
        &[&"inventory", &dir.path(), &"--require", &"signed"],
        1,
    );
    docs.capture(
        "verify",
        "verify-wrong-key",
        &[&"verify", &model, &"--key", &stranger],
        1,
    );
    std::fs::write(model.join("model.sig"), b"{}").expect("break the signature");
    docs.capture("status", "status-bad-bundle", &[&"status", &model], 1);
    docs.capture(
        "log",
        "log-bad-bundle",
        &[&"log", &model, &"--policy", &policy],
        1,
    );

    let python = reference_tool().parent().expect("venv bin").join("python");
    let mut command = std::process::Command::new(&python);
    command.args([
        "-c",
        "import json, sys, jsonschema\n\
         bad = []\n\
         pairs = sys.argv[1:]\n\
         for schema_path, doc_path in zip(pairs[::2], pairs[1::2]):\n\
         \x20   schema = json.load(open(schema_path))\n\
         \x20   jsonschema.Draft202012Validator.check_schema(schema)\n\
         \x20   v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())\n\
         \x20   doc = json.load(open(doc_path))\n\
         \x20   bad += ['%s: %s at %s' % (doc_path, e.message, list(e.path)) for e in v.iter_errors(doc)]\n\
         print('\\n'.join(bad)); sys.exit(1 if bad else 0)",
    ]);
    for (document, path) in &docs.made {
        command.arg(schema_file(document)).arg(path);
    }
    let out = run(&mut command);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(docs.made.len(), 26);
}

// A schema that admits anything proves nothing: a document with an extra
// field, a digest as a bare string, or a wrong kind fails.
#[test]
fn the_schemas_reject_what_the_contract_forbids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "dev", "ed25519");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public)
        .args(["--format", "json"]));
    out.expect_code(0);
    let good: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let mut extra = good.clone();
    extra["surprise"] = true.into();
    let mut bare = good.clone();
    bare["root_digest"] = good["root_digest"]["digest"].clone();
    let mut kind = good.clone();
    kind["kind"] = "status".into();
    let mut version = good.clone();
    version["version"] = 1.into();
    let python = reference_tool().parent().expect("venv bin").join("python");
    for (what, doc, valid) in [
        ("the real document", &good, true),
        ("an extra field", &extra, false),
        ("a bare digest", &bare, false),
        ("another kind", &kind, false),
        ("version 1", &version, false),
    ] {
        let out = run(std::process::Command::new(&python)
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))\n\
                 sys.exit(0 if v.is_valid(json.loads(sys.argv[2])) else 1)",
            ])
            .arg(schema_file("verify"))
            .arg(doc.to_string()));
        assert_eq!(out.code == 0, valid, "{what}: {}", out.stderr);
    }
}
