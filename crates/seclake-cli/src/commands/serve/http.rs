//! The rounds of an HTTP source: the requests waiting, committed together,
//! then each answered (200 with its rows, or 503 to retry), and its
//! counters.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use anyhow::Result;
use seclake_sources::config::SourceConfig;
use seclake_sources::http::{HttpSource, Reply, STATUSES};
use seclake_sources::inputs::Input;
use seclake_sources::metrics::{catalog as m, labels, Metrics};

use super::rounds::{count, run_each};
use super::syslog::BATCH_BYTES;
use super::Ctx;

/// One round: the requests waiting now (up to a batch), committed and
/// answered. One batch a round, so that senders that never pause do not
/// keep the loop from the other sources (or from stopping); the loop comes
/// back at once while requests wait.
pub(super) fn http_round(cfg: &SourceConfig, src: &mut HttpSource, ctx: &Ctx) -> Result<()> {
    http_counts(cfg, src, ctx.metrics);
    let started = Instant::now();
    let batch = src.take(BATCH_BYTES as u64);
    if batch.is_empty() {
        return Ok(());
    }
    let inputs: Vec<Input> = batch.iter().map(|r| r.input.clone()).collect();
    let ran = match run_each(cfg, &inputs, ctx) {
        Ok(ran) => ran,
        Err(e) => {
            for r in batch {
                r.reply(Reply::Failed(format!("{e:#}")));
            }
            return Err(e);
        }
    };
    count(ctx.metrics, cfg, &ran.acked, &ran.stats);
    let requests = batch.len();
    for ((r, ok), (rows, rejects)) in batch.into_iter().zip(&ran.acked).zip(&ran.each) {
        r.reply(match ok {
            true => Reply::Committed {
                rows: *rows,
                rejects: *rejects,
            },
            false => Reply::Failed("the commit failed".into()),
        });
    }
    say!(
        "source {:?}: {requests} request(s) committed: {} rows, {} rejects in {:.2}s",
        cfg.id,
        ran.stats.rows,
        ran.stats.rejects,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// An HTTP source's counters into the metrics.
fn http_counts(cfg: &SourceConfig, src: &HttpSource, metrics: &Metrics) {
    let s = &src.stats;
    let take = |c: &std::sync::atomic::AtomicU64| c.swap(0, Relaxed);
    let source = labels(&[("source", &cfg.id)]);
    for (i, counter) in s.responses.iter().enumerate() {
        let n = take(counter);
        if n > 0 {
            let code = STATUSES.get(i).map_or("other".to_string(), u16::to_string);
            let l = labels(&[("source", &cfg.id), ("code", &code)]);
            metrics.add(m::HTTP_REQUESTS, l, n);
        }
    }
    let (auth, busy) = (take(&s.auth_failed), take(&s.busy));
    let (refused, timed_out) = (take(&s.conns.refused), take(&s.conns.timed_out));
    for (name, n) in [
        (m::HTTP_BODY_BYTES, take(&s.bytes)),
        (m::HTTP_AUTH_FAILURES, auth),
        (m::HTTP_BUSY, busy),
        (m::HTTP_CONNECTIONS, take(&s.conns.accepted)),
        (m::HTTP_REFUSED, refused),
        (m::HTTP_TIMED_OUT, timed_out),
    ] {
        metrics.add(name, source.clone(), n);
    }
    let open = s.conns.open.load(Relaxed) as f64;
    metrics.set(m::HTTP_OPEN_CONNECTIONS, source, open);
    if auth + busy + refused + timed_out > 0 {
        say!(
            "source {:?}: {auth} request(s) without valid credentials, {busy} answered 503 (queue full), {refused} connection(s) refused (max_connections), {timed_out} timed out",
            cfg.id
        );
    }
}
