//! An attacker who knows the password, before or while the victim enrolls:
//! a started enrollment (its secret) belongs to the one app session that
//! was shown it. And a linked account cannot weaken what its person must
//! have: the person-wide rule is the strictest of its accounts.

use crate::harness::{Browser, Gateway, Resp, codes, enroll};

/// Open the enrollment page: the secret shown and the form's CSRF token.
async fn started(b: &mut Browser) -> (Vec<u8>, String) {
    let page = b.get("/_mfa/enroll").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let uri = page.href_of("otpauth-link").expect("otpauth link");
    (
        codes::secret_from_uri(&uri),
        page.input_value("csrf").expect("csrf"),
    )
}

async fn confirm(b: &mut Browser, csrf: &str, secret: &[u8]) -> Resp {
    let code = codes::code(secret, codes::now_step(), 6);
    b.post_form("/_mfa/enroll", &[("csrf", csrf), ("code", &code)])
        .await
}

#[tokio::test]
async fn an_enrollment_secret_belongs_to_the_session_that_saw_it() {
    let gw = Gateway::demo().await;
    // The attacker (password only) opens the enrollment page first.
    let mut attacker = gw.browser();
    attacker.login("taro@globex.example").await;
    let (attackers, attacker_csrf) = started(&mut attacker).await;
    // The victim, in their own session, gets another secret.
    let mut victim = gw.browser();
    victim.login("taro@globex.example").await;
    let (victims, victim_csrf) = started(&mut victim).await;
    assert_ne!(attackers, victims, "two sessions, two secrets");
    // Reloading keeps each session's own secret.
    assert_eq!(started(&mut attacker).await.0, attackers);

    // The attacker cannot confirm the victim's secret (a code from it is
    // wrong for the attacker's session), nor the victim the attacker's.
    let r = confirm(&mut attacker, &attacker_csrf, &victims).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = confirm(&mut victim, &victim_csrf, &attackers).await;
    assert_eq!(r.status, 422, "{}", r.body);

    // The victim enrolls; the attacker's started enrollment dies with it.
    let r = confirm(&mut victim, &victim_csrf, &victims).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = confirm(&mut attacker, &attacker_csrf, &attackers).await;
    assert_eq!(r.status, 409, "already enrolled: {}", r.body);
    let challenge = attacker.get("/_mfa/challenge").await;
    let csrf = challenge.input_value("csrf").unwrap();
    let code = codes::code(&attackers, codes::now_step() + 1, 6);
    let r = attacker
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(r.status, 422, "the attacker's secret opens nothing");
    assert_eq!(attacker.get("/").await.location(), Some("/_mfa/challenge"));
    let status = gw.account_status("taro@globex.example").await;
    assert_eq!(status["enrolled"], true, "{status}");
    assert_eq!(status["enrollment_pending"], false, "{status}");
}

#[tokio::test]
async fn a_linked_candidate_account_cannot_turn_off_what_its_person_must_have() {
    let gw = Gateway::demo().await;
    // sato's employee account (globex requires 2FA) enrolls.
    let mut staff = gw.browser();
    staff.login("sato@globex.example").await;
    let enrolled = enroll(&mut staff).await;
    // The same human's candidate account shares the enrollment.
    let mut exam = gw.browser();
    exam.login("sato.exam@globex.example").await;
    assert_eq!(exam.get("/").await.location(), Some("/_mfa/challenge"));
    exam.pass_challenge(&enrolled.secret).await;
    let page = exam.get("/_mfa/settings").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    // A valid current code does not turn off what the employee account of
    // the same person must have.
    let step = codes::now_step() + 1;
    let code = codes::code(&enrolled.secret, step, 6);
    let r = exam
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "disable"), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let status = gw.account_status("sato@globex.example").await;
    assert_eq!(status["enrolled"], true, "{status}");
    // The employee account still passes (no enrollment page).
    assert_eq!(staff.get("/").await.status, 200);
}
