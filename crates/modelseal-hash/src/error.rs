//! Errors of the walk and the hashing engine.

use std::io;
use std::path::{Path, PathBuf};

/// What can go wrong while walking or hashing a model. Every variant names
/// the path it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    #[error("cannot read `{path}`")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A file name is not valid UTF-8, so it cannot be named in a manifest.
    #[error("`{path}`: file name is not valid UTF-8")]
    NonUtf8Name {
        /// The path, lossily shown.
        path: PathBuf,
    },
    /// No file is left to hash after exclusions.
    #[error("`{path}`: the model has no files to hash (empty, or everything is excluded)")]
    EmptyModel {
        /// The model path.
        path: PathBuf,
    },
    /// A FIFO, socket or device where a regular file was expected.
    #[error("`{path}` is {kind}, not a regular file")]
    SpecialFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// A symbolic link while symlinks are not allowed.
    #[error("`{path}` is a symbolic link, and symbolic links are refused unless allowed")]
    SymlinkNotAllowed {
        /// The link.
        path: PathBuf,
    },
    /// A symbolic link whose target is outside the model.
    #[error("`{path}` is a symbolic link to `{target}`, which is outside the model")]
    SymlinkEscapes {
        /// The link.
        path: PathBuf,
        /// Where it resolves to.
        target: PathBuf,
    },
    /// A symbolic link that leads back to one of its own ancestors.
    #[error("`{path}` is a symbolic link that forms a cycle")]
    SymlinkCycle {
        /// The link.
        path: PathBuf,
    },
    /// A symbolic link whose target does not exist or cannot be resolved.
    #[error("`{path}` is a symbolic link that cannot be resolved")]
    BrokenSymlink {
        /// The link.
        path: PathBuf,
        /// Why it could not be resolved.
        #[source]
        source: io::Error,
    },
    /// A link into a directory that a link already led the walk into.
    #[error("`{path}` is a symbolic link to `{target}`, which another link already leads into")]
    SymlinkRepeated {
        /// The link.
        path: PathBuf,
        /// The directory.
        target: PathBuf,
    },
    /// More files than one walk lists.
    #[error("`{path}`: the model has more than {max} files")]
    TooManyFiles {
        /// Where the walk stopped.
        path: PathBuf,
        /// The limit.
        max: usize,
    },
    /// A directory tree nested deeper than the walk allows.
    #[error("`{path}` is nested too deeply")]
    TooDeep {
        /// The directory.
        path: PathBuf,
    },
    /// An ignore path that is not an exact path inside the model.
    #[error("invalid ignore path `{path}`: {reason}")]
    InvalidIgnorePath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A file's size changed between the walk and the hashing.
    #[error("`{path}` changed while being hashed (expected {expected} bytes, found {found})")]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// The size the walk saw.
        expected: u64,
        /// The size found while hashing.
        found: u64,
    },
    /// The path was made to name another file while it was hashed.
    #[error("`{path}` was replaced by another file while it was hashed")]
    FileReplaced {
        /// The file.
        path: PathBuf,
    },
    /// A shard size of zero.
    #[error("invalid shard size 0: it must be at least 1 byte")]
    InvalidShardSize,
    /// The thread pool could not be built.
    #[error("cannot start {threads} hashing threads")]
    ThreadPool {
        /// The requested number of threads.
        threads: usize,
        /// Rayon's error.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// Several files failed; each is listed.
    #[error("{} files could not be hashed: {}", .0.len(), join_errors(.0))]
    Many(Vec<Error>),
}

impl Error {
    /// The individual failures: the list for [`Error::Many`], else itself.
    pub fn failures(&self) -> &[Error] {
        match self {
            Error::Many(errors) => errors,
            other => std::slice::from_ref(other),
        }
    }
}

fn join_errors(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io {
        path: path.to_owned(),
        source,
    }
}
