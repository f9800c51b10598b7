//! The attestations file: one Sigstore bundle per line (JSON Lines) beside
//! the model's signature. Appending never rewrites what is there.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// The attestations file's name inside a directory model.
pub const ATTESTATIONS_FILE_NAME: &str = "model.att.jsonl";
/// The largest attestations file read: 64 MiB.
pub const MAX_ATTESTATIONS_SIZE: u64 = 64 << 20;
/// The most attestations in one file.
pub const MAX_ATTESTATIONS: usize = 10_000;

/// Where a model's attestations go by default: `MODEL/model.att.jsonl` for
/// a directory, `MODEL.att.jsonl` beside a single-file model.
pub fn default_attestations_path(model: &Path) -> PathBuf {
    if model.is_dir() {
        model.join(ATTESTATIONS_FILE_NAME)
    } else {
        let mut name = model.as_os_str().to_owned();
        name.push(".att.jsonl");
        PathBuf::from(name)
    }
}

/// One line of the attestations file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttestation {
    /// Its line number, from 1.
    pub line: usize,
    /// The bundle JSON.
    pub bundle: Vec<u8>,
}

/// Opens `path` for reading or appending without following a symbolic
/// link and without blocking on a FIFO, and insists on a regular file: the
/// attestations file sits in a model directory that may come from anyone.
fn open_regular(
    path: &Path,
    options: &mut std::fs::OpenOptions,
) -> Result<std::fs::File, std::io::Error> {
    modelseal_hash::open_regular_with(path, options, modelseal_hash::Links::Refuse)
}

/// Reads every attestation in `path`; a missing file has none. Blank lines
/// are skipped. The size is checked before reading; a symbolic link or a
/// special file is refused.
pub fn read_attestations(path: &Path) -> Result<Vec<StoredAttestation>, StoreError> {
    parse_attestations(path, &read_store(path)?)
}

/// The bytes of `path`, empty if it is missing, within the size cap; a
/// symbolic link or a special file is refused.
fn read_store(path: &Path) -> Result<Vec<u8>, StoreError> {
    let io = |action, source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    };
    let file = match open_regular(path, std::fs::OpenOptions::new().read(true)) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read", e)),
    };
    let size = file.metadata().map_err(|e| io("read", e))?.len();
    if size > MAX_ATTESTATIONS_SIZE {
        return Err(StoreError::TooLarge {
            path: path.to_owned(),
            size,
            max: MAX_ATTESTATIONS_SIZE,
        });
    }
    let mut bytes = Vec::new();
    // `take` keeps a file that grows while read within the cap.
    file.take(MAX_ATTESTATIONS_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io("read", e))?;
    if bytes.len() as u64 > MAX_ATTESTATIONS_SIZE {
        return Err(StoreError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            max: MAX_ATTESTATIONS_SIZE,
        });
    }
    Ok(bytes)
}

/// The attestations in the bytes of `path`, numbered by line.
fn parse_attestations(path: &Path, bytes: &[u8]) -> Result<Vec<StoredAttestation>, StoreError> {
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if out.len() == MAX_ATTESTATIONS {
            return Err(StoreError::TooMany {
                path: path.to_owned(),
                max: MAX_ATTESTATIONS,
            });
        }
        out.push(StoredAttestation {
            line: i + 1,
            bundle: line.to_vec(),
        });
    }
    Ok(out)
}

