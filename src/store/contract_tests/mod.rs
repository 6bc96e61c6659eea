//! The `Store` contract: one suite of checks, each on a fresh store, run
//! unchanged on sled and on PostgreSQL (a private cluster,
//! `LocalPostgres`). Every method of the trait is called and its answer
//! read back; the races run on threads against the engine itself (no cache
//! in front), so sled's compare-and-swap retries and PostgreSQL's row locks
//! both run under contention.

use crate::store::testing::LocalPostgres;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};

use super::*;
use crate::domain::{
    AccountClass, AuditKind, DeliveryState, Enrollment, Notice, NoticeKind, Target, Whence,
};

type Check = fn(&dyn Store);

/// Every check, by name (a failure names the check and the engine).
const CHECKS: &[(&str, Check)] = &[
    ("person_round_trip", person_round_trip),
    ("keep_and_delete", keep_and_delete),
    ("racing_updates_lose_nothing", racing_updates_lose_nothing),
    ("racing_creations_create_once", racing_creations_create_once),
    ("one_step_accepted_once", one_step_accepted_once),
    ("keys_in_batches", keys_in_batches),
    ("batch_update_counts", batch_update_counts),
    ("batch_read_in_order", batch_read_in_order),
    ("links_and_company_settings", links_and_company_settings),
    ("browsers", browsers),
    ("seen_accounts", seen_accounts),
    ("audit_trail", audit_trail),
    ("outbox_and_noting", outbox_and_noting),
    ("notes_may_ask_for_ids", notes_may_ask_for_ids),
    ("contacts", contacts),
    ("export", export),
];

fn run_all(engine: &str, mut fresh: impl FnMut(&str) -> Box<dyn Store>) {
    for (name, check) in CHECKS {
        let store = fresh(name);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&*store)));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("contract check {name} failed on {engine}: {message}");
        }
    }
}

#[test]
fn the_contract_holds_on_sled() {
    let dir = tempfile::tempdir().unwrap();
    run_all("sled", |name| {
        Box::new(SledStore::open(&dir.path().join(name)).unwrap())
    });
}

#[test]
fn the_contract_holds_on_postgres() {
    let cluster = LocalPostgres::start().expect("a private PostgreSQL cluster");
    run_all("postgres", |name| {
        let url = cluster.create_database(name).unwrap();
        Box::new(PostgresStore::open(&options(&url)).unwrap())
    });
}

pub(super) fn options(url: &str) -> PostgresOptions {
    PostgresOptions {
        url: url.into(),
        pool_size: 8,
        timeout: std::time::Duration::from_secs(5),
        max_staleness: std::time::Duration::from_secs(2),
        tls: DatabaseTls::Disable,
    }
}

fn bob() -> PersonKey {
    PersonKey::new("acme", "bob")
}

fn enrolled(id: u64) -> PersonRecord {
    PersonRecord {
        enrollment: Some(Enrollment {
            id,
            sealed_secret: vec![1, 2, 3],
            enrolled_at: 1,
            enrolled_by: "bob".into(),
        }),
        ..PersonRecord::default()
    }
}

fn put(store: &dyn Store, key: &PersonKey, record: PersonRecord) {
    let mut record = Some(record);
    store
        .update_person(key, &mut |_| {
            Update::Put(record.take().expect("f runs once"))
        })
        .unwrap();
}

fn person_round_trip(store: &dyn Store) {
    assert_eq!(store.person(&bob()).unwrap(), None);
    assert_eq!(store.person_state(&bob()).unwrap(), PersonState::default());
    let mut record = enrolled(42);
    record.failures = 2;
    record.locked_at = Some(9);
    record.accounts = vec!["bob".into(), "bob-admin".into()];
    let after = store
        .update_person(&bob(), &mut |_| Update::Put(record.clone()))
        .unwrap();
    assert_eq!(after.as_ref(), Some(&record));
    assert_eq!(store.person(&bob()).unwrap(), Some(record));
    let state = store.person_state(&bob()).unwrap();
    assert_eq!((state.enrollment_id, state.locked), (Some(42), true));
    // Another person, and a key extending bob's, are others.
    assert_eq!(store.person(&PersonKey::new("acme", "bob2")).unwrap(), None);
    assert_eq!(store.person(&PersonKey::new("other", "bob")).unwrap(), None);
}

