//! A session's trust: the age a step-up asks of a proof, and the gateway
//! cookie's proof, which counts only for the person's current second step
//! and trust epoch, within `cookie.max_age` (also when the memo already
//! knows the cookie).

use super::*;
use crate::access::session::{Bound, issue_cookie};
use crate::access::test_gate::{employee, gate};
use crate::store::PersonState;

const NOW: i64 = 1_800_000_000;

#[test]
fn a_step_up_takes_only_a_young_proof_never_a_remembered_browser() {
    let within = 600;
    let proven = |at| Trust::Proven {
        at,
        by_passkey: false,
    };
    assert!(proven(NOW).fresh(NOW, within));
    assert!(proven(NOW - 600).fresh(NOW, within), "exactly the limit");
    assert!(!proven(NOW - 601).fresh(NOW, within), "a second older");
    assert!(
        proven(NOW + 300).fresh(NOW, within),
        "another replica's clock"
    );
    assert!(!proven(NOW + 301).fresh(NOW, within), "too far ahead");
    assert!(!Trust::Remembered.fresh(NOW, within));
    assert!(!Trust::None.fresh(NOW, within));
    assert!(Trust::Remembered.passed() && proven(NOW).passed());
    assert!(!Trust::None.passed());
}

#[test]
fn a_cookie_proves_only_its_second_step_and_trust_epoch() {
    let (_dir, gate) = gate("");
    let bob = employee("acme", "bob@acme");
    let app = AppSession::bind(&gate.keys, "app-1");
    let made = NOW - 60;
    let cookie = issue_cookie(&gate.keys, app, &bob.person_key(), Bound::new(7, 2), made);
    let state = |id, epoch| PersonState {
        enrollment_id: Some(id),
        passkey: false,
        locked: false,
        trust_epoch: epoch,
    };
    let proof = |s: &PersonState, now| proven_at(&gate, &bob, "app-1", Some(&cookie), s, now);
    // Twice each: the first decodes the cookie, the second meets the memo,
    // and both must judge the current state.
    for _ in 0..2 {
        assert_eq!(proof(&state(7, 2), NOW), Some((made, false)));
        assert_eq!(proof(&state(7, 3), NOW), None, "a lock moved the epoch on");
        assert_eq!(proof(&state(8, 2), NOW), None, "re-enrolled");
        let max_age = gate.config.cookie.max_age.as_secs() as i64;
        assert_eq!(proof(&state(7, 2), made + max_age - 1), Some((made, false)));
        assert_eq!(proof(&state(7, 2), made + max_age), None, "too old");
    }
    let unenrolled = PersonState::default();
    assert_eq!(proof(&unenrolled, NOW), None);
    assert_eq!(
        proven_at(&gate, &bob, "app-2", Some(&cookie), &state(7, 2), NOW),
        None,
        "another app session"
    );
    assert_eq!(
        proven_at(&gate, &bob, "app-1", None, &state(7, 2), NOW),
        None
    );
}