/// Appends one bundle as a new line of `path` (created with mode 0644 if
/// missing) in a single `write` on a file opened for appending, so
/// existing attestations are never rewritten. A file whose lines are not
/// all bundles (a signature, a weights file given by mistake) is refused
/// rather than damaged. Returns the new line number.
pub fn append_attestation(path: &Path, bundle: &[u8]) -> Result<usize, StoreError> {
    if bundle.contains(&b'\n') || bundle.is_empty() {
        return Err(StoreError::NotOneLine);
    }
    // One read serves every check below; the file is then opened once more,
    // for appending.
    let bytes = read_store(path)?;
    let existing = parse_attestations(path, &bytes)?;
    if let Some(bad) = existing.iter().find(|a| !looks_like_bundle(&a.bundle)) {
        return Err(StoreError::NotAttestations {
            path: path.to_owned(),
            line: bad.line,
        });
    }
    if existing.len() >= MAX_ATTESTATIONS {
        return Err(StoreError::TooMany {
            path: path.to_owned(),
            max: MAX_ATTESTATIONS,
        });
    }
    let io = |action, source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    let mut file = open_regular(path, &mut options).map_err(|e| io("open", e))?;
    let size = bytes.len() as u64;
    if size + bundle.len() as u64 + 2 > MAX_ATTESTATIONS_SIZE {
        return Err(StoreError::TooLarge {
            path: path.to_owned(),
            size: size + bundle.len() as u64 + 1,
            max: MAX_ATTESTATIONS_SIZE,
        });
    }
    // A file whose last line lacks its newline gets one first.
    let needs_newline = bytes.last().is_some_and(|&b| b != b'\n');
    let lines_before = if bytes.is_empty() {
        0
    } else {
        bytes.split(|&b| b == b'\n').count() - usize::from(!needs_newline)
    };
    let mut record = Vec::with_capacity(bundle.len() + 2);
    if needs_newline {
        record.push(b'\n');
    }
    record.extend_from_slice(bundle);
    record.push(b'\n');
    file.write_all(&record).map_err(|e| io("write", e))?;
    file.sync_all().map_err(|e| io("write", e))?;
    Ok(lines_before + 1)
}

/// Whether a line is a JSON object with a `dsseEnvelope`: a Sigstore bundle
/// (its signature is another matter).
fn looks_like_bundle(line: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        #[allow(dead_code)]
        dsse_envelope: serde::de::IgnoredAny,
    }
    serde_json::from_slice::<Probe>(line).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_keeps_existing_lines_and_numbers_new_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(ATTESTATIONS_FILE_NAME);
        let b = |n: u8| format!("{{\"dsseEnvelope\":{n}}}").into_bytes();
        assert_eq!(read_attestations(&path).expect("missing is empty"), []);
        assert_eq!(append_attestation(&path, &b(1)).expect("append"), 1);
        assert_eq!(append_attestation(&path, &b(2)).expect("append"), 2);
        // A hand-edited file without its final newline.
        let mut text = std::fs::read(&path).expect("read");
        text.extend_from_slice(b"\n");
        text.extend_from_slice(&b(3));
        std::fs::write(&path, &text).expect("write");
        assert_eq!(append_attestation(&path, &b(4)).expect("append"), 5);
        let lines: Vec<(usize, Vec<u8>)> = read_attestations(&path)
            .expect("read")
            .into_iter()
            .map(|a| (a.line, a.bundle))
            .collect();
        assert_eq!(lines, [(1, b(1)), (2, b(2)), (4, b(3)), (5, b(4))]);
        assert!(matches!(
            append_attestation(&path, b"{}\n{}"),
            Err(StoreError::NotOneLine)
        ));
    }

    #[test]
    fn other_files_links_and_fifos_are_never_appended_to() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A signature or config given by mistake: not bundles, left alone.
        let config = dir.path().join("config.json");
        std::fs::write(&config, b"{\"hidden\": 4}\n").expect("write");
        assert!(matches!(
            append_attestation(&config, b"{\"dsseEnvelope\":1}"),
            Err(StoreError::NotAttestations { line: 1, .. })
        ));
        assert_eq!(std::fs::read(&config).expect("read"), b"{\"hidden\": 4}\n");
        #[cfg(unix)]
        {
            let victim = dir.path().join("victim.txt");
            std::fs::write(&victim, b"").expect("write");
            let link = dir.path().join(ATTESTATIONS_FILE_NAME);
            std::os::unix::fs::symlink(&victim, &link).expect("symlink");
            let error = append_attestation(&link, b"{\"dsseEnvelope\":1}").expect_err("a link");
            assert!(format!("{error:?}").contains("symbolic link"), "{error:?}");
            assert_eq!(std::fs::read(&victim).expect("read"), b"");
            assert!(read_attestations(&link).is_err());
            let fifo = dir.path().join("fifo.jsonl");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                // Would block forever without O_NONBLOCK.
                assert!(read_attestations(&fifo).is_err());
            }
        }
    }

    #[test]
    fn oversized_file_is_refused_before_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(ATTESTATIONS_FILE_NAME);
        let file = std::fs::File::create(&path).expect("create");
        file.set_len(MAX_ATTESTATIONS_SIZE + 1).expect("grow");
        assert!(matches!(
            read_attestations(&path),
            Err(StoreError::TooLarge { .. })
        ));
    }
}
