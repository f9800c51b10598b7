//! Table tests of the GGUF parser on files built in memory.

// Test tensors have at most a handful of dimensions.
#![allow(clippy::cast_possible_truncation)]

use super::*;

fn s(text: &str) -> Vec<u8> {
    [
        (text.len() as u64).to_le_bytes().as_slice(),
        text.as_bytes(),
    ]
    .concat()
}

/// A v3 file with the given counts, metadata and tensor bytes, padded with
/// `pad` zero bytes.
fn gguf(tensors: u64, kvs: u64, body: &[u8], pad: usize) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&tensors.to_le_bytes());
    out.extend_from_slice(&kvs.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + pad, 0);
    out
}

fn kv_u32(key: &str, v: u32) -> Vec<u8> {
    [
        s(key),
        4u32.to_le_bytes().to_vec(),
        v.to_le_bytes().to_vec(),
    ]
    .concat()
}

fn tensor(name: &str, dims: &[u64], ty: u32, offset: u64) -> Vec<u8> {
    let mut out = s(name);
    out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
    for d in dims {
        out.extend_from_slice(&d.to_le_bytes());
    }
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&offset.to_le_bytes());
    out
}

#[test]
fn good_files() {
    let name = [s("general.name"), 8u32.to_le_bytes().to_vec(), s("tiny")].concat();
    let arr = [
        s("tokens"),
        9u32.to_le_bytes().to_vec(),
        8u32.to_le_bytes().to_vec(),
        2u64.to_le_bytes().to_vec(),
        s("a"),
        s("bc"),
    ]
    .concat();
    let body = [name, arr, tensor("w", &[4], 0, 0)].concat();
    let h = GgufHeader::from_bytes("m.gguf", &gguf(1, 2, &body, 64)).expect("valid");
    assert_eq!(h.version, 3);
    assert_eq!(
        h.metadata[0].value,
        GgufValue::String {
            value: Some("tiny".into()),
            len: 4
        }
    );
    assert_eq!(
        h.metadata[1].value,
        GgufValue::Array {
            element_type: "string",
            len: 2
        }
    );
    assert_eq!(h.tensors[0].size, Some(16));
    assert_eq!(h.data_start % 32, 0);
}

#[test]
fn hostile_files() {
    let huge_str = [u64::MAX.to_le_bytes().as_slice()].concat();
    let huge_arr = [
        s("k"),
        9u32.to_le_bytes().to_vec(),
        0u32.to_le_bytes().to_vec(),
        (1u64 << 62).to_le_bytes().to_vec(),
    ]
    .concat();
    let mut nested = [s("k"), 9u32.to_le_bytes().to_vec()].concat();
    for _ in 0..20 {
        nested.extend_from_slice(&9u32.to_le_bytes());
        nested.extend_from_slice(&1u64.to_le_bytes());
    }
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"GGUX".to_vec(), "bad_magic"),
        (b"GG".to_vec(), "bad_magic"),
        (
            [b"GGUF".as_slice(), &7u32.to_le_bytes()].concat(),
            "unsupported_version",
        ),
        (gguf(0, 1 << 63, &[], 0), "count_too_large"),
        (gguf(u64::MAX, 0, &[], 0), "count_too_large"),
        (gguf(0, 1, &huge_str, 16), "string_too_long"),
        (gguf(0, 1, &huge_arr, 16), "count_too_large"),
        (gguf(0, 1, &nested, 64), "nesting_too_deep"),
        (
            gguf(
                0,
                1,
                &[s("k"), 99u32.to_le_bytes().to_vec(), vec![0; 8]].concat(),
                0,
            ),
            "unknown_value_type",
        ),
        (
            gguf(0, 2, &[kv_u32("k", 1), kv_u32("k", 2)].concat(), 0),
            "duplicate_key",
        ),
        (
            gguf(0, 1, &kv_u32("general.alignment", 0), 0),
            "bad_alignment",
        ),
        (gguf(0, 1, &kv_u32("k", 7)[..15], 0), "truncated"),
        (
            gguf(1, 0, &tensor("w", &[1, 1, 1, 1, 1], 0, 0), 64),
            "too_many_dims",
        ),
        (
            gguf(1, 0, &tensor("w", &[u64::MAX, 2], 0, 0), 64),
            "size_overflow",
        ),
        (gguf(1, 0, &tensor("w", &[4], 0, 3), 64), "misaligned"),
        (gguf(1, 0, &tensor("w", &[33], 2, 0), 64), "partial_block"),
        (
            gguf(1, 0, &tensor("w", &[1024], 0, 0), 64),
            "tensor_beyond_file",
        ),
        (
            gguf(
                2,
                0,
                &[tensor("w", &[1], 0, 0), tensor("w", &[1], 0, 32)].concat(),
                128,
            ),
            "duplicate_tensor",
        ),
        (
            gguf(
                1,
                0,
                &[s("\u{e9}")[..8].to_vec(), vec![0xff], vec![0; 16]].concat(),
                64,
            ),
            "not_utf8",
        ),
        // A million tiny keys (what cost 912 MB): refused from the counts,
        // before one is read.
        (gguf(0, 1_000_000, &[], 13_000_000), "header_too_complex"),
        // Fewer keys with long names: refused once they pass the cap.
        (
            gguf(
                0,
                300,
                &(0..300)
                    .map(|i| kv_u32(&format!("{i:060000}"), 1))
                    .collect::<Vec<_>>()
                    .concat(),
                0,
            ),
            "header_too_complex",
        ),
    ];
    for (bytes, code) in cases {
        match GgufHeader::from_bytes("m.gguf", &bytes) {
            Err(FormatError::Gguf(e)) => {
                assert_eq!(e.code(), code, "{e}");
                assert!(e.to_string().starts_with("`m.gguf`"), "{e}");
            }
            other => panic!("{code}: {other:?}"),
        }
    }
}
