//! Sigma correlation rules in `seclake rules` (see
//! `seclake_detect::correlation`): what `check`, `test` and `run` print
//! for them, kept apart from the per-rule listing in [`super`] and
//! [`super::super::rules_run`].
//!
//! - `check`: `<file>: ok (correlation <type> over <tables>)`, or why the
//!   correlation cannot run (a rule it names is not loaded...).
//! - `test`: `<title> (<file>): N groups fire`, then a line for each of
//!   the first three: its bucket, values, count and first event.
//! - `run`: like a rule, `<title> (<file>): N new alerts (K already
//!   known)`, after the rules' lines; its alerts are in the same commit.
//!
//! The rules a correlation names fire no alerts of their own unless it
//! says `generate: true`: they are listed with a note saying so.
//! Documents of a file of several are shown as `<file>#<n>`.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use seclake_detect::correlation::{
    AlertCorrelation, CompiledCorrelation, Correlated, Group, Kind, RuleSet,
};
use seclake_detect::scheduled::{Evaluator, Fired, Window};
use seclake_detect::{Correlation, DetectError, Document, Rule, RuleError};

use super::Entry;

/// Groups shown per correlation by `rules test`.
const SHOWN: usize = 3;

/// The documents of the paths, each with the label lines show it by.
pub struct Loaded {
    pub docs: Vec<(PathBuf, Result<Document, RuleError>)>,
    labels: Vec<String>,
}

impl Loaded {
    pub fn new(docs: Vec<(PathBuf, Result<Document, RuleError>)>) -> Self {
        let mut per_file: HashMap<&PathBuf, usize> = HashMap::new();
        for (path, _) in &docs {
            *per_file.entry(path).or_default() += 1;
        }
        let mut seen: HashMap<&PathBuf, usize> = HashMap::new();
        let labels = docs
            .iter()
            .map(|(path, _)| {
                let nth = seen.entry(path).or_default();
                *nth += 1;
                if per_file[path] > 1 {
                    format!("{}#{nth}", path.display())
                } else {
                    path.display().to_string()
                }
            })
            .collect();
        Loaded { docs, labels }
    }

    pub fn label(&self, i: usize) -> &str {
        &self.labels[i]
    }

    /// What correlations may name.
    pub fn set(&self) -> RuleSet<'_> {
        RuleSet::new(self.docs.iter().filter_map(|(_, d)| d.as_ref().ok()))
    }
}

/// `rules check`'s line for a correlation, and whether it can run.
pub fn check_line(set: &RuleSet, label: &str, c: &Correlation) -> (bool, String) {
    match set.compile(c) {
        Ok(cc) => (
            true,
            format!(
                "{label}: ok (correlation {} over {})",
                c.kind.as_str(),
                cc.tables().join(", ")
            ),
        ),
        Err(e) => (false, format!("{label}: {e}")),
    }
}

/// The entry of a correlation document.
pub fn entry(set: &RuleSet, label: &str, c: &Correlation) -> Entry {
    match set.compile(c) {
        Ok(compiled) => Entry::Correlation {
            head: format!("{} ({label})", c.title),
            compiled: Box::new(compiled),
        },
        Err(e) => Entry::Skipped(format!("{label}: skipped: {e}")),
    }
}

/// The note for a rule that fires nothing alone, being part of
/// correlations; `None` for a rule that fires.
pub fn silenced(set: &RuleSet, label: &str, rule: &Rule) -> Option<Entry> {
    if set.generates(rule) {
        return None;
    }
    let titles: Vec<String> = set
        .named_by(rule)
        .iter()
        .map(|c| format!("\"{}\"", c.title))
        .collect();
    Some(Entry::Note(format!(
        "{} ({label}): part of correlation {}; no alerts of its own (`generate: true` there fires it alone)",
        rule.title,
        titles.join(", ")
    )))
}

