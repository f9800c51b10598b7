//! Finding models in a tree: one parallel pass that identifies every file by
//! content, then the grouping of weight files into models.
//!
//! What is kept of the pass is small whatever the tree holds: per
//! directory, its weight files and which marker files it has; other files
//! are counted, not listed.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use modelseal_formats::FileFormat;
use modelseal_hash::ProgressFn;
use rayon::prelude::*;

use crate::layout::SIGNATURE_FILE_NAME;

/// Directories of version-control systems: never model content.
const VCS_DIRS: [&str; 6] = [".git", ".hg", ".svn", ".bzr", "_darcs", ".jj"];

/// Files that, beside weights, make a directory one model (Hugging Face
/// repository files, Mistral's `params.json`, PEFT adapters).
const MARKERS: [&str; 13] = [
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "preprocessor_config.json",
    "adapter_config.json",
    "params.json",
    "sentence_bert_config.json",
];

/// How deep the scan descends (as the model walk's limit).
const MAX_DEPTH: usize = 256;

/// A candidate model, before it is hashed and checked.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub layout: Layout,
    /// The model path: a directory, a file, a hub snapshot directory, or
    /// an Ollama manifest file.
    pub path: PathBuf,
    /// How the model is named (`ORG/NAME@REV`, `llama3:latest`, the
    /// directory or file name).
    pub name: String,
    /// Hub refs (`main`) that point at this snapshot.
    pub refs: Vec<String>,
    /// The snapshot revision of a hub model.
    pub revision: Option<String>,
    /// The Ollama store a manifest belongs to.
    pub store: Option<PathBuf>,
}

/// How a model was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// A snapshot of a Hugging Face hub cache repository
    /// (`models--ORG--NAME/snapshots/REV`).
    HubCache,
    /// A model directory: weights beside `config.json` or tokenizer files,
    /// a diffusers pipeline, a SavedModel, a Core ML package, or a
    /// directory holding a `model.sig`.
    Directory,
    /// An Ollama model: a manifest in an Ollama store pointing at blobs.
    Ollama,
    /// A model file on its own.
    File,
}

impl Layout {
    /// Its name, as in JSON (`hub-cache`, `directory`, `ollama`, `file`).
    pub fn name(self) -> &'static str {
        match self {
            Self::HubCache => "hub-cache",
            Self::Directory => "directory",
            Self::Ollama => "ollama",
            Self::File => "file",
        }
    }
}

/// An entry the scan did not look into, and why.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Skipped {
    /// The path.
    pub path: String,
    /// Why.
    pub reason: String,
    /// True when what it leads to may be model content nothing checked (it
    /// could not be read, or it is a link out of the tree, which a loader
    /// would follow): `--require` fails on it.
    pub unchecked: bool,
}

impl Skipped {
    /// An entry that may hide model content.
    fn may_hide_models(path: &Path, reason: String) -> Self {
        Self {
            path: path.display().to_string(),
            reason,
            unchecked: true,
        }
    }

    /// An entry that holds no model content to check.
    fn not_a_model(path: &Path, reason: String) -> Self {
        Self {
            path: path.display().to_string(),
            reason,
            unchecked: false,
        }
    }
}

/// What the scan of the given trees found.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    /// Files identified (all of them, models or not).
    pub files_scanned: u64,
}

