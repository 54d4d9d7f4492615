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

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use seclake_detect::{Compiled, Rule, RuleError, Targets};

use super::rules_run::{self, RunArgs, TestArgs};

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

/// Every rule file under `paths`, each loaded or with its error.
pub fn load(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Result<Rule, RuleError>)>> {
    let mut rules = Vec::new();
    for path in paths {
        if path.is_dir() {
            rules.extend(seclake_detect::load_dir(path));
        } else if path.is_file() {
            rules.push((path.clone(), seclake_detect::load_file(path)));
        } else {
            bail!("{}: no such file or directory", path.display());
        }
    }
    Ok(rules)
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
    /// A table the rule's logsource names that it does not compile for.
    Note(String),
}

/// The rules of `paths` as [`Entry`]s.
pub fn entries(paths: &[PathBuf]) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (path, rule) in &load(paths)? {
        let targets = match compile(rule) {
            Ok(t) => t,
            Err(reason) => {
                out.push(Entry::Skipped(format!(
                    "{}: skipped: {reason}",
                    path.display()
                )));
                continue;
            }
        };
        let several = targets.compiled.len() > 1;
        for (log_type, why) in &targets.skipped {
            out.push(Entry::Note(format!(
                "{}: not run on {log_type}: {why}",
                path.display()
            )));
        }
        for compiled in targets.compiled {
            let mut head = format!("{} ({})", compiled.rule.title, path.display());
            if several {
                head = format!("{head} on {}", compiled.table);
            }
            out.push(Entry::Run {
                head,
                file: path.display().to_string(),
                compiled: Box::new(compiled),
            });
        }
    }
    Ok(out)
}

/// The rules of `paths` that can fire alerts (one per table a rule runs
/// on), and a line for each of the others (the file and why it cannot).
pub fn alert_rules(
    paths: &[PathBuf],
) -> Result<(Vec<seclake_detect::alerts::AlertRule>, Vec<String>)> {
    let (mut ok, mut skipped) = (Vec::new(), Vec::new());
    for entry in entries(paths)? {
        match entry {
            Entry::Run { file, compiled, .. } => {
                match seclake_detect::alerts::AlertRule::new(*compiled) {
                    Ok(r) => ok.push(r),
                    Err(reason) => skipped.push(format!("{file}: skipped: {reason}")),
                }
            }
            Entry::Skipped(line) | Entry::Note(line) => skipped.push(line),
        }
    }
    Ok((ok, skipped))
}

fn check(paths: &[PathBuf]) -> Result<ExitCode> {
    let rules = load(paths)?;
    let mut out = std::io::stdout().lock();
    let mut ok = 0;
    for (path, rule) in &rules {
        match compile(rule) {
            Ok(targets) => {
                ok += 1;
                let mut line = format!("{}: ok ({})", path.display(), targets.tables().join(", "));
                for (log_type, why) in &targets.skipped {
                    line.push_str(&format!("; not {log_type}: {why}"));
                }
                writeln!(out, "{line}")?;
            }
            Err(reason) => writeln!(out, "{}: {reason}", path.display())?,
        }
    }
    writeln!(out, "{ok} of {} rules compile", rules.len())?;
    Ok(if ok == rules.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
