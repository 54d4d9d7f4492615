//! The Imperva log file: `name:value` header lines (accountId, configId,
//! checksum, format, startTime, endTime, and for encrypted files
//! publicKeyId and key; any order and case, CRLF tolerated), a `|==|`
//! line, then the body: plain, zlib, or AES-encrypted (then possibly
//! zlib). The decoder unwraps the body, checks its MD5 against `checksum`
//! (a warning, or an error when strict: some producers write
//! placeholders), and hands the parser one header line, then the events.
//!
//! That header line carries what every row of the file needs (account,
//! configuration, format, and the W3C field order even when `#Fields:`
//! is further down): the pipeline replays a stream's first record into
//! every chunk, so rows parsed on any core see it.
//!
//! A file is read whole (its body is one compressed, encrypted unit),
//! up to [`MAX_FILE_BYTES`] in and [`MAX_BODY_BYTES`] out.

use std::io::{self, Read};

use base64::Engine as _;
use md5::{Digest, Md5};
use seclake_core::parser::ByteStream;
use seclake_core::{DecodeContext, DecoderDef};

use crate::crypto::{self, CryptoError, PrivateKey};

/// The largest log file read (Imperva's are a few MB).
pub const MAX_FILE_BYTES: u64 = 512 << 20;
/// The largest body once inflated.
pub const MAX_BODY_BYTES: u64 = 1 << 30;

/// The secret kind of a private key (PEM); `imperva-private-key:<id>` for
/// the key of one `publicKeyId`.
pub const PRIVATE_KEY: &str = "imperva-private-key";

/// The first line the decoder gives: this mark, then `name:value` pairs
/// separated by tabs.
pub const HEADER_LINE: &str = "#imperva-log-file";

pub const DECODER: DecoderDef = DecoderDef {
    name: "Imperva.LogFile",
    description: "An Imperva Cloud WAF SIEM log file: a header, |==|, then a plain, zlib-compressed or AES-encrypted body (RSA-wrapped key).",
    detect,
    open,
};

const NAMES: [&str; 8] = [
    "accountid",
    "configid",
    "checksum",
    "format",
    "starttime",
    "endtime",
    "publickeyid",
    "key",
];

/// A stream starting with a known header name and holding `|==|`.
fn detect(head: &[u8]) -> bool {
    let Some(colon) = head.iter().take(16).position(|&c| c == b':') else {
        return false;
    };
    let name = String::from_utf8_lossy(&head[..colon]).to_ascii_lowercase();
    NAMES.contains(&name.as_str()) && memchr::memmem::find(head, b"|==|").is_some()
}

fn open<'r>(input: ByteStream<'r>, ctx: &DecodeContext<'_>) -> io::Result<ByteStream<'r>> {
    let mut file = Vec::new();
    input.take(MAX_FILE_BYTES + 1).read_to_end(&mut file)?;
    if file.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: larger than {} MB, not an Imperva log file",
                ctx.input,
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let (line, body) = unwrap(file, ctx)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", ctx.input)))?;
    Ok(Box::new(io::Cursor::new(line).chain(io::Cursor::new(body))))
}

/// The header line (with its newline) and the plain body of a whole file.
/// The body is decrypted in place: a file costs its size plus, when
/// compressed, the inflated body.
pub fn unwrap(mut file: Vec<u8>, ctx: &DecodeContext<'_>) -> Result<(Vec<u8>, Vec<u8>), String> {
    let sep = memchr::memmem::find(&file, b"|==|").ok_or("no |==| after the header")?;
    let head = std::str::from_utf8(&file[..sep])
        .map_err(|_| "the header is not text")?
        .to_string();
    let mut body_start = sep + 4;
    for end in ["\r\n", "\n"] {
        if file[body_start..].starts_with(end.as_bytes()) {
            body_start += end.len();
            break;
        }
    }
    let fields: Vec<(String, &str)> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim()))
        .collect();
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let mut body = file.split_off(body_start);
    drop(file);
    if let Some(key) = get("key").filter(|k| !k.is_empty()) {
        let key_id = get("publickeyid").unwrap_or("-");
        let aes = aes_key(key, key_id, ctx)?;
        let n = crypto::decrypt_body(&aes, &mut body)
            .map_err(|e| format!("publicKeyId {key_id}: {e}"))?;
        body.truncate(n);
    }
    if is_zlib(&body) {
        body = inflate(&body)?;
    }
    if let Some(expected) = get("checksum") {
        let actual = hex(&Md5::digest(&body));
        if !expected.eq_ignore_ascii_case(&actual) {
            let msg = format!(
                "checksum mismatch: the header says {expected}, the content's MD5 is {actual}"
            );
            if ctx.strict {
                return Err(msg);
            }
            tracing::warn!("{}: {msg}", ctx.input);
        }
    }
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(HEADER_LINE.as_bytes());
    for (n, v) in &fields {
        if n != "key" && n != "checksum" && !v.contains('\t') {
            out.extend_from_slice(format!("\t{n}:{v}").as_bytes());
        }
    }
    if let Some(f) = w3c_fields(&body) {
        out.extend_from_slice(format!("\tfields:{f}").as_bytes());
    }
    out.push(b'\n');
    Ok((out, body))
}

