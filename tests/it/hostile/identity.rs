//! Lies about who is logged in. Identity headers sent by a peer that is not
//! a trusted proxy are stripped and believed by no one; a whoami endpoint
//! that suddenly names another account for the same app session does not
//! inherit the first account's verified state. (A whoami endpoint that is
//! down, slow, answers garbage, a huge body or an unknown class is covered
//! by `identity_failures`: each fails closed with 503.)

use super::assert_still_serving;
use crate::harness::{
    ConfigBuilder, FakeApp, Gateway, Pages, Resp, Seen, Whoami, enroll, free_ports,
};

/// A fake app: `GET /api/me` answers what the test registered for the
/// `demo_session` cookie (401 for any other); every other request is
/// echoed.
async fn fake_app() -> FakeApp {
    FakeApp::builder().pages(Pages::Echo).start().await
}

/// `mfa-gate serve` in front of `app` with `acme` pinned `required`.
fn config(app: &FakeApp) -> ConfigBuilder {
    ConfigBuilder::new(free_ports(), &app.address)
        .totp_issuer("mfa-gate demo")
        .company("acme", "required")
}

#[tokio::test]
async fn whoami_naming_another_account_does_not_inherit_the_verified_state() {
    let app = fake_app().await;
    let gw = config(&app)
        .whoami_timing(Some("5s"), Some("100ms"))
        .serve()
        .await;
    app.set_session("s-alice", Whoami::person("alice", "acme"));
    app.set_session("s-bob", Whoami::person("bob", "acme"));
    let mut alice = gw.browser();
    alice
        .cookies
        .insert("demo_session".into(), "s-alice".into());
    enroll(&mut alice).await;
    let alice_cookie = alice.cookies["mfa_gate"].clone();
    let r = alice.get("/private").await;
    assert_eq!((r.status, r.came_from_app()), (200, true));
    let mut bob = gw.browser();
    bob.cookies.insert("demo_session".into(), "s-bob".into());
    enroll(&mut bob).await;

    // The app now says alice's session is bob's (a session mix-up in the
    // app, or an attacker who got bob's account onto alice's session): the
    // verified state was alice's and stays hers.
    for (who, company) in [("bob", "acme"), ("alice", "other-company")] {
        app.set_session("s-alice", Whoami::person(who, company));
        // Let the cached answer (100 ms) expire.
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let r = alice.get("/private").await;
        if company == "acme" {
            assert_eq!(r.status, 303, "{who}@{company}: {}", r.body);
            assert_eq!(r.location(), Some("/_mfa/challenge?return_to=%2Fprivate"));
        } else {
            // Unknown company, optional policy, not enrolled: passes — but
            // as that person, with nothing of alice's (not "verified").
            assert_eq!((r.status, r.came_from_app()), (200, true), "{}", r.body);
            let seen = Seen::of(&r.body);
            assert_eq!(seen.one("x-mfa-status").as_deref(), Some("not-enrolled"));
            assert_eq!(seen.one("x-mfa-account").as_deref(), Some("alice"));
        }
        assert_eq!(alice.cookies["mfa_gate"], alice_cookie);
    }
    // Back to alice: her verified state is intact.
    app.set_session("s-alice", Whoami::person("alice", "acme"));
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    let r = alice.get("/private").await;
    assert_eq!((r.status, r.came_from_app()), (200, true));
    let seen = Seen::of(&r.body);
    assert_eq!(seen.one("x-mfa-status").as_deref(), Some("verified"));
    assert_still_serving(&gw).await;
}

async fn headers_gateway(trusted: &str) -> (Gateway, FakeApp) {
    let app = fake_app().await;
    let identity = "source: headers\nheaders:\n  account: X-Auth-User\n  \
                    company: X-Auth-Company\n  class: X-Auth-Class\n  session: X-Auth-Session\n";
    let gw = config(&app)
        .identity(identity)
        .trusted_proxies(trusted)
        .serve()
        .await;
    (gw, app)
}

async fn spoofed(gw: &Gateway) -> Resp {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(gw.url("/private"))
        .header("accept", "text/html")
        .header("x-auth-user", "ceo@acme.example")
        .header("X-AUTH-COMPANY", "acme")
        .header("x-auth-class", "admin")
        .header("x-auth-session", "forged-session")
        .send()
        .await
        .unwrap();
    Resp::read(r).await
}

#[tokio::test]
async fn identity_headers_from_an_untrusted_peer_are_stripped() {
    // Only 192.0.2.1 (TEST-NET) is a trusted proxy; the test is 127.0.0.1.
    let (gw, _app) = headers_gateway("192.0.2.1/32").await;
    let r = spoofed(&gw).await;
    assert_eq!(r.status, 200, "anonymous to the gateway: {}", r.body);
    assert!(r.came_from_app());
    let seen = Seen::of(&r.body);
    assert_eq!(
        seen.request_line(),
        ("GET".to_owned(), "/private".to_owned()),
        "{}",
        r.body
    );
    let forwarded = r.body.to_ascii_lowercase();
    for name in [
        "x-auth-user",
        "x-auth-company",
        "x-auth-class",
        "x-auth-session",
    ] {
        assert!(
            !forwarded.contains(name),
            "{name} reached the app:\n{forwarded}"
        );
    }
    assert!(!forwarded.contains("ceo@acme.example"));
    assert_still_serving(&gw).await;

    // The same headers from a trusted peer are believed: acme requires
    // 2FA, so the (unenrolled) admin is sent to enrollment.
    let (gw, _app) = headers_gateway("127.0.0.1/32").await;
    let r = spoofed(&gw).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/_mfa/enroll?return_to=%2Fprivate")
    );
}

