//! Compaction and vacuum on their intervals, in the one worker whose
//! configuration has a `[maintenance]` section; first after one interval.

use std::time::Instant;

use seclake_sources::config::MaintenanceConfig;

use super::Ctx;

pub(super) struct Upkeep<'a> {
    config: Option<&'a MaintenanceConfig>,
    compact_due: Option<Instant>,
    vacuum_due: Option<Instant>,
}

impl<'a> Upkeep<'a> {
    pub fn new(config: Option<&'a MaintenanceConfig>) -> Self {
        Upkeep {
            config,
            compact_due: config.map(|m| Instant::now() + m.compact_every()),
            vacuum_due: config.map(|m| Instant::now() + m.vacuum_every()),
        }
    }

    /// Runs what is due.
    pub fn run_due(&mut self, ctx: &Ctx) {
        let Some(m) = self.config else {
            return;
        };
        let now = Instant::now();
        if self.compact_due.is_some_and(|due| now >= due) {
            self.compact_due = Some(now + m.compact_every());
            let opts = seclake_lake::compact::CompactOptions {
                table: None,
                older_than: m.compact_older_than(),
                target_file_bytes: 256 << 20,
            };
            match ctx
                .rt
                .block_on(seclake_lake::compact::compact(ctx.lake, &opts))
            {
                Ok(stats) => {
                    let removed: u64 = stats.iter().map(|s| s.duplicates_removed()).sum();
                    let parts: u64 = stats.iter().map(|s| s.partitions).sum();
                    say!("maintenance: compacted {parts} partition(s), {removed} duplicate row(s) removed");
                }
                Err(e) => say!("maintenance: compaction failed: {e:#}"),
            }
        }
        if self.vacuum_due.is_some_and(|due| now >= due) {
            self.vacuum_due = Some(now + m.vacuum_every());
            let retain = m.vacuum_retain();
            match ctx
                .rt
                .block_on(seclake_lake::vacuum::vacuum(ctx.lake, None, retain, false))
            {
                Ok(stats) => {
                    let n: usize = stats.iter().map(|s| s.files.len()).sum();
                    say!("maintenance: vacuum deleted {n} file(s)");
                }
                Err(e) => say!("maintenance: vacuum failed: {e:#}"),
            }
        }
    }
}
