//! An in-process read cache in front of a `Store` for the facts every app
//! request needs: the person's state (enrolled with which enrollment,
//! locked?), a company's stored policy and its remembered-browser setting. Without it a verified request
//! would read and decode the person's record from the engine every time.
//!
//! Correctness rests on this process being the only writer (sled locks its
//! directory to one process): every write goes through `CachedStore`. Each
//! shard counts the person writes that finished in it (its generation). A
//! fill (a miss read from the engine) is kept only if no write finished in
//! the shard while it read, and a write keeps its own result only if no
//! other write finished in the shard meanwhile, else it drops the entry: so
//! the cache never holds a state older than the engine's. Hits take no
//! mutex, and no lock is held while a write waits for the disk, so
//! concurrent writes share flushes (`off_worker`).
//!
//! On a store other replicas write too (PostgreSQL), their writes arrive as
//! invalidations (`invalidate_person`, `invalidate_company`, from the
//! store's LISTEN connection, `postgres_store/listen.rs`): an invalidation
//! drops the entry and counts as a write of the shard, so a fill that read
//! before it is not kept. While the invalidations cannot arrive (the
//! LISTEN connection is down) the cache is off (`set_live(false)`): every
//! read goes to the engine, and nothing stale is served silently.

use super::off_worker::off_worker;
use super::{ExportSink, NotesFn, Queue, Store, StoreError, Update};
use crate::domain::{
    AuditEvent, BrowserId, Delivery, Enforcement, PersonKey, PersonRecord, RememberDays,
    RememberedBrowser, SeenAccount,
};
use states::States;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

mod states;

/// What a request needs to know about a person.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PersonState {
    /// The id a gateway cookie must name (`PersonRecord::second_step_id`):
    /// `None` when the person has no second step.
    pub enrollment_id: Option<u64>,
    /// A passkey or security key is among the person's second steps.
    pub passkey: bool,
    pub locked: bool,
    /// The trust epoch a gateway cookie must name
    /// (`PersonRecord::trust_epoch`).
    pub trust_epoch: u32,
}

impl PersonState {
    pub fn of(record: Option<&PersonRecord>) -> PersonState {
        record
            .map(|r| PersonState {
                enrollment_id: r.second_step_id(),
                passkey: r.has_passkey(),
                locked: r.is_locked(),
                trust_epoch: r.trust_epoch,
            })
            .unwrap_or_default()
    }
}

const SHARDS: usize = 16;
/// A person in the cache (see `CachedStore::slot`): 128 bits as two
/// words, since a `u128` is aligned to 16 bytes, which pads every entry
/// (48 bytes instead of 40 with its `PersonState`).
type Slot = [u64; 2];
/// Most persons kept per shard; past it the shard is emptied (a cold miss
/// costs one engine read). Small in unit tests, so that they fill a shard.
const PERSONS_PER_SHARD: usize = if cfg!(test) { 64 } else { 1 << 16 };
const MAX_COMPANIES: usize = 10_000;

struct Shard {
    /// By `Slot`: 16 bytes a person instead of a copy of its key.
    states: RwLock<States>,
    /// Person writes finished in this shard; changed only with `states`
    /// write-locked.
    generation: AtomicU64,
}

impl Shard {
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keep `state` read from the engine if no write finished in the shard
    /// since `before` (else a newer state may be in the engine).
    fn fill(&self, key: Slot, state: PersonState, before: u64) {
        let mut states = write(&self.states);
        if self.generation() == before {
            remember(&mut states, key, state);
        }
    }

