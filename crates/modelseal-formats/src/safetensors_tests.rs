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
        (
            file(
                &format!(
                    "{{\"a\":{{{}}}}}",
                    t("U8", &format!("[{}]", ["1"; 65].join(",")), 0, 1)
                ),
                1,
            ),
            "too_many_dims",
        ),
        (
            file(
                &format!(
                    r#"{{"__metadata__":{{"a":"{}"}}}}"#,
                    "x".repeat(MAX_HEADER_STRING + 1)
                ),
                0,
            ),
            "header_string_too_long",
        ),
        // The limits come before the rules: a header is refused as soon as
        // it needs more memory than allowed, whatever follows.
        (
            file(&many_empty_tensors(200_000, ""), 0),
            "header_too_complex",
        ),
        // Invalid JSON anywhere comes before a rule broken earlier, as when
        // the header was parsed whole before it was checked; and UTF-8 before
        // both.
        (file(r#"{"a":1,"b":}"#, 0), "header_not_json"),
        (
            file("{\"a\":1,\"b\":\"\u{e9}\"}", 0)
                .into_iter()
                .map(|b| if b == 0xc3 { 0xff } else { b })
                .collect(),
            "header_not_utf8",
        ),
    ];
    for (bytes, code) in cases {
        let err = SafetensorsHeader::from_bytes("m.safetensors", &bytes).expect_err(code);
        assert_eq!(err.code(), code, "{err}");
        assert!(err.to_string().starts_with("`m.safetensors`"), "{err}");
    }
}

/// A header of `n` empty tensors (valid: all at data offset 0), then `tail`.
fn many_empty_tensors(n: usize, tail: &str) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| format!(r#""t{i}":{{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}"#))
        .collect();
    format!("{{{}{tail}}}", entries.join(","))
}

#[test]
fn headers_within_the_memory_cap_are_accepted() {
    // 100,000 tensors: more than any model file holds, within the cap.
    let header = many_empty_tensors(100_000, r#","__metadata__":{"format":"pt"}"#);
    let h = SafetensorsHeader::from_bytes("m.safetensors", &file(&header, 0)).expect("valid");
    assert_eq!(h.tensors.len(), 100_000);
    // Document order kept among tensors at the same offsets.
    assert_eq!(h.tensors[0].name, "t0");
    assert_eq!(h.tensors[99_999].name, "t99999");
    assert_eq!(
        h.metadata
            .expect("metadata")
            .get("format")
            .map(String::as_str),
        Some("pt")
    );
}

#[test]
fn a_header_read_from_a_file_is_streamed_and_checked_alike() {
    // Through `read` (a file, streamed) and `from_bytes` (a slice): the
    // same verdicts, and a file that is shorter than its header says.
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(Vec<u8>, Option<&str>); 4] = [
        (
            file(
                r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#,
                2,
            ),
            None,
        ),
        (
            file(&many_empty_tensors(200_000, ""), 0),
            Some("header_too_complex"),
        ),
        (file(r#"{"a":1,"b":}"#, 0), Some("header_not_json")),
        (file("[]", 0), Some("header_not_object_start")),
    ];
    for (i, (bytes, code)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("{i}.safetensors"));
        std::fs::write(&path, bytes).expect("write");
        let read = SafetensorsHeader::read(&path);
        let slice = SafetensorsHeader::from_bytes("x", bytes);
        match (code, read, slice) {
            (None, Ok(a), Ok(b)) => assert_eq!(a.tensors, b.tensors),
            (Some(code), Err(FormatError::Safetensors(a)), Err(b)) => {
                assert_eq!((a.code(), b.code()), (*code, *code));
            }
            (_, a, b) => panic!("case {i}: {a:?} / {b:?}"),
        }
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
