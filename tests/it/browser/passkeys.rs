//! Passkeys in a real browser: Chromium's virtual authenticator (DevTools
//! protocol `WebAuthn.*`, through chromedriver) stands in for a security
//! key, and the page's own script asks the browser for it. The demo is
//! opened as `http://localhost:PORT`, the origin its `webauthn` section
//! names (browsers refuse passkeys on `127.0.0.1`).
//!
//! Jiro adds a passkey from the passkey page, signs in with it (and not
//! when the key stops verifying him), adds a second key from the settings page,
//! removes the first after confirming with the second, and a credential
//! of another site does not sign him in.

use super::driver::{ChromeDriver, Tab};
use super::msg;
use crate::harness::Gateway;
use serde_json::{Value as Json, json};

impl Tab {
    /// A virtual CTAP2 security key on this tab (user verification on),
    /// which answers without a touch. Its id.
    async fn add_authenticator(&self) -> String {
        self.cdp("WebAuthn.enable", json!({})).await;
        let added = self
            .cdp(
                "WebAuthn.addVirtualAuthenticator",
                json!({ "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasResidentKey": false,
                    "hasUserVerification": true,
                    "isUserVerified": true,
                    "automaticPresenceSimulation": true,
                } }),
            )
            .await;
        added["authenticatorId"].as_str().unwrap().to_owned()
    }

    async fn credentials(&self, authenticator: &str) -> Vec<Json> {
        let got = self
            .cdp(
                "WebAuthn.getCredentials",
                json!({ "authenticatorId": authenticator }),
            )
            .await;
        got["credentials"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the page's heading is `title_key` in English.
    async fn wait_heading(&self, title_key: &str) {
        self.wait_page("en", title_key).await;
    }
}

#[tokio::test]
async fn a_passkey_is_added_used_replaced_and_removed_in_a_real_browser() {
    let chrome = ChromeDriver::start().await;
    let gw = Gateway::demo().await;
    let mut jiro = chrome.open(&gw, "jiro-passkey", "en").await;
    jiro.origin = gw
        .passkey_origin()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let first = jiro.add_authenticator().await;

    // acme leaves 2FA optional: Jiro adds a passkey as his first second step.
    jiro.login("jiro@acme.example").await;
    jiro.assert_in_app("jiro@acme.example").await;
    jiro.goto("/_mfa/passkeys").await;
    jiro.shoot_both("passkey-add", "passkey.add_title", &[])
        .await;
    assert!(
        jiro.find("#add-passkey")
            .await
            .is_displayed()
            .await
            .unwrap(),
        "the script shows the passkey form"
    );
    jiro.fill("#passkey-name", "Laptop").await;
    jiro.click("#add-passkey").await;
    jiro.wait_heading("backup.title").await;
    assert_eq!(jiro.find_all("ol.codes li").await.len(), 10);
    assert_eq!(jiro.credentials(&first).await.len(), 1);
    jiro.assert_clean(&[]).await;

    // A new app session: the challenge offers the passkey first.
    jiro.login("jiro@acme.example").await;
    jiro.goto("/").await;
    jiro.wait_path("/_mfa/challenge").await;
    jiro.shoot_both("passkey-challenge", "challenge.title", &[])
        .await;
    jiro.click("#use-passkey").await;
    jiro.assert_in_app("jiro@acme.example").await;
    jiro.assert_clean(&[]).await;

    // User verification is asked for as "preferred": a key that can verify
    // its user does, and when that fails (the wrong PIN, an unknown
    // finger) the browser gives no answer; the page says so, and nothing
    // reached the gateway to count.
    let set_verified = |on: bool| json!({ "authenticatorId": first, "isUserVerified": on });
    jiro.cdp("WebAuthn.setUserVerified", set_verified(false))
        .await;
    jiro.login("jiro@acme.example").await;
    jiro.goto("/").await;
    jiro.wait_path("/_mfa/challenge").await;
    jiro.click("#use-passkey").await;
    let error = jiro
        .wait_for("p.error[data-webauthn-cancelled]:not([hidden])")
        .await;
    assert_eq!(
        error.text().await.unwrap(),
        msg("en", "error.passkey_failed")
    );
    assert_eq!(jiro.path().await, "/_mfa/challenge");
    assert_eq!(gw.account_status("jiro@acme.example").await["failures"], 0);
    jiro.cdp("WebAuthn.setUserVerified", set_verified(true))
        .await;
    jiro.click("#use-passkey").await;
    jiro.assert_in_app("jiro@acme.example").await;

    // A second key, added from the settings page.
    jiro.cdp(
        "WebAuthn.removeVirtualAuthenticator",
        json!({ "authenticatorId": first }),
    )
    .await;
    let second = jiro.add_authenticator().await;
    jiro.goto("/_mfa/settings").await;
    jiro.click("#add-passkey-link").await;
    jiro.wait_heading("passkey.add_title").await;
    jiro.fill("#passkey-name", "YubiKey").await;
    jiro.click("#add-passkey").await;
    jiro.wait_heading("settings.title").await;
    assert_eq!(
        jiro.text("p.notice[role=status]").await,
        msg("en", "passkey.added_done")
    );
    assert_eq!(jiro.find_all("li.passkey").await.len(), 2);
    jiro.shoot_both("settings-passkeys", "settings.title", &[])
        .await;

    // Remove the first ("Laptop", whose authenticator is gone), confirming
    // with the second.
    let first_row = jiro.find("li.passkey").await;
    assert!(first_row.text().await.unwrap().contains("Laptop"));
    jiro.click("li.passkey form[data-webauthn] button[data-webauthn-submit]")
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while jiro.find_all("li.passkey").await.len() != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the key was not removed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        jiro.text("p.notice[role=status]").await,
        msg("en", "passkey.removed_done")
    );
    let rows = jiro.find_all("li.passkey").await;
    assert!(rows[0].text().await.unwrap().contains("YubiKey"));
    // The session stays verified (its cookie moved to the remaining key).
    jiro.goto("/").await;
    jiro.assert_in_app("jiro@acme.example").await;
    jiro.assert_clean(&[]).await;
    assert_eq!(jiro.credentials(&second).await.len(), 1);
}

