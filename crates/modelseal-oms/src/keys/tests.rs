use super::*;

macro_rules! data {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $path))
    };
}

#[test]
fn every_algorithm_signs_and_verifies_and_round_trips_through_pem() {
    for alg in KeyAlgorithm::ALL {
        let key = SigningKey::generate(alg);
        assert_eq!(key.algorithm(), alg);
        let sig = key.sign(b"message");
        match alg {
            KeyAlgorithm::Ed25519 => assert_eq!(sig.len(), 64),
            // DER SEQUENCE of two INTEGERs.
            _ => assert_eq!(sig[0], 0x30, "{alg}: not DER"),
        }
        let public = key.public_key();
        public.verify(b"message", &sig).expect("verifies");
        assert!(matches!(
            public.verify(b"messagE", &sig),
            Err(SignatureError::Invalid { .. })
        ));

        let pem = key.to_pkcs8_pem(None).expect("encodes");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let again = SigningKey::from_pem(&pem, None).expect("reloads");
        assert_eq!(again.public_key(), public);

        let public_pem = public.to_pem();
        assert_eq!(public_pem, public.to_pem(), "same text each time");
        assert!(public_pem.ends_with("-----END PUBLIC KEY-----\n"));
        let reread = PublicKey::from_pem(&public_pem).expect("public PEM reloads");
        assert_eq!(reread, public);
        assert_eq!(reread.key_id(), public.key_id());
        assert_eq!(reread.algorithm(), alg);
        assert_eq!(
            PublicKey::from_spki_der(public.to_spki_der()).expect("DER reloads"),
            public
        );
    }
}

#[test]
fn ecdsa_uses_the_hash_matching_the_curve() {
    use ecdsa::signature::Verifier;
    // A P-384 signature must be over SHA-384, P-521 over SHA-512: check with
    // the curve crates' own digest-specific verifiers.
    let key = SigningKey::generate(KeyAlgorithm::P384);
    let sig = key.sign(b"m");
    let vk = p384::ecdsa::VerifyingKey::from_public_key_der(key.public_key().to_spki_der())
        .expect("key");
    let sig = p384::ecdsa::Signature::from_der(&sig).expect("der");
    vk.verify(b"m", &sig).expect("SHA-384");

    let key = SigningKey::generate(KeyAlgorithm::P521);
    let raw = key.sign(b"m");
    let prehash = sha2::Sha512::digest(b"m");
    let spki = spki::SubjectPublicKeyInfoRef::from_der(key.public_key().to_spki_der())
        .expect("spki")
        .subject_public_key
        .raw_bytes()
        .to_vec();
    assert!(PublicKey::p521_verify_prehash(&spki, &prehash, &raw));
    let wrong = sha2::Sha384::digest(b"m");
    assert!(!PublicKey::p521_verify_prehash(&spki, &wrong, &raw));
}

#[test]
fn key_id_of_the_reference_sample_key_matches_its_hint() {
    let text = data!("reference-sample/key.pub");
    let key = PublicKey::from_pem(text).expect("loads");
    assert_eq!(key.algorithm(), KeyAlgorithm::P256);
    assert_eq!(key.to_pem(), text, "our PEM text is OpenSSL's");
    assert_eq!(
        key.key_id(),
        "753117f8944bf95afef4166e55e418d7cc2a1f26aa2911e76b06381aa5469ab0"
    );
}

#[test]
fn encrypted_pkcs8_round_trip_and_password_errors() {
    let key = SigningKey::generate(KeyAlgorithm::P256);
    let pem = key.to_pkcs8_pem(Some(b"correct horse")).expect("encrypts");
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    let back = SigningKey::from_pem(&pem, Some(b"correct horse")).expect("decrypts");
    assert_eq!(back.public_key(), key.public_key());

    let err = SigningKey::from_pem_named("k.pem", &pem, None).expect_err("needs password");
    assert!(matches!(err, KeyError::Encrypted { .. }));
    assert_eq!(
        err.to_string(),
        "the private key `k.pem` is encrypted: give its password"
    );
    assert!(matches!(
        SigningKey::from_pem(&pem, Some(b"wrong")),
        Err(KeyError::WrongPassword { .. })
    ));
}

