//! [`inspect_file`]: identify a file, check it by its format's rules, and
//! say whether it is safe to load.

use std::fmt::Display;
use std::io::{Read, Seek};
use std::path::Path;

use serde::{Serialize, Serializer};

use crate::error::{FormatError, io_error};
use crate::gguf::GgufHeader;
use crate::identify::{FileFormat, classify_zip, identify_as};
use crate::json::{MAX_JSON_STRING, StreamCheck, check_stream};
use crate::keras::{ConfigProblem, KerasConfig, walk_config};
use crate::npy::{MAX_NPY_HEADER, NpyHeader};
use crate::pickle::{
    AllowGlobals, GlobalRisk, PickleLimits, PickleRisk, PickleScan, scan_pickle_reader,
};
use crate::safetensors::SafetensorsHeader;

/// The version of the [`FileReport`] JSON layout.
pub const REPORT_VERSION: u32 = 1;

/// Limits for [`inspect_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectOptions {
    /// Limits of the pickle walker.
    pub pickle: PickleLimits,
    /// Globals rated [`GlobalRisk::Allowed`] rather than unknown: a
    /// project's own classes (`--allow-global`).
    pub allow_globals: AllowGlobals,
    /// The most bytes of a raw pickle file read and walked.
    pub max_pickle_bytes: u64,
    /// The largest ZIP member decompressed (a declared size over it, or a
    /// member that inflates past its declared size, is refused).
    pub max_member_size: u64,
    /// The largest JSON file parsed.
    pub max_json_size: u64,
}

impl Default for InspectOptions {
    fn default() -> Self {
        Self {
            pickle: PickleLimits::default(),
            allow_globals: AllowGlobals::default(),
            max_pickle_bytes: 256 << 20,
            max_member_size: 1 << 30,
            max_json_size: 64 << 20,
        }
    }
}

/// One problem that makes a file invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// A stable snake_case name of the rule broken.
    pub code: String,
    /// A lowercase message naming the file (and tensor or member).
    pub message: String,
}

impl Problem {
    fn new(code: &str, message: impl Display) -> Self {
        Self {
            code: code.into(),
            message: message.to_string(),
        }
    }
}

/// Whether a file is safe to load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A data-only format whose structure checked out.
    Safe,
    /// Loading the file can run code or is otherwise risky.
    Unsafe {
        /// Why.
        reasons: Vec<String>,
    },
    /// The file breaks its format's rules; loaders may misbehave on it.
    Invalid {
        /// Every problem found.
        errors: Vec<Problem>,
    },
    /// The format was identified but its contents are not inspected.
    Unchecked {
        /// Why not.
        reason: String,
    },
}

impl Verdict {
    /// Whether the verdict is [`Verdict::Safe`].
    pub fn is_safe(&self) -> bool {
        matches!(self, Self::Safe)
    }
}

/// One pickle member of a ZIP archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PickleMember {
    /// The member's name.
    pub name: String,
    /// Its uncompressed size.
    pub size: u64,
    /// What walking it found.
    pub scan: PickleScan,
}

/// One `.npy` member of an `.npz` archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NpyMember {
    /// The member's name.
    pub name: String,
    /// Its header.
    pub header: NpyHeader,
}

/// Format-specific findings.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Details {
    /// Nothing beyond the format.
    None,
    /// A safetensors header.
    Safetensors(SafetensorsHeader),
    /// A GGUF header.
    Gguf(GgufHeader),
    /// A raw pickle or joblib dump.
    Pickle(PickleScan),
    /// The pickle members of a ZIP archive (PyTorch, TorchScript).
    PickleZip {
        /// Every `*.pkl` member.
        members: Vec<PickleMember>,
    },
    /// A `.npy` header.
    Npy(NpyHeader),
    /// A `.npy` object array: its header, and the pickle its data is.
    NpyObject {
        /// The header.
        header: NpyHeader,
        /// What walking the pickle after the header found.
        pickle: PickleScan,
    },
    /// The members of an `.npz` archive.
    Npz {
        /// Every `.npy` member.
        members: Vec<NpyMember>,
    },
    /// A Keras v3 archive.
    Keras {
        /// Whether `config.json` is present.
        config_json: bool,
        /// Paths in `config.json` of `Lambda` layers (they hold Python
        /// bytecode).
        lambda_layers: Vec<String>,
        /// Modules outside Keras that custom objects are loaded from.
        custom_modules: Vec<String>,
    },
}

