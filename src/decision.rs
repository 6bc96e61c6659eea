//! The enforcement rule of DESIGN §2 as one pure function: what to do with a
//! request of a logged-in session, given who it is, the company's policy and
//! the person's state. No I/O, no clock; tested as a table.

use crate::domain::{AccountClass, Enforcement};

/// What mfa-gate does with a request of a logged-in session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Forward to the app.
    Pass,
    /// Required but not enrolled: the enrollment page, nothing else.
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
    pub locked: bool,
    /// The gateway cookie proves a challenge passed in this app session.
    pub verified: bool,
}

pub fn decide(facts: &Facts) -> Action {
    if facts.locked {
        return Action::Locked;
    }
    if facts.enrolled {
        return if facts.verified {
            Action::Pass
        } else {
            Action::Challenge
        };
    }
    if is_required(facts.class, facts.enforcement) {
        Action::Enroll
    } else {
        Action::Pass
    }
}

/// Whether an account of this class must have 2FA under this policy.
/// Candidates are never forced.
pub fn is_required(class: AccountClass, enforcement: Enforcement) -> bool {
    enforcement == Enforcement::Required && class != AccountClass::Candidate
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountClass::*;
    use Enforcement::*;

    #[track_caller]
    fn check(
        class: AccountClass,
        enforcement: Enforcement,
        enrolled: bool,
        locked: bool,
        verified: bool,
        expected: Action,
    ) {
        let facts = Facts {
            class,
            enforcement,
            enrolled,
            locked,
            verified,
        };
        assert_eq!(decide(&facts), expected, "{facts:?}");
    }

    #[test]
    fn the_design_table() {
        // candidate, any policy, not enrolled: pass
        check(Candidate, Optional, false, false, false, Action::Pass);
        check(Candidate, Required, false, false, false, Action::Pass);
        // employee / admin, optional, not enrolled: pass
        check(Employee, Optional, false, false, false, Action::Pass);
        check(Admin, Optional, false, false, false, Action::Pass);
        // employee / admin, required, not enrolled: enrollment
        check(Employee, Required, false, false, false, Action::Enroll);
        check(Admin, Required, false, false, false, Action::Enroll);
        // any, enrolled, not verified in this session: challenge
        for class in [Candidate, Employee, Admin] {
            for policy in [Optional, Required] {
                check(class, policy, true, false, false, Action::Challenge);
                check(class, policy, true, false, true, Action::Pass);
                // locked beats everything, verified or not
                check(class, policy, true, true, true, Action::Locked);
                check(class, policy, true, true, false, Action::Locked);
                check(class, policy, false, true, false, Action::Locked);
            }
        }
    }
}
