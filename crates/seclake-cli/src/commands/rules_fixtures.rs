//! `seclake rules test --fixtures PATH...`: every rule against the test
//! events kept beside it (`name.match…`, `name.nomatch…`; see
//! `seclake_detect::fixtures`), evaluated both at ingest and as a
//! scheduled query, with no lake. A line per rule, the failures under
//! it, then a count; exit 1 when a rule fails or does not compile, so a
//! rule repository's CI can run it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use seclake_detect::fixtures::{evaluate, fixtures_of, Expect};

use super::common::runtime;
use super::rules::{compile, load};

pub fn run(paths: &[PathBuf]) -> Result<ExitCode> {
    let rules = load(paths)?;
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed, mut untested) = (0, 0, 0);
    runtime()?.block_on(async {
        for (path, rule) in &rules {
            let shown = path.display();
            let targets = match compile(rule) {
                Ok(t) => t,
                Err(reason) => {
                    failed += 1;
                    writeln!(out, "{shown}: {reason}")?;
                    continue;
                }
            };
            let fixtures = fixtures_of(path);
            if fixtures.is_empty() {
                untested += 1;
                writeln!(out, "{shown}: no fixtures")?;
                continue;
            }
            let (mut matching, mut other, mut problems) = (0, 0, Vec::new());
            for f in &fixtures {
                let name = f.path.file_name().unwrap_or_default().to_string_lossy();
                match evaluate(&targets.compiled, &f.path).await {
                    Ok(outcome) => {
                        match f.expect {
                            Expect::Match => matching += outcome.records,
                            Expect::NoMatch => other += outcome.records,
                        }
                        let failures = outcome.failures(f.expect);
                        problems.extend(failures.into_iter().map(|p| format!("{name}: {p}")));
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
            if problems.is_empty() {
                passed += 1;
                writeln!(
                    out,
                    "{shown}: ok ({} records matched, {} not, at ingest and scheduled)",
                    matching, other
                )?;
            } else {
                failed += 1;
                writeln!(out, "{shown}: FAILED")?;
                for p in problems {
                    writeln!(out, "  {p}")?;
                }
            }
        }
        writeln!(
            out,
            "{passed} of {} rules pass their fixtures ({untested} without fixtures, {failed} failed)",
            rules.len()
        )?;
        anyhow::Ok(())
    })?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