/// The result of [`inspect_file`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FileReport {
    /// [`REPORT_VERSION`].
    pub report_version: u32,
    /// The file, as given.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its format.
    pub format: FileFormat,
    /// Whether it is safe to load.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What the format's checks found.
    pub details: Details,
}

pub(crate) fn serialize_display<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Identifies the file at `path`, checks it by its format's rules, and says
/// whether it is safe to load. Rule violations land in the report's
/// verdict; an `Err` means the file could not be read at all.
pub fn inspect_file(path: &Path, options: &InspectOptions) -> Result<FileReport, FormatError> {
    inspect_file_as(path, &path.to_string_lossy(), options)
}

/// [`inspect_file`] for content stored under another name than the one it
/// is loaded by: a Hugging Face hub cache blob (`blobs/<sha256>`) that a
/// snapshot links as `model.safetensors`. `name` decides what the file
/// claims to be (its extension); `path` is read.
///
/// # Errors
/// As [`inspect_file`].
pub fn inspect_file_as(
    path: &Path,
    name: &str,
    options: &InspectOptions,
) -> Result<FileReport, FormatError> {
    let size = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .len();
    let format = identify_as(path, name)?;
    let name = path.display().to_string();
    let (verdict, details) = match format {
        FileFormat::Safetensors => match SafetensorsHeader::read(path) {
            Ok(h) => (Verdict::Safe, Details::Safetensors(h)),
            Err(FormatError::Safetensors(e)) => (invalid(e.code(), &e), Details::None),
            Err(e) => return Err(e),
        },
        FileFormat::Gguf => match GgufHeader::read(path) {
            Ok(h) => (Verdict::Safe, Details::Gguf(h)),
            Err(FormatError::Gguf(e)) => (invalid(e.code(), &e), Details::None),
            Err(e) => return Err(e),
        },
        FileFormat::Pickle | FileFormat::Joblib => {
            let mut f = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
                .map_err(|e| io_error(path, e))?;
            let mut first = [0u8; 1];
            let got = read_up_to(&mut f, &mut first).map_err(|e| io_error(path, e))?;
            if format == FileFormat::Joblib && first[..got] != [0x80] {
                let reasons = vec![
                    pickle_reason(),
                    format!("`{name}`: compressed joblib dump; the pickle inside is not inspected"),
                ];
                (Verdict::Unsafe { reasons }, Details::None)
            } else {
                // Streamed: the walker holds a window, not the file.
                let rest = options.max_pickle_bytes.saturating_sub(got as u64);
                let stream = (&first[..got]).chain(f.take(rest));
                let scan = scan_pickle_reader(stream, &options.pickle, &options.allow_globals)
                    .map_err(|e| io_error(path, e))?;
                let mut reasons = vec![pickle_reason()];
                scan_reasons(&name, &scan, &mut reasons);
                (Verdict::Unsafe { reasons }, Details::Pickle(scan))
            }
        }
        FileFormat::PytorchZip | FileFormat::Npz | FileFormat::Keras | FileFormat::Zip => {
            inspect_zip(path, &name, format, options)?
        }
        FileFormat::Npy => {
            let mut head = Vec::new();
            modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
                .and_then(|f| f.take(MAX_NPY_HEADER as u64 + 12).read_to_end(&mut head))
                .map_err(|e| io_error(path, e))?;
            match NpyHeader::parse(&name, &head) {
                Ok(h) if h.object_dtype => {
                    // NumPy writes an object array's data as a pickle of
                    // the array (`allow_pickle=True` loads it): walk it.
                    let scan = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
                        .and_then(|mut f| {
                            f.seek(std::io::SeekFrom::Start(h.data_offset))?;
                            scan_pickle_reader(
                                f.take(options.max_pickle_bytes),
                                &options.pickle,
                                &options.allow_globals,
                            )
                        })
                        .map_err(|e| io_error(path, e))?;
                    let mut reasons = match npy_verdict(&name, &h) {
                        Verdict::Unsafe { reasons } => reasons,
                        _ => Vec::new(),
                    };
                    scan_reasons(&name, &scan, &mut reasons);
                    (
                        Verdict::Unsafe { reasons },
                        Details::NpyObject {
                            header: h,
                            pickle: scan,
                        },
                    )
                }
                Ok(h) => (npy_verdict(&name, &h), Details::Npy(h)),
                Err(e) => (invalid(e.code(), &e), Details::None),
            }
        }
        FileFormat::Json => {
            if size > options.max_json_size {
                (
                    Verdict::Unchecked {
                        reason: format!(
                            "`{name}`: JSON larger than {} bytes is not parsed",
                            options.max_json_size
                        ),
                    },
                    Details::None,
                )
            } else {
                // Streamed: what is held is a buffer and one string, not
                // the file (let alone a tree of it).
                let checked = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
                    .and_then(|f| check_stream(f, MAX_JSON_STRING))
                    .map_err(|e| io_error(path, e))?;
                match checked {
                    StreamCheck::Valid => (Verdict::Safe, Details::None),
                    StreamCheck::Invalid(e) => (
                        invalid("invalid_json", format!("`{name}`: not valid JSON: {e}")),
                        Details::None,
                    ),
                    StreamCheck::StringTooLong => unchecked(format!(
                        "`{name}`: JSON holding a string longer than {MAX_JSON_STRING} bytes \
                         is not checked further"
                    )),
                }
            }
        }
        FileFormat::Text => (Verdict::Safe, Details::None),
        FileFormat::Hdf5 => unchecked(format!(
            "`{name}`: HDF5 is not inspected; Keras .h5 files may hold Lambda layers with Python bytecode"
        )),
        FileFormat::Onnx => unchecked(format!(
            "`{name}`: ONNX graphs are identified but not inspected"
        )),
        FileFormat::SavedModel => unchecked(format!(
            "`{name}`: SavedModel graphs are not inspected; they may use file or network ops"
        )),
        FileFormat::Tflite => unchecked(format!(
            "`{name}`: TensorFlow Lite models are identified but not inspected"
        )),
        FileFormat::Coreml => unchecked(format!(
            "`{name}`: Core ML models are identified but not inspected"
        )),
        FileFormat::Unknown => unchecked(format!("`{name}`: unknown format")),
    };
    Ok(FileReport {
        report_version: REPORT_VERSION,
        path: name,
        size,
        format,
        verdict,
        details,
    })
}

