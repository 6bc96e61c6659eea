//! The gateway under test: its configuration, its keys, the persons put
//! into its store before it starts, and the cookies of their sessions.
//!
//! Persons are made with the library, as the gateway would make them: the
//! TOTP secret sealed with the person key as associated data, a confirmed
//! `Enrollment`, and (for verified sessions) the gateway cookie computed
//! with `session::issue_cookie` for the app-session value. A person is
//! numbered: `value(prefix, i)` is its app-session cookie value, the
//! upstream's whoami answers account `u` + value (person = account), and
//! its secret and enrollment id are derived from the number, so nothing
//! about a million persons has to be kept in memory.

use crate::nginx::{APP_COOKIE, COMPANY};
use crate::procs::Proc;
use anyhow::{Context, Result};
use mfa_gate::access::session::{self, AppSession};
use mfa_gate::domain::{Enrollment, PersonKey, PersonRecord};
use mfa_gate::factors::totp::TotpSecret;
use mfa_gate::keys::Keys;
use mfa_gate::store::{DatabaseTls, PostgresOptions, PostgresStore, SledStore, Store, Update};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Name of the gateway cookie (`cookie.name`, the default).
pub const GATEWAY_COOKIE: &str = "mfa_gate";
/// Length of every app-session cookie value (a typical session id).
const VALUE_LEN: usize = 32;
/// Persons written per sled batch when importing.
const IMPORT_CHUNK: u64 = 50_000;

/// Fixed keys: runs are repeatable, and the store of one run is readable
/// by the next gateway of the same run.
pub fn keys() -> Keys {
    Keys::new([0x42; 32], [0x24; 32])
}

/// What differs between gateway configurations of a run.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub cache_size: usize,
    /// Scenario (g)'s lean ask listener (`forward_auth.listen`), with
    /// `trusted_proxies: [127.0.0.1/32]` so that a front on loopback may
    /// ask. `None` elsewhere, so that the inline scenarios measure the
    /// gateway as it was.
    pub ask_listener: Option<SocketAddr>,
    /// `server.threads`: 1 for the per-request figures (like nginx's one
    /// process), the machine's cores for enrollments per second (n).
    pub threads: usize,
    /// `--store postgres`: the URL of the database the gateway keeps its
    /// store in, instead of its own sled directory `dir/store`.
    pub postgres: Option<&'a str>,
}

/// Where persons are put before a gateway starts: its sled directory (the
/// gateway must not be running: sled locks it) or its database.
#[derive(Clone, Copy)]
pub enum Seed<'a> {
    Sled(&'a Path),
    Postgres(&'a str),
}

impl<'a> Seed<'a> {
    /// The store of the gateway configured by `write_config(dir, …)`.
    pub fn of(dir: &'a Path, settings: &Settings<'a>) -> Seed<'a> {
        match settings.postgres {
            Some(url) => Seed::Postgres(url),
            None => Seed::Sled(dir),
        }
    }
}

