//! Structural validation of safetensors files, per-tensor digests, and
//! verify-on-load.
//!
//! The file is an 8-byte little-endian header length `N`, `N` bytes of UTF-8
//! JSON, then the data section. Every rule below is ours, with its own
//! [`SafetensorsError`] variant; the `safetensors` crate supplies only the
//! dtype table.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::Path;

use modelseal_hash::{Digest, HashAlgorithm, Hasher};
use serde::Serialize;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor, value::Error as DtypeError,
};

use crate::error::{FormatError, io_error};
use crate::json::{Checked, Guard, GuardStop};
use crate::read_once;
use crate::{ENTRY_COST, MAX_HEADER_MEMORY};

/// The largest header accepted, in bytes (the reference loader's limit).
pub const MAX_HEADER_LEN: u64 = 100_000_000;
/// The longest string in a header: 16 MiB (`header_string_too_long`).
/// The header is parsed as it is read, never held whole: what is held is
/// the parsed header (within [`MAX_HEADER_MEMORY`]) and, while it is
/// parsed, one string.
pub const MAX_HEADER_STRING: usize = 16 << 20;
/// The most dimensions of a tensor (NumPy allows 64, PyTorch fewer).
pub const MAX_DIMS: usize = 64;
/// The longest dtype quoted back in an error.
const MAX_QUOTED: usize = 64;