fn invalid(code: &str, message: impl Display) -> Verdict {
    Verdict::Invalid {
        errors: vec![Problem::new(code, message)],
    }
}

fn unchecked(reason: String) -> (Verdict, Details) {
    (Verdict::Unchecked { reason }, Details::None)
}

fn pickle_reason() -> String {
    "pickle-based format: loading it runs code the file chooses".into()
}

fn scan_reasons(name: &str, scan: &PickleScan, reasons: &mut Vec<String>) {
    for g in &scan.globals {
        let what = match g.risk {
            GlobalRisk::Dangerous => "dangerous",
            GlobalRisk::Unknown => "unknown",
            GlobalRisk::KnownSafe | GlobalRisk::Allowed => continue,
        };
        reasons.push(format!(
            "`{name}`: imports {what} global `{}.{}` ({} at byte {})",
            g.module, g.name, g.opcode, g.offset
        ));
    }
    if !scan.extension_codes.is_empty() {
        reasons.push(format!(
            "`{name}`: uses extension-registry codes {:?}",
            scan.extension_codes
        ));
    }
    if let Some(e) = &scan.error {
        reasons.push(format!("`{name}`: {e}"));
    }
    if scan.risk == PickleRisk::Dangerous && scan.error.is_none() {
        reasons.push(format!("`{name}`: pickle risk is dangerous"));
    }
}