/// One scanned directory.
#[derive(Debug, Default)]
struct Node {
    path: PathBuf,
    /// Weight files directly inside.
    weights: Vec<PathBuf>,
    markers: Markers,
    children: Vec<Node>,
    /// Weight files anywhere below (this directory included).
    weights_below: usize,
    /// Weight files in this directory and its immediate subdirectories.
    weights_near: usize,
    /// Whether this directory or one below is a model directory by its
    /// own files (see [`Node::is_model_dir`]).
    model_dir_below: bool,
    /// Candidates found by a special layout (hub repo, Ollama store).
    special: Vec<Candidate>,
    skipped: Vec<Skipped>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Markers {
    signature: bool,
    repo_file: bool,
    diffusers: bool,
    saved_model: bool,
    coreml_package: bool,
}

/// Whether a format is a model's weights or graph (what makes a model),
/// as opposed to configs, text and unknown files.
pub(crate) fn is_model_format(format: FileFormat) -> bool {
    !matches!(
        format,
        FileFormat::Json | FileFormat::Text | FileFormat::Unknown | FileFormat::Zip
    )
}

/// Scans every path (a directory tree or one file).
pub(crate) fn discover(
    paths: &[PathBuf],
    scanned: &AtomicU64,
    progress: Option<&ProgressFn>,
) -> Discovery {
    let mut discovery = Discovery::default();
    for path in paths {
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                discovery
                    .skipped
                    .push(Skipped::may_hide_models(path, format!("cannot read: {e}")));
                continue;
            }
        };
        if meta.is_dir() {
            scan_root(path, scanned, progress, &mut discovery);
        } else if meta.is_file() {
            scanned.fetch_add(1, Ordering::Relaxed);
            match modelseal_formats::identify_as(path, &file_name(path)) {
                Ok(format) if is_model_format(format) => {
                    discovery.candidates.push(lone_file(path.clone()));
                }
                Ok(_) => discovery.skipped.push(Skipped::not_a_model(
                    path,
                    "not a model file (identified by content)".to_owned(),
                )),
                Err(e) => discovery
                    .skipped
                    .push(Skipped::may_hide_models(path, e.to_string())),
            }
        } else {
            discovery.skipped.push(Skipped::may_hide_models(
                path,
                "not a regular file or directory".to_owned(),
            ));
        }
    }
    discovery.files_scanned = scanned.load(Ordering::Relaxed);
    discovery
}

/// One directory given on the command line. A hub cache repository, or a
/// snapshot of one, is its own layout; a folder inside a snapshot is
/// scanned with the repository as the tree its links may point into.
fn scan_root(path: &Path, scanned: &AtomicU64, progress: Option<&ProgressFn>, out: &mut Discovery) {
    let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let name = file_name(&canonical);
    if hub_repo_kind(&name, &canonical) == Some("models") {
        match hub_snapshots(&name, &canonical) {
            Ok(found) => out.candidates.extend(found),
            Err(reason) => out.skipped.push(Skipped::may_hide_models(path, reason)),
        }
        return;
    }
    let repo = modelseal_hash::hub_cache_repo(&canonical);
    if let Some(repo) = &repo {
        let is_snapshot = canonical.parent() == Some(repo.join("snapshots").as_path());
        let repo_name = file_name(repo);
        if is_snapshot && hub_repo_kind(&repo_name, repo) == Some("models") {
            match hub_snapshots(&repo_name, repo) {
                Ok(found) => out
                    .candidates
                    .extend(found.into_iter().filter(|c| c.path == canonical)),
                Err(reason) => out.skipped.push(Skipped::may_hide_models(path, reason)),
            }
            return;
        }
    }
    let tree_root = repo.unwrap_or(canonical);
    let scan = Scan {
        tree_root: &tree_root,
        scanned,
        progress,
    };
    let node = scan.dir(path.to_owned(), 0);
    group(node, out);
}

struct Scan<'a> {
    /// The canonical root of the tree being scanned: links may point
    /// anywhere inside it, never out.
    tree_root: &'a Path,
    scanned: &'a AtomicU64,
    progress: Option<&'a ProgressFn>,
}

