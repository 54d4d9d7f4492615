//! The rounds of a syslog server: what it received, committed batch by
//! batch, and its counters.

use std::time::Instant;

use anyhow::{anyhow, Result};
use seclake_sources::config::SourceConfig;
use seclake_sources::metrics::{catalog as m, labels, Metrics};
use seclake_sources::syslog::SyslogSource;

use super::rounds::{count, run_inputs};
use super::Ctx;

/// One round of a syslog server: what was received, committed to the lake
/// batch by batch, a few batches at most, so that a stream that never
/// pauses does not keep the loop from the other sources (the loop comes
/// back at once while the queue is half full). A batch whose commit fails
/// stays first in line for the next round (and in the spool, if there is
/// one).
pub(super) fn syslog_round(cfg: &SourceConfig, src: &mut SyslogSource, ctx: &Ctx) -> Result<()> {
    syslog_counts(cfg, src, ctx.metrics);
    let started = Instant::now();
    let (mut messages, mut rows, mut rejects) = (0, 0, 0);
    for _ in 0..4 {
        let Some(batch) = src.next_batch(BATCH_BYTES) else {
            break;
        };
        let n = batch.messages;
        let (acked, stats) = run_inputs(cfg, std::slice::from_ref(&batch.input), ctx)?;
        count(ctx.metrics, cfg, &acked, &stats);
        if !acked[0] {
            return Err(anyhow!(
                "{n} message(s) not committed; tried again next round"
            ));
        }
        src.committed().map_err(anyhow::Error::msg)?;
        (messages, rows, rejects) = (messages + n, rows + stats.rows, rejects + stats.rejects);
    }
    if messages > 0 {
        say!(
            "source {:?}: {messages} message(s) committed: {rows} rows, {rejects} rejects in {:.2}s",
            cfg.id,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Most bytes of received messages in one commit.
pub(super) const BATCH_BYTES: usize = 128 << 20;

/// A syslog source's counters into the metrics, and what was lost (or
/// nearly) into the log.
fn syslog_counts(cfg: &SourceConfig, src: &mut SyslogSource, metrics: &Metrics) {
    use std::sync::atomic::Ordering::Relaxed;
    let s = src.stats.clone();
    let take = |c: &std::sync::atomic::AtomicU64| c.swap(0, Relaxed);
    let kernel = src.take_kernel_drops();
    let (dropped, truncated) = (take(&s.dropped), take(&s.truncated));
    let (refused, timed_out) = (take(&s.conns.refused), take(&s.conns.timed_out));
    let source = labels(&[("source", &cfg.id)]);
    for (name, n) in [
        (m::SYSLOG_RECEIVED, take(&s.received)),
        (m::SYSLOG_DROPPED, dropped),
        (m::SYSLOG_KERNEL_DROPPED, kernel),
        (m::SYSLOG_TRUNCATED, truncated),
        (m::SYSLOG_CONNECTIONS, take(&s.conns.accepted)),
        (m::SYSLOG_REFUSED, refused),
        (m::SYSLOG_TIMED_OUT, timed_out),
        (m::SYSLOG_TLS_FAILED, take(&s.tls_failed)),
        (m::SYSLOG_SPOOL_ERRORS, take(&s.spool_errors)),
    ] {
        metrics.add(name, source.clone(), n);
    }
    let open = s.conns.open.load(Relaxed) as f64;
    metrics.set(m::SYSLOG_OPEN_CONNECTIONS, source, open);
    if dropped + kernel + truncated + refused + timed_out > 0 {
        say!(
            "source {:?}: {dropped} UDP datagram(s) dropped (queue full), {kernel} by the kernel (receive buffer full), {truncated} message(s) truncated, {refused} connection(s) refused (max_connections), {timed_out} timed out",
            cfg.id
        );
    }
    if let Some(e) = src.take_spool_error() {
        say!(
            "source {:?}: spool write failed, messages kept in memory only: {e}",
            cfg.id
        );
    }
}
