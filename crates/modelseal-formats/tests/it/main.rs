//! Integration tests against the committed fixtures in `tests/data`
//! (regenerate them with `tests/data/make.py`).

mod inspect;
mod safetensors;

use std::path::PathBuf;

/// The path of a committed fixture.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