/// `text` as quoted in an error: at most [`MAX_QUOTED`] characters.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// The bytes read per call when hashing tensors and files.
const CHUNK: usize = 1 << 20;
/// A rule a safetensors file breaks. Every message names the file, and the
/// tensor where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SafetensorsError {
    /// The file is shorter than the 8-byte header length.
    #[error("`{file}`: file is {len} bytes, too short for the 8-byte header length")]
    TooShort {
        /// The file.
        file: String,
        /// Its length.
        len: u64,
    },
    /// The header length exceeds [`MAX_HEADER_LEN`].
    #[error("`{file}`: header length {len} exceeds the limit of {max} bytes")]
    HeaderTooLarge {
        /// The file.
        file: String,
        /// The declared header length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The header length runs past the end of the file.
    #[error("`{file}`: header length {len} exceeds the {available} bytes after the length")]
    HeaderBeyondFile {
        /// The file.
        file: String,
        /// The declared header length.
        len: u64,
        /// File size minus 8.
        available: u64,
    },
    /// The header is empty or does not start with `{`.
    #[error("`{file}`: header does not start with `{{` (first byte {first:?})")]
    HeaderNotObjectStart {
        /// The file.
        file: String,
        /// The first header byte, if any.
        first: Option<u8>,
    },
    /// The header is not valid UTF-8.
    #[error("`{file}`: header is not valid UTF-8 (first bad byte at header offset {offset})")]
    HeaderNotUtf8 {
        /// The file.
        file: String,
        /// Offset of the first invalid byte inside the header.
        offset: usize,
    },
    /// A string in the header is longer than [`MAX_HEADER_STRING`].
    #[error("`{file}`: header holds a string longer than {max} bytes")]
    HeaderStringTooLong {
        /// The file.
        file: String,
        /// The limit.
        max: usize,
    },
    /// The parsed header would hold more than [`MAX_HEADER_MEMORY`].
    #[error("`{file}`: header needs more than {max} bytes of memory for its tensors and metadata")]
    HeaderTooComplex {
        /// The file.
        file: String,
        /// The limit.
        max: u64,
    },
    /// The header is not valid JSON.
    #[error("`{file}`: header is not valid JSON: {reason}")]
    HeaderNotJson {
        /// The file.
        file: String,
        /// The parser's description.
        reason: String,
    },
    /// The header is JSON but not an object.
    #[error("`{file}`: header is {found}, not a JSON object")]
    HeaderNotObject {
        /// The file.
        file: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A top-level key appears twice.
    #[error("`{file}`: header key `{key}` appears more than once")]
    DuplicateKey {
        /// The file.
        file: String,
        /// The repeated key.
        key: String,
    },
    /// A tensor entry is not a JSON object.
    #[error("`{file}`: tensor `{tensor}` entry is {found}, not an object")]
    TensorNotObject {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A tensor entry repeats a field.
    #[error("`{file}`: tensor `{tensor}` has field `{field}` more than once")]
    DuplicateField {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The repeated field.
        field: String,
    },
    /// A tensor entry has a field other than `dtype`, `shape`, `data_offsets`.
    #[error("`{file}`: tensor `{tensor}` has unknown field `{field}`")]
    UnknownField {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The unexpected field.
        field: String,
    },
    /// A tensor entry lacks a required field.
    #[error("`{file}`: tensor `{tensor}` has no `{field}`")]
    MissingField {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The missing field.
        field: &'static str,
    },
    /// `dtype` is not a string.
    #[error("`{file}`: tensor `{tensor}` dtype is {found}, not a string")]
    DtypeNotString {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// `dtype` names no known safetensors dtype.
    #[error("`{file}`: tensor `{tensor}` has unknown dtype `{dtype}`")]
    UnknownDtype {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The dtype given.
        dtype: String,
    },
    /// `shape` is not an array of non-negative integers.
    #[error("`{file}`: tensor `{tensor}` shape is not an array of non-negative 64-bit integers")]
    InvalidShape {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
    },
    /// The shape has more than [`MAX_DIMS`] dimensions.
    #[error("`{file}`: tensor `{tensor}` has {dims} dimensions, more than {max}")]
    TooManyDims {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its dimension count.
        dims: usize,
        /// The limit.
        max: usize,
    },
    /// The element count or bit size of the shape overflows 64 bits.
    #[error("`{file}`: tensor `{tensor}` shape {shape:?} overflows 64 bits")]
    ShapeOverflow {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The shape.
        shape: Vec<u64>,
    },
    /// A sub-byte dtype whose elements do not fill whole bytes.
    #[error(
        "`{file}`: tensor `{tensor}` of {dtype} with shape {shape:?} is not a whole number of bytes"
    )]
    PartialByte {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The dtype.
        dtype: String,
        /// The shape.
        shape: Vec<u64>,
    },
    /// `data_offsets` is not `[begin, end]` with `begin <= end`.
    #[error("`{file}`: tensor `{tensor}` data_offsets is not [begin, end] with begin <= end")]
    InvalidOffsets {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
    },
    /// The byte range does not match shape × dtype size.
    #[error(
        "`{file}`: tensor `{tensor}` of {dtype} with shape {shape:?} needs {expected} bytes, but its data_offsets span {actual}"
    )]
    SizeMismatch {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// The dtype.
        dtype: String,
        /// The shape.
        shape: Vec<u64>,
        /// Bytes the shape and dtype need.
        expected: u64,
        /// Bytes the offsets span.
        actual: u64,
    },
    /// The first tensor (by offset) does not begin at data offset 0.
    #[error("`{file}`: first tensor `{tensor}` begins at data offset {begin}, not 0")]
    NotAtStart {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its begin offset.
        begin: u64,
    },
    /// Unused bytes between two tensors.
    #[error("`{file}`: gap of {gap} bytes between tensor `{previous}` and tensor `{tensor}`")]
    Gap {
        /// The file.
        file: String,
        /// The earlier tensor.
        previous: String,
        /// The later tensor.
        tensor: String,
        /// Unused bytes.
        gap: u64,
    },
    /// Two tensors share bytes.
    #[error("`{file}`: tensor `{tensor}` overlaps tensor `{previous}` by {overlap} bytes")]
    Overlap {
        /// The file.
        file: String,
        /// The earlier tensor.
        previous: String,
        /// The later tensor.
        tensor: String,
        /// Shared bytes.
        overlap: u64,
    },
    /// A tensor's range runs past the end of the file.
    #[error(
        "`{file}`: tensor `{tensor}` ends at data offset {end}, past the {data_len}-byte data section"
    )]
    BeyondFile {
        /// The file.
        file: String,
        /// The tensor.
        tensor: String,
        /// Its end offset.
        end: u64,
        /// The data section length.
        data_len: u64,
    },
    /// Bytes after the last tensor.
    #[error(
        "`{file}`: tensors end at data offset {end}, leaving {trailing} unused bytes before the end of the file"
    )]
    TrailingData {
        /// The file.
        file: String,
        /// Where the last tensor ends.
        end: u64,
        /// Bytes after it.
        trailing: u64,
    },
    /// `__metadata__` is not an object.
    #[error("`{file}`: __metadata__ is {found}, not an object")]
    MetadataNotObject {
        /// The file.
        file: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A `__metadata__` value is not a string.
    #[error("`{file}`: __metadata__ key `{key}` maps to {found}, not a string")]
    MetadataNotString {
        /// The file.
        file: String,
        /// The key.
        key: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A `__metadata__` key appears twice.
    #[error("`{file}`: __metadata__ key `{key}` appears more than once")]
    MetadataDuplicateKey {
        /// The file.
        file: String,
        /// The key.
        key: String,
    },
}

impl SafetensorsError {
    /// A stable snake_case name of the rule, for the JSON report.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::HeaderTooLarge { .. } => "header_too_large",
            Self::HeaderBeyondFile { .. } => "header_beyond_file",
            Self::HeaderNotObjectStart { .. } => "header_not_object_start",
            Self::HeaderNotUtf8 { .. } => "header_not_utf8",
            Self::HeaderStringTooLong { .. } => "header_string_too_long",
            Self::HeaderTooComplex { .. } => "header_too_complex",
            Self::HeaderNotJson { .. } => "header_not_json",
            Self::HeaderNotObject { .. } => "header_not_object",
            Self::DuplicateKey { .. } => "duplicate_key",
            Self::TensorNotObject { .. } => "tensor_not_object",
            Self::DuplicateField { .. } => "duplicate_field",
            Self::UnknownField { .. } => "unknown_field",
            Self::MissingField { .. } => "missing_field",
            Self::DtypeNotString { .. } => "dtype_not_string",
            Self::UnknownDtype { .. } => "unknown_dtype",
            Self::InvalidShape { .. } => "invalid_shape",
            Self::TooManyDims { .. } => "too_many_dims",
            Self::ShapeOverflow { .. } => "shape_overflow",
            Self::PartialByte { .. } => "partial_byte",
            Self::InvalidOffsets { .. } => "invalid_offsets",
            Self::SizeMismatch { .. } => "size_mismatch",
            Self::NotAtStart { .. } => "not_at_start",
            Self::Gap { .. } => "gap",
            Self::Overlap { .. } => "overlap",
            Self::BeyondFile { .. } => "beyond_file",
            Self::TrailingData { .. } => "trailing_data",
            Self::MetadataNotObject { .. } => "metadata_not_object",
            Self::MetadataNotString { .. } => "metadata_not_string",
            Self::MetadataDuplicateKey { .. } => "metadata_duplicate_key",
        }
    }
}

