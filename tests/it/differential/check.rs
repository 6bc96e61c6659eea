//! The rule the differential tests hold the gateway to, applied to one
//! answer at a time, and the readable report of everything that broke it.
//!
//! Cookies: when the app answered and read a session, that session is never
//! `tok-strict` (an unenrolled user of a required company reached the app)
//! and, when it is `tok-free`, the gateway identified that same session
//! (the app got `X-Mfa-Account: free@x`). Otherwise the gateway refused the
//! request or sent it to enrollment.

use super::wire::Reply;
use std::collections::BTreeMap;

/// Statuses that mean "not served": refused (400, 431; 403 from a front
/// whose forward-auth ask was refused) or sent to enrollment (401 for API
/// calls, 302/303 for navigations).
pub const NOT_SERVED: &[u16] = &[302, 303, 400, 401, 403, 431];

/// What the app said it read (`null` fields are `None`).
#[derive(Debug, PartialEq)]
pub struct Echo {
    pub session: Option<String>,
    pub mfa_status: Option<String>,
    pub mfa_account: Option<String>,
    pub auth_user: Option<String>,
}

impl Echo {
    /// The app's echo, when this answer came from app `app`.
    pub fn of(app: &str, reply: &Reply) -> Option<Echo> {
        if reply.header("x-diff-app") != Some(app) {
            return None;
        }
        let json = reply.json()?;
        // An empty header (a front copying an empty answer header, as
        // Caddy does) reads as no header.
        let field = |name: &str| {
            let value = json.get(name).and_then(|v| v.as_str());
            value.filter(|v| !v.is_empty()).map(str::to_owned)
        };
        Some(Echo {
            session: field("session"),
            mfa_status: field("mfa_status"),
            mfa_account: field("mfa_account"),
            auth_user: field("auth_user"),
        })
    }
}

/// One broken rule: which app, which request, what it read, what happened.
pub struct Violation {
    pub app: &'static str,
    pub category: &'static str,
    pub kind: &'static str,
    pub request: String,
    pub detail: String,
}

/// Per app: how the corpus went.
#[derive(Default)]
pub struct Tally {
    /// The app read `tok-free` or `tok-strict`.
    pub sessions_read: usize,
    pub strict_read: usize,
    pub from_app: usize,
    pub not_served: usize,
}

/// Judge one cookie-corpus answer; a violation kind and detail, if any.
pub fn judge_cookie(
    app: &str,
    reply: &Result<Reply, String>,
    tally: &mut Tally,
) -> Option<(&'static str, String)> {
    let reply = match reply {
        Ok(r) => r,
        Err(e) => return Some(("no answer", e.clone())),
    };
    let Some(echo) = Echo::of(app, reply) else {
        if NOT_SERVED.contains(&reply.status) {
            tally.not_served += 1;
            return None;
        }
        let body = String::from_utf8_lossy(&reply.body);
        let body: String = body.chars().take(80).collect();
        return Some(("unexpected status", format!("{} {body}", reply.status)));
    };
    tally.from_app += 1;
    let account = echo.mfa_account.as_deref();
    match echo.session.as_deref() {
        Some("tok-strict") => {
            tally.sessions_read += 1;
            tally.strict_read += 1;
            Some((
                "BYPASS: app read tok-strict",
                format!(
                    "status {}, gateway said {:?} / {:?}",
                    reply.status, echo.mfa_status, account
                ),
            ))
        }
        Some("tok-free") => {
            tally.sessions_read += 1;
            (account != Some("free@x")).then(|| {
                (
                    "app read tok-free, gateway did not identify it",
                    format!(
                        "X-Mfa-Account {account:?}, X-Mfa-Status {:?}",
                        echo.mfa_status
                    ),
                )
            })
        }
        _ => None,
    }
}

/// The violations as one readable text: a summary by kind and category
/// (with the apps concerned), then every line.
pub fn report(violations: &[Violation]) -> String {
    let mut summary: BTreeMap<(&str, &str), BTreeMap<&str, usize>> = BTreeMap::new();
    for v in violations {
        *summary
            .entry((v.kind, v.category))
            .or_default()
            .entry(v.app)
            .or_default() += 1;
    }
    let mut out = format!(
        "{} violations\n-- summary (kind / category: app×count)\n",
        violations.len()
    );
    for ((kind, category), apps) in &summary {
        let apps: Vec<String> = apps.iter().map(|(a, n)| format!("{a}×{n}")).collect();
        out.push_str(&format!("{kind} / {category}: {}\n", apps.join(", ")));
    }
    out.push_str("-- every violation\n");
    for v in violations {
        out.push_str(&format!(
            "[{}] {} ({}): {} — {}\n",
            v.app, v.kind, v.category, v.request, v.detail
        ));
    }
    out
}
