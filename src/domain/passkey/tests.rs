//! Unit tests of `domain::passkey`.

use super::*;

#[test]
fn names_are_trimmed_bounded_and_printable() {
    assert_eq!(passkey_name("  YubiKey 5 ").as_deref(), Some("YubiKey 5"));
    assert_eq!(
        passkey_name("仕事用のノートPC").as_deref(),
        Some("仕事用のノートPC")
    );
    assert_eq!(passkey_name("   "), None);
    assert_eq!(passkey_name("a\u{0}b"), None);
    assert_eq!(passkey_name("line\nbreak"), None);
    assert!(passkey_name(&"x".repeat(MAX_PASSKEY_NAME)).is_some());
    assert_eq!(passkey_name(&"x".repeat(MAX_PASSKEY_NAME + 1)), None);
}
