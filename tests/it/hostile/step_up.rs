//! Step-up (issue 30 §1, DESIGN §9): changing a person's factors asks for a
//! second step proven in this app session within `step_up_minutes` (10 in
//! the demo). A gateway cookie minted with an old verification time (the
//! test knows the HMAC key) still lets the session into the app, but not
//! into adding a passkey or forgetting remembered browsers; a fresh code
//! on the step-up page (the challenge with its own heading) does, and the
//! person comes back to the page, whose form they then send themselves.

use super::{HMAC_KEY, demo_with_known_key, enrollment_id_of, mint_gateway_cookie, unix_now};
use crate::harness::passkeys::{Passkey, register};
use crate::harness::{TARO, changes_ask_for_a_step_up, codes, enroll};

const TARO_KEY: &str = "6:globex/taro@globex.example";
const STEP_UP: &str = "/_mfa/challenge?step_up=1&return_to=%2F_mfa%2Fpasskeys";

#[tokio::test]
async fn an_old_verification_is_no_proof_for_adding_a_passkey() {
    let (gw, _data) = demo_with_known_key().await;
    let mut b = gw.browser();
    b.login(TARO).await;
    let enrolled = enroll(&mut b).await;
    let enrollment = enrollment_id_of(&b.cookies["mfa_gate"]);
    let app = b.cookies["demo_session"].clone();
    // Verified eleven minutes ago: still verified for the app (12 h), not
    // for a change of factors (10 min).
    let old = mint_gateway_cookie(&HMAC_KEY, &app, TARO_KEY, enrollment, unix_now() - 11 * 60);
    b.cookies.insert("mfa_gate".into(), old);
    assert!(
        b.get("/").await.came_from_app(),
        "still verified for the app"
    );
    let r = b.get("/_mfa/passkeys?return_to=%2F").await;
    assert_eq!((r.status, r.location()), (303, Some(STEP_UP)), "{}", r.body);
    // Forms posted anyway (adding a key, forgetting browsers) change
    // nothing, and are not replayed later.
    changes_ask_for_a_step_up(&mut b).await;
    assert_eq!(gw.account_status(TARO).await["passkeys"], 0);

    // The step-up page: the challenge with its own heading, no "remember".
    let page = b.get(STEP_UP).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Confirm it&#39;s you to change your security settings")
            || page
                .body
                .contains("Confirm it's you to change your security settings"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(r#"name="remember""#), "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let return_to = page.input_value("return_to").unwrap();
    assert_eq!(return_to, "/_mfa/passkeys");
    let (_, code) = codes::lasting_code(&enrolled.secret, Some(enrolled.step)).await;
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("code", &code), ("return_to", &return_to)],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some(return_to.as_str())),
        "{}",
        r.body
    );
    // Back on the page, with a fresh proof: the key is added.
    let mut key = Passkey::new(&gw);
    let done = register(&mut b, &mut key, "YubiKey", "%2F").await;
    assert_eq!(
        (done.status, done.location()),
        (303, Some("/")),
        "{}",
        done.body
    );
    assert_eq!(gw.account_status(TARO).await["passkeys"], 1);
}

/// A session verified moments ago (here: by its enrollment) needs no
/// step-up: the proof is fresh.
#[tokio::test]
async fn a_fresh_verification_adds_a_passkey_at_once() {
    let (gw, _data) = demo_with_known_key().await;
    let mut b = gw.browser();
    b.login(TARO).await;
    enroll(&mut b).await;
    let page = b.get("/_mfa/passkeys").await;
    assert_eq!(page.status, 200, "{}", page.body);
    // And the step-up page sends a fresh session straight back.
    let r = b
        .get("/_mfa/challenge?step_up=1&return_to=%2F_mfa%2Fsettings")
        .await;
    assert_eq!((r.status, r.location()), (303, Some("/_mfa/settings")));
}
