//! The whole journey through a real front, nginx and Caddy alike: a
//! required user is sent to enrollment and comes back to the page asked
//! for, reaches the app verified, meets the challenge in a new session,
//! locks after wrong codes, and a support reset reaches a live session.

use super::{Backend, MAX_FAILURES};
use crate::harness::Front;
use crate::harness::{Browser, Resp, TARO, codes, enroll, fail, submit_code};
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_journey_through_nginx() {
    let backend = Backend::start(true).await;
    let front = backend.nginx().await;
    journey(&backend, &front).await;
}

#[tokio::test]
async fn the_journey_through_caddy() {
    let backend = Backend::start(true).await;
    let front = backend.caddy().await;
    journey(&backend, &front).await;
}

async fn journey(backend: &Backend, front: &Front) {
    // Anonymous: the app's own login answers.
    let mut b = front.browser();
    let r = b.get("/").await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/login")),
        "{}",
        r.body
    );

    // Enrollment, and back to the page asked for.
    b.login(TARO).await;
    let r = b.get("/dashboard?tab=2").await;
    let to = r.location().unwrap_or_default().to_owned();
    assert!(matches!(r.status, 302 | 303), "{}: {}", r.status, r.body);
    assert!(to.starts_with("/_mfa/enroll?return_to="), "{to}");
    assert!(to.contains("dashboard"), "return_to survives: {to}");
    let api = b.api_get("/api/me").await;
    assert_eq!(
        api.status, 401,
        "an API call is not redirected: {}",
        api.body
    );
    assert!(api.body.contains("required"), "{}", api.body);
    let enrolled = enroll(&mut b).await;
    let r = b.get("/").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(&format!("Logged in as {TARO}")),
        "{}",
        r.body
    );

    // A new app session meets the challenge, then reaches the app.
    let mut c = front.browser();
    c.login(TARO).await;
    let r = c.get("/").await;
    let to = r.location().unwrap_or_default();
    assert!(to.starts_with("/_mfa/challenge"), "{}: {to}", r.status);
    c.pass_challenge(&enrolled.secret).await;
    assert_eq!(c.get("/").await.status, 200);

    // Wrong codes lock the person: the app stays closed to a third session.
    let mut d = front.browser();
    d.login(TARO).await;
    let page = d.get("/_mfa/challenge").await;
    let csrf = page.input_value("csrf").expect("csrf");
    fail(&mut d, &csrf, &enrolled.secret, MAX_FAILURES - 1).await;
    let locked = submit_code(&mut d, &csrf, &codes::wrong_code(&enrolled.secret)).await;
    assert_eq!(locked.status, 423, "{}", locked.body);
    let r = d.get("/").await;
    assert!(matches!(r.status, 302 | 303), "{}", r.status);
    let shown = d.get(r.location().unwrap()).await;
    assert_eq!(shown.status, 423, "the page sent to is the locked page");

    // A support reset reaches the session verified before it.
    let reset = backend.gateway.support(&["reset", TARO]).await;
    assert_eq!(reset.code, 0, "{reset:?}");
    let r = settled(&mut b, "/", |r| r.status != 200).await;
    let to = r.location().unwrap_or_default();
    assert!(to.starts_with("/_mfa/enroll"), "{}: {to}", r.status);
}

/// GET `path` until `done` holds (deadline 10 s: the identity cache lives
/// 1 s, and a reset is seen by the next read of the person).
async fn settled(b: &mut Browser, path: &str, done: impl Fn(&Resp) -> bool) -> Resp {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = b.get(path).await;
        if done(&r) || Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
