//! The client side of `mfa-gate support status|unlock|reset|audit ACCOUNT`:
//! finds the admin listener and its token, calls the support API of the
//! running gateway (never the store itself: sled lets one process in, and
//! the gateway holds it), and turns the answer into text for a person or
//! passes the API's JSON through (`--json`).
//!
//! Where the listener and token come from, first match wins:
//! `--admin-url` / `--token`, then the `admin` section of `-c CONFIG`, then
//! `MFA_GATE_ADMIN_URL` / `MFA_GATE_SUPPORT_TOKEN`. Every failure is one
//! line and its own exit code (`SupportError::exit_code`).

use crate::admin::accounts::{AccountStatus, ActionResult, AuditEntry, AuditList, CompanyAudit};
use crate::config;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

pub const ENV_URL: &str = "MFA_GATE_ADMIN_URL";
pub const ENV_TOKEN: &str = "MFA_GATE_SUPPORT_TOKEN";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Unreserved characters (RFC 3986) stay; everything else in an account
/// name is percent-encoded into its one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Status,
    Unlock,
    Reset,
    Audit {
        limit: usize,
    },
    /// A company's own audit events: the "account" is the company.
    CompanyAudit {
        limit: usize,
    },
}

/// Where to send requests, and with what token.
pub struct Target {
    /// e.g. `http://127.0.0.1:9090`, no trailing slash.
    pub url: String,
    token: String,
}

impl Target {
    /// The support token (for the other support clients, `support_store.rs`).
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    #[error("{0}")]
    Config(String),
    #[error(
        "no account \"{0}\" is known to the gateway (it has never enrolled or passed a challenge there)"
    )]
    UnknownAccount(String),
    #[error(
        "the gateway refused the support token (401): check {ENV_TOKEN}, --token or the admin section of the config"
    )]
    Unauthorized,
    #[error("cannot reach the gateway's admin listener at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the gateway answered {status}: {detail}")]
    Gateway { status: u16, detail: String },
}

impl SupportError {
    /// 1 unknown account, 2 usage or configuration, 3 unreachable,
    /// 4 token refused, 5 any other failure of the gateway.
    pub fn exit_code(&self) -> i32 {
        match self {
            SupportError::UnknownAccount(_) => 1,
            SupportError::Config(_) => 2,
            SupportError::Unreachable { .. } => 3,
            SupportError::Unauthorized => 4,
            SupportError::Gateway { .. } => 5,
        }
    }
}

/// Decide where to talk to (see the module docs for the order).
pub fn resolve_target(
    config_file: Option<&Path>,
    admin_url: Option<String>,
    token: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Target, SupportError> {
    let from_config = match config_file {
        Some(path) => {
            let admin = config::load_admin_file(path)
                .map_err(|e| SupportError::Config(e.to_string()))?
                .ok_or_else(|| {
                    SupportError::Config(format!(
                        "{}: has no `admin` section, so that gateway runs no admin listener",
                        path.display()
                    ))
                })?;
            Some((
                url_of(admin.listen),
                admin.support_token.expose().to_owned(),
            ))
        }
        None => None,
    };
    let (config_url, config_token) = from_config.unzip();
    let url = admin_url
        .or(config_url)
        .or_else(|| env(ENV_URL))
        .ok_or_else(|| {
            SupportError::Config(format!(
                "no admin listener given: use -c CONFIG, --admin-url URL or {ENV_URL}"
            ))
        })?;
    let token = token
        .or(config_token)
        .or_else(|| env(ENV_TOKEN))
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            SupportError::Config(format!(
                "no support token given: use -c CONFIG, {ENV_TOKEN} or --token"
            ))
        })?;
    let url = url.trim().trim_end_matches('/').to_owned();
    if !url.starts_with("http://") {
        return Err(SupportError::Config(format!(
            "admin URL \"{url}\" must start with http:// (the admin listener speaks plain HTTP on a private address)"
        )));
    }
    Ok(Target {
        url,
        token: token.trim().to_owned(),
    })
}

/// The URL of a listen address: an unspecified address (`0.0.0.0`, `[::]`)
/// is reached on loopback.
fn url_of(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, listen.port()))
}

/// Run one operation; returns what to print on success.
pub fn run(target: &Target, op: Op, account: &str, json: bool) -> Result<String, SupportError> {
    check_name(op, account)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SupportError::Config(format!("cannot start the HTTP client: {e}")))?;
    let body = runtime.block_on(call(target, op, account))?;
    if json {
        return Ok(format!("{body}\n"));
    }
    let unreadable = |e: serde_json::Error| SupportError::Gateway {
        status: 200,
        detail: format!("unreadable answer ({e}); is this an mfa-gate admin listener?"),
    };
    Ok(match op {
        Op::Status => show_status(&serde_json::from_str(&body).map_err(unreadable)?),
        Op::Unlock | Op::Reset => show_action(&serde_json::from_str(&body).map_err(unreadable)?),
        Op::Audit { .. } => show_audit(&serde_json::from_str(&body).map_err(unreadable)?),
        Op::CompanyAudit { .. } => {
            show_company_audit(&serde_json::from_str(&body).map_err(unreadable)?)
        }
    })
}

