//! The sled side of notifications: the `outbox` tree (key: the delivery's
//! id as big-endian `u64`, so key order is queue order; value: one
//! delivery, `records/outbox.rs`), the `dead_letters` tree (the same, for
//! deliveries past their last attempt, moved there in one transaction)
//! and the `contacts` tree (key: person key
//! bytes `++ 0x00 ++` account; value: the account's address and language).
//!
//! `swap_noting` is the person compare-and-swap of `walk.rs` done as one
//! sled transaction over `persons` and `outbox`: the change and the
//! deliveries it causes commit together or not at all, so a notice is
//! never lost after its change and never sent for a change that did not
//! happen.

use crate::domain::{Delivery, PersonKey, PersonRecord};
use crate::store::layout::{contacts_in, deliveries_in, person_prefix};
use crate::store::records;
use crate::store::sled_store::{Change, Decided, SledStore, engine};
use crate::store::{NotesFn, Queue, StoreError, Update};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use std::ops::Bound::{Excluded, Unbounded};

impl SledStore {
    pub(in crate::store) fn swap_noting(
        &self,
        key: &PersonKey,
        f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
        notes: &mut NotesFn<'_>,
    ) -> Result<(Option<PersonRecord>, bool), StoreError> {
        loop {
            let Change {
                current_bytes,
                current,
                new_bytes,
                after,
            } = match self.decide(key, f)? {
                Decided::Unchanged(record) => return Ok((record, false)),
                Decided::Change(change) => change,
            };
            let mut entries = Vec::new();
            for (id, delivery) in notes(current.as_ref(), after.as_ref()) {
                entries.push((id.to_be_bytes(), records::encode_delivery(&delivery)?));
            }
            let result = (&self.persons, &self.outbox).transaction(|(persons, outbox)| {
                if persons.get(key.as_str())? != current_bytes {
                    return Err(ConflictableTransactionError::Abort(()));
                }
                match &new_bytes {
                    Some(bytes) => persons.insert(key.as_str(), bytes.as_slice())?,
                    None => persons.remove(key.as_str())?,
                };
                for (id, bytes) in &entries {
                    outbox.insert(id.as_slice(), bytes.as_slice())?;
                }
                Ok(())
            });
            match result {
                Ok(()) => return Ok((after, true)),
                // Another writer got there first: decide again on its result.
                Err(TransactionError::Abort(())) => continue,
                Err(TransactionError::Storage(e)) => return Err(engine(e)),
            }
        }
    }

    pub(in crate::store) fn put_deliveries(
        &self,
        entries: &[(u64, Delivery)],
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (id, delivery) in entries {
            batch.insert(&id.to_be_bytes(), records::encode_delivery(delivery)?);
        }
        self.outbox.apply_batch(batch).map_err(engine)?;
        self.flush_db()
    }

    pub(in crate::store) fn queue(&self, queue: Queue) -> &sled::Tree {
        match queue {
            Queue::Pending => &self.outbox,
            Queue::Dead => &self.dead_letters,
        }
    }

    pub(in crate::store) fn deliveries(
        &self,
        queue: Queue,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Delivery)>, StoreError> {
        let tree = self.queue(queue);
        let entries = match after {
            Some(after) => tree.range((Excluded(after.to_be_bytes()), Unbounded)),
            None => tree.range::<[u8; 8], _>(..),
        };
        deliveries_in(entries.take(limit).map(|e| e.map_err(engine)))
    }

    /// Move `entries` out of `from` into the other queue, as given, in one
    /// transaction; then flush.
    pub(in crate::store) fn move_deliveries(
        &self,
        from: Queue,
        entries: &[(u64, Delivery)],
    ) -> Result<(), StoreError> {
        let mut encoded = Vec::new();
        for (id, delivery) in entries {
            encoded.push((id.to_be_bytes(), records::encode_delivery(delivery)?));
        }
        let (source, target) = match from {
            Queue::Pending => (&self.outbox, &self.dead_letters),
            Queue::Dead => (&self.dead_letters, &self.outbox),
        };
        let result: Result<(), TransactionError<()>> =
            (source, target).transaction(|(source, target)| {
                for (id, bytes) in &encoded {
                    source.remove(id.as_slice())?;
                    target.insert(id.as_slice(), bytes.as_slice())?;
                }
                Ok(())
            });
        result.map_err(|e| match e {
            TransactionError::Abort(()) => StoreError::Engine("outbox move aborted".into()),
            TransactionError::Storage(e) => engine(e),
        })?;
        self.flush_db()
    }

    pub(in crate::store) fn drop_delivery(&self, id: u64) -> Result<(), StoreError> {
        self.outbox.remove(id.to_be_bytes()).map_err(engine)?;
        self.flush_db()
    }

    pub(in crate::store) fn put_contact(
        &self,
        key: &PersonKey,
        account: &str,
        email: &str,
        lang: &str,
    ) -> Result<(), StoreError> {
        let entry = [&person_prefix(key)[..], account.as_bytes()].concat();
        let bytes = records::encode_contact(email, lang)?;
        if self.contacts.get(&entry).map_err(engine)?.as_deref() == Some(bytes.as_slice()) {
            return Ok(());
        }
        self.contacts.insert(entry, bytes).map_err(engine)?;
        Ok(())
    }

    pub(in crate::store) fn contacts_of(
        &self,
        key: &PersonKey,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let prefix = person_prefix(key);
        let entries = self.contacts.scan_prefix(&prefix);
        contacts_in(&prefix, entries.map(|e| e.map_err(engine)))
    }
}