fn keep_and_delete(store: &dyn Store) {
    assert_eq!(
        store.update_person(&bob(), &mut |_| Update::Keep).unwrap(),
        None
    );
    assert_eq!(
        store
            .update_person(&bob(), &mut |_| Update::Delete)
            .unwrap(),
        None
    );
    put(store, &bob(), enrolled(1));
    let kept = store.update_person(&bob(), &mut |_| Update::Keep).unwrap();
    assert_eq!(kept, Some(enrolled(1)));
    let seen = Mutex::new(None);
    let gone = store
        .update_person(&bob(), &mut |current| {
            *seen.lock().unwrap() = current.cloned();
            Update::Delete
        })
        .unwrap();
    assert_eq!(gone, None);
    assert_eq!(*seen.lock().unwrap(), Some(enrolled(1)), "f saw the record");
    assert_eq!(store.person(&bob()).unwrap(), None);
}

/// Threads released together each add 1 to the failure count 25 times:
/// every increment is kept.
fn racing_updates_lose_nothing(store: &dyn Store) {
    put(store, &bob(), enrolled(1));
    let threads = 8;
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..25 {
                    store
                        .update_person(&bob(), &mut |current| {
                            let mut r = current.cloned().unwrap();
                            r.failures += 1;
                            Update::Put(r)
                        })
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(store.person(&bob()).unwrap().unwrap().failures, 200);
}

/// Threads that each create the record when there is none: one creates,
/// the others see its record.
fn racing_creations_create_once(store: &dyn Store) {
    let threads = 8;
    let barrier = Barrier::new(threads);
    let created = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for i in 0..threads as u64 {
            let (barrier, created) = (&barrier, &created);
            s.spawn(move || {
                barrier.wait();
                let mut mine = false;
                let after = store
                    .update_person(&bob(), &mut |current| match current {
                        Some(_) => {
                            mine = false;
                            Update::Keep
                        }
                        None => {
                            mine = true;
                            Update::Put(enrolled(100 + i))
                        }
                    })
                    .unwrap();
                if mine {
                    created.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(after, Some(enrolled(100 + i)));
                }
            });
        }
    });
    assert_eq!(created.load(Ordering::SeqCst), 1);
}

/// The rule a TOTP step rests on: "accept when the step is above the last
/// accepted one, and record it", raced by 12 threads on one step.
fn one_step_accepted_once(store: &dyn Store) {
    put(store, &bob(), enrolled(1));
    let threads = 12;
    let barrier = Barrier::new(threads);
    let accepted = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                let mut took = false;
                store
                    .update_person(&bob(), &mut |current| {
                        let mut r = current.cloned().unwrap();
                        took = r.last_step.is_none_or(|last| last < 1000);
                        if !took {
                            return Update::Keep;
                        }
                        r.last_step = Some(1000);
                        Update::Put(r)
                    })
                    .unwrap();
                if took {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

fn keys_in_batches(store: &dyn Store) {
    let keys: Vec<PersonKey> = (0..25)
        .map(|i| PersonKey::new("acme", &format!("p{i:03}")))
        .collect();
    for key in &keys {
        put(store, key, PersonRecord::default());
    }
    let mut seen = Vec::new();
    let mut after: Option<PersonKey> = None;
    loop {
        let batch = store.person_keys(after.as_ref(), 10).unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 10);
        after = batch.last().cloned();
        seen.extend(batch);
    }
    assert_eq!(seen, keys);
}

fn batch_update_counts(store: &dyn Store) {
    let keys: Vec<PersonKey> = (0..5)
        .map(|i| PersonKey::new("acme", &format!("p{i}")))
        .collect();
    for key in &keys {
        put(store, key, PersonRecord::default());
    }
    let mut absent = keys.clone();
    absent.push(PersonKey::new("acme", "nobody"));
    let written = store
        .update_persons(&absent, &mut |k, current| match current {
            Some(r) if k != &keys[0] => {
                let mut r = r.clone();
                r.failures = 7;
                Update::Put(r)
            }
            _ => Update::Keep,
        })
        .unwrap();
    assert_eq!(written, 4);
    assert_eq!(store.person(&keys[0]).unwrap().unwrap().failures, 0);
    assert_eq!(store.person(&keys[4]).unwrap().unwrap().failures, 7);
    assert_eq!(store.person(&absent[5]).unwrap(), None);
}

fn batch_read_in_order(store: &dyn Store) {
    let key = |name: &str| PersonKey::new("acme", name);
    put(store, &key("a"), enrolled(1));
    put(store, &key("b"), enrolled(2));
    let read = store
        .persons(&[key("b"), key("nobody"), key("a"), key("b")])
        .unwrap();
    let read: Vec<Option<PersonRecord>> = read.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        read,
        vec![
            Some(enrolled(2)),
            None,
            Some(enrolled(1)),
            Some(enrolled(2))
        ]
    );
    assert!(store.persons(&[]).unwrap().is_empty());
}

