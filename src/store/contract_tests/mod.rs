//! The `Store` contract: one suite of checks, each on a fresh store, run
//! unchanged on sled and on PostgreSQL (a private cluster,
//! `LocalPostgres`). Every method of the trait is called and its answer
//! read back; the races run on threads against the engine itself (no cache
//! in front), so sled's compare-and-swap retries and PostgreSQL's row locks
//! both run under contention.
//!
//! The list of checks, the two engines' runs and the shared fixtures live
//! here; the checks themselves, by behaviour, in the submodules.

use crate::store::testing::LocalPostgres;

use super::*;
use crate::domain::{DeliveryState, Enrollment, Notice, NoticeKind, Target, Whence};

mod accounts;
mod audit;
mod outbox;
mod persons;
mod postgres_only;
mod races;
mod remembered_browsers;

use accounts::{contacts, links_and_company_settings, seen_accounts};
use audit::audit_trail;
use outbox::{notes_may_ask_for_ids, outbox_and_noting};
use persons::{
    batch_read_in_order, batch_update_counts, export, keep_and_delete, keys_in_batches,
    person_round_trip,
};
use races::{one_step_accepted_once, racing_creations_create_once, racing_updates_lose_nothing};
use remembered_browsers::browsers;

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
