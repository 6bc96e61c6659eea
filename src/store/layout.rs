//! Key layouts both engines share, and the readers of a key range (which
//! keys of a prefix scan are the person's, how their values decode). The
//! PostgreSQL store keeps each sled tree as rows `(tree, key, value)` with
//! the very same key bytes and record bytes (`records.rs`), so a backup, an
//! export and `store copy` move entries between engines unchanged, and a
//! prefix scan means the same on both.

use super::{StoreError, records};
use crate::domain::{AuditEvent, BrowserId, PersonKey, RememberedBrowser, SeenAccount};

/// Every tree, in the order `export` walks them.
pub const TREES: [&str; 10] = [
    "persons",
    "accounts",
    "policies",
    "audit",
    "browsers",
    "remember",
    "seen",
    "outbox",
    "dead_letters",
    "contacts",
];

/// The range of a person's entries in `audit`, `browsers` and `contacts`:
/// the person key and a 0x00. A person key may itself contain 0x00, so a
/// scan of this prefix also meets keys of a person whose key extends ours;
/// each reader checks what follows the prefix.
pub fn person_prefix(key: &PersonKey) -> Vec<u8> {
    let mut prefix = key.as_str().as_bytes().to_vec();
    prefix.push(0);
    prefix
}

const AUDIT_COMPANY_PREFIX: &[u8] = b"\x01company:";

/// Where an audit event goes: its person's range, or its company's. The
/// key is this prefix and a big-endian `u64` sequence number, so key order
/// is append order. Person keys start with an ASCII digit (the length
/// prefix of `PersonKey`), so the two ranges never meet.
pub fn audit_prefix(event: &AuditEvent) -> Vec<u8> {
    match &event.person {
        Some(key) => person_prefix(key),
        None => company_audit_prefix(&event.company),
    }
}

/// The range of a company's own audit events (about no person: a policy
/// change). A company name never holds a 0 byte (the configuration and
/// whoami refuse control characters), so one company's range is not
/// another's.
pub fn company_audit_prefix(company: &str) -> Vec<u8> {
    [AUDIT_COMPANY_PREFIX, company.as_bytes(), &[0]].concat()
}

/// The range of a company's entries in `seen`: keys are
/// `PersonKey::new(company, account)`, which start with this.
pub fn seen_prefix(company: &str) -> Vec<u8> {
    format!("{}:{company}/", company.len()).into_bytes()
}

/// A remembered browser's key: the person's prefix and the 32-byte id.
pub fn browser_key(key: &PersonKey, id: &[u8; 32]) -> Vec<u8> {
    [person_prefix(key), id.to_vec()].concat()
}

/// The first key after every key that starts with `prefix`, or `None` when
/// no such key exists (the prefix is all 0xff).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The person's remembered browsers among the entries of its prefix
/// (`person_prefix`), oldest first: keys exactly 32 bytes past the prefix
/// (a longer key is another person's, extending ours past a 0x00).
pub fn browsers_in<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    prefix: &[u8],
    entries: impl IntoIterator<Item = Result<(K, V), StoreError>>,
) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
    let mut out = Vec::new();
    for entry in entries {
        let (key, value) = entry?;
        let Ok(id) = <[u8; 32]>::try_from(&key.as_ref()[prefix.len()..]) else {
            continue;
        };
        out.push((BrowserId(id), records::decode_browser(value.as_ref())?));
    }
    out.sort_by_key(|(_, b)| b.created_at);
    Ok(out)
}

/// The person's audit events among the entries of its prefix, given
/// newest first, at most `limit`: keys exactly the 8 sequence bytes past
/// the prefix (a longer key is another person's).
pub fn events_in<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    prefix: &[u8],
    newest_first: impl IntoIterator<Item = Result<(K, V), StoreError>>,
    limit: usize,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut events = Vec::new();
    for entry in newest_first {
        if events.len() >= limit {
            break;
        }
        let (key, value) = entry?;
        if key.as_ref().len() == prefix.len() + 8 {
            events.push(records::decode_audit(value.as_ref())?);
        }
    }
    Ok(events)
}

/// The person's (account, address, language) among the entries of its
/// prefix: the rest of the key is the account; one with a 0x00 in it is
/// another person's key extending ours.
pub fn contacts_in<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    prefix: &[u8],
    entries: impl IntoIterator<Item = Result<(K, V), StoreError>>,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut out = Vec::new();
    for entry in entries {
        let (key, value) = entry?;
        let account = &key.as_ref()[prefix.len()..];
        if account.contains(&0) {
            continue;
        }
        let (email, lang) = records::decode_contact(value.as_ref())?;
        out.push((String::from_utf8_lossy(account).into_owned(), email, lang));
    }
    Ok(out)
}

/// The outbox entries among `entries` (keys: big-endian ids).
pub fn deliveries_in<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    entries: impl IntoIterator<Item = Result<(K, V), StoreError>>,
) -> Result<Vec<(u64, crate::domain::Delivery)>, StoreError> {
    let mut out = Vec::new();
    for entry in entries {
        let (key, value) = entry?;
        let key = key.as_ref();
        let id: [u8; 8] = key.try_into().map_err(|_| StoreError::Corrupt {
            what: "outbox key",
            detail: format!("{} bytes", key.len()),
        })?;
        out.push((
            u64::from_be_bytes(id),
            records::decode_delivery(value.as_ref())?,
        ));
    }
    Ok(out)
}

/// The accounts among a company's `seen` entries last seen at or after
/// `since`.
pub fn seen_in<K, V: AsRef<[u8]>>(
    entries: impl IntoIterator<Item = Result<(K, V), StoreError>>,
    since: i64,
) -> Result<Vec<SeenAccount>, StoreError> {
    let mut out = Vec::new();
    for entry in entries {
        let (_, value) = entry?;
        let seen = records::decode_seen(value.as_ref())?;
        if seen.last_seen >= since {
            out.push(seen);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
