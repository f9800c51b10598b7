//! The pickle walker must never panic, stays within its opcode limit, and
//! finds the same on a stream read a few bytes at a time (window refills
//! at every boundary) as on the whole input.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use modelseal_formats::{AllowGlobals, PickleLimits, scan_pickle, scan_pickle_reader};

/// Hands out at most 3 bytes per read.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(3).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = PickleLimits {
        max_opcodes: 100_000,
        max_line: 64,
        ..PickleLimits::default()
    };
    let scan = scan_pickle(data, &limits);
    assert!(scan.opcodes <= limits.max_opcodes);
    assert!(scan.trailing_bytes <= data.len() as u64);
    let streamed = scan_pickle_reader(Trickle(data), &limits, &AllowGlobals::default())
        .expect("a slice reads without error");
    assert_eq!(scan, streamed);
});
