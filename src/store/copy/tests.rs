//! Unit tests of `store::copy`.

use super::*;
use crate::domain::{Enforcement, PersonKey, PersonRecord};
use crate::store::Update;
use crate::store::contract_tests::options;
use crate::store::testing::LocalPostgres;

/// A copy holds every entry, ids go on past the copied ones, a second
/// copy is the same, and a database with other entries is refused.
#[test]
fn a_sled_store_copies_into_postgres_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let sled = SledStore::open(dir.path()).unwrap();
    for i in 0..2500 {
        let key = PersonKey::new("acme", &format!("p{i}"));
        sled.update_person(&key, &mut |_| Update::Put(PersonRecord::default()))
            .unwrap();
    }
    sled.set_company_policy("acme", Enforcement::Required)
        .unwrap();
    let last_id = sled.next_id().unwrap();

    let cluster = LocalPostgres::start().unwrap();
    let pg = PostgresStore::open(&options(&cluster.url())).unwrap();
    let copied = sled_to_postgres(&sled, &pg).unwrap();
    assert_eq!(copied.per_tree["persons"], 2500);
    assert_eq!(copied.per_tree["policies"], 1);
    assert_eq!(
        copied.to_string(),
        "2501 entries (persons 2500, policies 1)"
    );
    let key = PersonKey::new("acme", "p1234");
    assert_eq!(pg.person(&key).unwrap(), Some(PersonRecord::default()));
    assert_eq!(
        pg.company_policy("acme").unwrap(),
        Some(Enforcement::Required)
    );
    assert_eq!(sled_to_postgres(&sled, &pg).unwrap(), copied, "again");

    // An outbox id from sled moves the sequence past it.
    let id = last_id + 1000;
    let key = id.to_be_bytes();
    pg.import_entries([("outbox", key.as_slice(), [1u8].as_slice())])
        .unwrap();
    assert!(pg.next_id().unwrap() > id);

    // That entry is not from sled: a copy now fails its verification.
    let error = sled_to_postgres(&sled, &pg).unwrap_err().to_string();
    assert!(error.contains("verification failed in `outbox`"), "{error}");
}
