//! `seclake ddl ENGINE`: the statements that register every table of the
//! lake (they are Delta Lake tables) in Athena, Trino, Spark or DuckDB.

use std::process::ExitCode;

use anyhow::{bail, Result};
use seclake_lake::ddl::{statements, Engine, Target};
use seclake_lake::Lake;

use super::common::{runtime, LakeArg};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum EngineArg {
    Athena,
    Trino,
    Spark,
    Duckdb,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    lake: LakeArg,
    /// The engine to print statements for.
    #[arg(value_enum)]
    engine: EngineArg,
    /// Only this table.
    #[arg(long)]
    table: Option<String>,
    /// The database (Athena, Spark) or schema (Trino) to put the tables in.
    #[arg(long, default_value = "seclake")]
    database: String,
    /// Trino's Delta Lake catalog.
    #[arg(long, default_value = "delta")]
    catalog: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rt = runtime()?;
    let lake = Lake::open(&args.lake.lake)?;
    let mut tables = rt.block_on(seclake_lake::delta::files::table_names(&lake))?;
    if let Some(t) = &args.table {
        if !tables.contains(t) {
            bail!("no table {t:?} in the lake; tables: {}", tables.join(", "));
        }
        tables.retain(|n| n == t);
    }
    if tables.is_empty() {
        bail!("the lake at {} has no tables yet", args.lake.lake);
    }
    let engine = match args.engine {
        EngineArg::Athena => Engine::Athena,
        EngineArg::Trino => Engine::Trino,
        EngineArg::Spark => Engine::Spark,
        EngineArg::Duckdb => Engine::DuckDb,
    };
    if lake.local_dir.is_some() && !matches!(engine, Engine::DuckDb | Engine::Spark) {
        eprintln!(
            "note: {} is a local lake; {:?} reads tables from object storage (s3://)",
            args.lake.lake, args.engine
        );
    }
    let target = Target {
        database: args.database,
        catalog: args.catalog,
    };
    print!(
        "{}",
        statements(engine, lake.root_url.as_str(), &tables, &target)
    );
    Ok(ExitCode::SUCCESS)
}
