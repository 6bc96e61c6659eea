//! Every mistake of a file at once (issue 34 §5). `Found` keeps the error
//! of each section that failed and lets the others be checked; a check
//! that needs another section's value (the gateway cookie needs the
//! identity source, the TLS listener the admin listener's address) runs
//! only when that section was valid, so no error follows from another.
//! `Checked` holds what each section gave, and becomes a `Config` only
//! when every section gave one. One error per section: its first.
//! Values that do not parse stop serde at the first; the text is parsed
//! again with each such section blanked (`with_later_errors`).

use super::super::{
    AdminConfig, AuditConfig, Config, CookieConfig, ForwardAuthConfig, IdentitySource, LogConfig,
    MetricsConfig, NotifyConfig, Secrets, ServerConfig, StoreConfig, StrippedHeaders, Tenancy,
    TlsConfig, TotpConfig, TrustedProxies, UiConfig, Upstream, WebauthnConfig,
};
use super::sections::Pins;
use super::{ConfigError, Doc};
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
    pub access_rules: Option<Vec<super::super::rules::AccessRule>>,
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
        let cookie = self.cookie?;
        let own_cookies_plain =
            crate::request::cookies::own_names_plain(identity.session_cookies(), &cookie.name);
        Some(Config {
            source: self.source,
            listen: self.listen,
            upstream: self.upstream?,
            identity,
            trusted_proxies: self.trusted_proxies?,
            stripped_headers,
            own_cookies_plain,
            tls: self.tls?,
            log: self.log?,
            store: self.store?,
            secrets: self.secrets?,
            totp: self.totp?,
            cookie,
            companies,
            remember_days,
            tenancy: self.tenancy,
            policy_admin_roles: self.policy_admin_roles?,
            bypass: self.bypass?,
            bypass_query: self.bypass_query?,
            access_rules: self.access_rules?,
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

impl Doc<'_> {
    /// `first`, the error that stopped the parser, and the errors of the
    /// later sections: the text is parsed again without each section found
    /// wrong (its lines blanked, so that every line keeps its number),
    /// until no new section is found wrong; then, if the rest parses and
    /// no other section reads a blanked one, the rest's checks. A YAML
    /// syntax error is reported alone.
    pub(super) fn with_later_errors(
        &self,
        first: ConfigError,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> ConfigError {
        if yaml_serde::from_str::<yaml_serde::Value>(self.yaml).is_err() {
            return first;
        }
        let (mut errors, mut blanked): (Vec<ConfigError>, Vec<String>) = (vec![], vec![]);
        let mut text = self.yaml.to_owned();
        let mut next = Some(first);
        while let Some(error) = next.take() {
            let section = error.field().map(|f| top_level(f).to_owned());
            errors.push(error);
            let Some(section) = section else { break };
            let Some(rest) = blank_section(&text, &section) else {
                break;
            };
            text = rest;
            blanked.push(section);
            let again = Doc {
                yaml: &text,
                source: self.source,
            };
            // A section of its own whose value is wrong, never the gap a
            // blanked required section leaves (no field: `missing …`).
            next = match again.parse() {
                Err(e) => Some(e).filter(|e| e.field().is_some()),
                Ok(raw) if !blanked.iter().any(|s| READ_BY_OTHERS.contains(&s.as_str())) => {
                    // (a required section's stand-in is nobody's mistake)
                    let own = |e: &ConfigError| {
                        !e.field()
                            .is_some_and(|f| blanked.iter().any(|s| s == top_level(f)))
                    };
                    let later = again.validate(raw, env).err().map(ConfigError::into_each);
                    errors.extend(later.into_iter().flatten().filter(own));
                    None
                }
                Ok(_) => None,
            };
        }
        self.all(errors)
    }

    /// One error for all the errors found, in the order of their lines.
    pub(super) fn all(&self, mut errors: Vec<ConfigError>) -> ConfigError {
        errors.sort_by_key(|e| (e.line().is_none(), e.line()));
        match errors.len() {
            0 => self.invalid(None, None, "the configuration is not valid".into()),
            1 => errors.remove(0),
            _ => ConfigError::Many(errors),
        }
    }
}

/// The sections whose values other sections' checks read (the identity
/// source reads `trusted_proxies` and `companies`, the TOTP issuer `ui`,
/// the listeners `admin` and `listen`, ...), and `cookie`, whose default
/// name is checked against the session cookie: with one of them wrong,
/// the checks of the others could complain of what only follows from it.
const READ_BY_OTHERS: &[&str] = &[
    "listen",
    "identity",
    "trusted_proxies",
    "companies",
    "ui",
    "admin",
    "cookie",
];

/// The top-level section of a field: `upstream` of `upstream.address`,
/// `bypass` of `bypass[2]`.
fn top_level(field: &str) -> &str {
    let end = field.find(['.', '[']).unwrap_or(field.len());
    &field[..end]
}

/// What a required section is replaced with when its values do not parse,
/// so that the rest of the file parses and is checked (the stand-in's own
/// errors are dropped).
const STAND_INS: &[(&str, &str)] = &[
    ("upstream", "upstream: { address: \"stand-in:1\" }"),
    ("store", "store: { path: stand-in }"),
    ("secrets", "secrets: { dir: stand-in }"),
];

/// `yaml` with the top-level `section` (its key line and every line up to
/// the next top-level key) blanked, each line kept as an empty one so the
/// others keep their numbers (a required section's key line holds its
/// stand-in); `None` when the key is not found.
fn blank_section(yaml: &str, section: &str) -> Option<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let is_key =
        |line: &str| !line.is_empty() && !line.starts_with([' ', '\t', '#', '-', '.', '}', ']']);
    let start = lines.iter().position(|l| {
        is_key(l)
            && l.strip_prefix(section)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })?;
    let end = (start + 1..lines.len())
        .find(|&i| is_key(lines[i]))
        .unwrap_or(lines.len());
    let stand_in = STAND_INS.iter().find(|(s, _)| *s == section);
    let mut out = String::with_capacity(yaml.len());
    for (i, line) in lines.iter().enumerate() {
        match stand_in {
            _ if !(start..end).contains(&i) => out.push_str(line),
            Some((_, stand_in)) if i == start => out.push_str(stand_in),
            _ => {}
        }
        out.push('\n');
    }
    Some(out)
}
