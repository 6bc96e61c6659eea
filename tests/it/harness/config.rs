//! `ConfigBuilder`: the one writer of `mfa-gate serve` configurations in the
//! tests. It renders every section in one fixed order (so a test may name
//! the line of a field), writes the key files (and the support token file)
//! the configuration refers to, and can start the gateway it describes.
//!
//! Defaults, as most scenarios want them: listen on `127.0.0.1:PORT`, the
//! app at `upstream` (connect 500ms, read 2s), identities from whoami at
//! `/api/me` for the session cookie `demo_session` (whoami timeout 500ms,
//! cache 1s), the store in `store`, keys in `hmac.key`/`enc.key`, cookies
//! without `Secure` (plain HTTP on loopback).

use super::gateway::Gateway;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The contents of the key files a builder writes (hex, 32 bytes each).
const HMAC_KEY_HEX: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const ENC_KEY_HEX: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// Where the gateway's identities come from.
#[derive(Clone, Debug)]
enum Identity {
    /// whoami: `session_cookie`, `whoami_path`, then optional timeout and
    /// cache lines.
    Whoami {
        cookie: String,
        path: String,
        timeout: Option<String>,
        cache_ttl: Option<String>,
    },
    /// The lines under `identity:` as given (e.g. `source: headers`).
    Lines(String),
}

/// Where the secrets come from.
#[derive(Clone, Debug)]
enum Secrets {
    /// `hmac.key` and `enc.key` beside the configuration (written).
    Files,
    /// Environment variables (named, not set).
    Env { hmac: String, encryption: String },
}

/// The admin listener and its support token file.
#[derive(Clone, Debug)]
struct Admin {
    listen: String,
    token: Token,
}

#[derive(Clone, Debug)]
enum Token {
    /// Written into `token` beside the configuration.
    Written(String),
    /// An existing file, named by its path.
    File(PathBuf),
}

/// A `serve` configuration, built by chained calls and written by
/// [`ConfigBuilder::write`].
#[derive(Clone, Debug)]
pub struct ConfigBuilder {
    pub port: u16,
    upstream: String,
    timeouts: Option<(String, String)>,
    trusted_proxies: Option<String>,
    identity: Identity,
    identity_extra: String,
    secrets: Secrets,
    totp_issuer: Option<String>,
    totp_skew: Option<u8>,
    grace_period: Option<String>,
    cookie_max_age: Option<String>,
    companies: Vec<(String, String)>,
    bypass: Vec<String>,
    app_name: Option<String>,
    admin: Option<Admin>,
    extra: String,
}

impl ConfigBuilder {
    /// Listens on `127.0.0.1:port` in front of the app at `upstream`.
    pub fn new(port: u16, upstream: &str) -> ConfigBuilder {
        ConfigBuilder {
            port,
            upstream: upstream.to_owned(),
            // Generous: the fake app runs inside the (busy) test process,
            // and a loaded 2-core machine must not turn a slow answer into
            // a 503. Tests of timeouts set their own.
            timeouts: Some(("5s".into(), "20s".into())),
            trusted_proxies: None,
            identity: Identity::Whoami {
                cookie: "demo_session".into(),
                path: "/api/me".into(),
                timeout: Some("5s".into()),
                cache_ttl: Some("1s".into()),
            },
            identity_extra: String::new(),
            secrets: Secrets::Files,
            totp_issuer: None,
            totp_skew: None,
            grace_period: None,
            cookie_max_age: None,
            companies: Vec::new(),
            bypass: Vec::new(),
            app_name: None,
            admin: None,
            extra: String::new(),
        }
    }

    /// The upstream's connect and read timeouts (`None`: not written).
    pub fn upstream_timeouts(mut self, timeouts: Option<(&str, &str)>) -> Self {
        self.timeouts = timeouts.map(|(c, r)| (c.into(), r.into()));
        self
    }

    /// `trusted_proxies: [LIST]` (e.g. `"127.0.0.1/32"`).
    pub fn trusted_proxies(mut self, list: &str) -> Self {
        self.trusted_proxies = Some(list.into());
        self
    }

