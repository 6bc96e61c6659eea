//! The schema, created and upgraded at start-up. Several replicas may start
//! at once: each takes one transaction-scoped advisory lock first, so one
//! applies the migrations and the others find them applied. A database
//! whose schema is newer than this binary knows is refused (an older
//! gateway must not write records it does not understand).

use postgres::Client;

use crate::store::StoreError;

/// The advisory lock of migrations ("mfa-gate" in ASCII, and 1).
const MIGRATION_LOCK: i64 = 0x6d66_612d_6761_7401;

/// Migration `n` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the sled trees as rows (layout.rs), and the id sequence behind
    // `next_id` (audit order, outbox ids).
    "CREATE TABLE mfa_gate_entries (
         tree  text  NOT NULL,
         key   bytea NOT NULL,
         value bytea NOT NULL,
         PRIMARY KEY (tree, key)
     );
     CREATE SEQUENCE mfa_gate_ids;",
];

/// Bring the schema to this binary's version.
pub fn migrate(c: &mut Client) -> Result<(), StoreError> {
    let mut tx = c.transaction()?;
    tx.query("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS mfa_gate_schema (version integer NOT NULL)")?;
    let found = tx
        .query_opt("SELECT version FROM mfa_gate_schema", &[])?
        .map(|row| row.get::<_, i32>(0));
    let version = usize::try_from(found.unwrap_or(0)).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(StoreError::Engine(format!(
            "the database's schema is version {version}, newer than this mfa-gate knows ({}): \
             run the newer mfa-gate, or restore a backup",
            MIGRATIONS.len()
        )));
    }
    for sql in &MIGRATIONS[version..] {
        tx.batch_execute(sql)?;
    }
    let latest = i32::try_from(MIGRATIONS.len()).expect("few migrations");
    match found {
        None => tx.execute(
            "INSERT INTO mfa_gate_schema (version) VALUES ($1)",
            &[&latest],
        )?,
        Some(_) => tx.execute("UPDATE mfa_gate_schema SET version = $1", &[&latest])?,
    };
    tx.commit()?;
    Ok(())
}
