//! The validated configuration: what the rest of mfa-gate reads. The YAML
//! file is parsed into the raw types of `raw.rs` and checked into these
//! internal types by `load.rs`; nothing here is ever serialized back.
//! Only this module knows YAML. The identity source and its settings are
//! described in `identity.rs`, the operational sections (trusted proxies,
//! TLS, logs) in `operations.rs`.

mod forward_auth;
mod identity;
mod load;
mod mapping;
mod notify;
mod operations;
mod raw;
pub mod rules;
mod store;
mod tenancy;
mod webauthn;

/// The language types live with the catalogs (`i18n`).
pub use crate::i18n::{Languages, Locale};
pub use forward_auth::{ForwardAuthConfig, IdentityField};
pub use identity::{
    AnonymousWhen, CookieName, DEFAULT_STRIPPED_HEADERS, FieldMap, FieldRule, HeadersConfig,
    IdentitySource, SessionCookies, StrippedHeaders, ValueMap, WhoamiConfig, WhoamiMethod,
    skeleton,
};
pub use load::{ConfigError, load_admin_file, load_file, load_str};
#[cfg(test)]
pub(crate) use load::{load_str_with_env, minimal_config_with};
pub use mapping::pointer_of;
pub use notify::{
    EmailConfig, EmailTransport, NotifyConfig, RetryConfig, Secret, SmtpConfig, SmtpSecurity,
    WebhookConfig,
};
pub use operations::{LogConfig, LogFormat, TlsConfig, TrustedProxies};
pub use store::{DatabaseTls, PostgresOptions, parse_url, postgres_url};
pub use tenancy::{IMPLICIT_TENANT, Tenancy};
pub use webauthn::{WebauthnConfig, check_origin};

use crate::domain::{Enforcement, RememberDays};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from (for reload and messages).
    pub source: PathBuf,
    pub listen: SocketAddr,
    pub upstream: Upstream,
    /// Where identities come from: the app's whoami endpoint, or headers
    /// set by a trusted SSO front.
    pub identity: IdentitySource,
    /// Peers whose identity and `X-Forwarded-*` headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// Identity headers removed from the requests of every other peer:
    /// `identity.strip_headers` (or the default list) and the identity
    /// source's own headers.
    pub stripped_headers: StrippedHeaders,
    /// None of mfa-gate's own cookie names reads as the app's session
    /// cookie (`request::cookies::own_names_plain`, derived at load).
    pub own_cookies_plain: bool,
    /// The optional HTTPS listener.
    pub tls: Option<TlsConfig>,
    pub log: LogConfig,
    pub store: StoreConfig,
    pub secrets: Secrets,
    pub totp: TotpConfig,
    pub cookie: CookieConfig,
    /// Companies whose policy is pinned by configuration (read-only on the
    /// admin page).
    pub companies: HashMap<String, Enforcement>,
    /// Companies whose remembered-browser setting is pinned by
    /// configuration (`companies.NAME.remember_days`; read-only on the
    /// admin page).
    pub remember_days: HashMap<String, RememberDays>,
    /// One implicit tenant, or accounts split by company (`tenancy.rs`).
    pub tenancy: Tenancy,
    /// Roles of which an admin-class account needs one to see and change
    /// its company's policy (`policy_admin_roles`, default `[admin]`).
    pub policy_admin_roles: Vec<String>,
    pub bypass: Vec<BypassRule>,
    /// Ordered access rules, first match wins (DESIGN §11); empty: the
    /// company policy everywhere.
    pub access_rules: Vec<rules::AccessRule>,
    /// The query parameters a bypass path may carry: a request whose query
    /// names any other is judged, since a front controller (PHP's
    /// `index.php?q=…`, WordPress's `?p=`) may route on the query.
    pub bypass_query: Vec<String>,
    /// Forward a GET or HEAD that carries a body; off by default, since an
    /// app that ignores such a body may read it as a second request.
    pub allow_get_body: bool,
    /// How recent a second step proven in this app session (a code or a
    /// passkey; never a remembered browser) must be to change the person's
    /// factors: add a passkey, forget remembered browsers (DESIGN §9).
    pub step_up: std::time::Duration,
    /// Consecutive wrong codes before a person is locked.
    pub max_failures: u32,
    /// Route prefix of mfa-gate's own pages, e.g. `/_mfa`; no trailing slash.
    pub prefix: String,
    pub ui: UiConfig,
    pub server: ServerConfig,
    /// The admin listener (support API and metrics); `None` when the file
    /// has no `admin` section, and then no admin listener is started.
    pub admin: Option<AdminConfig>,
    pub audit: AuditConfig,
    /// Email and webhooks about security events; `None`: nobody is told.
    pub notify: Option<NotifyConfig>,
    /// Passkeys and security keys; `None`: not offered.
    pub webauthn: Option<WebauthnConfig>,
    /// The metrics and probes listener; `None`: none.
    pub metrics: Option<MetricsConfig>,
    /// What the forward-auth endpoint tells the front about who passed.
    pub forward_auth: ForwardAuthConfig,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// `host:port` of the app.
    pub address: String,
    pub tls: bool,
    /// SNI / Host for TLS upstreams.
    pub sni: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// The embedded store (the default): one directory, one process.
    Sled { path: PathBuf },
    /// A PostgreSQL database shared by several gateways.
    Postgres(PostgresOptions),
}