    /// After a person write that began at generation `before`: keep its
    /// result if no other write finished meanwhile (else the engine's order
    /// of the two is unknown here: drop the entry), and count the write.
    fn written(&self, key: Slot, result: Option<PersonState>, before: u64) {
        let mut states = write(&self.states);
        match result {
            Some(state) if self.generation() == before => remember(&mut states, key, state),
            _ => {
                states.remove(&key);
            }
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// A company's cached setting, by company name. Hashed with foldhash
/// (randomly seeded per map): the names come from the app's identities,
/// not from the client, and SipHash was a fifth of a verified request's
/// hashing.
type ByCompany<V> = HashMap<String, V, foldhash::fast::RandomState>;

pub struct CachedStore {
    inner: Arc<dyn Store>,
    shards: Vec<Shard>,
    /// A person's `Slot` (`keys::SlotKey`, a randomly keyed SipHash).
    slot_key: crate::keys::SlotKey,
    policies: RwLock<ByCompany<Option<Enforcement>>>,
    /// Also serializes fills and writes of `remember`.
    policies_writing: Mutex<()>,
    remember: RwLock<ByCompany<Option<RememberDays>>>,
    /// Whether entries may be served and kept (see the module doc).
    live: AtomicBool,
    /// On PostgreSQL, the listener's lease: entries are served only while
    /// it holds (`postgres_store/lease.rs`).
    lease: std::sync::OnceLock<Arc<super::postgres_store::Lease>>,
}

impl CachedStore {
    pub fn new(inner: Arc<dyn Store>) -> CachedStore {
        CachedStore {
            inner,
            shards: (0..SHARDS)
                .map(|_| Shard {
                    states: RwLock::new(States::default()),
                    generation: AtomicU64::new(0),
                })
                .collect(),
            slot_key: crate::keys::SlotKey::random(),
            policies: RwLock::new(ByCompany::default()),
            policies_writing: Mutex::new(()),
            remember: RwLock::new(ByCompany::default()),
            live: AtomicBool::new(true),
            lease: std::sync::OnceLock::new(),
        }
    }

    /// Another writer changed this person: forget its state.
    pub fn invalidate_person(&self, key: &PersonKey) {
        let (shard, slot) = self.slot(key);
        shard.written(slot, None, shard.generation());
    }

    /// Another writer changed this company's settings: forget them (after
    /// any fill in progress, which may have read the old value).
    pub fn invalidate_company(&self, company: &str) {
        let _fill = lock(&self.policies_writing);
        write(&self.policies).remove(company);
        write(&self.remember).remove(company);
    }

    /// Forget everything (missed invalidations), and serve from memory
    /// again (`live`) or read every time from the engine until told.
    pub fn resync(&self, live: bool) {
        if !live {
            self.live.store(false, Ordering::SeqCst);
        }
        for shard in &self.shards {
            let mut states = write(&shard.states);
            states.clear();
            shard.generation.fetch_add(1, Ordering::SeqCst);
        }
        {
            let _fill = lock(&self.policies_writing);
            write(&self.policies).clear();
            write(&self.remember).clear();
        }
        if live {
            self.live.store(true, Ordering::SeqCst);
        }
    }

    /// Whether entries are served from memory (the invalidations reach
    /// this cache) or every read goes to the engine.
    pub(super) fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst) && self.lease.get().is_none_or(|l| l.holds())
    }

    /// Serve entries only while `lease` holds (a replica's listener).
    pub(super) fn follow(&self, lease: Arc<super::postgres_store::Lease>) {
        let _ = self.lease.set(lease);
    }

    /// A person's place in the cache: its key hashed under two random keys
    /// of this process (a collision among even 10^9 persons has odds near
    /// 10^-20), and the shard it falls in.
    fn slot(&self, key: &PersonKey) -> (&Shard, Slot) {
        let [high, low] = self.slot_key.slot(key.as_str().as_bytes());
        (&self.shards[(low as usize) % SHARDS], [high, low])
    }

    /// One write of a person's record through to the engine (off the
    /// runtime's worker, no lock held while it waits for the disk), then
    /// its result into the cache. After a failed write the engine's state
    /// is unknown: the entry is dropped and read again next time.
    fn person_write(
        &self,
        key: &PersonKey,
        write: impl FnOnce() -> Result<Option<PersonRecord>, StoreError>,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let (shard, slot) = self.slot(key);
        let before = shard.generation();
        let result = off_worker(write);
        let state = result.as_ref().ok().map(|r| PersonState::of(r.as_ref()));
        shard.written(slot, state, before);
        result
    }
}

/// Lock poisoning only means another thread panicked mid-update of a plain
/// map; the map itself is still a valid cache.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// One per-company setting from memory, else from the engine (`load`),
/// filled by one caller at a time (`fill`) and remembered; the map is
/// emptied when it reaches `MAX_COMPANIES`.
fn read_through<T: Copy>(
    map: &RwLock<ByCompany<Option<T>>>,
    fill: &Mutex<()>,
    company: &str,
    load: impl FnOnce() -> Result<Option<T>, StoreError>,
) -> Result<Option<T>, StoreError> {
    if let Some(v) = read(map).get(company) {
        return Ok(*v);
    }
    let _fill = lock(fill);
    if let Some(v) = read(map).get(company) {
        return Ok(*v);
    }
    let value = load()?;
    let mut values = write(map);
    if values.len() >= MAX_COMPANIES {
        values.clear();
    }
    values.insert(company.to_owned(), value);
    Ok(value)
}

/// Write one per-company setting through to the engine (`store`), then
/// remember it; after a failed write, forget it (the next read asks the
/// engine).
fn write_through<T: Copy>(
    map: &RwLock<ByCompany<Option<T>>>,
    fill: &Mutex<()>,
    company: &str,
    value: T,
    store: impl FnOnce() -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let _write = lock(fill);
    let result = store();
    let mut values = write(map);
    match &result {
        Ok(()) => values.insert(company.to_owned(), Some(value)),
        Err(_) => values.remove(company),
    };
    result
}

fn remember(states: &mut States, key: Slot, state: PersonState) {
    if states.len() >= PERSONS_PER_SHARD && !states.contains(&key) {
        states.clear();
    }
    states.insert(key, state);
}

impl Store for CachedStore {
    fn person_state(&self, key: &PersonKey) -> Result<PersonState, StoreError> {
        if !self.is_live() {
            return Ok(PersonState::of(self.inner.person(key)?.as_ref()));
        }
        let (shard, slot) = self.slot(key);
        if let Some(state) = read(&shard.states).get(&slot) {
            return Ok(state);
        }
        let before = shard.generation();
        let state = PersonState::of(self.inner.person(key)?.as_ref());
        shard.fill(slot, state, before);
        Ok(state)
    }

