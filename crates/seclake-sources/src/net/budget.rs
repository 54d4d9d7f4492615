//! A byte budget for what receivers hold in memory before the serve loop
//! commits it: a syslog queue's blocks, the HTTP bodies waiting for their
//! commit. A stream receiver waits for room (backpressure); a datagram
//! receiver or an HTTP request that finds none is dropped or refused.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Bytes queued in memory, bounded.
pub struct Budget {
    used: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Budget {
            used: Mutex::new(0),
            freed: Condvar::new(),
            limit,
        }
    }

    fn fits(&self, used: usize, n: usize) -> bool {
        // One message larger than the whole budget still passes alone.
        used == 0 || used + n <= self.limit
    }

    /// Takes room for `n` bytes, waiting for it (the serve loop drains the
    /// queue, also while stopping).
    pub fn take(&self, n: usize) {
        let Ok(mut used) = self.used.lock() else {
            return;
        };
        while !self.fits(*used, n) {
            used = match self.freed.wait_timeout(used, Duration::from_millis(100)) {
                Ok((u, _)) => u,
                Err(_) => return,
            };
        }
        *used += n;
    }

    /// Takes room for `n` bytes if there is some now.
    pub fn try_take(&self, n: usize) -> bool {
        let Ok(mut used) = self.used.lock() else {
            return false;
        };
        if !self.fits(*used, n) {
            return false;
        }
        *used += n;
        true
    }

    /// Whether half the budget or more is taken.
    pub fn half_full(&self) -> bool {
        self.used.lock().is_ok_and(|u| *u * 2 >= self.limit)
    }

    /// Gives back room for `n` bytes.
    pub fn give(&self, n: usize) {
        if let Ok(mut used) = self.used.lock() {
            *used = used.saturating_sub(n);
            self.freed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_bounds_what_waits_and_lets_a_huge_message_pass_alone() {
        let b = Budget::new(100);
        assert!(!b.half_full());
        assert!(b.try_take(60));
        assert!(b.half_full());
        assert!(!b.try_take(60));
        b.give(60);
        assert!(b.try_take(500));
        assert!(!b.try_take(1));
        b.give(500);
        b.take(1);
        assert!(!b.try_take(100));
    }
}
