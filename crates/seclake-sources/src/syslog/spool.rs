//! The write-ahead spool of a syslog source (`spool = "/var/lib/..."`):
//! every received message is appended to a segment file before it is
//! queued for the lake, so that what a crash interrupts is replayed on
//! restart instead of lost.
//!
//! - Segments are numbered files (`00000000000000000007.spool`) of batch
//!   lines (`<peer> <message>\n`, the same bytes the lake takes). A new
//!   one starts at each start and after 64 MiB.
//! - The writer hands its file what it has as soon as no more messages
//!   are waiting, and syncs it to disk every `spool_sync` (100 ms by
//!   default). A kill of the process loses nothing handed over; a crash
//!   of the machine loses at most what arrived within the sync interval.
//! - `committed` holds the position (segment, offset) up to which the
//!   lake has everything; it is rewritten (write, sync, rename) after each
//!   commit, and older segments are then deleted.
//! - On start, everything after that position is replayed first, in
//!   batches that start where the original batches started (the
//!   committed position), so rows replayed after a crash between a commit
//!   and its position being saved get the same row ids as before, and
//!   `seclake compact` removes the copies. A line cut by the crash (no
//!   newline) is replayed as it is: a short message or a reject, not lost.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::queue::Block;
use super::SyslogStats;

/// A new segment after this many bytes.
const SEGMENT_BYTES: u64 = 64 << 20;

/// Replayed batches hold at most this many bytes.
const REPLAY_BATCH: usize = 16 << 20;

/// Where a block of lines is in the spool: its segment, and its byte
/// range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub segment: u64,
    pub start: u64,
    pub end: u64,
}

/// What a previous run left in the spool, to replay before anything new.
pub struct Recovered {
    /// (segment, start offset, lines), in order.
    pub batches: Vec<(u64, u64, Vec<u8>)>,
    /// The segment the writer starts.
    pub next_segment: u64,
}

fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:020}.spool"))
}

/// The spool's segments, in order.
fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out: Vec<u64> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".spool")?.parse().ok()
        })
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// The committed position: (segment, offset), or the start.
fn committed(dir: &Path) -> io::Result<(u64, u64)> {
    let text = match fs::read_to_string(dir.join("committed")) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e),
    };
    let mut parts = text.split_whitespace().map(str::parse::<u64>);
    match (parts.next(), parts.next()) {
        (Some(Ok(s)), Some(Ok(o))) => Ok((s, o)),
        _ => Err(io::Error::other(format!(
            "{}: not `segment offset`",
            dir.join("committed").display()
        ))),
    }
}

/// Opens (creating) the spool directory and reads what is to be replayed.
pub fn recover(dir: &Path) -> io::Result<Recovered> {
    fs::create_dir_all(dir)?;
    let (seg, off) = committed(dir)?;
    let mut batches = Vec::new();
    let all = segments(dir)?;
    for &n in all.iter().filter(|n| **n >= seg) {
        let bytes = fs::read(segment_path(dir, n))?;
        let mut start = if n == seg { off as usize } else { 0 };
        while start < bytes.len() {
            let mut end = (start + REPLAY_BATCH).min(bytes.len());
            if end < bytes.len() {
                // Up to the last whole line; a line longer than a batch
                // goes whole.
                end = match memchr::memrchr(b'\n', &bytes[start..end]) {
                    Some(i) => start + i + 1,
                    None => {
                        memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |i| end + i + 1)
                    }
                };
            }
            let mut lines = bytes[start..end].to_vec();
            if lines.last() != Some(&b'\n') {
                lines.push(b'\n');
            }
            batches.push((n, start as u64, lines));
            start = end;
        }
    }
    Ok(Recovered {
        batches,
        next_segment: all.last().map_or(seg, |n| *n.max(&seg)) + 1,
    })
}

/// Saves that the lake has everything before `segment`/`offset`, then
/// deletes the segments before it.
pub fn commit(dir: &Path, segment: u64, offset: u64) -> io::Result<()> {
    let tmp = dir.join("committed.tmp");
    let mut f = File::create(&tmp)?;
    writeln!(f, "{segment} {offset}")?;
    f.sync_all()?;
    fs::rename(&tmp, dir.join("committed"))?;
    File::open(dir)?.sync_all()?;
    for n in segments(dir)? {
        if n < segment {
            fs::remove_file(segment_path(dir, n))?;
        }
    }
    Ok(())
}

