//! Rows of `mfa_gate_entries` as sled trees: get, put, delete, ordered
//! scans of a key prefix, and the few multi-row operations (touching a
//! browser, pruning the audit trail, importing entries).

use postgres::GenericClient;

use crate::domain::{BrowserId, PersonKey, RememberedBrowser};
use crate::store::layout::{self, prefix_end};
use crate::store::{StoreError, records};

/// Keys and values, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// The advisory lock held by the replica that prunes the audit trail.
pub const PRUNE_LOCK: i64 = 0x6d66_612d_6761_7402;

pub fn get(
    c: &mut impl GenericClient,
    tree: &str,
    key: &[u8],
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = c.query_opt(
        "SELECT value FROM mfa_gate_entries WHERE tree = $1 AND key = $2",
        &[&tree, &key],
    )?;
    Ok(row.map(|r| r.get(0)))
}

pub fn put(
    c: &mut impl GenericClient,
    tree: &str,
    key: &[u8],
    value: &[u8],
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO mfa_gate_entries (tree, key, value) VALUES ($1, $2, $3)
         ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value
         WHERE mfa_gate_entries.value IS DISTINCT FROM EXCLUDED.value",
        &[&tree, &key, &value],
    )?;
    Ok(())
}

/// Returns how many rows went (0 or 1).
pub fn delete(c: &mut impl GenericClient, tree: &str, key: &[u8]) -> Result<usize, StoreError> {
    let n = c.execute(
        "DELETE FROM mfa_gate_entries WHERE tree = $1 AND key = $2",
        &[&tree, &key],
    )?;
    Ok(n as usize)
}

/// Every entry of `tree` whose key starts with `prefix`, in key order
/// (`newest_first`: reversed).
pub fn scan(
    c: &mut impl GenericClient,
    tree: &str,
    prefix: &[u8],
    newest_first: bool,
) -> Result<Entries, StoreError> {
    let end = prefix_end(prefix);
    let sql = if newest_first {
        "SELECT key, value FROM mfa_gate_entries
         WHERE tree = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3) ORDER BY key DESC"
    } else {
        "SELECT key, value FROM mfa_gate_entries
         WHERE tree = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3) ORDER BY key"
    };
    let rows = c.query(sql, &[&tree, &prefix, &end])?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The entries of `tree` after the key `after` (from the start when
/// `None`), at most `limit`, in key order.
pub fn after(
    c: &mut impl GenericClient,
    tree: &str,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<Entries, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c.query(
        "SELECT key, value FROM mfa_gate_entries
         WHERE tree = $1 AND ($2::bytea IS NULL OR key > $2) ORDER BY key LIMIT $3",
        &[&tree, &after, &limit],
    )?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// How many entries `tree` holds.
pub fn count(c: &mut impl GenericClient, tree: &str) -> Result<usize, StoreError> {
    let row = c.query_one(
        "SELECT count(*) FROM mfa_gate_entries WHERE tree = $1",
        &[&tree],
    )?;
    Ok(usize::try_from(row.get::<_, i64>(0)).unwrap_or(0))
}

/// The keys of `tree` after `after` (all when `None`), at most `limit`.
pub fn keys_after(
    c: &mut impl GenericClient,
    tree: &str,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c.query(
        "SELECT key FROM mfa_gate_entries
         WHERE tree = $1 AND ($2::bytea IS NULL OR key > $2) ORDER BY key LIMIT $3",
        &[&tree, &after, &limit],
    )?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

/// A fresh id from the database's sequence: unique and increasing across
/// every replica and restart.
pub fn next_id(c: &mut impl GenericClient) -> Result<u64, StoreError> {
    let id: i64 = c.query_one("SELECT nextval('mfa_gate_ids')", &[])?.get(0);
    u64::try_from(id).map_err(|_| StoreError::Corrupt {
        what: "id sequence",
        detail: id.to_string(),
    })
}

/// A person's remembered browsers, oldest first.
pub fn browsers_of(
    c: &mut impl GenericClient,
    key: &PersonKey,
) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
    let prefix = layout::person_prefix(key);
    let entries = scan(c, "browsers", &prefix, false)?;
    layout::browsers_in(&prefix, entries.into_iter().map(Ok))
}

/// Set a remembered browser's last use; nothing if it was forgotten.
pub fn touch_browser(
    c: &mut postgres::Client,
    key: &PersonKey,
    id: &BrowserId,
    now: i64,
) -> Result<(), StoreError> {
    let k = layout::browser_key(key, &id.0);
    let mut tx = c.transaction()?;
    let Some(row) = tx.query_opt(
        "SELECT value FROM mfa_gate_entries WHERE tree = 'browsers' AND key = $1 FOR UPDATE",
        &[&k],
    )?
    else {
        return Ok(());
    };
    let mut browser = records::decode_browser(row.get(0))?;
    browser.last_used_at = now;
    put(&mut tx, "browsers", &k, &records::encode_browser(&browser)?)?;
    Ok(tx.commit()?)
}

/// Delete the audit events before `before`, on one replica at a time (a
/// replica that finds another pruning skips this round). An event that
/// does not decode is kept.
pub fn prune_audit(c: &mut postgres::Client, before: i64) -> Result<usize, StoreError> {
    let mut tx = c.transaction()?;
    let mine: bool = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&PRUNE_LOCK])?
        .get(0);
    if !mine {
        return Ok(0);
    }
    let mut pruned = 0;
    for (key, bytes) in scan(&mut tx, "audit", &[], false)? {
        let Ok(event) = records::decode_audit(&bytes) else {
            continue;
        };
        if event.at < before {
            pruned += delete(&mut tx, "audit", &key)?;
        }
    }
    tx.commit()?;
    Ok(pruned)
}

/// Entries per tree.
pub fn counts(
    c: &mut impl GenericClient,
) -> Result<std::collections::BTreeMap<String, usize>, StoreError> {
    let rows = c.query(
        "SELECT tree, count(*) FROM mfa_gate_entries GROUP BY tree",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as usize))
        .collect())
}

/// Put raw entries in one transaction and move the id sequence past the
/// ids they hold (audit keys end with one, outbox keys are one).
pub fn import(
    c: &mut postgres::Client,
    entries: &[(&str, &[u8], &[u8])],
) -> Result<usize, StoreError> {
    let mut tx = c.transaction()?;
    let mut highest = 0u64;
    for (tree, key, value) in entries {
        if matches!(*tree, "audit" | "outbox" | "dead_letters") && key.len() >= 8 {
            let id: [u8; 8] = key[key.len() - 8..].try_into().expect("8 bytes");
            highest = highest.max(u64::from_be_bytes(id));
        }
        put(&mut tx, tree, key, value)?;
    }
    if highest > 0 {
        let highest = i64::try_from(highest).unwrap_or(i64::MAX);
        tx.query(
            "SELECT setval('mfa_gate_ids', GREATEST($1, (SELECT last_value FROM mfa_gate_ids)))",
            &[&highest],
        )?;
    }
    tx.commit()?;
    Ok(entries.len())
}
