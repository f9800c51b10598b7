//! A per-input allocation cap for the fuzz targets: a global allocator that
//! counts the heap bytes live, so a target can assert what one call of a
//! parser of untrusted input holds at its peak (libFuzzer's
//! `-malloc_limit_mb` only sees single allocations, `-rss_limit_mb` the
//! whole process).
//!
//! Used by `#[path = "../common/peak.rs"] mod peak;` in each target that
//! checks a parser's memory; `peak::Counting` must be its global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Counts live bytes around the system allocator (which the sanitizers
/// intercept as usual).
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(live, Relaxed);
}

// SAFETY: every call forwards to `System` with the caller's arguments and
// only adds bookkeeping on the side; the contracts are `System`'s.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller guarantees for `GlobalAlloc::alloc`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller guarantees for `GlobalAlloc::alloc_zeroed`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: `p` came from this allocator with `layout`.
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as the caller guarantees for `GlobalAlloc::realloc`.
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            // Counted as the old block and the new one live at once, as
            // they may be while the bytes move.
            grew(new_size);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        q
    }
}

/// Runs `f` and returns its result with the most heap bytes it held at
/// once beyond those live when it started (its result included).
pub fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = f();
    (out, PEAK.load(Relaxed).saturating_sub(base))
}

/// Panics (a libFuzzer crash, with the input saved) when `f` holds more
/// than `per_byte` bytes per input byte plus `fixed`.
pub fn capped<T>(
    what: &str,
    len: usize,
    per_byte: usize,
    fixed: usize,
    f: impl FnOnce() -> T,
) -> T {
    let (out, peak) = peak_of(f);
    let cap = len.saturating_mul(per_byte).saturating_add(fixed);
    assert!(
        peak <= cap,
        "{what} held {peak} bytes at its peak for a {len}-byte input, over its cap of {cap} \
         ({per_byte} per byte + {fixed})"
    );
    out
}
