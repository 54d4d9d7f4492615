//! Sigma detection rules over seclake tables.
//!
//! A Sigma rule (YAML: title, id, level, tags, logsource, detection) is
//! loaded into a typed [`Rule`] and compiled into one DataFusion logical
//! expression over the table of the log type its logsource names, so the
//! same rule can filter rows as they are ingested or run as a query over
//! the lake:
//!
//! ```text
//! YAML ──rule.rs──▶ Rule ──mapping.rs──▶ tables, columns ──lower.rs──▶ Expr per table
//!        (condition.rs: condition tree;      (logsource → log types;
//!         modifiers.rs: typed value tests)    field → column / member)
//! ```
//!
//! ```no_run
//! # async fn demo(ctx: datafusion::prelude::SessionContext) -> Result<(), Box<dyn std::error::Error>> {
//! for (path, rule) in seclake_detect::load_dir("rules".as_ref()) {
//!     for compiled in seclake_detect::compile(&rule?)?.compiled {
//!         let hits = ctx.table(compiled.table.as_str()).await?.filter(compiled.expr)?;
//!         println!("{} on {}: {} matches", path.display(), compiled.table, hits.count().await?);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Matching follows Sigma: values compare case-insensitively, `*` and `?`
//! are wildcards (`\` escapes them), lists of values are alternatives,
//! maps are conjunctions, `null` means the field is empty (seclake stores
//! empty values as null, so `''` means the same). Whatever seclake cannot
//! evaluate exactly (aggregations, `near`, `timeframe`, placeholders,
//! regular expressions outside Rust's `regex` syntax, matching inside
//! lists) is an error naming the construct, never a rule that silently
//! matches something else.
//!
//! Expressions may call two SQL functions of this crate,
//! `json_extract_path_text` (members of JSON text columns) and
//! `cidr_match`; an expression built here carries them, and
//! [`register_functions`] makes them known to a session for SQL text.
//!
//! Rules run over the lake on a schedule ([`scheduled`]): each compiled
//! expression filters its table over a time window, and every match
//! becomes a row of the `_alerts` table ([`alerts`], written by
//! [`alert_log`]) whose id is a hash of the rule and the matched row, so
//! that evaluating the same rows again never fires twice. [`batch`]
//! evaluates a rule on an Arrow batch before it is committed (ingest
//! time), with the same alert ids.

pub mod alert_log;
pub mod alerts;
pub mod at_ingest;
pub mod batch;
mod cidr;
pub mod condition;
pub mod correlation;
mod error;
pub mod fixtures;
mod json_udf;
mod load;
mod lower;
pub mod mapping;
pub mod matcher;
pub mod modifiers;
pub mod pattern;
pub mod rule;
pub mod scheduled;

use std::sync::Arc;

use datafusion::logical_expr::{Expr, ScalarUDF};
use datafusion::prelude::SessionContext;
use seclake_core::LogType;

pub use cidr::{cidr_match, Cidr};
pub use correlation::{Correlation, CorrelationError};
pub use error::{DetectError, RuleError};
pub use json_udf::json_extract_path_text;
pub use load::{load_dir, load_dir_documents, load_file, load_file_documents, Document};
pub use rule::{Level, LogSource, Rule};

/// A rule ready to run: the table it reads and the expression a row of
/// that table must satisfy to match.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub rule: Rule,
    /// The lake table, e.g. `aws_cloudtrail`.
    pub table: String,
    /// The log type, e.g. `AWS.CloudTrail`.
    pub log_type: &'static str,
    /// True for the rows the rule matches (never null).
    pub expr: Expr,
    /// The fields the detection tests, in the order written, with their
    /// expressions over the table: what shows why a row matched. For a
    /// rule of keyword searches only, the log type's keyword fields.
    pub fields: Vec<(String, Expr)>,
}

/// A rule compiled for each table its logsource reaches.
#[derive(Debug)]
pub struct Targets {
    pub compiled: Vec<Compiled>,
    /// The log types the logsource reaches but the rule does not compile
    /// for (a field the type lacks), and why: shown, never ignored.
    pub skipped: Vec<(&'static str, RuleError)>,
}

impl Targets {
    /// The tables the rule runs on.
    pub fn tables(&self) -> Vec<&str> {
        self.compiled.iter().map(|c| c.table.as_str()).collect()
    }
}

/// Compiles a rule for every log type its logsource reaches
/// (`category: webserver` is several). An error when it compiles for
/// none.
pub fn compile(rule: &Rule) -> Result<Targets, RuleError> {
    let mut targets = Targets {
        compiled: Vec::new(),
        skipped: Vec::new(),
    };
    for log_type in mapping::log_types(&rule.logsource)? {
        match compile_for(rule, log_type) {
            Ok(c) => targets.compiled.push(c),
            Err(e) => targets.skipped.push((log_type.name(), e)),
        }
    }
    if !targets.compiled.is_empty() {
        return Ok(targets);
    }
    if targets.skipped.len() == 1 {
        return Err(targets.skipped.remove(0).1);
    }
    // The same reason for every type (a construct, not a field) once.
    let first = targets.skipped[0].1.to_string();
    if targets.skipped.iter().all(|(_, e)| e.to_string() == first) {
        return Err(targets.skipped.remove(0).1);
    }
    let reasons: Vec<String> = targets
        .skipped
        .iter()
        .map(|(t, e)| format!("{t}: {e}"))
        .collect();
    Err(RuleError::NoLogType {
        reasons: reasons.join("; "),
    })
}

/// Compiles a rule for one log type's table.
pub fn compile_for(rule: &Rule, log_type: &'static LogType) -> Result<Compiled, RuleError> {
    let fields = mapping::Fields::new(log_type);
    let expr = lower::lower_rule(rule, &fields)?;
    Ok(Compiled {
        rule: rule.clone(),
        table: log_type.table.clone(),
        log_type: log_type.name(),
        expr,
        fields: tested_fields(rule, &fields)?,
    })
}

/// The distinct fields `rule`'s searches test, resolved; the keyword
/// fields when it tests none.
fn tested_fields(
    rule: &Rule,
    fields: &mapping::Fields<'_>,
) -> Result<Vec<(String, Expr)>, RuleError> {
    let mut names: Vec<&str> = Vec::new();
    for (_, search) in &rule.detection.searches {
        if let rule::Search::Fields(maps) = search {
            for test in maps.iter().flatten() {
                if !names.contains(&test.field.as_str()) {
                    names.push(&test.field);
                }
            }
        }
    }
    if names.is_empty() {
        names = fields.sigma().keyword_fields.to_vec();
    }
    names
        .into_iter()
        .map(|n| Ok((n.to_string(), fields.resolve(n)?.expr)))
        .collect()
}

/// The SQL functions compiled expressions may call.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![json_extract_path_text(), cidr_match()]
}

/// Makes [`functions`] callable by name in the session's SQL.
pub fn register_functions(ctx: &SessionContext) {
    for f in functions() {
        ctx.register_udf(f.as_ref().clone());
    }
}
