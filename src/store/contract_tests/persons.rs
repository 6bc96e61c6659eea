//! Person records: read back, kept and deleted, walked in batches, updated
//! and read many at a time, and exported with their own bytes.

use super::*;
use std::sync::Mutex;

pub(super) fn person_round_trip(store: &dyn Store) {
    assert_eq!(store.person(&bob()).unwrap(), None);
    assert_eq!(store.person_state(&bob()).unwrap(), PersonState::default());
    let mut record = enrolled(42);
    record.failures = 2;
    record.locked_at = Some(9);
    record.accounts = vec!["bob".into(), "bob-admin".into()];
    let after = store
        .update_person(&bob(), &mut |_| Update::Put(record.clone()))
        .unwrap();
    assert_eq!(after.as_ref(), Some(&record));
    assert_eq!(store.person(&bob()).unwrap(), Some(record));
    let state = store.person_state(&bob()).unwrap();
    assert_eq!((state.enrollment_id, state.locked), (Some(42), true));
    // Another person, and a key extending bob's, are others.
    assert_eq!(store.person(&PersonKey::new("acme", "bob2")).unwrap(), None);
    assert_eq!(store.person(&PersonKey::new("other", "bob")).unwrap(), None);
}

pub(super) fn keep_and_delete(store: &dyn Store) {
    assert_eq!(
        store.update_person(&bob(), &mut |_| Update::Keep).unwrap(),
        None
    );
    assert_eq!(
        store
            .update_person(&bob(), &mut |_| Update::Delete)
            .unwrap(),
        None
    );
    put(store, &bob(), enrolled(1));
    let kept = store.update_person(&bob(), &mut |_| Update::Keep).unwrap();
    assert_eq!(kept, Some(enrolled(1)));
    let seen = Mutex::new(None);
    let gone = store
        .update_person(&bob(), &mut |current| {
            *seen.lock().unwrap() = current.cloned();
            Update::Delete
        })
        .unwrap();
    assert_eq!(gone, None);
    assert_eq!(*seen.lock().unwrap(), Some(enrolled(1)), "f saw the record");
    assert_eq!(store.person(&bob()).unwrap(), None);
}

pub(super) fn keys_in_batches(store: &dyn Store) {
    let keys: Vec<PersonKey> = (0..25)
        .map(|i| PersonKey::new("acme", &format!("p{i:03}")))
        .collect();
    for key in &keys {
        put(store, key, PersonRecord::default());
    }
    let mut seen = Vec::new();
    let mut after: Option<PersonKey> = None;
    loop {
        let batch = store.person_keys(after.as_ref(), 10).unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 10);
        after = batch.last().cloned();
        seen.extend(batch);
    }
    assert_eq!(seen, keys);
}

pub(super) fn batch_update_counts(store: &dyn Store) {
    let keys: Vec<PersonKey> = (0..5)
        .map(|i| PersonKey::new("acme", &format!("p{i}")))
        .collect();
    for key in &keys {
        put(store, key, PersonRecord::default());
    }
    let mut absent = keys.clone();
    absent.push(PersonKey::new("acme", "nobody"));
    let written = store
        .update_persons(&absent, &mut |k, current| match current {
            Some(r) if k != &keys[0] => {
                let mut r = r.clone();
                r.failures = 7;
                Update::Put(r)
            }
            _ => Update::Keep,
        })
        .unwrap();
    assert_eq!(written, 4);
    assert_eq!(store.person(&keys[0]).unwrap().unwrap().failures, 0);
    assert_eq!(store.person(&keys[4]).unwrap().unwrap().failures, 7);
    assert_eq!(store.person(&absent[5]).unwrap(), None);
}

pub(super) fn batch_read_in_order(store: &dyn Store) {
    let key = |name: &str| PersonKey::new("acme", name);
    put(store, &key("a"), enrolled(1));
    put(store, &key("b"), enrolled(2));
    let read = store
        .persons(&[key("b"), key("nobody"), key("a"), key("b")])
        .unwrap();
    let read: Vec<Option<PersonRecord>> = read.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        read,
        vec![
            Some(enrolled(2)),
            None,
            Some(enrolled(1)),
            Some(enrolled(2))
        ]
    );
    assert!(store.persons(&[]).unwrap().is_empty());
}

pub(super) fn export(store: &dyn Store) {
    put(store, &bob(), enrolled(3));
    store.link_account("bob", &bob()).unwrap();
    store
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    let mut entries = Vec::new();
    store
        .export(&mut |tree, key, value| {
            entries.push((tree.to_owned(), key.to_vec(), value.to_vec()));
            Ok(())
        })
        .unwrap();
    let trees: Vec<&str> = entries.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(trees, ["persons", "accounts", "policies"]);
    assert_eq!(entries[0].1, bob().as_str().as_bytes());
    assert_eq!(
        records::decode_person(&entries[0].2).unwrap(),
        enrolled(3),
        "the record's own bytes"
    );
}
