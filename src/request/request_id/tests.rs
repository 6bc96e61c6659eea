//! Unit tests of `request::request_id`.

use super::*;

#[test]
fn sane_ids_are_kept_and_others_replaced() {
    let id = |text: &str| accept_or_make(Some(&HeaderValue::from_str(text).unwrap()));
    for kept in [
        "abc",
        "0f3a-11:lb/7",
        "Root=1-67891233-abcdef012345678912345678",
    ] {
        assert_eq!(id(kept), kept);
    }
    let long = "a".repeat(129);
    for replaced in ["", "has space", "quote\"", "<script>", long.as_str()] {
        let made = id(replaced);
        assert_ne!(made, replaced);
        assert_eq!(made.len(), 32);
        assert!(made.as_bytes().iter().all(u8::is_ascii_hexdigit));
    }
    let not_text = HeaderValue::from_bytes(b"caf\xe9").unwrap();
    assert_eq!(accept_or_make(Some(&not_text)).len(), 32);
    assert_ne!(accept_or_make(None), accept_or_make(None));
    assert_eq!(accept_or_make(None).len(), 32);
}
