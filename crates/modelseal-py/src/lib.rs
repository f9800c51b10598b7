//! `modelseal._native`: the Rust half of the `modelseal` Python package.
//!
//! Glue only. [`run`] runs the `modelseal` command line in this process
//! (the same code as the binary, `modelseal_cli`) and hands back its JSON
//! document; the Python half (`python/modelseal/__init__.py`) builds the
//! API on it, so `Report.to_dict()` is the CLI's `--format json` document
//! by construction. [`load_safetensors`] reads a signed file once into a
//! `bytearray`, hashing it on the way in, and returns it only when the
//! digest is the signed one; NumPy arrays then view that memory.
//! Every call releases the GIL while it works.

use std::ffi::OsString;
use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

create_exception!(
    _native,
    Error,
    PyException,
    "An error that stopped modelseal before a verdict (I/O, a bad key file)."
);

/// The command line `argv` (program name first), printing as the binary
/// does; returns the exit code. The package's `modelseal` command.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.detach(|| modelseal_cli::main(argv))
}

/// The command line `argv` with stdout collected: `(exit code, stdout)`.
/// Usage errors raise `ValueError`, a missing file `FileNotFoundError`,
/// anything else `Error`.
#[pyfunction]
fn run(py: Python<'_>, argv: Vec<OsString>) -> PyResult<(u8, Py<PyBytes>)> {
    let outcome = py.detach(|| modelseal_cli::run_captured(argv));
    match outcome {
        Ok((code, out)) => Ok((code, PyBytes::new(py, &out).unbind())),
        Err(modelseal_cli::Failure::Usage(m)) => Err(PyValueError::new_err(m)),
        Err(modelseal_cli::Failure::NotFound(m)) => Err(PyFileNotFoundError::new_err(m)),
        Err(modelseal_cli::Failure::Error(m)) => Err(Error::new_err(m)),
    }
}

/// One tensor of a loaded file: name, dtype, shape and its byte range in
/// the file.
type Tensor = (String, String, Vec<u64>, u64, u64);

/// Reads `file` of the signed `model` into a new `bytearray`, verified:
/// the signature against `key` (a public key PEM) or `cert_chain` (root
/// PEM files), then the bytes hashed as they are read and compared with
/// the signed digest, then the header validated. Returns the bytearray
/// and the tensors; raises `Error` (nothing returned) on any mismatch.
#[pyfunction]
#[pyo3(signature = (model, file, *, signature=None, key=None, cert_chain=Vec::new(), max_size=64 << 30))]
fn load_safetensors(
    py: Python<'_>,
    model: PathBuf,
    file: String,
    signature: Option<PathBuf>,
    key: Option<PathBuf>,
    cert_chain: Vec<PathBuf>,
    max_size: u64,
) -> PyResult<(Py<PyByteArray>, Vec<Tensor>)> {
    let error =
        |e: modelseal::Error| Error::new_err(modelseal::attestation::policy::chain_text(&e));
    let trust = match (key, cert_chain.is_empty()) {
        (Some(key), true) => {
            modelseal::Trust::PublicKey(modelseal::load_public_key(&key).map_err(error)?)
        }
        (None, false) => {
            let mut roots = Vec::new();
            for path in &cert_chain {
                roots.extend(modelseal::load_certificates(path).map_err(error)?);
            }
            modelseal::Trust::Roots { roots, time: None }
        }
        _ => {
            return Err(PyValueError::new_err(
                "give one of key= (a public key) or cert_chain= (root certificates)",
            ));
        }
    };
    let options = modelseal::LoadOptions {
        trust,
        signature,
        max_size,
    };
    let signed = py
        .detach(|| modelseal::open_signed_safetensors(&model, &file, &options))
        .map_err(error)?;
    let size = usize::try_from(signed.size())
        .map_err(|_| Error::new_err(format!("`{file}` is too large for this platform")))?;
    let len = pyo3::ffi::Py_ssize_t::try_from(size)
        .map_err(|_| Error::new_err(format!("`{file}` is too large for this platform")))?;
    // Allocated without initialising (a NULL source): zeroed, then filled,
    // below with the GIL released, so other threads run meanwhile.
    // SAFETY: a new reference, or NULL with a Python error set.
    let buffer = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyByteArray_FromStringAndSize(std::ptr::null(), len),
        )?
    }
    .cast_into::<PyByteArray>()?;
    // The address travels as an integer: raw pointers are not `Send`.
    let base = buffer.data() as usize;
    let header = py
        .detach(|| {
            let bytes: &mut [u8] = if size == 0 {
                &mut []
            } else {
                // SAFETY: `base` is the start of the bytearray's `size`
                // bytes. It was just created and no Python code has seen
                // it, so nothing resizes, frees or reads it while the GIL
                // is released; zeroed before the slice is made, and the
                // slice ends with this closure.
                unsafe {
                    std::ptr::write_bytes(base as *mut u8, 0, size);
                    std::slice::from_raw_parts_mut(base as *mut u8, size)
                }
            };
            signed.read_into(bytes)
        })
        .map_err(error)?;
    let tensors = header
        .tensors
        .into_iter()
        .map(|t| {
            (
                t.name,
                t.dtype,
                t.shape,
                t.file_offsets[0],
                t.file_offsets[1],
            )
        })
        .collect();
    Ok((buffer.unbind(), tensors))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(load_safetensors, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
