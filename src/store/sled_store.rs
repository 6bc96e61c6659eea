//! The `Store` on sled: one directory, no server, locked against a second
//! process. These trees (and those of `sled_remember.rs`: `browsers`,
//! `remember`; of `sled_seen.rs`: `seen`; of `sled_outbox.rs`: `outbox`,
//! `contacts`):
//!
//! | tree       | key                                        | value (`records.rs`) |
//! |------------|--------------------------------------------|----------------------|
//! | `persons`  | `PersonKey::as_str` bytes                  | person record        |
//! | `accounts` | account name bytes                         | account link         |
//! | `policies` | company name bytes                         | company policy       |
//! | `audit`    | see below                                  | audit event          |
//!
//! Audit keys end with a big-endian `u64` from `Db::generate_id` (monotonic,
//! also across restarts), so key order is append order:
//! - an event about a person: `person key bytes ++ 0x00 ++ seq`; a reverse
//!   prefix scan gives that person's events newest first. A person key may
//!   itself contain `0x00`, so the scan keeps only keys whose rest after the
//!   prefix is exactly the 8 sequence bytes: another person's keys always
//!   leave more, which keeps persons isolated.
//! - an event about no person (a policy change): `0x01 ++ "company:" ++
//!   company ++ 0x00 ++ seq`. Person keys start with an ASCII digit (the
//!   length prefix of `PersonKey`), so the two ranges never meet.
//!
//! A person is changed only through a compare-and-swap loop, and every write
//! that could weaken security if lost (person, policy) is flushed before the
//! call returns (docs/design.md §6); so are audit events and new account
//! links (support finds a person through them). Writers that flush at the
//! same time share one flush (`group_commit.rs`), and the writes of one
//! request can share one too (`Store::with_one_flush`, `one_flush.rs`).
//!
//! Audit retention (`prune_audit`) walks the whole `audit` tree, since its
//! keys are ordered by person, not time; it runs at start-up and hourly.

mod outbox;
mod remember;
mod seen;

use std::path::Path;
use std::time::{Duration, Instant};

use sled::{Db, Tree};

use super::group_commit::GroupCommit;
use super::layout::{audit_prefix, company_audit_prefix, events_in, person_prefix};
use super::one_flush;
use super::records;

mod dump;
mod walk;
use super::{ExportSink, NotesFn, Queue, Store, StoreError, Update};
use crate::domain::{
    AuditEvent, BrowserId, Delivery, Enforcement, PersonKey, PersonRecord, RememberDays,
    RememberedBrowser, SeenAccount,
};
pub(super) use walk::{Change, Decided};

/// The sled-backed store. `Send + Sync`; share it behind an `Arc`.
pub struct SledStore {
    db: Db,
    pub(super) persons: Tree,
    accounts: Tree,
    policies: Tree,
    audit: Tree,
    /// Remembered browsers and companies' remember settings
    /// (`sled_remember.rs`).
    pub(super) browsers: Tree,
    pub(super) remember: Tree,
    /// Accounts seen per company (`sled_seen.rs`).
    pub(super) seen: Tree,
    /// Notifications waiting to be sent, and the addresses they go to
    /// (`sled_outbox.rs`).
    pub(super) outbox: Tree,
    /// Dead letters: deliveries out of `outbox` after their last attempt.
    pub(super) dead_letters: Tree,
    pub(super) contacts: Tree,
    /// Concurrent writers share flushes (`group_commit.rs`).
    commit: GroupCommit,
    /// Flushes asked of the group commit (tests count them).
    #[cfg(test)]
    flush_asks: std::sync::atomic::AtomicU64,
}

impl SledStore {
    /// Open (create) the store directory. sled locks the directory: a second
    /// process gets a `StoreError::Open` naming the path and saying another
    /// mfa-gate may be running.
    ///
    /// A lock held by a store dropped a moment ago in this process (sled
    /// releases it from a background thread, a few ms after the drop; sled
    /// issue #1234) or by a process that just exited is waited for, up to
    /// `LOCK_WAIT`, before giving up.
    pub fn open(path: &Path) -> Result<SledStore, StoreError> {
        SledStore::open_waiting(path, LOCK_WAIT)
    }

