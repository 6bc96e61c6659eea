//! Hanako (acme's administrator) makes two-step verification required on
//! the policy page while her colleague Jiro is logged in in another browser
//! with Japanese settings: his next click lands on enrollment. He enrolls,
//! then regenerates his backup codes on the settings page.

use super::driver::ChromeDriver;
use super::msg;
use crate::harness::Gateway;
use crate::harness::codes;
use fantoccini::key::Key;

async fn codes_shown(tab: &super::driver::Tab) -> Vec<String> {
    let mut codes = Vec::new();
    for li in tab.find_all("ol.codes li").await {
        codes.push(li.text().await.unwrap());
    }
    codes
}

#[tokio::test]
async fn policy_set_to_required_sends_a_logged_in_colleague_to_enrollment() {
    let chrome = ChromeDriver::start().await;
    let gw = Gateway::demo().await;
    // Two browsers, two fresh profiles: nothing shared but the gateway.
    let jiro = chrome.open(&gw, "jiro", "ja").await;
    let hanako = chrome.open(&gw, "hanako", "en").await;

    // acme is optional: Jiro goes straight into the app.
    jiro.login("jiro@acme.example").await;
    jiro.assert_in_app("jiro@acme.example").await;
    // The company's security page is not his to see: "Not allowed", in
    // his language, then back to the app.
    jiro.goto("/_mfa/admin/security").await;
    jiro.wait_page("ja", "forbidden.title").await;
    jiro.shoot_both("not-allowed", "forbidden.title", &[403])
        .await;
    jiro.goto("/").await;
    jiro.assert_in_app("jiro@acme.example").await;

    hanako.login("hanako.admin@acme.example").await;
    hanako.assert_in_app("hanako.admin@acme.example").await;
    hanako.click_link("Company security").await;
    hanako.wait_path("/_mfa/admin/security").await;
    hanako.shoot_both("policy", "policy.title", &[]).await;
    let optional = hanako.find("#enforcement-optional").await;
    assert!(optional.is_selected().await.unwrap(), "optional by default");
    assert_eq!(
        hanako.text("label[for=enforcement-required]").await,
        msg("en", "policy.required")
    );
    // Choose "required" by its label, as a person clicks, and save.
    hanako.click("label[for=enforcement-required]").await;
    assert!(
        hanako
            .find("#enforcement-required")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    hanako
        .click("form[action$='/admin/security'] button[type=submit]")
        .await;
    let saved = hanako.wait_for("p.notice[role=status]").await;
    hanako.wait_page("en", "policy.title").await;
    assert_eq!(saved.text().await.unwrap(), msg("en", "policy.saved"));
    assert!(
        hanako
            .find("#enforcement-required")
            .await
            .is_selected()
            .await
            .unwrap(),
        "the saved choice is shown"
    );
    hanako.assert_clean(&[]).await;

    // Jiro's next click, still on the app page he had open.
    jiro.click_link("/api/me").await;
    jiro.wait_path("/_mfa/enroll").await;
    jiro.assert_page("ja", "enroll.title").await;
    assert_eq!(jiro.text("p.notice").await, msg("ja", "enroll.required"));
    assert_eq!(
        jiro.find("input[name=return_to]")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("/api/me"),
        "after enrolling he gets where he clicked"
    );

    // He enrolls (in Japanese): into the field, then the keyboard.
    let uri = jiro
        .find("#otpauth-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let secret = codes::secret_from_uri(&uri);
    let step = codes::now_step();
    assert_eq!(jiro.focused_id().await, "", "no autofocus below the steps");
    jiro.click("#code").await;
    let code = codes::code(&secret, step, 6);
    jiro.type_keys(&format!("{code}{}", char::from(Key::Enter)))
        .await;
    jiro.wait_page("ja", "backup.title").await;
    let first = codes_shown(&jiro).await;
    assert_eq!(first.len(), 10);
    jiro.click_link(&msg("ja", "backup.done")).await;
    jiro.wait_path("/api/me").await;
    let me = jiro.text("body").await;
    assert!(me.contains("\"account\":\"jiro@acme.example\""), "{me}");

    // The settings page: on, 10 codes left, and "regenerate".
    jiro.goto("/_mfa/settings").await;
    jiro.wait_page("ja", "settings.title").await;
    assert!(
        jiro.text("p.status.on")
            .await
            .contains(&msg("ja", "settings.on")),
        "settings say 2FA is on"
    );
    jiro.shoot_both("settings", "settings.title", &[]).await;
    jiro.click("#regenerate-code").await;
    let next = codes::lasting_code(&secret, Some(step)).await.1;
    jiro.type_keys(&format!("{next}{}", char::from(Key::Enter)))
        .await;
    jiro.wait_page("ja", "backup.title").await;
    let fresh = codes_shown(&jiro).await;
    assert_eq!(fresh.len(), 10);
    assert!(
        fresh.iter().all(|c| !first.contains(c)),
        "a new set: {first:?} / {fresh:?}"
    );
    jiro.shoot("backup-codes", &[]).await;

    jiro.assert_clean(&[]).await;
    jiro.close().await;
    hanako.close().await;
}
