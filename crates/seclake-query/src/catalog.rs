//! What the lake holds: its tables (those with a Delta log), and each table
//! as a DataFusion `ListingTable` over the files of a snapshot of its log.
//!
//! The rules for what counts as data are the lake contract's, in one place
//! ([`is_data_file`], [`is_table_name`], [`DATA_FILE_GLOB`]): files being
//! written are never visible, but a reader must still ignore anything that
//! is not a finished `.parquet` file in a partition directory (staging
//! directories such as `_tmp`, hidden files, `.crc` side files).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use object_store::path::Path;
use object_store::ObjectMeta;
use seclake_lake::delta::files::{files_of, snapshot_at, table_names, AsOf};
use seclake_lake::delta::schema::rows_schema;
use seclake_lake::Lake;

use crate::error::QueryError;
use crate::lake::LakeLocation;
use crate::pruned_table::PrunedTable;
use crate::pruning::PARTITION_COLUMNS;
use crate::snapshot_store::SnapshotStore;

/// The rejects table: named with a leading underscore, and a table anyway.
pub const REJECTS_TABLE: &str = "_rejects";

/// The alerts of detection rules (written by `seclake_detect`), named
/// like the rejects table.
pub const ALERTS_TABLE: &str = "_alerts";

/// The file extension of data files.
pub const DATA_FILE_EXTENSION: &str = ".parquet";

/// Which file names in a partition directory are data, for DataFusion's
/// listing: not hidden (`.`) or private (`_`). With
/// `listing_table_ignore_subdirectory` on, DataFusion matches this against
/// the first path segment below the table that is not a `key=value`
/// directory, so `_tmp/x.parquet` (first such segment `_tmp`) is skipped too.
pub const DATA_FILE_GLOB: &str = "[!_.]*.parquet";

/// Whether a directory at the top of the lake is a table: `_rejects`,
/// `_alerts`, or a name not starting with `_` or `.` (those are the
/// writer's staging areas or hidden directories).
pub fn is_table_name(name: &str) -> bool {
    name == REJECTS_TABLE
        || name == ALERTS_TABLE
        || !(name.is_empty() || name.starts_with('_') || name.starts_with('.'))
}

/// Whether a path relative to a table directory is a data file:
/// `year=…/month=…/day=…/hour=…/<name>.parquet`, with no segment starting
/// with `_` or `.`. The same files the `ListingTable` reads.
pub fn is_data_file(relative: &str) -> bool {
    let parts: Vec<&str> = relative.split('/').collect();
    let [dirs @ .., file] = parts.as_slice() else {
        return false;
    };
    dirs.len() == PARTITION_COLUMNS.len()
        && dirs.iter().zip(PARTITION_COLUMNS).all(|(d, key)| {
            d.strip_prefix(key)
                .and_then(|v| v.strip_prefix('='))
                .is_some_and(|v| !v.is_empty())
        })
        && file.ends_with(DATA_FILE_EXTENSION)
        && !file.starts_with('_')
        && !file.starts_with('.')
}

/// The tables of the lake, sorted: the top-level directories with a
/// Delta log.
pub async fn list_tables(delta: &Lake) -> Result<Vec<String>, QueryError> {
    Ok(table_names(delta).await?)
}

/// The listing options of every lake table: Parquet files, Hive partition
/// columns `year`, `month`, `day`, `hour` as strings (zero-padded, so
/// string order is time order).
pub fn listing_options() -> ListingOptions {
    ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(DATA_FILE_EXTENSION)
        .with_table_partition_cols(
            PARTITION_COLUMNS
                .iter()
                .map(|c| (c.to_string(), DataType::Utf8))
                .collect(),
        )
}

/// Builds the provider of one table at `as_of`: its files (published to
/// `view`, which answers DataFusion's listings) and schema come from the
/// table's Delta log; a `ListingTable` reads them, wrapped so time
/// predicates prune partitions.
pub async fn open_table(
    delta: &Lake,
    view: &SnapshotStore,
    lake: &LakeLocation,
    table: &str,
    as_of: AsOf,
) -> Result<Arc<PrunedTable>, QueryError> {
    let Some(state) = snapshot_at(delta, table, as_of).await? else {
        return Err(QueryError::UnknownTable {
            table: table.to_string(),
            tables: table_names(delta).await?,
            lake: lake.uri.clone(),
        });
    };
    let dir = lake.table_path(table);
    let files = files_of(delta, table, &state)
        .into_iter()
        .map(|f| ObjectMeta {
            location: dir
                .parts()
                .chain(Path::from(f.path.as_str()).parts())
                .collect(),
            last_modified: Default::default(),
            size: f.size,
            e_tag: None,
            version: None,
        })
        .collect();
    view.publish(&dir, files);
    let schema = rows_schema(&state.schema())?;
    let url = ListingTableUrl::parse(lake.table_url(table))?.with_glob(DATA_FILE_GLOB)?;
    let config = ListingTableConfig::new(url)
        .with_listing_options(listing_options())
        .with_schema(schema);
    let listing = ListingTable::try_new(config)?;
    Ok(Arc::new(PrunedTable::new(Arc::new(listing))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files() {
        assert!(is_data_file("year=2024/month=01/day=02/hour=03/a.parquet"));
        assert!(!is_data_file(
            "year=2024/month=01/day=02/hour=03/a.parquet.tmp"
        ));
        assert!(!is_data_file(
            "year=2024/month=01/day=02/hour=03/_a.parquet"
        ));
        assert!(!is_data_file(
            "year=2024/month=01/day=02/hour=03/.a.parquet"
        ));
        assert!(!is_data_file(
            "year=2024/month=01/day=02/hour=03/_tmp/a.parquet"
        ));
        assert!(!is_data_file(
            "_tmp/year=2024/month=01/day=02/hour=03/a.parquet"
        ));
        assert!(!is_data_file("year=2024/month=01/day=02/a.parquet"));
        assert!(!is_data_file("year=2024/month=01/hour=03/day=02/a.parquet"));
        assert!(!is_data_file("year=/month=01/day=02/hour=03/a.parquet"));
        assert!(!is_data_file("a.parquet"));
    }

    #[test]
    fn table_names() {
        assert!(is_table_name("aws_cloudtrail"));
        assert!(is_table_name("_rejects"));
        assert!(is_table_name("_alerts"));
        assert!(!is_table_name("_tmp"));
        assert!(!is_table_name(".staging"));
        assert!(!is_table_name(""));
    }
}
