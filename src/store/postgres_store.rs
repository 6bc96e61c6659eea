//! The `Store` on PostgreSQL, for several gateways sharing one truth
//! (`store: { backend: postgres, url: … }`). Rows are the sled trees
//! (`layout.rs`): table `mfa_gate_entries (tree, key, value)` with the same
//! key bytes and the same versioned record bytes (`records.rs`), so sealed
//! secrets stay sealed and entries move between engines unchanged.
//!
//! What the invariants rest on, across replicas:
//! - a person changes in one transaction that reads the record `FOR
//!   UPDATE` (or, when there is none yet, inserts it `ON CONFLICT DO
//!   NOTHING` and starts again if another replica got there first): a TOTP
//!   step or a backup code is accepted once, failure counts are exact;
//! - every commit waits for the WAL flush (`synchronous_commit` is set on
//!   for this store's sessions whatever the server's default), so what was
//!   answered is durable and `flush` has nothing left to do;
//! - the schema is created by the first replica that starts, under an
//!   advisory lock (`postgres/schema.rs`), and audit pruning runs on one
//!   replica at a time (another advisory lock).
//!
//! Every call waits for the database; on a pingora worker it runs through
//! `off_worker`, like sled's flushes. Connections come from an r2d2 pool.

mod listen;
mod person;
mod schema;
mod trees;
#[cfg(test)]
pub(super) use trees::PRUNE_LOCK;

use std::time::Duration;

use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::layout::{self, TREES};
use super::off_worker::off_worker;
use super::{ExportSink, NotesFn, Queue, Store, StoreError, Update, records};
use crate::domain::{
    AuditEvent, BrowserId, Delivery, Enforcement, PersonKey, PersonRecord, RememberDays,
    RememberedBrowser, SeenAccount,
};

mod lease;
mod tls;
pub use crate::config::{DatabaseTls, PostgresOptions, parse_url, postgres_url};
pub use lease::Lease;

type Pool = r2d2::Pool<PostgresConnectionManager<MakeRustlsConnect>>;
type Conn = r2d2::PooledConnection<PostgresConnectionManager<MakeRustlsConnect>>;

impl PostgresOptions {
    /// `postgresql://host:port/dbname`, for messages: never the user or
    /// the password.
    pub fn describe(&self) -> String {
        describe(&self.url)
    }
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("url", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("max_staleness", &self.max_staleness)
            .field("tls", &self.tls)
            .finish()
    }
}

/// The PostgreSQL-backed store. `Send + Sync`; share it behind an `Arc`.
pub struct PostgresStore {
    /// How to connect (the LISTEN connection is not pooled).
    config: postgres::Config,
    tls: MakeRustlsConnect,
    /// Connecting and each proof of the listener, at most.
    timeout: Duration,
    /// Whether calls may go ahead: the listener's proof (`lease.rs`).
    lease: std::sync::Arc<Lease>,
    pool: Pool,
    /// For calls made while this thread already holds a connection of
    /// `pool`: the callbacks of a person's change ask for outbox ids
    /// inside its transaction. Taking those from `pool` too would let
    /// `pool_size` such changes hold every connection and wait for one
    /// more, for ever; a nested call never nests again, so a second pool
    /// cannot run dry that way.
    nested: Pool,
}

