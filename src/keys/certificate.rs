//! The HTTPS listener's certificate chain and private key, read and
//! checked from PEM files (chain present, key present, key matching the
//! certificate) with errors that name the file and never quote it. The
//! config check uses it, so `check-config` refuses what `serve` would;
//! `edge/tls.rs` serves the result.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use std::path::Path;
use std::sync::Arc;

/// Largest PEM file read (a chain of a few certificates is a few KiB).
const MAX_PEM: u64 = 1024 * 1024;

/// What is wrong with the certificate or the key; the text completes
/// "field `tls.cert`: …" / "field `tls.key`: …".
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("{0}")]
    Cert(String),
    #[error("{0}")]
    Key(String),
}

/// Read and check a certificate chain and its private key.
pub fn load_pair(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let cert_pem = read(cert).map_err(TlsError::Cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            TlsError::Cert(format!(
                "{}: not a PEM certificate file (expected `-----BEGIN CERTIFICATE-----` blocks)",
                shown(cert)
            ))
        })?;
    if chain.is_empty() {
        return Err(TlsError::Cert(format!(
            "{} holds no certificate (expected PEM `-----BEGIN CERTIFICATE-----`)",
            shown(cert)
        )));
    }
    let key_pem = read(key).map_err(TlsError::Key)?;
    // The parser's message could quote the file; say only what it is.
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        TlsError::Key(format!(
            "{} holds no private key (expected PEM PKCS#8, PKCS#1 or SEC1)",
            shown(key)
        ))
    })?;
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(chain, key_der, &provider)
        .map(Arc::new)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                TlsError::Key(format!(
                    "{} does not belong to the certificate in {}",
                    shown(key),
                    shown(cert)
                ))
            }
            rustls::Error::InconsistentKeys(_) | rustls::Error::InvalidCertificate(_) => {
                TlsError::Cert(format!(
                    "{}: the certificate cannot be read ({e})",
                    shown(cert)
                ))
            }
            _ => TlsError::Key(format!("{}: the key cannot be used ({e})", shown(key))),
        })
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PEM + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {}: {e}", shown(path)))?;
    if bytes.len() as u64 > MAX_PEM {
        return Err(format!(
            "{} is larger than 1 MiB: not a PEM file",
            shown(path)
        ));
    }
    Ok(bytes)
}
