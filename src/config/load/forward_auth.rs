//! The `forward_auth` section: each identity header a valid HTTP header
//! name that is not one a front or mfa-gate gives another meaning
//! (`Host`, `Cookie`, hop-by-hop headers, `X-Mfa-*`, `X-Forwarded-*`), and
//! each field one the identity has; the ask listener on an address no
//! other listener of ours takes.

use super::super::raw::{RawForwardAuth, RawMetrics};
use super::super::{AdminConfig, ForwardAuthConfig, IdentityField, TlsConfig};
use super::{ConfigError, Doc};
use std::net::SocketAddr;

/// Headers an identity header may not be named as.
const RESERVED: &[&str] = &[
    "host",
    "cookie",
    "set-cookie",
    "connection",
    "content-length",
    "transfer-encoding",
    "location",
    "authorization",
];

impl Doc<'_> {
    pub(super) fn forward_auth(
        &self,
        raw: Option<RawForwardAuth>,
        taken: &[(&str, SocketAddr)],
    ) -> Result<ForwardAuthConfig, ConfigError> {
        let Some(raw) = raw else {
            return Ok(ForwardAuthConfig::default());
        };
        if let Some((field, _)) = taken.iter().find(|(_, a)| Some(*a) == raw.listen) {
            return Err(self.error(
                "forward_auth.listen",
                format!("the address is taken by `{field}`: the ask listener needs its own"),
            ));
        }
        let Some(raw_headers) = raw.identity_headers else {
            return Ok(ForwardAuthConfig {
                listen: raw.listen,
                ..ForwardAuthConfig::default()
            });
        };
        let mut identity_headers = Vec::new();
        for (name, field) in raw_headers {
            let at = format!("forward_auth.identity_headers.{name}");
            self.check(&at, header_name(&name))?;
            let Some(field) = IdentityField::parse(&field) else {
                return Err(self.error(
                    &at,
                    format!("`{field}` is not an identity field (account, email, company, class)"),
                ));
            };
            identity_headers.push((name, field));
        }
        Ok(ForwardAuthConfig {
            identity_headers,
            listen: raw.listen,
        })
    }
}

/// A header name the front may copy to the app.
fn header_name(name: &str) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("`{name}` is not an HTTP header name"));
    }
    if RESERVED.contains(&lower.as_str())
        || lower.starts_with("x-mfa-")
        || lower.starts_with("x-forwarded-")
    {
        return Err(format!(
            "`{name}` has another meaning: choose a name of its own"
        ));
    }
    Ok(())
}

/// The addresses our other listeners take, by the field that names them;
/// `None` when the TLS section was refused (nothing to compare).
pub(super) fn listeners(
    listen: SocketAddr,
    admin: Option<&AdminConfig>,
    tls: Option<&Option<TlsConfig>>,
    metrics: Option<&RawMetrics>,
) -> Option<Vec<(&'static str, SocketAddr)>> {
    let tls = tls?;
    let mut taken = vec![("listen", listen)];
    taken.extend(admin.map(|a| ("admin.listen", a.listen)));
    taken.extend(tls.as_ref().map(|t| ("tls.listen", t.listen)));
    taken.extend(metrics.map(|m| ("metrics.listen", m.listen)));
    Some(taken)
}
