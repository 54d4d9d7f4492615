//! Reading rules from files. A file holds one YAML document or several
//! (`---` between them, as Sigma's correlation rules are written: the
//! correlation and the rules it names together), each a detection rule or
//! a correlation rule ([`Document`]). Directories are walked recursively
//! (rule repositories sort rules into folders), in path order so that
//! every listing of the same tree is the same.

use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use crate::correlation::Correlation;
use crate::error::RuleError;
use crate::rule::{yaml_documents, Rule};

/// One YAML document of a rule file.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Rule(Rule),
    Correlation(Correlation),
}

impl Document {
    /// Every document of a text, each with its own result (one bad
    /// document does not hide the others); text that is not YAML is one
    /// error.
    pub fn parse_all(text: &str) -> Vec<Result<Document, RuleError>> {
        match yaml_documents(text) {
            Ok(docs) if docs.is_empty() => {
                vec![Err(RuleError::invalid("(file)", "the file holds no rule"))]
            }
            Ok(docs) => docs.iter().map(Document::from_yaml).collect(),
            Err(e) => vec![Err(e)],
        }
    }

    /// A document with a `correlation` key is a correlation, any other a
    /// detection rule.
    pub fn from_yaml(doc: &Yaml) -> Result<Document, RuleError> {
        if doc["correlation"] != Yaml::BadValue {
            return Correlation::from_yaml(doc).map(Document::Correlation);
        }
        Rule::from_yaml(doc).map(Document::Rule)
    }

    pub fn title(&self) -> &str {
        match self {
            Document::Rule(r) => &r.title,
            Document::Correlation(c) => &c.title,
        }
    }

    /// The rule, or an error naming the correlation it is instead (for
    /// what runs detection rules only).
    pub fn into_rule(self) -> Result<Rule, RuleError> {
        match self {
            Document::Rule(r) => Ok(r),
            Document::Correlation(c) => Err(RuleError::invalid(
                "correlation",
                format!("`{}` is a correlation rule, not a detection rule", c.title),
            )),
        }
    }
}

/// Loads the rule of a file of one detection rule (the file of a rule
/// and the correlation naming it is two documents: see
/// [`load_file_documents`]).
pub fn load_file(path: &Path) -> Result<Rule, RuleError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Rule::parse(&text)
}

/// Loads every detection rule under `dir`, those of files of several
/// documents too, each with its own result: one bad rule does not hide
/// the others. Correlation documents are left out (see
/// [`load_dir_documents`]); a directory that cannot be read is an entry
/// with its error.
pub fn load_dir(dir: &Path) -> Vec<(PathBuf, Result<Rule, RuleError>)> {
    load_dir_documents(dir)
        .into_iter()
        .filter_map(|(path, d)| match d {
            Ok(Document::Rule(r)) => Some((path, Ok(r))),
            Ok(Document::Correlation(_)) => None,
            Err(e) => Some((path, Err(e))),
        })
        .collect()
}

/// Loads the documents of one file, each with its result; a file that
/// cannot be read is one error.
pub fn load_file_documents(path: &Path) -> Vec<Result<Document, RuleError>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Document::parse_all(&text),
        Err(source) => vec![Err(RuleError::Read {
            path: path.to_path_buf(),
            source,
        })],
    }
}

/// Loads every document of every rule file under `dir`, each with its
/// own result, a file's documents in file order.
pub fn load_dir_documents(dir: &Path) -> Vec<(PathBuf, Result<Document, RuleError>)> {
    let mut files = Vec::new();
    let mut out = Vec::new();
    walk(dir, &mut files, &mut out);
    files.sort();
    for f in files {
        out.extend(load_file_documents(&f).into_iter().map(|d| (f.clone(), d)));
    }
    // Stable: a file's documents keep their order.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<(PathBuf, Result<Document, RuleError>)>,
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
