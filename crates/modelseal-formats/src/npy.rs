//! NumPy `.npy` headers, parsed by a small strict parser of the Python
//! literal they hold (nothing is evaluated).

use serde::Serialize;

/// The `.npy` magic string.
pub const NPY_MAGIC: &[u8] = b"\x93NUMPY";
/// The largest header accepted (NumPy itself refuses more than 10,000 bytes
/// by default; version 2 allows 4 GiB).
pub const MAX_NPY_HEADER: usize = 1 << 20;
/// How deep the header literal may nest.
const MAX_DEPTH: u32 = 16;

/// A rule a `.npy` header breaks. Every message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NpyError {
    /// The file is too short or lacks the magic string.
    #[error("`{file}`: not a .npy file (no \\x93NUMPY magic and version)")]
    BadMagic {
        /// The file.
        file: String,
    },
    /// The major version is not 1, 2 or 3.
    #[error("`{file}`: unsupported .npy version {major}.{minor}")]
    UnsupportedVersion {
        /// The file.
        file: String,
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// The header length runs past the end of the data or over the limit.
    #[error("`{file}`: header length {len} exceeds the {available} bytes available")]
    HeaderTooLong {
        /// The file.
        file: String,
        /// Declared length.
        len: u64,
        /// Bytes available (or the limit).
        available: u64,
    },
    /// The header is not the dict literal NumPy writes.
    #[error("`{file}`: header is not a valid dict literal: {reason}")]
    BadHeader {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

impl NpyError {
    /// A stable snake_case name of the rule.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadMagic { .. } => "bad_magic",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::HeaderTooLong { .. } => "header_too_long",
            Self::BadHeader { .. } => "bad_header",
        }
    }
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NpyHeader {
    /// Format version, `major.minor`.
    pub version: String,
    /// The `descr` entry, as written (a typestring, or a structured list).
    pub dtype: String,
    /// Whether the data is in Fortran order.
    pub fortran_order: bool,
    /// The shape.
    pub shape: Vec<u64>,
    /// Whether the dtype holds Python objects, which NumPy stores as a
    /// pickle: loading it with `allow_pickle=True` runs code.
    pub object_dtype: bool,
    /// Where the array data starts.
    pub data_offset: u64,
}

/// A Python literal from the header.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lit {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    List(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

impl Lit {
    fn render(&self) -> String {
        match self {
            Lit::Str(s) => format!("'{s}'"),
            Lit::Int(i) => i.to_string(),
            Lit::Bool(b) => if *b { "True" } else { "False" }.into(),
            Lit::None => "None".into(),
            Lit::Tuple(v) => format!(
                "({})",
                v.iter().map(Lit::render).collect::<Vec<_>>().join(", ")
            ),
            Lit::List(v) => format!(
                "[{}]",
                v.iter().map(Lit::render).collect::<Vec<_>>().join(", ")
            ),
            Lit::Dict(v) => format!(
                "{{{}}}",
                v.iter()
                    .map(|(k, v)| format!("{}: {}", k.render(), v.render()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: u32) -> Result<Lit, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        match self.peek().ok_or("unexpected end")? {
            q @ (b'\'' | b'"') => {
                self.pos += 1;
                let start = self.pos;
                let len = self.s[start..]
                    .iter()
                    .position(|&c| c == q || c == b'\\')
                    .ok_or("unterminated string")?;
                if self.s[start + len] == b'\\' {
                    return Err("escapes in strings are not supported".into());
                }
                self.pos = start + len + 1;
                let text = std::str::from_utf8(&self.s[start..start + len])
                    .map_err(|_| "string is not UTF-8")?;
                Ok(Lit::Str(text.into()))
            }
            b'0'..=b'9' => {
                let start = self.pos;
                while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                // Python 2 wrote longs as `3L`.
                if self.s.get(self.pos) == Some(&b'L') {
                    self.pos += 1;
                }
                std::str::from_utf8(&self.s[start..self.pos])
                    .ok()
                    .and_then(|t| t.trim_end_matches('L').parse().ok())
                    .map(Lit::Int)
                    .ok_or_else(|| "integer out of range".into())
            }
            b'(' | b'[' => {
                let (open, close) = if self.eat(b'(') {
                    (b'(', b')')
                } else {
                    (b'[', b']')
                };
                if open == b'[' {
                    self.pos += 1;
                }
                let mut items = Vec::new();
                loop {
                    if self.eat(close) {
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    if !self.eat(b',') {
                        if !self.eat(close) {
                            return Err("expected `,` or a closing bracket".into());
                        }
                        break;
                    }
                }
                Ok(if open == b'(' {
                    Lit::Tuple(items)
                } else {
                    Lit::List(items)
                })
            }
            b'{' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(b'}') {
                        break;
                    }
                    let k = self.value(depth + 1)?;
                    if !self.eat(b':') {
                        return Err("expected `:`".into());
                    }
                    let v = self.value(depth + 1)?;
                    items.push((k, v));
                    if !self.eat(b',') {
                        if !self.eat(b'}') {
                            return Err("expected `,` or `}`".into());
                        }
                        break;
                    }
                }
                Ok(Lit::Dict(items))
            }
            _ => {
                for (word, lit) in [
                    (&b"True"[..], Lit::Bool(true)),
                    (b"False", Lit::Bool(false)),
                    (b"None", Lit::None),
                ] {
                    if self.s[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(lit);
                    }
                }
                Err(format!(
                    "unexpected character at header offset {}",
                    self.pos
                ))
            }
        }
    }
}

/// Whether a `descr` holds an object (`O`) dtype anywhere: a typestring
/// like `|O`, or a field of a structured dtype list.
fn has_object(descr: &Lit) -> bool {
    match descr {
        Lit::Str(s) => s.trim_start_matches(['<', '>', '|', '=']).starts_with('O'),
        Lit::List(fields) => fields.iter().any(|f| match f {
            Lit::Tuple(parts) => parts.get(1).is_some_and(has_object),
            _ => true,
        }),
        _ => true,
    }
}

impl NpyHeader {
    /// Parses the header at the start of `bytes` (the whole file, or at
    /// least its header); `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, NpyError> {
        let bad = |reason: String| NpyError::BadHeader {
            file: file.into(),
            reason,
        };
        if bytes.len() < 10 || !bytes.starts_with(NPY_MAGIC) {
            return Err(NpyError::BadMagic { file: file.into() });
        }
        let (major, minor) = (bytes[6], bytes[7]);
        let (len, start) = match major {
            1 => (u64::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10usize),
            2 | 3 => {
                let raw = bytes
                    .get(8..12)
                    .ok_or(NpyError::BadMagic { file: file.into() })?;
                let mut le = [0u8; 4];
                le.copy_from_slice(raw);
                (u64::from(u32::from_le_bytes(le)), 12)
            }
            _ => {
                return Err(NpyError::UnsupportedVersion {
                    file: file.into(),
                    major,
                    minor,
                });
            }
        };
        let available = (bytes.len() - start).min(MAX_NPY_HEADER) as u64;
        if len > available {
            return Err(NpyError::HeaderTooLong {
                file: file.into(),
                len,
                available,
            });
        }
        // `len <= available <= bytes.len() - start`.
        let end = start + usize::try_from(len).unwrap_or(0);
        let text = &bytes[start..end];
        let mut p = Parser { s: text, pos: 0 };
        let lit = p.value(0).map_err(bad)?;
        p.ws();
        if p.pos != text.len() {
            return Err(bad("trailing characters after the dict".into()));
        }
        let Lit::Dict(entries) = lit else {
            return Err(bad("header is not a dict".into()));
        };
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        for (k, v) in entries {
            let slot = match &k {
                Lit::Str(s) if s == "descr" => &mut descr,
                Lit::Str(s) if s == "fortran_order" => &mut fortran,
                Lit::Str(s) if s == "shape" => &mut shape,
                other => return Err(bad(format!("unexpected key {}", other.render()))),
            };
            if slot.replace(v).is_some() {
                return Err(bad(format!("key {} appears twice", k.render())));
            }
        }
        let descr = descr.ok_or_else(|| bad("no `descr`".into()))?;
        let fortran_order = match fortran {
            Some(Lit::Bool(b)) => b,
            _ => return Err(bad("`fortran_order` is missing or not a bool".into())),
        };
        let shape = match shape {
            Some(Lit::Tuple(dims)) => dims
                .into_iter()
                .map(|d| match d {
                    Lit::Int(i) => Ok(i),
                    _ => Err(bad("`shape` holds a non-integer".into())),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(bad("`shape` is missing or not a tuple".into())),
        };
        Ok(Self {
            version: format!("{major}.{minor}"),
            object_dtype: has_object(&descr),
            dtype: match &descr {
                Lit::Str(s) => s.clone(),
                other => other.render(),
            },
            fortran_order,
            shape,
            data_offset: end as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str) -> Vec<u8> {
        let mut out = NPY_MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&u16::try_from(header.len()).expect("short").to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out
    }

    #[test]
    fn good_headers() {
        let cases: &[(&str, &str, &[u64], bool)] = &[
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                "<f4",
                &[2, 3],
                false,
            ),
            (
                "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }",
                "|O",
                &[3],
                true,
            ),
            (
                "{'descr': '<i8', 'fortran_order': True, 'shape': (), }\n",
                "<i8",
                &[],
                false,
            ),
            (
                "{'descr': [('a', '<f4'), ('b', '|O')], 'fortran_order': False, 'shape': (1,)}",
                "[('a', '<f4'), ('b', '|O')]",
                &[1],
                true,
            ),
            (
                "{'descr': [('Obj', '<f4')], 'fortran_order': False, 'shape': (1,)}",
                "[('Obj', '<f4')]",
                &[1],
                false,
            ),
        ];
        for (header, dtype, shape, object) in cases {
            let h = NpyHeader::parse("x.npy", &npy(header)).expect(header);
            assert_eq!(&h.dtype, dtype, "{header}");
            assert_eq!(&h.shape, shape, "{header}");
            assert_eq!(h.object_dtype, *object, "{header}");
        }
    }

    #[test]
    fn bad_headers() {
        let cases = [
            "{'descr': '<f4', 'fortran_order': False}",
            "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}",
            "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}",
            "__import__('os').system('id')",
            "{'descr': '<f4', 'fortran_order': False, 'shape': ()} x",
            "{'descr': '<f4\\'', 'fortran_order': False, 'shape': ()}",
            &"[".repeat(100),
        ];
        for header in cases {
            assert!(
                matches!(
                    NpyHeader::parse("x.npy", &npy(header)),
                    Err(NpyError::BadHeader { .. })
                ),
                "{header}"
            );
        }
        let mut long = npy("{}");
        long[8] = 0xff;
        assert!(matches!(
            NpyHeader::parse("x.npy", &long),
            Err(NpyError::HeaderTooLong { .. })
        ));
        assert!(matches!(
            NpyHeader::parse("x.npy", b"\x93NUMP"),
            Err(NpyError::BadMagic { .. })
        ));
    }
}
