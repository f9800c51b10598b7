//! Sign then verify, determinism, tampering.

use base64::Engine as _;
use modelseal_oms::bundle::Bundle;
use modelseal_oms::{
    BundleError, KeyAlgorithm, SignError, SignatureError, Signer, SigningKey, StatementError,
    Trust, TrustError, VerifyError, sign_manifest, verify_bundle,
};

use crate::{edit_bundle, manifest};

#[test]
fn every_key_algorithm_round_trips() {
    let manifest = manifest();
    for alg in KeyAlgorithm::ALL {
        let key = SigningKey::generate(alg);
        let bundle = sign_manifest(&manifest, "model", &key, None).expect("signs");
        let verified =
            verify_bundle(&bundle, &Trust::PublicKey(key.public_key())).expect("verifies");
        assert_eq!(verified.algorithm, alg);
        assert_eq!(
            verified.signer,
            Signer::Key {
                key_id: key.public_key().key_id(),
                algorithm: alg,
                unmatched_hint: None,
            }
        );
        assert_eq!(verified.manifest.root_digest, manifest.root_digest);
        assert_eq!(verified.manifest.serialization, manifest.serialization);
        let names: Vec<&str> = verified
            .manifest
            .resources
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["config.json", "weights/model.safetensors"]);
    }
}

#[test]
fn output_layout_matches_the_reference_tool() {
    let key = SigningKey::generate(KeyAlgorithm::P256);
    let bundle = sign_manifest(&manifest(), "model", &key, None).expect("signs");
    let text = String::from_utf8(bundle).expect("utf-8");
    let expected_start = format!(
        "{{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{{\"publicKey\":{{\"hint\":\"{}\"}},\"tlogEntries\":[]}},\"dsseEnvelope\":{{\"payload\":\"",
        key.public_key().key_id()
    );
    assert!(text.starts_with(&expected_start), "{text}");
    assert!(text.ends_with("\",\"keyid\":\"\"}]}}"), "{text}");
}

#[test]
fn ed25519_output_is_byte_identical() {
    let key = SigningKey::generate(KeyAlgorithm::Ed25519);
    let a = sign_manifest(&manifest(), "model", &key, None).expect("signs");
    let b = sign_manifest(&manifest(), "model", &key, None).expect("signs");
    assert_eq!(a, b);
    let reloaded =
        SigningKey::from_pem(&key.to_pkcs8_pem(None).expect("pem"), None).expect("reload");
    assert_eq!(
        a,
        sign_manifest(&manifest(), "model", &reloaded, None).expect("signs")
    );
}

#[test]
fn tampered_payload_is_a_signature_error() {
    let key = SigningKey::generate(KeyAlgorithm::P256);
    let bundle = sign_manifest(&manifest(), "model", &key, None).expect("signs");
    let b64 = base64::engine::general_purpose::STANDARD;
    let parsed = Bundle::from_json(&bundle).expect("parses");
    // Flip one byte inside a digest (still valid JSON and a valid statement shape).
    let mut payload = parsed.envelope.payload.clone();
    let at = payload.len() - 10;
    payload[at] = if payload[at] == b'a' { b'b' } else { b'a' };
    let tampered = edit_bundle(&bundle, |v| {
        v["dsseEnvelope"]["payload"] = serde_json::json!(b64.encode(&payload));
    });
    let err = verify_bundle(&tampered, &Trust::PublicKey(key.public_key())).expect_err("tampered");
    assert!(
        matches!(err, VerifyError::Signature(SignatureError::Invalid { .. })),
        "{err:?}"
    );

    // A flipped signature byte too.
    let mut sig = parsed.envelope.signatures[0].sig.clone();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    let bad_sig = edit_bundle(&bundle, |v| {
        v["dsseEnvelope"]["signatures"][0]["sig"] = serde_json::json!(b64.encode(&sig));
    });
    assert!(matches!(
        verify_bundle(&bad_sig, &Trust::PublicKey(key.public_key())),
        Err(VerifyError::Signature(_))
    ));
}

#[test]
fn signature_count_must_be_one() {
    let key = SigningKey::generate(KeyAlgorithm::Ed25519);
    let bundle = sign_manifest(&manifest(), "model", &key, None).expect("signs");
    for edit in [
        |v: &mut serde_json::Value| v["dsseEnvelope"]["signatures"] = serde_json::json!([]),
        |v: &mut serde_json::Value| {
            let s = v["dsseEnvelope"]["signatures"][0].clone();
            v["dsseEnvelope"]["signatures"] = serde_json::json!([s.clone(), s]);
        },
    ] {
        let edited = edit_bundle(&bundle, edit);
        assert!(matches!(
            verify_bundle(&edited, &Trust::PublicKey(key.public_key())),
            Err(VerifyError::Signature(SignatureError::Count(_)))
        ));
    }
}

