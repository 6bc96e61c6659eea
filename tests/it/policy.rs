//! The company policy page: who may see and post it, pinned companies, and a
//! change reaching live sessions on their next request (docs/design.md §2, help page
//! "管理者による「強制適用」の設定").

use crate::harness::{Browser, Gateway, enroll, set_company_policy};

async fn logged_in(gw: &Gateway, who: &str) -> Browser {
    let mut b = gw.browser();
    b.login(who).await;
    b
}

#[tokio::test]
async fn only_company_administrators_may_open_or_post_it() {
    let gw = Gateway::demo().await;
    // admin of acme (not pinned): the form with both choices.
    let mut admin = logged_in(&gw, "hanako.admin@acme.example").await;
    let page = admin.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"value="optional" checked"#),
        "default is optional"
    );
    assert!(page.body.contains(r#"value="required""#));
    assert!(
        page.body
            .contains("Candidates (external test-takers) are never forced")
    );
    assert!(
        page.body.contains("invite your staff"),
        "suggests a rollout"
    );

    // admin + stress_check_officer of globex: may open; pinned, read-only.
    let mut kei = logged_in(&gw, "kei.admin@globex.example").await;
    // globex requires 2FA: no admin screen before enrollment.
    let r = kei.get("/_mfa/admin/security").await;
    assert_eq!(
        r.location(),
        Some("/_mfa/enroll?return_to=%2F_mfa%2Fadmin%2Fsecurity")
    );
    enroll(&mut kei).await;
    let page = kei.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(r#"id="pinned""#),
        "managed by configuration"
    );
    assert!(
        // (the remembered-browser setting, pinned on its own, keeps its
        // own button, `save-remember`)
        !page.body.contains(r#"<button type="submit">"#),
        "no save button when pinned"
    );
    let csrf = page.input_value("csrf").unwrap();
    let r = kei
        .post_form(
            "/_mfa/admin/security",
            &[("csrf", &csrf), ("enforcement", "optional")],
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("managed by configuration"));
    // Still required: taro is still sent to enrollment.
    let mut taro = logged_in(&gw, "taro@globex.example").await;
    assert_eq!(taro.get("/").await.location(), Some("/_mfa/enroll"));

    // Everyone else: 403 and no form, for GET and POST.
    for who in [
        "manager@acme.example",
        "jiro@acme.example",
        "cand@acme.example",
        "cand@globex.example",
    ] {
        let mut b = logged_in(&gw, who).await;
        let r = b.get("/_mfa/admin/security").await;
        assert_eq!(r.status, 403, "{who}");
        assert!(!r.body.contains("<form"), "{who} sees no form");
        let csrf = b.get("/_mfa/enroll").await.input_value("csrf").unwrap();
        let r = b
            .post_form(
                "/_mfa/admin/security",
                &[("csrf", &csrf), ("enforcement", "required")],
            )
            .await;
        assert_eq!(r.status, 403, "{who}");
    }
    // Nothing changed for acme.
    let mut jiro = logged_in(&gw, "jiro@acme.example").await;
    assert_eq!(jiro.get("/").await.status, 200);

    // CSRF and garbage are refused.
    let r = admin
        .post_form("/_mfa/admin/security", &[("enforcement", "required")])
        .await;
    assert_eq!(r.status, 403);
    let csrf = admin
        .get("/_mfa/admin/security")
        .await
        .input_value("csrf")
        .unwrap();
    let r = admin
        .post_form(
            "/_mfa/admin/security",
            &[("csrf", &csrf), ("enforcement", "mandatory")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(jiro.get("/").await.status, 200);
}

#[tokio::test]
async fn requiring_2fa_reaches_live_sessions_on_their_next_request() {
    let gw = Gateway::demo().await;
    let mut jiro = logged_in(&gw, "jiro@acme.example").await;
    let mut manager = logged_in(&gw, "manager@acme.example").await;
    let mut cand = logged_in(&gw, "cand@acme.example").await;
    let mut hanako = logged_in(&gw, "hanako@acme.example").await;
    let hanakos = enroll(&mut hanako).await;
    for b in [&mut jiro, &mut manager, &mut cand, &mut hanako] {
        assert_eq!(b.get("/").await.status, 200);
    }

    // A password alone gets no policy page: hanako is enrolled.
    let mut admin = logged_in(&gw, "hanako.admin@acme.example").await;
    let r = admin.get("/_mfa/admin/security").await;
    assert_eq!(
        r.location(),
        Some("/_mfa/challenge?return_to=%2F_mfa%2Fadmin%2Fsecurity")
    );
    let post = admin
        .post_form("/_mfa/admin/security", &[("enforcement", "optional")])
        .await;
    assert_eq!(post.status, 303, "{}", post.body);
    admin.pass_challenge(&hanakos.secret).await;
    set_company_policy(&mut admin, "required").await;
    // Every row of the table, on the very next request.
    assert_eq!(
        jiro.get("/reports").await.location(),
        Some("/_mfa/enroll?return_to=%2Freports")
    );
    assert_eq!(manager.get("/").await.location(), Some("/_mfa/enroll"));
    let api = jiro.api_get("/api/data").await;
    assert_eq!(
        (api.status, api.json()["error"].as_str()),
        (401, Some("enrollment_required"))
    );
    assert_eq!(
        cand.get("/").await.status,
        200,
        "candidates are never forced"
    );
    assert_eq!(
        hanako.get("/").await.status,
        200,
        "already enrolled and verified: no extra work"
    );

    set_company_policy(&mut admin, "optional").await;
    assert_eq!(jiro.get("/").await.status, 200);
    assert_eq!(manager.get("/").await.status, 200);
}

/// Enforcement pinned in YAML, the remembered-browser setting not: saving
/// the latter says "Saved" in its own section, never above the
/// enforcement's "managed by configuration".
#[tokio::test]
async fn a_saved_notice_belongs_to_the_form_that_was_saved() {
    let gw = Gateway::demo().await;
    let mut kei = logged_in(&gw, "kei.admin@globex.example").await;
    enroll(&mut kei).await;
    let page = kei.get("/_mfa/admin/security").await;
    let csrf = page.input_value("csrf").unwrap();
    let r = kei
        .post_form(
            "/_mfa/admin/security",
            &[("csrf", &csrf), ("remember_days", "7")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let at = |needle: &str| {
        r.body
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}: {}", r.body))
    };
    let saved = at(r#"id="remember-notice""#);
    assert!(
        saved > at(r#"id="remember-setting""#),
        "in the remember section"
    );
    assert!(saved > at(r#"id="pinned""#), "not above the pinned notice");
    assert_eq!(r.body.matches("Saved").count(), 1, "{}", r.body);
}
