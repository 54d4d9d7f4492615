//! `seclake rules`: Sigma detection rules (see `seclake_detect`).
//!
//! `rules check PATH...` loads every rule file under the paths and
//! compiles each for the tables of its logsource, printing one line a rule,
//! `<file>: ok (<tables>)` (with `; not <log type>: <reason>` for a table
//! the logsource names that the rule cannot run on) or `<file>: <reason>`,
//! then `N of M rules compile`. The exit status is 0 when all do, so a rule repository's CI
//! can run it as a check.
//!
//! `rules test` and `rules run` evaluate the rules that compile over a
//! window of the lake ([`super::rules_run`]): the first shows matches and
//! writes nothing, the second appends new alerts to `_alerts`.
//!
//! A file may hold several documents, and a document may be a Sigma
//! correlation rule over the others ([`correlate`]).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use seclake_detect::correlation::CompiledCorrelation;
use seclake_detect::{Compiled, Document, Rule, RuleError, Targets};

use super::rules_run::{self, RunArgs, TestArgs};

#[path = "rules_correlate.rs"]
pub mod correlate;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Load and compile rules: a line per rule file, then a count.
    #[command(after_help = "Exit status: 0 every rule compiles, 1 some do not (or an error).")]
    Check {
        /// Rule files (`.yml`, `.yaml`) or directories searched recursively.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Evaluate rules over a window of the lake: matches per rule, with
    /// samples; writes nothing.
    #[command(after_help = "Exit status: 0 every rule ran, 1 some do not compile (or an error).")]
    Test(TestArgs),
    /// Evaluate rules over a window of the lake and append the alerts not
    /// already there to the `_alerts` table (one commit per run).
    #[command(
        after_help = "Exit status: 0 every rule ran, 1 some do not compile (the others \
                            still ran), or an error."
    )]
    Run(RunArgs),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Check { paths } => check(&paths),
        Command::Test(a) => rules_run::test(a),
        Command::Run(a) => rules_run::run(a),
    }
}

/// Every detection rule under `paths`, each loaded or with its error
/// (correlation documents left out).
pub fn load(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Result<Rule, RuleError>)>> {
    let rules = documents(paths)?
        .into_iter()
        .filter_map(|(path, d)| match d {
            Ok(Document::Correlation(_)) => None,
            d => Some((path, d.and_then(Document::into_rule))),
        })
        .collect();
    Ok(rules)
}

/// Every document of every rule file under `paths`, each loaded or with
/// its error.
pub fn documents(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Result<Document, RuleError>)>> {
    let mut docs = Vec::new();
    for path in paths {
        if path.is_dir() {
            docs.extend(seclake_detect::load_dir_documents(path));
        } else if path.is_file() {
            let loaded = seclake_detect::load_file_documents(path);
            docs.extend(loaded.into_iter().map(|d| (path.clone(), d)));
        } else {
            bail!("{}: no such file or directory", path.display());
        }
    }
    Ok(docs)
}

/// A loaded rule compiled for the tables of its logsource, or why it does
/// not load or compile.
pub fn compile(rule: &Result<Rule, RuleError>) -> Result<Targets, String> {
    rule.as_ref()
        .map_err(|e| e.to_string())
        .and_then(|r| seclake_detect::compile(r).map_err(|e| e.to_string()))
}

/// One line of a rules listing, in file order.
pub enum Entry {
    /// A rule compiled for one table, with the head of its lines: its
    /// title and file, and the table when it has several.
    Run {
        head: String,
        /// The rule's file, as shown.
        file: String,
        compiled: Box<Compiled>,
    },
    /// A rule that does not load or compile: the line that says why.
    Skipped(String),
    /// A table the rule's logsource names that it does not compile for,
    /// or a rule that is part of a correlation.
    Note(String),
    /// A correlation rule, with its head.
    Correlation {
        head: String,
        compiled: Box<CompiledCorrelation>,
    },
}

