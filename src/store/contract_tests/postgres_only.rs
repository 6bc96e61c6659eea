//! PostgreSQL only: replicas migrating together, an unreachable database
//! named without its password, and TLS to the database.

use super::*;
use crate::store::testing::LocalPostgres;

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
