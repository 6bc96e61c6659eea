//! `return_to` tricks on every hop that redirects: the 303 of a navigation
//! that may not pass yet (built from the request target), the hidden field
//! of our forms, and the redirect after a passed challenge. Each trick —
//! another host (`//evil`, `/\evil`, `https:evil`), encodings of those,
//! whitespace a browser would strip (`/<TAB>/evil`), CRLF for header
//! injection, or one of our own pages (a loop) — ends at `/`.

use super::{assert_still_serving, raw};
use crate::harness::{Gateway, TARO, enrolled_and_challenged};

/// Values of `return_to` (before form-encoding) that must never be used.
const TRICKS: &[&str] = &[
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example/x",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5c%5cevil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/ /evil.example",
    "/a\r\nSet-Cookie: pwned=1",
    "/a%0d%0aSet-Cookie:%20pwned=1",
    "/\u{3000}/evil.example",
    "/_mfa/challenge",
    "/_mfa/enroll?x=1",
    "/_mfa/../_mfa/challenge",
    "/_mfa//challenge",
    "/x/../_mfa/challenge",
];

fn assert_stays_home(what: &str, location: Option<&str>) {
    assert_eq!(location, Some("/"), "{what}");
}

#[tokio::test]
async fn return_to_tricks_end_at_the_home_page() {
    let gw = Gateway::demo().await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;
    let q = |v: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", v)
            .finish()
    };
    // The challenge form keeps only a safe value.
    for trick in TRICKS {
        let page = b.get(&format!("/_mfa/challenge?{}", q(trick))).await;
        assert_eq!(page.status, 200, "{trick:?}");
        assert_eq!(
            page.input_value("return_to").as_deref(),
            Some("/"),
            "{trick:?}"
        );
        assert_still_serving(&gw).await;
    }
    // A passed challenge redirects only to a safe value (one backup code
    // passes; the verified session then meets each trick on the challenge
    // page, which redirects a verified session to its return_to).
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", &csrf),
                ("backup_code", &enrolled.backup_codes[0]),
                ("return_to", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    // A backup code leads by the page saying how many are left (which
    // keeps no `return_to`: the trick is gone) and then home.
    assert_eq!(r.location(), Some("/_mfa/signed-in?via=backup"));
    let left = b.get("/_mfa/signed-in?via=backup").await;
    assert_stays_home(
        "after a passed challenge",
        left.href_of("continue").as_deref(),
    );
    for trick in TRICKS {
        let r = b.get(&format!("/_mfa/challenge?{}", q(trick))).await;
        assert_eq!(r.status, 303, "{trick:?}");
        assert_stays_home(trick, r.location());
        assert!(
            r.header("set-cookie").is_none(),
            "{trick:?}: header injected"
        );
        assert_still_serving(&gw).await;
    }
    // Legitimate targets survive the same hop.
    for ok in ["/reports?id=3&x=%2F", "/%E3%81%82", "/_mfa/settings"] {
        let r = b.get(&format!("/_mfa/challenge?{}", q(ok))).await;
        assert_eq!(r.location(), Some(ok));
    }
    assert_still_serving(&gw).await;
}

#[tokio::test]
async fn request_targets_with_tricks_redirect_to_a_safe_return_to() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login(TARO).await; // required, not enrolled: every navigation → 303
    let cookie = format!("demo_session={}", b.cookies["demo_session"]);
    // Request targets sent as-is (raw): the app would see these paths.
    for target in [
        "//evil.example/",
        "//evil.example/%2F..",
        "/\\evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
        "/a%0D%0ASet-Cookie:%20pwned=1",
        "/%09/evil.example",
    ] {
        let req = format!(
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nCookie: {cookie}\r\n\r\n"
        );
        let Some(r) = raw(&gw, req.as_bytes()).await else {
            panic!("{target}: no answer");
        };
        assert_eq!(r.status, 303, "{target}: {}", r.head);
        assert_eq!(r.header("location"), Some("/_mfa/enroll"), "{target}");
        assert!(r.header("set-cookie").is_none(), "{target}");
    }
    assert_still_serving(&gw).await;
}
