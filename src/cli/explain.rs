//! `mfa-gate explain`: which access rule (DESIGN §11) a request meets and
//! what the gateway would decide, without a running gateway. The identity
//! comes from the command line (at request time it comes from the app),
//! and the store is not opened (a running gateway holds it), so the
//! decision is printed for each state the person could be in. The
//! answer is made by the same functions the gateway runs
//! (`access::rules`, `access::decision`).

use crate::access::decision::{self, Denial, Facts};
use crate::access::guard::Trust;
use crate::access::rules::{self, Applied, Source};
use crate::config::rules::{Asked, RuleAction, Subject};
use crate::config::{self, Config};
use crate::domain::{AccountClass, Enforcement};
use crate::request::paths;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

/// What `explain` is asked about.
#[derive(Debug)]
pub struct Question {
    pub account: String,
    /// The request target: a path, with a query or not.
    pub path: String,
    pub method: String,
    pub host: Option<String>,
    /// The client, as the gateway would see it through `trusted_proxies`.
    pub ip: Option<IpAddr>,
    pub class: AccountClass,
    pub roles: Vec<String>,
    pub company: String,
    /// The company's policy where the file does not pin it.
    pub policy: Option<Enforcement>,
}

/// `mfa-gate explain`: prints the answer.
pub fn explain_file(path: &Path, question: &Question) -> anyhow::Result<()> {
    let config = config::load_file(path)?;
    print!("{}", explain(&config, question));
    Ok(())
}

/// The answer, as text.
pub fn explain(config: &Config, q: &Question) -> String {
    let mut out = String::new();
    let (path, query) = q
        .path
        .split_once('?')
        .map_or((q.path.as_str(), None), |(p, q)| (p, Some(q)));
    let normal = paths::normalize(path);
    let from =
        q.ip.map_or_else(|| "an unknown client".to_owned(), |ip| ip.to_string());
    let host = q.host.as_deref().unwrap_or("(no host)");
    let _ = writeln!(
        out,
        "request: {} {} on {host} from {from}",
        q.method, q.path
    );
    if paths::strip_prefix(&normal, &config.prefix).is_some() {
        out.push_str("rule: none (one of mfa-gate's own pages, which follow the company policy)\n");
        return out;
    }
    let bypass_query = paths::query_keeps_bypass(query, &config.bypass_query);
    if paths::is_bypassed(&normal, &config.bypass) && bypass_query {
        out.push_str("rule: the `bypass` list\ndecision: pass, unjudged (before identification)\n");
        return out;
    }
    let asked = Asked {
        path: normal.as_clear(),
        method: &q.method,
        host: q.host.as_deref(),
        client: q.ip,
        bypass_query,
    };
    if rules::bypassed(&config.access_rules, &asked) {
        let applied = rules::applied(&config.access_rules, &asked, &Subject::ANONYMOUS);
        let _ = writeln!(out, "rule: {}", name(config, applied));
        out.push_str("decision: pass, unjudged (before identification)\n");
        return out;
    }
    who(&mut out, config, q);
    let subject = Subject {
        class: Some(q.class),
        roles: (&q.roles).into(),
    };
    let applied = rules::applied(&config.access_rules, &asked, &subject);
    let _ = writeln!(out, "rule: {}", name(config, applied));
    decisions(&mut out, config, q, applied.action);
    out
}

/// The account and its company's policy.
fn who(out: &mut String, config: &Config, q: &Question) {
    let (policy, whence) = policy(config, q);
    let roles = match q.roles.is_empty() {
        true => "no roles".to_owned(),
        false => format!("roles [{}]", q.roles.join(", ")),
    };
    let _ = writeln!(
        out,
        "account: {} ({}, {roles}) of company {}: policy {} ({whence})",
        q.account,
        q.class.as_str(),
        q.company,
        policy.as_str()
    );
}

/// The company's policy, and where it comes from.
fn policy(config: &Config, q: &Question) -> (Enforcement, &'static str) {
    match (config.companies.get(&q.company), q.policy) {
        (Some(pinned), _) => (*pinned, "pinned in the file"),
        (None, Some(given)) => (given, "as given by --policy"),
        (None, None) if config.tenancy.is_implicit(&q.company) => (
            config.tenancy.default_enforcement(&q.company),
            "the one tenant's default; a policy set on the admin page is not read: give it with --policy",
        ),
        (None, None) => (
            config.tenancy.default_enforcement(&q.company),
            "the default; a policy set on the admin page is not read: give it with --policy",
        ),
    }
}

/// The rule's name: its index and what it says, or the default.
fn name(config: &Config, applied: Applied) -> String {
    match applied.source {
        Source::Rule(i) => format!("access_rules[{i}] {}", config.access_rules[i].summary()),
        Source::NoRule => "no rule matched: company_policy".to_owned(),
        Source::AmbiguousPath => {
            "none: the path does not read one way only, and a rule with a path could raise it: deny"
                .to_owned()
        }
    }
}

/// The decision for each state the person could be in.
fn decisions(out: &mut String, config: &Config, q: &Question, action: RuleAction) {
    let (enforcement, _) = policy(config, q);
    let now = 1_000_000_000;
    let states: [(&str, bool, bool, bool, Trust); 6] = [
        ("not enrolled", false, false, false, Trust::None),
        (
            "enrolled, not verified in this session",
            true,
            false,
            false,
            Trust::None,
        ),
        (
            "verified with a code just now",
            true,
            false,
            false,
            Trust::Proven {
                at: now,
                by_passkey: false,
            },
        ),
        (
            "verified with a passkey just now",
            true,
            true,
            false,
            Trust::Proven {
                at: now,
                by_passkey: true,
            },
        ),
        (
            "verified earlier, or by a remembered browser",
            true,
            false,
            false,
            Trust::Remembered,
        ),
        ("locked", true, false, true, Trust::None),
    ];
    out.push_str("decision, by the person's state (the store is not read):\n");
    for (state, enrolled, passkey, locked, trust) in states {
        let facts = Facts {
            class: q.class,
            enforcement,
            enrolled,
            passkey,
            locked,
            verified: trust.passed(),
        };
        let decision = match rules::requirement(action, trust, now) {
            None => Ok(()),
            Some(requirement) => decision::decide_for(&facts, requirement),
        };
        let _ = writeln!(out, "  {state:<46} {}", said(decision));
    }
}

fn said(decision: Result<(), Denial>) -> String {
    match decision {
        Ok(()) => "pass".into(),
        Err(Denial::Enroll) => "enroll".into(),
        Err(Denial::Challenge) => "challenge".into(),
        Err(Denial::Locked) => "locked".into(),
        Err(Denial::Forbidden) => "deny (403)".into(),
        Err(Denial::Passkey) => "register a passkey".into(),
        Err(Denial::PasskeyProof) => "challenge with the passkey (a code does not count)".into(),
        Err(Denial::StepUp { within_secs }) => {
            format!("step-up (a code or passkey within {}m)", within_secs / 60)
        }
    }
}

#[cfg(test)]
mod tests;
