//! Rotation and check over a real sled store: every kind of sealed value
//! (id-less, under an older key, under the first key, pending), a walk
//! stopped half-way and resumed, writers racing with the walk.

use super::*;
use crate::domain::{Enrollment, PendingEnrollment};
use crate::store::SledStore;
use std::sync::Arc;

const OLD: [u8; 32] = [0x21; 32];
const NEW: [u8; 32] = [0x22; 32];

fn ring(encryption: &[[u8; 32]]) -> Keys {
    Keys::from_rings(&[[0x11; 32]], encryption)
}

fn person(i: usize) -> PersonKey {
    PersonKey::new("acme", &format!("p{i:03}"))
}

fn secret(i: usize) -> Vec<u8> {
    format!("secret of person {i}").into_bytes()
}

/// Person `i`: enrolled with a secret sealed id-less (i % 3 == 0), under
/// OLD with its id (1), or under NEW (2); every fifth has a pending
/// enrollment under OLD as well.
fn record(i: usize) -> PersonRecord {
    let aad = person(i);
    let aad = aad.as_str().as_bytes();
    let mut rng = rand::rng();
    let sealed = match i % 3 {
        0 => ring(&[OLD]).seal_without_key_id(aad, &secret(i)),
        1 => ring(&[OLD]).seal(aad, &secret(i), &mut rng),
        _ => ring(&[NEW]).seal(aad, &secret(i), &mut rng),
    };
    PersonRecord {
        enrollment: Some(Enrollment {
            id: i as u64,
            sealed_secret: sealed,
            enrolled_at: 1_700_000_000,
            enrolled_by: "x".into(),
        }),
        pending: if i.is_multiple_of(5) {
            vec![PendingEnrollment {
                session: [1; 16],
                sealed_secret: ring(&[OLD]).seal(aad, b"pending", &mut rng),
                started_at: 1_700_000_000,
            }]
        } else {
            Vec::new()
        },
        ..PersonRecord::default()
    }
}

fn populated(n: usize) -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let keys: Vec<PersonKey> = (0..n).map(person).collect();
    let records: Vec<PersonRecord> = (0..n).map(record).collect();
    store
        .import_persons(keys.iter().zip(records.iter()))
        .unwrap();
    (dir, store)
}

/// Every secret opens under NEW alone, with its original plaintext.
fn assert_all_under_new(store: &dyn Store, n: usize) {
    let only_new = ring(&[NEW]);
    for i in 0..n {
        let key = person(i);
        let rec = store.person(&key).unwrap().unwrap();
        let sealed = &rec.enrollment.as_ref().unwrap().sealed_secret;
        assert_eq!(sealed_key_id(sealed), Some(KeyId::of_encryption_key(&NEW)));
        let opened = only_new
            .open_checked(key.as_str().as_bytes(), sealed)
            .unwrap();
        assert_eq!(opened.plaintext, secret(i));
        for p in &rec.pending {
            assert_eq!(
                only_new
                    .open(key.as_str().as_bytes(), &p.sealed_secret)
                    .as_deref(),
                Some(&b"pending"[..])
            );
        }
    }
}

