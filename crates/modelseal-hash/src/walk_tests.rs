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
    assert_eq!(walked.ignore_paths(), DEFAULT_IGNORES);
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
    assert_eq!(walked.ignore_paths().len(), DEFAULT_IGNORES.len() + 2);
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
    // A single-file model that is a link, too.
    match walk(&dir.path().join("link.bin"), &WalkOptions::default()) {
        Err(Error::SymlinkNotAllowed { .. }) => {}
        other => panic!("expected SymlinkNotAllowed, got {other:?}"),
    }
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
