//! Unit tests of `edge::upstream`.

use super::*;

fn request(cookies: &[&str]) -> RequestHeader {
    let mut req = RequestHeader::build("GET", b"/", None).unwrap();
    for c in cookies {
        req.append_header("cookie", *c).unwrap();
    }
    req
}

#[test]
fn own_cookies_are_removed_and_the_rest_joined() {
    let own = ["mfa_gate", "mfa_lang"];
    let check = |cookies: &[&str], expected: Option<&str>| {
        assert_eq!(
            app_cookies(&request(cookies), &own)
                .map(|v| String::from_utf8(v).unwrap())
                .as_deref(),
            expected,
            "{cookies:?}"
        );
    };
    check(&[], None);
    check(&["a=1; b=2"], None);
    check(&["a=1; mfa_gate=x.y; b=2"], Some("a=1; b=2"));
    check(&["a=caf\u{e9}; mfa_lang=en"], Some("a=caf\u{e9}"));
    check(&["a=1", "mfa_lang=en", "b=2; c"], Some("a=1; b=2; c"));
    check(&["mfa_gate=v", " mfa_lang=ja "], Some(""));
    check(&["mfa_gate_other=1;;x=y=z"], None);
    check(
        &["mfa_gate_other=1;;x=y=z", "mfa_gate=1"],
        Some("mfa_gate_other=1; x=y=z"),
    );
}

#[test]
fn statuses_have_their_wire_names() {
    assert_eq!(MfaStatus::default().as_str(), "not-required");
    assert_eq!(MfaStatus::NotEnrolled.as_str(), "not-enrolled");
    assert_eq!(MfaStatus::Verified.as_str(), "verified");
}

#[test]
fn header_safe_escapes_exactly_what_the_encoder_escapes() {
    let texts = [
        "",
        "bob@example.com",
        "a b",
        "100%",
        "caf\u{e9}",
        "tab\there",
        "del\u{7f}",
        "nul\u{0}",
        "~!\"#$&'()*+,-./:;<=>?[\\]^_`{|}",
        "\u{1F600}",
    ];
    for text in texts {
        let encoded: std::borrow::Cow<'_, str> = utf8_percent_encode(text, ACCOUNT_ESCAPES).into();
        let safe = header_safe(text);
        assert_eq!(safe, encoded, "{text:?}");
        // Borrowed exactly when nothing needed escaping.
        assert_eq!(
            matches!(safe, std::borrow::Cow::Borrowed(_)),
            matches!(encoded, std::borrow::Cow::Borrowed(_)),
            "{text:?}"
        );
    }
}
