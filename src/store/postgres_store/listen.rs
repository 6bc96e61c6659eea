//! Cache invalidation across replicas, on PostgreSQL's LISTEN/NOTIFY (one
//! channel, `mfa_gate`). Every write of a person's record or a company's
//! settings sends, in its own transaction, `p<hex of the person key>` or
//! `c<hex of the company>` (hex: a key may hold bytes a NOTIFY payload
//! cannot); PostgreSQL delivers it at commit to every listening session,
//! the writer's own included.
//!
//! Each replica's listener thread applies them to its `CachedStore`, and
//! keeps the replica's lease (`lease.rs`): every `max_staleness / 4` it
//! proves that its connection answers (a heartbeat with its own timeout),
//! which renews the lease. A connection that fails, or a proof that does
//! not come back in time (a frozen database, a blackholed network), ends
//! the lease at once: the cache is off and calls fail closed. The thread
//! connects again (within `store.timeout` each try), empties the cache
//! (whatever changed meanwhile is forgotten) and renews the lease once it
//! listens. The thread ends when the cache is dropped.

use std::sync::{Arc, Weak};
use std::time::Duration;

use postgres::{Client, GenericClient};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::Lease;
use crate::domain::PersonKey;
use crate::store::{CachedStore, StoreError, records};

const CHANNEL: &str = "mfa_gate";
/// The listener's name in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "mfa-gate-listen";
/// Between two attempts to connect again.
const RETRY: Duration = Duration::from_millis(250);

/// What the listener thread needs: how to connect, how long a proof may
/// take, and the lease it keeps.
pub struct Listener {
    pub config: postgres::Config,
    pub tls: MakeRustlsConnect,
    pub timeout: Duration,
    pub lease: Arc<Lease>,
}

pub fn notify_person(tx: &mut impl GenericClient, key: &PersonKey) -> Result<(), StoreError> {
    notify(tx, 'p', key.as_str().as_bytes())
}

pub fn notify_company(tx: &mut impl GenericClient, company: &str) -> Result<(), StoreError> {
    notify(tx, 'c', company.as_bytes())
}

fn notify(tx: &mut impl GenericClient, kind: char, bytes: &[u8]) -> Result<(), StoreError> {
    let payload = format!("{kind}{}", hex::encode(bytes));
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?;
    Ok(())
}

/// Start the listener thread of `cache`.
pub fn spawn(listener: Listener, cache: Weak<CachedStore>) {
    // Off until the listener is listening.
    if let Some(live) = cache.upgrade() {
        live.resync(false);
    }
    let spawned = std::thread::Builder::new()
        .name("mfa-gate-listen".into())
        .spawn(move || run(&listener, &cache));
    if let Err(e) = spawned {
        // The lease is never proven: calls fail closed, as they must
        // without a way to hear of the other replicas' writes.
        tracing::error!(error = %e, "cannot start the store's listener thread; failing closed");
    }
}

fn now_ms() -> i64 {
    crate::clock::unix_now_ms()
}

fn run(listener: &Listener, cache: &Weak<CachedStore>) {
    let mut connected_once = false;
    // One warning an outage, not one every retry.
    let mut said_down = false;
    loop {
        let started = now_ms();
        match listen(listener) {
            Ok(mut client) => {
                let Some(live) = cache.upgrade() else { return };
                live.resync(true);
                listener.lease.renew(started);
                drop(live);
                crate::observe::metrics::store_resync();
                if connected_once {
                    tracing::info!("store listener connected again; cache back on");
                }
                connected_once = true;
                said_down = false;
                let error = serve(&mut client, listener, cache);
                listener.lease.end();
                crate::observe::metrics::store_lease_lost();
                let Some(live) = cache.upgrade() else { return };
                live.resync(false);
                tracing::warn!(error = %error, "store listener lost the database; cache off, calls fail closed until it is back");
            }
            Err(e) => {
                listener.lease.end();
                let Some(live) = cache.upgrade() else { return };
                live.resync(false);
                if !said_down {
                    tracing::warn!(error = %e, "store listener cannot connect; calls fail closed until it can");
                    said_down = true;
                }
            }
        }
        std::thread::sleep(RETRY);
    }
}

fn listen(listener: &Listener) -> Result<Client, postgres::Error> {
    let mut config = listener.config.clone();
    config.application_name(APPLICATION_NAME);
    let mut client = config.connect(listener.tls.clone())?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

/// Apply notifications and prove the connection every heartbeat, until
/// it fails or a proof does not come back within `timeout` (returns why),
/// or the cache is gone.
fn serve(client: &mut Client, listener: &Listener, cache: &Weak<CachedStore>) -> String {
    use postgres::fallible_iterator::FallibleIterator;
    let heartbeat = listener.lease.heartbeat();
    let every = i64::try_from(heartbeat.as_millis()).unwrap_or(i64::MAX);
    loop {
        // A steady stream of notifications must not put the proof off.
        let prove_at = now_ms().saturating_add(every);
        {
            let mut notifications = client.notifications();
            let mut arrived = notifications.timeout_iter(heartbeat);
            loop {
                match arrived.next() {
                    Ok(Some(n)) => {
                        let Some(live) = cache.upgrade() else {
                            return "the cache is gone".into();
                        };
                        apply(&live, n.payload());
                        crate::observe::metrics::store_notifications(1);
                        if now_ms() >= prove_at {
                            break;
                        }
                    }
                    // Quiet for a heartbeat: prove the connection below.
                    Ok(None) => break,
                    Err(e) => return e.to_string(),
                }
            }
        }
        if cache.strong_count() == 0 {
            return "the cache is gone".into();
        }
        // Notifications committed before the proof started arrive before
        // its answer: a proof started at `started` renews the lease from
        // then.
        let started = now_ms();
        if let Err(e) = client.is_valid(listener.timeout) {
            return format!(
                "no answer to a heartbeat within {:?}: {e}",
                listener.timeout
            );
        }
        listener.lease.renew(started);
    }
}

fn apply(cache: &CachedStore, payload: &str) {
    let (kind, hex_part) = payload.split_at(payload.len().min(1));
    let Ok(bytes) = hex::decode(hex_part) else {
        tracing::warn!("unreadable store notification; cache emptied");
        cache.resync(true);
        return;
    };
    match kind {
        "p" => match records::decode_person_key(&bytes) {
            Ok(key) => cache.invalidate_person(&key),
            Err(_) => cache.resync(true),
        },
        "c" => match String::from_utf8(bytes) {
            Ok(company) => cache.invalidate_company(&company),
            Err(_) => cache.resync(true),
        },
        _ => cache.resync(true),
    }
}
