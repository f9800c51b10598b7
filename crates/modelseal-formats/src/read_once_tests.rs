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

#[test]
fn reads_and_hashes_every_byte_in_order() {
    let plans = [
        Plan {
            block: PAGE,
            depth: 1,
        },
        Plan {
            block: PAGE,
            depth: 3,
        },
        Plan {
            block: 3 * PAGE,
            depth: 2,
        },
        Plan { block: 1, depth: 0 }, // raised to one page, one slot
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
}

#[test]
fn a_file_shorter_or_longer_than_its_size_is_refused() {
    let (file, _) = file_of(10 * PAGE + 5);
    let plan = Plan {
        block: PAGE,
        depth: 2,
    };
    // A buffer one byte longer than the file: the file "shrank".
    let mut longer = vec![0; 10 * PAGE + 6];
    let err = read(&file, &mut longer, HashAlgorithm::Sha256, plan).expect_err("shrank");
    let text = chain(&err);
    assert!(
        text.contains("ended at byte 40965") && text.contains(&file.path().display().to_string()),
        "{text}"
    );
    // A buffer one byte shorter: the file "grew".
    let mut shorter = vec![0; 10 * PAGE + 4];
    let err = read(&file, &mut shorter, HashAlgorithm::Sha256, plan).expect_err("grew");
    let text = chain(&err);
    assert!(text.contains("grew past its 40964 bytes"), "{text}");
}

#[test]
fn every_block_reaches_the_reader_once_whoever_faults_it() {
    let mut buf = vec![7u8; 10 * PAGE];
    let blocks = Blocks::new(&mut buf, PAGE);
    // The other thread faults in blocks 0 and 1 ahead of the reader...
    assert!(blocks.fault_ahead());
    assert!(blocks.fault_ahead());
    // ...the reader takes 0 (faulted) and then 5, which moves the cursor.
    assert_eq!(blocks.take(0).len(), PAGE);
    assert_eq!(blocks.take(1)[0], 0, "faulted blocks were touched");
    assert_eq!(
        blocks.take(5)[1],
        7,
        "untouched blocks are handed over as they are"
    );
    // Faulting resumes past the reader, skipping what it already took.
    assert!(blocks.fault_ahead());
    assert!(blocks.lock().ready[6].is_some());
    blocks.close();
    assert!(!blocks.fault_ahead(), "nothing is faulted in after close");
    assert_eq!(blocks.take(6).len(), PAGE);
    assert_eq!(blocks.take(9).len(), PAGE);
}
