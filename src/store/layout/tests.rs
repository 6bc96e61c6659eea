//! Unit tests of `store::layout`.

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