/// One tensor of a validated safetensors file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TensorInfo {
    /// The tensor's name (its header key).
    pub name: String,
    /// The dtype as written in the header, e.g. `F32`.
    pub dtype: String,
    /// The shape; `[]` is a scalar.
    pub shape: Vec<u64>,
    /// `[begin, end)` relative to the start of the data section.
    pub data_offsets: [u64; 2],
    /// `[begin, end)` as absolute offsets in the file.
    pub file_offsets: [u64; 2],
}

impl TensorInfo {
    /// The tensor's size in bytes.
    pub fn len(&self) -> u64 {
        self.data_offsets[1].saturating_sub(self.data_offsets[0])
    }

    /// Whether the tensor holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A validated safetensors header: every tensor in file order and the
/// `__metadata__` map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SafetensorsHeader {
    /// The JSON header length `N` from the first 8 bytes.
    pub header_len: u64,
    /// Absolute offset of the data section (`8 + N`).
    pub data_start: u64,
    /// The tensors, sorted by data offset.
    pub tensors: Vec<TensorInfo>,
    /// The `__metadata__` map, if the header has one.
    pub metadata: Option<BTreeMap<String, String>>,
}

impl SafetensorsHeader {
    /// Checks the 8-byte header length against [`MAX_HEADER_LEN`] and the
    /// file size, before anything is allocated for the header.
    pub fn check_header_len(
        file: &str,
        first8: [u8; 8],
        file_len: u64,
    ) -> Result<u64, SafetensorsError> {
        let len = u64::from_le_bytes(first8);
        if len > MAX_HEADER_LEN {
            return Err(SafetensorsError::HeaderTooLarge {
                file: file.into(),
                len,
                max: MAX_HEADER_LEN,
            });
        }
        let available = file_len.saturating_sub(8);
        if len > available {
            return Err(SafetensorsError::HeaderBeyondFile {
                file: file.into(),
                len,
                available,
            });
        }
        Ok(len)
    }

