//! Delivery gaps, watched while serving: every 10 minutes (and after the
//! round of `--once`), the sequence
//! numbers Imperva and Edgecast deliveries of the last day are missing
//! (what `seclake gaps --since 1d` lists), as the gauge
//! `seclake_missing_sequences{log_type}` and a warning naming the first
//! gaps. A gap may close later (a late file); the gauge then falls.

use std::time::{Duration, Instant, SystemTime};

use seclake_query::{find_gaps, QueryEngine};
use seclake_sources::metrics::{catalog, labels};

use super::Ctx;

const EVERY: Duration = Duration::from_secs(600);
const WINDOW: Duration = Duration::from_secs(86_400);

pub(super) struct GapWatch {
    due: Instant,
}

impl GapWatch {
    /// The first look a minute after start (the sources had their first
    /// rounds), or after the one round of `--once`.
    pub fn new(once: bool) -> Self {
        let wait = if once { 0 } else { 60 };
        GapWatch {
            due: Instant::now() + Duration::from_secs(wait),
        }
    }

    pub fn run_due(&mut self, ctx: &Ctx) {
        if Instant::now() < self.due {
            return;
        }
        self.due = Instant::now() + EVERY;
        let since = SystemTime::now() - WINDOW;
        let uri = ctx.lake.uri.clone();
        let found = ctx.rt.block_on(async {
            let engine = QueryEngine::open(&uri).await?;
            find_gaps(&engine, since).await.map_err(anyhow::Error::from)
        });
        let gaps = match found {
            Ok(g) => g,
            Err(e) => {
                say!("delivery gaps: cannot look: {e:#}");
                return;
            }
        };
        for source in [
            seclake_query::GapSource::Imperva,
            seclake_query::GapSource::Edgecast,
        ] {
            let missing: u64 = gaps
                .iter()
                .filter(|g| g.source == source)
                .map(|g| g.count())
                .sum();
            let l = labels(&[("log_type", source.log_type())]);
            ctx.metrics
                .set(catalog::MISSING_SEQUENCES, l, missing as f64);
        }
        if !gaps.is_empty() {
            let first: Vec<String> = gaps
                .iter()
                .take(5)
                .map(|g| format!("{} {} {}-{}", g.source.log_type(), g.key, g.from, g.to))
                .collect();
            let missing: u64 = gaps.iter().map(|g| g.count()).sum();
            say!(
                "delivery gaps: {missing} sequence number(s) missing in the last day, in {} gap(s): {}{} (seclake gaps lists them)",
                gaps.len(),
                first.join(", "),
                if gaps.len() > 5 { ", ..." } else { "" }
            );
        }
    }
}