#[test]
fn a_key_bundle_with_roots_is_a_clear_trust_error() {
    let key = SigningKey::generate(KeyAlgorithm::P384);
    let bundle = sign_manifest(&manifest(), "model", &key, None).expect("signs");
    let err = verify_bundle(
        &bundle,
        &Trust::Roots {
            roots: vec![vec![0x30]],
            time: None,
        },
    )
    .expect_err("mismatch");
    assert!(
        matches!(err, VerifyError::Trust(TrustError::KeyBundleWithRoots)),
        "{err:?}"
    );
}

#[test]
fn statement_is_checked_only_after_the_signature() {
    // A validly signed but invalid statement is a statement error...
    let key = SigningKey::generate(KeyAlgorithm::Ed25519);
    let mut m = manifest();
    m.resources.swap(0, 1);
    m.root_digest = modelseal_hash::Manifest::root_digest_of(m.resources.iter().map(|r| &r.digest));
    m.resources[0].name = "../escape".into();
    let bundle = sign_manifest(&m, "model", &key, None).expect("signs");
    let err = verify_bundle(&bundle, &Trust::PublicKey(key.public_key())).expect_err("bad name");
    assert!(
        matches!(
            err,
            VerifyError::Statement(StatementError::ResourceName { .. })
        ),
        "{err:?}"
    );
    // ...but with another key it is a trust error, before the statement is read.
    let other = SigningKey::generate(KeyAlgorithm::Ed25519);
    let err = verify_bundle(&bundle, &Trust::PublicKey(other.public_key())).expect_err("other key");
    assert!(matches!(err, VerifyError::Trust(_)), "{err:?}");
}

#[test]
fn corrupted_bundles_are_bundle_errors_not_panics() {
    let key = SigningKey::generate(KeyAlgorithm::P256);
    let bundle = sign_manifest(&manifest(), "model", &key, None).expect("signs");
    let trust = Trust::PublicKey(key.public_key());
    for cut in [1, 10, bundle.len() / 2, bundle.len() - 1] {
        let err = verify_bundle(&bundle[..cut], &trust).expect_err("truncated");
        assert!(
            matches!(err, VerifyError::Bundle(BundleError::Truncated { .. })),
            "{cut}: {err:?}"
        );
    }
    let mut garbage = bundle.clone();
    garbage[20] = b'\x01';
    assert!(matches!(
        verify_bundle(&garbage, &trust),
        Err(VerifyError::Bundle(_))
    ));
    // Every single-byte corruption is an error of some stage, never a
    // panic, except in what the signature deliberately does not cover: the
    // `publicKey.hint` value (an unauthenticated lookup aid: the signature
    // with the operator's key decides) and the names of optional fields a
    // key bundle may omit (`tlogEntries`, `keyid`: a misspelt name is an
    // unknown field, skipped). Regression: this loop used to discard every
    // result, so it could not fail.
    let text = std::str::from_utf8(&bundle).expect("utf-8");
    let span = |needle: &str| -> std::ops::Range<usize> {
        let start = text
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` in {text}"));
        start..start + needle.len()
    };
    let hint_start = span("\"hint\":\"").end;
    let hint = hint_start..hint_start + 64;
    let unauthenticated = [hint, span("tlogEntries"), span("keyid")];
    let mut verified_anyway = Vec::new();
    for at in 0..bundle.len() {
        let mut b = bundle.clone();
        b[at] ^= 0x20;
        if verify_bundle(&b, &trust).is_ok() {
            verified_anyway.push(at);
        }
    }
    let outside: Vec<usize> = verified_anyway
        .iter()
        .copied()
        .filter(|at| !unauthenticated.iter().any(|r| r.contains(at)))
        .collect();
    assert!(
        outside.is_empty(),
        "corruptions that still verify outside the unauthenticated fields: {:?}",
        outside
            .iter()
            .map(|&at| (at, char::from(bundle[at])))
            .collect::<Vec<_>>()
    );
    // The hint is not authenticated: changing it does not fail.
    assert!(
        verified_anyway
            .iter()
            .any(|at| unauthenticated[0].contains(at))
    );
}

#[test]
fn empty_or_inconsistent_manifests_are_not_signed() {
    let key = SigningKey::generate(KeyAlgorithm::Ed25519);
    let mut m = manifest();
    m.resources.clear();
    assert!(matches!(
        sign_manifest(&m, "m", &key, None),
        Err(SignError::EmptyManifest)
    ));
    let mut m = manifest();
    m.resources.swap(0, 1);
    assert!(matches!(
        sign_manifest(&m, "m", &key, None),
        Err(SignError::RootMismatch)
    ));
    assert!(matches!(
        sign_manifest(&manifest(), "m", &key, Some(&[])),
        Err(SignError::EmptyCertificateChain)
    ));
}