    /// Validates a whole safetensors file held in memory. `file` names it in
    /// errors.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Self, SafetensorsError> {
        let file_len = bytes.len() as u64;
        let first8: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SafetensorsError::TooShort {
                file: file.into(),
                len: file_len,
            })?;
        let len = Self::check_header_len(file, first8, file_len)?;
        // `len <= bytes.len() - 8` was checked, so the range is in bounds.
        let end = usize::try_from(len).ok().and_then(|l| l.checked_add(8));
        let header = end.and_then(|e| bytes.get(8..e)).ok_or_else(|| {
            SafetensorsError::HeaderBeyondFile {
                file: file.into(),
                len,
                available: file_len.saturating_sub(8),
            }
        })?;
        Self::parse(file, header, file_len)
    }

    /// Reads and validates the header of the safetensors file at `path`,
    /// reading only the first `8 + N` bytes. Rule violations come back as
    /// [`FormatError::Safetensors`].
    pub fn read(path: &Path) -> Result<Self, FormatError> {
        let mut f = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
            .map_err(|e| io_error(path, e))?;
        let file_len = f.metadata().map_err(|e| io_error(path, e))?.len();
        Self::read_from(path, &mut f, file_len)
    }

    /// Reads and validates a header from `reader`, positioned at the start
    /// of a file of `file_len` bytes. The header is parsed as it is read,
    /// never held whole (see [`MAX_HEADER_MEMORY`]).
    pub(crate) fn read_from(
        path: &Path,
        reader: &mut impl Read,
        file_len: u64,
    ) -> Result<Self, FormatError> {
        let name = path.display().to_string();
        let file = name.as_str();
        if file_len < 8 {
            return Err(SafetensorsError::TooShort {
                file: file.into(),
                len: file_len,
            }
            .into());
        }
        let mut first8 = [0u8; 8];
        reader
            .read_exact(&mut first8)
            .map_err(|e| io_error(path, e))?;
        let len = Self::check_header_len(file, first8, file_len)?;
        match Self::parse_stream(file, reader.take(len), len, file_len) {
            Err(Stop::Rule(e)) => Err(e.into()),
            Err(Stop::Io(e)) => Err(io_error(path, e)),
            Ok(header) => Ok(header),
        }
    }

    /// Validates the JSON header bytes (without the 8-byte length) of a file
    /// of `file_len` bytes.
    pub fn parse(file: &str, header: &[u8], file_len: u64) -> Result<Self, SafetensorsError> {
        Self::parse_stream(file, header, header.len() as u64, file_len).map_err(|stop| match stop {
            Stop::Rule(e) => e,
            // Reading a slice cannot fail.
            Stop::Io(e) => SafetensorsError::HeaderNotJson {
                file: file.to_owned(),
                reason: e.to_string(),
            },
        })
    }

    /// Validates a `header_len`-byte header read from `reader` as it is
    /// parsed: what is held is the tensors and metadata kept (within
    /// [`MAX_HEADER_MEMORY`]), a 64 KiB buffer and at most one string of
    /// [`MAX_HEADER_STRING`] bytes.
    ///
    /// Errors come in the order a whole-header check would give them: a
    /// header not starting with `{`, then bytes that are not UTF-8
    /// anywhere in it, then the limits, then invalid JSON anywhere, then
    /// the first rule broken in document order.
    fn parse_stream(
        file: &str,
        reader: impl Read,
        header_len: u64,
        file_len: u64,
    ) -> Result<Self, Stop> {
        let err_file = || file.to_owned();
        let data_start = header_len
            .checked_add(8)
            .filter(|&s| s <= file_len)
            .ok_or_else(|| SafetensorsError::HeaderBeyondFile {
                file: err_file(),
                len: header_len,
                available: file_len.saturating_sub(8),
            })?;
        let data_len = file_len - data_start;
        let mut reader =
            io::BufReader::with_capacity(64 << 10, Guard::new(reader, MAX_HEADER_STRING, true));
        // The first buffer (the guard may already stop it: not UTF-8).
        let peeked = reader.fill_buf().map(|_| ());
        let first = reader.get_ref().first_byte();
        if let Err(e) = peeked {
            if reader.get_ref().stop().is_none() {
                return Err(Stop::Io(e));
            }
        }
        let parsed = if first == Some(b'{') && reader.get_ref().stop().is_none() {
            let mut state = HeaderState {
                file,
                data_start,
                held: 0,
                hasher: RandomState::new(),
                names: HashSet::new(),
                metadata_seen: false,
                tensors: Vec::new(),
                metadata: None,
                first_error: None,
                over_budget: false,
            };
            let mut de = serde_json::Deserializer::from_reader(&mut reader);
            let result = de
                .deserialize_map(HeaderVisitor(&mut state))
                .and_then(|()| de.end());
            Some((result, state))
        } else {
            None
        };
        // The rest of the header is read (and checked as UTF-8) whatever
        // happened: its length and encoding are checked in full.
        let drained = io::copy(&mut reader, &mut io::sink());
        let guard = reader.get_ref();
        if let Some(GuardStop::NotUtf8 { offset }) = guard.stop() {
            if first == Some(b'{') {
                return Err(SafetensorsError::HeaderNotUtf8 {
                    file: err_file(),
                    offset: usize::try_from(offset).unwrap_or(usize::MAX),
                }
                .into());
            }
        }
        if let Err(e) = drained {
            if guard.stop().is_none() {
                return Err(Stop::Io(e));
            }
        }
        if guard.stop().is_none() && guard.offset() < header_len {
            return Err(Stop::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while reading the safetensors header",
            )));
        }
        let Some((result, state)) = parsed else {
            return Err(SafetensorsError::HeaderNotObjectStart {
                file: err_file(),
                first,
            }
            .into());
        };
        if guard.stop() == Some(GuardStop::StringTooLong) {
            return Err(SafetensorsError::HeaderStringTooLong {
                file: err_file(),
                max: MAX_HEADER_STRING,
            }
            .into());
        }
        if state.over_budget {
            return Err(SafetensorsError::HeaderTooComplex {
                file: err_file(),
                max: MAX_HEADER_MEMORY,
            }
            .into());
        }
        if let Err(e) = result {
            return Err(SafetensorsError::HeaderNotJson {
                file: err_file(),
                reason: e.to_string(),
            }
            .into());
        }
        if let Some(e) = state.first_error {
            return Err(e.into());
        }
        let HeaderState {
            mut tensors,
            metadata,
            ..
        } = state;

        check_layout(file, &mut tensors, data_len)?;
        Ok(Self {
            header_len,
            data_start,
            tensors,
            metadata,
        })
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

/// Sorts `tensors` into file order and checks they fill the `data_len`-byte
/// data section exactly, without gaps or overlaps.
fn check_layout(
    file: &str,
    tensors: &mut [TensorInfo],
    data_len: u64,
) -> Result<(), SafetensorsError> {
    let err_file = || file.to_owned();
    // File order: by begin, then by end so empty tensors come first.
    // Stable: tensors at the same offsets keep their document order.
    tensors.sort_by_key(|t| t.data_offsets);
    let mut position = 0u64;
    let mut previous: Option<&TensorInfo> = None;
    for t in tensors.iter() {
        let [begin, end] = t.data_offsets;
        match previous {
            None if begin != 0 => {
                return Err(SafetensorsError::NotAtStart {
                    file: err_file(),
                    tensor: t.name.clone(),
                    begin,
                });
            }
            Some(p) if begin > position => {
                return Err(SafetensorsError::Gap {
                    file: err_file(),
                    previous: p.name.clone(),
                    tensor: t.name.clone(),
                    gap: begin - position,
                });
            }
            Some(p) if begin < position => {
                return Err(SafetensorsError::Overlap {
                    file: err_file(),
                    previous: p.name.clone(),
                    tensor: t.name.clone(),
                    overlap: position - begin,
                });
            }
            _ => {}
        }
        if end > data_len {
            return Err(SafetensorsError::BeyondFile {
                file: err_file(),
                tensor: t.name.clone(),
                end,
                data_len,
            });
        }
        position = end;
        previous = Some(t);
    }
    if position != data_len {
        return Err(SafetensorsError::TrailingData {
            file: err_file(),
            end: position,
            trailing: data_len - position,
        });
    }
    Ok(())
}

