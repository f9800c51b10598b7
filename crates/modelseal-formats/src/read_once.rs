//! Reading a file into memory once while hashing it, for verify-on-load.
//!
//! The file is read block by block straight into its final place; each
//! filled block goes, read-only, to a second thread that hashes it while the
//! next one is read. The costly part is not the copy but the fresh memory:
//! the first write to each page makes the kernel allocate and zero it, and
//! in a virtual machine the host may have to back it too. Letting `read(2)`
//! take those faults puts them all on the reader's path. So whichever thread
//! would otherwise wait (the reader when the hasher is behind, the hasher
//! when it has nothing to hash) touches the next untouched block ahead of
//! the reader instead. The reader then copies into memory that is already
//! there, and the fault cost overlaps the hashing.
//!
//! Blocks move between the threads as `&mut [u8]` under a mutex, so the
//! crate stays free of `unsafe`: a block is touched only by the thread that
//! took it, and reaches the reader only after it was touched.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc::{TryRecvError, TrySendError, sync_channel};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use modelseal_hash::{Digest, HashAlgorithm, Hasher};

use crate::error::{FormatError, io_error};

/// How the file is cut up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Bytes per block: the unit of reading, hashing and pre-faulting.
    pub(crate) block: usize,
    /// Filled blocks that may wait for the hasher.
    pub(crate) depth: usize,
}

impl Plan {
    /// 2 MiB blocks (the size of a huge page); 32 MiB may wait for the
    /// hash.
    pub(crate) const DEFAULT: Plan = Plan {
        block: 2 << 20,
        depth: 16,
    };
}

/// The smallest page size on the platforms we run on: touching one byte
/// per 4 KiB faults in every page, huge or not.
const PAGE: usize = 4096;

/// Reads exactly `buf.len()` bytes of `f` into `buf` while hashing them with
/// `algorithm`, then checks that the file ends there. `path` names the file
/// in errors.
pub(crate) fn read_hashed(
    f: &mut File,
    path: &Path,
    buf: &mut [u8],
    algorithm: HashAlgorithm,
    plan: Plan,
) -> Result<Digest, FormatError> {
    let block = plan.block.max(1).next_multiple_of(PAGE);
    let blocks = Blocks::new(buf, block);
    std::thread::scope(|scope| {
        let (filled, chunks) = sync_channel::<&[u8]>(plan.depth.max(1));
        let blocks = &blocks;
        let hashing = scope.spawn(move || {
            let mut hasher = Hasher::new(algorithm);
            loop {
                let chunk = match chunks.try_recv() {
                    Ok(chunk) => chunk,
                    Err(TryRecvError::Empty) => {
                        if blocks.fault_ahead() {
                            continue;
                        }
                        match chunks.recv() {
                            Ok(chunk) => chunk,
                            Err(_) => break,
                        }
                    }
                    Err(TryRecvError::Disconnected) => break,
                };
                hasher.update(chunk);
            }
            hasher.finalize()
        });
        let read = (|| {
            let mut offset = 0u64;
            for i in 0..blocks.len {
                let block = blocks.take(i);
                fill(f, block, path, offset)?;
                offset += block.len() as u64;
                let mut chunk: &[u8] = block;
                loop {
                    match filled.try_send(chunk) {
                        Ok(()) => break,
                        Err(TrySendError::Full(back)) => {
                            chunk = back;
                            if !blocks.fault_ahead() {
                                filled.send(chunk).map_err(|_| hasher_failed(path))?;
                                break;
                            }
                        }
                        Err(TrySendError::Disconnected(_)) => return Err(hasher_failed(path)),
                    }
                }
            }
            // The file must end where `fstat` said: more bytes mean it grew.
            let mut probe = [0u8; 1];
            loop {
                match f.read(&mut probe) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {
                        return Err(io_error(
                            path,
                            io::Error::other(format!(
                                "the file grew past its {offset} bytes while being read"
                            )),
                        ));
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_error(path, e)),
                }
            }
        })();
        if read.is_err() {
            blocks.close();
        }
        drop(filled);
        let digest = hashing.join().map_err(|_| hasher_failed(path));
        read?;
        digest
    })
}

