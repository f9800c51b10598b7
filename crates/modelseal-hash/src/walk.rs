//! Enumerating a model's files by the OMS v1.0 rules.
//!
//! A model is a directory or a single file. Every regular file below a
//! directory model is an entry, named by its `/`-separated path relative to
//! the model root; names are sorted by Unicode code point. Directories are not
//! entries. `.git`, `.gitattributes`, `.github` and `.gitignore` are excluded
//! at the top level only, and so is the `.cache/huggingface` folder that
//! `hf download --local-dir` leaves; user ignore paths are exact
//! model-relative paths, and every exclusion is recorded so a verifier can
//! repeat the walk.
//!
//! Symbolic links: the model path itself may be a link (it is resolved).
//! Links inside the model are followed when allowed and only while they stay
//! inside it, except in a Hugging Face hub cache snapshot
//! (`models--ORG--NAME/snapshots/REV/`), whose files are relative links into
//! the repository's own `blobs/`: there, links to regular files inside the
//! same `models--*` directory are followed without being asked.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, io_error};

/// The names OMS excludes at the top level of every model.
pub const DEFAULT_IGNORES: [&str; 4] = [".git", ".gitattributes", ".github", ".gitignore"];

/// The folder `hf download --local-dir` writes inside the model (a
/// `.gitignore` and `download/*.metadata`): excluded and recorded like the
/// git entries, so a model downloaded that way verifies with no flag.
pub const HF_DOWNLOAD_CACHE: &str = ".cache/huggingface";

/// The excluded entry whose files the walk never lists, not even in
/// [`Model::ignored_files`]: git's object store is no model content.
const VCS_STORE: &str = ".git";

/// How deep a directory tree may nest before the walk gives up; a guard
/// against hostile trees (and chains of directory symlinks) that would
/// otherwise exhaust the stack.
const MAX_DEPTH: usize = 256;

/// How many files (and excluded files) one walk lists at most: far beyond
/// any real model, and a bound on what a hostile tree of links can make a
/// walk list.
pub const MAX_FILES: usize = 1_000_000;

/// Options for [`walk`].
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Follow symbolic links that resolve inside the model (OMS
    /// `allow_symlinks`). When false, any symbolic link is an error.
    pub allow_symlinks: bool,
    /// Paths to exclude: model-relative (`cache`, `sub/dir`) or absolute paths
    /// inside the model. Each excludes one file or one directory subtree.
    pub ignore_paths: Vec<PathBuf>,
    /// Files to exclude wherever they are, such as the signature file: a path
    /// as the user gave it (relative to the working directory, or absolute).
    /// One that lies inside the model is excluded and recorded; one outside
    /// is not a concern of the walk.
    pub exclude_files: Vec<PathBuf>,
    /// Keep walking past entries that break a rule (a refused symlink, a
    /// special file, a non-UTF-8 name): skip them and list them in
    /// [`Model::problems`] instead of failing. A verifier uses this to report
    /// every problem in one run; an empty result is then not an error either.
    pub keep_going: bool,
    /// Also list the regular files under excluded paths (but not `.git`) in
    /// [`Model::ignored_files`]: they are not signed, but they are on disk
    /// and loadable, so the format gate checks them too.
    pub list_ignored: bool,
    /// With `allow_symlinks`, follow links to files only, never into
    /// directories: for an allowance read from a signature nobody has
    /// verified yet (`status`, the hook), which must not widen what a
    /// hostile repository can make the walk read.
    pub file_symlinks_only: bool,
}

/// Whether a model is a directory tree or a single file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A directory tree: resources are named by their relative paths.
    Directory,
    /// A single file: its one resource is named by its basename.
    File,
}

/// One file of a model, as found by [`walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    /// The canonical resource name: relative, `/`-separated, UTF-8.
    pub name: String,
    /// Where the file is on disk (the link's own path for a symlink).
    pub path: PathBuf,
    /// For a followed symlink, the file whose content is hashed.
    pub target: Option<PathBuf>,
    /// The size in bytes when the walk saw it.
    pub size: u64,
}

