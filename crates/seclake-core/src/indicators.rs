//! Indicator extraction: the values that feed the `p_any_*` fields.
//!
//! Columns are marked with [`IndicatorKind`]s in their definitions; after a
//! parser fills a row the normalizer applies the marks to every value. The
//! checks are strict on purpose (an address must parse, a hash must have
//! exactly the right number of hex digits) so the indicator fields can be
//! trusted in joins.

use std::borrow::Cow;

use crate::jsonscan;

/// What a column's values are, for indicator extraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndicatorKind {
    /// An IP address; other values are ignored.
    Ip,
    /// A domain name; IP addresses are ignored.
    Domain,
    /// An IP address or a host name (goes to whichever it is).
    Host,
    /// A URL: its host part is an IP or a domain.
    Url,
    Md5,
    Sha1,
    Sha256,
    /// Any hex hash: classified by its length (32/40/64).
    Hash,
    AwsArn,
    AwsAccountId,
    AwsInstanceId,
    /// JSON text or nested values scanned for AWS indicators and IPs
    /// (ARNs, account ids, instance ids, tags, addresses, and request ids,
    /// user names and e-mail addresses under keys that name them).
    AwsJson,
    /// A request or trace id (any non-empty value).
    TraceId,
    /// An e-mail address (checked for its shape).
    Email,
    /// A user name (any non-empty value but `-`).
    Username,
}

/// An indicator field of the standard set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Indicator {
    IpAddress,
    DomainName,
    Md5,
    Sha1,
    Sha256,
    AwsArn,
    AwsAccountId,
    AwsInstanceId,
    AwsTag,
    TraceId,
    Email,
    Username,
}

impl Indicator {
    /// In schema order: fields added later come last, so older files keep
    /// their column positions.
    pub const ALL: [Indicator; 12] = [
        Indicator::IpAddress,
        Indicator::DomainName,
        Indicator::Md5,
        Indicator::Sha1,
        Indicator::Sha256,
        Indicator::AwsArn,
        Indicator::AwsAccountId,
        Indicator::AwsInstanceId,
        Indicator::AwsTag,
        Indicator::TraceId,
        Indicator::Email,
        Indicator::Username,
    ];

    /// The standard field holding this indicator.
    pub fn field(self) -> &'static str {
        match self {
            Indicator::IpAddress => "p_any_ip_addresses",
            Indicator::DomainName => "p_any_domain_names",
            Indicator::Md5 => "p_any_md5_hashes",
            Indicator::Sha1 => "p_any_sha1_hashes",
            Indicator::Sha256 => "p_any_sha256_hashes",
            Indicator::AwsArn => "p_any_aws_arns",
            Indicator::AwsAccountId => "p_any_aws_account_ids",
            Indicator::AwsInstanceId => "p_any_aws_instance_ids",
            Indicator::AwsTag => "p_any_aws_tags",
            Indicator::TraceId => "p_any_trace_ids",
            Indicator::Email => "p_any_emails",
            Indicator::Username => "p_any_usernames",
        }
    }
}

/// The indicators collected for one row. Values borrow from the record
/// where they can.
#[derive(Default, Debug)]
pub struct Indicators<'a> {
    items: Vec<(Indicator, Cow<'a, str>)>,
}

impl<'a> Indicators<'a> {
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Takes over another (cleared) collector's allocation, whatever the
    /// lifetime of the values it held.
    pub(crate) fn reuse(&mut self, mut other: Indicators<'_>) {
        other.items.clear();
        self.items = other
            .items
            .into_iter()
            .map(|_| unreachable_item())
            .collect();
    }

    pub fn push(&mut self, kind: Indicator, value: Cow<'a, str>) {
        self.items.push((kind, value));
    }

    /// Sorts and de-duplicates; afterwards [`Indicators::values`] returns
    /// each field's values in order.
    pub fn finish(&mut self) {
        self.items.sort_unstable();
        self.items.dedup();
    }

