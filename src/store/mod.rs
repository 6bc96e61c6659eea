//! Storage behind one narrow trait. Callers express a change of a person as
//! a pure function of the current record; the store runs it atomically
//! (compare-and-swap), so "check, then record" can never race. Only this
//! module knows the engine (`sled`), and records on disk are versioned
//! (`records.rs`) so the format can evolve.

mod cache;
#[cfg(test)]
mod contract_tests;
pub mod copy;
mod group_commit;
mod layout;
mod off_worker;
mod one_flush;
pub use one_flush::after_flush;
mod postgres_store;
mod records;
#[cfg(test)]
mod replica_cache_tests;
mod sled_store;

pub use cache::{CachedStore, PersonState};
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub use postgres_store::{DatabaseTls, PostgresOptions, PostgresStore, postgres_url};
pub use sled_store::SledStore;

use crate::domain::{
    AuditEvent, BrowserId, Delivery, Enforcement, PersonKey, PersonRecord, RememberDays,
    RememberedBrowser, SeenAccount,
};

/// Receives each exported entry: tree name, key bytes, value bytes.
pub type ExportSink<'a> = dyn FnMut(&str, &[u8], &[u8]) -> Result<(), StoreError> + 'a;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store engine error: {0}")]
    Engine(String),
    #[error("stored record is unreadable ({what}): {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("cannot open the store at {path}: {detail}")]
    Open { path: String, detail: String },
}

/// Makes the outbox entries (id, delivery) of a change of a person's
/// record, from the record before and after it.
pub type NotesFn<'a> =
    dyn FnMut(Option<&PersonRecord>, Option<&PersonRecord>) -> Vec<(u64, Delivery)> + 'a;

/// One record of `Store::persons`: read (and present or not), or not
/// readable.
pub type PersonRead = Result<Option<PersonRecord>, StoreError>;

/// The two queues of the outbox: deliveries waiting (or waiting for a
/// retry), and dead letters, which left the queue after their last attempt
/// so that no number of them can hold back a new delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    Pending,
    Dead,
}

impl Queue {
    /// The tree (or PostgreSQL `tree`) that holds it.
    pub fn tree(self) -> &'static str {
        match self {
            Queue::Pending => "outbox",
            Queue::Dead => "dead_letters",
        }
    }
}

/// What an update function wants done with the person's record. Lives only
/// for one call, so its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Update {
    /// Leave the record as it is (the outcome needs no write).
    Keep,
    /// Replace (or create) the record.
    Put(PersonRecord),
    /// Remove the record.
    Delete,
}

pub trait Store: Send + Sync {
    /// What a request needs of the person: enrolled (which enrollment) and
    /// locked. `CachedStore` answers it from memory.
    fn person_state(&self, key: &PersonKey) -> Result<PersonState, StoreError> {
        Ok(PersonState::of(self.person(key)?.as_ref()))
    }

    /// The person's record, if any.
    fn person(&self, key: &PersonKey) -> Result<Option<PersonRecord>, StoreError>;

    /// The records of `keys`, in their order: for walks over every person
    /// (the key check at start-up), one round trip a batch where the
    /// engine is remote. A record that does not decode is an `Err` in its
    /// place; the others still come.
    fn persons(&self, keys: &[PersonKey]) -> Result<Vec<PersonRead>, StoreError> {
        Ok(keys.iter().map(|key| self.person(key)).collect())
    }

    /// Atomically apply `f` to the person's current record. `f` may run more
    /// than once when another writer races; only the last run's decision is
    /// stored. A write is durable (flushed) before this returns. Returns the
    /// record as stored afterwards.
    fn update_person(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    ) -> Result<Option<PersonRecord>, StoreError>;

    /// Up to `limit` person keys after `after` (all when `None`), in key
    /// order: a walk over every person, one batch at a time (key rotation).
    fn person_keys(
        &self,
        after: Option<&PersonKey>,
        limit: usize,
    ) -> Result<Vec<PersonKey>, StoreError>;

    /// `update_person` for each of `keys` (compare-and-swap per record, `f`
    /// told whose record it sees), made durable once at the end rather than
    /// once per record: for walks over many persons. Returns how many
    /// records were written. `f` must leave `PersonState` (enrollment id,
    /// lock) as it is: a cache in front may forward this call unchanged.
    fn update_persons(
        &self,
        keys: &[PersonKey],
        f: &mut dyn FnMut(&PersonKey, Option<&PersonRecord>) -> Update,
    ) -> Result<usize, StoreError>;

    /// The person key an account was last seen with (for support look-ups).
    fn person_of_account(&self, account: &str) -> Result<Option<PersonKey>, StoreError>;

    /// Remember which person an account belongs to.
    fn link_account(&self, account: &str, key: &PersonKey) -> Result<(), StoreError>;

    /// The policy stored for a company (set on the admin page), if any.
    fn company_policy(&self, company: &str) -> Result<Option<Enforcement>, StoreError>;

    /// Store a company's policy; durable before return.
    fn set_company_policy(&self, company: &str, policy: Enforcement) -> Result<(), StoreError>;

    /// A company's remembered-browser setting (set on the admin page), if
    /// any.
    fn company_remember(&self, company: &str) -> Result<Option<RememberDays>, StoreError>;

