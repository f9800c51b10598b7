//! The walk rules, one test per rule, tables where several cases share one.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use super::*;

fn model(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, name.as_bytes()).expect("write");
    }
    dir
}

fn names(root: &Path, options: &WalkOptions) -> Vec<String> {
    walk(root, options)
        .expect("walk")
        .files()
        .iter()
        .map(|f| f.name.clone())
        .collect()
}

#[test]
fn names_are_relative_slash_separated_and_code_point_sorted() {
    // `vae-ft.bin` sorts before `vae/…` by code point ('-' < '/'), although
    // sorting by path components would put the directory first.
    let dir = model(&[
        "vae/a.bin",
        "vae-ft.bin",
        "b",
        "a/x/y.txt",
        "Z.bin",
        "été.bin",
    ]);
    assert_eq!(
        names(dir.path(), &WalkOptions::default()),
        [
            "Z.bin",
            "a/x/y.txt",
            "b",
            "vae-ft.bin",
            "vae/a.bin",
            "été.bin"
        ]
    );
}

#[test]
fn unicode_spaces_colons_and_empty_files_are_ordinary_entries() {
    let dir = model(&[
        "données/modèle.bin",
        "with space.txt",
        "a:b:c.bin",
        "日本語/重み.bin",
    ]);
    fs::write(dir.path().join("empty.bin"), b"").expect("write");
    let walked = walk(dir.path(), &WalkOptions::default()).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "a:b:c.bin",
            "données/modèle.bin",
            "empty.bin",
            "with space.txt",
            "日本語/重み.bin"
        ]
    );
    assert_eq!(walked.files()[2].size, 0);
}

#[test]
fn directories_are_not_entries() {
    let dir = model(&["a/b/c.txt"]);
    fs::create_dir_all(dir.path().join("empty/dir")).expect("mkdir");
    assert_eq!(names(dir.path(), &WalkOptions::default()), ["a/b/c.txt"]);
}

#[test]
fn default_exclusions_apply_at_the_top_level_only() {
    let dir = model(&[
        ".git/config",
        ".git/objects/ab/cdef",
        ".gitattributes",
        ".github/workflows/ci.yml",
        ".gitignore",
        "sub/.git/config",
        "sub/.gitignore",
        ".gitmodules",
        "weights.bin",
    ]);
    let walked = walk(dir.path(), &WalkOptions::default()).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            ".gitmodules",
            "sub/.git/config",
            "sub/.gitignore",
            "weights.bin"
        ]
    );
    assert_eq!(
        walked.ignore_paths(),
        [
            HF_DOWNLOAD_CACHE,
            ".git",
            ".gitattributes",
            ".github",
            ".gitignore"
        ]
    );
}

#[test]
fn ignore_paths_are_exact_model_relative_paths() {
    let dir = model(&[
        "cache/a.bin",
        "cache/deep/b.bin",
        "cache.bin",
        "sub/cache/c.bin",
        "sub/notes.txt",
        "keep.bin",
    ]);
    let root = dir.path();
    let options = WalkOptions {
        ignore_paths: vec![
            PathBuf::from("cache"),
            PathBuf::from("./sub//notes.txt"),
            root.join("keep.bin"),
        ],
        ..WalkOptions::default()
    };
    let walked = walk(root, &options).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["cache.bin", "sub/cache/c.bin"]);
    assert_eq!(
        walked.ignore_paths(),
        [
            HF_DOWNLOAD_CACHE,
            ".git",
            ".gitattributes",
            ".github",
            ".gitignore",
            "cache",
            "keep.bin",
            "sub/notes.txt"
        ]
    );
}

