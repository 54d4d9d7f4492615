//! The TLS of the network receivers (syslog over RFC 5425, HTTPS): the
//! server's certificate chain and key from PEM files, and, with
//! `tls_client_ca`, client certificates required and checked against that
//! CA (a client without one fails the handshake).
//! rustls with the aws-lc-rs provider, already built for the lake's HTTPS.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

/// `tls_cert`, `tls_key` and the optional `tls_client_ca` of a source.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
    pub client_ca: Option<std::path::PathBuf>,
}

/// The TLS files of a receiver's `[[source]]` (`None` when none is set),
/// each loaded once to check it; what is wrong goes to `problems`.
pub fn from_config(
    s: &crate::config::SourceConfig,
    problems: &mut Vec<String>,
) -> Option<TlsFiles> {
    match (&s.tls_cert, &s.tls_key) {
        (Some(cert), Some(key)) => {
            let files = TlsFiles {
                cert: cert.into(),
                key: key.into(),
                client_ca: s.tls_client_ca.as_ref().map(Into::into),
            };
            if let Err(e) = server_config(&files) {
                problems.push(e);
            }
            Some(files)
        }
        (None, None) if s.tls_client_ca.is_none() => None,
        _ => {
            problems.push("tls_cert and tls_key go together (tls_client_ca needs them)".into());
            None
        }
    }
}

/// The server configuration, or an error naming the file and the reason.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, String> {
    let chain = certificates(&files.cert, "tls_cert")?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        format!(
            "tls_key {}: no private key read ({e}); give a PEM key (PKCS#8, PKCS#1 or SEC1)",
            files.key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for c in certificates(ca, "tls_client_ca")? {
                roots
                    .add(c)
                    .map_err(|e| format!("tls_client_ca {}: {e}", ca.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .map_err(|e| format!("tls_client_ca {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder.with_single_cert(chain, key).map_err(|e| {
        format!(
            "tls_cert {} and tls_key {}: {e}",
            files.cert.display(),
            files.key.display()
        )
    })?;
    Ok(Arc::new(config))
}

/// Every certificate of a PEM file; none is an error.
fn certificates(
    path: &std::path::Path,
    setting: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let at = |e: &dyn std::fmt::Display| format!("{setting} {}: {e}", path.display());
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| at(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| at(&e))?;
    if certs.is_empty() {
        return Err(at(&"no PEM certificate in the file"));
    }
    Ok(certs)
}
