//! `seclake rules test` and `seclake rules run`: the rules that compile,
//! evaluated over a window of event times in the lake
//! (`seclake_detect::scheduled`).
//!
//! Both print a line per rule, `<title> (<file>): ...`, in file order,
//! then a total. Rules that do not compile (or, for `run`, have no `id`)
//! get `<file>: skipped: <reason>`, a rule whose query fails
//! `<title> (<file>): failed: <error>`; either makes the exit status 1,
//! and the other rules still run (and `run` still commits their alerts). `test` shows up to three matches of each rule and writes
//! nothing; `run` appends the new alerts to `_alerts` in one commit, and
//! with `--format json` prints them as JSON lines on stdout (the report
//! lines then go to stderr), for whatever forwards alerts. Correlation
//! rules print their lines after the rules' (see
//! [`super::rules::correlate`]).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use seclake_core::Timestamp;
use seclake_detect::alerts::{schema, AlertRule};
use seclake_detect::scheduled::{Evaluator, Fired, Sample, Tested, Window};
use seclake_query::OutputFormat;

use super::common::{parse_duration, runtime, LakeArg};
use super::rules::{correlate, entries, Entry};

/// Matches shown per rule by `rules test`.
const SAMPLES: usize = 3;
/// Rule fields shown per sample.
const SAMPLE_FIELDS: usize = 4;