    /// [`SledStore::open`], waiting up to `wait` for the directory lock.
    fn open_waiting(path: &Path, wait: Duration) -> Result<SledStore, StoreError> {
        // sled's page cache defaults to 1 GiB; a request needs the person
        // state only (CachedStore keeps it), so a small page cache keeps the
        // resident size bounded with a million enrolled persons or 100 000
        // accounts seen in a day (8 MiB: 17 MiB less resident than 32 MiB
        // with 100 000 live sessions, BENCHMARKS.md "Memory").
        const PAGE_CACHE_BYTES: u64 = 8 * 1024 * 1024;
        let open_error = |e: sled::Error| StoreError::Open {
            path: path.display().to_string(),
            detail: describe_open_error(&e),
        };
        let give_up_at = Instant::now() + wait;
        let db = loop {
            match sled::Config::new()
                .path(path)
                .cache_capacity(PAGE_CACHE_BYTES)
                .open()
            {
                Ok(db) => break db,
                Err(e) if is_lock_error(&e) && Instant::now() < give_up_at => {
                    std::thread::sleep(LOCK_RETRY_EVERY);
                }
                Err(e) => return Err(open_error(e)),
            }
        };
        Ok(SledStore {
            persons: db.open_tree("persons").map_err(open_error)?,
            accounts: db.open_tree("accounts").map_err(open_error)?,
            policies: db.open_tree("policies").map_err(open_error)?,
            audit: db.open_tree("audit").map_err(open_error)?,
            browsers: db.open_tree("browsers").map_err(open_error)?,
            remember: db.open_tree("remember").map_err(open_error)?,
            seen: db.open_tree("seen").map_err(open_error)?,
            outbox: db.open_tree("outbox").map_err(open_error)?,
            dead_letters: db.open_tree("dead_letters").map_err(open_error)?,
            contacts: db.open_tree("contacts").map_err(open_error)?,
            commit: GroupCommit::default(),
            #[cfg(test)]
            flush_asks: Default::default(),
            db,
        })
    }

    /// Bytes the store occupies on disk (for benchmarks and the support API).
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(engine)
    }

    /// Write many person records at once: one sled batch (applied
    /// atomically) and one flush, for populating a store quickly (the load
    /// benchmark's 1 000 000 persons). Existing records under the same keys
    /// are replaced, without the compare-and-swap of `update_person`: not for
    /// a store a running gateway is using. Returns how many were written.
    pub fn import_persons<'a>(
        &self,
        records: impl IntoIterator<Item = (&'a PersonKey, &'a PersonRecord)>,
    ) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut count = 0;
        for (key, record) in records {
            batch.insert(key.as_str(), records::encode_person(record)?);
            count += 1;
        }
        self.persons.apply_batch(batch).map_err(engine)?;
        self.flush_db()?;
        Ok(count)
    }

    /// This store's identity for `one_flush`'s hold.
    fn address(&self) -> usize {
        self as *const SledStore as usize
    }

    /// How many flushes were asked of the group commit so far.
    #[cfg(test)]
    pub(super) fn flush_asks(&self) -> u64 {
        self.flush_asks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Make every write made before this call durable, sharing the flush
    /// with the writers that ask at the same time (or, inside
    /// `with_one_flush` on this store, leave it to that call's one flush).
    pub(super) fn flush_db(&self) -> Result<(), StoreError> {
        if one_flush::held(self.address()) {
            // `with_one_flush` flushes once when its writes are done.
            return Ok(());
        }
        #[cfg(test)]
        self.flush_asks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.commit
            .flush(|| self.db.flush().map(|_| ()))
            .map_err(StoreError::Engine)
    }
}

