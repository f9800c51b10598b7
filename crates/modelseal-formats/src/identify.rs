//! Telling model file formats apart by content and name.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::error::{FormatError, io_error};
use crate::npy::NPY_MAGIC;
use crate::pickle::is_opcode;

/// How many leading bytes [`identify`] reads.
pub const SNIFF_LEN: usize = 4096;

/// A model file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileFormat {
    /// safetensors: an 8-byte header length, then a JSON header.
    Safetensors,
    /// GGUF (llama.cpp / ggml).
    Gguf,
    /// ONNX (a protobuf `ModelProto`).
    Onnx,
    /// A raw pickle (`.pkl`, legacy PyTorch `.pt`/`.bin`).
    Pickle,
    /// A PyTorch ZIP checkpoint holding `data.pkl`.
    PytorchZip,
    /// A NumPy `.npy` array.
    Npy,
    /// A NumPy `.npz` archive of `.npy` arrays.
    Npz,
    /// HDF5 (Keras `.h5`, among others).
    Hdf5,
    /// A Keras v3 `.keras` ZIP archive.
    Keras,
    /// A joblib dump (pickle-based).
    Joblib,
    /// A TensorFlow SavedModel `saved_model.pb`.
    SavedModel,
    /// A ZIP archive of no known model layout.
    Zip,
    /// JSON (configs, tokenizers).
    Json,
    /// Plain text or a known text-like vocabulary file.
    Text,
    /// None of the above.
    Unknown,
}

impl FileFormat {
    /// Whether loading a file of this format runs code the file chooses.
    pub fn runs_code_on_load(self) -> bool {
        matches!(self, Self::Pickle | Self::PytorchZip | Self::Joblib)
    }
}

const PICKLE_EXTS: &[&str] = &["pkl", "pickle", "bin", "pt", "pth", "ckpt", "joblib", "dat"];
const TEXT_EXTS: &[&str] = &[
    "txt", "md", "model", "tiktoken", "vocab", "merges", "yaml", "yml", "toml", "cfg", "ini",
    "csv", "tsv",
];

fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Identifies a format from a file name and its first bytes (up to
/// [`SNIFF_LEN`] are looked at). ZIP archives are told apart by extension
/// only; [`identify`] looks inside them.
pub fn identify_bytes(name: &str, first: &[u8]) -> FileFormat {
    let ext = extension(name);
    let base = base_name(name);
    if first.len() >= 9 {
        let mut len = [0u8; 8];
        len.copy_from_slice(&first[..8]);
        let header_len = u64::from_le_bytes(len);
        // By name, any `{` header is safetensors (and gets validated). By
        // content alone, also demand a length within the format's cap: one
        // random byte being `{` must not turn a blob into an invalid
        // safetensors file.
        if header_len >= 2
            && first[8] == b'{'
            && (ext == "safetensors" || header_len <= crate::MAX_HEADER_LEN)
        {
            return FileFormat::Safetensors;
        }
    }
    if first.starts_with(b"GGUF") {
        return FileFormat::Gguf;
    }
    if first.starts_with(NPY_MAGIC) {
        return FileFormat::Npy;
    }
    if first.starts_with(b"\x89HDF\r\n\x1a\n") {
        return FileFormat::Hdf5;
    }
    if first.starts_with(b"PK\x03\x04") || first.starts_with(b"PK\x05\x06") {
        return match ext.as_str() {
            "npz" => FileFormat::Npz,
            "keras" => FileFormat::Keras,
            "pt" | "pth" | "bin" | "ckpt" | "tar" => FileFormat::PytorchZip,
            _ => FileFormat::Zip,
        };
    }
    if first.first() == Some(&0x80)
        && first.get(1).is_some_and(|p| (2..=5).contains(p))
        && (says_pickle(&ext) || plausible_pickle(first))
    {
        return if ext == "joblib" {
            FileFormat::Joblib
        } else {
            FileFormat::Pickle
        };
    }
    if base == "saved_model.pb" || base == "saved_model.pbtxt" {
        return FileFormat::SavedModel;
    }
    if ext == "onnx" && looks_like_protobuf(first) {
        return FileFormat::Onnx;
    }
    if PICKLE_EXTS.contains(&ext.as_str())
        && first
            .first()
            .is_some_and(|&b| b"(]}).cNIJKLSVXUTFGdlq".contains(&b) && is_opcode(b))
        && (says_pickle(&ext) || plausible_pickle(first))
    {
        return if ext == "joblib" {
            FileFormat::Joblib
        } else {
            FileFormat::Pickle
        };
    }
    if ext == "joblib" {
        // Compressed joblib dumps (zlib, gzip, xz, lz4) hold a pickle.
        return FileFormat::Joblib;
    }
    let utf8 = match std::str::from_utf8(first) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the window is fine.
        Err(e) => e.error_len().is_none(),
    };
    if utf8 {
        let trimmed = first.trim_ascii_start();
        if TEXT_EXTS.contains(&ext.as_str()) {
            return FileFormat::Text;
        }
        if ext == "json" || trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
            return FileFormat::Json;
        }
    } else if ext == "model" || ext == "tiktoken" {
        // SentencePiece `.model` files are binary protobufs.
        return FileFormat::Text;
    }
    FileFormat::Unknown
}

