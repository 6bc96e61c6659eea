//! Unit tests of `access::decision`.

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
