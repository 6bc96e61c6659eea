//! The sled store's raw entries out and in, for backups: every entry of the
//! trees as key and value bytes (the accounts-seen notes of the day files
//! as the tree `seen`, `sled_store/seen_log.rs`) (what `records.rs` wrote, sealed
//! secrets still sealed), and loading such entries into an empty store
//! (`mfa-gate store restore`), with counts to verify it.

use super::{SledStore, engine};
use crate::store::{ExportSink, StoreError};
use sled::Tree;
use std::collections::BTreeMap;

/// The trees a backup holds, in the order it holds them.
/// (A backup from before the last five trees existed restores as well.)
pub use crate::store::layout::TREES;

impl SledStore {
    fn tree(&self, name: &str) -> Option<&Tree> {
        match name {
            "persons" => Some(&self.persons),
            "accounts" => Some(&self.accounts),
            "policies" => Some(&self.policies),
            "audit" => Some(&self.audit),
            "browsers" => Some(&self.browsers),
            "remember" => Some(&self.remember),
            "seen" => Some(&self.seen),
            "outbox" => Some(&self.outbox),
            "dead_letters" => Some(&self.dead_letters),
            "contacts" => Some(&self.contacts),
            _ => None,
        }
    }

    pub(super) fn export_trees(&self, sink: &mut ExportSink<'_>) -> Result<(), StoreError> {
        for name in TREES {
            if name == "seen" {
                // The day files and the old tree: each key's latest note,
                // in key order, as one tree.
                for (key, (_, value)) in self.latest_seen(b"", i64::MIN)? {
                    sink(name, &key, &value)?;
                }
                continue;
            }
            let Some(tree) = self.tree(name) else {
                continue;
            };
            for entry in tree.iter() {
                let (key, value) = entry.map_err(engine)?;
                sink(name, &key, &value)?;
            }
        }
        Ok(())
    }

    /// Entries per tree, as stored now; an empty tree is left out, as a
    /// backup's counts leave it out.
    /// (`seen` counts the accounts of the day files and the old tree.)
    pub fn counts(&self) -> Result<BTreeMap<String, usize>, StoreError> {
        let seen = self.latest_seen(b"", i64::MIN)?.len();
        Ok(TREES
            .iter()
            .filter_map(|name| match *name {
                "seen" => Some((name.to_string(), seen)),
                _ => Some((name.to_string(), self.tree(name)?.len())),
            })
            .filter(|(_, n)| *n > 0)
            .collect())
    }

    /// Whether no tree and no day file holds an entry (a restore goes only
    /// into such a store).
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        let trees = TREES
            .iter()
            .all(|name| self.tree(name).is_none_or(Tree::is_empty));
        Ok(trees && self.seen_log.is_empty()?)
    }

    /// Insert raw entries (tree, key, value) as a backup holds them, then
    /// flush. Not for a store a gateway is using. An unknown tree name is
    /// corrupt input. Audit keys end in a sequence number of the store that
    /// wrote them; they are renumbered here, in their old order, from this
    /// store's own sequence, so events appended later still sort last.
    pub fn import_entries<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a str, &'a [u8], &'a [u8])>,
    ) -> Result<usize, StoreError> {
        let mut count = 0;
        let mut audit: Vec<(u64, &[u8], &[u8])> = Vec::new();
        for (name, key, value) in entries {
            if name == "audit" {
                let Some(split) = key.len().checked_sub(8) else {
                    return Err(corrupt("an audit key shorter than its sequence number"));
                };
                let (prefix, seq) = key.split_at(split);
                let seq = u64::from_be_bytes(seq.try_into().map_err(|_| corrupt("audit key"))?);
                audit.push((seq, prefix, value));
                continue;
            }
            if name == "seen" {
                self.seen_log.import(key, value)?;
                count += 1;
                continue;
            }
            let tree = self
                .tree(name)
                .ok_or_else(|| corrupt(&format!("unknown tree {name:?}")))?;
            tree.insert(key, value).map_err(engine)?;
            count += 1;
        }
        audit.sort_by_key(|(seq, _, _)| *seq);
        for (_, prefix, value) in audit {
            let seq = self.db.generate_id().map_err(engine)?;
            let key = [prefix, &seq.to_be_bytes()].concat();
            self.audit.insert(key, value).map_err(engine)?;
            count += 1;
        }
        self.flush_db()?;
        self.seen_log.sync()?;
        Ok(count)
    }
}

fn corrupt(detail: &str) -> StoreError {
    StoreError::Corrupt {
        what: "backup entry",
        detail: detail.to_owned(),
    }
}
