//! Imperva Cloud WAF's log API: the account's SIEM log files, fetched
//! from its log repository over HTTPS with basic authentication (API id
//! and key). The repository lists its files in `<url>/logs.index`
//! ([`index`]); each file is fetched by name from the same URL. The bytes
//! are passed on as they are: the header, decompression and decryption
//! are the decoder's (`seclake_imperva::file`), which gets the private
//! keys as secrets.
//!
//! Position: the highest sequence ingested, kept in the lake
//! (`_seclake/sources/<id>/imperva-position`). A poll takes the listed
//! files after it, lowest sequence first (all of them the first time);
//! the position moves only when the caller acknowledges a file, in
//! order ([`ImpervaSource::advance`] refuses to skip one), so a file
//! whose rows were not committed is fetched again. A re-fetched file has
//! the same identity (its URL), hence the same row ids.
//!
//! Failures:
//! - refused credentials (HTTP 401/403) fail the poll;
//! - a listed file that is missing (HTTP 404; Imperva purges old files)
//!   or larger than `max_file_bytes` stops the poll there and is retried
//!   on the next ones; after `skip_after` polls in a row it is skipped,
//!   reported each time, so one bad file never stops the source. The
//!   count is kept in memory: a restart gives the file a new chance;
//! - anything else (network, timeout, other status) stops the poll at
//!   that file, to be retried next poll, with no skipping.
//!
//! Gaps between listed sequences are not looked at here (that is the
//! gap report's business).

mod fetch;
pub mod index;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use seclake_lake::Lake;
use serde::{Deserialize, Serialize};

use crate::inputs::Input;
use crate::state::StateFile;
use fetch::Failure;

/// The largest `logs.index` read (a name is about 20 bytes).
const MAX_INDEX_BYTES: u64 = 16 << 20;

/// The default `max_file_bytes`: the decoder's own limit
/// (`seclake_imperva::file::MAX_FILE_BYTES`), as a larger file could not
/// be decoded anyway. Restated because this crate does not depend on the
/// decoder's; the integration test checks that the two agree.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 512 << 20;

/// Where and how to fetch.
#[derive(Clone)]
pub struct ImpervaOptions {
    /// The log repository, e.g. `https://logs1.incapsula.com/123456_45678/`
    /// (the trailing `/` is optional).
    pub url: String,
    pub api_id: String,
    pub api_key: String,
    /// The largest file taken.
    pub max_file_bytes: u64,
    /// At most this many files a poll...
    pub max_files_per_poll: usize,
    /// ...and no more once they hold this many bytes (one file at least).
    pub max_poll_bytes: u64,
    /// Polls in a row a listed file may be missing or oversized before
    /// it is skipped.
    pub skip_after: u32,
    pub connect_timeout: Duration,
    /// For a whole request, body included.
    pub request_timeout: Duration,
}

impl ImpervaOptions {
    /// The options for `url` with the default bounds.
    pub fn new(url: &str, api_id: &str, api_key: &str) -> ImpervaOptions {
        ImpervaOptions {
            url: url.to_string(),
            api_id: api_id.to_string(),
            api_key: api_key.to_string(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_files_per_poll: 100,
            max_poll_bytes: 256 << 20,
            skip_after: 3,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
        }
    }
}

/// The last file ingested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub name: String,
    pub sequence: u64,
}

/// A file a poll fetched: where the position goes once it is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    to: Position,
}

impl Fetched {
    pub fn position(&self) -> &Position {
        &self.to
    }
}

/// What a poll gives.
#[derive(Default)]
pub struct Polled {
    /// The new files, lowest sequence first, each an in-memory input.
    pub files: Vec<(Input, Fetched)>,
    /// Lines of `logs.index` that were not a log file name.
    pub ignored_lines: usize,
    /// What went wrong with single files (they are named), for the log.
    pub problems: Vec<String>,
}

pub struct ImpervaSource {
    /// The repository's URL, ending in `/`.
    pub base: String,
    opts: ImpervaOptions,
    client: reqwest::Client,
    state: StateFile,
    position: Option<Position>,
    /// The sequences the last poll returned, not yet acknowledged.
    pending: VecDeque<u64>,
    /// By sequence: polls in a row the file was missing or oversized.
    strikes: HashMap<u64, u32>,
}

