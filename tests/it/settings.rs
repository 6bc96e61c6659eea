//! The settings page: status, linked accounts, regenerating backup codes and
//! turning 2FA off — each after a current code, and off only where the
//! company does not require it.

use crate::harness::{Browser, Gateway, backup_codes_of, codes, enroll};

async fn settings_csrf(b: &mut Browser) -> String {
    let page = b.get("/_mfa/settings").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.input_value("csrf").unwrap()
}

#[tokio::test]
async fn settings_show_the_state_and_offer_enrollment() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("jiro@acme.example").await;
    let page = b.get("/_mfa/settings").await;
    assert!(
        page.body.contains("Two-step verification is off"),
        "{}",
        page.body
    );
    let link = page.href_of("enroll-link").unwrap();
    assert_eq!(
        link,
        "/_mfa/enroll?return_to=/_mfa%2Fsettings".replace("/_mfa%2F", "%2F_mfa%2F")
    );
    let enroll_page = b.get(&link).await;
    assert_eq!(
        enroll_page.input_value("return_to").as_deref(),
        Some("/_mfa/settings")
    );
    enroll(&mut b).await;
    let page = b.get("/_mfa/settings").await;
    assert!(page.body.contains("On."), "{}", page.body);
    assert!(page.body.contains("Backup codes left: 10 of 10"));
    assert!(page.body.contains("Turn off two-step verification"));
    assert!(
        !page.body.contains(r#"id="policy-link""#),
        "employees get no policy link"
    );

    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    assert!(
        admin
            .get("/_mfa/settings")
            .await
            .body
            .contains(r#"id="policy-link""#)
    );
    let mut manager = gw.browser();
    manager.login("manager@acme.example").await;
    assert!(
        !manager
            .get("/_mfa/settings")
            .await
            .body
            .contains(r#"id="policy-link""#)
    );
}

#[tokio::test]
async fn regenerating_backup_codes_needs_a_code_and_kills_every_old_one() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("jiro@acme.example").await;
    let enrolled = enroll(&mut b).await;
    // Use one old code so that "every earlier code" includes used and unused.
    let mut other = gw.browser();
    other.login("jiro@acme.example").await;
    let csrf = other
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let r = other
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", &enrolled.backup_codes[0])],
        )
        .await;
    assert_eq!(r.status, 303);

    let csrf = settings_csrf(&mut b).await;
    let r = b
        .post_form(
            "/_mfa/settings",
            &[
                ("csrf", &csrf),
                ("action", "regenerate"),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "a wrong code changes nothing");
    let r = b
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "regenerate")],
        )
        .await;
    assert_eq!(r.status, 422, "no code changes nothing");
    let code = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    let r = b
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "regenerate"), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = backup_codes_of(&r);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !enrolled.backup_codes.contains(c)));
    assert!(
        r.body.contains("backup-codes.txt"),
        "download offered again"
    );

    let mut later = gw.browser();
    later.login("jiro@acme.example").await;
    let csrf = later
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    for old in &enrolled.backup_codes[1..4] {
        let r = later
            .post_form("/_mfa/challenge", &[("csrf", &csrf), ("backup_code", old)])
            .await;
        assert_eq!(r.status, 422, "old code {old} must be dead");
    }
    let r = later
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", &fresh[0])],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        b.get("/_mfa/settings")
            .await
            .body
            .contains("Backup codes left: 9 of 10")
    );
}

#[tokio::test]
async fn disabling_is_refused_where_required_and_needs_a_current_code() {
    let gw = Gateway::demo().await;
    // globex requires 2FA: no disable form, and a forged POST is refused.
    let mut taro = gw.browser();
    taro.login("taro@globex.example").await;
    let e = enroll(&mut taro).await;
    let page = taro.get("/_mfa/settings").await;
    assert!(page.body.contains("cannot be turned off"));
    assert!(!page.body.contains(r#"value="disable""#));
    let csrf = page.input_value("csrf").unwrap();
    let code = codes::lasting_code(&e.secret, Some(e.step)).await.1;
    let r = taro
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "disable"), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(taro.get("/_mfa/settings").await.body.contains("On."));

    // acme is optional: a wrong code is refused, a current one turns it off
    // for the person, i.e. for both linked accounts.
    let mut hanako = gw.browser();
    hanako.login("hanako@acme.example").await;
    let e = enroll(&mut hanako).await;
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    let csrf_admin = admin
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let r = admin
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf_admin), ("backup_code", &e.backup_codes[0])],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = hanako.get("/_mfa/settings").await;
    assert!(
        page.body.contains("hanako.admin@acme.example"),
        "linked accounts are listed: {}",
        page.body
    );
    let csrf = page.input_value("csrf").unwrap();
    let r = hanako
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "disable"), ("code", "123456")],
        )
        .await;
    assert_eq!(r.status, 422);
    let code = codes::lasting_code(&e.secret, Some(e.step)).await.1;
    let r = hanako
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "disable"), ("code", &code)],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/_mfa/settings?done=disabled"))
    );
    assert!(
        hanako
            .get("/_mfa/settings?done=disabled")
            .await
            .body
            .contains("is now off")
    );

    // Both accounts are off: a new session of either passes unchallenged.
    for who in ["hanako@acme.example", "hanako.admin@acme.example"] {
        let mut b = gw.browser();
        b.login(who).await;
        assert_eq!(b.get("/").await.status, 200, "{who}");
        assert!(
            b.get("/_mfa/settings")
                .await
                .body
                .contains("Two-step verification is off")
        );
    }
}

#[tokio::test]
async fn every_page_renders_in_both_languages() {
    let gw = Gateway::demo().await;
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    let mut locked_out = gw.browser();
    locked_out.login("cand@acme.example").await;
    for (lang, words) in [
        (
            "ja",
            [
                "2段階認証の設定",
                "2段階認証を管理する",
                "2段階認証",
                "先にログインしてください",
                "ページが見つかりません",
            ],
        ),
        (
            "en",
            [
                "Set up two-step verification",
                "Manage two-step verification",
                "Two-step verification",
                "Please sign in first",
                "Page not found",
            ],
        ),
    ] {
        admin.accept_language = lang.into();
        let mut anon = gw.browser();
        anon.accept_language = lang.into();
        let pages = [
            admin.get("/_mfa/enroll").await,
            admin.get("/_mfa/admin/security").await,
            admin.get("/_mfa/settings").await,
            anon.get("/_mfa/challenge").await,
            admin.get("/_mfa/nope").await,
        ];
        for (page, word) in pages.iter().zip(words) {
            assert!(
                page.body.contains(word),
                "{lang}: {word} missing in {}",
                page.body
            );
            assert!(page.body.contains(&format!(r#"<html lang="{lang}">"#)));
        }
    }
}
