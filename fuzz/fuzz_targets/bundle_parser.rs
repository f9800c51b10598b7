//! The OMS bundle reader, the verifier and the in-toto statement parser must
//! never panic on untrusted bytes (a `model.sig` comes from whoever shipped
//! the model), and what the reader accepts must survive a write/read round
//! trip unchanged.
//!
//! Memory: everything before the signature is trusted is capped per input
//! (`peak::capped`). Reading a bundle may hold 4 bytes per input byte (the
//! decoded base64 fields, entries kept as text, strings with escapes) plus
//! 64 KiB; checking its signature 5 (the pre-authentication encoding on
//! top). A `Value` tree of the input, as `tlogEntries` used to be, costs
//! tens of bytes per byte and fails here.
//!
//! Seeds: the bundles and statements under crates/modelseal-oms/tests/data.
//! The trusted keys are the signers of those seeds, so a seed verifies fully
//! and mutations of it exercise every step after the signature check too.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use modelseal_oms::bundle::Bundle;
use modelseal_oms::{PublicKey, Trust, parse_statement, verify_bundle, verify_statement};

#[path = "../common/peak.rs"]
mod peak;

#[global_allocator]
static ALLOCATOR: peak::Counting = peak::Counting;

/// crates/modelseal-oms/tests/data/spec-vectors/signer.pub (P-384): signs
/// spec-vectors/valid/key.bundle.json.
const SPEC_SIGNER_PEM: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEsu6rZGBTjxtvRWPMixT+3HyndV0J0Ybt
aHZUcO4DEK+OJHO/4e32bb/fbJKSpRgcBsIpKLcVijUomyFOERbd7u+BTPSUjGZD
Qq6J7lTvp/EAXQGOKxW9RP0MGX3qAkvi
-----END PUBLIC KEY-----
";

/// crates/modelseal-oms/tests/data/reference-sample/key.pub (P-256): signs
/// reference-sample/model.sig (written by model-signing 1.1.1).
const REFERENCE_SIGNER_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEv6zTilcotZzXhGFj9UQsqZNVr61z
880QZyyVg6ZrAccF10KA9idT3ICQqmOQ3IWv0poXymZkVZKNXFAgIo9yvA==
-----END PUBLIC KEY-----
";

static TRUSTS: LazyLock<[Trust; 2]> = LazyLock::new(|| {
    let key = |pem| Trust::PublicKey(PublicKey::from_pem(pem).expect("fixed public key parses"));
    [key(SPEC_SIGNER_PEM), key(REFERENCE_SIGNER_PEM)]
});

fuzz_target!(|data: &[u8]| {
    let trusts = &*TRUSTS;
    let parsed = peak::capped("Bundle::from_json", data.len(), 4, 64 << 10, || Bundle::from_json(data));
    for trust in trusts.iter() {
        let _ = peak::capped("verify_statement", data.len(), 5, 64 << 10, || {
            verify_statement(data, trust)
        });
    }
    if let Ok(bundle) = parsed {
        // The DSSE payload is as untrusted as the bundle around it.
        let _ = parse_statement(&bundle.envelope.payload);
        let written = bundle.to_json();
        let reread = Bundle::from_json(&written).expect("a bundle this crate wrote must parse");
        // to_json writes an absent `tlogEntries` as `[]` (documented).
        let mut expected = bundle;
        expected.tlog_entries.get_or_insert_with(Vec::new);
        assert_eq!(reread, expected, "bundle changed in a write/read round trip");
    }
    for trust in trusts.iter() {
        if let Ok(verified) = verify_bundle(data, trust) {
            // Only reachable with a valid signature, i.e. from a seed.
            let _ = verified.manifest.resources.len();
        }
    }
    let _ = parse_statement(data);
});
