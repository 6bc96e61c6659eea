//! The endpoint asked directly, as each front asks: Traefik's and Caddy's
//! `X-Forwarded-*` set, nginx's `X-Original-URI`, ingress-nginx's
//! `X-Original-URL`; its answers (200 with identity headers, a redirect or
//! a 401 naming the page, 403 JSON); the same decision as inline for the
//! same target; and the refusal of a peer that is not a trusted front.

use super::Backend;
use crate::harness::{TARO, enroll};
use reqwest::header::HeaderMap;

/// Ask the gateway's endpoint with `headers` (and the `cookie`).
async fn ask(backend: &Backend, headers: &[(&str, &str)], cookie: &str) -> reqwest::Response {
    ask_on(backend.gateway.port, headers, cookie).await
}

/// Ask the endpoint on `port` (the gateway's or the ask listener's).
pub(super) async fn ask_on(port: u16, headers: &[(&str, &str)], cookie: &str) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client
        .get(format!("http://127.0.0.1:{port}/_mfa/auth"))
        .header("cookie", cookie);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

pub(super) fn traefik(uri: &str) -> Vec<(&str, &str)> {
    vec![
        ("x-forwarded-method", "GET"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "app.example"),
        ("x-forwarded-uri", uri),
        ("x-forwarded-for", "203.0.113.7"),
        ("accept", "text/html"),
    ]
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

#[tokio::test]
async fn each_front_s_dialect_gets_its_answer() {
    let backend = Backend::start(true).await;
    let mut b = backend.gateway.browser();
    b.login(TARO).await;
    let cookie = format!("demo_session={}", b.cookies["demo_session"]);

    // Traefik and Caddy: a denied navigation is a redirect to our page.
    let r = ask(&backend, &traefik("/reports?y=2026"), &cookie).await;
    assert_eq!(r.status(), 303);
    let to = header(r.headers(), "location").unwrap();
    assert_eq!(to, "/_mfa/enroll?return_to=%2Freports%3Fy%3D2026");

    // nginx auth_request: a 401 naming the page.
    let nginx = [
        ("x-original-uri", "/reports?y=2026"),
        ("x-original-method", "GET"),
        ("accept", "text/html"),
    ];
    let r = ask(&backend, &nginx, &cookie).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(r.headers(), "x-mfa-location").as_deref(),
        Some(to.as_str())
    );

    // ingress-nginx (auth-url): the whole URL, and the headers it adds.
    let ingress = [
        ("x-original-url", "https://app.example/reports?y=2026"),
        ("x-original-method", "GET"),
        ("x-auth-request-redirect", "/reports?y=2026"),
        ("x-sent-from", "nginx-ingress-controller"),
        ("x-real-ip", "203.0.113.7"),
        ("x-forwarded-for", "203.0.113.7"),
        ("accept", "text/html"),
    ];
    let r = ask(&backend, &ingress, &cookie).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(r.headers(), "x-mfa-location").as_deref(),
        Some(to.as_str())
    );

    // An API call: 401 JSON naming the page, in every dialect.
    let api = [
        ("x-forwarded-uri", "/api/me"),
        ("x-forwarded-method", "GET"),
    ];
    let r = ask(&backend, &api, &cookie).await;
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "enrollment_required");

    // After enrollment: 200, and who passed, for the front to copy.
    enroll(&mut b).await;
    let cookie = format!(
        "demo_session={}; mfa_gate={}",
        b.cookies["demo_session"], b.cookies["mfa_gate"]
    );
    let r = ask(&backend, &traefik("/reports"), &cookie).await;
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(header(h, "remote-user").as_deref(), Some(TARO));
    assert_eq!(header(h, "remote-groups").as_deref(), Some("globex"));
    assert_eq!(header(h, "x-mfa-status").as_deref(), Some("verified"));
    assert_eq!(header(h, "x-mfa-account").as_deref(), Some(TARO));
}

#[tokio::test]
async fn the_endpoint_decides_as_the_inline_proxy_does() {
    let backend = Backend::start(true).await;
    let mut b = backend.gateway.browser();
    b.login(TARO).await;
    let cookie = format!("demo_session={}", b.cookies["demo_session"]);
    // Bypass paths pass; their walks out, encoded or not, do not.
    for (target, expected) in [
        ("/login", 200),
        ("/static/app.css", 200),
        ("/static/../admin", 303),
        ("/static/%2e%2e/admin", 303),
        ("/login;x=1", 303),
        ("/static%2f..%2fadmin", 303),
        ("/", 303),
        ("/_mfa/enroll", 200),
    ] {
        let r = ask(&backend, &traefik(target), &cookie).await;
        assert_eq!(r.status().as_u16(), expected, "{target}");
    }
    // Anonymous: the app's login decides, as inline.
    let r = ask(&backend, &traefik("/"), "").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(r.headers(), "remote-user").as_deref(), Some(""));
    // An unclear description is refused.
    let both = [("x-forwarded-uri", "/"), ("x-original-uri", "/admin")];
    let r = ask(&backend, &both, &cookie).await;
    assert_eq!(r.status(), 403);
    let none = ask(&backend, &[("accept", "text/html")], &cookie).await;
    assert_eq!(none.status(), 403);
}

#[tokio::test]
async fn only_a_trusted_front_may_ask() {
    let backend = Backend::start(false).await;
    let r = ask(&backend, &traefik("/"), "demo_session=x").await;
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "untrusted_front");
}