/// A credential for another site: the browser has nothing to answer our
/// challenge with, the page says so, and nothing is signed in.
#[tokio::test]
async fn a_credential_of_another_site_does_not_sign_in() {
    let chrome = ChromeDriver::start().await;
    let gw = Gateway::demo().await;
    let mut jiro = chrome.open(&gw, "jiro-foreign", "en").await;
    jiro.origin = gw
        .passkey_origin()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let own = jiro.add_authenticator().await;
    jiro.login("jiro@acme.example").await;
    jiro.goto("/_mfa/passkeys").await;
    jiro.fill("#passkey-name", "Laptop").await;
    jiro.click("#add-passkey").await;
    jiro.wait_heading("backup.title").await;
    // The key is lost; another holds a credential of another site only.
    jiro.cdp(
        "WebAuthn.removeVirtualAuthenticator",
        json!({ "authenticatorId": own }),
    )
    .await;
    let other = jiro.add_authenticator().await;
    let key = rcgen::KeyPair::generate().unwrap();
    let b64 =
        |bytes: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
    jiro.cdp(
        "WebAuthn.addCredential",
        json!({
            "authenticatorId": other,
            "credential": {
                "credentialId": b64(&[7u8; 32]),
                "isResidentCredential": false,
                "rpId": "other.example",
                "privateKey": b64(&key.serialize_der()),
                "signCount": 0,
            },
        }),
    )
    .await;
    jiro.login("jiro@acme.example").await;
    jiro.goto("/").await;
    jiro.wait_path("/_mfa/challenge").await;
    jiro.click("#use-passkey").await;
    let refused = jiro
        .wait_for("p.error[data-webauthn-cancelled]:not([hidden])")
        .await;
    assert_eq!(
        refused.text().await.unwrap(),
        msg("en", "error.passkey_failed")
    );
    assert_eq!(jiro.path().await, "/_mfa/challenge");
    assert_eq!(gw.account_status("jiro@acme.example").await["failures"], 0);
}
