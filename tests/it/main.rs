//! modelseal's integration tests: one binary, a module per area.

mod adversarial;
mod attest;
mod contracts;
mod first_use;
mod formats;
mod hash;
mod hook;
mod interop;
mod inventory;
mod keyless;
mod keys;
mod known_good;
mod layouts;
mod report;
mod schemas;
mod sign_verify;
mod status;
mod support;
