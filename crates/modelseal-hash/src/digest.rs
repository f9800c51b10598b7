//! Digest values and the hash algorithms that produce them.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;

/// The longest digest any supported algorithm produces (BLAKE2b-512).
const MAX_DIGEST_LEN: usize = 64;

/// A hash algorithm modelseal can hash model files with.
///
/// The names are the OMS v1.0 algorithm registry identifiers, used both for
/// `serialization.hash_type` and for each resource's `algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256 (FIPS 180-4). The default, and what `sha256sum` and Git LFS use.
    #[default]
    Sha256,
    /// BLAKE3 with its default 32-byte output; parallel inside one file.
    Blake3,
    /// BLAKE2b with a 64-byte output (BLAKE2b-512, RFC 7693).
    Blake2b,
}

impl HashAlgorithm {
    /// Every supported algorithm, in the order the CLI lists them.
    pub const ALL: [HashAlgorithm; 3] = [Self::Sha256, Self::Blake3, Self::Blake2b];

    /// The OMS identifier: `sha256`, `blake3` or `blake2b`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Blake3 => "blake3",
            Self::Blake2b => "blake2b",
        }
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 | Self::Blake3 => 32,
            Self::Blake2b => 64,
        }
    }

    /// Hashes a byte slice in one call.
    pub fn digest(self, data: &[u8]) -> Digest {
        let mut hasher = crate::engine::Hasher::new(self);
        hasher.update(data);
        hasher.finalize()
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error returned when parsing an unknown hash algorithm name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hash algorithm `{0}` (expected sha256, blake3 or blake2b)")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for HashAlgorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

/// A digest: the raw output of one of the [`HashAlgorithm`]s.
///
/// Equality is constant-time; `Display` is lowercase hex and `FromStr` parses
/// hex of any supported length (upper or lower case).
#[derive(Clone, Copy)]
pub struct Digest {
    bytes: [u8; MAX_DIGEST_LEN],
    len: u8,
}

impl Digest {
    /// Wraps raw digest bytes. Returns `None` unless the length is one a
    /// supported algorithm produces (32 or 64 bytes).
    pub fn from_bytes(raw: &[u8]) -> Option<Self> {
        let len = match raw.len() {
            32 => 32,
            64 => 64,
            _ => return None,
        };
        let mut bytes = [0u8; MAX_DIGEST_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Some(Self { bytes, len })
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Lowercase hex, as OMS writes digests.
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        // Lengths are public (they follow from the algorithm); contents are
        // compared in constant time.
        self.len == other.len && bool::from(self.as_bytes().ct_eq(other.as_bytes()))
    }
}

impl Eq for Digest {}

impl std::hash::Hash for Digest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

/// The error returned when a digest string is not valid hex of a supported length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid digest `{0}`: expected 64 or 128 hexadecimal characters")]
pub struct InvalidDigest(pub String);

impl FromStr for Digest {
    type Err = InvalidDigest;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let short = || {
            let mut shown: String = s.chars().take(140).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            InvalidDigest(shown)
        };
        if s.len() != 64 && s.len() != 128 {
            return Err(short());
        }
        let raw = hex::decode(s).map_err(|_| short())?;
        Self::from_bytes(&raw).ok_or_else(short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip() {
        for a in HashAlgorithm::ALL {
            assert_eq!(a.name().parse::<HashAlgorithm>(), Ok(a));
        }
        assert!("sha512".parse::<HashAlgorithm>().is_err());
        assert!("SHA256".parse::<HashAlgorithm>().is_err());
    }

    #[test]
    fn digest_hex_round_trip_and_rejects() {
        let hex = "9b831899b1bc0a535a484c7c989d5150cc4e2f32376dcdc5e62e37d7086232d7";
        let d: Digest = hex.parse().expect("valid");
        assert_eq!(d.to_string(), hex);
        assert_eq!(d, hex.to_uppercase().parse().expect("upper case parses"));
        for bad in [
            "",
            "00",
            &hex[..63],
            &format!("{hex}0"),
            &hex.replace('9', "g"),
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn digests_of_different_lengths_differ() {
        let a = Digest::from_bytes(&[0u8; 32]).expect("32");
        let b = Digest::from_bytes(&[0u8; 64]).expect("64");
        assert_ne!(a, b);
        assert!(Digest::from_bytes(&[0u8; 20]).is_none());
    }
}

/// A digest as every JSON document shows one that stands alone (a root or
/// subject digest): `{"algorithm": "sha256", "digest": "<lowercase hex>"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct DigestJson {
    /// `sha256`, `blake3` or `blake2b`.
    pub algorithm: String,
    /// Lowercase hex.
    pub digest: String,
}

impl DigestJson {
    /// A SHA-256 digest given as hex.
    pub fn sha256_hex(hex: &str) -> Self {
        Self {
            algorithm: "sha256".to_owned(),
            digest: hex.to_owned(),
        }
    }

    /// `ALGORITHM:HEX` (or bare hex, taken as SHA-256).
    pub fn from_labelled(text: &str) -> Self {
        match text.split_once(':') {
            Some((algorithm, digest)) => Self {
                algorithm: algorithm.to_owned(),
                digest: digest.to_owned(),
            },
            None => Self::sha256_hex(text),
        }
    }
}

/// Serde helpers that write digests held as strings in the shape of
/// [`DigestJson`], for report fields (`#[serde(serialize_with = …)]`).
pub mod digest_json {
    use super::DigestJson;
    use serde::Serialize;

    /// A SHA-256 digest as a [`DigestJson`]: bare hex, or `sha256:HEX`.
    ///
    /// # Errors
    /// The serializer's.
    pub fn sha256_hex<S: serde::Serializer>(hex: &str, s: S) -> Result<S::Ok, S::Error> {
        // Some callers hold the in-toto form `sha256:HEX`: the same digest.
        DigestJson::from_labelled(hex).serialize(s)
    }

    /// An optional SHA-256 hex string as an optional [`DigestJson`].
    ///
    /// # Errors
    /// The serializer's.
    pub fn sha256_hex_opt<S: serde::Serializer>(
        hex: &Option<String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        hex.as_deref().map(DigestJson::from_labelled).serialize(s)
    }

    /// An optional `ALGORITHM:HEX` string as an optional [`DigestJson`].
    ///
    /// # Errors
    /// The serializer's.
    pub fn labelled_opt<S: serde::Serializer>(
        text: &Option<String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        text.as_deref().map(DigestJson::from_labelled).serialize(s)
    }
}
