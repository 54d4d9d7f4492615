//! `seclake parse` and `ingest` on Imperva log files encrypted with
//! OpenSSL the way Imperva does (RSA PKCS#1 v1.5 around the base64 AES
//! key, AES-256-CBC with a zero IV around the zlib body): a key opens
//! them, no key or a wrong one is an error naming the file and
//! publicKeyId with no rows, a bad checksum is a warning or, with
//! `--strict`, an error.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::{seclake, text};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (Debian package openssl) is needed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

/// Writes `key.pem` (PKCS#1, as `openssl genrsa -traditional`) and
/// `name` (an encrypted log file of `events`, with `checksum`).
fn encrypted_file(dir: &Path, name: &str, events: &str, checksum: &str) {
    if !dir.join("key.pem").exists() {
        openssl(dir, &["genrsa", "-traditional", "-out", "key.pem", "2048"]);
        openssl(
            dir,
            &["rsa", "-in", "key.pem", "-pubout", "-out", "pub.pem"],
        );
    }
    let aes_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let aes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&aes_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    std::fs::write(dir.join("aes.txt"), seclake_imperva::file::base64(&aes)).unwrap();
    openssl(
        dir,
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-pkeyopt",
            "rsa_padding_mode:pkcs1",
            "-in",
            "aes.txt",
            "-out",
            "wrapped.bin",
        ],
    );
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(events.as_bytes()).unwrap();
    std::fs::write(dir.join("body.z"), z.finish().unwrap()).unwrap();
    openssl(
        dir,
        &[
            "enc",
            "-aes-256-cbc",
            "-K",
            aes_hex,
            "-iv",
            "00000000000000000000000000000000",
            "-in",
            "body.z",
            "-out",
            "body.enc",
        ],
    );
    let wrapped = seclake_imperva::file::base64(&std::fs::read(dir.join("wrapped.bin")).unwrap());
    let mut file = format!(
        "accountId:123456\nconfigId:12345\nchecksum:{checksum}\nformat:CEF\nstartTime:1705705619206\nendTime:1705705805378\npublicKeyId:3\nkey:{wrapped}\n|==|\n"
    )
    .into_bytes();
    file.extend_from_slice(&std::fs::read(dir.join("body.enc")).unwrap());
    std::fs::write(dir.join(name), file).unwrap();
}

const EVENTS: &str = "CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId=1 src=198.51.100.7 start=1705705619206 request=shop.example.com/ act=REQ_PASSED\nCEF:0|Incapsula|SIEMintegration|1|1|SQL Injection|0| fileId=2 src=203.0.113.9 start=1705705620000 request=shop.example.com/q act=REQ_BLOCKED\n";

fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[test]
fn encrypted_files_need_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    encrypted_file(d, "1234_1.log", EVENTS, &md5_hex(EVENTS.as_bytes()));
    let file = d.join("1234_1.log");
    let f = file.to_str().unwrap();

    let out = seclake()
        .args(["parse", "--log-type", "Imperva.CloudWAF", "--private-key"])
        .arg(d.join("key.pem"))
        .args(["--strict", f])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["event_name"], "SQL Injection");
    assert_eq!(rows[1]["client_ip"], "203.0.113.9");
    assert_eq!(rows[0]["file_account_id"], 123456);
    assert_eq!(rows[0]["p_event_time"], "2024-01-19T23:06:59.206Z");

    // Classified too (the decoder runs before classification), key by id.
    let out = seclake()
        .args(["parse", "--private-key"])
        .arg(format!("3={}", d.join("key.pem").display()))
        .arg(f)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);

    // No key: an error naming the file and publicKeyId, no rows.
    let out = seclake()
        .args(["parse", "--log-type", "Imperva.CloudWAF", f])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(
        err.contains("1234_1.log") && err.contains("publicKeyId 3"),
        "{err}"
    );

    // A wrong key: the same, with the reason.
    openssl(d, &["genrsa", "-out", "other.pem", "2048"]);
    let out = seclake()
        .args(["parse", "--private-key"])
        .arg(d.join("other.pem"))
        .arg(f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(
        err.contains("no private key opens this file (publicKeyId 3)"),
        "{err}"
    );

    // Not a key at all: refused before any input is read.
    std::fs::write(d.join("junk.pem"), "hello").unwrap();
    let out = seclake()
        .args(["parse", "--private-key"])
        .arg(d.join("junk.pem"))
        .arg(f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("junk.pem"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_bad_checksum_warns_or_with_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    encrypted_file(d, "1234_2.log", EVENTS, "00000000000000000000000000000000");
    let f = d.join("1234_2.log");
    let key = d.join("key.pem");
    let out = seclake()
        .arg("parse")
        .arg("--private-key")
        .arg(&key)
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(
        text(&out.stderr).contains("checksum mismatch"),
        "{}",
        text(&out.stderr)
    );
    let out = seclake()
        .arg("parse")
        .arg("--strict")
        .arg("--private-key")
        .arg(&key)
        .arg(&f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("checksum mismatch"),
        "{}",
        text(&out.stderr)
    );
}
