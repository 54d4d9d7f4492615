//! The errors of querying the lake.
//!
//! The messages are written for the person typing `seclake query`: an
//! unknown table names the tables that do exist, an empty lake says how to
//! fill it, a missing lake directory is named. DataFusion's own errors are
//! kept as they are (they already say what was wrong with the SQL).

use std::fmt;

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;

/// Everything that can go wrong opening, querying or rendering the lake.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The lake URI is neither a local path nor `s3://bucket[/prefix]`.
    #[error("invalid lake URI '{uri}': {reason}")]
    InvalidLakeUri { uri: String, reason: String },

    /// A local lake directory that does not exist (nothing was ingested).
    #[error(
        "lake directory '{path}' does not exist; ingest logs first, e.g. \
         `seclake ingest --lake {path} PATH`"
    )]
    LakeNotFound { path: String },

    /// The object store could not be built or listed.
    #[error("lake '{uri}': {source}")]
    Store {
        uri: String,
        #[source]
        source: object_store::Error,
    },

    /// The SQL names a table the lake does not have.
    #[error("{}", UnknownTableMessage { table, tables, lake })]
    UnknownTable {
        /// The name as the SQL wrote it (identifiers are case-sensitive).
        table: String,
        /// Every table in the lake, sorted; empty for an empty lake.
        tables: Vec<String>,
        /// The lake URI, for the "how to ingest" hint.
        lake: String,
    },

    /// Only queries are allowed: the lake is written by `seclake ingest`.
    #[error("only queries are supported here (the lake is written by `seclake ingest`): {0}")]
    NotAQuery(String),

    /// An output format name that is not `table`, `csv` or `json`.
    #[error("unknown output format '{0}'; expected table, csv or json")]
    UnknownFormat(String),

    /// A table's Delta log could not be read.
    #[error("{0}")]
    Log(#[from] seclake_lake::LakeError),

    /// Planning or executing the SQL failed.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),

    /// Rendering the results failed.
    #[error("rendering results: {0}")]
    Render(#[from] ArrowError),

    /// A table's sequence columns could not be read as numbers and keys
    /// (see [`crate::gaps`]).
    #[error("finding delivery gaps in {table}: {source}")]
    Gaps {
        table: String,
        #[source]
        source: ArrowError,
    },

    /// Writing the rendered results failed.
    #[error("writing results: {0}")]
    Io(#[from] std::io::Error),
}

impl QueryError {
    /// Whether writing the results failed because the reader went away
    /// (`seclake query … | head`), which a CLI treats as success.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, QueryError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Renders [`QueryError::UnknownTable`], with a "did you mean" when one
/// table name is close to the one typed.
struct UnknownTableMessage<'a> {
    table: &'a str,
    tables: &'a [String],
    lake: &'a str,
}

impl fmt::Display for UnknownTableMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tables.is_empty() {
            return write!(
                f,
                "table '{}' not found: the lake '{}' is empty (no table has a .parquet file yet); \
                 ingest logs first, e.g. `seclake ingest --lake {} PATH`",
                self.table, self.lake, self.lake
            );
        }
        write!(
            f,
            "table '{}' not found; tables in the lake: {}",
            self.table,
            self.tables.join(", ")
        )?;
        if let Some(best) = closest(self.table, self.tables) {
            write!(f, " (did you mean '{best}'?")?;
            if best.starts_with('_') {
                // A leading underscore needs quotes in some SQL dialects.
                write!(f, " write it as \"{best}\"")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// The table name within a few edits of `typed`, if exactly one is closest.
fn closest<'a>(typed: &str, tables: &'a [String]) -> Option<&'a str> {
    let limit = (typed.chars().count() / 3).max(2);
    let mut best: Option<(&str, usize)> = None;
    let mut tie = false;
    for t in tables {
        let d = edit_distance(&typed.to_lowercase(), t);
        if d > limit {
            continue;
        }
        match best {
            Some((_, bd)) if d > bd => {}
            Some((_, bd)) if d == bd => tie = true,
            _ => {
                best = Some((t, d));
                tie = false;
            }
        }
    }
    if tie {
        None
    } else {
        best.map(|(t, _)| t)
    }
}

/// Levenshtein distance over chars (table names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(table: &str, tables: &[&str]) -> String {
        QueryError::UnknownTable {
            table: table.into(),
            tables: tables.iter().map(|s| s.to_string()).collect(),
            lake: "./lake".into(),
        }
        .to_string()
    }

    #[test]
    fn unknown_table_lists_tables_and_suggests() {
        assert_eq!(
            unknown("aws_cloudtrai", &["aws_cloudtrail", "aws_vpcflow"]),
            "table 'aws_cloudtrai' not found; tables in the lake: aws_cloudtrail, aws_vpcflow \
             (did you mean 'aws_cloudtrail'?)"
        );
        assert_eq!(
            unknown("okta", &["aws_cloudtrail", "aws_vpcflow"]),
            "table 'okta' not found; tables in the lake: aws_cloudtrail, aws_vpcflow"
        );
    }

    #[test]
    fn empty_lake_says_how_to_ingest() {
        let msg = unknown("aws_alb", &[]);
        assert!(msg.contains("is empty"), "{msg}");
        assert!(msg.contains("seclake ingest --lake ./lake"), "{msg}");
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("rejects", "_rejects"), 1);
    }
}
