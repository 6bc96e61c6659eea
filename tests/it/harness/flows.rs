//! What a person does through `mfa-gate demo`, as the scenarios need it:
//! log in and out of the demo app, walk the enrollment page, reach the
//! challenge of a new app session, submit codes (right, wrong, many), pass
//! the challenge. Each step asserts its hop.

use super::browser::{Browser, Resp};
use super::codes;
use super::gateway::Gateway;

/// A demo employee of globex, whose company requires 2FA.
pub const TARO: &str = "taro@globex.example";
/// A demo employee of acme, whose company leaves 2FA optional.
pub const JIRO: &str = "jiro@acme.example";

/// What an enrollment gave the person.
pub struct Enrolled {
    pub secret: Vec<u8>,
    pub backup_codes: Vec<String>,
    /// The step whose code confirmed the enrollment (the last accepted).
    pub step: u64,
    /// The page that showed the backup codes.
    pub codes_page: String,
}

/// Walk the enrollment page as a user would; asserts each hop.
pub async fn enroll(b: &mut Browser) -> Enrolled {
    let page = b.get("/_mfa/enroll").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg"), "QR code is rendered inline");
    assert!(page.body.contains(r#"name="code""#));
    assert!(page.body.contains(r#"autocomplete="one-time-code""#));
    assert!(page.body.contains(r#"inputmode="numeric""#));
    let uri = page.href_of("otpauth-link").expect("otpauth link");
    assert!(uri.starts_with("otpauth://totp/mfa-gate%20demo:"), "{uri}");
    assert!(uri.contains("&issuer=mfa-gate%20demo"), "{uri}");
    let secret = codes::secret_from_uri(&uri);
    assert_eq!(secret.len(), 20, "160-bit secret");
    let manual: String = page
        .body
        .split("id=\"manual-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .replace(' ', "");
    assert_eq!(
        data_encoding::BASE32_NOPAD
            .decode(manual.as_bytes())
            .unwrap(),
        secret
    );
    let csrf = page.input_value("csrf").expect("csrf field");

    // A pending secret is not an enrollment: the app is still closed
    // to a required account, and reloading keeps the same secret.
    let again = b.get("/_mfa/enroll").await;
    assert_eq!(
        again.href_of("otpauth-link").unwrap(),
        uri,
        "reload keeps the QR code"
    );

    let step = codes::now_step();
    let code = codes::code(&secret, step, 6);
    let done = b
        .post_form(
            "/_mfa/enroll",
            &[("csrf", &csrf), ("code", &code), ("return_to", "/")],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let codes = backup_codes_of(&done);
    assert_eq!(codes.len(), 10);
    assert!(
        b.cookies.contains_key("mfa_gate"),
        "enrolling verifies the session"
    );
    Enrolled {
        secret,
        backup_codes: codes,
        step,
        codes_page: done.body,
    }
}

pub fn backup_codes_of(page: &Resp) -> Vec<String> {
    page.body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}

/// `account` enrolls in one app session, then logs in again: the new app
/// session is at the challenge. Returns it with its CSRF token.
pub async fn enrolled_and_challenged(gw: &Gateway, account: &str) -> (Browser, String, Enrolled) {
    let mut b = gw.browser();
    b.login(account).await;
    let enrolled = enroll(&mut b).await;
    b.logout().await;
    b.login(account).await;
    let page = b.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").expect("csrf");
    (b, csrf, enrolled)
}

/// Submit a TOTP `code` to the challenge with `csrf`.
pub async fn submit_code(b: &mut Browser, csrf: &str, code: &str) -> Resp {
    b.post_form("/_mfa/challenge", &[("csrf", csrf), ("code", code)])
        .await
}

/// Set the policy of `admin`'s company on its policy page (the session
/// past the second step where its company requires it), asserting the
/// confirmation.
pub async fn set_company_policy(admin: &mut Browser, value: &str) {
    save_company_setting(admin, "enforcement", value).await;
}

/// The company administrator `admin` saves `field` = `value` on the policy
/// page (`enforcement`, `remember_days`); asserts it was saved and shows.
pub async fn save_company_setting(admin: &mut Browser, field: &str, value: &str) {
    let page = admin.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let r = admin
        .post_form("/_mfa/admin/security", &[("csrf", &csrf), (field, value)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Saved"), "{}", r.body);
    assert!(
        r.body
            .contains(&format!(r#"name="{field}" value="{value}" checked"#)),
        "{}",
        r.body
    );
}

/// Submit `n` wrong codes, each answered 422 (not yet locked).
pub async fn fail(b: &mut Browser, csrf: &str, secret: &[u8], n: usize) {
    let wrong = codes::wrong_code(secret);
    for i in 0..n {
        let r = submit_code(b, csrf, &wrong).await;
        assert_eq!(r.status, 422, "wrong code {}: {}", i + 1, r.body);
    }
}

impl Browser {
    /// Log into the demo app (through the gateway: `/login` is a bypass path).
    pub async fn login(&mut self, email: &str) {
        let r = self
            .post_form("/login", &[("email", email), ("password", "demo")])
            .await;
        assert_eq!(r.status, 303, "login as {email}: {}", r.body);
        assert!(
            self.cookies.contains_key("demo_session"),
            "login set no session cookie"
        );
    }

    pub async fn logout(&mut self) {
        let r = self.get("/logout").await;
        assert_eq!(r.status, 303);
        self.cookies.remove("demo_session");
    }

    /// Pass the challenge with the authenticator `secret`. Tries the
    /// current step, then the next (the current one may already have
    /// been accepted for this person); asserts success.
    pub async fn pass_challenge(&mut self, secret: &[u8]) {
        let now = codes::now_step();
        for step in [now, now + 1] {
            let page = self.get("/_mfa/challenge").await;
            assert_eq!(page.status, 200, "challenge page: {}", page.body);
            let csrf = page.input_value("csrf").expect("csrf field");
            let code = codes::code(secret, step, 6);
            let r = submit_code(self, &csrf, &code).await;
            if r.status == 303 {
                return;
            }
            assert_eq!(r.status, 422, "challenge answer: {}", r.body);
        }
        panic!("no code near now passed the challenge");
    }
}

/// The changes of factors a session without a fresh proof may not make
/// (adding a passkey, forgetting remembered browsers, renaming a key):
/// each form, sent with a valid token, is answered 303 to the step-up page
/// (the challenge with `step_up=1`) and changes nothing. The settings page
/// itself is served: viewing needs no step-up.
pub async fn changes_ask_for_a_step_up(b: &mut Browser) {
    let settings = b.get("/_mfa/settings").await;
    assert_eq!(settings.status, 200, "viewing needs no step-up");
    let csrf = settings.input_value("csrf").unwrap();
    let rename = [
        ("action", "rename_passkey"),
        ("passkey", "1"),
        ("name", "old, unused"),
    ];
    let forms: [(&str, &[(&str, &str)]); 3] = [
        (
            "/_mfa/passkeys",
            &[("name", "mine"), ("passkey_answer", "{}")],
        ),
        ("/_mfa/settings", &[("action", "forget_browsers")]),
        ("/_mfa/settings", &rename),
    ];
    for (path, fields) in forms {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let r = b.post_form(path, &all).await;
        assert_eq!(r.status, 303, "{path}: {}", r.body);
        let to = r.location().unwrap_or_default();
        assert!(to.starts_with("/_mfa/challenge?step_up=1"), "{path}: {to}");
    }
}
