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

/// Memo keys as `int()` reads them. Regression: `p1_0` stored memo 10 in
/// Python but nothing here, so a later `g10` fetched an older value and the
/// walker reported `builtins.system` while `os.system` ran.
#[test]
fn memo_keys_follow_python_int() {
    let d = GlobalRisk::Dangerous;
    let cases: &[(&[u8], &[(&str, &str, GlobalRisk)])] = &[
        (
            b"Vbuiltins\np10\n0Vos\np1_0\n0Vsystem\np2\n0g10\ng2\n\x93.",
            &[("os", "system", d)],
        ),
        (
            b"Vos\np 7 \n0Vsystem\np+8\n0g007\ng8\n\x93.",
            &[("os", "system", d)],
        ),
        // CPython reads the line up to a NUL.
        (
            b"Vos\np7\x00junk\n0Vsystem\np8\n0g7\ng8\n\x93.",
            &[("os", "system", d)],
        ),
        (
            b"Vos\np-0\n0Vsystem\np1\n0g0\ng1\n\x93.",
            &[("os", "system", d)],
        ),
    ];
    for (data, want) in cases {
        let want: Vec<_> = want
            .iter()
            .map(|(m, n, r)| (m.to_string(), n.to_string(), *r))
            .collect();
        assert_eq!(globals(data), want, "{data:?}");
    }
    // Keys `int()` refuses stop the walk, as they stop the unpickler.
    for data in [
        &b"Vos\np1__0\n."[..],
        b"Vos\np_10\n.",
        b"Vos\np10_\n.",
        b"Vos\np-1\n.",
        b"Vos\np0x1\n.",
        b"Vos\np\n.",
        b"Vos\np1\n0g2\n.",
        b"Vos\np99999999999999999999\n.",
    ] {
        let s = scan_pickle(data, &PickleLimits::default());
        assert!(s.error.is_some(), "{data:?}: {s:?}");
        assert_eq!(s.risk, PickleRisk::Dangerous, "{data:?}");
    }
}

/// Streams the unpickler refuses are not well-formed pickles: stack
/// underflow, a missing mark, an unquoted STRING, protocol 6, a non-number
/// INT; string operands it decodes (escapes) give a dynamic global.
#[test]
fn well_formedness() {
    let bad: &[&[u8]] = &[
        b".",
        b"(.",
        b"a.",
        b"N(a.",
        b"Ns.",
        b"NNs.",
        b"e.",
        b"(o.",
        b"NR.",
        b"2.",
        b"p0\n.",
        b"\x94.",
        b"Sid\n.",
        b"\x80\x06N.",
        b"IQ== 0\n.",
        b"Fnot a float\n.",
        b"c\xff\n\xfe\n.",
    ];
    for data in bad {
        let s = scan_pickle(data, &PickleLimits::default());
        assert!(
            s.error.is_some() && s.pickles == 0,
            "{data:?} walked: {s:?}"
        );
    }
    let good: &[&[u8]] = &[
        b"N.",
        b"(l.",
        b"]Na.",
        // BUILD with a None state does nothing.
        b"NNb.",
        b"NN0.",
        b"(0N.",
        b"}NNs.",
        b"}(NNu.",
        b"NNbN0.",
        b"I01\n.",
        b"I-0x1f\n.",
        b"L12L\n.",
        b"F-1e-05\n.",
        b"Finf\n.",
        b"S'a'\n.",
        b"\x80\x05\x95\x01\x00\x00\x00\x00\x00\x00\x00N.",
    ];
    for data in good {
        let s = scan_pickle(data, &PickleLimits::default());
        assert_eq!((s.error.as_deref(), s.pickles), (None, 1), "{data:?}");
    }
    let dynamic: &[&[u8]] = &[
        b"\x80\x04Vo\\u0073\nVsystem\n\x93.",
        b"S'o\\x73'\nS'system'\n\x93.",
    ];
    for data in dynamic {
        assert_eq!(
            globals(data),
            [(
                DYNAMIC.to_owned(),
                DYNAMIC.to_owned(),
                GlobalRisk::Dangerous
            )],
            "{data:?}"
        );
    }
}

#[test]
fn allow_list() {
    let allow = AllowGlobals::new(["mypkg.Model", "other.*", "builtins.*"]).expect("valid");
    let cases: &[(&[u8], GlobalRisk, PickleRisk)] = &[
        (
            b"cmypkg\nModel\n)R.",
            GlobalRisk::Allowed,
            PickleRisk::KnownSafe,
        ),
        (
            b"cmypkg\nOther\n)R.",
            GlobalRisk::Unknown,
            PickleRisk::Suspicious,
        ),
        (
            b"cother.sub\nThing\n)R.",
            GlobalRisk::Allowed,
            PickleRisk::KnownSafe,
        ),
        (
            b"cotherwise\nThing\n)R.",
            GlobalRisk::Unknown,
            PickleRisk::Suspicious,
        ),
        // The dangerous rating wins over any entry.
        (
            b"cbuiltins\neval\n)R.",
            GlobalRisk::Dangerous,
            PickleRisk::Dangerous,
        ),
        (
            b"\x80\x04\x8c\x05mypkg\x8c\x05Model\x93)R.",
            GlobalRisk::Allowed,
            PickleRisk::KnownSafe,
        ),
    ];
    for (data, global, risk) in cases {
        let s = scan_pickle_allowing(data, &PickleLimits::default(), &allow);
        assert_eq!(
            (s.globals[0].risk, s.risk),
            (*global, *risk),
            "{data:?}: {s:?}"
        );
    }
    let refused = [
        ("os.system", true),
        ("os.*", true),
        ("subprocess.Popen", true),
        ("builtins.eval", true),
        ("runpy._run_code", true),
        ("mypkg.Model.__reduce__", true),
        ("", false),
        ("mypkg", false),
        (".Model", false),
        ("mypkg..Model", false),
        ("my pkg.Model", false),
        ("1pkg.Model", false),
        ("*.Model", false),
    ];
    for (entry, dangerous) in refused {
        match AllowGlobals::new([entry]) {
            Err(AllowGlobalError::Dangerous { .. }) if dangerous => {}
            Err(AllowGlobalError::Malformed { .. }) if !dangerous => {}
            other => panic!("{entry:?}: {other:?}"),
        }
    }
}

