//! Reading a configuration file: YAML text → the serde shape of `raw.rs` →
//! checks → the validated `Config`. This is also where relative paths are
//! resolved (against the config file's directory) and the two keys are read
//! from the environment or from files. Every error names the file, the
//! field, and the line when it can be found; none echoes key material.
//! Every independent mistake is reported (`collect.rs`): one for bad YAML
//! syntax, one per section whose values do not parse, and one per section
//! whose checks fail.

use super::raw::{RawConfig, RawForwardAuth, RawIdentity, RawMetrics, RawSecret, RawTls};
use super::{
    AdminConfig, Config, ForwardAuthConfig, IdentitySource, MetricsConfig, StrippedHeaders,
    Tenancy, TlsConfig,
};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod admin;
mod checks;
mod collect;
mod forward_auth;
mod identity;
mod keys;
mod locate;
mod mapping;
mod notify;
mod operations;
mod policy;
mod rules;
mod sections;
mod ui;
mod webauthn;

use checks::{non_blank, route_prefix};
use collect::{Checked, Found};
use forward_auth::listeners;
use locate::locate;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read at all.
    #[error("{}: cannot read the file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid YAML, or not a valid configuration.
    #[error("{}", describe(.file, *.line, *.column, .field.as_deref(), .message))]
    Invalid {
        file: PathBuf,
        /// 1-based position of the offending text, when known.
        line: Option<usize>,
        column: Option<usize>,
        /// Dotted path of the field, e.g. `upstream.connect_timeout` or
        /// `bypass[2]`; `None` for errors of the YAML syntax itself.
        field: Option<String>,
        message: String,
    },
    /// Several independent mistakes (two or more), in the order of their
    /// lines; shown one per line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Many(Vec<ConfigError>),
}

impl ConfigError {
    /// The field the error is about, if any (of several: the first's).
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { field, .. } => field.as_deref(),
            ConfigError::Read { .. } => None,
            ConfigError::Many(all) => all.first().and_then(ConfigError::field),
        }
    }

    /// The 1-based line the error is about, if known (of several: the
    /// first's).
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } => *line,
            ConfigError::Read { .. } => None,
            ConfigError::Many(all) => all.first().and_then(ConfigError::line),
        }
    }

    /// Each mistake on its own, owned.
    pub fn into_each(self) -> Vec<ConfigError> {
        match self {
            ConfigError::Many(all) => all,
            one => vec![one],
        }
    }

    /// Each mistake on its own: this one, or the several it holds.
    pub fn each(&self) -> &[ConfigError] {
        match self {
            ConfigError::Many(all) => all,
            one => std::slice::from_ref(one),
        }
    }
}

/// `config/x.yaml: line 12, column 3: field `a.b`: message`, leaving out
/// the parts that are unknown.
fn describe(
    file: &Path,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<&str>,
    message: &str,
) -> String {
    let mut out = file.display().to_string();
    match (line, column) {
        (Some(line), Some(column)) => {
            let _ = write!(out, ": line {line}, column {column}");
        }
        (Some(line), None) => {
            let _ = write!(out, ": line {line}");
        }
        _ => {}
    }
    if let Some(field) = field {
        let _ = write!(out, ": field `{field}`");
    }
    let _ = write!(out, ": {message}");
    out
}

/// Reads and validates the configuration file at `path`.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let yaml = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    load_str(&yaml, path)
}

/// Validates configuration text; `source` names it in messages, and
/// relative paths in it are resolved against `source`'s directory.
pub fn load_str(yaml: &str, source: &Path) -> Result<Config, ConfigError> {
    load_str_with_env(yaml, source, &|name| {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    })
}

/// Reads only the `admin` section of the configuration file at `path` (for
/// `mfa-gate support -c FILE`): the rest must parse, but its keys are not
/// read. `Ok(None)` when the file has no `admin` section.
pub fn load_admin_file(path: &Path) -> Result<Option<AdminConfig>, ConfigError> {
    let yaml = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    load_admin_str_with_env(&yaml, path, &|name| {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    })
}

