//! Streaming JSON checks of untrusted files: a [`Guard`] on the bytes a
//! parser reads, so no string it holds is longer than a cap, [`Checked`],
//! a value validated and dropped, and [`check_stream`], which validates a
//! document while keeping none of it. No JSON an attacker controls is ever
//! held as a tree: parsers keep only what they report, within caps.

use std::fmt;
use std::io::{self, BufReader, Read};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The buffer between a [`Guard`] and the parser.
const BUFFER: usize = 64 << 10;
/// The longest string a `.json` file's check holds: 1 MiB. A file with a
/// longer one is reported unchecked (configs and tokenizers hold short
/// strings).
pub(crate) const MAX_JSON_STRING: usize = 1 << 20;

/// Why a [`Guard`] stopped the text it passes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GuardStop {
    /// A string ran past the cap.
    StringTooLong,
    /// The text is not UTF-8 from this offset on.
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: u64,
    },
}

/// A reader of JSON text that stops (with an I/O error, and
/// [`Guard::stop`] saying why) once a string in it runs past `max_string`
/// bytes, and, when asked, once the text stops being UTF-8. serde_json
/// holds each string whole while it parses from a reader: behind a guard,
/// what a streaming parse holds is bounded by the cap, not by the input.
#[derive(Debug)]
pub(crate) struct Guard<R> {
    inner: R,
    max_string: usize,
    /// Validate UTF-8 (an incomplete sequence at the end of a read is
    /// carried into the next).
    utf8: bool,
    carry: Vec<u8>,
    /// Bytes passed on.
    offset: u64,
    first: Option<u8>,
    in_string: bool,
    escaped: bool,
    run: usize,
    stop: Option<GuardStop>,
}

impl<R: Read> Guard<R> {
    /// A guard on `inner` capping strings at `max_string` bytes, and
    /// checking UTF-8 when `utf8` is set.
    pub(crate) fn new(inner: R, max_string: usize, utf8: bool) -> Self {
        Self {
            inner,
            max_string,
            utf8,
            carry: Vec::new(),
            offset: 0,
            first: None,
            in_string: false,
            escaped: false,
            run: 0,
            stop: None,
        }
    }

    /// Why the guard stopped the text, if it did.
    pub(crate) fn stop(&self) -> Option<GuardStop> {
        self.stop
    }

    /// Bytes passed on so far.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The first byte read, whether or not it was passed on.
    pub(crate) fn first_byte(&self) -> Option<u8> {
        self.first
    }

    fn stopped(&mut self, why: GuardStop) -> io::Error {
        self.stop = Some(why);
        io::Error::new(io::ErrorKind::InvalidData, "stopped by the JSON guard")
    }