    fn person(&self, key: &PersonKey) -> Result<Option<PersonRecord>, StoreError> {
        self.inner.person(key)
    }

    fn persons(&self, keys: &[PersonKey]) -> Result<Vec<super::PersonRead>, StoreError> {
        self.inner.persons(keys)
    }

    fn update_person(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    ) -> Result<Option<PersonRecord>, StoreError> {
        self.person_write(key, || self.inner.update_person(key, f))
    }

    fn update_person_noting(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
        notes: &mut NotesFn<'_>,
    ) -> Result<Option<PersonRecord>, StoreError> {
        self.person_write(key, || self.inner.update_person_noting(key, f, notes))
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        self.inner.next_id()
    }

    fn with_one_flush(&self, writes: &mut dyn FnMut()) -> Result<(), StoreError> {
        // The writes come through this cache (its own write paths keep it
        // right); the engine below holds their flushes back. One
        // off-worker region for all of them and their flush.
        off_worker(|| self.inner.with_one_flush(writes))
    }

    fn enqueue(&self, entries: &[(u64, Delivery)]) -> Result<(), StoreError> {
        off_worker(|| self.inner.enqueue(entries))
    }

    fn outbox(
        &self,
        queue: Queue,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Delivery)>, StoreError> {
        self.inner.outbox(queue, after, limit)
    }

    fn outbox_count(&self, queue: Queue) -> Result<usize, StoreError> {
        self.inner.outbox_count(queue)
    }

    fn bury(&self, id: u64, delivery: &Delivery) -> Result<(), StoreError> {
        off_worker(|| self.inner.bury(id, delivery))
    }

    fn revive(&self, entries: &[(u64, Delivery)]) -> Result<(), StoreError> {
        off_worker(|| self.inner.revive(entries))
    }

    fn remove_delivery(&self, id: u64) -> Result<(), StoreError> {
        off_worker(|| self.inner.remove_delivery(id))
    }

    fn note_contact(
        &self,
        key: &PersonKey,
        account: &str,
        email: &str,
        lang: &str,
    ) -> Result<(), StoreError> {
        off_worker(|| self.inner.note_contact(key, account, email, lang))
    }