/// Under a name that does not say "pickle" (`.bin`, `.pt`, `.dat`, none…),
/// a pickle must look like one beyond its first bytes: the sniffed window
/// must walk as at least [`MIN_SNIFF_OPCODES`] opcodes (complete pickles,
/// or one cut off by the end of the window), or a short file must walk as
/// pickles to its very end. Random bytes pass a shorter
/// test often enough to matter: about one 4 KiB blob in 300 both starts
/// with an opcode and reaches a `STOP` within a few opcodes, and one in
/// 16,000 starts with a protocol 2-5 header.
fn plausible_pickle(first: &[u8]) -> bool {
    let scan = crate::scan_pickle(first, &crate::PickleLimits::default());
    let walked_cleanly = scan.error.is_none()
        || scan
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("pickle truncated"));
    // A short file (all of it in the window) that walks as pickles to its
    // last byte is one, however few its opcodes.
    let whole_file_walked = first.len() < SNIFF_LEN
        && scan.pickles > 0
        && scan.error.is_none()
        && scan.trailing_bytes == 0;
    walked_cleanly && (scan.opcodes >= MIN_SNIFF_OPCODES || whole_file_walked)
}

/// See [`plausible_pickle`]: a random byte string walks as this many
/// opcodes about once in 10^9.
const MIN_SNIFF_OPCODES: u64 = 16;

/// Names that say "pickle": identified by their first byte alone.
fn says_pickle(ext: &str) -> bool {
    matches!(ext, "pkl" | "pickle" | "joblib")
}

/// A protobuf message starts with a tag: field 1-20 of wire type 0 (varint)
/// or 2 (length-delimited). ONNX `ModelProto` starts with `ir_version`
/// (field 1, varint): byte `0x08`.
fn looks_like_protobuf(first: &[u8]) -> bool {
    first
        .first()
        .is_some_and(|&b| matches!(b & 7, 0 | 2) && (1..=20).contains(&(b >> 3)))
}

/// Identifies the file at `path` by its first bytes and name, and for ZIP
/// archives by the names in their central directory.
pub fn identify(path: &Path) -> Result<FileFormat, FormatError> {
    let mut f = File::open(path).map_err(|e| io_error(path, e))?;
    let mut first = Vec::with_capacity(SNIFF_LEN);
    (&mut f)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut first)
        .map_err(|e| io_error(path, e))?;
    let name = path.to_string_lossy();
    let guess = identify_bytes(&name, &first);
    if !matches!(
        guess,
        FileFormat::Zip | FileFormat::PytorchZip | FileFormat::Npz | FileFormat::Keras
    ) {
        return Ok(guess);
    }
    let Ok(archive) = zip::ZipArchive::new(f) else {
        return Ok(guess);
    };
    Ok(classify_zip(archive.file_names(), &extension(&name)).unwrap_or(guess))
}