pub(crate) fn load_admin_str_with_env(
    yaml: &str,
    source: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<AdminConfig>, ConfigError> {
    let doc = Doc { yaml, source };
    let raw = doc.parse()?;
    let base = source.parent().unwrap_or(Path::new(""));
    doc.admin(raw.admin, raw.listen, base, env)
}

/// `load_str` with the environment passed in, so that tests need not touch
/// the process environment.
pub(crate) fn load_str_with_env(
    yaml: &str,
    source: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let doc = Doc { yaml, source };
    let raw = doc
        .parse()
        .map_err(|first| doc.with_later_errors(first, env))?;
    doc.validate(raw, env)
}

/// The text being loaded and where it came from, for error positions.
struct Doc<'a> {
    yaml: &'a str,
    source: &'a Path,
}

impl Doc<'_> {
    fn parse(&self) -> Result<RawConfig, ConfigError> {
        if self.yaml.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#') || l == "---"
        }) {
            return Err(self.invalid(None, None, "the file holds no settings".into()));
        }
        let deserializer = yaml_serde::Deserializer::from_str(self.yaml);
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            let mut field = (path != ".").then_some(path);
            let inner = err.into_inner();
            let mut location = inner.location().map(|l| (l.line(), l.column()));
            let message = clean_message(inner.to_string(), field.as_deref(), location);
            // serde places a duplicate at the start of its mapping; name the
            // field itself and point at it instead.
            if let Some(name) = message
                .strip_prefix("duplicate field `")
                .and_then(|rest| rest.strip_suffix('`'))
            {
                let full = match &field {
                    Some(parent) => format!("{parent}.{name}"),
                    None => name.to_owned(),
                };
                location = locate(self.yaml, &full).or(location);
                field = Some(full);
            }
            self.invalid(field, location, message)
        })
    }

    fn invalid(
        &self,
        field: Option<String>,
        location: Option<(usize, usize)>,
        message: String,
    ) -> ConfigError {
        let (line, column) = location.unzip();
        ConfigError::Invalid {
            file: self.source.to_owned(),
            line,
            column,
            field,
            message,
        }
    }

    /// An error about `field`, positioned by looking the field up in the text.
    fn error(&self, field: &str, message: impl Into<String>) -> ConfigError {
        self.invalid(
            Some(field.to_owned()),
            locate(self.yaml, field),
            message.into(),
        )
    }

    /// Lifts a check's message into an error about `field`.
    fn check<T>(&self, field: &str, result: Result<T, String>) -> Result<T, ConfigError> {
        result.map_err(|message| self.error(field, message))
    }

    /// Every section's checks. Each section's first error is kept and the
    /// other sections are still checked (`collect.rs`): a file with three
    /// mistakes gets three errors, in the order of their lines.
    fn validate(
        &self,
        raw: RawConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut found = Found::default();
        let checked = self.check_sections(raw, env, &mut found);
        match checked.config() {
            Some(config) if found.0.is_empty() => Ok(config),
            _ => Err(self.all(found.0)),
        }
    }

    /// What each section gives. The sections that others need are checked
    /// first; a check runs only when what it needs was valid.
    fn check_sections(
        &self,
        raw: RawConfig,
        env: &dyn Fn(&str) -> Option<String>,
        f: &mut Found,
    ) -> Checked {
        let base = self.source.parent().unwrap_or(Path::new(""));
        let tenancy = identity::tenancy(&raw.identity);
        let trusted = !raw.trusted_proxies.is_empty();
        let identity = f.keep(self.identity_and_stripped(raw.identity, trusted, tenancy));
        let app_name = f.keep(self.check("ui.app_name", non_blank(raw.ui.app_name.clone())));
        let pins = f.keep(self.companies(raw.companies));
        let admin = f.keep(self.admin(raw.admin, raw.listen, base, env));
        let ui = app_name
            .clone()
            .and_then(|a| f.keep(self.ui(raw.ui, a, base)));
        let webauthn = self.webauthn_beside(raw.webauthn, ui.as_ref(), pins.as_ref(), f);
        let sides = (raw.tls, raw.metrics, raw.forward_auth);
        let (tls, metrics, forward_auth) = self.listeners(sides, raw.listen, admin.as_ref(), f);
        Checked {
            source: self.source.to_owned(),
            listen: raw.listen,
            allow_get_body: raw.allow_get_body,
            tenancy,
            upstream: f.keep(self.upstream(raw.upstream)),
            trusted_proxies: f.keep(self.trusted_proxies(&raw.trusted_proxies)),
            store: f.keep(self.store(raw.store, base, env)),
            secrets: f.keep(self.secrets(&raw.secrets, base, env)),
            totp: app_name.and_then(|a| f.keep(self.totp(raw.totp, &a))),
            cookie: identity
                .as_ref()
                .and_then(|(id, _)| f.keep(self.cookie(raw.cookie, id))),
            policy_admin_roles: f.keep(self.policy_admin_roles(raw.policy_admin_roles)),
            bypass: f.keep(self.bypass(&raw.bypass)),
            bypass_query: f.keep(self.bypass_query(raw.bypass_query)),
            max_failures: f.keep(self.max_failures(raw.max_failures)),
            step_up: f.keep(self.step_up(raw.step_up_minutes)),
            prefix: f
                .keep(self.check("prefix", route_prefix(&raw.prefix)))
                .map(|()| raw.prefix),
            server: f.keep(self.server(raw.server)),
            audit: f.keep(self.audit(raw.audit)),
            notify: f.keep(self.notify(raw.notify, base, env)),
            access_rules: webauthn
                .as_ref()
                .and_then(|w| f.keep(self.access_rules(raw.access_rules, w.is_some()))),
            log: f.keep(self.log(raw.log)),
            forward_auth,
            metrics,
            identity,
            tls,
            webauthn,
            pins,
            ui,
            admin,
        }
    }

    /// The listeners beside `listen` and `admin.listen` (HTTPS, metrics,
    /// forward-auth asks), each on an address of its own; checked when the
    /// admin section, whose address they must not take, was valid.
    #[allow(clippy::type_complexity)]
    fn listeners(
        &self,
        (tls, metrics, forward_auth): (Option<RawTls>, Option<RawMetrics>, Option<RawForwardAuth>),
        listen: SocketAddr,
        admin: Option<&Option<AdminConfig>>,
        f: &mut Found,
    ) -> (
        Option<Option<TlsConfig>>,
        Option<Option<MetricsConfig>>,
        Option<ForwardAuthConfig>,
    ) {
        let Some(admin) = admin else {
            return (None, None, None);
        };
        let base = self.source.parent().unwrap_or(Path::new(""));
        let tls = f.keep(self.tls_beside(tls, listen, admin.as_ref(), base));
        let taken = listeners(listen, admin.as_ref(), tls.as_ref(), metrics.as_ref());
        let forward_auth = taken.and_then(|l| f.keep(self.forward_auth(forward_auth, &l)));
        let metrics = f.keep(self.metrics(metrics, listen, admin.as_ref()));
        (tls, metrics, forward_auth)
    }

    /// The `webauthn` section, checked when the names it reads (the app's
    /// name, the pinned companies) were valid.
    fn webauthn_beside(
        &self,
        raw: Option<super::raw::RawWebauthn>,
        ui: Option<&super::UiConfig>,
        pins: Option<&sections::Pins>,
        f: &mut Found,
    ) -> Option<Option<super::WebauthnConfig>> {
        let (ui, pins) = (ui?, pins?);
        f.keep(self.webauthn(raw, &ui.app_name, &pins.0))
    }

    /// The `identity` section, then its `strip_headers` list, which is
    /// checked against the identity source it protects.
    fn identity_and_stripped(
        &self,
        mut raw: RawIdentity,
        has_trusted_proxies: bool,
        tenancy: Tenancy,
    ) -> Result<(IdentitySource, StrippedHeaders), ConfigError> {
        let strip = raw.strip_headers.take();
        let identity = self.identity(raw, has_trusted_proxies, tenancy)?;
        let stripped_headers = self.stripped_headers(strip, &identity)?;
        Ok((identity, stripped_headers))
    }

    /// The `tls` section, whose listener must not take an address already
    /// taken: `listen`, and `admin.listen` when there is an admin listener.
    fn tls_beside(
        &self,
        raw: Option<RawTls>,
        listen: SocketAddr,
        admin: Option<&AdminConfig>,
        base: &Path,
    ) -> Result<Option<TlsConfig>, ConfigError> {
        let mut taken = vec![("listen", listen)];
        if let Some(a) = admin {
            taken.push(("admin.listen", a.listen));
        }
        self.tls(raw, &taken, base)
    }

    /// Reads a secret from `{ env: VAR }` or `{ file: PATH }` and parses it
    /// with `parse`, whose error completes "environment variable X …" /
    /// "file Y …" and never includes the value.
    pub(super) fn secret_with<T>(
        &self,
        field: &str,
        raw: &RawSecret,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match (&raw.env, &raw.file) {
            (Some(var), None) => {
                let field = format!("{field}.env");
                let Some(value) = env(var) else {
                    return Err(
                        self.error(&field, format!("environment variable {var} is not set"))
                    );
                };
                self.check(
                    &field,
                    parse(&value).map_err(|m| format!("environment variable {var} {m}")),
                )
            }
            (None, Some(file)) => {
                let field = format!("{field}.file");
                let path = resolve(base, file);
                let value = read_key_file(&path).map_err(|e| {
                    self.error(&field, format!("cannot read {}: {e}", path.display()))
                })?;
                self.check(
                    &field,
                    parse(&value).map_err(|m| format!("file {} {m}", path.display())),
                )
            }
            _ => Err(self.error(field, "give exactly one of `env: VARIABLE` or `file: PATH`")),
        }
    }
}