#[test]
fn rotation_reseals_every_secret_under_the_first_key() {
    let (_dir, store) = populated(30);
    let keys = ring(&[NEW, OLD]);
    let mut batches = 0;
    let done = reseal_all(&store, &keys, 7, &mut |_| {
        batches += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(batches, 5, "30 persons in batches of 7");
    assert_eq!(done.persons, 30);
    assert_eq!(done.secrets, 30 + 6, "30 enrollments, 6 pending");
    assert_eq!(done.current, 10, "persons 2, 5, 8, … were under NEW");
    assert_eq!(done.resealed, 26);
    assert_eq!(done.by_key.get(&None), Some(&10));
    assert_eq!(
        done.by_key.get(&Some(KeyId::of_encryption_key(&OLD))),
        Some(&(10 + 6))
    );
    assert_all_under_new(&store, 30);

    // Nothing left to do, and the check passes with the new key alone.
    let again = reseal_all(&store, &keys, 7, &mut |_| ControlFlow::Continue(())).unwrap();
    assert_eq!((again.resealed, again.current), (0, 36));
    assert_eq!(check_all(&store, &ring(&[NEW])).unwrap().secrets, 36);
}

#[test]
fn a_stopped_rotation_carries_on_where_it_stopped() {
    let (_dir, store) = populated(40);
    let keys = ring(&[NEW, OLD]);
    let first = reseal_all(&store, &keys, 10, &mut |p| {
        if p.batches == 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(first.persons, 20);
    // Half done: the new key alone is refused at the first person left.
    match check_all(&store, &ring(&[NEW])) {
        Err(e @ RotateError::Unopenable { .. }) => {
            let message = e.to_string();
            let RotateError::Unopenable {
                person,
                what,
                reason,
            } = e
            else {
                unreachable!()
            };
            // Person 20's enrollment is under NEW, its pending one under OLD.
            let old = KeyId::of_encryption_key(&OLD);
            assert_eq!(
                (person, what, reason),
                (
                    person_str(20),
                    "pending enrollment",
                    OpenError::UnknownKey(old)
                )
            );
            assert!(message.contains(&format!("key id {old}")), "{message}");
        }
        other => panic!("expected Unopenable, got {other:?}"),
    }
    let rest = reseal_all(&store, &keys, 10, &mut |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(rest.persons, 40);
    assert_eq!(
        first.resealed + rest.resealed,
        40 + 8 - 13,
        "each stale secret once"
    );
    assert_eq!(
        rest.current,
        first.resealed + 13,
        "13 were under NEW from the start"
    );
    assert_all_under_new(&store, 40);
}

#[test]
fn check_names_the_missing_key_or_the_unopenable_record() {
    let (_dir, store) = populated(3);
    assert_eq!(check_all(&store, &ring(&[NEW, OLD])).unwrap().secrets, 4);
    match check_all(&store, &ring(&[NEW])) {
        Err(RotateError::Unopenable {
            person,
            what,
            reason,
        }) => {
            assert_eq!(person, person_str(0));
            assert_eq!(what, "enrollment");
            assert_eq!(reason, OpenError::NoKeyOpens, "person 0 is id-less");
        }
        other => panic!("expected Unopenable, got {other:?}"),
    }
    // Keys that open nothing: a record naming OLD is refused by its id.
    let (_dir, store) = populated(2);
    let store_1: Vec<PersonKey> = vec![person(0)];
    store
        .update_persons(&store_1, &mut |_, _| Update::Delete)
        .unwrap();
    match check_all(&store, &ring(&[NEW])) {
        Err(RotateError::Unopenable { reason, .. }) => {
            assert_eq!(
                reason,
                OpenError::UnknownKey(KeyId::of_encryption_key(&OLD))
            )
        }
        other => panic!("expected Unopenable, got {other:?}"),
    }
    // A rotation without the key stops at that record and writes nothing.
    let before = store.person(&person(1)).unwrap();
    assert!(
        reseal_all(
            &store,
            &ring(&[NEW]),
            10,
            &mut |_| ControlFlow::Continue(())
        )
        .is_err()
    );
    assert_eq!(store.person(&person(1)).unwrap(), before);
}

fn person_str(i: usize) -> String {
    person(i).as_str().to_owned()
}

#[test]
fn writes_racing_with_a_rotation_are_kept() {
    let (_dir, store) = populated(60);
    let store = Arc::new(store);
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for round in 0..5 {
                for i in (0..60).rev() {
                    store
                        .update_person(&person(i), &mut |current| {
                            let mut r = current.cloned().unwrap_or_default();
                            r.failures += 1;
                            let _ = round;
                            Update::Put(r)
                        })
                        .unwrap();
                }
            }
        })
    };
    let keys = ring(&[NEW, OLD]);
    reseal_all(store.as_ref(), &keys, 4, &mut |_| ControlFlow::Continue(())).unwrap();
    writer.join().unwrap();
    for i in 0..60 {
        assert_eq!(store.person(&person(i)).unwrap().unwrap().failures, 5);
    }
    assert_all_under_new(store.as_ref(), 60);
}

/// Backup codes of format v2 are sealed like secrets: a rotation re-seals
/// them (the codes still work under the new key alone), the check names
/// one the ring cannot open, and a v1 set (raw Argon2id hashes) is left
/// as it is.
#[test]
fn rotation_reseals_v2_backup_codes_and_leaves_v1_hashes() {
    use crate::factors::backup_codes;
    let (_dir, store) = populated(2);
    let codes = backup_codes::generate(&mut rand::rng(), &ring(&[OLD]), &person(1), 1, 0);
    let v1_hashes = vec![vec![7u8; 32]; 10];
    for (i, hashes) in [(0, v1_hashes.clone()), (1, codes.set.hashes.clone())] {
        let set = crate::domain::BackupCodeSet {
            hashes,
            ..codes.set.clone()
        };
        store
            .update_person(&person(i), &mut |r| {
                let mut r = r.cloned().unwrap_or_default();
                r.backup_codes = Some(set.clone());
                Update::Put(r)
            })
            .unwrap();
    }
    // Person 1's enrollment is under OLD too: take it away, and the check
    // names the first backup code that OLD sealed.
    let (_other_dir, other) = populated(3);
    let set = codes.set.clone();
    other
        .update_persons(&[person(0), person(1)], &mut |_, _| Update::Delete)
        .unwrap();
    other
        .update_person(&person(2), &mut |r| {
            let mut r = r.cloned().unwrap_or_default();
            r.backup_codes = Some(set.clone());
            Update::Put(r)
        })
        .unwrap();
    match check_all(&other, &ring(&[NEW])) {
        Err(RotateError::Unopenable { what, reason, .. }) => assert_eq!(
            (what, reason),
            (
                "backup code",
                OpenError::UnknownKey(KeyId::of_encryption_key(&OLD))
            )
        ),
        other => panic!("expected Unopenable, got {other:?}"),
    }
    let done = reseal_all(&store, &ring(&[NEW, OLD]), 10, &mut |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(
        done.secrets,
        2 + 1 + 10,
        "2 enrollments, 1 pending, 10 codes"
    );
    let after = |i| {
        store
            .person(&person(i))
            .unwrap()
            .unwrap()
            .backup_codes
            .unwrap()
    };
    assert_eq!(after(0).hashes, v1_hashes);
    let resealed = after(1);
    assert_ne!(resealed.hashes, codes.set.hashes);
    for (i, code) in codes.codes.iter().enumerate() {
        assert_eq!(
            backup_codes::find(&resealed, code, &ring(&[NEW]), &person(1)),
            Some(i)
        );
    }
    assert_eq!(check_all(&store, &ring(&[NEW])).unwrap().secrets, 13);
}
