//! Structural validation of safetensors files, per-tensor digests, and
//! verify-on-load.
//!
//! The file is an 8-byte little-endian header length `N`, `N` bytes of UTF-8
//! JSON, then the data section. Every rule below is ours, with its own
//! [`SafetensorsError`] variant; the `safetensors` crate supplies only the
//! dtype table.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use modelseal_hash::{Digest, HashAlgorithm, Hasher};
use serde::Serialize;
use serde::de::{Deserialize, IntoDeserializer, value::Error as DtypeError};

use crate::error::{FormatError, io_error};
use crate::json::Json;
use crate::read_once;

/// The largest header accepted, in bytes (the reference loader's limit).
pub const MAX_HEADER_LEN: u64 = 100_000_000;

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
    /// of a file of `file_len` bytes.
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
        // Capped above at MAX_HEADER_LEN and at the file size.
        let mut header = Vec::new();
        reader
            .take(len)
            .read_to_end(&mut header)
            .map_err(|e| io_error(path, e))?;
        if (header.len() as u64) < len {
            return Err(io_error(
                path,
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while reading the safetensors header",
                ),
            ));
        }
        Ok(Self::parse(file, &header, file_len)?)
    }

    /// Validates the JSON header bytes (without the 8-byte length) of a file
    /// of `file_len` bytes.
    pub fn parse(file: &str, header: &[u8], file_len: u64) -> Result<Self, SafetensorsError> {
        let err_file = || file.to_owned();
        let header_len = header.len() as u64;
        let data_start = header_len
            .checked_add(8)
            .filter(|&s| s <= file_len)
            .ok_or_else(|| SafetensorsError::HeaderBeyondFile {
                file: err_file(),
                len: header_len,
                available: file_len.saturating_sub(8),
            })?;
        let data_len = file_len - data_start;
        if header.first() != Some(&b'{') {
            return Err(SafetensorsError::HeaderNotObjectStart {
                file: err_file(),
                first: header.first().copied(),
            });
        }
        if let Err(e) = std::str::from_utf8(header) {
            return Err(SafetensorsError::HeaderNotUtf8 {
                file: err_file(),
                offset: e.valid_up_to(),
            });
        }
        let json = Json::parse(header).map_err(|e| SafetensorsError::HeaderNotJson {
            file: err_file(),
            reason: e.to_string(),
        })?;
        let Json::Object(entries) = json else {
            return Err(SafetensorsError::HeaderNotObject {
                file: err_file(),
                found: json.type_name(),
            });
        };

        let mut seen = HashSet::new();
        let mut metadata = None;
        let mut tensors = Vec::new();
        for (key, value) in entries {
            if !seen.insert(key.clone()) {
                return Err(SafetensorsError::DuplicateKey {
                    file: err_file(),
                    key,
                });
            }
            if key == "__metadata__" {
                metadata = Some(parse_metadata(file, value)?);
            } else {
                tensors.push(parse_tensor(file, key, value, data_start)?);
            }
        }

        // File order: by begin, then by end so empty tensors come first.
        tensors.sort_by_key(|t| t.data_offsets);
        let mut position = 0u64;
        let mut previous: Option<&TensorInfo> = None;
        for t in &tensors {
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

fn parse_metadata(file: &str, value: Json) -> Result<BTreeMap<String, String>, SafetensorsError> {
    let Json::Object(entries) = value else {
        return Err(SafetensorsError::MetadataNotObject {
            file: file.into(),
            found: value.type_name(),
        });
    };
    let mut map = BTreeMap::new();
    for (key, value) in entries {
        let Json::String(s) = value else {
            return Err(SafetensorsError::MetadataNotString {
                file: file.into(),
                key,
                found: value.type_name(),
            });
        };
        if map.contains_key(&key) {
            return Err(SafetensorsError::MetadataDuplicateKey {
                file: file.into(),
                key,
            });
        }
        map.insert(key, s);
    }
    Ok(map)
}

/// The element size in bits of a dtype name, from the `safetensors` crate's
/// table; `None` for a name it does not know.
pub fn dtype_bits(dtype: &str) -> Option<u64> {
    let de: serde::de::value::StrDeserializer<'_, DtypeError> = dtype.into_deserializer();
    safetensors::Dtype::deserialize(de)
        .ok()
        .map(|d| d.bitsize() as u64)
}

fn parse_tensor(
    file: &str,
    name: String,
    value: Json,
    data_start: u64,
) -> Result<TensorInfo, SafetensorsError> {
    let Json::Object(fields) = value else {
        return Err(SafetensorsError::TensorNotObject {
            file: file.into(),
            tensor: name,
            found: value.type_name(),
        });
    };
    let (mut dtype, mut shape, mut offsets) = (None, None, None);
    for (field, v) in fields {
        let slot = match field.as_str() {
            "dtype" => &mut dtype,
            "shape" => &mut shape,
            "data_offsets" => &mut offsets,
            _ => {
                return Err(SafetensorsError::UnknownField {
                    file: file.into(),
                    tensor: name,
                    field,
                });
            }
        };
        if slot.replace(v).is_some() {
            return Err(SafetensorsError::DuplicateField {
                file: file.into(),
                tensor: name,
                field,
            });
        }
    }
    let missing = |field| SafetensorsError::MissingField {
        file: file.into(),
        tensor: name.clone(),
        field,
    };
    let dtype = dtype.ok_or_else(|| missing("dtype"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;
    let offsets = offsets.ok_or_else(|| missing("data_offsets"))?;

    let Json::String(dtype) = dtype else {
        return Err(SafetensorsError::DtypeNotString {
            file: file.into(),
            tensor: name,
            found: dtype.type_name(),
        });
    };
    let Some(bits) = dtype_bits(&dtype) else {
        return Err(SafetensorsError::UnknownDtype {
            file: file.into(),
            tensor: name,
            dtype,
        });
    };
    let shape: Option<Vec<u64>> = match &shape {
        Json::Array(dims) => dims.iter().map(Json::as_u64).collect(),
        _ => None,
    };
    let Some(shape) = shape else {
        return Err(SafetensorsError::InvalidShape {
            file: file.into(),
            tensor: name,
        });
    };
    let offsets = match &offsets {
        Json::Array(pair) if pair.len() == 2 => pair[0].as_u64().zip(pair[1].as_u64()),
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
        // Read once, hashed on the way in, with page faults taken off the
        // reader's path (see `read_once`).
        let digest = read_once::read_hashed(
            &mut f,
            path,
            &mut bytes[..capacity],
            options.algorithm,
            read_once::Plan::DEFAULT,
        )?;
        // `Digest`'s equality is constant time.
        if digest != *expected {
            return Err(FormatError::DigestMismatch {
                path: path.to_path_buf(),
                algorithm: options.algorithm.name(),
                expected: expected.to_hex(),
                actual: digest.to_hex(),
            });
        }
        let header =
            SafetensorsHeader::from_bytes(&path.display().to_string(), &bytes[..capacity])?;
        Ok(Self {
            bytes,
            len: capacity,
            header,
            digest,
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
