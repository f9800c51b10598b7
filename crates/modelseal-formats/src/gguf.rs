//! GGUF header parsing (versions 1-3, little-endian), per
//! <https://github.com/ggerganov/ggml/blob/master/docs/gguf.md>.
//!
//! Every count and length is checked against the bytes left in the file
//! before anything is allocated or skipped, so a count of 2^63 is an error,
//! and what the parsed header holds is counted against
//! [`MAX_HEADER_MEMORY`]: a file of millions of tiny keys is refused as soon
//! as its counts say so.

use std::collections::HashSet;
use std::io::{self, BufReader, Read};
use std::path::Path;

use serde::Serialize;

use crate::error::{FormatError, io_error};
use crate::{ENTRY_COST, MAX_HEADER_MEMORY};

/// Strings up to this length are reported in full; longer ones by length.
const SHOWN_STRING: u64 = 256;
/// The longest key or tensor name accepted.
const MAX_NAME: u64 = 65_535;
/// The deepest nesting of arrays accepted.
const MAX_DEPTH: u32 = 8;
/// GGML's limit on tensor dimensions.
const MAX_DIMS: u32 = 4;

/// A rule a GGUF file breaks. Every message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GgufError {
    /// The file does not start with `GGUF`.
    #[error("`{file}`: not a GGUF file (no `GGUF` magic)")]
    BadMagic {
        /// The file.
        file: String,
    },
    /// The version is not 1, 2 or 3.
    #[error("`{file}`: unsupported GGUF version {version}")]
    UnsupportedVersion {
        /// The file.
        file: String,
        /// The version read.
        version: u32,
    },
    /// The file ends inside the header.
    #[error("`{file}`: file ends inside {what}")]
    Truncated {
        /// The file.
        file: String,
        /// What was being read.
        what: String,
    },
    /// A count cannot fit in the bytes left.
    #[error("`{file}`: {what} count {count} cannot fit in the {remaining} bytes left")]
    CountTooLarge {
        /// The file.
        file: String,
        /// What is counted.
        what: &'static str,
        /// The count read.
        count: u64,
        /// Bytes left in the file.
        remaining: u64,
    },
    /// A string length runs past the end of the file or over the name limit.
    #[error("`{file}`: string of {len} bytes in {what} exceeds the {limit} bytes allowed")]
    StringTooLong {
        /// The file.
        file: String,
        /// Where the string is.
        what: String,
        /// Its declared length.
        len: u64,
        /// Bytes left in the file, or the name limit.
        limit: u64,
    },
    /// A key or tensor name is not UTF-8.
    #[error("`{file}`: {what} is not valid UTF-8")]
    NotUtf8 {
        /// The file.
        file: String,
        /// What was being read.
        what: String,
    },
    /// A value type is not in the spec.
    #[error("`{file}`: key `{key}` has unknown value type {value_type}")]
    UnknownValueType {
        /// The file.
        file: String,
        /// The key.
        key: String,
        /// The type read.
        value_type: u32,
    },
    /// Arrays nest deeper than allowed.
    #[error("`{file}`: key `{key}` nests arrays deeper than {max}")]
    NestingTooDeep {
        /// The file.
        file: String,
        /// The key.
        key: String,
        /// The limit.
        max: u32,
    },
    /// The parsed header would hold more than [`MAX_HEADER_MEMORY`].
    #[error("`{file}`: header needs more than {max} bytes of memory for its metadata and tensors")]
    HeaderTooComplex {
        /// The file.
        file: String,
        /// The limit.
        max: u64,
    },
    /// A key appears twice.
    #[error("`{file}`: metadata key `{key}` appears more than once")]
    DuplicateKey {
        /// The file.
        file: String,
        /// The key.
        key: String,
    },
    /// A tensor name appears twice.
    #[error("`{file}`: tensor `{tensor}` appears more than once")]
    DuplicateTensor {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
    },
    /// A tensor has more dimensions than GGML allows.
    #[error("`{file}`: tensor `{tensor}` has {n_dims} dimensions, more than {max}")]
    TooManyDims {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its dimension count.
        n_dims: u32,
        /// The limit.
        max: u32,
    },
    /// The tensor's size overflows 64 bits.
    #[error("`{file}`: tensor `{tensor}` dimensions {dims:?} overflow 64 bits")]
    SizeOverflow {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its dimensions.
        dims: Vec<u64>,
    },
    /// `general.alignment` is zero, not a `u32`, or not a multiple of 8.
    #[error("`{file}`: general.alignment is not a non-zero u32 multiple of 8")]
    BadAlignment {
        /// The file.
        file: String,
    },
    /// A tensor offset is not a multiple of the alignment.
    #[error(
        "`{file}`: tensor `{tensor}` offset {offset} is not a multiple of the alignment {alignment}"
    )]
    Misaligned {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its offset.
        offset: u64,
        /// The alignment.
        alignment: u64,
    },
    /// A tensor's first dimension is not a whole number of quantization blocks.
    #[error(
        "`{file}`: tensor `{tensor}` first dimension {ne0} is not a multiple of the {block}-element block"
    )]
    PartialBlock {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The first dimension.
        ne0: u64,
        /// The block size of its type.
        block: u64,
    },
    /// A tensor's data runs past the end of the file.
    #[error(
        "`{file}`: tensor `{tensor}` data ends at byte {end}, past the end of the {file_len}-byte file"
    )]
    TensorBeyondFile {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Absolute end offset.
        end: u64,
        /// The file size.
        file_len: u64,
    },
}