fn hasher_failed(path: &Path) -> FormatError {
    io_error(path, io::Error::other("the hashing thread failed"))
}

/// Reads exactly `buf.len()` bytes; running out first means the file shrank
/// after `fstat`.
fn fill(f: &mut File, buf: &mut [u8], path: &Path, offset: u64) -> Result<(), FormatError> {
    let mut done = 0;
    while done < buf.len() {
        match f.read(&mut buf[done..]) {
            Ok(0) => {
                let at = offset + done as u64;
                return Err(io_error(
                    path,
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the file ended at byte {at} while being read (it shrank)"),
                    ),
                ));
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(path, e)),
        }
    }
    Ok(())
}

/// The buffer's blocks, each either untouched, being touched by one thread,
/// touched and waiting for the reader, or taken by the reader.
///
/// Faulting in has no bound short of the buffer's end: the whole buffer is
/// needed anyway, and faulting it in early is what pays. Capping it at
/// 128 MiB ahead of the reader made a 4 GiB load 1.36× the hash time
/// instead of 0.87× (benches/bench.sh, case g). A read that fails half-way
/// has touched memory for nothing, which is freed with the buffer.
struct Blocks<'a> {
    len: usize,
    state: Mutex<State<'a>>,
    touched: Condvar,
}

struct State<'a> {
    /// Blocks no thread has taken yet.
    untouched: Vec<Option<&'a mut [u8]>>,
    /// Blocks faulted in ahead of the reader.
    ready: Vec<Option<&'a mut [u8]>>,
    /// The next block worth faulting in: past the reader and past every
    /// block already claimed. `len` once reading stopped.
    next: usize,
}

impl<'a> Blocks<'a> {
    fn new(buf: &'a mut [u8], block: usize) -> Self {
        let untouched: Vec<_> = buf.chunks_mut(block).map(Some).collect();
        let len = untouched.len();
        Self {
            len,
            state: Mutex::new(State {
                untouched,
                ready: (0..len).map(|_| None).collect(),
                next: 0,
            }),
            touched: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<'a>> {
        // No code holding the lock can panic, and the state stays
        // consistent at every step anyway.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Block `i`, for the reader, who takes them in order: untouched,
    /// faulted in, or (if the other thread is faulting it in right now)
    /// as soon as that is done.
    fn take(&self, i: usize) -> &'a mut [u8] {
        let mut state = self.lock();
        state.next = state.next.max(i + 1);
        loop {
            if let Some(block) = state.untouched[i].take() {
                return block;
            }
            if let Some(block) = state.ready[i].take() {
                return block;
            }
            state = self
                .touched
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Faults in the next untouched block ahead of the reader. `false` when
    /// none is left.
    fn fault_ahead(&self) -> bool {
        let (i, block) = {
            let mut state = self.lock();
            let mut i = state.next;
            while i < self.len && state.untouched[i].is_none() {
                i += 1;
            }
            if i >= self.len {
                return false;
            }
            state.next = i + 1;
            match state.untouched[i].take() {
                Some(block) => (i, block),
                None => return false,
            }
        };
        // One write per page makes the kernel allocate it now, off the
        // reader's path. What is written does not matter: the reader
        // overwrites the whole block before anyone else sees it.
        for byte in block.iter_mut().step_by(PAGE) {
            *byte = 0;
        }
        self.lock().ready[i] = Some(block);
        self.touched.notify_all();
        true
    }

    /// Stops faulting in: reading failed, and the rest is not needed.
    fn close(&self) {
        self.lock().next = self.len;
    }
}

#[cfg(test)]
#[path = "read_once_tests.rs"]
mod tests;
