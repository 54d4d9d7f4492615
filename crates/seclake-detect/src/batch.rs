//! Rules over one Arrow batch, as ingest builds it, before it is committed:
//! the ingest-time counterpart of [`crate::scheduled`], with no query
//! engine and no table.
//!
//! The rule's expression is planned once per batch schema (planning does
//! the type coercion and simplification a query would) and then evaluated
//! on each batch; the matched rows go through [`crate::alerts::alert_batch`]
//! like scheduled matches, so an alert fired at ingest and the same match
//! found later by a scheduled run have the same id.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use datafusion::common::DFSchema;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;

use crate::error::DetectError;
use crate::Compiled;

/// A rule planned for batches of one schema.
#[derive(Debug)]
pub struct BatchMatcher {
    schema: SchemaRef,
    predicate: Arc<dyn PhysicalExpr>,
}

impl BatchMatcher {
    /// Plans `rule` for batches with `schema` (its table's rows).
    pub fn new(rule: &Compiled, schema: SchemaRef) -> Result<Self, DetectError> {
        let ctx = SessionContext::new();
        crate::register_functions(&ctx);
        let df_schema = DFSchema::try_from(schema.clone())?;
        let predicate = ctx.create_physical_expr(rule.expr.clone(), &df_schema)?;
        Ok(BatchMatcher { schema, predicate })
    }

    /// The schema this matcher was planned for.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The rows of `batch` the rule matches (`batch` has the schema the
    /// matcher was planned for).
    pub fn matches(&self, batch: &RecordBatch) -> Result<RecordBatch, DetectError> {
        let mask = self
            .predicate
            .evaluate(batch)?
            .into_array(batch.num_rows())?;
        Ok(arrow_select::filter::filter_record_batch(
            batch,
            mask.as_boolean(),
        )?)
    }
}
