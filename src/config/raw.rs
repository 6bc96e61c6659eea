//! The serde shape of the YAML file, and nothing more: every section and
//! field the file may hold, their defaults, and the scalars that are parsed
//! while reading (durations, the listen address, the few fixed words), so
//! that a bad value is reported with its line. Unknown fields are errors
//! everywhere. Checks across fields, ranges and secrets belong to `load.rs`,
//! which turns these types into the validated `Config`.

pub(in crate::config) mod company;
pub(in crate::config) mod identity;
pub(in crate::config) mod key_ring;
pub(in crate::config) mod notify;
pub(in crate::config) mod rules;

use crate::domain::AccountClass;
pub(super) use company::RawCompany;
pub(super) use identity::{RawAnonymousWhen, RawFieldRule, RawFields, RawMethod};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(deserialize_with = "socket_addr")]
    pub listen: SocketAddr,
    pub upstream: RawUpstream,
    pub identity: RawIdentity,
    pub store: RawStore,
    pub secrets: RawSecrets,
    #[serde(default)]
    pub totp: RawTotp,
    #[serde(default)]
    pub cookie: RawCookie,
    #[serde(default, deserialize_with = "unique_map")]
    pub companies: BTreeMap<String, RawCompany>,
    /// Roles that let an admin account change its company's policy;
    /// `None`: `[admin]`.
    #[serde(default)]
    pub policy_admin_roles: Option<Vec<String>>,
    #[serde(default)]
    pub bypass: Vec<String>,
    /// Ordered access rules, first match wins (`load/rules.rs`).
    #[serde(default)]
    pub access_rules: Vec<rules::RawRule>,
    #[serde(default = "defaults::max_failures")]
    pub max_failures: u32,
    /// How recent a proven second step must be to change a person's
    /// factors (step-up), in minutes.
    #[serde(default = "defaults::step_up_minutes")]
    pub step_up_minutes: u32,
    /// Query parameters a bypass path may carry (any other query makes
    /// the path judged like any other).
    #[serde(default)]
    pub bypass_query: Vec<String>,
    /// Forward GET and HEAD requests that carry a body (refused by default).
    #[serde(default)]
    pub allow_get_body: bool,
    #[serde(default = "defaults::prefix")]
    pub prefix: String,
    #[serde(default)]
    pub ui: RawUi,
    #[serde(default)]
    pub server: RawServer,
    /// Absent: no admin listener.
    #[serde(default)]
    pub admin: Option<RawAdmin>,
    #[serde(default)]
    pub audit: RawAudit,
    /// Absent: nobody is notified.
    #[serde(default)]
    pub notify: Option<notify::RawNotify>,
    /// CIDR blocks (or single addresses) of the SSO front / load balancer.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Absent: no HTTPS listener.
    #[serde(default)]
    pub tls: Option<RawTls>,
    #[serde(default)]
    pub log: RawLog,
    /// Absent: no passkeys or security keys.
    #[serde(default)]
    pub webauthn: Option<RawWebauthn>,
    /// The metrics listener (`/metrics`, `/livez`, `/readyz`, no token);
    /// absent: none (`/metrics` stays on the admin listener).
    #[serde(default)]
    pub metrics: Option<RawMetrics>,
    /// The forward-auth endpoint's identity headers; absent: the defaults.
    #[serde(default)]
    pub forward_auth: Option<RawForwardAuth>,
}

/// The WebAuthn relying party: the site users see.
/// `metrics`: where the metrics and probes listener listens.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    #[serde(deserialize_with = "socket_addr")]
    pub listen: SocketAddr,
}

