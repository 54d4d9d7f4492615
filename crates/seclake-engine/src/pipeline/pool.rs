//! Chunk buffers, reused. A chunk's bytes (about a megabyte) were a fresh
//! allocation each time, which the allocator serves by mapping new pages:
//! every page of every chunk was faulted in and zeroed again (tens of
//! thousands of page faults a run). Finished chunks give their buffer
//! back here and the reader takes it again; at most [`KEPT`] wait, so the
//! pool holds a few megabytes at most.

use std::sync::Mutex;

/// Buffers kept at most.
const KEPT: usize = 8;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer of at least `capacity` bytes.
pub fn take(capacity: usize) -> Vec<u8> {
    let reused = POOL.lock().ok().and_then(|mut p| p.pop());
    match reused {
        Some(mut b) => {
            b.clear();
            b.reserve(capacity);
            b
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Gives a buffer back (dropped when the pool is full, or too large to be
/// worth keeping).
pub fn give(buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > 64 << 20 {
        return;
    }
    if let Ok(mut p) = POOL.lock() {
        if p.len() < KEPT {
            p.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_the_pool_stays_small() {
        let mut b = take(1024);
        b.extend_from_slice(b"hello");
        give(b);
        let b = take(16);
        assert!(b.is_empty() && b.capacity() >= 16);
        for _ in 0..KEPT * 2 {
            give(Vec::with_capacity(8));
        }
        assert!(POOL.lock().unwrap().len() <= KEPT);
    }
}
