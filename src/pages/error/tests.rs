//! Unit tests of `pages::error`.

use super::*;
use crate::config::Locale;

fn frame() -> Frame<'static> {
    Frame {
        locale: Locale::built_in("en").expect("en"),
        app_name: "App",
        logo: None,
        prefix: "/_mfa",
        switch: Vec::new(),
        support: None,
    }
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Each reason gives the status (and Retry-After) the user always got.
#[test]
fn every_error_has_its_status() {
    let cases = [
        (
            PageError::Store(StoreError::Engine("disk".into())),
            503,
            None,
        ),
        (PageError::Busy(Busy), 503, Some("1")),
        (PageError::Secret, 503, None),
        (PageError::Csrf, 403, None),
        (PageError::BadForm("action"), 400, None),
        (PageError::Forbidden, 403, None),
    ];
    for (error, status, retry_after) in cases {
        let what = error.to_string();
        let r = error.respond(&frame());
        assert_eq!(r.status, status, "{what}");
        assert_eq!(header(&r, "Retry-After"), retry_after, "{what}");
        assert_eq!(
            header(&r, "Content-Type"),
            Some("text/html; charset=utf-8"),
            "{what}"
        );
        let body = String::from_utf8_lossy(&r.body);
        assert!(!body.contains("disk"), "details stay in the log: {body}");
    }
}

/// The CSRF page and the forbidden page are different pages.
#[test]
fn csrf_and_forbidden_say_different_things() {
    let csrf = PageError::Csrf.respond(&frame());
    let forbidden = PageError::Forbidden.respond(&frame());
    assert_ne!(csrf.body, forbidden.body);
}
