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

/// An access rule's requirement on top of the policy (DESIGN §11): it
/// raises what the company requires and never lowers it.
#[test]
fn rule_requirements_raise_and_never_lower() {
    use Requirement::*;
    #[track_caller]
    fn check(
        requirement: Requirement,
        (class, enforcement): (AccountClass, Enforcement),
        (enrolled, passkey, locked, verified): (bool, bool, bool, bool),
        expected: Result<(), Denial>,
    ) {
        let facts = Facts {
            class,
            enforcement,
            enrolled,
            passkey,
            locked,
            verified,
        };
        assert_eq!(
            decide_for(&facts, requirement),
            expected,
            "{requirement:?} {facts:?}"
        );
    }
    let fresh = StepUp {
        within_secs: 600,
        fresh: true,
    };
    let stale = StepUp {
        within_secs: 600,
        fresh: false,
    };
    let by_code = Passkey { proven: false };
    let by_key = Passkey { proven: true };
    // No second step yet: an optional company, even a candidate, is sent
    // to enroll by every raising rule; company_policy lets them pass.
    for req in [TwoFactor, by_code, by_key, fresh, stale] {
        check(
            req,
            (Candidate, Optional),
            (false, false, false, false),
            Err(Denial::Enroll),
        );
        check(
            req,
            (Employee, Optional),
            (false, false, false, false),
            Err(Denial::Enroll),
        );
    }
    check(
        CompanyPolicy,
        (Candidate, Required),
        (false, false, false, false),
        Ok(()),
    );
    // company_policy never lowers: required and unenrolled is enrollment.
    check(
        CompanyPolicy,
        (Employee, Required),
        (false, false, false, false),
        Err(Denial::Enroll),
    );
    // Enrolled, not verified: the challenge first, whatever the rule.
    for req in [CompanyPolicy, TwoFactor, by_code, by_key, fresh, stale] {
        check(
            req,
            (Employee, Optional),
            (true, false, false, false),
            Err(Denial::Challenge),
        );
        check(
            req,
            (Employee, Optional),
            (true, true, true, true),
            Err(Denial::Locked),
        );
    }
    // Verified: passkey asks for a key; step-up for a fresh proof.
    check(
        TwoFactor,
        (Employee, Optional),
        (true, false, false, true),
        Ok(()),
    );
    check(
        by_key,
        (Employee, Optional),
        (true, false, false, true),
        Err(Denial::Passkey),
    );
    // With a key: only a session the key proved passes; one proven with a
    // code is sent to the challenge again, where only the key counts.
    check(
        by_key,
        (Candidate, Optional),
        (true, true, false, true),
        Ok(()),
    );
    check(
        by_code,
        (Candidate, Optional),
        (true, true, false, true),
        Err(Denial::PasskeyProof),
    );
    check(fresh, (Admin, Required), (true, false, false, true), Ok(()));
    check(
        stale,
        (Admin, Required),
        (true, false, false, true),
        Err(Denial::StepUp { within_secs: 600 }),
    );
    // A passkey-only company still sends staff without a key to register
    // one, whatever the rule (the company's requirement first).
    check(
        stale,
        (Admin, RequiredPasskey),
        (true, false, false, true),
        Err(Denial::Enroll),
    );
    // Deny is for everyone, in every state.
    check(
        Deny,
        (Candidate, Optional),
        (false, false, false, false),
        Err(Denial::Forbidden),
    );
    check(
        Deny,
        (Admin, Required),
        (true, true, true, true),
        Err(Denial::Forbidden),
    );
}