#[test]
fn invalid_ignore_paths_are_refused_with_a_reason() {
    let dir = model(&["a.bin"]);
    let outside = tempfile::tempdir().expect("tempdir");
    let cases: [(PathBuf, &str); 7] = [
        ("*.bin".into(), "glob"),
        ("weights/?.bin".into(), "glob"),
        ("[ab].bin".into(), "glob"),
        ("../a.bin".into(), "`..`"),
        ("sub/../../a.bin".into(), "`..`"),
        (outside.path().join("a.bin"), "outside the model"),
        (".".into(), "whole model"),
    ];
    for (path, reason) in cases {
        let options = WalkOptions {
            ignore_paths: vec![path.clone()],
            ..WalkOptions::default()
        };
        match walk(dir.path(), &options) {
            Err(Error::InvalidIgnorePath { reason: r, .. }) => {
                assert!(
                    r.contains(reason),
                    "{path:?}: reason {r:?} should mention {reason:?}"
                )
            }
            other => panic!("{path:?}: expected InvalidIgnorePath, got {other:?}"),
        }
    }
}

#[test]
fn excluded_files_inside_the_model_are_skipped_and_recorded() {
    let dir = model(&["a.bin", "model.sig", "sub/other.sig"]);
    let outside = tempfile::tempdir().expect("tempdir");
    let options = WalkOptions {
        exclude_files: vec![
            dir.path().join("model.sig"),
            dir.path().join("sub/new.sig"), // does not exist yet
            outside.path().join("x.sig"),
        ],
        ..WalkOptions::default()
    };
    let walked = walk(dir.path(), &options).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.bin", "sub/other.sig"]);
    assert!(walked.ignore_paths().contains(&"model.sig".to_owned()));
    assert!(walked.ignore_paths().contains(&"sub/new.sig".to_owned()));
    // The defaults, `.cache/huggingface`, and the two signatures.
    assert_eq!(walked.ignore_paths().len(), DEFAULT_IGNORES.len() + 3);
}

#[test]
fn a_single_file_model_is_named_by_its_basename() {
    let dir = model(&["sub/weights.safetensors"]);
    let path = dir.path().join("sub/weights.safetensors");
    let walked = walk(&path, &WalkOptions::default()).expect("walk");
    assert_eq!(walked.kind(), ModelKind::File);
    assert_eq!(walked.files()[0].name, "weights.safetensors");
    assert_eq!(walked.name(), "weights.safetensors");
    assert!(walked.ignore_paths().is_empty());
}

#[test]
fn an_empty_model_is_an_error() {
    let empty = tempfile::tempdir().expect("tempdir");
    let only_git = model(&[".git/HEAD", ".gitignore"]);
    let all_ignored = model(&["cache/a.bin"]);
    let cases = [
        (empty.path(), WalkOptions::default()),
        (only_git.path(), WalkOptions::default()),
        (
            all_ignored.path(),
            WalkOptions {
                ignore_paths: vec!["cache".into()],
                ..WalkOptions::default()
            },
        ),
    ];
    for (root, options) in cases {
        match walk(root, &options) {
            Err(Error::EmptyModel { path }) => assert_eq!(path, root),
            other => panic!("{root:?}: expected EmptyModel, got {other:?}"),
        }
    }
}

#[test]
fn symlinks_are_refused_by_default() {
    let dir = model(&["a.bin"]);
    symlink("a.bin", dir.path().join("link.bin")).expect("symlink");
    match walk(dir.path(), &WalkOptions::default()) {
        Err(Error::SymlinkNotAllowed { path }) => assert_eq!(path, dir.path().join("link.bin")),
        other => panic!("expected SymlinkNotAllowed, got {other:?}"),
    }
}

