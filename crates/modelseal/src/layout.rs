//! Where a model's signature and attestations live beside it.

use std::path::{Path, PathBuf};

use modelseal_attest::default_attestations_path;

/// The signature file name inside a directory model.
pub const SIGNATURE_FILE_NAME: &str = "model.sig";

/// Where a model's signature goes by default: `MODEL/model.sig` for a
/// directory, `MODEL.sig` beside a single-file model.
pub fn default_signature_path(model: &Path) -> PathBuf {
    if model.is_dir() {
        model.join(SIGNATURE_FILE_NAME)
    } else {
        let mut name = model.as_os_str().to_owned();
        name.push(".sig");
        PathBuf::from(name)
    }
}

/// When the model's attestations file exists but is not a regular file (a
/// symbolic link, a FIFO), what is wrong with it. It is left out of every
/// walk, so this check stands in for the walk's own.
pub(crate) fn attestations_file_problem(model: &Path) -> Option<(PathBuf, String)> {
    let path = default_attestations_path(model);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    let kind = if meta.file_type().is_symlink() {
        "a symbolic link"
    } else if meta.is_file() {
        return None;
    } else {
        "a special file or directory"
    };
    Some((
        path.clone(),
        format!(
            "`{}` (the attestations file) is {kind}, not a regular file",
            path.display()
        ),
    ))
}
