//! Bundles written by others: the reference tool's sample and the spec's vectors.

use modelseal_oms::bundle::{Bundle, VerificationMaterial};
use modelseal_oms::{
    BundleError, KeyAlgorithm, PublicKey, SignatureError, Signer, StatementError, Trust,
    TrustError, VerifyError, parse_statement, verify_bundle,
};

use crate::{data, digest};

fn key(pem: &[u8]) -> Trust {
    Trust::PublicKey(PublicKey::from_pem(std::str::from_utf8(pem).expect("utf-8")).expect("key"))
}

#[test]
fn reference_sample_verifies_with_its_key() {
    let verified = verify_bundle(
        data!("reference-sample/model.sig"),
        &key(data!("reference-sample/key.pub")),
    )
    .expect("the reference tool's bundle verifies");
    assert_eq!(verified.algorithm, KeyAlgorithm::P256);
    assert_eq!(
        verified.signer,
        Signer::Key {
            key_id: "753117f8944bf95afef4166e55e418d7cc2a1f26aa2911e76b06381aa5469ab0".into(),
            algorithm: KeyAlgorithm::P256,
            unmatched_hint: None,
        }
    );
    let m = verified.manifest;
    assert_eq!(m.subject_name, "tiny_model");
    assert_eq!(
        m.root_digest,
        digest("fc8db3645c0d3f407b5f3f39bb4e2c776e6a5995ccd97b4faf499fd2f9ffbb3b")
    );
    let got: Vec<(&str, String)> = m
        .resources
        .iter()
        .map(|r| (r.name.as_str(), r.digest.to_hex()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "config.json",
                "9b831899b1bc0a535a484c7c989d5150cc4e2f32376dcdc5e62e37d7086232d7".to_owned()
            ),
            (
                "weights/model.safetensors",
                "df87ea0beb4f4a5d27def964be04a11b0cebdc2139cb7405ad856715efcde1e4".to_owned()
            ),
        ]
    );
}

#[test]
fn reference_sample_with_another_key_is_a_trust_error() {
    let other = modelseal_oms::SigningKey::generate(KeyAlgorithm::P256).public_key();
    let err = verify_bundle(
        data!("reference-sample/model.sig"),
        &Trust::PublicKey(other),
    )
    .expect_err("wrong key");
    assert!(
        matches!(err, VerifyError::Trust(TrustError::KeyIdMismatch { .. })),
        "{err:?}"
    );
}

/// The hint rule: `publicKey.hint` is not signed, so it neither makes nor
/// breaks a verification. (A hint computed from the key file in another
/// encoding used to fail a signature that verified with that key.)
#[test]
fn hint_decides_nothing_the_signature_does() {
    let sample = data!("reference-sample/model.sig");
    let trusted = key(data!("reference-sample/key.pub"));
    // A hint computed some other way (here: over the key's PEM with CRLF
    // line ends) still verifies with the key, and is reported.
    let crlf = std::str::from_utf8(data!("reference-sample/key.pub"))
        .expect("utf-8")
        .replace('\n', "\r\n");
    let other_hint = modelseal_hash::HashAlgorithm::Sha256
        .digest(crlf.as_bytes())
        .to_string();
    let bundle = crate::edit_bundle(sample, |v| {
        v["verificationMaterial"]["publicKey"]["hint"] = other_hint.clone().into();
    });
    let verified = verify_bundle(&bundle, &trusted).expect("a differing hint is not a failure");
    let Signer::Key {
        key_id,
        unmatched_hint,
        ..
    } = verified.signer
    else {
        panic!("key signer");
    };
    assert_eq!(
        key_id,
        "753117f8944bf95afef4166e55e418d7cc2a1f26aa2911e76b06381aa5469ab0"
    );
    assert_eq!(unmatched_hint.as_deref(), Some(other_hint.as_str()));

    // A wrong key still fails, whether the hint names it or not.
    let other = modelseal_oms::SigningKey::generate(KeyAlgorithm::P256).public_key();
    let claims_other = crate::edit_bundle(sample, |v| {
        v["verificationMaterial"]["publicKey"]["hint"] = other.key_id().into();
    });
    assert!(matches!(
        verify_bundle(&claims_other, &Trust::PublicKey(other.clone())),
        Err(VerifyError::Signature(SignatureError::Invalid { .. }))
    ));
    let err = verify_bundle(sample, &Trust::PublicKey(other)).expect_err("wrong key");
    assert!(
        err.to_string().contains("753117f8944bf95a"),
        "names the claimed signer: {err}"
    );
}