/// The identity headers of every common SSO front and web server, from a
/// peer outside `trusted_proxies`, never reach the app, whatever the
/// identity source: an app that trusts `Remote-User` or
/// `X-Forwarded-User` would take them as a login (issue 28). Underscore
/// spellings (`Remote_User`, which CGI-style apps read as the same
/// variable) are stripped too. From a trusted peer they pass as sent.
#[tokio::test]
async fn sso_identity_headers_of_any_front_are_stripped_in_every_source() {
    let spoofs: &[(&str, &str)] = &[
        ("X-Forwarded-User", "ceo"),
        ("X-Forwarded-Preferred-Username", "ceo"),
        ("X-Forwarded-Email", "ceo@acme.example"),
        ("X-Auth-Request-User", "ceo"),
        ("X-Auth-Request-Email", "ceo@acme.example"),
        ("Remote-User", "ceo"),
        ("X-Remote-User", "ceo"),
        ("Remote_User", "ceo"),
        ("X-Webauth-User", "ceo"),
        ("X-Goog-Authenticated-User-Email", "ceo@acme.example"),
        ("X-Pomerium-Claim-Email", "ceo@acme.example"),
        ("X-Auth-Username", "ceo"),
        // Not identities, but what some apps route or build URLs on.
        ("X-Forwarded-Prefix", "/ceo"),
        ("X-Original-Host", "ceo.example"),
    ];
    let send = |gw: &Gateway| {
        let mut request = reqwest::Client::new()
            .get(gw.url("/private"))
            .header("accept", "application/json");
        for (name, value) in spoofs {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let app = fake_app().await;
    // The whoami source (the default), no trusted proxies; and the headers
    // source whose front is somewhere else.
    let whoami = config(&app).serve().await;
    let (sso, _sso_app) = headers_gateway("192.0.2.1/32").await;
    for gw in [&whoami, &sso] {
        let r = Resp::read(send(gw).await.unwrap()).await;
        assert_eq!((r.status, r.came_from_app()), (200, true), "{}", r.body);
        let forwarded = r.body.to_ascii_lowercase();
        assert!(
            !forwarded.contains("ceo"),
            "an identity header reached the app:\n{forwarded}"
        );
    }
    // From a trusted peer (here the whoami gateway trusts the test), the
    // headers are the front's business and pass.
    let trusting = config(&app).trusted_proxies("127.0.0.1/32").serve().await;
    let r = Resp::read(send(&trusting).await.unwrap()).await;
    assert_eq!((r.status, r.came_from_app()), (200, true), "{}", r.body);
    let seen = Seen::of(&r.body);
    assert_eq!(seen.one("remote-user").as_deref(), Some("ceo"));
    assert_eq!(seen.one("x-forwarded-user").as_deref(), Some("ceo"));
    assert_eq!(seen.one("x-forwarded-prefix").as_deref(), Some("/ceo"));
    assert_still_serving(&whoami).await;
}

/// Headers through which frameworks take the path from a proxy
/// (`X-Original-Url`: Zend, Magento, IIS; `X-Rewrite-Url`: Yii2) never
/// reach the app, from any peer: the gateway judged the request line, and
/// `GET /static/x` with `X-Rewrite-Url: /admin` would be an admin page.
#[tokio::test]
async fn headers_that_move_the_routed_path_never_reach_the_app() {
    let app = fake_app().await;
    for trusted in ["192.0.2.1/32", "127.0.0.1/32"] {
        let gw = config(&app).trusted_proxies(trusted).serve().await;
        let r = reqwest::Client::new()
            .get(gw.url("/private"))
            .header("accept", "application/json")
            .header("x-original-url", "/admin/users")
            .header("X-Rewrite-Url", "/admin/users")
            .header("x-original-uri", "/admin/users")
            .header("x-forwarded-uri", "/admin/users")
            .header("x_original_url", "/admin/users")
            .send()
            .await
            .unwrap();
        let r = Resp::read(r).await;
        assert_eq!((r.status, r.came_from_app()), (200, true), "{}", r.body);
        assert!(!r.body.contains("/admin/users"), "{trusted}: {}", r.body);
    }
}

/// `identity.strip_headers` replaces the default list; the configured
/// identity headers are stripped all the same.
#[tokio::test]
async fn the_stripped_list_is_configurable() {
    let app = fake_app().await;
    let gw = config(&app)
        .identity_line("strip_headers: [X-Corp-User]")
        .serve()
        .await;
    let r = reqwest::Client::new()
        .get(gw.url("/private"))
        .header("accept", "application/json")
        .header("x-corp-user", "ceo")
        .header("remote-user", "someone")
        .send()
        .await
        .unwrap();
    let r = Resp::read(r).await;
    assert_eq!((r.status, r.came_from_app()), (200, true), "{}", r.body);
    let seen = Seen::of(&r.body);
    assert_eq!(seen.one("x-corp-user"), None, "{}", r.body);
    assert_eq!(seen.one("remote-user").as_deref(), Some("someone"));
}
