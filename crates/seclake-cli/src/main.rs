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

fn main() -> ExitCode {
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
