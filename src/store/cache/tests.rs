//! Unit tests of `store::cache`.

use super::*;
use crate::domain::Enrollment;
use crate::store::SledStore;

pub(super) fn enrolled(id: u64) -> PersonRecord {
    PersonRecord {
        enrollment: Some(Enrollment {
            id,
            sealed_secret: vec![1, 2, 3],
            enrolled_at: 1,
            enrolled_by: "a".into(),
        }),
        ..PersonRecord::default()
    }
}

pub(super) fn open() -> (tempfile::TempDir, Arc<dyn Store>, CachedStore) {
    let dir = tempfile::tempdir().unwrap();
    let inner: Arc<dyn Store> = Arc::new(SledStore::open(&dir.path().join("s")).unwrap());
    let cached = CachedStore::new(inner.clone());
    (dir, inner, cached)
}

fn shard() -> Shard {
    Shard {
        states: RwLock::new(States::default()),
        generation: AtomicU64::new(0),
    }
}

fn locked() -> PersonState {
    PersonState {
        enrollment_id: Some(1),
        passkey: false,
        locked: true,
        trust_epoch: 1,
    }
}

/// A miss that read the engine before a write finished must not put
/// its (older) state back after the write.
#[test]
fn a_fill_that_raced_a_write_is_dropped() {
    let s = shard();
    let key: Slot = [0, 1];
    let read_at = s.generation();
    s.written(key, Some(locked()), s.generation());
    s.fill(key, PersonState::default(), read_at);
    assert_eq!(read(&s.states).get(&key), Some(locked()));
    // Without a write in between, the fill is kept.
    let other: Slot = [0, 2];
    s.fill(other, locked(), s.generation());
    assert_eq!(read(&s.states).get(&other), Some(locked()));
}

/// Of two overlapping writes the one finishing second cannot know the
/// engine's order: it drops the entry instead of keeping its result.
#[test]
fn overlapping_writes_leave_no_entry_and_a_failed_write_none_either() {
    let s = shard();
    let key: Slot = [0, 1];
    let (first, second) = (s.generation(), s.generation());
    s.written(key, Some(locked()), first);
    assert_eq!(read(&s.states).get(&key), Some(locked()));
    s.written(key, Some(PersonState::default()), second);
    assert_eq!(read(&s.states).get(&key), None);
    s.fill(key, locked(), s.generation());
    s.written(key, None, s.generation());
    assert_eq!(read(&s.states).get(&key), None);
    assert_eq!(s.generation(), 3);
}

/// Every person read stays cached (up to `PERSONS_PER_SHARD` a shard):
/// 300 persons read are 300 entries (16 shards of 64 hold them).
#[test]
fn persons_read_stay_cached() {
    let (_dir, _inner, store) = open();
    let keys: Vec<_> = (0..300)
        .map(|i| PersonKey::new("acme", &format!("p{i}")))
        .collect();
    for key in &keys {
        assert_eq!(store.person_state(key).unwrap(), PersonState::default());
    }
    let cached: usize = store.shards.iter().map(|s| read(&s.states).len()).sum();
    assert_eq!(cached, 300);
}

/// Two persons never share an entry, and two companies' policies are
/// both kept (a second company's fill does not evict the first).
#[test]
fn persons_and_companies_are_kept_apart() {
    let (_dir, inner, store) = open();
    let (alice, bob) = (
        PersonKey::new("acme", "alice"),
        PersonKey::new("acme", "bob"),
    );
    store
        .update_person(&alice, &mut |_| Update::Put(enrolled(1)))
        .unwrap();
    assert_eq!(store.person_state(&bob).unwrap(), PersonState::default());
    assert_eq!(store.person_state(&alice).unwrap().enrollment_id, Some(1));
    assert_eq!(store.company_policy("a").unwrap(), None);
    assert_eq!(store.company_policy("b").unwrap(), None);
    // Changed behind the cache's back: the cache still answers both.
    inner
        .set_company_policy("a", Enforcement::Required)
        .unwrap();
    inner
        .set_company_policy("b", Enforcement::Required)
        .unwrap();
    assert_eq!(store.company_policy("a").unwrap(), None);
    assert_eq!(store.company_policy("b").unwrap(), None);
}

/// A full shard is emptied before a new person goes in; a person
/// already cached is updated in place.
#[test]
fn a_full_shard_is_emptied_for_a_new_person_only() {
    let mut states = States::default();
    for slot in 0..PERSONS_PER_SHARD as u64 {
        remember(&mut states, [0, slot], PersonState::default());
    }
    assert_eq!(states.len(), PERSONS_PER_SHARD);
    remember(&mut states, [0, 0], locked());
    assert_eq!(states.len(), PERSONS_PER_SHARD);
    assert_eq!(states.get(&[0, 0]), Some(locked()));
    remember(&mut states, [0, 1_000], locked());
    assert_eq!(states.len(), 1);
}

#[test]
fn writes_through_the_cache_are_seen_at_once() {
    let (_dir, _inner, store) = open();
    let key = PersonKey::new("acme", "p");
    assert_eq!(store.person_state(&key).unwrap(), PersonState::default());
    store
        .update_person(&key, &mut |_| Update::Put(enrolled(7)))
        .unwrap();
    assert_eq!(store.person_state(&key).unwrap().enrollment_id, Some(7));
    store
        .update_person(&key, &mut |r| {
            let mut r = r.cloned().unwrap();
            r.locked_at = Some(5);
            Update::Put(r)
        })
        .unwrap();
    assert!(store.person_state(&key).unwrap().locked);
    store.update_person(&key, &mut |_| Update::Delete).unwrap();
    assert_eq!(store.person_state(&key).unwrap(), PersonState::default());
}

#[test]
fn policies_are_cached_and_written_through() {
    let (_dir, inner, store) = open();
    assert_eq!(store.company_policy("acme").unwrap(), None);
    store
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    assert_eq!(
        store.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
    assert_eq!(
        inner.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
}

#[test]
fn racing_fills_and_writes_end_with_the_written_state() {
    let (_dir, _inner, store) = open();
    let store = Arc::new(store);
    let key = PersonKey::new("acme", "race");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            let key = key.clone();
            std::thread::spawn(move || {
                for i in 0..200u64 {
                    if t % 2 == 0 {
                        store
                            .update_person(&key, &mut |_| Update::Put(enrolled(i)))
                            .unwrap();
                    } else {
                        store.person_state(&key).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stored = store.person(&key).unwrap();
    assert_eq!(
        store.person_state(&key).unwrap(),
        PersonState::of(stored.as_ref())
    );
}
