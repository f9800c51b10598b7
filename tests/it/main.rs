//! modelseal's integration tests: one binary, a module per area.

mod attest;
mod formats;
mod hash;
mod hook;
mod interop;
mod layouts;
mod sign_verify;
mod status;
mod support;