    /// Values of one indicator field (call [`Indicators::finish`] first).
    pub fn values(&self, kind: Indicator) -> impl Iterator<Item = &str> {
        let start = self.items.partition_point(|(k, _)| *k < kind);
        self.items[start..]
            .iter()
            .take_while(move |(k, _)| *k == kind)
            .map(|(_, v)| v.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every indicator, grouped by field in field order (after
    /// [`Indicators::finish`]).
    pub fn iter(&self) -> impl Iterator<Item = (Indicator, &str)> {
        self.items.iter().map(|(k, v)| (*k, v.as_ref()))
    }

    /// Applies one column mark to one string value.
    pub fn extract(&mut self, kind: IndicatorKind, v: Cow<'a, str>) {
        match kind {
            IndicatorKind::Ip => self.ip(v),
            IndicatorKind::Domain => self.domain(v),
            IndicatorKind::Host => self.host(v),
            IndicatorKind::Url => self.url(v),
            IndicatorKind::Md5 => self.hash_of_len(v, 32),
            IndicatorKind::Sha1 => self.hash_of_len(v, 40),
            IndicatorKind::Sha256 => self.hash_of_len(v, 64),
            IndicatorKind::Hash => self.hash_any(v),
            IndicatorKind::AwsArn => self.arn(v),
            IndicatorKind::AwsAccountId => self.account_id(v),
            IndicatorKind::AwsInstanceId => self.instance_id(v),
            IndicatorKind::AwsJson => self.aws_json(&v),
            IndicatorKind::TraceId => self.trace_id(v),
            IndicatorKind::Email => self.email(v),
            IndicatorKind::Username => self.username(v),
        }
    }

    pub fn trace_id(&mut self, v: Cow<'a, str>) {
        if !v.is_empty() && v != "-" {
            self.items.push((Indicator::TraceId, v));
        }
    }

    /// `local@domain` with a dotted domain, lower-cased.
    pub fn email(&mut self, v: Cow<'a, str>) {
        if !is_email(&v) {
            return;
        }
        let value = if v.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(v.to_ascii_lowercase())
        } else {
            v
        };
        self.items.push((Indicator::Email, value));
    }

    pub fn username(&mut self, v: Cow<'a, str>) {
        if !v.is_empty() && v != "-" {
            self.items.push((Indicator::Username, v));
        }
    }

    pub fn ip(&mut self, v: Cow<'a, str>) {
        if is_ip(&v) {
            self.items.push((Indicator::IpAddress, v));
        }
    }

    pub fn domain(&mut self, v: Cow<'a, str>) {
        let trimmed = v.strip_suffix('.').unwrap_or(&v);
        if trimmed.is_empty() || trimmed == "-" || is_ip(trimmed) || !looks_like_domain(trimmed) {
            return;
        }
        let value = match v {
            Cow::Borrowed(b) => Cow::Borrowed(b.strip_suffix('.').unwrap_or(b)),
            Cow::Owned(o) => Cow::Owned(o.strip_suffix('.').unwrap_or(&o).to_string()),
        };
        self.items.push((Indicator::DomainName, value));
    }

    pub fn host(&mut self, v: Cow<'a, str>) {
        if is_ip(&v) {
            self.items.push((Indicator::IpAddress, v));
        } else {
            self.domain(v);
        }
    }

    /// The host of `scheme://host[:port]/...`, borrowed from the value
    /// when it is borrowed from the record.
    pub fn url(&mut self, v: Cow<'a, str>) {
        let Some(range) = url_host(&v) else {
            return;
        };
        self.host(slice(&v, range));
    }

    fn hash_of_len(&mut self, v: Cow<'a, str>, len: usize) {
        if v.len() == len {
            self.hash_any(v);
        }
    }

    fn hash_any(&mut self, v: Cow<'a, str>) {
        let kind = match v.len() {
            32 => Indicator::Md5,
            40 => Indicator::Sha1,
            64 => Indicator::Sha256,
            _ => return,
        };
        if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return;
        }
        let value = if v.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(v.to_ascii_lowercase())
        } else {
            v
        };
        self.items.push((kind, value));
    }

    pub fn arn(&mut self, v: Cow<'a, str>) {
        // arn:partition:service:region:account-id:resource
        let Some(account) = arn_account(&v) else {
            return;
        };
        if is_account_id(&v[account.clone()]) {
            self.items
                .push((Indicator::AwsAccountId, slice(&v, account)));
        }
        self.items.push((Indicator::AwsArn, v));
    }

    pub fn account_id(&mut self, v: Cow<'a, str>) {
        if is_account_id(&v) {
            self.items.push((Indicator::AwsAccountId, v));
        }
    }

    pub fn instance_id(&mut self, v: Cow<'a, str>) {
        if is_instance_id(&v) {
            self.items.push((Indicator::AwsInstanceId, v));
        }
    }

    pub fn tag(&mut self, key: &str, value: &str) {
        self.items
            .push((Indicator::AwsTag, Cow::Owned(format!("{key}:{value}"))));
    }

    /// Scans JSON text for AWS indicators and IP addresses. What it finds
    /// borrows from the text when the text is borrowed from the record,
    /// and is copied otherwise.
    #[allow(clippy::ptr_arg)] // the borrowed case keeps its lifetime
    pub fn aws_json(&mut self, json: &Cow<'a, str>) {
        match json {
            Cow::Borrowed(text) => jsonscan::scan_aws(text, self, |v| v),
            Cow::Owned(text) => jsonscan::scan_aws(text, self, |v| Cow::Owned(v.into_owned())),
        }
    }
}

