//! `mfa-gate store copy --from-sled DIR --to-postgres URL`: the way up from
//! one gateway to replicas. Offline (the sled directory is locked by a
//! running gateway), in batches of one transaction each; entries keep
//! their bytes (`layout.rs`), so sealed secrets stay sealed under the same
//! keys. Running it again writes the same rows (idempotent). Afterwards
//! every tree is read back from both stores and compared entry by entry;
//! any difference (a database that already held other entries included)
//! is an error that names the tree.

use std::collections::BTreeMap;

use super::layout::TREES;
use super::{PostgresStore, SledStore, Store, StoreError};

/// Entries per transaction.
const BATCH: usize = 1000;

/// What was copied, per tree.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub per_tree: BTreeMap<String, usize>,
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total: usize = self.per_tree.values().sum();
        write!(f, "{total} entries")?;
        let parts: Vec<String> = self
            .per_tree
            .iter()
            .map(|(tree, n)| format!("{tree} {n}"))
            .collect();
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

type Entry = (String, Vec<u8>, Vec<u8>);

/// Copy every entry of `from` into `to`, then verify both hold the same.
pub fn sled_to_postgres(from: &SledStore, to: &PostgresStore) -> Result<Copied, StoreError> {
    let mut copied = Copied::default();
    let mut batch: Vec<Entry> = Vec::with_capacity(BATCH);
    let send = |batch: &mut Vec<Entry>| -> Result<(), StoreError> {
        let refs: Vec<(&str, &[u8], &[u8])> = batch
            .iter()
            .map(|(t, k, v)| (t.as_str(), k.as_slice(), v.as_slice()))
            .collect();
        to.import_entries(refs)?;
        batch.clear();
        Ok(())
    };
    from.export(&mut |tree, key, value| {
        *copied.per_tree.entry(tree.to_owned()).or_default() += 1;
        batch.push((tree.to_owned(), key.to_vec(), value.to_vec()));
        if batch.len() >= BATCH {
            send(&mut batch)?;
        }
        Ok(())
    })?;
    send(&mut batch)?;
    verify(from, to)?;
    Ok(copied)
}

/// Both stores hold exactly the same entries, tree by tree.
fn verify(from: &SledStore, to: &PostgresStore) -> Result<(), StoreError> {
    let mut source = entries(from)?;
    let mut target = entries(to)?;
    for tree in TREES {
        let a = source.remove(tree).unwrap_or_default();
        let b = target.remove(tree).unwrap_or_default();
        if a != b {
            let missing = a.iter().filter(|e| !b.contains(e)).count();
            let extra = b.iter().filter(|e| !a.contains(e)).count();
            return Err(StoreError::Engine(format!(
                "verification failed in `{tree}`: {} entries in sled, {} in PostgreSQL \
                 ({missing} missing or different, {extra} not from this sled store); \
                 copy into an empty database",
                a.len(),
                b.len()
            )));
        }
    }
    Ok(())
}

type Tree = Vec<(Vec<u8>, Vec<u8>)>;

fn entries(store: &dyn Store) -> Result<BTreeMap<String, Tree>, StoreError> {
    let mut out: BTreeMap<String, Tree> = BTreeMap::new();
    store.export(&mut |tree, key, value| {
        out.entry(tree.to_owned())
            .or_default()
            .push((key.to_vec(), value.to_vec()));
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests;
