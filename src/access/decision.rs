//! The enforcement rule of docs/design.md §2 as one pure function: what to do with a
//! request of a logged-in session, given who it is, the company's policy and
//! the person's state. No I/O, no clock; tested as a table.

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

pub fn decide(facts: &Facts) -> Result<(), Denial> {
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
    match required && missing {
        true => Err(Denial::Enroll),
        false => Ok(()),
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
            Denial::Enroll => crate::observe::metrics::Outcome::Enroll,
            Denial::Challenge => crate::observe::metrics::Outcome::Challenge,
            Denial::Locked => crate::observe::metrics::Outcome::Locked,
        }
    }
}

#[cfg(test)]
mod tests;
