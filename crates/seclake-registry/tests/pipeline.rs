//! The parallel pipeline gives exactly the golden output: every log type's
//! fixtures, cut into tiny chunks and parsed by several workers, produce
//! `expected.jsonl` and `rejects.jsonl` byte for byte (same order, same row
//! ids, VPC Flow headers reaching every chunk).

mod common;

use std::fs;
use std::io;

use common::{fixture_inputs, fixture_options, repo_root};
use seclake_engine::pipeline::{self, ChunkLimits, Collector, Input, Output, Part, Settings};
use seclake_engine::sinks::write_reject_json;
use seclake_engine::{Reject, StreamStats};

#[derive(Default)]
struct Gather {
    rows: Vec<u8>,
    rejects: Vec<u8>,
    done: Vec<usize>,
}

impl Collector for Gather {
    fn part(&mut self, _: usize, part: Part) -> io::Result<()> {
        match part {
            Part::Json(j) => self.rows.extend_from_slice(&j),
            Part::Batch { batch, .. } => {
                seclake_engine::json_lines::write_batch(&mut self.rows, &batch)
            }
        }
        Ok(())
    }
    fn reject(&mut self, _: usize, r: &Reject<'_>) -> io::Result<()> {
        write_reject_json(&mut self.rejects, r);
        Ok(())
    }
    fn input_done(
        &mut self,
        input: usize,
        _: &StreamStats,
        e: Option<&io::Error>,
    ) -> io::Result<()> {
        assert!(e.is_none());
        self.done.push(input);
        Ok(())
    }
}

fn inputs(dir: &std::path::Path) -> Vec<Input<'static>> {
    fixture_inputs(dir)
        .into_iter()
        .map(|(name, p)| Input {
            display: name.clone(),
            identity: name,
            peer_prefix: false,
            open: Box::new(move || Ok(Box::new(fs::File::open(p)?) as Box<dyn io::Read + Send>)),
        })
        .collect()
}

#[test]
fn every_thread_count_and_chunk_size_gives_the_golden_output() {
    let all: Vec<_> = seclake_registry::all().iter().collect();
    for t in &all {
        let dir = repo_root().join("fixtures/log-types").join(t.name());
        let want_rows = fs::read(dir.join("expected.jsonl")).unwrap();
        let want_rejects = fs::read(dir.join("rejects.jsonl")).unwrap_or_default();
        for (threads, bytes, output) in [
            (1, 1 << 20, Output::Json),
            (3, 300, Output::Json),
            (2, 1, Output::Batches),
            (4, 1000, Output::Batches),
        ] {
            let mut settings = Settings::new(threads, output);
            settings.chunk = ChunkLimits { bytes, items: 3 };
            let mut got = Gather::default();
            let ins = inputs(&dir);
            let n = ins.len();
            pipeline::run(ins, &[*t], &fixture_options(), settings, &mut got).unwrap();
            let what = format!(
                "{} with {threads} threads, {bytes}-byte chunks, {output:?}",
                t.name()
            );
            assert_eq!(got.done, (0..n).collect::<Vec<_>>(), "{what}");
            first_difference(&got.rows, &want_rows, &format!("{what}: rows"));
            first_difference(&got.rejects, &want_rejects, &format!("{what}: rejects"));
        }
    }
}

/// Fails with the first line that differs (the outputs are long).
fn first_difference(got: &[u8], want: &[u8], what: &str) {
    let (g, w) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    let (gl, wl): (Vec<_>, Vec<_>) = (g.lines().collect(), w.lines().collect());
    if let Some(i) = (0..gl.len().max(wl.len())).find(|&i| gl.get(i) != wl.get(i)) {
        panic!(
            "{what}: line {} differs\n  got  {:?}\n  want {:?}",
            i + 1,
            gl.get(i),
            wl.get(i)
        );
    }
}
