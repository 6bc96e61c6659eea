//! Bounds on identity look-ups: cache rules, coalescing, budgets. Behind
//! a fake app that keeps its session id across login (the harness's
//! `FakeApp` with `Login::KeepSession`), with a
//! long `cache_ttl` so that anything cached that should not be shows:
//! "not logged in" is never cached, a login form or a `Set-Cookie` of the
//! session cookie forgets the session, concurrent misses of one session
//! share one whoami call, whoami calls are limited in total, and each client
//! address has a budget of them (over it: 429).

use crate::harness::{Browser, ConfigBuilder, FakeApp, Gateway, Login, Pages, enroll, free_ports};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A "legacy" app that keeps its session id across login and answers
/// `app as ACCOUNT`; with `held`, its whoami calls wait for `release()`.
async fn legacy_app(held: bool) -> FakeApp {
    let app = FakeApp::builder()
        .login(Login::KeepSession)
        .pages(Pages::Account);
    if held { app.held() } else { app }.start().await
}

/// `mfa-gate serve` in front of `app`, company `acme` pinned `required`,
/// `/login` and `/logout` bypassed, `identity` lines added to its section.
async fn gateway(app: &FakeApp, identity: &[&str]) -> Gateway {
    let port = free_ports();
    let config = ConfigBuilder::new(port, &app.address)
        .upstream_timeouts(Some(("500ms", "10s")))
        .whoami_timing(Some("10s"), Some("1h"));
    identity
        .iter()
        .fold(config, |c, line| c.identity_line(line))
        .company("acme", "required")
        .bypass(&["/login", "/logout"])
        .app_name("mfa-gate demo")
        .admin("identity-bounds-token-0123")
        .serve()
        .await
}

/// A browser already holding the app session `id` (the app adopts it).
fn with_session(gw: &Gateway, id: &str) -> Browser {
    let mut b = gw.browser();
    b.cookies.insert("demo_session".into(), id.into());
    b
}

async fn login(b: &mut Browser, user: &str) {
    let r = b.post_form("/login", &[("user", user)]).await;
    assert_eq!(r.status, 303, "login as {user}: {}", r.body);
}

/// The request is identified as a required user who has not enrolled.
async fn assert_sent_to_enrollment(b: &mut Browser, path: &str) {
    let r = b.get(path).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap_or_default();
    assert!(to.starts_with("/_mfa/enroll"), "{to}");
}

async fn assert_reaches_app_as(b: &mut Browser, account: &str) {
    let r = b.get("/private").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, format!("app as {account}").as_str())
    );
}

#[tokio::test]
async fn a_login_that_keeps_the_session_id_is_seen_by_the_very_next_request() {
    let app = legacy_app(false).await;
    let gw = gateway(&app, &[]).await;
    let mut b = with_session(&gw, "legacy-1");
    // Before login the session is anonymous: the app serves it.
    assert_reaches_app_as(&mut b, "-").await;
    assert_reaches_app_as(&mut b, "-").await;
    assert_eq!(app.whoami_calls(), 2, "\"not logged in\" is never cached");
    login(&mut b, "taro").await;
    // Same cookie value, now taro's: identified at once.
    assert_sent_to_enrollment(&mut b, "/private").await;
}

#[tokio::test]
async fn a_login_that_rotates_the_session_id_is_seen_by_the_very_next_request() {
    let app = FakeApp::builder()
        .login(Login::RotateSession)
        .pages(Pages::Account)
        .start()
        .await;
    let gw = gateway(&app, &[]).await;
    let mut b = with_session(&gw, "before-login");
    assert_reaches_app_as(&mut b, "-").await;
    login(&mut b, "taro").await;
    let session = b.cookies["demo_session"].clone();
    assert_ne!(session, "before-login", "the app issued a new session");
    assert_sent_to_enrollment(&mut b, "/private").await;
    // The old id names no one.
    let mut old = with_session(&gw, "before-login");
    assert_reaches_app_as(&mut old, "-").await;
    assert_eq!(app.whoami_calls(), 3, "before, after the login, the old id");
}

#[tokio::test]
async fn a_relogin_as_another_user_in_the_same_session_drops_the_old_identity() {
    let app = legacy_app(false).await;
    let gw = gateway(&app, &[]).await;
    let mut b = with_session(&gw, "legacy-2");
    login(&mut b, "taro").await;
    enroll(&mut b).await;
    assert_reaches_app_as(&mut b, "taro").await;
    // The login form (a POST to a bypass path) forgets the session: the
    // next request is jiro's, and taro's verified state does not carry over.
    login(&mut b, "jiro").await;
    assert_sent_to_enrollment(&mut b, "/private").await;
    let api = b.api_get("/api/data").await;
    assert_eq!(api.status, 401, "{}", api.body);
    assert_eq!(api.json()["error"], "enrollment_required");
}

#[tokio::test]
async fn the_app_setting_or_clearing_its_session_cookie_forgets_the_session() {
    let app = legacy_app(false).await;
    let gw = gateway(&app, &[]).await;
    let mut b = with_session(&gw, "legacy-3");
    login(&mut b, "taro").await;
    enroll(&mut b).await;
    assert_reaches_app_as(&mut b, "taro").await;
    // Not a bypass path and not a form: only the response's Set-Cookie
    // tells that the session changed hands.
    let r = b.get("/switch?user=jiro").await;
    assert_eq!((r.status, r.body.as_str()), (200, "switched"));
    assert_sent_to_enrollment(&mut b, "/private").await;
    // A logout by GET clears the cookie; the old value is anonymous at once.
    let r = b.get("/logout").await;
    assert_eq!(r.status, 200);
    b.cookies.insert("demo_session".into(), "legacy-3".into());
    assert_reaches_app_as(&mut b, "-").await;
}

