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

/// One state object of a source in the lake,
/// `_seclake/sources/<id>/<name>`.
#[derive(Debug)]
pub struct StateFile {
    store: Arc<dyn ObjectStore>,
    path: Path,
}

impl StateFile {
    pub fn new(lake: &Lake, id: &str, name: &str) -> StateFile {
        let path = lake
            .root
            .clone()
            .join("_seclake")
            .join("sources")
            .join(id)
            .join(name);
        StateFile {
            store: lake.store.clone(),
            path,
        }
    }

    /// The text saved, or `None` before the first save.
    pub async fn load(&self) -> Result<Option<String>, String> {
        match self.store.get(&self.path).await {
            Ok(r) => {
                let bytes = r
                    .bytes()
                    .await
                    .map_err(|e| format!("reading {}: {e}", self.path))?;
                Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(format!("reading {}: {e}", self.path)),
        }
    }

    /// Replaces the text (one PUT: atomic on S3 and locally).
    pub async fn save(&self, text: String) -> Result<(), String> {
        self.store
            .put(&self.path, PutPayload::from(text.into_bytes()))
            .await
            .map(|_| ())
            .map_err(|e| format!("writing {}: {e}", self.path))
    }
}

/// The inputs a source has ingested.
#[derive(Debug)]
pub struct Seen {
    file: StateFile,
    items: HashSet<String>,
    dirty: bool,
}

impl Seen {
    /// Loads the state of source `id` (empty when there is none yet).
    pub async fn load(lake: &Lake, id: &str) -> Result<Seen, String> {
        let file = StateFile::new(lake, id, "seen");
        let items = file
            .load()
            .await?
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Seen {
            file,
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
        self.file.save(text).await?;
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