/// The element size in bits of a dtype name, from the `safetensors` crate's
/// table; `None` for a name it does not know.
pub fn dtype_bits(dtype: &str) -> Option<u64> {
    let de: serde::de::value::StrDeserializer<'_, DtypeError> = dtype.into_deserializer();
    safetensors::Dtype::deserialize(de)
        .ok()
        .map(|d| d.bitsize() as u64)
}

/// Why [`SafetensorsHeader::parse_stream`] stopped.
#[derive(Debug)]
enum Stop {
    Rule(SafetensorsError),
    Io(io::Error),
}

impl From<SafetensorsError> for Stop {
    fn from(e: SafetensorsError) -> Self {
        Self::Rule(e)
    }
}

/// What a header parse keeps, and what it has found wrong.
struct HeaderState<'a> {
    file: &'a str,
    data_start: u64,
    /// Bytes held so far, as [`MAX_HEADER_MEMORY`] counts them.
    held: u64,
    /// Hashes of the top-level keys seen (duplicates are an error): a name
    /// is held once, in its tensor, and a repeated hash is confirmed by
    /// comparing names. The keys are random, so collisions are rare.
    hasher: RandomState,
    names: HashSet<u64>,
    metadata_seen: bool,
    tensors: Vec<TensorInfo>,
    metadata: Option<BTreeMap<String, String>>,
    /// The first rule broken, in document order; the rest of the header
    /// is then checked as JSON and not kept.
    first_error: Option<SafetensorsError>,
    /// [`MAX_HEADER_MEMORY`] was reached: the parse stopped there.
    over_budget: bool,
}

impl HeaderState<'_> {
    /// Whether `key` was seen before; records it.
    fn repeated(&mut self, key: &str) -> bool {
        if self.names.insert(self.hasher.hash_one(key)) {
            return false;
        }
        if key == "__metadata__" {
            self.metadata_seen
        } else {
            self.tensors.iter().any(|t| t.name == key)
        }
    }

    /// Counts `bytes` more held; false once over the budget.
    fn hold(&mut self, bytes: usize) -> bool {
        self.held = self.held.saturating_add(bytes as u64);
        self.over_budget = self.held > MAX_HEADER_MEMORY;
        !self.over_budget
    }

    fn fail(&mut self, e: SafetensorsError) {
        self.first_error.get_or_insert(e);
    }
}

fn over_budget<E: de::Error>() -> E {
    E::custom("the header needs more memory than allowed")
}

/// A short name of a JSON value's type, for error messages.
const NULL: &str = "null";
const BOOL: &str = "a boolean";
const NUMBER: &str = "a number";
const STRING: &str = "a string";
const ARRAY: &str = "an array";
const OBJECT: &str = "an object";

