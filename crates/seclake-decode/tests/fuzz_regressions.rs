//! Inputs the fuzzers found (`fuzz/README.md`), kept as tests: each must
//! frame to its end in bounded time and records.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use seclake_decode::{framing::Framer, Limits};

fn frame_all(data: Vec<u8>) -> usize {
    let limits = Limits {
        max_record_bytes: 4096,
        max_decompressed_bytes: 1 << 22,
        ..Limits::default()
    };
    let Ok((_, decoded)) = seclake_decode::open(&data[..], limits) else {
        return 0;
    };
    let Ok(mut framer) = Framer::new(decoded, limits) else {
        return 0;
    };
    let mut items = 0;
    while framer.next().is_some() {
        items += 1;
        assert!(
            items <= data.len() + 1,
            "more items than bytes: the framer is stuck"
        );
    }
    items
}

#[test]
fn every_kept_fuzz_input_frames_in_bounded_time() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(frame_all(data)));
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{}: framing did not finish", path.display()));
    }
}

/// A stray comma between top-level values once produced empty records
/// forever.
#[test]
fn stray_commas_between_values_are_skipped() {
    assert_eq!(frame_all(b"{\n\"a\":1}\n, ,{\"b\":2}".to_vec()), 2);
    assert!(frame_all(b"{\"a\":1} :::: ]".to_vec()) < 10);
}
