//! The lake writer: Arrow batches in, one Parquet file per (table, event
//! hour) partition flush out, and each input acknowledged once all of its
//! rows and rejects are durable (the rule is written out beside the
//! pipeline, `seclake_engine::ack`).
//!
//! A partition is flushed when it holds `target_file_bytes`, when it is
//! older than `max_age` (checked by [`LakeWriter::tick`], which the
//! pipeline calls every second even when nothing arrives), when all
//! partitions together pass `memory_budget` (the largest goes), when more
//! than `max_open_partitions` are open (the least recently used goes: rows
//! spread over thousands of hours cost files, not memory), and at
//! [`LakeWriter::finish`]. Memory is the Arrow buffers themselves, counted
//! exactly; rows handed to the encoders count too (at most half the budget
//! is in flight, or one file per encoder when files are larger: the
//! writer waits for a file before handing over more).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{RecordBatch, UInt32Array};
use seclake_core::row::RowBuf;
use seclake_core::standard::RowIdHasher;
use seclake_core::{StandardFields, Timestamp};
use seclake_engine::ack::{Ack, AckError};
use seclake_engine::batch::TableBatch;
use seclake_engine::Reject;
use tokio::runtime::Handle;

use crate::delta::{Committer, NewFile};
use crate::encode::{Done, EncodeOptions, EncoderPool, Job};
use crate::layout::{file_name, new_writer_id, partition_dir, MICROS_PER_HOUR};
use crate::rejects;
use crate::store::{Lake, LakeError};

#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Flush a partition at this many bytes of Arrow buffers.
    pub target_file_bytes: usize,
    /// Flush the largest partition when all hold more than this.
    pub memory_budget: usize,
    /// Flush the least recently used partition past this many.
    pub max_open_partitions: usize,
    /// Flush partitions older than this.
    pub max_age: Duration,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    pub zstd_level: i32,
    /// Encoder threads; 0 encodes on the thread that gives the rows.
    pub threads: usize,
    /// Attempts at writing a file, and the first wait between attempts.
    pub write_attempts: u32,
    pub first_backoff: Duration,
    /// Files written are committed to their table's log at least this
    /// often (and at the end); inputs are acknowledged after the commit.
    pub commit_interval: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            target_file_bytes: 32 << 20,
            memory_budget: 64 << 20,
            max_open_partitions: 256,
            max_age: Duration::from_secs(60),
            row_group_rows: 128 * 1024,
            zstd_level: 1,
            threads: 2,
            write_attempts: 6,
            first_backoff: Duration::from_millis(100),
            commit_interval: Duration::from_secs(1),
        }
    }
}

impl WriterOptions {
    /// The defaults for a run of `threads` parse threads: as many encoder
    /// threads, or none (encoding on the parse thread) for one.
    pub fn for_threads(threads: usize) -> Self {
        WriterOptions {
            threads: if threads <= 1 { 0 } else { threads },
            ..WriterOptions::default()
        }
    }
}

/// What a writer wrote, per table.
#[derive(Debug, Default, Clone)]
pub struct WriteStats {
    pub tables: BTreeMap<String, TableStats>,
}

#[derive(Debug, Default, Clone)]
pub struct TableStats {
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
}

/// Rows of one (table, hour) waiting to be written.
struct Partition {
    batches: Vec<RecordBatch>,
    bytes: usize,
    since: Instant,
    last_used: u64,
    /// Inputs with rows here.
    inputs: Vec<usize>,
}

/// A file being encoded and written.
struct InFlight {
    table: Arc<str>,
    hour: i64,
    /// Below the table root.
    path: String,
    /// Inputs with rows in it.
    inputs: Vec<usize>,
    /// Bytes of rows it holds (memory budget).
    bytes: usize,
    min_time: i64,
    max_time: i64,
    schema: arrow_schema::SchemaRef,
}

