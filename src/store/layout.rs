//! Key layouts both engines share. The PostgreSQL store keeps each sled
//! tree as rows `(tree, key, value)` with the very same key bytes and
//! record bytes (`records.rs`), so a backup, an export and `store copy`
//! move entries between engines unchanged, and a prefix scan means the same
//! on both.

use crate::domain::{AuditEvent, PersonKey};

/// Every tree, in the order `export` walks them.
pub const TREES: [&str; 9] = [
    "persons", "accounts", "policies", "audit", "browsers", "remember", "seen", "outbox",
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
        None => [AUDIT_COMPANY_PREFIX, event.company.as_bytes(), &[0]].concat(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_prefix_bounds_exactly_its_keys() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
        let prefix = b"3:bob\x00";
        let end = prefix_end(prefix).unwrap();
        assert!(b"3:bob\x00\xff\xff".as_slice() < end.as_slice());
        assert!(b"3:bob\x01".as_slice() >= end.as_slice());
    }

    #[test]
    fn person_and_company_audit_ranges_never_meet() {
        let person = PersonKey::new("acme", "bob");
        assert!(person_prefix(&person)[0].is_ascii_digit());
        assert_eq!(AUDIT_COMPANY_PREFIX[0], 1);
    }
}
