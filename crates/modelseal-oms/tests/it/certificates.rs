//! The certificate method: chains made with rcgen, and the committed
//! RSA-root / P-521 chain from `tests/data/make-fixtures.sh`.

use std::time::{Duration, SystemTime};

use modelseal_oms::x509::certificates_from_pem;
use modelseal_oms::{
    KeyAlgorithm, SignError, Signer, SigningKey, Trust, TrustError, VerifyError, sign_manifest,
    verify_bundle,
};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber, date_time_ymd,
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

    /// A leaf issued by the root itself, no intermediate.
    fn leaf_under_root(&self, params: &CertificateParams, signer: &SigningKey) -> Vec<u8> {
        params
            .signed_by(
                &rcgen_key(signer),
                &Issuer::new(ca_params("test root"), &self.root_key),
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

fn rcgen_key(signer: &SigningKey) -> KeyPair {
    KeyPair::from_pem(&signer.to_pkcs8_pem(None).expect("pem")).expect("rcgen key")
}

/// A signing certificate with `CA:TRUE`, as test PKIs in the ecosystem make
/// them (model-signing's own test leaf): key usage `digitalSignature` only,
/// EKU code signing, and its issuer's name, `test intermediate`, as subject.
fn ca_leaf_params() -> CertificateParams {
    let mut p = leaf_params();
    p.distinguished_name = name("test intermediate");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p
}

/// A self-signed signing certificate for `signer`: with `CA:TRUE`, as
/// `openssl req -x509` makes one, or `params` as given.
fn self_signed(params: &CertificateParams, signer: &SigningKey) -> Vec<u8> {
    params
        .self_signed(&rcgen_key(signer))
        .expect("self-signed")
        .der()
        .to_vec()
}

fn pinned_params() -> CertificateParams {
    let mut p = ca_leaf_params();
    p.distinguished_name = name("pinned signer");
    p
}

fn pinned(certificate: &[u8], time: Option<SystemTime>) -> Trust {
    Trust::Roots {
        roots: vec![certificate.to_vec()],
        time,
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

fn signer_names(verified: &modelseal_oms::VerifiedBundle) -> (&str, &str) {
    let Signer::Certificate {
        subject, issuer, ..
    } = &verified.signer
    else {
        panic!("{:?}", verified.signer)
    };
    (subject, issuer)
}

#[test]
fn ca_signing_certificates_verify_as_the_reference_verifiers_accept_them() {
    // OpenSSL and Go accept a `CA:TRUE` leaf whose key usage excludes
    // certificate signing; webpki alone refused it (`CaUsedAsEndEntity`).
    let pki = Pki::new();
    for alg in [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Ed25519,
    ] {
        let signer = SigningKey::generate(alg);
        let chain = vec![
            pki.leaf(&ca_leaf_params(), &signer),
            pki.intermediate.clone(),
        ];
        let bundle = sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs");
        let verified = verify_bundle(&bundle, &pki.roots(at(2026))).expect("verifies");
        assert_eq!(verified.algorithm, alg);
        // Subject and issuer are both the intermediate's name.
        assert_eq!(
            signer_names(&verified),
            (
                "CN=test intermediate,O=modelseal test",
                "CN=test intermediate,O=modelseal test"
            )
        );
    }
    // Issued by the root itself, with a path length constraint of its own.
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let mut params = ca_leaf_params();
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let chain = vec![pki.leaf_under_root(&params, &signer)];
    let bundle = sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs");
    verify_bundle(&bundle, &pki.roots(at(2026))).expect("verifies under the root");
}

#[test]
fn pinned_signing_certificates_verify() {
    // `--cert-chain` naming the signing certificate itself: webpki has no
    // path to build and refused it as its own end entity.
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let mut end_entity = pinned_params();
    end_entity.is_ca = IsCa::ExplicitNoCa;
    // Not a CA, so no key usage is needed (a CA:TRUE one needs one).
    let mut end_entity_without_key_usage = end_entity.clone();
    end_entity_without_key_usage.key_usages = vec![];
    let other = Pki::new();
    for params in [pinned_params(), end_entity, end_entity_without_key_usage] {
        let certificate = self_signed(&params, &signer);
        let bundle = sign_manifest(
            &manifest(),
            "model",
            &signer,
            Some(std::slice::from_ref(&certificate)),
        )
        .expect("signs");
        let verified = verify_bundle(&bundle, &pinned(&certificate, at(2026))).expect("pinned");
        assert_eq!(
            signer_names(&verified),
            (
                "CN=pinned signer,O=modelseal test",
                "CN=pinned signer,O=modelseal test"
            )
        );
        // Among other roots, and with unused certificates after it.
        let bundle = sign_manifest(
            &manifest(),
            "model",
            &signer,
            Some(&[certificate.clone(), other.intermediate.clone()]),
        )
        .expect("signs");
        let trust = Trust::Roots {
            roots: vec![other.root.clone(), certificate],
            time: at(2026),
        };
        verify_bundle(&bundle, &trust).expect("pinned among roots");
    }
}

#[test]
fn ca_and_pinned_signing_certificates_keep_every_rejection() {
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let sign = |chain: Vec<Vec<u8>>| {
        sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs")
    };
    let ca_leaf = |edit: fn(&mut CertificateParams)| {
        let mut params = ca_leaf_params();
        edit(&mut params);
        sign(vec![pki.leaf(&params, &signer), pki.intermediate.clone()])
    };
    let pinned_leaf = |edit: fn(&mut CertificateParams)| {
        let mut params = pinned_params();
        edit(&mut params);
        let certificate = self_signed(&params, &signer);
        (sign(vec![certificate.clone()]), certificate)
    };
    let (good_pinned, good_pinned_cert) = pinned_leaf(|_| {});
    // Same name, same extensions, another key: not the pinned certificate.
    let look_alike = self_signed(&pinned_params(), &SigningKey::generate(KeyAlgorithm::P256));
    // Same name, same key, same extensions, another serial: only the byte
    // comparison tells it from the pinned certificate. Not pinned, it must
    // chain, and its only issuer is the pinned certificate, whose key usage
    // does not allow certificate signing (`CA:TRUE` or not).
    let same_key_other_serial = |edit: fn(&mut CertificateParams)| {
        let mut params = pinned_params();
        edit(&mut params);
        params.serial_number = Some(SerialNumber::from(1));
        let pinned_cert = self_signed(&params, &signer);
        params.serial_number = Some(SerialNumber::from(2));
        let other = self_signed(&params, &signer);
        (sign(vec![other]), pinned_cert)
    };
    let other_pki = Pki::new();

    type Check = fn(&TrustError) -> bool;
    let expired: Check = |e| matches!(e, TrustError::Expired { .. });
    let not_yet_valid: Check = |e| matches!(e, TrustError::NotYetValid { .. });
    let untrusted: Check = |e| matches!(e, TrustError::UntrustedChain);
    let no_digital_signature: Check = |e| matches!(e, TrustError::NoDigitalSignatureUsage);
    let not_code_signing: Check = |e| matches!(e, TrustError::NotCodeSigning);
    let ca_constraints: Check = |e| matches!(e, TrustError::CaConstraints(_));
    let root_cannot_issue: Check = |e| matches!(e, TrustError::CaConstraints(m) if m.starts_with("the root the chain leads to issues"));

    let cases: Vec<(&str, Vec<u8>, Trust, Check)> = vec![
        (
            "CA leaf, expired",
            ca_leaf(|_| {}),
            pki.roots(at(2031)),
            expired,
        ),
        (
            "CA leaf, not yet valid",
            ca_leaf(|_| {}),
            pki.roots(at(2023)),
            not_yet_valid,
        ),
        (
            "CA leaf, other roots",
            ca_leaf(|_| {}),
            other_pki.roots(at(2026)),
            untrusted,
        ),
        (
            "CA leaf, no intermediate",
            sign(vec![pki.leaf(&ca_leaf_params(), &signer)]),
            pki.roots(at(2026)),
            untrusted,
        ),
        (
            "CA leaf without digitalSignature",
            ca_leaf(|p| p.key_usages = vec![KeyUsagePurpose::KeyEncipherment]),
            pki.roots(at(2026)),
            no_digital_signature,
        ),
        (
            "CA leaf whose key may sign certificates",
            ca_leaf(|p| {
                p.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::KeyCertSign,
                ]
            }),
            pki.roots(at(2026)),
            ca_constraints,
        ),
        (
            "CA leaf without key usage",
            ca_leaf(|p| p.key_usages = vec![]),
            pki.roots(at(2026)),
            ca_constraints,
        ),
        (
            "CA leaf with server auth EKU",
            ca_leaf(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth]),
            pki.roots(at(2026)),
            not_code_signing,
        ),
        (
            "CA leaf without EKU",
            ca_leaf(|p| p.extended_key_usages = vec![]),
            pki.roots(at(2026)),
            not_code_signing,
        ),
        (
            "pinned, expired",
            good_pinned.clone(),
            pinned(&good_pinned_cert, at(2031)),
            expired,
        ),
        (
            "pinned, not yet valid",
            good_pinned.clone(),
            pinned(&good_pinned_cert, at(2023)),
            not_yet_valid,
        ),
        (
            "pinned look-alike",
            good_pinned.clone(),
            pinned(&look_alike, at(2026)),
            untrusted,
        ),
        {
            let (bundle, cert) = same_key_other_serial(|_| {});
            (
                "pinned look-alike with the same key and name, another serial",
                bundle,
                pinned(&cert, at(2026)),
                root_cannot_issue,
            )
        },
        {
            let (bundle, cert) = same_key_other_serial(|p| p.is_ca = IsCa::ExplicitNoCa);
            (
                "pinned CA:FALSE look-alike with the same key and name, another serial",
                bundle,
                pinned(&cert, at(2026)),
                root_cannot_issue,
            )
        },
        (
            "self-signed, other roots",
            good_pinned,
            pki.roots(at(2026)),
            untrusted,
        ),
        {
            let (bundle, cert) =
                pinned_leaf(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth]);
            (
                "pinned with server auth EKU",
                bundle,
                pinned(&cert, at(2026)),
                not_code_signing,
            )
        },
        {
            let (bundle, cert) = pinned_leaf(|p| p.extended_key_usages = vec![]);
            (
                "pinned without EKU",
                bundle,
                pinned(&cert, at(2026)),
                not_code_signing,
            )
        },
        {
            let (bundle, cert) =
                pinned_leaf(|p| p.key_usages = vec![KeyUsagePurpose::KeyEncipherment]);
            (
                "pinned without digitalSignature",
                bundle,
                pinned(&cert, at(2026)),
                no_digital_signature,
            )
        },
        // A pinned CA:TRUE certificate is held to the rule of a chained one.
        {
            let (bundle, cert) = pinned_leaf(|p| {
                p.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::KeyCertSign,
                ]
            });
            (
                "pinned CA whose key may sign certificates",
                bundle,
                pinned(&cert, at(2026)),
                ca_constraints,
            )
        },
        {
            let (bundle, cert) = pinned_leaf(|p| p.key_usages = vec![]);
            (
                "pinned CA without key usage",
                bundle,
                pinned(&cert, at(2026)),
                ca_constraints,
            )
        },
    ];
    for (what, bundle, trust, check) in cases {
        match verify_bundle(&bundle, &trust) {
            Err(VerifyError::Trust(e)) => assert!(check(&e), "{what}: unexpected {e:?}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

// Regression guard for the CA:TRUE path: webpki validates it through a
// stand-in end entity issued by the leaf's name and key, so a chain holding
// a real certificate X (same name and key, no EKU) beside a forged leaf that
// claims code signing let webpki validate stand-in -> X -> root while the
// forged leaf's fields were the ones checked. The path must run through the
// leaf itself.
#[test]
fn a_ca_leaf_cannot_borrow_the_path_of_a_look_alike() {
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let mut no_eku = ca_leaf_params();
    no_eku.extended_key_usages = vec![];
    let real = pki.leaf(&no_eku, &signer);
    let rogue = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let forged = ca_leaf_params()
        .signed_by(
            &rcgen_key(&signer),
            &Issuer::new(ca_params("test intermediate"), &rogue),
        )
        .expect("forged")
        .der()
        .to_vec();
    let bundle = sign_manifest(
        &manifest(),
        "model",
        &signer,
        Some(&[forged, real.clone(), pki.intermediate.clone()]),
    )
    .expect("signs");
    let err = verify_bundle(&bundle, &pki.roots(at(2026))).expect_err("look-alike");
    assert!(
        matches!(err, VerifyError::Trust(TrustError::UntrustedChain)),
        "{err:?}"
    );
    // The real certificate on its own is refused for its missing EKU.
    let bundle = sign_manifest(
        &manifest(),
        "model",
        &signer,
        Some(&[real, pki.intermediate.clone()]),
    )
    .expect("signs");
    let err = verify_bundle(&bundle, &pki.roots(at(2026))).expect_err("no EKU");
    assert!(
        matches!(err, VerifyError::Trust(TrustError::NotCodeSigning)),
        "{err:?}"
    );
}

#[test]
fn ca_and_pinned_leaves_must_carry_the_signing_key() {
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let other = SigningKey::generate(KeyAlgorithm::P256);
    let pinned_cert = self_signed(&pinned_params(), &signer);
    for (chain, trust) in [
        (
            vec![
                pki.leaf(&ca_leaf_params(), &signer),
                pki.intermediate.clone(),
            ],
            pki.roots(at(2026)),
        ),
        (vec![pinned_cert.clone()], pinned(&pinned_cert, at(2026))),
    ] {
        // Signing refuses a certificate for another key.
        let err = sign_manifest(&manifest(), "model", &other, Some(&chain)).expect_err("key");
        assert!(
            matches!(err, SignError::CertificateKeyMismatch { .. }),
            "{err:?}"
        );
        // A bundle whose envelope another key signed fails on the signature.
        let bundle = sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs");
        let other_bundle = sign_manifest(&manifest(), "model", &other, None).expect("signs");
        let other_sig = serde_json::from_slice::<serde_json::Value>(&other_bundle).expect("json")
            ["dsseEnvelope"]["signatures"]
            .clone();
        let swapped = crate::edit_bundle(&bundle, |v| v["dsseEnvelope"]["signatures"] = other_sig);
        assert!(
            matches!(
                verify_bundle(&swapped, &trust),
                Err(VerifyError::Signature(_))
            ),
            "{chain:?}"
        );
        verify_bundle(&bundle, &trust).expect("the right key verifies");
    }
}

#[test]
fn a_ca_leaf_counts_against_its_issuers_path_length() {
    // webpki validates a CA:TRUE leaf as an intermediate, so it counts for
    // path length constraints: stricter than RFC 5280, which would accept
    // this leaf under an intermediate with pathLenConstraint 0.
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let mut zero = ca_params("zero intermediate");
    zero.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let zero_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let intermediate = zero
        .signed_by(
            &zero_key,
            &Issuer::new(ca_params("test root"), &pki.root_key),
        )
        .expect("intermediate")
        .der()
        .to_vec();
    let leaf = |params: CertificateParams| {
        params
            .signed_by(&rcgen_key(&signer), &Issuer::new(zero.clone(), &zero_key))
            .expect("leaf")
            .der()
            .to_vec()
    };
    let sign = |leaf: Vec<u8>| {
        sign_manifest(
            &manifest(),
            "model",
            &signer,
            Some(&[leaf, intermediate.clone()]),
        )
        .expect("signs")
    };
    let err = verify_bundle(&sign(leaf(ca_leaf_params())), &pki.roots(at(2026)))
        .expect_err("path length");
    assert!(
        matches!(err, VerifyError::Trust(TrustError::CaConstraints(_))),
        "{err:?}"
    );
    // An end-entity leaf under the same intermediate verifies.
    verify_bundle(&sign(leaf(leaf_params())), &pki.roots(at(2026))).expect("end entity");
}

/// `params` for `subject`'s key, signed by `issuer`'s key with
/// `issuer_params` as the issuer.
fn issue(
    params: &CertificateParams,
    subject: &SigningKey,
    issuer_params: &CertificateParams,
    issuer: &SigningKey,
) -> Vec<u8> {
    let issuer_key = rcgen_key(issuer);
    params
        .signed_by(
            &rcgen_key(subject),
            &Issuer::new(issuer_params.clone(), &issuer_key),
        )
        .expect("issue")
        .der()
        .to_vec()
}

fn params_named(mut params: CertificateParams, cn: &str) -> CertificateParams {
    params.distinguished_name = name(cn);
    params
}

#[track_caller]
fn assert_refused_as(err: &VerifyError, message: &str) {
    assert!(
        matches!(err, VerifyError::Trust(TrustError::CaConstraints(m)) if m.starts_with(message)),
        "{err:?}"
    );
}

// Regression (security review): webpki ignores key usage on issuers, so a
// `CA:TRUE` signing certificate L whose key usage is `digitalSignature` only
// (the shape accepted since issue 12) could issue: with L's key, a
// certificate E for any subject (another policy signer's, say), and the
// chain [E, L, I] verified under the root. RFC 5280 6.1.4(n); OpenSSL
// refuses it ("key usage does not include certificate signing").
#[test]
fn a_signing_certificate_cannot_issue_certificates() {
    let pki = Pki::new();
    let rogue = SigningKey::generate(KeyAlgorithm::P256);
    let sign = |key: &SigningKey, chain: &[Vec<u8>]| {
        sign_manifest(&manifest(), "model", key, Some(chain)).expect("signs")
    };
    // L named like its issuer (as in the ecosystem's test PKIs) or not.
    for l_name in ["test intermediate", "signing CA"] {
        let l_key = SigningKey::generate(KeyAlgorithm::P256);
        let l_params = params_named(ca_leaf_params(), l_name);
        let l = pki.leaf(&l_params, &l_key);
        // L itself is a good signing certificate.
        verify_bundle(
            &sign(&l_key, &[l.clone(), pki.intermediate.clone()]),
            &pki.roots(at(2026)),
        )
        .expect("L signs");
        // What L's key issues: an end entity (webpki's own path) and a
        // CA:TRUE signing certificate (the stand-in path).
        for (what, params) in [
            ("end entity", params_named(leaf_params(), "another signer")),
            ("CA:TRUE", params_named(ca_leaf_params(), "another signer")),
        ] {
            let issued = issue(&params, &rogue, &l_params, &l_key);
            let bundle = sign(&rogue, &[issued, l.clone(), pki.intermediate.clone()]);
            let err = verify_bundle(&bundle, &pki.roots(at(2026))).expect_err(what);
            assert_refused_as(&err, "certificate 1 of the chain issues");
            assert!(
                err.to_string().contains("keyCertSign"),
                "{what} under {l_name}: {err}"
            );
        }
    }

    // The refused issuer is named wherever it is: here L issues a CA with
    // keyCertSign, which issues the signer; L is certificate 2.
    let l_key = SigningKey::generate(KeyAlgorithm::P256);
    let l_params = params_named(ca_leaf_params(), "signing CA");
    let l = pki.leaf(&l_params, &l_key);
    let sub_key = SigningKey::generate(KeyAlgorithm::P256);
    let sub_params = ca_params("sub CA");
    let sub = issue(&sub_params, &sub_key, &l_params, &l_key);
    let signer_cert = issue(&leaf_params(), &rogue, &sub_params, &sub_key);
    let bundle = sign(&rogue, &[signer_cert, sub, l, pki.intermediate.clone()]);
    let err = verify_bundle(&bundle, &pki.roots(at(2026))).expect_err("deeper");
    assert_refused_as(&err, "certificate 2 of the chain issues");

    // An issuer without a key usage extension may issue (RFC 5280 4.2.1.3).
    let open_key = SigningKey::generate(KeyAlgorithm::P256);
    let mut open_params = ca_params("open CA");
    open_params.key_usages = vec![];
    let open = open_params
        .signed_by(
            &rcgen_key(&open_key),
            &Issuer::new(ca_params("test intermediate"), &pki.intermediate_key),
        )
        .expect("open CA")
        .der()
        .to_vec();
    let signer_cert = issue(&leaf_params(), &rogue, &open_params, &open_key);
    let bundle = sign(&rogue, &[signer_cert, open, pki.intermediate.clone()]);
    verify_bundle(&bundle, &pki.roots(at(2026))).expect("an issuer without key usage");
}

// The same hole through the roots: webpki keeps only a trust anchor's name,
// key and name constraints, so a pinned signing certificate (a root too)
// could issue certificates for any subject that chained to it, whatever its
// key usage or basic constraints said.
#[test]
fn a_pinned_signing_certificate_cannot_issue_certificates() {
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let rogue = SigningKey::generate(KeyAlgorithm::P256);
    let mut end_entity = pinned_params();
    end_entity.is_ca = IsCa::ExplicitNoCa;
    let mut end_entity_without_key_usage = end_entity.clone();
    end_entity_without_key_usage.key_usages = vec![];
    for (what, root_params, refusal) in [
        (
            "CA:TRUE",
            pinned_params(),
            "the root the chain leads to issues",
        ),
        ("CA:FALSE", end_entity, "the root the chain leads to issues"),
        (
            "CA:FALSE without key usage",
            end_entity_without_key_usage,
            "the root the chain leads to issues a certificate in the path, but its basic constraints say CA:FALSE",
        ),
    ] {
        let root = self_signed(&root_params, &signer);
        let trust = pinned(&root, at(2026));
        let sign = |key: &SigningKey, chain: Vec<Vec<u8>>| {
            sign_manifest(&manifest(), "model", key, Some(&chain)).expect("signs")
        };
        verify_bundle(&sign(&signer, vec![root.clone()]), &trust).expect(what);
        for params in [
            params_named(leaf_params(), "another signer"),
            params_named(ca_leaf_params(), "another signer"),
        ] {
            let issued = issue(&params, &rogue, &root_params, &signer);
            let err = verify_bundle(&sign(&rogue, vec![issued]), &trust).expect_err(what);
            assert_refused_as(&err, refusal);
        }
    }
}

// The stand-in path's callback refuses a path with no intermediate: a root
// with the signing certificate's name and key would otherwise "issue" the
// stand-in itself, and the signing certificate's own signature would never
// be checked.
#[test]
fn a_root_with_the_ca_leafs_name_and_key_does_not_stand_in_for_its_issuer() {
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let root_params = ca_params("test intermediate");
    let root = self_signed(&root_params, &signer);
    let trust = pinned(&root, at(2026));
    // The leaf's subject and key are the root's; a key that is not the
    // root's signed it.
    let forged = issue(
        &ca_leaf_params(),
        &signer,
        &root_params,
        &SigningKey::generate(KeyAlgorithm::P256),
    );
    let bundle = sign_manifest(&manifest(), "model", &signer, Some(&[forged])).expect("signs");
    let err = verify_bundle(&bundle, &trust).expect_err("forged");
    assert!(
        matches!(err, VerifyError::Trust(TrustError::UntrustedChain)),
        "{err:?}"
    );
    // The same leaf really issued by the root verifies.
    let real = issue(&ca_leaf_params(), &signer, &root_params, &signer);
    let bundle = sign_manifest(&manifest(), "model", &signer, Some(&[real])).expect("signs");
    verify_bundle(&bundle, &trust).expect("really issued");
}

// Trust anchors are parsed ignoring unknown critical extensions, so a pinned
// certificate carrying one was accepted; OpenSSL and Go refuse it, as webpki
// refuses one in any path.
#[test]
fn an_unknown_critical_extension_is_refused_in_every_shape() {
    let pki = Pki::new();
    let signer = SigningKey::generate(KeyAlgorithm::P256);
    let with_extension = |mut params: CertificateParams, critical: bool| {
        // 1.3.6.1.4.1.55555.1 (a private arc), value NULL.
        let mut extension =
            CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x05, 0x00]);
        extension.set_criticality(critical);
        params.custom_extensions = vec![extension];
        params
    };
    let sign = |chain: Vec<Vec<u8>>| {
        sign_manifest(&manifest(), "model", &signer, Some(&chain)).expect("signs")
    };
    for critical in [true, false] {
        let pinned_cert = self_signed(&with_extension(pinned_params(), critical), &signer);
        let cases = [
            (
                "pinned",
                sign(vec![pinned_cert.clone()]),
                pinned(&pinned_cert, at(2026)),
            ),
            (
                "end entity",
                sign(vec![
                    pki.leaf(&with_extension(leaf_params(), critical), &signer),
                    pki.intermediate.clone(),
                ]),
                pki.roots(at(2026)),
            ),
            (
                "CA:TRUE",
                sign(vec![
                    pki.leaf(&with_extension(ca_leaf_params(), critical), &signer),
                    pki.intermediate.clone(),
                ]),
                pki.roots(at(2026)),
            ),
        ];
        for (what, bundle, trust) in cases {
            let result = verify_bundle(&bundle, &trust);
            if !critical {
                result.expect(what);
                continue;
            }
            match result {
                Err(VerifyError::Trust(TrustError::MalformedCertificate {
                    whose: "chain",
                    index: 0,
                    source,
                })) => assert!(
                    source.to_string().contains("UnsupportedCriticalExtension"),
                    "{what}: {source}"
                ),
                other => panic!("{what}: {other:?}"),
            }
        }
    }
}
