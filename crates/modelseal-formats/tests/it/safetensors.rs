//! Safetensors validation, tensor inventory and verify-on-load.

use modelseal_formats::{
    FormatError, SafeTensorsBuffer, SafetensorsHeader, VerifyOptions, tensor_digests,
};
use modelseal_hash::{Digest, HashAlgorithm};

use crate::data;

fn f32_bytes(values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    values.into_iter().flat_map(f32::to_le_bytes).collect()
}

#[test]
fn good_file_lists_every_tensor() {
    let h = SafetensorsHeader::read(&data("good.safetensors")).expect("valid");
    let got: Vec<_> = h
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.dtype.as_str(), t.shape.clone()))
        .collect();
    // The safetensors library sorts tensors by dtype alignment, then name.
    let mut want = vec![
        ("bias", "I64", vec![2]),
        ("embed.weight", "F32", vec![3, 4]),
        ("mask", "BOOL", vec![3]),
    ];
    want.sort_by_key(|w| h.tensors.iter().position(|t| t.name == w.0));
    assert_eq!(got, want);
    let meta = h.metadata.expect("metadata");
    assert_eq!(meta.get("note").map(String::as_str), Some("fixture"));
    for t in &h.tensors {
        assert_eq!(t.file_offsets[0], h.data_start + t.data_offsets[0]);
    }
}

#[test]
fn hostile_files_fail_their_own_rule() {
    let codes = [
        "header_too_large",
        "header_beyond_file",
        "header_not_object_start",
        "header_not_utf8",
        "header_not_json",
        "duplicate_key",
        "unknown_dtype",
        "size_mismatch",
        "shape_overflow",
        "gap",
        "overlap",
        "not_at_start",
        "trailing_data",
        "beyond_file",
        "metadata_not_string",
    ];
    for code in codes {
        let path = data(&format!("st_{code}.safetensors"));
        match SafetensorsHeader::read(&path) {
            Err(FormatError::Safetensors(e)) => {
                assert_eq!(e.code(), code, "{e}");
                assert!(
                    e.to_string().contains(&format!("st_{code}.safetensors")),
                    "{e}"
                );
            }
            other => panic!("{code}: {other:?}"),
        }
    }
}

#[test]
fn tensor_digests_hash_each_range() {
    let digests = tensor_digests(&data("good.safetensors"), HashAlgorithm::Sha256).expect("ok");
    let embed = digests
        .iter()
        .find(|d| d.name == "embed.weight")
        .expect("embed");
    let want = HashAlgorithm::Sha256.digest(&f32_bytes((0..12).map(|i| i as f32)));
    assert_eq!(embed.digest, want);
    let mask = digests.iter().find(|d| d.name == "mask").expect("mask");
    assert_eq!(mask.digest, HashAlgorithm::Sha256.digest(&[1, 0, 1]));
    assert_eq!(digests.len(), 3);
    assert!(tensor_digests(&data("st_gap.safetensors"), HashAlgorithm::Sha256).is_err());
}

#[test]
fn read_verified_returns_the_hashed_bytes() {
    let path = data("good.safetensors");
    let bytes = std::fs::read(&path).expect("read");
    for alg in HashAlgorithm::ALL {
        let options = VerifyOptions {
            algorithm: alg,
            ..VerifyOptions::default()
        };
        let expected = alg.digest(&bytes);
        let buf = SafeTensorsBuffer::read_verified(&path, &expected, &options).expect("verified");
        assert_eq!(buf.as_bytes(), bytes.as_slice());
        let embed = buf.tensor("embed.weight").expect("embed");
        assert_eq!(embed.data, f32_bytes((0..12).map(|i| i as f32)).as_slice());
        assert_eq!(embed.shape, &[3, 4]);
        assert_eq!(buf.tensors().count(), 3);
    }
}

#[test]
fn read_verified_refuses_mismatch_size_and_invalid() {
    let path = data("good.safetensors");
    let options = VerifyOptions::default();
    let wrong = Digest::from_bytes(&[0u8; 32]).expect("32 bytes");
    assert!(matches!(
        SafeTensorsBuffer::read_verified(&path, &wrong, &options),
        Err(FormatError::DigestMismatch { .. })
    ));
    let bytes = std::fs::read(&path).expect("read");
    let good = HashAlgorithm::Sha256.digest(&bytes);
    let small = VerifyOptions {
        max_size: 100,
        ..options
    };
    assert!(matches!(
        SafeTensorsBuffer::read_verified(&path, &good, &small),
        Err(FormatError::FileTooLarge { .. })
    ));
    // A correct digest of an invalid file still fails validation.
    let gap = data("st_gap.safetensors");
    let gap_digest = HashAlgorithm::Sha256.digest(&std::fs::read(&gap).expect("read"));
    assert!(matches!(
        SafeTensorsBuffer::read_verified(&gap, &gap_digest, &options),
        Err(FormatError::Safetensors(_))
    ));
}
