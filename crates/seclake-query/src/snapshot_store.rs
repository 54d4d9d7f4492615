//! The lake's store as DataFusion sees it: reads go to the real store, but
//! listings answer from the tables' Delta snapshots. A data file is
//! visible exactly when the snapshot a table was opened at names it, so a
//! query never reads a file a writer has not committed yet, a file
//! compaction has replaced, or an orphan of a killed writer, and planning
//! lists no data directory.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use futures::stream::{self, BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

#[derive(Debug)]
pub struct SnapshotStore {
    inner: Arc<dyn ObjectStore>,
    /// Every visible file, by path.
    files: RwLock<BTreeMap<String, ObjectMeta>>,
}

impl SnapshotStore {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        SnapshotStore {
            inner,
            files: RwLock::default(),
        }
    }

    /// Makes `files` the visible content of the directory `dir`.
    pub fn publish(&self, dir: &Path, files: Vec<ObjectMeta>) {
        let mut all = self.files.write().unwrap_or_else(|e| e.into_inner());
        let prefix = format!("{dir}/");
        all.retain(|k, _| !k.starts_with(&prefix));
        for f in files {
            all.insert(f.location.to_string(), f);
        }
    }

    /// The visible files below `prefix`.
    fn under(&self, prefix: Option<&Path>) -> Vec<ObjectMeta> {
        let all = self.files.read().unwrap_or_else(|e| e.into_inner());
        match prefix.map(|p| p.to_string()).filter(|p| !p.is_empty()) {
            None => all.values().cloned().collect(),
            Some(p) => {
                let p = format!("{p}/");
                all.range(p.clone()..)
                    .take_while(|(k, _)| k.starts_with(&p))
                    .map(|(_, v)| v.clone())
                    .collect()
            }
        }
    }
}

impl fmt::Display for SnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SnapshotStore({})", self.inner)
    }
}

fn read_only<T>() -> Result<T> {
    Err(object_store::Error::NotSupported {
        source: "the query engine's view of the lake is read-only".into(),
    })
}

#[async_trait::async_trait]
impl ObjectStore for SnapshotStore {
    async fn put_opts(&self, _: &Path, _: PutPayload, _: PutOptions) -> Result<PutResult> {
        read_only()
    }

    async fn put_multipart_opts(
        &self,
        _: &Path,
        _: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        read_only()
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[std::ops::Range<u64>],
    ) -> Result<Vec<bytes::Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        locations.map(|_| read_only()).boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        stream::iter(self.under(prefix).into_iter().map(Ok)).boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let base: Vec<String> = prefix
            .map(|p| p.parts().map(|s| s.as_ref().to_string()).collect())
            .unwrap_or_default();
        let mut objects = Vec::new();
        let mut dirs: Vec<Path> = Vec::new();
        for f in self.under(prefix) {
            let parts: Vec<_> = f.location.parts().collect();
            if parts.len() == base.len() + 1 {
                objects.push(f);
            } else if parts.len() > base.len() + 1 {
                let dir: Path = parts[..=base.len()].iter().cloned().collect();
                if dirs.last() != Some(&dir) {
                    dirs.push(dir);
                }
            }
        }
        dirs.dedup();
        Ok(ListResult {
            common_prefixes: dirs,
            objects,
        })
    }

    async fn copy_opts(&self, _: &Path, _: &Path, _: CopyOptions) -> Result<()> {
        read_only()
    }
}
