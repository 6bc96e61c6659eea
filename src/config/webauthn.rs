//! The validated `webauthn` section: the relying party (the site users
//! see), the origins answers may come from, and the name authenticators
//! show; and the checks `check-config` makes of them, so that a relying
//! party the gateway would refuse to build is refused at load.

use std::time::Duration;
use url::Url;
use webauthn_rs::prelude::{Webauthn, WebauthnBuilder};

/// The WebAuthn relying party (`webauthn` section): credentials are bound
/// to `rp_id`, and answers are accepted from `origins` only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebauthnConfig {
    pub rp_id: String,
    pub rp_name: String,
    pub origins: Vec<url::Url>,
}

impl WebauthnConfig {
    /// The relying party, its ceremonies timing out after `timeout`; the
    /// error says what is wrong (an origin not on the id, an invalid id).
    pub fn relying_party(&self, timeout: Duration) -> Result<Webauthn, String> {
        let (first, more) = self
            .origins
            .split_first()
            .ok_or("at least one origin is needed")?;
        let mut builder = WebauthnBuilder::new(&self.rp_id, first).map_err(|_| {
            format!(
                "the origin {first} is not on the relying-party id {} (nor below it)",
                self.rp_id
            )
        })?;
        for origin in more {
            builder = builder.append_allowed_origin(origin);
        }
        builder
            .rp_name(&self.rp_name)
            .timeout(timeout)
            .build()
            .map_err(|e| format!("the relying party is not valid: {e}"))
    }
}

/// Whether `origin` may be one of the configured origins: `https`, or
/// `http` on `localhost` (browsers allow WebAuthn there only), and an
/// origin only (no path, query or credentials).
pub fn check_origin(origin: &Url) -> Result<(), String> {
    let local = origin
        .host_str()
        .is_some_and(|h| h == "localhost" || h.ends_with(".localhost"));
    if origin.scheme() != "https" && !(origin.scheme() == "http" && local) {
        return Err(format!(
            "{origin} is not https: browsers offer passkeys on https origins (and http://localhost) only"
        ));
    }
    if origin.domain().is_none() {
        return Err(format!(
            "{origin} has no domain name: a relying party cannot be an IP address"
        ));
    }
    let bare = origin.path() == "/" && origin.query().is_none() && origin.fragment().is_none();
    if !bare || !origin.username().is_empty() || origin.password().is_some() {
        return Err(format!(
            "{origin} is not an origin: give scheme, host and port only"
        ));
    }
    Ok(())
}
