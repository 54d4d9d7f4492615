//! The rounds of an Imperva log API source: the new files of the log
//! repository into the lake, then the position moved past the ones
//! acknowledged, in order (a file not committed is fetched again).

use std::time::Instant;

use anyhow::Result;
use seclake_sources::config::SourceConfig;
use seclake_sources::imperva::ImpervaSource;
use seclake_sources::inputs::Input;

use super::rounds::{count, run_inputs, say_ingested};
use super::Ctx;

pub(super) fn imperva_round(cfg: &SourceConfig, src: &mut ImpervaSource, ctx: &Ctx) -> Result<()> {
    let polled = ctx.rt.block_on(src.poll()).map_err(anyhow::Error::msg)?;
    for problem in &polled.problems {
        say!("source {:?}: {problem}", cfg.id);
    }
    if polled.ignored_lines > 0 {
        say!(
            "source {:?}: {} line(s) of logs.index are not log file names; ignored",
            cfg.id,
            polled.ignored_lines
        );
    }
    if polled.files.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let (inputs, fetched): (Vec<Input>, Vec<_>) = polled.files.into_iter().unzip();
    let (acked, stats) = run_inputs(cfg, &inputs, ctx)?;
    count(ctx.metrics, cfg, &acked, &stats);
    for (f, ok) in fetched.iter().zip(&acked) {
        if !ok || !src.advance(f) {
            break;
        }
    }
    ctx.rt.block_on(src.save()).map_err(anyhow::Error::msg)?;
    say_ingested(cfg, "log file(s)", &acked, &stats, started);
    if let Some(p) = src.position() {
        say!("source {:?}: position {}", cfg.id, p.name);
    }
    Ok(())
}
