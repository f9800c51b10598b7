//! The certificate method: chains made with rcgen, and the committed
//! RSA-root / P-521 chain from `tests/data/make-fixtures.sh`.

use std::time::{Duration, SystemTime};

use modelseal_oms::x509::certificates_from_pem;
use modelseal_oms::{
    KeyAlgorithm, SignError, Signer, SigningKey, Trust, TrustError, VerifyError, sign_manifest,
    verify_bundle,
};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};

use crate::{data, manifest};

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "modelseal test");
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2020, 1, 1);
    p.not_after = date_time_ymd(2090, 1, 1);
    p
}

fn leaf_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name("model signer");
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    p.not_before = date_time_ymd(2024, 1, 1);
    p.not_after = date_time_ymd(2030, 1, 1);
    p
}

/// A root -> intermediate -> leaf chain (ECDSA P-384 CAs) for `signer`.
struct Pki {
    root: Vec<u8>,
    intermediate: Vec<u8>,
    root_key: KeyPair,
    intermediate_key: KeyPair,
}

impl Pki {
    fn new() -> Self {
        let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("root key");
        let root = ca_params("test root").self_signed(&root_key).expect("root");
        let intermediate_key =
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("int key");
        let intermediate = ca_params("test intermediate")
            .signed_by(
                &intermediate_key,
                &Issuer::new(ca_params("test root"), &root_key),
            )
            .expect("intermediate");
        Self {
            root: root.der().to_vec(),
            intermediate: intermediate.der().to_vec(),
            root_key,
            intermediate_key,
        }
    }

    fn leaf(&self, params: &CertificateParams, signer: &SigningKey) -> Vec<u8> {
        let leaf_key =
            KeyPair::from_pem(&signer.to_pkcs8_pem(None).expect("pem")).expect("rcgen key");
        params
            .signed_by(
                &leaf_key,
                &Issuer::new(ca_params("test intermediate"), &self.intermediate_key),
            )
            .expect("leaf")
            .der()
            .to_vec()
    }

    fn roots(&self, time: Option<SystemTime>) -> Trust {
        Trust::Roots {
            roots: vec![self.root.clone()],
            time,
        }
    }
}

fn at(year: u64) -> Option<SystemTime> {
    // Mid-year, good enough for validity windows.
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs((year - 1970) * 31_556_952 + 15_000_000))
}

#[test]
fn valid_chains_round_trip_for_each_leaf_key() {
    let pki = Pki::new();
    for alg in [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Ed25519,
    ] {
        let signer = SigningKey::generate(alg);
        let chain = vec![pki.leaf(&leaf_params(), &signer), pki.intermediate.clone()];
        let bundle = sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs");
        let verified = verify_bundle(&bundle, &pki.roots(at(2026))).expect("verifies");
        assert_eq!(verified.algorithm, alg);
        let Signer::Certificate {
            subject,
            issuer,
            chain_len,
            ..
        } = &verified.signer
        else {
            panic!("{:?}", verified.signer)
        };
        assert_eq!(subject, "CN=model signer,O=modelseal test");
        assert_eq!(issuer, "CN=test intermediate,O=modelseal test");
        assert_eq!(*chain_len, 2);
        // A certificate bundle checked with a key is a clear error.
        let err = verify_bundle(&bundle, &Trust::PublicKey(signer.public_key())).expect_err("key");
        assert!(
            matches!(
                err,
                VerifyError::Trust(TrustError::CertificateBundleWithKey)
            ),
            "{err:?}"
        );
    }
    let _ = &pki.root_key;
}

#[test]
fn rsa_root_and_p521_intermediate_chain_verifies() {
    // RSA-3072 root signs a P-521 intermediate (RSA-SHA256), which signs a
    // P-521 leaf (ECDSA-SHA512: checked by our p521 adapter for webpki).
    let root =
        certificates_from_pem(std::str::from_utf8(data!("chain/rsa-root.pem")).expect("utf-8"))
            .expect("root");
    let mut chain =
        certificates_from_pem(std::str::from_utf8(data!("chain/p521-leaf.pem")).expect("utf-8"))
            .expect("leaf");
    chain.extend(
        certificates_from_pem(
            std::str::from_utf8(data!("chain/p521-intermediate.pem")).expect("utf-8"),
        )
        .expect("int"),
    );
    let signer = SigningKey::from_pem(
        std::str::from_utf8(data!("chain/p521-leaf.key")).expect("utf-8"),
        None,
    )
    .expect("key");
    assert_eq!(signer.algorithm(), KeyAlgorithm::P521);
    let bundle = sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs");
    let verified = verify_bundle(
        &bundle,
        &Trust::Roots {
            roots: root.clone(),
            time: None,
        },
    )
    .expect("verifies");
    assert_eq!(verified.algorithm, KeyAlgorithm::P521);
    let Signer::Certificate { serial, issuer, .. } = verified.signer else {
        panic!("signer")
    };
    assert_eq!(serial, "2002");
    assert_eq!(issuer, "CN=P-521 intermediate,O=modelseal test");
    // Without the intermediate there is no path.
    let bundle = sign_manifest(&manifest(), "model", &signer, Some(&chain[..1])).expect("signs");
    let err = verify_bundle(
        &bundle,
        &Trust::Roots {
            roots: root,
            time: None,
        },
    )
    .expect_err("no path");
    assert!(
        matches!(err, VerifyError::Trust(TrustError::UntrustedChain)),
        "{err:?}"
    );
}

