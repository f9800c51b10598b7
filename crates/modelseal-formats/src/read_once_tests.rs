//! The read-and-hash pipeline over files cut into many small blocks, so
//! that the hand-over between the reader, the hasher and the pre-faulting
//! runs thousands of times.

use std::io::Write;

use super::*;

/// A file of `len` bytes that differ from block to block.
fn file_of(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
    let data: Vec<u8> = (0..len)
        .map(|i| u8::try_from((i * 31 + i / 4096) % 251).unwrap_or(0))
        .collect();
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(&data).expect("write");
    f.flush().expect("flush");
    (f, data)
}

/// The error and its sources, as one line.
fn chain(err: &FormatError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        text.push_str(&format!(": {e}"));
        source = e.source();
    }
    text
}

fn read(
    file: &tempfile::NamedTempFile,
    buf: &mut [u8],
    algorithm: HashAlgorithm,
    plan: Plan,
) -> Result<Digest, FormatError> {
    let mut f = File::open(file.path()).expect("open");
    read_hashed(&mut f, file.path(), buf, algorithm, plan)
}

/// Runs `f` on its own thread and fails the test if it takes over a
/// minute: a lost hand-over must fail, not hang the suite.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{what}: {e} (a hang or a panic above)"))
}

#[test]
fn reads_and_hashes_every_byte_in_order() {
    within("read_hashed", || {
        let plans = [
            Plan {
                block: PAGE,
                depth: 1,
            },
            Plan {
                block: PAGE,
                depth: 1,
            },
            Plan {
                block: PAGE,
                depth: 3,
            },
            Plan {
                block: 3 * PAGE + 1,
                depth: 2,
            }, // rounded up to 4 pages
            Plan { block: 0, depth: 0 }, // one page, one slot
            Plan::DEFAULT,
        ];
        for len in [0, 1, PAGE - 1, PAGE, 5 * PAGE + 17, 1_000_003] {
            let (file, data) = file_of(len);
            for plan in plans {
                for algorithm in HashAlgorithm::ALL {
                    let mut buf = vec![0xAA; len];
                    let digest = read(&file, &mut buf, algorithm, plan)
                        .unwrap_or_else(|e| panic!("{len} bytes, {plan:?}: {e}"));
                    assert_eq!(
                        digest,
                        algorithm.digest(&data),
                        "{len} bytes, {plan:?}, {algorithm:?}"
                    );
                    assert!(
                        buf == data,
                        "{len} bytes, {plan:?}: the buffer differs from the file"
                    );
                }
            }
        }
    });
}

#[test]
fn a_file_shorter_or_longer_than_its_size_is_refused() {
    within("shrink and growth", || {
        let (file, _) = file_of(10 * PAGE + 5);
        let plan = Plan {
            block: PAGE,
            depth: 2,
        };
        // A buffer twice the file's size: the file "shrank", half-way, with
        // blocks left to fault in that must be given up.
        let mut longer = vec![0; 2 * (10 * PAGE + 5)];
        let err = read(&file, &mut longer, HashAlgorithm::Sha256, plan).expect_err("shrank");
        let text = chain(&err);
        assert!(
            text.contains("ended at byte 40965")
                && text.contains(&file.path().display().to_string()),
            "{text}"
        );
        // A buffer one byte shorter: the file "grew".
        let mut shorter = vec![0; 10 * PAGE + 4];
        let err = read(&file, &mut shorter, HashAlgorithm::Sha256, plan).expect_err("grew");
        let text = chain(&err);
        assert!(text.contains("grew past its 40964 bytes"), "{text}");
    });
}

#[test]
fn faulting_in_skips_what_the_reader_took_and_stops_on_close() {
    let mut buf = vec![7u8; 10 * PAGE];
    let blocks = Blocks::new(&mut buf, PAGE);
    // Two blocks faulted in before the reader starts.
    assert!(blocks.fault_ahead());
    assert!(blocks.fault_ahead());
    assert_eq!(blocks.take(0)[0], 0, "faulted-in blocks were touched");
    assert_eq!(blocks.take(1)[0], 0);
    assert_eq!(
        blocks.take(2)[1],
        7,
        "untouched blocks are handed over as they are"
    );
    assert_eq!(blocks.take(3)[0], 7);
    // Faulting in resumes past the reader.
    assert!(blocks.fault_ahead());
    assert_eq!(blocks.take(4)[0], 0);
    blocks.close();
    assert!(!blocks.fault_ahead(), "nothing is faulted in after close");
    for i in 5..10 {
        assert_eq!(blocks.take(i)[0], 7);
    }
    // And nothing is left to fault in once the reader took everything.
    assert!(!blocks.fault_ahead());
}

#[test]
fn every_block_reaches_the_reader_once_while_another_thread_faults_ahead() {
    within("concurrent hand-over", || {
        let blocks_len = 3000;
        let mut buf = vec![7u8; blocks_len * PAGE - 1];
        let base = buf.as_ptr() as usize;
        let blocks = Blocks::new(&mut buf, PAGE);
        let faulted = std::thread::scope(|scope| {
            let faulting = scope.spawn(|| {
                let mut faulted = 0;
                loop {
                    if blocks.fault_ahead() {
                        faulted += 1;
                    } else if blocks.lock().next >= blocks_len {
                        return faulted;
                    } else {
                        std::thread::yield_now();
                    }
                }
            });
            // Let the other thread start before the reader races ahead.
            while blocks.lock().next == 0 {
                std::thread::yield_now();
            }
            let mut seen = 0;
            for i in 0..blocks_len {
                let block = blocks.take(i);
                assert_eq!(
                    block.as_ptr() as usize,
                    base + seen,
                    "block {i} is out of place"
                );
                seen += block.len();
                block.fill(1);
            }
            assert_eq!(seen, blocks_len * PAGE - 1);
            faulting.join().expect("faulting thread")
        });
        assert!(faulted > 0, "the other thread faulted nothing in");
        assert!(
            buf.iter().all(|&b| b == 1),
            "every byte was handed to the reader"
        );
    });
}

#[test]
fn the_reader_waits_for_a_block_being_faulted_in() {
    within("waiting for a block", || {
        // One large block of untouched memory: faulting it in takes long
        // enough that the reader asks for it half-way.
        let mut buf = vec![0u8; 64 << 20];
        let blocks = Blocks::new(&mut buf, 64 << 20);
        std::thread::scope(|scope| {
            scope.spawn(|| assert!(blocks.fault_ahead()));
            while blocks.lock().next == 0 {
                std::thread::yield_now();
            }
            // Claimed by the other thread: the reader must wait for it
            // rather than find it missing.
            assert_eq!(blocks.take(0).len(), 64 << 20);
        });
    });
}
