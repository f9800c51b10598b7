//! The `.npy` header parser must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelseal_formats::NpyHeader;

fuzz_target!(|data: &[u8]| {
    let _ = NpyHeader::parse("fuzz.npy", data);
});
