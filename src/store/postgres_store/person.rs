//! A person's record changes in one transaction: read it `FOR UPDATE`, let
//! `f` decide, write, add the outbox entries of the change, commit. Two
//! replicas changing one person queue on the row lock; when there is no
//! row yet, both may decide on "none", and the second insert finds the
//! first's row (`ON CONFLICT DO NOTHING` writes nothing) and starts over
//! on it, like sled's compare-and-swap loop.

use postgres::Client;

use crate::domain::{PersonKey, PersonRecord};
use crate::store::{NotesFn, StoreError, Update, records};

/// Apply `f` (and `notes`, in the same commit) to the person's record;
/// returns the record as stored afterwards.
pub fn swap(
    c: &mut Client,
    key: &PersonKey,
    f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    notes: Option<&mut NotesFn<'_>>,
) -> Result<Option<PersonRecord>, StoreError> {
    Ok(swap_inner(c, key, f, notes)?.0)
}

/// `swap` without notes; returns whether anything was written.
pub fn swap_counting(
    c: &mut Client,
    key: &PersonKey,
    f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
) -> Result<bool, StoreError> {
    Ok(swap_inner(c, key, f, None)?.1)
}

fn swap_inner(
    c: &mut Client,
    key: &PersonKey,
    f: &mut dyn FnMut(Option<&PersonRecord>) -> Update,
    mut notes: Option<&mut NotesFn<'_>>,
) -> Result<(Option<PersonRecord>, bool), StoreError> {
    let k = key.as_str().as_bytes();
    loop {
        let mut tx = c.transaction()?;
        let row = tx.query_opt(
            "SELECT value FROM mfa_gate_entries WHERE tree = 'persons' AND key = $1 FOR UPDATE",
            &[&k],
        )?;
        // A record that does not decode stops here: no decision is made on
        // a record we cannot read (fail closed).
        let current = row.map(|r| records::decode_person(r.get(0))).transpose()?;
        let after = match f(current.as_ref()) {
            Update::Keep => return Ok((current, false)),
            Update::Delete if current.is_none() => return Ok((None, false)),
            Update::Delete => {
                tx.execute(
                    "DELETE FROM mfa_gate_entries WHERE tree = 'persons' AND key = $1",
                    &[&k],
                )?;
                None
            }
            Update::Put(record) => {
                let bytes = records::encode_person(&record)?;
                if current.is_some() {
                    tx.execute(
                        "UPDATE mfa_gate_entries SET value = $2 WHERE tree = 'persons' AND key = $1",
                        &[&k, &bytes],
                    )?;
                } else {
                    let inserted = tx.execute(
                        "INSERT INTO mfa_gate_entries (tree, key, value) VALUES ('persons', $1, $2)
                         ON CONFLICT (tree, key) DO NOTHING",
                        &[&k, &bytes],
                    )?;
                    if inserted == 0 {
                        // Another replica created the record meanwhile:
                        // decide again on what it wrote.
                        continue;
                    }
                }
                Some(record)
            }
        };
        super::listen::notify_person(&mut tx, key)?;
        if let Some(notes) = notes.as_deref_mut() {
            for (id, delivery) in notes(current.as_ref(), after.as_ref()) {
                let bytes = records::encode_delivery(&delivery)?;
                super::trees::put(&mut tx, "outbox", &id.to_be_bytes(), &bytes)?;
            }
        }
        tx.commit()?;
        return Ok((after, true));
    }
}

/// The records of `keys` in one query, in their order.
pub fn read_many(
    c: &mut Client,
    keys: &[PersonKey],
) -> Result<Vec<crate::store::PersonRead>, StoreError> {
    let wanted: Vec<&[u8]> = keys.iter().map(|k| k.as_str().as_bytes()).collect();
    let rows = c.query(
        "SELECT key, value FROM mfa_gate_entries WHERE tree = 'persons' AND key = ANY($1)",
        &[&wanted],
    )?;
    let found: std::collections::HashMap<Vec<u8>, Vec<u8>> =
        rows.into_iter().map(|r| (r.get(0), r.get(1))).collect();
    Ok(wanted
        .iter()
        .map(|k| {
            found
                .get(*k)
                .map(|bytes| records::decode_person(bytes))
                .transpose()
        })
        .collect())
}

/// Up to `limit` person keys after `after`, in key order.
pub fn keys_after(
    c: &mut Client,
    after: Option<&PersonKey>,
    limit: usize,
) -> Result<Vec<PersonKey>, StoreError> {
    let after = after.map(|k| k.as_str().as_bytes());
    super::trees::keys_after(c, "persons", after, limit)?
        .iter()
        .map(|k| records::decode_person_key(k))
        .collect()
}
