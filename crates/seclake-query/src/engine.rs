//! The query engine: a DataFusion session over one lake.
//!
//! Opening lists the tables: the top-level directories with a Delta log.
//! A table is registered when a query names it, from a snapshot of its
//! log: the snapshot gives the schema and the files (DataFusion's listings
//! are answered from it by [`SnapshotStore`]), so planning reads no footer
//! and lists no data directory, and `SELECT … FROM aws_vpcflow` does not
//! pay for the other tables. Before planning, the SQL's table references
//! are checked against the lake so an unknown name gets an error listing
//! the tables that exist.
//!
//! What an engine sees: each query reads the newest snapshot of the tables
//! it names (new commits and columns show up in a long-lived engine), or
//! the snapshot at a fixed version or time ([`QueryEngine::open_as_of`]).
//! Tables created after the engine opened need a new engine.
//!
//! The engine is read-only: DDL, DML (`INSERT`, `COPY`) and `SET`-style
//! statements are refused.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::TableReference;
use datafusion::dataframe::DataFrame;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::context::{SQLOptions, SessionContext};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::prelude::SessionConfig;

use crate::catalog::{list_tables, open_table};
use crate::error::QueryError;
use crate::lake::LakeLocation;
use crate::output::{render, OutputFormat};
use crate::snapshot_store::SnapshotStore;
use seclake_lake::delta::files::AsOf;

/// The schema DataFusion puts tables in by default.
const DEFAULT_SCHEMA: &str = "public";
const DEFAULT_CATALOG: &str = "datafusion";
const INFORMATION_SCHEMA: &str = "information_schema";

/// Collected query results.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The results rendered in `format`.
    pub fn render(&self, format: OutputFormat) -> Result<String, QueryError> {
        render(self.schema.clone(), &self.batches, format)
    }
}

/// SQL over every table of one lake.
pub struct QueryEngine {
    lake: LakeLocation,
    /// The same lake, for reading the tables' Delta logs.
    delta: seclake_lake::Lake,
    /// What DataFusion lists: the files of the snapshots read.
    view: Arc<SnapshotStore>,
    as_of: AsOf,
    ctx: SessionContext,
    tables: Vec<String>,
    /// Tables already registered with `ctx`.
    registered: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for QueryEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryEngine")
            .field("lake", &self.lake.uri)
            .field("tables", &self.tables)
            .finish()
    }
}

impl QueryEngine {
    /// Opens the lake at `lake_uri` (a local directory, which must exist,
    /// or `s3://bucket/prefix`) and lists its tables.
    pub async fn open(lake_uri: &str) -> Result<Self, QueryError> {
        Self::open_as_of(lake_uri, AsOf::Latest).await
    }

    /// Like [`QueryEngine::open`], reading every table as of an earlier
    /// version or time (what the lake held when an alert fired).
    pub async fn open_as_of(lake_uri: &str, as_of: AsOf) -> Result<Self, QueryError> {
        let lake = LakeLocation::open(lake_uri)?;
        let delta = seclake_lake::Lake::open(lake_uri)?;
        let config = SessionConfig::new()
            .with_information_schema(true)
            // No footer is read to plan: the log gives the files and the
            // partitions to prune; row groups are pruned by their
            // statistics as each file is opened.
            .with_collect_statistics(false)
            // Only `key=value` directories are descended into; staging
            // directories like `_tmp/` are not data.
            .set_bool(
                "datafusion.execution.listing_table_ignore_subdirectory",
                true,
            )
            // Column names are case-sensitive and many are camelCase
            // (CloudTrail's `eventName`): identifiers are taken as written,
            // so `SELECT eventName` works without quotes.
            .set_bool("datafusion.sql_parser.enable_ident_normalization", false);
        // No cached listings: a long-lived engine must see files written
        // after it started (the writer adds files all the time).
        let runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(CacheManagerConfig::default().with_list_files_cache_limit(0))
            .build_arc()?;
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        let view = Arc::new(SnapshotStore::new(lake.store.clone()));
        ctx.register_object_store(&lake.store_url, view.clone());
        let tables = list_tables(&delta).await?;
        Ok(QueryEngine {
            lake,
            delta,
            view,
            as_of,
            ctx,
            tables,
            registered: Mutex::new(HashSet::new()),
        })
    }

    /// The lake's URI as given.
    pub fn lake_uri(&self) -> &str {
        &self.lake.uri
    }