// Regression: a model path that is itself a link (`/models/current -> v3`,
// a hub snapshot file given directly) was refused, which protected nothing:
// it is the path the user chose to check.
#[test]
fn a_model_path_that_is_a_link_is_resolved() {
    let dir = model(&["v3/a.bin", "v3/sub/b.bin"]);
    symlink("v3", dir.path().join("current")).expect("symlink");
    let walked = walk(&dir.path().join("current"), &WalkOptions::default()).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.bin", "sub/b.bin"]);
    assert_eq!(
        walked.resolved_root(),
        Some(
            fs::canonicalize(dir.path().join("v3"))
                .expect("canonical")
                .as_path()
        )
    );
    assert!(
        !walked.allow_symlinks(),
        "no link inside the model was followed"
    );

    symlink("v3/a.bin", dir.path().join("file-link")).expect("symlink");
    let single = walk(&dir.path().join("file-link"), &WalkOptions::default()).expect("walk");
    assert_eq!(single.kind(), ModelKind::File);
    assert_eq!(single.files()[0].name, "file-link");
    assert_eq!(
        single.files()[0].content_path(),
        fs::canonicalize(dir.path().join("v3/a.bin")).expect("canonical")
    );

    symlink("nowhere", dir.path().join("dangling")).expect("symlink");
    assert!(matches!(
        walk(&dir.path().join("dangling"), &WalkOptions::default()),
        Err(Error::BrokenSymlink { .. })
    ));
}

/// A Hugging Face hub cache repository laid out as `huggingface_hub` writes
/// it: content-addressed blobs, and a snapshot of relative links to them.
/// Returns the cache root and the snapshot path.
fn hub_repo(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let cache = tempfile::tempdir().expect("tempdir");
    let repo = cache.path().join("hub/models--org--name");
    let snapshot = repo.join("snapshots/0123456789abcdef0123456789abcdef01234567");
    fs::create_dir_all(repo.join("blobs")).expect("mkdir");
    fs::create_dir_all(repo.join("refs")).expect("mkdir");
    fs::write(
        repo.join("refs/main"),
        "0123456789abcdef0123456789abcdef01234567",
    )
    .expect("ref");
    for (i, (name, content)) in files.iter().enumerate() {
        let blob = format!("{i:064x}");
        fs::write(repo.join("blobs").join(&blob), content).expect("blob");
        let link = snapshot.join(name);
        fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
        let depth = name.matches('/').count() + 2;
        let up = "../".repeat(depth);
        symlink(format!("{up}blobs/{blob}"), &link).expect("symlink");
    }
    (cache, snapshot)
}

#[test]
fn hub_cache_snapshots_follow_links_into_their_own_blobs_without_a_flag() {
    let (_cache, snapshot) = hub_repo(&[
        ("config.json", b"{}"),
        ("model.safetensors", b"weights"),
        ("sub/tokenizer.json", b"{\"t\":1}"),
    ]);
    let walked = walk(&snapshot, &WalkOptions::default()).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["config.json", "model.safetensors", "sub/tokenizer.json"]
    );
    assert_eq!(walked.followed_symlinks().count(), 3);
    assert!(walked.allow_symlinks(), "following links is recorded");
    let repo = walked.hub_repo().expect("a hub repo");
    assert!(repo.ends_with("models--org--name"), "{}", repo.display());
    let weights = &walked.files()[1];
    assert!(weights.content_path().starts_with(repo.join("blobs")));
    assert_eq!(weights.size, 7);
    // A folder inside a snapshot is inside the repository too.
    let sub = walk(&snapshot.join("sub"), &WalkOptions::default()).expect("walk sub");
    assert_eq!(sub.files()[0].name, "tokenizer.json");
}

#[test]
fn hub_cache_links_must_stay_in_the_repository_and_lead_to_regular_files() {
    let (cache, snapshot) = hub_repo(&[("config.json", b"{}")]);
    let repo = snapshot.parent().and_then(Path::parent).expect("repo");
    // Into another repository of the same cache, or out of the cache.
    let other = cache.path().join("hub/models--evil--other/blobs");
    fs::create_dir_all(&other).expect("mkdir");
    fs::write(other.join("x"), b"x").expect("write");
    symlink(
        "../../../models--evil--other/blobs/x",
        snapshot.join("other.bin"),
    )
    .expect("symlink");
    // To a folder of the repository, and to a FIFO in its blobs.
    symlink("../../blobs", snapshot.join("blobs-dir")).expect("symlink");
    let fifo = repo.join("blobs/fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    symlink("../../blobs/fifo", snapshot.join("fifo.bin")).expect("symlink");
    let options = WalkOptions {
        keep_going: true,
        ..WalkOptions::default()
    };
    // Finishing at all shows the FIFO was not opened.
    let walked = walk(&snapshot, &options).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["config.json"]);
    let problems: Vec<String> = walked.problems().iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    for (link, says) in [
        ("blobs-dir`", "refused"),
        ("fifo.bin`", "a symbolic link to a FIFO"),
        ("other.bin`", "outside the model"),
    ] {
        assert!(
            problems
                .iter()
                .any(|p| p.contains(link) && p.contains(says)),
            "{link}: {problems:?}"
        );
    }
    // --allow-symlinks widens nothing here: the escape is still refused.
    let allowed = WalkOptions {
        allow_symlinks: true,
        keep_going: true,
        ..WalkOptions::default()
    };
    let walked = walk(&snapshot, &allowed).expect("walk");
    assert!(
        walked.problems().iter().any(
            |p| matches!(p, Error::SymlinkEscapes { path, .. } if path.ends_with("other.bin"))
        )
    );
}

