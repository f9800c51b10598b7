//! Findings of the adversarial review (issue 13), one regression test each,
//! named after what it guards.

use crate::support::{keygen, modelseal, run, tiny_model};

// Finding 4: strings from a forged bundle and file names were printed raw,
// so a `model.sig` could redraw a VT100 terminal as a "verified" block.
#[test]
fn terminal_escapes_from_file_names_and_forged_bundles_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let hostile = "x\u{1b}[2J\u{1b}[Hverified `tiny`\u{9b}0m.bin";
    std::fs::write(model.join(hostile), b"planted").expect("write");
    let out = run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public));
    out.expect_code(1);
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}'),
            "raw control characters: {text:?}"
        );
    }
    assert!(out.stdout.contains("x\\x1b[2J\\x1b[H"), "{}", out.stdout);
    assert!(out.stdout.contains("\\u{9b}"), "{}", out.stdout);

    // A forged bundle whose fields carry escape sequences.
    std::fs::remove_file(model.join(hostile)).expect("rm");
    let sig = model.join("model.sig");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sig).expect("read")).expect("bundle");
    bundle["mediaType"] = "\u{1b}[2J\u{1b}[Hverified `tiny`\u{1b}[8m".into();
    std::fs::write(&sig, serde_json::to_vec(&bundle).expect("json")).expect("write");
    for args in [&["verify", "--key"][..], &["status"][..]] {
        let mut command = modelseal();
        command.arg(args[0]).arg(&model);
        if args.len() > 1 {
            command.arg(args[1]).arg(&public);
        }
        let out = run(&mut command);
        out.expect_code(1);
        for text in [&out.stdout, &out.stderr] {
            assert!(!text.contains('\u{1b}'), "{args:?}: raw ESC in {text:?}");
        }
    }
}

// Finding 8: the digest cache's temporary file had a guessable name
// (`<hash>.json.<pid>.tmp`) and was opened with `File::create`, so a link
// planted in a shared cache folder redirected the write to another file.
#[test]
fn the_digest_cache_never_writes_through_a_planted_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let model = tiny_model(dir.path(), "tiny");
    let (key, _, _) = keygen(dir.path(), "key", "p256");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"precious").expect("write");
    // Plant links under every name the old code could have used, for a
    // range of process ids around ours, in the cache folder.
    std::fs::create_dir(&cache).expect("mkdir");
    let sign = |cache: &std::path::Path| {
        run(modelseal()
            .arg("sign")
            .arg(&model)
            .arg("--key")
            .arg(&key)
            .args(["--incremental", "--force"])
            .env("MODELSEAL_CACHE_DIR", cache))
    };
    sign(&cache).expect_code(0);
    let cache_file = std::fs::read_dir(&cache)
        .expect("read cache")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a cache file");
    let base = cache_file
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_owned();
    let me = std::process::id();
    for pid in me.saturating_sub(2000)..me + 20000 {
        let _ = std::os::unix::fs::symlink(&victim, cache.join(format!("{base}.{pid}.tmp")));
    }
    std::fs::write(model.join("config.json"), b"{\"changed\": 1}\n").expect("change");
    sign(&cache).expect_code(0);
    assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
    // A cache folder modelseal creates is private.
    let fresh = dir.path().join("fresh-cache");
    sign(&fresh).expect_code(0);
    let mode = std::fs::metadata(&fresh)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
}

fn mkfifo(path: &std::path::Path) {
    let made = run(std::process::Command::new("mkfifo").arg(path));
    assert_eq!(made.code, 0, "{}", made.stderr);
}

// Finding 2: `model.sig` as a FIFO hung verify, status, verify --cached
// and the hook forever (a plain blocking open). Each is now refused at
// once, naming the file; a 60 s limit turns a hang into a failure.
#[test]
fn a_fifo_in_place_of_a_signature_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    std::fs::remove_file(model.join("model.sig")).expect("rm");
    mkfifo(&model.join("model.sig"));
    let limit = std::time::Duration::from_secs(60);
    let cases: [(&[&str], bool); 4] = [
        (&["verify", "--key"], true),
        (&["verify", "--cached", "--key"], true),
        (&["status"], false),
        (&["hook", "verify", "--model"], false),
    ];
    for (args, with_key) in cases {
        let mut command = modelseal();
        command.current_dir(dir.path());
        if args[0] == "hook" {
            command.args(args).arg(&model);
        } else {
            command.args(&args[..1]).arg(&model).args(&args[1..]);
            if with_key {
                command.arg(&public);
            }
        }
        let out = crate::support::run_with_timeout(&mut command, limit);
        assert_ne!(out.code, 0, "{args:?}: {}{}", out.stdout, out.stderr);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(
            text.contains("model.sig") && text.contains("a FIFO"),
            "{args:?}: {text}"
        );
    }
}

