//! Imperva log files built the way Imperva does, in every format and body
//! form, unwrapped by the decoder and parsed by the log type; the key,
//! checksum and damage cases each give a clear error.

mod common;

use common::{log_file, Body, Customer, CEF_EVENTS, LEEF_EVENTS, W3C_EVENTS};
use seclake_core::parser::Secrets;
use seclake_core::testing::parse_all;
use seclake_core::{DecodeContext, Parsed, Value};
use seclake_imperva::cloud_waf::{C, DEF};
use seclake_imperva::file::{unwrap, PRIVATE_KEY};

fn secrets(keys: &[(&str, Vec<u8>)]) -> Secrets {
    let mut s = Secrets::default();
    for (kind, pem) in keys {
        s.add(kind, pem.clone());
    }
    s
}

fn open(file: &[u8], secrets: &Secrets, strict: bool) -> Result<String, String> {
    let ctx = DecodeContext {
        input: "test.log",
        secrets,
        strict,
    };
    unwrap(file.to_vec(), &ctx).map(|(mut line, body)| {
        line.extend_from_slice(&body);
        String::from_utf8(line).unwrap()
    })
}

/// The rows of an unwrapped file: (event name or id, client IP, file format).
fn rows(text: &str) -> Vec<(String, String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    parse_all(&DEF, &lines)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .filter(|(p, _)| *p == Parsed::Row)
        .map(|(_, row)| {
            let s = |c: C| match row.get(c) {
                Value::Str(s) => s.to_string(),
                Value::Int(i) => i.to_string(),
                _ => String::new(),
            };
            assert_eq!(row.get(C::FileAccountId), &Value::Int(123456));
            assert_eq!(row.get(C::FileConfigId), &Value::Int(12345));
            assert!(row.event_time.is_some(), "request start time");
            (s(C::Id), s(C::ClientIp), s(C::FileFormat))
        })
        .collect()
}

#[test]
fn every_format_in_every_body_form() {
    let customer = Customer::default();
    let keys = secrets(&[(PRIVATE_KEY, customer.pem())]);
    for (format, events, want) in [
        (
            "CEF",
            CEF_EVENTS,
            vec![("1001", "198.51.100.7"), ("1002", "203.0.113.9")],
        ),
        ("LEEF", LEEF_EVENTS, vec![("2001", "198.51.100.8")]),
        (
            "W3C",
            W3C_EVENTS,
            vec![("3001", "198.51.100.9"), ("3002", "203.0.113.10")],
        ),
    ] {
        for body in [Body::Plain, Body::Zlib, Body::Encrypted, Body::Encrypted128] {
            let file = log_file(format, events, body, Some(&customer), None);
            let text =
                open(&file, &keys, true).unwrap_or_else(|e| panic!("{format} {body:?}: {e}"));
            let got = rows(&text);
            let want: Vec<_> = want
                .iter()
                .map(|(id, ip)| (id.to_string(), ip.to_string(), format.to_string()))
                .collect();
            assert_eq!(got, want, "{format} {body:?}");
        }
    }
}

#[test]
fn w3c_takes_its_columns_from_fields() {
    let text = open(
        &log_file("W3C", W3C_EVENTS, Body::Zlib, None, None),
        &Secrets::default(),
        true,
    )
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let parsed = parse_all(&DEF, &lines);
    let rows: Vec<_> = parsed
        .iter()
        .filter_map(|r| match r {
            Ok((Parsed::Row, row)) => Some(row),
            _ => None,
        })
        .collect();
    assert_eq!(
        rows[0].get(C::UserAgent),
        &Value::str("Mozilla/5.0 (X11; Linux x86_64)")
    );
    assert_eq!(rows[0].get(C::HttpStatusCode), &Value::Int(200));
    assert_eq!(rows[0].get(C::AttackSeverity), &Value::Int(0));
    let Value::Map(extra) = rows[0].get(C::Extensions) else {
        panic!("no extensions")
    };
    assert_eq!(extra[0].0, "x-unknown");
    assert_eq!(rows[1].get(C::UserAgent), &Value::Null, "- is empty");
    assert_eq!(rows[1].get(C::AttackSeverity), &Value::Int(-1));
    assert_eq!(
        rows[1].get(C::RequestResult),
        &Value::str("REQ_BLOCKED_ACL")
    );
}