impl ModelFile {
    /// The path whose content is hashed: the symlink target, or the file.
    pub fn content_path(&self) -> &Path {
        self.target.as_deref().unwrap_or(&self.path)
    }
}

/// The result of walking a model: its files in canonical order and the
/// exclusions that applied.
#[derive(Debug)]
pub struct Model {
    root: PathBuf,
    kind: ModelKind,
    files: Vec<ModelFile>,
    ignore_paths: Vec<String>,
    allow_symlinks: bool,
    problems: Vec<Error>,
    resolved_root: Option<PathBuf>,
    hub_repo: Option<PathBuf>,
    ignored_files: Vec<ModelFile>,
    unused_ignore_paths: Vec<String>,
}

impl Model {
    /// The model path as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory or single file.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The files, sorted by name in Unicode code point order.
    pub fn files(&self) -> &[ModelFile] {
        &self.files
    }

    /// Every exclusion that applied, as model-relative paths, sorted: the
    /// default git entries, the user's ignore paths and excluded files inside
    /// the model. This is what OMS records as `serialization.ignore_paths`.
    pub fn ignore_paths(&self) -> &[String] {
        &self.ignore_paths
    }

    /// Whether symbolic links were allowed (asked for) or followed (in a
    /// hub cache snapshot, or a single-file model that is a link): what OMS
    /// records as `serialization.allow_symlinks`.
    pub fn allow_symlinks(&self) -> bool {
        self.allow_symlinks
    }

    /// The files that are symbolic links the walk followed.
    pub fn followed_symlinks(&self) -> impl Iterator<Item = &ModelFile> {
        self.files.iter().filter(|f| f.target.is_some())
    }

    /// Where the model path leads when it is itself a symbolic link
    /// (`/models/current -> v3`): the canonical path walked.
    pub fn resolved_root(&self) -> Option<&Path> {
        self.resolved_root.as_deref()
    }

    /// The Hugging Face hub cache repository (`…/models--ORG--NAME`) the
    /// model is a snapshot of, if it is one: links may lead anywhere inside
    /// it.
    pub fn hub_repo(&self) -> Option<&Path> {
        self.hub_repo.as_deref()
    }

    /// Regular files under excluded paths, when walked with
    /// [`WalkOptions::list_ignored`] (never those under `.git`, nor the
    /// excluded files such as the signature); sorted by name.
    pub fn ignored_files(&self) -> &[ModelFile] {
        &self.ignored_files
    }

    /// The user's ignore paths ([`WalkOptions::ignore_paths`], normalised)
    /// that matched nothing in the model: most likely a typo, worth a
    /// warning.
    pub fn unused_ignore_paths(&self) -> &[String] {
        &self.unused_ignore_paths
    }

    /// Entries skipped because they break a rule, when walked with
    /// [`WalkOptions::keep_going`]; always empty otherwise.
    pub fn problems(&self) -> &[Error] {
        &self.problems
    }

    /// The basename of the model path: the informational OMS subject name.
    pub fn name(&self) -> String {
        let canonical;
        let path = match self.root.file_name() {
            Some(_) => &self.root,
            None => {
                // `.` or `..`: name the directory it stands for.
                canonical = fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
                &canonical
            }
        };
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".to_owned())
    }

    /// Total bytes of content in the model.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Keeps only the files whose names `keep` accepts (for partial
    /// verification). The recorded exclusions are unchanged.
    pub fn retain_files(&mut self, mut keep: impl FnMut(&ModelFile) -> bool) {
        self.files.retain(|f| keep(f));
    }
}

