//! `RequestHead::read` and `classify` together: a read of a bypass path is
//! forwarded without reading its cookies, and nothing else is spared that
//! reading.

use super::*;
use crate::config::minimal_config_with;

fn config() -> Config {
    minimal_config_with("bypass:\n  - /static/*\nbypass_query: [v]\n")
}

/// Read a request of `method` for `target` with these `Cookie` headers.
fn read(config: &Config, method: &str, target: &str, cookies: &[&str]) -> RequestHead {
    read_framed(config, method, target, cookies, false)
}

/// [`read`], with a body after the head when `body`.
fn read_framed(
    config: &Config,
    method: &str,
    target: &str,
    cookies: &[&str],
    body: bool,
) -> RequestHead {
    let mut request = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", "app.example")
        .header("accept", "text/html,application/xhtml+xml")
        .header("accept-language", "ja");
    for c in cookies {
        request = request.header("cookie", *c);
    }
    let (parts, ()) = request.body(()).unwrap().into_parts();
    RequestHead::read(&parts, target.as_bytes(), body, config, false)
}

const TWO_SESSIONS: &[&str] = &["app_session=alice", "app_session=mallory"];

#[test]
fn a_read_of_a_bypass_path_is_forwarded_without_reading_cookies() {
    let config = config();
    let head = read(&config, "GET", "/static/app.css?v=1", TWO_SESSIONS);
    assert!(head.bypass);
    assert_eq!(head.cookies.session, SessionReading::Absent);
    assert_eq!(head.accept_language, None);
    assert_eq!(classify(&head, &config), Verdict::Forward);
    let head = read(&config, "HEAD", "/static/", TWO_SESSIONS);
    assert_eq!(classify(&head, &config), Verdict::Forward);
}

#[test]
fn a_form_posted_to_a_bypass_path_reads_its_session() {
    // A login or logout: the proxy forgets the session's identity, so it
    // must know which session this is.
    let config = config();
    let head = read(&config, "POST", "/static/login", &["app_session=alice"]);
    assert!(head.bypass);
    assert_eq!(head.cookies.session, SessionReading::Clear("alice".into()));
    assert_eq!(head.accept_language.as_deref(), Some("ja"));
    assert_eq!(classify(&head, &config), Verdict::Forward);
}

#[test]
fn every_other_request_reads_its_cookies() {
    let config = config();
    let duplicate = Verdict::Refuse(Refused::Session(Refusal::Duplicate));
    for (method, target) in [
        ("GET", "/app"),
        ("GET", "/staticx/app.css"),
        ("GET", "/_mfa/challenge"),
        ("POST", "/app/save"),
    ] {
        let head = read(&config, method, target, TWO_SESSIONS);
        assert!(!head.bypass, "{method} {target}");
        assert_eq!(classify(&head, &config), duplicate, "{method} {target}");
    }
    let head = read(&config, "GET", "/app?x=1", &["app_session=alice"]);
    assert_eq!(head.app_session(), Some("alice"));
    assert_eq!(head.target, "/app?x=1");
    assert_eq!(classify(&head, &config), Verdict::Identify);
    // A page load is a navigation; a form post wants HTML but is none.
    assert!(head.navigation && head.wants_html);
    let head = read(&config, "POST", "/app/save", &["app_session=alice"]);
    assert!(!head.navigation && head.wants_html);
}

#[test]
fn refusals_have_their_status_and_error() {
    let too_large = Refused::HeaderTooLarge;
    assert_eq!(
        (too_large.status(), too_large.error()),
        (431, "header_too_large")
    );
    let session = Refused::Session(Refusal::Disguised);
    assert_eq!(
        (session.status(), session.error()),
        (400, "ambiguous_session")
    );
    let body = Refused::BodyOnRead;
    assert_eq!((body.status(), body.error()), (400, "body_not_allowed"));
}

/// Issue 28: a protected path that walks into a bypass path is judged like
/// the protected path it may be to the app, in every spelling.
#[test]
fn a_protected_path_walking_into_a_bypass_path_is_judged() {
    let config = config();
    for target in [
        "/admin/users/../../static/x",
        "/admin/../static/x",
        "/admin/users/..//..//static/x",
        "/admin/users/%2e%2e/%2e%2e/static/x",
        "/admin/./../static/x",
        "//static/x",
        "/static/./x",
    ] {
        for method in ["GET", "HEAD", "POST"] {
            let head = read(&config, method, target, &["app_session=alice"]);
            assert!(!head.bypass, "{method} {target}");
            assert_eq!(head.app_session(), Some("alice"), "{method} {target}");
            assert_eq!(
                classify(&head, &config),
                Verdict::Identify,
                "{method} {target}"
            );
        }
    }
}

/// A bypass path whose query a front controller could route on is judged.
#[test]
fn a_bypass_path_with_a_foreign_query_is_judged() {
    let config = config();
    let head = read(
        &config,
        "GET",
        "/static/app.css?v=3",
        &["app_session=alice"],
    );
    assert_eq!(classify(&head, &config), Verdict::Forward);
    for target in [
        "/static/missing?q=admin/people",
        "/static/app.css?v=3&q=admin",
        "/static/x?v=1;q=admin",
    ] {
        let head = read(&config, "GET", target, &["app_session=alice"]);
        assert!(!head.bypass, "{target}");
        assert_eq!(classify(&head, &config), Verdict::Identify, "{target}");
    }
}

#[test]
fn a_read_with_a_body_is_refused_unless_allowed() {
    let config = config();
    for (method, target) in [
        ("GET", "/static/app.css"),
        ("HEAD", "/static/app.css"),
        ("GET", "/app"),
        ("GET", "/_mfa/challenge"),
    ] {
        let head = read_framed(&config, method, target, &[], true);
        assert_eq!(
            classify(&head, &config),
            Verdict::Refuse(Refused::BodyOnRead),
            "{method} {target}"
        );
    }
    // A form post has a body, as it should; a GET without one passes.
    let head = read_framed(&config, "POST", "/static/login", &[], true);
    assert_eq!(classify(&head, &config), Verdict::Forward);
    let head = read_framed(&config, "GET", "/static/app.css", &[], false);
    assert_eq!(classify(&head, &config), Verdict::Forward);
    let allowed = minimal_config_with("bypass:\n  - /static/*\nallow_get_body: true\n");
    let head = read_framed(&allowed, "GET", "/static/app.css", &[], true);
    assert_eq!(classify(&head, &allowed), Verdict::Forward);
}

#[test]
fn a_bypass_path_the_app_may_read_otherwise_is_no_bypass() {
    let config = config();
    // Absolute-form target: the path the app acts on is not pinned down.
    let head = read(
        &config,
        "GET",
        "http://app.example/static/app.css",
        &["app_session=alice"],
    );
    assert!(!head.bypass);
    assert_eq!(head.app_session(), Some("alice"));
    assert_eq!(classify(&head, &config), Verdict::Identify);
    // An encoded separator: not in normal form, so no bypass.
    let head = read(&config, "GET", "/static/..%2Fapp", &["app_session=alice"]);
    assert_eq!(classify(&head, &config), Verdict::Identify);
}

#[test]
fn an_oversized_read_of_a_bypass_path_is_refused_in_the_readers_language() {
    let config = config();
    let huge = format!(
        "app_session=alice; big={}",
        "x".repeat(super::super::MAX_HEADER_VALUE)
    );
    let head = read(&config, "GET", "/static/app.css", &[&huge]);
    assert_eq!(
        classify(&head, &config),
        Verdict::Refuse(Refused::HeaderTooLarge)
    );
    assert_eq!(head.accept_language.as_deref(), Some("ja"));
}