#[test]
fn keys_are_chosen_by_public_key_id_or_tried_in_turn() {
    let (ours, other) = (Customer::default(), Customer::default());
    let file = log_file("CEF", CEF_EVENTS, Body::Encrypted, Some(&ours), None);
    // The wrong key first, then ours: each is tried.
    let both = secrets(&[(PRIVATE_KEY, other.pem()), (PRIVATE_KEY, ours.pem())]);
    assert_eq!(rows(&open(&file, &both, true).unwrap()).len(), 2);
    // A key named for publicKeyId 7 is used first.
    let named = secrets(&[
        (PRIVATE_KEY, other.pem()),
        (&format!("{PRIVATE_KEY}:7"), ours.pem()),
    ]);
    assert_eq!(rows(&open(&file, &named, true).unwrap()).len(), 2);
}

#[test]
fn no_usable_key_is_a_clear_error_and_no_rows() {
    let (ours, other) = (Customer::default(), Customer::default());
    let file = log_file("CEF", CEF_EVENTS, Body::Encrypted, Some(&ours), None);
    let e = open(&file, &Secrets::default(), false).unwrap_err();
    assert!(
        e.contains("publicKeyId 7") && e.contains("no private key given"),
        "{e}"
    );
    let e = open(&file, &secrets(&[(PRIVATE_KEY, other.pem())]), false).unwrap_err();
    assert!(
        e.contains("no private key opens this file (publicKeyId 7)"),
        "{e}"
    );
    // A damaged body: whole blocks, but not the ones encrypted.
    let mut damaged = file.clone();
    let n = damaged.len();
    damaged[n - 20] ^= 0xff;
    let e = open(&damaged, &secrets(&[(PRIVATE_KEY, ours.pem())]), false).unwrap_err();
    assert!(e.contains("publicKeyId 7"), "{e}");
    let truncated = &file[..file.len() - 5];
    let e = open(truncated, &secrets(&[(PRIVATE_KEY, ours.pem())]), false).unwrap_err();
    assert!(e.contains("not whole AES blocks"), "{e}");
}

#[test]
fn checksum_mismatch_is_a_warning_or_a_strict_error() {
    let file = log_file(
        "CEF",
        CEF_EVENTS,
        Body::Zlib,
        None,
        Some("123ab7746e2c163e9e56d0ec123456"),
    );
    assert_eq!(
        rows(&open(&file, &Secrets::default(), false).unwrap()).len(),
        2
    );
    let e = open(&file, &Secrets::default(), true).unwrap_err();
    assert!(
        e.contains("checksum mismatch: the header says 123ab7746e2c163e9e56d0ec123456"),
        "{e}"
    );
    // Upper-case hex is the same checksum.
    let md5 = {
        use md5::Digest;
        md5::Md5::digest(CEF_EVENTS.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    };
    let file = log_file("CEF", CEF_EVENTS, Body::Plain, None, Some(&md5));
    assert!(open(&file, &Secrets::default(), true).is_ok());
}

#[test]
fn pkcs1_pem_from_openssl_is_read() {
    let Ok(out) = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
    else {
        eprintln!("skipped: no openssl");
        return;
    };
    let pem = if out.status.success() {
        out.stdout
    } else {
        // OpenSSL 1.1 writes PKCS#1 without the flag.
        std::process::Command::new("openssl")
            .args(["genrsa", "2048"])
            .output()
            .unwrap()
            .stdout
    };
    assert!(String::from_utf8_lossy(&pem).contains("BEGIN RSA PRIVATE KEY"));
    let key = seclake_imperva::crypto::PrivateKey::from_pem(&pem);
    assert!(key.is_ok(), "{:?}", key.err());
    for bad in [
        &b"hello"[..],
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    ] {
        assert!(seclake_imperva::crypto::PrivateKey::from_pem(bad).is_err());
    }
}