#[test]
fn openssl_written_keys_load() {
    let sec1 = SigningKey::from_pem(data!("keys/sec1-p256.pem"), None).expect("SEC1");
    let public = PublicKey::from_pem(data!("keys/sec1-p256.pub")).expect("SPKI");
    assert_eq!(sec1.public_key(), public);
    // The same key as PKCS#8 after explanatory text (RFC 7468 §5.2).
    let with_text =
        SigningKey::from_pem(data!("keys/pkcs8-p256-with-text.pem"), None).expect("PKCS#8 + text");
    assert_eq!(with_text.public_key(), public);
    // OpenSSL's encrypted PKCS#8 (PBKDF2 + AES-256-CBC).
    let encrypted = SigningKey::from_pem(data!("keys/pkcs8-p256-encrypted.pem"), Some(b"hunter2"))
        .expect("encrypted PKCS#8");
    assert_eq!(encrypted.public_key(), public);
    // SEC1 after an `EC PARAMETERS` block.
    let p384 = SigningKey::from_pem(data!("keys/sec1-p384-with-params.pem"), None).expect("P-384");
    assert_eq!(p384.algorithm(), KeyAlgorithm::P384);
    let ed = SigningKey::from_pem(data!("keys/ed25519.pem"), None).expect("Ed25519");
    assert_eq!(
        ed.public_key(),
        PublicKey::from_pem(data!("keys/ed25519.pub")).expect("Ed25519 SPKI")
    );
    assert_eq!(ed.public_key().to_pem(), data!("keys/ed25519.pub"));
    let p521 = SigningKey::from_pem(data!("keys/p521.pem"), None).expect("P-521");
    assert_eq!(p521.algorithm(), KeyAlgorithm::P521);
    // A public key with text before it.
    let text = format!(
        "Subject: test\nIssuer: test\n{}",
        data!("keys/sec1-p256.pub")
    );
    assert_eq!(PublicKey::from_pem(&text).expect("SPKI + text"), public);
}

#[test]
fn bad_keys_get_clear_errors() {
    type Check = fn(&KeyError) -> bool;
    let private_cases: [(&str, Check, &str); 7] = [
        (
            data!("keys/secp256k1-sec1.pem"),
            |e| matches!(e, KeyError::UnsupportedAlgorithm { .. }),
            "secp256k1",
        ),
        (
            data!("keys/secp256k1-pkcs8.pem"),
            |e| matches!(e, KeyError::UnsupportedAlgorithm { .. }),
            "secp256k1",
        ),
        (
            data!("keys/rsa.pem"),
            |e| matches!(e, KeyError::UnsupportedAlgorithm { .. }),
            "RSA",
        ),
        (
            "just some text\n",
            |e| matches!(e, KeyError::NotPem { .. }),
            "not a PEM key",
        ),
        (
            data!("keys/sec1-p256.pub"),
            |e| matches!(e, KeyError::PublicNotPrivate { .. }),
            "public key",
        ),
        (
            data!("chain/rsa-root.pem"),
            |e| matches!(e, KeyError::UnexpectedLabel { .. }),
            "CERTIFICATE",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            |e| matches!(e, KeyError::Malformed { .. }),
            "malformed",
        ),
    ];
    for (text, check, words) in private_cases {
        let err = SigningKey::from_pem_named("k.pem", text, None).expect_err(text);
        assert!(check(&err), "{text}: {err:?}");
        assert!(err.to_string().contains(words), "{err} lacks {words}");
        assert!(err.to_string().contains("k.pem"), "{err} names no key");
    }
    let public_cases: [(&str, Check, &str); 3] = [
        (
            data!("keys/rsa.pub"),
            |e| matches!(e, KeyError::UnsupportedAlgorithm { .. }),
            "RSA",
        ),
        (
            data!("keys/sec1-p256.pem"),
            |e| matches!(e, KeyError::PrivateNotPublic { .. }),
            "private key",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA",
            |e| matches!(e, KeyError::Pem { .. }),
            "malformed PEM",
        ),
    ];
    for (text, check, words) in public_cases {
        let err = PublicKey::from_pem(text).expect_err(text);
        assert!(check(&err), "{text}: {err:?}");
        assert!(err.to_string().contains(words), "{err} lacks {words}");
    }
}

#[test]
fn malformed_signatures_are_reported_as_such() {
    for alg in KeyAlgorithm::ALL {
        let key = SigningKey::generate(alg).public_key();
        assert!(matches!(
            key.verify(b"m", &[1, 2, 3]),
            Err(SignatureError::Malformed { .. })
        ));
    }
}

#[test]
fn debug_never_prints_key_material() {
    for alg in KeyAlgorithm::ALL {
        let key = SigningKey::generate(alg);
        let shown = format!("{key:?}");
        assert_eq!(
            shown,
            format!(
                "SigningKey {{ algorithm: {alg:?}, key_id: {:?}, .. }}",
                key.public_key().key_id()
            )
        );
        let pem = key.to_pkcs8_pem(None).expect("pem");
        let body: String = pem.lines().nth(1).expect("body").chars().take(40).collect();
        assert!(!shown.contains(&body));
    }
}

