//! `type = "s3"`: scans a bucket and prefix for objects not ingested yet,
//! on an interval. For backfills, and buckets without notifications.
//! Every object is an input (an object rewritten under the same key, with
//! another ETag or version, is a new one); zero-byte objects and folder
//! markers (`key/`) are skipped. What was ingested is remembered in the
//! lake ([`crate::state`]), once its acknowledgement fired.

use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;
use seclake_lake::Lake;

use crate::config::SourceConfig;
use crate::inputs::Input;
use crate::state::Seen;

pub struct S3Scan {
    /// `s3://bucket/prefix` as configured.
    pub uri: String,
    bucket: String,
    prefix: String,
    store: Arc<dyn ObjectStore>,
    pub seen: Seen,
}

impl S3Scan {
    /// Connects to the bucket and loads what the source has ingested.
    pub async fn open(config: &SourceConfig, lake: &Lake) -> Result<S3Scan, String> {
        let uri = config.uri.clone().unwrap_or_default();
        let rest = uri.strip_prefix("s3://").unwrap_or(&uri);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let store = seclake_lake::store::s3_store(bucket).map_err(|e| format!("{uri}: {e}"))?;
        Ok(S3Scan {
            bucket: bucket.to_string(),
            prefix: prefix.trim_end_matches('/').to_string(),
            store,
            seen: Seen::load(lake, &config.id).await?,
            uri,
        })
    }

    /// The objects under the prefix not ingested yet, in key order.
    pub async fn poll(&self) -> Result<Vec<Input>, String> {
        let prefix = ObjectPath::from(self.prefix.as_str());
        let mut metas: Vec<_> = self
            .store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| format!("{}: cannot list: {e}", self.uri))?;
        metas.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(metas
            .into_iter()
            .filter(|m| m.size > 0 && !m.location.as_ref().ends_with('/'))
            .map(|m| Input::listed(&self.store, &self.bucket, m))
            .filter(|i| !self.seen.contains(&i.identity()))
            .collect())
    }
}
