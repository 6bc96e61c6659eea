//! The `forward_auth` section: each identity header a valid HTTP header
//! name that is not one a front or mfa-gate gives another meaning
//! (`Host`, `Cookie`, hop-by-hop headers, `X-Mfa-*`, `X-Forwarded-*`), and
//! each field one the identity has.

use super::super::raw::RawForwardAuth;
use super::super::{ForwardAuthConfig, IdentityField};
use super::{ConfigError, Doc};

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
    ) -> Result<ForwardAuthConfig, ConfigError> {
        let Some(raw) = raw else {
            return Ok(ForwardAuthConfig::default());
        };
        let mut identity_headers = Vec::new();
        for (name, field) in raw.identity_headers {
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
        Ok(ForwardAuthConfig { identity_headers })
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
