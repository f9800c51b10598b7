//! Sigstore keyless bundles: the four real signing events in
//! `fixtures/keyless/` verify offline against the embedded public-good
//! root, and each check fails, naming its stage, when a real bundle is
//! mutated to break it. No network is used (the crate has no HTTP client).

use std::sync::Arc;

use base64::Engine as _;
use modelseal_oms::keyless::{IdentityPolicy, KeylessStage, Matcher, SigstoreRoot};
use modelseal_oms::{Signer, Trust, TrustError, VerifyError, verify_bundle};
use serde_json::Value;

const IDENTITY: &str = "stefanb@us.ibm.com";
const ISSUER: &str = "https://sigstore.verify.ibm.com/oauth2";
const VECTORS: [&str; 4] = ["v0.3.1", "v1.0.0", "v1.0.1", "v1.1.0"];
const ROOT: &str = include_str!("../../src/keyless/public-good.trusted_root.json");

fn bundle(version: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/keyless/{version}/model.sig",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn exact() -> IdentityPolicy {
    IdentityPolicy {
        identity: Matcher::Exact(IDENTITY.into()),
        issuer: Matcher::Exact(ISSUER.into()),
    }
}

fn trust(policy: IdentityPolicy) -> Trust {
    Trust::Sigstore {
        root: SigstoreRoot::public_good().expect("embedded root"),
        policy: Some(policy),
    }
}

fn with_root(root: &Value) -> Trust {
    Trust::Sigstore {
        root: Arc::new(
            SigstoreRoot::from_trusted_root_json(root.to_string().as_bytes(), "test root")
                .expect("root"),
        ),
        policy: Some(exact()),
    }
}

/// The stage a bundle fails at.
fn stage(bytes: &[u8], trust: &Trust) -> KeylessStage {
    match verify_bundle(bytes, trust) {
        Err(VerifyError::Trust(TrustError::Keyless(e))) => e.stage,
        other => panic!("expected a keyless failure, got {other:?}"),
    }
}

fn mutate(version: &str, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut json: Value = serde_json::from_slice(&bundle(version)).expect("bundle JSON");
    change(&mut json);
    serde_json::to_vec(&json).expect("JSON")
}

fn b64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("base64 string"))
        .expect("base64")
}

fn set_b64(v: &mut Value, bytes: &[u8]) {
    *v = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
}

/// Flips one bit of a base64 field.
fn flip(v: &mut Value, at: usize) {
    let mut bytes = b64(v);
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 1;
    set_b64(v, &bytes);
}

fn entry(json: &mut Value) -> &mut Value {
    &mut json["verificationMaterial"]["tlogEntries"][0]
}

#[test]
fn the_four_reference_signing_events_verify() {
    let times = [
        (206_342_049, 1_746_234_602),
        (206_344_181, 1_746_236_086),
        (588_939_812, 1_759_851_228),
        (598_151_086, 1_760_062_340),
    ];
    for (version, (index, integrated)) in VECTORS.iter().zip(times) {
        let verified = verify_bundle(&bundle(version), &trust(exact()))
            .unwrap_or_else(|e| panic!("{version}: {e:?}"));
        let Signer::Sigstore(signer) = &verified.signer else {
            panic!("{version}: {:?}", verified.signer)
        };
        assert_eq!(signer.identity, IDENTITY);
        assert_eq!(signer.issuer, ISSUER);
        assert_eq!(signer.log_index, index, "{version}");
        assert_eq!(
            signer.log_url.as_deref(),
            Some("https://rekor.sigstore.dev")
        );
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(integrated);
        assert_eq!(signer.integrated_time, Some(at), "{version}");
        assert!(signer.not_before <= at && at <= signer.not_after);
        // Only v1.1.0 carries an RFC 3161 timestamp (same second).
        let tsa: Vec<_> = signer.tsa_times.clone();
        assert_eq!(
            tsa,
            if *version == "v1.1.0" {
                vec![at]
            } else {
                vec![]
            }
        );
        assert_eq!(verified.manifest.resources.len(), 2);
    }
}