impl StoreConfig {
    /// sled's directory, when the store is sled.
    pub fn sled_path(&self) -> Option<&std::path::Path> {
        match self {
            StoreConfig::Sled { path } => Some(path),
            StoreConfig::Postgres(_) => None,
        }
    }

    /// Where the store is, for messages: the directory, or the database's
    /// host, port and name (never the URL's user or password).
    pub fn describe(&self) -> String {
        match self {
            StoreConfig::Sled { path } => format!("store.path {}", path.display()),
            StoreConfig::Postgres(options) => format!("store.url {}", options.describe()),
        }
    }
}

/// Key material. Hand-written `Debug`: never printed. Each key is the first
/// of a ring (`secrets.hmac_key: [{ env: NEW }, { env: OLD }]`): it signs
/// and seals; the older keys still verify and open.
#[derive(Clone)]
pub struct Secrets {
    /// Key for cookie signatures, CSRF tokens and session binding.
    pub hmac_key: [u8; 32],
    /// Key for sealing TOTP secrets at rest (ChaCha20-Poly1305).
    pub encryption_key: [u8; 32],
    /// Older HMAC keys, still verifying cookies and forms made under them.
    pub older_hmac_keys: Vec<[u8; 32]>,
    /// Older encryption keys, still opening secrets sealed under them.
    pub older_encryption_keys: Vec<[u8; 32]>,
}

impl Secrets {
    /// The key rings as `keys::Keys::from_rings` takes them, first first.
    pub fn keys(&self) -> crate::keys::Keys {
        let hmac = [&[self.hmac_key][..], &self.older_hmac_keys].concat();
        let encryption = [&[self.encryption_key][..], &self.older_encryption_keys].concat();
        crate::keys::Keys::from_rings(&hmac, &encryption)
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets { <redacted> }")
    }
}

#[derive(Clone, Debug)]
pub struct TotpConfig {
    /// Issuer shown in the authenticator app.
    pub issuer: String,
    /// Accepted clock skew in 30 s steps on either side.
    pub skew: u8,
}

#[derive(Clone, Debug)]
pub struct CookieConfig {
    pub name: String,
    pub secure: bool,
    /// How long a verified state lasts at most (it also ends with the app
    /// session).
    pub max_age: Duration,
}

/// A path that never needs 2FA, matched against the normalized path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BypassRule {
    /// `/login`: this path only.
    Exact(String),
    /// `/static/*`: the path and everything below it.
    Prefix(String),
}

#[derive(Clone, Debug)]
pub struct UiConfig {
    /// The language when neither the switch nor `Accept-Language` names
    /// an offered one; always one of `languages`.
    pub default_locale: Locale,
    /// The languages offered: the built-in catalogs with the operator's
    /// wording (`ui.i18n_dir`) laid over them.
    pub languages: Languages,
    /// Name of the protected app, shown on the pages.
    pub app_name: String,
    /// Same-site path of the app's logo, shown beside its name.
    pub logo: Option<String>,
    /// The app's logout (a same-site path or an https URL): the challenge
    /// page's "not you? sign out" link. No link when unset.
    pub logout_url: Option<String>,
    /// Who to ask when locked out, shown on the locked page.
    pub support_contact: Option<SupportContact>,
}

/// The locked page's way out: words, and a `mailto:` or `https:` link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupportContact {
    pub text: String,
    pub link: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub threads: usize,
    pub grace_period: Duration,
    /// Re-read the configuration file when it changes (a ConfigMap update).
    pub watch_config: bool,
}

/// The metrics listener: `/metrics`, `/livez` and `/readyz`, no token, and
/// nothing else (it cannot reach the support API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    pub listen: SocketAddr,
}

#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// Where the support API and `/metrics` listen; loopback by default.
    pub listen: SocketAddr,
    pub support_token: SupportToken,
}

/// The bearer token of the support API. It can reset anyone's 2FA, so it is
/// treated like a key: hand-written `Debug`, no `PartialEq` (so nobody
/// compares it with a timing-leaky `==`), and `verify` in constant time.
#[derive(Clone)]
pub struct SupportToken(String);

impl SupportToken {
    /// Shortest token accepted from a file or an environment variable.
    pub const MIN_LEN: usize = 16;

    pub(crate) fn new(token: String) -> SupportToken {
        SupportToken(token)
    }

    /// Whether `presented` is this token. Both sides are hashed first, so
    /// the comparison takes the same time whatever the presented length,
    /// and `subtle` compares the digests without an early exit.
    pub fn verify(&self, presented: &str) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let expected = Sha256::digest(self.0.as_bytes());
        let presented = Sha256::digest(presented.as_bytes());
        expected.ct_eq(&presented).into()
    }

    /// The token itself, for the support CLI to send; never for logging.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SupportToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SupportToken(<redacted>)")
    }
}

#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Audit events older than this are deleted (at start-up and hourly).
    pub retention: Duration,
}

#[cfg(test)]
mod tests;
