//! Parquet encoding and upload off the collecting thread: a pool of
//! encoder threads turns a partition's batches into one zstd Parquet file
//! and writes it to the lake, retrying failed writes with exponential
//! backoff. The writer learns of each file's fate through
//! [`EncoderPool::done`].

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use arrow_array::{Array, Int32Array, Int64Array, ListArray, RecordBatch, StringArray};
use arrow_schema::DataType;
use object_store::path::Path;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use tokio::runtime::Handle;

use crate::store::{Lake, LakeError};

/// One file to write.
pub struct Job {
    pub id: u64,
    pub path: Path,
    pub batches: Vec<RecordBatch>,
}

/// What became of a job: the rows and bytes written, or why not.
pub struct Done {
    pub id: u64,
    pub result: Result<(u64, u64), String>,
}

#[derive(Clone, Copy, Debug)]
pub struct EncodeOptions {
    pub row_group_rows: usize,
    pub zstd_level: i32,
    /// Attempts at writing a file before its inputs are failed.
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time after.
    pub first_backoff: Duration,
}

pub struct EncoderPool {
    jobs: Option<SyncSender<Job>>,
    done: Receiver<Done>,
    threads: Vec<JoinHandle<()>>,
    /// With no encoder threads, jobs run on the calling thread.
    inline: Option<(Lake, Handle, EncodeOptions, Sender<Done>)>,
}

impl EncoderPool {
    /// `threads` encoder threads; 0 encodes on the calling thread (a run
    /// limited to one thread uses one).
    pub fn new(lake: Lake, rt: Handle, opts: EncodeOptions, threads: usize) -> Self {
        let (done_tx, done) = channel();
        if threads == 0 {
            return EncoderPool {
                jobs: None,
                done,
                threads: Vec::new(),
                inline: Some((lake, rt, opts, done_tx)),
            };
        }
        // A full queue makes the writer wait: memory stays bounded when
        // encoding is slower than parsing.
        let (jobs_tx, jobs_rx) = sync_channel::<Job>(threads);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let threads = (0..threads)
            .map(|i| {
                let (lake, rt, rx, tx) =
                    (lake.clone(), rt.clone(), jobs_rx.clone(), done_tx.clone());
                std::thread::Builder::new()
                    .name(format!("seclake-encode-{i}"))
                    .spawn(move || encoder(lake, rt, opts, rx, tx))
                    .expect("spawning an encoder thread")
            })
            .collect();
        EncoderPool {
            jobs: Some(jobs_tx),
            done,
            threads,
            inline: None,
        }
    }

    /// Queues a job, waiting while the queue is full (or runs it, inline).
    pub fn submit(&self, job: Job) -> Result<(), LakeError> {
        if let Some((lake, rt, opts, done)) = &self.inline {
            let _ = done.send(run_job(lake, rt, opts, job));
            return Ok(());
        }
        self.jobs
            .as_ref()
            .and_then(|j| j.send(job).ok())
            .ok_or_else(|| LakeError::Io(std::io::Error::other("the encoder threads stopped")))
    }

    /// Results that arrived, without waiting.
    pub fn done(&self) -> impl Iterator<Item = Done> + '_ {
        self.done.try_iter()
    }

    /// Waits for the next result.
    pub fn wait(&self) -> Option<Done> {
        self.done.recv().ok()
    }
}

impl Drop for EncoderPool {
    fn drop(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn encoder(
    lake: Lake,
    rt: Handle,
    opts: EncodeOptions,
    jobs: Arc<Mutex<Receiver<Job>>>,
    done: Sender<Done>,
) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        if done.send(run_job(&lake, &rt, &opts, job)).is_err() {
            return;
        }
    }
}

fn run_job(lake: &Lake, rt: &Handle, opts: &EncodeOptions, job: Job) -> Done {
    let result = encode(&job.batches, opts).and_then(|(bytes, rows)| {
        let size = bytes.len() as u64;
        put_with_retries(lake, rt, &job.path, bytes, opts).map(|()| (rows, size))
    });
    Done {
        id: job.id,
        result: result.map_err(|e| format!("{}: {e}", job.path)),
    }
}

/// Whether a column's first values are mostly distinct (session ids,
/// URLs, byte counters, random ports): a dictionary would be built for
/// each value, then dropped once it outgrew its page, at the cost of
/// interning them all. Columns that repeat (protocols, well-known ports,
/// the account ids in `p_any_aws_account_ids`) keep their dictionary: a
/// page of indexes is a fraction of the plain values, and zstd has that
/// much less to compress.
fn mostly_distinct(column: &dyn Array) -> bool {
    if let Some(strings) = column.as_any().downcast_ref::<StringArray>() {
        return distinct_in_sample(strings.iter());
    }
    if let Some(ints) = column.as_any().downcast_ref::<Int32Array>() {
        return distinct_in_sample(ints.iter());
    }
    if let Some(ints) = column.as_any().downcast_ref::<Int64Array>() {
        return distinct_in_sample(ints.iter());
    }
    // A list's items (the `p_any_*` indicators) decide for the list.
    if let Some(list) = column.as_any().downcast_ref::<ListArray>() {
        return mostly_distinct(list.values().as_ref());
    }
    false
}

/// Whether most of the first non-null values differ.
fn distinct_in_sample<T: std::hash::Hash + Eq>(values: impl Iterator<Item = Option<T>>) -> bool {
    const SAMPLE: usize = 1024;
    let mut seen = std::collections::HashSet::with_capacity(SAMPLE);
    let mut n = 0;
    for v in values.flatten().take(SAMPLE) {
        seen.insert(v);
        n += 1;
    }
    // Too few values to tell: keep the default.
    n >= SAMPLE / 4 && seen.len() * 2 > n
}