#[test]
fn only_a_real_hub_layout_counts_as_one() {
    // `snapshots/REV` under a folder not named `models--*`, or without
    // `blobs/`, is an ordinary directory: its links are refused.
    for (repo_name, with_blobs) in [("models--org--name", false), ("mymodels", true)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join(repo_name);
        let snapshot = repo.join("snapshots/rev");
        fs::create_dir_all(&snapshot).expect("mkdir");
        let blobs = repo.join(if with_blobs { "blobs" } else { "store" });
        fs::create_dir_all(&blobs).expect("mkdir");
        fs::write(blobs.join("b"), b"b").expect("write");
        let target = format!(
            "../../{}/b",
            blobs.file_name().and_then(|n| n.to_str()).unwrap_or("")
        );
        symlink(target, snapshot.join("a.bin")).expect("symlink");
        assert!(hub_cache_repo(&fs::canonicalize(&snapshot).expect("canonical")).is_none());
        assert!(
            matches!(
                walk(&snapshot, &WalkOptions::default()),
                Err(Error::SymlinkNotAllowed { .. })
            ),
            "{repo_name}"
        );
    }
    // The `snapshots` folder itself is no revision.
    let (_cache, snapshot) = hub_repo(&[("a", b"a")]);
    let snapshots = snapshot.parent().expect("snapshots");
    assert!(hub_cache_repo(&fs::canonicalize(snapshots).expect("canonical")).is_none());
}

// `hf download --local-dir` leaves `.cache/huggingface/` in the model: it
// is excluded by default and recorded, so the download verifies as signed.
#[test]
fn the_hf_download_cache_is_excluded_and_recorded() {
    let dir = model(&[
        "model.safetensors",
        ".cache/huggingface/.gitignore",
        ".cache/huggingface/download/model.safetensors.metadata",
        ".cache/other.txt",
    ]);
    let walked = walk(dir.path(), &WalkOptions::default()).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, [".cache/other.txt", "model.safetensors"]);
    assert!(walked.ignore_paths().iter().any(|p| p == HF_DOWNLOAD_CACHE));
}

#[test]
fn ignored_files_are_listed_for_the_format_gate_except_git_and_the_signature() {
    let dir = model(&[
        "a.bin",
        "cache/evil.pkl",
        "cache/deep/x.pt",
        ".git/objects/ab/cdef",
        ".gitattributes",
        "model.sig",
    ]);
    let options = WalkOptions {
        ignore_paths: vec![PathBuf::from("cache")],
        exclude_files: vec![dir.path().join("model.sig")],
        list_ignored: true,
        ..WalkOptions::default()
    };
    let walked = walk(dir.path(), &options).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.bin"]);
    let ignored: Vec<_> = walked
        .ignored_files()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        ignored,
        [".gitattributes", "cache/deep/x.pt", "cache/evil.pkl"]
    );
    // Not asked for, not listed.
    let options = WalkOptions {
        list_ignored: false,
        ..options
    };
    assert!(
        walk(dir.path(), &options)
            .expect("walk")
            .ignored_files()
            .is_empty()
    );
}

