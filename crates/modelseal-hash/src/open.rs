//! Opening untrusted paths without hanging or being redirected.
//!
//! A plain `open(2)` of a FIFO blocks until a writer appears, and a device
//! can feed endless data: a hostile `model.sig`, attestations file or model
//! file swapped after the walk would hang or exhaust modelseal. Every reader
//! of untrusted input opens through [`open_regular`]: `O_NONBLOCK` (a FIFO
//! opens at once instead of blocking), `O_NOFOLLOW` where a link is not
//! allowed, then `fstat` on the open descriptor must say regular file before
//! a byte is read. On regular files `O_NONBLOCK` changes nothing.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Whether the last component of a path may be a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow a link (the target must still be a regular file).
    Follow,
    /// Refuse a link (`O_NOFOLLOW`).
    Refuse,
}

/// Opens `path` for reading, refusing anything but a regular file without
/// blocking on it. See the module documentation.
///
/// # Errors
/// The operating system's error, or `InvalidInput` naming what the path is
/// instead of a regular file (a link under [`Links::Refuse`], a FIFO, a
/// socket, a device, a directory).
pub fn open_regular(path: &Path, links: Links) -> io::Result<File> {
    open_regular_with(path, OpenOptions::new().read(true), links)
}

/// [`open_regular`] with the caller's options (to append, say).
///
/// # Errors
/// As [`open_regular`].
pub fn open_regular_with(path: &Path, options: &mut OpenOptions, links: Links) -> io::Result<File> {
    open_regular_stat(path, options, links).map(|(file, _)| file)
}

/// [`open_regular_with`], also giving the `fstat` it checked (one system
/// call less for a caller that needs the size).
///
/// # Errors
/// As [`open_regular`].
pub fn open_regular_stat(
    path: &Path,
    options: &mut OpenOptions,
    links: Links,
) -> io::Result<(File, std::fs::Metadata)> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    options.custom_flags(flags);
    let file = options.open(path).map_err(|e| {
        // O_NOFOLLOW on a link fails with ELOOP: say what it is.
        if links == Links::Refuse
            && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is a symbolic link, not a regular file",
            )
        } else {
            e
        }
    })?;
    let metadata = file.metadata()?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", describe(&kind)),
        ));
    }
    Ok((file, metadata))
}

/// Reads a whole untrusted file opened with [`open_regular`], at most
/// `limit` bytes: a larger file (or one that grows past the limit while
/// read) is an `InvalidData` error saying so, never an unbounded
/// allocation.
///
/// # Errors
/// As [`open_regular`], and the size limit.
pub fn read_regular(path: &Path, links: Links, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = open_regular(path, links)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {limit}-byte limit for this kind of file"),
        ));
    }
    Ok(bytes)
}

fn describe(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_open_and_nothing_blocks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").expect("write");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        let fifo_link = dir.path().join("fifo-link");
        std::os::unix::fs::symlink(&fifo, &fifo_link).expect("symlink");

        assert!(open_regular(&file, Links::Refuse).is_ok());
        assert!(open_regular(&link, Links::Follow).is_ok());
        let cases: [(&Path, Links, &str); 5] = [
            (&link, Links::Refuse, "symbolic link"),
            (&fifo, Links::Follow, "a FIFO"),
            (&fifo_link, Links::Follow, "a FIFO"),
            (Path::new("/dev/zero"), Links::Follow, "a character device"),
            (dir.path(), Links::Follow, "a directory"),
        ];
        for (path, links, says) in cases {
            let error = open_regular(path, links).expect_err("refused");
            assert!(
                error.to_string().contains(says),
                "{}: {error}",
                path.display()
            );
        }
    }
}
