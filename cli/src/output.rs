//! Rendering: JSON documents (a versioned contract) and text, errors on stderr.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;

/// The version of every JSON document the CLI prints. Bumped only on
/// incompatible changes; fields may be added within a version.
pub const JSON_VERSION: u32 = 2;

/// `modelseal hash --format json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HashReport {
    /// Always `"hash"`.
    pub kind: &'static str,
    /// The JSON schema version.
    pub version: u32,
    /// The model path as given.
    pub model: String,
    /// `directory` or `file`.
    pub model_kind: &'static str,
    /// How the resources were produced (the OMS `serialization`).
    pub serialization: modelseal::SerializationReport,
    /// Each resource in canonical order.
    pub resources: Vec<ResourceJson>,
    /// The OMS root digest.
    pub root_digest: DigestJson,
    /// Number of files hashed.
    pub file_count: usize,
    /// Bytes hashed.
    pub bytes: u64,
    /// Wall time of the whole command, in milliseconds.
    pub elapsed_ms: f64,
}

/// One resource.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ResourceJson {
    pub name: String,
    pub algorithm: &'static str,
    pub digest: String,
    pub size: u64,
}

pub use modelseal_hash::DigestJson;

impl HashReport {
    pub fn new(
        model: &modelseal_hash::Model,
        manifest: &modelseal_hash::Manifest,
        elapsed: Duration,
    ) -> Self {
        Self {
            kind: "hash",
            version: JSON_VERSION,
            model: model.root().display().to_string(),
            model_kind: match model.kind() {
                modelseal_hash::ModelKind::Directory => "directory",
                modelseal_hash::ModelKind::File => "file",
            },
            serialization: (&manifest.serialization).into(),
            resources: manifest
                .resources
                .iter()
                .map(|r| ResourceJson {
                    name: r.name.clone(),
                    algorithm: r.algorithm.name(),
                    digest: r.digest.to_hex(),
                    size: r.size,
                })
                .collect(),
            root_digest: DigestJson::sha256_hex(&manifest.root_digest.to_hex()),
            file_count: model.files().len(),
            bytes: manifest.total_size(),
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
        }
    }

    /// `sha256sum`-style lines (`DIGEST  NAME`), then the root digest.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for r in &self.resources {
            text.push_str(&r.digest);
            text.push_str("  ");
            text.push_str(&r.name);
            text.push('\n');
        }
        text.push_str(&format!(
            "root {}:{}\n",
            self.root_digest.algorithm, self.root_digest.digest
        ));
        text
    }
}

/// The JSON document of a check whose signature stage failed (no report
/// could be made): `kind`, `version`, the verdict field of that kind set to
/// false (`verified`, `clean`, `complete`, `policy_passed`; `attestations`
/// has none), `model`, and
/// `error` {`stage`, `message`}.
pub fn failure_document(
    kind: &'static str,
    model: &std::path::Path,
    error: &modelseal::Error,
) -> serde_json::Value {
    let verdict = match kind {
        "status" => Some("clean"),
        "log" => Some("complete"),
        "report" | "verify-report" => Some("verified"),
        "verify" => Some("verified"),
        _ => None,
    };
    let mut document = serde_json::Map::new();
    document.insert("kind".into(), kind.into());
    document.insert("version".into(), JSON_VERSION.into());
    if let Some(verdict) = verdict {
        document.insert(verdict.into(), false.into());
    }
    document.insert("model".into(), model.display().to_string().into());
    document.insert(
        "error".into(),
        serde_json::json!({
            "stage": error.stage().unwrap_or("content"),
            "message": chain(error),
        }),
    );
    serde_json::Value::Object(document)
}

/// `1 file`, `2 files`: a count and its noun, singular or plural.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Warns about `--ignore` paths that matched nothing in the model.
pub fn warn_unused_ignores(paths: &[String]) {
    for path in paths {
        print_warning(&format!(
            "--ignore `{path}` matches nothing in the model (a typo?); it is recorded anyway"
        ));
    }
}

/// The `links` line of a check report: which symbolic links led to the
/// model's bytes.
pub fn write_links(text: &mut String, links: &modelseal::LinksReport) {
    use std::fmt::Write as _;
    if let Some(target) = &links.model_target {
        let _ = writeln!(text, "  model link    resolved to `{target}`");
    }
    if links.followed > 0 {
        let plural = if links.followed == 1 { "" } else { "s" };
        let _ = match &links.hub_repo {
            Some(repo) => writeln!(
                text,
                "  links         {} symbolic link{plural} followed into the Hugging Face cache \
                 repository `{repo}`",
                links.followed
            ),
            None => writeln!(
                text,
                "  links         {} symbolic link{plural} followed inside the model",
                links.followed
            ),
        };
    }
}

