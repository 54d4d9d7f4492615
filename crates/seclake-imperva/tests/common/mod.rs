//! Builds Imperva log files the way Imperva does: a header, `|==|`, then
//! the events, zlib-compressed, AES-CBC encrypted (zero IV, PKCS#7) with a
//! random key that is itself base64 text encrypted with the customer's
//! RSA public key (PKCS#1 v1.5).

#![allow(dead_code)]

use std::io::Write;

use aws_lc_rs::cipher::{
    EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey, AES_128, AES_256,
};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, Pkcs1PublicEncryptingKey, PrivateDecryptingKey};
use md5::{Digest, Md5};
use seclake_imperva::file::base64;

/// A customer key pair.
pub struct Customer {
    pub private: PrivateDecryptingKey,
}

impl Customer {
    pub fn new() -> Self {
        Customer {
            private: PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap(),
        }
    }

    /// The private key as PKCS#8 PEM.
    pub fn pem(&self) -> Vec<u8> {
        let der = self.private.as_der().unwrap();
        let b64 = base64(der.as_ref());
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap());
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        pem.into_bytes()
    }

    fn wrap(&self, aes: &[u8]) -> String {
        let public = Pkcs1PublicEncryptingKey::new(self.private.public_key()).unwrap();
        let mut out = vec![0u8; public.ciphertext_size()];
        let text = base64(aes);
        let c = public.encrypt(text.as_bytes(), &mut out).unwrap();
        base64(c)
    }
}

/// How the body is delivered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Body {
    Plain,
    Zlib,
    /// zlib, then AES-256.
    Encrypted,
    /// zlib, then AES-128.
    Encrypted128,
}

/// A whole log file of `events` (one per line) in `format`.
pub fn log_file(
    format: &str,
    events: &str,
    body: Body,
    customer: Option<&Customer>,
    checksum: Option<&str>,
) -> Vec<u8> {
    let plain = events.as_bytes();
    let md5: String = Md5::digest(plain)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut head = format!(
        "accountId:123456\nconfigId:12345\nchecksum:{}\nformat:{format}\nstartTime:1705705619206\nendTime:1705705805378\n",
        checksum.unwrap_or(&md5)
    );
    let mut data = plain.to_vec();
    if body != Body::Plain {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&data).unwrap();
        data = z.finish().unwrap();
    }
    if matches!(body, Body::Encrypted | Body::Encrypted128) {
        let customer = customer.expect("a customer key to encrypt for");
        let (alg, aes): (_, Vec<u8>) = if body == Body::Encrypted {
            (&AES_256, (0..32).map(|i| (i * 7 + 3) as u8).collect())
        } else {
            (&AES_128, (0..16).map(|i| (i * 5 + 1) as u8).collect())
        };
        let key =
            PaddedBlockEncryptingKey::cbc_pkcs7(UnboundCipherKey::new(alg, &aes).unwrap()).unwrap();
        key.less_safe_encrypt(&mut data, EncryptionContext::Iv128([0u8; 16].into()))
            .unwrap();
        head.push_str(&format!("publicKeyId:7\nkey:{}\n", customer.wrap(&aes)));
    }
    let mut file = head.into_bytes();
    file.extend_from_slice(b"|==|\n");
    file.extend_from_slice(&data);
    file
}

pub const CEF_EVENTS: &str = "CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId=1001 sourceServiceName=shop.example.com siteid=42 suid=50005477 requestClientApplication=curl/8.0 deviceFacility=mia src=198.51.100.7 cn1=200 start=1705705619206 request=shop.example.com/cart requestMethod=GET act=REQ_PASSED cpt=51515\nCEF:0|Incapsula|SIEMintegration|1|1|SQL Injection|0| fileId=1002 sourceServiceName=shop.example.com siteid=42 src=203.0.113.9 cn1=403 start=1705705620000 request=shop.example.com/search qstr=q\\=1' or 1\\=1 act=REQ_BLOCKED cs9=SQL Injection cs9Label=Rule name\n";

pub const LEEF_EVENTS: &str = "LEEF:0|Incapsula|SIEMintegration|0|Normal| fileId=2001 sourceServiceName=shop.example.com siteid=42 src=198.51.100.8 cn1=200 start=1705705619300 url=shop.example.com/ requestMethod=GET cat=REQ_PASSED dst=192.0.2.10 dstPort=443 srcPort=50000\n";

pub const W3C_EVENTS: &str = "#Software: SIEMintegration\n#Version: 1.0\n#Fields: cs-sessionid c-ip cs(User-Agent) cs-start cs-uri sc-status sc-action s-computername cs-severity x-unknown\n\"3001\" 198.51.100.9 \"Mozilla/5.0 (X11; Linux x86_64)\" 1705705619400 shop.example.com/login 200 REQ_PASSED shop.example.com 0 extra-value\n\"3002\" 203.0.113.10 - 1705705619500 shop.example.com/admin 403 REQ_BLOCKED_ACL shop.example.com -1 -\n";
