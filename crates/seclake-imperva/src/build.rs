//! Builds log files the way Imperva does, for the tests and the
//! benchmark: a header, `|==|`, then the events, optionally
//! zlib-compressed, then optionally AES-CBC encrypted (zero IV, PKCS#7)
//! with a key that is itself base64 text encrypted with the customer's
//! RSA public key (PKCS#1 v1.5).

use std::io::Write;

use aws_lc_rs::cipher::{
    EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey, AES_128, AES_256,
};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, Pkcs1PublicEncryptingKey, PrivateDecryptingKey};
use md5::{Digest, Md5};

use crate::file::base64;

/// A customer's RSA key pair (2048 bits, freshly generated).
pub struct Customer {
    private: PrivateDecryptingKey,
}

impl Default for Customer {
    fn default() -> Self {
        Customer {
            private: PrivateDecryptingKey::generate(KeySize::Rsa2048)
                .expect("generating an RSA key"),
        }
    }
}

impl Customer {
    /// The private key as PKCS#8 PEM.
    pub fn pem(&self) -> Vec<u8> {
        let der = self.private.as_der().expect("encoding the key");
        let b64 = base64(der.as_ref());
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        pem.into_bytes()
    }

    /// The file's `key:` value for `aes`.
    fn wrap(&self, aes: &[u8]) -> String {
        let public = Pkcs1PublicEncryptingKey::new(self.private.public_key()).expect("RSA key");
        let mut out = vec![0u8; public.ciphertext_size()];
        let c = public
            .encrypt(base64(aes).as_bytes(), &mut out)
            .expect("encrypting the AES key");
        base64(c)
    }
}

/// How the body is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    Plain,
    Zlib,
    /// zlib, then AES-256 for `publicKeyId` 7.
    Encrypted,
    /// zlib, then AES-128 for `publicKeyId` 7.
    Encrypted128,
}

/// A whole log file of `events` (one per line) in `format`; `checksum`
/// replaces the body's true MD5.
pub fn log_file(
    format: &str,
    events: &[u8],
    body: Body,
    customer: Option<&Customer>,
    checksum: Option<&str>,
) -> Vec<u8> {
    let md5: String = Md5::digest(events)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut head = format!(
        "accountId:123456\nconfigId:12345\nchecksum:{}\nformat:{format}\nstartTime:1705705619206\nendTime:1705705805378\n",
        checksum.unwrap_or(&md5)
    );
    let mut data = events.to_vec();
    if body != Body::Plain {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = z.write_all(&data);
        data = z.finish().unwrap_or_default();
    }
    if let (Body::Encrypted | Body::Encrypted128, Some(customer)) = (body, customer) {
        let (alg, aes): (_, Vec<u8>) = if body == Body::Encrypted {
            (&AES_256, (0..32).map(|i| (i * 7 + 3) as u8).collect())
        } else {
            (&AES_128, (0..16).map(|i| (i * 5 + 1) as u8).collect())
        };
        let key = UnboundCipherKey::new(alg, &aes)
            .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
            .expect("AES key");
        key.less_safe_encrypt(&mut data, EncryptionContext::Iv128([0u8; 16].into()))
            .expect("encrypting the body");
        head.push_str(&format!("publicKeyId:7\nkey:{}\n", customer.wrap(&aes)));
    }
    let mut file = head.into_bytes();
    file.extend_from_slice(b"|==|\n");
    file.extend_from_slice(&data);
    file
}
