//! Attestation statements and trust policies must never panic on untrusted
//! input: an attestations file comes with the model, and a policy file may
//! be edited by hand. Each input is tried as a statement, as each predicate
//! type, as an RFC 3339 time and as a policy; whatever parses as a
//! predicate must survive a write/read round trip unchanged.
//!
//! Memory (`peak::capped`, per input): the attestations file is read as
//! lines, each held once (2 bytes per input byte, for the copy of a line
//! and the line being read, plus 64 KiB); a policy is read into a TOML
//! document before it is checked (at most 160 bytes per byte plus 1 MiB,
//! on 1 MiB at most: the policy size cap).
//!
//! Seeds: docs/attestations/examples (predicates) and
//! docs/policy.example.toml.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use modelseal_attest::{PREDICATE_NAMES, Policy, Predicate, Statement, Timestamp};

#[path = "../common/peak.rs"]
mod peak;

#[global_allocator]
static ALLOCATOR: peak::Counting = peak::Counting;

/// The file each input is written to as an attestations file.
static STORE: LazyLock<tempfile::NamedTempFile> =
    LazyLock::new(|| tempfile::NamedTempFile::new().expect("a temporary file"));

fuzz_target!(|data: &[u8]| {
    let path = STORE.path();
    std::fs::write(path, data).expect("write the attestations file");
    let _ = peak::capped("read_attestations", data.len(), 2, 64 << 10, || {
        modelseal_attest::read_attestations(path)
    });
    if let Ok(statement) = Statement::from_json(data) {
        let again = Statement::from_json(&statement.to_json()).expect("a statement written here parses");
        assert_eq!(again, statement, "statement changed in a write/read round trip");
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        for (name, _) in PREDICATE_NAMES {
            if let Ok(predicate) = Predicate::from_json(name, value.clone()) {
                let again = Predicate::from_json(name, predicate.to_json())
                    .expect("a predicate written here parses");
                assert_eq!(again, predicate, "{name} changed in a write/read round trip");
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = Timestamp::parse(text) {
            assert_eq!(Timestamp::parse(&t.to_string()), Ok(t), "time changed in a round trip");
        }
        // Key and certificate files resolve under a directory that does not
        // exist: the parser and the rule checks run, no file is read.
        let base = std::path::Path::new("/nonexistent-modelseal-fuzz");
        let policy = base.join("policy.toml");
        let _ = peak::capped("Policy::from_toml", text.len(), 160, 1 << 20, || {
            Policy::from_toml(&policy, text, base)
        });
    }
});