fn links_and_company_settings(store: &dyn Store) {
    assert_eq!(store.person_of_account("bob").unwrap(), None);
    store.link_account("bob", &bob()).unwrap();
    store.link_account("bob", &bob()).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), Some(bob()));
    let other = PersonKey::new("acme", "robert");
    store.link_account("bob", &other).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), Some(other));

    assert_eq!(store.company_policy("acme").unwrap(), None);
    store
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    store
        .set_company_policy("globex", Enforcement::Optional)
        .unwrap();
    assert_eq!(
        store.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
    assert_eq!(store.company_remember("acme").unwrap(), None);
    store
        .set_company_remember("acme", RememberDays::from_days(30).unwrap())
        .unwrap();
    assert_eq!(
        store.company_remember("acme").unwrap(),
        Some(RememberDays::from_days(30).unwrap())
    );
    assert_eq!(store.company_remember("globex").unwrap(), None);
}

fn browser(created_at: i64) -> RememberedBrowser {
    RememberedBrowser {
        enrollment_id: 1,
        account: "bob".into(),
        created_at,
        last_used_at: created_at,
        label: "Firefox on Linux".into(),
        earned_by: Some(crate::domain::Factor::Passkey),
    }
}

fn browsers(store: &dyn Store) {
    let (a, b) = (BrowserId([1; 32]), BrowserId([2; 32]));
    store.remember_browser(&bob(), &a, &browser(200)).unwrap();
    store.remember_browser(&bob(), &b, &browser(100)).unwrap();
    // A person whose key extends bob's past a 0x00 has a browser too.
    let longer = PersonKey::new("acme", "bob\0x");
    store
        .remember_browser(&longer, &BrowserId([3; 32]), &browser(50))
        .unwrap();
    let listed = store.remembered_browsers(&bob()).unwrap();
    assert_eq!(
        listed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![b, a],
        "oldest first, only bob's"
    );
    store.touch_remembered_browser(&bob(), &a, 999).unwrap();
    assert_eq!(
        store
            .remembered_browser(&bob(), &a)
            .unwrap()
            .unwrap()
            .last_used_at,
        999
    );
    let forgotten = BrowserId([9; 32]);
    store
        .touch_remembered_browser(&bob(), &forgotten, 5)
        .unwrap();
    assert_eq!(store.remembered_browser(&bob(), &forgotten).unwrap(), None);
    assert_eq!(store.remembered_browser(&longer, &a).unwrap(), None);
    assert_eq!(store.forget_browsers(&bob(), Some(&a)).unwrap(), 1);
    assert_eq!(store.forget_browsers(&bob(), Some(&a)).unwrap(), 0);
    assert_eq!(store.forget_browsers(&bob(), None).unwrap(), 1);
    assert!(store.remembered_browsers(&bob()).unwrap().is_empty());
    assert_eq!(store.remembered_browsers(&longer).unwrap().len(), 1);
}

