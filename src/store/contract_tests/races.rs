//! Racing updates of one person on threads against the engine: no
//! increment lost, one creation, one TOTP step accepted once.

use super::*;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads released together each add 1 to the failure count 25 times:
/// every increment is kept.
pub(super) fn racing_updates_lose_nothing(store: &dyn Store) {
    put(store, &bob(), enrolled(1));
    let threads = 8;
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..25 {
                    store
                        .update_person(&bob(), &mut |current| {
                            let mut r = current.cloned().unwrap();
                            r.failures += 1;
                            Update::Put(r)
                        })
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(store.person(&bob()).unwrap().unwrap().failures, 200);
}

/// Threads that each create the record when there is none: one creates,
/// the others see its record.
pub(super) fn racing_creations_create_once(store: &dyn Store) {
    let threads = 8;
    let barrier = Barrier::new(threads);
    let created = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for i in 0..threads as u64 {
            let (barrier, created) = (&barrier, &created);
            s.spawn(move || {
                barrier.wait();
                let mut mine = false;
                let after = store
                    .update_person(&bob(), &mut |current| match current {
                        Some(_) => {
                            mine = false;
                            Update::Keep
                        }
                        None => {
                            mine = true;
                            Update::Put(enrolled(100 + i))
                        }
                    })
                    .unwrap();
                if mine {
                    created.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(after, Some(enrolled(100 + i)));
                }
            });
        }
    });
    assert_eq!(created.load(Ordering::SeqCst), 1);
}

/// The rule a TOTP step rests on: "accept when the step is above the last
/// accepted one, and record it", raced by 12 threads on one step.
pub(super) fn one_step_accepted_once(store: &dyn Store) {
    put(store, &bob(), enrolled(1));
    let threads = 12;
    let barrier = Barrier::new(threads);
    let accepted = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                let mut took = false;
                store
                    .update_person(&bob(), &mut |current| {
                        let mut r = current.cloned().unwrap();
                        took = r.last_step.is_none_or(|last| last < 1000);
                        if !took {
                            return Update::Keep;
                        }
                        r.last_step = Some(1000);
                        Update::Put(r)
                    })
                    .unwrap();
                if took {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
