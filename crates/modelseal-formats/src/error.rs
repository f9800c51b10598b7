//! The error type of every fallible call in this crate.

use std::io;
use std::path::{Path, PathBuf};

use crate::gguf::GgufError;
use crate::npy::NpyError;
use crate::safetensors::SafetensorsError;

/// Why a file could not be read, inspected or verified.
///
/// I/O failures, size limits and digest mismatches are their own variants,
/// so a caller can tell a disk error from tampering from a malformed file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Reading the file failed.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file is larger than the caller allows.
    #[error("`{}` is {size} bytes, over the limit of {max}", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or the bytes read before stopping).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The bytes read do not have the expected digest.
    #[error("`{}` does not match the expected {algorithm} digest (expected {expected}, got {actual})", path.display())]
    DigestMismatch {
        /// The file.
        path: PathBuf,
        /// The algorithm.
        algorithm: &'static str,
        /// The expected digest, hex.
        expected: String,
        /// The digest of the bytes read, hex.
        actual: String,
    },
    /// The file breaks a safetensors rule.
    #[error(transparent)]
    Safetensors(#[from] SafetensorsError),
    /// The file breaks a GGUF rule.
    #[error(transparent)]
    Gguf(#[from] GgufError),
    /// The file breaks a NumPy `.npy` rule.
    #[error(transparent)]
    Npy(#[from] NpyError),
    /// The ZIP container could not be read.
    #[error("`{}`: {reason}", path.display())]
    Zip {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

pub(crate) fn io_error(path: &Path, source: io::Error) -> FormatError {
    FormatError::Io {
        path: path.to_path_buf(),
        source,
    }
}
