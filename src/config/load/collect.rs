//! Every mistake of a file at once (issue 34 §5). `Found` keeps the error
//! of each section that failed and lets the others be checked; a check
//! that needs another section's value (the gateway cookie needs the
//! identity source, the TLS listener the admin listener's address) runs
//! only when that section was valid, so no error follows from another.
//! `Checked` holds what each section gave, and becomes a `Config` only
//! when every section gave one. One error per section: its first.

use super::super::{
    AdminConfig, AuditConfig, Config, CookieConfig, ForwardAuthConfig, IdentitySource, LogConfig,
    MetricsConfig, NotifyConfig, Secrets, ServerConfig, StoreConfig, StrippedHeaders, Tenancy,
    TlsConfig, TotpConfig, TrustedProxies, UiConfig, Upstream, WebauthnConfig,
};
use super::ConfigError;
use super::sections::Pins;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The errors found so far, in the order the sections are checked.
#[derive(Default)]
pub(super) struct Found(pub Vec<ConfigError>);

impl Found {
    /// A check's value, or `None` with its error kept.
    pub fn keep<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }
}

/// What each section of a file gave; `None` where it was refused (or not
/// checked, because a section it needs was refused).
pub(super) struct Checked {
    pub source: PathBuf,
    pub listen: SocketAddr,
    pub allow_get_body: bool,
    pub tenancy: Tenancy,
    pub prefix: Option<String>,
    pub upstream: Option<Upstream>,
    pub trusted_proxies: Option<TrustedProxies>,
    pub identity: Option<(IdentitySource, StrippedHeaders)>,
    pub store: Option<StoreConfig>,
    pub secrets: Option<Secrets>,
    pub totp: Option<TotpConfig>,
    pub cookie: Option<CookieConfig>,
    pub pins: Option<Pins>,
    pub policy_admin_roles: Option<Vec<String>>,
    pub bypass: Option<Vec<super::super::BypassRule>>,
    pub bypass_query: Option<Vec<String>>,
    pub max_failures: Option<u32>,
    pub step_up: Option<Duration>,
    pub ui: Option<UiConfig>,
    pub server: Option<ServerConfig>,
    pub admin: Option<Option<AdminConfig>>,
    pub audit: Option<AuditConfig>,
    pub notify: Option<Option<NotifyConfig>>,
    pub tls: Option<Option<TlsConfig>>,
    pub log: Option<LogConfig>,
    pub webauthn: Option<Option<WebauthnConfig>>,
    pub metrics: Option<Option<MetricsConfig>>,
    pub forward_auth: Option<ForwardAuthConfig>,
}

impl Checked {
    /// The configuration, when every section gave its part.
    pub fn config(self) -> Option<Config> {
        let (identity, stripped_headers) = self.identity?;
        let Pins(companies, remember_days) = self.pins?;
        Some(Config {
            source: self.source,
            listen: self.listen,
            upstream: self.upstream?,
            identity,
            trusted_proxies: self.trusted_proxies?,
            stripped_headers,
            tls: self.tls?,
            log: self.log?,
            store: self.store?,
            secrets: self.secrets?,
            totp: self.totp?,
            cookie: self.cookie?,
            companies,
            remember_days,
            tenancy: self.tenancy,
            policy_admin_roles: self.policy_admin_roles?,
            bypass: self.bypass?,
            bypass_query: self.bypass_query?,
            allow_get_body: self.allow_get_body,
            step_up: self.step_up?,
            max_failures: self.max_failures?,
            prefix: self.prefix?,
            ui: self.ui?,
            server: self.server?,
            admin: self.admin?,
            audit: self.audit?,
            notify: self.notify?,
            webauthn: self.webauthn?,
            metrics: self.metrics?,
            forward_auth: self.forward_auth?,
        })
    }
}