/// Hands out at most `n` bytes per read, then fails if `fail_at` is reached.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
    fail_at: Option<usize>,
    pos: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fail_at.is_some_and(|f| self.pos >= f) {
            return Err(io::Error::other("disk on fire"));
        }
        let k = buf.len().min(self.n).min(self.data.len() - self.pos);
        buf[..k].copy_from_slice(&self.data[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

fn trickle(data: &[u8], n: usize) -> Trickle<'_> {
    Trickle {
        data,
        n,
        fail_at: None,
        pos: 0,
    }
}

/// A pickle of `BINBYTES` of `len` bytes (tensor data), then `os.system`.
fn bytes_then_global(len: u32) -> Vec<u8> {
    let mut data = b"\x80\x04B".to_vec();
    data.extend_from_slice(&len.to_le_bytes());
    data.extend(std::iter::repeat_n(0x2e, len as usize));
    data.extend_from_slice(b"0\x8c\x02os\x94\x8c\x06system\x94\x93.");
    data
}

// The walker streams its input through a window: reads of any size agree
// with the whole input, an argument longer than the window (tensor bytes)
// is skipped rather than held, and legacy files' trailing data is counted.
#[test]
fn streamed_input_matches_whole_input() {
    let l = PickleLimits::default();
    let big = bytes_then_global(3 << 20);
    let mut legacy = b"\x80\x02K\x01.\x80\x02}.".to_vec();
    legacy.extend(std::iter::repeat_n(0xab, 100_000));
    let long_line = [b"c".as_slice(), &[b'a'; 70_000], b"\nb\n."].concat();
    let cases: Vec<Vec<u8>> = vec![
        b"cos\nsystem\n(S'id'\ntR.".to_vec(),
        b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93.".to_vec(),
        big.clone(),
        legacy.clone(),
        long_line,
        b"\x80\x04B\xff\xff\xff\x00".to_vec(),
        Vec::new(),
    ];
    for data in &cases {
        let whole = scan_pickle(data, &l);
        for n in [1, 7, 4096, 1 << 20] {
            let streamed =
                scan_pickle_reader(trickle(data, n), &l, &AllowGlobals::default()).expect("read");
            assert_eq!(streamed, whole, "{n}-byte reads of {} bytes", data.len());
        }
    }
    let s = scan_pickle(&big, &l);
    assert_eq!((s.risk, s.globals.len()), (PickleRisk::Dangerous, 1));
    assert_eq!(scan_pickle(&legacy, &l).trailing_bytes, 100_000);
    let truncated = scan_pickle(b"\x80\x04B\xff\xff\xff\x00", &l);
    assert!(
        truncated
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("BINBYTES"),
        "{truncated:?}"
    );
}

// A read error mid-walk is an error of the scan, not a finding.
#[test]
fn stream_read_errors_surface() {
    let data = bytes_then_global(100_000);
    let failing = Trickle {
        data: &data,
        n: 4096,
        fail_at: Some(50_000),
        pos: 0,
    };
    let err = scan_pickle_reader(failing, &PickleLimits::default(), &AllowGlobals::default())
        .expect_err("read error");
    assert_eq!(err.to_string(), "disk on fire");
}

// Memo and stack growth is bounded by bytes, not only by entries: a pickle
// that memoizes a value millions of times stops at the memory limit.
#[test]
fn walker_memory_is_bounded() {
    let mut data = b"\x80\x04".to_vec();
    for _ in 0..600_000 {
        data.extend_from_slice(b"N\x940");
    }
    data.extend_from_slice(b"N.");
    let tight = PickleLimits {
        max_memory: 1 << 20,
        ..PickleLimits::default()
    };
    let s = scan_pickle(&data, &tight);
    assert!(
        s.error
            .as_deref()
            .unwrap_or_default()
            .contains("memory limit"),
        "{s:?}"
    );
    assert_eq!(s.risk, PickleRisk::Dangerous);
    // Under the default limit the same pickle walks to its end.
    assert_eq!(scan_pickle(&data, &PickleLimits::default()).error, None);
    // Strings count their bytes while they are held: 40,000 distinct
    // memoized 200-byte names (9.6 MB with their boxes, in a memo of 1.3 MB)
    // stop at a 4 MiB limit; the same names pushed and popped do not.
    let tight = PickleLimits {
        max_memory: 4 << 20,
        ..PickleLimits::default()
    };
    let mut kept = b"\x80\x04".to_vec();
    let mut dropped = kept.clone();
    for i in 0..40_000u32 {
        let name = format!("name{i:06}{}", "x".repeat(190));
        for (out, tail) in [(&mut kept, &b"\x940"[..]), (&mut dropped, &b"0"[..])] {
            out.push(0x8c);
            out.push(u8::try_from(name.len()).expect("short name"));
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(tail);
        }
    }
    for out in [&mut kept, &mut dropped] {
        out.extend_from_slice(b"N.");
    }
    let s = scan_pickle(&kept, &tight);
    assert!(
        s.error
            .as_deref()
            .unwrap_or_default()
            .contains("memory limit"),
        "{s:?}"
    );
    assert_eq!(scan_pickle(&dropped, &tight).error, None);
}
