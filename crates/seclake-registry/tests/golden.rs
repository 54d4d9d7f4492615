//! Golden fixtures: for every log type, `fixtures/log-types/<LogType>/input*`
//! (files, and the files of such directories) parsed with that type must give exactly `expected.jsonl` (rows) and
//! `rejects.jsonl` (rejects); classifying the same inputs without naming the
//! type must give the same rows. `SECLAKE_BLESS=1 cargo test -p
//! seclake-registry` regenerates the expected files.

mod common;

use std::fs;

use common::{blessing, fixture_inputs, fixture_options, repo_root, Capture};

#[test]
fn fixtures_match_for_every_log_type() {
    let all: Vec<_> = seclake_registry::all().iter().collect();
    let mut failures = Vec::new();
    for t in &all {
        let dir = repo_root().join("fixtures/log-types").join(t.name());
        let inputs = fixture_inputs(&dir);
        assert!(
            !inputs.is_empty(),
            "{}: no input files in {}",
            t.name(),
            dir.display()
        );
        let mut forced = Capture::default();
        let mut classified = Capture::default();
        for (name, input) in &inputs {
            let bytes = fs::read(input).unwrap();
            seclake_engine::parse_stream(
                &bytes[..],
                seclake_engine::StreamName::same(name),
                &[t],
                &fixture_options(),
                &mut forced,
            )
            .unwrap();
            seclake_engine::parse_stream(
                &bytes[..],
                seclake_engine::StreamName::same(name),
                &all,
                &fixture_options(),
                &mut classified,
            )
            .unwrap();
        }
        assert!(
            !forced.row_types.is_empty(),
            "{}: fixtures produce no rows",
            t.name()
        );
        // Classifying must give this type's rows exactly; records of other
        // types in the edge cases may become rows of their own type, but
        // only records that --log-type rejected.
        let classified_text = String::from_utf8_lossy(&classified.rows).into_owned();
        let own: Vec<&str> = classified_text
            .lines()
            .zip(&classified.row_types)
            .filter(|(_, n)| **n == t.name())
            .map(|(l, _)| l)
            .collect();
        let forced_text = String::from_utf8_lossy(&forced.rows).into_owned();
        let forced_rows: Vec<&str> = forced_text.lines().collect();
        let others = classified.row_types.len() - own.len();
        let forced_rejects = forced.rejects.iter().filter(|&&b| b == b'\n').count();
        if own != forced_rows || others > forced_rejects {
            failures.push(format!(
                "{}: classification differs from --log-type ({} own rows vs {}, {} rows of other types for {} rejects)",
                t.name(),
                own.len(),
                forced_rows.len(),
                others,
                forced_rejects
            ));
        }
        for (file, got) in [
            ("expected.jsonl", &forced.rows),
            ("rejects.jsonl", &forced.rejects),
        ] {
            let path = dir.join(file);
            if blessing() {
                if got.is_empty() {
                    let _ = fs::remove_file(&path);
                } else {
                    fs::write(&path, got).unwrap();
                }
                continue;
            }
            let want = fs::read(&path).unwrap_or_default();
            if &want != got {
                let (w, g) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
                let diff = w
                    .lines()
                    .zip(g.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| format!("line {}:\n  want {a}\n  got  {b}", i + 1))
                    .unwrap_or_else(|| {
                        format!(
                            "{} lines wanted, {} got",
                            w.lines().count(),
                            g.lines().count()
                        )
                    });
                failures.push(format!("{}/{file} differs ({diff})", t.name()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(regenerate with SECLAKE_BLESS=1 cargo test -p seclake-registry if the change is intended)",
        failures.join("\n")
    );
}