impl GgufError {
    /// A stable snake_case name of the rule, for the JSON report.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadMagic { .. } => "bad_magic",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::Truncated { .. } => "truncated",
            Self::CountTooLarge { .. } => "count_too_large",
            Self::StringTooLong { .. } => "string_too_long",
            Self::NotUtf8 { .. } => "not_utf8",
            Self::UnknownValueType { .. } => "unknown_value_type",
            Self::NestingTooDeep { .. } => "nesting_too_deep",
            Self::HeaderTooComplex { .. } => "header_too_complex",
            Self::DuplicateKey { .. } => "duplicate_key",
            Self::DuplicateTensor { .. } => "duplicate_tensor",
            Self::TooManyDims { .. } => "too_many_dims",
            Self::SizeOverflow { .. } => "size_overflow",
            Self::BadAlignment { .. } => "bad_alignment",
            Self::Misaligned { .. } => "misaligned",
            Self::PartialBlock { .. } => "partial_block",
            Self::TensorBeyondFile { .. } => "tensor_beyond_file",
        }
    }
}

/// A metadata value: scalars and short strings in full, arrays by element
/// type and length.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GgufValue {
    /// `UINT8`, `UINT16`, `UINT32`, `UINT64`.
    Uint {
        /// The GGUF type name.
        gguf_type: &'static str,
        /// The value.
        value: u64,
    },
    /// `INT8`, `INT16`, `INT32`, `INT64`.
    Int {
        /// The GGUF type name.
        gguf_type: &'static str,
        /// The value.
        value: i64,
    },
    /// `FLOAT32`, `FLOAT64`.
    Float {
        /// The GGUF type name.
        gguf_type: &'static str,
        /// The value.
        value: f64,
    },
    /// `BOOL`.
    Bool {
        /// The value.
        value: bool,
    },
    /// `STRING`: the text when short and UTF-8, and the length.
    String {
        /// The text, if at most 256 bytes of UTF-8.
        value: Option<String>,
        /// Its length in bytes.
        len: u64,
    },
    /// `ARRAY`.
    Array {
        /// The element type name.
        element_type: &'static str,
        /// The element count.
        len: u64,
    },
}

/// One metadata key-value pair.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GgufKv {
    /// The key.
    pub key: String,
    /// The value.
    pub value: GgufValue,
}

