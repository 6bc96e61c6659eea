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
            passkey: false,
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

    /// "Required: passkey or security key only": staff without a passkey
    /// are sent to register one — after proving the second step they have;
    /// candidates stay optional; a passkey satisfies it.
    #[test]
    fn passkey_only_policy() {
        #[track_caller]
        fn check(
            class: AccountClass,
            enrolled: bool,
            passkey: bool,
            verified: bool,
        ) -> Result<(), Denial> {
            decide(&Facts {
                class,
                enforcement: RequiredPasskey,
                enrolled,
                passkey,
                locked: false,
                verified,
            })
        }
        for class in [Employee, Admin] {
            assert_eq!(check(class, false, false, false), Err(Denial::Enroll));
            // An app code only: the challenge first, then a passkey.
            assert_eq!(check(class, true, false, false), Err(Denial::Challenge));
            assert_eq!(check(class, true, false, true), Err(Denial::Enroll));
            assert_eq!(check(class, true, true, false), Err(Denial::Challenge));
            assert_eq!(check(class, true, true, true), Ok(()));
        }
        assert_eq!(check(Candidate, false, false, false), Ok(()));
        assert_eq!(check(Candidate, true, false, true), Ok(()));
        assert_eq!(check(Candidate, true, false, false), Err(Denial::Challenge));
        // With any other policy a passkey is one second step among others.
        for enforcement in [Optional, Required] {
            let facts = Facts {
                class: Employee,
                enforcement,
                enrolled: true,
                passkey: false,
                locked: false,
                verified: true,
            };
            assert_eq!(decide(&facts), Ok(()));
        }
        assert!(needs_passkey(Admin, RequiredPasskey));
        assert!(!needs_passkey(Candidate, RequiredPasskey));
        assert!(!needs_passkey(Admin, Required));
    }
}