    fn contacts(&self, key: &PersonKey) -> Result<Vec<(String, String, String)>, StoreError> {
        self.inner.contacts(key)
    }

    fn person_keys(
        &self,
        after: Option<&PersonKey>,
        limit: usize,
    ) -> Result<Vec<PersonKey>, StoreError> {
        self.inner.person_keys(after, limit)
    }

    /// Forwarded: `f` leaves the cached state as it is (the trait's
    /// contract), and each record is still a compare-and-swap, so a write
    /// through `update_person` racing with it is never lost.
    fn update_persons(
        &self,
        keys: &[PersonKey],
        f: &mut dyn FnMut(&PersonKey, Option<&PersonRecord>) -> Update,
    ) -> Result<usize, StoreError> {
        off_worker(|| self.inner.update_persons(keys, f))
    }

    fn export(&self, sink: &mut ExportSink<'_>) -> Result<(), StoreError> {
        self.inner.export(sink)
    }

    fn person_of_account(&self, account: &str) -> Result<Option<PersonKey>, StoreError> {
        self.inner.person_of_account(account)
    }

    fn link_account(&self, account: &str, key: &PersonKey) -> Result<(), StoreError> {
        off_worker(|| self.inner.link_account(account, key))
    }

    fn company_policy(&self, company: &str) -> Result<Option<Enforcement>, StoreError> {
        if !self.is_live() {
            return self.inner.company_policy(company);
        }
        let fill = &self.policies_writing;
        read_through(&self.policies, fill, company, || {
            self.inner.company_policy(company)
        })
    }

    fn set_company_policy(&self, company: &str, policy: Enforcement) -> Result<(), StoreError> {
        let fill = &self.policies_writing;
        write_through(&self.policies, fill, company, policy, || {
            off_worker(|| self.inner.set_company_policy(company, policy))
        })
    }

    fn company_remember(&self, company: &str) -> Result<Option<RememberDays>, StoreError> {
        if !self.is_live() {
            return self.inner.company_remember(company);
        }
        let fill = &self.policies_writing;
        read_through(&self.remember, fill, company, || {
            self.inner.company_remember(company)
        })
    }

    fn set_company_remember(&self, company: &str, days: RememberDays) -> Result<(), StoreError> {
        let fill = &self.policies_writing;
        write_through(&self.remember, fill, company, days, || {
            off_worker(|| self.inner.set_company_remember(company, days))
        })
    }

    fn remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
    ) -> Result<Option<RememberedBrowser>, StoreError> {
        self.inner.remembered_browser(key, id)
    }

    fn remembered_browsers(
        &self,
        key: &PersonKey,
    ) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
        self.inner.remembered_browsers(key)
    }

    fn remember_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        browser: &RememberedBrowser,
    ) -> Result<(), StoreError> {
        off_worker(|| self.inner.remember_browser(key, id, browser))
    }

    fn touch_remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        now: i64,
    ) -> Result<(), StoreError> {
        off_worker(|| self.inner.touch_remembered_browser(key, id, now))
    }

    fn forget_browsers(
        &self,
        key: &PersonKey,
        id: Option<&BrowserId>,
    ) -> Result<usize, StoreError> {
        off_worker(|| self.inner.forget_browsers(key, id))
    }

    fn note_seen(&self, company: &str, seen: &SeenAccount) -> Result<(), StoreError> {
        self.inner.note_seen(company, seen)
    }

    fn seen_accounts(&self, company: &str, since: i64) -> Result<Vec<SeenAccount>, StoreError> {
        self.inner.seen_accounts(company, since)
    }

    fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        off_worker(|| self.inner.append_audit(event))
    }

    fn audit_for(&self, key: &PersonKey, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        self.inner.audit_for(key, limit)
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping()
    }

    fn audit_of_company(&self, company: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        self.inner.audit_of_company(company, limit)
    }

    fn prune_audit(&self, before: i64) -> Result<usize, StoreError> {
        off_worker(|| self.inner.prune_audit(before))
    }

    fn flush(&self) -> Result<(), StoreError> {
        off_worker(|| self.inner.flush())
    }
}

#[cfg(test)]
mod forwarding_tests;

#[cfg(test)]
mod tests;
