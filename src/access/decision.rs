//! The enforcement rule of docs/design.md §2 as one pure function: what to do with a
//! request of a logged-in session, given who it is, the company's policy and
//! the person's state — and, where an access rule (DESIGN §11) asks more of
//! the request's path, that [`Requirement`] on top: a rule raises what the
//! company requires and never lowers it. No I/O, no clock; tested as a
//! table and fuzzed against a model (`access/rules/tests`).

use crate::domain::{AccountClass, Enforcement};

/// Why a request of a logged-in session may not reach the app (yet).
/// Passing is `Ok(())`: there is no "pass" denial to forget to handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// Required but not enrolled (or, where only a passkey counts, verified
    /// without one): the enrollment page, nothing else.
    Enroll,
    /// Enrolled, not yet verified in this app session.
    Challenge,
    /// Too many wrong codes: only support can help.
    Locked,
    /// An access rule's `step_up`: verified, but no second step proven in
    /// this app session within `within_secs` (a remembered browser never
    /// counts): the challenge again.
    StepUp { within_secs: i64 },
    /// An access rule's `passkey`: verified, but the person has no passkey
    /// or security key: register one.
    Passkey,
    /// An access rule's `passkey`: the person has a key, but this app
    /// session was proven with a code (or a remembered browser): the
    /// challenge again, where only the key counts.
    PasskeyProof,
    /// An access rule's `deny`: 403, whoever asks.
    Forbidden,
}

/// What an access rule asks of a request on top of the company's policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// The company's policy alone (the table of DESIGN §2).
    CompanyPolicy,
    /// A second step, whatever the policy and the class.
    TwoFactor,
    /// A passkey or security key among the person's second steps, and
    /// this app session proven with one (`proven`, `guard::Trust::by_passkey`).
    Passkey { proven: bool },
    /// A second step proven within `within_secs`; `fresh` says whether
    /// the session has one (`guard::Trust::fresh`).
    StepUp { within_secs: i64, fresh: bool },
    /// Nobody.
    Deny,
}

/// Everything the rule looks at.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub class: AccountClass,
    pub enforcement: Enforcement,
    pub enrolled: bool,
    /// Among the person's second steps is a passkey or security key.
    pub passkey: bool,
    pub locked: bool,
    /// The gateway cookie proves a challenge passed in this app session.
    pub verified: bool,
}

/// The company's policy alone: [`decide_for`] with no rule.
pub fn decide(facts: &Facts) -> Result<(), Denial> {
    decide_for(facts, Requirement::CompanyPolicy)
}

/// The company's policy, then what `requirement` adds: the stricter of the
/// two always wins, since every requirement is checked after the policy.
pub fn decide_for(facts: &Facts, requirement: Requirement) -> Result<(), Denial> {
    if requirement == Requirement::Deny {
        return Err(Denial::Forbidden);
    }
    if facts.locked {
        return Err(Denial::Locked);
    }
    if facts.enrolled && !facts.verified {
        return Err(Denial::Challenge);
    }
    // Where only a passkey counts, a person verified with an app code is
    // sent to register one: proven first, so a password alone can never
    // register a key of its own on somebody's account.
    let required = is_required(facts.class, facts.enforcement);
    let missing = !facts.enrolled || (facts.enforcement.passkey_only() && !facts.passkey);
    if required && missing {
        return Err(Denial::Enroll);
    }
    match requirement {
        Requirement::CompanyPolicy | Requirement::Deny => Ok(()),
        // Every other rule asks a second step of everyone, candidates too.
        _ if !facts.enrolled => Err(Denial::Enroll),
        Requirement::TwoFactor => Ok(()),
        Requirement::Passkey { .. } if !facts.passkey => Err(Denial::Passkey),
        Requirement::Passkey { proven: false } => Err(Denial::PasskeyProof),
        Requirement::Passkey { proven: true } => Ok(()),
        Requirement::StepUp { within_secs, fresh } => match fresh {
            true => Ok(()),
            false => Err(Denial::StepUp { within_secs }),
        },
    }
}

/// Whether an account of this class must have 2FA under this policy.
/// Candidates are never forced.
pub fn is_required(class: AccountClass, enforcement: Enforcement) -> bool {
    enforcement.requires_second_step() && class != AccountClass::Candidate
}

/// Whether this account must use a passkey or security key (its company
/// requires one, and the account is staff).
pub fn needs_passkey(class: AccountClass, enforcement: Enforcement) -> bool {
    enforcement.passkey_only() && is_required(class, enforcement)
}

/// An app request denied by the rule is counted by its denial.
impl From<Denial> for crate::observe::metrics::Outcome {
    fn from(denial: Denial) -> crate::observe::metrics::Outcome {
        match denial {
            Denial::Enroll | Denial::Passkey => crate::observe::metrics::Outcome::Enroll,
            Denial::Challenge | Denial::StepUp { .. } | Denial::PasskeyProof => {
                crate::observe::metrics::Outcome::Challenge
            }
            Denial::Locked => crate::observe::metrics::Outcome::Locked,
            Denial::Forbidden => crate::observe::metrics::Outcome::Denied,
        }
    }
}

#[cfg(test)]
mod tests;