/// How long `open` waits for the directory lock before reporting it held.
const LOCK_WAIT: Duration = Duration::from_secs(1);
const LOCK_RETRY_EVERY: Duration = Duration::from_millis(10);

/// sled reports a held lock only as an I/O error whose text says so.
fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Turn a held lock into a sentence an operator can act on.
fn describe_open_error(e: &sled::Error) -> String {
    let text = e.to_string();
    if is_lock_error(e) {
        format!("the directory is locked; another mfa-gate may be running ({text})")
    } else {
        text
    }
}

pub(super) fn engine(e: sled::Error) -> StoreError {
    StoreError::Engine(e.to_string())
}

impl Store for SledStore {
    fn person(&self, key: &PersonKey) -> Result<Option<PersonRecord>, StoreError> {
        self.persons
            .get(key.as_str())
            .map_err(engine)?
            .map(|bytes| records::decode_person(&bytes))
            .transpose()
    }

    fn update_person(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let (after, written) = self.swap_person(key, f)?;
        if written {
            self.flush_db()?;
        }
        Ok(after)
    }

    fn person_keys(
        &self,
        after: Option<&PersonKey>,
        limit: usize,
    ) -> Result<Vec<PersonKey>, StoreError> {
        self.person_keys_after(after, limit)
    }

    fn update_persons(
        &self,
        keys: &[PersonKey],
        f: &mut dyn FnMut(&PersonKey, Option<&PersonRecord>) -> Update,
    ) -> Result<usize, StoreError> {
        self.update_persons_batch(keys, f)
    }

    fn export(&self, sink: &mut ExportSink<'_>) -> Result<(), StoreError> {
        self.export_trees(sink)
    }

    fn person_of_account(&self, account: &str) -> Result<Option<PersonKey>, StoreError> {
        self.accounts
            .get(account)
            .map_err(engine)?
            .map(|bytes| records::decode_account_link(&bytes))
            .transpose()
    }

    fn link_account(&self, account: &str, key: &PersonKey) -> Result<(), StoreError> {
        let bytes = records::encode_account_link(key)?;
        // Support finds a person through this index, so a new link is made
        // durable like any other security write; an unchanged one costs a
        // read only.
        if self.accounts.get(account).map_err(engine)?.as_deref() == Some(bytes.as_slice()) {
            return Ok(());
        }
        self.accounts.insert(account, bytes).map_err(engine)?;
        self.flush_db()
    }

    fn company_policy(&self, company: &str) -> Result<Option<Enforcement>, StoreError> {
        self.policies
            .get(company)
            .map_err(engine)?
            .map(|bytes| records::decode_policy(&bytes))
            .transpose()
    }

    fn set_company_policy(&self, company: &str, policy: Enforcement) -> Result<(), StoreError> {
        let bytes = records::encode_policy(policy)?;
        self.policies.insert(company, bytes).map_err(engine)?;
        self.flush_db()
    }

    fn company_remember(&self, company: &str) -> Result<Option<RememberDays>, StoreError> {
        self.remember_setting(company)
    }

    fn set_company_remember(&self, company: &str, days: RememberDays) -> Result<(), StoreError> {
        self.set_remember_setting(company, days)
    }

