//! Pages a person trusts (issue 34 §4), through the real gateway: the
//! challenge names the account it verifies and offers the app's logout
//! ("not you? sign out"), the locked page says who to ask, the language
//! follows `Accept-Language` down its fallback chain, and an operator's
//! wording directory changes the words and adds a language. Contrast and
//! width are measured in a browser (`browser/aa.rs`).

use crate::harness::{
    Browser, ConfigBuilder, FakeApp, Gateway, Whoami, codes, enroll, free_ports, submit_code,
};

const SUPPORT: &str = "ui:\n  default_locale: en\n  logout_url: https://sso.example.com/logout?from=mfa\n  support_contact:\n    text: IT help desk <ext. 4242>\n    link: mailto:helpdesk@acme.example\nmax_failures: 3\n";

/// A gateway in front of a fake app where `s-1` and `s-2` are two logins of
/// `account`, and `anon` is nobody; `ui` is appended to its configuration,
/// `wording` written as `wording/<file>` beside it.
async fn gateway(account: &str, ui: &str, wording: &[(&str, String)]) -> Setup {
    let app = FakeApp::builder().start().await;
    for session in ["s-1", "s-2"] {
        app.set_session(session, Whoami::person(account, "acme"));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("wording")).unwrap();
    for (file, text) in wording {
        std::fs::write(dir.path().join("wording").join(file), text).unwrap();
    }
    let config = ConfigBuilder::new(free_ports(), &app.address)
        .totp_issuer("mfa-gate demo")
        .extra(ui);
    let gw = config.serve_in(dir.path()).await;
    (gw, app, dir)
}

/// The gateway, its app and its directory (kept until the test ends).
type Setup = (Gateway, FakeApp, tempfile::TempDir);

fn browser(gw: &Gateway, session: &str, lang: &str) -> Browser {
    let mut b = gw.browser();
    b.cookies.insert("demo_session".into(), session.into());
    b.accept_language = lang.into();
    b
}

#[tokio::test]
async fn the_challenge_names_the_account_and_the_locked_page_says_who_to_ask() {
    let (gw, _app, _dir) = gateway("ann&co<b>@acme.example", SUPPORT, &[]).await;
    let enrolled = enroll(&mut browser(&gw, "s-1", "en")).await;

    // A new login of the same account is challenged, by name (escaped),
    // with a way out to the app's logout.
    let mut b = browser(&gw, "s-2", "en");
    let page = b.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(
            r#"<p class="account" id="account">Verifying ann&amp;co&lt;b&gt;@acme.example."#
        ),
        "{}",
        page.body
    );
    assert_eq!(
        page.href_of("sign-out").as_deref(),
        Some("https://sso.example.com/logout?from=mfa")
    );
    let ja = browser(&gw, "s-2", "ja").get("/_mfa/challenge").await;
    assert!(
        ja.body
            .contains("ann&amp;co&lt;b&gt;@acme.example の本人確認をしています。"),
        "{}",
        ja.body
    );
    assert!(
        ja.body.contains("別のアカウントですか？ ログアウト</a>"),
        "{}",
        ja.body
    );

    // Three wrong codes lock: the locked page names the help desk, linked.
    let csrf = page.input_value("csrf").unwrap();
    let wrong = codes::wrong_code(&enrolled.secret);
    for expected in [422, 422, 423] {
        assert_eq!(submit_code(&mut b, &csrf, &wrong).await.status, expected);
    }
    let locked = b.get("/").await;
    assert_eq!(locked.status, 423, "{}", locked.body);
    assert!(
        locked.body.contains("To unlock it, contact:"),
        "{}",
        locked.body
    );
    assert!(
        locked.body.contains(
            r#"<p class="contact" id="support-contact"><a href="mailto:helpdesk@acme.example">IT help desk &lt;ext. 4242&gt;</a></p>"#
        ),
        "{}",
        locked.body
    );
    assert!(!locked.body.contains("Please contact support to unlock it"));
}

