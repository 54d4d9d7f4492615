//! What received messages wait in: blocks of batch lines (`<peer>
//! <message>`), one or many messages each, queued within a byte budget.
//! A connection hands over a block per read of its socket, not per
//! message, so the queue costs little per message. A stream receiver waits for room (the
//! sender is slowed down, nothing is lost); a datagram receiver that finds
//! none drops the datagram and counts it, as UDP allows.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

pub use crate::net::budget::Budget;

use super::spool::Position;
use super::SyslogStats;

/// Received messages as lines of a batch, and where the spool has them.
pub struct Block {
    pub bytes: Vec<u8>,
    pub messages: usize,
    pub at: Option<Position>,
}

/// The batch line of a message from `peer`: the address, a space, the
/// message, a newline.
pub fn encode(peer: IpAddr, msg: &[u8]) -> Vec<u8> {
    let mut line = prefix(peer).into_bytes();
    let body = line.len();
    line.extend_from_slice(msg);
    end_line(&mut line, body);
    line
}

/// What starts the lines of `peer`'s messages.
pub fn prefix(peer: IpAddr) -> String {
    format!("{} ", peer.to_canonical())
}

/// Ends the line whose message starts at `body`: a line break inside the
/// message (allowed by octet counting) is written `#012` (`#015` for a
/// carriage return), as syslog daemons escape control characters, so that
/// the message stays one record.
pub fn end_line(block: &mut Vec<u8>, body: usize) {
    if memchr::memchr2(b'\n', b'\r', &block[body..]).is_some() {
        let msg = block.split_off(body);
        for b in msg {
            match b {
                b'\n' => block.extend_from_slice(b"#012"),
                b'\r' => block.extend_from_slice(b"#015"),
                _ => block.push(b),
            }
        }
    }
    block.push(b'\n');
}

/// Where receivers put blocks: the spool's writer, or straight into the
/// queue the serve loop drains.
#[derive(Clone)]
pub struct Intake {
    pub tx: Sender<Block>,
    pub budget: Arc<Budget>,
    pub stats: Arc<SyslogStats>,
    pub stop: Arc<AtomicBool>,
    pub pool: Arc<BlockPool>,
}

/// Buffers of committed blocks, for connections to fill again: memory the
/// process already has, instead of fresh pages that fault in on first
/// write (a few percent of receiving a steady stream). Holds at most
/// `max_bytes` of buffers, so what an idle source keeps is bounded.
pub struct BlockPool {
    free: Mutex<Vec<Vec<u8>>>,
    max_bytes: usize,
}

impl BlockPool {
    pub fn new(max_bytes: usize) -> Self {
        BlockPool {
            free: Mutex::new(Vec::new()),
            max_bytes,
        }
    }

    /// An empty buffer of at least `capacity` bytes.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut f| f.pop());
        match reused {
            Some(b) if b.capacity() >= capacity => b,
            _ => Vec::with_capacity(capacity),
        }
    }

    /// Keeps `buffer` for a later [`BlockPool::take`] if there is room.
    pub fn give(&self, mut buffer: Vec<u8>) {
        let Ok(mut free) = self.free.lock() else {
            return;
        };
        if (free.len() + 1) * buffer.capacity() <= self.max_bytes {
            buffer.clear();
            free.push(buffer);
        }
    }
}

impl Intake {
    /// Queues a stream's block of `messages` lines, waiting for room;
    /// false when the queue is gone.
    pub fn send(&self, mut bytes: Vec<u8>, messages: usize) -> bool {
        // The budget counts lengths: a mostly empty buffer is not kept.
        if bytes.capacity() > 2 * bytes.len() + 4096 {
            bytes.shrink_to_fit();
        }
        self.budget.take(bytes.len());
        self.stats
            .received
            .fetch_add(messages as u64, Ordering::Relaxed);
        let at = None;
        self.tx
            .send(Block {
                bytes,
                messages,
                at,
            })
            .is_ok()
    }

    /// Queues a datagram's message if there is room, else counts a drop.
    pub fn offer(&self, peer: IpAddr, msg: &[u8]) {
        let bytes = encode(peer, msg);
        self.stats.received.fetch_add(1, Ordering::Relaxed);
        if !self.budget.try_take(bytes.len()) {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let (messages, at) = (1, None);
        let _ = self.tx.send(Block {
            bytes,
            messages,
            at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_hands_back_empty_buffers_within_its_bound() {
        let pool = BlockPool::new(3 * 1024);
        let mut b = pool.take(1024);
        b.extend_from_slice(b"old lines");
        let ptr = b.as_ptr();
        pool.give(b);
        let again = pool.take(1024);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), ptr, "the same memory is reused");
        // A buffer too small for the request is not handed out.
        pool.give(Vec::with_capacity(16));
        assert!(pool.take(1024).capacity() >= 1024);
        // No more than the bound is kept.
        for _ in 0..10 {
            pool.give(Vec::with_capacity(1024));
        }
        assert!(pool.free.lock().unwrap().len() <= 3);
    }

    #[test]
    fn lines_name_the_peer_and_keep_one_message_on_one_line() {
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(encode(v4, b"<13>hi"), b"192.0.2.7 <13>hi\n");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(encode(mapped, b"x"), b"192.0.2.7 x\n");
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(encode(v6, b"a\nb\r"), b"2001:db8::1 a#012b#015\n");
    }
}