thread_local! {
    /// This thread holds a connection of `PostgresStore::pool`.
    static HOLDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `HOLDING` for as long as it lives (also when `op` panics).
struct Holding;

impl Holding {
    fn set() -> Holding {
        HOLDING.set(true);
        Holding
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HOLDING.set(false);
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        StoreError::Engine(format!("PostgreSQL: {}", full_error(&e)))
    }
}

/// An error and its causes ("error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer"). PostgreSQL's errors never hold the URL.
fn full_error(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl PostgresStore {
    /// Connect, and create or upgrade the schema (one replica at a time).
    /// An unreachable database is an `Open` error naming host and port,
    /// not the password.
    pub fn open(options: &PostgresOptions) -> Result<PostgresStore, StoreError> {
        let where_ = describe(&options.url);
        let open_error = |detail: String| StoreError::Open {
            path: where_.clone(),
            detail,
        };
        let mut config = parse_url(&options.url).map_err(open_error)?;
        let timeout = options.timeout;
        config.connect_timeout(timeout);
        // A real blackhole (nothing acknowledged) ends the connection
        // instead of holding a call until TCP gives up, minutes later.
        config.tcp_user_timeout(timeout + options.max_staleness);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(1));
        config.keepalives_interval(Duration::from_secs(1));
        config.keepalives_retries(3);
        // Durable before the answer, whatever the server's default; a
        // statement or a row lock that takes longer than `timeout` is an
        // error, not a hang.
        let ms = timeout.as_millis();
        config.options(&format!(
            "-c synchronous_commit=on -c lock_timeout={ms}ms -c statement_timeout={ms}ms"
        ));
        config.application_name("mfa-gate");
        let tls = options.tls.apply(&mut config).map_err(open_error)?;
        // One connection first, outside the pools: its error says exactly
        // what is wrong (refused, authentication, TLS), and it migrates.
        let mut first = config
            .connect(tls.clone())
            .map_err(|e| open_error(full_error(&e)))?;
        schema::migrate(&mut first)?;
        drop(first);
        let pool = |min_idle| {
            r2d2::Pool::builder()
                .max_size(options.pool_size)
                .min_idle(Some(min_idle))
                .connection_timeout(timeout)
                .error_handler(Box::new(r2d2::NopErrorHandler))
                .build(PostgresConnectionManager::new(config.clone(), tls.clone()))
                .map_err(|e| open_error(e.to_string()))
        };
        let store = PostgresStore {
            config: config.clone(),
            tls: tls.clone(),
            timeout,
            lease: std::sync::Arc::new(Lease::new(options.max_staleness)),
            pool: pool(1)?,
            nested: pool(0)?,
        };
        Ok(store)
    }

    fn conn(pool: &Pool) -> Result<Conn, StoreError> {
        pool.get()
            .map_err(|e| StoreError::Engine(format!("no PostgreSQL connection: {e}")))
    }

    /// Run `op` on a pooled connection, off the runtime worker.
    fn with<T>(
        &self,
        op: impl FnOnce(&mut postgres::Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if HOLDING.get() {
            return op(&mut *Self::conn(&self.nested)?);
        }
        if !self.lease.holds() {
            crate::observe::metrics::store_refused();
            return Err(StoreError::Engine(
                "PostgreSQL has not proven itself within store.max_staleness: failing closed"
                    .into(),
            ));
        }
        off_worker(|| {
            let start = std::time::Instant::now();
            let result = {
                let mut conn = Self::conn(&self.pool)?;
                let _holding = Holding::set();
                op(&mut conn)
            };
            // (with this call's connection back in the pool)
            let state = self.pool.state();
            crate::observe::metrics::store_call(
                start.elapsed(),
                state.connections,
                state.idle_connections,
            );
            result
        })
    }

    /// Keep `cache` in step with the other replicas' writes, on a thread
    /// of its own, until the cache is dropped (`listen.rs`).
    pub fn listen(&self, cache: std::sync::Weak<super::CachedStore>) {
        // The store answered at start-up (it opened, migrated and read
        // every person's secrets): calls may go ahead while the listener
        // connects; its first proof, or none, decides from there.
        self.lease.renew(crate::clock::unix_now_ms());
        self.lease.enforce();
        if let Some(live) = cache.upgrade() {
            live.follow(self.lease.clone());
        }
        let listener = listen::Listener {
            config: self.config.clone(),
            tls: self.tls.clone(),
            timeout: self.timeout,
            lease: self.lease.clone(),
        };
        listen::spawn(listener, cache);
    }

    /// Write a company's setting (`policies`, `remember`) and tell the
    /// other replicas' caches, in one transaction.
    fn put_company_setting(
        &self,
        tree: &str,
        company: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            trees::put(&mut tx, tree, company.as_bytes(), bytes)?;
            listen::notify_company(&mut tx, company)?;
            Ok(tx.commit()?)
        })
    }

    /// Entries per tree (for `store copy` and the support API).
    pub fn counts(&self) -> Result<std::collections::BTreeMap<String, usize>, StoreError> {
        self.with(trees::counts)
    }

    /// Put raw entries (tree, key, value), as `export` gives them, in one
    /// transaction; the id sequence moves past every id they hold. For
    /// copying a sled store into an empty database.
    pub fn import_entries<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a str, &'a [u8], &'a [u8])>,
    ) -> Result<usize, StoreError> {
        let entries: Vec<_> = entries.into_iter().collect();
        self.with(|c| trees::import(c, &entries))
    }
}

/// `host:port/dbname` of a URL, for messages; never the user or password.
fn describe(url: &str) -> String {
    let Ok(config) = url.parse::<postgres::Config>() else {
        return "the PostgreSQL database (store.url)".into();
    };
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("postgres");
    format!("postgresql://{host}:{port}/{db}")
}