/// Drops what our message adds anyway from a yaml_serde message: its own
/// `path: ` in front and ` at line L column C` behind; names serde's
/// internal struct types in words.
fn clean_message(message: String, field: Option<&str>, location: Option<(usize, usize)>) -> String {
    let mut message = message;
    if let Some((line, column)) = location {
        let at = format!(" at line {line} column {column}");
        message = message.replace(&at, "");
    }
    if let (Some(field), Some((head, tail))) = (field, message.split_once(": ")) {
        let own_path = field == head
            || field
                .strip_prefix(head)
                .is_some_and(|rest| rest.starts_with(['.', '[']));
        if own_path {
            message = tail.to_owned();
        }
    }
    if let Some(start) = message.find("struct Raw") {
        let name = start + "struct ".len();
        let end = message[name..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(message.len(), |i| name + i);
        message.replace_range(start..end, "a mapping");
    }
    in_words(message)
}

/// The parser's type names in words an operator reads: `expected u32`
/// becomes `expected a whole number`.
fn in_words(message: String) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected usize", "expected a whole number (0 or more)"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping (`name: value` lines)"),
        ("expected a boolean", "expected true or false"),
    ];
    let mut message = message;
    for (jargon, words) in WORDS {
        if let Some(at) = message.find(jargon) {
            let end = at + jargon.len();
            // Whole words only: `expected u32` but not `expected u32x`.
            if !message[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                message.replace_range(at..end, words);
            }
        }
    }
    message
}

/// Reads a key file, refusing anything far larger than a key (a path to a
/// device or a log file by mistake).
fn read_key_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    const LIMIT: u64 = 1024;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(LIMIT + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > LIMIT {
        return Err(std::io::Error::other(format!(
            "larger than {LIMIT} bytes, so not a key file"
        )));
    }
    Ok(text)
}

fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) use tests::minimal_with as minimal_config_with;

/// The logo is an image of the app itself, on the same site (the pages'
/// Content-Security-Policy allows images from 'self' only).
fn logo_path(logo: Option<String>) -> Result<Option<String>, String> {
    match logo {
        None => Ok(None),
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && p.len() <= 512
                && p.bytes()
                    .all(|b| (0x21..0x7f).contains(&b) && !b"\\\"<>'`".contains(&b)) =>
        {
            Ok(Some(p))
        }
        Some(p) => Err(format!(
            "{p:?} must be a same-site path such as /static/logo.svg"
        )),
    }
}
