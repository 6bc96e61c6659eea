//! The validated `store` section's PostgreSQL settings (plain data; the
//! store opens the connection, `store::postgres_store`).

use std::path::PathBuf;
use std::time::Duration;

/// How to reach the database (`store.url`, `store.pool_size`,
/// `store.timeout`, `store.max_staleness`). Hand-written `Debug`: the URL
/// holds a password.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    pub url: String,
    pub pool_size: u32,
    /// Connecting, and one statement, at most (`store.timeout`; the server
    /// enforces it on statements and lock waits, TCP on unacknowledged
    /// data).
    pub timeout: Duration,
    /// How long a replica may go without proof that the database and the
    /// other replicas' writes reach it (`lease.rs`).
    pub max_staleness: Duration,
    /// TLS to the database (`store.tls`).
    pub tls: DatabaseTls,
}

/// TLS to the database (`store.tls`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DatabaseTls {
    /// Encrypted, the certificate checked against the system's roots or
    /// the given CA file (PEM).
    #[default]
    Require,
    RequireWithCa(PathBuf),
    /// In the clear.
    Disable,
}

/// Check a URL without connecting: the error names what is wrong, never
/// the URL (it may hold a password).
pub fn parse_url(url: &str) -> Result<postgres::Config, String> {
    url.parse::<postgres::Config>()
        .map_err(|e| format!("is not a PostgreSQL connection URL ({e})"))
}

/// `parse_url` for the configuration's checks.
pub fn postgres_url(url: &str) -> Result<(), String> {
    parse_url(url).map(drop)
}
