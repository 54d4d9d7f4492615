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
use arrow_array::{Array, RecordBatch, UInt32Array};
use arrow_schema::SchemaRef;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::DFSchema;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;

use crate::error::DetectError;
use crate::Compiled;

/// A rule planned for batches of one schema.
///
/// The rule's expression is cut into its conjuncts (`a AND b AND NOT c`:
/// three steps), ordered cheap first, and each step runs only on the rows
/// the steps before it kept: most rules open with a test of the event's
/// source or name that few rows pass, so the costly tests (members of
/// JSON text, regular expressions) see a handful of rows instead of the
/// batch. Steps read only the columns the rule names.
#[derive(Debug)]
pub struct BatchMatcher {
    schema: SchemaRef,
    /// The columns the rule reads, as indices into `schema`.
    columns: Vec<usize>,
    /// The conjuncts, planned over those columns, cheapest first.
    steps: Vec<Arc<dyn PhysicalExpr>>,
}

impl BatchMatcher {
    /// Plans `rule` for batches with `schema` (its table's rows).
    pub fn new(rule: &Compiled, schema: SchemaRef) -> Result<Self, DetectError> {
        let ctx = SessionContext::new();
        crate::register_functions(&ctx);
        let mut columns: Vec<usize> = rule
            .expr
            .column_refs()
            .into_iter()
            .filter_map(|c| schema.index_of(&c.name).ok())
            .collect();
        columns.sort_unstable();
        columns.dedup();
        let projected = Arc::new(schema.project(&columns)?);
        let df_schema = DFSchema::try_from(projected)?;
        let mut parts = Vec::new();
        conjuncts(rule.expr.clone(), &mut parts);
        parts.sort_by_key(cost);
        let steps = parts
            .into_iter()
            .map(|e| ctx.create_physical_expr(e, &df_schema))
            .collect::<Result<_, _>>()?;
        Ok(BatchMatcher {
            schema,
            columns,
            steps,
        })
    }

    /// The schema this matcher was planned for.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The rows of `batch` the rule matches (`batch` has the schema the
    /// matcher was planned for).
    pub fn matches(&self, batch: &RecordBatch) -> Result<RecordBatch, DetectError> {
        match self.matching_rows(batch)? {
            None => Ok(batch.clone()),
            Some(idx) => Ok(arrow_select::take::take_record_batch(batch, &idx)?),
        }
    }

    /// The indices of the rows of `batch` the rule matches, in order;
    /// `None` when it matches them all. Cheaper than [`Self::matches`]
    /// when, as usual, nothing matches: no empty batch is built.
    pub fn matching_rows(&self, batch: &RecordBatch) -> Result<Option<UInt32Array>, DetectError> {
        let mut rows = batch.project(&self.columns)?;
        // The rows of `batch` still in `rows`; `None` while that is all.
        let mut kept: Option<UInt32Array> = None;
        for step in &self.steps {
            let n = rows.num_rows();
            if n == 0 {
                break;
            }
            let mask = step.evaluate(&rows)?.into_array(n)?;
            let mask = mask.as_boolean();
            if mask.true_count() == n {
                continue;
            }
            let survivors = match &kept {
                None => UInt32Array::from_iter_values(
                    (0..n as u32).filter(|&i| mask.is_valid(i as usize) && mask.value(i as usize)),
                ),
                Some(before) => arrow_select::filter::filter(before, mask)?
                    .as_primitive()
                    .clone(),
            };
            rows = if survivors.is_empty() {
                rows.slice(0, 0)
            } else {
                arrow_select::filter::filter_record_batch(&rows, mask)?
            };
            kept = Some(survivors);
        }
        Ok(kept)
    }
}

/// The conjuncts of `e`: `a AND b` is both of its sides, and so is
/// `(a AND b) IS TRUE` (true exactly when both sides are), which is how
/// a Sigma search holds its field tests.
fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => {
            conjuncts(*left, out);
            conjuncts(*right, out);
        }
        Expr::IsTrue(inner) => match *inner {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::And,
                right,
            }) => {
                conjuncts(Expr::IsTrue(left), out);
                conjuncts(Expr::IsTrue(right), out);
            }
            other => out.push(Expr::IsTrue(Box::new(other))),
        },
        other => out.push(other),
    }
}

/// A rough cost of evaluating `e` on a row: parsing a JSON member or
/// running a regular expression is dearer than another function (a
/// struct member, a CIDR test), which is dearer than a comparison.
fn cost(e: &Expr) -> u8 {
    let mut cost = 0;
    let _ = e.apply(|node| {
        cost = cost.max(match node {
            Expr::ScalarFunction(_) => 2,
            Expr::BinaryExpr(b) if matches!(b.op, Operator::RegexMatch | Operator::RegexIMatch) => {
                2
            }
            _ => 1,
        });
        Ok(TreeNodeRecursion::Continue)
    });
    cost
}
