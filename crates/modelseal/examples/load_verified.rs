//! Loads a safetensors file of a signed model the safe way: the signature is
//! checked, the file is read into memory once and hashed as it is read, and
//! the tensors come from the bytes that matched the signed digest.
//!
//! ```console
//! $ cargo run --release --example load_verified -p modelseal -- MODEL_DIR FILE PUBLIC_KEY.pem [SIGNATURE]
//! ```
//!
//! Exit code 0 when the file verified and loaded, 1 when it did not verify,
//! 2 on usage or I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use modelseal::{LoadOptions, Trust, load_public_key, load_safetensors};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, file, key, signature) = match args.as_slice() {
        [model, file, key] => (model, file, key, None),
        [model, file, key, signature] => (model, file, key, Some(PathBuf::from(signature))),
        _ => {
            eprintln!("usage: load_verified MODEL_DIR FILE PUBLIC_KEY.pem [SIGNATURE]");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let trust = match load_public_key(key.as_ref()) {
        Ok(key) => Trust::PublicKey(key),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut options = LoadOptions::new(trust);
    options.signature = signature;
    let loaded = match load_safetensors(model.as_ref(), file, &options) {
        Ok(loaded) => loaded,
        Err(error) => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            eprintln!("error: {message}");
            return ExitCode::from(if error.is_verification_failure() {
                1
            } else {
                2
            });
        }
    };
    let mut tensors = 0usize;
    let mut bytes = 0usize;
    for tensor in loaded.tensors() {
        // A real loader would hand `tensor.data` to its framework here.
        tensors += 1;
        bytes += tensor.data.len();
        if tensors <= 10 {
            println!(
                "{}  {} {:?}  {} bytes",
                tensor.name,
                tensor.dtype,
                tensor.shape,
                tensor.data.len()
            );
        }
    }
    if tensors > 10 {
        println!("… and {} more tensors", tensors - 10);
    }
    println!(
        "loaded {tensors} verified tensors ({bytes} bytes) from `{file}` in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}
