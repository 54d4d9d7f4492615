//! `seclake`: the command-line shell over the seclake libraries.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod corpus;

#[derive(Parser)]
#[command(
    name = "seclake",
    version,
    about = "Security data lake engine: parse vendor logs into typed, normalized rows"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every registered log type: name, table, description.
    LogTypes(commands::log_types::Args),
    /// Print a log type's columns (name, type, required, description).
    Schema(commands::schema::Args),
    /// Parse log files (or stdin) into normalized JSON rows on stdout.
    Parse(commands::parse::Args),
    /// Parse files, directories, globs or S3 prefixes into the lake's Delta tables.
    Ingest(commands::ingest::Args),
    /// Run SQL over every table of the lake.
    Query(commands::query::Args),
    /// List the lake's tables with row counts, sizes and time ranges.
    Tables(commands::tables::Args),
    /// Merge small files and remove duplicate rows (by p_row_id).
    Compact(commands::compact::Args),
    /// Delete data files no kept snapshot needs (replaced or orphaned).
    Vacuum(commands::vacuum::Args),
    /// Print the statements that register the lake's tables in Athena,
    /// Trino, Spark or DuckDB.
    Ddl(commands::ddl::Args),
    /// List the Imperva and Edgecast files the vendor numbered and the
    /// lake never received (exit status 3 when there are gaps).
    Gaps(commands::gaps::Args),
    /// Measure parse throughput per log type on a generated corpus.
    Bench(commands::bench::Args),
    /// Check Sigma detection rules: do they load and compile for a table?
    Rules(commands::rules::Args),
    /// Run the sources of a configuration file (S3 scans, SQS queues,
    /// growing files, syslog and HTTP receivers, the Imperva log API) into
    /// the lake until SIGTERM; `--check-config` only checks the file.
    Serve(commands::serve::Args),
}

/// glibc gives each thread that allocates an arena of its own, up to
/// eight per core. Batches are built on one thread and freed on another
/// (workers, encoders, the writer), so memory freed in one arena is not
/// reused by the next allocation in another: two-thread ingest peaked at
/// 430 MB with the default and 290 MB with one arena per core, at the same
/// speed. `MALLOC_ARENA_MAX` in the environment still wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = i32::try_from(cores.max(2)).unwrap_or(i32::MAX);
        // SAFETY: mallopt only changes the allocator's tuning; it is
        // called before any thread is started.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SECLAKE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::LogTypes(a) => commands::log_types::run(a),
        Command::Schema(a) => commands::schema::run(a),
        Command::Parse(a) => commands::parse::run(a),
        Command::Ingest(a) => commands::ingest::run(a),
        Command::Query(a) => commands::query::run(a),
        Command::Tables(a) => commands::tables::run(a),
        Command::Compact(a) => commands::compact::run(a),
        Command::Vacuum(a) => commands::vacuum::run(a),
        Command::Ddl(a) => commands::ddl::run(a),
        Command::Gaps(a) => commands::gaps::run(a),
        Command::Bench(a) => commands::bench::run(a),
        Command::Rules(a) => commands::rules::run(a),
        Command::Serve(a) => commands::serve::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("seclake: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