/// Walks a model (a directory or a single file) by the OMS rules.
///
/// # Errors
/// Any path that cannot be read, a name that is not UTF-8, a special file
/// (FIFO, socket, device), a symbolic link that is not allowed, leaves the
/// model or forms a cycle, an invalid ignore path, or a model with no file
/// left after exclusions. Every error names the offending path.
pub fn walk(model: &Path, options: &WalkOptions) -> Result<Model, Error> {
    let meta = fs::symlink_metadata(model).map_err(|e| io_error(model, e))?;
    // The path the user typed may be a link (`/models/current -> v3`, a hub
    // snapshot file): refusing it would protect nothing, since it is what
    // the user chose to check. It is resolved, and said in the report.
    let is_link = meta.file_type().is_symlink();
    let meta = if is_link {
        fs::metadata(model).map_err(|e| broken_or_io(model, e))?
    } else {
        meta
    };
    if meta.is_file() {
        return walk_single_file(model, &meta, is_link);
    }
    if !meta.is_dir() {
        return Err(Error::SpecialFile {
            path: model.to_owned(),
            kind: special_kind(&meta.file_type()),
        });
    }

    let canonical_root = fs::canonicalize(model).map_err(|e| io_error(model, e))?;
    let hub_repo = hub_cache_repo(&canonical_root);
    let mut ignored: BTreeSet<String> = DEFAULT_IGNORES.iter().map(|s| (*s).to_owned()).collect();
    ignored.insert(HF_DOWNLOAD_CACHE.to_owned());
    let mut user_ignores = BTreeSet::new();
    for path in &options.ignore_paths {
        let name = normalize_ignore_path(model, &canonical_root, path)?;
        user_ignores.insert(name.clone());
        ignored.insert(name);
    }
    for path in &options.exclude_files {
        if let Some(name) = relative_inside(&canonical_root, path) {
            ignored.insert(name);
        }
    }

    let excluded_files: BTreeSet<String> = options
        .exclude_files
        .iter()
        .filter_map(|path| relative_inside(&canonical_root, path))
        .collect();
    let mut walker = Walker {
        canonical_root: &canonical_root,
        hub_repo: hub_repo.as_deref(),
        ignored: &ignored,
        excluded_files: &excluded_files,
        allow_symlinks: options.allow_symlinks,
        file_symlinks_only: options.file_symlinks_only,
        list_ignored: options.list_ignored,
        linked_dirs: std::collections::HashSet::new(),
        files: Vec::new(),
        ignored_files: Vec::new(),
        matched: BTreeSet::new(),
        problems: Vec::new(),
        ancestors: vec![canonical_root.clone()],
    };
    walker.visit_dir(model, "", 0, false)?;
    let Walker {
        mut files,
        mut problems,
        mut ignored_files,
        matched,
        ..
    } = walker;
    let unused_ignore_paths = user_ignores.difference(&matched).cloned().collect();
    ignored_files.sort_by(|a, b| a.name.cmp(&b.name));
    let followed_any = files.iter().any(|f| f.target.is_some());
    if !options.keep_going {
        match problems.len() {
            0 => {}
            1 => return Err(problems.remove(0)),
            _ => return Err(Error::Many(problems)),
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    if files.is_empty() && !options.keep_going {
        return Err(Error::EmptyModel {
            path: model.to_owned(),
        });
    }
    Ok(Model {
        root: model.to_owned(),
        kind: ModelKind::Directory,
        files,
        ignore_paths: ignored.into_iter().collect(),
        allow_symlinks: options.allow_symlinks || followed_any,
        problems,
        resolved_root: is_link.then_some(canonical_root.clone()),
        hub_repo,
        ignored_files,
        unused_ignore_paths,
    })
}

/// If `canonical_root` is a Hugging Face hub cache snapshot, or a folder
/// inside one (`…/models--ORG--NAME/snapshots/REV[/…]`, beside that
/// repository's `blobs/` folder), the repository folder `models--ORG--NAME`.
/// Dataset and space repositories (`datasets--`, `spaces--`) count too.
pub fn hub_cache_repo(canonical_root: &Path) -> Option<PathBuf> {
    // The revision folder is the root or one of its ancestors.
    canonical_root.ancestors().find_map(|revision| {
        let snapshots = revision.parent()?;
        let repo = snapshots.parent()?;
        let repo_name = repo.file_name()?.to_str()?;
        let is_repo = ["models--", "datasets--", "spaces--"]
            .iter()
            .any(|p| repo_name.len() > p.len() && repo_name.starts_with(p));
        (snapshots.file_name()? == "snapshots" && is_repo && repo.join("blobs").is_dir())
            .then(|| repo.to_owned())
    })
}

/// A link whose target is missing is broken; any other error is I/O.
fn broken_or_io(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::BrokenSymlink {
            path: path.to_owned(),
            source: e,
        }
    } else {
        io_error(path, e)
    }
}

fn walk_single_file(model: &Path, meta: &fs::Metadata, is_link: bool) -> Result<Model, Error> {
    let name = model
        .file_name()
        .ok_or_else(|| Error::EmptyModel {
            path: model.to_owned(),
        })?
        .to_str()
        .ok_or_else(|| Error::NonUtf8Name {
            path: model.to_owned(),
        })?
        .to_owned();
    let target = if is_link {
        Some(fs::canonicalize(model).map_err(|e| io_error(model, e))?)
    } else {
        None
    };
    Ok(Model {
        root: model.to_owned(),
        kind: ModelKind::File,
        files: vec![ModelFile {
            name,
            path: model.to_owned(),
            target: target.clone(),
            size: meta.len(),
        }],
        ignore_paths: Vec::new(),
        allow_symlinks: is_link,
        problems: Vec::new(),
        resolved_root: target.clone(),
        hub_repo: None,
        ignored_files: Vec::new(),
        unused_ignore_paths: Vec::new(),
    })
}

struct Walker<'a> {
    canonical_root: &'a Path,
    /// The hub cache repository the model is a snapshot of, if any.
    hub_repo: Option<&'a Path>,
    ignored: &'a BTreeSet<String>,
    /// The excluded files (the signature, attestations): never listed.
    excluded_files: &'a BTreeSet<String>,
    allow_symlinks: bool,
    file_symlinks_only: bool,
    list_ignored: bool,
    /// Directories already entered through a link: each at most once, so
    /// that links cannot multiply a tree (two links per level over 18
    /// levels made half a million files out of 88 KB).
    linked_dirs: std::collections::HashSet<PathBuf>,
    files: Vec<ModelFile>,
    ignored_files: Vec<ModelFile>,
    /// Excluded names an entry matched.
    matched: BTreeSet<String>,
    problems: Vec<Error>,
    /// Canonical directories from the root down to the one being read, to
    /// detect symlink cycles.
    ancestors: Vec<PathBuf>,
}

