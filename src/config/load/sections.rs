//! The checks of the core sections, one method per section, in the order
//! `validate` calls them (each section's first error is reported, beside
//! the other sections' errors):
//! `upstream`, `store`, `secrets`, `totp`, `cookie`, `companies`, `bypass`,
//! `max_failures`, `ui`, `server`. `store` hands each backend to a private
//! method of its own, and PostgreSQL's settings to one method each.

use super::super::raw::{
    RawBackend, RawCompany, RawCookie, RawDatabaseTls, RawSecret, RawServer, RawStore, RawTotp,
    RawUpstream,
};
use super::super::{
    BypassRule, CookieConfig, IdentitySource, ServerConfig, StoreConfig, TotpConfig, Upstream,
};
use super::checks::{
    at_least_one, bypass_rule, cookie_name, host_of, issuer_name, non_blank, positive,
};
use super::{ConfigError, Doc, resolve};
use crate::domain::{Enforcement, RememberDays};
use std::collections::{BTreeMap, HashMap};

/// What `companies:` pins: enforcements, and remembered-browser settings.
#[derive(Default)]
pub(super) struct Pins(
    pub HashMap<String, Enforcement>,
    pub HashMap<String, RememberDays>,
);
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::DatabaseTls;

/// Connections a gateway keeps to PostgreSQL, unless `store.pool_size`.
const DEFAULT_POOL_SIZE: u32 = 10;
const MAX_POOL_SIZE: u32 = 1000;
/// Connecting and one statement at most, unless `store.timeout` (or its
/// older spelling `store.connect_timeout`).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a replica may go without proof of the database, unless
/// `store.max_staleness`.
const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(2);
/// Both are between these.
const SHORTEST: Duration = Duration::from_millis(100);
const LONGEST: Duration = Duration::from_secs(60);

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

    /// The `store` section: a sled directory, or a PostgreSQL database.
    pub(super) fn store(
        &self,
        raw: RawStore,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<StoreConfig, ConfigError> {
        match raw.backend {
            RawBackend::Sled => self.sled_store(raw, base),
            RawBackend::Postgres => self.postgres_store(raw, base, env),
        }
    }

    /// `backend: sled`: a directory, and none of PostgreSQL's settings.
    fn sled_store(&self, raw: RawStore, base: &Path) -> Result<StoreConfig, ConfigError> {
        for (given, field) in [
            (raw.url.is_some(), "store.url"),
            (raw.pool_size.is_some(), "store.pool_size"),
            (raw.connect_timeout.is_some(), "store.connect_timeout"),
            (raw.timeout.is_some(), "store.timeout"),
            (raw.max_staleness.is_some(), "store.max_staleness"),
            (raw.tls.is_some(), "store.tls"),
            (raw.ca_file.is_some(), "store.ca_file"),
        ] {
            if given {
                return Err(self.error(field, "is only used with `backend: postgres`"));
            }
        }
        let path = raw.path.unwrap_or_default();
        if path.as_os_str().is_empty() {
            return Err(self.error(
                "store.path",
                "is required (the store's directory), unless `backend: postgres`",
            ));
        }
        Ok(StoreConfig::Sled {
            path: resolve(base, &path),
        })
    }

    /// `backend: postgres`: the database's URL (a secret), then the pool,
    /// the time limits and TLS, in that order.
    fn postgres_store(
        &self,
        raw: RawStore,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<StoreConfig, ConfigError> {
        if raw.path.is_some() {
            return Err(self.error(
                "store.path",
                "is not used with `backend: postgres` (the database is `store.url`); remove it",
            ));
        }
        let url = self.database_url(raw.url.as_ref(), base, env)?;
        let pool_size = self.pool_size(raw.pool_size)?;
        let (timeout, max_staleness) =
            self.store_time_limits(raw.timeout, raw.connect_timeout, raw.max_staleness)?;
        let tls = self.database_tls(raw.tls, raw.ca_file, base)?;
        Ok(StoreConfig::Postgres(crate::config::PostgresOptions {
            url,
            pool_size,
            timeout,
            max_staleness,
            tls,
        }))
    }

    /// `store.url`, required with PostgreSQL, read from the environment or
    /// a file and checked to be a PostgreSQL URL.
    fn database_url(
        &self,
        raw: Option<&RawSecret>,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, ConfigError> {
        let Some(url) = raw else {
            return Err(self.error(
                "store.url",
                "is required with `backend: postgres`, e.g. `url: { env: MFA_GATE_DATABASE_URL }`",
            ));
        };
        self.secret_with("store.url", url, base, env, |text| {
            let text = text.trim();
            crate::config::postgres_url(text).map(|()| text.to_owned())
        })
    }

    /// `store.pool_size`, or its default.
    fn pool_size(&self, raw: Option<u32>) -> Result<u32, ConfigError> {
        let pool_size = raw.unwrap_or(DEFAULT_POOL_SIZE);
        if !(1..=MAX_POOL_SIZE).contains(&pool_size) {
            return Err(self.error(
                "store.pool_size",
                format!("{pool_size} is out of range (1 to {MAX_POOL_SIZE})"),
            ));
        }
        Ok(pool_size)
    }

    /// `store.timeout` (or its older spelling `store.connect_timeout`, not
    /// both) and `store.max_staleness`, or their defaults.
    fn store_time_limits(
        &self,
        timeout: Option<Duration>,
        connect_timeout: Option<Duration>,
        max_staleness: Option<Duration>,
    ) -> Result<(Duration, Duration), ConfigError> {
        let (timeout, field) = match (timeout, connect_timeout) {
            (Some(_), Some(_)) => {
                return Err(self.error(
                    "store.connect_timeout",
                    "give `timeout` only (`connect_timeout` is its older spelling)",
                ));
            }
            (Some(t), None) => (t, "store.timeout"),
            (None, Some(t)) => (t, "store.connect_timeout"),
            (None, None) => (DEFAULT_TIMEOUT, "store.timeout"),
        };
        let max_staleness = max_staleness.unwrap_or(DEFAULT_MAX_STALENESS);
        for (value, field) in [(timeout, field), (max_staleness, "store.max_staleness")] {
            if !(SHORTEST..=LONGEST).contains(&value) {
                return Err(self.error(field, "must be 100ms to 60s"));
            }
        }
        Ok((timeout, max_staleness))
    }

    /// `store.tls` (required unless disabled) and the CA of `store.ca_file`,
    /// which must be a file.
    fn database_tls(
        &self,
        tls: Option<RawDatabaseTls>,
        ca_file: Option<PathBuf>,
        base: &Path,
    ) -> Result<DatabaseTls, ConfigError> {
        Ok(match (tls.unwrap_or(RawDatabaseTls::Require), ca_file) {
            (RawDatabaseTls::Disable, Some(_)) => {
                return Err(self.error("store.ca_file", "is only used with `tls: require`"));
            }
            (RawDatabaseTls::Disable, None) => DatabaseTls::Disable,
            (RawDatabaseTls::Require, None) => DatabaseTls::Require,
            (RawDatabaseTls::Require, Some(file)) => {
                let path = resolve(base, &file);
                if !path.is_file() {
                    return Err(self.error(
                        "store.ca_file",
                        format!("{} is not a readable file", path.display()),
                    ));
                }
                DatabaseTls::RequireWithCa(path)
            }
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

    /// Plain parameter names: what a form-decoded query name can equal.
    pub(super) fn bypass_query(&self, raw: Vec<String>) -> Result<Vec<String>, ConfigError> {
        for (i, name) in raw.iter().enumerate() {
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !plain {
                return Err(self.error(
                    &format!("bypass_query[{i}]"),
                    format!("\"{name}\" is not a plain parameter name (letters, digits, -_.)"),
                ));
            }
        }
        Ok(raw)
    }

    pub(super) fn step_up(&self, minutes: u32) -> Result<std::time::Duration, ConfigError> {
        if !(1..=1440).contains(&minutes) {
            return Err(self.error(
                "step_up_minutes",
                format!("{minutes} is out of range (allowed: 1 to 1440)"),
            ));
        }
        Ok(std::time::Duration::from_secs(u64::from(minutes) * 60))
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

    pub(super) fn server(&self, raw: RawServer) -> Result<ServerConfig, ConfigError> {
        Ok(ServerConfig {
            threads: self.check("server.threads", at_least_one(raw.threads))?,
            grace_period: raw.grace_period,
            watch_config: raw.watch_config,
        })
    }
}
