//! The `webauthn` section: the relying-party id (the site users see), the
//! origins answers may come from, and the name authenticators show. The
//! relying party is built here once, so `check-config` reports what the
//! library would refuse; a company pinned to "passkey only" needs it.

use super::super::WebauthnConfig;
use super::super::raw::RawWebauthn;
use super::{ConfigError, Doc};
use crate::domain::Enforcement;
use std::collections::HashMap;
use std::time::Duration;

impl Doc<'_> {
    pub(super) fn webauthn(
        &self,
        raw: Option<RawWebauthn>,
        app_name: &str,
        companies: &HashMap<String, Enforcement>,
    ) -> Result<Option<WebauthnConfig>, ConfigError> {
        let Some(raw) = raw else {
            let mut pinned: Vec<&String> = companies
                .iter()
                .filter(|(_, e)| e.passkey_only())
                .map(|(c, _)| c)
                .collect();
            pinned.sort();
            return match pinned.first() {
                Some(company) => Err(self.error(
                    &format!("companies.{company}"),
                    "`required_passkey` needs passkeys: add a `webauthn` section (rp_id, origins)",
                )),
                None => Ok(None),
            };
        };
        let rp_id = raw.rp_id.trim().to_ascii_lowercase();
        let valid_id = !rp_id.is_empty()
            && !rp_id.contains([':', '/', ' '])
            && rp_id.parse::<std::net::IpAddr>().is_err();
        if !valid_id {
            return Err(self.error(
                "webauthn.rp_id",
                "give the domain name users see (`example.com`, `login.example.com`): no scheme, port or IP address",
            ));
        }
        if raw.origins.is_empty() {
            return Err(self.error(
                "webauthn.origins",
                "give at least one origin (`https://login.example.com`)",
            ));
        }
        let mut origins = Vec::new();
        for (i, text) in raw.origins.iter().enumerate() {
            let field = format!("webauthn.origins[{i}]");
            let origin = url::Url::parse(text)
                .map_err(|e| self.error(&field, format!("`{text}` is not a URL: {e}")))?;
            self.check(&field, crate::config::check_origin(&origin))?;
            origins.push(origin);
        }
        let config = WebauthnConfig {
            rp_id,
            rp_name: raw.rp_name.unwrap_or_else(|| app_name.to_owned()),
            origins,
        };
        self.check(
            "webauthn",
            config.relying_party(Duration::from_secs(60)).map(drop),
        )?;
        Ok(Some(config))
    }
}
