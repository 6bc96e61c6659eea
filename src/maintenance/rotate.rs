//! Encryption key rotation over the whole store, and the check that the
//! configured keys open every stored secret. Both walk the persons one
//! batch at a time through the `Store` trait, so they run offline on the
//! sled store (`mfa-gate keys rotate-encryption`, start-up,
//! `check-config`) and online on a running gateway's store (admin API).
//!
//! A rotation re-seals each sealed TOTP secret (enrollments and pending
//! enrollments) and each sealed backup code (format v2, see
//! `factors::backup_codes`) that is not already sealed under the first
//! key; each record is a compare-and-swap, each batch one flush. It is idempotent: a
//! value already under the first key is recognised by its key id without
//! being opened, so after a crash (or `kill -9`) running it again finishes
//! the job, and its counts say how much was left.

use crate::domain::{PersonKey, PersonRecord};
use crate::factors::backup_codes;
use crate::keys::{KeyId, Keys, OpenError, sealed_key_id};
use crate::store::{Store, StoreError, Update};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::ControlFlow;

/// Persons read (and at most re-sealed) per batch, unless told otherwise.
pub const DEFAULT_BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the {what} secret of person {person} cannot be opened: {reason}; the configuration must keep the key that sealed it (secrets.encryption_key, after the first key)"
    )]
    Unopenable {
        person: String,
        what: &'static str,
        reason: OpenError,
    },
}

/// What a walk found or did so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub batches: usize,
    pub persons: usize,
    /// Sealed secrets seen (enrollments, pending enrollments and v2
    /// backup codes).
    pub secrets: usize,
    /// Of those, re-sealed under the first key by this run.
    pub resealed: usize,
    /// Of those, already sealed under the first key.
    pub current: usize,
    /// Sealed secrets per key id (`None`: sealed before key ids), as found
    /// before this run re-sealed them.
    pub by_key: BTreeMap<Option<KeyId>, usize>,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} persons, {} sealed secrets: {} re-sealed, {} already under the first key",
            self.persons, self.secrets, self.resealed, self.current
        )?;
        let keys: Vec<String> = self
            .by_key
            .iter()
            .map(|(id, n)| match id {
                Some(id) => format!("{id}: {n}"),
                None => format!("no key id: {n}"),
            })
            .collect();
        if !keys.is_empty() {
            write!(f, " (found: {})", keys.join(", "))?;
        }
        Ok(())
    }
}

/// The sealed secrets of a record, with what names them in a message.
fn sealed_values(record: &mut PersonRecord) -> Vec<(&'static str, &mut Vec<u8>)> {
    let mut out = Vec::new();
    if let Some(e) = record.enrollment.as_mut() {
        out.push(("enrollment", &mut e.sealed_secret));
    }
    for p in record.pending.iter_mut() {
        out.push(("pending enrollment", &mut p.sealed_secret));
    }
    if let Some(set) = record.backup_codes.as_mut() {
        for hash in backup_codes::sealed_hashes(set) {
            out.push(("backup code", hash));
        }
    }
    out
}

