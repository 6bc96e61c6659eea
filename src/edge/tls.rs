//! The HTTPS listener's certificate. pingora's own file loading panics on a
//! bad certificate, so mfa-gate reads and checks the PEM files itself
//! (certificate chain present, private key present, key matching the
//! certificate) and hands pingora a certificate resolver instead of paths.
//! The resolver holds the key pair behind an `ArcSwap`, so a reload can
//! swap in a renewed certificate without a restart. Errors name the file
//! and never echo key material.

pub use crate::keys::certificate::{TlsError, load_pair};
use arc_swap::ArcSwap;
use pingora::listeners::tls::TlsSettings;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::Arc;
/// The certificate in use, swappable on reload.
#[derive(Debug)]
pub struct CertStore {
    current: ArcSwap<CertifiedKey>,
}

impl CertStore {
    pub fn new(pair: Arc<CertifiedKey>) -> CertStore {
        CertStore {
            current: ArcSwap::new(pair),
        }
    }

    /// Use `pair` for every handshake from now on.
    pub fn replace(&self, pair: Arc<CertifiedKey>) {
        self.current.store(pair);
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// pingora listener settings serving `store`'s certificate; HTTP/2 offered
/// by ALPN when `http2`.
pub fn settings(store: Arc<CertStore>, http2: bool) -> pingora::Result<TlsSettings> {
    // The paths are unused: a resolver replaces them (and pingora's panics).
    let mut settings = TlsSettings::intermediate("", "")?;
    settings.set_cert_resolver(store);
    if http2 {
        settings.enable_h2();
    }
    Ok(settings)
}

#[cfg(test)]
mod tests;
