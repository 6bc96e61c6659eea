//! Each front's way of describing the original request, and every way it
//! can be unclear.

use super::*;

fn ask(headers: &[(&str, &str)]) -> Parts {
    let mut builder = http::Request::builder().method("GET").uri("/_mfa/auth");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

/// `original` as the proxy calls it: the describing headers taken first.
fn original(ask: &Parts) -> Result<Forwarded, ForwardedError> {
    super::original(ask, &describing(ask))
}

#[test]
fn traefik_and_caddy_describe_it_in_x_forwarded_headers() {
    let asked = ask(&[
        ("host", "mfa:8080"),
        ("x-forwarded-method", "POST"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "app.example"),
        ("x-forwarded-uri", "/a/../b?x=1"),
        ("cookie", "sid=1"),
    ]);
    let f = original(&asked).unwrap();
    assert_eq!(f.convention, Convention::Redirect);
    assert_eq!(
        f.raw_target, b"/a/../b?x=1",
        "the target as sent, not normalized"
    );
    assert_eq!(f.parts.method, http::Method::POST);
    assert_eq!(f.parts.headers["host"], "app.example");
    assert_eq!(f.parts.headers["cookie"], "sid=1");
    assert!(!f.parts.headers.contains_key("x-forwarded-uri"));
}

#[test]
fn nginx_describes_it_in_the_headers_its_config_sets() {
    let f = original(&ask(&[
        ("host", "app.example"),
        ("x-original-uri", "/admin?q=1"),
        ("x-original-method", "DELETE"),
    ]))
    .unwrap();
    assert_eq!(f.convention, Convention::AuthRequest);
    assert_eq!(f.raw_target, b"/admin?q=1");
    assert_eq!(f.parts.method, http::Method::DELETE);
    assert_eq!(f.parts.headers["host"], "app.example");
    let no_method = original(&ask(&[("x-original-uri", "/")])).unwrap();
    assert_eq!(no_method.parts.method, http::Method::GET);
}

#[test]
fn ingress_nginx_sends_the_whole_url() {
    let f = original(&ask(&[(
        "x-original-url",
        "https://app.example:8443/p/q?r=1",
    )]))
    .unwrap();
    assert_eq!(f.convention, Convention::AuthRequest);
    assert_eq!(f.raw_target, b"/p/q?r=1");
    assert_eq!(f.parts.headers["host"], "app.example:8443");
    let bare = original(&ask(&[("x-original-url", "https://app.example")])).unwrap();
    assert_eq!(bare.raw_target, b"/");
}

#[test]
fn only_the_endpoint_s_own_spelling_is_an_ask() {
    for yes in ["/_mfa/auth", "/_mfa/auth?x=1"] {
        assert!(is_ask(yes.as_bytes(), "/_mfa"), "{yes}");
    }
    for no in [
        "/_mfa/auth/",
        "/_mfa/authx",
        "/_mfa//auth",
        "/_mfa/%61uth",
        "/x/_mfa/auth",
        "/auth",
    ] {
        assert!(!is_ask(no.as_bytes(), "/_mfa"), "{no}");
    }
}

#[test]
fn an_unclear_description_is_refused() {
    let err = |headers: &[(&str, &str)]| original(&ask(headers)).unwrap_err();
    assert_eq!(err(&[]), ForwardedError::NoUri);
    assert_eq!(
        err(&[("x-forwarded-uri", "/a"), ("x-original-uri", "/b")]),
        ForwardedError::Ambiguous
    );
    assert_eq!(
        err(&[("x-forwarded-uri", "/a"), ("x-forwarded-uri", "/b")]),
        ForwardedError::Ambiguous
    );
    assert_eq!(
        err(&[
            ("x-original-uri", "/a"),
            ("x-original-method", "GET"),
            ("x-original-method", "POST")
        ]),
        ForwardedError::Ambiguous
    );
    assert_eq!(
        err(&[("x-forwarded-uri", "http://evil/")]),
        ForwardedError::Unreadable
    );
    assert_eq!(err(&[("x-original-uri", "a")]), ForwardedError::Unreadable);
    assert_eq!(
        err(&[("x-original-uri", "/"), ("x-original-method", "G E T")]),
        ForwardedError::Unreadable
    );
    assert_eq!(
        err(&[("x-original-url", "not a url")]),
        ForwardedError::Unreadable
    );
}