/// A JSON value as a string, or the name of its type (its content checked
/// and dropped).
enum Text {
    Str(String),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text::Other(NULL))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text::Other(BOOL))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text, E> {
                Ok(Text::Other(NUMBER))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text, E> {
                Ok(Text::Other(NUMBER))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
                Ok(Text::Other(NUMBER))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text, A::Error> {
                drain_seq(seq).map(|()| Text::Other(ARRAY))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                drain_map(map).map(|()| Text::Other(OBJECT))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Checks and drops the rest of an array.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Checked>()?.is_some() {}
    Ok(())
}

/// Checks and drops the rest of an object.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<Checked, Checked>()?.is_some() {}
    Ok(())
}

/// A JSON array of non-negative integers, the first `max` of them kept
/// (`values` is `None` if the value is anything else).
struct Integers {
    values: Option<Vec<u64>>,
    /// Elements in the array, kept or not.
    len: usize,
}

/// An array element: a `u64`, or anything else (checked and dropped).
struct Integer(Option<u64>);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntegerVisitor;
        impl<'de> Visitor<'de> for IntegerVisitor {
            type Value = Option<u64>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
                Ok(Some(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<u64>, A::Error> {
                drain_seq(seq).map(|()| None)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<u64>, A::Error> {
                drain_map(map).map(|()| None)
            }
        }
        deserializer.deserialize_any(IntegerVisitor).map(Self)
    }
}

/// [`Integers`], keeping at most `max` values (the array's length is
/// counted whatever it is).
struct IntegersSeed {
    max: usize,
}

impl<'de> DeserializeSeed<'de> for IntegersSeed {
    type Value = Integers;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Integers, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IntegersSeed {
    type Value = Integers;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Integers, A::Error> {
        let mut values = Some(Vec::new());
        let mut len = 0;
        while let Some(Integer(n)) = seq.next_element()? {
            len += 1;
            match (&mut values, n) {
                (Some(kept), Some(n)) if kept.len() < self.max => kept.push(n),
                (Some(_), Some(_)) => {}
                _ => values = None,
            }
        }
        Ok(Integers { values, len })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Integers, E> {
        Ok(Integers::NONE)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Integers, E> {
        Ok(Integers::NONE)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Integers, E> {
        Ok(Integers::NONE)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Integers, E> {
        Ok(Integers::NONE)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Integers, E> {
        Ok(Integers::NONE)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Integers, E> {
        Ok(Integers::NONE)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Integers, A::Error> {
        drain_map(map).map(|()| Integers::NONE)
    }
}

impl Integers {
    const NONE: Self = Self {
        values: None,
        len: 0,
    };
}

/// The header object: tensors by name, and `__metadata__`.
struct HeaderVisitor<'s, 'a>(&'s mut HeaderState<'a>);

impl<'de> Visitor<'de> for HeaderVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(key) = map.next_key::<String>()? {
            if state.first_error.is_some() {
                map.next_value::<Checked>()?;
                continue;
            }
            if !state.hold(key.len() + ENTRY_COST) {
                return Err(over_budget());
            }
            if state.repeated(&key) {
                state.fail(SafetensorsError::DuplicateKey {
                    file: state.file.to_owned(),
                    key,
                });
                map.next_value::<Checked>()?;
                continue;
            }
            if key == "__metadata__" {
                state.metadata_seen = true;
                map.next_value_seed(MetadataSeed(state))?;
            } else {
                map.next_value_seed(TensorSeed { state, name: key })?;
            }
        }
        Ok(())
    }
}

/// The `__metadata__` value: an object of strings.
struct MetadataSeed<'s, 'a>(&'s mut HeaderState<'a>);

impl<'de> DeserializeSeed<'de> for MetadataSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        object_or_type(deserializer, self)
    }
}

/// A visitor of objects that records the rule a value of another type
/// breaks.
trait NotAnObject {
    fn not_an_object(self, found: &'static str);
}

/// Visits an object with `visitor`, or tells it which other type the value
/// is (the value checked and dropped).
fn object_or_type<'de, D, V>(deserializer: D, visitor: V) -> Result<(), D::Error>
where
    D: Deserializer<'de>,
    V: Visitor<'de, Value = ()> + NotAnObject,
{
    struct Either<V>(V);
    impl<'de, V: Visitor<'de, Value = ()> + NotAnObject> Visitor<'de> for Either<V> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            self.0.visit_map(map)
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            self.0.not_an_object(NULL);
            Ok(())
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            self.0.not_an_object(BOOL);
            Ok(())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            self.0.not_an_object(NUMBER);
            Ok(())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            self.0.not_an_object(NUMBER);
            Ok(())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            self.0.not_an_object(NUMBER);
            Ok(())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            self.0.not_an_object(STRING);
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            drain_seq(seq)?;
            self.0.not_an_object(ARRAY);
            Ok(())
        }
    }
    deserializer.deserialize_any(Either(visitor))
}

impl NotAnObject for MetadataSeed<'_, '_> {
    fn not_an_object(self, found: &'static str) {
        let file = self.0.file.to_owned();
        self.0
            .fail(SafetensorsError::MetadataNotObject { file, found });
    }
}

impl<'de> Visitor<'de> for MetadataSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut kept = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if state.first_error.is_some() {
                map.next_value::<Checked>()?;
                continue;
            }
            let value = match map.next_value::<Text>()? {
                Text::Str(value) => value,
                Text::Other(found) => {
                    state.fail(SafetensorsError::MetadataNotString {
                        file: state.file.to_owned(),
                        key,
                        found,
                    });
                    continue;
                }
            };
            if kept.contains_key(&key) {
                state.fail(SafetensorsError::MetadataDuplicateKey {
                    file: state.file.to_owned(),
                    key,
                });
                continue;
            }
            if !state.hold(key.len() + value.len() + ENTRY_COST) {
                return Err(over_budget());
            }
            kept.insert(key, value);
        }
        if state.first_error.is_none() {
            state.metadata = Some(kept);
        }
        Ok(())
    }
}

/// One tensor entry: an object of `dtype`, `shape` and `data_offsets`.
struct TensorSeed<'s, 'a> {
    state: &'s mut HeaderState<'a>,
    name: String,
}

impl<'de> DeserializeSeed<'de> for TensorSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        object_or_type(deserializer, self)
    }
}

impl NotAnObject for TensorSeed<'_, '_> {
    fn not_an_object(self, found: &'static str) {
        let file = self.state.file.to_owned();
        self.state.fail(SafetensorsError::TensorNotObject {
            file,
            tensor: self.name,
            found,
        });
    }
}

impl<'de> Visitor<'de> for TensorSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Self { state, name } = self;
        let mut fields = TensorFields::default();
        let mut broken = None;
        while let Some(field) = map.next_key::<String>()? {
            if broken.is_some() {
                map.next_value::<Checked>()?;
                continue;
            }
            let duplicate = match field.as_str() {
                "dtype" => fields.dtype.replace(map.next_value()?).is_some(),
                "shape" => {
                    let shape = map.next_value_seed(IntegersSeed { max: MAX_DIMS })?;
                    fields.shape.replace(shape).is_some()
                }
                "data_offsets" => {
                    let offsets = map.next_value_seed(IntegersSeed { max: 2 })?;
                    fields.offsets.replace(offsets).is_some()
                }
                _ => {
                    map.next_value::<Checked>()?;
                    broken = Some(SafetensorsError::UnknownField {
                        file: state.file.to_owned(),
                        tensor: name.clone(),
                        field,
                    });
                    continue;
                }
            };
            if duplicate {
                broken = Some(SafetensorsError::DuplicateField {
                    file: state.file.to_owned(),
                    tensor: name.clone(),
                    field,
                });
            }
        }
        if let Some(e) = broken {
            state.fail(e);
            return Ok(());
        }
        if state.first_error.is_some() {
            return Ok(());
        }
        match check_tensor(state.file, name, fields, state.data_start) {
            Ok(tensor) => {
                let held = tensor.dtype.len() + 8 * tensor.shape.len();
                if !state.hold(held) {
                    return Err(over_budget());
                }
                state.tensors.push(tensor);
            }
            Err(e) => state.fail(e),
        }
        Ok(())
    }
}