/// Tells a ZIP archive's layout from its member names.
pub(crate) fn classify_zip<'a>(
    names: impl Iterator<Item = &'a str>,
    ext: &str,
) -> Option<FileFormat> {
    let (mut pkl, mut npy, mut other, mut config) = (false, false, false, false);
    for n in names {
        if n == "data.pkl" || n.ends_with("/data.pkl") {
            pkl = true;
        } else if n.ends_with(".npy") {
            npy = true;
        } else if n == "config.json" {
            config = true;
        } else if !n.ends_with('/') {
            other = true;
        }
    }
    if pkl {
        Some(FileFormat::PytorchZip)
    } else if ext == "keras" || (config && !npy) {
        Some(FileFormat::Keras)
    } else if npy && !other {
        Some(FileFormat::Npz)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let mut st = 2u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{}");
        // A 4 KiB pseudo-random blob whose first byte is `STOP`.
        let blob: Vec<u8> = std::iter::once(b'.')
            .chain((1..SNIFF_LEN).map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0]))
            .collect();
        let cases: &[(&str, &[u8], FileFormat)] = &[
            ("model.safetensors", &st, FileFormat::Safetensors),
            ("x", b"GGUF\x03\0\0\0", FileFormat::Gguf),
            ("a.npy", b"\x93NUMPY\x01\x00", FileFormat::Npy),
            ("m.h5", b"\x89HDF\r\n\x1a\n", FileFormat::Hdf5),
            ("m.keras", b"PK\x03\x04", FileFormat::Keras),
            ("a.npz", b"PK\x03\x04", FileFormat::Npz),
            ("pytorch_model.bin", b"PK\x03\x04", FileFormat::PytorchZip),
            ("x.zip", b"PK\x03\x04", FileFormat::Zip),
            ("x.pkl", b"\x80\x04\x95", FileFormat::Pickle),
            ("anything", b"\x80\x02}q\x00.", FileFormat::Pickle),
            ("m.joblib", b"\x80\x04\x95", FileFormat::Joblib),
            ("m.joblib", b"x\x9c", FileFormat::Joblib),
            ("old.pkl", b"(dp0\n", FileFormat::Pickle),
            ("old.txt", b"(dp0\n", FileFormat::Text),
            ("old.dat", b"\x00(dp0\n", FileFormat::Unknown),
            // Random weights whose first byte happens to be an opcode, and
            // whose ninth happens to be `{`: neither pickle nor safetensors.
            (
                "weights.bin",
                b"c\x8f\x03\x00\xe1\x7f\x10\x99{\x00\x00\xff",
                FileFormat::Unknown,
            ),
            ("legacy.pt", b"(dp0\nS'a'\np1\nI1\ns.", FileFormat::Pickle),
            // Random 4 KiB blobs that start like a pickle and reach a STOP
            // within a few opcodes, as one in a few hundred does.
            ("shard-0134.bin", &blob, FileFormat::Unknown),
            ("dir/saved_model.pb", b"\x08\x01", FileFormat::SavedModel),
            ("m.onnx", b"\x08\x07\x12\x07pytorch", FileFormat::Onnx),
            ("m.onnx", b"\xff\xff", FileFormat::Unknown),
            ("config.json", b"{\"a\": 1}", FileFormat::Json),
            ("tok", b"  [1, 2]", FileFormat::Json),
            ("README.md", b"# hi", FileFormat::Text),
            ("vocab.txt", b"[PAD]\n", FileFormat::Text),
            ("sp.model", b"\n\x0e\xff\xfe", FileFormat::Text),
            ("x.dat", b"\x00\x01", FileFormat::Unknown),
            ("empty", b"", FileFormat::Unknown),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(identify_bytes(name, bytes), *want, "{name}");
        }
    }

    #[test]
    fn zip_layouts() {
        let cases: &[(&[&str], &str, Option<FileFormat>)] = &[
            (
                &["archive/data.pkl", "archive/data/0"],
                "pt",
                Some(FileFormat::PytorchZip),
            ),
            (&["data.pkl"], "zip", Some(FileFormat::PytorchZip)),
            (&["a.npy", "b.npy"], "npz", Some(FileFormat::Npz)),
            (
                &["config.json", "metadata.json"],
                "zip",
                Some(FileFormat::Keras),
            ),
            (&["readme.txt"], "zip", None),
        ];
        for (names, ext, want) in cases {
            assert_eq!(classify_zip(names.iter().copied(), ext), *want, "{names:?}");
        }
    }
}
