//! The safetensors validator must never panic, and what it accepts must be
//! consistent: contiguous tensors inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelseal_formats::SafetensorsHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = SafetensorsHeader::from_bytes("fuzz.safetensors", data) {
        let mut end = 0;
        for t in &h.tensors {
            assert_eq!(t.data_offsets[0], end);
            end = t.data_offsets[1];
            assert!(t.file_offsets[1] <= data.len() as u64);
        }
        assert_eq!(h.data_start + end, data.len() as u64);
    }
});
