//! The `Store` on sled: one directory, no server, locked against a second
//! process. These trees (and those of `sled_remember.rs`: `browsers`,
//! `remember`; of `sled_store/seen.rs`: `seen`, read only, and the day
//! files of `sled_store/seen_log.rs` in `seen-days/`; of `sled_outbox.rs`: `outbox`,
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
mod seen_log;

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
    /// Accounts seen per company, as stores before the day files kept
    /// them (`sled_store/seen.rs`); read, no longer written.
    pub(super) seen: Tree,
    /// Accounts seen per company: day files beside sled's
    /// (`sled_store/seen_log.rs`).
    seen_log: seen_log::SeenLog,
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
            seen_log: seen_log::SeenLog::new(path),
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
        Ok(self.db.size_on_disk().map_err(engine)? + self.seen_log.size_on_disk()?)
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
mod tests;
