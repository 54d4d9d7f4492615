//! Opening a lake URI for reading: a local directory or `s3://bucket/prefix`.
//!
//! Reading never creates anything: a missing local directory is an error
//! that names it, so a typo in `--lake` is not mistaken for an empty lake.
//! Kept small on purpose: opening a lake may later move to `seclake-lake`,
//! and this module then becomes a call to it.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::ObjectStore;
use url::Url;

use crate::error::QueryError;

/// The URL under which [`LakeLocation::from_store`] registers its store.
pub const STORE_URL: &str = "seclake-lake://lake/";

/// A lake opened for reading.
#[derive(Debug, Clone)]
pub struct LakeLocation {
    /// The store holding the lake. For a local lake it is rooted at `/`
    /// (no prefix), so that paths match DataFusion's `file://` URLs.
    pub store: Arc<dyn ObjectStore>,
    /// The lake's root inside `store`: the absolute directory for a local
    /// lake, the key prefix for S3 (empty for a bucket's root).
    pub root: Path,
    /// The URL of the store to register with DataFusion
    /// (`file:///`, `s3://bucket/` or [`STORE_URL`]).
    pub store_url: Url,
    /// What the user gave, for messages.
    pub uri: String,
}

impl LakeLocation {
    /// Opens the lake at `uri`: `s3://bucket[/prefix]` or a local path.
    ///
    /// S3 uses the standard AWS environment (`AWS_ACCESS_KEY_ID`,
    /// `AWS_REGION`, ...). `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`
    /// points it at an S3-compatible server; an `http://` endpoint is
    /// allowed (a local test server has no TLS).
    pub fn open(uri: &str) -> Result<Self, QueryError> {
        if let Some(rest) = uri.strip_prefix("s3://") {
            return open_s3(uri, rest);
        }
        if let Some((scheme, _)) = uri.split_once("://") {
            return Err(QueryError::InvalidLakeUri {
                uri: uri.into(),
                reason: format!(
                    "unsupported scheme '{scheme}'; use a local directory or s3://bucket/prefix"
                ),
            });
        }
        open_local(uri)
    }

    /// The DataFusion URL of the directory `table` in this lake, with the
    /// trailing `/` that makes DataFusion treat it as a collection.
    pub fn table_url(&self, table: &str) -> String {
        let mut url = self.store_url.to_string();
        for part in self.root.parts() {
            url.push_str(part.as_ref());
            url.push('/');
        }
        url.push_str(table);
        url.push('/');
        url
    }

    /// The path of `table`'s directory inside the store.
    pub fn table_path(&self, table: &str) -> Path {
        self.root.clone().join(table)
    }
}

fn open_local(uri: &str) -> Result<LakeLocation, QueryError> {
    let dir = std::path::Path::new(uri);
    if !dir.is_dir() {
        return Err(QueryError::LakeNotFound { path: uri.into() });
    }
    let abs = dir.canonicalize().map_err(|e| QueryError::InvalidLakeUri {
        uri: uri.into(),
        reason: e.to_string(),
    })?;
    let root = Path::from_absolute_path(&abs).map_err(|e| QueryError::InvalidLakeUri {
        uri: uri.into(),
        reason: e.to_string(),
    })?;
    let store_url = Url::parse("file:///").expect("static URL");
    Ok(LakeLocation {
        store: Arc::new(LocalFileSystem::new()),
        root,
        store_url,
        uri: uri.into(),
    })
}

fn open_s3(uri: &str, rest: &str) -> Result<LakeLocation, QueryError> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(QueryError::InvalidLakeUri {
            uri: uri.into(),
            reason: "no bucket name (expected s3://bucket/prefix)".into(),
        });
    }
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|e| !e.is_empty());
    if let Some(endpoint) = endpoint {
        if endpoint.starts_with("http://") {
            builder = builder.with_allow_http(true);
        }
        builder = builder.with_endpoint(endpoint);
    }
    let store = builder.build().map_err(|source| QueryError::Store {
        uri: uri.into(),
        source,
    })?;
    let store_url =
        Url::parse(&format!("s3://{bucket}/")).map_err(|e| QueryError::InvalidLakeUri {
            uri: uri.into(),
            reason: e.to_string(),
        })?;
    Ok(LakeLocation {
        store: Arc::new(store),
        root: Path::from(prefix.trim_matches('/')),
        store_url,
        uri: uri.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_local_lake_is_named() {
        let err = LakeLocation::open("/nonexistent/seclake-lake").unwrap_err();
        assert!(
            err.to_string()
                .contains("'/nonexistent/seclake-lake' does not exist"),
            "{err}"
        );
    }

    #[test]
    fn local_table_url() {
        let dir = std::env::temp_dir();
        let lake = LakeLocation::open(dir.to_str().unwrap()).unwrap();
        let url = lake.table_url("aws_vpcflow");
        assert!(url.starts_with("file:///"), "{url}");
        assert!(url.ends_with("/aws_vpcflow/"), "{url}");
    }

    #[test]
    fn s3_uris() {
        let lake = LakeLocation::open("s3://bucket/some/prefix/").unwrap();
        assert_eq!(lake.root.as_ref(), "some/prefix");
        assert_eq!(
            lake.table_url("_rejects"),
            "s3://bucket/some/prefix/_rejects/"
        );
        let lake = LakeLocation::open("s3://bucket").unwrap();
        assert_eq!(lake.table_url("aws_alb"), "s3://bucket/aws_alb/");
        assert!(LakeLocation::open("s3:///x").is_err());
        assert!(LakeLocation::open("gs://bucket/x").is_err());
    }
}
