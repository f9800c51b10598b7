//! The attestations file: one Sigstore bundle per line (JSON Lines) beside
//! the model's signature. Appending never rewrites what is there.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// The attestations file's name inside a directory model.
pub const ATTESTATIONS_FILE_NAME: &str = "model.att.jsonl";
/// The largest attestations file read: 64 MiB.
pub const MAX_ATTESTATIONS_SIZE: u64 = 64 << 20;
/// The most attestations in one file.
pub const MAX_ATTESTATIONS: usize = 10_000;
/// The longest line (one attestation bundle) read: 4 MiB. Lines are parsed
/// before their signatures are checked, several at a time, so each is
/// capped on its own: a longer line is refused as it is read, before it is
/// held or parsed. (A statement with every predicate list and text at its
/// cap would not fit; real ones are a few KiB.)
pub const MAX_ATTESTATION_LINE: usize = 4 << 20;

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
/// are skipped. The size is checked before reading, and each line's as it
/// is read ([`MAX_ATTESTATION_LINE`]); a symbolic link or a special file is
/// refused. The file is read line by line: what is held is the lines, once.
pub fn read_attestations(path: &Path) -> Result<Vec<StoredAttestation>, StoreError> {
    match open_store(path)? {
        // `take` keeps a file that grows while read within the cap.
        Some(file) => {
            parse_attestations(path, BufReader::new(file.take(MAX_ATTESTATIONS_SIZE + 1)))
        }
        None => Ok(Vec::new()),
    }
}

/// `path` opened for reading, `None` if it is missing; a symbolic link, a
/// special file or a file over the size cap is refused.
fn open_store(path: &Path) -> Result<Option<std::fs::File>, StoreError> {
    let io = |source| StoreError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    let file = match open_regular(path, std::fs::OpenOptions::new().read(true)) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_ATTESTATIONS_SIZE {
        return Err(StoreError::TooLarge {
            path: path.to_owned(),
            size,
            max: MAX_ATTESTATIONS_SIZE,
        });
    }
    Ok(Some(file))
}

/// The bytes of `path`, empty if it is missing, within the size cap; a
/// symbolic link or a special file is refused.
fn read_store(path: &Path) -> Result<Vec<u8>, StoreError> {
    let io = |action, source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    };
    let Some(file) = open_store(path)? else {
        return Ok(Vec::new());
    };
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

/// The attestations `reader` holds (the content of `path`), numbered by
/// line. A line is refused as soon as it passes [`MAX_ATTESTATION_LINE`],
/// the input once it passes [`MAX_ATTESTATIONS_SIZE`].
fn parse_attestations(
    path: &Path,
    mut reader: impl BufRead,
) -> Result<Vec<StoredAttestation>, StoreError> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    let mut number = 1;
    let mut total = 0u64;
    loop {
        let buf = reader.fill_buf().map_err(|source| StoreError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        let at_end = buf.is_empty();
        let newline = buf.iter().position(|&b| b == b'\n');
        let piece = &buf[..newline.unwrap_or(buf.len())];
        if line.len() + piece.len() > MAX_ATTESTATION_LINE {
            return Err(StoreError::LineTooLarge {
                path: path.to_owned(),
                line: number,
                max: MAX_ATTESTATION_LINE,
            });
        }
        line.extend_from_slice(piece);
        let used = piece.len() + usize::from(newline.is_some());
        reader.consume(used);
        total += used as u64;
        if total > MAX_ATTESTATIONS_SIZE {
            return Err(StoreError::TooLarge {
                path: path.to_owned(),
                size: total,
                max: MAX_ATTESTATIONS_SIZE,
            });
        }
        if newline.is_none() && !at_end {
            continue;
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            if out.len() == MAX_ATTESTATIONS {
                return Err(StoreError::TooMany {
                    path: path.to_owned(),
                    max: MAX_ATTESTATIONS,
                });
            }
            // A copy of exactly the line's length; `line` is reused.
            out.push(StoredAttestation {
                line: number,
                bundle: line.clone(),
            });
        }
        if at_end {
            return Ok(out);
        }
        line.clear();
        number += 1;
    }
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
    let existing = parse_attestations(path, bytes.as_slice())?;
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
    // A file whose last line lacks its newline gets one first.
    let needs_newline = bytes.last().is_some_and(|&b| b != b'\n');
    let lines_before = if bytes.is_empty() {
        0
    } else {
        bytes.split(|&b| b == b'\n').count() - usize::from(!needs_newline)
    };
    if bundle.len() > MAX_ATTESTATION_LINE {
        return Err(StoreError::LineTooLarge {
            path: path.to_owned(),
            line: lines_before + 1,
            max: MAX_ATTESTATION_LINE,
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
    fn a_line_over_the_cap_is_refused_as_it_is_read() {
        // A 16 MiB junk line cost 1.6 GB when lines were parsed whole.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(ATTESTATIONS_FILE_NAME);
        let mut text = b"{\"dsseEnvelope\":1}\n\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_ATTESTATION_LINE + 1));
        text.extend_from_slice(b"\n{\"dsseEnvelope\":2}\n");
        std::fs::write(&path, &text).expect("write");
        let error = read_attestations(&path).expect_err("too long");
        assert!(
            matches!(&error, StoreError::LineTooLarge { line: 3, max, .. } if *max == MAX_ATTESTATION_LINE),
            "{error:?}"
        );
        assert!(
            error.to_string().contains(ATTESTATIONS_FILE_NAME),
            "{error}"
        );
        // Nor is such a bundle ever written.
        let long = vec![b'x'; MAX_ATTESTATION_LINE + 1];
        let other = dir.path().join("other.jsonl");
        assert!(matches!(
            append_attestation(&other, &long),
            Err(StoreError::LineTooLarge { line: 1, .. })
        ));
        assert!(!other.exists(), "refused before the file is created");
        // A line of exactly the cap is read, and numbered as before.
        let mut text = b"\n".to_vec();
        text.extend(std::iter::repeat_n(b'y', MAX_ATTESTATION_LINE));
        std::fs::write(&path, &text).expect("write");
        let read = read_attestations(&path).expect("at the cap");
        assert_eq!(read.len(), 1);
        assert_eq!(
            (read[0].line, read[0].bundle.len()),
            (2, MAX_ATTESTATION_LINE)
        );
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
