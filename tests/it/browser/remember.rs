//! Jiro, at acme whose administrator allows remembering browsers for 30
//! days, ticks "don't ask again" on the challenge page (Japanese), sees his
//! remembered browser on the settings page, and after using seven backup
//! codes elsewhere meets the low-codes warning — in both languages, with
//! screenshots.

use super::driver::ChromeDriver;
use super::msg;
use crate::harness::{Gateway, JIRO, codes, enroll};
use fantoccini::key::Key;

#[tokio::test]
async fn remember_box_remembered_browsers_and_the_low_codes_warning() {
    let chrome = ChromeDriver::start().await;
    let gw = Gateway::demo().await;
    // Server state through plain HTTP: the setting, and Jiro's enrollment.
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    let csrf = admin
        .get("/_mfa/admin/security")
        .await
        .input_value("csrf")
        .unwrap();
    let r = admin
        .post_form(
            "/_mfa/admin/security",
            &[("csrf", &csrf), ("remember_days", "30")],
        )
        .await;
    assert_eq!(r.status, 200);
    let mut http = gw.browser();
    http.login(JIRO).await;
    let enrolled = enroll(&mut http).await;

    let tab = chrome.open(&gw, "jiro-remember", "ja").await;
    tab.login(JIRO).await;
    tab.wait_path("/_mfa/challenge").await;
    assert_eq!(
        tab.text("label[for=remember]").await,
        msg("ja", "challenge.remember").replace("{n}", "30")
    );
    tab.shoot_both("challenge-remember", "challenge.title", &[])
        .await;
    tab.click("label[for=remember]").await;
    assert!(tab.find("#remember").await.is_selected().await.unwrap());
    tab.click("#code").await;
    let code = codes::code(&enrolled.secret, enrolled.step + 1, 6);
    tab.type_keys(&format!("{code}{}", char::from(Key::Enter)))
        .await;
    tab.assert_in_app(JIRO).await;

    // Seven backup codes used in another session: three left.
    let mut other = gw.browser();
    other.login(JIRO).await;
    let csrf = other
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    for code in &enrolled.backup_codes[..7] {
        let r = other
            .post_form("/_mfa/challenge", &[("csrf", &csrf), ("backup_code", code)])
            .await;
        assert_eq!(r.status, 303);
    }

    tab.goto("/_mfa/settings").await;
    tab.wait_page("ja", "settings.title").await;
    assert_eq!(
        tab.text("#codes-warning p").await,
        msg("ja", "codes.low").replace("{n}", "3")
    );
    assert!(
        tab.text("#remembered li.browser")
            .await
            .contains(&msg("ja", "remember.this_browser"))
    );
    tab.shoot_both("settings-remembered", "settings.title", &[])
        .await;
    tab.close().await;
}
