//! What the app receives (upstream hygiene): `X-Forwarded-*` set from the
//! connection, mfa-gate's own cookies removed and the rest joined into one
//! header, client-sent `X-Mfa-*` removed and `X-Mfa-Status`/`X-Mfa-Account`
//! set by mfa-gate, and one request id shared by the app and the client.

use super::{config, echo_app};
use crate::harness::Seen;
use crate::harness::{Gateway, free_ports};

#[tokio::test]
async fn the_app_sees_forwarded_headers_and_only_its_own_cookies_and_mfa_headers() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let cfg = config(port, &app.address)
        .extra("bypass: [/login]\n")
        .write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(gw.url(path));

    // A logged-in, unenrolled employee of an optional company, with
    // spoofed X-Mfa-* and forwarding headers and two Cookie headers.
    let r = get("/private?x=1")
        .header("cookie", "app_session=emp-acme-1; mfa_gate=forged.value")
        .header("cookie", "mfa_lang=en; other=1")
        .header("x-mfa-status", "verified")
        .header("x-mfa-account", "boss@acme.example")
        .header("x-mfa-anything", "x")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "for=203.0.113.9")
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "trace-abc-123");
    let seen = Seen::of(&r.text().await.unwrap());
    assert_eq!(seen.all("cookie"), ["app_session=emp-acme-1; other=1"]);
    assert_eq!(seen.one("x-mfa-status").as_deref(), Some("not-enrolled"));
    assert_eq!(
        seen.one("x-mfa-account").as_deref(),
        Some("emp@acme.example")
    );
    let mut mfa: Vec<_> = seen
        .names()
        .into_iter()
        .filter(|n| n.starts_with("x-mfa-"))
        .collect();
    mfa.sort();
    assert_eq!(
        mfa,
        ["x-mfa-account", "x-mfa-status"],
        "client X-Mfa-* headers are gone"
    );
    assert_eq!(seen.one("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(seen.one("x-forwarded-proto").as_deref(), Some("http"));
    let host = format!("127.0.0.1:{port}");
    assert_eq!(seen.one("x-forwarded-host"), Some(host));
    assert_eq!(seen.one("forwarded"), None);
    assert_eq!(seen.one("x-request-id").as_deref(), Some("trace-abc-123"));

    // A bypass path and an anonymous request: 2FA was not required, and no
    // account is named even when a client claims one.
    for (path, cookie) in [("/login", "app_session=emp-acme-1"), ("/public", "x=1")] {
        let r = get(path)
            .header("cookie", cookie)
            .header("x-mfa-account", "boss@acme.example")
            .header("x-request-id", "bad id with spaces")
            .send()
            .await
            .unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 32, "an insane request id is replaced: {id}");
        let seen = Seen::of(&r.text().await.unwrap());
        assert_eq!(
            seen.one("x-mfa-status").as_deref(),
            Some("not-required"),
            "{path}"
        );
        assert_eq!(seen.one("x-mfa-account"), None, "{path}");
        assert_eq!(
            seen.one("x-request-id"),
            Some(id),
            "the app and the client share the id"
        );
    }

    // Our own pages answer with a request id too.
    let r = get("/_mfa/healthz").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"].len(), 32);
}
