//! Integration tests for modelseal-oms: one binary, a module per area.

mod certificates;
mod keyless;
mod reference;
mod roundtrip;

use modelseal_hash::{Digest, HashAlgorithm, Manifest, Method, Resource, Serialization};

macro_rules! data {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $path))
    };
}
pub(crate) use data;

/// A two-file manifest.
pub fn manifest() -> Manifest {
    let a = HashAlgorithm::Sha256.digest(b"config");
    let b = HashAlgorithm::Sha256.digest(b"weights");
    Manifest {
        serialization: Serialization {
            method: Method::Files,
            hash_type: HashAlgorithm::Sha256,
            allow_symlinks: false,
            ignore_paths: vec![
                ".git".into(),
                ".gitattributes".into(),
                ".github".into(),
                ".gitignore".into(),
            ],
        },
        resources: vec![
            Resource {
                name: "config.json".into(),
                algorithm: HashAlgorithm::Sha256,
                digest: a,
                size: 6,
            },
            Resource {
                name: "weights/model.safetensors".into(),
                algorithm: HashAlgorithm::Sha256,
                digest: b,
                size: 7,
            },
        ],
        root_digest: Manifest::root_digest_of([&a, &b]),
    }
}

/// Decodes bundle JSON, edits it as a JSON value, and encodes it again.
pub fn edit_bundle(bundle: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bundle).expect("bundle JSON");
    edit(&mut v);
    serde_json::to_vec(&v).expect("JSON")
}

pub fn digest(hex: &str) -> Digest {
    hex.parse().expect("hex digest")
}