/// Files of one table written and not yet committed.
struct Uncommitted {
    files: Vec<(NewFile, Vec<usize>)>,
    schema: arrow_schema::SchemaRef,
    since: Instant,
}

/// An input between its first row and its acknowledgement.
struct InputState {
    ack: Option<Ack>,
    /// `input_done` came: no more rows will.
    ended: bool,
    /// Partitions and files in flight holding its rows.
    pending: usize,
    failure: Option<String>,
}

pub struct LakeWriter {
    lake: Lake,
    opts: WriterOptions,
    writer_id: u64,
    seq: u64,
    clock: u64,
    partitions: HashMap<(Arc<str>, i64), Partition>,
    buffered: usize,
    inputs: HashMap<usize, InputState>,
    /// Files being written.
    in_flight: HashMap<u64, InFlight>,
    in_flight_bytes: usize,
    encoders: EncoderPool,
    /// Files written, per table, waiting for their commit.
    uncommitted: HashMap<Arc<str>, Uncommitted>,
    committer: Committer,
    rt: Handle,
    stats: WriteStats,
    /// Rejects of the current input, written when it ends.
    rejects: Option<(usize, TableBatch)>,
    reject_buf: RowBuf,
}

impl LakeWriter {
    /// A writer into `lake`; object store calls run on `rt`.
    pub fn new(lake: Lake, rt: Handle, opts: WriterOptions) -> Self {
        let encode = EncodeOptions {
            row_group_rows: opts.row_group_rows,
            zstd_level: opts.zstd_level,
            attempts: opts.write_attempts.max(1),
            first_backoff: opts.first_backoff,
        };
        LakeWriter {
            encoders: EncoderPool::new(lake.clone(), rt.clone(), encode, opts.threads),
            uncommitted: HashMap::new(),
            committer: Committer::default(),
            rt,
            lake,
            opts,
            writer_id: new_writer_id(),
            seq: 0,
            clock: 0,
            partitions: HashMap::new(),
            buffered: 0,
            inputs: HashMap::new(),
            in_flight: HashMap::new(),
            in_flight_bytes: 0,
            stats: WriteStats::default(),
            rejects: None,
            reject_buf: RowBuf::default(),
        }
    }

    pub fn stats(&self) -> &WriteStats {
        &self.stats
    }

    /// Bytes of rows held in memory, not yet handed to an encoder.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Registers input `id`; `ack` fires once, when all its rows and
    /// rejects are written (or could not be).
    pub fn begin_input(&mut self, id: usize, ack: Ack) {
        self.inputs.insert(
            id,
            InputState {
                ack: Some(ack),
                ended: false,
                pending: 0,
                failure: None,
            },
        );
    }

    /// Rows of input `id` for `table`, split by event hour.
    pub fn write(&mut self, id: usize, table: &str, batch: RecordBatch) -> Result<(), LakeError> {
        let table: Arc<str> = table.into();
        // One hour's rows at a time: a batch spread over thousands of hours
        // is never copied whole.
        for (hour, rows) in rows_by_hour(&batch)? {
            let part = match rows {
                None => batch.clone(),
                Some(idx) => {
                    arrow_select::take::take_record_batch(&batch, &UInt32Array::from(idx))?
                }
            };
            self.append(id, &table, hour, part)?;
        }
        self.poll();
        Ok(())
    }

