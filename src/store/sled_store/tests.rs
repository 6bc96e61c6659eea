//! Unit tests of `store::sled_store`.

use super::*;
use crate::domain::{AuditKind, BackupCodeSet, Enrollment, PendingEnrollment};
use std::sync::Arc;

const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SledStore>();
};

fn bob() -> PersonKey {
    PersonKey::new("acme", "bob")
}

fn full_person() -> PersonRecord {
    PersonRecord {
        enrollment: Some(Enrollment {
            id: 42,
            sealed_secret: vec![7; 60],
            enrolled_at: 1_700_000_000,
            enrolled_by: "bob".into(),
        }),
        pending: vec![PendingEnrollment {
            session: [5; 16],
            sealed_secret: vec![8; 60],
            started_at: 1_700_000_050,
        }],
        backup_codes: Some(BackupCodeSet {
            generation: 3,
            salt: vec![1; 16],
            hashes: (0..10u8).map(|i| vec![i; 32]).collect(),
            used: (0..10).map(|i| i % 3 == 0).collect(),
            created_at: 1_700_000_100,
        }),
        last_step: Some(56_666_700),
        failures: 2,
        locked_at: Some(1_700_000_200),
        accounts: vec!["bob".into(), "bob-admin".into()],
        staff_account: true,
        passkeys: vec![crate::domain::Passkey {
            id: 43,
            name: "YubiKey".into(),
            credential: "{}".into(),
            added_at: 1_700_000_060,
            added_by: "bob".into(),
            last_used_at: None,
        }],
        used_ceremonies: vec![crate::domain::UsedCeremony {
            nonce: [6; 16],
            expires_at: 1_700_000_400,
        }],
        trust_epoch: 2,
    }
}

fn put(store: &SledStore, key: &PersonKey, record: PersonRecord) {
    let mut record = Some(record);
    store
        .update_person(key, &mut |_| Update::Put(record.take().unwrap()))
        .unwrap();
}

fn event(person: Option<PersonKey>, detail: &str) -> AuditEvent {
    AuditEvent {
        at: 1_700_000_000,
        kind: AuditKind::ChallengeFailed,
        person,
        company: "acme".into(),
        actor: "bob".into(),
        detail: detail.into(),
    }
}

/// The trait's own `person_state` (what a store without a cache in
/// front answers): enrolled with which enrollment, locked or not.
#[test]
fn person_state_reads_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(
        store.person_state(&bob()).unwrap(),
        crate::store::PersonState::default()
    );
    put(&store, &bob(), full_person());
    let state = store.person_state(&bob()).unwrap();
    assert_eq!((state.enrollment_id, state.locked), (Some(42), true));
}

#[test]
fn full_person_record_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    put(&store, &bob(), full_person());
    assert_eq!(store.person(&bob()).unwrap(), Some(full_person()));
}

#[test]
fn update_returns_the_record_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let after = store
        .update_person(&bob(), &mut |_| Update::Put(full_person()))
        .unwrap();
    assert_eq!(after, Some(full_person()));
    let kept = store.update_person(&bob(), &mut |_| Update::Keep).unwrap();
    assert_eq!(kept, Some(full_person()));
}

#[test]
fn keep_does_not_create_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let mut seen = Vec::new();
    let after = store
        .update_person(&bob(), &mut |current| {
            seen.push(current.cloned());
            Update::Keep
        })
        .unwrap();
    assert_eq!(after, None);
    assert_eq!(seen, vec![None]);
    assert_eq!(store.person(&bob()).unwrap(), None);
    assert!(store.persons.is_empty());
}

#[test]
fn delete_removes_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    put(&store, &bob(), full_person());
    let after = store
        .update_person(&bob(), &mut |_| Update::Delete)
        .unwrap();
    assert_eq!(after, None);
    assert_eq!(store.person(&bob()).unwrap(), None);
    // Deleting what is not there is not an error.
    let after = store
        .update_person(&bob(), &mut |_| Update::Delete)
        .unwrap();
    assert_eq!(after, None);
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path()).unwrap();
        put(&store, &bob(), full_person());
        store
            .set_company_policy("acme", Enforcement::Required)
            .unwrap();
        store.link_account("bob-admin", &bob()).unwrap();
        store.append_audit(&event(Some(bob()), "before")).unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.person(&bob()).unwrap(), Some(full_person()));
    assert_eq!(
        store.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
    assert_eq!(store.person_of_account("bob-admin").unwrap(), Some(bob()));
    // Sequence numbers keep growing across a restart: newest stays first.
    store.append_audit(&event(Some(bob()), "after")).unwrap();
    let details: Vec<String> = store
        .audit_for(&bob(), 10)
        .unwrap()
        .into_iter()
        .map(|e| e.detail.to_string())
        .collect();
    assert_eq!(details, ["after", "before"]);
}