/// Write the gateway's configuration (and key files) into `dir`; the store
/// is `dir/store`.
pub fn write_config(
    dir: &Path,
    listen: SocketAddr,
    upstream: SocketAddr,
    settings: &Settings,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("hmac.key"), hex(&[0x42; 32]))?;
    std::fs::write(dir.join("encryption.key"), hex(&[0x24; 32]))?;
    if let Some(url) = settings.postgres {
        std::fs::write(dir.join("database.url"), url)?;
    }
    let yaml = format!(
        "# Written by the load benchmark (benches/load/gateway.rs).
listen: {listen}
upstream:
  address: {upstream}
identity:
  session_cookie: {APP_COOKIE}
  whoami_path: /api/me
  # Long enough that no cached session expires during a run.
  cache_ttl: 2h
  cache_size: {cache_size}
  # One client (wrk, one address) makes every new session of (c): the
  # per-address look-up budget is not what (c) measures.
  whoami_client_rate: 1000000
  whoami_client_burst: 1000000
{store}
secrets:
  hmac_key: {{ file: hmac.key }}
  encryption_key: {{ file: encryption.key }}
cookie:
  name: {GATEWAY_COOKIE}
  secure: false
bypass:
  - /static/*
server:
  threads: {threads}
  grace_period: 1s
{trusted}",
        cache_size = settings.cache_size,
        threads = settings.threads,
        store = match settings.postgres {
            Some(_) => "store:\n  backend: postgres\n  url: { file: database.url }\n  tls: disable",
            None => "store:\n  path: store",
        },
        trusted = match settings.ask_listener {
            Some(asks) => {
                format!("trusted_proxies: [127.0.0.1/32]\nforward_auth:\n  listen: {asks}\n")
            }
            None => String::new(),
        },
    );
    let path = dir.join("mfa-gate.yaml");
    std::fs::write(&path, yaml)?;
    Ok(path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Start `mfa-gate serve -c config`; `access_log` keeps the default log
/// level (one `info` line per request), otherwise `MFA_GATE_LOG=warn`.
pub fn start(
    binary: &Path,
    config: &Path,
    listen: SocketAddr,
    access_log: bool,
    name: &str,
) -> Result<Proc> {
    let dir = config.parent().context("config has no directory")?;
    let log = dir.join(format!("{name}.log"));
    let level = if access_log { "info" } else { "warn" };
    let config = config.display().to_string();
    let mut proc = Proc::spawn(
        name,
        binary,
        &["serve", "-c", &config],
        &[("MFA_GATE_LOG", level)],
        log,
    )?;
    // sled may wait a moment for the lock of a store closed just before.
    proc.wait_listening(listen, Duration::from_secs(30))?;
    Ok(proc)
}

/// The app-session cookie value of person `i` of a numbered group.
pub fn value(prefix: &str, i: u64) -> String {
    let mut v = format!("{prefix}{i:08}");
    while v.len() < VALUE_LEN {
        v.push('x');
    }
    v
}

/// The person key the gateway derives from the whoami answer for `value`.
pub fn person_key(value: &str) -> PersonKey {
    PersonKey::new(COMPANY, &format!("u{value}"))
}

/// Person `i`'s TOTP secret (derived, so it can be recomputed).
pub fn secret(prefix: &str, i: u64) -> TotpSecret {
    let digest = Sha256::digest(format!("loadbench secret {prefix} {i}"));
    TotpSecret::from_bytes(&digest[..20]).expect("20 bytes is a valid secret")
}

/// Person `i`'s enrollment id.
pub fn enrollment_id(i: u64) -> u64 {
    i + 1
}

fn enrolled_record(keys: &Keys, key: &PersonKey, prefix: &str, i: u64, now: i64) -> PersonRecord {
    let sealed = keys.seal(
        key.as_str().as_bytes(),
        secret(prefix, i).as_bytes(),
        &mut rand::rng(),
    );
    PersonRecord {
        enrollment: Some(Enrollment {
            id: enrollment_id(i),
            sealed_secret: sealed,
            enrolled_at: now,
            enrolled_by: format!("u{}", value(prefix, i)),
        }),
        ..PersonRecord::default()
    }
}

/// Enroll persons `range` of group `prefix` in the store `seed` (a sled
/// store is opened here and closed on return: the gateway must not be
/// running). Returns the store's size on disk afterwards (0 for
/// PostgreSQL).
pub fn enroll(seed: Seed<'_>, prefix: &str, range: Range<u64>, now: i64) -> Result<u64> {
    import(seed, prefix, range, now, false)
}

/// `enroll`, and link each person's account to it as enrolling does, so
/// that a challenge measures a returning person (whose account link is
/// already stored), not a person's very first code. One write (and, in
/// newer stores, one flush) per person: for thousands, not millions.
pub fn enroll_linked(seed: Seed<'_>, prefix: &str, range: Range<u64>, now: i64) -> Result<u64> {
    import(seed, prefix, range, now, true)
}

fn import(seed: Seed<'_>, prefix: &str, range: Range<u64>, now: i64, link: bool) -> Result<u64> {
    let keys = keys();
    let store_dir = match seed {
        Seed::Sled(dir) => dir,
        Seed::Postgres(url) => return import_postgres(url, &keys, prefix, range, now, link),
    };
    let store = SledStore::open(store_dir)?;
    let mut start = range.start;
    while start < range.end {
        let end = (start + IMPORT_CHUNK).min(range.end);
        let batch: Vec<(PersonKey, PersonRecord)> = (start..end)
            .map(|i| {
                let key = person_key(&value(prefix, i));
                let record = enrolled_record(&keys, &key, prefix, i, now);
                (key, record)
            })
            .collect();
        store.import_persons(batch.iter().map(|(k, r)| (k, r)))?;
        if link {
            for (i, (key, _)) in (start..end).zip(&batch) {
                store.link_account(&format!("u{}", value(prefix, i)), key)?;
            }
            store.flush()?;
        }
        start = end;
    }
    Ok(store.size_on_disk()?)
}

/// `import` into a PostgreSQL store: one transaction per person (the
/// database has no bulk import; thousands of persons take seconds).
fn import_postgres(
    url: &str,
    keys: &Keys,
    prefix: &str,
    range: Range<u64>,
    now: i64,
    link: bool,
) -> Result<u64> {
    let store = PostgresStore::open(&PostgresOptions {
        url: url.to_owned(),
        pool_size: 2,
        timeout: Duration::from_secs(10),
        max_staleness: Duration::from_secs(10),
        tls: DatabaseTls::Disable,
    })?;
    for i in range {
        let key = person_key(&value(prefix, i));
        let record = enrolled_record(keys, &key, prefix, i, now);
        store.update_person(&key, &mut |_| Update::Put(record.clone()))?;
        if link {
            store.link_account(&format!("u{}", value(prefix, i)), &key)?;
        }
    }
    Ok(0)
}

/// The gateway cookie of a session of person `i` that passed the
/// challenge at `now`.
pub fn verified_cookie(prefix: &str, i: u64, now: i64) -> String {
    let keys = keys();
    let v = value(prefix, i);
    session::issue_cookie(
        &keys,
        AppSession::bind(&keys, &v),
        &person_key(&v),
        session::Bound::new(enrollment_id(i), 0),
        now,
    )
}

/// The `Cookie` header of a verified session of person `i`.
pub fn verified_cookie_header(prefix: &str, i: u64, now: i64) -> String {
    format!(
        "{APP_COOKIE}={}; {GATEWAY_COOKIE}={}",
        value(prefix, i),
        verified_cookie(prefix, i, now)
    )
}