impl ImpervaSource {
    /// Checks the options and loads the saved position of source `id`.
    pub async fn open(
        id: &str,
        opts: ImpervaOptions,
        lake: &Lake,
    ) -> Result<ImpervaSource, String> {
        let mut base = opts.url.trim().to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let url = reqwest::Url::parse(&base).map_err(|e| format!("{id}: url {base:?}: {e}"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(format!("{id}: url {base:?}: not an http(s) URL"));
        }
        if opts.api_id.is_empty() || opts.api_key.is_empty() {
            return Err(format!("{id}: api_id and api_key are both required"));
        }
        if opts.max_files_per_poll == 0 || opts.max_file_bytes == 0 {
            return Err(format!(
                "{id}: max_files_per_poll and max_file_bytes must be above 0"
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .build()
            .map_err(|e| format!("{id}: HTTP client: {e}"))?;
        let state = StateFile::new(lake, id, "imperva-position");
        let position = match state.load().await? {
            Some(t) => {
                Some(serde_json::from_str(&t).map_err(|e| format!("{id}: saved position: {e}"))?)
            }
            None => None,
        };
        Ok(ImpervaSource {
            base,
            opts,
            client,
            state,
            position,
            pending: VecDeque::new(),
            strikes: HashMap::new(),
        })
    }

    /// The last file acknowledged (`None` before the first).
    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// Fetches the index, then the files after the position, in order,
    /// within the bounds. Fails only when the index cannot be had or the
    /// credentials are refused; a file's problem stops the poll at that
    /// file (see the module's rules) and is reported in the result.
    pub async fn poll(&mut self) -> Result<Polled, String> {
        self.pending.clear();
        let after = self.position.as_ref().map(|p| p.sequence);
        self.strikes.retain(|s, _| after.is_none_or(|p| *s > p));
        let index_url = format!("{}logs.index", self.base);
        let text = self
            .get(&index_url, MAX_INDEX_BYTES)
            .await
            .map_err(|f| match f {
                Failure::Missing { .. } => format!(
                    "{f}: no log file is ready yet, or the url is not the account's log repository"
                ),
                f => f.to_string(),
            })?;
        let index = index::parse(&String::from_utf8_lossy(&text));
        let mut polled = Polled {
            ignored_lines: index.ignored,
            ..Polled::default()
        };
        if let (Some(p), Some(last)) = (&self.position, index.files.last()) {
            if last.sequence < p.sequence {
                polled.problems.push(format!(
                    "imperva: {index_url}: every listed file is before the position {} \
                     (the last is {}): another account's repository, or a counter restarted?",
                    p.name, last.name
                ));
            }
        }
        let mut total = 0u64;
        for listed in index.after(after) {
            if polled.files.len() >= self.opts.max_files_per_poll
                || total >= self.opts.max_poll_bytes
            {
                break;
            }
            let url = format!("{}{}", self.base, listed.name);
            match self.get(&url, self.opts.max_file_bytes).await {
                Ok(bytes) => {
                    self.strikes.remove(&listed.sequence);
                    total += bytes.len() as u64;
                    self.pending.push_back(listed.sequence);
                    let input = Input::Memory {
                        identity: format!("imperva:{url}"),
                        name: url,
                        bytes: Arc::from(bytes),
                    };
                    let to = Position {
                        name: listed.name.clone(),
                        sequence: listed.sequence,
                    };
                    polled.files.push((input, Fetched { to }));
                }
                Err(f @ Failure::Refused { .. }) => return Err(f.to_string()),
                Err(f @ (Failure::Missing { .. } | Failure::TooLarge { .. })) => {
                    let limit = self.opts.skip_after.max(1);
                    let n = self.strikes.entry(listed.sequence).or_insert(0);
                    *n += 1;
                    if *n < limit {
                        polled.problems.push(format!(
                            "{f}; tried {n} of {limit} polls before skipping it"
                        ));
                        break;
                    }
                    polled
                        .problems
                        .push(format!("{f}; skipped after {n} polls"));
                }
                Err(f) => {
                    polled.problems.push(format!("{f}; retried next poll"));
                    break;
                }
            }
        }
        Ok(polled)
    }

    /// Moves the position to an acknowledged file. Only the next file of
    /// the last poll is taken (the files before it acknowledged); any
    /// other is refused, so that a file whose rows were not committed is
    /// never passed. Returns whether the position moved.
    pub fn advance(&mut self, f: &Fetched) -> bool {
        if self.pending.front() != Some(&f.to.sequence) {
            return false;
        }
        self.pending.pop_front();
        self.position = Some(f.to.clone());
        true
    }

    /// Saves the position (nothing before the first file).
    pub async fn save(&self) -> Result<(), String> {
        match &self.position {
            Some(p) => {
                let text = serde_json::to_string(p).map_err(|e| format!("position: {e}"))?;
                self.state.save(text).await
            }
            None => Ok(()),
        }
    }

    async fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, Failure> {
        let auth = (self.opts.api_id.as_str(), self.opts.api_key.as_str());
        fetch::get(&self.client, url, auth, limit).await
    }
}
