//! Lockout (docs/design.md §5) through the real gateway: `max_failures` (10 in the
//! demo) consecutive wrong codes lock the person, after which even the right
//! code is refused and every request shows the locked answer; a success
//! resets the count; racing wrong codes cannot slip past the limit; a lock
//! survives SIGKILL and restart. The count is read through the support API.
//! No test sleeps: failures need no clock.

use crate::harness::{
    DEMO_SUPPORT_TOKEN, Gateway, Resp, TARO, codes, enrolled_and_challenged, fail, submit_code,
};

const MAX_FAILURES: usize = 10;

fn assert_locked_page(r: &Resp) {
    assert_eq!(r.status, 423, "{}", r.body);
    assert!(!r.came_from_app());
    assert!(
        r.body.to_lowercase().contains("support"),
        "the locked page names support: {}",
        r.body
    );
}

#[tokio::test]
async fn ten_wrong_codes_lock_and_the_right_code_is_then_refused() {
    let gw = Gateway::demo().await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;

    fail(&mut b, &csrf, &enrolled.secret, MAX_FAILURES - 1).await;
    let s = gw.account_status(TARO).await;
    assert_eq!(
        (s["failures"].as_u64(), s["locked"].as_bool()),
        (Some(9), Some(false))
    );

    let tenth = submit_code(&mut b, &csrf, &codes::wrong_code(&enrolled.secret)).await;
    assert_locked_page(&tenth);
    let s = gw.account_status(TARO).await;
    assert_eq!(
        (s["failures"].as_u64(), s["locked"].as_bool()),
        (Some(10), Some(true))
    );
    assert!(
        s["locked_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{s}"
    );

    // The right TOTP code and an unused backup code are refused too, and
    // do not count further.
    let right = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    assert_locked_page(&submit_code(&mut b, &csrf, &right).await);
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", &enrolled.backup_codes[0])],
        )
        .await;
    assert_locked_page(&r);
    assert_eq!(gw.account_status(TARO).await["failures"], 10);

    // Every non-bypass request of every session of the person: 423.
    assert_locked_page(&b.get("/").await);
    assert_locked_page(&b.get("/reports?id=1").await);
    assert_locked_page(&b.get("/_mfa/challenge").await);
    let api = b.api_get("/api/data").await;
    assert_eq!(api.status, 423);
    assert_eq!(api.json(), serde_json::json!({"error": "locked"}));
    let mut other = gw.browser();
    other.login(TARO).await;
    assert_locked_page(&other.get("/").await);
    // Bypass paths (login, assets) still pass: the user can log out.
    assert_eq!(other.get("/static/app.css").await.status, 200);

    // Nothing on the gateway's own pages lifts the lock, and the support
    // API is not served on the gateway's port.
    for path in [
        "/_mfa/unlock",
        "/_mfa/admin/unlock",
        "/_mfa/admin/security",
        "/_mfa/settings",
        "/_mfa/settings/unlock",
    ] {
        let r = other.post_form(path, &[("csrf", &csrf)]).await;
        assert_ne!(r.status / 100, 2, "{path}");
        assert_ne!(r.status, 303, "{path}");
    }
    let via_gateway = reqwest::Client::new()
        .post(gw.url("/v1/accounts/taro%40globex.example/unlock"))
        .bearer_auth(DEMO_SUPPORT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_ne!(via_gateway.status().as_u16(), 200);
    assert!(gw.account_status(TARO).await["locked"].as_bool().unwrap());

    // The trail: enrolled, ten failures, the lock, newest first.
    let trail = gw
        .admin(
            "GET",
            "/v1/accounts/taro%40globex.example/audit",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await
        .json();
    let kinds: Vec<&str> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let mut expected = vec!["locked"];
    expected.extend(["challenge_failed"; MAX_FAILURES]);
    expected.push("enrolled");
    assert_eq!(kinds, expected);
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let gw = Gateway::demo().await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;

    fail(&mut b, &csrf, &enrolled.secret, MAX_FAILURES - 1).await;
    let right = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    let r = submit_code(&mut b, &csrf, &right).await;
    assert_eq!(r.status, 303, "the 10th attempt is right: {}", r.body);
    assert_eq!(gw.account_status(TARO).await["failures"], 0);

    // Nine more wrong ones in a new session do not lock: the count is of
    // consecutive failures. A backup code is a success too.
    b.logout().await;
    b.login(TARO).await;
    let csrf = b.get("/_mfa/challenge").await.input_value("csrf").unwrap();
    fail(&mut b, &csrf, &enrolled.secret, MAX_FAILURES - 1).await;
    let s = gw.account_status(TARO).await;
    assert_eq!(
        (s["failures"].as_u64(), s["locked"].as_bool()),
        (Some(9), Some(false))
    );
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", &enrolled.backup_codes[0])],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let s = gw.account_status(TARO).await;
    assert_eq!(
        (s["failures"].as_u64(), s["locked"].as_bool()),
        (Some(0), Some(false))
    );
    assert_eq!(b.get("/").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_wrong_codes_count_exactly_up_to_the_limit() {
    let gw = Gateway::demo().await;
    let (b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("code", &codes::wrong_code(&enrolled.secret))
        .finish();
    let client = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = client
            .post(gw.url("/_mfa/challenge"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(body.clone());
        tasks.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        statuses.push(done.unwrap().expect("request"));
    }
    let wrong = statuses.iter().filter(|s| **s == 422).count();
    let locked = statuses.iter().filter(|s| **s == 423).count();
    assert_eq!(
        (wrong, locked),
        (MAX_FAILURES - 1, 50 - (MAX_FAILURES - 1)),
        "nine plain failures, then the lock for all the rest: {statuses:?}"
    );
    let s = gw.account_status(TARO).await;
    assert_eq!(s["failures"], MAX_FAILURES, "{s}");
    assert_eq!(s["locked"], true);
    let trail = gw
        .admin(
            "GET",
            "/v1/accounts/taro%40globex.example/audit",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await
        .json();
    let count = |kind: &str| {
        trail["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind)
            .count()
    };
    assert_eq!(
        (count("challenge_failed"), count("locked")),
        (MAX_FAILURES, 1)
    );
}

#[tokio::test]
async fn a_lock_survives_sigkill_and_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut gw = Gateway::demo_on(tmp.path()).await;
    let (mut b, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;
    fail(&mut b, &csrf, &enrolled.secret, MAX_FAILURES - 1).await;
    assert_locked_page(&submit_code(&mut b, &csrf, &codes::wrong_code(&enrolled.secret)).await);
    // No pause, no graceful stop: the lock must already be on disk.
    gw.kill();

    let gw = Gateway::demo_on(tmp.path()).await;
    let mut b = gw.browser();
    b.login(TARO).await;
    assert_locked_page(&b.get("/").await);
    let s = gw.account_status(TARO).await;
    assert_eq!(
        (s["failures"].as_u64(), s["locked"].as_bool()),
        (Some(10), Some(true))
    );
}

/// A lock ends every verified session of the person, and an unlock does
/// not bring them back: a gateway cookie a thief holds from before the
/// lock is worth nothing after support lifts it (issue 30 §3).
#[tokio::test]
async fn an_unlock_does_not_bring_back_sessions_verified_before_the_lock() {
    let gw = Gateway::demo().await;
    let (mut attacker, csrf, enrolled) = enrolled_and_challenged(&gw, TARO).await;
    // The victim's (or a thief's) session passed the challenge.
    let mut verified = gw.browser();
    verified.login(TARO).await;
    verified.pass_challenge(&enrolled.secret).await;
    assert!(verified.get("/").await.came_from_app());

    fail(&mut attacker, &csrf, &enrolled.secret, MAX_FAILURES - 1).await;
    let wrong = codes::wrong_code(&enrolled.secret);
    assert_locked_page(&submit_code(&mut attacker, &csrf, &wrong).await);
    assert_locked_page(&verified.get("/").await);
    let r = gw
        .admin(
            "POST",
            "/v1/accounts/taro%40globex.example/unlock",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Unlocked: the session verified before the lock is challenged again.
    let r = verified.get("/").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.location()
            .is_some_and(|l| l.starts_with("/_mfa/challenge")),
        "{:?}",
        r.location()
    );
    // A new proof lets it in again.
    let csrf = verified
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let r = verified
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", &enrolled.backup_codes[0])],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(verified.get("/").await.came_from_app());
}
