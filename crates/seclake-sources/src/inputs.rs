//! Expanding command-line inputs: files, directories (recursively, in name
//! order), glob patterns, `s3://bucket/prefix` (every object below it) and
//! `-` for standard input.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;

#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    File(PathBuf),
    Object {
        store: Arc<dyn ObjectStore>,
        path: ObjectPath,
        size: u64,
        uri: String,
        /// The object's version id, else its ETag: another upload under the
        /// same key is another input.
        version: Option<String>,
    },
    /// A byte range of a file (what a growing file gained), with an
    /// identity naming the file and where the range starts.
    FileRange {
        path: PathBuf,
        start: u64,
        len: u64,
        identity: String,
    },
    /// Bytes already in memory (an SQS message body), with a stable
    /// identity (a redelivered message gives the same row ids).
    Memory {
        name: String,
        identity: String,
        bytes: Arc<[u8]>,
    },
    /// Messages a network receiver took (syslog), one a line, each line
    /// `<peer address> <message>` (see `StreamName::peer_prefix`), in the
    /// blocks they were received in (read as one stream, never copied
    /// together).
    Received {
        name: String,
        identity: String,
        blocks: Arc<[Vec<u8>]>,
    },
}

impl Input {
    /// The input of an object met in a listing of `bucket`.
    pub fn listed(
        store: &Arc<dyn ObjectStore>,
        bucket: &str,
        m: object_store::ObjectMeta,
    ) -> Input {
        Input::Object {
            store: store.clone(),
            uri: format!("s3://{bucket}/{}", m.location),
            path: m.location,
            size: m.size,
            version: m.version.or(m.e_tag),
        }
    }

    /// The name used in messages and in the rejects' `file` column.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
            Input::Object { uri, .. } => uri.clone(),
            Input::Memory { name, .. } | Input::Received { name, .. } => name.clone(),
            Input::FileRange { path, start, .. } => format!("{}@{start}", path.display()),
        }
    }

    /// What row ids derive from (see `StreamName::identity`): the canonical
    /// absolute path of a file (`./a.log` and `a.log` are one input); the
    /// URI and version or ETag of an object; for standard input, which
    /// cannot be read twice, a fresh id each time, so that two different
    /// streams never share row ids.
    pub fn identity(&self) -> String {
        match self {
            Input::Stdin => format!("stdin:{:032x}", fresh_id()),
            Input::File(p) => match std::fs::canonicalize(p) {
                Ok(c) => format!("file:{}", c.display()),
                Err(_) => format!(
                    "file:{}",
                    std::path::absolute(p).unwrap_or(p.clone()).display()
                ),
            },
            Input::Object { uri, version, .. } => match version {
                Some(v) => format!("{uri}#{v}"),
                None => uri.clone(),
            },
            Input::Memory { identity, .. }
            | Input::FileRange { identity, .. }
            | Input::Received { identity, .. } => identity.clone(),
        }
    }

    /// Opens the input for reading (`rt` runs object store reads).
    pub fn open(
        &self,
        rt: Option<&tokio::runtime::Handle>,
    ) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        Ok(match self {
            Input::Stdin => Box::new(std::io::stdin()),
            Input::File(p) => Box::new(std::fs::File::open(p)?),
            Input::Memory { bytes, .. } => Box::new(std::io::Cursor::new(bytes.clone())),
            Input::Received { blocks, .. } => Box::new(Blocks {
                blocks: blocks.clone(),
                index: 0,
                at: 0,
            }),
            Input::FileRange {
                path, start, len, ..
            } => {
                use std::io::{Read, Seek};
                let mut f = std::fs::File::open(path)?;
                f.seek(std::io::SeekFrom::Start(*start))?;
                Box::new(f.take(*len))
            }
            Input::Object { store, path, .. } => {
                let rt = rt.ok_or_else(|| std::io::Error::other("object inputs need a runtime"))?;
                Box::new(seclake_lake::store::object_reader(
                    store.clone(),
                    path.clone(),
                    rt,
                ))
            }
        })
    }

    /// The input as the pipeline takes it: names, and how to open it on
    /// the reader thread (`rt` runs object store reads).
    pub fn to_pipeline(
        &self,
        rt: Option<tokio::runtime::Handle>,
    ) -> seclake_engine::pipeline::Input<'static> {
        let me = self.clone();
        seclake_engine::pipeline::Input {
            display: self.name(),
            identity: self.identity(),
            peer_prefix: matches!(self, Input::Received { .. }),
            open: Box::new(move || me.open(rt.as_ref())),
        }
    }

    /// Size in bytes, when known.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::Stdin => None,
            Input::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Input::Object { size, .. } => Some(*size),
            Input::Memory { bytes, .. } => Some(bytes.len() as u64),
            Input::Received { blocks, .. } => Some(blocks.iter().map(|b| b.len() as u64).sum()),
            Input::FileRange { len, .. } => Some(*len),
        }
    }
}