    fn check_utf8(&mut self, chunk: &[u8], at_end: bool) -> Result<(), io::Error> {
        let start = self.offset - self.carry.len() as u64;
        let mut text = std::mem::take(&mut self.carry);
        text.extend_from_slice(chunk);
        if let Err(e) = std::str::from_utf8(&text) {
            // An incomplete sequence at the end may finish in the next read.
            if e.error_len().is_some() || at_end {
                return Err(self.stopped(GuardStop::NotUtf8 {
                    offset: start + e.valid_up_to() as u64,
                }));
            }
            self.carry = text.split_off(e.valid_up_to());
        }
        Ok(())
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stopped by the JSON guard",
            ));
        }
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        if self.offset == 0 && self.first.is_none() {
            self.first = chunk.first().copied();
        }
        for &b in chunk {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    self.run = 0;
                    continue;
                }
                self.run += 1;
                if self.run > self.max_string {
                    return Err(self.stopped(GuardStop::StringTooLong));
                }
            } else if b == b'"' {
                self.in_string = true;
            }
        }
        if self.utf8 {
            self.check_utf8(&buf[..n], n == 0)?;
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Any JSON value, checked and dropped: strings must be UTF-8, nesting
/// within serde_json's 128 levels. Nothing is kept.
pub(crate) struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// What [`check_stream`] found.
#[derive(Debug)]
pub(crate) enum StreamCheck {
    /// One valid JSON document.
    Valid,
    /// Not valid JSON.
    Invalid(serde_json::Error),
    /// A string longer than the cap: not checked further.
    StringTooLong,
}

/// Checks that `reader` holds exactly one JSON document, reading it as a
/// stream and keeping nothing: what it holds is a 64 KiB buffer and at most
/// one string of `max_string` bytes. `Err` is a read error.
pub(crate) fn check_stream(reader: impl Read, max_string: usize) -> io::Result<StreamCheck> {
    let mut reader = BufReader::with_capacity(BUFFER, Guard::new(reader, max_string, false));
    let mut de = serde_json::Deserializer::from_reader(&mut reader);
    let result = Checked::deserialize(&mut de).and_then(|Checked| de.end());
    drop(de);
    match result {
        Ok(()) => Ok(StreamCheck::Valid),
        Err(_) if reader.get_ref().stop() == Some(GuardStop::StringTooLong) => {
            Ok(StreamCheck::StringTooLong)
        }
        Err(e) if e.is_io() => Err(e.into()),
        Err(e) => Ok(StreamCheck::Invalid(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_stream_validates_without_keeping() {
        let valid = [
            "{}",
            " [1, -2.5e3, true, null, \"x\\\"y\", {\"a\": {\"a\": []}}] ",
            "{\"a\": 1, \"a\": 2}",
            "\"\\u00e9\"",
        ];
        for text in valid {
            let got = check_stream(text.as_bytes(), 16).expect("reads");
            assert!(matches!(got, StreamCheck::Valid), "{text}: {got:?}");
        }
        let invalid: [&[u8]; 6] = [b"", b"{", b"[1,]", b"{} x", b"\"\xff\"", b"[1 2]"];
        for bytes in invalid {
            let got = check_stream(bytes, 16).expect("reads");
            assert!(matches!(got, StreamCheck::Invalid(_)), "{bytes:?}: {got:?}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            check_stream(deep.as_bytes(), 16).expect("reads"),
            StreamCheck::Invalid(_)
        ));
        // Strings over the cap stop the check, escapes counted as written.
        for text in [
            "\"0123456789abcdefg\"",
            "[\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\"]",
        ] {
            let got = check_stream(text.as_bytes(), 16).expect("reads");
            assert!(matches!(got, StreamCheck::StringTooLong), "{text}: {got:?}");
        }
        assert!(matches!(
            check_stream(b"\"0123456789abcdef\"".as_slice(), 16).expect("reads"),
            StreamCheck::Valid
        ));
    }

    #[test]
    fn guard_finds_the_first_byte_that_is_not_utf8() {
        // Split across reads of one byte: sequences carried between reads.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = usize::from(!self.0.is_empty() && !buf.is_empty());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let cases: [(&[u8], Option<u64>); 4] = [
            ("{\"\u{e9}\u{1f600}\": 1}".as_bytes(), None),
            (b"{\"\xc3\xa9\xff\"}", Some(4)),
            (b"{\"\xe2\x82\"}", Some(2)),
            (b"{\"\xe2\x82", Some(2)),
        ];
        for (bytes, want) in cases {
            for whole in [true, false] {
                let mut guard = Guard::new(bytes, usize::MAX, true);
                let mut slow = Guard::new(OneByte(bytes), usize::MAX, true);
                let result = if whole {
                    io::copy(&mut guard, &mut io::sink())
                } else {
                    io::copy(&mut slow, &mut io::sink())
                };
                let stop = if whole { guard.stop() } else { slow.stop() };
                let got = stop.map(|s| match s {
                    GuardStop::NotUtf8 { offset } => offset,
                    GuardStop::StringTooLong => u64::MAX,
                });
                assert_eq!(got, want, "{bytes:?} whole={whole}");
                assert_eq!(result.is_err(), want.is_some());
            }
        }
    }
}