impl PostgresStore {
    /// Move `entries` out of the queue `from` into the other one, as
    /// given, in one transaction.
    fn move_deliveries(&self, from: Queue, entries: &[(u64, Delivery)]) -> Result<(), StoreError> {
        let to = match from {
            Queue::Pending => Queue::Dead,
            Queue::Dead => Queue::Pending,
        };
        let mut rows = Vec::new();
        for (id, delivery) in entries {
            rows.push((id.to_be_bytes(), records::encode_delivery(delivery)?));
        }
        self.with(|c| {
            let mut tx = c.transaction()?;
            for (id, bytes) in &rows {
                trees::delete(&mut tx, from.tree(), id)?;
                trees::put(&mut tx, to.tree(), id, bytes)?;
            }
            Ok(tx.commit()?)
        })
    }
}

impl Store for PostgresStore {
    fn person(&self, key: &PersonKey) -> Result<Option<PersonRecord>, StoreError> {
        self.with(|c| {
            trees::get(c, "persons", key.as_str().as_bytes())?
                .map(|bytes| records::decode_person(&bytes))
                .transpose()
        })
    }

    fn persons(&self, keys: &[PersonKey]) -> Result<Vec<super::PersonRead>, StoreError> {
        self.with(|c| person::read_many(c, keys))
    }

    fn update_person(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    ) -> Result<Option<PersonRecord>, StoreError> {
        self.with(|c| person::swap(c, key, f, None))
    }

    fn person_keys(
        &self,
        after: Option<&PersonKey>,
        limit: usize,
    ) -> Result<Vec<PersonKey>, StoreError> {
        self.with(|c| person::keys_after(c, after, limit))
    }

