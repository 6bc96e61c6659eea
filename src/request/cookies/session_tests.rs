//! Several session cookies and a session cookie prefix: each name (and the
//! prefix) refuses its look-alikes; a prefix refuses a second matching
//! name; the session value names each cookie (and, for a prefix, the host).

use super::*;
use crate::config::{CookieName, SessionCookies};

fn read_with(session: &SessionCookies, host: Option<&str>, headers: &[&str]) -> SessionReading {
    let names = CookieNames {
        session: Some(session),
        host,
        gateway: "mfa_gate",
        lang: "mfa_lang",
        remember: "mfa_remember",
        own_plain: own_names_plain(Some(session), "mfa_gate"),
    };
    let got = read(headers.iter().map(|h| h.as_bytes()), &names);
    let checked = CookieNames {
        own_plain: false,
        ..names
    };
    assert_eq!(read(headers.iter().map(|h| h.as_bytes()), &checked), got);
    got.session
}

fn clear(v: &str) -> SessionReading {
    SessionReading::Clear(v.into())
}

const DISGUISED: SessionReading = SessionReading::Refused(Refusal::Disguised);
const DUPLICATE: SessionReading = SessionReading::Refused(Refusal::Duplicate);
const UNREADABLE: SessionReading = SessionReading::Refused(Refusal::Unreadable);

#[test]
fn several_names_make_one_value_in_the_configured_order() {
    let s = SessionCookies::Names(vec![CookieName::new("sid"), CookieName::new("uid")]);
    let check =
        |h: &[&str], want: SessionReading| assert_eq!(read_with(&s, None, h), want, "{h:?}");
    check(&[], SessionReading::Absent);
    check(&["x=1"], SessionReading::Absent);
    check(&["uid=7; sid=abc"], clear("sid=abc; uid=7"));
    check(&["sid=abc", "uid=7"], clear("sid=abc; uid=7"));
    check(&["uid=7"], clear("uid=7"));
    check(&["sid=abc; sid=abc; uid=7"], clear("sid=abc; uid=7"));
    check(&["sid=a; uid=7; sid=b"], DUPLICATE);
    check(&["sid=a; uid=7; uid=8"], DUPLICATE);
    check(&["sid=a; UID=7"], DISGUISED);
    check(&["sid=a; u%69d=7"], DISGUISED);
    check(&["S.I.D=a; uid=7"], DISGUISED);
    check(&["sid=a b; uid=7"], UNREADABLE);
}

#[test]
fn a_prefix_matches_one_cookie_bound_to_the_host() {
    let s = SessionCookies::Prefix(CookieName::new("username-"));
    let host = Some("127.0.0.1:8888");
    let check =
        |h: &[&str], want: SessionReading| assert_eq!(read_with(&s, host, h), want, "{h:?}");
    check(&["_xsrf=2|x"], SessionReading::Absent);
    check(
        &["_xsrf=1; username-127-0-0-1-8888=\"2|1:0|ab==\""],
        clear("username-127-0-0-1-8888=\"2|1:0|ab==\"\n127.0.0.1:8888"),
    );
    check(
        &["username-a=v", "username-a=v"],
        clear("username-a=v\n127.0.0.1:8888"),
    );
    // Two names that match: which one would the app read? Refused.
    check(&["username-a=v; username-b=v"], DUPLICATE);
    check(&["username-a=v", "username-b=w"], DUPLICATE);
    check(&["username-a=v; username-a=w"], DUPLICATE);
    // Look-alikes of the prefix, alone or next to a clean one.
    for disguise in [
        "Username-a",
        "user%6eame-a",
        "username.a",
        "username-a.b",
        "user name-a",
        "$username-a",
    ] {
        check(&[&format!("{disguise}=v")], DISGUISED);
        check(&["username-a=v", &format!("{disguise}=v")], DISGUISED);
    }
    check(&["x=1, username-a=v"], DISGUISED);
    check(&["username-a=v w"], UNREADABLE);
    // Names merely containing the prefix elsewhere are other cookies.
    check(&["my-username-a=v"], SessionReading::Absent);
    // No readable Host: the app's reading is unknown; refused.
    assert_eq!(read_with(&s, None, &["username-a=v"]), UNREADABLE);
    assert_eq!(read_with(&s, None, &["x=1"]), SessionReading::Absent);
}

#[test]
fn the_whoami_cookie_of_each_session_value() {
    let one = SessionCookies::one("sid");
    assert_eq!(one.whoami_cookie("abc"), ("sid=abc".to_owned(), None));
    let two = SessionCookies::Names(vec![CookieName::new("sid"), CookieName::new("uid")]);
    assert_eq!(
        two.whoami_cookie("sid=a; uid=7"),
        ("sid=a; uid=7".to_owned(), None)
    );
    let prefix = SessionCookies::Prefix(CookieName::new("username-"));
    assert_eq!(
        prefix.whoami_cookie("username-h-1=\"v\"\nh:1"),
        ("username-h-1=\"v\"".to_owned(), Some("h:1"))
    );
    assert_eq!(
        prefix.whoami_cookie("username-h=v\n"),
        ("username-h=v".to_owned(), None)
    );
}

#[test]
fn the_host_is_the_one_host_header_or_the_authority() {
    let uri: http::Uri = "https://h2.example/x".parse().unwrap();
    let plain: http::Uri = "/x".parse().unwrap();
    let mut headers = http::HeaderMap::new();
    assert_eq!(crate::request::host(&headers, &uri), Some("h2.example"));
    assert_eq!(crate::request::host(&headers, &plain), None);
    headers.insert(http::header::HOST, "a.example:8080".parse().unwrap());
    assert_eq!(
        crate::request::host(&headers, &plain),
        Some("a.example:8080")
    );
    headers.append(http::header::HOST, "b.example".parse().unwrap());
    assert_eq!(
        crate::request::host(&headers, &plain),
        None,
        "two Host headers"
    );
    let mut odd = http::HeaderMap::new();
    odd.insert(
        http::header::HOST,
        http::HeaderValue::from_bytes(b"a.example\xff").unwrap(),
    );
    assert_eq!(
        crate::request::host(&odd, &plain),
        None,
        "not visible ASCII"
    );
}
