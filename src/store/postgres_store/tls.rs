//! TLS to the database (`store.tls`), through rustls like the rest of the
//! binary. `require` (the default) encrypts and checks the server's
//! certificate and host name against the system's roots, or against
//! `store.ca_file` (a private CA); a server without TLS is refused, never
//! silently used in the clear. `disable` is for a database on loopback, a
//! Unix socket or a private network (the demos, the tests). A `sslmode` in
//! the URL is overridden by this setting.

use std::sync::Arc;

use postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::DatabaseTls;

impl DatabaseTls {
    /// Set the URL's TLS mode from this setting and make the connector.
    /// The error says what is wrong with the CA file or the roots.
    pub fn apply(&self, config: &mut postgres::Config) -> Result<MakeRustlsConnect, String> {
        let mut roots = rustls::RootCertStore::empty();
        match self {
            DatabaseTls::Disable => {
                config.ssl_mode(SslMode::Disable);
            }
            DatabaseTls::Require => {
                config.ssl_mode(SslMode::Require);
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(
                        "store.tls: the system has no root certificates; give store.ca_file".into(),
                    );
                }
            }
            DatabaseTls::RequireWithCa(path) => {
                config.ssl_mode(SslMode::Require);
                let pem = std::fs::read(path)
                    .map_err(|e| format!("store.ca_file {}: {e}", path.display()))?;
                for cert in rustls_pemfile_certs(&pem) {
                    roots
                        .add(cert)
                        .map_err(|e| format!("store.ca_file {}: {e}", path.display()))?;
                }
                if roots.is_empty() {
                    return Err(format!(
                        "store.ca_file {}: no PEM certificate in it",
                        path.display()
                    ));
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("store.tls: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(client))
    }
}

/// The certificates of a PEM file.
fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect()
}
