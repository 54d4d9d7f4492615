//! One authenticated GET against the log repository, read with a bound:
//! a body is refused as soon as it is known to pass the limit (from its
//! `Content-Length`, or while it arrives when there is none or it lies),
//! so a wrong or hostile server can never make the poller hold more than
//! the limit in memory. Failures are classified because the poller treats
//! them differently: refused credentials stop the source, a missing or
//! oversized file is the file's problem, anything else is retried.

use std::fmt;

/// Why a GET gave no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 401 or 403: the API id and key were not accepted.
    Refused { url: String, status: u16 },
    /// HTTP 404.
    Missing { url: String },
    /// The body is larger than the limit.
    TooLarge { url: String, limit: u64 },
    /// Anything else: a connection error, a timeout, another status.
    Other { url: String, reason: String },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused { url, status } => write!(
                f,
                "imperva: {url}: the API id and key were refused (HTTP {status}); \
                 check api_id and api_key"
            ),
            Failure::Missing { url } => write!(f, "imperva: {url}: not found (HTTP 404)"),
            Failure::TooLarge { url, limit } => write!(
                f,
                "imperva: {url}: larger than the limit of {limit} bytes; refused"
            ),
            Failure::Other { url, reason } => write!(f, "imperva: {url}: {reason}"),
        }
    }
}

/// The first allocation for a body: a `Content-Length` is only a claim,
/// so memory grows with what really arrives past this.
const FIRST_CAPACITY: u64 = 8 << 20;

/// GETs `url` with basic authentication, the body up to `limit` bytes.
pub async fn get(
    client: &reqwest::Client,
    url: &str,
    (api_id, api_key): (&str, &str),
    limit: u64,
) -> Result<Vec<u8>, Failure> {
    let other = |reason: String| Failure::Other {
        url: url.to_string(),
        reason,
    };
    let mut response = client
        .get(url)
        .basic_auth(api_id, Some(api_key))
        .send()
        .await
        .map_err(|e| other(describe(&e)))?;
    let status = response.status();
    match status.as_u16() {
        200 => {}
        401 | 403 => {
            return Err(Failure::Refused {
                url: url.to_string(),
                status: status.as_u16(),
            })
        }
        404 => {
            return Err(Failure::Missing {
                url: url.to_string(),
            })
        }
        429 => return Err(other("rate limited by Imperva (HTTP 429)".to_string())),
        _ => return Err(other(format!("HTTP {status}"))),
    }
    let too_large = || Failure::TooLarge {
        url: url.to_string(),
        limit,
    };
    let declared = response.content_length();
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let capacity = declared.unwrap_or(0).min(FIRST_CAPACITY);
    let mut body = Vec::with_capacity(capacity as usize);
    while let Some(chunk) = response.chunk().await.map_err(|e| other(describe(&e)))? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest error with its causes (the top one alone often says only
/// "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
