//! The Sigstore bundle v0.3 that carries an OMS signature, and the DSSE
//! envelope inside it.
//!
//! Reading is strict about structure but tolerant of what the reference
//! tools write: `keyid` absent, `""` or `null`; `publicKey.hint` or
//! `publicKey.rawBytes`; `tlogEntries` absent or `[]`; unknown top-level
//! fields. Writing is deterministic: fixed field order, no maps.
//!
//! The bundle arrives before anything about it is trusted, so reading costs
//! memory in proportion to its size and never more: it is parsed into typed
//! structures (unknown fields are skipped without being kept, base64 text
//! is borrowed from the input), `tlogEntries` are kept as their JSON text,
//! and every list has a cap ([`MAX_TLOG_ENTRIES`], [`MAX_CERTIFICATES`],
//! [`MAX_SIGNATURES`]) past which its entries are counted, not kept.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::BundleError;

/// The bundle media type OMS v1.0 uses.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The alternative spelling Sigstore accepts for the same version.
const BUNDLE_MEDIA_TYPE_ALT: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The largest bundle read: 64 MiB (a bundle of a million-file model is far
/// smaller).
pub const MAX_BUNDLE_SIZE: usize = 64 << 20;
/// The most `verificationMaterial.tlogEntries` read (a Sigstore bundle has
/// one; modelseal verifies none).
pub const MAX_TLOG_ENTRIES: usize = 64;
/// The most certificates in `verificationMaterial.x509CertificateChain`.
pub const MAX_CERTIFICATES: usize = 32;
/// The most DSSE signatures read (OMS has exactly one).
pub const MAX_SIGNATURES: usize = 16;
/// The longest media or payload type quoted back in an error.
const MAX_QUOTED: usize = 200;

/// Standard base64 that accepts input with or without padding.
const B64_READ: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// URL-safe base64, which protobuf JSON parsers also accept.
const B64_READ_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const B64_WRITE: GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A parsed OMS bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// How the signer is identified.
    pub material: VerificationMaterial,
    /// `verificationMaterial.tlogEntries`, kept as their JSON text (`None`
    /// if absent).
    pub tlog_entries: Option<Vec<TlogEntry>>,
    /// The signed envelope.
    pub envelope: DsseEnvelope,
}

/// One `tlogEntries` element, kept as the JSON text it was read as: never
/// interpreted (modelseal checks no transparency log), written back
/// verbatim.
#[derive(Debug, Clone)]
pub struct TlogEntry(Box<RawValue>);

impl TlogEntry {
    /// The entry's JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for TlogEntry {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

impl Eq for TlogEntry {}

impl Serialize for TlogEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TlogEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self)
    }
}

/// The signer's identification in `verificationMaterial`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationMaterial {
    /// Key method: `publicKey` with a `hint` (key id) or `rawBytes`.
    PublicKey {
        /// The key id (hex SHA-256 of the PEM text), when given.
        hint: Option<String>,
        /// The key bytes, when given (older reference tool versions).
        raw_bytes: Option<Vec<u8>>,
    },
    /// Certificate method: DER certificates, leaf first.
    CertificateChain(Vec<Vec<u8>>),
    /// Sigstore method: one Fulcio-issued DER certificate.
    SigstoreCertificate(Vec<u8>),
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseEnvelope {
    /// The payload bytes (base64-decoded).
    pub payload: Vec<u8>,
    /// The payload type, [`PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The signatures.
    pub signatures: Vec<DsseSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseSignature {
    /// The signature bytes (base64-decoded).
    pub sig: Vec<u8>,
    /// The key id, if not absent, `null` or empty.
    pub keyid: Option<String>,
}

/// The DSSE pre-authentication encoding: what is actually signed.
///
/// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`, lengths in
/// ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

impl DsseEnvelope {
    /// The pre-authentication encoding of this envelope's payload.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

// --- Reading -------------------------------------------------------------

// Unknown fields are skipped by serde (`IgnoredAny`: parsed, never kept);
// the base64 fields (`Cow`) borrow from the input where they hold no
// escapes, so the payload is not copied before it is decoded.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireBundle<'a> {
    media_type: Option<String>,
    #[serde(borrow)]
    verification_material: Option<WireMaterial<'a>>,
    #[serde(borrow)]
    dsse_envelope: Option<WireEnvelope<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMaterial<'a> {
    public_key: Option<WirePublicKey>,
    #[serde(borrow)]
    x509_certificate_chain: Option<WireChain<'a>>,
    #[serde(borrow)]
    certificate: Option<WireCert<'a>>,
    tlog_entries: Option<Capped<TlogEntry, MAX_TLOG_ENTRIES>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePublicKey {
    hint: Option<String>,
    raw_bytes: Option<String>,
}

#[derive(Deserialize)]
struct WireChain<'a> {
    #[serde(default, borrow)]
    certificates: Capped<WireCert<'a>, MAX_CERTIFICATES>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCert<'a> {
    #[serde(borrow)]
    raw_bytes: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEnvelope<'a> {
    #[serde(borrow)]
    payload: Cow<'a, str>,
    #[serde(borrow)]
    payload_type: Cow<'a, str>,
    #[serde(borrow)]
    signatures: Capped<WireSignature<'a>, MAX_SIGNATURES>,
}

#[derive(Deserialize)]
struct WireSignature<'a> {
    #[serde(borrow)]
    sig: Cow<'a, str>,
    keyid: Option<String>,
}

/// A JSON array of which the first `MAX` elements are kept; the rest are
/// parsed (the JSON must be valid) but only counted, so a forged list of
/// millions of entries costs time in proportion to its length and no
/// memory.
struct Capped<T, const MAX: usize> {
    items: Vec<T>,
    /// Elements in the array, kept or not.
    count: usize,
}

impl<T, const MAX: usize> Default for Capped<T, MAX> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            count: 0,
        }
    }
}