/// The `mfa_gate_identity_cache_total{result="miss"}` count.
async fn misses(gw: &Gateway) -> u64 {
    let metrics = gw.admin("GET", "/metrics", None).await;
    metrics
        .body
        .lines()
        .find(|l| l.starts_with("mfa_gate_identity_cache_total{result=\"miss\"}"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Polls until `n` identity cache misses happened (all requests are
/// waiting for whoami).
async fn wait_for_misses(gw: &Gateway, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while misses(gw).await < n {
        assert!(
            Instant::now() < deadline,
            "only {} misses",
            misses(gw).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait until the app has received `n` whoami calls.
async fn wait_for_whoami_calls(app: &FakeApp, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.whoami_calls() < n {
        assert!(
            Instant::now() < deadline,
            "only {} whoami calls",
            app.whoami_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `n` concurrent API calls to `/private`, the i-th with `cookie(i)`;
/// returns (status, Retry-After, body) of each.
async fn concurrent(
    gw: &Gateway,
    n: usize,
    cookie: impl Fn(usize) -> String,
) -> tokio::task::JoinSet<(u16, Option<String>, String)> {
    let client = reqwest::Client::new();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let request = client
            .get(gw.url("/private"))
            .header("accept", "application/json")
            .header("cookie", format!("demo_session={}", cookie(i)));
        set.spawn(async move {
            let r = request.send().await.expect("request");
            let status = r.status().as_u16();
            let retry = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (status, retry, r.text().await.unwrap_or_default())
        });
    }
    set
}

#[tokio::test]
async fn concurrent_misses_for_one_session_share_one_whoami_call() {
    let app = legacy_app(true).await;
    // A budget far below 50: waiting for a call in flight costs nothing.
    let gw = gateway(&app, &["whoami_client_burst: 5", "whoami_client_rate: 1"]).await;
    let requests = concurrent(&gw, 50, |_| "brand-new".into()).await;
    wait_for_misses(&gw, 50).await;
    // The one call is written by the task that started it, which a busy
    // machine may not have run yet: wait for it to arrive, then check that
    // it stayed the only one.
    wait_for_whoami_calls(&app, 1).await;
    assert_eq!(app.whoami_calls(), 1);
    app.release();
    for (status, _, body) in requests.join_all().await {
        assert_eq!((status, body.as_str()), (200, "app as -"));
    }
    assert_eq!(app.whoami_calls(), 1, "one call answered all 50");
}

#[tokio::test]
async fn whoami_calls_in_flight_are_limited_in_total() {
    let app = legacy_app(true).await;
    let gw = gateway(&app, &["whoami_concurrency: 2"]).await;
    let requests = concurrent(&gw, 10, |i| format!("session-{i}")).await;
    wait_for_misses(&gw, 10).await;
    // A miss is counted before its call reaches the app: wait for the two
    // calls the permits allow (the app holds them), then none may follow.
    wait_for_whoami_calls(&app, 2).await;
    assert_eq!(app.whoami_calls(), 2, "the other eight wait for a permit");
    app.release();
    for (status, _, body) in requests.join_all().await {
        assert_eq!((status, body.as_str()), (200, "app as -"));
    }
    assert_eq!(app.whoami_calls(), 10);
    assert_eq!(app.max_in_flight(), 2);
}

#[tokio::test]
async fn a_burst_of_new_session_cookies_is_held_to_the_client_budget() {
    let app = legacy_app(false).await;
    let (rate, burst) = (5, 10);
    let rate_line = format!("whoami_client_rate: {rate}");
    let burst_line = format!("whoami_client_burst: {burst}");
    let gw = gateway(&app, &[&rate_line, &burst_line]).await;
    // A known session, cached before the burst.
    let mut taro = with_session(&gw, "taro-session");
    login(&mut taro, "taro").await;
    assert_sent_to_enrollment(&mut taro, "/private").await;
    let before = app.whoami_calls();
    assert_eq!(before, 1);

    let started = Instant::now();
    let results = concurrent(&gw, 300, |_| format!("r{:016x}", rand::random::<u64>()))
        .await
        .join_all()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let (mut passed, mut refused) = (0, 0);
    for (status, retry, body) in &results {
        match status {
            200 => {
                assert_eq!(body, "app as -");
                passed += 1;
            }
            429 => {
                assert_eq!(retry.as_deref(), Some("1"));
                let json: serde_json::Value = serde_json::from_str(body).unwrap();
                assert_eq!(json["error"], "too_many_lookups");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let allowed = burst + (f64::from(rate) * elapsed).ceil() as usize;
    let calls = app.whoami_calls() - before;
    assert_eq!(calls, passed, "each request that passed asked once");
    // Taro's look-up came out of the same address's bucket just before:
    // at least `burst - 1` tokens were left when the burst began.
    assert!(
        (burst - before..=allowed).contains(&calls),
        "{calls} whoami calls in {elapsed:.2}s; budget {allowed}"
    );
    assert_eq!(refused, 300 - passed, "the rest got 429");

    // The budget bounds misses only: a cached session is still served...
    assert_sent_to_enrollment(&mut taro, "/private").await;
    // ... and another address has its own budget.
    let other = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let r = other
        .get(gw.url("/private"))
        .header("cookie", "demo_session=from-elsewhere")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "app as -");
}