#[test]
fn imported_persons_read_back_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<PersonKey> = (0..1000)
        .map(|i| PersonKey::new("acme", &format!("p{i}")))
        .collect();
    let mut record = full_person();
    {
        let store = SledStore::open(dir.path()).unwrap();
        put(&store, &keys[0], PersonRecord::default());
        let written = store
            .import_persons(keys.iter().map(|k| (k, &record)))
            .unwrap();
        assert_eq!(written, 1000);
        // The import replaced the record that was there.
        assert_eq!(store.person(&keys[0]).unwrap(), Some(record.clone()));
        record.failures = 0;
        assert_eq!(store.import_persons([(&keys[999], &record)]).unwrap(), 1);
    }
    // Flushed: a new open sees every record (it waits for the lock of
    // the store dropped above).
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.person(&keys[999]).unwrap(), Some(record));
    assert_eq!(store.person(&keys[500]).unwrap(), Some(full_person()));
    assert_eq!(
        store.person(&PersonKey::new("acme", "p1000")).unwrap(),
        None
    );
}

#[test]
fn second_open_of_a_locked_directory_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SledStore::open(dir.path()).unwrap();
    match SledStore::open(dir.path()) {
        Err(StoreError::Open { path, detail }) => {
            assert_eq!(path, dir.path().display().to_string());
            assert!(
                detail.contains("another mfa-gate may be running"),
                "{detail}"
            );
        }
        Err(other) => panic!("expected Open, got {other}"),
        Ok(_) => panic!("a locked directory opened twice"),
    }
}

/// A lock released while the open waits (a store dropped a moment
/// ago, or a gateway just exiting) is waited for. The wait here is 20
/// times the release's delay, so that a loaded machine, slow to run
/// the releasing thread or sled's own, cannot make it give up.
#[test]
fn a_lock_released_within_the_wait_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let first = SledStore::open(dir.path()).unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(LOCK_WAIT / 4);
        drop(first);
    });
    let started = Instant::now();
    let second = SledStore::open_waiting(dir.path(), LOCK_WAIT * 5);
    release.join().unwrap();
    assert!(
        second.is_ok(),
        "the open gave up while the lock was being released"
    );
    assert!(
        started.elapsed() >= LOCK_WAIT / 4,
        "it opened while the lock was held"
    );
}

/// An open that fails for another reason than a held lock says what
/// failed, not "another mfa-gate may be running".
#[test]
fn a_path_that_cannot_be_a_store_is_not_called_locked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    match SledStore::open(&file.join("store")) {
        Err(StoreError::Open { detail, .. }) => {
            assert!(!detail.contains("another mfa-gate"), "{detail}");
        }
        Err(other) => panic!("expected Open, got {other}"),
        Ok(_) => panic!("a store opened under a regular file"),
    }
}

#[test]
fn size_on_disk_counts_the_store_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    put(&store, &bob(), full_person());
    assert!(store.size_on_disk().unwrap() > 1024);
}

#[test]
fn concurrent_updates_are_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    store
                        .update_person(&bob(), &mut |current| {
                            let mut record = current.cloned().unwrap_or_default();
                            record.failures += 1;
                            Update::Put(record)
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(store.person(&bob()).unwrap().unwrap().failures, 400);
}

#[test]
fn audit_is_newest_first_limited_and_per_person() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let alice = PersonKey::new("acme", "alice");
    // A person whose key extends bob's past a 0x00 must not leak into
    // bob's trail.
    let sneaky = PersonKey::new("acme", "bob\0x");
    for i in 0..5 {
        store
            .append_audit(&event(Some(bob()), &format!("bob {i}")))
            .unwrap();
        store
            .append_audit(&event(Some(alice.clone()), &format!("alice {i}")))
            .unwrap();
        store
            .append_audit(&event(Some(sneaky.clone()), "sneaky"))
            .unwrap();
        store.append_audit(&event(None, "company")).unwrap();
    }
    let details = |key: &PersonKey, limit| -> Vec<String> {
        store
            .audit_for(key, limit)
            .unwrap()
            .into_iter()
            .map(|e| e.detail.to_string())
            .collect()
    };
    assert_eq!(details(&bob(), 3), ["bob 4", "bob 3", "bob 2"]);
    assert_eq!(details(&bob(), 100).len(), 5);
    assert_eq!(details(&alice, 1), ["alice 4"]);
    assert_eq!(details(&sneaky, 100).len(), 5);
    assert!(details(&PersonKey::new("acme", "carol"), 10).is_empty());
    assert!(details(&bob(), 0).is_empty());
}