/// Re-seal every stored secret under the first encryption key, `batch`
/// persons at a time; `on_batch` sees the running totals after each batch
/// (durable by then) and may stop the walk there (`Break`; running it
/// again later carries on). Stops at the first secret no key opens,
/// naming it.
pub fn reseal_all(
    store: &dyn Store,
    keys: &Keys,
    batch: usize,
    on_batch: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Progress, RotateError> {
    walk(store, keys, batch, true, on_batch)
}

/// Check that the configured keys open every stored secret: a value naming
/// a key id is checked against the ring (not opened), an id-less one is
/// opened. Changes nothing.
///
/// A record that cannot be decoded at all is skipped with a
/// warning, not refused: it fails closed (503) for its own person at
/// request time, and refusing to start would lock out everyone else.
pub fn check_all(store: &dyn Store, keys: &Keys) -> Result<Progress, RotateError> {
    let first = keys.encryption_ids().first().copied();
    let known = keys.encryption_ids();
    let mut progress = Progress::default();
    let mut after: Option<PersonKey> = None;
    loop {
        let persons = store.person_keys(after.as_ref(), DEFAULT_BATCH)?;
        let Some(last) = persons.last().cloned() else {
            return Ok(progress);
        };
        let records = store.persons(&persons)?;
        for (person, record) in persons.iter().zip(records) {
            let record = match record {
                Ok(record) => record,
                Err(e @ crate::store::StoreError::Corrupt { .. }) => {
                    tracing::warn!(error = %e, "an unreadable person record: skipped by the key check");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let mut seen = Progress::default();
            visit(
                keys,
                first,
                &known,
                person,
                record.as_ref(),
                false,
                &mut seen,
            )?;
            progress.secrets += seen.secrets;
            progress.current += seen.current;
            for (id, n) in &seen.by_key {
                *progress.by_key.entry(*id).or_default() += n;
            }
        }
        progress.batches += 1;
        progress.persons += persons.len();
        after = Some(last);
    }
}

fn walk(
    store: &dyn Store,
    keys: &Keys,
    batch: usize,
    reseal: bool,
    on_batch: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Progress, RotateError> {
    let first = keys.encryption_ids().first().copied();
    let known = keys.encryption_ids();
    let mut progress = Progress::default();
    let mut after: Option<PersonKey> = None;
    loop {
        let persons = store.person_keys(after.as_ref(), batch.max(1))?;
        let Some(last) = persons.last().cloned() else {
            return Ok(progress);
        };
        let mut failure: Option<RotateError> = None;
        // `f` runs again for a record another writer changed meanwhile:
        // only each record's last run counts.
        let mut per_person: BTreeMap<PersonKey, Progress> = BTreeMap::new();
        store.update_persons(&persons, &mut |person, current| {
            if failure.is_some() {
                return Update::Keep;
            }
            let mut seen = Progress::default();
            match visit(keys, first, &known, person, current, reseal, &mut seen) {
                Ok(update) => {
                    per_person.insert(person.clone(), seen);
                    update
                }
                Err(e) => {
                    failure = Some(e);
                    Update::Keep
                }
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        progress.batches += 1;
        progress.persons += persons.len();
        for seen in per_person.values() {
            progress.secrets += seen.secrets;
            progress.resealed += seen.resealed;
            progress.current += seen.current;
            for (id, n) in &seen.by_key {
                *progress.by_key.entry(*id).or_default() += n;
            }
        }
        if on_batch(&progress).is_break() {
            return Ok(progress);
        }
        after = Some(last);
    }
}

fn visit(
    keys: &Keys,
    first: Option<KeyId>,
    known: &[KeyId],
    person: &PersonKey,
    current: Option<&PersonRecord>,
    reseal: bool,
    seen: &mut Progress,
) -> Result<Update, RotateError> {
    let Some(record) = current else {
        return Ok(Update::Keep);
    };
    let mut record = record.clone();
    let aad = person.as_str().as_bytes().to_vec();
    let mut changed = false;
    let mut rng = rand::rng();
    for (what, sealed) in sealed_values(&mut record) {
        seen.secrets += 1;
        let id = sealed_key_id(sealed);
        *seen.by_key.entry(id).or_default() += 1;
        if id.is_some() && id == first {
            seen.current += 1;
            continue;
        }
        if !reseal && id.is_some_and(|id| known.contains(&id)) {
            continue;
        }
        let opened = keys
            .open_checked(&aad, sealed)
            .map_err(|reason| RotateError::Unopenable {
                person: person.as_str().to_owned(),
                what,
                reason,
            })?;
        if reseal {
            *sealed = keys.seal(&aad, &opened.plaintext, &mut rng);
            seen.resealed += 1;
            changed = true;
        }
    }
    Ok(if changed {
        Update::Put(record)
    } else {
        Update::Keep
    })
}

#[cfg(test)]
mod tests;
