//! Expanding command-line inputs: files, directories (recursively, in
//! name order) and `-` for standard input.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name used in messages and in row ids.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// Expands the arguments; a missing path is an error naming it.
pub fn expand(args: &[String]) -> Result<Vec<Input>, String> {
    if args.is_empty() {
        return Ok(vec![Input::Stdin]);
    }
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let p = Path::new(a);
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("{a}: {e}"))?;
        } else if p.exists() {
            out.push(Input::File(p.to_path_buf()));
        } else {
            return Err(format!("{a}: no such file or directory"));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Input>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_type()?.is_dir() {
            walk(&p, out)?;
        } else if !e.file_name().to_string_lossy().starts_with('.') {
            out.push(Input::File(p));
        }
    }
    Ok(())
}