fn unreachable_item<'x>() -> (Indicator, Cow<'x, str>) {
    (Indicator::IpAddress, Cow::Borrowed(""))
}

pub fn is_ip(s: &str) -> bool {
    let b = s.as_bytes();
    // Cheap filters first: this runs on every string of nested JSON.
    if b.len() < 2 || b.len() > 45 {
        return false;
    }
    match b[0] {
        // A dotted quad, checked in one pass (every address column of
        // every row), else IPv6, which has a colon.
        b'0'..=b'9' => is_ipv4(b) || is_ipv6(s),
        b'a'..=b'f' | b'A'..=b'F' | b':' => is_ipv6(s),
        _ => false,
    }
}

fn is_ipv6(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr(b':', b).is_some()
        && b.iter()
            .all(|c| c.is_ascii_hexdigit() || *c == b'.' || *c == b':')
        && s.parse::<std::net::Ipv6Addr>().is_ok()
}

/// A dotted quad as `Ipv4Addr::from_str` accepts it: four decimal octets,
/// each at most 255, with no leading zero.
fn is_ipv4(b: &[u8]) -> bool {
    let mut parts = 0;
    for octet in b.split(|&c| c == b'.') {
        parts += 1;
        if parts > 4 || octet.is_empty() || octet.len() > 3 || (octet.len() > 1 && octet[0] == b'0')
        {
            return false;
        }
        let mut value = 0u32;
        for &c in octet {
            if !c.is_ascii_digit() {
                return false;
            }
            value = value * 10 + u32::from(c - b'0');
        }
        if value > 255 {
            return false;
        }
    }
    parts == 4
}

/// Letters, digits, `-`, `_`, `.`; at least one letter; no empty label.
fn looks_like_domain(s: &str) -> bool {
    s.len() <= 253
        && s.bytes().any(|c| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_' || c == b'*')
        && !s.split('.').any(|l| l.is_empty())
}

pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && !local
            .bytes()
            .any(|c| c.is_ascii_whitespace() || c == b'@' || c == b'"')
        && domain.contains('.')
        && looks_like_domain(domain)
}

/// Part of a value: borrowed from the record when the value is, copied
/// when the value was made (unescaped, decoded).
pub(crate) fn slice<'a>(v: &Cow<'a, str>, range: std::ops::Range<usize>) -> Cow<'a, str> {
    match v {
        Cow::Borrowed(b) => Cow::Borrowed(&b[range]),
        Cow::Owned(o) => Cow::Owned(o[range].to_string()),
    }
}