#[test]
fn algorithm_names_round_trip() {
    for alg in KeyAlgorithm::ALL {
        assert_eq!(alg.name().parse::<KeyAlgorithm>().expect("parses"), alg);
    }
    assert!("rsa".parse::<KeyAlgorithm>().is_err());
}

/// Ed25519 keys were written in the RFC 5958 v2 form (public key embedded),
/// which OpenSSL 3.0 ("unsupported") and `cryptography` ("extra data")
/// refuse. We write RFC 8410's v1 form and keep reading both.
#[test]
fn ed25519_keys_are_written_as_rfc8410_v1_and_v2_still_loads() {
    let key = SigningKey::generate(KeyAlgorithm::Ed25519);
    let pem = key.to_pkcs8_pem(None).expect("encodes");
    let (_, der) = decode_pem("k", &pem).expect("PEM");
    let info = pkcs8::PrivateKeyInfo::from_der(&der).expect("PKCS#8");
    assert_eq!(info.version(), pkcs8::Version::V1);
    assert!(info.public_key.is_none());
    assert_eq!(info.algorithm.oid, OID_ED25519);
    assert!(info.algorithm.parameters.is_none(), "RFC 8410 §3: absent");
    // OpenSSL's own encoding: 48 bytes, the same prefix as its fixture.
    assert_eq!(der.len(), 48);
    let (_, openssl) = decode_pem("k", data!("keys/ed25519.pem")).expect("PEM");
    assert_eq!(der[..16], openssl[..16]);

    let inner = ed25519_dalek::SigningKey::generate(&mut OsRng);
    let v2_pem = inner.to_pkcs8_pem(LineEnding::LF).expect("v2 encodes");
    let (_, v2_der) = decode_pem("k", &v2_pem).expect("PEM");
    let v2_info = pkcs8::PrivateKeyInfo::from_der(&v2_der).expect("PKCS#8");
    assert_eq!(
        v2_info.version(),
        pkcs8::Version::V2,
        "the form we no longer write"
    );
    let back = SigningKey::from_pem(&v2_pem, None).expect("v2 still loads");
    let expected = SigningKey {
        secret: Secret::Ed25519(inner),
    };
    assert_eq!(back.public_key(), expected.public_key());
}

/// scrypt N=2^15 r=8 needs just over OpenSSL's default 32 MiB limit
/// ("memory limit exceeded"); keys are encrypted with N=2^14 r=8 p=1, and
/// keys encrypted with stronger parameters still load.
#[test]
fn encrypted_keys_use_scrypt_parameters_openssl_reads_and_stronger_ones_load() {
    for alg in KeyAlgorithm::ALL {
        let key = SigningKey::generate(alg);
        let pem = key.to_pkcs8_pem(Some(b"pw")).expect("encrypts");
        let (_, der) = decode_pem("k", &pem).expect("PEM");
        let info = pkcs8::EncryptedPrivateKeyInfo::from_der(&der).expect("encrypted PKCS#8");
        let pbes2 = info.encryption_algorithm.pbes2().expect("PBES2");
        let scrypt = pbes2.kdf.scrypt().expect("scrypt");
        assert_eq!(
            (
                scrypt.cost_parameter,
                scrypt.block_size,
                scrypt.parallelization
            ),
            (1 << 14, 8, 1),
            "{alg}"
        );
        assert_eq!(scrypt.salt.len(), 16);
        assert_eq!(pbes2.encryption.oid(), pkcs8::pkcs5::pbes2::AES_256_CBC_OID);
        let back = SigningKey::from_pem(&pem, Some(b"pw")).expect("decrypts");
        assert_eq!(back.public_key(), key.public_key());
    }

    // What earlier versions wrote (N=2^15) still loads.
    let key = SigningKey::generate(KeyAlgorithm::P256);
    let plain = key.to_pkcs8_pem(None).expect("encodes");
    let (_, der) = decode_pem("k", &plain).expect("PEM");
    let doc = SecretDocument::try_from(der.as_slice()).expect("document");
    let stronger = encrypt_pkcs8(&doc, b"pw", 15).expect("encrypts");
    let back = SigningKey::from_pem(&stronger, Some(b"pw")).expect("N=2^15 loads");
    assert_eq!(back.public_key(), key.public_key());
}

/// The OMS hint is the reference tool's: SHA-256 of the key re-encoded as
/// canonical SubjectPublicKeyInfo PEM (uncompressed point, 64 columns, LF),
/// not of the key file's bytes: the same key in another encoding has the
/// same id.
#[test]
fn key_id_is_the_same_for_every_encoding_of_a_key() {
    let uncompressed = data!("keys/sec1-p256.pub");
    let compressed = PublicKey::from_pem(data!("keys/sec1-p256-compressed.pub")).expect("loads");
    assert_eq!(
        compressed,
        PublicKey::from_pem(uncompressed).expect("loads")
    );
    assert_eq!(compressed.to_pem(), uncompressed);
    assert_eq!(
        compressed.key_id(),
        hex::encode(sha2::Sha256::digest(uncompressed.as_bytes()))
    );
    let private = SigningKey::from_pem(data!("keys/sec1-p256.pem"), None).expect("SEC1");
    assert_eq!(private.public_key().key_id(), compressed.key_id());
}