    /// Store a company's remembered-browser setting; durable before return.
    fn set_company_remember(&self, company: &str, days: RememberDays) -> Result<(), StoreError>;

    /// The remembered browser `id` of the person `key`, if any. A browser
    /// is only ever found under the person it was remembered for.
    fn remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
    ) -> Result<Option<RememberedBrowser>, StoreError>;

    /// Every remembered browser of the person, oldest first.
    fn remembered_browsers(
        &self,
        key: &PersonKey,
    ) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError>;

    /// Remember (or replace) a browser of the person; durable before
    /// return.
    fn remember_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        browser: &RememberedBrowser,
    ) -> Result<(), StoreError>;

    /// Note that a remembered browser was used at `now`; nothing happens
    /// if it was forgotten meanwhile (never brings one back). Not flushed:
    /// losing it loses a display time only.
    fn touch_remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Forget the person's remembered browser `id`, or all of them
    /// (`None`); returns how many went. Durable before return.
    fn forget_browsers(&self, key: &PersonKey, id: Option<&BrowserId>)
    -> Result<usize, StoreError>;

    /// Note that `seen.account` of `company` was seen (its identity
    /// resolved). Not flushed: a lost note only leaves the rollout view a
    /// day behind.
    fn note_seen(&self, company: &str, seen: &SeenAccount) -> Result<(), StoreError>;

    /// The accounts of `company` last seen at or after `since`. Only that
    /// company's: the key of each entry starts with the company.
    fn seen_accounts(&self, company: &str, since: i64) -> Result<Vec<SeenAccount>, StoreError>;

    /// Append an event to the audit trail.
    fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError>;

    /// The person's audit events, newest first, at most `limit`.
    fn audit_for(&self, key: &PersonKey, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;

    /// The company's own audit events (policy changes: about no person),
    /// newest first, at most `limit`.
    fn audit_of_company(&self, company: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;

    /// Delete the audit events (of every person and company) that happened
    /// before `before` (Unix seconds); returns how many went. Durable before
    /// return. An event that does not decode is kept (and not counted):
    /// retention must never stop on one bad record.
    fn prune_audit(&self, before: i64) -> Result<usize, StoreError>;

    /// Every stored entry, tree by tree (`persons`, `accounts`, `policies`,
    /// `audit`), as the raw bytes of its key and value (sealed secrets stay
    /// sealed): for backups. Each entry is read atomically while writes go
    /// on; no invariant spans two entries.
    fn export(&self, sink: &mut ExportSink<'_>) -> Result<(), StoreError>;

    /// `update_person`, and in the same commit the outbox entries that
    /// `notes` makes of the record before and after the change (not called
    /// when `f` keeps the record; called again when `f` is). Durable before
    /// return.
    fn update_person_noting(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
        notes: &mut NotesFn<'_>,
    ) -> Result<Option<PersonRecord>, StoreError>;

    /// A fresh id, unique and increasing also across restarts.
    fn next_id(&self) -> Result<u64, StoreError>;

    /// Put outbox entries (new, or changed by the sender) in the delivery
    /// queue; durable before return.
    fn enqueue(&self, entries: &[(u64, Delivery)]) -> Result<(), StoreError>;

    /// Up to `limit` entries of `queue` after the id `after` (from the
    /// start when `None`), oldest first: one page of a walk.
    fn outbox(
        &self,
        queue: Queue,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Delivery)>, StoreError>;

    /// How many entries `queue` holds, exactly.
    fn outbox_count(&self, queue: Queue) -> Result<usize, StoreError>;

    /// Remove a delivered entry from the delivery queue; durable before
    /// return.
    fn remove_delivery(&self, id: u64) -> Result<(), StoreError>;

    /// Move an entry out of the delivery queue into the dead letters, as
    /// `delivery` (one commit; durable before return).
    fn bury(&self, id: u64, delivery: &Delivery) -> Result<(), StoreError>;

    /// Move dead letters back into the delivery queue, as given (one
    /// commit; durable before return); an id that is not a dead letter is
    /// put in the queue all the same.
    fn revive(&self, entries: &[(u64, Delivery)]) -> Result<(), StoreError>;

    /// Remember the address and message language of a person's account.
    /// Not flushed on its own (the next security write flushes it).
    fn note_contact(
        &self,
        key: &PersonKey,
        account: &str,
        email: &str,
        lang: &str,
    ) -> Result<(), StoreError>;

    /// The person's accounts with their address and language.
    fn contacts(&self, key: &PersonKey) -> Result<Vec<(String, String, String)>, StoreError>;

    /// Make every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;

    /// Run `writes` (calls on this store), then make all of them durable
    /// with one flush before returning, instead of one flush per call: for
    /// a request that writes several things (a person's record, its audit
    /// events, an account link) and answers once all are durable. Until
    /// this returns, what `writes` wrote may not be durable yet. On an
    /// engine where each call commits durably anyway this only runs
    /// `writes`. The error is the final flush's (`writes` keeps its own).
    fn with_one_flush(&self, writes: &mut dyn FnMut()) -> Result<(), StoreError>;

    /// Whether the engine answers (the health check): a read that no cache
    /// answers.
    fn ping(&self) -> Result<(), StoreError> {
        self.person_of_account("").map(drop)
    }
}
