//! `seclake bench --mode lake`: what the Delta log costs and what it saves.
//!
//! - Commit latency: `--runs`×50 commits of one file each to a local table,
//!   one after another (each re-reads nothing: the writer keeps its
//!   snapshot), median, 95th percentile and worst.
//! - Planning over many files: a table of `--files` one-row files (one per
//!   hour), planned from its log (what `seclake query` does) and, as the
//!   peer, by DataFusion listing the Hive directories and reading every
//!   footer to infer the schema (what planning cost before the log).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use seclake_lake::delta::{Committer, NewFile};
use seclake_lake::layout::{partition_dir, MICROS_PER_HOUR};
use seclake_lake::Lake;

use super::common::runtime;

/// The first hour of the generated table: 2023-11-14T22:00Z.
const FIRST_HOUR: i64 = 1_700_000_000 / 3600;

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("n", DataType::Int64, true),
        Field::new(
            "p_event_time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
    ]))
}

fn file(path: String, hour: i64) -> NewFile {
    let t = hour * MICROS_PER_HOUR;
    NewFile {
        path,
        hour,
        size: 600,
        rows: 1,
        min_time: t,
        max_time: t,
    }
}

pub fn run(dir: Option<&Path>, files: usize, runs: usize) -> Result<ExitCode> {
    let base = dir.map(Path::to_path_buf).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("seclake-bench-lake-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base)?;
    let rt = runtime()?;

    // Commit latency.
    let lake = Lake::open(path_str(&base.join("commits"))?)?;
    let mut committer = Committer::default();
    let mut times = Vec::new();
    for i in 0..runs.max(1) * 50 {
        let f = file(
            format!("{}/f{i}.parquet", partition_dir(FIRST_HOUR)),
            FIRST_HOUR,
        );
        let started = Instant::now();
        rt.block_on(committer.append(&lake, "bench", &schema(), &[f]))?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "commit latency, local lake, {} commits of one file: median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        times.len(),
        pick(0.5),
        pick(0.95),
        pick(1.0)
    );

    // Planning over `files` files.
    let lake_dir = base.join("plan");
    let lake = Lake::open(path_str(&lake_dir)?)?;
    let started = Instant::now();
    let bytes = one_row_file()?;
    let mut batch = Vec::new();
    for i in 0..files as i64 {
        let hour = FIRST_HOUR + i;
        let rel = format!("{}/f.parquet", partition_dir(hour));
        let path = lake_dir.join("bench_plan").join(&rel);
        std::fs::create_dir_all(path.parent().context("partition directory")?)?;
        std::fs::write(&path, &bytes)?;
        batch.push(file(rel, hour));
        if batch.len() == 1000 || i + 1 == files as i64 {
            rt.block_on(committer.append(&lake, "bench_plan", &schema(), &batch))?;
            batch.clear();
        }
    }
    println!(
        "built a table of {files} files in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let from = (FIRST_HOUR + files as i64 / 2) * 3600;
    let sql = format!(
        "SELECT count(*) FROM bench_plan WHERE p_event_time >= to_timestamp({from}) AND p_event_time < to_timestamp({})",
        from + 3600
    );
    let uri = path_str(&lake_dir)?.to_string();
    let mut log = Vec::new();
    let mut listing = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        rt.block_on(async {
            let engine = seclake_query::QueryEngine::open(&uri).await?;
            engine.plan(&sql).await?.create_physical_plan().await?;
            Ok::<_, anyhow::Error>(())
        })?;
        log.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        rt.block_on(plan_by_listing(&lake_dir.join("bench_plan"), &sql))?;
        listing.push(started.elapsed().as_secs_f64());
    }
    log.sort_by(f64::total_cmp);
    listing.sort_by(f64::total_cmp);
    println!(
        "planning `{sql}` over {files} files (median of {}):",
        log.len()
    );
    println!(
        "  from the Delta log:                 {:.3} s",
        log[log.len() / 2]
    );
    println!(
        "  listing directories + footers:      {:.3} s",
        listing[listing.len() / 2]
    );
    if dir.is_none() {
        let _ = std::fs::remove_dir_all(&base);
    }
    Ok(ExitCode::SUCCESS)
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str().context("bench directory path is not UTF-8")
}

/// One row as a Parquet file.
fn one_row_file() -> Result<Vec<u8>> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![1])),
        Arc::new(
            TimestampMicrosecondArray::from(vec![FIRST_HOUR * MICROS_PER_HOUR])
                .with_timezone("UTC"),
        ),
    ];
    let batch = RecordBatch::try_new(schema(), columns)?;
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema(), None)?;
    w.write(&batch)?;
    w.close()?;
    Ok(out)
}

/// Plans `sql` the way a reader without the log does: a `ListingTable`
/// over the table directory, schema inferred from the files' footers.
async fn plan_by_listing(table_dir: &Path, sql: &str) -> Result<()> {
    use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
    use datafusion::prelude::{SessionConfig, SessionContext};
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_collect_statistics(true));
    let url = ListingTableUrl::parse(format!("{}/", table_dir.display()))?;
    let options = seclake_query::catalog::listing_options();
    let schema = options.infer_schema(&ctx.state(), &url).await?;
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    ctx.register_table("bench_plan", Arc::new(ListingTable::try_new(config)?))?;
    ctx.sql(sql).await?.create_physical_plan().await?;
    Ok(())
}