    fn remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
    ) -> Result<Option<RememberedBrowser>, StoreError> {
        self.browser(key, id)
    }

    fn remembered_browsers(
        &self,
        key: &PersonKey,
    ) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
        self.browsers_of(key)
    }

    fn remember_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        browser: &RememberedBrowser,
    ) -> Result<(), StoreError> {
        self.put_browser(key, id, browser)
    }

    fn touch_remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        now: i64,
    ) -> Result<(), StoreError> {
        self.touch_browser(key, id, now)
    }

    fn forget_browsers(
        &self,
        key: &PersonKey,
        id: Option<&BrowserId>,
    ) -> Result<usize, StoreError> {
        self.forget(key, id)
    }

    fn note_seen(&self, company: &str, seen: &SeenAccount) -> Result<(), StoreError> {
        self.put_seen(company, seen)
    }

    fn seen_accounts(&self, company: &str, since: i64) -> Result<Vec<SeenAccount>, StoreError> {
        self.seen_of(company, since)
    }

    fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let seq = self.db.generate_id().map_err(engine)?;
        let mut key = audit_prefix(event);
        key.extend_from_slice(&seq.to_be_bytes());
        let bytes = records::encode_audit(event)?;
        self.audit.insert(key, bytes).map_err(engine)?;
        self.flush_db()
    }

    fn audit_for(&self, key: &PersonKey, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let prefix = person_prefix(key);
        let newest_first = self.audit.scan_prefix(&prefix).rev();
        events_in(&prefix, newest_first.map(|e| e.map_err(engine)), limit)
    }

    fn audit_of_company(&self, company: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let prefix = company_audit_prefix(company);
        let newest_first = self.audit.scan_prefix(&prefix).rev();
        events_in(&prefix, newest_first.map(|e| e.map_err(engine)), limit)
    }

    fn prune_audit(&self, before: i64) -> Result<usize, StoreError> {
        // Keys are ordered by person, not by time, so this reads the whole
        // tree; it runs at start-up and hourly, not on a request.
        let mut pruned = 0;
        for entry in self.audit.iter() {
            let (entry_key, bytes) = entry.map_err(engine)?;
            let Ok(event) = records::decode_audit(&bytes) else {
                continue;
            };
            if event.at < before {
                // Removed only if unchanged since read (audit keys are never
                // rewritten, so this is belt and braces).
                let removed = self
                    .audit
                    .compare_and_swap(&entry_key, Some(bytes), None::<&[u8]>)
                    .map_err(engine)?;
                if removed.is_ok() {
                    pruned += 1;
                }
            }
        }
        if pruned > 0 {
            self.flush_db()?;
        }
        Ok(pruned)
    }

    fn update_person_noting(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
        notes: &mut NotesFn<'_>,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let (after, written) = self.swap_noting(key, f, notes)?;
        if written {
            self.flush_db()?;
        }
        Ok(after)
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        self.db.generate_id().map_err(engine)
    }

    fn enqueue(&self, entries: &[(u64, Delivery)]) -> Result<(), StoreError> {
        self.put_deliveries(entries)
    }

    fn outbox(
        &self,
        queue: Queue,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Delivery)>, StoreError> {
        self.deliveries(queue, after, limit)
    }

    fn outbox_count(&self, queue: Queue) -> Result<usize, StoreError> {
        Ok(self.queue(queue).len())
    }

    fn remove_delivery(&self, id: u64) -> Result<(), StoreError> {
        self.drop_delivery(id)
    }

    fn bury(&self, id: u64, delivery: &Delivery) -> Result<(), StoreError> {
        self.move_deliveries(Queue::Pending, &[(id, delivery.clone())])
    }

    fn revive(&self, entries: &[(u64, Delivery)]) -> Result<(), StoreError> {
        self.move_deliveries(Queue::Dead, entries)
    }

    fn note_contact(
        &self,
        key: &PersonKey,
        account: &str,
        email: &str,
        lang: &str,
    ) -> Result<(), StoreError> {
        self.put_contact(key, account, email, lang)
    }

    fn contacts(&self, key: &PersonKey) -> Result<Vec<(String, String, String)>, StoreError> {
        self.contacts_of(key)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.flush_db()
    }

    fn with_one_flush(&self, writes: &mut dyn FnMut()) -> Result<(), StoreError> {
        let hold = one_flush::Hold::new(self.address());
        writes();
        let waiting = hold.take_waiting();
        drop(hold);
        // Nested in another call on this store: still held, so this
        // flush is that call's.
        let flushed = self.flush_db();
        if flushed.is_ok() {
            waiting.into_iter().for_each(|f| f());
        }
        flushed
    }
}

#[cfg(test)]
mod tests {
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
}
