//! The `webhook` alert output: new alerts POSTed to a URL.
//!
//! - **Body**: a JSON array of alert objects, those one round recorded (an
//!   ingest round's, or a scheduled run's), at most [`MAX_BATCH`] per
//!   request. An array per round rather than a request per alert: a
//!   backfill that fires thousands of alerts makes a few requests, not
//!   thousands, and receivers (a SOAR, a Lambda) loop over it as easily.
//!   `Content-Type: application/json`, plus the configured `headers`.
//! - **Retries** ([`Policy`]): after a connection error, a timeout, a 5xx
//!   or a 429, up to `retries` times, waiting `backoff` doubled each time
//!   (at most [`MAX_BACKOFF`]), or what `Retry-After` asks in seconds (at
//!   most [`MAX_RETRY_AFTER`]; the HTTP-date form falls back to the
//!   backoff). Any other status (a 4xx, a redirect: redirects are not
//!   followed, a POST turned into a GET would lose its body) is reported
//!   at once: sending the same request again would get the same answer.
//! - **Off the ingest path**: requests go out from a task, one at a time
//!   in order; rounds only queue their alerts. Up to [`QUEUE`] rounds wait;
//!   beyond that new alerts are not queued (logged and counted), so an
//!   endpoint down for long does not grow memory. Every alert is already
//!   in `_alerts`, so whatever is not delivered is still there.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Url;
use seclake_sources::config::AlertOutputConfig;
use seclake_sources::metrics::Metrics;
use tokio::sync::mpsc;

use super::{counted, log};

/// Alerts per request, at most.
pub const MAX_BATCH: usize = 500;
/// Rounds of alerts waiting for the endpoint, at most.
pub const QUEUE: usize = 1024;
/// The longest wait between two attempts the backoff makes.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The longest `Retry-After` honoured (a larger one is cut to this).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What one attempt got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// An answer, with its `Retry-After` in seconds if it had one.
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// None: no connection, a broken one, or the timeout.
    NoAnswer,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    Retry(Duration),
    /// Give up: not worth retrying, or no retries left.
    GiveUp {
        retryable: bool,
    },
}

/// When to try again.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts after the first.
    pub retries: u32,
    /// The wait before the first retry; doubled for each next one.
    pub backoff: Duration,
}

impl Policy {
    /// What follows attempt `attempt` (0 for the first) that got `got`.
    pub fn next(&self, attempt: u32, got: Attempt) -> Next {
        let retryable = match got {
            Attempt::Status { code, .. } if (200..300).contains(&code) => return Next::Delivered,
            Attempt::Status { code, .. } => code == 429 || code >= 500,
            Attempt::NoAnswer => true,
        };
        if !retryable || attempt >= self.retries {
            return Next::GiveUp { retryable };
        }
        Next::Retry(match got {
            Attempt::Status {
                retry_after: Some(wait),
                ..
            } => wait.min(MAX_RETRY_AFTER),
            _ => self.delay(attempt),
        })
    }

    /// The backoff after attempt `attempt`: `backoff × 2^attempt`, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(MAX_BACKOFF)
    }
}

