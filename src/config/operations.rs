//! The validated operational settings: which peers are trusted proxies,
//! the HTTPS listener and the log format. Plain data with a few lookups;
//! the checks that produce them are in `load/operations.rs`.

use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Peers whose identity headers (source `headers`) and `X-Forwarded-*`
/// headers are believed. Everyone else's are stripped or replaced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(nets)
    }

    /// Whether `ip` is in one of the blocks. An IPv4 address seen as
    /// IPv4-mapped IPv6 (`::ffff:a.b.c.d`, a dual-stack listener) counts as
    /// the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The HTTPS listener (rustls). The certificate and key are checked when
/// the configuration is loaded and read again at start and on reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    pub listen: SocketAddr,
    /// PEM: the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM: the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Offer HTTP/2 to clients (ALPN `h2`, then `http/1.1`).
    pub http2: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `info,mfa_gate::access=warn`;
    /// the `MFA_GATE_LOG` environment variable overrides it.
    pub level: String,
}

#[cfg(test)]
mod tests;
