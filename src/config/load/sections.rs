//! The checks of the core sections, one method per section, in the order
//! `validate` calls them (the first error found is the one reported):
//! `upstream`, `store`, `secrets`, `totp`, `cookie`, `companies`, `bypass`,
//! `max_failures`, `ui`, `server`.

use super::super::raw::{
    RawCompany, RawCookie, RawLocale, RawServer, RawStore, RawTotp, RawUpstream,
};
use super::super::{
    BypassRule, CookieConfig, IdentitySource, Locale, ServerConfig, StoreConfig, TotpConfig,
    UiConfig, Upstream,
};
use super::checks::{
    at_least_one, bypass_rule, cookie_name, host_of, issuer_name, non_blank, positive,
};
use super::{ConfigError, Doc, logo_path, resolve};
use crate::domain::{Enforcement, RememberDays};
use std::collections::{BTreeMap, HashMap};

/// What `companies:` pins: enforcements, and remembered-browser settings.
#[derive(Default)]
pub(super) struct Pins(
    pub HashMap<String, Enforcement>,
    pub HashMap<String, RememberDays>,
);
use std::path::Path;

impl Doc<'_> {
    pub(super) fn upstream(&self, up: RawUpstream) -> Result<Upstream, ConfigError> {
        let host = self.check("upstream.address", host_of(&up.address))?;
        let sni = match up.sni {
            Some(sni) => self.check("upstream.sni", non_blank(sni))?,
            None => host,
        };
        Ok(Upstream {
            address: up.address,
            tls: up.tls,
            sni,
            connect_timeout: self
                .check("upstream.connect_timeout", positive(up.connect_timeout))?,
            read_timeout: self.check("upstream.read_timeout", positive(up.read_timeout))?,
            write_timeout: self.check("upstream.write_timeout", positive(up.write_timeout))?,
        })
    }

    pub(super) fn store(&self, raw: RawStore, base: &Path) -> Result<StoreConfig, ConfigError> {
        if raw.path.as_os_str().is_empty() {
            return Err(self.error("store.path", "must not be empty"));
        }
        Ok(StoreConfig {
            path: resolve(base, &raw.path),
        })
    }

    /// `app_name` is the issuer's default.
    pub(super) fn totp(&self, raw: RawTotp, app_name: &str) -> Result<TotpConfig, ConfigError> {
        // The issuer becomes part of the otpauth label `issuer:account`,
        // where a colon would be ambiguous.
        let issuer = match raw.issuer {
            Some(issuer) => self.check("totp.issuer", issuer_name(issuer))?,
            None => self.check(
                "ui.app_name",
                issuer_name(app_name.to_owned())
                    .map_err(|m| format!("{m} (it is the default of totp.issuer)")),
            )?,
        };
        if raw.skew > 2 {
            return Err(self.error(
                "totp.skew",
                format!("{} is out of range (allowed: 0, 1 or 2)", raw.skew),
            ));
        }
        Ok(TotpConfig {
            issuer,
            skew: raw.skew,
        })
    }

    /// The gateway cookie; its name must differ from the app's session
    /// cookie of `identity`.
    pub(super) fn cookie(
        &self,
        raw: RawCookie,
        identity: &IdentitySource,
    ) -> Result<CookieConfig, ConfigError> {
        let name = self.check("cookie.name", cookie_name(raw.name))?;
        if identity.session_cookies().is_some_and(|s| s.covers(&name)) {
            return Err(self.error(
                "cookie.name",
                format!("\"{name}\" is also identity.session_cookie; the two cookies must differ"),
            ));
        }
        if !raw.secure && (name.starts_with("__Host-") || name.starts_with("__Secure-")) {
            return Err(self.error(
                "cookie.secure",
                "must be true for a cookie named __Host-… or __Secure-… (browsers drop it otherwise)",
            ));
        }
        Ok(CookieConfig {
            name,
            secure: raw.secure,
            max_age: self.check("cookie.max_age", positive(raw.max_age))?,
        })
    }

    /// The pinned enforcements and the pinned remember settings.
    pub(super) fn companies(&self, raw: BTreeMap<String, RawCompany>) -> Result<Pins, ConfigError> {
        if raw.keys().any(|company| company.trim().is_empty()) {
            return Err(self.error("companies", "a company id must not be empty"));
        }
        let mut pins = Pins::default();
        for (company, settings) in raw {
            if let Some(e) = settings.enforcement {
                pins.0.insert(company.clone(), e);
            }
            if let Some(d) = settings.remember_days {
                pins.1.insert(company, d);
            }
        }
        Ok(pins)
    }

    pub(super) fn bypass(&self, raw: &[String]) -> Result<Vec<BypassRule>, ConfigError> {
        let mut bypass = Vec::with_capacity(raw.len());
        for (i, entry) in raw.iter().enumerate() {
            bypass.push(self.check(&format!("bypass[{i}]"), bypass_rule(entry))?);
        }
        Ok(bypass)
    }

    pub(super) fn max_failures(&self, raw: u32) -> Result<u32, ConfigError> {
        if !(1..=1000).contains(&raw) {
            return Err(self.error(
                "max_failures",
                format!("{raw} is out of range (allowed: 1 to 1000)"),
            ));
        }
        Ok(raw)
    }

    /// `app_name` was checked first (it is also the issuer's default).
    pub(super) fn ui(
        &self,
        default_locale: RawLocale,
        app_name: String,
        logo: Option<String>,
    ) -> Result<UiConfig, ConfigError> {
        Ok(UiConfig {
            default_locale: match default_locale {
                RawLocale::Ja => Locale::Ja,
                RawLocale::En => Locale::En,
            },
            app_name,
            logo: self.check("ui.logo", logo_path(logo))?,
        })
    }

    pub(super) fn server(&self, raw: RawServer) -> Result<ServerConfig, ConfigError> {
        Ok(ServerConfig {
            threads: self.check("server.threads", at_least_one(raw.threads))?,
            grace_period: raw.grace_period,
        })
    }
}
