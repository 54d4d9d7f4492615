//! What the lake holds: its tables, and each table as a DataFusion
//! `ListingTable` over its Hive-partitioned directory.
//!
//! The rules for what counts as data are the lake contract's, in one place
//! ([`is_data_file`], [`is_table_name`], [`DATA_FILE_GLOB`]): files being
//! written are never visible, but a reader must still ignore anything that
//! is not a finished `.parquet` file in a partition directory (staging
//! directories such as `_tmp`, hidden files, `.crc` side files).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::Session;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::ObjectMeta;

use crate::error::QueryError;
use crate::lake::LakeLocation;
use crate::pruned_table::PrunedTable;
use crate::pruning::PARTITION_COLUMNS;

/// The rejects table: named with a leading underscore, and a table anyway.
pub const REJECTS_TABLE: &str = "_rejects";

/// The file extension of data files.
pub const DATA_FILE_EXTENSION: &str = ".parquet";

/// Which file names in a partition directory are data, for DataFusion's
/// listing: not hidden (`.`) or private (`_`). With
/// `listing_table_ignore_subdirectory` on, DataFusion matches this against
/// the first path segment below the table that is not a `key=value`
/// directory, so `_tmp/x.parquet` (first such segment `_tmp`) is skipped too.
pub const DATA_FILE_GLOB: &str = "[!_.]*.parquet";

/// Whether a directory at the top of the lake is a table: `_rejects`, or a
/// name not starting with `_` or `.` (those are the writer's staging areas
/// or hidden directories).
pub fn is_table_name(name: &str) -> bool {
    name == REJECTS_TABLE || !(name.is_empty() || name.starts_with('_') || name.starts_with('.'))
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

/// The tables of the lake, sorted: top-level directories holding at least
/// one data file (an empty or half-created table directory is not listed,
/// as querying it could not even infer a schema).
pub async fn list_tables(lake: &LakeLocation) -> Result<Vec<String>, QueryError> {
    let store_err = |source| QueryError::Store {
        uri: lake.uri.clone(),
        source,
    };
    let root = (!lake.root.as_ref().is_empty()).then_some(&lake.root);
    let listing = lake
        .store
        .list_with_delimiter(root)
        .await
        .map_err(store_err)?;
    let candidates: Vec<String> = listing
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().map(str::to_string))
        .filter(|name| is_table_name(name))
        .collect();
    let checks = candidates.into_iter().map(|name| async move {
        let has_data = first_data_file(lake, &name).await?.is_some();
        Ok::<_, QueryError>(has_data.then_some(name))
    });
    let mut tables: Vec<String> = futures::future::try_join_all(checks)
        .await?
        .into_iter()
        .flatten()
        .collect();
    tables.sort();
    Ok(tables)
}

/// The first data file found under `table` (listing stops there).
async fn first_data_file(
    lake: &LakeLocation,
    table: &str,
) -> Result<Option<ObjectMeta>, QueryError> {
    let dir = lake.table_path(table);
    let mut files = data_files(lake, &dir);
    files.next().await.transpose()
}

/// The data files below a table directory, as a stream.
fn data_files<'a>(
    lake: &'a LakeLocation,
    dir: &'a Path,
) -> impl futures::Stream<Item = Result<ObjectMeta, QueryError>> + Unpin + 'a {
    lake.store
        .list(Some(dir))
        .map_err(|source| QueryError::Store {
            uri: lake.uri.clone(),
            source,
        })
        .try_filter(move |meta| {
            let keep = meta.size > 0
                && meta
                    .location
                    .prefix_match(dir)
                    .map(|rest| rest.map(|p| p.as_ref().to_string()).collect::<Vec<_>>())
                    .is_some_and(|rest| is_data_file(&rest.join("/")));
            futures::future::ready(keep)
        })
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

/// Builds the provider of one table: a `ListingTable` whose schema is the
/// merge of every file's schema (files written before a column was added
/// read as nulls in it), wrapped so time predicates prune partitions.
pub async fn open_table(
    state: &dyn Session,
    lake: &LakeLocation,
    table: &str,
) -> Result<Arc<PrunedTable>, QueryError> {
    let url = ListingTableUrl::parse(lake.table_url(table))?.with_glob(DATA_FILE_GLOB)?;
    let options = listing_options();
    let schema = options.infer_schema(state, &url).await?;
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
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
        assert!(!is_table_name("_tmp"));
        assert!(!is_table_name(".staging"));
        assert!(!is_table_name(""));
    }
}
