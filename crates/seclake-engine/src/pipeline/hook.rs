//! Work on finished batches in the parse workers.
//!
//! Whatever looks at every batch of a run (rules at ingest) would cost
//! the collecting thread its time: that thread is one, and it also feeds
//! the writer, so work there caps the whole run at one core. A
//! [`BatchHook`] runs instead on the worker that built the batch, right
//! after it is finished, in parallel with the other workers; what it
//! derives travels on the batch's [`Part`](super::Part) and reaches the
//! collector in input order, with the input it came from.

use arrow_array::RecordBatch;
use seclake_core::LogType;

/// Derives batches from each batch a worker finishes (with
/// [`Output::Batches`](super::Output::Batches) only).
///
/// Called from several workers at once, hence `Sync`. It cannot fail the
/// run: a hook that meets an error keeps it for its owner to report, as
/// the rows must reach the lake whatever a hook thinks of them.
pub trait BatchHook: Send + Sync {
    /// Batches derived from `batch`, rows of `log_type`; usually none.
    fn batch(&self, log_type: &LogType, batch: &RecordBatch) -> Vec<RecordBatch>;
}