/// Finding 9 of issue 13: ECDSA signatures are accepted high-S (OpenSSL
/// and the reference tools do not normalise `s`), but only in DER. Each
/// BER re-encoding of a valid signature is refused.
#[test]
fn ecdsa_signatures_verify_high_s_and_only_in_der() {
    macro_rules! flipped {
        ($curve:ident, $der:expr) => {{
            let sig = $curve::ecdsa::Signature::from_der($der).expect("der");
            let (r, s) = sig.split_scalars();
            let flipped = $curve::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes())
                .expect("n - s");
            // Exactly one of s and n - s is high.
            assert_ne!(sig.normalize_s().is_some(), flipped.normalize_s().is_some());
            flipped.to_der().as_bytes().to_vec()
        }};
    }
    for alg in [KeyAlgorithm::P256, KeyAlgorithm::P384, KeyAlgorithm::P521] {
        let key = SigningKey::generate(alg);
        let public = key.public_key();
        let sig = key.sign(b"m");
        let other_s = match alg {
            KeyAlgorithm::P256 => flipped!(p256, &sig),
            KeyAlgorithm::P384 => flipped!(p384, &sig),
            _ => flipped!(p521, &sig),
        };
        public.verify(b"m", &sig).expect("as signed");
        public.verify(b"m", &other_s).expect("with n - s");
        assert!(matches!(
            public.verify(b"other", &other_s),
            Err(SignatureError::Invalid { .. })
        ));
        for (what, ber) in ber_forms(&sig) {
            assert!(
                matches!(
                    public.verify(b"m", &ber),
                    Err(SignatureError::Malformed { .. } | SignatureError::NotDer { .. })
                ),
                "{alg:?}: {what} accepted"
            );
        }
    }
    assert!(strict_der(&[1, 2], &[1, 2], KeyAlgorithm::P256).is_ok());
    assert!(matches!(
        strict_der(&[1, 2, 0], &[1, 2], KeyAlgorithm::P256),
        Err(SignatureError::NotDer { length: 3, .. })
    ));
}

/// A length that fits a byte (every length of these signatures does).
fn byte(len: usize) -> u8 {
    u8::try_from(len).expect("a one-byte length")
}

/// Encodes a DER length (short, or long with one byte).
fn der_length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        vec![byte(len)]
    } else {
        vec![0x81, byte(len)]
    }
}

/// BER forms of a DER `ECDSA-Sig-Value`: the same `(r, s)`, encoded with
/// a non-minimal length (outer or inner), an indefinite length, a
/// zero-padded integer, or a trailing byte.
fn ber_forms(der: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let header = if der[1] == 0x81 { 3 } else { 2 };
    let body = &der[header..];
    let r_len = usize::from(body[1]);
    let (r, rest) = body[2..].split_at(r_len);
    let s = &rest[2..];
    let int = |value: &[u8], long: bool| -> Vec<u8> {
        let mut out = vec![0x02];
        if long {
            out.extend([0x81, byte(value.len())]);
        } else {
            out.extend(der_length(value.len()));
        }
        out.extend_from_slice(value);
        out
    };
    let seq = |content: Vec<u8>, long: bool| -> Vec<u8> {
        let mut out = vec![0x30];
        if long && content.len() < 0x80 {
            out.extend([0x81, byte(content.len())]);
        } else if long {
            out.extend([0x82, 0, byte(content.len())]);
        } else {
            out.extend(der_length(content.len()));
        }
        out.extend(content);
        out
    };
    let plain = [int(r, false), int(s, false)].concat();
    let mut padded_r = vec![0];
    padded_r.extend_from_slice(r);
    let mut indefinite = vec![0x30, 0x80];
    indefinite.extend_from_slice(&plain);
    indefinite.extend([0, 0]);
    let mut trailing = der.to_vec();
    trailing.push(0);
    assert_eq!(seq(plain.clone(), false), der, "re-encodes as given");
    vec![
        ("a long-form sequence length", seq(plain.clone(), true)),
        (
            "a long-form integer length",
            seq([int(r, true), int(s, false)].concat(), false),
        ),
        ("an indefinite length", indefinite),
        (
            "a zero-padded r",
            seq([int(&padded_r, false), int(s, false)].concat(), false),
        ),
        ("a trailing byte", trailing),
    ]
}
