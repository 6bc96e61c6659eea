//! Enrollment and challenge, end to end through the gateway: forced
//! enrollment, QR/otpauth secret, backup codes and their download, the
//! challenge of a new app session, replay refusal, single-use backup codes,
//! CSRF, `return_to` and durability across a SIGKILL.

use crate::harness::{Gateway, backup_codes_of, codes, enroll};

#[tokio::test]
async fn required_employee_enrolls_and_reaches_the_app() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;

    // Forced to enrollment, with the original target kept.
    let r = b.get("/reports?id=7").await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location(),
        Some("/_mfa/enroll?return_to=%2Freports%3Fid%3D7")
    );
    let r = b.get("/").await;
    assert_eq!(r.location(), Some("/_mfa/enroll"));
    let api = b.api_get("/api/data").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.json()["error"], "enrollment_required");
    assert_eq!(
        api.json()["location"],
        "/_mfa/enroll?return_to=%2Fapi%2Fdata"
    );

    // Wrong code and missing CSRF token change nothing.
    let page = b.get("/_mfa/enroll").await;
    let csrf = page.input_value("csrf").unwrap();
    let secret = codes::secret_from_uri(&page.href_of("otpauth-link").unwrap());
    let right = codes::code(&secret, codes::now_step(), 6);
    let wrong = codes::wrong_code(&secret);
    let r = b
        .post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", &wrong)])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains(r#"role="alert""#));
    let r = b.post_form("/_mfa/enroll", &[("code", &right)]).await;
    assert_eq!(r.status, 403, "no CSRF token");
    let r = b
        .post_form("/_mfa/enroll", &[("csrf", "1.forged"), ("code", &right)])
        .await;
    assert_eq!(r.status, 403, "forged CSRF token");
    assert_eq!(b.get("/").await.status, 303, "still not enrolled");

    let enrolled = enroll(&mut b).await;
    assert_eq!(
        enrolled.secret, secret,
        "the same pending secret was confirmed"
    );

    // Download of the codes just shown: text/plain, one per line.
    let page_csrf = b.get("/_mfa/enroll").await; // already enrolled now
    assert!(page_csrf.body.contains("already"), "{}", page_csrf.body);

    let r = b.get("/").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.came_from_app());
    assert!(r.body.contains("Logged in as taro@globex.example"));
    let api = b.api_get("/api/data").await;
    assert_eq!(api.status, 200);
}

