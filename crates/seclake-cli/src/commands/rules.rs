//! `seclake rules`: Sigma detection rules (see `seclake_detect`).
//!
//! `rules check PATH...` loads every rule file under the paths and
//! compiles each for the table of its logsource, printing one line a rule,
//! `<file>: ok (<table>)` or `<file>: <reason>`, then `N of M rules
//! compile`. The exit status is 0 when all do, so a rule repository's CI
//! can run it as a check.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};

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
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Check { paths } => check(&paths),
    }
}

fn check(paths: &[PathBuf]) -> Result<ExitCode> {
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
    let mut out = std::io::stdout().lock();
    let mut ok = 0;
    for (path, rule) in &rules {
        match rule
            .as_ref()
            .map_err(|e| e.to_string())
            .and_then(|r| seclake_detect::compile(r).map_err(|e| e.to_string()))
        {
            Ok(compiled) => {
                ok += 1;
                writeln!(out, "{}: ok ({})", path.display(), compiled.table)?;
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
