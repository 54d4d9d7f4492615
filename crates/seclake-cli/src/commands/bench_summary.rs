//! The line `seclake bench` prints under each corpus: how seclake's
//! wall-clock MB/s compares with the peer's at each thread count, and how
//! it scales from one thread to the most measured. These are the ratios
//! the engine's throughput targets are stated in, so nobody has to work
//! them out from the table.

use super::bench::Run;

/// What was measured for one corpus: seclake's runs and the peer's, by
/// thread count.
#[derive(Default)]
pub(super) struct Measured {
    pub ours: Vec<(usize, Run)>,
    pub peer: Vec<(usize, Run)>,
}

impl Measured {
    /// `corpus: 0.75x duckdb (1 thread), 0.88x (2 threads); 2 threads /
    /// 1 = 1.85x`, or `None` when there is nothing to compare.
    pub fn summary(&self, corpus: &str, peer: &str) -> Option<String> {
        let mbps = |r: &Run| r.bytes as f64 / r.secs;
        let mut parts = Vec::new();
        for (threads, ours) in &self.ours {
            let Some((_, theirs)) = self.peer.iter().find(|(t, _)| t == threads) else {
                continue;
            };
            let ratio = mbps(ours) / mbps(theirs);
            let who = if parts.is_empty() {
                format!(" {peer}")
            } else {
                String::new()
            };
            parts.push(format!("{ratio:.2}x{who} ({})", threads_word(*threads)));
        }
        let one = self.ours.iter().find(|(t, _)| *t == 1);
        let most = self.ours.iter().max_by_key(|(t, _)| *t);
        if let (Some((_, one)), Some((n, most))) = (one, most) {
            if *n > 1 {
                let scaling = mbps(most) / mbps(one);
                parts.push(format!("{} / 1 = {scaling:.2}x", threads_word(*n)));
            }
        }
        (!parts.is_empty()).then(|| format!("{corpus}: {}", parts.join(", ")))
    }
}

fn threads_word(n: usize) -> String {
    match n {
        1 => "1 thread".to_string(),
        n => format!("{n} threads"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mb: f64, secs: f64) -> Run {
        Run {
            bytes: (mb * 1e6) as u64,
            events: 1,
            secs,
            cpu: secs,
            rss: 0,
        }
    }

    #[test]
    fn ratios_are_against_the_peer_at_the_same_thread_count() {
        let m = Measured {
            ours: vec![(1, run(100.0, 1.0)), (2, run(100.0, 0.5))],
            peer: vec![(1, run(100.0, 0.5)), (2, run(100.0, 0.4))],
        };
        assert_eq!(
            m.summary("AWS.VPCFlow", "duckdb").unwrap(),
            "AWS.VPCFlow: 0.50x duckdb (1 thread), 0.80x (2 threads), 2 threads / 1 = 2.00x"
        );
    }

    #[test]
    fn without_a_peer_only_the_scaling_is_given() {
        let m = Measured {
            ours: vec![(1, run(100.0, 1.0)), (2, run(100.0, 0.8))],
            peer: Vec::new(),
        };
        assert_eq!(
            m.summary("AWS.ALB", "vrl").unwrap(),
            "AWS.ALB: 2 threads / 1 = 1.25x"
        );
        let one = Measured {
            ours: vec![(1, run(100.0, 1.0))],
            peer: Vec::new(),
        };
        assert_eq!(one.summary("AWS.ALB", "vrl"), None);
    }
}