impl Scan<'_> {
    fn dir(&self, path: PathBuf, depth: usize) -> Node {
        let mut node = Node {
            path,
            ..Node::default()
        };
        if depth > MAX_DEPTH {
            let reason = format!("nested deeper than {MAX_DEPTH} directories");
            node.skipped
                .push(Skipped::may_hide_models(&node.path, reason));
            return node;
        }
        let entries = match fs::read_dir(&node.path) {
            Ok(entries) => entries,
            Err(e) => {
                let reason = format!("cannot list: {e}");
                node.skipped
                    .push(Skipped::may_hide_models(&node.path, reason));
                return node;
            }
        };
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let reason = format!("cannot list: {e}");
                    node.skipped
                        .push(Skipped::may_hide_models(&node.path, reason));
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() && !VCS_DIRS.contains(&name.as_str()) => {
                    dirs.push((name, path));
                }
                Ok(t) if t.is_dir() => {}
                Ok(t) if t.is_file() => files.push((name, path, None)),
                Ok(t) if t.is_symlink() => match self.link_target(&path) {
                    Ok(target) if target.is_file() => files.push((name, path, Some(target))),
                    // Its content is inside the tree, and scanned there.
                    Ok(_) => node.skipped.push(Skipped::not_a_model(
                        &path,
                        "a link to a directory inside the tree: not followed".to_owned(),
                    )),
                    Err(reason) => node.skipped.push(Skipped::may_hide_models(&path, reason)),
                },
                _ => {}
            }
        }
        for (name, _, _) in &files {
            node.markers.note(name);
        }
        if node.path.extension().is_some_and(|e| e == "mlpackage")
            && files.iter().any(|(name, _, _)| name == "Manifest.json")
        {
            node.markers.coreml_package = true;
        }
        // Special layouts, which are not scanned as plain trees.
        let names: Vec<&str> = dirs.iter().map(|(n, _)| n.as_str()).collect();
        if names.contains(&"manifests") && names.contains(&"blobs") {
            match super::ollama::store_models(&node.path) {
                Ok((found, unread)) if !found.is_empty() || !unread.is_empty() => {
                    node.special = found;
                    node.skipped.extend(
                        unread
                            .into_iter()
                            .map(|(path, reason)| Skipped::may_hide_models(&path, reason)),
                    );
                    // The blobs are the models' content: not lone files.
                    dirs.retain(|(n, _)| n != "blobs" && n != "manifests");
                }
                Ok(_) => {}
                Err(reason) => node.skipped.push(Skipped::may_hide_models(
                    &node.path.join("manifests"),
                    reason,
                )),
            }
        }
        let mut hub = Vec::new();
        dirs.retain(|(name, path)| {
            if let Some(kind) = hub_repo_kind(name, path) {
                hub.push((kind, name.clone(), path.clone()));
                false
            } else {
                true
            }
        });
        for (kind, name, path) in hub {
            if kind == "models" {
                match hub_snapshots(&name, &path) {
                    Ok(found) => node.special.extend(found),
                    Err(reason) => node.skipped.push(Skipped::may_hide_models(&path, reason)),
                }
            } else {
                let reason = format!("a hub cache {kind} repository, not a model");
                node.skipped.push(Skipped::not_a_model(&path, reason));
            }
        }

        let sniffed: Vec<Result<Option<PathBuf>, Skipped>> = files
            .into_par_iter()
            .map(|(name, path, target)| {
                self.scanned.fetch_add(1, Ordering::Relaxed);
                if let Some(progress) = self.progress {
                    progress(1);
                }
                // A file listed as regular is opened refusing links: one
                // swapped for a link meanwhile is not followed out.
                let identified = match &target {
                    Some(target) => modelseal_formats::identify_as(target, &name),
                    None => modelseal_formats::identify_as_with(
                        &path,
                        &name,
                        modelseal_hash::Links::Refuse,
                    ),
                };
                match identified {
                    Ok(format) if is_model_format(format) => Ok(Some(path)),
                    Ok(_) => Ok(None),
                    Err(e) => Err(Skipped::may_hide_models(&path, e.to_string())),
                }
            })
            .collect();
        for result in sniffed {
            match result {
                Ok(Some(path)) => node.weights.push(path),
                Ok(None) => {}
                Err(skipped) => node.skipped.push(skipped),
            }
        }
        node.weights.sort();
        node.children = dirs
            .into_par_iter()
            .map(|(_, path)| self.dir(path, depth + 1))
            .collect();
        node.children.sort_by(|a, b| a.path.cmp(&b.path));
        node.weights_below =
            node.weights.len() + node.children.iter().map(|c| c.weights_below).sum::<usize>();
        node.weights_near =
            node.weights.len() + node.children.iter().map(|c| c.weights.len()).sum::<usize>();
        node.model_dir_below =
            node.is_model_dir_by_itself() || node.children.iter().any(|c| c.model_dir_below);
        node
    }

    /// Where a link inside the tree leads, if it stays inside it.
    fn link_target(&self, link: &Path) -> Result<PathBuf, String> {
        let target = fs::canonicalize(link).map_err(|e| format!("a broken link: {e}"))?;
        if target.starts_with(self.tree_root) {
            Ok(target)
        } else {
            Err(format!(
                "a link out of the scanned tree (to `{}`): not followed",
                target.display()
            ))
        }
    }
}

impl Node {
    /// A model directory by what it holds itself: a `model.sig`, a Core ML
    /// package, weights beside repository files (`config.json`, tokenizer
    /// files, …), or a diffusers pipeline or SavedModel with weights below.
    fn is_model_dir_by_itself(&self) -> bool {
        let m = self.markers;
        m.signature
            || m.coreml_package
            || (m.repo_file && !self.weights.is_empty())
            || ((m.diffusers || m.saved_model) && self.weights_below > 0)
    }