impl Walker<'_> {
    /// Reads one directory. Below an excluded path (`in_ignored`), regular
    /// files go to `ignored_files` (when listed) and nothing is a problem.
    fn visit_dir(
        &mut self,
        dir: &Path,
        prefix: &str,
        depth: usize,
        in_ignored: bool,
    ) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep {
                path: dir.to_owned(),
            });
        }
        let entries = fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(dir, e))?;
            let path = entry.path();
            let Ok(file_name) = entry.file_name().into_string() else {
                if !in_ignored {
                    self.problems.push(Error::NonUtf8Name { path });
                }
                continue;
            };
            let name = if prefix.is_empty() {
                file_name
            } else {
                format!("{prefix}/{file_name}")
            };
            let file_type = entry.file_type().map_err(|e| io_error(&path, e))?;
            // Default exclusions are top-level names, user ignores are exact
            // relative paths: both are exact matches on the relative name.
            if !in_ignored && self.ignored.contains(&name) {
                self.matched.insert(name.clone());
                if self.list_ignored && name != VCS_STORE && !self.excluded_files.contains(&name) {
                    self.visit_ignored(&path, name, &file_type, depth)?;
                }
                continue;
            }
            if in_ignored {
                self.visit_ignored(&path, name, &file_type, depth)?;
            } else if file_type.is_symlink() {
                if let Err(problem) = self.visit_symlink(path, name, depth) {
                    match problem {
                        // Reading a linked directory can fail like any other.
                        Error::Io { .. } | Error::TooDeep { .. } | Error::TooManyFiles { .. } => {
                            return Err(problem);
                        }
                        _ => self.problems.push(problem),
                    }
                }
            } else if file_type.is_dir() {
                self.visit_dir(&path, &name, depth + 1, false)?;
            } else if file_type.is_file() {
                self.check_count(dir)?;
                let size = entry.metadata().map_err(|e| io_error(&path, e))?.len();
                self.files.push(ModelFile {
                    name,
                    path,
                    target: None,
                    size,
                });
            } else {
                self.problems.push(Error::SpecialFile {
                    path,
                    kind: special_kind(&file_type),
                });
            }
        }
        Ok(())
    }

    /// An entry at or below an excluded path: its regular files are listed
    /// for the format gate; links, special files and unreadable folders are
    /// passed over (they are not part of the model, and the gate reads only
    /// regular files).
    fn visit_ignored(
        &mut self,
        path: &Path,
        name: String,
        file_type: &fs::FileType,
        depth: usize,
    ) -> Result<(), Error> {
        if file_type.is_dir() {
            if depth < MAX_DEPTH {
                // An unreadable excluded folder is no reason to fail a walk
                // that would not have read it before.
                let _ = self.visit_dir(path, &name, depth + 1, true);
            }
        } else if file_type.is_file() {
            if let Ok(meta) = fs::symlink_metadata(path) {
                self.ignored_files.push(ModelFile {
                    name,
                    path: path.to_owned(),
                    target: None,
                    size: meta.len(),
                });
            }
        }
        Ok(())
    }

    /// Fails once the walk has listed [`MAX_FILES`] files.
    fn check_count(&self, at: &Path) -> Result<(), Error> {
        if self.files.len() + self.ignored_files.len() >= MAX_FILES {
            return Err(Error::TooManyFiles {
                path: at.to_owned(),
                max: MAX_FILES,
            });
        }
        Ok(())
    }

    fn visit_symlink(&mut self, path: PathBuf, name: String, depth: usize) -> Result<(), Error> {
        // A hub cache snapshot's files are links into the repository's own
        // blobs: followed without being asked, while they stay inside it.
        if !self.allow_symlinks && self.hub_repo.is_none() {
            return Err(Error::SymlinkNotAllowed { path });
        }
        let target = match fs::canonicalize(&path) {
            Ok(target) => target,
            Err(e) if e.raw_os_error() == Some(libc_eloop()) => {
                return Err(Error::SymlinkCycle { path });
            }
            Err(e) => return Err(Error::BrokenSymlink { path, source: e }),
        };
        let inside_model = target.starts_with(self.canonical_root);
        let inside_repo = self.hub_repo.is_some_and(|repo| target.starts_with(repo));
        if !inside_model && !inside_repo {
            return Err(Error::SymlinkEscapes { path, target });
        }
        // `stat`, not `open`: a link to a FIFO or device is refused without
        // being read.
        let meta = fs::metadata(&target).map_err(|e| io_error(&target, e))?;
        if meta.is_file() {
            if !self.allow_symlinks && !inside_repo {
                return Err(Error::SymlinkNotAllowed { path });
            }
            self.check_count(&path)?;
            self.files.push(ModelFile {
                name,
                path,
                target: Some(target),
                size: meta.len(),
            });
            Ok(())
        } else if meta.is_dir() {
            // Hub snapshots link files only: a linked folder needs the flag,
            // and must lie inside the model itself.
            if !self.allow_symlinks || self.file_symlinks_only {
                return Err(Error::SymlinkNotAllowed { path });
            }
            if !inside_model {
                return Err(Error::SymlinkEscapes { path, target });
            }
            if self.ancestors.iter().any(|a| a == &target) {
                return Err(Error::SymlinkCycle { path });
            }
            if !self.linked_dirs.insert(target.clone()) {
                return Err(Error::SymlinkRepeated { path, target });
            }
            // Read the directory through the link so that names stay the
            // link's own; remember the target to catch cycles below it.
            self.ancestors.push(target);
            let result = self.visit_dir(&path, &name, depth + 1, false);
            self.ancestors.pop();
            result
        } else {
            // Name the link the model holds, and say what it leads to.
            Err(Error::SpecialFile {
                path,
                kind: linked_special_kind(&meta.file_type()),
            })
        }
    }
}