/// The fields of a tensor entry, as read.
#[derive(Default)]
struct TensorFields {
    dtype: Option<Text>,
    shape: Option<Integers>,
    offsets: Option<Integers>,
}

/// Applies every rule of one tensor entry to its fields.
fn check_tensor(
    file: &str,
    name: String,
    fields: TensorFields,
    data_start: u64,
) -> Result<TensorInfo, SafetensorsError> {
    let TensorFields {
        dtype,
        shape,
        offsets,
    } = fields;
    let missing = |field| SafetensorsError::MissingField {
        file: file.into(),
        tensor: name.clone(),
        field,
    };
    let dtype = dtype.ok_or_else(|| missing("dtype"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;
    let offsets = offsets.ok_or_else(|| missing("data_offsets"))?;

    let dtype = match dtype {
        Text::Str(dtype) => dtype,
        Text::Other(found) => {
            return Err(SafetensorsError::DtypeNotString {
                file: file.into(),
                tensor: name,
                found,
            });
        }
    };
    let Some(bits) = dtype_bits(&dtype) else {
        return Err(SafetensorsError::UnknownDtype {
            file: file.into(),
            tensor: name,
            dtype: quoted(&dtype),
        });
    };
    if shape.values.is_some() && shape.len > MAX_DIMS {
        return Err(SafetensorsError::TooManyDims {
            file: file.into(),
            tensor: name,
            dims: shape.len,
            max: MAX_DIMS,
        });
    }
    let Some(shape) = shape.values else {
        return Err(SafetensorsError::InvalidShape {
            file: file.into(),
            tensor: name,
        });
    };
    let offsets = match offsets.values.as_deref() {
        Some(&[begin, end]) if offsets.len == 2 => Some((begin, end)),
        _ => None,
    };
    let Some((begin, end)) = offsets.filter(|(b, e)| b <= e) else {
        return Err(SafetensorsError::InvalidOffsets {
            file: file.into(),
            tensor: name,
        });
    };
    let total_bits = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_mul(bits));
    let Some(total_bits) = total_bits else {
        return Err(SafetensorsError::ShapeOverflow {
            file: file.into(),
            tensor: name,
            shape,
        });
    };
    if total_bits % 8 != 0 {
        return Err(SafetensorsError::PartialByte {
            file: file.into(),
            tensor: name,
            dtype,
            shape,
        });
    }
    let expected = total_bits / 8;
    if end - begin != expected {
        return Err(SafetensorsError::SizeMismatch {
            file: file.into(),
            tensor: name,
            dtype,
            shape,
            expected,
            actual: end - begin,
        });
    }
    // Overflow is impossible once the range is checked against the file
    // size, but that happens later: saturate so nothing wraps meanwhile.
    let file_offsets = [
        data_start.saturating_add(begin),
        data_start.saturating_add(end),
    ];
    Ok(TensorInfo {
        name,
        dtype,
        shape,
        data_offsets: [begin, end],
        file_offsets,
    })
}

/// The digest of one tensor's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TensorDigest {
    /// The tensor's name.
    pub name: String,
    /// Its dtype.
    pub dtype: String,
    /// Its shape.
    pub shape: Vec<u64>,
    /// The algorithm's name (`sha256`, `blake3`, `blake2b`).
    pub algorithm: String,
    /// The digest of the tensor's byte range.
    #[serde(serialize_with = "crate::report::serialize_display")]
    #[schemars(with = "String")]
    pub digest: Digest,
}

/// Validates the safetensors file at `path` and hashes each tensor's byte
/// range, in file order, reading through a bounded buffer.
pub fn tensor_digests(
    path: &Path,
    algorithm: HashAlgorithm,
) -> Result<Vec<TensorDigest>, FormatError> {
    let mut f = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
        .map_err(|e| io_error(path, e))?;
    let file_len = f.metadata().map_err(|e| io_error(path, e))?.len();
    let header = SafetensorsHeader::read_from(path, &mut f, file_len)?;
    f.seek(SeekFrom::Start(header.data_start))
        .map_err(|e| io_error(path, e))?;
    let mut buf = vec![0u8; CHUNK];
    let mut out = Vec::with_capacity(header.tensors.len());
    // Tensors are contiguous and sorted, so one sequential pass reads them.
    for t in header.tensors {
        let mut hasher = Hasher::new(algorithm);
        let mut left = t.len();
        while left > 0 {
            let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
            let chunk = &mut buf[..want];
            f.read_exact(chunk).map_err(|e| io_error(path, e))?;
            hasher.update(chunk);
            left -= want as u64;
        }
        out.push(TensorDigest {
            name: t.name,
            dtype: t.dtype,
            shape: t.shape,
            algorithm: algorithm.name().to_owned(),
            digest: hasher.finalize(),
        });
    }
    Ok(out)
}

/// Options for [`SafeTensorsBuffer::read_verified`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The algorithm the expected digest was made with.
    pub algorithm: HashAlgorithm,
    /// The largest file accepted, in bytes; the buffer never grows past it.
    pub max_size: u64,
}

