//! Taro's company requires two-step verification. In a real browser he logs
//! in, is sent to enrollment, reads the QR code and the key, confirms with a
//! code typed from the keyboard, downloads his backup codes and reaches the
//! app; then signs in again with a wrong code, the right one, and later with
//! a backup code — on a desktop and a phone, in English and Japanese.

use super::driver::ChromeDriver;
use super::msg;
use crate::harness::{Gateway, TARO, codes};
use fantoccini::key::Key;

/// A backup code as the page shows it: `xxxx-xxxx-xxxx-xxxx`.
fn looks_like_backup_code(c: &str) -> bool {
    let parts: Vec<&str> = c.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [4, 4, 4, 4]
        && parts
            .iter()
            .all(|p| p.chars().all(|ch| ch.is_ascii_alphanumeric()))
}

#[tokio::test]
async fn taro_enrolls_in_a_browser_then_signs_in_with_a_code_and_a_backup_code() {
    let chrome = ChromeDriver::start().await;
    let gw = Gateway::demo().await;
    let tab = chrome.open(&gw, "taro", "en").await;

    // Right after the password: the enrollment page, in English (the
    // browser asks for `en`; the demo's default is Japanese).
    tab.login(TARO).await;
    tab.wait_path("/_mfa/enroll").await;
    tab.assert_page("en", "enroll.title").await;
    assert_eq!(tab.text("p.notice").await, msg("en", "enroll.required"));

    // The QR code is drawn, square and big enough to scan.
    let qr = tab.find("figure.qr svg").await;
    assert!(qr.is_displayed().await.unwrap(), "QR code visible");
    let (_, _, w, h) = qr.rectangle().await.unwrap();
    assert!(w >= 150.0 && (w - h).abs() < 1.0, "QR code is {w}×{h}");
    // The key under it is readable text, the same secret as the QR code's.
    let key = tab.text("#manual-key").await;
    assert!(
        key.split(' ').all(|group| group.len() <= 4),
        "key in groups: {key}"
    );
    let uri = tab
        .find("#otpauth-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let secret = codes::secret_from_uri(&uri);
    assert_eq!(
        data_encoding::BASE32_NOPAD.decode(key.replace(' ', "").as_bytes()),
        Ok(secret.clone()),
        "manual key {key} is the otpauth secret"
    );
    // The code field does not take the focus as the page opens: it sits
    // below the steps, which a screen reader would skip and a phone would
    // scroll away.
    assert_eq!(tab.focused_id().await, "", "no autofocus below the steps");

    tab.shoot_both("enroll", "enroll.title", &[]).await;
    assert_eq!(
        tab.text("#manual-key").await,
        key,
        "reloading (language switch) keeps the QR code already scanned"
    );

    // Into the field, then type the code and press Enter.
    tab.click("#code").await;
    assert_eq!(tab.focused_id().await, "code");
    let step = codes::now_step();
    let code = codes::code(&secret, step, 6);
    tab.type_keys(&format!("{code}{}", char::from(Key::Enter)))
        .await;
    tab.wait_page("en", "backup.title").await;

    let mut shown = Vec::new();
    for li in tab.find_all("ol.codes li").await {
        shown.push(li.text().await.unwrap());
    }
    assert_eq!(shown.len(), 10, "{shown:?}");
    assert!(shown.iter().all(|c| looks_like_backup_code(c)), "{shown:?}");
    tab.shoot("backup-codes", &[]).await;

    // The download button saves a text file with the same ten codes, and
    // the page stays (nothing navigates away from codes shown once).
    tab.click("form[action$='/backup-codes.txt'] button").await;
    let (file, text) = tab.downloaded_file().await;
    assert!(file.ends_with(".txt"), "{file}");
    let in_file: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| looks_like_backup_code(l))
        .collect();
    assert_eq!(in_file, shown, "downloaded {file}:\n{text}");
    tab.assert_page("en", "backup.title").await;

    // Continue: the app.
    tab.click_link(&msg("en", "backup.done")).await;
    tab.assert_in_app(TARO).await;
    tab.assert_clean(&[]).await;

    // Log out and in again: a new app session is challenged.
    tab.click_link("Log out").await;
    tab.wait_path("/login").await;
    tab.login(TARO).await;
    tab.wait_path("/_mfa/challenge").await;
    tab.assert_page("en", "challenge.title").await;
    assert_eq!(tab.focused_id().await, "code", "focus on load");

    // On a phone the field and the button are on the first screen, and
    // nothing scrolls sideways.
    tab.phone().await;
    tab.assert_fits_width().await;
    assert!(tab.on_first_screen("#code").await, "code field on screen");
    assert!(
        tab.on_first_screen("form button[type=submit]").await,
        "button on screen"
    );
    tab.desktop().await;
    tab.shoot_both("challenge", "challenge.title", &[]).await;

    // A wrong code: the error appears right under the field, the field is
    // marked invalid and keeps the focus for the next try. In both
    // languages.
    for lang in ["en", "ja"] {
        if tab.lang().await != lang {
            tab.switch_language().await;
        }
        tab.type_keys(&format!(
            "{}{}",
            codes::wrong_code(&secret),
            char::from(Key::Enter)
        ))
        .await;
        tab.wait_path("/_mfa/challenge").await;
        let error = tab.wait_for("#code-error").await;
        assert_eq!(error.text().await.unwrap(), msg(lang, "error.wrong_code"));
        assert_eq!(error.attr("role").await.unwrap().as_deref(), Some("alert"));
        let field = tab.find("#code").await;
        assert_eq!(
            field.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true")
        );
        assert!(
            field
                .attr("aria-describedby")
                .await
                .unwrap()
                .unwrap_or_default()
                .contains("code-error"),
            "the field names its error"
        );
        let (fx, fy, fw, fh) = field.rectangle().await.unwrap();
        let (ex, ey, _, _) = error.rectangle().await.unwrap();
        assert!(
            ey >= fy + fh - 1.0 && ey - (fy + fh) < 40.0 && (ex - fx).abs() < 2.0 && fw > 0.0,
            "error at ({ex},{ey}) is not right under the field ({fx},{fy} {fw}×{fh})"
        );
        assert_eq!(tab.focused_id().await, "code", "focus back in the field");
        tab.shoot("challenge-error", &[422]).await;
    }
    tab.switch_language().await;
    assert_eq!(tab.lang().await, "en");

    // The right code: the step after the enrollment's (a step counts once).
    let next = codes::lasting_code(&secret, Some(step)).await.1;
    tab.type_keys(&format!("{next}{}", char::from(Key::Enter)))
        .await;
    tab.assert_in_app(TARO).await;
    tab.assert_clean(&[422]).await;

    // Another login: "use a backup code".
    tab.click_link("Log out").await;
    tab.wait_path("/login").await;
    tab.login(TARO).await;
    tab.wait_path("/_mfa/challenge").await;
    tab.click_link(&msg("en", "challenge.use_backup")).await;
    tab.wait_for("#backup_code").await;
    assert!(tab.path().await.contains("method=backup"));
    assert_eq!(
        tab.text("label[for=backup_code]").await,
        msg("en", "challenge.backup_label")
    );
    assert_eq!(tab.focused_id().await, "backup_code", "focus on load");
    tab.shoot_both("challenge-backup", "challenge.title", &[])
        .await;
    tab.type_keys(&format!("{}{}", shown[4], char::from(Key::Enter)))
        .await;
    // The page after a backup code says how many are left, then continues.
    tab.wait_path("/_mfa/signed-in").await;
    assert_eq!(tab.text("#codes-left").await, "Backup codes left: 9 of 10.");
    tab.shoot_both("signed-in", "signed_in.title", &[]).await;
    tab.click("#continue").await;
    tab.assert_in_app(TARO).await;
    tab.assert_clean(&[]).await;
    tab.close().await;
}
