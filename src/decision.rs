//! The enforcement rule of docs/design.md §2 as one pure function: what to do with a
//! request of a logged-in session, given who it is, the company's policy and
//! the person's state. No I/O, no clock; tested as a table.

use crate::domain::{AccountClass, Enforcement};

/// Why a request of a logged-in session may not reach the app (yet).
/// Passing is `Ok(())`: there is no "pass" denial to forget to handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
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

pub fn decide(facts: &Facts) -> Result<(), Denial> {
    if facts.locked {
        return Err(Denial::Locked);
    }
    if facts.enrolled {
        return if facts.verified {
            Ok(())
        } else {
            Err(Denial::Challenge)
        };
    }
    if is_required(facts.class, facts.enforcement) {
        Err(Denial::Enroll)
    } else {
        Ok(())
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
        expected: Result<(), Denial>,
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
        check(Candidate, Optional, false, false, false, Ok(()));
        check(Candidate, Required, false, false, false, Ok(()));
        // employee / admin, optional, not enrolled: pass
        check(Employee, Optional, false, false, false, Ok(()));
        check(Admin, Optional, false, false, false, Ok(()));
        // employee / admin, required, not enrolled: enrollment
        check(Employee, Required, false, false, false, Err(Denial::Enroll));
        check(Admin, Required, false, false, false, Err(Denial::Enroll));
        // any, enrolled, not verified in this session: challenge
        for class in [Candidate, Employee, Admin] {
            for policy in [Optional, Required] {
                check(class, policy, true, false, false, Err(Denial::Challenge));
                check(class, policy, true, false, true, Ok(()));
                // locked beats everything, verified or not
                check(class, policy, true, true, true, Err(Denial::Locked));
                check(class, policy, true, true, false, Err(Denial::Locked));
                check(class, policy, false, true, false, Err(Denial::Locked));
            }
        }
    }
}