fn allow() -> WalkOptions {
    WalkOptions {
        allow_symlinks: true,
        ..WalkOptions::default()
    }
}

#[test]
fn allowed_symlinks_inside_the_model_are_hashed_by_target_under_their_own_name() {
    let dir = model(&["weights/a.bin", "weights/b.bin"]);
    symlink("weights/a.bin", dir.path().join("alias.bin")).expect("symlink");
    symlink("weights", dir.path().join("linked-dir")).expect("symlink");
    let walked = walk(dir.path(), &allow()).expect("walk");
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alias.bin",
            "linked-dir/a.bin",
            "linked-dir/b.bin",
            "weights/a.bin",
            "weights/b.bin"
        ]
    );
    let alias = &walked.files()[0];
    assert_eq!(
        alias.content_path(),
        fs::canonicalize(dir.path().join("weights/a.bin")).expect("canonical")
    );
    assert!(walked.allow_symlinks());
}

#[test]
fn symlinks_leaving_the_model_are_always_errors() {
    let outside = model(&["secret.txt"]);
    let dir = model(&["a.bin"]);
    symlink(outside.path().join("secret.txt"), dir.path().join("escape")).expect("symlink");
    match walk(dir.path(), &allow()) {
        Err(Error::SymlinkEscapes { path, .. }) => assert_eq!(path, dir.path().join("escape")),
        other => panic!("expected SymlinkEscapes, got {other:?}"),
    }
    // Relative escapes too.
    let dir = model(&["a.bin"]);
    symlink("../../../../../../etc/hostname", dir.path().join("escape")).expect("symlink");
    assert!(matches!(
        walk(dir.path(), &allow()),
        Err(Error::SymlinkEscapes { .. } | Error::BrokenSymlink { .. })
    ));
}

#[test]
fn symlink_cycles_and_broken_links_are_errors() {
    let dir = model(&["sub/a.bin"]);
    symlink("..", dir.path().join("sub/up")).expect("symlink");
    match walk(dir.path(), &allow()) {
        Err(Error::SymlinkCycle { path }) => assert_eq!(path, dir.path().join("sub/up")),
        other => panic!("expected SymlinkCycle, got {other:?}"),
    }

    let dir = model(&["a.bin"]);
    symlink("loop2", dir.path().join("loop1")).expect("symlink");
    symlink("loop1", dir.path().join("loop2")).expect("symlink");
    let error = walk(dir.path(), &allow()).expect_err("a loop of links");
    assert_eq!(error.failures().len(), 2, "both links are reported");
    assert!(
        error
            .failures()
            .iter()
            .all(|e| matches!(e, Error::SymlinkCycle { .. }))
    );

    let dir = model(&["a.bin"]);
    symlink("missing.bin", dir.path().join("dangling")).expect("symlink");
    match walk(dir.path(), &allow()) {
        Err(Error::BrokenSymlink { path, .. }) => assert_eq!(path, dir.path().join("dangling")),
        other => panic!("expected BrokenSymlink, got {other:?}"),
    }
}

#[test]
fn special_files_are_errors_naming_the_path() {
    let dir = model(&["a.bin"]);
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    match walk(dir.path(), &WalkOptions::default()) {
        Err(Error::SpecialFile { path, kind }) => {
            assert_eq!(path, fifo);
            assert_eq!(kind, "a FIFO");
        }
        other => panic!("expected SpecialFile, got {other:?}"),
    }

    let dir = model(&["a.bin"]);
    let socket = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    match walk(dir.path(), &WalkOptions::default()) {
        Err(Error::SpecialFile { path, kind }) => {
            assert_eq!(path, socket);
            assert_eq!(kind, "a socket");
        }
        other => panic!("expected SpecialFile, got {other:?}"),
    }

    match walk(Path::new("/dev/null"), &WalkOptions::default()) {
        Err(Error::SpecialFile { kind, .. }) => assert_eq!(kind, "a character device"),
        other => panic!("expected SpecialFile, got {other:?}"),
    }
}