/// One entry of the tensor table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct GgufTensor {
    /// The tensor's name.
    pub name: String,
    /// Its dimensions, innermost first.
    pub dims: Vec<u64>,
    /// The ggml type number.
    pub ggml_type: u32,
    /// The ggml type name, when known.
    pub type_name: Option<&'static str>,
    /// Offset relative to the start of the tensor data.
    pub offset: u64,
    /// Size in bytes, when the type is known.
    pub size: Option<u64>,
}

/// A parsed GGUF header.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GgufHeader {
    /// The format version (1-3).
    pub version: u32,
    /// Tensors declared.
    pub tensor_count: u64,
    /// Metadata pairs declared.
    pub metadata_kv_count: u64,
    /// Every metadata pair, in file order.
    pub metadata: Vec<GgufKv>,
    /// The tensor table.
    pub tensors: Vec<GgufTensor>,
    /// The data alignment (`general.alignment`, default 32).
    pub alignment: u64,
    /// Absolute offset of the tensor data.
    pub data_start: u64,
}

/// `(name, block size, bytes per block)` by ggml type number.
fn ggml_type(t: u32) -> Option<(&'static str, Option<(u64, u64)>)> {
    Some(match t {
        0 => ("F32", Some((1, 4))),
        1 => ("F16", Some((1, 2))),
        2 => ("Q4_0", Some((32, 18))),
        3 => ("Q4_1", Some((32, 20))),
        6 => ("Q5_0", Some((32, 22))),
        7 => ("Q5_1", Some((32, 24))),
        8 => ("Q8_0", Some((32, 34))),
        9 => ("Q8_1", Some((32, 36))),
        10 => ("Q2_K", Some((256, 84))),
        11 => ("Q3_K", Some((256, 110))),
        12 => ("Q4_K", Some((256, 144))),
        13 => ("Q5_K", Some((256, 176))),
        14 => ("Q6_K", Some((256, 210))),
        15 => ("Q8_K", Some((256, 292))),
        16 => ("IQ2_XXS", None),
        17 => ("IQ2_XS", None),
        18 => ("IQ3_XXS", None),
        19 => ("IQ1_S", None),
        20 => ("IQ4_NL", None),
        21 => ("IQ3_S", None),
        22 => ("IQ2_S", None),
        23 => ("IQ4_XS", None),
        24 => ("I8", Some((1, 1))),
        25 => ("I16", Some((1, 2))),
        26 => ("I32", Some((1, 4))),
        27 => ("I64", Some((1, 8))),
        28 => ("F64", Some((1, 8))),
        29 => ("IQ1_M", None),
        30 => ("BF16", Some((1, 2))),
        _ => return None,
    })
}

fn value_type_name(t: u32) -> Option<&'static str> {
    Some(match t {
        0 => "uint8",
        1 => "int8",
        2 => "uint16",
        3 => "int16",
        4 => "uint32",
        5 => "int32",
        6 => "float32",
        7 => "bool",
        8 => "string",
        9 => "array",
        10 => "uint64",
        11 => "int64",
        12 => "float64",
        _ => return None,
    })
}

/// Fixed size of a scalar value type; strings and arrays have a minimum.
fn min_size(t: u32, v1: bool) -> u64 {
    let len = if v1 { 4 } else { 8 };
    match t {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        8 => len,
        9 => 4 + len,
        _ => 1,
    }
}

struct Src<R> {
    r: R,
    pos: u64,
    len: u64,
    file: String,
    v1: bool,
}

