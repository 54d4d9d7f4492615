//! `type = "file"`: a directory of log files that grow and rotate. Each
//! poll, every file's new complete lines (up to its last newline) are an
//! input; a compressed file (gzip, zstd) is one input once its size has
//! stopped changing. Files are followed by device and inode, so a file
//! renamed by rotation (`app.log` → `app.log.1`) keeps its position and
//! its new namesake starts at 0; a file that shrank (copy-and-truncate
//! rotation) starts over. Positions are remembered in the lake
//! (`_seclake/sources/<id>/files`), advanced only when the range's
//! acknowledgement fired; a range read again after a crash gives the same
//! row ids (its identity names the file and where the range starts).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use seclake_lake::Lake;
use serde::{Deserialize, Serialize};

use crate::inputs::Input;
use crate::state::StateFile;

/// How far a file was ingested.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct Position {
    path: PathBuf,
    offset: u64,
    /// The size seen at the last poll (a compressed file is taken once it
    /// stops changing).
    last_size: u64,
    /// When this file was first met (or met truncated): part of its
    /// identity, so that a file on a reused inode never shares row ids
    /// with the one before it.
    since: u64,
}

pub struct FileTail {
    pub dir: PathBuf,
    file: StateFile,
    /// By `device:inode`.
    positions: BTreeMap<String, Position>,
}

/// What an input of a poll moves on to once acknowledged.
pub struct Advance {
    key: String,
    path: PathBuf,
    end: u64,
}

impl FileTail {
    pub async fn open(dir: &str, lake: &Lake, id: &str) -> Result<FileTail, String> {
        let file = StateFile::new(lake, id, "files");
        let positions = match file.load().await? {
            Some(t) => {
                serde_json::from_str(&t).map_err(|e| format!("{id}: file positions: {e}"))?
            }
            None => BTreeMap::new(),
        };
        Ok(FileTail {
            dir: PathBuf::from(dir),
            file,
            positions,
        })
    }

    /// The new data of every file, with what to record once acknowledged.
    pub fn poll(&mut self) -> Result<Vec<(Input, Advance)>, String> {
        let mut files = Vec::new();
        crate::inputs::walk(&self.dir, &mut files)
            .map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let mut out = Vec::new();
        let mut present = std::collections::HashSet::new();
        for f in files {
            let Input::File(path) = f else { continue };
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let key = format!("{}:{}", meta.dev(), meta.ino());
            present.insert(key.clone());
            let size = meta.len();
            let pos = self.positions.entry(key.clone()).or_default();
            pos.path = path.clone();
            if pos.since == 0 || size < pos.offset {
                // New, or truncated in place: a new file from its start.
                pos.since = now_nanos();
                pos.offset = 0;
            }
            let start = pos.offset;
            let since = pos.since;
            let grew = size != pos.last_size;
            pos.last_size = size;
            if size == start {
                continue;
            }
            let end = if is_compressed(&path) {
                // Whole, once it stopped changing.
                if start > 0 || grew {
                    continue;
                }
                size
            } else {
                match last_newline(&path, start, size) {
                    Some(end) => end,
                    None => continue,
                }
            };
            out.push((
                Input::FileRange {
                    identity: format!("file:{key}:{since}@{start}"),
                    path: path.clone(),
                    start,
                    len: end - start,
                },
                Advance {
                    key: key.clone(),
                    path,
                    end,
                },
            ));
        }
        // Files gone (rotated away and deleted) are forgotten.
        self.positions.retain(|k, _| present.contains(k));
        Ok(out)
    }

    /// Records an acknowledged range.
    pub fn advance(&mut self, a: &Advance) {
        let pos = self.positions.entry(a.key.clone()).or_default();
        pos.path = a.path.clone();
        pos.offset = pos.offset.max(a.end);
        if pos.since == 0 {
            pos.since = now_nanos();
        }
    }

    pub async fn save(&self) -> Result<(), String> {
        let text = serde_json::to_string(&self.positions).map_err(|e| e.to_string())?;
        self.file.save(text).await
    }
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        .max(1)
}

/// Whether the file starts with gzip or zstd magic.
fn is_compressed(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head[..n].starts_with(&[0x1f, 0x8b]) || head[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

/// The offset after the last newline in `[start, size)`, if any.
fn last_newline(path: &Path, start: u64, size: u64) -> Option<u64> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut end = size;
    let mut buf = vec![0u8; 64 << 10];
    while end > start {
        let from = end.saturating_sub(buf.len() as u64).max(start);
        let n = (end - from) as usize;
        f.seek(SeekFrom::Start(from)).ok()?;
        f.read_exact(&mut buf[..n]).ok()?;
        if let Some(i) = memchr_last(&buf[..n]) {
            return Some(from + i as u64 + 1);
        }
        end = from;
    }
    None
}

fn memchr_last(b: &[u8]) -> Option<usize> {
    b.iter().rposition(|&c| c == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read(i: &Input) -> String {
        let mut s = String::new();
        i.open(None).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[tokio::test]
    async fn growing_rotated_and_truncated_files() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        let lake = Lake::open(dir.path().join("lake").to_str().unwrap()).unwrap();
        let mut t = FileTail::open(logs.to_str().unwrap(), &lake, "app")
            .await
            .unwrap();
        let app = logs.join("app.log");
        std::fs::write(&app, "one\ntwo\nhalf").unwrap();
        let got = t.poll().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(read(&got[0].0), "one\ntwo\n", "complete lines only");
        t.advance(&got[0].1);
        t.save().await.unwrap();
        // Restarted: goes on where it stopped.
        let mut t = FileTail::open(logs.to_str().unwrap(), &lake, "app")
            .await
            .unwrap();
        assert!(t.poll().unwrap().is_empty());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&app)
            .unwrap()
            .write_all(b" line\nthree\n")
            .unwrap();
        let got = t.poll().unwrap();
        assert_eq!(read(&got[0].0), "half line\nthree\n");
        // Not acknowledged: the same range again, with the same identity.
        let again = t.poll().unwrap();
        assert_eq!(again[0].0.identity(), got[0].0.identity());
        t.advance(&got[0].1);
        // Rotation by rename: the old file keeps its place, the new one
        // starts at 0.
        std::fs::rename(&app, logs.join("app.log.1")).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(logs.join("app.log.1"))
            .unwrap()
            .write_all(b"four\n")
            .unwrap();
        std::fs::write(&app, "new\n").unwrap();
        let got = t.poll().unwrap();
        let texts: Vec<String> = got.iter().map(|(i, _)| read(i)).collect();
        assert_eq!(texts, ["new\n", "four\n"]);
        for (_, a) in &got {
            t.advance(a);
        }
        // Truncated in place: from the start, as another file.
        let before = got[1].0.identity();
        std::fs::write(logs.join("app.log.1"), "x\n").unwrap();
        let got = t.poll().unwrap();
        assert_eq!(read(&got[0].0), "x\n");
        assert_ne!(
            got[0].0.identity().split('@').next(),
            before.split('@').next()
        );
    }
}