/// `rules test` for one correlation: its line and its groups' lines.
/// Returns the groups that fire, or `None` when it failed (said so).
pub async fn test(
    eval: &Evaluator,
    head: &str,
    c: &CompiledCorrelation,
    window: &Window,
    out: &mut dyn Write,
) -> Result<Option<usize>> {
    let groups = match eval.correlate(c, window).await {
        Ok(Correlated::Groups(g)) => g,
        Ok(Correlated::NoTable) => {
            writeln!(out, "{head}: 0 groups (no table {})", c.tables().join(", "))?;
            return Ok(Some(0));
        }
        Err(e) => {
            writeln!(out, "{head}: failed: {e}")?;
            return Ok(None);
        }
    };
    let n = groups.len();
    let fire = if n == 1 { "group fires" } else { "groups fire" };
    writeln!(out, "{head}: {n} {fire}")?;
    for g in groups.iter().take(SHOWN) {
        writeln!(out, "  {}", group_line(&c.correlation, g))?;
    }
    if n > SHOWN {
        writeln!(out, "  ... and {} more", n - SHOWN)?;
    }
    Ok(Some(n))
}

/// `<bucket start> +<timespan> field=value ...: <count>, first <time> <row>`.
fn group_line(c: &Correlation, g: &Group) -> String {
    let mut line = format!("{} +{}", g.bucket.since.to_rfc3339(), c.timespan.text);
    for (field, value) in &g.values {
        if value.is_empty() || value.contains(char::is_whitespace) {
            line.push_str(&format!(" {field}={value:?}"));
        } else {
            line.push_str(&format!(" {field}={value}"));
        }
    }
    let events = format!("{} event{}", g.events, if g.events == 1 { "" } else { "s" });
    let count = match &c.kind {
        Kind::EventCount => events,
        Kind::ValueCount { field } => format!("{} distinct {field} in {events}", g.count),
        Kind::Temporal | Kind::TemporalOrdered => {
            format!("{} of {} rules in {events}", g.count, c.rules.len())
        }
    };
    line.push_str(&format!(
        ": {count}, first {} {}",
        g.first.to_rfc3339(),
        g.first_row_id
    ));
    if g.open {
        line.push_str(" (bucket still open)");
    }
    line
}

/// The correlations `rules run` and `serve`'s scheduled runs evaluate,
/// with their heads.
#[derive(Default)]
pub struct Runnable {
    pub correlations: Vec<AlertCorrelation>,
    heads: Vec<String>,
}

/// What [`Runnable::report`] adds to the run's totals.
#[derive(Default)]
pub struct Totals {
    pub ran: usize,
    pub new: usize,
    pub known: usize,
    pub skipped: usize,
}

impl Runnable {
    /// Takes a correlation that can fire alerts; else the line that says
    /// why not.
    pub fn push(&mut self, head: String, compiled: CompiledCorrelation) -> Option<String> {
        match AlertCorrelation::new(compiled) {
            Ok(c) => {
                self.correlations.push(c);
                self.heads.push(head);
                None
            }
            Err(e) => Some(format!("{head}: skipped: {e}")),
        }
    }

    /// `<title> (<file>)` of each correlation, in order.
    pub fn heads(&self) -> &[String] {
        &self.heads
    }

    /// A line per correlation of what it fired.
    pub fn report(
        &self,
        out: &mut dyn Write,
        fired: &[Result<Fired, DetectError>],
    ) -> Result<Totals> {
        let mut t = Totals::default();
        for ((head, c), f) in self.heads.iter().zip(&self.correlations).zip(fired) {
            match f {
                Ok(Fired { no_table: true, .. }) => {
                    t.ran += 1;
                    writeln!(
                        out,
                        "{head}: 0 new alerts (no table {})",
                        c.compiled.tables().join(", ")
                    )?;
                }
                Ok(f) => {
                    t.ran += 1;
                    t.new += f.new;
                    t.known += f.known;
                    let alerts = if f.new == 1 { "alert" } else { "alerts" };
                    writeln!(
                        out,
                        "{head}: {} new {alerts} ({} already known)",
                        f.new, f.known
                    )?;
                }
                Err(e) => {
                    t.skipped += 1;
                    writeln!(out, "{head}: failed: {e}")?;
                }
            }
        }
        Ok(t)
    }
}
