//! The operational sections: `trusted_proxies` (CIDR blocks), `tls` (the
//! HTTPS listener, whose certificate and key are read and checked here, so
//! `check-config` refuses what `serve` would), `log` and `metrics` (the
//! metrics and probes listener, on an address of its own).

use super::super::raw::{RawLog, RawLogFormat, RawMetrics, RawTls};
use super::super::{AdminConfig, LogConfig, LogFormat, MetricsConfig, TlsConfig, TrustedProxies};
use super::{ConfigError, Doc, resolve};
use crate::keys::certificate::TlsError;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

impl Doc<'_> {
    /// The `metrics` section: its own address, not one another listener
    /// of ours takes.
    pub(super) fn metrics(
        &self,
        raw: Option<RawMetrics>,
        listen: SocketAddr,
        admin: Option<&AdminConfig>,
    ) -> Result<Option<MetricsConfig>, ConfigError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        if raw.listen == listen || admin.is_some_and(|a| a.listen == raw.listen) {
            return Err(self.error(
                "metrics.listen",
                format!("{} is taken by another listener of mfa-gate", raw.listen),
            ));
        }
        Ok(Some(MetricsConfig { listen: raw.listen }))
    }

    pub(super) fn trusted_proxies(&self, raw: &[String]) -> Result<TrustedProxies, ConfigError> {
        let mut nets = Vec::with_capacity(raw.len());
        for (i, entry) in raw.iter().enumerate() {
            nets.push(self.check(&format!("trusted_proxies[{i}]"), cidr(entry))?);
        }
        Ok(TrustedProxies::new(nets))
    }

    pub(super) fn tls(
        &self,
        raw: Option<RawTls>,
        taken: &[(&str, SocketAddr)],
        base: &Path,
    ) -> Result<Option<TlsConfig>, ConfigError> {
        let Some(raw) = raw else { return Ok(None) };
        for (field, addr) in taken {
            if raw.listen == *addr {
                return Err(self.error(
                    "tls.listen",
                    format!("{addr} is also `{field}`; the HTTPS listener needs its own port"),
                ));
            }
        }
        let config = TlsConfig {
            listen: raw.listen,
            cert: resolve(base, &raw.cert),
            key: resolve(base, &raw.key),
            http2: raw.http2,
        };
        match crate::keys::certificate::load_pair(&config.cert, &config.key) {
            Ok(_) => Ok(Some(config)),
            Err(TlsError::Cert(m)) => Err(self.error("tls.cert", m)),
            Err(TlsError::Key(m)) => Err(self.error("tls.key", m)),
        }
    }

    pub(super) fn log(&self, raw: RawLog) -> Result<LogConfig, ConfigError> {
        let level = raw.level.trim().to_owned();
        if tracing_subscriber::EnvFilter::try_new(&level).is_err() || level.is_empty() {
            return Err(self.error(
                "log.level",
                format!(
                    "\"{level}\" is not a log filter (e.g. info, debug, or info,mfa_gate::access=warn)"
                ),
            ));
        }
        Ok(LogConfig {
            format: match raw.format {
                RawLogFormat::Text => LogFormat::Text,
                RawLogFormat::Json => LogFormat::Json,
            },
            level,
        })
    }
}

/// `10.0.0.0/8`, `fd00::/8`, or a single address (`10.0.0.5`, `::1`).
fn cidr(entry: &str) -> Result<ipnet::IpNet, String> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(ipnet::IpNet::from(ip));
    }
    let net: ipnet::IpNet = entry.parse().map_err(|_| {
        format!(
            "\"{entry}\" is not an address or CIDR block (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)"
        )
    })?;
    if net.prefix_len() == 0 {
        return Err(format!(
            "\"{entry}\" would trust every address: anyone could claim any identity"
        ));
    }
    if net.trunc() != net {
        return Err(format!(
            "\"{entry}\" has host bits set; did you mean {}?",
            net.trunc()
        ));
    }
    Ok(net)
}

#[cfg(test)]
mod tests;