#[test]
fn identity_and_issuer_match_exactly_or_by_anchored_regex() {
    let b = bundle("v1.0.0");
    let policy = |identity: Matcher, issuer: Matcher| trust(IdentityPolicy { identity, issuer });
    let re = |s: &str| Matcher::regex(s).expect("regex");
    let ok = [
        policy(re(r"stefanb@us\.ibm\.com"), Matcher::Exact(ISSUER.into())),
        policy(
            re(r".*@us\.ibm\.com"),
            re(r"https://sigstore\.verify\.ibm\.com/.*"),
        ),
    ];
    for t in &ok {
        verify_bundle(&b, t).expect("matches");
    }
    let cases = [
        // Off by one character, a prefix, a suffix, a wrong issuer.
        (
            policy(
                Matcher::Exact("stefanb@us.ibm.co".into()),
                Matcher::Exact(ISSUER.into()),
            ),
            KeylessStage::Identity,
        ),
        (
            policy(
                Matcher::Exact("stefanb@us.ibm.comm".into()),
                Matcher::Exact(ISSUER.into()),
            ),
            KeylessStage::Identity,
        ),
        (
            policy(re("stefanb"), Matcher::Exact(ISSUER.into())),
            KeylessStage::Identity,
        ),
        (
            policy(re("ibm.com"), Matcher::Exact(ISSUER.into())),
            KeylessStage::Identity,
        ),
        (
            policy(
                Matcher::Exact(IDENTITY.into()),
                Matcher::Exact("https://sigstore.verify.ibm.com/oauth".into()),
            ),
            KeylessStage::Issuer,
        ),
        (
            policy(
                Matcher::Exact(IDENTITY.into()),
                re("https://accounts.google.com"),
            ),
            KeylessStage::Issuer,
        ),
    ];
    for (t, want) in &cases {
        assert_eq!(stage(&b, t), *want);
    }
}

