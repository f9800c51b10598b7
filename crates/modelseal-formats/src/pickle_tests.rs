//! Table tests of the pickle walker on hand-written opcode streams.

// The case tables read best inline.
#![allow(clippy::type_complexity)]

use super::*;

fn globals(data: &[u8]) -> Vec<(String, String, GlobalRisk)> {
    scan_pickle(data, &PickleLimits::default())
        .globals
        .into_iter()
        .map(|g| (g.module, g.name, g.risk))
        .collect()
}

#[test]
fn resolves_globals() {
    let d = GlobalRisk::Dangerous;
    let cases: &[(&[u8], &[(&str, &str, GlobalRisk)])] = &[
        (b"cos\nsystem\n(S'id'\ntR.", &[("os", "system", d)]),
        (
            b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93.",
            &[("os", "system", d)],
        ),
        // Module and name fetched back from the memo.
        (
            b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93.",
            &[("os", "system", d)],
        ),
        (
            b"\x80\x02X\x08\x00\x00\x00builtinsq\x00X\x04\x00\x00\x00evalq\x01\x93.",
            &[("builtins", "eval", d)],
        ),
        (b"\x80\x04N\x8c\x04eval\x93.", &[(DYNAMIC, DYNAMIC, d)]),
        (
            b"ccollections\nOrderedDict\n)R.",
            &[("collections", "OrderedDict", GlobalRisk::KnownSafe)],
        ),
        (b"(isubprocess\nPopen\n.", &[("subprocess", "Popen", d)]),
        (
            b"cmymod\nthing\n.",
            &[("mymod", "thing", GlobalRisk::Unknown)],
        ),
        (b"}.", &[]),
    ];
    for (data, want) in cases {
        let got = globals(data);
        let want: Vec<_> = want
            .iter()
            .map(|(m, n, r)| (m.to_string(), n.to_string(), *r))
            .collect();
        assert_eq!(got, want, "{data:?}");
    }
}

#[test]
fn classifies() {
    use GlobalRisk::*;
    let cases = [
        ("os", "system", Dangerous),
        ("posix", "system", Dangerous),
        ("os.path", "join", Dangerous),
        ("builtins", "getattr", Dangerous),
        ("__builtin__", "eval", Dangerous),
        ("subprocess", "check_output", Dangerous),
        ("torch._utils", "_rebuild_tensor_v2", KnownSafe),
        ("torch", "FloatStorage", KnownSafe),
        ("torch", "nn.FloatStorage", Unknown),
        ("collections", "OrderedDict.__init__.__globals__", Dangerous),
        ("numpy", "ndarray", KnownSafe),
        ("osx", "thing", Unknown),
        ("builtins", "print", Unknown),
    ];
    for (m, n, want) in cases {
        assert_eq!(classify_global(m, n), want, "{m}.{n}");
    }
}

#[test]
fn risk_and_limits() {
    let l = PickleLimits::default();
    let cases: &[(&[u8], PickleRisk, u32, bool)] = &[
        (b"}.", PickleRisk::KnownSafe, 1, false),
        (b"cmymod\nx\n.", PickleRisk::Suspicious, 1, false),
        (b"\x80\x02\x82\x01.", PickleRisk::Dangerous, 1, false),
        // Truncated: no STOP.
        (b"\x80\x02}", PickleRisk::Dangerous, 0, true),
        // A length prefix far past the end.
        (
            b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f",
            PickleRisk::Dangerous,
            0,
            true,
        ),
        (b"\x80\x02X\xff\xff\xff\xff", PickleRisk::Dangerous, 0, true),
        (b"\xff", PickleRisk::Dangerous, 0, true),
        // Legacy PyTorch: several pickles, then raw data.
        (
            b"\x80\x02K\x01.\x80\x02}.\x10\x00\x00",
            PickleRisk::KnownSafe,
            2,
            false,
        ),
        // A later "pickle" that never stops is data: findings dropped.
        (
            b"\x80\x02}.\x80\x02cos\nsystem\n",
            PickleRisk::KnownSafe,
            1,
            false,
        ),
    ];
    for (data, risk, pickles, error) in cases {
        let s = scan_pickle(data, &l);
        assert_eq!(
            (s.risk, s.pickles, s.error.is_some()),
            (*risk, *pickles, *error),
            "{data:?}: {s:?}"
        );
    }
    let long_line = [b"c".as_slice(), &[b'a'; 100], b"\n"].concat();
    let tight = PickleLimits { max_line: 10, ..l };
    assert!(scan_pickle(&long_line, &tight).error.is_some());
    let many = [vec![b'N'; 50], vec![b'.']].concat();
    let few = PickleLimits {
        max_opcodes: 10,
        ..l
    };
    assert!(
        scan_pickle(&many, &few)
            .error
            .expect("limit")
            .contains("opcode limit")
    );
}

// Regression: `h\x00h\x01\x93` repeated made one output entry per 5 input
// bytes, each copying two memo strings; distinct globals are now listed once
// and capped at MAX_GLOBALS.
#[test]
fn repeated_globals_are_listed_once() {
    let mut data = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94".to_vec();
    for _ in 0..1000 {
        data.extend_from_slice(b"h\x00h\x01\x930");
    }
    data.push(b'.');
    let s = scan_pickle(&data, &PickleLimits::default());
    assert_eq!(s.globals.len(), 1);
    assert_eq!(s.repeated_globals, 999);
    assert_eq!(s.risk, PickleRisk::Dangerous);
}