    /// A reject of input `id`: a row of the `_rejects` table.
    pub fn reject(&mut self, id: usize, r: &Reject<'_>) -> Result<(), LakeError> {
        let t = rejects::log_type();
        if self.rejects.as_ref().is_some_and(|(i, _)| *i != id) {
            self.flush_rejects()?;
        }
        let now = Timestamp::now();
        let raw = String::from_utf8_lossy(r.raw);
        let mut std = StandardFields {
            log_type: rejects::TABLE,
            row_id: [0; 32],
            parse_time: now,
            source_id: r.source_id,
            source_label: r.source_label,
        };
        RowIdHasher::new(r.source_id.unwrap_or(""), r.identity).row_id(
            r.offset,
            u32::MAX,
            &mut std.row_id,
        );
        let mut row = self.reject_buf.row(t.schema.columns.len());
        rejects::fill(&mut row, r, &raw);
        row.collect_indicators(&t.schema);
        let (_, batch) = self
            .rejects
            .get_or_insert_with(|| (id, TableBatch::new(&t.schema)));
        batch.append(&row, &std, now);
        self.reject_buf.recycle(row);
        if batch.rows() >= 4096 {
            self.flush_rejects()?;
        }
        Ok(())
    }

    fn flush_rejects(&mut self) -> Result<(), LakeError> {
        if let Some((id, mut b)) = self.rejects.take() {
            let batch = b.finish()?;
            self.write(id, rejects::TABLE, batch)?;
        }
        Ok(())
    }

    /// Every row and reject of input `id` has been given; it is
    /// acknowledged as soon as they are durable (maybe now).
    pub fn end_input(&mut self, id: usize) -> Result<(), LakeError> {
        self.flush_rejects()?;
        if let Some(s) = self.inputs.get_mut(&id) {
            s.ended = true;
        }
        self.settle(id);
        Ok(())
    }

    /// Input `id` failed before its end (could not be read): it is not
    /// acknowledged as written.
    pub fn fail_input(&mut self, id: usize, why: String) {
        if let Some(s) = self.inputs.get_mut(&id) {
            s.failure.get_or_insert(why);
            s.ended = true;
        }
        self.settle(id);
    }

    /// Flushes partitions older than `max_age` and takes in finished
    /// files. Call it regularly.
    pub fn tick(&mut self) -> Result<(), LakeError> {
        let max_age = self.opts.max_age;
        let old: Vec<_> = self
            .partitions
            .iter()
            .filter(|(_, p)| p.since.elapsed() >= max_age)
            .map(|(k, _)| k.clone())
            .collect();
        for k in old {
            self.flush(&k)?;
        }
        self.poll();
        self.commit_due(false);
        Ok(())
    }

    /// Writes everything, waits for every file and fires every
    /// acknowledgement; returns what was written, or the first failure.
    pub fn finish(mut self) -> Result<WriteStats, LakeError> {
        self.flush_rejects()?;
        let keys: Vec<_> = self.partitions.keys().cloned().collect();
        for k in keys {
            self.flush(&k)?;
        }
        let mut failure = None;
        while !self.in_flight.is_empty() {
            let Some(done) = self.encoders.wait() else {
                break;
            };
            if let Err(e) = &done.result {
                failure.get_or_insert_with(|| e.clone());
            }
            self.complete(done);
        }
        if let Some(e) = self.commit_due(true) {
            failure.get_or_insert(e);
        }
        let ids: Vec<usize> = self.inputs.keys().copied().collect();
        for id in ids {
            self.settle(id);
        }
        match failure {
            Some(e) => Err(LakeError::Io(std::io::Error::other(e))),
            None => Ok(std::mem::take(&mut self.stats)),
        }
    }

    fn append(
        &mut self,
        id: usize,
        table: &Arc<str>,
        hour: i64,
        batch: RecordBatch,
    ) -> Result<(), LakeError> {
        let key = (table.clone(), hour);
        if !self.partitions.contains_key(&key)
            && self.partitions.len() >= self.opts.max_open_partitions
        {
            let lru = self
                .partitions
                .iter()
                .min_by_key(|(_, p)| p.last_used)
                .map(|(k, _)| k.clone());
            if let Some(lru) = lru {
                self.flush(&lru)?;
            }
        }
        self.clock += 1;
        let bytes = batch.get_array_memory_size();
        let p = self
            .partitions
            .entry(key.clone())
            .or_insert_with(|| Partition {
                batches: Vec::new(),
                bytes: 0,
                since: Instant::now(),
                last_used: 0,
                inputs: Vec::new(),
            });
        p.batches.push(batch);
        p.bytes += bytes;
        p.last_used = self.clock;
        if !p.inputs.contains(&id) {
            p.inputs.push(id);
            if let Some(s) = self.inputs.get_mut(&id) {
                s.pending += 1;
            }
        }
        self.buffered += bytes;
        if p.bytes >= self.opts.target_file_bytes {
            self.flush(&key)?;
        }
        while self.buffered > self.opts.memory_budget {
            let largest = self
                .partitions
                .iter()
                .max_by_key(|(_, p)| p.bytes)
                .map(|(k, _)| k.clone());
            match largest {
                Some(k) => self.flush(&k)?,
                None => break,
            }
        }
        Ok(())
    }