fn npy_verdict(name: &str, h: &NpyHeader) -> Verdict {
    if h.object_dtype {
        Verdict::Unsafe {
            reasons: vec![format!(
                "`{name}`: object dtype `{}`: the array is stored as a pickle",
                h.dtype
            )],
        }
    } else {
        Verdict::Safe
    }
}

/// The first `head` bytes of a ZIP member (fewer when it is shorter).
fn read_member_head<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    head: u64,
) -> Result<(String, Vec<u8>), String> {
    let member = archive.by_index(index).map_err(|e| e.to_string())?;
    let name = member.name().to_owned();
    let mut out = Vec::new();
    member
        .take(head)
        .read_to_end(&mut out)
        .map_err(|e| format!("member `{name}`: {e}"))?;
    Ok((name, out))
}

/// Walks a ZIP member as a pickle while it is inflated, never holding it
/// whole, then checks it inflated to exactly its declared size.
fn scan_member<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    options: &InspectOptions,
) -> Result<(String, u64, PickleScan), String> {
    let cap = options.max_member_size;
    let member = archive.by_index(index).map_err(|e| e.to_string())?;
    let name = member.name().to_owned();
    let declared = member.size();
    if declared > cap {
        return Err(format!(
            "member `{name}` declares {declared} bytes, over the limit of {cap}"
        ));
    }
    let mut counted = Counted {
        inner: member.take(declared.saturating_add(1)),
        read: 0,
    };
    let scan = scan_pickle_reader(&mut counted, &options.pickle, &options.allow_globals)
        .and_then(|scan| std::io::copy(&mut counted, &mut std::io::sink()).map(|_| scan))
        .map_err(|e| format!("member `{name}`: {e}"))?;
    let read = counted.read;
    if read != declared {
        return Err(format!(
            "member `{name}` declares {declared} bytes but inflates to {}{read}",
            if read > declared { "more than " } else { "" }
        ));
    }
    Ok((name, declared, scan))
}