#[test]
fn each_check_fails_at_its_stage() {
    let t = trust(exact());
    let cases: Vec<(&str, Vec<u8>, KeylessStage)> = vec![
        (
            "a proof hash",
            mutate("v1.0.0", |j| {
                flip(&mut entry(j)["inclusionProof"]["hashes"][3], 5)
            }),
            KeylessStage::TlogInclusionProof,
        ),
        (
            "the proof root",
            mutate("v1.0.0", |j| {
                flip(&mut entry(j)["inclusionProof"]["rootHash"], 0)
            }),
            KeylessStage::Tlog,
        ),
        (
            "the checkpoint tree size",
            mutate("v1.0.0", |j| {
                let cp = &mut entry(j)["inclusionProof"]["checkpoint"]["envelope"];
                let text = cp
                    .as_str()
                    .expect("checkpoint")
                    .replacen("\n8443", "\n9443", 1);
                *cp = Value::String(text);
            }),
            KeylessStage::TlogCheckpoint,
        ),
        (
            "the checkpoint signature",
            mutate("v1.0.0", |j| {
                let cp = &mut entry(j)["inclusionProof"]["checkpoint"]["envelope"];
                let text = cp.as_str().expect("checkpoint").to_owned();
                // The last base64 character of the signature line.
                let (head, sig) = text.trim_end().rsplit_once(' ').expect("signature line");
                let mut raw = base64::engine::general_purpose::STANDARD
                    .decode(sig)
                    .expect("b64");
                let last = raw.len() - 1;
                raw[last] ^= 1;
                let sig = base64::engine::general_purpose::STANDARD.encode(raw);
                *cp = Value::String(format!("{head} {sig}\n"));
            }),
            KeylessStage::TlogCheckpoint,
        ),
        (
            "the SET",
            mutate("v1.0.0", |j| {
                flip(
                    &mut entry(j)["inclusionPromise"]["signedEntryTimestamp"],
                    20,
                )
            }),
            KeylessStage::TlogSet,
        ),
        (
            // The SET covers integratedTime, so a changed time fails there.
            "integratedTime",
            mutate("v1.0.0", |j| {
                let t: i64 = entry(j)["integratedTime"]
                    .as_str()
                    .expect("time")
                    .parse()
                    .expect("int");
                entry(j)["integratedTime"] = Value::String((t + 1).to_string());
            }),
            KeylessStage::TlogSet,
        ),
        (
            "the DSSE signature",
            mutate("v1.0.0", |j| {
                flip(&mut j["dsseEnvelope"]["signatures"][0]["sig"], 10)
            }),
            KeylessStage::Signature,
        ),
        (
            // v1.1.0's RFC 3161 timestamp covers the signature: it fails first.
            "the DSSE signature under a timestamp",
            mutate("v1.1.0", |j| {
                flip(&mut j["dsseEnvelope"]["signatures"][0]["sig"], 10)
            }),
            KeylessStage::Timestamp,
        ),
        (
            "the RFC 3161 timestamp",
            mutate("v1.1.0", |j| {
                flip(
                    &mut j["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
                        [0]["signedTimestamp"],
                    200,
                )
            }),
            KeylessStage::Timestamp,
        ),
        (
            "another signing event's certificate",
            {
                let other: Value = serde_json::from_slice(&bundle("v1.0.0")).expect("JSON");
                mutate("v0.3.1", |j| {
                    j["verificationMaterial"]["certificate"] =
                        other["verificationMaterial"]["certificate"].clone();
                })
            },
            KeylessStage::CertificateChain,
        ),
        (
            "the proof and promise removed",
            mutate("v1.0.0", |j| {
                let e = entry(j).as_object_mut().expect("entry");
                e.remove("inclusionProof");
                e.remove("inclusionPromise");
            }),
            KeylessStage::Tlog,
        ),
        (
            // Without the SET (and no timestamp) nothing vouches for the time.
            "the promise removed",
            mutate("v1.0.0", |j| {
                entry(j)
                    .as_object_mut()
                    .expect("entry")
                    .remove("inclusionPromise");
            }),
            KeylessStage::Timestamp,
        ),
        (
            "no tlog entries",
            mutate("v1.0.0", |j| {
                j["verificationMaterial"]["tlogEntries"] = Value::Array(vec![])
            }),
            KeylessStage::Tlog,
        ),
        (
            // Another entry's body under this entry's SET: the SET fails.
            "another entry's body",
            {
                let other: Value = serde_json::from_slice(&bundle("v0.3.1")).expect("JSON");
                mutate("v1.0.0", |j| {
                    entry(j)["canonicalizedBody"] = other["verificationMaterial"]["tlogEntries"][0]
                        ["canonicalizedBody"]
                        .clone();
                })
            },
            KeylessStage::TlogSet,
        ),
    ];
    for (what, bytes, want) in cases {
        assert_eq!(stage(&bytes, &t), want, "{what}");
    }
}

#[test]
fn a_trusted_root_without_rekor_keys_or_fulcio_cas_is_refused_at_that_stage() {
    let b = bundle("v1.0.0");
    let root: Value = serde_json::from_str(ROOT).expect("root JSON");
    verify_bundle(&b, &with_root(&root)).expect("the same root as a file verifies");
    let mut no_tlogs = root.clone();
    no_tlogs["tlogs"] = Value::Array(vec![]);
    assert_eq!(stage(&b, &with_root(&no_tlogs)), KeylessStage::Tlog);
    let mut no_cas = root.clone();
    no_cas["certificateAuthorities"] = Value::Array(vec![]);
    assert_eq!(
        stage(&b, &with_root(&no_cas)),
        KeylessStage::CertificateChain
    );
    let mut no_ct = root;
    no_ct["ctlogs"] = Value::Array(vec![]);
    assert_eq!(stage(&b, &with_root(&no_ct)), KeylessStage::Sct);
}

#[test]
fn trust_files_are_checked_for_what_they_are() {
    let err = SigstoreRoot::from_trusted_root_json(&bundle("v1.0.0"), "`model.sig`")
        .expect_err("a bundle is not a root");
    assert_eq!(err.stage, KeylessStage::TrustRoot);
    let config = format!(
        r#"{{"mediaType":"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json","trustedRoot":{ROOT},"signingConfig":{{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json"}}}}"#
    );
    let root = SigstoreRoot::from_client_trust_config_json(config.as_bytes(), "config")
        .expect("client trust config");
    verify_bundle(
        &bundle("v1.1.0"),
        &Trust::Sigstore {
            root: Arc::new(root),
            policy: Some(exact()),
        },
    )
    .expect("verifies");
    let err = SigstoreRoot::from_client_trust_config_json(ROOT.as_bytes(), "root.json")
        .expect_err("a root is not a client trust config");
    assert_eq!(err.stage, KeylessStage::TrustRoot);
}

// Without a policy, or with another kind of trust, a keyless bundle is
// refused naming the identity and issuer its (unverified) certificate
// claims; a key bundle checked as keyless is refused too.
#[test]
fn keyless_bundles_need_an_identity_and_issuer() {
    let b = bundle("v1.0.0");
    let none = Trust::Sigstore {
        root: SigstoreRoot::public_good().expect("root"),
        policy: None,
    };
    let roots = Trust::Roots {
        roots: vec![],
        time: None,
    };
    for t in [none, roots] {
        match verify_bundle(&b, &t) {
            Err(VerifyError::Trust(TrustError::KeylessIdentityRequired { identity, issuer })) => {
                assert_eq!(identity.as_deref(), Some(IDENTITY));
                assert_eq!(issuer.as_deref(), Some(ISSUER));
            }
            other => panic!("{other:?}"),
        }
    }
}
