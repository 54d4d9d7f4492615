//! A small, allocation-free walker over JSON text. It finds the indicators
//! inside nested JSON (CloudTrail `requestParameters`, CloudWatch Events
//! `detail`, GuardDuty `resource`) without building a document tree, and
//! compacts pretty-printed JSON that is stored as text.

use std::borrow::Cow;

use crate::indicators::{is_account_id, is_arn, is_instance_id, is_ip, slice, Indicators};

/// Calls `f` with every string value (not object keys) in `json`.
pub fn for_each_string(json: &str, mut f: impl FnMut(&str)) {
    walk(json, &mut |ev| {
        if let Event::Str {
            value,
            is_key: false,
            ..
        } = ev
        {
            f(&value)
        }
    });
}

/// Scans JSON text for AWS indicators and IP addresses:
/// every string that is an ARN, an instance id or an IP address; 12-digit
/// values of keys named like an account id; domain names under host-like
/// keys; and tags (`{"key":..,"value":..}` objects, or `{"Name":"x"}` maps,
/// under a key that mentions "tag").
///
/// `keep` turns a string of the text into an indicator value: the text's
/// own slice when the text outlives the indicators (a record's column),
/// an owned copy otherwise.
pub fn scan_aws<'j, 'a>(
    json: &'j str,
    ind: &mut Indicators<'a>,
    keep: impl Fn(Cow<'j, str>) -> Cow<'a, str>,
) {
    // Per open container: is it inside a tag context, and (for objects
    // in a tag context) the pending key/value members.
    struct Frame {
        tag_context: bool,
        tag_map: bool,
        tag_key: Option<String>,
        tag_value: Option<String>,
    }
    let mut stack: Vec<Frame> = Vec::new();
    walk(json, &mut |ev| match ev {
        Event::Open { key } => {
            let parent_tag = stack.last().is_some_and(|f| f.tag_context);
            let key_is_tag = key.is_some_and(|k| {
                k.as_bytes()
                    .windows(3)
                    .any(|w| w.eq_ignore_ascii_case(b"tag"))
            });
            stack.push(Frame {
                tag_context: parent_tag || key_is_tag,
                tag_map: key_is_tag,
                tag_key: None,
                tag_value: None,
            });
        }
        Event::Close { is_object } => {
            if let Some(f) = stack.pop() {
                if is_object && f.tag_context {
                    if let Some(k) = f.tag_key {
                        ind.tag(&k, f.tag_value.as_deref().unwrap_or(""));
                    }
                }
            }
        }
        Event::Str {
            value,
            is_key: false,
            key,
        } => {
            let v: &str = &value;
            if is_arn(v) {
                ind.arn(keep(value.clone()));
            } else if is_instance_id(v) {
                ind.instance_id(keep(value.clone()));
            } else if is_ip(v) {
                ind.ip(keep(value.clone()));
            }
            if let Some(k) = key {
                let role = key_role(&k);
                if role & ACCOUNT != 0 && is_account_id(v) {
                    ind.account_id(keep(value.clone()));
                }
                if role & TRACE != 0 {
                    ind.trace_id(keep(value.clone()));
                }
                if role & USER != 0 {
                    ind.username(keep(value.clone()));
                }
                if role & EMAIL != 0 {
                    ind.email(keep(value.clone()));
                }
                // A role session named after a person: `AROA...:alice@example.com`.
                if role & PRINCIPAL != 0 {
                    if let Some(colon) = v.find(':') {
                        ind.email(keep(slice(&value, colon + 1..value.len())));
                    }
                }
                if role & HOST != 0 {
                    ind.host(keep(value.clone()));
                }
                if let Some(f) = stack.last_mut() {
                    if f.tag_context {
                        if k.eq_ignore_ascii_case("key") {
                            f.tag_key = Some(v.to_string());
                        } else if k.eq_ignore_ascii_case("value") {
                            f.tag_value = Some(v.to_string());
                        } else if f.tag_map {
                            ind.tag(&k, v);
                        }
                    }
                }
            }
        }
        _ => {}
    });
}

const ACCOUNT: u8 = 1;
const TRACE: u8 = 2;
const USER: u8 = 4;
const EMAIL: u8 = 8;
const PRINCIPAL: u8 = 16;
const HOST: u8 = 32;

/// What the values under a member name are, as bits. Runs for every string
/// of nested JSON, so the name's length picks the few names to compare.
fn key_role(k: &str) -> u8 {
    let is = |name: &str| k.eq_ignore_ascii_case(name);
    let b = k.as_bytes();
    let mut role = 0;
    // Bytes, not `str` slicing: keys may hold any character.
    if b.len() >= 9 && b[b.len() - 9..].eq_ignore_ascii_case(b"accountid") {
        role |= ACCOUNT;
    }
    if b.len() >= 5 && b.windows(5).any(|w| w.eq_ignore_ascii_case(b"email")) {
        role |= EMAIL;
    }
    role |= match b.len() {
        4 if is("host") => HOST,
        5 if is("owner") => ACCOUNT,
        6 if is("domain") => HOST,
        7 if is("account") || is("ownerid") => ACCOUNT,
        8 if is("username") => USER,
        8 if is("hostname") => HOST,
        9 if is("requestid") => TRACE,
        9 if is("user_name") => USER,
        9 if is("invokedby") => HOST,
        10 if is("domainname") => HOST,
        11 if is("principalid") => PRINCIPAL,
        13 if is("sharedeventid") => TRACE,
        13 if is("publicdnsname") => HOST,
        14 if is("privatednsname") => HOST,
        24 if is("clientprovidedhostheader") => HOST,
        _ => 0,
    };
    role
}

/// Removes insignificant white space; borrows when there is none.
pub fn compact(json: &str) -> Cow<'_, str> {
    let b = json.as_bytes();
    if !b.iter().any(|c| matches!(c, b' ' | b'\n' | b'\r' | b'\t')) {
        return Cow::Borrowed(json);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut in_str = false;
    let mut esc = false;
    for &c in b {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
            out.push(c);
        } else if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            out.push(c);
        }
    }
    if out.len() == b.len() {
        return Cow::Borrowed(json);
    }
    // Only ASCII white space outside strings was removed: still UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| json.to_string()))
}