/// The AES key of the file, from the first private key that opens
/// `key` (those named for `key_id` first). A wrong RSA key fails on the
/// small `key` field, so the body is decrypted once, by the right one.
fn aes_key(key: &str, key_id: &str, ctx: &DecodeContext<'_>) -> Result<Vec<u8>, String> {
    let named = format!("{PRIVATE_KEY}:{key_id}");
    let keys: Vec<&[u8]> = ctx
        .secrets
        .of_kind(&named)
        .chain(ctx.secrets.of_kind(PRIVATE_KEY))
        .collect();
    if keys.is_empty() {
        return Err(format!(
            "encrypted (publicKeyId {key_id}) and no private key given (--private-key)"
        ));
    }
    let mut reasons = Vec::new();
    for pem in keys {
        match PrivateKey::from_pem(pem).and_then(|k| k.unwrap_aes_key(key)) {
            Ok(aes) => return Ok(aes),
            Err(e @ CryptoError::BadBody(_)) => return Err(format!("publicKeyId {key_id}: {e}")),
            Err(e) => reasons.push(e.to_string()),
        }
    }
    Err(format!(
        "no private key opens this file (publicKeyId {key_id}): {}",
        reasons.join("; ")
    ))
}

/// A zlib stream (RFC 1950): deflate, a valid header checksum.
fn is_zlib(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] & 0x0f == 8 && (u16::from(b[0]) << 8 | u16::from(b[1])) % 31 == 0
}

fn inflate(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(body)
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("the zlib body does not inflate: {e}"))?;
    if out.len() as u64 > MAX_BODY_BYTES {
        return Err(format!(
            "the body inflates past {} MB",
            MAX_BODY_BYTES >> 20
        ));
    }
    Ok(out)
}

/// The field names of the body's W3C `#Fields:` directive.
fn w3c_fields(body: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(body, b"#Fields:")?;
    if at > 0 && body[at - 1] != b'\n' {
        return None;
    }
    let rest = &body[at + 8..];
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let names = std::str::from_utf8(&rest[..end]).ok()?.trim();
    (!names.contains('\t')).then(|| names.to_string())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the header line tells the parser.
#[derive(Debug, Default, PartialEq)]
pub struct Header {
    pub account_id: Option<i64>,
    pub config_id: Option<i64>,
    pub format: Option<&'static str>,
    /// The W3C field names, space-separated.
    pub fields: Option<String>,
}

impl Header {
    /// Reads the decoder's header line; `None` for any other line.
    pub fn from_line(line: &str) -> Option<Header> {
        let rest = line.strip_prefix(HEADER_LINE)?;
        let mut h = Header::default();
        for pair in rest.split('\t') {
            let Some((n, v)) = pair.split_once(':') else {
                continue;
            };
            match n {
                "accountid" => h.account_id = v.parse().ok(),
                "configid" => h.config_id = v.parse().ok(),
                "format" => {
                    h.format = ["CEF", "LEEF", "W3C"]
                        .into_iter()
                        .find(|f| f.eq_ignore_ascii_case(v))
                }
                "fields" => h.fields = Some(v.to_string()),
                _ => {}
            }
        }
        Some(h)
    }
}

/// Base64, for tests that build files the way Imperva does.
pub fn base64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}
