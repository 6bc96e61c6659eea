//! Reading a configuration file: YAML text → the serde shape of `raw.rs` →
//! checks → the validated `Config`. This is also where relative paths are
//! resolved (against the config file's directory) and the two keys are read
//! from the environment or from files. Every error names the file, the
//! field, and the line when it can be found; none echoes key material.
//! The first error found is reported.

use super::raw::{IdentitySource, RawConfig, RawLocale, RawSecret};
use super::{
    AdminConfig, Config, CookieConfig, FieldMap, IdentityConfig, Locale, Secrets, ServerConfig,
    StoreConfig, TotpConfig, UiConfig, Upstream,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod admin;
mod checks;
mod locate;

use checks::{
    at_least_one, bypass_rule, cookie_name, decode_key, host_of, issuer_name, non_blank, positive,
    route_prefix, whoami_path,
};
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
}

impl ConfigError {
    /// The field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { field, .. } => field.as_deref(),
            ConfigError::Read { .. } => None,
        }
    }

    /// The 1-based line the error is about, if known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } => *line,
            ConfigError::Read { .. } => None,
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
    let raw = doc.parse()?;
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

    fn validate(
        &self,
        raw: RawConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let base = self.source.parent().unwrap_or(Path::new(""));

        let up = raw.upstream;
        let host = self.check("upstream.address", host_of(&up.address))?;
        let sni = match up.sni {
            Some(sni) => self.check("upstream.sni", non_blank(sni))?,
            None => host,
        };
        let upstream = Upstream {
            address: up.address,
            tls: up.tls,
            sni,
            connect_timeout: self
                .check("upstream.connect_timeout", positive(up.connect_timeout))?,
            read_timeout: self.check("upstream.read_timeout", positive(up.read_timeout))?,
            write_timeout: self.check("upstream.write_timeout", positive(up.write_timeout))?,
        };

        let id = raw.identity;
        let IdentitySource::Whoami = id.source;
        let fields = id.fields;
        let identity = IdentityConfig {
            session_cookie: self
                .check("identity.session_cookie", cookie_name(id.session_cookie))?,
            whoami_path: self.check("identity.whoami_path", whoami_path(id.whoami_path))?,
            whoami_timeout: self.check("identity.whoami_timeout", positive(id.whoami_timeout))?,
            fields: FieldMap {
                account: self.check("identity.fields.account", non_blank(fields.account))?,
                company: self.check("identity.fields.company", non_blank(fields.company))?,
                class: self.check("identity.fields.class", non_blank(fields.class))?,
                person: self.check("identity.fields.person", non_blank(fields.person))?,
                roles: self.check("identity.fields.roles", non_blank(fields.roles))?,
                email: self.check("identity.fields.email", non_blank(fields.email))?,
            },
            cache_ttl: self.check("identity.cache_ttl", positive(id.cache_ttl))?,
            cache_size: self.check("identity.cache_size", at_least_one(id.cache_size))?,
        };

        if raw.store.path.as_os_str().is_empty() {
            return Err(self.error("store.path", "must not be empty"));
        }
        let store = StoreConfig {
            path: resolve(base, &raw.store.path),
        };

        let hmac_key = self.secret("secrets.hmac_key", &raw.secrets.hmac_key, base, env)?;
        let encryption_key = self.secret(
            "secrets.encryption_key",
            &raw.secrets.encryption_key,
            base,
            env,
        )?;
        if hmac_key == encryption_key {
            return Err(self.error(
                "secrets.encryption_key",
                "must differ from secrets.hmac_key (one key, one purpose)",
            ));
        }
        let secrets = Secrets {
            hmac_key,
            encryption_key,
        };

        let app_name = self.check("ui.app_name", non_blank(raw.ui.app_name))?;
        // The issuer becomes part of the otpauth label `issuer:account`,
        // where a colon would be ambiguous.
        let issuer = match raw.totp.issuer {
            Some(issuer) => self.check("totp.issuer", issuer_name(issuer))?,
            None => self.check(
                "ui.app_name",
                issuer_name(app_name.clone())
                    .map_err(|m| format!("{m} (it is the default of totp.issuer)")),
            )?,
        };
        if raw.totp.skew > 2 {
            return Err(self.error(
                "totp.skew",
                format!("{} is out of range (allowed: 0, 1 or 2)", raw.totp.skew),
            ));
        }
        let totp = TotpConfig {
            issuer,
            skew: raw.totp.skew,
        };

        let name = self.check("cookie.name", cookie_name(raw.cookie.name))?;
        if name == identity.session_cookie {
            return Err(self.error(
                "cookie.name",
                format!("\"{name}\" is also identity.session_cookie; the two cookies must differ"),
            ));
        }
        if !raw.cookie.secure && (name.starts_with("__Host-") || name.starts_with("__Secure-")) {
            return Err(self.error(
                "cookie.secure",
                "must be true for a cookie named __Host-… or __Secure-… (browsers drop it otherwise)",
            ));
        }
        let cookie = CookieConfig {
            name,
            secure: raw.cookie.secure,
            max_age: self.check("cookie.max_age", positive(raw.cookie.max_age))?,
        };

        for company in raw.companies.keys() {
            if company.trim().is_empty() {
                return Err(self.error("companies", "a company id must not be empty"));
            }
        }
        let companies = raw.companies.into_iter().collect();

        let mut bypass = Vec::with_capacity(raw.bypass.len());
        for (i, entry) in raw.bypass.iter().enumerate() {
            bypass.push(self.check(&format!("bypass[{i}]"), bypass_rule(entry))?);
        }

        if !(1..=1000).contains(&raw.max_failures) {
            return Err(self.error(
                "max_failures",
                format!("{} is out of range (allowed: 1 to 1000)", raw.max_failures),
            ));
        }
        self.check("prefix", route_prefix(&raw.prefix))?;

        let ui = UiConfig {
            default_locale: match raw.ui.default_locale {
                RawLocale::Ja => Locale::Ja,
                RawLocale::En => Locale::En,
            },
            app_name,
        };
        let server = ServerConfig {
            threads: self.check("server.threads", at_least_one(raw.server.threads))?,
            grace_period: raw.server.grace_period,
        };
        let admin = self.admin(raw.admin, raw.listen, base, env)?;
        let audit = self.audit(raw.audit)?;

        Ok(Config {
            source: self.source.to_owned(),
            listen: raw.listen,
            upstream,
            identity,
            store,
            secrets,
            totp,
            cookie,
            companies,
            bypass,
            max_failures: raw.max_failures,
            prefix: raw.prefix,
            ui,
            server,
            admin,
            audit,
        })
    }

    /// Reads one key from its environment variable or file. Messages name
    /// the variable or file, never the value.
    fn secret(
        &self,
        field: &str,
        raw: &RawSecret,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<[u8; 32], ConfigError> {
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
                    decode_key(&value).map_err(|m| format!("environment variable {var} {m}")),
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
                    decode_key(&value).map_err(|m| format!("file {} {m}", path.display())),
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
mod tests {
    use super::*;
    use crate::config::BypassRule;
    use crate::domain::Enforcement;
    use std::time::Duration;

    const HMAC_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    /// 32 bytes of 0x22, base64 (standard, padded).
    const ENC_B64: &str = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=";
    const SUPPORT_TOKEN: &str = "test-support-token-0123";

    const MINIMAL: &str = "\
listen: 127.0.0.1:8080
upstream:
  address: app.internal:3000
identity:
  session_cookie: app_session
  whoami_path: /api/me
store:
  path: data/store
secrets:
  hmac_key: { env: TEST_HMAC }
  encryption_key: { env: TEST_ENC }
";

    fn env(name: &str) -> Option<String> {
        match name {
            "TEST_HMAC" | "MFA_GATE_HMAC_KEY" => Some(HMAC_HEX.into()),
            "TEST_ENC" | "MFA_GATE_ENCRYPTION_KEY" => Some(ENC_B64.into()),
            "MFA_GATE_SUPPORT_TOKEN" => Some(format!("  {SUPPORT_TOKEN}\n")),
            _ => None,
        }
    }

    fn load(yaml: &str) -> Config {
        match load_str_with_env(yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env) {
            Ok(config) => config,
            Err(e) => panic!("expected the config to load, got: {e}"),
        }
    }

    fn error_of(yaml: &str) -> ConfigError {
        match load_str_with_env(yaml, Path::new("/etc/mfa-gate/gate.yaml"), &env) {
            Ok(_) => panic!("expected an error for:\n{yaml}"),
            Err(e) => e,
        }
    }

    /// Asserts the error names `field`, is on `line` (if given) and its
    /// message contains `needle`.
    fn check_error(yaml: &str, field: &str, line: Option<usize>, needle: &str) {
        let err = error_of(yaml);
        let shown = err.to_string();
        assert_eq!(err.field(), Some(field), "{shown}");
        if line.is_some() {
            assert_eq!(err.line(), line, "{shown}");
        }
        assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
        assert!(shown.starts_with("/etc/mfa-gate/gate.yaml: "), "{shown}");
    }

    fn repo_file(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
    }

    #[test]
    fn example_file_loads() {
        let path = repo_file("config/mfa-gate.example.yaml");
        let yaml = std::fs::read_to_string(&path).expect("example file");
        let config = load_str_with_env(&yaml, &path, &env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.upstream.sni, "127.0.0.1");
        assert_eq!(config.identity.session_cookie, "app_session");
        assert_eq!(config.companies.get("globex"), Some(&Enforcement::Required));
        assert_eq!(config.bypass.len(), 3);
        assert_eq!(config.secrets.hmac_key, [0x11; 32]);
        assert_eq!(config.secrets.encryption_key, [0x22; 32]);
        assert_eq!(config.source, path);
        let admin = config.admin.expect("the example has an admin section");
        assert_eq!(admin.listen.to_string(), "127.0.0.1:9090");
        assert!(admin.support_token.verify(SUPPORT_TOKEN));
        assert_eq!(config.audit.retention, Duration::from_secs(365 * 86_400));
    }

    #[test]
    fn demo_file_loads_with_keys_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("hmac.key"), format!("{HMAC_HEX}\n")).expect("write");
        std::fs::write(dir.path().join("encryption.key"), ENC_B64).expect("write");
        std::fs::write(dir.path().join("support.token"), "demo-support-token\n").expect("write");
        let yaml = std::fs::read_to_string(repo_file("config/demo.yaml")).expect("demo file");
        let source = dir.path().join("demo.yaml");

        let config = load_str_with_env(&yaml, &source, &|_| None).unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(config.upstream.address, "127.0.0.1:8081");
        assert_eq!(config.identity.session_cookie, "demo_session");
        assert_eq!(config.store.path, dir.path().join("store"));
        assert_eq!(config.secrets.hmac_key, [0x11; 32]);
        assert_eq!(config.secrets.encryption_key, [0x22; 32]);
        assert_eq!(config.totp.issuer, "mfa-gate demo");
        assert!(!config.cookie.secure);
        assert_eq!(config.companies.get("globex"), Some(&Enforcement::Required));
        assert_eq!(
            config.bypass,
            vec![
                BypassRule::Exact("/login".into()),
                BypassRule::Exact("/logout".into()),
                BypassRule::Prefix("/static".into()),
            ]
        );
        assert_eq!(config.ui.default_locale, Locale::Ja);
        assert_eq!(config.ui.app_name, "Demo App");
        let admin = config.admin.expect("the demo has an admin listener");
        assert_eq!(admin.listen.to_string(), "127.0.0.1:8082");
        assert!(admin.support_token.verify("demo-support-token"));
    }

    #[test]
    fn load_file_reads_and_names_a_missing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.yaml");
        let err = load_file(&missing).expect_err("an error");
        assert!(matches!(err, ConfigError::Read { .. }));
        assert!(err.to_string().starts_with(&missing.display().to_string()));
    }

    #[test]
    fn minimal_file_gets_the_documented_defaults() {
        let config = load(MINIMAL);
        assert_eq!(config.upstream.sni, "app.internal");
        assert!(!config.upstream.tls);
        assert_eq!(config.upstream.connect_timeout, Duration::from_secs(2));
        assert_eq!(config.upstream.read_timeout, Duration::from_secs(30));
        assert_eq!(config.upstream.write_timeout, Duration::from_secs(30));
        assert_eq!(config.identity.whoami_timeout, Duration::from_secs(2));
        assert_eq!(config.identity.fields.account, "account");
        assert_eq!(config.identity.fields.email, "email");
        assert_eq!(config.identity.cache_ttl, Duration::from_secs(10));
        assert_eq!(config.identity.cache_size, 100_000);
        assert_eq!(config.totp.issuer, "mfa-gate");
        assert_eq!(config.totp.skew, 1);
        assert_eq!(config.cookie.name, "mfa_gate");
        assert!(config.cookie.secure);
        assert_eq!(config.cookie.max_age, Duration::from_secs(12 * 3600));
        assert!(config.companies.is_empty());
        assert!(config.bypass.is_empty());
        assert_eq!(config.max_failures, 10);
        assert_eq!(config.prefix, "/_mfa");
        assert_eq!(config.ui.default_locale, Locale::Ja);
        assert_eq!(config.server.threads, 2);
        assert_eq!(config.server.grace_period, Duration::from_secs(10));
        assert!(
            config.admin.is_none(),
            "no admin section, no admin listener"
        );
        assert_eq!(config.audit.retention, Duration::from_secs(365 * 86_400));
    }

    #[test]
    fn admin_section_defaults_to_loopback_and_needs_a_token() {
        let with_admin =
            format!("{MINIMAL}admin:\n  support_token: {{ env: MFA_GATE_SUPPORT_TOKEN }}\n");
        let admin = load(&with_admin).admin.expect("admin");
        assert_eq!(admin.listen.to_string(), "127.0.0.1:9090");
        assert!(admin.support_token.verify(SUPPORT_TOKEN), "trimmed");
        assert!(!admin.support_token.verify("test-support-token"));
        assert!(!format!("{admin:?}").contains(SUPPORT_TOKEN));

        check_error(
            &format!("{MINIMAL}admin:\n  listen: 127.0.0.1:9091\n"),
            "admin",
            None,
            "missing field `support_token`",
        );
        check_error(
            &format!(
                "{MINIMAL}admin:\n  listen: 127.0.0.1:8080\n  support_token: {{ env: MFA_GATE_SUPPORT_TOKEN }}\n"
            ),
            "admin.listen",
            Some(13),
            "needs its own port",
        );
        check_error(
            &format!("{MINIMAL}admin:\n  support_token: {{ env: NOPE_UNSET }}\n"),
            "admin.support_token.env",
            Some(13),
            "environment variable NOPE_UNSET is not set",
        );
        check_error(
            &format!("{MINIMAL}admin:\n  support_token: {{ value: x }}\n"),
            "admin.support_token.value",
            Some(13),
            "unknown field `value`",
        );
        check_error(
            &format!("{MINIMAL}audit:\n  retention: 1h\n"),
            "audit.retention",
            Some(13),
            "at least 1d",
        );
        assert_eq!(
            load(&format!("{MINIMAL}audit:\n  retention: 30d\n"))
                .audit
                .retention,
            Duration::from_secs(30 * 86_400)
        );
    }

    #[test]
    fn a_weak_support_token_is_refused_without_echoing_it() {
        let yaml = format!("{MINIMAL}admin:\n  support_token: {{ env: WEAK }}\n");
        for weak in ["hunter2", "has spaces in the token"] {
            let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
                "WEAK" => Some(weak.into()),
                other => env(other),
            })
            .expect_err("an error");
            assert_eq!(err.field(), Some("admin.support_token.env"), "{err}");
            assert!(!err.to_string().contains(weak), "{err}");
        }
    }

    #[test]
    fn support_reads_only_the_admin_section() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("token"), format!("{SUPPORT_TOKEN}\n")).expect("write");
        // The keys' variables are unset: support staff need not hold them.
        let yaml = format!(
            "{MINIMAL}admin:\n  listen: 127.0.0.1:7000\n  support_token: {{ file: token }}\n"
        );
        let source = dir.path().join("gate.yaml");
        let admin = load_admin_str_with_env(&yaml, &source, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"))
            .expect("admin");
        assert_eq!(admin.listen.to_string(), "127.0.0.1:7000");
        assert!(admin.support_token.verify(SUPPORT_TOKEN));
        assert!(
            load_admin_str_with_env(MINIMAL, &source, &|_| None)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
    }

    #[test]
    fn issuer_defaults_to_the_app_name() {
        let config = load(&format!("{MINIMAL}ui:\n  app_name: Acme Portal\n"));
        assert_eq!(config.totp.issuer, "Acme Portal");
    }

    #[test]
    fn unknown_field_is_named_with_its_line() {
        let yaml = MINIMAL.replace(
            "  address: app.internal:3000\n",
            "  address: a:1\n  adress: b:2\n",
        );
        check_error(&yaml, "upstream.adress", Some(4), "unknown field `adress`");
        let err = error_of(&yaml).to_string();
        assert!(err.starts_with("/etc/mfa-gate/gate.yaml: line 4, column 3: field `upstream.adress`: unknown field `adress`, expected one of"), "{err}");
        check_error(
            &format!("{MINIMAL}colour: blue\n"),
            "colour",
            Some(12),
            "unknown field",
        );
        check_error(
            &format!("{MINIMAL}  hmac: {{ env: X }}\n"),
            "secrets.hmac",
            Some(12),
            "unknown field `hmac`",
        );
    }

    #[test]
    fn bad_duration_is_named_with_its_line() {
        let yaml = MINIMAL.replace(
            "  address: app.internal:3000\n",
            "  address: app.internal:3000\n  connect_timeout: 5 sec\n",
        );
        let err = error_of(&yaml).to_string();
        assert_eq!(
            err,
            "/etc/mfa-gate/gate.yaml: line 4, column 20: field `upstream.connect_timeout`: \
             invalid duration \"5 sec\" (expected e.g. 500ms, 5s, 10m, 12h)"
        );
        check_error(
            &format!("{MINIMAL}cookie:\n  max_age: 12\n"),
            "cookie.max_age",
            Some(13),
            "invalid duration \"12\"",
        );
        check_error(
            &format!("{MINIMAL}cookie:\n  max_age: 0s\n"),
            "cookie.max_age",
            Some(13),
            "longer than zero",
        );
    }

    #[test]
    fn bad_enforcement_value_lists_the_allowed_ones() {
        check_error(
            &format!("{MINIMAL}companies:\n  globex: required\n  initech: mandatory\n"),
            "companies.initech",
            Some(14),
            "unknown variant `mandatory`, expected `optional` or `required`",
        );
        check_error(
            &format!("{MINIMAL}companies:\n  globex: required\n  globex: optional\n"),
            "companies",
            None,
            "`globex` is given twice",
        );
    }

    #[test]
    fn other_identity_sources_are_refused_by_name() {
        let yaml = MINIMAL.replace("identity:\n", "identity:\n  source: headers\n");
        check_error(
            &yaml,
            "identity.source",
            Some(5),
            "unknown variant `headers`, expected `whoami`",
        );
    }

    #[test]
    fn missing_secret_variable_is_named() {
        let yaml = MINIMAL.replace("TEST_ENC", "MFA_GATE_TEST_UNSET_VARIABLE");
        check_error(
            &yaml,
            "secrets.encryption_key.env",
            Some(11),
            "environment variable MFA_GATE_TEST_UNSET_VARIABLE is not set",
        );
    }

    #[test]
    fn secret_needs_exactly_one_source() {
        let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ env: TEST_HMAC, file: k }");
        check_error(&yaml, "secrets.hmac_key", Some(10), "exactly one of");
        let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{}");
        check_error(&yaml, "secrets.hmac_key", Some(10), "exactly one of");
    }

    #[test]
    fn wrong_length_key_is_refused_without_echoing_it() {
        let short = "00112233445566778899aabbccddeeff"; // 16 bytes as hex
        let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ env: SHORT_KEY }");
        let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
            "SHORT_KEY" => Some(short.into()),
            other => env(other),
        })
        .expect_err("an error");
        let shown = err.to_string();
        assert_eq!(err.field(), Some("secrets.hmac_key.env"), "{shown}");
        assert!(shown.contains("SHORT_KEY"), "{shown}");
        assert!(shown.contains("exactly 32"), "{shown}");
        assert!(!shown.contains(short), "{shown}");

        let not_a_key = "correct horse battery staple";
        let err = load_str_with_env(&yaml, Path::new("gate.yaml"), &|name| match name {
            "SHORT_KEY" => Some(not_a_key.into()),
            other => env(other),
        })
        .expect_err("an error");
        assert!(!err.to_string().contains(not_a_key), "{err}");
    }

    #[test]
    fn oversized_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("big.key"), "a".repeat(5000)).expect("write");
        let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ file: big.key }");
        let err =
            load_str_with_env(&yaml, &dir.path().join("gate.yaml"), &env).expect_err("an error");
        assert!(err.to_string().contains("not a key file"), "{err}");
        assert!(!err.to_string().contains("aaaa"), "{err}");
    }

    #[test]
    fn the_two_keys_must_differ() {
        let yaml = MINIMAL.replace("TEST_ENC", "TEST_HMAC");
        check_error(&yaml, "secrets.encryption_key", Some(11), "must differ");
    }

    #[test]
    fn relative_paths_resolve_against_the_config_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("keys")).expect("mkdir");
        std::fs::write(dir.path().join("keys/hmac"), HMAC_HEX).expect("write");
        let absolute_key = dir.path().join("enc-absolute");
        std::fs::write(&absolute_key, ENC_B64).expect("write");
        let yaml = MINIMAL
            .replace("{ env: TEST_HMAC }", "{ file: keys/hmac }")
            .replace(
                "{ env: TEST_ENC }",
                &format!("{{ file: \"{}\" }}", absolute_key.display()),
            );
        let source = dir.path().join("gate.yaml");

        let config = load_str_with_env(&yaml, &source, &|_| None).unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(config.store.path, dir.path().join("data/store"));
        assert_eq!(config.secrets.hmac_key, [0x11; 32]);
        assert_eq!(config.secrets.encryption_key, [0x22; 32]);

        let absolute = load(&MINIMAL.replace("path: data/store", "path: /var/lib/mfa-gate"));
        assert_eq!(absolute.store.path, Path::new("/var/lib/mfa-gate"));
    }

    #[test]
    fn unreadable_key_file_is_named() {
        let yaml = MINIMAL.replace("{ env: TEST_HMAC }", "{ file: missing.key }");
        check_error(
            &yaml,
            "secrets.hmac_key.file",
            Some(10),
            "cannot read /etc/mfa-gate/missing.key",
        );
    }

    #[test]
    fn field_checks_name_their_field() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "listen: 127.0.0.1:8080",
                "listen: localhost:80",
                "listen",
                "invalid address",
            ),
            (
                "address: app.internal:3000",
                "address: http://app:80",
                "upstream.address",
                "scheme",
            ),
            (
                "address: app.internal:3000",
                "address: app.internal",
                "upstream.address",
                "no port",
            ),
            (
                "address: app.internal:3000",
                "address: ::1:80",
                "upstream.address",
                "invalid host",
            ),
            (
                "address: app.internal:3000",
                "address: app:0",
                "upstream.address",
                "invalid port",
            ),
            (
                "whoami_path: /api/me",
                "whoami_path: api/me",
                "identity.whoami_path",
                "start with",
            ),
            (
                "session_cookie: app_session",
                "session_cookie: \"a b\"",
                "identity.session_cookie",
                "not a valid cookie name",
            ),
            (
                "session_cookie: app_session",
                "session_cookie: mfa_gate",
                "cookie.name",
                "must differ",
            ),
            (
                "path: data/store",
                "path: \"\"",
                "store.path",
                "must not be empty",
            ),
        ];
        for (from, to, field, needle) in cases {
            check_error(&MINIMAL.replace(from, to), field, None, needle);
        }
        let appended: &[(&str, &str, &str)] = &[
            ("totp:\n  skew: 3\n", "totp.skew", "out of range"),
            (
                "totp:\n  issuer: \"a:b\"\n",
                "totp.issuer",
                "must not contain `:`",
            ),
            ("max_failures: 0\n", "max_failures", "out of range"),
            ("max_failures: 1001\n", "max_failures", "out of range"),
            ("prefix: _mfa\n", "prefix", "start with"),
            ("prefix: /_mfa/\n", "prefix", "trailing"),
            ("prefix: /\n", "prefix", "below"),
            ("prefix: /a/../b\n", "prefix", "plain segments"),
            ("prefix: /a//b\n", "prefix", "plain segments"),
            (
                "bypass:\n  - /ok\n  - static/*\n",
                "bypass[1]",
                "start with",
            ),
            ("bypass:\n  - /static/*.css\n", "bypass[0]", "trailing `/*`"),
            ("bypass:\n  - /*\n", "bypass[0]", "every path"),
            ("bypass:\n  - /a/../b\n", "bypass[0]", "normalized"),
            ("bypass:\n  - /a%2fb\n", "bypass[0]", "decoded"),
            (
                "ui:\n  default_locale: fr\n",
                "ui.default_locale",
                "expected `ja` or `en`",
            ),
            (
                "ui:\n  app_name: \" \"\n",
                "ui.app_name",
                "must not be empty",
            ),
            ("server:\n  threads: 0\n", "server.threads", "at least 1"),
            ("identity:\n", "identity", "duplicate field"),
            (
                "cookie:\n  name: __Host-mfa\n  secure: false\n",
                "cookie.secure",
                "must be true",
            ),
        ];
        for (tail, field, needle) in appended {
            check_error(&format!("{MINIMAL}{tail}"), field, None, needle);
        }
        check_error(
            &MINIMAL.replace("identity:\n", "identity:\n  cache_size: 0\n"),
            "identity.cache_size",
            Some(5),
            "at least 1",
        );
        check_error(
            &MINIMAL.replace("identity:\n", "identity:\n  fields: { account: \"\" }\n"),
            "identity.fields.account",
            Some(5),
            "must not be empty",
        );
    }

    #[test]
    fn yaml_syntax_errors_have_a_line() {
        let err = error_of("listen: 127.0.0.1:8080\nupstream:\n  address: 'oops\n");
        assert_eq!(err.line(), Some(4), "{err}");
        assert!(
            err.to_string()
                .contains("quoted scalar at line 3 column 12"),
            "{err}"
        );
        let err = error_of("# nothing\n");
        assert!(err.to_string().contains("no settings"), "{err}");
        let err = error_of("- a\n- b\n");
        assert!(err.to_string().contains("expected a mapping"), "{err}");
    }

    #[test]
    fn debug_output_hides_the_keys() {
        let shown = format!("{:?}", load(MINIMAL));
        assert!(!shown.contains("17, 17"), "{shown}");
        assert!(!shown.contains("34, 34"), "{shown}");
    }
}
