//! The one place that maps files into memory.
//!
//! Large byte ranges are hashed through windows of a few MiB mapped one at a
//! time, never a whole-file map: touched pages of a mapping count towards
//! the process's resident set, so one window at a time keeps peak RSS
//! bounded whatever the file size, while avoiding the copy a `read` into a
//! buffer costs.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;

use memmap2::{Advice, Mmap, MmapOptions};

/// Maps `len` bytes of `file` starting at `offset`, read-only.
pub(crate) fn map_window(file: &File, offset: u64, len: usize) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only and private to this call's caller,
    // which only reads it as a byte slice while hashing. The documented
    // hazard of file mappings is that another process may modify or truncate
    // the file meanwhile: modification only changes the bytes hashed (which
    // then fail to match, as with `read`); truncation below the mapped range
    // makes the kernel raise SIGBUS, ending the process rather than reading
    // undefined memory. Callers map only ranges inside the size `fstat`
    // reported when the file was opened.
    let map = unsafe { MmapOptions::new().offset(offset).len(len).map(file)? };
    // No MADV_SEQUENTIAL: it makes the kernel drop pages behind the reader,
    // which evicts a warm page cache and measured 15-30% slower here.
    Ok(map)
}

/// Asks the kernel to start reading a window that will be hashed next, so
/// disk reads overlap the hashing of the current window.
pub(crate) fn prefetch(map: &Mmap) {
    let _ = map.advise(Advice::WillNeed);
}