#[test]
fn chain_failures_are_trust_errors() {
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let sign = |chain: Vec<Vec<u8>>| {
        sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs")
    };
    let good = sign(vec![
        pki.leaf(&leaf_params(), &signer),
        pki.intermediate.clone(),
    ]);

    type Check = fn(&TrustError) -> bool;
    let mut no_eku = leaf_params();
    no_eku.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Code signing EKU, but a key usage that only allows key encipherment.
    let mut no_digital_signature = leaf_params();
    no_digital_signature.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    // A CA:false certificate used as an intermediate.
    let fake_ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut fake_ca_params = leaf_params();
    fake_ca_params.distinguished_name = name("not a CA");
    let fake_ca = fake_ca_params
        .signed_by(
            &fake_ca_key,
            &Issuer::new(ca_params("test intermediate"), &pki.intermediate_key),
        )
        .expect("fake CA");
    let signer_key =
        KeyPair::from_pem(&signer.to_pkcs8_pem(None).expect("pem")).expect("rcgen key");
    let mut under_fake = leaf_params();
    under_fake.not_after = date_time_ymd(2029, 1, 1);
    let leaf_under_fake = under_fake
        .signed_by(&signer_key, &Issuer::new(fake_ca_params, &fake_ca_key))
        .expect("leaf");
    let other_pki = Pki::new();

    let cases: Vec<(&str, Vec<u8>, Trust, Check)> = vec![
        ("expired leaf", good.clone(), pki.roots(at(2031)), |e| {
            matches!(e, TrustError::Expired { .. })
        }),
        (
            "not yet valid leaf",
            good.clone(),
            pki.roots(at(2023)),
            |e| matches!(e, TrustError::NotYetValid { .. }),
        ),
        (
            "untrusted root",
            good.clone(),
            other_pki.roots(at(2026)),
            |e| matches!(e, TrustError::UntrustedChain),
        ),
        (
            "no roots",
            good.clone(),
            Trust::Roots {
                roots: vec![],
                time: None,
            },
            |e| matches!(e, TrustError::NoRoots),
        ),
        (
            "garbage root",
            good,
            Trust::Roots {
                roots: vec![vec![1, 2, 3]],
                time: None,
            },
            |e| matches!(e, TrustError::MalformedCertificate { whose: "roots", .. }),
        ),
        (
            "leaf without code signing",
            sign(vec![pki.leaf(&no_eku, &signer), pki.intermediate.clone()]),
            pki.roots(at(2026)),
            |e| matches!(e, TrustError::NotCodeSigning),
        ),
        (
            "leaf whose key usage excludes digital signatures",
            sign(vec![
                pki.leaf(&no_digital_signature, &signer),
                pki.intermediate.clone(),
            ]),
            pki.roots(at(2026)),
            |e| matches!(e, TrustError::NoDigitalSignatureUsage),
        ),
        (
            "CA:false intermediate",
            sign(vec![
                leaf_under_fake.der().to_vec(),
                fake_ca.der().to_vec(),
                pki.intermediate.clone(),
            ]),
            pki.roots(at(2026)),
            |e| matches!(e, TrustError::CaConstraints(_)),
        ),
        (
            "garbage leaf",
            {
                let b = sign(vec![pki.leaf(&leaf_params(), &signer)]);
                crate::edit_bundle(&b, |v| {
                    v["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] =
                        serde_json::json!("AQID");
                })
            },
            pki.roots(at(2026)),
            |e| matches!(e, TrustError::MalformedCertificate { whose: "chain", .. }),
        ),
    ];
    for (what, bundle, trust, check) in cases {
        match verify_bundle(&bundle, &trust) {
            Err(VerifyError::Trust(e)) => assert!(check(&e), "{what}: unexpected {e:?}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn signing_with_a_key_that_is_not_the_leafs_fails() {
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let other = SigningKey::generate(KeyAlgorithm::P256);
    let chain = vec![pki.leaf(&leaf_params(), &other), pki.intermediate.clone()];
    let err = sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect_err("mismatch");
    assert!(
        matches!(err, SignError::CertificateKeyMismatch { .. }),
        "{err:?}"
    );
    let err =
        sign_manifest(&manifest(), "model", &signer, Some(&[vec![1, 2, 3]])).expect_err("garbage");
    assert!(
        matches!(err, SignError::MalformedCertificate { .. }),
        "{err:?}"
    );
}

#[test]
fn a_chain_signed_by_the_wrong_key_is_a_signature_error() {
    // The chain validates, but the envelope was signed by a different key.
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let chain = vec![pki.leaf(&leaf_params(), &signer), pki.intermediate.clone()];
    let bundle = sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs");
    let other = SigningKey::generate(KeyAlgorithm::P256);
    let other_bundle = sign_manifest(&manifest(), "model", &other, None).expect("signs");
    let other_sig = serde_json::from_slice::<serde_json::Value>(&other_bundle).expect("json")["dsseEnvelope"]["signatures"].clone();
    let swapped = crate::edit_bundle(&bundle, |v| v["dsseEnvelope"]["signatures"] = other_sig);
    assert!(matches!(
        verify_bundle(&swapped, &pki.roots(at(2026))),
        Err(VerifyError::Signature(_))
    ));
}