/// A byte count for people: `1.5 GB`, `12.0 kB`, `512 B` (SI units).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// Writes a JSON document and a newline to stdout.
pub fn write_json(value: &impl Serialize) -> io::Result<()> {
    if let Some(()) = CAPTURE.with_borrow_mut(|c| {
        c.as_mut().map(|buffer| {
            // Serializing a document of owned values cannot fail.
            let _ = serde_json::to_writer_pretty(&mut *buffer, value);
            buffer.push(b'\n');
        })
    }) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    reader_gone_is_fine(written)
}

/// Whether stdout's reader went away (`modelseal verify … | head`).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A broken pipe on stdout ends the output early, and nothing else: the
/// command still decides its exit code (a failed verification stays 1
/// behind `| head` or `| true`, so a `pipefail` gate cannot pass a tampered
/// model). Any other write error is returned.
fn reader_gone_is_fine(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

thread_local! {
    /// Where this thread's stdout goes while [`capture`] runs a command
    /// (the Python package calls the CLI in its own process).
    static CAPTURE: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with everything it writes to stdout collected instead, and
/// returns that with `f`'s result. Per thread: commands on other threads
/// keep their own output.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<u8>) {
    /// Ends the capture however `f` ends, a panic included: the thread's
    /// next command prints again.
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            CAPTURE.with_borrow_mut(Option::take);
        }
    }
    CAPTURE.with_borrow_mut(|c| *c = Some(Vec::new()));
    let stop = Stop;
    let result = f();
    let out = CAPTURE.with_borrow_mut(Option::take).unwrap_or_default();
    drop(stop);
    (result, out)
}

/// Forgets an earlier command's closed stdout (a process that runs several
/// commands, as Python does, starts each with its stdout open).
pub fn reopen_stdout() {
    STDOUT_CLOSED.store(false, std::sync::atomic::Ordering::Relaxed);
}

/// Writes text to stdout.
pub fn write_text(text: &str) -> io::Result<()> {
    if let Some(()) = CAPTURE.with_borrow_mut(|c| {
        c.as_mut()
            .map(|buffer| buffer.extend_from_slice(escape_controls(text).as_bytes()))
    }) {
        return Ok(());
    }
    if STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    let written = out
        .write_all(escape_controls(text).as_bytes())
        .and_then(|()| out.flush());
    reader_gone_is_fine(written)
}

/// Text for a terminal from strings an attacker may choose (file names,
/// fields of a forged bundle, attestation text): every control character
/// but newline and tab is shown escaped (`\x1b`, `\u{9b}`), so no escape
/// sequence reaches the terminal to redraw what it shows. Every text line
/// modelseal prints goes through here; JSON is escaped by its encoder.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !unsafe_char(c) {
            escaped.push(c);
        } else if let Ok(byte) = u8::try_from(u32::from(c)) {
            if byte < 0x80 {
                escaped.push_str(&format!("\\x{byte:02x}"));
            } else {
                escaped.push_str(&format!("\\u{{{byte:x}}}"));
            }
        } else {
            escaped.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    std::borrow::Cow::Owned(escaped)
}

/// A field from a signed statement or a policy, made one line: a newline
/// in an attestation's test name could otherwise print what looks like
/// another row (`\n` and `\r` are shown escaped; other controls are left
/// to [`escape_controls`]).
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['\n', '\r']) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.replace('\n', "\\n").replace('\r', "\\r"))
}

/// Whether an error is a closed stdout pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Prints an error and its causes to stderr: `error: what: why`. Not
/// while [`capture`] runs a command: its caller gets the error in the
/// document (or as the command's error) and reports it itself.
pub fn print_error(error: &anyhow::Error) {
    if CAPTURE.with_borrow(Option::is_some) {
        return;
    }
    let color = std::env::var_os(crate::env::NO_COLOR).is_none() && io::stderr().is_terminal();
    let label = if color {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    let mut err = io::stderr().lock();
    // Several per-file failures: one line each, so none is lost in a long line.
    let many = error.downcast_ref::<modelseal_hash::Error>().or_else(|| {
        match error.downcast_ref::<modelseal::Error>() {
            Some(modelseal::Error::Model(inner)) => Some(inner),
            _ => None,
        }
    });
    if let Some(modelseal_hash::Error::Many(failures)) = many {
        let _ = writeln!(
            err,
            "{label}: {} could not be hashed",
            plural(failures.len(), "file")
        );
        for failure in failures {
            let _ = writeln!(err, "  - {}", escape_controls(&chain(failure)));
        }
        return;
    }
    let _ = writeln!(err, "{label}: {}", escape_controls(&chain(error.as_ref())));
}

/// Prints a note to stderr (what was written where).
pub fn print_note(message: &str) {
    let _ = writeln!(io::stderr().lock(), "{}", escape_controls(message));
}

/// Prints a warning to stderr: `warning: …`.
pub fn print_warning(message: &str) {
    let color = std::env::var_os(crate::env::NO_COLOR).is_none() && io::stderr().is_terminal();
    let label = if color {
        "\x1b[1;33mwarning\x1b[0m"
    } else {
        "warning"
    };
    let _ = writeln!(io::stderr().lock(), "{label}: {}", escape_controls(message));
}

/// An error and its causes on one line: `what: why: why`.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