/// A reader that counts the bytes it passes on.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn inspect_zip(
    path: &Path,
    name: &str,
    format: FileFormat,
    options: &InspectOptions,
) -> Result<(Verdict, Details), FormatError> {
    let f = modelseal_hash::open_regular(path, modelseal_hash::Links::Follow)
        .map_err(|e| io_error(path, e))?;
    let mut archive = match zip::ZipArchive::new(f) {
        Ok(a) => a,
        Err(e) => {
            return Ok((
                invalid(
                    "bad_zip",
                    format!("`{name}`: not a readable ZIP archive: {e}"),
                ),
                Details::None,
            ));
        }
    };
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let format = classify_zip(names.iter().map(String::as_str), &ext).unwrap_or(format);
    let mut errors = Vec::new();
    let mut reasons = Vec::new();
    let details = match format {
        FileFormat::PytorchZip => {
            reasons.push(pickle_reason());
            let mut members = Vec::new();
            for i in 0..archive.len() {
                if !archive
                    .name_for_index(i)
                    .is_some_and(|n| n.ends_with(".pkl"))
                {
                    continue;
                }
                match scan_member(&mut archive, i, options) {
                    Ok((member, size, scan)) => {
                        scan_reasons(&format!("{name}:{member}"), &scan, &mut reasons);
                        members.push(PickleMember {
                            name: member,
                            size,
                            scan,
                        });
                    }
                    Err(e) => reasons.push(format!("`{name}`: {e}")),
                }
            }
            Details::PickleZip { members }
        }
        FileFormat::Npz => {
            let mut members = Vec::new();
            for i in 0..archive.len() {
                if !archive
                    .name_for_index(i)
                    .is_some_and(|n| n.ends_with(".npy"))
                {
                    continue;
                }
                let head = MAX_NPY_HEADER as u64 + 12;
                match read_member_head(&mut archive, i, head) {
                    Ok((member, data)) => {
                        let label = format!("{name}:{member}");
                        match NpyHeader::parse(&label, &data) {
                            Ok(h) => {
                                if let Verdict::Unsafe { reasons: r } = npy_verdict(&label, &h) {
                                    reasons.extend(r);
                                }
                                members.push(NpyMember {
                                    name: member,
                                    header: h,
                                });
                            }
                            Err(e) => errors.push(Problem::new(e.code(), &e)),
                        }
                    }
                    Err(e) => errors.push(Problem::new("bad_member", format!("`{name}`: {e}"))),
                }
            }
            Details::Npz { members }
        }
        FileFormat::Keras => {
            let index = names.iter().position(|n| n == "config.json");
            let mut config = KerasConfig::default();
            if let Some(i) = index {
                // Walked as it is inflated, never held whole.
                let (found, problem) = match archive.by_index(i) {
                    Ok(member) => {
                        let declared = member.size();
                        walk_config(member, declared, options.max_json_size)
                    }
                    Err(e) => (
                        KerasConfig::default(),
                        Some(ConfigProblem::Member(e.to_string())),
                    ),
                };
                config = found;
                match problem {
                    None => {}
                    Some(ConfigProblem::Member(e)) => {
                        errors.push(Problem::new("bad_member", format!("`{name}`: {e}")));
                    }
                    Some(ConfigProblem::Json(e)) => errors.push(Problem::new(
                        "invalid_json",
                        format!("`{name}`: config.json is not valid JSON: {e}"),
                    )),
                    Some(ConfigProblem::StringTooLong) => reasons.push(format!(
                        "`{name}`: config.json holds a string longer than {MAX_JSON_STRING} \
                         bytes; the rest of it is not inspected"
                    )),
                    Some(ConfigProblem::Io(e)) => errors.push(Problem::new(
                        "bad_member",
                        format!("`{name}`: config.json cannot be inflated: {e}"),
                    )),
                }
            } else {
                reasons.push(format!(
                    "`{name}`: no config.json; the archive is not a Keras v3 model"
                ));
            }
            for l in &config.lambda_layers {
                reasons.push(format!(
                    "`{name}`: Lambda layer at {l} holds Python bytecode"
                ));
            }
            if config.more_lambda_layers > 0 {
                reasons.push(format!(
                    "`{name}`: {} more Lambda layers, not listed",
                    config.more_lambda_layers
                ));
            }
            for m in &config.custom_modules {
                reasons.push(format!("`{name}`: custom object loaded from module `{m}`"));
            }
            if config.more_custom_modules > 0 {
                reasons.push(format!(
                    "`{name}`: custom objects from {} more modules, not listed",
                    config.more_custom_modules
                ));
            }
            Details::Keras {
                config_json: index.is_some(),
                lambda_layers: config.lambda_layers,
                custom_modules: config.custom_modules,
            }
        }
        _ => {
            return Ok((
                Verdict::Unchecked {
                    reason: format!("`{name}`: ZIP archive of no known model layout"),
                },
                Details::None,
            ));
        }
    };
    let verdict = if !errors.is_empty() {
        Verdict::Invalid { errors }
    } else if !reasons.is_empty() {
        Verdict::Unsafe { reasons }
    } else {
        Verdict::Safe
    };
    Ok((verdict, details))
}
