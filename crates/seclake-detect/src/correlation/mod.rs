//! Sigma correlation rules (specification v2): conditions over the events
//! several detection rules match, counted per group of field values over
//! a timespan — `event_count` (events), `value_count` (distinct values of
//! a field), `temporal` and `temporal_ordered` (which of the rules
//! matched, and in which order).
//!
//! ```text
//! YAML ──parse.rs──▶ Correlation ──compile.rs──▶ CompiledCorrelation ──evaluate.rs──▶ Groups ──▶ alerts
//!                    (refs by name/id)  (base rules compiled per table,   (one DataFusion aggregate
//!                                        group-by fields resolved)         query over the lake)
//! ```
//!
//! Correlations run on a schedule only (an ingest batch holds a few
//! seconds of events, not a timespan). Windows are **aligned tumbling
//! buckets**: bucket `k` holds the events with `k·timespan <= p_event_time
//! < (k+1)·timespan`, counted from the Unix epoch. An event is in exactly
//! one bucket whatever the schedule, so runs over overlapping windows
//! count it once and name the same alert (`alerts::correlation_alert_id`
//! of the rule, the bucket and the group values). A run reads every bucket
//! its window touches, from the start of the first (before the window's
//! `since` when that falls inside a bucket), and fires a bucket once it
//! has ended before the window's `until`; a condition that can only become
//! true as events arrive (`gt`, `gte`, `temporal`) fires as soon as it
//! holds, since the full bucket would fire the same alert anyway. The
//! cost of tumbling buckets is the one the specification names: events a
//! timespan apart that straddle a bucket boundary are not correlated.
//!
//! Base rules referenced by a correlation fire no alerts of their own
//! unless one of the correlations that reference them says
//! `generate: true` ([`RuleSet::generates`]).

mod compile;
mod evaluate;
mod parse;

pub use compile::{AlertCorrelation, Base, CompiledCorrelation, RuleSet, Target};
pub use evaluate::{Correlated, Group};

use crate::error::RuleError;
use crate::rule::Level;

/// A loaded correlation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    pub title: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    pub level: Option<Level>,
    pub tags: Vec<String>,
    pub kind: Kind,
    /// The rules correlated, by `name` or `id`, as written.
    pub rules: Vec<String>,
    /// Events are counted per distinct values of these fields (or
    /// aliases); empty: all events together.
    pub group_by: Vec<String>,
    pub timespan: Timespan,
    /// The tests the count must pass (all of them); for `temporal`
    /// without a condition, every rule must match.
    pub condition: Tests,
    /// `aliases`: an alias name, and per rule (as referenced) the field it
    /// stands for in that rule's events.
    pub aliases: Aliases,
    /// Whether the rules referenced still fire alerts of their own.
    pub generate: bool,
}

/// Comparisons of a count with numbers, all of which must hold.
pub type Tests = Vec<(Op, i64)>;

/// Alias names, each with the field it stands for per rule.
pub type Aliases = Vec<(String, Vec<(String, String)>)>;

/// The correlation type, with what it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    EventCount,
    /// Distinct values of the field (or alias).
    ValueCount {
        field: String,
    },
    /// Distinct rules matched.
    Temporal,
    /// Every rule matched, in the order listed.
    TemporalOrdered,
}

impl Kind {
    /// The name in YAML.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::EventCount => "event_count",
            Kind::ValueCount { .. } => "value_count",
            Kind::Temporal => "temporal",
            Kind::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// The length of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timespan {
    /// As written (`1h`, `90m`).
    pub text: String,
    pub micros: i64,
}

/// A comparison of the count with a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

impl Op {
    pub const ALL: [Op; 6] = [Op::Gt, Op::Gte, Op::Lt, Op::Lte, Op::Eq, Op::Neq];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Eq => "eq",
            Op::Neq => "neq",
        }
    }

    pub fn holds(self, count: i64, value: i64) -> bool {
        match self {
            Op::Gt => count > value,
            Op::Gte => count >= value,
            Op::Lt => count < value,
            Op::Lte => count <= value,
            Op::Eq => count == value,
            Op::Neq => count != value,
        }
    }
}

impl Correlation {
    /// The tests the count must pass: the condition, or for a temporal
    /// correlation without one, every rule matched.
    pub fn tests(&self) -> Tests {
        if self.condition.is_empty() {
            vec![(Op::Gte, self.rules.len() as i64)]
        } else {
            self.condition.clone()
        }
    }

    /// Whether a bucket may fire before it ended: only when more events
    /// can never make the condition false (`gt`, `gte`), so the alert
    /// fired early is the one the whole bucket fires.
    pub fn monotonic(&self) -> bool {
        self.tests()
            .iter()
            .all(|(op, _)| matches!(op, Op::Gt | Op::Gte))
    }

    /// Whether `reference` (in another correlation) names this one.
    pub fn is_named(&self, reference: &str) -> bool {
        self.name.as_deref() == Some(reference) || self.id.as_deref() == Some(reference)
    }
}

/// Why a correlation cannot run with the rules loaded.
#[derive(Debug, thiserror::Error)]
pub enum CorrelationError {
    #[error("correlation.rules: no rule named `{0}` (or with that id) is loaded")]
    UnknownRule(String),
    #[error("correlation.rules: `{reference}` names {count} of the rules loaded; names and ids must be unique")]
    Ambiguous { reference: String, count: usize },
    #[error(
        "correlation.rules: `{0}` is a correlation; correlations of correlations are not supported"
    )]
    Chained(String),
    /// A rule referenced does not compile.
    #[error("correlation.rules: rule `{reference}`: {source}")]
    Rule {
        reference: String,
        #[source]
        source: Box<RuleError>,
    },
    /// A field grouped or counted is not in the events of a rule.
    #[error("correlation.{at}: rule `{reference}` on {table}: {source}")]
    Field {
        at: String,
        reference: String,
        table: String,
        #[source]
        source: Box<RuleError>,
    },
    #[error("correlation.aliases.{alias}: no field for rule `{reference}`")]
    Alias { alias: String, reference: String },
    #[error("id: missing: a correlation that fires alerts needs one (alerts are keyed by it)")]
    NoId,
}