impl<R: Read> Src<R> {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N], FormatError> {
        let mut buf = [0u8; N];
        if self.remaining() < N as u64 {
            return Err(self.truncated(what));
        }
        self.r.read_exact(&mut buf).map_err(|e| self.io(e, what))?;
        self.pos += N as u64;
        Ok(buf)
    }

    fn truncated(&self, what: &str) -> FormatError {
        GgufError::Truncated {
            file: self.file.clone(),
            what: what.into(),
        }
        .into()
    }

    fn io(&self, e: io::Error, what: &str) -> FormatError {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            self.truncated(what)
        } else {
            io_error(Path::new(&self.file), e)
        }
    }

    fn u32(&mut self, what: &str) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.bytes(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, FormatError> {
        Ok(u64::from_le_bytes(self.bytes(what)?))
    }

    /// A count or length: `u32` in version 1, `u64` after.
    fn count(&mut self, what: &str) -> Result<u64, FormatError> {
        if self.v1 {
            self.u32(what).map(u64::from)
        } else {
            self.u64(what)
        }
    }

    /// Checks that `count` items of at least `each` bytes fit in the file.
    fn check_count(&self, what: &'static str, count: u64, each: u64) -> Result<(), FormatError> {
        let need = count.checked_mul(each);
        if need.is_none_or(|n| n > self.remaining()) {
            return Err(GgufError::CountTooLarge {
                file: self.file.clone(),
                what,
                count,
                remaining: self.remaining(),
            }
            .into());
        }
        Ok(())
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), FormatError> {
        if n > self.remaining() {
            return Err(self.truncated(what));
        }
        let copied =
            io::copy(&mut (&mut self.r).take(n), &mut io::sink()).map_err(|e| self.io(e, what))?;
        if copied < n {
            return Err(self.truncated(what));
        }
        self.pos += n;
        Ok(())
    }

    /// Reads a string; keeps its text when at most `keep` bytes, else skips
    /// it. Fails when longer than `max`.
    fn string(
        &mut self,
        what: &str,
        keep: u64,
        max: u64,
    ) -> Result<(Option<Vec<u8>>, u64), FormatError> {
        let len = self.count(what)?;
        let limit = max.min(self.remaining());
        if len > limit {
            return Err(GgufError::StringTooLong {
                file: self.file.clone(),
                what: what.into(),
                len,
                limit,
            }
            .into());
        }
        if len > keep {
            self.skip(len, what)?;
            return Ok((None, len));
        }
        // `len <= keep`, a small constant or the name limit.
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
        self.r.read_exact(&mut buf).map_err(|e| self.io(e, what))?;
        self.pos += len;
        Ok((Some(buf), len))
    }

    fn name(&mut self, what: &str) -> Result<String, FormatError> {
        let (bytes, _) = self.string(what, MAX_NAME, MAX_NAME)?;
        String::from_utf8(bytes.unwrap_or_default()).map_err(|_| {
            GgufError::NotUtf8 {
                file: self.file.clone(),
                what: what.into(),
            }
            .into()
        })
    }

    fn value(&mut self, key: &str, t: u32, depth: u32) -> Result<GgufValue, FormatError> {
        let what = format!("the value of key `{key}`");
        let uint = |gguf_type, value| GgufValue::Uint { gguf_type, value };
        let int = |gguf_type, value| GgufValue::Int { gguf_type, value };
        Ok(match t {
            0 => uint("uint8", u64::from(u8::from_le_bytes(self.bytes(&what)?))),
            1 => int("int8", i64::from(i8::from_le_bytes(self.bytes(&what)?))),
            2 => uint("uint16", u64::from(u16::from_le_bytes(self.bytes(&what)?))),
            3 => int("int16", i64::from(i16::from_le_bytes(self.bytes(&what)?))),
            4 => uint("uint32", u64::from(self.u32(&what)?)),
            5 => int("int32", i64::from(i32::from_le_bytes(self.bytes(&what)?))),
            6 => GgufValue::Float {
                gguf_type: "float32",
                value: f64::from(f32::from_le_bytes(self.bytes(&what)?)),
            },
            7 => GgufValue::Bool {
                value: u8::from_le_bytes(self.bytes(&what)?) != 0,
            },
            8 => {
                let (bytes, len) = self.string(&what, SHOWN_STRING, u64::MAX)?;
                GgufValue::String {
                    value: bytes.and_then(|b| String::from_utf8(b).ok()),
                    len,
                }
            }
            9 => {
                if depth >= MAX_DEPTH {
                    return Err(GgufError::NestingTooDeep {
                        file: self.file.clone(),
                        key: key.into(),
                        max: MAX_DEPTH,
                    }
                    .into());
                }
                let element = self.u32(&what)?;
                let Some(element_type) = value_type_name(element) else {
                    return Err(self.unknown_type(key, element));
                };
                let len = self.count(&what)?;
                self.check_count("array element", len, min_size(element, self.v1))?;
                if let Some(size) = fixed_size(element) {
                    // Scalar arrays are skipped in one bounded copy.
                    self.skip(len * size, &what)?;
                } else {
                    for _ in 0..len {
                        self.value(key, element, depth + 1)?;
                    }
                }
                GgufValue::Array { element_type, len }
            }
            10 => uint("uint64", self.u64(&what)?),
            11 => int("int64", i64::from_le_bytes(self.bytes(&what)?)),
            12 => GgufValue::Float {
                gguf_type: "float64",
                value: f64::from_le_bytes(self.bytes(&what)?),
            },
            other => return Err(self.unknown_type(key, other)),
        })
    }

    fn unknown_type(&self, key: &str, value_type: u32) -> FormatError {
        GgufError::UnknownValueType {
            file: self.file.clone(),
            key: key.into(),
            value_type,
        }
        .into()
    }
}

