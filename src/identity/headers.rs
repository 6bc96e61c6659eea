//! The `headers` source: an SSO front (oauth2-proxy, an IdP-aware load
//! balancer…) has logged the user in and says who it is in request headers.
//! Those headers are believed only from `trusted_proxies` (the caller
//! checks the peer and strips them from everyone else); here they are
//! read into an `Identity`. A request without the account header is
//! anonymous; one with a malformed or ambiguous claim is an error, which
//! the proxy turns into a 503 (fail closed), never a pass.

use super::MAX_FIELD;
use crate::config::HeadersConfig;
use crate::domain::{AccountClass, Identity, IdentityFields};
use http::{HeaderMap, HeaderName};

/// Most roles read from the roles header.
const MAX_ROLES: usize = 64;

/// The running `headers` source (`config::HeadersConfig`): reads an
/// identity out of a trusted peer's request headers.
#[derive(Debug)]
pub struct HeadersReader {
    config: HeadersConfig,
}

impl HeadersReader {
    pub fn new(config: &HeadersConfig) -> HeadersReader {
        HeadersReader {
            config: config.clone(),
        }
    }

    /// The per-session value the SSO front sends in `headers.session`.
    pub fn session_header(&self, headers: &HeaderMap) -> Option<String> {
        let name = self.config.session_header.as_ref()?;
        one(headers, name).ok().flatten()
    }

    /// The identity claimed by a trusted peer's headers: `None` when the
    /// account header is absent (anonymous), an error when a claim is
    /// malformed, repeated, or missing without a default.
    pub fn read(&self, headers: &HeaderMap) -> Option<Result<Identity, String>> {
        let account = match one(headers, &self.config.account) {
            Ok(None) => return None,
            Ok(Some(account)) => account,
            Err(e) => return Some(Err(e)),
        };
        Some(self.claims(headers, account))
    }

    fn claims(&self, headers: &HeaderMap, account: String) -> Result<Identity, String> {
        let optional = |name: &Option<HeaderName>| match name {
            Some(name) => one(headers, name),
            None => Ok(None),
        };
        let company = optional(&self.config.company)?
            .or_else(|| self.config.default_company.clone())
            .ok_or("no company header and no identity.defaults.company")?;
        let class = match optional(&self.config.class)? {
            Some(text) => AccountClass::parse(&text)
                .ok_or("the class header must be candidate, employee or admin")?,
            None => self
                .config
                .default_class
                .ok_or("no class header and no identity.defaults.class")?,
        };
        let person = optional(&self.config.person)?.unwrap_or_else(|| account.clone());
        let roles = match optional(&self.config.roles)? {
            None => Vec::new(),
            Some(list) => {
                let roles: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect();
                if roles.len() > MAX_ROLES {
                    return Err("the roles header lists too many roles".into());
                }
                roles
            }
        };
        Identity::new(IdentityFields {
            account,
            company,
            class,
            roles,
            person,
            email: optional(&self.config.email)?,
        })
        .map_err(|e| e.to_string())
    }
}

/// The single value of header `name`: `None` when absent or empty; an error
/// when sent twice (which one would the app read?), too long, not UTF-8 or
/// holding control characters. Messages name the header, never the value.
fn one(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, String> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(format!("header {name} is sent more than once"));
    }
    let text = std::str::from_utf8(value.as_bytes())
        .map_err(|_| format!("header {name} is not UTF-8"))?
        .trim();
    if text.len() > MAX_FIELD {
        return Err(format!("header {name} is too long"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("header {name} holds control characters"));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

#[cfg(test)]
mod tests;
