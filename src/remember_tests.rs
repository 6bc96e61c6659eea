//! `vouch` on a real gate and store: a remembered browser vouches only for
//! its own person, under the current enrollment, within the company's
//! current days, with a factor the company still accepts, and its first
//! use per app session is audited once.

use super::*;
use crate::domain::{AuditKind, Factor};
use crate::test_gate::{employee, gate};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

/// A browser of `who` remembered at `at`, earned by `by` under enrollment 7.
fn remembered(gate: &Gate, who: &Identity, at: i64, by: Factor) -> String {
    let (cookie, id) = new_cookie(&gate.keys, &mut rand::rng());
    let browser = RememberedBrowser {
        enrollment_id: 7,
        account: who.account.clone(),
        created_at: at,
        last_used_at: at,
        label: "Firefox".into(),
        earned_by: Some(by),
    };
    gate.store
        .remember_browser(&who.person_key(), &id, &browser)
        .unwrap();
    cookie
}

#[test]
fn a_browser_vouches_only_within_the_current_rules() {
    let (_dir, gate) = gate("companies:\n  acme:\n    remember_days: 30\n");
    let bob = employee("acme", "bob@acme");
    let cookie = remembered(&gate, &bob, NOW - DAY, Factor::Totp);
    let vouch_at = |who: &Identity, cookie: &str, enrollment: u64, now: i64| {
        vouch(&gate, who, "app-1", cookie, enrollment, now).unwrap()
    };
    assert!(vouch_at(&bob, &cookie, 7, NOW));
    assert!(!vouch_at(&bob, &cookie, 8, NOW), "another enrollment");
    assert!(
        !vouch_at(&bob, &cookie, 7, NOW + 29 * DAY),
        "30 days ran out"
    );
    assert!(vouch_at(&bob, &cookie, 7, NOW + 29 * DAY - 1));
    let eve = employee("acme", "eve@acme");
    assert!(!vouch_at(&eve, &cookie, 7, NOW), "another person");
    assert!(!vouch_at(&bob, "not-ours", 7, NOW));
    let mut changed = cookie.clone().into_bytes();
    changed[5] = if changed[5] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    assert!(!vouch_at(&bob, &changed, 7, NOW), "a changed byte");
}

#[test]
fn a_company_that_does_not_allow_remembering_gets_no_vouch() {
    let (_dir, gate) = gate("companies:\n  acme:\n    remember_days: off\n");
    let bob = employee("acme", "bob@acme");
    let cookie = remembered(&gate, &bob, NOW, Factor::Passkey);
    assert!(!vouch(&gate, &bob, "app-1", &cookie, 7, NOW).unwrap());
}

#[test]
fn where_passkeys_are_required_only_a_passkeys_trust_vouches() {
    let webauthn = "webauthn:\n  rp_id: localhost\n  origins: [http://localhost:8080]\n";
    let (_dir, gate) = gate(&format!(
        "{webauthn}companies:\n  acme:\n    enforcement: required_passkey\n    remember_days: 30\n"
    ));
    let bob = employee("acme", "bob@acme");
    let by_code = remembered(&gate, &bob, NOW, Factor::Totp);
    let by_key = remembered(&gate, &bob, NOW, Factor::Passkey);
    assert!(!vouch(&gate, &bob, "app-1", &by_code, 7, NOW).unwrap());
    assert!(vouch(&gate, &bob, "app-2", &by_key, 7, NOW).unwrap());
}

#[test]
fn the_first_use_per_app_session_is_audited_and_noted_once() {
    let (_dir, gate) = gate("companies:\n  acme:\n    remember_days: 7\n");
    let bob = employee("acme", "bob@acme");
    let cookie = remembered(&gate, &bob, NOW - 10, Factor::Totp);
    for _ in 0..3 {
        assert!(vouch(&gate, &bob, "app-1", &cookie, 7, NOW).unwrap());
    }
    assert!(vouch(&gate, &bob, "app-2", &cookie, 7, NOW + 5).unwrap());
    let used: Vec<_> = gate
        .store
        .audit_for(&bob.person_key(), 10)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::RememberedBrowserUsed)
        .collect();
    assert_eq!(used.len(), 2, "once per app session: {used:?}");
    let (_, b) = &gate.store.remembered_browsers(&bob.person_key()).unwrap()[0];
    assert_eq!(b.last_used_at, NOW + 5);
}