fn seen(account: &str, last_seen: i64) -> SeenAccount {
    SeenAccount {
        account: account.into(),
        class: AccountClass::Employee,
        person: account.into(),
        last_seen,
        email: None,
        manages_policy: false,
    }
}

fn seen_accounts(store: &dyn Store) {
    store.note_seen("acme", &seen("bob", 100)).unwrap();
    store.note_seen("acme", &seen("alice", 300)).unwrap();
    store.note_seen("acme2", &seen("carol", 300)).unwrap();
    store.note_seen("acme", &seen("bob", 400)).unwrap();
    let mut found: Vec<_> = store
        .seen_accounts("acme", 200)
        .unwrap()
        .into_iter()
        .map(|s| (s.account, s.last_seen))
        .collect();
    found.sort();
    assert_eq!(found, vec![("alice".into(), 300), ("bob".into(), 400)]);
    assert!(store.seen_accounts("acm", 0).unwrap().is_empty());
}

fn event(person: Option<PersonKey>, at: i64, detail: &str) -> AuditEvent {
    AuditEvent {
        at,
        kind: AuditKind::ChallengeFailed,
        person,
        company: "acme".into(),
        actor: "bob".into(),
        detail: detail.into(),
    }
}

fn audit_trail(store: &dyn Store) {
    for (i, at) in [100, 200, 300].into_iter().enumerate() {
        store
            .append_audit(&event(Some(bob()), at, &format!("e{i}")))
            .unwrap();
    }
    let longer = PersonKey::new("acme", "bob\0x");
    store.append_audit(&event(Some(longer), 150, "x")).unwrap();
    store.append_audit(&event(None, 50, "policy")).unwrap();
    let details = |events: Vec<AuditEvent>| -> Vec<String> {
        events.into_iter().map(|e| e.detail.note).collect()
    };
    assert_eq!(
        details(store.audit_for(&bob(), 10).unwrap()),
        ["e2", "e1", "e0"],
        "newest first, only bob's"
    );
    assert_eq!(details(store.audit_for(&bob(), 2).unwrap()), ["e2", "e1"]);
    assert_eq!(store.prune_audit(160).unwrap(), 3, "e0, x and the policy");
    assert_eq!(details(store.audit_for(&bob(), 10).unwrap()), ["e2", "e1"]);
    assert_eq!(store.prune_audit(160).unwrap(), 0);
}

pub(super) fn delivery(id: u64) -> Delivery {
    Delivery {
        notice: Notice {
            id,
            kind: NoticeKind::BackupCodeUsed,
            at: 1_700_000_000,
            company: "acme".into(),
            person: Some("bob".into()),
            account: "bob".into(),
            whence: Whence {
                actor: "bob".into(),
                ip: None,
                browser: None,
                request_id: None,
                lang: "ja".into(),
            },
            codes_left: Some(3),
            note: String::new(),
            repeats: None,
        },
        target: Target::Webhook {
            url: "http://127.0.0.1:1/h".into(),
        },
        state: DeliveryState::Pending,
        attempts: 0,
        next_at_ms: 5,
        last_error: String::new(),
    }
}