#[test]
fn non_utf8_names_are_errors_naming_the_path() {
    use std::os::unix::ffi::OsStrExt;
    let dir = model(&["a.bin"]);
    let bad = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"bad-\xff.bin"));
    fs::write(&bad, b"x").expect("write");
    match walk(dir.path(), &WalkOptions::default()) {
        Err(Error::NonUtf8Name { path }) => assert_eq!(path, bad),
        other => panic!("expected NonUtf8Name, got {other:?}"),
    }
}

#[test]
fn a_missing_model_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    match walk(&missing, &WalkOptions::default()) {
        Err(Error::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn every_problem_is_reported_and_keep_going_lists_them() {
    let dir = model(&["a.bin", "sub/b.bin"]);
    symlink("a.bin", dir.path().join("link1")).expect("symlink");
    symlink("b.bin", dir.path().join("sub/link2")).expect("symlink");
    match walk(dir.path(), &WalkOptions::default()) {
        Err(Error::Many(problems)) => assert_eq!(problems.len(), 2),
        other => panic!("expected both symlinks reported, got {other:?}"),
    }
    let options = WalkOptions {
        keep_going: true,
        ..WalkOptions::default()
    };
    let walked = walk(dir.path(), &options).expect("walk");
    assert_eq!(walked.problems().len(), 2);
    let names: Vec<_> = walked.files().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.bin", "sub/b.bin"]);

    // With keep_going an empty model is an empty list, for the verifier to
    // report each signed file as missing.
    let empty = tempfile::tempdir().expect("tempdir");
    assert!(
        walk(empty.path(), &options)
            .expect("walk")
            .files()
            .is_empty()
    );
}

#[test]
fn ignore_paths_that_match_nothing_are_listed() {
    let dir = model(&["a.bin", "cache/x.bin"]);
    let options = WalkOptions {
        // A reference-style `./cache` is the same path as `cache`.
        ignore_paths: vec![
            PathBuf::from("./cache"),
            PathBuf::from("cahce"),
            PathBuf::from("a.bin/x"),
        ],
        ..WalkOptions::default()
    };
    let walked = walk(dir.path(), &options).expect("walk");
    assert_eq!(walked.unused_ignore_paths(), ["a.bin/x", "cahce"]);
    assert!(walked.ignore_paths().iter().any(|p| p == "cache"));
}

// Issue 13, finding 5: with links allowed, 18 levels of two directory links
// each (88 KB on disk) expanded to 524,287 files (67 s, 450 MB). A
// directory is entered through a link at most once, so the walk is linear.
#[test]
fn links_cannot_multiply_a_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let levels = 18;
    for level in 0..levels {
        let d = dir.path().join(format!("d{level}"));
        fs::create_dir(&d).expect("mkdir");
        fs::write(d.join("f"), b"x").expect("write");
    }
    for level in 0..levels - 1 {
        let d = dir.path().join(format!("d{level}"));
        let next = format!("../d{}", level + 1);
        symlink(&next, d.join("a")).expect("symlink");
        symlink(&next, d.join("b")).expect("symlink");
    }
    let options = WalkOptions {
        allow_symlinks: true,
        keep_going: true,
        ..WalkOptions::default()
    };
    let started = std::time::Instant::now();
    let walked = walk(dir.path(), &options).expect("walk");
    // Each directory listed once directly, and once more through the first
    // link that reaches it.
    assert!(
        walked.files().len() < 4 * levels,
        "{} files",
        walked.files().len()
    );
    assert!(
        walked
            .problems()
            .iter()
            .any(|p| matches!(p, Error::SymlinkRepeated { .. })),
        "{:?}",
        walked.problems()
    );
    assert!(started.elapsed().as_secs() < 10);
    // An allowance nobody verified follows file links only.
    let files_only = WalkOptions {
        file_symlinks_only: true,
        ..options
    };
    let walked = walk(dir.path(), &files_only).expect("walk");
    assert_eq!(walked.files().len(), levels);
}
