//! Vacuum: delete the data files no snapshot worth keeping needs.
//!
//! Two kinds of files are garbage: those compaction took out of a table
//! (a reader of an older snapshot may still be reading them, so they are
//! kept for the retention period after their removal), and orphans that
//! no commit ever named (a writer killed between writing a file and
//! committing it; kept for the retention period after they were written,
//! so a live writer's file waiting for its commit is never touched).
//! The log itself is never changed except for the vacuum's own record.

use std::time::Duration;

use deltalake_core::operations::vacuum::VacuumMode;
use deltalake_core::DeltaTable;

use crate::delta::files::table_names;
use crate::store::{Lake, LakeError};

/// What vacuum did (or, for a dry run, would do) to one table.
#[derive(Debug, Clone, Default)]
pub struct VacuumStats {
    pub table: String,
    /// Paths below the table root.
    pub files: Vec<String>,
    pub dry_run: bool,
}

/// Vacuums every table, or only `table`, deleting garbage older than
/// `retain`.
pub async fn vacuum(
    lake: &Lake,
    table: Option<&str>,
    retain: Duration,
    dry_run: bool,
) -> Result<Vec<VacuumStats>, LakeError> {
    let names = table_names(lake).await?;
    if let Some(t) = table {
        if !names.iter().any(|n| n == t) {
            return Err(LakeError::Uri {
                uri: lake.uri.clone(),
                reason: format!("no table {t:?} in the lake; tables: {}", names.join(", ")),
            });
        }
    }
    let retention = chrono::Duration::from_std(retain)
        .map_err(|e| LakeError::Delta(format!("retention {retain:?}: {e}")))?;
    let mut out = Vec::new();
    for name in names {
        if table.is_some_and(|t| t != name) {
            continue;
        }
        let mut t = DeltaTable::new(lake.log_store(&name)?);
        t.load().await?;
        let (_, metrics) = t
            .vacuum()
            .with_mode(VacuumMode::Full)
            .with_retention_period(retention)
            // The retention is the user's choice (tests use zero); the
            // table's own minimum does not override it.
            .with_enforce_retention_duration(false)
            .with_dry_run(dry_run)
            .await?;
        out.push(VacuumStats {
            table: name,
            files: metrics.files_deleted,
            dry_run,
        });
    }
    Ok(out)
}