fn outbox_and_noting(store: &dyn Store) {
    let first = store.next_id().unwrap();
    let second = store.next_id().unwrap();
    assert!(second > first, "ids increase");
    store
        .enqueue(&[(second, delivery(second)), (first, delivery(first))])
        .unwrap();
    let ids = |store: &dyn Store| -> Vec<u64> {
        store
            .outbox(Queue::Pending, None, 10)
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    };
    assert_eq!(ids(store), vec![first, second], "oldest first");
    let page = |queue, after, limit| store.outbox(queue, after, limit).unwrap();
    assert_eq!(
        page(Queue::Pending, None, 1),
        vec![(first, delivery(first))]
    );
    assert_eq!(
        page(Queue::Pending, Some(first), 5),
        vec![(second, delivery(second))],
        "the page after an id"
    );
    assert!(page(Queue::Pending, Some(second), 5).is_empty());

    // A dead letter leaves the queue in one commit, and comes back.
    let mut dead = delivery(first);
    dead.state = DeliveryState::Dead;
    dead.attempts = 12;
    store.bury(first, &dead).unwrap();
    assert_eq!(ids(store), vec![second]);
    assert_eq!(page(Queue::Dead, None, 10), vec![(first, dead.clone())]);
    assert_eq!(store.outbox_count(Queue::Dead).unwrap(), 1);
    assert_eq!(store.outbox_count(Queue::Pending).unwrap(), 1);
    store.revive(&[(first, delivery(first))]).unwrap();
    assert_eq!(ids(store), vec![first, second]);
    assert_eq!(store.outbox_count(Queue::Dead).unwrap(), 0);
    store.remove_delivery(first).unwrap();
    assert_eq!(ids(store), vec![second]);

    // Notes are written with the change, from the record before and after.
    let third = store.next_id().unwrap();
    let calls = Mutex::new(Vec::new());
    store
        .update_person_noting(
            &bob(),
            &mut |_| Update::Put(enrolled(7)),
            &mut |before, after| {
                calls
                    .lock()
                    .unwrap()
                    .push((before.cloned(), after.cloned()));
                vec![(third, delivery(third))]
            },
        )
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), vec![(None, Some(enrolled(7)))]);
    assert_eq!(ids(store), vec![second, third]);
    assert_eq!(store.person(&bob()).unwrap(), Some(enrolled(7)));
    // A kept record makes no notes.
    store
        .update_person_noting(&bob(), &mut |_| Update::Keep, &mut |_, _| {
            panic!("notes of an unchanged record")
        })
        .unwrap();
}

/// Notes ask the store for ids while the change is open (as `notify`
/// does): more such changes at once than the store has connections must
/// all complete.
fn notes_may_ask_for_ids(store: &dyn Store) {
    let threads = 24;
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for i in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                let key = PersonKey::new("acme", &format!("p{i}"));
                barrier.wait();
                store
                    .update_person_noting(&key, &mut |_| Update::Put(enrolled(1)), &mut |_, _| {
                        let id = store.next_id().unwrap();
                        vec![(id, delivery(id))]
                    })
                    .unwrap();
            });
        }
    });
    assert_eq!(
        store.outbox(Queue::Pending, None, 100).unwrap().len(),
        threads
    );
}

fn contacts(store: &dyn Store) {
    store
        .note_contact(&bob(), "bob", "bob@example.com", "ja")
        .unwrap();
    store
        .note_contact(&bob(), "bob-admin", "admin@example.com", "en")
        .unwrap();
    let longer = PersonKey::new("acme", "bob\0x");
    store
        .note_contact(&longer, "x", "x@example.com", "en")
        .unwrap();
    let mut found = store.contacts(&bob()).unwrap();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("bob".into(), "bob@example.com".into(), "ja".into()),
            ("bob-admin".into(), "admin@example.com".into(), "en".into()),
        ]
    );
    store.flush().unwrap();
}

fn export(store: &dyn Store) {
    put(store, &bob(), enrolled(3));
    store.link_account("bob", &bob()).unwrap();
    store
        .set_company_policy("acme", Enforcement::Required)
        .unwrap();
    let mut entries = Vec::new();
    store
        .export(&mut |tree, key, value| {
            entries.push((tree.to_owned(), key.to_vec(), value.to_vec()));
            Ok(())
        })
        .unwrap();
    let trees: Vec<&str> = entries.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(trees, ["persons", "accounts", "policies"]);
    assert_eq!(entries[0].1, bob().as_str().as_bytes());
    assert_eq!(
        records::decode_person(&entries[0].2).unwrap(),
        enrolled(3),
        "the record's own bytes"
    );
}

/// Replicas started together: each migrates under the advisory lock, one
/// creates the schema, all open, and the schema is at this binary's
/// version once.
#[test]
fn replicas_starting_together_migrate_once() {
    let cluster = LocalPostgres::start().expect("a private PostgreSQL cluster");
    let url = cluster.url();
    std::thread::scope(|s| {
        let opened: Vec<_> = (0..6)
            .map(|_| s.spawn(|| PostgresStore::open(&options(&url)).map(drop)))
            .collect();
        for o in opened {
            o.join().unwrap().unwrap();
        }
    });
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = c.query("SELECT version FROM mfa_gate_schema", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, i32>(0), 1);
}

