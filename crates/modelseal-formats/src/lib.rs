//! Identify model file formats and check whether they are safe to load.
//!
//! A matching digest says a file is the one that was signed, not that it is
//! safe to load: pickle-based checkpoints run code when loaded, and hostile
//! safetensors headers have crashed loaders. This crate reads model files as
//! untrusted bytes: it caps every length against the file size before
//! allocating, uses checked arithmetic, executes nothing, and never panics.
//!
//! Which type for what:
//! - [`identify`] / [`identify_bytes`] give a [`FileFormat`] from content
//!   and name.
//! - [`inspect_file`] with [`InspectOptions`] gives a [`FileReport`]: the
//!   format, a [`Verdict`] (safe, unsafe with reasons, invalid with
//!   [`Problem`]s, or unchecked) and format [`Details`]; it serializes to the
//!   versioned JSON contract ([`REPORT_VERSION`]).
//! - [`SafetensorsHeader`] validates a safetensors header, one
//!   [`SafetensorsError`] per rule; [`tensor_digests`] hashes every tensor's
//!   byte range into [`TensorDigest`]s.
//! - [`SafeTensorsBuffer::read_verified`] reads a safetensors file once,
//!   hashing as it reads, checks the digest and the header, and lends out
//!   [`TensorView`]s of exactly the bytes that were hashed.
//! - [`scan_pickle`] walks pickle opcodes without executing them and rates
//!   each imported global ([`PickleScan`], [`GlobalRisk`], [`PickleRisk`]);
//!   [`AllowGlobals`] lists a project's own classes to rate them allowed
//!   ([`scan_pickle_allowing`], [`InspectOptions::allow_globals`]).
//! - [`GgufHeader`] parses GGUF metadata and tensor tables; [`NpyHeader`]
//!   parses NumPy headers.
//! - [`FormatError`] is the error of every fallible call.
//!
//! ```
//! use modelseal_formats::{inspect_file, FileFormat, InspectOptions, Verdict};
//!
//! let dir = tempfile::tempdir()?;
//! // A pickle that would call os.system('id') when loaded.
//! let evil = dir.path().join("model.pkl");
//! std::fs::write(&evil, b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.")?;
//!
//! let report = inspect_file(&evil, &InspectOptions::default())?;
//! assert_eq!(report.format, FileFormat::Pickle);
//! assert!(matches!(report.verdict, Verdict::Unsafe { .. }));
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod gguf;
mod identify;
mod json;
mod keras;
mod npy;
mod pickle;
mod read_once;
mod report;
mod safetensors;

pub use error::FormatError;

/// The most memory the parsed header of one safetensors or GGUF file may
/// hold: 32 MiB, counting each tensor or metadata entry as [`ENTRY_COST`]
/// bytes plus its strings (a GGUF name twice, for the duplicate check) and
/// 8 bytes per dimension. That is about 100,000 tensors with 64-byte names,
/// far more than any model file holds. A header that needs more is refused
/// as soon as it does (`header_too_complex`), so checking a file costs at
/// most this much whatever it holds: the format gate checks one file per
/// thread.
pub const MAX_HEADER_MEMORY: u64 = 32 << 20;
/// What one tensor or metadata entry costs beyond its strings, as
/// [`MAX_HEADER_MEMORY`] counts: its struct, its allocations and its share
/// of the tables that hold it (measured, rounded up).
pub const ENTRY_COST: usize = 256;
pub use gguf::{GgufError, GgufHeader, GgufKv, GgufTensor, GgufValue};
pub use identify::{
    FileFormat, SNIFF_LEN, identify, identify_as, identify_as_with, identify_bytes,
};
pub use npy::{NpyError, NpyHeader};
pub use pickle::{
    AllowGlobalError, AllowGlobals, DYNAMIC, GlobalRisk, MAX_GLOBALS, PickleGlobal, PickleLimits,
    PickleRisk, PickleScan, classify_global, is_opcode, scan_pickle, scan_pickle_allowing,
    scan_pickle_reader,
};
pub use report::{
    Details, FileReport, InspectOptions, NpyMember, PickleMember, Problem, REPORT_VERSION, Verdict,
    inspect_file, inspect_file_as,
};
pub use safetensors::{
    MAX_DIMS, MAX_HEADER_LEN, MAX_HEADER_STRING, SafeTensorsBuffer, SafetensorsError,
    SafetensorsHeader, TensorDigest, TensorInfo, TensorView, VerifyOptions, dtype_bits,
    read_verified_into, tensor_digests,
};
