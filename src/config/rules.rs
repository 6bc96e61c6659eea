//! Access rules (DESIGN §11), validated: what a rule matches on (path
//! glob, method, host, account class, role, client network) and what it
//! asks ([`RuleAction`]). Each condition is a list whose values OR; the
//! conditions of one rule AND; an empty list (absent in the file) is no
//! condition. The matching here is pure; the order of the rules and what a
//! match means for a request belong to `access::rules`.

mod glob;

pub use glob::Glob;

use crate::domain::{AccountClass, Roles};
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// One rule of `access_rules`, in the order of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRule {
    /// Globs on the normalized path (`/admin/**`, `/static/*.css`).
    pub paths: Vec<Glob>,
    /// Upper-case method names (`GET`, `POST`).
    pub methods: Vec<String>,
    /// Lower-case host names without a port, or `*.example.com`.
    pub hosts: Vec<String>,
    pub classes: Vec<AccountClass>,
    /// Roles (or groups) of the identity mapping.
    pub roles: Vec<String>,
    /// The client's network, as seen through `trusted_proxies`.
    pub networks: Vec<IpNet>,
    pub action: RuleAction,
}

/// What a matching rule asks of the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// Forwarded unjudged (public assets): decided before identity.
    Bypass,
    /// The company's policy (DESIGN §2), as if no rule matched.
    CompanyPolicy,
    /// A second step, always: an unenrolled person is sent to enroll.
    TwoFactor,
    /// A passkey or security key.
    Passkey,
    /// A second step proven within this long, even when verified earlier
    /// or remembered.
    StepUp(Duration),
    /// 403, whoever asks.
    Deny,
}

impl fmt::Display for RuleAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleAction::Bypass => f.write_str("bypass"),
            RuleAction::CompanyPolicy => f.write_str("company_policy"),
            RuleAction::TwoFactor => f.write_str("two_factor"),
            RuleAction::Passkey => f.write_str("passkey"),
            RuleAction::StepUp(d) => write!(f, "step_up: {}m", d.as_secs() / 60),
            RuleAction::Deny => f.write_str("deny"),
        }
    }
}

/// The request facts a rule can match before the session is known.
#[derive(Clone, Copy, Debug)]
pub struct Asked<'a> {
    /// The normalized path; `None` when it does not read one way only.
    pub path: Option<&'a str>,
    pub method: &'a str,
    /// The `Host` as the app reads it (a port is ignored).
    pub host: Option<&'a str>,
    /// The client, as seen through `trusted_proxies`.
    pub client: Option<IpAddr>,
    /// The query keeps a bypass a bypass (no parameter outside
    /// `bypass_query`, as for the `bypass` list); else no bypass rule
    /// matches, and the request is judged by the rules after it.
    pub bypass_query: bool,
}

/// Who the session is, as far as rules look; `class: None` is nobody
/// logged in, whom only rules without class or role conditions match.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub class: Option<AccountClass>,
    pub roles: Roles<'a>,
}

impl Subject<'_> {
    pub const ANONYMOUS: Subject<'static> = Subject {
        class: None,
        roles: Roles::NONE,
    };
}

impl AccessRule {
    /// Whether the rule names who the session is (class, role): such a
    /// rule cannot be decided before identification.
    pub fn names_subject(&self) -> bool {
        !self.classes.is_empty() || !self.roles.is_empty()
    }

    /// Whether the conditions on the request hold (`path` as in
    /// [`Asked`]; a path that does not read one way matches no glob).
    pub fn matches_request(&self, asked: &Asked<'_>) -> bool {
        let path = |g: &Glob| asked.path.is_some_and(|p| g.matches(p));
        (asked.bypass_query || self.action != RuleAction::Bypass)
            && any_or_empty(&self.paths, path)
            && self.matches_besides_path(asked)
    }

    /// Whether the conditions on the request other than its path hold.
    pub fn matches_besides_path(&self, asked: &Asked<'_>) -> bool {
        let host = |h: &String| asked.host.is_some_and(|a| host_matches(h, a));
        let net = |n: &IpNet| asked.client.is_some_and(|ip| n.contains(&ip));
        any_or_empty(&self.methods, |m| m == asked.method)
            && any_or_empty(&self.hosts, host)
            && any_or_empty(&self.networks, net)
    }

    /// Whether the conditions on the session hold.
    pub fn matches_subject(&self, subject: &Subject<'_>) -> bool {
        any_or_empty(&self.classes, |c| Some(*c) == subject.class)
            && any_or_empty(&self.roles, |r| subject.roles.contains(r))
    }

    /// Whether every request and session this rule matches is matched by
    /// `earlier` too (so, after it, this one can never match). Sound, not
    /// complete: `false` when unsure.
    pub fn shadowed_by(&self, earlier: &AccessRule) -> bool {
        covers(&earlier.paths, &self.paths, |e, s| e.covers(s))
            && covers(&earlier.methods, &self.methods, |e, s| e == s)
            && covers(&earlier.hosts, &self.hosts, |e, s| e == s)
            && covers(&earlier.classes, &self.classes, |e, s| e == s)
            && covers(&earlier.roles, &self.roles, |e, s| e == s)
            && covers(&earlier.networks, &self.networks, |e, s| e.contains(s))
    }

    /// The rule in one line, as the file would say it (for `explain` and
    /// messages).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let mut list = |name: &str, values: Vec<String>| {
            if !values.is_empty() {
                parts.push(format!("{name}: [{}]", values.join(", ")));
            }
        };
        list("paths", self.paths.iter().map(|g| g.to_string()).collect());
        list("methods", self.methods.clone());
        list("hosts", self.hosts.clone());
        list(
            "classes",
            self.classes.iter().map(|c| c.as_str().to_owned()).collect(),
        );
        list("roles", self.roles.clone());
        list(
            "networks",
            self.networks.iter().map(|n| n.to_string()).collect(),
        );
        parts.push(format!("action: {}", self.action));
        format!("{{ {} }}", parts.join(", "))
    }
}

/// A condition list: empty is no condition, else any value may match.
fn any_or_empty<T>(values: &[T], matches: impl Fn(&T) -> bool) -> bool {
    values.is_empty() || values.iter().any(matches)
}

/// Whether condition list `earlier` admits everything `later` admits.
fn covers<T>(earlier: &[T], later: &[T], one: impl Fn(&T, &T) -> bool) -> bool {
    earlier.is_empty()
        || (!later.is_empty() && later.iter().all(|l| earlier.iter().any(|e| one(e, l))))
}

/// `rule` (lower case, `*.example.com` for any subdomain) against the
/// request's host (any case, a port ignored).
pub fn host_matches(rule: &str, host: &str) -> bool {
    let name = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    match rule.strip_prefix("*.") {
        Some(parent) => name
            .strip_suffix(parent)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => name == rule,
    }
}

/// `example.com:8443` → `example.com`; `[::1]:8443` → `[::1]`.
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests;