    /// whoami at `path` for the session cookie `cookie`, keeping the
    /// timeout and cache lines.
    pub fn whoami(mut self, cookie: &str, path: &str) -> Self {
        let (timeout, cache_ttl) = match self.identity {
            Identity::Whoami {
                timeout, cache_ttl, ..
            } => (timeout, cache_ttl),
            Identity::Lines(_) => (None, None),
        };
        self.identity = Identity::Whoami {
            cookie: cookie.into(),
            path: path.into(),
            timeout,
            cache_ttl,
        };
        self
    }

    /// The whoami session cookie's name (whoami path unchanged).
    pub fn session_cookie(self, cookie: &str) -> Self {
        let path = match &self.identity {
            Identity::Whoami { path, .. } => path.clone(),
            Identity::Lines(_) => "/api/me".into(),
        };
        self.whoami(cookie, &path)
    }

    /// `whoami_timeout` and `cache_ttl` (`None`: not written).
    pub fn whoami_timing(mut self, timeout: Option<&str>, cache_ttl: Option<&str>) -> Self {
        if let Identity::Whoami {
            timeout: t,
            cache_ttl: c,
            ..
        } = &mut self.identity
        {
            *t = timeout.map(Into::into);
            *c = cache_ttl.map(Into::into);
        }
        self
    }

    /// The identity section's lines, unindented (replaces whoami).
    pub fn identity(mut self, lines: &str) -> Self {
        self.identity = Identity::Lines(lines.into());
        self
    }

    /// Lines added at the end of the identity section, unindented (e.g.
    /// `anonymous_statuses: [401, 403]`).
    pub fn identity_line(mut self, line: &str) -> Self {
        self.identity_extra.push_str(line.trim_end());
        self.identity_extra.push('\n');
        self
    }

    /// Secrets read from the environment variables `hmac` and `encryption`.
    pub fn secrets_from_env(mut self, hmac: &str, encryption: &str) -> Self {
        self.secrets = Secrets::Env {
            hmac: hmac.into(),
            encryption: encryption.into(),
        };
        self
    }

    /// `totp.skew` (steps either side; a test that needs three fresh TOTP
    /// codes at once sets 2).
    pub fn totp_skew(mut self, skew: u8) -> Self {
        self.totp_skew = Some(skew);
        self
    }

    /// `totp.issuer`.
    pub fn totp_issuer(mut self, issuer: &str) -> Self {
        self.totp_issuer = Some(issuer.into());
        self
    }

    /// `server.grace_period`.
    pub fn grace_period(mut self, period: &str) -> Self {
        self.grace_period = Some(period.into());
        self
    }

    /// Pins `company` to `policy` (`required`, `optional`, or a typo).
    pub fn company(mut self, company: &str, policy: &str) -> Self {
        self.companies.push((company.into(), policy.into()));
        self
    }

    /// Paths that pass without an identity (`bypass: [..]`).
    pub fn bypass(mut self, paths: &[&str]) -> Self {
        self.bypass = paths.iter().map(|p| (*p).to_owned()).collect();
        self
    }

    /// `ui.app_name`.
    pub fn app_name(mut self, name: &str) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// The admin listener on `127.0.0.1:PORT+2` with support token `token`
    /// (written into the file `token`).
    pub fn admin(mut self, token: &str) -> Self {
        self.admin = Some(Admin {
            listen: format!("127.0.0.1:{}", self.port + 2),
            token: Token::Written(token.into()),
        });
        self
    }

    /// The admin listener on `listen` with the token in the existing file
    /// `token_file`.
    pub fn admin_with_token_file(mut self, listen: &str, token_file: &Path) -> Self {
        self.admin = Some(Admin {
            listen: listen.into(),
            token: Token::File(token_file.to_path_buf()),
        });
        self
    }

    /// `cookie.max_age`: how long a verified gateway cookie counts.
    pub fn cookie_max_age(mut self, max_age: &str) -> Self {
        self.cookie_max_age = Some(max_age.into());
        self
    }

    /// YAML appended as is, after every other section.
    pub fn extra(mut self, yaml: &str) -> Self {
        self.extra.push_str(yaml);
        self
    }

