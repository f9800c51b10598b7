//! Table tests of every safetensors rule, on files built in memory.

use super::*;

/// Builds a file from a header string and `data_len` zero bytes.
fn file(header: &str, data_len: usize) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data_len, 0);
    out
}

#[test]
fn good_files() {
    let cases: &[(&str, usize, &[&str])] = &[
        ("{}", 0, &[]),
        ("{}   ", 0, &[]),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            8,
            &["a"],
        ),
        (
            r#"{"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}"#,
            6,
            &["a", "b"],
        ),
        (
            r#"{"e":{"dtype":"F16","shape":[0,3],"data_offsets":[0,0]},"x":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}"#,
            1,
            &["e", "x"],
        ),
        (r#"{"__metadata__":{"format":"pt"}}"#, 0, &[]),
    ];
    for (header, data_len, names) in cases {
        let h = SafetensorsHeader::from_bytes("m.safetensors", &file(header, *data_len))
            .unwrap_or_else(|e| panic!("{header}: {e}"));
        let got: Vec<_> = h.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(&got, names, "{header}");
    }
}

#[test]
fn each_rule_has_its_error() {
    let t = |dtype: &str, shape: &str, b: u64, e: u64| {
        format!(r#""dtype":"{dtype}","shape":{shape},"data_offsets":[{b},{e}]"#)
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![1, 0, 0], "too_short"),
        (file("{}", 0)[..8].to_vec(), "header_beyond_file"),
        (
            (MAX_HEADER_LEN + 1).to_le_bytes().to_vec(),
            "header_too_large",
        ),
        (file("[]", 0), "header_not_object_start"),
        (file("", 0), "header_not_object_start"),
        (
            file("{\"\u{e9}\": 1}", 0)
                .into_iter()
                .map(|b| if b == 0xc3 { 0xff } else { b })
                .collect(),
            "header_not_utf8",
        ),
        (file("{", 0), "header_not_json"),
        (file(r#"{"a":1}"#, 0), "tensor_not_object"),
        (
            file(
                &format!(
                    r#"{{"a":{{{}}},"a":{{{}}}}}"#,
                    t("U8", "[1]", 0, 1),
                    t("U8", "[1]", 1, 2)
                ),
                2,
            ),
            "duplicate_key",
        ),
        (
            file(
                r#"{"a":{"dtype":"U8","dtype":"U8","shape":[],"data_offsets":[0,1]}}"#,
                1,
            ),
            "duplicate_field",
        ),
        (
            file(
                r#"{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1],"x":1}}"#,
                1,
            ),
            "unknown_field",
        ),
        (
            file(r#"{"a":{"dtype":"U8","shape":[]}}"#, 1),
            "missing_field",
        ),
        (
            file(r#"{"a":{"dtype":8,"shape":[],"data_offsets":[0,1]}}"#, 1),
            "dtype_not_string",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("F128", "[1]", 0, 16)), 16),
            "unknown_dtype",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("U8", "[-1]", 0, 1)), 1),
            "invalid_shape",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("U8", "[1.5]", 0, 1)), 1),
            "invalid_shape",
        ),
        (
            file(
                &format!(
                    "{{\"a\":{{{}}}}}",
                    t("F64", "[4294967296,4294967296]", 0, 8)
                ),
                8,
            ),
            "shape_overflow",
        ),
        (
            file(
                &format!("{{\"a\":{{{}}}}}", t("F32", "[2305843009213693952]", 0, 8)),
                8,
            ),
            "shape_overflow",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("F4", "[3]", 0, 2)), 2),
            "partial_byte",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("U8", "[1]", 1, 0)), 1),
            "invalid_offsets",
        ),
        (
            file(r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, 1),
            "invalid_offsets",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("F32", "[2]", 0, 4)), 4),
            "size_mismatch",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("U8", "[1]", 1, 2)), 2),
            "not_at_start",
        ),
        (
            file(
                &format!(
                    r#"{{"a":{{{}}},"b":{{{}}}}}"#,
                    t("U8", "[1]", 0, 1),
                    t("U8", "[1]", 2, 3)
                ),
                3,
            ),
            "gap",
        ),
        (
            file(
                &format!(
                    r#"{{"a":{{{}}},"b":{{{}}}}}"#,
                    t("U8", "[2]", 0, 2),
                    t("U8", "[2]", 1, 3)
                ),
                3,
            ),
            "overlap",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("U8", "[4]", 0, 4)), 2),
            "beyond_file",
        ),
        (
            file(&format!("{{\"a\":{{{}}}}}", t("U8", "[1]", 0, 1)), 2),
            "trailing_data",
        ),
        (file("{}", 1), "trailing_data"),
        (file(r#"{"__metadata__":[]}"#, 0), "metadata_not_object"),
        (
            file(r#"{"__metadata__":{"a":1}}"#, 0),
            "metadata_not_string",
        ),
        (
            file(r#"{"__metadata__":{"a":"x","a":"y"}}"#, 0),
            "metadata_duplicate_key",
        ),
    ];
    for (bytes, code) in cases {
        let err = SafetensorsHeader::from_bytes("m.safetensors", &bytes).expect_err(code);
        assert_eq!(err.code(), code, "{err}");
        assert!(err.to_string().starts_with("`m.safetensors`"), "{err}");
    }
}

#[test]
fn dtype_table_comes_from_the_crate() {
    let cases = [
        ("BOOL", Some(8)),
        ("F8_E4M3", Some(8)),
        ("BF16", Some(16)),
        ("F6_E2M3", Some(6)),
        ("C64", Some(64)),
        ("f32", None),
        ("", None),
    ];
    for (name, bits) in cases {
        assert_eq!(dtype_bits(name), bits, "{name}");
    }
}