/// An account (or company) that no gateway could know is bad input, said
/// before anything is sent: empty, longer than the identity source keeps,
/// or holding a control character.
fn check_name(op: Op, name: &str) -> Result<(), SupportError> {
    let what = match op {
        Op::CompanyAudit { .. } => "company",
        _ => "account",
    };
    let max = crate::identity::MAX_FIELD;
    if name.trim().is_empty() {
        return Err(SupportError::Config(format!("the {what} is empty")));
    }
    if name.len() > max {
        return Err(SupportError::Config(format!(
            "the {what} is {} bytes long; no {what} is longer than {max}",
            name.len()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(SupportError::Config(format!(
            "the {what} holds a control character"
        )));
    }
    Ok(())
}

async fn call(target: &Target, op: Op, account: &str) -> Result<String, SupportError> {
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SupportError::Config(format!("cannot set up the HTTP client: {e}")))?;
    let collection = match op {
        Op::CompanyAudit { .. } => "companies",
        _ => "accounts",
    };
    let base = format!(
        "{}/v1/{collection}/{}",
        target.url,
        utf8_percent_encode(account, SEGMENT)
    );
    let request = match op {
        Op::Status => client.get(base),
        Op::Unlock => client.post(format!("{base}/unlock")),
        Op::Reset => client.post(format!("{base}/reset")),
        Op::Audit { limit } | Op::CompanyAudit { limit } => {
            client.get(format!("{base}/audit?limit={limit}"))
        }
    };
    let unreachable = |e: reqwest::Error| SupportError::Unreachable {
        url: target.url.clone(),
        detail: error_chain(&e),
    };
    let response = request
        .bearer_auth(&target.token)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(unreachable)?;
    match status {
        200 => Ok(body),
        401 => Err(SupportError::Unauthorized),
        404 if body.contains("\"unknown_account\"") => {
            Err(SupportError::UnknownAccount(account.to_owned()))
        }
        _ => {
            let detail = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or_else(|| body.chars().take(200).collect());
            Err(SupportError::Gateway { status, detail })
        }
    }
}

/// The innermost cause of a client error ("Connection refused (os error
/// 111)") is what a person needs; reqwest's own text names only the URL.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    if e.to_string().contains("timed out") || last.contains("timed out") {
        return "timed out".into();
    }
    last
}

fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

pub fn show_status(s: &AccountStatus) -> String {
    let mut out = String::new();
    let enrolled = if s.enrolled {
        format!(
            "yes, since {} (by {})",
            or_none(&s.enrolled_at),
            or_none(&s.enrolled_by)
        )
    } else if s.enrollment_pending {
        "no (setup started, not confirmed)".to_owned()
    } else {
        "no".to_owned()
    };
    let backup = match (s.backup_codes_left, s.backup_codes_total) {
        (Some(left), Some(total)) => format!("{left} of {total} left"),
        _ => "none".to_owned(),
    };
    let locked = match (&s.locked_at, s.locked) {
        (Some(since), true) => format!("YES, since {since}"),
        (None, true) => "YES".to_owned(),
        _ => "no".to_owned(),
    };
    let rows = [
        ("account", s.account.clone()),
        ("company", s.company.clone()),
        ("person", s.person.clone()),
        ("linked accounts", s.linked_accounts.join(", ")),
        ("enrolled", enrolled),
        ("backup codes", backup),
        ("failures", format!("{} of {}", s.failures, s.max_failures)),
        ("locked", locked),
        ("remembered", format!("{} browsers", s.remembered_browsers)),
        ("passkeys", s.passkeys.to_string()),
    ];
    for (label, value) in rows {
        let _ = writeln!(out, "{label:<16} {value}");
    }
    out
}

fn show_action(r: &ActionResult) -> String {
    let s = &r.status;
    let head = match (r.action.as_str(), r.changed) {
        ("unlock", true) => format!("unlocked {} (person {}): {}", s.account, s.person, r.detail),
        ("reset", true) => format!(
            "reset 2FA of {} (person {}, accounts {}): {}; where 2FA is required the user enrolls again on the next request",
            s.account,
            s.person,
            s.linked_accounts.join(", "),
            r.detail
        ),
        (action, _) => format!("{action} {}: {}", s.account, r.detail),
    };
    format!("{head}\n")
}

fn show_audit(a: &AuditList) -> String {
    if a.events.is_empty() {
        return format!("no audit events for {} (person {})\n", a.account, a.person);
    }
    show_events(&a.events)
}

fn show_company_audit(a: &CompanyAudit) -> String {
    if a.events.is_empty() {
        return format!("no company audit events for {}\n", a.company);
    }
    show_events(&a.events)
}

fn show_events(events: &[AuditEntry]) -> String {
    let mut out = String::new();
    for e in events {
        let kind = serde_json::to_value(e.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", e.kind));
        let _ = writeln!(out, "{}  {kind:<24} {:<28} {}", e.at, e.actor, e.detail);
    }
    out
}

#[cfg(test)]
mod tests;
