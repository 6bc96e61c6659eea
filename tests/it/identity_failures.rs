//! When the app cannot say who a session is, mfa-gate fails closed: an
//! unreachable, slow, or confused whoami endpoint, or one answering a
//! status not configured as "not logged in" (a WAF's 403 by default), gives
//! a 503 (a page for browsers, JSON for API calls), never a pass — and the
//! proxy keeps serving. So does a person record the store cannot read.

use crate::harness::{Browser, ConfigBuilder, FakeApp, Gateway, Whoami, free_ports};
use std::time::Duration;

/// A fake app whose `/api/me` misbehaves as `mode` says, for every session;
/// everything else answers 200 "app".
async fn fake_app(mode: &str) -> FakeApp {
    let person = || serde_json::json!({"account": "a", "company": "c", "class": "employee"});
    let app = FakeApp::builder();
    let app = match mode {
        "garbage" => app.whoami_default(Whoami::raw(200, b"{not json".to_vec())),
        "huge" => app.whoami_default(Whoami::raw(200, vec![b' '; 10 * 1024 * 1024])),
        // 20 times the whoami timeout the test sets for it (500 ms).
        "slow" => app
            .whoami_default(Whoami::json(&person()))
            .whoami_delay(Duration::from_secs(10)),
        "error" => app.whoami_default(Whoami::raw(500, b"oops".to_vec())),
        // A WAF or rate limiter in front of whoami.
        "forbidden" => app.whoami_default(Whoami::raw(403, b"blocked".to_vec())),
        "wrong_shape" => {
            let root = serde_json::json!({"account": "a", "company": "c", "class": "root"});
            app.whoami_default(Whoami::json(&root))
        }
        "person" => app.whoami_default(Whoami::json(&person())),
        _ => app.whoami_default(Whoami::status(401)),
    };
    app.start().await
}

/// `mfa-gate serve` in front of `upstream` (the harness's default config,
/// `/login` bypassed).
fn config(port: u16, upstream: &str) -> ConfigBuilder {
    ConfigBuilder::new(port, upstream).bypass(&["/login"])
}

async fn check_fails_closed(gw: &Gateway) {
    let mut b = Browser::new(gw.url(""));
    b.cookies
        .insert("demo_session".into(), "some-session".into());
    let page = b.get("/private").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(!page.came_from_app(), "nothing reached the app");
    assert!(
        page.body.contains("Temporarily unavailable"),
        "{}",
        page.body
    );
    let api = b.api_get("/api/data").await;
    assert_eq!(api.status, 503);
    assert_eq!(api.json()["error"], "mfa_unavailable");
    // Our pages fail closed too.
    assert_eq!(b.get("/_mfa/enroll").await.status, 503);
    // The gateway still serves what needs no identity.
    assert_eq!(b.get("/_mfa/healthz").await.status, 200);
}

#[tokio::test]
async fn whoami_down_fails_closed_with_503() {
    let port = free_ports();
    // Nothing listens on port+1.
    let gw = config(port, &format!("127.0.0.1:{}", port + 1))
        .serve()
        .await;
    check_fails_closed(&gw).await;
    // Anonymous traffic is the app's business: it is proxied, and the dead
    // upstream shows as a gateway error, not a crash.
    let mut anon = Browser::new(gw.url(""));
    let r = anon.get("/").await;
    assert_eq!(r.status, 502);
    assert_eq!(anon.get("/_mfa/healthz").await.status, 200);
}

#[tokio::test]
async fn confused_whoami_answers_fail_closed() {
    for mode in [
        "garbage",
        "huge",
        "slow",
        "error",
        "wrong_shape",
        "forbidden",
    ] {
        let app = fake_app(mode).await;
        // The slow whoami is answered after 10 s; the gateway must give up
        // first (a timeout is the point here, so a short one).
        let timeout = if mode == "slow" { "500ms" } else { "5s" };
        let gw = config(free_ports(), &app.address)
            .whoami_timing(Some(timeout), Some("1s"))
            .serve()
            .await;
        check_fails_closed(&gw).await;
        // An anonymous request still reaches the app.
        let mut anon = Browser::new(gw.url(""));
        let r = anon.get("/").await;
        assert_eq!((r.status, r.body.as_str()), (200, "app"), "{mode}");
    }
}

#[tokio::test]
async fn a_401_from_whoami_means_anonymous() {
    let app = fake_app("anonymous").await;
    let gw = config(free_ports(), &app.address).serve().await;
    let mut b = Browser::new(gw.url(""));
    b.cookies.insert("demo_session".into(), "expired".into());
    let r = b.get("/private").await;
    assert_eq!((r.status, r.body.as_str()), (200, "app"));
    let r = b.get("/_mfa/challenge").await;
    assert_eq!(r.status, 401, "our pages need a logged-in session");
}

#[tokio::test]
async fn a_403_from_whoami_passes_only_when_configured_as_anonymous() {
    let app = fake_app("forbidden").await;
    let gw = config(free_ports(), &app.address)
        .identity_line("anonymous_statuses: [401, 403]")
        .serve()
        .await;
    let mut b = Browser::new(gw.url(""));
    b.cookies.insert("demo_session".into(), "blocked".into());
    let r = b.get("/private").await;
    assert_eq!((r.status, r.body.as_str()), (200, "app"));
    let r = b.get("/_mfa/challenge").await;
    assert_eq!(r.status, 401, "our pages need a logged-in session");
}

#[tokio::test]
async fn a_person_record_that_cannot_be_read_fails_closed() {
    let app = fake_app("person").await;
    let tmp = tempfile::tempdir().unwrap();
    // The store of the data directory, with the person of every session
    // (`a` of company `c`) holding bytes no version of the record decodes.
    {
        let db = sled::open(tmp.path().join("store")).unwrap();
        let key = mfa_gate::domain::PersonKey::new("c", "a");
        db.open_tree("persons")
            .unwrap()
            .insert(key.as_str(), &b"{not a person record"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let gw = config(free_ports(), &app.address)
        .serve_in(tmp.path())
        .await;
    check_fails_closed(&gw).await;
    // Refused for the record, not for anything else.
    assert!(
        gw.log().contains("stored record is unreadable (person)"),
        "{}",
        gw.log()
    );
    // Anonymous traffic still reaches the app.
    let mut anon = Browser::new(gw.url(""));
    let r = anon.get("/").await;
    assert_eq!((r.status, r.body.as_str()), (200, "app"));
}