/// A running webhook output.
pub struct Webhook {
    pub name: String,
    /// The URL as logs show it: without credentials, query or fragment.
    pub shown_url: String,
    tx: mpsc::Sender<Arc<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
    /// Alerts queued and neither delivered nor given up on.
    pending: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

impl Webhook {
    /// Starts the task that POSTs what [`Webhook::send`] queues.
    pub fn start(
        name: String,
        c: &AlertOutputConfig,
        rt: &tokio::runtime::Handle,
        metrics: Arc<Metrics>,
    ) -> Result<Webhook> {
        let url: Url = c.url.as_deref().unwrap_or_default().parse()?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (k, v) in &c.headers {
            headers.insert(HeaderName::from_bytes(k.as_bytes())?, v.parse()?);
        }
        let client = reqwest::Client::builder()
            .timeout(c.timeout())
            .default_headers(headers)
            .user_agent(concat!("seclake/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let pending = Arc::new(AtomicUsize::new(0));
        let post = Post {
            name: name.clone(),
            shown_url: shown(&url),
            url,
            client,
            policy: Policy {
                retries: c.retries(),
                backoff: c.backoff(),
            },
            metrics: metrics.clone(),
            pending: pending.clone(),
        };
        let shown_url = post.shown_url.clone();
        let (tx, mut rx) = mpsc::channel::<Arc<Vec<String>>>(QUEUE);
        let task = rt.spawn(async move {
            while let Some(objects) = rx.recv().await {
                for chunk in objects.chunks(MAX_BATCH) {
                    post.deliver(chunk).await;
                }
            }
        });
        Ok(Webhook {
            name,
            shown_url,
            tx,
            task,
            pending,
            metrics,
        })
    }

    /// Queues `objects` (JSON objects) for delivery.
    pub fn send(&self, objects: Arc<Vec<String>>) {
        let n = objects.len();
        self.pending.fetch_add(n, Ordering::Relaxed);
        if self.tx.try_send(objects).is_err() {
            self.pending.fetch_sub(n, Ordering::Relaxed);
            log(format!(
                "alert output {:?}: {QUEUE} rounds of alerts already wait for {}: {n} alert(s) not delivered (they are in _alerts)",
                self.name, self.shown_url
            ));
            counted(&self.metrics, &self.name, false, n);
        }
    }

    /// Delivers what is queued, for at most `wait`; then stops.
    pub fn finish(self, rt: &tokio::runtime::Runtime, wait: Duration) {
        let Webhook {
            name,
            shown_url,
            tx,
            mut task,
            pending,
            metrics,
        } = self;
        drop(tx);
        let done = rt.block_on(async { tokio::time::timeout(wait, &mut task).await.is_ok() });
        if !done {
            task.abort();
            let left = pending.load(Ordering::Relaxed);
            log(format!(
                "alert output {name:?}: stopping with {left} alert(s) not delivered to {shown_url} (they are in _alerts)"
            ));
            counted(&metrics, &name, false, left);
        }
    }
}

/// What the task needs to POST.
struct Post {
    name: String,
    url: Url,
    shown_url: String,
    client: reqwest::Client,
    policy: Policy,
    metrics: Arc<Metrics>,
    pending: Arc<AtomicUsize>,
}

impl Post {
    /// POSTs `chunk` as one array until it is delivered or given up on.
    async fn deliver(&self, chunk: &[String]) {
        let body = format!("[{}]", chunk.join(","));
        let n = chunk.len();
        let mut attempt = 0;
        let delivered = loop {
            let sent = self
                .client
                .post(self.url.clone())
                .body(body.clone())
                .send()
                .await;
            let (got, what) = match sent {
                Ok(r) => {
                    let status = r.status();
                    let got = Attempt::Status {
                        code: status.as_u16(),
                        retry_after: retry_after(r.headers()),
                    };
                    let mut what = status.to_string();
                    if !status.is_success() {
                        let text = r.text().await.unwrap_or_default();
                        let text: String = text.trim().chars().take(200).collect();
                        if !text.is_empty() {
                            what = format!("{what}: {text}");
                        }
                    }
                    (got, what)
                }
                Err(e) => (Attempt::NoAnswer, why(e)),
            };
            match self.policy.next(attempt, got) {
                Next::Delivered => break true,
                Next::Retry(wait) => {
                    attempt += 1;
                    log(format!(
                        "alert output {:?}: POST {}: {what}; retry {attempt} of {} in {wait:?}",
                        self.name, self.shown_url, self.policy.retries
                    ));
                    tokio::time::sleep(wait).await;
                }
                Next::GiveUp { retryable } => {
                    let after = match retryable {
                        true => format!("after {} attempt(s)", attempt + 1),
                        false => "(not retried)".to_string(),
                    };
                    log(format!(
                        "alert output {:?}: POST {} failed {after}: {what}; {n} alert(s) not delivered (they are in _alerts)",
                        self.name, self.shown_url
                    ));
                    break false;
                }
            }
        };
        if delivered {
            log(format!(
                "alert output {:?}: {n} alert(s) delivered to {}",
                self.name, self.shown_url
            ));
        }
        counted(&self.metrics, &self.name, delivered, n);
        self.pending.fetch_sub(n, Ordering::Relaxed);
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not read).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse().ok().map(Duration::from_secs)
}

/// A request error and its causes, without the URL (it may hold a token).
fn why(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// `url` without user, password, query and fragment (where tokens hide).
fn shown(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        retries: 3,
        backoff: Duration::from_secs(1),
    };

    fn status(code: u16) -> Attempt {
        Attempt::Status {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn success_delivers_and_server_errors_back_off_exponentially() {
        assert_eq!(POLICY.next(0, status(200)), Next::Delivered);
        assert_eq!(POLICY.next(2, status(204)), Next::Delivered);
        let secs = |s| Next::Retry(Duration::from_secs(s));
        assert_eq!(POLICY.next(0, status(500)), secs(1));
        assert_eq!(POLICY.next(1, status(503)), secs(2));
        assert_eq!(POLICY.next(2, Attempt::NoAnswer), secs(4));
        // Retries spent.
        let spent = Next::GiveUp { retryable: true };
        assert_eq!(POLICY.next(3, status(502)), spent);
        assert_eq!(POLICY.next(3, Attempt::NoAnswer), spent);
    }

    #[test]
    fn client_errors_are_not_retried_except_429() {
        for code in [400, 401, 403, 404, 413, 301, 302] {
            let got = POLICY.next(0, status(code));
            assert_eq!(got, Next::GiveUp { retryable: false }, "{code}");
        }
        let secs = |s| Next::Retry(Duration::from_secs(s));
        assert_eq!(POLICY.next(0, status(429)), secs(1));
        assert_eq!(POLICY.next(1, status(429)), secs(2));
    }

    #[test]
    fn retry_after_is_honoured_within_a_limit() {
        let asked = |code, s| Attempt::Status {
            code,
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            POLICY.next(0, asked(429, 7)),
            Next::Retry(Duration::from_secs(7))
        );
        assert_eq!(POLICY.next(0, asked(503, 0)), Next::Retry(Duration::ZERO));
        assert_eq!(
            POLICY.next(0, asked(503, 86_400)),
            Next::Retry(MAX_RETRY_AFTER)
        );
        // Not a reason to retry a 4xx, nor to retry past the limit.
        assert_eq!(
            POLICY.next(0, asked(404, 1)),
            Next::GiveUp { retryable: false }
        );
        assert_eq!(
            POLICY.next(3, asked(429, 1)),
            Next::GiveUp { retryable: true }
        );
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 12 "));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(12)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn the_backoff_is_capped() {
        let p = Policy {
            retries: 40,
            backoff: Duration::from_secs(1),
        };
        assert_eq!(p.delay(5), Duration::from_secs(32));
        assert_eq!(p.delay(6), MAX_BACKOFF);
        assert_eq!(p.delay(39), MAX_BACKOFF);
        let none = Policy {
            retries: 0,
            backoff: Duration::from_secs(1),
        };
        assert_eq!(
            none.next(0, Attempt::NoAnswer),
            Next::GiveUp { retryable: true }
        );
    }

    #[test]
    fn logged_urls_hide_credentials_and_queries() {
        let u: Url = "https://user:pw@hooks.example.com/a/b?token=s3cret#x"
            .parse()
            .unwrap();
        assert_eq!(shown(&u), "https://hooks.example.com/a/b");
    }
}
