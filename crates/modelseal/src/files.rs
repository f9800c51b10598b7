//! Reading inputs and writing outputs without ever destroying the user's data.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::Error;

/// Reads at most `limit` bytes of a file; a larger file is an error rather
/// than an unbounded allocation.
pub(crate) fn read_capped(path: &Path, limit: usize) -> Result<Vec<u8>, Error> {
    // Never blocks on a FIFO, never reads a device: a hostile `model.sig`
    // must not hang verification.
    modelseal_hash::read_regular(path, modelseal_hash::Links::Follow, limit as u64)
        .map_err(|e| Error::io("read", path, e))
}

/// Keys, certificates and passwords are small; this bounds what is read.
pub(crate) const MAX_SMALL_FILE: usize = 1 << 20;

/// Reads a small text file (a key, a certificate).
pub(crate) fn read_text(path: &Path) -> Result<Zeroizing<String>, Error> {
    let bytes = Zeroizing::new(read_capped(path, MAX_SMALL_FILE)?);
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::io(
            "read",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Writes a file atomically: the content goes to a temporary file in the
/// same directory, which then takes the final name. Without `overwrite`, an
/// existing file is never replaced (the final step fails instead); with it,
/// the old file stays intact until the new one is complete.
pub(crate) fn write_atomic(
    path: &Path,
    contents: &[u8],
    mode: u32,
    overwrite: bool,
) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;

    if !overwrite && fs::symlink_metadata(path).is_ok() {
        return Err(Error::Exists {
            path: path.to_owned(),
        });
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".modelseal-")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)
        .map_err(|e| Error::io("write", path, e))?;
    temp.write_all(contents)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("write", path, e))?;
    if overwrite {
        temp.persist(path)
            .map_err(|e| Error::io("write", path, e.error))?;
    } else {
        temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists {
                    path: path.to_owned(),
                }
            } else {
                Error::io("write", path, e.error)
            }
        })?;
    }
    Ok(())
}