enum Event<'j> {
    /// An object or array opens; `key` is its member name in the parent.
    Open {
        key: Option<Cow<'j, str>>,
    },
    Close {
        is_object: bool,
    },
    /// A string: an object key, or a value with the key it belongs to.
    Str {
        value: Cow<'j, str>,
        is_key: bool,
        key: Option<Cow<'j, str>>,
    },
}

/// Walks well-formed JSON; stops quietly at malformed input (the text was
/// already validated by the parser that produced it).
fn walk<'j>(json: &'j str, f: &mut dyn FnMut(Event<'j>)) {
    let b = json.as_bytes();
    let mut i = 0;
    // Container kinds: true = object.
    let mut kinds: Vec<bool> = Vec::new();
    let mut expect_key = false;
    let mut key: Option<Cow<'j, str>> = None;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                let is_obj = b[i] == b'{';
                f(Event::Open { key: key.take() });
                kinds.push(is_obj);
                expect_key = is_obj;
                i += 1;
            }
            b'}' | b']' => {
                let is_object = kinds.pop().unwrap_or(false);
                f(Event::Close { is_object });
                key = None;
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = kinds.last().copied().unwrap_or(false);
                key = None;
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                loop {
                    j += crate::json::syntax::plain_run(&b[j.min(b.len())..]);
                    match b.get(j) {
                        Some(b'\\') => {
                            escaped = true;
                            j += 2;
                        }
                        Some(b'"') | None => break,
                        // A control character (not in checked text): on.
                        Some(_) => j += 1,
                    }
                }
                if j >= b.len() {
                    return;
                }
                let value: Cow<'j, str> = if escaped {
                    Cow::Owned(crate::json::syntax::unescape(&json[start..j]))
                } else {
                    Cow::Borrowed(&json[start..j])
                };
                i = j + 1;
                if expect_key {
                    f(Event::Str {
                        value: value.clone(),
                        is_key: true,
                        key: None,
                    });
                    key = Some(value);
                    expect_key = false;
                } else {
                    f(Event::Str {
                        value,
                        is_key: false,
                        key: key.take(),
                    });
                }
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::Indicator;

    fn scan(json: &str) -> Vec<(Indicator, String)> {
        let mut ind = Indicators::default();
        scan_aws(json, &mut ind, |v| v);
        ind.finish();
        Indicator::ALL
            .iter()
            .flat_map(|k| {
                ind.values(*k)
                    .map(|v| (*k, v.to_string()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn finds_aws_indicators_in_nested_json() {
        let got = scan(
            r#"{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0","privateIpAddress":"10.0.0.5"}]},
               "role":"arn:aws:iam::111122223333:role/x","ownerId":"444455556666",
               "tagSet":{"items":[{"key":"Name","value":"web"}]},"tags":{"env":"prod"},
               "note":"say \"hi\"","hostName":"ip-10-0-0-5.ec2.internal"}"#,
        );
        let has = |k, v: &str| got.contains(&(k, v.to_string()));
        assert!(has(Indicator::AwsInstanceId, "i-0123456789abcdef0"));
        assert!(has(Indicator::IpAddress, "10.0.0.5"));
        assert!(has(Indicator::AwsArn, "arn:aws:iam::111122223333:role/x"));
        assert!(has(Indicator::AwsAccountId, "111122223333"));
        assert!(has(Indicator::AwsAccountId, "444455556666"));
        assert!(has(Indicator::AwsTag, "Name:web"));
        assert!(has(Indicator::AwsTag, "env:prod"));
        assert!(has(Indicator::DomainName, "ip-10-0-0-5.ec2.internal"));
    }

    #[test]
    fn request_ids_user_names_and_emails_under_their_keys() {
        let got = scan(
            r#"{"requestId":"r-1","userIdentity":{"userName":"alice","principalId":"AROAEXAMPLE:Bob@Example.com"},"contactEmail":"ops@example.org","note":"not@anemail","emailAddress":"nope"}"#,
        );
        let has = |k, v: &str| got.contains(&(k, v.to_string()));
        assert!(has(Indicator::TraceId, "r-1"));
        assert!(has(Indicator::Username, "alice"));
        assert!(has(Indicator::Email, "bob@example.com"));
        assert!(has(Indicator::Email, "ops@example.org"));
        assert!(!got
            .iter()
            .any(|(k, v)| *k == Indicator::Email && (v == "not@anemail" || v == "nope")));
    }

    /// A key whose last nine bytes split a multi-byte character once
    /// panicked the process.
    #[test]
    fn non_ascii_keys_do_not_panic() {
        for key in [
            "Größe",
            "ключ-аккаунта",
            "名前のアカウント",
            "éaccountid",
            "x😀accountId",
        ] {
            let got = scan(&format!(
                r#"{{"{key}":"111122223333","n":{{"{key}":"10.1.2.3"}}}}"#
            ));
            assert!(got.contains(&(Indicator::IpAddress, "10.1.2.3".to_string())));
        }
        let got = scan(r#"{"éaccountId":"111122223333"}"#);
        assert!(got.contains(&(Indicator::AwsAccountId, "111122223333".to_string())));
    }

    #[test]
    fn compact_keeps_strings() {
        assert_eq!(compact("{ \"a b\" : [1, 2] }"), "{\"a b\":[1,2]}");
        assert!(matches!(compact("{\"a\":1}"), Cow::Borrowed(_)));
    }
}
