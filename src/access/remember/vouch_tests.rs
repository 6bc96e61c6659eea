//! `vouch` on a real gate and store: a remembered browser vouches only for
//! its own person, under the current enrollment, within the company's
//! current days, with a factor the company still accepts, and its first
//! use per app session is audited once.

use super::*;
use crate::access::gate::Gate;
use crate::access::test_gate::{employee, gate};
use crate::domain::{AuditKind, Factor};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

/// A browser of `who` remembered at `at`, earned by `by` under enrollment 7.
fn remembered(gate: &Gate, who: &Identity, at: i64, by: Factor) -> String {
    let (cookie, id) = new_cookie(&gate.keys, &mut rand::rng());
    let browser = RememberedBrowser {
        enrollment_id: 7,
        account: who.account().to_owned(),
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
        vouch(
            &gate.services(),
            &gate.remembered,
            who,
            "app-1",
            cookie,
            enrollment,
            now,
        )
        .unwrap()
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
    assert!(
        !vouch(
            &gate.services(),
            &gate.remembered,
            &bob,
            "app-1",
            &cookie,
            7,
            NOW
        )
        .unwrap()
    );
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
    assert!(
        !vouch(
            &gate.services(),
            &gate.remembered,
            &bob,
            "app-1",
            &by_code,
            7,
            NOW
        )
        .unwrap()
    );
    assert!(
        vouch(
            &gate.services(),
            &gate.remembered,
            &bob,
            "app-2",
            &by_key,
            7,
            NOW
        )
        .unwrap()
    );
}

#[test]
fn the_first_use_per_app_session_is_audited_and_noted_once() {
    let (_dir, gate) = gate("companies:\n  acme:\n    remember_days: 7\n");
    let bob = employee("acme", "bob@acme");
    let cookie = remembered(&gate, &bob, NOW - 10, Factor::Totp);
    for _ in 0..3 {
        assert!(
            vouch(
                &gate.services(),
                &gate.remembered,
                &bob,
                "app-1",
                &cookie,
                7,
                NOW
            )
            .unwrap()
        );
    }
    assert!(
        vouch(
            &gate.services(),
            &gate.remembered,
            &bob,
            "app-2",
            &cookie,
            7,
            NOW + 5
        )
        .unwrap()
    );
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

#[test]
fn the_cookie_is_kept_for_the_days_and_cleared_with_the_same_attributes() {
    let (_dir, gate) = gate("");
    let days = RememberDays::from_days(30).unwrap();
    assert_eq!(
        set_cookie(&gate.services(), "v", days),
        "mfa_remember=v; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure"
    );
    assert_eq!(
        clear_cookie(&gate.services()),
        "mfa_remember=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
    );
    let (_dir, plain) = crate::access::test_gate::gate("cookie:\n  secure: false\n");
    assert!(!set_cookie(&plain.services(), "v", days).contains("Secure"));
    assert!(!clear_cookie(&plain.services()).contains("Secure"));
}

#[test]
fn grant_stores_what_earned_it_replaces_the_browsers_old_cookie_and_keeps_twenty() {
    let (_dir, gate) = gate("companies:\n  acme:\n    remember_days: 7\n");
    let bob = employee("acme", "bob@acme");
    let key = bob.person_key();
    let earned = Earned {
        enrollment_id: 7,
        by: Factor::Passkey,
    };
    let days = RememberDays::from_days(7).unwrap();
    let header = grant(
        &gate.services(),
        &bob,
        earned,
        days,
        Some("Firefox/1 Linux"),
        None,
        NOW,
    )
    .unwrap();
    assert!(header.contains("; Max-Age=604800;"), "{header}");
    let cookie = header
        .strip_prefix("mfa_remember=")
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let stored = gate.store.remembered_browsers(&key).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, browser_ids(&gate.keys, &cookie)[0]);
    assert_eq!(stored[0].1.earned_by, Some(Factor::Passkey));
    assert_eq!(stored[0].1.label, "Firefox · Linux");
    assert!(
        vouch(
            &gate.services(),
            &gate.remembered,
            &bob,
            "s",
            &cookie,
            7,
            NOW
        )
        .unwrap()
    );
    // The same browser remembered again: its old cookie is forgotten.
    grant(
        &gate.services(),
        &bob,
        earned,
        days,
        None,
        Some(&cookie),
        NOW + 1,
    )
    .unwrap();
    assert_eq!(gate.store.remembered_browsers(&key).unwrap().len(), 1);
    assert!(
        !vouch(
            &gate.services(),
            &gate.remembered,
            &bob,
            "s2",
            &cookie,
            7,
            NOW + 1
        )
        .unwrap()
    );
    for i in 0..25 {
        grant(
            &gate.services(),
            &bob,
            earned,
            days,
            None,
            None,
            NOW + 2 + i,
        )
        .unwrap();
    }
    assert_eq!(gate.store.remembered_browsers(&key).unwrap().len(), 20);
    let audited = gate
        .store
        .audit_for(&key, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::BrowserRemembered)
        .count();
    assert_eq!(audited, 27);
}

#[test]
fn live_keeps_what_counts_and_drops_what_never_can_again() {
    let (_dir, gate) = gate("companies:\n  acme:\n    remember_days: 7\n");
    let bob = employee("acme", "bob@acme");
    let key = bob.person_key();
    remembered(&gate, &bob, NOW, Factor::Totp); // enrollment 7, counts
    remembered(&gate, &bob, NOW - 30 * DAY, Factor::Totp); // too old: kept
    let (_, other) = new_cookie(&gate.keys, &mut rand::rng());
    let old_enrollment = RememberedBrowser {
        enrollment_id: 6,
        account: "bob@acme".into(),
        created_at: NOW,
        last_used_at: NOW,
        label: "x".into(),
        earned_by: None,
    };
    gate.store
        .remember_browser(&key, &other, &old_enrollment)
        .unwrap();
    let live_now = live(&gate.services(), &bob, Some(7), NOW).unwrap();
    assert_eq!(live_now.len(), 1);
    assert_eq!(live_now[0].1.created_at, NOW);
    let kept: Vec<(u64, i64)> = gate
        .store
        .remembered_browsers(&key)
        .unwrap()
        .into_iter()
        .map(|(_, b)| (b.enrollment_id, b.created_at))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        kept.contains(&(7, NOW - 30 * DAY)) && kept.contains(&(7, NOW)),
        "another enrollment's browser is gone; an old one may count again: {kept:?}"
    );
    assert!(live(&gate.services(), &bob, None, NOW).unwrap().is_empty());
}

#[test]
fn forget_counts_and_audits_only_what_went() {
    let (_dir, gate) = gate("companies:\n  acme:\n    remember_days: 7\n");
    let bob = employee("acme", "bob@acme");
    let key = bob.person_key();
    remembered(&gate, &bob, NOW, Factor::Totp);
    remembered(&gate, &bob, NOW, Factor::Totp);
    let forgotten = |why| {
        gate.store
            .audit_for(&key, 100)
            .unwrap()
            .into_iter()
            .filter(|e| {
                e.kind == AuditKind::BrowsersForgotten && e.detail.to_string().contains(why)
            })
            .count()
    };
    let by = ForgetBy::User(&bob);
    assert_eq!(
        forget(gate.store.as_ref(), &key, None, by, "all", NOW).unwrap(),
        2
    );
    assert_eq!(forgotten("all: 2"), 1);
    let by = ForgetBy::Support { company: "acme" };
    assert_eq!(
        forget(gate.store.as_ref(), &key, None, by, "again", NOW).unwrap(),
        0
    );
    assert_eq!(forgotten("again"), 0, "nothing went: no event");
}
