//! Reading rules from files: one rule per `.yml`/`.yaml` file, directories
//! walked recursively (rule repositories sort rules into folders), in path
//! order so that every listing of the same tree is the same.

use std::path::{Path, PathBuf};

use crate::error::RuleError;
use crate::rule::Rule;

/// Loads the rule in one file.
pub fn load_file(path: &Path) -> Result<Rule, RuleError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Rule::parse(&text)
}

/// Loads every rule file under `dir`, each with its own result: one bad
/// rule does not hide the others. A directory that cannot be read is an
/// entry with its error.
pub fn load_dir(dir: &Path) -> Vec<(PathBuf, Result<Rule, RuleError>)> {
    let mut files = Vec::new();
    let mut out = Vec::new();
    walk(dir, &mut files, &mut out);
    out.extend(files.into_iter().map(|f| {
        let rule = load_file(&f);
        (f, rule)
    }));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<(PathBuf, Result<Rule, RuleError>)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            let path = dir.to_path_buf();
            errors.push((path.clone(), Err(RuleError::Read { path, source })));
            return;
        }
    };
    for entry in entries {
        let path = match entry {
            Ok(e) => e.path(),
            Err(source) => {
                let path = dir.to_path_buf();
                errors.push((path.clone(), Err(RuleError::Read { path, source })));
                continue;
            }
        };
        if path.is_dir() {
            walk(&path, files, errors);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(path);
        }
    }
}
