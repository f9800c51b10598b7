//! Verify-on-load: the bytes a loader gets are the bytes that were verified.

use std::path::{Path, PathBuf};

use modelseal_formats::SafeTensorsBuffer;
use modelseal_hash::Method;
use modelseal_oms::Trust;

use crate::error::Error;
use crate::layout::default_signature_path;
use crate::verify::read_verified_bundle;

/// Options for [`load_safetensors`].
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// What the signature must chain to.
    pub trust: Trust,
    /// The signature; `MODEL/model.sig` (or `MODEL.sig`) if `None`.
    pub signature: Option<PathBuf>,
    /// The largest file accepted, in bytes: the buffer never grows past it.
    pub max_size: u64,
}

impl LoadOptions {
    /// Options that check against `trust`, with a 64 GiB size cap.
    pub fn new(trust: Trust) -> Self {
        Self {
            trust,
            signature: None,
            max_size: 64 << 30,
        }
    }
}

/// Loads one safetensors file of a signed model, verified.
///
/// The signature is checked against `options.trust` first; then the file is
/// read into memory once, hashed as it is read, compared with its signed
/// digest, and its header validated. Only then are the tensors handed out,
/// borrowed from that one buffer: there is no gap between the check and the
/// use, so a file swapped on disk after verification cannot reach the
/// caller.
///
/// `file` is the model-relative name (`model-00001-of-00002.safetensors`);
/// for a single-file model pass its file name and the file as `model`.
///
/// # Errors
/// [`Error::Signature`] when the signature does not verify; a
/// [`Error::Format`] digest mismatch when the file is not the signed one, or
/// a header that breaks the safetensors rules; [`Error::Usage`] when the
/// signature does not cover `file` as one whole-file resource.
pub fn load_safetensors(
    model: &Path,
    file: &str,
    options: &LoadOptions,
) -> Result<SafeTensorsBuffer, Error> {
    let (path, digest, verify) = signed_file(model, file, options)?;
    SafeTensorsBuffer::read_verified(&path, &digest, &verify)
        .map_err(|e| Error::Format(Box::new(e)))
}

/// One safetensors file of a signed model whose signature verified, open
/// and sized, for a caller that reads it into memory it owns
/// ([`SignedSafetensors::read_into`]): [`load_safetensors`] for a buffer
/// that must belong to someone else (the Python package's `bytearray`).
#[derive(Debug)]
pub struct SignedSafetensors {
    file: std::fs::File,
    path: PathBuf,
    size: u64,
    digest: modelseal_hash::Digest,
    verify: modelseal_formats::VerifyOptions,
}

impl SignedSafetensors {
    /// The file's size now: the buffer [`Self::read_into`] needs.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads the file into `buf` (exactly [`Self::size`] bytes), hashed as
    /// it is read, and returns its validated header only if the digest is
    /// the signed one. On an error `buf` holds unverified bytes: drop it.
    ///
    /// # Errors
    /// As [`load_safetensors`].
    pub fn read_into(
        mut self,
        buf: &mut [u8],
    ) -> Result<modelseal_formats::SafetensorsHeader, Error> {
        modelseal_formats::read_verified_into(
            &mut self.file,
            &self.path,
            &self.digest,
            &self.verify,
            buf,
        )
        .map_err(|e| Error::Format(Box::new(e)))
    }
}

/// Verifies the signature and opens `file`, as [`load_safetensors`] does
/// before it reads.
///
/// # Errors
/// As [`load_safetensors`], and a file larger than `options.max_size`.
pub fn open_signed_safetensors(
    model: &Path,
    file: &str,
    options: &LoadOptions,
) -> Result<SignedSafetensors, Error> {
    let (path, digest, verify) = signed_file(model, file, options)?;
    let handle = modelseal_hash::open_regular(&path, modelseal_hash::Links::Follow)
        .map_err(|e| Error::io("open", &path, e))?;
    let size = handle
        .metadata()
        .map_err(|e| Error::io("stat", &path, e))?
        .len();
    if size > options.max_size {
        return Err(Error::Format(Box::new(
            modelseal_formats::FormatError::FileTooLarge {
                path,
                size,
                max: options.max_size,
            },
        )));
    }
    Ok(SignedSafetensors {
        file: handle,
        path,
        size,
        digest,
        verify,
    })
}

/// The signature checked against `options.trust`, then the path of `file`
/// and its signed whole-file digest.
fn signed_file(
    model: &Path,
    file: &str,
    options: &LoadOptions,
) -> Result<
    (
        PathBuf,
        modelseal_hash::Digest,
        modelseal_formats::VerifyOptions,
    ),
    Error,
> {
    let signature = options
        .signature
        .clone()
        .unwrap_or_else(|| default_signature_path(model));
    let verified = read_verified_bundle(&signature, &options.trust)?;
    let signed = &verified.manifest;
    if signed.serialization.method != Method::Files {
        return Err(Error::Usage(format!(
            "signature `{}` uses the shards method; verify-on-load needs whole-file digests",
            signature.display()
        )));
    }
    let is_single_file = model.is_file();
    let resource = signed
        .resources
        .iter()
        .find(|r| r.name == file || (is_single_file && r.name == "."))
        .ok_or_else(|| {
            Error::Usage(format!(
                "signature `{}` does not cover `{file}`",
                signature.display()
            ))
        })?;
    let path = if is_single_file {
        model.to_owned()
    } else {
        model.join(file)
    };
    let verify = modelseal_formats::VerifyOptions {
        algorithm: signed.serialization.hash_type,
        max_size: options.max_size,
    };
    Ok((path, resource.digest, verify))
}
