//! `Store::with_one_flush` on sled, directly and through `CachedStore`:
//! the writes inside share one flush, which comes after all of them; the
//! hold is this thread's only, ends with the call (even by panic), and a
//! nested call leaves the flush to the outer one; what waits for the
//! flush (`after_flush`) runs after it, never before, and not at all
//! after a panic.

use crate::domain::{AuditEvent, AuditKind, Enforcement, PersonKey, PersonRecord};
use crate::store::{CachedStore, SledStore, Store, Update};
use std::sync::Arc;

fn bob() -> PersonKey {
    PersonKey::new("acme", "bob")
}

fn event(detail: &str) -> AuditEvent {
    AuditEvent {
        at: 1_700_000_000,
        kind: AuditKind::ChallengePassed,
        person: Some(bob()),
        company: "acme".into(),
        actor: "bob".into(),
        detail: detail.into(),
    }
}

/// What a challenge writes: the record, the account's link, an event.
fn challenge_writes(store: &dyn Store, n: u32) {
    let failures = |_: Option<&PersonRecord>| {
        Update::Put(PersonRecord {
            failures: n,
            ..PersonRecord::default()
        })
    };
    store.update_person(&bob(), &mut { failures }).unwrap();
    store.link_account(&format!("bob-{n}"), &bob()).unwrap();
    store.append_audit(&event(&format!("try {n}"))).unwrap();
}

fn open() -> (tempfile::TempDir, Arc<SledStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    (dir, store)
}

#[test]
fn the_writes_inside_share_one_flush() {
    let (_dir, sled) = open();
    challenge_writes(sled.as_ref(), 1);
    assert_eq!(sled.flush_asks(), 3, "one flush per write outside");
    sled.with_one_flush(&mut || challenge_writes(sled.as_ref(), 2))
        .unwrap();
    assert_eq!(sled.flush_asks(), 4, "one flush for the three inside");
    assert_eq!(sled.person(&bob()).unwrap().unwrap().failures, 2);
    assert_eq!(sled.person_of_account("bob-2").unwrap(), Some(bob()));
    assert_eq!(sled.audit_for(&bob(), 1).unwrap()[0].detail, "try 2".into());
}

#[test]
fn through_the_cache_too() {
    let (_dir, sled) = open();
    let cached = CachedStore::new(sled.clone());
    assert!(!cached.person_state(&bob()).unwrap().locked);
    cached
        .with_one_flush(&mut || {
            challenge_writes(&cached, 1);
            let lock = |_: Option<&PersonRecord>| {
                Update::Put(PersonRecord {
                    locked_at: Some(1_700_000_000),
                    ..PersonRecord::default()
                })
            };
            cached.update_person(&bob(), &mut { lock }).unwrap();
        })
        .unwrap();
    assert_eq!(sled.flush_asks(), 1);
    // The cache saw the write made inside.
    assert!(cached.person_state(&bob()).unwrap().locked);
    cached
        .with_one_flush(&mut || {
            cached
                .set_company_policy("acme", Enforcement::Required)
                .unwrap()
        })
        .unwrap();
    assert_eq!(sled.flush_asks(), 2);
    assert_eq!(
        cached.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
}

#[test]
fn a_nested_call_leaves_the_flush_to_the_outer_one() {
    let (_dir, sled) = open();
    sled.with_one_flush(&mut || {
        sled.with_one_flush(&mut || challenge_writes(sled.as_ref(), 1))
            .unwrap();
        assert_eq!(sled.flush_asks(), 0, "the inner call did not flush");
        challenge_writes(sled.as_ref(), 2);
    })
    .unwrap();
    assert_eq!(sled.flush_asks(), 1);
}

#[test]
fn the_hold_ends_with_the_call_even_by_panic() {
    let (_dir, sled) = open();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = sled.with_one_flush(&mut || {
            challenge_writes(sled.as_ref(), 1);
            panic!("a write went wrong");
        });
    }));
    assert!(panicked.is_err());
    // Writes after it flush again, each its own.
    challenge_writes(sled.as_ref(), 2);
    assert_eq!(sled.flush_asks(), 3);
}

#[test]
fn another_threads_writes_are_not_held() {
    let (_dir, sled) = open();
    sled.with_one_flush(&mut || {
        std::thread::scope(|s| {
            s.spawn(|| challenge_writes(sled.as_ref(), 1));
        });
        assert_eq!(sled.flush_asks(), 3, "the other thread flushed its own");
    })
    .unwrap();
    assert_eq!(sled.flush_asks(), 4);
}

#[test]
fn another_stores_writes_are_not_held() {
    let (_dir, sled) = open();
    let (_other_dir, other) = open();
    sled.with_one_flush(&mut || challenge_writes(other.as_ref(), 1))
        .unwrap();
    assert_eq!(other.flush_asks(), 3);
    assert_eq!(sled.flush_asks(), 1);
}

static WOKEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn wake() {
    WOKEN.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

fn woken() -> usize {
    WOKEN.load(std::sync::atomic::Ordering::SeqCst)
}

/// One test for every `after_flush` case: `WOKEN` is shared.
#[test]
fn what_waits_for_the_flush_runs_after_it_and_only_then() {
    let (_dir, sled) = open();
    super::after_flush(wake);
    assert_eq!(woken(), 1, "no hold: at once");
    sled.with_one_flush(&mut || {
        challenge_writes(sled.as_ref(), 1);
        super::after_flush(wake);
        assert_eq!(woken(), 1, "not before the flush");
        sled.with_one_flush(&mut || super::after_flush(wake))
            .unwrap();
        assert_eq!(woken(), 1, "not after an inner call");
    })
    .unwrap();
    assert_eq!(woken(), 3, "both after the one flush");
    // Writes that panic: what waited is dropped with them, for good.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = sled.with_one_flush(&mut || {
            super::after_flush(wake);
            panic!("a write went wrong");
        });
    }));
    sled.with_one_flush(&mut || challenge_writes(sled.as_ref(), 2))
        .unwrap();
    assert_eq!(woken(), 3);
    // Through the cache too.
    let cached = CachedStore::new(sled.clone());
    cached
        .with_one_flush(&mut || {
            super::after_flush(wake);
            assert_eq!(woken(), 3);
        })
        .unwrap();
    assert_eq!(woken(), 4);
}
