//! A passkey for the tests: webauthn-authenticator-rs's CTAP2 soft token
//! (a software authenticator, not this crate's code) answering the
//! options our pages carry, as a browser would hand them to it. The
//! origin is what the browser would put in the signed client data: the
//! demo's `http://localhost:PORT`, or a phishing site's.

use super::browser::{Browser, Resp, html_unescape};
use super::gateway::Gateway;
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softtoken::SoftToken;

/// A software authenticator and the origin its browser reports.
pub struct Passkey {
    pub token: SoftToken,
    pub origin: Url,
}

impl Passkey {
    /// A new authenticator used on the demo gateway `gw`'s origin.
    pub fn new(gw: &Gateway) -> Passkey {
        Passkey {
            token: SoftToken::new(false).expect("soft token").0,
            origin: gw.passkey_origin(),
        }
    }

    /// A copy of this authenticator as it is now (its sign counter too):
    /// what a cloned key would be.
    pub fn clone_token(&self) -> Passkey {
        Passkey {
            token: SoftToken::from_cbor(&self.token.to_cbor().unwrap()).unwrap(),
            origin: self.origin.clone(),
        }
    }

    /// The answer to the `get` options of `page` (JSON, as the page's
    /// script posts it), or `None` when the authenticator refuses.
    pub fn answer_get(&mut self, page: &Resp) -> Option<String> {
        let options = serde_json::from_str(&options_of(page, "get")).unwrap();
        let answer = self
            .token
            .do_authentication(self.origin.clone(), options)
            .ok()?;
        Some(serde_json::to_string(&answer).unwrap())
    }

    /// The answer to the `create` options of `page`.
    pub fn answer_create(&mut self, page: &Resp) -> String {
        let options = serde_json::from_str(&options_of(page, "create")).unwrap();
        let answer = self
            .token
            .do_registration(self.origin.clone(), options)
            .expect("the authenticator registers");
        serde_json::to_string(&answer).unwrap()
    }
}

/// The options JSON of the page's first `data-webauthn="KIND"` form.
pub fn options_of(page: &Resp, kind: &str) -> String {
    let marker = format!(r#"data-webauthn="{kind}" data-options=""#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {kind} passkey form: {}", page.body))
        + marker.len();
    let end = start + page.body[start..].find('"').unwrap();
    html_unescape(&page.body[start..end])
}

/// The passkey page's form, filled in: `key` registered as `name`,
/// returning to `return_to` (as the query gives it).
pub async fn registration(
    b: &mut Browser,
    key: &mut Passkey,
    name: &str,
    return_to: &str,
) -> Vec<(String, String)> {
    let page = b
        .get(&format!("/_mfa/passkeys?return_to={return_to}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let answer = key.answer_create(&page);
    vec![
        ("csrf".into(), page.input_value("csrf").unwrap()),
        ("ceremony".into(), page.input_value("ceremony").unwrap()),
        ("passkey_answer".into(), answer),
        ("name".into(), name.into()),
        ("return_to".into(), page.input_value("return_to").unwrap()),
    ]
}

/// Register `key` as `name` (see `registration`); the answer to the post.
pub async fn register(b: &mut Browser, key: &mut Passkey, name: &str, return_to: &str) -> Resp {
    let fields = registration(b, key, name, return_to).await;
    post(b, "/_mfa/passkeys", &fields).await
}

/// The form fields that answer the challenge `page` with `key` (`None`:
/// the authenticator refused).
pub fn challenge_answer(page: &Resp, key: &mut Passkey) -> Option<Vec<(String, String)>> {
    let answer = key.answer_get(page)?;
    Some(vec![
        ("csrf".into(), page.input_value("csrf").unwrap()),
        ("ceremony".into(), page.input_value("ceremony").unwrap()),
        ("passkey_answer".into(), answer),
    ])
}

/// Post `fields` (built by `challenge_answer`) to `path`.
pub async fn post(b: &mut Browser, path: &str, fields: &[(String, String)]) -> Resp {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_form(path, &fields).await
}

/// Pass the challenge of `b`'s session with `key`; asserts the redirect.
pub async fn pass_with(b: &mut Browser, key: &mut Passkey) {
    let page = b.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = challenge_answer(&page, key).expect("the authenticator answers");
    let r = post(b, "/_mfa/challenge", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

impl Gateway {
    /// The origin the demo's passkeys are bound to.
    pub fn passkey_origin(&self) -> Url {
        Url::parse(&format!("http://localhost:{}", self.port)).unwrap()
    }
}
