//! Unit tests of `identity::headers`.

use super::*;
use http::HeaderValue;

fn source(defaults: bool) -> HeadersReader {
    let h = |n: &str| HeaderName::from_bytes(n.as_bytes()).unwrap();
    HeadersReader::new(&HeadersConfig {
        session_cookie: None,
        session_header: Some(h("x-auth-session")),
        account: h("x-auth-user"),
        company: Some(h("x-auth-company")),
        class: Some(h("x-auth-class")),
        person: Some(h("x-auth-person")),
        roles: Some(h("x-auth-groups")),
        email: None,
        default_company: defaults.then(|| "acme".to_owned()),
        default_class: defaults.then_some(AccountClass::Employee),
    })
}

fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    map
}

#[test]
fn full_claims_map_to_an_identity() {
    let id = source(false)
        .read(&headers(&[
            ("x-auth-user", b"hanako@acme.example"),
            ("x-auth-company", b"acme"),
            ("x-auth-class", b"admin"),
            ("x-auth-person", b"hanako"),
            ("x-auth-groups", b"admin, stress_check_officer,,"),
        ]))
        .unwrap()
        .unwrap();
    assert_eq!(id.account(), "hanako@acme.example");
    assert_eq!(id.person(), "hanako");
    assert_eq!(id.roles(), ["admin", "stress_check_officer"]);
    assert!(id.may_manage_policy(&["admin".to_owned()]));
}

#[test]
fn no_account_header_is_anonymous_and_defaults_fill_in() {
    assert!(
        source(false)
            .read(&headers(&[("x-auth-company", b"acme")]))
            .is_none()
    );
    assert!(
        source(false)
            .read(&headers(&[("x-auth-user", b"")]))
            .is_none()
    );
    let id = source(true)
        .read(&headers(&[("x-auth-user", "山田@acme".as_bytes())]))
        .unwrap()
        .unwrap();
    assert_eq!(
        (id.account(), id.company(), id.class(), id.person()),
        ("山田@acme", "acme", AccountClass::Employee, "山田@acme")
    );
}

#[test]
fn bad_claims_are_errors_that_never_echo_the_value() {
    let cases: &[&[(&str, &[u8])]] = &[
        &[("x-auth-user", b"a"), ("x-auth-company", b"c")],
        &[("x-auth-user", b"a"), ("x-auth-class", b"employee")],
        &[
            ("x-auth-user", b"a"),
            ("x-auth-company", b"c"),
            ("x-auth-class", b"root"),
        ],
        &[("x-auth-user", b"a"), ("x-auth-user", b"b")],
        &[("x-auth-user", b"\xff\xfe")],
        &[("x-auth-user", b"a\tb")],
    ];
    for pairs in cases {
        let err = source(false).read(&headers(pairs)).unwrap().unwrap_err();
        assert!(!err.contains("root"), "{err}");
    }
    let long = "a".repeat(MAX_FIELD + 1);
    assert!(
        source(true)
            .read(&headers(&[("x-auth-user", long.as_bytes())]))
            .unwrap()
            .is_err()
    );
}
