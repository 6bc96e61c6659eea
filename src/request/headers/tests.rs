//! Unit tests of `request::headers`.

use super::*;

fn parts(headers: &[(&str, &str)]) -> Parts {
    let mut b = http::Request::builder()
        .method("POST")
        .uri("/_mfa/settings");
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap().into_parts().0
}

fn claims() -> StrippedHeaders {
    StrippedHeaders::new(["x-auth-user"], ["x-pomerium-claim-"])
}

#[test]
fn underscore_spellings_of_guarded_headers_are_disguised() {
    let claims = claims();
    let h = |n: &str| HeaderName::from_bytes(n.as_bytes()).unwrap();
    for name in [
        "x_mfa_status",
        "x-mfa_account",
        "x_forwarded_for",
        "x_forwarded_host",
        "x_real_ip",
        "x_auth_user",
        "x-auth_user",
        "x_request_id",
        "x_pomerium_claim_email",
        "x_original_url",
    ] {
        assert!(is_disguised(&h(name), &claims), "{name}");
    }
    for name in [
        "x-mfa-status",
        "x-auth-user",
        "x_custom_thing",
        "user_agent_extra",
    ] {
        assert!(!is_disguised(&h(name), &claims), "{name}");
    }
}

#[test]
fn what_a_client_may_not_send_the_app() {
    let claims = claims();
    let h = |n: &str| HeaderName::from_bytes(n.as_bytes()).unwrap();
    // From anyone: what moves the path the app routes on, our own headers.
    for name in [
        "x-mfa-status",
        "x-mfa-anything",
        "x-original-url",
        "x-rewrite-url",
        "x-forwarded-uri",
        "x_original_url",
    ] {
        assert!(is_unwanted(&h(name), &claims, true), "{name}");
    }
    // From an untrusted peer only: claims and forwarding headers.
    for name in [
        "x-auth-user",
        "x-pomerium-claim-email",
        "x-forwarded-prefix",
        "x-forwarded-port",
        "forwarded",
        "x-real-ip",
        "front-end-https",
        "x-original-host",
    ] {
        assert!(is_unwanted(&h(name), &claims, false), "{name}");
        assert!(!is_unwanted(&h(name), &claims, true), "{name}");
    }
    // Replaced later, or nobody's business.
    for name in [
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
        "accept",
        "x-pomerium",
    ] {
        assert!(!is_unwanted(&h(name), &claims, false), "{name}");
    }
}

#[test]
fn origin_must_name_this_host_and_forwarded_host_counts_only_when_trusted() {
    let check = |headers: &[(&str, &str)], trusted: bool, expected: bool| {
        let parts = parts(headers);
        assert_eq!(
            same_origin(&parts, &Glance::of(&parts), trusted),
            expected,
            "{headers:?} trusted={trusted}"
        );
    };
    check(&[("host", "gw.example")], false, true);
    check(
        &[("host", "gw.example"), ("origin", "https://gw.example")],
        false,
        true,
    );
    check(
        &[("host", "gw.example:80"), ("origin", "http://gw.example")],
        false,
        true,
    );
    check(
        &[("host", "gw.example"), ("origin", "http://evil.example")],
        false,
        false,
    );
    let spoofed = [
        ("host", "gw.example"),
        ("origin", "http://evil.example"),
        ("x-forwarded-host", "evil.example"),
    ];
    check(&spoofed, false, false);
    check(&spoofed, true, true);
    check(&[("host", "gw.example"), ("origin", "null")], false, false);
    check(
        &[
            ("host", "gw.example"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ],
        false,
        true,
    );
    check(
        &[("host", "gw.example"), ("sec-fetch-site", "cross-site")],
        false,
        false,
    );
}

/// The one walk reads what a look-up by name would: the first value of
/// each header, the host only when there is exactly one, the sizes.
#[test]
fn the_glance_reads_what_look_ups_by_name_would() {
    let p = parts(&[
        ("accept", "text/html"),
        ("accept", "application/json"),
        ("sec-fetch-mode", "navigate"),
        ("accept-language", "ja"),
        ("host", "gw.example"),
        ("cookie", "a=1"),
        ("cookie", "b=2"),
    ]);
    let glance = Glance::of(&p);
    assert!(glance.wants_html());
    assert_eq!(glance.accept_language(), Some("ja"));
    assert_eq!(
        glance.host(&p.uri),
        crate::request::host(&p.headers, &p.uri)
    );
    assert_eq!(glance.host(&p.uri), Some("gw.example"));
    assert!(!glance.oversized());

    let api = parts(&[("accept", "*/*"), ("accept", "text/html")]);
    assert!(
        !Glance::of(&api).wants_html(),
        "only the first Accept counts"
    );
    let fetch = parts(&[
        ("accept", "text/html"),
        ("x-requested-with", "XMLHttpRequest"),
    ]);
    assert!(!Glance::of(&fetch).wants_html());

    let two_hosts = parts(&[("host", "a.example"), ("host", "b.example")]);
    assert_eq!(Glance::of(&two_hosts).host(&two_hosts.uri), None);
    assert_eq!(
        crate::request::host(&two_hosts.headers, &two_hosts.uri),
        None
    );

    let long = "x".repeat(MAX_HEADER_VALUE + 1);
    assert!(Glance::of(&parts(&[("x-any", &long)])).oversized());
    let half = format!("a={}", "x".repeat(MAX_HEADER_VALUE / 2));
    let cookies = parts(&[("cookie", &half), ("cookie", &half)]);
    assert!(
        Glance::of(&cookies).oversized(),
        "the Cookie headers count together"
    );
    assert!(!Glance::of(&parts(&[("cookie", &half)])).oversized());
}
