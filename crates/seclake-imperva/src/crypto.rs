//! Imperva's encryption: the file's `key:` is the AES key, as base64 text,
//! encrypted with the customer's RSA public key (PKCS#1 v1.5) and
//! base64-encoded; the body is AES-CBC (128, 192 or 256 bits by the key's
//! length) with an all-zero IV and PKCS#7 padding.
//!
//! Private keys come as PEM: PKCS#8 (`BEGIN PRIVATE KEY`, what OpenSSL 3
//! writes) or PKCS#1 (`BEGIN RSA PRIVATE KEY`, what `openssl genrsa` wrote
//! before, and what Imperva's setup guide shows), which is wrapped into
//! PKCS#8 here. Encrypted PEM is refused with a message saying so.

use aws_lc_rs::cipher::{
    DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey, AES_128, AES_192, AES_256,
};
use aws_lc_rs::rsa::{Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use base64::Engine;

/// Why a key or a body could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The PEM text is not an RSA private key seclake can read.
    BadPrivateKey(String),
    /// This private key does not open this file's key (another key's file).
    WrongKey,
    /// The unwrapped AES key or the body is malformed.
    BadBody(String),
}

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CryptoError::BadPrivateKey(why) => write!(f, "not a usable RSA private key: {why}"),
            CryptoError::WrongKey => f.write_str("the private key does not match the file's key"),
            CryptoError::BadBody(why) => write!(f, "cannot decrypt the body: {why}"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// A customer's RSA private key.
pub struct PrivateKey(Pkcs1PrivateDecryptingKey);

impl PrivateKey {
    /// Reads a PEM private key (PKCS#8 or PKCS#1).
    pub fn from_pem(pem: &[u8]) -> Result<Self, CryptoError> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| CryptoError::BadPrivateKey("not PEM text".into()))?;
        if text.contains("ENCRYPTED") {
            return Err(CryptoError::BadPrivateKey(
                "the PEM is passphrase-protected; decrypt it first (openssl rsa -in key.pem -out plain.pem)".into(),
            ));
        }
        let (label, der) = pem_block(text)
            .ok_or_else(|| CryptoError::BadPrivateKey("no PEM block found".into()))?;
        let pkcs8 = match label {
            "PRIVATE KEY" => der,
            "RSA PRIVATE KEY" => pkcs1_to_pkcs8(&der),
            other => {
                return Err(CryptoError::BadPrivateKey(format!(
                    "a PEM block of type {other:?}, not a private key"
                )))
            }
        };
        let key = PrivateDecryptingKey::from_pkcs8(&pkcs8)
            .map_err(|e| CryptoError::BadPrivateKey(format!("{e}")))?;
        Pkcs1PrivateDecryptingKey::new(key)
            .map(PrivateKey)
            .map_err(|_| CryptoError::BadPrivateKey("not usable for PKCS#1 v1.5".into()))
    }

    /// The AES key of a file's `key:` value (base64 of the RSA-encrypted
    /// base64 text of the AES key).
    pub fn unwrap_aes_key(&self, key_field: &str) -> Result<Vec<u8>, CryptoError> {
        let wrapped = base64::engine::general_purpose::STANDARD
            .decode(key_field.trim())
            .map_err(|e| CryptoError::BadBody(format!("key: is not base64 ({e})")))?;
        let mut out = vec![0u8; self.0.min_output_size()];
        let plain = self
            .0
            .decrypt(&wrapped, &mut out)
            .map_err(|_| CryptoError::WrongKey)?;
        let aes = base64::engine::general_purpose::STANDARD
            .decode(plain.trim_ascii())
            .map_err(|_| CryptoError::WrongKey)?;
        match aes.len() {
            16 | 24 | 32 => Ok(aes),
            n => Err(CryptoError::BadBody(format!("an AES key of {n} bytes"))),
        }
    }
}

/// Reads private keys given as `PATH` (any file's key) or `ID=PATH` (the
/// key of files whose `publicKeyId` is ID) into a source's secrets, each
/// checked; an error names the spec, the file and the reason.
pub fn load_private_keys(specs: &[String]) -> Result<seclake_core::parser::Secrets, String> {
    let mut secrets = seclake_core::parser::Secrets::default();
    for spec in specs {
        let (kind, path) = match spec.split_once('=') {
            Some((id, path)) if !id.contains('/') => {
                (format!("{}:{id}", crate::file::PRIVATE_KEY), path)
            }
            _ => (crate::file::PRIVATE_KEY.to_string(), spec.as_str()),
        };
        let pem = std::fs::read(path).map_err(|e| format!("{spec:?}: {path}: {e}"))?;
        PrivateKey::from_pem(&pem).map_err(|e| format!("{spec:?}: {path}: {e}"))?;
        secrets.add(&kind, pem);
    }
    Ok(secrets)
}

/// Decrypts an AES-CBC body (zero IV, PKCS#7 padding) in place; returns
/// the plaintext's length.
pub fn decrypt_body(aes_key: &[u8], body: &mut [u8]) -> Result<usize, CryptoError> {
    let alg = match aes_key.len() {
        16 => &AES_128,
        24 => &AES_192,
        _ => &AES_256,
    };
    if body.is_empty() || !body.len().is_multiple_of(16) {
        return Err(CryptoError::BadBody(format!(
            "{} bytes, not whole AES blocks",
            body.len()
        )));
    }
    let key = UnboundCipherKey::new(alg, aes_key)
        .and_then(PaddedBlockDecryptingKey::cbc_pkcs7)
        .map_err(|_| CryptoError::BadBody("bad AES key".into()))?;
    let plain = key
        .decrypt(body, DecryptionContext::Iv128([0u8; 16].into()))
        .map_err(|_| CryptoError::BadBody("bad padding (wrong key, or a damaged file)".into()))?;
    Ok(plain.len())
}

/// The label and bytes of the first PEM block of `text`.
fn pem_block(text: &str) -> Option<(&str, Vec<u8>)> {
    let begin = text.find("-----BEGIN ")?;
    let rest = &text[begin + 11..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body = &rest[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some((label, der))
}

/// Wraps a PKCS#1 `RSAPrivateKey` in a PKCS#8 `PrivateKeyInfo`:
/// `SEQUENCE { INTEGER 0, SEQUENCE { OID rsaEncryption, NULL }, OCTET STRING {key} }`.
fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    const VERSION_AND_ALGORITHM: &[u8] = &[
        0x02, 0x01, 0x00, // INTEGER 0
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
        0x00, // SEQUENCE { 1.2.840.113549.1.1.1, NULL }
    ];
    let mut octets = vec![0x04];
    der_len(&mut octets, pkcs1.len());
    octets.extend_from_slice(pkcs1);
    let mut out = vec![0x30];
    der_len(&mut out, VERSION_AND_ALGORITHM.len() + octets.len());
    out.extend_from_slice(VERSION_AND_ALGORITHM);
    out.extend_from_slice(&octets);
    out
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}
