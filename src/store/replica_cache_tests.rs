//! Two replicas' caches on one PostgreSQL database (a private cluster):
//! a write through one reaches the other's cache through LISTEN/NOTIFY,
//! and while a listener's connection is down its cache is off, so no
//! stale state is served. Prints the propagation delays it measured.

use crate::store::testing::LocalPostgres;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::contract_tests::options;
use super::*;
use crate::domain::Enrollment;

struct Replica {
    cache: Arc<CachedStore>,
}

fn replica(url: &str) -> Replica {
    let engine = Arc::new(PostgresStore::open(&options(url)).unwrap());
    let cache = Arc::new(CachedStore::new(engine.clone()));
    engine.listen(Arc::downgrade(&cache));
    Replica { cache }
}

fn bob() -> PersonKey {
    PersonKey::new("acme", "bob")
}

fn set_failures(store: &dyn Store, failures: u32) {
    store
        .update_person(&bob(), &mut |current| {
            let mut r = current.cloned().unwrap_or_else(|| PersonRecord {
                enrollment: Some(Enrollment {
                    id: 1,
                    sealed_secret: vec![1],
                    enrolled_at: 1,
                    enrolled_by: "bob".into(),
                }),
                ..PersonRecord::default()
            });
            r.failures = failures;
            r.locked_at = (failures % 2 == 1).then_some(i64::from(failures));
            Update::Put(r)
        })
        .unwrap();
}

/// Waits until `b` sees `locked`; returns how long it took.
fn until_seen(b: &dyn Store, locked: bool) -> Duration {
    let start = Instant::now();
    loop {
        if b.person_state(&bob()).unwrap().locked == locked {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the change never reached the other replica"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Waits until the listeners of `replicas` are listening (their caches on).
fn until_listening(cluster: &LocalPostgres, n: i64) {
    let mut c = postgres::Client::connect(&cluster.url(), postgres::NoTls).unwrap();
    let start = Instant::now();
    loop {
        let listening: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&"mfa-gate-listen"],
            )
            .unwrap()
            .get(0);
        if listening == n {
            // LISTEN runs right after connecting.
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "listeners");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn writes_reach_the_other_replicas_cache_and_a_lost_listener_turns_it_off() {
    let cluster = LocalPostgres::start().expect("a private PostgreSQL cluster");
    let (a, b) = (replica(&cluster.url()), replica(&cluster.url()));
    until_listening(&cluster, 2);

    // B caches bob's state; every change made through A reaches it.
    set_failures(&*a.cache, 0);
    assert!(!b.cache.person_state(&bob()).unwrap().locked);
    let mut delays = Vec::new();
    for i in 1..=200u32 {
        set_failures(&*a.cache, i);
        delays.push(until_seen(&*b.cache, i % 2 == 1));
    }
    delays.sort();
    println!(
        "propagation A -> B over LISTEN/NOTIFY, 200 writes: p50 {:?}, p99 {:?}, max {:?}",
        delays[100], delays[197], delays[199]
    );

    // A company's policy too.
    assert_eq!(b.cache.company_policy("acme").unwrap(), None);
    a.cache
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    let start = Instant::now();
    while b.cache.company_policy("acme").unwrap() != Some(Enforcement::Required) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "policy never seen"
        );
        std::thread::sleep(Duration::from_micros(200));
    }

    // B's listener loses its connection: B's cache goes off, so a write
    // through A is seen by B's very next read, notification or not.
    set_failures(&*a.cache, 2);
    until_seen(&*b.cache, false);
    // (the invalidation of that write may land after B's read: let it,
    // then make B cache the state again)
    std::thread::sleep(Duration::from_millis(100));
    assert!(!b.cache.person_state(&bob()).unwrap().locked);
    let mut admin = postgres::Client::connect(&cluster.url(), postgres::NoTls).unwrap();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&"mfa-gate-listen"],
        )
        .unwrap();
    // B's listener notices the cut (at once, or at its next heartbeat on
    // a loaded machine) and turns the cache off.
    let start = Instant::now();
    while b.cache.is_live() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "B's cache still on {:?} after its listener was cut",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Until its listener proves the database again, B fails closed (no
    // stale state, no wait on a connection); both listeners were cut, so
    // A does too. Listening again, each cache is emptied and on, and
    // changes arrive.
    until_listening(&cluster, 2);
    let start = Instant::now();
    while a.cache.ping().is_err() || b.cache.ping().is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "leases never renewed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    set_failures(&*a.cache, 3);
    assert!(
        b.cache.person_state(&bob()).unwrap().locked,
        "B served a stale state after its listener was cut"
    );
    set_failures(&*a.cache, 4);
    until_seen(&*b.cache, false);
}

/// While the lease does not hold, a replica refuses at once: a call costs
/// no connection and no wait (issue 31 §2, §3).
#[test]
fn without_a_lease_calls_fail_closed_at_once() {
    let cluster = LocalPostgres::start().expect("a private PostgreSQL cluster");
    let b = replica(&cluster.url());
    until_listening(&cluster, 1);
    let start = Instant::now();
    while b.cache.ping().is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "lease never held"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(b.cache.person_state(&bob()).is_ok());
    cluster.stop(true).unwrap();
    let start = Instant::now();
    while b.cache.ping().is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the lease outlived the database"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let lost = start.elapsed();
    let refused = Instant::now();
    assert!(b.cache.person(&bob()).is_err(), "fail closed");
    let took = refused.elapsed();
    println!("database stopped: lease lost after {lost:?}, a call refused in {took:?}");
    assert!(took < Duration::from_secs(1), "refused at once: {took:?}");
}
