//! Unit tests of `config`.

use super::SupportToken;

#[test]
fn support_token_verifies_only_itself_and_never_shows() {
    let token = SupportToken::new("correct-horse-battery".into());
    assert!(token.verify("correct-horse-battery"));
    for wrong in ["", "correct-horse-batter", "correct-horse-battery ", "x"] {
        assert!(!token.verify(wrong), "{wrong:?}");
    }
    assert!(!format!("{token:?}").contains("horse"));
}