#[test]
fn prune_removes_only_events_older_than_the_cut_of_every_person() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let alice = PersonKey::new("acme", "alice");
    let at = |person: Option<PersonKey>, at: i64, detail: &str| AuditEvent {
        at,
        ..event(person, detail)
    };
    store
        .append_audit(&at(Some(bob()), 100, "bob old"))
        .unwrap();
    store
        .append_audit(&at(Some(bob()), 200, "bob cut"))
        .unwrap();
    store
        .append_audit(&at(Some(bob()), 300, "bob new"))
        .unwrap();
    store
        .append_audit(&at(Some(alice.clone()), 50, "alice old"))
        .unwrap();
    store.append_audit(&at(None, 10, "company old")).unwrap();
    store.append_audit(&at(None, 250, "company new")).unwrap();
    // A damaged entry is kept and does not stop the pruning.
    store.audit.insert(b"zz-broken", &b"garbage"[..]).unwrap();

    assert_eq!(store.prune_audit(200).unwrap(), 3);
    let details = |key: &PersonKey| -> Vec<String> {
        store
            .audit_for(key, 10)
            .unwrap()
            .into_iter()
            .map(|e| e.detail.to_string())
            .collect()
    };
    assert_eq!(details(&bob()), ["bob new", "bob cut"]);
    assert!(details(&alice).is_empty());
    assert_eq!(store.audit.len(), 4, "bob x2, company new, the damaged one");
    assert_eq!(store.prune_audit(200).unwrap(), 0, "nothing left to prune");
}

#[test]
fn company_policy_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.company_policy("acme").unwrap(), None);
    store
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    store
        .set_company_policy("other", Enforcement::Optional)
        .unwrap();
    assert_eq!(
        store.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
    store
        .set_company_policy("acme", Enforcement::Optional)
        .unwrap();
    assert_eq!(
        store.company_policy("acme").unwrap(),
        Some(Enforcement::Optional)
    );
}

#[test]
fn accounts_link_to_their_person() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), None);
    store.link_account("bob", &bob()).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), Some(bob()));
    // Re-linking moves the account.
    let other = PersonKey::new("acme", "robert");
    store.link_account("bob", &other).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), Some(other));
}

#[test]
fn a_corrupt_record_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path()).unwrap();
        put(&store, &bob(), full_person());
    }
    {
        // Behind the store's back, as a damaged disk would. The dropped
        // store's lock goes a few ms later (see `SledStore::open`);
        // a loaded machine may take much longer.
        let give_up_at = Instant::now() + LOCK_WAIT * 20;
        let db = loop {
            match sled::open(dir.path()) {
                Err(e) if is_lock_error(&e) && Instant::now() < give_up_at => {
                    std::thread::sleep(LOCK_RETRY_EVERY)
                }
                other => break other.unwrap(),
            }
        };
        let persons = db.open_tree("persons").unwrap();
        persons.insert(bob().as_str(), &b"\x00garbage"[..]).unwrap();
        db.flush().unwrap();
    }
    let store = SledStore::open(dir.path()).unwrap();
    assert!(matches!(
        store.person(&bob()),
        Err(StoreError::Corrupt { what: "person", .. })
    ));
    let mut ran = false;
    let result = store.update_person(&bob(), &mut |_| {
        ran = true;
        Update::Delete
    });
    assert!(matches!(result, Err(StoreError::Corrupt { .. })));
    assert!(!ran, "no decision is made on an unreadable record");
}

/// Two writers read the same record, then both try to swap it: one
/// wins, the other's compare-and-swap fails and it runs its update
/// again on the winner's record. A barrier inside the update makes the
/// conflict certain; the count of update runs proves the retry ran.
#[test]
fn a_conflicting_writer_retries_on_the_winners_record() {
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    put(&store, &bob(), PersonRecord::default());
    let both_read = Arc::new(Barrier::new(2));
    let runs = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (store, both_read, runs) = (store.clone(), both_read.clone(), runs.clone());
            std::thread::spawn(move || {
                let mut first = true;
                store
                    .update_person(&bob(), &mut |current| {
                        runs.fetch_add(1, Ordering::SeqCst);
                        if std::mem::take(&mut first) {
                            both_read.wait();
                        }
                        let mut record = current.cloned().unwrap_or_default();
                        record.failures += 1;
                        Update::Put(record)
                    })
                    .unwrap()
                    .unwrap()
                    .failures
            })
        })
        .collect();
    let mut seen: Vec<u32> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, [1, 2], "each writer returns the record it stored");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "the loser ran its update twice"
    );
    assert_eq!(store.person(&bob()).unwrap().unwrap().failures, 2);
}
