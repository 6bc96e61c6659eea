//! `CachedStore` forwards every call it does not cache: each one, made
//! through the cache, must do to the engine beneath exactly what it does
//! there directly (checked by reading the engine, not the cache).

use super::tests::{enrolled, open};
use super::*;
use crate::domain::{AccountClass, AuditKind};
use crate::store::Queue;
use crate::store::contract_tests::delivery;

fn bob() -> PersonKey {
    PersonKey::new("acme", "bob")
}

#[test]
fn person_calls_are_forwarded() {
    let (_dir, inner, store) = open();
    let written = store
        .update_person_noting(&bob(), &mut |_| Update::Put(enrolled(3)), &mut |_, _| {
            Vec::new()
        })
        .unwrap();
    assert_eq!(written, Some(enrolled(3)));
    assert_eq!(inner.person(&bob()).unwrap(), Some(enrolled(3)));
    assert_eq!(store.person_keys(None, 10).unwrap(), vec![bob()]);
    let alice = PersonKey::new("acme", "alice");
    inner
        .update_person(&alice, &mut |_| Update::Put(enrolled(4)))
        .unwrap();
    let rewritten = store
        .update_persons(&[bob(), alice.clone()], &mut |_, r| {
            let mut r = r.cloned().unwrap();
            r.failures = 7;
            Update::Put(r)
        })
        .unwrap();
    assert_eq!(rewritten, 2);
    assert_eq!(inner.person(&alice).unwrap().unwrap().failures, 7);
    store.link_account("bob@acme", &bob()).unwrap();
    assert_eq!(inner.person_of_account("bob@acme").unwrap(), Some(bob()));
    assert_eq!(store.person_of_account("bob@acme").unwrap(), Some(bob()));
    let mut entries = 0;
    store
        .export(&mut |_, _, _| {
            entries += 1;
            Ok(())
        })
        .unwrap();
    assert!(entries >= 2, "the person and the account link");
    store.flush().unwrap();
}

#[test]
fn outbox_and_contacts_are_forwarded() {
    let (_dir, inner, store) = open();
    let ids: Vec<u64> = (0..3).map(|_| store.next_id().unwrap()).collect();
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "{ids:?}");
    let second = ids[1];
    store.enqueue(&[(second, delivery(second))]).unwrap();
    assert_eq!(
        inner.outbox(Queue::Pending, None, 10).unwrap(),
        vec![(second, delivery(second))]
    );
    assert_eq!(
        store.outbox(Queue::Pending, None, 10).unwrap(),
        vec![(second, delivery(second))]
    );
    store.bury(second, &delivery(second)).unwrap();
    assert!(inner.outbox(Queue::Pending, None, 10).unwrap().is_empty());
    assert_eq!(store.outbox_count(Queue::Dead).unwrap(), 1);
    store.revive(&[(second, delivery(second))]).unwrap();
    assert_eq!(inner.outbox_count(Queue::Pending).unwrap(), 1);
    store.remove_delivery(second).unwrap();
    assert!(inner.outbox(Queue::Pending, None, 10).unwrap().is_empty());
    store
        .note_contact(&bob(), "bob@acme", "bob@example.com", "ja")
        .unwrap();
    let contacts = inner.contacts(&bob()).unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(store.contacts(&bob()).unwrap(), contacts);
}

#[test]
fn browsers_seen_accounts_and_audit_are_forwarded() {
    let (_dir, inner, store) = open();
    let days = RememberDays::all()
        .find(|d| *d != RememberDays::OFF)
        .unwrap();
    store.set_company_remember("acme", days).unwrap();
    assert_eq!(inner.company_remember("acme").unwrap(), Some(days));
    assert_eq!(store.company_remember("acme").unwrap(), Some(days));

    let id = BrowserId([9; 32]);
    let browser = RememberedBrowser {
        enrollment_id: 1,
        account: "bob".into(),
        created_at: 100,
        last_used_at: 100,
        label: "Firefox on Linux".into(),
        earned_by: Some(crate::domain::Factor::Passkey),
    };
    store.remember_browser(&bob(), &id, &browser).unwrap();
    store.touch_remembered_browser(&bob(), &id, 200).unwrap();
    let stored = inner.remembered_browser(&bob(), &id).unwrap().unwrap();
    assert_eq!(stored.last_used_at, 200);
    assert_eq!(store.remembered_browser(&bob(), &id).unwrap(), Some(stored));
    assert_eq!(store.remembered_browsers(&bob()).unwrap().len(), 1);
    assert_eq!(store.forget_browsers(&bob(), None).unwrap(), 1);
    assert!(inner.remembered_browsers(&bob()).unwrap().is_empty());

    let seen = SeenAccount {
        account: "bob@acme".into(),
        class: AccountClass::Employee,
        person: "bob".into(),
        last_seen: 300,
        email: None,
        manages_policy: false,
    };
    store.note_seen("acme", &seen).unwrap();
    assert_eq!(inner.seen_accounts("acme", 0).unwrap(), vec![seen.clone()]);
    assert_eq!(store.seen_accounts("acme", 0).unwrap(), vec![seen]);

    let event = AuditEvent {
        at: 400,
        kind: AuditKind::ChallengeFailed,
        person: Some(bob()),
        company: "acme".into(),
        actor: "bob".into(),
        detail: "one".into(),
    };
    store.append_audit(&event).unwrap();
    assert_eq!(inner.audit_for(&bob(), 10).unwrap(), vec![event.clone()]);
    assert_eq!(store.audit_for(&bob(), 10).unwrap(), vec![event]);
    assert_eq!(store.prune_audit(500).unwrap(), 1);
    assert!(inner.audit_for(&bob(), 10).unwrap().is_empty());
}
