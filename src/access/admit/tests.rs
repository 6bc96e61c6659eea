//! The access rule of our routes, as a table: every route by every
//! standing.

use super::*;
use crate::access::decision::Denial::{Challenge, Enroll, Locked};
use crate::request::route::Route;

/// Every route × every standing of the table of docs/design.md §2: anonymous, not
/// enrolled (optional: Pass), not enrolled (required: Enroll), enrolled
/// and unverified (Challenge), verified (Pass), locked.
#[test]
fn every_route_by_every_standing() {
    let standings = [
        Standing::Anonymous,
        Standing::Passed,
        Standing::Denied(Enroll),
        Standing::Denied(Challenge),
        Standing::Denied(Locked),
    ];
    let expect = |route: &Route, standing: Standing| -> Admission {
        match (route.path(), standing) {
            ("/healthz" | "/assets/app.css" | "", _) => Admission::Serve,
            (_, Standing::Anonymous) => Admission::LogInFirst,
            (_, Standing::Denied(Locked)) => Admission::Deny(Locked),
            ("/enroll" | "/challenge", _) => Admission::Serve,
            ("/passkeys", Standing::Denied(Enroll)) => Admission::Serve,
            (_, Standing::Passed) => Admission::Serve,
            (_, Standing::Denied(denial)) => Admission::Deny(denial),
        }
    };
    for path in [
        "/healthz",
        "/assets/app.css",
        "/enroll",
        "/challenge",
        "/settings",
        "/admin/security",
        "/backup-codes.txt",
        "/signed-in",
        "/passkeys",
        "/nope",
    ] {
        let route = Route::parse(path);
        for standing in standings {
            assert_eq!(
                admit(route.access(), standing),
                expect(&route, standing),
                "{route:?} {standing:?}"
            );
        }
    }
}

#[test]
fn pages_that_show_security_state_need_the_second_step() {
    for route in [
        Route::Settings,
        Route::Policy,
        Route::BackupCodesDownload,
        Route::SignedIn,
    ] {
        assert_eq!(route.access(), Access::Verified, "{route:?}");
        assert_eq!(
            admit(route.access(), Standing::Denied(Challenge)),
            Admission::Deny(Challenge)
        );
    }
}

/// Adding a key needs what enrolling needs, and never stands in for
/// the challenge an enrolled person owes.
#[test]
fn adding_a_passkey_is_for_the_verified_and_the_enrolling_only() {
    let access = Route::Passkeys.access();
    assert_eq!(admit(access, Standing::Passed), Admission::Serve);
    assert_eq!(admit(access, Standing::Denied(Enroll)), Admission::Serve);
    assert_eq!(
        admit(access, Standing::Denied(Challenge)),
        Admission::Deny(Challenge)
    );
    assert_eq!(
        admit(access, Standing::Denied(Locked)),
        Admission::Deny(Locked)
    );
    assert_eq!(admit(access, Standing::Anonymous), Admission::LogInFirst);
}