/// `forward_auth`: which identity headers an allowed answer carries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawForwardAuth {
    /// Header name → identity field (`account`, `email`, `company`,
    /// `class`).
    /// Absent: the default set (`Remote-User`, `Remote-Email`,
    /// `Remote-Groups`).
    #[serde(default, deserialize_with = "some_unique_map")]
    pub identity_headers: Option<BTreeMap<String, String>>,
    /// The lean ask listener's address.
    #[serde(default, deserialize_with = "some_socket_addr")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebauthn {
    pub rp_id: String,
    pub origins: Vec<String>,
    /// Shown by some authenticators; defaults to `ui.app_name`.
    #[serde(default)]
    pub rp_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpstream {
    pub address: String,
    #[serde(default)]
    pub tls: bool,
    /// Defaults to the host part of `address`.
    #[serde(default)]
    pub sni: Option<String>,
    #[serde(default = "defaults::connect_timeout", deserialize_with = "duration")]
    pub connect_timeout: Duration,
    #[serde(default = "defaults::io_timeout", deserialize_with = "duration")]
    pub read_timeout: Duration,
    #[serde(default = "defaults::io_timeout", deserialize_with = "duration")]
    pub write_timeout: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    #[serde(default)]
    pub source: RawSource,
    /// `whoami`: this, `session_cookies` or `session_cookie_prefix`;
    /// optional for `headers` (then `headers.session`).
    #[serde(default)]
    pub session_cookie: Option<String>,
    /// `whoami`: several cookies identify a session.
    #[serde(default)]
    pub session_cookies: Option<Vec<String>>,
    /// `whoami`: the one cookie whose name starts with this.
    #[serde(default)]
    pub session_cookie_prefix: Option<String>,
    /// Required for `whoami`; refused for `headers`.
    #[serde(default)]
    pub whoami_path: Option<String>,
    #[serde(default)]
    pub whoami_method: Option<RawMethod>,
    #[serde(default, deserialize_with = "some_unique_map")]
    pub whoami_headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub anonymous_when: Option<RawAnonymousWhen>,
    #[serde(default = "defaults::whoami_timeout", deserialize_with = "duration")]
    pub whoami_timeout: Duration,
    #[serde(default)]
    pub fields: RawFields,
    #[serde(default = "defaults::cache_ttl", deserialize_with = "duration")]
    pub cache_ttl: Duration,
    #[serde(default = "defaults::cache_size")]
    pub cache_size: usize,
    /// whoami statuses that mean "not logged in". `None`: not written (the
    /// `headers` source refuses the whoami-only settings when written).
    #[serde(default)]
    pub anonymous_statuses: Option<Vec<u16>>,
    /// Most whoami calls in flight at once.
    #[serde(default)]
    pub whoami_concurrency: Option<usize>,
    /// whoami calls per second per client address, and the burst above it.
    #[serde(default)]
    pub whoami_client_rate: Option<u32>,
    #[serde(default)]
    pub whoami_client_burst: Option<u32>,
    /// Identity headers removed from requests of peers outside
    /// `trusted_proxies`, in either source. `None`: the default list
    /// (`config::DEFAULT_STRIPPED_HEADERS`). The configured `headers` are
    /// removed too, always.
    #[serde(default)]
    pub strip_headers: Option<Vec<String>>,
    /// The `headers` source: which request header holds what.
    #[serde(default)]
    pub headers: Option<RawHeaders>,
    /// The `headers` source: values for claims the SSO front does not send.
    #[serde(default)]
    pub defaults: Option<RawIdentityDefaults>,
}

/// `identity.source`: where identities come from; serde rejects every other word, listing the
/// allowed ones.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawSource {
    #[default]
    Whoami,
    Headers,
}

/// Header names of the `headers` source; only `account` is required
/// (`company` and `class` may come from `defaults` instead).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeaders {
    pub account: String,
    pub company: Option<String>,
    pub class: Option<String>,
    pub person: Option<String>,
    pub roles: Option<String>,
    pub email: Option<String>,
    /// A header the SSO front sets per login session (bound to when
    /// `identity.session_cookie` is not sent).
    pub session: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentityDefaults {
    pub company: Option<String>,
    pub class: Option<AccountClass>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    #[serde(deserialize_with = "socket_addr")]
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Offer HTTP/2 by ALPN. Default: true.
    #[serde(default = "defaults::yes")]
    pub http2: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawLog {
    pub format: RawLogFormat,
    pub level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        Self {
            format: RawLogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawLogFormat {
    Text,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    #[serde(default)]
    pub backend: RawBackend,
    /// sled's directory.
    pub path: Option<PathBuf>,
    /// PostgreSQL's connection URL, from `{ env }` or `{ file }` (it holds
    /// a password).
    pub url: Option<RawSecret>,
    pub pool_size: Option<u32>,
    #[serde(default, deserialize_with = "optional_duration")]
    pub connect_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    pub timeout: Option<Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    pub max_staleness: Option<Duration>,
    pub tls: Option<RawDatabaseTls>,
    /// A PEM file of the CA that signed the database's certificate.
    pub ca_file: Option<PathBuf>,
}

/// `store.tls`.
#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawDatabaseTls {
    Require,
    Disable,
}

/// `store.backend`: serde rejects every other word, listing the allowed
/// ones.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawBackend {
    #[default]
    Sled,
    Postgres,
}

/// `secrets`: a key directory (`dir`, holding `hmac.key` and
/// `encryption.key`), or the two key rings; which goes with which is
/// checked in `load/keys.rs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    #[serde(default)]
    pub dir: Option<PathBuf>,
    #[serde(default)]
    pub hmac_key: Option<key_ring::RawKeyRing>,
    #[serde(default)]
    pub encryption_key: Option<key_ring::RawKeyRing>,
}

/// Where a key is read from: exactly one of an environment variable or a
/// file. Key material never appears in the YAML itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecret {
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawTotp {
    /// Defaults to `ui.app_name`.
    pub issuer: Option<String>,
    pub skew: u8,
}