#[test]
fn reference_sample_with_raw_bytes_instead_of_hint_verifies() {
    // Older reference versions wrote `publicKey.rawBytes`; try both forms.
    let pem = data!("reference-sample/key.pub");
    let key = PublicKey::from_pem(std::str::from_utf8(pem).expect("utf-8")).expect("key");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for raw in [b64.encode(key.to_spki_der()), b64.encode(pem)] {
        let bundle = crate::edit_bundle(data!("reference-sample/model.sig"), |v| {
            v["verificationMaterial"]["publicKey"] = serde_json::json!({ "rawBytes": raw });
        });
        verify_bundle(&bundle, &Trust::PublicKey(key.clone())).expect("rawBytes form verifies");
    }
    let other = modelseal_oms::SigningKey::generate(KeyAlgorithm::P256).public_key();
    let bundle = crate::edit_bundle(data!("reference-sample/model.sig"), |v| {
        v["verificationMaterial"]["publicKey"] =
            serde_json::json!({ "rawBytes": b64.encode(other.to_spki_der()) });
    });
    assert!(matches!(
        verify_bundle(&bundle, &Trust::PublicKey(key)),
        Err(VerifyError::Trust(TrustError::RawKeyMismatch { .. }))
    ));
}

#[test]
fn spec_key_bundle_verifies_with_the_vector_key() {
    let verified = verify_bundle(
        data!("spec-vectors/valid/key.bundle.json"),
        &key(data!("spec-vectors/signer.pub")),
    )
    .expect("spec key vector verifies");
    assert_eq!(verified.algorithm, KeyAlgorithm::P384);
    assert_eq!(verified.manifest.subject_name, "model");
    let names: Vec<&str> = verified
        .manifest
        .resources
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["signme-1", "signme-2"]);
}

#[test]
fn spec_certificate_and_sigstore_bundles_parse() {
    let cert =
        Bundle::from_json(data!("spec-vectors/valid/certificate.bundle.json")).expect("parses");
    let VerificationMaterial::CertificateChain(chain) = &cert.material else {
        panic!("not a chain: {:?}", cert.material)
    };
    assert_eq!(chain.len(), 2);
    // Its statement is valid too (the vector ships no root to check the chain with).
    parse_statement(&cert.envelope.payload).expect("statement");
    let (info, _) = modelseal_oms::x509::certificate_info(&chain[0]).expect("leaf");
    assert_eq!(info.subject, "CN=intermediate-ca");

    let sigstore =
        Bundle::from_json(data!("spec-vectors/valid/sigstore.bundle.json")).expect("parses");
    assert!(matches!(
        sigstore.material,
        VerificationMaterial::SigstoreCertificate(_)
    ));
    for trust in [
        key(data!("spec-vectors/signer.pub")),
        Trust::Roots {
            roots: vec![],
            time: None,
        },
    ] {
        // A key or roots cannot verify a keyless bundle: it asks for the
        // identity and issuer instead (see keyless.rs).
        let err = verify_bundle(data!("spec-vectors/valid/sigstore.bundle.json"), &trust)
            .expect_err("needs an identity");
        assert!(
            matches!(
                err,
                VerifyError::Trust(TrustError::KeylessIdentityRequired { .. })
            ),
            "{err:?}"
        );
    }
}

#[test]
fn spec_invalid_vectors_fail_at_the_right_stage() {
    let trust = key(data!("spec-vectors/signer.pub"));
    type Check = fn(&VerifyError) -> bool;
    let cases: [(&[u8], Check); 5] = [
        (data!("spec-vectors/invalid/empty.bundle.json"), |e| {
            matches!(e, VerifyError::Bundle(BundleError::Empty))
        }),
        (
            data!("spec-vectors/invalid/missing-envelope.bundle.json"),
            |e| matches!(e, VerifyError::Bundle(BundleError::MissingEnvelope)),
        ),
        (
            data!("spec-vectors/invalid/missing-tlog-entries.bundle.json"),
            |e| matches!(e, VerifyError::Bundle(BundleError::MissingTlogEntries)),
        ),
        (
            data!("spec-vectors/invalid/missing-verification-material.bundle.json"),
            |e| {
                matches!(
                    e,
                    VerifyError::Bundle(BundleError::MissingVerificationMaterial)
                )
            },
        ),
        // Its payload was edited after signing (the signature is the one of
        // valid/key.bundle.json), so the signature check, which comes first,
        // rejects it.
        (
            data!("spec-vectors/invalid-payload/wrong-predicate.bundle.json"),
            |e| matches!(e, VerifyError::Signature(SignatureError::Invalid { .. })),
        ),
    ];
    for (bytes, check) in cases {
        let err = verify_bundle(bytes, &trust).expect_err("invalid vector accepted");
        assert!(check(&err), "unexpected {err:?}");
    }
    // Its statement on its own fails for the reason the vector is named for.
    let wrong = Bundle::from_json(data!(
        "spec-vectors/invalid-payload/wrong-predicate.bundle.json"
    ))
    .expect("parses");
    assert!(matches!(
        parse_statement(&wrong.envelope.payload),
        Err(StatementError::PredicateType(_))
    ));
}