impl<T, const MAX: usize> Capped<T, MAX> {
    /// The kept elements, or [`BundleError::TooManyEntries`] naming `field`.
    fn into_items(self, field: &'static str) -> Result<Vec<T>, BundleError> {
        if self.count > MAX {
            return Err(BundleError::TooManyEntries {
                field,
                count: self.count,
                max: MAX,
            });
        }
        Ok(self.items)
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for Capped<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CappedVisitor<T, const MAX: usize>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for CappedVisitor<T, MAX> {
            type Value = Capped<T, MAX>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Capped::default();
                while out.count < MAX {
                    match seq.next_element()? {
                        Some(item) => out.items.push(item),
                        None => return Ok(out),
                    }
                    out.count += 1;
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    out.count += 1;
                }
                Ok(out)
            }
        }

        deserializer.deserialize_seq(CappedVisitor(PhantomData))
    }
}

/// `text` as quoted in an error: at most [`MAX_QUOTED`] characters.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

fn decode_b64(field: &'static str, text: &str) -> Result<Vec<u8>, BundleError> {
    B64_READ
        .decode(text)
        .or_else(|e| B64_READ_URL.decode(text).map_err(|_| e))
        .map_err(|source| BundleError::Base64 { field, source })
}

impl Bundle {
    /// Parses bundle JSON, after checking its size.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        if bytes.len() > MAX_BUNDLE_SIZE {
            return Err(BundleError::TooLarge {
                size: bytes.len(),
                max: MAX_BUNDLE_SIZE,
            });
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(BundleError::Empty);
        }
        let wire: WireBundle = serde_json::from_slice(bytes).map_err(|source| {
            if source.is_eof() {
                BundleError::Truncated {
                    line: source.line(),
                    column: source.column(),
                }
            } else {
                BundleError::Json { source }
            }
        })?;
        let media_type = wire.media_type.unwrap_or_default();
        if media_type != BUNDLE_MEDIA_TYPE && media_type != BUNDLE_MEDIA_TYPE_ALT {
            return Err(BundleError::MediaType(quoted(&media_type)));
        }
        let vm = wire
            .verification_material
            .ok_or(BundleError::MissingVerificationMaterial)?;
        let tlog_entries = vm
            .tlog_entries
            .map(|entries| entries.into_items("verificationMaterial.tlogEntries"))
            .transpose()?;
        let kinds = usize::from(vm.public_key.is_some())
            + usize::from(vm.x509_certificate_chain.is_some())
            + usize::from(vm.certificate.is_some());
        if kinds > 1 {
            return Err(BundleError::AmbiguousKeyMaterial);
        }
        let material = if let Some(pk) = vm.public_key {
            let hint = pk.hint.filter(|h| !h.is_empty());
            let raw_bytes = match pk.raw_bytes.filter(|r| !r.is_empty()) {
                Some(r) => Some(decode_b64("verificationMaterial.publicKey.rawBytes", &r)?),
                None => None,
            };
            if hint.is_none() && raw_bytes.is_none() {
                return Err(BundleError::EmptyPublicKey);
            }
            VerificationMaterial::PublicKey { hint, raw_bytes }
        } else if let Some(chain) = vm.x509_certificate_chain {
            let certificates = chain
                .certificates
                .into_items("verificationMaterial.x509CertificateChain.certificates")?;
            if certificates.is_empty() {
                return Err(BundleError::EmptyCertificateChain);
            }
            let certs = certificates
                .iter()
                .map(|c| {
                    decode_b64(
                        "verificationMaterial.x509CertificateChain.certificates.rawBytes",
                        &c.raw_bytes,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            VerificationMaterial::CertificateChain(certs)
        } else if let Some(cert) = vm.certificate {
            if tlog_entries.is_none() {
                return Err(BundleError::MissingTlogEntries);
            }
            VerificationMaterial::SigstoreCertificate(decode_b64(
                "verificationMaterial.certificate.rawBytes",
                &cert.raw_bytes,
            )?)
        } else {
            return Err(BundleError::NoKeyMaterial);
        };
        let env = wire.dsse_envelope.ok_or(BundleError::MissingEnvelope)?;
        if env.payload_type != PAYLOAD_TYPE {
            return Err(BundleError::PayloadType(quoted(&env.payload_type)));
        }
        let signatures = env.signatures.into_items("dsseEnvelope.signatures")?;
        let payload = decode_b64("dsseEnvelope.payload", &env.payload)?;
        let signatures = signatures
            .into_iter()
            .map(|s| {
                Ok(DsseSignature {
                    sig: decode_b64("dsseEnvelope.signatures.sig", &s.sig)?,
                    keyid: s.keyid.filter(|k| !k.is_empty()),
                })
            })
            .collect::<Result<Vec<_>, BundleError>>()?;
        Ok(Self {
            material,
            tlog_entries,
            envelope: DsseEnvelope {
                payload,
                payload_type: env.payload_type.into_owned(),
                signatures,
            },
        })
    }

    /// Writes the bundle as compact JSON with a fixed field order, the way
    /// the reference tool lays it out. `keyid` is written as `""`, as the
    /// reference tool writes it; `tlogEntries` as `[]` when absent.
    pub fn to_json(&self) -> Vec<u8> {
        let material = match &self.material {
            VerificationMaterial::PublicKey { hint, raw_bytes } => OutMaterial {
                public_key: Some(OutPublicKey {
                    hint: hint.as_deref(),
                    raw_bytes: raw_bytes.as_ref().map(|r| B64_WRITE.encode(r)),
                }),
                x509_certificate_chain: None,
                certificate: None,
                tlog_entries: self.tlog_entries.as_deref().unwrap_or(&[]),
            },
            VerificationMaterial::CertificateChain(certs) => OutMaterial {
                public_key: None,
                x509_certificate_chain: Some(OutChain {
                    certificates: certs
                        .iter()
                        .map(|c| OutCert {
                            raw_bytes: B64_WRITE.encode(c),
                        })
                        .collect(),
                }),
                certificate: None,
                tlog_entries: self.tlog_entries.as_deref().unwrap_or(&[]),
            },
            VerificationMaterial::SigstoreCertificate(cert) => OutMaterial {
                public_key: None,
                x509_certificate_chain: None,
                certificate: Some(OutCert {
                    raw_bytes: B64_WRITE.encode(cert),
                }),
                tlog_entries: self.tlog_entries.as_deref().unwrap_or(&[]),
            },
        };
        let out = OutBundle {
            media_type: BUNDLE_MEDIA_TYPE,
            verification_material: material,
            dsse_envelope: OutEnvelope {
                payload: B64_WRITE.encode(&self.envelope.payload),
                payload_type: &self.envelope.payload_type,
                signatures: self
                    .envelope
                    .signatures
                    .iter()
                    .map(|s| OutSignature {
                        sig: B64_WRITE.encode(&s.sig),
                        keyid: s.keyid.as_deref().unwrap_or(""),
                    })
                    .collect(),
            },
        };
        // Serialising plain structs of strings and vectors cannot fail.
        serde_json::to_vec(&out).unwrap_or_default()
    }
}

// --- Writing -------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutBundle<'a> {
    media_type: &'a str,
    verification_material: OutMaterial<'a>,
    dsse_envelope: OutEnvelope<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutMaterial<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key: Option<OutPublicKey<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x509_certificate_chain: Option<OutChain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<OutCert>,
    tlog_entries: &'a [TlogEntry],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutPublicKey<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_bytes: Option<String>,
}

