//! Walking the `persons` tree of the sled store: keys in order, one batch
//! at a time, and a batch of compare-and-swap updates made durable by one
//! flush (a key rotation re-seals every record without one flush each).
//! The single-record compare-and-swap loop lives here too, shared with
//! `update_person`.

use super::{SledStore, engine};
use crate::domain::{PersonKey, PersonRecord};
use crate::store::{StoreError, Update, records};
use sled::IVec;

/// What `f` decided on the record as read. Lives for one turn of a
/// compare-and-swap loop, on the stack: no box for the larger variant.
#[allow(clippy::large_enum_variant)]
pub(in crate::store) enum Decided {
    /// Nothing to write; the record as it is.
    Unchanged(Option<PersonRecord>),
    Change(Change),
}

/// A write to make if the record is still `current_bytes`.
pub(in crate::store) struct Change {
    pub current_bytes: Option<IVec>,
    pub current: Option<PersonRecord>,
    pub new_bytes: Option<Vec<u8>>,
    pub after: Option<PersonRecord>,
}

impl SledStore {
    /// Compare-and-swap `f`'s decision into the person's record, without a
    /// flush. Returns the record as stored afterwards and whether anything
    /// was written.
    pub(super) fn swap_person(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    ) -> Result<(Option<PersonRecord>, bool), StoreError> {
        loop {
            let change = match self.decide(key, f)? {
                Decided::Unchanged(record) => return Ok((record, false)),
                Decided::Change(change) => change,
            };
            let swapped = self
                .persons
                .compare_and_swap(key.as_str(), change.current_bytes, change.new_bytes)
                .map_err(engine)?;
            match swapped {
                Ok(()) => return Ok((change.after, true)),
                // Another writer got there first: run `f` again on its result.
                Err(_conflict) => continue,
            }
        }
    }

    /// One read of the person's record and `f`'s decision on it: the
    /// first half of every compare-and-swap loop (`swap_person`,
    /// `swap_noting`).
    pub(in crate::store) fn decide(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    ) -> Result<Decided, StoreError> {
        let current_bytes: Option<IVec> = self.persons.get(key.as_str()).map_err(engine)?;
        // A record that does not decode stops here: no decision is made on a
        // record we cannot read (fail closed).
        let current = current_bytes
            .as_ref()
            .map(|bytes| records::decode_person(bytes))
            .transpose()?;
        let (new_bytes, after) = match f(current.as_ref()) {
            Update::Keep => return Ok(Decided::Unchanged(current)),
            Update::Delete if current_bytes.is_none() => return Ok(Decided::Unchanged(None)),
            Update::Delete => (None, None),
            Update::Put(record) => (Some(records::encode_person(&record)?), Some(record)),
        };
        Ok(Decided::Change(Change {
            current_bytes,
            current,
            new_bytes,
            after,
        }))
    }

    pub(super) fn person_keys_after(
        &self,
        after: Option<&PersonKey>,
        limit: usize,
    ) -> Result<Vec<PersonKey>, StoreError> {
        let range = match after {
            Some(key) => self.persons.range::<&[u8], _>((
                std::ops::Bound::Excluded(key.as_str().as_bytes()),
                std::ops::Bound::Unbounded,
            )),
            None => self.persons.iter(),
        };
        range
            .keys()
            .take(limit)
            .map(|k| records::decode_person_key(&k.map_err(engine)?))
            .collect()
    }

    pub(super) fn update_persons_batch(
        &self,
        keys: &[PersonKey],
        f: &mut dyn FnMut(&PersonKey, Option<&PersonRecord>) -> Update,
    ) -> Result<usize, StoreError> {
        let mut written = 0;
        for key in keys {
            if self.swap_person(key, &mut |current| f(key, current))?.1 {
                written += 1;
            }
        }
        if written > 0 {
            self.flush_db()?;
        }
        Ok(written)
    }
}

// Tested by the store contract (store/contract_tests/), on sled and on
// PostgreSQL alike.
