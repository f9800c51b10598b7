//! The pickle walker must never panic, and stays within its opcode limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelseal_formats::{PickleLimits, scan_pickle};

fuzz_target!(|data: &[u8]| {
    let limits = PickleLimits { max_opcodes: 100_000, ..PickleLimits::default() };
    let scan = scan_pickle(data, &limits);
    assert!(scan.opcodes <= limits.max_opcodes);
    assert!(scan.trailing_bytes <= data.len() as u64);
});