    fn update_persons(
        &self,
        keys: &[PersonKey],
        f: &mut dyn FnMut(&PersonKey, Option<&PersonRecord>) -> Update,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            let mut written = 0;
            for key in keys {
                let mut one = |current: Option<&PersonRecord>| f(key, current);
                if person::swap_counting(c, key, &mut one)? {
                    written += 1;
                }
            }
            Ok(written)
        })
    }

    /// With a listener, its lease is the answer (it proves the database
    /// every `max_staleness / 4`): a health check never waits on a frozen
    /// connection. Without one, a query.
    fn ping(&self) -> Result<(), StoreError> {
        if !self.lease.enforced() {
            return self.with(|c| Ok(c.simple_query("SELECT 1").map(drop)?));
        }
        match self.lease.holds() {
            true => Ok(()),
            false => Err(StoreError::Engine(
                "PostgreSQL has not proven itself within store.max_staleness".into(),
            )),
        }
    }

    fn person_of_account(&self, account: &str) -> Result<Option<PersonKey>, StoreError> {
        self.with(|c| {
            trees::get(c, "accounts", account.as_bytes())?
                .map(|bytes| records::decode_account_link(&bytes))
                .transpose()
        })
    }

    fn link_account(&self, account: &str, key: &PersonKey) -> Result<(), StoreError> {
        let bytes = records::encode_account_link(key)?;
        self.with(|c| trees::put(c, "accounts", account.as_bytes(), &bytes))
    }

    fn company_policy(&self, company: &str) -> Result<Option<Enforcement>, StoreError> {
        self.with(|c| {
            trees::get(c, "policies", company.as_bytes())?
                .map(|bytes| records::decode_policy(&bytes))
                .transpose()
        })
    }

    fn set_company_policy(&self, company: &str, policy: Enforcement) -> Result<(), StoreError> {
        let bytes = records::encode_policy(policy)?;
        self.put_company_setting("policies", company, &bytes)
    }

    fn company_remember(&self, company: &str) -> Result<Option<RememberDays>, StoreError> {
        self.with(|c| {
            trees::get(c, "remember", company.as_bytes())?
                .map(|bytes| records::decode_remember_days(&bytes))
                .transpose()
        })
    }

    fn set_company_remember(&self, company: &str, days: RememberDays) -> Result<(), StoreError> {
        let bytes = records::encode_remember_days(days)?;
        self.put_company_setting("remember", company, &bytes)
    }

    fn remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
    ) -> Result<Option<RememberedBrowser>, StoreError> {
        self.with(|c| {
            trees::get(c, "browsers", &layout::browser_key(key, &id.0))?
                .map(|bytes| records::decode_browser(&bytes))
                .transpose()
        })
    }

    fn remembered_browsers(
        &self,
        key: &PersonKey,
    ) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
        self.with(|c| trees::browsers_of(c, key))
    }

    fn remember_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        browser: &RememberedBrowser,
    ) -> Result<(), StoreError> {
        let bytes = records::encode_browser(browser)?;
        self.with(|c| trees::put(c, "browsers", &layout::browser_key(key, &id.0), &bytes))
    }

    fn touch_remembered_browser(
        &self,
        key: &PersonKey,
        id: &BrowserId,
        now: i64,
    ) -> Result<(), StoreError> {
        self.with(|c| trees::touch_browser(c, key, id, now))
    }

    fn forget_browsers(
        &self,
        key: &PersonKey,
        id: Option<&BrowserId>,
    ) -> Result<usize, StoreError> {
        self.with(|c| match id {
            Some(id) => trees::delete(c, "browsers", &layout::browser_key(key, &id.0)),
            None => {
                let mut gone = 0;
                for (id, _) in trees::browsers_of(c, key)? {
                    gone += trees::delete(c, "browsers", &layout::browser_key(key, &id.0))?;
                }
                Ok(gone)
            }
        })
    }

    fn note_seen(&self, company: &str, seen: &SeenAccount) -> Result<(), StoreError> {
        let key = PersonKey::new(company, &seen.account);
        let bytes = records::encode_seen(seen)?;
        self.with(|c| trees::put(c, "seen", key.as_str().as_bytes(), &bytes))
    }

    fn seen_accounts(&self, company: &str, since: i64) -> Result<Vec<SeenAccount>, StoreError> {
        self.with(|c| {
            let entries = trees::scan(c, "seen", &layout::seen_prefix(company), false)?;
            layout::seen_in(entries.into_iter().map(Ok), since)
        })
    }

    fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let bytes = records::encode_audit(event)?;
        self.with(|c| {
            let mut key = layout::audit_prefix(event);
            key.extend_from_slice(&trees::next_id(c)?.to_be_bytes());
            trees::put(c, "audit", &key, &bytes)
        })
    }

    fn audit_for(&self, key: &PersonKey, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let prefix = layout::person_prefix(key);
        self.with(|c| {
            let newest_first = trees::scan(c, "audit", &prefix, true)?;
            layout::events_in(&prefix, newest_first.into_iter().map(Ok), limit)
        })
    }

    fn audit_of_company(&self, company: &str, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let prefix = layout::company_audit_prefix(company);
        self.with(|c| {
            let newest_first = trees::scan(c, "audit", &prefix, true)?;
            layout::events_in(&prefix, newest_first.into_iter().map(Ok), limit)
        })
    }

    fn prune_audit(&self, before: i64) -> Result<usize, StoreError> {
        self.with(|c| trees::prune_audit(c, before))
    }

    fn export(&self, sink: &mut ExportSink<'_>) -> Result<(), StoreError> {
        self.with(|c| {
            for tree in TREES {
                for (key, value) in trees::scan(c, tree, &[], false)? {
                    sink(tree, &key, &value)?;
                }
            }
            Ok(())
        })
    }

    fn update_person_noting(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
        notes: &mut NotesFn<'_>,
    ) -> Result<Option<PersonRecord>, StoreError> {
        self.with(|c| person::swap(c, key, f, Some(notes)))
    }

    fn next_id(&self) -> Result<u64, StoreError> {
        self.with(trees::next_id)
    }

    fn enqueue(&self, entries: &[(u64, Delivery)]) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(entries.len());
        for (id, delivery) in entries {
            rows.push((id.to_be_bytes(), records::encode_delivery(delivery)?));
        }
        self.with(|c| {
            let mut tx = c.transaction()?;
            for (id, bytes) in &rows {
                trees::put(&mut tx, "outbox", id, bytes)?;
            }
            Ok(tx.commit()?)
        })
    }

    fn outbox(
        &self,
        queue: Queue,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Delivery)>, StoreError> {
        let after = after.map(u64::to_be_bytes);
        self.with(|c| {
            let page = trees::after(c, queue.tree(), after.as_ref().map(|a| &a[..]), limit)?;
            layout::deliveries_in(page.into_iter().map(Ok))
        })
    }

    fn outbox_count(&self, queue: Queue) -> Result<usize, StoreError> {
        self.with(|c| trees::count(c, queue.tree()))
    }

    fn remove_delivery(&self, id: u64) -> Result<(), StoreError> {
        self.with(|c| trees::delete(c, "outbox", &id.to_be_bytes()).map(drop))
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
        let entry = [layout::person_prefix(key), account.as_bytes().to_vec()].concat();
        let bytes = records::encode_contact(email, lang)?;
        self.with(|c| trees::put(c, "contacts", &entry, &bytes))
    }

    fn contacts(&self, key: &PersonKey) -> Result<Vec<(String, String, String)>, StoreError> {
        let prefix = layout::person_prefix(key);
        self.with(|c| {
            let entries = trees::scan(c, "contacts", &prefix, false)?;
            layout::contacts_in(&prefix, entries.into_iter().map(Ok))
        })
    }

    /// Every commit already waited for the WAL flush.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Every call commits (durably) on its own: nothing to hold back.
    fn with_one_flush(&self, writes: &mut dyn FnMut()) -> Result<(), StoreError> {
        writes();
        Ok(())
    }
}