/// Encodes batches of one schema as one Parquet file.
pub fn encode(batches: &[RecordBatch], opts: &EncodeOptions) -> Result<(Vec<u8>, u64), LakeError> {
    let Some(first) = batches.first() else {
        return Ok((Vec::new(), 0));
    };
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(opts.zstd_level)?))
        .set_max_row_group_row_count(Some(opts.row_group_rows))
        .set_created_by(format!("seclake {}", env!("CARGO_PKG_VERSION")));
    // Dictionaries pay for repeated values (actions, regions, addresses,
    // protocols), not for values that are nearly all distinct: row ids,
    // times, counters. Building a dictionary and dropping it was a fifth
    // of ingest time.
    for (i, field) in first.schema().fields().iter().enumerate() {
        let scattered = mostly_distinct(first.column(i));
        let distinct = field.name() == "p_row_id"
            || matches!(
                field.data_type(),
                DataType::Float64 | DataType::Float32 | DataType::Timestamp(..)
            )
            || scattered;
        if scattered && field.data_type() == &DataType::Utf8 {
            // Minimum and maximum of scattered strings (session ids,
            // messages) span nearly everything, so they prune nothing,
            // and cost two comparisons a value.
            let path = ColumnPath::from(field.name().as_str());
            props = props.set_column_statistics_enabled(path, EnabledStatistics::None);
        }
        // A list's values live at `name.list.item` in Parquet.
        let path = match field.data_type() {
            DataType::List(_) => ColumnPath::from(vec![
                field.name().to_string(),
                "list".to_string(),
                "item".to_string(),
            ]),
            _ => ColumnPath::from(field.name().as_str()),
        };
        if field.name().starts_with("p_any_") {
            // Engines do not prune on the minimum and maximum of list
            // items (`contains(p_any_ip_addresses, ...)`), and computing
            // them costs two comparisons an item.
            props = props.set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
        }
        if matches!(field.data_type(), DataType::Timestamp(..)) {
            // Times of one file lie close together (an hour's partition,
            // one parse time): as differences they take a few bytes, not
            // eight, and what zstd has to compress halves. Counters and
            // ports are left plain: their differences are as random as
            // they are, and compress worse.
            props = props.set_column_encoding(path.clone(), Encoding::DELTA_BINARY_PACKED);
        }
        if field.name() == "p_row_id" {
            // Row ids of one input share their first 20 hex digits (the
            // input's hash, the high bits of the offset): stored as the
            // length shared with the previous id and the rest, 36 bytes a
            // row become about 7 before compression.
            props = props.set_column_encoding(path.clone(), Encoding::DELTA_BYTE_ARRAY);
        }
        // A column with no value in the file (most of a wide schema's
        // optional columns): compressing its few bytes of levels saves
        // nothing and costs a compressor and decompressor a column.
        let empty = batches
            .iter()
            .all(|b| b.column(i).null_count() == b.num_rows());
        if empty {
            props = props.set_column_compression(path.clone(), Compression::UNCOMPRESSED);
        }
        if distinct || empty {
            props = props.set_column_dictionary_enabled(path, false);
        }
    }
    // Row-group statistics prune queries (time ranges, equality on ids);
    // per-page ones cost a comparison per value for little more. Row ids
    // are never ranged over.
    props = props
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_column_statistics_enabled(ColumnPath::from("p_row_id"), EnabledStatistics::None);
    let props = props.build();
    let mut w = ArrowWriter::try_new(Vec::new(), first.schema(), Some(props))?;
    let mut rows = 0;
    for b in batches {
        w.write(b)?;
        rows += b.num_rows() as u64;
    }
    Ok((w.into_inner()?, rows))
}

fn put_with_retries(
    lake: &Lake,
    rt: &Handle,
    path: &Path,
    bytes: Vec<u8>,
    opts: &EncodeOptions,
) -> Result<(), LakeError> {
    let payload = bytes::Bytes::from(bytes);
    let mut wait = opts.first_backoff;
    let mut attempt = 1;
    loop {
        let store = Arc::clone(&lake.store);
        let (p, data) = (path.clone(), payload.clone());
        let res = rt.block_on(async move {
            use object_store::ObjectStoreExt;
            store.put(&p, data.into()).await
        });
        match res {
            Ok(_) => return Ok(()),
            Err(e) if attempt >= opts.attempts => return Err(e.into()),
            Err(e) => {
                tracing::warn!(
                    "writing {path} failed (attempt {attempt}), retrying in {wait:?}: {e}"
                );
                std::thread::sleep(wait);
                wait *= 2;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mostly_distinct_strings_go_without_a_dictionary() {
        let ids: StringArray = (0..2000).map(|i| Some(format!("id-{i}"))).collect();
        assert!(mostly_distinct(&ids));
        let few: StringArray = (0..2000).map(|i| Some(format!("r{}", i % 7))).collect();
        assert!(!mostly_distinct(&few));
        let short: StringArray = (0..10).map(|i| Some(format!("id-{i}"))).collect();
        assert!(!mostly_distinct(&short));
        let ports: Int32Array = (0..2000).map(|i| Some(1024 + i * 7)).collect();
        assert!(mostly_distinct(&ports));
        let protocols: Int32Array = (0..2000).map(|i| Some([6, 17, 1][i % 3])).collect();
        assert!(!mostly_distinct(&protocols));
    }
}