    /// Hands a partition's rows to an encoder.
    fn flush(&mut self, key: &(Arc<str>, i64)) -> Result<(), LakeError> {
        let Some(p) = self.partitions.remove(key) else {
            return Ok(());
        };
        self.buffered -= p.bytes;
        // Rows being encoded count against the budget too: past half of it,
        // wait for a file to be written before handing over another. Every
        // encoder may hold a file whatever its size, though: a partition
        // flushed at `target_file_bytes` alone fills half the default
        // budget, and one file at a time left the other cores idle.
        while self.in_flight.len() >= self.opts.threads.max(1)
            && self.in_flight_bytes + p.bytes > self.opts.memory_budget / 2
        {
            match self.encoders.wait() {
                Some(done) => self.complete(done),
                None => break,
            }
        }
        self.seq += 1;
        let name = file_name(self.writer_id, self.seq, Timestamp::now());
        let rel = format!("{}/{name}", partition_dir(key.1));
        let path = self.lake.path(&format!("{}/{rel}", key.0));
        let (min_time, max_time) = time_range(&p.batches);
        let schema = p.batches[0].schema();
        self.in_flight.insert(
            self.seq,
            InFlight {
                table: key.0.clone(),
                hour: key.1,
                path: rel,
                inputs: p.inputs,
                bytes: p.bytes,
                min_time,
                max_time,
                schema,
            },
        );
        self.in_flight_bytes += p.bytes;
        self.encoders.submit(Job {
            id: self.seq,
            path,
            batches: p.batches,
        })
    }

    /// Takes in the files finished so far.
    fn poll(&mut self) {
        let done: Vec<Done> = self.encoders.done().collect();
        for d in done {
            self.complete(d);
        }
        self.commit_due(false);
    }

    /// A file is written: it waits for its table's next commit. A file
    /// that could not be written fails its inputs.
    fn complete(&mut self, done: Done) {
        let Some(f) = self.in_flight.remove(&done.id) else {
            return;
        };
        self.in_flight_bytes -= f.bytes;
        match done.result {
            Ok((rows, size)) => {
                let u = self
                    .uncommitted
                    .entry(f.table.clone())
                    .or_insert_with(|| Uncommitted {
                        files: Vec::new(),
                        schema: f.schema.clone(),
                        since: Instant::now(),
                    });
                let file = NewFile {
                    path: f.path,
                    hour: f.hour,
                    size,
                    rows,
                    min_time: f.min_time,
                    max_time: f.max_time,
                };
                u.files.push((file, f.inputs));
                if u.files.len() >= MAX_FILES_PER_COMMIT {
                    let table = f.table.clone();
                    self.commit(&table);
                }
            }
            Err(e) => {
                tracing::error!("{e}");
                self.release(&f.inputs, Some(&e));
            }
        }
    }

    /// Commits the tables whose files have waited `commit_interval` (all
    /// of them when `all`); returns the first failure.
    fn commit_due(&mut self, all: bool) -> Option<String> {
        let due: Vec<Arc<str>> = self
            .uncommitted
            .iter()
            .filter(|(_, u)| all || u.since.elapsed() >= self.opts.commit_interval)
            .map(|(t, _)| t.clone())
            .collect();
        let mut failure = None;
        for t in due {
            if let Some(e) = self.commit(&t) {
                failure.get_or_insert(e);
            }
        }
        failure
    }

