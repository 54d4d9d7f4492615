//! AWS Signature Version 4 for the queue's POST requests: the canonical
//! request (method, path, sorted signed headers, payload hash), the
//! string to sign, and the signing key derived from the secret, date,
//! region and service, as AWS documents it.

use aws_lc_rs::{digest, hmac};

/// The credentials a request is signed with.
pub struct Credentials<'a> {
    pub key_id: &'a str,
    pub secret: &'a str,
    pub token: Option<&'a str>,
}

/// The headers to add to a POST of `body` to `host` + `path`:
/// `x-amz-date`, `x-amz-security-token` (with a session token) and
/// `authorization`. `headers` are the other signed headers, lower-case
/// names; `amz_date` is `YYYYMMDDTHHMMSSZ`.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    creds: &Credentials<'_>,
    region: &str,
    service: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    amz_date: &str,
) -> Vec<(String, String)> {
    let date = &amz_date[..8];
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    signed.push(("host".into(), host.into()));
    signed.push(("x-amz-date".into(), amz_date.into()));
    if let Some(t) = creds.token {
        signed.push(("x-amz-security-token".into(), t.into()));
    }
    signed.sort();
    let names: Vec<&str> = signed.iter().map(|(k, _)| k.as_str()).collect();
    let names = names.join(";");
    let mut canonical = format!("POST\n{path}\n\n");
    for (k, v) in &signed {
        canonical.push_str(&format!("{k}:{v}\n"));
    }
    canonical.push_str(&format!(
        "\n{names}\n{}",
        hex(digest::digest(&digest::SHA256, body).as_ref())
    ));
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let key = signing_key(creds.secret, date, region, service);
    let signature =
        hex(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), to_sign.as_bytes()).as_ref());
    let mut out = vec![("x-amz-date".to_string(), amz_date.to_string())];
    if let Some(t) = creds.token {
        out.push(("x-amz-security-token".into(), t.into()));
    }
    out.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={names}, Signature={signature}",
            creds.key_id
        ),
    ));
    out
}

/// The key derived from the secret for one day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let mac = |key: &[u8], data: &str| -> Vec<u8> {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
            .as_ref()
            .to_vec()
    };
    let k = mac(format!("AWS4{secret}").as_bytes(), date);
    let k = mac(&k, region);
    let k = mac(&k, service);
    mac(&k, "aws4_request")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `YYYYMMDDTHHMMSSZ` now.
pub fn amz_date_now() -> String {
    let (y, mo, d, h, mi, s, _) = seclake_core::Timestamp::now().to_civil();
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example of deriving a signing key.
    #[test]
    fn signing_key_of_the_documentation() {
        let k = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&k),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn headers_are_signed_sorted() {
        let creds = Credentials {
            key_id: "AKID",
            secret: "SECRET",
            token: Some("TOKEN"),
        };
        let h = sign(
            &creds,
            "us-east-1",
            "sqs",
            "sqs.us-east-1.amazonaws.com",
            "/",
            &[
                ("X-Amz-Target", "AmazonSQS.ReceiveMessage"),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            b"{}",
            "20240101T000000Z",
        );
        let auth = &h.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="), "{auth}");
        assert!(h
            .iter()
            .any(|(k, v)| k == "x-amz-security-token" && v == "TOKEN"));
        assert_eq!(amz_date_now().len(), 16);
    }
}
