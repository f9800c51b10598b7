//! The GGUF parser must never panic or allocate past the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelseal_formats::GgufHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = GgufHeader::from_bytes("fuzz.gguf", data) {
        assert!(h.metadata.len() as u64 == h.metadata_kv_count);
        assert!(h.tensors.len() as u64 == h.tensor_count);
    }
});
