//! Accounts and companies: accounts linked to persons, company settings,
//! seen accounts and contact addresses.

use super::*;
use crate::domain::AccountClass;

pub(super) fn links_and_company_settings(store: &dyn Store) {
    assert_eq!(store.person_of_account("bob").unwrap(), None);
    store.link_account("bob", &bob()).unwrap();
    store.link_account("bob", &bob()).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), Some(bob()));
    let other = PersonKey::new("acme", "robert");
    store.link_account("bob", &other).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), Some(other));

    assert_eq!(store.company_policy("acme").unwrap(), None);
    store
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    store
        .set_company_policy("globex", Enforcement::Optional)
        .unwrap();
    assert_eq!(
        store.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
    assert_eq!(store.company_remember("acme").unwrap(), None);
    store
        .set_company_remember("acme", RememberDays::from_days(30).unwrap())
        .unwrap();
    assert_eq!(
        store.company_remember("acme").unwrap(),
        Some(RememberDays::from_days(30).unwrap())
    );
    assert_eq!(store.company_remember("globex").unwrap(), None);
}

fn seen(account: &str, last_seen: i64) -> SeenAccount {
    SeenAccount {
        account: account.into(),
        class: AccountClass::Employee,
        person: account.into(),
        last_seen,
        email: None,
        manages_policy: false,
    }
}

pub(super) fn seen_accounts(store: &dyn Store) {
    store.note_seen("acme", &seen("bob", 100)).unwrap();
    store.note_seen("acme", &seen("alice", 300)).unwrap();
    store.note_seen("acme2", &seen("carol", 300)).unwrap();
    store.note_seen("acme", &seen("bob", 400)).unwrap();
    let mut found: Vec<_> = store
        .seen_accounts("acme", 200)
        .unwrap()
        .into_iter()
        .map(|s| (s.account, s.last_seen))
        .collect();
    found.sort();
    assert_eq!(found, vec![("alice".into(), 300), ("bob".into(), 400)]);
    assert!(store.seen_accounts("acm", 0).unwrap().is_empty());
}

pub(super) fn contacts(store: &dyn Store) {
    store
        .note_contact(&bob(), "bob", "bob@example.com", "ja")
        .unwrap();
    store
        .note_contact(&bob(), "bob-admin", "admin@example.com", "en")
        .unwrap();
    let longer = PersonKey::new("acme", "bob\0x");
    store
        .note_contact(&longer, "x", "x@example.com", "en")
        .unwrap();
    let mut found = store.contacts(&bob()).unwrap();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("bob".into(), "bob@example.com".into(), "ja".into()),
            ("bob-admin".into(), "admin@example.com".into(), "en".into()),
        ]
    );
    store.flush().unwrap();
}