    /// The lake's tables, sorted (as listed when the engine was opened).
    pub fn tables(&self) -> &[String] {
        &self.tables
    }

    /// The DataFusion session (tables appear in it as queries name them;
    /// see [`QueryEngine::register_all`]).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Registers every table of the lake with the session.
    pub async fn register_all(&self) -> Result<(), QueryError> {
        for t in &self.tables {
            self.register(t).await?;
        }
        Ok(())
    }

    /// Plans `sql` (one query) into a DataFrame.
    pub async fn plan(&self, sql: &str) -> Result<DataFrame, QueryError> {
        let state = self.ctx.state();
        let dialect = state.config().options().sql_parser.dialect;
        let statement = state.sql_to_statement(sql, &dialect)?;
        let references = state.resolve_table_references(&statement)?;
        let unknown = self.prepare(&references).await?;
        // Plan with a fresh state: it has the tables just registered.
        let plan = match self.ctx.state().statement_to_plan(statement).await {
            Ok(plan) => plan,
            // Naming a table that does not exist is the more fundamental
            // mistake; DataFusion's message would not list the tables.
            Err(_) if !unknown.is_empty() => return Err(self.unknown_table(&unknown[0])),
            Err(e) => return Err(e.into()),
        };
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)
            .map_err(|e| {
                let msg = e.strip_backtrace();
                let msg = msg.strip_prefix("Error during planning: ").unwrap_or(&msg);
                QueryError::NotAQuery(msg.to_string())
            })?;
        Ok(self.ctx.execute_logical_plan(plan).await?)
    }

    /// Runs `sql` and streams its results.
    pub async fn execute(&self, sql: &str) -> Result<SendableRecordBatchStream, QueryError> {
        Ok(self.plan(sql).await?.execute_stream().await?)
    }

    /// Runs `sql` and collects its results.
    pub async fn collect(&self, sql: &str) -> Result<QueryResult, QueryError> {
        let df = self.plan(sql).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        Ok(QueryResult { schema, batches })
    }

    /// Registers the lake tables the SQL names that are not registered
    /// yet, and returns the names that are not in the lake. (An unknown
    /// name is not an error yet: `CREATE TABLE t` names `t` too, and must
    /// be refused as a statement that is not a query.)
    async fn prepare(&self, references: &[TableReference]) -> Result<Vec<String>, QueryError> {
        let mut unknown = vec![];
        for r in references {
            match (r.catalog(), r.schema()) {
                (None | Some(DEFAULT_CATALOG), None | Some(DEFAULT_SCHEMA)) => {
                    let name = r.table();
                    if self.tables.iter().any(|t| t == name) {
                        self.register(name).await?;
                    } else {
                        unknown.push(name.to_string());
                    }
                }
                // `SHOW TABLES`, `information_schema.columns`: show them all.
                (_, Some(INFORMATION_SCHEMA)) => self.register_all().await?,
                // Other catalogs/schemas do not exist; DataFusion says so.
                _ => {}
            }
        }
        Ok(unknown)
    }

    fn unknown_table(&self, name: &str) -> QueryError {
        QueryError::UnknownTable {
            table: name.to_string(),
            tables: self.tables.clone(),
            lake: self.lake.uri.clone(),
        }
    }

    /// Registers `table` at the engine's snapshot: once for a fixed
    /// version or time, afresh for each query otherwise (a long-lived
    /// engine sees new commits and new columns).
    async fn register(&self, table: &str) -> Result<(), QueryError> {
        if self.is_registered(table) && self.as_of != AsOf::Latest {
            return Ok(());
        }
        let provider = open_table(&self.delta, &self.view, &self.lake, table, self.as_of).await?;
        let name = TableReference::bare(table);
        self.ctx.deregister_table(name.clone())?;
        self.ctx.register_table(name, provider)?;
        self.registered
            .lock()
            .expect("registry lock")
            .insert(table.to_string());
        Ok(())
    }

    fn is_registered(&self, table: &str) -> bool {
        self.registered
            .lock()
            .expect("registry lock")
            .contains(table)
    }
}

/// Runs one query over the lake at `lake_uri` and renders the results:
/// the whole of `seclake query` for small results. (For large results,
/// stream with [`QueryEngine::execute`] and [`crate::write_stream`].)
pub async fn query(lake_uri: &str, sql: &str, format: OutputFormat) -> Result<String, QueryError> {
    let engine = QueryEngine::open(lake_uri).await?;
    engine.collect(sql).await?.render(format)
}
