//! Telling model file formats apart by content and name.

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::error::{FormatError, io_error};
use crate::npy::NPY_MAGIC;
use crate::pickle::{AllowGlobals, PickleLimits, is_opcode};

/// How many leading bytes [`identify`] reads.
pub const SNIFF_LEN: usize = 4096;

/// A model file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
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
    /// A TensorFlow Lite flatbuffer (file identifier `TFL3`).
    Tflite,
    /// A Core ML `.mlmodel` (a protobuf `Model`).
    Coreml,
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
    /// Its name, as in JSON (`safetensors`, `pytorch_zip`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Safetensors => "safetensors",
            Self::Gguf => "gguf",
            Self::Onnx => "onnx",
            Self::Pickle => "pickle",
            Self::PytorchZip => "pytorch_zip",
            Self::Npy => "npy",
            Self::Npz => "npz",
            Self::Hdf5 => "hdf5",
            Self::Keras => "keras",
            Self::Joblib => "joblib",
            Self::SavedModel => "saved_model",
            Self::Tflite => "tflite",
            Self::Coreml => "coreml",
            Self::Zip => "zip",
            Self::Json => "json",
            Self::Text => "text",
            Self::Unknown => "unknown",
        }
    }

    /// Whether loading a file of this format runs code the file chooses.
    pub fn runs_code_on_load(self) -> bool {
        matches!(self, Self::Pickle | Self::PytorchZip | Self::Joblib)
    }
}

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
///
/// A name ending in `.safetensors` or `.gguf` is that format whatever the
/// bytes (a file that does not parse as one is invalid, not unknown).
/// Pickles are found by content under any name, before text: see
/// `looks_like_pickle`.
pub fn identify_bytes(name: &str, first: &[u8]) -> FileFormat {
    let ext = extension(name);
    let base = base_name(name);
    // Loaders pick a parser by this name: what does not parse must fail
    // the gate, not pass as "unknown" (empty and 7-byte files included).
    // A Git LFS pointer left by a checkout that skipped smudging stands for
    // the file and is compared by its oid: not an invalid file.
    let lfs_pointer = first.starts_with(b"version https://git-lfs.github.com/spec/v1\n");
    if ext == "safetensors" && !lfs_pointer {
        return FileFormat::Safetensors;
    }
    if ext == "gguf" && !lfs_pointer {
        return FileFormat::Gguf;
    }
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
    // Before any conclusion by name: `pickle.load` runs whatever walks as
    // an opcode stream, `prob_emit.p`, `model.sav` or `vocab.txt` alike.
    if looks_like_pickle(&ext, first) {
        return if ext == "joblib" {
            FileFormat::Joblib
        } else {
            FileFormat::Pickle
        };
    }
    if base == "saved_model.pb" || base == "saved_model.pbtxt" {
        return FileFormat::SavedModel;
    }
    // After the pickle check: `TFL3` in bytes 4..8 must not let a pickle
    // pass as TensorFlow Lite. A flatbuffer's identifier follows its
    // 4-byte root offset, which points inside the file, 4-aligned.
    if looks_like_tflite(first) {
        return FileFormat::Tflite;
    }
    if ext == "onnx" && looks_like_protobuf(first) {
        return FileFormat::Onnx;
    }
    // Core ML `Model` starts with `specificationVersion` (field 1, varint).
    if ext == "mlmodel" && first.first() == Some(&0x08) {
        return FileFormat::Coreml;
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

/// Whether the sniffed bytes are a pickle, whatever the name: the walker
/// (which checks stack effects, marks, memo keys and arguments as CPython's
/// unpickler does) accepts them as a well-formed opcode stream and one of:
/// - at least [`MIN_SNIFF_OPCODES`] opcodes walk cleanly (complete
///   pickles, or one the end of the window cuts off);
/// - the whole file (shorter than the window) walks as pickles to its last
///   byte;
/// - the first pickle imports a global by a dotted name (`os.system`) and
///   reaches its `STOP` or calls something: an attacker's short
///   `cos\nsystem\n(S'id'\ntR.` followed by random bytes.
///
/// Names that say "pickle" (`.pkl`) need only a first byte that is an
/// opcode. Random weights pass none of these: a random byte string walks as
/// 16 well-formed opcodes far less than once in 10^9, and a dotted name
/// followed by a newline is as rare.
fn looks_like_pickle(ext: &str, first: &[u8]) -> bool {
    let Some(&first_byte) = first.first() else {
        return false;
    };
    if says_pickle(ext) && is_opcode(first_byte) {
        return true;
    }
    if !is_opcode(first_byte) {
        return false;
    }
    let (scan, sniff) =
        crate::pickle::scan(first, &PickleLimits::default(), &AllowGlobals::default());
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
    (walked_cleanly && (scan.opcodes >= MIN_SNIFF_OPCODES || whole_file_walked))
        || (sniff.named_import && (scan.pickles > 0 || sniff.calls))
}

/// See [`looks_like_pickle`].
const MIN_SNIFF_OPCODES: u64 = 16;

/// Names that say "pickle": identified by their first byte alone.
fn says_pickle(ext: &str) -> bool {
    matches!(ext, "pkl" | "pickle" | "joblib")
}

/// A TensorFlow Lite flatbuffer: file identifier `TFL3` after a root table
/// offset that is 4-aligned, past the header and within the sniffed bytes
/// or a plausible distance (real files: 0x1c, 0x20).
fn looks_like_tflite(first: &[u8]) -> bool {
    let (Some(offset), Some(b"TFL3")) = (first.get(..4), first.get(4..8)) else {
        return false;
    };
    let mut le = [0u8; 4];
    le.copy_from_slice(offset);
    let root = u32::from_le_bytes(le);
    root >= 8 && root % 4 == 0 && root < 1 << 16
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
    identify_as(path, &path.to_string_lossy())
}

/// [`identify`] for content stored under another name than the one it is
/// loaded by (a hub cache blob linked as `model.safetensors`): `name`
/// gives the extension, `path` is read.
///
/// # Errors
/// The file cannot be opened or read.
pub fn identify_as(path: &Path, name: &str) -> Result<FileFormat, FormatError> {
    identify_as_with(path, name, modelseal_hash::Links::Follow)
}

/// [`identify_as`], opening `path` by `links`: [`modelseal_hash::Links::Refuse`]
/// for a path that was a regular file when listed, so a file swapped for a
/// link meanwhile is refused rather than followed.
///
/// # Errors
/// The file cannot be opened (a link under `Refuse`) or read.
pub fn identify_as_with(
    path: &Path,
    name: &str,
    links: modelseal_hash::Links,
) -> Result<FileFormat, FormatError> {
    let mut f = modelseal_hash::open_regular(path, links).map_err(|e| io_error(path, e))?;
    let mut first = Vec::with_capacity(SNIFF_LEN);
    (&mut f)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut first)
        .map_err(|e| io_error(path, e))?;
    let guess = identify_bytes(name, &first);
    if !matches!(
        guess,
        FileFormat::Zip | FileFormat::PytorchZip | FileFormat::Npz | FileFormat::Keras
    ) {
        return Ok(guess);
    }
    let Ok(archive) = zip::ZipArchive::new(f) else {
        return Ok(guess);
    };
    Ok(classify_zip(archive.file_names(), &extension(name)).unwrap_or(guess))
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
    fn a_pickle_with_tfl3_in_its_first_bytes_is_a_pickle() {
        // MARK, BININT (bytes 2..6), LONG 3: bytes 0..4 read as a
        // plausible flatbuffer root offset (18984) and bytes 4..8 are
        // `TFL3`; POP, POP_MARK, then os.system.
        let evil = b"(J\x00\x00TFL3\n01cos\nsystem\n(S'id'\ntR.";
        assert_eq!(&evil[4..8], b"TFL3");
        assert!(
            looks_like_tflite(evil),
            "the header alone would pass for TFLite"
        );
        for name in ["model.pkl", "model.tflite", "weights"] {
            assert_eq!(identify_bytes(name, evil), FileFormat::Pickle, "{name}");
        }
        // A real TFLite header (basic-pitch's nmp.tflite): offset 0x1c.
        let tflite = b"\x1c\x00\x00\x00TFL3\x14\x00\x20\x00\x1c\x00\x18\x00";
        assert_eq!(identify_bytes("nmp.tflite", tflite), FileFormat::Tflite);
        assert_eq!(identify_bytes("blob", tflite), FileFormat::Tflite);
        // `TFL3` after an implausible offset is not TFLite.
        assert_ne!(
            identify_bytes("x", b"\xff\xff\xff\x7fTFL3\x00\x00"),
            FileFormat::Tflite
        );
    }

    #[test]
    fn names_are_the_json_names() {
        use FileFormat::*;
        for format in [
            Safetensors,
            Gguf,
            Onnx,
            Pickle,
            PytorchZip,
            Npy,
            Npz,
            Hdf5,
            Keras,
            Joblib,
            SavedModel,
            Tflite,
            Coreml,
            Zip,
            Json,
            Text,
            Unknown,
        ] {
            assert_eq!(
                serde_json::to_value(format).ok(),
                Some(format.name().into())
            );
        }
    }

    #[test]
    fn table() {
        let mut st = 2u64.to_le_bytes().to_vec();
        st.extend_from_slice(b"{}");
        // A 4 KiB pseudo-random blob whose first byte is `STOP`.
        let blob: Vec<u8> = std::iter::once(b'.')
            .chain((1..SNIFF_LEN).map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0]))
            .collect();
        // An attacker's short protocol-0 pickle, then random bytes (as if
        // appended to weights to pass for them).
        let attack = [&b"cos\nsystem\n(S'id'\ntR."[..], &blob[1..]].concat();
        // The same without a STOP: `pickle.load` runs `os.system` before it
        // fails on the bytes after the REDUCE.
        let attack_no_stop = [&b"cos\nsystem\n(S'id'\ntR"[..], &blob[1..]].concat();
        let lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n";
        let cases: &[(&str, &[u8], FileFormat)] = &[
            ("model.safetensors", &st, FileFormat::Safetensors),
            // A name that claims safetensors or GGUF is validated as one.
            ("empty.safetensors", b"", FileFormat::Safetensors),
            (
                "short.safetensors",
                b"\x01\x02\x03\x04\x05\x06\x07",
                FileFormat::Safetensors,
            ),
            (
                "pickled.safetensors",
                b"\x80\x02}q\x00.",
                FileFormat::Safetensors,
            ),
            ("m.gguf", b"", FileFormat::Gguf),
            ("m.GGUF", b"GGUX\x03\0\0\0", FileFormat::Gguf),
            // ...except a Git LFS pointer, which stands for the file.
            ("model.safetensors", lfs, FileFormat::Unknown),
            // Pickles by content, whatever the name: protocol 0 (jieba's
            // `prob_emit.p`), protocol 1, PROTO 1, and streams that start
            // with SHORT_BINUNICODE or BININT2.
            (
                "prob_emit.p",
                b"(dp0\nS'B'\np1\n(dp2\nS'a'\np3\nF-1.5\nssS'E'\np4\n(dp5\ns.",
                FileFormat::Pickle,
            ),
            ("model.sav", b"]q\x00(K\x01K\x02e.", FileFormat::Pickle),
            ("model.sav", b"\x80\x01}q\x00.", FileFormat::Pickle),
            (
                "clf.model",
                b"\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.",
                FileFormat::Pickle,
            ),
            ("counts.txt", b"M\x01\x00.", FileFormat::Pickle),
            ("vocab.txt", b"cos\nsystem\n(S'id'\ntR.", FileFormat::Pickle),
            ("list.json", b"(lp0\nI1\naI2\na.", FileFormat::Pickle),
            ("weights.bin", &attack, FileFormat::Pickle),
            ("weights.bin", &attack_no_stop, FileFormat::Pickle),
            // Text that starts with opcode letters stays text: each breaks
            // a stack, memo or argument rule within a few opcodes.
            ("vocab.txt", b"cat\ndog\nfish\n", FileFormat::Text),
            ("notes.txt", b"hello world.\n", FileFormat::Text),
            ("labels.csv", b"id,label\n1,cat\n", FileFormat::Text),
            ("config.yaml", b"a: 1\nb: 2.\n", FileFormat::Text),
            ("README.md", b"(see below).\n", FileFormat::Text),
            (
                "cl100k.tiktoken",
                b"IQ== 0\nIg== 1\nIw== 2\nJA== 3\nJQ== 4\n",
                FileFormat::Text,
            ),
            (
                "merges.txt",
                b"#version: 0.2\n\xc4\xa0 t\n",
                FileFormat::Text,
            ),
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
            assert_eq!(identify_bytes(name, bytes), *want, "{name}: {bytes:?}");
        }
    }

    /// Random weights are never taken for pickles, whatever their first
    /// byte: 4 KiB xorshift blobs under a `.bin` name, each first byte with
    /// eight seeds.
    #[test]
    fn random_blobs_are_not_pickles() {
        for seed in 1..=8u64 {
            for first in 0..=255u8 {
                let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
                let blob: Vec<u8> = std::iter::once(first)
                    .chain((1..SNIFF_LEN).map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x.to_le_bytes()[3]
                    }))
                    .collect();
                assert_ne!(
                    identify_bytes("shard-00001.bin", &blob),
                    FileFormat::Pickle,
                    "seed {seed}, first byte {first:#04x}"
                );
            }
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