/// An unreachable database: an `Open` error naming host, port and
/// database, never the URL's user or password.
#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut o = options(&format!("postgresql://gate:s3cret-pw@127.0.0.1:{port}/mfa"));
    o.timeout = std::time::Duration::from_millis(300);
    let Err(error) = PostgresStore::open(&o) else {
        panic!("nothing listens on {port}");
    };
    let text = error.to_string();
    assert!(
        text.contains(&format!("postgresql://127.0.0.1:{port}/mfa")),
        "{text}"
    );
    assert!(
        !text.contains("s3cret") && !text.contains("gate:"),
        "{text}"
    );
    assert!(!format!("{o:?}").contains("s3cret"));
}

/// TLS to the database: with the CA that signed the server's certificate
/// the store connects encrypted; with only the system's roots it refuses
/// that certificate; a server without TLS is refused, never used in the
/// clear.
#[test]
fn tls_to_the_database_is_encrypted_and_checked() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".into()])
            .unwrap();
    let (cert, key) = (certified.cert.pem(), certified.key_pair.serialize_pem());
    let cluster = LocalPostgres::start_tls(&cert, &key).expect("a private cluster with TLS");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cert).unwrap();

    let mut o = options(&cluster.url());
    o.tls = DatabaseTls::RequireWithCa(ca);
    let store = PostgresStore::open(&o).unwrap();
    store.link_account("bob", &bob()).unwrap();
    assert_eq!(store.person_of_account("bob").unwrap(), Some(bob()));
    let mut admin = postgres::Client::connect(&cluster.url(), postgres::NoTls).unwrap();
    let encrypted: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
             WHERE application_name = 'mfa-gate' AND ssl",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(encrypted > 0, "the store's connections use TLS");
    let plain: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
             WHERE application_name = 'mfa-gate' AND NOT ssl",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(plain, 0, "no connection of the store in the clear");

    let mut o = options(&cluster.url());
    o.tls = DatabaseTls::Require;
    o.timeout = std::time::Duration::from_secs(2);
    let refused = PostgresStore::open(&o).map(drop).unwrap_err().to_string();
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");

    let clear = LocalPostgres::start().unwrap();
    let mut o = options(&clear.url());
    o.tls = DatabaseTls::Require;
    o.timeout = std::time::Duration::from_secs(2);
    let refused = PostgresStore::open(&o).map(drop).unwrap_err().to_string();
    assert!(
        refused.contains("TLS") || refused.contains("SSL"),
        "{refused}"
    );
}

/// Audit pruning runs on one replica at a time: while another holds the
/// pruning lock, a replica's round prunes nothing (and says 0); once it is
/// free, the next round does the work.
#[test]
fn one_replica_at_a_time_prunes_the_audit_trail() {
    let cluster = LocalPostgres::start().expect("a private PostgreSQL cluster");
    let store = PostgresStore::open(&options(&cluster.url())).unwrap();
    store.append_audit(&event(Some(bob()), 100, "old")).unwrap();
    store.append_audit(&event(Some(bob()), 300, "new")).unwrap();
    let mut other = postgres::Client::connect(&cluster.url(), postgres::NoTls).unwrap();
    other
        .query(
            "SELECT pg_advisory_lock($1)",
            &[&super::postgres_store::PRUNE_LOCK],
        )
        .unwrap();
    assert_eq!(store.prune_audit(200).unwrap(), 0, "another replica prunes");
    assert_eq!(store.audit_for(&bob(), 10).unwrap().len(), 2);
    other
        .query(
            "SELECT pg_advisory_unlock($1)",
            &[&super::postgres_store::PRUNE_LOCK],
        )
        .unwrap();
    assert_eq!(store.prune_audit(200).unwrap(), 1);
    assert_eq!(store.audit_for(&bob(), 10).unwrap().len(), 1);
}