/// The rules of `paths` as [`Entry`]s.
pub fn entries(paths: &[PathBuf]) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let loaded = correlate::Loaded::new(documents(paths)?);
    let set = loaded.set();
    for (i, (_, doc)) in loaded.docs.iter().enumerate() {
        let label = loaded.label(i);
        let rule = match doc {
            Ok(Document::Rule(rule)) => rule,
            Ok(Document::Correlation(c)) => {
                out.push(correlate::entry(&set, label, c));
                continue;
            }
            Err(reason) => {
                out.push(Entry::Skipped(format!("{label}: skipped: {reason}")));
                continue;
            }
        };
        if let Some(note) = correlate::silenced(&set, label, rule) {
            out.push(note);
            continue;
        }
        let targets = match seclake_detect::compile(rule) {
            Ok(t) => t,
            Err(reason) => {
                out.push(Entry::Skipped(format!("{label}: skipped: {reason}")));
                continue;
            }
        };
        let several = targets.compiled.len() > 1;
        for (log_type, why) in &targets.skipped {
            out.push(Entry::Note(format!(
                "{label}: not run on {log_type}: {why}"
            )));
        }
        for compiled in targets.compiled {
            let mut head = format!("{} ({label})", compiled.rule.title);
            if several {
                head = format!("{head} on {}", compiled.table);
            }
            out.push(Entry::Run {
                head,
                file: label.to_string(),
                compiled: Box::new(compiled),
            });
        }
    }
    Ok(out)
}

/// What can fire alerts from the rule files of `paths`.
#[derive(Default)]
pub struct AlertSet {
    /// The rules, one per table a rule runs on.
    pub rules: Vec<seclake_detect::alerts::AlertRule>,
    /// The correlations, which only a scheduled run over the lake can
    /// evaluate (an ingest batch holds seconds of events, not a timespan).
    pub correlations: correlate::Runnable,
    /// A line for each of the others: the file and why it cannot (or a
    /// note on a rule that fires only through a correlation).
    pub skipped: Vec<String>,
}

/// The rules and correlations of `paths` that can fire alerts, as
/// `seclake serve`'s `[detections]` runs them.
pub fn alert_set(paths: &[PathBuf]) -> Result<AlertSet> {
    let mut set = AlertSet::default();
    for entry in entries(paths)? {
        match entry {
            Entry::Run { file, compiled, .. } => {
                match seclake_detect::alerts::AlertRule::new(*compiled) {
                    Ok(r) => set.rules.push(r),
                    Err(reason) => set.skipped.push(format!("{file}: skipped: {reason}")),
                }
            }
            Entry::Skipped(line) | Entry::Note(line) => set.skipped.push(line),
            Entry::Correlation { head, compiled } => {
                set.skipped.extend(set.correlations.push(head, *compiled));
            }
        }
    }
    Ok(set)
}

/// The rules of `paths` that can fire alerts at ingest (one per table a
/// rule runs on), and a line for each of the others (the file and why it
/// cannot), correlations included: for what evaluates batches only
/// (`ingest --rules`).
pub fn alert_rules(
    paths: &[PathBuf],
) -> Result<(Vec<seclake_detect::alerts::AlertRule>, Vec<String>)> {
    let AlertSet {
        rules,
        correlations,
        mut skipped,
    } = alert_set(paths)?;
    skipped.extend(correlations.heads().iter().map(|head| {
        format!(
            "{head}: skipped: a correlation, not evaluated at ingest (`seclake rules run` and the scheduled runs of `seclake serve` evaluate it)"
        )
    }));
    Ok((rules, skipped))
}

fn check(paths: &[PathBuf]) -> Result<ExitCode> {
    let rules = correlate::Loaded::new(documents(paths)?);
    let set = rules.set();
    let mut out = std::io::stdout().lock();
    let mut ok = 0;
    for (i, (_, doc)) in rules.docs.iter().enumerate() {
        let label = rules.label(i);
        let rule = match doc {
            Ok(Document::Correlation(c)) => {
                let (runs, line) = correlate::check_line(&set, label, c);
                ok += usize::from(runs);
                writeln!(out, "{line}")?;
                continue;
            }
            Ok(Document::Rule(rule)) => seclake_detect::compile(rule).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match rule {
            Ok(targets) => {
                ok += 1;
                let mut line = format!("{label}: ok ({})", targets.tables().join(", "));
                for (log_type, why) in &targets.skipped {
                    line.push_str(&format!("; not {log_type}: {why}"));
                }
                writeln!(out, "{line}")?;
            }
            Err(reason) => writeln!(out, "{label}: {reason}")?,
        }
    }
    writeln!(out, "{ok} of {} rules compile", rules.docs.len())?;
    Ok(if ok == rules.docs.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