// Finding 2, for model files: a file given directly that is a FIFO must not
// hang either (`load_safetensors` on a FIFO is a unit test of `modelseal`).
#[test]
fn a_fifo_in_place_of_a_model_file_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("weights.safetensors");
    mkfifo(&fifo);
    let limit = std::time::Duration::from_secs(60);
    let out = crate::support::run_with_timeout(modelseal().arg("inspect").arg(&fifo), limit);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("FIFO"), "{}", out.stderr);
}

// Finding 7: appending to a file while `verify` hashed it gave "verified",
// since only the signed length was read. The size (and the file's identity)
// is checked again after hashing.
#[test]
fn a_file_that_grows_while_it_is_hashed_is_not_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("big");
    std::fs::create_dir(&model).expect("mkdir");
    let weights = model.join("weights.bin");
    // 2 GiB of zeros, sparse: hashing takes a second or so, reading nothing
    // from disk.
    std::fs::File::create(&weights)
        .and_then(|f| f.set_len(2 << 30))
        .expect("sparse file");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    run(modelseal().arg("sign").arg(&model).arg("--key").arg(&key)).expect_code(0);
    let mut child = modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Past start-up and the walk, into the hashing; then keep appending.
    std::thread::sleep(std::time::Duration::from_millis(150));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&weights)
        .expect("open");
    let started = std::time::Instant::now();
    let status = loop {
        use std::io::Write as _;
        let _ = file.write_all(b"x");
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(started.elapsed().as_secs() < 120, "verify did not finish");
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(
        status.code(),
        Some(0),
        "verified a growing file: {stdout}{stderr}"
    );
    assert!(
        stderr.contains("changed while being hashed") || stdout.contains("weights.bin"),
        "{stdout}{stderr}"
    );
}

// Finding 5: `status` and the hook took `allow_symlinks` from the
// unverified `model.sig`, so a hostile repository could make them follow
// links into directories (and multiply the tree) without any key. From an
// unverified signature only links to files are followed.
#[test]
fn an_unverified_signature_cannot_widen_the_walk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = tiny_model(dir.path(), "tiny");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    std::os::unix::fs::symlink("config.json", model.join("alias.json")).expect("symlink");
    std::os::unix::fs::symlink("weights", model.join("more-weights")).expect("symlink");
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .arg("--allow-symlinks"))
    .expect_code(0);
    // verify checked the signer, so the signed allowance holds in full.
    run(modelseal()
        .arg("verify")
        .arg(&model)
        .arg("--key")
        .arg(&public))
    .expect_code(0);
    let out = run(modelseal().arg("status").arg(&model));
    out.expect_code(1);
    assert!(out.stdout.contains("more-weights"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("alias.json"),
        "file links are still followed: {}",
        out.stdout
    );
}

// Finding 6: a 10 GB sparse file in place of a 6-byte signed file was
// hashed in full before the size change was reported. With shards the
// signed ranges give the size: it is compared first, and nothing is read.
#[test]
fn a_size_the_signature_gives_is_checked_before_hashing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m");
    std::fs::create_dir(&model).expect("mkdir");
    std::fs::write(model.join("small.bin"), b"six by").expect("write");
    let (key, public, _) = keygen(dir.path(), "key", "p256");
    run(modelseal()
        .arg("sign")
        .arg(&model)
        .arg("--key")
        .arg(&key)
        .args(["--method", "shards"]))
    .expect_code(0);
    // 1 TiB, sparse: hashing it would take many minutes.
    std::fs::File::create(model.join("small.bin"))
        .and_then(|f| f.set_len(1 << 40))
        .expect("sparse file");
    let out = crate::support::run_with_timeout(
        modelseal()
            .arg("verify")
            .arg(&model)
            .arg("--key")
            .arg(&public)
            .args(["--format", "json"]),
        std::time::Duration::from_secs(60),
    );
    out.expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(report["findings"][0]["kind"], "size_changed", "{report}");
    assert_eq!(report["bytes_hashed"], 0, "{report}");
}
