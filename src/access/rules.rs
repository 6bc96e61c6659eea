//! The access rules (DESIGN §11) applied to a request: ordered, the first
//! match wins, no match is the company's policy. Twice per request at
//! most: before identification ([`bypassed`]: only a `bypass` rule can
//! decide there, and only when no earlier rule could match the request),
//! then with the session known ([`applied`], [`decide`]; for nobody
//! logged in, only a `deny` matters: [`denies_anonymous`]). Pure: the
//! request facts, the identity and the trust come in.
//!
//! A path that does not read one way only (encoded slashes, dot segments)
//! matches no glob; so that such a path cannot slip past a rule meant for
//! it, it is denied wherever a raising rule with a path could match.

use crate::access::decision::{self, Denial, Requirement};
use crate::access::guard::{Judged, Trust};
use crate::config::rules::{AccessRule, Asked, RuleAction, Subject};

/// Which rule decided, and what it asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    pub source: Source,
    pub action: RuleAction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `access_rules[i]`, the first that matched.
    Rule(usize),
    /// No rule matched: the company's policy.
    NoRule,
    /// The path does not read one way only and a raising rule with a
    /// path could match it: denied.
    AmbiguousPath,
}

/// Whether a `bypass` rule forwards the request before identification:
/// the first rule whose conditions on the request hold is a bypass (a
/// rule that names who the session is could match first, so it stops
/// the search).
pub fn bypassed(rules: &[AccessRule], asked: &Asked<'_>) -> bool {
    rules
        .iter()
        .find(|r| r.matches_request(asked))
        .is_some_and(|r| r.action == RuleAction::Bypass && !r.names_subject())
}

/// The rule that applies to the request of `subject`.
pub fn applied(rules: &[AccessRule], asked: &Asked<'_>, subject: &Subject<'_>) -> Applied {
    if asked.path.is_none() {
        let raising = |r: &AccessRule| {
            !r.paths.is_empty()
                && !matches!(r.action, RuleAction::Bypass | RuleAction::CompanyPolicy)
                && r.matches_subject(subject)
                && r.matches_besides_path(asked)
        };
        if rules.iter().any(raising) {
            return Applied {
                source: Source::AmbiguousPath,
                action: RuleAction::Deny,
            };
        }
    }
    let first = rules
        .iter()
        .position(|r| r.matches_request(asked) && r.matches_subject(subject));
    match first {
        Some(i) => Applied {
            source: Source::Rule(i),
            action: rules[i].action,
        },
        None => Applied {
            source: Source::NoRule,
            action: RuleAction::CompanyPolicy,
        },
    }
}

/// Whether the rules deny a request of nobody logged in (whom every
/// other rule leaves to the app's own login).
pub fn denies_anonymous(rules: &[AccessRule], asked: &Asked<'_>) -> bool {
    applied(rules, asked, &Subject::ANONYMOUS).action == RuleAction::Deny
}

/// What an action asks of the session, given its `trust` at `now`;
/// `None` for a bypass (the request passes).
pub fn requirement(action: RuleAction, trust: Trust, now: i64) -> Option<Requirement> {
    Some(match action {
        RuleAction::Bypass => return None,
        RuleAction::CompanyPolicy => Requirement::CompanyPolicy,
        RuleAction::TwoFactor => Requirement::TwoFactor,
        RuleAction::Passkey => Requirement::Passkey {
            proven: trust.by_passkey(),
        },
        RuleAction::StepUp(within) => {
            let within_secs = within.as_secs() as i64;
            let fresh = trust.fresh(now, within_secs);
            Requirement::StepUp { within_secs, fresh }
        }
        RuleAction::Deny => Requirement::Deny,
    })
}

/// The judged session's decision under the rules: the judge's own
/// (the company's policy) when no rule is configured.
pub fn decide(
    rules: &[AccessRule],
    asked: &Asked<'_>,
    judged: &Judged<'_>,
    now: i64,
) -> (Applied, Result<(), Denial>) {
    if rules.is_empty() {
        let applied = Applied {
            source: Source::NoRule,
            action: RuleAction::CompanyPolicy,
        };
        return (applied, judged.decision);
    }
    let subject = Subject {
        class: Some(judged.identity.class()),
        roles: judged.identity.roles(),
    };
    let applied = applied(rules, asked, &subject);
    let decision = match requirement(applied.action, judged.trust, now) {
        None => Ok(()),
        Some(requirement) => decision::decide_for(&judged.facts, requirement),
    };
    (applied, decision)
}

#[cfg(test)]
mod tests;
