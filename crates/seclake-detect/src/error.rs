//! Why a rule did not load or compile. Every message names the place in
//! the rule (a key path such as `detection.selection.eventName|contains`)
//! or the Sigma construct at fault, because `seclake rules check` prints
//! it as the one line a rule author gets.

use std::path::PathBuf;

/// A rule that seclake cannot load or evaluate, and why.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not YAML (the message has the line and column).
    #[error("not valid YAML: {0}")]
    Yaml(String),
    /// The YAML is not a Sigma rule: a key missing or of the wrong shape,
    /// a value a modifier cannot take.
    #[error("{at}: {reason}")]
    Invalid { at: String, reason: String },
    /// A Sigma feature seclake does not evaluate.
    #[error("{at}: {reason} is not supported")]
    Unsupported { at: String, reason: String },
    /// The condition does not parse or names searches that do not exist.
    #[error("detection.condition `{condition}`: {reason}")]
    Condition { condition: String, reason: String },
    /// No log type is declared for the rule's logsource.
    #[error("no seclake log type for logsource {logsource} (known: {known})")]
    UnknownLogSource { logsource: String, known: String },
    /// The field is not a column (or member) of the log type's table.
    #[error("field `{field}`: {reason}")]
    Field { field: String, reason: String },
    /// The logsource names several log types and the rule compiles for
    /// none of them: why, per type.
    #[error("compiles for none of the log types of its logsource: {reasons}")]
    NoLogType { reasons: String },
}

impl RuleError {
    pub(crate) fn invalid(at: impl Into<String>, reason: impl Into<String>) -> Self {
        RuleError::Invalid {
            at: at.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(at: impl Into<String>, reason: impl Into<String>) -> Self {
        RuleError::Unsupported {
            at: at.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        RuleError::Field {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Why evaluating rules over the lake, or recording their alerts, failed.
/// A rule that does not compile is a [`RuleError`] and never gets here.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("query: {0}")]
    Query(#[from] seclake_query::QueryError),
    #[error("query: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("{0}")]
    Lake(#[from] seclake_lake::LakeError),
    /// Rows that break the lake's contract (a null `p_row_id`), named by
    /// table and column.
    #[error("table {table}: {reason}")]
    Contract { table: String, reason: String },
}