    /// [`Node::is_model_dir_by_itself`], or repository files with weights
    /// only in immediate subdirectories (`config.json` beside `weights/`,
    /// `onnx/`) when no directory below is a model directory of its own: a
    /// project folder's `config.json` does not swallow the models inside
    /// it, nor a weights file deep in its tree.
    fn is_model_dir(&self) -> bool {
        self.is_model_dir_by_itself()
            || (self.markers.repo_file && self.weights_near > 0 && !self.model_dir_below)
    }
}

impl Markers {
    fn note(&mut self, name: &str) {
        if name == SIGNATURE_FILE_NAME {
            self.signature = true;
        } else if name == "model_index.json" {
            self.diffusers = true;
        } else if name == "saved_model.pb" || name == "saved_model.pbtxt" {
            self.saved_model = true;
        } else if MARKERS.contains(&name) || name.ends_with(".index.json") {
            self.repo_file = true;
        }
    }
}

/// Groups a scanned tree into candidates: the outermost model directory
/// claims its whole subtree; weights no model directory claims are lone
/// model files.
fn group(node: Node, out: &mut Discovery) {
    let is_model_dir = node.is_model_dir();
    out.skipped.extend(node.skipped);
    out.candidates.extend(node.special);
    if is_model_dir {
        out.candidates.push(Candidate {
            layout: Layout::Directory,
            name: file_name(&node.path),
            path: node.path,
            refs: Vec::new(),
            revision: None,
            store: None,
        });
        // Hub repos and Ollama stores below are models of their own.
        for child in node.children {
            collect_special(child, out);
        }
        return;
    }
    for weight in node.weights {
        out.candidates.push(lone_file(weight));
    }
    for child in node.children {
        group(child, out);
    }
}

/// Inside a model directory: only what special layouts found, and what was
/// skipped.
fn collect_special(node: Node, out: &mut Discovery) {
    out.skipped.extend(node.skipped);
    out.candidates.extend(node.special);
    for child in node.children {
        collect_special(child, out);
    }
}

fn lone_file(path: PathBuf) -> Candidate {
    Candidate {
        layout: Layout::File,
        name: file_name(&path),
        path,
        refs: Vec::new(),
        revision: None,
        store: None,
    }
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `models`, `datasets` or `spaces` for a hub cache repository directory
/// (`models--ORG--NAME` holding `snapshots/`).
fn hub_repo_kind(name: &str, path: &Path) -> Option<&'static str> {
    let kind = ["models", "datasets", "spaces"]
        .into_iter()
        .find(|kind| name.starts_with(&format!("{kind}--")))?;
    path.join("snapshots").is_dir().then_some(kind)
}

/// One candidate per snapshot of a hub cache model repository, named
/// `ORG/NAME@REV` as the hub names it, with the refs pointing at it.
fn hub_snapshots(dir_name: &str, repo: &Path) -> Result<Vec<Candidate>, String> {
    let id = dir_name
        .strip_prefix("models--")
        .unwrap_or(dir_name)
        .replace("--", "/");
    let refs = hub_refs(repo);
    let snapshots = repo.join("snapshots");
    let entries =
        fs::read_dir(&snapshots).map_err(|e| format!("cannot list its snapshots: {e}"))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let revision = entry.file_name().to_string_lossy().into_owned();
        found.push(Candidate {
            layout: Layout::HubCache,
            name: format!("{id}@{revision}"),
            path: entry.path(),
            refs: refs
                .iter()
                .filter(|(_, rev)| *rev == revision)
                .map(|(name, _)| name.clone())
                .collect(),
            revision: Some(revision),
            store: None,
        });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// The repository's refs (`refs/main` holding a revision; branch names
/// may hold slashes), as (ref, revision) pairs.
fn hub_refs(repo: &Path) -> Vec<(String, String)> {
    let root = repo.join("refs");
    let mut refs = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() && stack.len() < 64 => stack.push(path),
                Ok(t) if t.is_file() => {
                    let Ok(bytes) =
                        modelseal_hash::read_regular(&path, modelseal_hash::Links::Refuse, 256)
                    else {
                        continue;
                    };
                    let revision = String::from_utf8_lossy(&bytes).trim().to_owned();
                    if let Ok(name) = path.strip_prefix(&root) {
                        refs.push((name.to_string_lossy().into_owned(), revision));
                    }
                }
                _ => {}
            }
        }
    }
    refs.sort();
    refs
}