/// Where the host is in `scheme://[user@]host[:port][/?#...]` (a
/// bracketed IPv6 host without its brackets); `None` without `://` or
/// with an empty host.
fn url_host(v: &str) -> Option<std::ops::Range<usize>> {
    let b = v.as_bytes();
    let sep = memchr::memchr_iter(b':', b).find(|&i| b[i + 1..].starts_with(b"//"))?;
    let start = sep + 3;
    let rest = &v[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[at..];
    let (skip, len) = match host_port.strip_prefix('[') {
        Some(bracketed) => (1, bracketed.find(']').unwrap_or(bracketed.len())),
        None => (0, host_port.find(':').unwrap_or(host_port.len())),
    };
    let host = start + at + skip;
    (len > 0).then_some(host..host + len)
}

pub fn is_arn(s: &str) -> bool {
    arn_account(s).is_some()
}

/// Where the account id field is in an ARN (`arn:` and at least five
/// colons), found in one pass.
fn arn_account(s: &str) -> Option<std::ops::Range<usize>> {
    if !s.starts_with("arn:") {
        return None;
    }
    let mut colons = memchr::memchr_iter(b':', s.as_bytes()).skip(3);
    let (before, after) = (colons.next()?, colons.next()?);
    Some(before + 1..after)
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

pub fn is_instance_id(s: &str) -> bool {
    match s.strip_prefix("i-") {
        Some(hex) => {
            (hex.len() == 8 || hex.len() == 17)
                && hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IPv4 shortcut agrees with the standard parser on every string
    /// of digits and dots up to eight characters, and on the edge cases.
    #[test]
    fn ipv4_shortcut_agrees_with_the_standard_parser() {
        let alphabet = b"01259.";
        let mut s = Vec::new();
        fn each(s: &mut Vec<u8>, alphabet: &[u8], left: usize) {
            let text = std::str::from_utf8(s).unwrap();
            assert_eq!(
                is_ipv4(s),
                text.parse::<std::net::Ipv4Addr>().is_ok(),
                "{text:?}"
            );
            if left > 0 {
                for &c in alphabet {
                    s.push(c);
                    each(s, alphabet, left - 1);
                    s.pop();
                }
            }
        }
        each(&mut s, alphabet, 8);
        for text in [
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3.4.5",
            "01.2.3.4",
            "0.0.0.0",
            "10.0.0.1",
            "1.2.3.",
            ".1.2.3",
            "1..2.3",
            "1.2.3.1000",
            "172.31.16.139",
            "2001:db8::1",
            "::1",
            "::ffff:1.2.3.4",
            "64:ff9b::1.2.3.4",
            "1:2:3:4:5:6:7:8",
            "1:2",
            "2023-11-14T22:13:20Z",
            "fe80::1%eth0",
            "abc",
            "12345",
        ] {
            let std = text.parse::<std::net::IpAddr>().is_ok();
            assert_eq!(is_ip(text), std, "{text:?}");
        }
    }

    fn collect(kind: IndicatorKind, vals: &[&str]) -> Vec<(Indicator, String)> {
        let mut ind = Indicators::default();
        for v in vals {
            ind.extract(kind, Cow::Owned(v.to_string()));
        }
        ind.finish();
        ind.items.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn hosts_split_into_ips_and_domains() {
        let got = collect(
            IndicatorKind::Host,
            &[
                "ec2.amazonaws.com",
                "10.0.0.1",
                "2001:db8::1",
                "-",
                "www.example.com.",
            ],
        );
        assert_eq!(
            got,
            vec![
                (Indicator::IpAddress, "10.0.0.1".into()),
                (Indicator::IpAddress, "2001:db8::1".into()),
                (Indicator::DomainName, "ec2.amazonaws.com".into()),
                (Indicator::DomainName, "www.example.com".into()),
            ]
        );
    }

    #[test]
    fn hashes_need_exact_hex_lengths() {
        let got = collect(
            IndicatorKind::Hash,
            &[
                "ABCDEF0123456789abcdef0123456789",
                "xyz",
                "abcdef0123456789abcdef0123456789abcdef01",
            ],
        );
        assert_eq!(
            got[0],
            (Indicator::Md5, "abcdef0123456789abcdef0123456789".into())
        );
        assert_eq!(got[1].0, Indicator::Sha1);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn arns_yield_their_account() {
        let got = collect(
            IndicatorKind::AwsArn,
            &["arn:aws:iam::123456789012:user/Alice", "arn:bad"],
        );
        assert_eq!(
            got,
            vec![
                (
                    Indicator::AwsArn,
                    "arn:aws:iam::123456789012:user/Alice".into()
                ),
                (Indicator::AwsAccountId, "123456789012".into()),
            ]
        );
    }

    /// The host found in place is the one the splitting definition gives.
    #[test]
    fn url_host_agrees_with_splitting() {
        fn by_splitting(v: &str) -> Option<&str> {
            let (_, rest) = v.split_once("://")?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host_port = authority.rsplit('@').next().unwrap_or("");
            let host = match host_port.strip_prefix('[') {
                Some(stripped) => stripped.split(']').next().unwrap_or(""),
                None => host_port.split(':').next().unwrap_or(""),
            };
            (!host.is_empty()).then_some(host)
        }
        let urls = [
            "http://www.example.com:80/x?y",
            "https://[2001:db8::2]:443/",
            "https://[2001:db8::2",
            "https://user:pw@host.example/p@q",
            "a:b://c.example",
            "x://",
            "x:/",
            "x:",
            "://host",
            "http://host#frag:1",
            "http://:80/",
            "ftp://h?x=1://y",
            "-",
            "",
        ];
        for url in urls {
            assert_eq!(url_host(url).map(|r| &url[r]), by_splitting(url), "{url:?}");
        }
    }

    #[test]
    fn arns_give_their_account() {
        let got = collect(
            IndicatorKind::AwsArn,
            &[
                "arn:aws:iam::123456789012:role/x",
                "arn:aws:s3:::bucket",
                "arn:aws:ec2:us-east-1",
                "arn:aws:ec2:us-east-1:12345678901:instance/i-1",
                "not:an:arn:at:all:really",
            ],
        );
        assert_eq!(
            got,
            [
                (
                    Indicator::AwsArn,
                    "arn:aws:ec2:us-east-1:12345678901:instance/i-1".into()
                ),
                (Indicator::AwsArn, "arn:aws:iam::123456789012:role/x".into()),
                (Indicator::AwsArn, "arn:aws:s3:::bucket".into()),
                (Indicator::AwsAccountId, "123456789012".into()),
            ]
        );
    }

    #[test]
    fn url_hosts() {
        let got = collect(
            IndicatorKind::Url,
            &[
                "http://www.example.com:80/x?y",
                "https://[2001:db8::2]:443/",
                "-",
            ],
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (Indicator::IpAddress, "2001:db8::2".into()));
        assert_eq!(got[1], (Indicator::DomainName, "www.example.com".into()));
    }
}