impl Default for VerifyOptions {
    /// SHA-256 and a 4 GiB cap.
    fn default() -> Self {
        Self {
            algorithm: HashAlgorithm::Sha256,
            max_size: 4 << 30,
        }
    }
}

/// A safetensors file read into memory once, hashed while it was read,
/// matched against an expected digest, and validated. The tensors it hands
/// out borrow from the very bytes that were hashed.
#[derive(Debug)]
pub struct SafeTensorsBuffer {
    /// The file's bytes, in an anonymous mapping of at least one byte.
    bytes: memmap2::MmapMut,
    len: usize,
    header: SafetensorsHeader,
    digest: Digest,
}

/// One tensor borrowed from a [`SafeTensorsBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorView<'a> {
    /// The tensor's name.
    pub name: &'a str,
    /// Its dtype, e.g. `F32`.
    pub dtype: &'a str,
    /// Its shape.
    pub shape: &'a [u64],
    /// Its bytes, little-endian as stored.
    pub data: &'a [u8],
}

impl SafeTensorsBuffer {
    /// Reads `path` into memory (at most `options.max_size` bytes), hashing
    /// each chunk as it arrives; compares the digest with `expected` in
    /// constant time; validates the header; and only then returns the buffer.
    ///
    /// A mismatch is [`FormatError::DigestMismatch`]; a valid digest over an
    /// invalid file is [`FormatError::Safetensors`].
    pub fn read_verified(
        path: &Path,
        expected: &Digest,
        options: &VerifyOptions,
    ) -> Result<Self, FormatError> {
        let mut f = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
            .map_err(|e| io_error(path, e))?;
        let declared = f.metadata().map_err(|e| io_error(path, e))?.len();
        let too_large = |size| FormatError::FileTooLarge {
            path: path.to_path_buf(),
            size,
            max: options.max_size,
        };
        if declared > options.max_size {
            return Err(too_large(declared));
        }
        let capacity = usize::try_from(declared).map_err(|_| too_large(declared))?;
        // An anonymous mapping rather than a `Vec`: it can be asked for huge
        // pages, which cuts the page faults of filling gigabytes of fresh
        // memory, the dominant cost of this read.
        let mut bytes = memmap2::MmapOptions::new()
            .len(capacity.max(1))
            .map_anon()
            .map_err(|e| io_error(path, e))?;
        #[cfg(target_os = "linux")]
        let _ = bytes.advise(memmap2::Advice::HugePage);
        let header = read_verified_into(&mut f, path, expected, options, &mut bytes[..capacity])?;
        Ok(Self {
            bytes,
            len: capacity,
            header,
            digest: *expected,
        })
    }

    /// The validated header.
    pub fn header(&self) -> &SafetensorsHeader {
        &self.header
    }

    /// The digest of the whole file, equal to the expected one.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The whole file as read and hashed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Every tensor, in file order.
    pub fn tensors(&self) -> impl Iterator<Item = TensorView<'_>> {
        self.header.tensors.iter().map(|t| self.view(t))
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<TensorView<'_>> {
        self.header.tensor(name).map(|t| self.view(t))
    }

    fn view<'a>(&'a self, t: &'a TensorInfo) -> TensorView<'a> {
        // Validation proved every range lies inside `bytes`; `get` keeps
        // that a checked fact rather than a panic.
        let [begin, end] = t.file_offsets;
        let data = usize::try_from(begin)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(b, e)| self.as_bytes().get(b..e))
            .unwrap_or_default();
        TensorView {
            name: &t.name,
            dtype: &t.dtype,
            shape: &t.shape,
            data,
        }
    }
}

#[cfg(test)]
#[path = "safetensors_tests.rs"]
mod tests;

/// [`SafeTensorsBuffer::read_verified`] into memory the caller owns: reads
/// `file` (opened from `path` with [`modelseal_hash::open_regular`]) into
/// `buf`, hashing each chunk as it arrives; then the digest must equal
/// `expected` (constant time) and the header must validate. `buf` must be
/// exactly the file's size: a file that is shorter or longer now than when
/// the caller sized `buf` is an error, never a partial read. On any error
/// the bytes in `buf` must not be used.
///
/// For callers whose buffer must belong to someone else, as the Python
/// package's `bytearray` that NumPy arrays then view without a copy.
///
/// # Errors
/// As [`SafeTensorsBuffer::read_verified`].
pub fn read_verified_into(
    file: &mut std::fs::File,
    path: &Path,
    expected: &Digest,
    options: &VerifyOptions,
    buf: &mut [u8],
) -> Result<SafetensorsHeader, FormatError> {
    if buf.len() as u64 > options.max_size {
        return Err(FormatError::FileTooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            max: options.max_size,
        });
    }
    // Read once, hashed on the way in, with page faults taken off the
    // reader's path (see `read_once`).
    let digest =
        read_once::read_hashed(file, path, buf, options.algorithm, read_once::Plan::DEFAULT)?;
    // `Digest`'s equality is constant time.
    if digest != *expected {
        return Err(FormatError::DigestMismatch {
            path: path.to_path_buf(),
            algorithm: options.algorithm.name(),
            expected: expected.to_hex(),
            actual: digest.to_hex(),
        });
    }
    Ok(SafetensorsHeader::from_bytes(
        &path.display().to_string(),
        buf,
    )?)
}
