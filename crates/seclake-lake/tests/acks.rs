//! Acknowledgements fire only when an input's rows and rejects are in the
//! lake, never when writing failed; partitions flush on a timer and under
//! the cap on open partitions.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seclake_engine::ack::{Ack, AckError};
use seclake_engine::pipeline::{Input, Output, Settings};
use seclake_engine::Options;
use seclake_lake::ingest::{ingest, Quiet};
use seclake_lake::{Lake, LakeWriter, WriterOptions};

type Fired = Arc<Mutex<Vec<(usize, Result<(), AckError>, usize)>>>;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn input(name: &str, text: String) -> Input<'static> {
    Input {
        display: name.into(),
        identity: name.into(),
        peer_prefix: false,
        open: Box::new(move || Ok(Box::new(io::Cursor::new(text)) as Box<dyn io::Read + Send>)),
    }
}

fn parquet_files(dir: &Path) -> usize {
    fn walk(d: &Path, n: &mut usize) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, n);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(dir, &mut n);
    n
}

/// Acks that record (input, result, Parquet files in the lake when fired).
fn acks(n: usize, lake_dir: &Path, fired: &Fired) -> Vec<Ack> {
    (0..n)
        .map(|i| {
            let (fired, dir) = (fired.clone(), lake_dir.to_path_buf());
            Box::new(move |res| fired.lock().unwrap().push((i, res, parquet_files(&dir)))) as Ack
        })
        .collect()
}

fn flows(lines: usize, hour_step: u64) -> String {
    (0..lines)
        .map(|i| {
            let t = 1_700_000_000 + i as u64 * hour_step;
            format!("2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 {t} {t} ACCEPT OK\n")
        })
        .collect()
}

fn run(
    lake_dir: &Path,
    opts: WriterOptions,
    inputs: Vec<Input<'static>>,
    fired: &Fired,
) -> LakeWriter {
    let rt = rt();
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let mut w = LakeWriter::new(lake, rt.handle().clone(), opts);
    let t = seclake_registry::find("AWS.VPCFlow").unwrap();
    let n = inputs.len();
    ingest(
        inputs,
        acks(n, lake_dir, fired),
        &[t],
        &Options::default(),
        Settings::new(2, Output::Batches),
        &mut w,
        &mut Quiet,
    )
    .unwrap();
    // The runtime must outlive the writer's encoders: leak it for the test.
    std::mem::forget(rt);
    w
}

#[test]
fn an_input_is_acknowledged_only_once_its_rows_and_rejects_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let fired: Fired = Arc::default();
    let mut text = flows(1000, 1);
    text.push_str("not a flow record\n");
    let w = run(
        dir.path(),
        WriterOptions::default(),
        vec![input("a.log", text)],
        &fired,
    );
    assert!(
        fired.lock().unwrap().is_empty(),
        "acknowledged while its rows were only in memory"
    );
    w.finish().unwrap();
    let fired = fired.lock().unwrap();
    assert_eq!(fired.len(), 1);
    let (i, res, files) = &fired[0];
    assert_eq!((*i, res.clone()), (0, Ok(())));
    // The rows' file and the reject's file were both there when it fired.
    assert_eq!(*files, 2, "files present when the ack fired");
}

#[test]
fn an_idle_partition_is_written_and_acknowledged_by_the_timer() {
    let dir = tempfile::tempdir().unwrap();
    let fired: Fired = Arc::default();
    let opts = WriterOptions {
        max_age: Duration::from_millis(50),
        commit_interval: Duration::from_millis(50),
        ..WriterOptions::default()
    };
    let mut w = run(dir.path(), opts, vec![input("a.log", flows(10, 1))], &fired);
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..50 {
        w.tick().unwrap();
        if !fired.lock().unwrap().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(fired.lock().unwrap().len(), 1, "the timer did not flush");
    assert_eq!(fired.lock().unwrap()[0].1, Ok(()));
    drop(w);
}

#[test]
fn a_failed_write_is_never_acknowledged_as_written() {
    let dir = tempfile::tempdir().unwrap();
    // The table's directory is a file: every write under it fails.
    std::fs::write(dir.path().join("aws_vpcflow"), b"in the way").unwrap();
    let fired: Fired = Arc::default();
    let opts = WriterOptions {
        write_attempts: 2,
        first_backoff: Duration::from_millis(1),
        ..WriterOptions::default()
    };
    let w = run(dir.path(), opts, vec![input("a.log", flows(10, 1))], &fired);
    assert!(w.finish().is_err(), "finish reports the failed write");
    let fired = fired.lock().unwrap();
    assert_eq!(fired.len(), 1);
    assert!(fired[0].1.is_err(), "{:?}", fired[0].1);
}

/// Rows spread over thousands of hours cost files, not memory: at most
/// `max_open_partitions` are open at once, every row lands. (`seclake
/// bench --mode ingest --log-type AWS.VPCFlow.hours` measures the memory.)
#[test]
fn thousands_of_hours_stay_within_the_open_partition_cap() {
    let dir = tempfile::tempdir().unwrap();
    let fired: Fired = Arc::default();
    let opts = WriterOptions {
        max_open_partitions: 64,
        ..WriterOptions::default()
    };
    let w = run(
        dir.path(),
        opts,
        vec![input("a.log", flows(2_000, 3600))],
        &fired,
    );
    let stats = w.finish().unwrap();
    assert_eq!(stats.tables["aws_vpcflow"].rows, 2_000);
    assert_eq!(parquet_files(dir.path()), 2_000);
    assert_eq!(fired.lock().unwrap()[0].1, Ok(()));
}

/// Files larger than half the memory budget: each of the two encoders may
/// hold one (the writer waits only past that), and every row still lands
/// and is acknowledged once.
#[test]
fn files_larger_than_half_the_budget_are_encoded_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let fired: Fired = Arc::default();
    let opts = WriterOptions {
        threads: 2,
        memory_budget: 256 << 10,
        target_file_bytes: 192 << 10,
        ..WriterOptions::default()
    };
    let w = run(
        dir.path(),
        opts,
        vec![input("a.log", flows(20_000, 1))],
        &fired,
    );
    let stats = w.finish().unwrap();
    assert_eq!(stats.tables["aws_vpcflow"].rows, 20_000);
    assert!(
        parquet_files(dir.path()) > 2,
        "the budget forced several files"
    );
    let fired = fired.lock().unwrap();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].1, Ok(()));
}