/// [`special_kind`] for the target of a link.
fn linked_special_kind(file_type: &fs::FileType) -> &'static str {
    match special_kind(file_type) {
        "a FIFO" => "a symbolic link to a FIFO",
        "a socket" => "a symbolic link to a socket",
        "a block device" => "a symbolic link to a block device",
        "a character device" => "a symbolic link to a character device",
        _ => "a symbolic link to something that is not a regular file",
    }
}

/// `ELOOP`, without a dependency on `libc` for one constant.
const fn libc_eloop() -> i32 {
    40
}

fn special_kind(file_type: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
    }
    let _ = file_type;
    "not a regular file"
}

/// Turns a path naming something inside a model (relative to the model
/// root, or absolute inside it) into its model-relative `/`-separated name:
/// `./weights//a.bin` becomes `weights/a.bin`.
///
/// # Errors
/// [`Error::InvalidIgnorePath`] for globs, `..`, paths outside the model or
/// naming the whole model; [`Error::Io`] when the model root cannot be
/// resolved.
pub fn model_relative_name(model: &Path, path: &Path) -> Result<String, Error> {
    let canonical_root = fs::canonicalize(model).map_err(|e| io_error(model, e))?;
    normalize_ignore_path(model, &canonical_root, path)
}

/// Turns a user ignore path (model-relative, or absolute inside the model)
/// into the model-relative `/`-separated form OMS records.
fn normalize_ignore_path(
    model: &Path,
    canonical_root: &Path,
    path: &Path,
) -> Result<String, Error> {
    let shown = path.to_string_lossy().into_owned();
    let invalid = |reason: &'static str| Error::InvalidIgnorePath {
        path: shown.clone(),
        reason,
    };
    let text = path.to_str().ok_or_else(|| invalid("not valid UTF-8"))?;
    if text.contains(['*', '?', '[']) {
        return Err(invalid(
            "glob characters (`*`, `?`, `[`) are not allowed; ignore paths are exact paths",
        ));
    }
    let relative: PathBuf = if path.is_absolute() {
        let absolute_root = std::path::absolute(model).unwrap_or_else(|_| model.to_owned());
        match (
            path.strip_prefix(canonical_root),
            path.strip_prefix(&absolute_root),
        ) {
            (Ok(inside), _) | (_, Ok(inside)) => inside.to_owned(),
            _ => return Err(invalid("the path is outside the model")),
        }
    } else {
        path.to_owned()
    };
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().unwrap_or_default()),
            Component::CurDir => {}
            Component::ParentDir => return Err(invalid("`..` is not allowed")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(invalid("the path is outside the model"));
            }
        }
    }
    if parts.is_empty() {
        return Err(invalid("it names the whole model"));
    }
    Ok(parts.join("/"))
}

/// If `path` (relative to the working directory, or absolute) lies inside
/// the model, its model-relative name.
fn relative_inside(canonical_root: &Path, path: &Path) -> Option<String> {
    let absolute = std::path::absolute(path).ok()?;
    let parent = absolute.parent()?;
    let file_name = absolute.file_name()?;
    // The file may not exist yet (a signature about to be written), but its
    // directory must for it to be inside the model.
    let parent = fs::canonicalize(parent).ok()?;
    let full = parent.join(file_name);
    let rel = full.strip_prefix(canonical_root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    let parts = parts?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
