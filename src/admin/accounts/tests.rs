//! Unit tests of `admin::accounts`.

use super::*;
use crate::domain::{BackupCodeSet, Enrollment, PendingEnrollment};
use crate::store::SledStore;

const NOW: i64 = 1_700_000_000;

fn store_with_bob(record: PersonRecord) -> (tempfile::TempDir, SledStore, PersonKey) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let key = PersonKey::new("acme", "bob");
    store.link_account("bob@acme", &key).unwrap();
    store.link_account("bob.admin@acme", &key).unwrap();
    store
        .update_person(&key, &mut |_| Update::Put(record.clone()))
        .unwrap();
    (dir, store, key)
}

fn enrolled_locked() -> PersonRecord {
    PersonRecord {
        enrollment: Some(Enrollment {
            id: 7,
            sealed_secret: vec![1; 40],
            enrolled_at: NOW - 3600,
            enrolled_by: "bob@acme".into(),
        }),
        pending: vec![PendingEnrollment {
            session: [5; 16],
            sealed_secret: vec![2; 40],
            started_at: NOW - 60,
        }],
        backup_codes: Some(BackupCodeSet {
            generation: 1,
            salt: vec![3; 16],
            hashes: vec![vec![4; 32]; 10],
            used: (0..10).map(|i| i < 3).collect(),
            created_at: NOW - 3600,
        }),
        last_step: Some(1),
        failures: 10,
        locked_at: Some(NOW - 10),
        accounts: vec!["bob@acme".into()],
        staff_account: true,
        passkeys: vec![crate::domain::Passkey {
            id: 8,
            name: "YubiKey".into(),
            credential: "{}".into(),
            added_at: NOW - 1800,
            added_by: "bob@acme".into(),
            last_used_at: None,
        }],
        used_ceremonies: Vec::new(),
        trust_epoch: 0,
    }
}

#[test]
fn status_describes_the_person_of_the_account() {
    let (_dir, store, _) = store_with_bob(enrolled_locked());
    let s = status(&store, "bob.admin@acme", 10).unwrap();
    assert_eq!(s.company, "acme");
    assert_eq!(s.person, "bob");
    assert_eq!(s.linked_accounts, ["bob@acme", "bob.admin@acme"]);
    assert!(s.enrolled && s.locked && s.enrollment_pending);
    assert_eq!(s.enrolled_at.as_deref(), Some("2023-11-14T21:13:20Z"));
    assert_eq!(s.locked_at.as_deref(), Some("2023-11-14T22:13:10Z"));
    assert_eq!(
        (s.backup_codes_left, s.backup_codes_total),
        (Some(7), Some(10))
    );
    assert_eq!((s.failures, s.max_failures), (10, 10));
    assert!(matches!(
        status(&store, "nobody", 10),
        Err(OpsError::UnknownAccount(a)) if a == "nobody"
    ));
}

#[test]
fn unlock_lifts_the_lock_clears_the_count_and_is_audited_once() {
    let (_dir, store, key) = store_with_bob(enrolled_locked());
    let done = unlock(&store, "bob@acme", NOW, 10).unwrap();
    assert!(done.changed);
    assert!(!done.status.locked);
    assert_eq!(done.status.failures, 0);
    assert!(done.status.enrolled, "unlock keeps the enrollment");
    let again = unlock(&store, "bob@acme", NOW, 10).unwrap();
    assert!(!again.changed);
    let events = store.audit_for(&key, 10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, AuditKind::Unlocked);
    assert_eq!(events[0].actor, "support");
    assert_eq!(events[0].company, "acme");
    assert!(
        events[0].detail.note.contains("10 failures cleared"),
        "{}",
        events[0].detail
    );
}

#[test]
fn reset_removes_2fa_and_the_lock_but_keeps_the_links() {
    let (_dir, store, key) = store_with_bob(enrolled_locked());
    let done = reset(&store, "bob.admin@acme", NOW, 10).unwrap();
    assert!(done.changed);
    let after = store.person(&key).unwrap().unwrap();
    assert_eq!(
        after,
        PersonRecord {
            accounts: vec!["bob@acme".into()],
            staff_account: true,
            ..PersonRecord::default()
        }
    );
    assert_eq!(
        done.detail,
        "enrollment removed, passkeys removed, backup codes removed, pending enrollment removed, lock lifted"
    );
    assert!(!reset(&store, "bob@acme", NOW, 10).unwrap().changed);
    let kinds: Vec<AuditKind> = audit(&store, "bob@acme", 10)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [AuditKind::Reset]);
}

#[test]
fn keys_split_into_company_and_person() {
    let check = |company: &str, person: &str| {
        let key = PersonKey::new(company, person);
        assert_eq!(split_key(&key), (company.to_owned(), person.to_owned()));
    };
    check("acme", "bob");
    check("a/b:c", "x/y:z");
    check("", "");
}

#[test]
fn times_are_rfc3339_utc() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(i64::MAX), format!("@{}", i64::MAX));
}
