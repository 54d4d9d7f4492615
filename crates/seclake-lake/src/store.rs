//! Opening a lake: a local directory or `s3://bucket/prefix`, both behind
//! the same `object_store` API, so every other module is backend-blind.
//!
//! Local writes go through `object_store`'s staged upload (a temporary
//! `name#N` file renamed into place) and S3 PUTs are atomic, so a reader
//! never sees half a file: a crash leaves at most a staging file, which no
//! reader lists (it does not end in `.parquet`).

use std::path::PathBuf;
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::ObjectStore;

/// The default lake: a directory in the current working directory.
pub const DEFAULT_LAKE: &str = "./seclake-lake";

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("lake {uri}: {reason}")]
    Uri { uri: String, reason: String },
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("delta log: {0}")]
    Delta(String),
    #[error("schema change not allowed: {0}")]
    SchemaConflict(String),
}

/// An opened lake.
#[derive(Clone, Debug)]
pub struct Lake {
    pub store: Arc<dyn ObjectStore>,
    /// The lake's root inside the store (empty for a local directory, the
    /// prefix for S3).
    pub root: Path,
    /// What the user gave, for messages.
    pub uri: String,
    /// The directory, for a local lake.
    pub local_dir: Option<PathBuf>,
    /// The store at the root of the bucket (S3) or file system (local),
    /// and where `store`'s root is in it: the Delta log addresses files by
    /// URL, from the root.
    pub root_store: Arc<dyn ObjectStore>,
    pub root_prefix: Path,
    /// `s3://bucket/prefix/` or `file:///dir/`.
    pub root_url: url::Url,
}

impl Lake {
    /// Opens (creating a local directory if needed) the lake at `uri`.
    pub fn open(uri: &str) -> Result<Lake, LakeError> {
        if let Some(rest) = uri.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(LakeError::Uri {
                    uri: uri.into(),
                    reason: "no bucket name".into(),
                });
            }
            let store = s3_store(bucket).map_err(|e| LakeError::Uri {
                uri: uri.into(),
                reason: e.to_string(),
            })?;
            let root = Path::from(prefix.trim_end_matches('/'));
            let root_url = url::Url::parse(&format!("s3://{bucket}/"))
                .and_then(|u| u.join(&format!("{root}/")))
                .map_err(|e| LakeError::Uri {
                    uri: uri.into(),
                    reason: e.to_string(),
                })?;
            return Ok(Lake {
                root_store: store.clone(),
                root_prefix: Path::default(),
                store,
                root,
                uri: uri.into(),
                local_dir: None,
                root_url,
            });
        }
        if uri.contains("://") {
            return Err(LakeError::Uri {
                uri: uri.into(),
                reason: "only local directories and s3://bucket/prefix are supported".into(),
            });
        }
        let dir = PathBuf::from(uri);
        std::fs::create_dir_all(&dir).map_err(|e| LakeError::Uri {
            uri: uri.into(),
            reason: format!("cannot create directory: {e}"),
        })?;
        let dir = dir.canonicalize()?;
        let store = LocalFileSystem::new_with_prefix(&dir)?;
        let root_url = url::Url::from_directory_path(&dir).map_err(|()| LakeError::Uri {
            uri: uri.into(),
            reason: "not an absolute directory".into(),
        })?;
        Ok(Lake {
            store: Arc::new(store),
            root: Path::default(),
            uri: uri.into(),
            local_dir: Some(dir.clone()),
            root_store: Arc::new(LocalFileSystem::new()),
            root_prefix: Path::from_filesystem_path(&dir).map_err(|e| LakeError::Uri {
                uri: uri.into(),
                reason: e.to_string(),
            })?,
            root_url,
        })
    }

    /// A path below the lake root.
    pub fn path(&self, rel: &str) -> Path {
        let mut p = self.root.clone();
        for part in rel.split('/').filter(|s| !s.is_empty()) {
            p = p.join(part);
        }
        p
    }
}

/// An S3 client from the standard AWS environment (credentials, region,
/// `AWS_ENDPOINT_URL` for S3-compatible servers).
pub fn s3_store(bucket: &str) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Ok(endpoint) =
        std::env::var("AWS_ENDPOINT_URL").or_else(|_| std::env::var("AWS_ENDPOINT_URL_S3"))
    {
        if endpoint.starts_with("http://") {
            b = b.with_allow_http(true);
        }
        b = b.with_endpoint(endpoint);
    }
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        b = b.with_region("us-east-1");
    }
    Ok(Arc::new(b.build()?))
}

/// A blocking reader over an object, for the synchronous parse pipeline:
/// a task on the runtime streams the object's chunks through a small
/// bounded channel (so memory stays flat however large the object).
/// Must not be read from inside the runtime.
pub fn object_reader(
    store: Arc<dyn ObjectStore>,
    path: Path,
    rt: &tokio::runtime::Handle,
) -> impl std::io::Read + Send + 'static {
    use futures::StreamExt;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(8);
    rt.spawn(async move {
        use object_store::ObjectStoreExt;
        let mut stream = match store.get(&path).await {
            Ok(r) => r.into_stream(),
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other(e))).await;
                return;
            }
        };
        while let Some(chunk) = stream.next().await {
            let item = chunk.map_err(std::io::Error::other);
            let stop = item.is_err();
            if tx.send(item).await.is_err() || stop {
                return;
            }
        }
    });
    ChannelReader {
        rx,
        current: bytes::Bytes::new(),
    }
}

struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    current: bytes::Bytes,
}

impl std::io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = self.current.len().min(buf.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}
