//! A table provider that adds the partition filters derived from time
//! predicates (see [`crate::pruning`]) to the scan of the inner
//! `ListingTable`, which then skips the directories outside the time range
//! before opening any file.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Constraints, Result};
use datafusion::datasource::listing::ListingTable;
use datafusion::logical_expr::{Expr, LogicalPlan, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;

use crate::pruning::partition_filters;

/// A lake table: a `ListingTable` over `<table>/year=/month=/day=/hour=/`
/// whose scans also get partition filters implied by `p_event_time`
/// predicates.
#[derive(Debug)]
pub struct PrunedTable {
    inner: Arc<ListingTable>,
}

impl PrunedTable {
    pub fn new(inner: Arc<ListingTable>) -> Self {
        Self { inner }
    }

    /// The wrapped listing table.
    pub fn inner(&self) -> &Arc<ListingTable> {
        &self.inner
    }
}

/// The boxed future `TableProvider::scan` returns. The trait is declared
/// with `#[async_trait]`; this crate implements the expanded signature by
/// hand rather than adding the `async-trait` crate for one method.
type ScanFuture<'a> = Pin<Box<dyn Future<Output = Result<Arc<dyn ExecutionPlan>>> + Send + 'a>>;

impl TableProvider for PrunedTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn constraints(&self) -> Option<&Constraints> {
        self.inner.constraints()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn get_table_definition(&self) -> Option<&str> {
        self.inner.get_table_definition()
    }

    fn get_logical_plan(&'_ self) -> Option<Cow<'_, LogicalPlan>> {
        self.inner.get_logical_plan()
    }

    fn scan<'life0, 'life1, 'life2, 'life3, 'async_trait>(
        &'life0 self,
        state: &'life1 dyn Session,
        projection: Option<&'life2 Vec<usize>>,
        filters: &'life3 [Expr],
        limit: Option<usize>,
    ) -> ScanFuture<'async_trait>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let derived = partition_filters(filters);
            if derived.is_empty() {
                return self.inner.scan(state, projection, filters, limit).await;
            }
            // The original filters stay: they still prune row groups by
            // statistics inside the files of the partitions that remain.
            let mut all = filters.to_vec();
            all.extend(derived);
            self.inner.scan(state, projection, &all, limit).await
        })
    }

    /// Filters on partition columns alone are exact (the inner table
    /// evaluates them on paths); everything else, `p_event_time` included,
    /// is inexact, so DataFusion keeps applying it to the rows read.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }
}