/// Blocks read one after the other.
struct Blocks {
    blocks: Arc<[Vec<u8>]>,
    index: usize,
    at: usize,
}

impl std::io::Read for Blocks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(block) = self.blocks.get(self.index) {
            let rest = &block[self.at..];
            if rest.is_empty() {
                (self.index, self.at) = (self.index + 1, 0);
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            return Ok(n);
        }
        Ok(0)
    }
}

/// Expands the arguments; a path that matches nothing is an error naming
/// it. `rt` is needed for `s3://` inputs.
pub fn expand(args: &[String], rt: Option<&tokio::runtime::Handle>) -> Result<Vec<Input>, String> {
    if args.is_empty() {
        return Ok(vec![Input::Stdin]);
    }
    let mut out = Vec::new();
    for a in args {
        if a == "-" {
            out.push(Input::Stdin);
        } else if let Some(rest) = a.strip_prefix("s3://") {
            let rt = rt.ok_or_else(|| format!("{a}: S3 inputs are read by `seclake ingest`"))?;
            list_s3(a, rest, rt, &mut out)?;
        } else {
            let p = Path::new(a);
            if p.is_dir() {
                walk(p, &mut out).map_err(|e| format!("{a}: {e}"))?;
            } else if p.exists() {
                out.push(Input::File(p.to_path_buf()));
            } else if a.contains(['*', '?', '[']) {
                let before = out.len();
                let paths = glob::glob(a).map_err(|e| format!("{a}: bad pattern: {e}"))?;
                for p in paths {
                    let p = p.map_err(|e| format!("{a}: {e}"))?;
                    if p.is_dir() {
                        walk(&p, &mut out).map_err(|e| format!("{}: {e}", p.display()))?;
                    } else {
                        out.push(Input::File(p));
                    }
                }
                if out.len() == before {
                    return Err(format!("{a}: the pattern matches no file"));
                }
            } else {
                return Err(format!("{a}: no such file or directory"));
            }
        }
    }
    Ok(out)
}

fn list_s3(
    arg: &str,
    rest: &str,
    rt: &tokio::runtime::Handle,
    out: &mut Vec<Input>,
) -> Result<(), String> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let store = seclake_lake::store::s3_store(bucket).map_err(|e| format!("{arg}: {e}"))?;
    let prefix_path = ObjectPath::from(prefix.trim_end_matches('/'));
    let metas: Vec<_> = rt
        .block_on(store.list(Some(&prefix_path)).try_collect::<Vec<_>>())
        .map_err(|e| format!("{arg}: cannot list: {e}"))?;
    if metas.is_empty() {
        return Err(format!("{arg}: no objects under this prefix"));
    }
    out.extend(metas.into_iter().map(|m| Input::listed(&store, bucket, m)));
    Ok(())
}

pub(crate) fn walk(dir: &Path, out: &mut Vec<Input>) -> std::io::Result<()> {
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

/// 128 bits that differ between calls and processes: the process's random
/// hashing keys (seeded by the OS), the time and a counter.
fn fresh_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(now);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *half = h.finish();
    }
    (u128::from(halves[0]) << 64) | u128::from(halves[1])
}