#[derive(Serialize)]
struct OutChain {
    certificates: Vec<OutCert>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutCert {
    raw_bytes: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutEnvelope<'a> {
    payload: String,
    payload_type: &'a str,
    signatures: Vec<OutSignature<'a>>,
}

#[derive(Serialize)]
struct OutSignature<'a> {
    sig: String,
    keyid: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"ab"},"tlogEntries":[]},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAEC","keyid":""}]}}"#;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // The example from the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let b = Bundle::from_json(SAMPLE.as_bytes()).expect("parses");
        assert_eq!(b.envelope.payload, b"{}");
        assert_eq!(b.envelope.signatures[0].sig, vec![0, 1, 2]);
        assert_eq!(b.envelope.signatures[0].keyid, None);
        assert_eq!(String::from_utf8(b.to_json()).expect("utf-8"), SAMPLE);
    }

    #[test]
    fn tolerated_variants_parse() {
        let cases = [
            // keyid absent, null, "".
            SAMPLE.replace(r#","keyid":"""#, ""),
            SAMPLE.replace(r#""keyid":"""#, r#""keyid":null"#),
            // rawBytes instead of hint.
            SAMPLE.replace(r#""hint":"ab""#, r#""rawBytes":"AAEC""#),
            // tlogEntries absent.
            SAMPLE.replace(r#","tlogEntries":[]"#, ""),
            // Unknown extra top-level field.
            SAMPLE.replace(r#"{"mediaType""#, r#"{"extra":{"x":1},"mediaType""#),
            // Alternative media type spelling, unpadded base64.
            SAMPLE
                .replace(
                    "application/vnd.dev.sigstore.bundle.v0.3+json",
                    "application/vnd.dev.sigstore.bundle+json;version=0.3",
                )
                .replace("e30=", "e30"),
        ];
        for case in cases {
            Bundle::from_json(case.as_bytes()).unwrap_or_else(|e| panic!("{case}: {e}"));
        }
    }

    #[test]
    fn malformed_bundles_get_their_own_errors() {
        type Check = fn(&BundleError) -> bool;
        let cases: Vec<(String, Check)> = vec![
            (String::new(), |e| matches!(e, BundleError::Empty)),
            (SAMPLE[..100].to_owned(), |e| {
                matches!(e, BundleError::Truncated { .. })
            }),
            (SAMPLE.replace("},\"dsse", "],\"dsse"), |e| {
                matches!(e, BundleError::Json { .. })
            }),
            ("[1,2]".to_owned(), |e| {
                matches!(e, BundleError::Json { .. })
            }),
            (SAMPLE.replace("v0.3", "v0.1"), |e| {
                matches!(e, BundleError::MediaType(_))
            }),
            (SAMPLE.replace(r#""hint":"ab""#, ""), |e| {
                matches!(e, BundleError::EmptyPublicKey)
            }),
            (
                SAMPLE.replace(
                    r#""publicKey":{"hint":"ab"}"#,
                    r#""x509CertificateChain":{"certificates":[]}"#,
                ),
                |e| matches!(e, BundleError::EmptyCertificateChain),
            ),
            (
                SAMPLE.replace(
                    r#""publicKey":{"hint":"ab"}"#,
                    r#""publicKey":{"hint":"ab"},"certificate":{"rawBytes":"AA=="}"#,
                ),
                |e| matches!(e, BundleError::AmbiguousKeyMaterial),
            ),
            (SAMPLE.replace(r#""publicKey":{"hint":"ab"},"#, ""), |e| {
                matches!(e, BundleError::NoKeyMaterial)
            }),
            (
                SAMPLE.replace("application/vnd.in-toto+json", "text/plain"),
                |e| matches!(e, BundleError::PayloadType(_)),
            ),
            (SAMPLE.replace("e30=", "e3!="), |e| {
                matches!(
                    e,
                    BundleError::Base64 {
                        field: "dsseEnvelope.payload",
                        ..
                    }
                )
            }),
            (SAMPLE.replace("AAEC", "A"), |e| {
                matches!(e, BundleError::Base64 { .. })
            }),
            (
                SAMPLE.replace(
                    r#""tlogEntries":[]"#,
                    &entries("tlogEntries", r#"{"":0}"#, 65),
                ),
                |e| {
                    matches!(
                        e,
                        BundleError::TooManyEntries {
                            field: "verificationMaterial.tlogEntries",
                            count: 65,
                            max: MAX_TLOG_ENTRIES,
                        }
                    )
                },
            ),
            (
                SAMPLE.replace(
                    r#""publicKey":{"hint":"ab"}"#,
                    &format!(
                        r#""x509CertificateChain":{{{}}}"#,
                        entries("certificates", r#"{"rawBytes":"AA=="}"#, 33)
                    ),
                ),
                |e| matches!(e, BundleError::TooManyEntries { count: 33, .. }),
            ),
            (
                SAMPLE.replace(
                    r#""signatures":[{"sig":"AAEC","keyid":""}]"#,
                    &entries("signatures", r#"{"sig":"AAEC"}"#, 17),
                ),
                |e| {
                    matches!(
                        e,
                        BundleError::TooManyEntries {
                            field: "dsseEnvelope.signatures",
                            count: 17,
                            ..
                        }
                    )
                },
            ),
            // Entries past the cap are still parsed: invalid JSON there is
            // a JSON error, not a count.
            (
                SAMPLE.replace(
                    r#""tlogEntries":[]"#,
                    &format!(
                        "{},x]",
                        entries("tlogEntries", "0", 70).trim_end_matches(']')
                    ),
                ),
                |e| matches!(e, BundleError::Json { .. }),
            ),
        ];
        for (text, check) in cases {
            match Bundle::from_json(text.as_bytes()) {
                Err(e) => assert!(check(&e), "{text}: unexpected {e:?}"),
                Ok(b) => panic!("{text}: accepted as {b:?}"),
            }
        }
    }

    /// `"NAME":[ITEM,ITEM,...]` with `n` items.
    fn entries(name: &str, item: &str, n: usize) -> String {
        format!(r#""{name}":[{}]"#, vec![item; n].join(","))
    }

    #[test]
    fn tlog_entries_round_trip_as_their_text() {
        let text = SAMPLE.replace(
            r#""tlogEntries":[]"#,
            r#""tlogEntries":[{"logIndex":"7","kindVersion":{"kind":"dsse"}},[1,2]]"#,
        );
        let b = Bundle::from_json(text.as_bytes()).expect("parses");
        let entries = b.tlog_entries.as_deref().expect("present");
        assert_eq!(
            entries.iter().map(TlogEntry::json).collect::<Vec<_>>(),
            [r#"{"logIndex":"7","kindVersion":{"kind":"dsse"}}"#, "[1,2]"]
        );
        assert_eq!(String::from_utf8(b.to_json()).expect("utf-8"), text);
    }

    #[test]
    fn a_forged_list_of_a_million_entries_is_counted_not_kept() {
        // What cost gigabytes when `tlogEntries` were `serde_json::Value`s.
        let text = SAMPLE.replace(
            r#""tlogEntries":[]"#,
            &entries("tlogEntries", r#"{"":0}"#, 1_000_000),
        );
        match Bundle::from_json(text.as_bytes()) {
            Err(BundleError::TooManyEntries { count, .. }) => assert_eq!(count, 1_000_000),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn long_media_and_payload_types_are_quoted_short() {
        let long = "x".repeat(1 << 20);
        let cases = [
            SAMPLE.replace("application/vnd.dev.sigstore.bundle.v0.3+json", &long),
            SAMPLE.replace("application/vnd.in-toto+json", &long),
        ];
        for text in cases {
            let message = Bundle::from_json(text.as_bytes())
                .expect_err("refused")
                .to_string();
            assert!(message.len() < 400, "{} bytes", message.len());
        }
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let big = vec![b' '; MAX_BUNDLE_SIZE + 1];
        assert!(matches!(
            Bundle::from_json(&big),
            Err(BundleError::TooLarge { .. })
        ));
    }
}
