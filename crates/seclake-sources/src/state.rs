//! What a source has ingested, kept in the lake so that a restarted (or
//! another) `seclake serve` goes on where it stopped: one small object per
//! source, `_seclake/sources/<id>/seen`, a line per input identity (an S3
//! object's URI and ETag or version). It is written after the inputs it
//! adds were acknowledged (their rows committed), so a crash before the
//! write re-ingests them: the same row ids, which `seclake compact`
//! removes. Written whole with one PUT, which S3 and the local store make
//! atomic.

use std::collections::HashSet;
use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use seclake_lake::Lake;

/// The inputs a source has ingested.
#[derive(Debug)]
pub struct Seen {
    store: Arc<dyn ObjectStore>,
    path: Path,
    items: HashSet<String>,
    dirty: bool,
}

impl Seen {
    /// Loads the state of source `id` (empty when there is none yet).
    pub async fn load(lake: &Lake, id: &str) -> Result<Seen, String> {
        let path = lake
            .root
            .clone()
            .join("_seclake")
            .join("sources")
            .join(id)
            .join("seen");
        let items = match lake.store.get(&path).await {
            Ok(r) => {
                let bytes = r
                    .bytes()
                    .await
                    .map_err(|e| format!("reading {path}: {e}"))?;
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            Err(object_store::Error::NotFound { .. }) => HashSet::new(),
            Err(e) => return Err(format!("reading {path}: {e}")),
        };
        Ok(Seen {
            store: lake.store.clone(),
            path,
            items,
            dirty: false,
        })
    }

    pub fn contains(&self, identity: &str) -> bool {
        self.items.contains(identity)
    }

    pub fn insert(&mut self, identity: String) {
        self.dirty |= self.items.insert(identity);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Writes the state if it changed since it was loaded or saved.
    pub async fn save(&mut self) -> Result<(), String> {
        if !self.dirty {
            return Ok(());
        }
        let mut lines: Vec<&str> = self.items.iter().map(String::as_str).collect();
        lines.sort_unstable();
        let mut text = lines.join("\n");
        text.push('\n');
        self.store
            .put(&self.path, PutPayload::from(text.into_bytes()))
            .await
            .map_err(|e| format!("writing {}: {e}", self.path))?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn kept_across_loads() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
        let mut s = Seen::load(&lake, "src").await.unwrap();
        assert!(s.is_empty());
        s.insert("s3://b/k1#e1".into());
        s.insert("s3://b/k2#e2".into());
        s.save().await.unwrap();
        let again = Seen::load(&lake, "src").await.unwrap();
        assert_eq!(again.len(), 2);
        assert!(again.contains("s3://b/k1#e1"));
        assert!(
            !again.contains("s3://b/k1#e9"),
            "another upload is another input"
        );
        assert!(Seen::load(&lake, "other").await.unwrap().is_empty());
    }
}
