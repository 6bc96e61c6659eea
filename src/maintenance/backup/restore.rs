//! `mfa-gate store restore`: an authentic backup into a new, empty store.
//! A backup is the state of its time, trust included, and trust of then is
//! not trust now: the restored store keeps no remembered browser (the tree
//! is left out) and moves every person's trust epoch on, so no gateway
//! cookie made before the restore counts. Everything else comes back as it
//! was, which can be older than today (a passkey removed since, an
//! enrollment reset since, a lock lifted since): [`Restored`] says what
//! came back, for the operator to print and compare.

use crate::domain::PersonRecord;
use crate::keys::Keys;
use crate::maintenance::backup::{Backup, BackupError, Counts, check_counts};
use crate::store::{SledStore, Store, Update};
use std::path::Path;

/// The tree a restore leaves out: remembered browsers.
const FORGOTTEN_TREE: &str = "browsers";
/// Persons per batch of the walk that moves trust epochs on.
const BATCH: usize = 1000;

/// What a restore brought back, and what it left behind.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Restored {
    /// Entries per tree as stored now.
    pub counts: Counts,
    pub persons: usize,
    /// Persons with a second step (authenticator app or passkey).
    pub enrolled: usize,
    pub passkeys: usize,
    /// Backup codes not yet used, over every person.
    pub backup_codes_unused: usize,
    /// Persons locked at backup time, locked again now.
    pub locked: usize,
    /// Remembered browsers in the backup, not restored.
    pub browsers_forgotten: usize,
}

/// Check that `backup` is authentic under `keys`, load it into a new store
/// at `to` (absent, or an empty directory) without its remembered
/// browsers, end every gateway session made before `now` (each person's
/// trust epoch moves on), then verify: the counts, and that every person
/// record decodes.
pub fn restore(backup: &Backup, keys: &Keys, to: &Path, now: i64) -> Result<Restored, BackupError> {
    backup.authenticate(keys)?;
    let io = |source| BackupError::Io {
        path: to.display().to_string(),
        source,
    };
    if to.exists() && std::fs::read_dir(to).map_err(io)?.next().is_some() {
        return Err(BackupError::NotEmpty(to.display().to_string()));
    }
    let store = SledStore::open(to)?;
    if !store.is_empty()? {
        return Err(BackupError::NotEmpty(to.display().to_string()));
    }
    let kept = backup
        .entries
        .iter()
        .filter(|(t, _, _)| t != FORGOTTEN_TREE);
    store.import_entries(kept.map(|(t, k, v)| (t.as_str(), k.as_slice(), v.as_slice())))?;
    let mut expected = backup.counts.clone();
    let browsers_forgotten = expected.remove(FORGOTTEN_TREE).unwrap_or(0);
    check_counts(&expected, &store.counts()?)?;

    let mut restored = Restored {
        browsers_forgotten,
        ..Restored::default()
    };
    let mut after = None;
    loop {
        let keys = store.person_keys(after.as_ref(), BATCH)?;
        let Some(last) = keys.last().cloned() else {
            break;
        };
        // Offline, with no cache in front: the epoch (part of a person's
        // state) may change in this walk.
        store.update_persons(&keys, &mut |_, current| match current {
            Some(record) => Update::Put(next_epoch(record, now)),
            None => Update::Keep,
        })?;
        for key in &keys {
            if let Some(record) = store.person(key)? {
                restored.note(&record);
            }
        }
        after = Some(last);
    }
    store.flush()?;
    restored.counts = store.counts()?;
    Ok(restored)
}

/// The record with its trust epoch moved past any epoch a cookie made
/// before `now` can name: past the current one, and to at least `now` in
/// seconds, which a lock (one step each) does not reach, so a cookie made
/// after the backup was taken, even after later locks, names an older
/// epoch than the restored one.
pub(in crate::maintenance::backup) fn next_epoch(record: &PersonRecord, now: i64) -> PersonRecord {
    let floor = u32::try_from(now.max(0)).unwrap_or(u32::MAX);
    PersonRecord {
        trust_epoch: record.trust_epoch.saturating_add(1).max(floor),
        ..record.clone()
    }
}

impl Restored {
    fn note(&mut self, record: &PersonRecord) {
        self.persons += 1;
        self.enrolled += usize::from(record.is_enrolled());
        self.passkeys += record.passkeys.len();
        self.backup_codes_unused += record.backup_codes.as_ref().map_or(0, |c| c.remaining());
        self.locked += usize::from(record.is_locked());
    }

    /// What the operator reads after a restore.
    pub fn describe(&self) -> String {
        format!(
            "brought back as of the backup: {} persons, {} with a second step, {} passkeys, {} \
             unused backup codes, {} locked (anything removed, reset or unlocked since the backup \
             is back too: compare with `mfa-gate support status`); forgotten: {} remembered \
             browsers, and every gateway session (each person's trust epoch moved on: everyone \
             passes the second step again)",
            self.persons,
            self.enrolled,
            self.passkeys,
            self.backup_codes_unused,
            self.locked,
            self.browsers_forgotten,
        )
    }
}