/// The writer: takes blocks of lines from `rx`, appends them to the
/// current segment, and passes them on to `tx` with their position. Runs until
/// every receiver is gone; a write error is kept in the stats and the
/// lines go on unspooled (in memory only) rather than stop the source.
pub fn write(
    dir: PathBuf,
    first_segment: u64,
    sync_every: Duration,
    rx: Receiver<Block>,
    tx: Sender<Block>,
    stats: Arc<SyslogStats>,
) {
    let mut seg = first_segment;
    let mut file = open_segment(&dir, seg, &stats);
    let mut size = 0u64;
    let mut dirty = false;
    let mut sync_due = Instant::now();
    let mut retry_at = Instant::now();
    loop {
        let wait = if dirty {
            sync_due.saturating_duration_since(Instant::now())
        } else {
            Duration::from_secs(1)
        };
        let first = match rx.recv_timeout(wait) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                finish(file.as_mut(), &stats);
                return;
            }
        };
        if let Some(first) = first {
            if !dirty {
                sync_due = Instant::now() + sync_every;
            }
            // What is waiting now goes in one write.
            for mut line in std::iter::once(first).chain(rx.try_iter().take(4096)) {
                if let Some(f) = file.as_mut() {
                    match f.write_all(&line.bytes) {
                        Ok(()) => {
                            let end = size + line.bytes.len() as u64;
                            line.at = Some(Position {
                                segment: seg,
                                start: size,
                                end,
                            });
                            size = end;
                            dirty = true;
                        }
                        Err(e) => failed(&stats, &e),
                    }
                }
                if tx.send(line).is_err() {
                    return;
                }
            }
            if let Some(Err(e)) = file.as_mut().map(|f| f.flush()) {
                failed(&stats, &e);
            }
        }
        if dirty && Instant::now() >= sync_due {
            finish(file.as_mut(), &stats);
            dirty = false;
        }
        // A segment that could not be opened is tried again now and then
        // (a full disk may have room again).
        let retry = file.is_none() && retry_at.elapsed() >= Duration::from_secs(5);
        if size >= SEGMENT_BYTES || retry {
            finish(file.as_mut(), &stats);
            seg += 1;
            size = 0;
            dirty = false;
            file = open_segment(&dir, seg, &stats);
            retry_at = Instant::now();
        }
    }
}

fn open_segment(dir: &Path, n: u64, stats: &SyslogStats) -> Option<BufWriter<File>> {
    match File::options()
        .create(true)
        .append(true)
        .open(segment_path(dir, n))
    {
        Ok(f) => Some(BufWriter::with_capacity(256 << 10, f)),
        Err(e) => {
            failed(stats, &e);
            None
        }
    }
}

fn finish(file: Option<&mut BufWriter<File>>, stats: &SyslogStats) {
    if let Some(f) = file {
        if let Err(e) = f.flush().and_then(|_| f.get_ref().sync_data()) {
            failed(stats, &e);
        }
    }
}

fn failed(stats: &SyslogStats, e: &io::Error) {
    stats.spool_errors.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut last) = stats.spool_error.lock() {
        *last = Some(e.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn spool_lines(dir: &Path, first: u64, lines: &[&str]) -> Vec<Position> {
        let (in_tx, in_rx) = channel();
        let (out_tx, out_rx) = channel();
        let stats = Arc::new(SyslogStats::default());
        let d = dir.to_path_buf();
        let writer = std::thread::spawn(move || {
            write(d, first, Duration::from_millis(10), in_rx, out_tx, stats)
        });
        for l in lines {
            let bytes = l.as_bytes().to_vec();
            in_tx
                .send(Block {
                    bytes,
                    messages: 1,
                    at: None,
                })
                .unwrap();
        }
        drop(in_tx);
        writer.join().unwrap();
        out_rx.iter().map(|l| l.at.unwrap()).collect()
    }

    #[test]
    fn what_was_not_committed_is_replayed_from_the_committed_position() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = recover(dir.path()).unwrap();
        assert!(fresh.batches.is_empty());
        assert_eq!(fresh.next_segment, 1);
        let at = spool_lines(dir.path(), 1, &["10.0.0.1 a\n", "10.0.0.1 b\n"]);
        assert_eq!(
            at[1],
            Position {
                segment: 1,
                start: 11,
                end: 22
            }
        );
        // A crash: nothing committed, both lines come back.
        let r = recover(dir.path()).unwrap();
        assert_eq!(r.batches, [(1, 0, b"10.0.0.1 a\n10.0.0.1 b\n".to_vec())]);
        assert_eq!(r.next_segment, 2);
        // The first line committed: the second comes back, from its offset.
        commit(dir.path(), 1, 11).unwrap();
        let r = recover(dir.path()).unwrap();
        assert_eq!(r.batches, [(1, 11, b"10.0.0.1 b\n".to_vec())]);
        // A later segment committed: the older one is deleted.
        let at = spool_lines(dir.path(), 2, &["10.0.0.2 c\n"]);
        commit(dir.path(), 2, at[0].end).unwrap();
        assert!(!segment_path(dir.path(), 1).exists());
        let r = recover(dir.path()).unwrap();
        assert!(r.batches.is_empty());
        assert_eq!(r.next_segment, 3);
    }

    #[test]
    fn a_line_cut_by_a_crash_is_replayed_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(segment_path(dir.path(), 4), b"10.0.0.1 whole\n10.0.0.1 cu").unwrap();
        let r = recover(dir.path()).unwrap();
        assert_eq!(
            r.batches,
            [(4, 0, b"10.0.0.1 whole\n10.0.0.1 cu\n".to_vec())]
        );
        assert_eq!(r.next_segment, 5);
        fs::write(dir.path().join("committed"), "x").unwrap();
        let e = recover(dir.path()).err().unwrap().to_string();
        assert!(e.contains("committed: not `segment offset`"), "{e}");
    }
}