#[tokio::test]
async fn without_the_settings_the_pages_read_as_before() {
    let (gw, _app, _dir) = gateway("bob@acme.example", "max_failures: 1\n", &[]).await;
    let enrolled = enroll(&mut browser(&gw, "s-1", "en")).await;
    let mut b = browser(&gw, "s-2", "en");
    let page = b.get("/_mfa/challenge").await;
    assert!(
        page.body.contains("Verifying bob@acme.example."),
        "{}",
        page.body
    );
    assert_eq!(
        page.href_of("sign-out"),
        None,
        "no logout configured, no link"
    );
    let csrf = page.input_value("csrf").unwrap();
    let r = submit_code(&mut b, &csrf, &codes::wrong_code(&enrolled.secret)).await;
    assert_eq!(r.status, 423, "{}", r.body);
    assert!(
        r.body.contains("Please contact support to unlock it"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("support-contact"), "{}", r.body);
}

/// `<html lang>` of the page `anon` sees at `/_mfa/settings` (the
/// "log in first" page), asking for `accept_language`.
async fn lang_of(gw: &Gateway, accept_language: &str) -> String {
    let page = browser(gw, "anon", accept_language)
        .get("/_mfa/settings")
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    page.body
        .split(r#"<html lang=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_language_follows_accept_language_down_its_fallback_chain() {
    let (gw, _app, _dir) = gateway("cy@acme.example", "ui:\n  default_locale: en\n", &[]).await;
    for (header, lang) in [
        ("en-GB,en;q=0.9", "en"),
        ("fr-CA, ja-JP;q=0.5, en;q=0.4", "ja"),
        ("de-AT, fr", "en"),
        ("ja;q=0, *", "en"),
        ("", "en"),
    ] {
        assert_eq!(
            lang_of(&gw, header).await,
            lang,
            "Accept-Language: {header}"
        );
    }
}

/// A complete catalog for a new language: the built-in English, marked.
fn german() -> String {
    let mut catalog: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../pages/i18n/en.json")).unwrap();
    catalog.insert("lang.name".into(), "Deutsch".into());
    catalog.insert("anon.title".into(), "Bitte zuerst anmelden".into());
    serde_json::to_string_pretty(&catalog).unwrap()
}

#[tokio::test]
async fn an_operators_wording_changes_words_and_adds_a_language() {
    let wording = [
        (
            "en.json",
            r#"{"anon.title": "Sign in to Acme first"}"#.to_owned(),
        ),
        ("de.json", german()),
    ];
    let ui = "ui:\n  default_locale: de\n  i18n_dir: wording\n";
    let (gw, _app, _dir) = gateway("dora@acme.example", ui, &wording).await;
    assert_eq!(lang_of(&gw, "de-CH").await, "de");
    assert_eq!(lang_of(&gw, "pt").await, "de", "the default");
    let mut b = browser(&gw, "anon", "en-US");
    let en = b.get("/_mfa/settings").await;
    assert!(
        en.body.contains("<h1>Sign in to Acme first</h1>"),
        "{}",
        en.body
    );
    // The switch offers every other language, each in its own words.
    assert!(
        en.body.contains(r#"hreflang="de" lang="de">Deutsch</a>"#),
        "{}",
        en.body
    );
    assert!(
        en.body.contains(r#"hreflang="ja" lang="ja">日本語</a>"#),
        "{}",
        en.body
    );
    let de = b.get("/_mfa/settings?lang=de").await;
    assert!(
        de.body.contains("<h1>Bitte zuerst anmelden</h1>"),
        "{}",
        de.body
    );
    assert_eq!(b.cookies.get("mfa_lang").map(String::as_str), Some("de"));
    let again = b.get("/_mfa/settings").await;
    assert!(
        again.body.contains(r#"<html lang="de">"#),
        "the switch is remembered"
    );
}