#[derive(clap::Args)]
pub struct WindowArgs {
    /// Start of the window of event times: a duration before `--until`
    /// (`7d`, `12h`, `30m`) or an RFC 3339 time. Default 7d for `test`,
    /// 1h for `run`.
    #[arg(long)]
    since: Option<String>,
    /// End of the window (exclusive): an RFC 3339 time; default now.
    #[arg(long)]
    until: Option<String>,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Rule files (`.yml`, `.yaml`) or directories searched recursively.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Check each rule against the test events beside it (`NAME.match*`:
    /// every record must match; `NAME.nomatch*`: none may) at ingest and
    /// as a scheduled query, instead of evaluating over the lake.
    #[arg(long, conflicts_with_all = ["since", "until"])]
    fixtures: bool,
    #[command(flatten)]
    lake: LakeArg,
    #[command(flatten)]
    window: WindowArgs,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    /// The report lines on stdout.
    Text,
    /// The new alerts as JSON lines on stdout, the report on stderr.
    Json,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Rule files (`.yml`, `.yaml`) or directories searched recursively.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    lake: LakeArg,
    #[command(flatten)]
    window: WindowArgs,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

impl WindowArgs {
    fn resolve(&self, default_since: &str) -> Result<Window> {
        let time = |flag: &str, text: &str| {
            Timestamp::parse_rfc3339(text)
                .ok_or_else(|| anyhow!("{flag} {text:?}: expected an RFC 3339 time"))
        };
        let until = match &self.until {
            Some(t) => time("--until", t)?,
            None => Timestamp::now(),
        };
        let since_text = self.since.as_deref().unwrap_or(default_since);
        let since = match Timestamp::parse_rfc3339(since_text) {
            Some(t) => t,
            None => {
                let back = parse_duration(since_text)
                    .map_err(|e| anyhow!("--since {e}, or an RFC 3339 time"))?;
                Timestamp(until.0.saturating_sub(back.as_micros() as i64))
            }
        };
        if since.0 >= until.0 {
            bail!(
                "the window is empty: --since {} is not before --until {}",
                since.to_rfc3339(),
                until.to_rfc3339()
            );
        }
        Ok(Window { since, until })
    }
}

pub fn test(args: TestArgs) -> Result<ExitCode> {
    if args.fixtures {
        return super::rules_fixtures::run(&args.paths);
    }
    let entries = entries(&args.paths)?;
    let window = args.window.resolve("7d")?;
    runtime()?.block_on(async {
        let eval = Evaluator::open(&args.lake.lake).await?;
        let mut out = std::io::stdout().lock();
        let (mut ran, mut skipped, mut total) = (0, 0, 0);
        for entry in entries {
            let (head, compiled) = match entry {
                Entry::Run { head, compiled, .. } => (head, compiled),
                Entry::Skipped(line) => {
                    skipped += 1;
                    writeln!(out, "{line}")?;
                    continue;
                }
                Entry::Note(line) => {
                    writeln!(out, "{line}")?;
                    continue;
                }
                Entry::Correlation { head, compiled } => {
                    match correlate::test(&eval, &head, &compiled, &window, &mut out).await? {
                        Some(groups) => (ran, total) = (ran + 1, total + groups),
                        None => skipped += 1,
                    }
                    continue;
                }
            };
            match eval.test(&compiled, &window, SAMPLES).await {
                Ok(Tested::NoTable) => {
                    writeln!(out, "{head}: 0 matches (no table {})", compiled.table)?
                }
                Ok(Tested::Matches { count, samples }) => {
                    total += count;
                    writeln!(out, "{head}: {}", count_of(count, "match", "matches"))?;
                    for s in &samples {
                        writeln!(out, "  {}", sample_line(s))?;
                    }
                }
                Err(e) => {
                    skipped += 1;
                    writeln!(out, "{head}: failed: {e}")?;
                    continue;
                }
            }
            ran += 1;
        }
        writeln!(
            out,
            "total: {} from {}{}, {}",
            count_of(total, "match", "matches"),
            count_of(ran, "rule", "rules"),
            skipped_text(skipped),
            window_text(&window)
        )?;
        Ok(exit(skipped))
    })
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let entries = entries(&args.paths)?;
    let window = args.window.resolve("1h")?;
    let json = matches!(args.format, Format::Json);
    let mut out: Box<dyn Write> = if json {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(std::io::stdout().lock())
    };
    // Rules in file order: those that can fire, and lines for the others.
    let mut runnable = Vec::new();
    let mut correlations = correlate::Runnable::default();
    let mut lines: Vec<Result<(usize, String), (bool, String)>> = Vec::new();
    for entry in entries {
        match entry {
            Entry::Run {
                head,
                file,
                compiled,
            } => match AlertRule::new(*compiled) {
                Ok(r) => {
                    lines.push(Ok((runnable.len(), head)));
                    runnable.push(r);
                }
                Err(reason) => lines.push(Err((true, format!("{file}: skipped: {reason}")))),
            },
            Entry::Skipped(line) => lines.push(Err((true, line))),
            Entry::Note(line) => lines.push(Err((false, line))),
            Entry::Correlation { head, compiled } => {
                if let Some(line) = correlations.push(head, *compiled) {
                    lines.push(Err((true, line)));
                }
            }
        }
    }
    let lake = seclake_lake::Lake::open(&args.lake.lake)?;
    let report = runtime()?.block_on(async {
        let eval = Evaluator::open(&args.lake.lake).await?;
        let correlations = &correlations.correlations;
        eval.run_all(&lake, &runnable, correlations, &window, Timestamp::now())
            .await
    })?;
    let (mut ran, mut new, mut known, mut skipped) = (0, 0, 0, 0);
    for line in lines {
        let (i, head) = match line {
            Ok(rule) => rule,
            Err((counts, text)) => {
                skipped += usize::from(counts);
                writeln!(out, "{text}")?;
                continue;
            }
        };
        ran += usize::from(report.rules[i].is_ok());
        match &report.rules[i] {
            Ok(Fired { no_table: true, .. }) => writeln!(
                out,
                "{head}: 0 new alerts (no table {})",
                runnable[i].compiled.table
            )?,
            Ok(f) => {
                new += f.new;
                known += f.known;
                writeln!(
                    out,
                    "{head}: {} ({} already known)",
                    count_of(f.new, "new alert", "new alerts"),
                    f.known
                )?;
            }
            Err(e) => {
                skipped += 1;
                writeln!(out, "{head}: failed: {e}")?;
            }
        }
    }
    let c = correlations.report(&mut out, &report.correlations)?;
    (ran, new, known, skipped) = (
        ran + c.ran,
        new + c.new,
        known + c.known,
        skipped + c.skipped,
    );
    writeln!(
        out,
        "total: {} ({known} already known) from {}{}, {}",
        count_of(new, "new alert", "new alerts"),
        count_of(ran, "rule", "rules"),
        skipped_text(skipped),
        window_text(&window)
    )?;
    if json && !report.alerts.is_empty() {
        let text = seclake_query::render(schema(), &report.alerts, OutputFormat::Json)?;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
    }
    Ok(exit(skipped))
}

fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn skipped_text(skipped: usize) -> String {
    match skipped {
        0 => String::new(),
        n => format!("; {} skipped", count_of(n, "rule", "rules")),
    }
}

fn window_text(w: &Window) -> String {
    format!(
        "events from {} to {}",
        w.since.to_rfc3339(),
        w.until.to_rfc3339()
    )
}

fn exit(skipped: usize) -> ExitCode {
    if skipped == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `<event time> <row id> field=value ...`, values with spaces quoted.
fn sample_line(s: &Sample) -> String {
    let mut line = format!("{} {}", s.event_time.to_rfc3339(), s.row_id);
    for (name, value) in s.fields.iter().take(SAMPLE_FIELDS) {
        if value.is_empty() || value.contains(char::is_whitespace) {
            line.push_str(&format!(" {name}={value:?}"));
        } else {
            line.push_str(&format!(" {name}={value}"));
        }
    }
    line
}
