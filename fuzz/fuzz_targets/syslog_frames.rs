//! The syslog server's TCP framing (RFC 6587: octet counting or newline,
//! per frame) over any byte stream, read in pieces of any size, appended
//! to a block as the receiver does: no panic, no frame longer than the
//! limit, the block before each frame left as it was, and every call makes
//! progress.
#![no_main]

use std::io::BufReader;

use libfuzzer_sys::fuzz_target;
use seclake_decode::syslog_frames::frame_into;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let max = 1 + (pick as usize % 64);
    let capacity = 1 + (pick as usize / 64);
    let mut r = BufReader::with_capacity(capacity, rest);
    let mut block = b"192.0.2.1 ".to_vec();
    let mut frames = 0;
    loop {
        let before = block.clone();
        let Some(_) = frame_into(&mut r, max, &mut block) else {
            assert_eq!(block, before, "the end changed the block");
            break;
        };
        assert!(block.starts_with(&before), "a frame changed the block");
        assert!(block.len() - before.len() <= max, "a frame longer than the limit");
        block.push(b'\n');
        frames += 1;
        assert!(frames <= rest.len() + 1, "no progress");
    }
});
