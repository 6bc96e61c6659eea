//! The audit trail: appended, read newest first per person, pruned by age,
//! and (on PostgreSQL) pruned by one replica at a time.

use super::*;
use crate::domain::AuditKind;
use crate::store::testing::LocalPostgres;

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

pub(super) fn audit_trail(store: &dyn Store) {
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
