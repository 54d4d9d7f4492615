//! A [`BatchHook`] runs on every batch in the worker that built it, and
//! what it derives reaches the collector with that batch, from the right
//! input, in input order; without a hook nothing is derived.

use std::collections::HashSet;
use std::io;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use arrow_array::cast::AsArray;
use arrow_array::RecordBatch;
use seclake_core::LogType;
use seclake_engine::pipeline::{self, BatchHook, ChunkLimits, Collector, Input, Output, Part};
use seclake_engine::{Options, Reject, StreamStats};

/// Derives the `eventID` column of each batch, and notes where it ran.
#[derive(Default)]
struct EventIds {
    threads: Mutex<HashSet<ThreadId>>,
    calls: Mutex<usize>,
}

impl BatchHook for EventIds {
    fn batch(&self, log_type: &LogType, batch: &RecordBatch) -> Vec<RecordBatch> {
        assert_eq!(log_type.name(), "AWS.CloudTrail");
        self.threads
            .lock()
            .unwrap()
            .insert(std::thread::current().id());
        *self.calls.lock().unwrap() += 1;
        let i = batch.schema().index_of("eventID").unwrap();
        vec![batch.project(&[i]).unwrap()]
    }
}

/// Every batch with what was derived from it, by input.
#[derive(Default)]
struct Gather {
    batches: Vec<(usize, RecordBatch, Vec<RecordBatch>)>,
}

impl Collector for Gather {
    fn part(&mut self, input: usize, part: Part) -> io::Result<()> {
        match part {
            Part::Batch { batch, derived, .. } => self.batches.push((input, batch, derived)),
            Part::Json(_) => panic!("asked for batches"),
        }
        Ok(())
    }
    fn reject(&mut self, _: usize, r: &Reject<'_>) -> io::Result<()> {
        panic!("reject: {}", r.reason)
    }
    fn input_done(&mut self, _: usize, _: &StreamStats, e: Option<&io::Error>) -> io::Result<()> {
        assert!(e.is_none());
        Ok(())
    }
}

const INPUTS: usize = 3;
const RECORDS: usize = 300;

/// Input `i`: CloudTrail records whose `eventID`s are `i-0`, `i-1`, ...
fn inputs() -> Vec<Input<'static>> {
    (0..INPUTS)
        .map(|i| {
            let text: String = (0..RECORDS)
                .map(|n| {
                    format!(
                        r#"{{"eventVersion":"1.09","eventTime":"2024-03-01T05:10:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"{i}-{n}","recipientAccountId":"111122223333","eventType":"AwsApiCall"}}"#
                    ) + "\n"
                })
                .collect();
            Input {
                display: format!("input-{i}"),
                identity: format!("input-{i}"),
                peer_prefix: false,
                open: Box::new(move || {
                    Ok(Box::new(io::Cursor::new(text.into_bytes())) as Box<dyn io::Read + Send>)
                }),
            }
        })
        .collect()
}

fn run(threads: usize, hook: Option<Arc<EventIds>>) -> Gather {
    let t = seclake_registry::find("AWS.CloudTrail").unwrap();
    let opts = Options {
        decoders: seclake_registry::decoders().to_vec(),
        ..Options::default()
    };
    let mut settings = pipeline::Settings::new(threads, Output::Batches);
    // Many small chunks, so that every worker builds batches.
    settings.chunk = ChunkLimits {
        bytes: 4096,
        items: 16,
    };
    settings.hook = hook.map(|h| h as Arc<dyn BatchHook>);
    let mut got = Gather::default();
    let stats = pipeline::run(inputs(), &[t], &opts, settings, &mut got).unwrap();
    assert_eq!(stats.rows as usize, INPUTS * RECORDS);
    got
}

fn event_ids(batch: &RecordBatch) -> Vec<String> {
    let ids = batch.column_by_name("eventID").unwrap().as_string::<i32>();
    ids.iter().map(|v| v.unwrap().to_string()).collect()
}

#[test]
fn the_hook_runs_in_the_workers_and_its_output_reaches_the_collector_with_its_input() {
    for threads in [1, 3] {
        let hook = Arc::new(EventIds::default());
        let got = run(threads, Some(hook.clone()));
        assert!(got.batches.len() >= INPUTS * 10, "{}", got.batches.len());
        assert_eq!(*hook.calls.lock().unwrap(), got.batches.len());
        let mut seen = Vec::new();
        for (input, batch, derived) in &got.batches {
            assert_eq!(derived.len(), 1);
            let ids = event_ids(batch);
            assert_eq!(event_ids(&derived[0]), ids);
            for id in &ids {
                assert!(id.starts_with(&format!("{input}-")), "{id} in {input}");
            }
            seen.extend(ids);
        }
        // In input order, each row once.
        let want: Vec<String> = (0..INPUTS)
            .flat_map(|i| (0..RECORDS).map(move |n| format!("{i}-{n}")))
            .collect();
        assert_eq!(seen, want);
        let here = std::thread::current().id();
        let threads_used = hook.threads.lock().unwrap().clone();
        if threads == 1 {
            assert_eq!(threads_used, HashSet::from([here]));
        } else {
            assert!(
                !threads_used.contains(&here),
                "ran on the collecting thread"
            );
        }
    }
}

#[test]
fn without_a_hook_nothing_is_derived() {
    let got = run(2, None);
    assert!(!got.batches.is_empty());
    assert!(got.batches.iter().all(|(_, _, d)| d.is_empty()));
}
