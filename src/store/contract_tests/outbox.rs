//! The notification outbox: ids, pages of deliveries, dead letters buried
//! and revived, and notes written with a person's change.

use super::*;
use std::sync::{Barrier, Mutex};

pub(super) fn outbox_and_noting(store: &dyn Store) {
    let first = store.next_id().unwrap();
    let second = store.next_id().unwrap();
    assert!(second > first, "ids increase");
    store
        .enqueue(&[(second, delivery(second)), (first, delivery(first))])
        .unwrap();
    let ids = |store: &dyn Store| -> Vec<u64> {
        store
            .outbox(Queue::Pending, None, 10)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    assert_eq!(ids(store), vec![first, second], "oldest first");
    let page = |queue, after, limit| store.outbox(queue, after, limit).unwrap();
    assert_eq!(
        page(Queue::Pending, None, 1),
        vec![(first, delivery(first))]
    );
    assert_eq!(
        page(Queue::Pending, Some(first), 5),
        vec![(second, delivery(second))],
        "the page after an id"
    );
    assert!(page(Queue::Pending, Some(second), 5).is_empty());

    // A dead letter leaves the queue in one commit, and comes back.
    let mut dead = delivery(first);
    dead.state = DeliveryState::Dead;
    dead.attempts = 12;
    store.bury(first, &dead).unwrap();
    assert_eq!(ids(store), vec![second]);
    assert_eq!(page(Queue::Dead, None, 10), vec![(first, dead.clone())]);
    assert_eq!(store.outbox_count(Queue::Dead).unwrap(), 1);
    assert_eq!(store.outbox_count(Queue::Pending).unwrap(), 1);
    store.revive(&[(first, delivery(first))]).unwrap();
    assert_eq!(ids(store), vec![first, second]);
    assert_eq!(store.outbox_count(Queue::Dead).unwrap(), 0);
    store.remove_delivery(first).unwrap();
    assert_eq!(ids(store), vec![second]);

    // Notes are written with the change, from the record before and after.
    let third = store.next_id().unwrap();
    let calls = Mutex::new(Vec::new());
    store
        .update_person_noting(
            &bob(),
            &mut |_| Update::Put(enrolled(7)),
            &mut |before, after| {
                calls
                    .lock()
                    .unwrap()
                    .push((before.cloned(), after.cloned()));
                vec![(third, delivery(third))]
            },
        )
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), vec![(None, Some(enrolled(7)))]);
    assert_eq!(ids(store), vec![second, third]);
    assert_eq!(store.person(&bob()).unwrap(), Some(enrolled(7)));
    // A kept record makes no notes.
    store
        .update_person_noting(&bob(), &mut |_| Update::Keep, &mut |_, _| {
            panic!("notes of an unchanged record")
        })
        .unwrap();
}

/// Notes ask the store for ids while the change is open (as `notify`
/// does): more such changes at once than the store has connections must
/// all complete.
pub(super) fn notes_may_ask_for_ids(store: &dyn Store) {
    let threads = 24;
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for i in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                let key = PersonKey::new("acme", &format!("p{i}"));
                barrier.wait();
                store
                    .update_person_noting(&key, &mut |_| Update::Put(enrolled(1)), &mut |_, _| {
                        let id = store.next_id().unwrap();
                        vec![(id, delivery(id))]
                    })
                    .unwrap();
            });
        }
    });
    assert_eq!(
        store.outbox(Queue::Pending, None, 100).unwrap().len(),
        threads
    );
}
