//! Unit tests of `edge::upstream`.

use super::*;

fn request(cookies: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for c in cookies {
        headers.append(http::header::COOKIE, HeaderValue::from_str(c).unwrap());
    }
    headers
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

#[test]
fn the_apps_copy_keeps_its_target_byte_for_byte_and_gains_our_headers() {
    let targets: [&[u8]; 6] = [
        b"/a/../b?x=%2e%2e&y",
        b"http://app.example/a;b?c",
        b"app.example:443",
        b"*",
        b"/caf\xe9/\xff",
        b"/",
    ];
    for target in targets {
        let method = if target == b"app.example:443" {
            "CONNECT"
        } else {
            "GET"
        };
        let mut req = RequestHeader::build(method, target, None).unwrap();
        req.append_header("User-Agent", "t").unwrap();
        req.append_header("x-Custom", "1").unwrap();
        let (uri, utf8) = (req.uri.clone(), req.raw_path_is_utf8());
        parts::rewrite(&mut req, |head| {
            head.headers
                .insert(X_MFA_STATUS, HeaderValue::from_static("verified"));
            Ok(())
        })
        .unwrap();
        let shown = String::from_utf8_lossy(target);
        assert_eq!(req.raw_path(), target, "{shown}");
        assert_eq!((&req.uri, req.raw_path_is_utf8()), (&uri, utf8), "{shown}");
        assert_eq!(req.method.as_str(), method);
        let names: Vec<&str> = req.headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["user-agent", "x-custom", "x-mfa-status"], "{shown}");
        let mut wire = Vec::new();
        req.header_to_h1_wire(&mut wire);
        let wire = String::from_utf8(wire).unwrap();
        assert!(wire.contains("user-agent: t\r\n"), "{wire}");
        assert!(wire.contains("x-mfa-status: verified\r\n"), "{wire}");
    }
}

#[test]
fn an_http2_connect_keeps_its_authority() {
    // HTTP/2's CONNECT has `:authority` and no path: a URI of its own.
    let (parts, ()) = http::Request::builder()
        .method("CONNECT")
        .uri("app.example:443")
        .version(http::Version::HTTP_2)
        .body(())
        .unwrap()
        .into_parts();
    let mut req = RequestHeader::from(parts);
    parts::rewrite(&mut req, |_| Ok(())).unwrap();
    assert_eq!(
        req.uri.authority().map(|a| a.as_str()),
        Some("app.example:443")
    );
    assert_eq!(req.raw_path(), b"app.example:443");
}

#[test]
fn a_header_value_that_cannot_be_sent_fails_the_request_and_keeps_the_target() {
    let mut req = RequestHeader::build("GET", b"http://app.example/x", None).unwrap();
    let failed = parts::rewrite(&mut req, |head| {
        head.headers
            .insert(X_MFA_ACCOUNT, HeaderValue::from_str("a\u{1}b")?);
        Ok(())
    });
    assert!(failed.is_err());
    assert_eq!(req.raw_path(), b"http://app.example/x");
}
