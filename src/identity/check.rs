//! `mfa-gate identity-check`: the whoami call the gateway would make for
//! the given cookies, and what it makes of the answer — the mapped
//! identity, or the precise reason there is none (the session cookie is
//! missing or refused, the status, the field and pointer that do not map).
//! The first command an operator runs when wiring an app.

use super::mapping::map_identity;
use super::whoami::{Asked, WhoamiClient};
use crate::config::{Config, IdentitySource, WhoamiConfig};
use crate::request::SessionReading;
use crate::request::cookies::{CookieNames, read};
use std::fmt::Write as _;

/// Longest part of a whoami answer shown when it does not map.
const SHOWN: usize = 2000;

/// What `identity-check` found: `known` when an identity came out.
#[derive(Debug)]
pub struct Report {
    pub known: bool,
    pub text: String,
}

impl Report {
    fn failed(text: String) -> Report {
        Report { known: false, text }
    }
}

/// Ask the whoami endpoint of `config` about `cookies` (`name=value`
/// each, as a browser would send them), the request's `Host` being `host`.
pub async fn check(config: &Config, cookies: &[String], host: Option<&str>) -> Report {
    let IdentitySource::Whoami(whoami) = &config.identity else {
        return Report::failed(
            "identity.source is `headers`: the SSO front's headers say who is logged in; there is no whoami call to check".into(),
        );
    };
    let value = match session_value(config, whoami, cookies, host) {
        Ok(value) => value,
        Err(report) => return report,
    };
    let scheme = if config.upstream.tls { "https" } else { "http" };
    let base = format!("{scheme}://{}", config.upstream.address);
    let client = match WhoamiClient::new(whoami, &base) {
        Ok(c) => c,
        Err(e) => return Report::failed(format!("cannot make the whoami client: {e}")),
    };
    let method = match whoami.whoami_method {
        crate::config::WhoamiMethod::Get => "GET",
        crate::config::WhoamiMethod::Post => "POST",
    };
    let text = format!("{method} {base}{}\n", whoami.whoami_path);
    match client.answer(&value).await {
        Err(e) => failed_call(text, e, whoami),
        Ok(Asked::Anonymous(status)) => anonymous(text, status),
        Ok(Asked::Body(json)) => mapped(text, &json, whoami),
    }
}

/// The session value the gateway would read from these cookies, or why
/// there is none (absent: anonymous; refused: 400).
fn session_value(
    config: &Config,
    whoami: &WhoamiConfig,
    cookies: &[String],
    host: Option<&str>,
) -> Result<String, Report> {
    let header = cookies.join("; ");
    // The gateway reads the browser's Host; without one given, the call
    // goes to the upstream address as its host.
    let host = host.or(Some(config.upstream.address.as_str()));
    let names = CookieNames {
        session: Some(&whoami.session),
        host,
        gateway: &config.cookie.name,
        lang: crate::request::cookies::LANG_COOKIE,
        remember: crate::request::cookies::REMEMBER_COOKIE,
        own_plain: crate::request::cookies::own_names_plain(
            Some(&whoami.session),
            &config.cookie.name,
        ),
    };
    match read([header.as_bytes()].into_iter(), &names).session {
        SessionReading::Clear(value) => Ok(value),
        SessionReading::Absent => Err(Report::failed(format!(
            "no session cookie: the gateway looks for {} (identity.session_cookie…) and the request would pass as anonymous",
            whoami.session.describe()
        ))),
        SessionReading::Refused(r) => Err(Report::failed(format!(
            "the gateway refuses these cookies with 400 ({}): a session cookie that does not read one way only",
            r.as_str()
        ))),
    }
}

fn failed_call(mut text: String, e: super::IdentityError, whoami: &WhoamiConfig) -> Report {
    let _ = writeln!(text, "failed: {e}");
    if let super::IdentityError::Status(s) = e {
        let _ = writeln!(
            text,
            "HTTP {s} is neither 200 nor one of identity.anonymous_statuses {:?}: the gateway fails closed (503)",
            whoami.anonymous_statuses
        );
    }
    Report::failed(text)
}

fn anonymous(mut text: String, status: u16) -> Report {
    let why = if status == 200 {
        "the answer meets identity.anonymous_when"
    } else {
        "a status of identity.anonymous_statuses"
    };
    let _ = writeln!(
        text,
        "anonymous: HTTP {status}, {why}; the app does not see a logged-in session with these cookies"
    );
    Report::failed(text)
}

fn mapped(mut text: String, json: &serde_json::Value, whoami: &WhoamiConfig) -> Report {
    match map_identity(json, &whoami.fields) {
        Ok(id) => {
            let _ = writeln!(text, "HTTP 200: identity");
            let _ = writeln!(text, "  account: {}", id.account());
            let _ = writeln!(text, "  company: {}", id.company());
            let _ = writeln!(text, "  class:   {}", id.class().as_str());
            let _ = writeln!(text, "  person:  {}", id.person());
            let _ = writeln!(text, "  roles:   [{}]", id.roles().join(", "));
            let _ = writeln!(text, "  email:   {}", id.email().unwrap_or("-"));
            Report { known: true, text }
        }
        Err(e) => {
            let _ = writeln!(text, "HTTP 200, but the answer does not map: {e}");
            let shown = json.to_string();
            let cut = shown
                .char_indices()
                .nth(SHOWN)
                .map_or(shown.len(), |(i, _)| i);
            let _ = writeln!(text, "the answer: {}", &shown[..cut]);
            Report::failed(text)
        }
    }
}
