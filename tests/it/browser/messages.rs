//! The pages that only say something, as a browser shows them: mfa-gate's
//! pages before signing in to the app, a page that does not exist, a form
//! whose security token no longer matches, and the locked account — each in
//! English and Japanese, clean of console errors and foreign requests.

use super::driver::ChromeDriver;
use super::msg;
use crate::harness::{Gateway, codes, enroll};
use fantoccini::key::Key;

const KEI: &str = "kei.admin@globex.example";

#[tokio::test]
async fn signed_out_not_found_expired_form_and_locked_pages() {
    let chrome = ChromeDriver::start().await;
    let gw = Gateway::demo().await;
    let tab = chrome.open(&gw, "kei", "en").await;

    // Not signed in to the app: our pages say so, and link to the app.
    tab.goto("/_mfa/settings").await;
    tab.shoot_both("signed-out", "anon.title", &[401]).await;
    tab.goto("/_mfa/no-such-page").await;
    tab.shoot_both("not-found", "not_found.title", &[404]).await;

    // Kei enrolled earlier (over plain HTTP, it is not what this test is
    // about); in the browser he is challenged.
    let mut http = gw.browser();
    http.login(KEI).await;
    let enrolled = enroll(&mut http).await;
    tab.login(KEI).await;
    tab.wait_path("/_mfa/challenge").await;

    // A form whose token does not belong to this session (it expired, or
    // the app session changed under it) is refused with a page that says
    // what to do, in both languages.
    for lang in ["en", "ja"] {
        tab.goto(&format!("/_mfa/challenge?lang={lang}")).await;
        tab.wait_page(lang, "challenge.title").await;
        tab.js("document.querySelector('input[name=csrf]').value = '1.expired'; return null;")
            .await;
        tab.type_keys(&format!(
            "{}{}",
            codes::wrong_code(&enrolled.secret),
            char::from(Key::Enter)
        ))
        .await;
        tab.wait_page(lang, "csrf.title").await;
        assert_eq!(tab.text("main p").await, msg(lang, "csrf.body"));
        tab.shoot("form-expired", &[403]).await;
    }

    // Ten wrong codes (from another session of his) lock the account: every
    // page of the app now says so, in both languages.
    let mut other = gw.browser();
    other.login(KEI).await;
    for _ in 0..10 {
        let csrf = other.get("/_mfa/challenge").await.input_value("csrf");
        let Some(csrf) = csrf else { break };
        other
            .post_form(
                "/_mfa/challenge",
                &[
                    ("csrf", &csrf),
                    ("code", &codes::wrong_code(&enrolled.secret)),
                ],
            )
            .await;
    }
    for lang in ["en", "ja"] {
        tab.goto(&format!("/?lang={lang}")).await;
        tab.wait_page(lang, "locked.title").await;
        let text = tab.text("main").await;
        assert!(text.contains(&msg(lang, "locked.support")), "{text}");
        tab.shoot("locked", &[423]).await;
    }
    tab.close().await;
}