    /// One transaction for the table's written files; then their inputs
    /// are released (acknowledged when nothing else of them is pending).
    fn commit(&mut self, table: &Arc<str>) -> Option<String> {
        let u = self.uncommitted.remove(table)?;
        let files: Vec<NewFile> = u.files.iter().map(|(f, _)| f.clone()).collect();
        let result = self
            .rt
            .block_on(self.committer.append(&self.lake, table, &u.schema, &files));
        let error = match result {
            Ok(_) => {
                let s = self.stats.tables.entry(table.to_string()).or_default();
                for f in &files {
                    s.rows += f.rows;
                    s.files += 1;
                    s.bytes += f.size;
                }
                None
            }
            Err(e) => {
                let e = format!("{}: commit to the table log failed: {e}", table);
                tracing::error!("{e}");
                Some(e)
            }
        };
        for (_, inputs) in &u.files {
            self.release(inputs, error.as_ref());
        }
        error
    }

    /// One file of each of `inputs` is done with (committed, or failed).
    fn release(&mut self, inputs: &[usize], error: Option<&String>) {
        for &id in inputs {
            if let Some(s) = self.inputs.get_mut(&id) {
                s.pending = s.pending.saturating_sub(1);
                if let Some(e) = error {
                    s.failure.get_or_insert_with(|| e.clone());
                }
            }
            self.settle(id);
        }
    }

    /// Fires an input's acknowledgement once it has ended and nothing of
    /// it is left in memory or in flight.
    fn settle(&mut self, id: usize) {
        let ready = self
            .inputs
            .get(&id)
            .is_some_and(|s| s.ended && s.pending == 0);
        if !ready {
            return;
        }
        if let Some(mut s) = self.inputs.remove(&id) {
            if let Some(ack) = s.ack.take() {
                ack(match s.failure {
                    Some(e) => Err(AckError(e)),
                    None => Ok(()),
                });
            }
        }
    }
}

/// A commit holds at most this many files (a log entry stays small).
const MAX_FILES_PER_COMMIT: usize = 256;

/// The least and greatest `p_event_time` of some batches, microseconds.
fn time_range(batches: &[RecordBatch]) -> (i64, i64) {
    let mut range = (i64::MAX, i64::MIN);
    for b in batches {
        let Ok(i) = b.schema().index_of("p_event_time") else {
            continue;
        };
        for &t in b
            .column(i)
            .as_primitive::<TimestampMicrosecondType>()
            .values()
        {
            range = (range.0.min(t), range.1.max(t));
        }
    }
    range
}

/// An hour since the epoch and its rows (`None`: all of the batch).
pub type HourRows = (i64, Option<Vec<u32>>);

/// The rows of a batch by the hour of `p_event_time`, hours in order:
/// `None` when all rows share one hour (the common case: no copy), else
/// the row indexes of each hour.
pub fn rows_by_hour(batch: &RecordBatch) -> Result<Vec<HourRows>, LakeError> {
    if batch.num_rows() == 0 {
        return Ok(Vec::new());
    }
    let col = batch.column(batch.schema().index_of("p_event_time")?);
    let times = col.as_primitive::<TimestampMicrosecondType>();
    let hour = |t: &i64| t.div_euclid(MICROS_PER_HOUR);
    let first = hour(&times.values()[0]);
    if times.values().iter().all(|t| hour(t) == first) {
        return Ok(vec![(first, None)]);
    }
    let mut groups: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
    for (i, t) in times.values().iter().enumerate() {
        groups.entry(hour(t)).or_default().push(i as u32);
    }
    Ok(groups.into_iter().map(|(h, idx)| (h, Some(idx))).collect())
}
