//! Unit tests of `config::load::admin`.

use super::token_text;

#[test]
fn tokens_are_long_printable_single_words() {
    assert_eq!(
        token_text("  demo-support-token\n"),
        Ok("demo-support-token".into())
    );
    for bad in [
        "",
        "short",
        "with a space in the middle",
        "tab\tinside-a-long-token",
    ] {
        let err = token_text(bad).expect_err(bad);
        assert!(!err.contains(bad.trim()) || bad.is_empty(), "{err}");
    }
    assert!(token_text(&"a".repeat(513)).is_err());
}
