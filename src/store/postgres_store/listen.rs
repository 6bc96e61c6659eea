//! Cache invalidation across replicas, on PostgreSQL's LISTEN/NOTIFY (one
//! channel, `mfa_gate`). Every write of a person's record or a company's
//! settings sends, in its own transaction, `p<hex of the person key>` or
//! `c<hex of the company>` (hex: a key may hold bytes a NOTIFY payload
//! cannot); PostgreSQL delivers it at commit to every listening session,
//! the writer's own included.
//!
//! Each replica's listener thread applies them to its `CachedStore`. When
//! its connection drops, the cache is turned off (every read goes to the
//! database) until the listener is connected and listening again; then the
//! cache is emptied (whatever changed meanwhile is forgotten) and turned
//! back on. A heartbeat every few seconds finds a connection that died
//! without a word. The thread ends when the cache is dropped.

use std::sync::Weak;
use std::time::Duration;

use postgres::{Client, GenericClient};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::domain::PersonKey;
use crate::store::{CachedStore, StoreError, records};

const CHANNEL: &str = "mfa_gate";
/// The listener's name in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "mfa-gate-listen";
/// How long the listener waits for a notification before it checks that
/// its connection is alive (and that the cache still exists).
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Between two attempts to connect again.
const RETRY: Duration = Duration::from_millis(500);

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
pub fn spawn(config: postgres::Config, tls: MakeRustlsConnect, cache: Weak<CachedStore>) {
    // Off until the listener is listening.
    if let Some(live) = cache.upgrade() {
        live.resync(false);
    }
    let spawned = std::thread::Builder::new()
        .name("mfa-gate-listen".into())
        .spawn(move || run(&config, &tls, &cache));
    if let Err(e) = spawned {
        // The cache stays off: every read goes to the database.
        tracing::error!(error = %e, "cannot start the store's listener thread; cache off");
    }
}

fn run(config: &postgres::Config, tls: &MakeRustlsConnect, cache: &Weak<CachedStore>) {
    let mut connected_once = false;
    // One warning an outage, not one every retry.
    let mut said_down = false;
    loop {
        match listen(config, tls) {
            Ok(mut client) => {
                let Some(live) = cache.upgrade() else { return };
                live.resync(true);
                drop(live);
                crate::metrics::store_resync();
                if connected_once {
                    tracing::info!("store listener connected again; cache back on");
                }
                connected_once = true;
                said_down = false;
                let error = serve(&mut client, cache);
                let Some(live) = cache.upgrade() else { return };
                live.resync(false);
                tracing::warn!(error = %error, "store listener lost its connection; cache off, every read goes to the database");
            }
            Err(e) => {
                let Some(live) = cache.upgrade() else { return };
                live.resync(false);
                if !said_down {
                    tracing::warn!(error = %e, "store listener cannot connect; cache off until it can");
                    said_down = true;
                }
            }
        }
        std::thread::sleep(RETRY);
    }
}

fn listen(config: &postgres::Config, tls: &MakeRustlsConnect) -> Result<Client, postgres::Error> {
    let mut config = config.clone();
    config.application_name(APPLICATION_NAME);
    let mut client = config.connect(tls.clone())?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

/// Apply notifications until the connection fails (returns why) or the
/// cache is gone.
fn serve(client: &mut Client, cache: &Weak<CachedStore>) -> String {
    use postgres::fallible_iterator::FallibleIterator;
    loop {
        {
            let mut notifications = client.notifications();
            let mut arrived = notifications.timeout_iter(HEARTBEAT);
            loop {
                match arrived.next() {
                    Ok(Some(n)) => {
                        let Some(live) = cache.upgrade() else {
                            return "the cache is gone".into();
                        };
                        apply(&live, n.payload());
                        crate::metrics::store_notifications(1);
                    }
                    // Quiet for a heartbeat: check the connection below.
                    Ok(None) => break,
                    Err(e) => return e.to_string(),
                }
            }
        }
        if cache.strong_count() == 0 {
            return "the cache is gone".into();
        }
        if let Err(e) = client.simple_query("SELECT 1") {
            return e.to_string();
        }
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