fn fixed_size(t: u32) -> Option<u64> {
    match t {
        8 | 9 => None,
        t => Some(min_size(t, false)),
    }
}

impl GgufHeader {
    /// Reads and checks the header of the GGUF file at `path`.
    pub fn read(path: &Path) -> Result<Self, FormatError> {
        let f = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
            .map_err(|e| io_error(path, e))?;
        let len = f.metadata().map_err(|e| io_error(path, e))?.len();
        Self::parse(&path.display().to_string(), BufReader::new(f), len)
    }

    /// Parses a GGUF file held in memory; `file` names it in errors.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Self, FormatError> {
        Self::parse(file, bytes, bytes.len() as u64)
    }

    /// Parses a GGUF header from `reader`, the start of a `len`-byte file.
    pub fn parse(file: &str, reader: impl Read, len: u64) -> Result<Self, FormatError> {
        let mut src = Src {
            r: reader,
            pos: 0,
            len,
            file: file.to_owned(),
            v1: false,
        };
        let file = || src_file(file);
        if src.remaining() < 4 || &src.bytes::<4>("the magic")? != b"GGUF" {
            return Err(GgufError::BadMagic { file: file() }.into());
        }
        let version = src.u32("the version")?;
        if !(1..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion {
                file: file(),
                version,
            }
            .into());
        }
        src.v1 = version == 1;
        let tensor_count = src.count("the tensor count")?;
        let metadata_kv_count = src.count("the metadata count")?;
        let len_size = if src.v1 { 4 } else { 8 };
        // A pair is at least a key length, a type and a one-byte value; a
        // tensor entry a name length, a dimension count, a type and an offset.
        src.check_count("metadata", metadata_kv_count, len_size + 4 + 1)?;
        src.check_count("tensor", tensor_count, len_size + 4 + 4 + 8)?;
        // Every entry costs at least ENTRY_COST: refuse what cannot fit
        // before parsing any of it.
        let mut held = metadata_kv_count
            .saturating_add(tensor_count)
            .saturating_mul(ENTRY_COST as u64);
        let too_complex = || -> FormatError {
            GgufError::HeaderTooComplex {
                file: file(),
                max: MAX_HEADER_MEMORY,
            }
            .into()
        };
        if held > MAX_HEADER_MEMORY {
            return Err(too_complex());
        }
        // Names are held twice: in the header and in the duplicate check.
        let mut hold = |bytes: usize| {
            held = held.saturating_add(bytes as u64);
            if held > MAX_HEADER_MEMORY {
                Err(too_complex())
            } else {
                Ok(())
            }
        };

        let mut metadata = Vec::new();
        let mut keys = HashSet::new();
        let mut alignment = 32u64;
        for i in 0..metadata_kv_count {
            let key = src.name(&format!("metadata key {i}"))?;
            hold(2 * key.len())?;
            if !keys.insert(key.clone()) {
                return Err(GgufError::DuplicateKey { file: file(), key }.into());
            }
            let t = src.u32(&format!("the type of key `{key}`"))?;
            let value = src.value(&key, t, 0)?;
            if let GgufValue::String {
                value: Some(text), ..
            } = &value
            {
                hold(text.len())?;
            }
            if key == "general.alignment" {
                alignment = match value {
                    GgufValue::Uint {
                        gguf_type: "uint32",
                        value,
                    } if value != 0 && value % 8 == 0 => value,
                    _ => return Err(GgufError::BadAlignment { file: file() }.into()),
                };
            }
            metadata.push(GgufKv { key, value });
        }

        let mut tensors = Vec::new();
        let mut names = HashSet::new();
        for i in 0..tensor_count {
            let name = src.name(&format!("tensor name {i}"))?;
            hold(2 * name.len())?;
            if !names.insert(name.clone()) {
                return Err(GgufError::DuplicateTensor {
                    file: file(),
                    tensor: name,
                }
                .into());
            }
            let n_dims = src.u32(&format!("tensor `{name}`"))?;
            if n_dims > MAX_DIMS {
                return Err(GgufError::TooManyDims {
                    file: file(),
                    tensor: name,
                    n_dims,
                    max: MAX_DIMS,
                }
                .into());
            }
            hold(8 * n_dims as usize)?;
            let mut dims = Vec::new();
            for _ in 0..n_dims {
                dims.push(src.count(&format!("tensor `{name}`"))?);
            }
            let ggml = src.u32(&format!("tensor `{name}`"))?;
            let offset = src.u64(&format!("tensor `{name}`"))?;
            let known = ggml_type(ggml);
            let mut size = None;
            if let Some((_, Some((block, bytes)))) = known {
                let ne0 = dims.first().copied().unwrap_or(1);
                if ne0 % block != 0 {
                    return Err(GgufError::PartialBlock {
                        file: file(),
                        tensor: name,
                        ne0,
                        block,
                    }
                    .into());
                }
                let elements = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
                size = elements.and_then(|n| (n / block).checked_mul(bytes));
                if size.is_none() {
                    return Err(GgufError::SizeOverflow {
                        file: file(),
                        tensor: name,
                        dims,
                    }
                    .into());
                }
            }
            tensors.push(GgufTensor {
                name,
                dims,
                ggml_type: ggml,
                type_name: known.map(|(n, _)| n),
                offset,
                size,
            });
        }

        let data_start = src.pos.div_ceil(alignment).saturating_mul(alignment);
        for t in &tensors {
            if t.offset % alignment != 0 {
                return Err(GgufError::Misaligned {
                    file: file(),
                    tensor: t.name.clone(),
                    offset: t.offset,
                    alignment,
                }
                .into());
            }
            let end = data_start
                .checked_add(t.offset)
                .and_then(|s| s.checked_add(t.size.unwrap_or(0)));
            if end.is_none_or(|e| e > len) {
                return Err(GgufError::TensorBeyondFile {
                    file: file(),
                    tensor: t.name.clone(),
                    end: end.unwrap_or(u64::MAX),
                    file_len: len,
                }
                .into());
            }
        }
        Ok(Self {
            version,
            tensor_count,
            metadata_kv_count,
            metadata,
            tensors,
            alignment,
            data_start,
        })
    }
}

fn src_file(file: &str) -> String {
    file.to_owned()
}

#[cfg(test)]
#[path = "gguf_tests.rs"]
mod tests;