#[tokio::test]
async fn backup_codes_download_as_text() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    let page = b.get("/_mfa/enroll").await;
    let csrf = page.input_value("csrf").unwrap();
    let secret = codes::secret_from_uri(&page.href_of("otpauth-link").unwrap());
    let code = codes::code(&secret, codes::now_step(), 6);
    let done = b
        .post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(done.status, 200);
    let shown = backup_codes_of(&done);
    let token = done.input_value("codes").unwrap();
    let csrf = done.input_value("csrf").unwrap();
    let file = b
        .post_form(
            "/_mfa/backup-codes.txt",
            &[("csrf", &csrf), ("codes", &token)],
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(
        file.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let lines: Vec<&str> = file.body.lines().skip(1).collect();
    assert_eq!(lines, shown.iter().map(String::as_str).collect::<Vec<_>>());
    // The sealed list is bound to this app session: another session of
    // the same account must pass the second step before it can post here,
    // and then this session's CSRF token and codes are refused.
    let mut other = gw.browser();
    other.login("taro@globex.example").await;
    let fields = [("csrf", csrf.as_str()), ("codes", token.as_str())];
    let r = other.post_form("/_mfa/backup-codes.txt", &fields).await;
    assert_eq!(r.location(), Some("/_mfa/challenge"), "{}", r.body);
    other.pass_challenge(&secret).await;
    let r = other.post_form("/_mfa/backup-codes.txt", &fields).await;
    assert_eq!(r.status, 403, "another session's CSRF token is refused");
}

#[tokio::test]
async fn new_session_is_challenged_and_codes_are_single_use() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    let enrolled = enroll(&mut b).await;
    assert_eq!(b.get("/").await.status, 200);

    // Logout and login: a new app session needs a new challenge, even
    // with the old gateway cookie still in the jar.
    let old_gateway_cookie = b.cookies["mfa_gate"].clone();
    b.logout().await;
    b.login("taro@globex.example").await;
    assert_eq!(b.cookies["mfa_gate"], old_gateway_cookie);
    let r = b.get("/settings?tab=1").await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location(),
        Some("/_mfa/challenge?return_to=%2Fsettings%3Ftab%3D1")
    );
    let api = b.api_get("/api/data").await;
    assert_eq!(
        (api.status, api.json()["error"].as_str()),
        (401, Some("mfa_required"))
    );

    let page = b
        .get("/_mfa/challenge?return_to=%2Fsettings%3Ftab%3D1")
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.input_value("return_to").as_deref(),
        Some("/settings?tab=1")
    );
    let csrf = page.input_value("csrf").unwrap();

    // The enrollment code's step was recorded: replaying it is refused.
    let replay = codes::code(&enrolled.secret, enrolled.step, 6);
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", &csrf),
                ("code", &replay),
                ("return_to", "/settings?tab=1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "a used time step is refused");
    assert!(r.body.contains(r#"role="alert""#));
    let r = b.post_form("/_mfa/challenge", &[("code", &replay)]).await;
    assert_eq!(r.status, 403, "CSRF-less POST refused");

    // The next step's code (within the ±1 skew) passes once.
    let next = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", &csrf),
                ("code", &next),
                ("return_to", "/settings?tab=1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), Some("/settings?tab=1"));
    let set_cookie = r.header("set-cookie").unwrap();
    assert!(set_cookie.starts_with("mfa_gate="));
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attr), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "demo turns Secure off for plain HTTP"
    );
    let r = b.get("/").await;
    assert_eq!(r.status, 200);
    assert!(r.came_from_app());

    // Another session replaying the same code: refused.
    let mut thief = gw.browser();
    thief.login("taro@globex.example").await;
    let csrf2 = thief
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let r = thief
        .post_form("/_mfa/challenge", &[("csrf", &csrf2), ("code", &next)])
        .await;
    assert_eq!(r.status, 422, "replayed code refused");

    // A backup code works once, and lands on a safe return_to only.
    let backup = &enrolled.backup_codes[3];
    let r = thief
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", &csrf2),
                ("backup_code", backup),
                ("return_to", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // By way of the page saying how many codes are left, which goes home.
    assert_eq!(
        r.location(),
        Some("/_mfa/signed-in?via=backup"),
        "//evil.example is never followed"
    );
    assert_eq!(thief.get("/").await.status, 200);

    let mut third = gw.browser();
    third.login("taro@globex.example").await;
    let csrf3 = third
        .get("/_mfa/challenge?method=backup")
        .await
        .input_value("csrf")
        .unwrap();
    let r = third
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf3), ("backup_code", backup)],
        )
        .await;
    assert_eq!(r.status, 422, "a used backup code is refused");
    // Typed differently (upper case, no dash), another code still works.
    let other = enrolled.backup_codes[5].replace('-', "").to_uppercase();
    let r = third
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", &csrf3),
                ("backup_code", &other),
                ("return_to", "https://evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location(),
        Some("/_mfa/signed-in?via=backup"),
        "absolute URLs are never followed"
    );
}

#[tokio::test]
async fn return_to_tricks_are_neutralized_on_the_pages() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    for evil in [
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "https%3Aevil.example",
        "%2Fa%0D%0ASet-Cookie%3Ax",
    ] {
        let page = b.get(&format!("/_mfa/enroll?return_to={evil}")).await;
        assert_eq!(page.status, 200);
        assert_eq!(
            page.input_value("return_to").as_deref(),
            Some("/"),
            "{evil}"
        );
    }
}

#[tokio::test]
async fn enrollment_survives_a_kill_and_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut gw = Gateway::demo_on(tmp.path()).await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    let enrolled = enroll(&mut b).await;
    // A challenge passed with the step after now: its code stays inside
    // the ±1 skew window for at least 60 s, so a refusal of its replay
    // after the restart is a replay refusal, not one for its age.
    let mut other = gw.browser();
    other.login("taro@globex.example").await;
    let (step, code) = codes::lasting_code(&enrolled.secret, Some(enrolled.step)).await;
    let csrf = other
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let r = other
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    gw.kill();

    let gw = Gateway::demo_on(tmp.path()).await;
    let mut b = gw.browser();
    b.login("taro@globex.example").await;
    let r = b.get("/").await;
    assert_eq!(
        r.location(),
        Some("/_mfa/challenge"),
        "still enrolled after SIGKILL"
    );
    let csrf = b.get("/_mfa/challenge").await.input_value("csrf").unwrap();
    // The recorded step survived too: its code is still refused.
    let r = b
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert!(
        codes::now_step() <= step + 1,
        "the restart took over 60 s: the replay's refusal cannot be told from an age refusal"
    );
    assert_eq!(
        r.status, 422,
        "a step accepted before the kill is accepted again"
    );
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[("csrf", &csrf), ("backup_code", &enrolled.backup_codes[0])],
        )
        .await;
    assert_eq!(r.status, 303);
}