impl Default for RawTotp {
    fn default() -> Self {
        Self {
            issuer: None,
            skew: 1,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawCookie {
    pub name: String,
    pub secure: bool,
    #[serde(deserialize_with = "duration")]
    pub max_age: Duration,
}

impl Default for RawCookie {
    fn default() -> Self {
        Self {
            name: "mfa_gate".into(),
            secure: true,
            max_age: Duration::from_secs(12 * 3600),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawUi {
    /// A language tag of the catalogs (`ja`, `en`, or one `i18n_dir` adds).
    pub default_locale: String,
    pub app_name: String,
    pub logo: Option<String>,
    pub logout_url: Option<String>,
    pub support_contact: Option<RawSupportContact>,
    /// Relative to the configuration file's directory.
    pub i18n_dir: Option<PathBuf>,
}

impl Default for RawUi {
    fn default() -> Self {
        Self {
            default_locale: crate::i18n::LAST_RESORT.into(),
            app_name: "mfa-gate".into(),
            logo: None,
            logout_url: None,
            support_contact: None,
            i18n_dir: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSupportContact {
    pub text: String,
    pub link: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawServer {
    pub threads: usize,
    #[serde(deserialize_with = "duration")]
    pub grace_period: Duration,
    /// Re-read the configuration file when its content changes (off by
    /// default: SIGHUP and `POST /v1/reload` stay the explicit ways; the
    /// Kubernetes chart turns it on for ConfigMap updates).
    pub watch_config: bool,
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            threads: 2,
            grace_period: Duration::from_secs(10),
            watch_config: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdmin {
    #[serde(default = "defaults::admin_listen", deserialize_with = "socket_addr")]
    pub listen: SocketAddr,
    /// Like the keys: `{ env: NAME }` or `{ file: PATH }`, never inline.
    pub support_token: RawSecret,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawAudit {
    /// Days an audit event is kept (default 400).
    pub keep_days: Option<u32>,
    /// The older spelling: a duration (`365d`). One of the two.
    #[serde(deserialize_with = "optional_duration")]
    pub retention: Option<Duration>,
}

/// Defaults of fields whose section has required fields too.
pub(super) mod defaults {
    use std::time::Duration;

    pub fn step_up_minutes() -> u32 {
        10
    }

    pub fn max_failures() -> u32 {
        10
    }
    pub fn prefix() -> String {
        "/_mfa".into()
    }
    pub fn connect_timeout() -> Duration {
        Duration::from_secs(2)
    }
    pub fn io_timeout() -> Duration {
        Duration::from_secs(30)
    }
    pub fn whoami_timeout() -> Duration {
        Duration::from_secs(2)
    }
    pub fn cache_ttl() -> Duration {
        Duration::from_secs(10)
    }
    pub fn cache_size() -> usize {
        100_000
    }
    pub fn anonymous_statuses() -> Vec<u16> {
        vec![401]
    }
    pub fn whoami_concurrency() -> usize {
        64
    }
    pub fn whoami_client_rate() -> u32 {
        20
    }
    pub fn whoami_client_burst() -> u32 {
        100
    }
    pub fn yes() -> bool {
        true
    }
    pub fn admin_listen() -> std::net::SocketAddr {
        ([127, 0, 0, 1], 9090).into()
    }
}

/// Parses a human duration: one or more `<digits><unit>` pairs with unit
/// `ms`, `s`, `m`, `h` or `d`, e.g. `250ms`, `5s`, `1h30m`. No spaces, no
/// sign, no fractions; `None` on anything else or on overflow.
pub(super) fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut total = Duration::ZERO;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        if digits == 0 || unit_len == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        let part = match &rest[digits..digits + unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            "d" => Duration::from_secs(n.checked_mul(86_400)?),
            _ => return None,
        };
        total = total.checked_add(part)?;
        rest = &rest[digits + unit_len..];
    }
    Some(total)
}

fn invalid_duration(shown: &dyn fmt::Display) -> String {
    format!("invalid duration \"{shown}\" (expected e.g. 500ms, 5s, 10m, 12h)")
}

/// `deserialize_with` for durations; a bare number is refused too, since
/// its unit would be a guess.
pub(super) fn optional_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    duration(deserializer).map(Some)
}

pub(super) fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    struct DurationVisitor;

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as 500ms, 5s, 10m or 12h")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).ok_or_else(|| E::custom(invalid_duration(&v)))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
            Err(E::custom(invalid_duration(&v)))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
            Err(E::custom(invalid_duration(&v)))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
            Err(E::custom(invalid_duration(&v)))
        }
    }

    deserializer.deserialize_any(DurationVisitor)
}

/// `deserialize_with` for the listen address: an IP literal and a port
/// (a host name would be resolved at start-up, and could change).
fn socket_addr<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(|_| {
        de::Error::custom(format!(
            "invalid address \"{text}\" (expected IP:port, e.g. 127.0.0.1:8080 or [::]:8080)"
        ))
    })
}

/// `socket_addr` of a field that may be absent.
fn some_socket_addr<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    socket_addr(deserializer).map(Some)
}

/// `unique_map` of a field that may be absent.
fn some_unique_map<'de, D, V>(deserializer: D) -> Result<Option<BTreeMap<String, V>>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    unique_map(deserializer).map(Some)
}

/// `deserialize_with` for maps that refuses a key given twice (a plain map
/// would silently keep the last one).
pub(super) fn unique_map<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct UniqueMap<V>(std::marker::PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueMap<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a mapping")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((key, value)) = map.next_entry::<String, V>()? {
                if out.contains_key(&key) {
                    return Err(de::Error::custom(format!("`{key}` is given twice")));
                }
                out.insert(key, value);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_map(UniqueMap(std::marker::PhantomData))
}

#[cfg(test)]
mod tests;
