//! Browser tests: Debian's headless Chromium, driven through `chromedriver`
//! (WebDriver), walks the flows a person walks, against `mfa-gate demo` on
//! free ports. Each test asserts what the user sees: the page shown, the
//! text in the user's language, the field that has the focus, the error
//! next to the field, the file downloaded; and on every page, that the
//! console stayed free of errors, that no request left for another host,
//! and that the page fits a phone's width (390×844) — with screenshots of
//! each page, both languages, desktop and phone (see `shots.rs`).
//!
//! The tests need `chromium` and `chromedriver`; `scripts/test.sh` installs
//! them. Without them these tests fail and say so.
//!
//! - `driver.rs` — chromedriver process, one [`driver::Tab`] per browser;
//! - `clean.rs` — no console error, no request to another host;
//! - `shots.rs` — phone emulation, layout checks, screenshots;
//! - `aa.rs` — WCAG 2.2 AA measured on every photographed page: no
//!   sideways scroll, text, field border and focus-ring contrast, at 1280
//!   and 390 px, light and dark;
//! - `enroll_and_sign_in.rs` — enrollment, download, challenge, backup code;
//! - `policy_and_settings.rs` — an admin makes 2FA required; a colleague who
//!   is logged in is sent to enrollment, then regenerates his codes;
//! - `messages.rs` — locked, anonymous, expired form and not-found pages;
//! - `remember.rs` — the "don't ask again" box, remembered browsers on the
//!   settings page, the low-codes warning;
//! - `email.rs` — the email the demo writes when 2FA is turned on, read
//!   from its `.eml` file and rendered;
//! - `passkeys.rs` — passkeys with Chromium's virtual authenticator: add,
//!   sign in, a second key, remove, another site's credential.

mod aa;
mod clean;
mod driver;
mod email;
mod enroll_and_sign_in;
mod messages;
mod passkeys;
mod policy_and_settings;
mod remember;
mod shots;

use driver::Tab;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The text the user sees for catalog `key` in `lang` (`en` or `ja`),
/// read from the same catalogs the binary embeds.
pub fn msg(lang: &str, key: &str) -> String {
    static CATALOGS: OnceLock<HashMap<&'static str, Json>> = OnceLock::new();
    let catalogs = CATALOGS.get_or_init(|| {
        let parse = |s: &str| serde_json::from_str::<Json>(s).unwrap();
        HashMap::from([
            ("en", parse(include_str!("../../../pages/i18n/en.json"))),
            ("ja", parse(include_str!("../../../pages/i18n/ja.json"))),
        ])
    });
    catalogs[lang][key]
        .as_str()
        .unwrap_or_else(|| panic!("no message {key} in {lang}"))
        .to_owned()
}

impl Tab {
    /// Logs into the demo app with its own login form, as a person would,
    /// and waits for the answer: a `goto` right after a click that has not
    /// yet navigated is overtaken by the form's redirect.
    pub async fn login(&self, email: &str) {
        self.goto("/login").await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", "demo").await;
        self.click("form[action='/login'] button").await;
        self.wait_path_not("/login").await;
    }

    /// Asserts that the demo app (not a gateway page) shows its home page
    /// to `email`.
    pub async fn assert_in_app(&self, email: &str) {
        self.wait_path("/").await;
        let whoami = self.text("p.whoami").await;
        assert!(
            whoami.contains(&format!("Logged in as {email}")),
            "{}: app page says {whoami:?}",
            self.name
        );
    }

    /// Asserts the page's language and its `<h1>` (catalog `title_key`).
    pub async fn assert_page(&self, lang: &str, title_key: &str) {
        assert_eq!(self.lang().await, lang, "{}: <html lang>", self.name);
        assert_eq!(
            self.text("h1").await,
            msg(lang, title_key),
            "{}: heading on {}",
            self.name,
            self.path().await
        );
    }

    /// Waits until the page shows the heading of catalog `title_key` in
    /// `lang` (after a form was sent, the URL alone does not tell).
    pub async fn wait_page(&self, lang: &str, title_key: &str) {
        let expected = msg(lang, title_key);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let h1 = match self.client.find(fantoccini::Locator::Css("h1")).await {
                Ok(h1) => h1.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if h1 == expected {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{}: expected the page {expected:?}, see {h1:?} on {}",
                self.name,
                self.path().await
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.assert_page(lang, title_key).await;
    }

    /// The page in the other language, through the switch at the top.
    pub async fn switch_language(&self) {
        let before = self.lang().await;
        let expected = if before == "ja" { "en" } else { "ja" };
        let label = self.text("header a.lang").await;
        assert_eq!(
            label,
            msg(expected, "lang.name"),
            "{}: the switch names the language it leads to",
            self.name
        );
        self.click("header a.lang").await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.lang().await != expected {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the switch {before}→{expected} left {} in {before}",
                self.name,
                self.path().await
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Screenshots of a page that a GET shows (`title_key` its heading),
    /// in the current language, then in the other one through the switch,
    /// then back. The text must change language both ways.
    pub async fn shoot_both(&self, page: &str, title_key: &str, status: &[u16]) {
        let first = self.lang().await;
        self.assert_page(&first, title_key).await;
        self.shoot(page, status).await;
        self.switch_language().await;
        let second = self.lang().await;
        self.assert_page(&second, title_key).await;
        self.shoot(page, status).await;
        self.switch_language().await;
        self.assert_page(&first, title_key).await;
        self.assert_clean(status).await;
    }
}