    /// The YAML text.
    pub fn render(&self) -> String {
        let mut y = format!("listen: 127.0.0.1:{}\n", self.port);
        let _ = writeln!(y, "upstream:\n  address: {}", self.upstream);
        if let Some((connect, read)) = &self.timeouts {
            let _ = writeln!(y, "  connect_timeout: {connect}\n  read_timeout: {read}");
        }
        if let Some(list) = &self.trusted_proxies {
            let _ = writeln!(y, "trusted_proxies: [{list}]");
        }
        y.push_str("identity:\n");
        let identity = match &self.identity {
            Identity::Whoami {
                cookie,
                path,
                timeout,
                cache_ttl,
            } => {
                let mut lines = format!("session_cookie: {cookie}\nwhoami_path: {path}\n");
                if let Some(t) = timeout {
                    let _ = writeln!(lines, "whoami_timeout: {t}");
                }
                if let Some(c) = cache_ttl {
                    let _ = writeln!(lines, "cache_ttl: {c}");
                }
                lines
            }
            Identity::Lines(lines) => lines.clone(),
        };
        for line in identity.lines().chain(self.identity_extra.lines()) {
            let _ = writeln!(y, "  {line}");
        }
        y.push_str("store:\n  path: store\n");
        let (hmac, encryption) = match &self.secrets {
            Secrets::Files => ("{ file: hmac.key }".into(), "{ file: enc.key }".into()),
            Secrets::Env { hmac, encryption } => (
                format!("{{ env: {hmac} }}"),
                format!("{{ env: {encryption} }}"),
            ),
        };
        let _ = writeln!(
            y,
            "secrets:\n  hmac_key: {hmac}\n  encryption_key: {encryption}"
        );
        if self.totp_issuer.is_some() || self.totp_skew.is_some() {
            y.push_str("totp:\n");
        }
        if let Some(issuer) = &self.totp_issuer {
            let _ = writeln!(y, "  issuer: {issuer}");
        }
        if let Some(skew) = self.totp_skew {
            let _ = writeln!(y, "  skew: {skew}");
        }
        y.push_str("cookie:\n  secure: false\n");
        if let Some(max_age) = &self.cookie_max_age {
            let _ = writeln!(y, "  max_age: {max_age}");
        }
        if let Some(period) = &self.grace_period {
            let _ = writeln!(y, "server:\n  grace_period: {period}");
        }
        if !self.companies.is_empty() {
            y.push_str("companies:\n");
            for (company, policy) in &self.companies {
                let _ = writeln!(y, "  {company}: {policy}");
            }
        }
        if !self.bypass.is_empty() {
            let _ = writeln!(y, "bypass: [{}]", self.bypass.join(", "));
        }
        if let Some(name) = &self.app_name {
            let _ = writeln!(y, "ui:\n  app_name: {name}");
        }
        if let Some(admin) = &self.admin {
            let token = match &admin.token {
                Token::Written(_) => "token".to_owned(),
                Token::File(path) => format!("\"{}\"", path.display()),
            };
            let _ = writeln!(
                y,
                "admin:\n  listen: {}\n  support_token: {{ file: {token} }}",
                admin.listen
            );
        }
        y.push_str(&self.extra);
        y
    }

    /// Writes `mfa-gate.yaml` into `dir`, with the key files (when the
    /// secrets are files) and the token file (when written) beside it.
    pub fn write(&self, dir: &Path) -> PathBuf {
        self.write_as(&dir.join("mfa-gate.yaml"))
    }

    /// Writes the configuration as `path`, its files beside it.
    pub fn write_as(&self, path: &Path) -> PathBuf {
        let dir = path.parent().expect("a config path has a directory");
        std::fs::create_dir_all(dir).unwrap();
        if matches!(self.secrets, Secrets::Files) {
            std::fs::write(dir.join("hmac.key"), HMAC_KEY_HEX).unwrap();
            std::fs::write(dir.join("enc.key"), ENC_KEY_HEX).unwrap();
        }
        if let Some(Admin {
            token: Token::Written(token),
            ..
        }) = &self.admin
        {
            std::fs::write(dir.join("token"), token).unwrap();
        }
        std::fs::write(path, self.render()).unwrap();
        path.to_path_buf()
    }

    /// Writes the configuration into `dir` and starts `mfa-gate serve` on
    /// it, with `dir` as its data directory.
    pub async fn serve_in(&self, dir: &Path) -> Gateway {
        let config = self.write(dir);
        Gateway::serve(&config, self.port, dir).await
    }

    /// `serve_in` a fresh temporary directory that the gateway owns.
    pub async fn serve(&self) -> Gateway {
        let tmp = tempfile::tempdir().unwrap();
        let mut gw = self.serve_in(tmp.path()).await;
        gw.tmp = Some(tmp);
        gw
    }
}
