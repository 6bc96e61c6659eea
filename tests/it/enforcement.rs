//! The enforcement rule (docs/design.md §2) as users meet it through the gateway:
//! anonymous traffic and bypass paths pass, candidates are never forced,
//! optional companies pass, linked accounts share one enrollment.

use crate::harness::{Gateway, enroll};

#[tokio::test]
async fn anonymous_requests_and_bypass_paths_pass_through() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    let r = b.get("/").await;
    assert_eq!((r.status, r.location()), (303, Some("/login")));
    assert!(r.came_from_app(), "the app itself redirected to its login");
    let r = b.get("/login").await;
    assert_eq!(r.status, 200);
    assert!(r.came_from_app());
    let r = b.api_get("/api/me").await;
    assert_eq!(r.status, 401);
    assert!(r.came_from_app());
    let health = b.get("/_mfa/healthz").await;
    assert_eq!(health.status, 200);
    assert!(!health.came_from_app());

    // A required, unenrolled user still reaches the bypass paths only.
    b.login("taro@globex.example").await;
    let css = b.get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(css.came_from_app());
    for sneaky in [
        "/static/../",
        "/static/%2e%2e/",
        "/static%2f..%2f",
        "/login;x=1",
        "/static/..%5c",
    ] {
        let r = b.get(sneaky).await;
        assert!(
            !r.came_from_app() || r.status != 200,
            "{sneaky} must not bypass"
        );
        assert_eq!(r.status, 303, "{sneaky}");
    }
    // The app's own POSTs stream through untouched (login is a bypass
    // path; here an enforced API path after enrollment).
    enroll(&mut b).await;
    let body = vec![b'x'; 200_000];
    let r = b
        .post_raw("/api/echo", "application/octet-stream", body.clone())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), body.len());
}

#[tokio::test]
async fn candidates_and_optional_companies_are_never_forced() {
    let gw = Gateway::demo().await;
    for who in [
        "cand@globex.example",
        "cand@acme.example",
        "jiro@acme.example",
        "manager@acme.example",
    ] {
        let mut b = gw.browser();
        b.login(who).await;
        let r = b.get("/").await;
        assert_eq!(r.status, 200, "{who}: {}", r.body);
        assert!(r.body.contains(&format!("Logged in as {who}")));
    }
    for who in ["taro@globex.example", "kei.admin@globex.example"] {
        let mut b = gw.browser();
        b.login(who).await;
        let r = b.get("/").await;
        assert_eq!(
            (r.status, r.location()),
            (303, Some("/_mfa/enroll")),
            "{who}"
        );
    }
}

#[tokio::test]
async fn a_candidate_may_enroll_and_is_then_challenged() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("cand@globex.example").await;
    enroll(&mut b).await;
    b.logout().await;
    b.login("cand@globex.example").await;
    assert_eq!(b.get("/").await.location(), Some("/_mfa/challenge"));
}

#[tokio::test]
async fn linked_accounts_share_one_enrollment() {
    let gw = Gateway::demo().await;
    let mut employee = gw.browser();
    employee.login("hanako@acme.example").await;
    assert_eq!(
        employee.get("/").await.status,
        200,
        "optional: passes before enrolling"
    );
    let enrolled = enroll(&mut employee).await;

    // The admin account of the same person is challenged, not enrolled.
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    let r = admin.get("/").await;
    assert_eq!(r.location(), Some("/_mfa/challenge"));
    let csrf = admin
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let code = crate::harness::codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    let r = admin
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(admin.get("/").await.status, 200);

    // Another person of the same company is unaffected.
    let mut jiro = gw.browser();
    jiro.login("jiro@acme.example").await;
    assert_eq!(jiro.get("/").await.status, 200);
}

#[tokio::test]
async fn pages_speak_japanese_and_english() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    b.accept_language = "ja,en;q=0.5".into();
    let ja = b.get("/_mfa/enroll").await;
    assert!(ja.body.contains("2段階認証の設定"), "{}", ja.body);
    assert!(ja.body.contains(r#"<html lang="ja">"#));
    b.accept_language = "en-US".into();
    let en = b.get("/_mfa/enroll").await;
    assert!(en.body.contains("Set up two-step verification"));
    // The switch sets a cookie that wins over Accept-Language.
    let switched = b.get("/_mfa/enroll?lang=ja").await;
    assert!(switched.body.contains("2段階認証の設定"));
    assert_eq!(b.cookies.get("mfa_lang").map(String::as_str), Some("ja"));
    let later = b.get("/_mfa/enroll").await;
    assert!(later.body.contains("2段階認証の設定"));
    // Every page carries the hardening headers.
    for (h, v) in [
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(later.header(h), Some(v), "{h}");
    }
    assert!(
        later
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}
