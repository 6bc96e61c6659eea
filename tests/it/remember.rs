//! "Remember this browser" (issue 16 §1): off unless the company allows
//! it; a remembered browser lets a new app session of the same person
//! skip the code (the app's login still needed), and is refused — one
//! test each — when the company turned it off or lowered the days, the
//! time ran out, the person re-enrolled or was reset by support, the
//! person is locked, the browser was forgotten, or the cookie is another
//! person's or was changed.

use crate::harness::passkeys::{Passkey, challenge_answer, post, register};
use crate::harness::{
    Browser, DEMO_SUPPORT_TOKEN, Enrolled, Gateway, JIRO, changes_ask_for_a_step_up, codes, enroll,
    fail, save_company_setting, set_company_policy,
};
use mfa_gate::domain::PersonKey;
use mfa_gate::store::{SledStore, Store};
use std::path::Path;

const ADMIN: &str = "hanako.admin@acme.example";

/// acme's administrator sets the remembered-browser setting (`off`, `7`,
/// `30`) on the policy page; asserts it was saved.
async fn allow(gw: &Gateway, days: &str) {
    let mut admin = gw.browser();
    admin.login(ADMIN).await;
    save_company_setting(&mut admin, "remember_days", days).await;
}

/// Pass the challenge of `b` (a new app session) with the backup code
/// `code` (a TOTP code would run out of fresh steps within one test),
/// ticking "don't ask again" when `remember`; returns the answer (a 303).
async fn pass(b: &mut Browser, code: &str, remember: bool) -> crate::harness::Resp {
    let page = b.get("/_mfa/challenge?method=backup").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let mut fields = vec![("csrf", csrf.as_str()), ("backup_code", code)];
    if remember {
        fields.push(("remember", "yes"));
    }
    let r = b.post_form("/_mfa/challenge", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    r
}

/// Pass the step-up that changes to the factors ask for, with the backup
/// code `code`, on the way back to the settings page.
async fn step_up(b: &mut Browser, code: &str) {
    let page = b
        .get("/_mfa/challenge?step_up=1&return_to=%2F_mfa%2Fsettings")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let fields = [
        ("csrf", csrf.as_str()),
        ("backup_code", code),
        ("return_to", "/_mfa/settings"),
    ];
    let r = b.post_form("/_mfa/challenge", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Log `b` out and into the app again: a new app session.
async fn new_session(b: &mut Browser, account: &str) {
    b.logout().await;
    b.login(account).await;
}

/// Whether the session of `b` reaches the app without a code.
async fn skips_the_code(b: &mut Browser) -> bool {
    let r = b.get("/").await;
    match r.status {
        200 => {
            assert!(r.came_from_app());
            true
        }
        303 => {
            assert_eq!(r.location(), Some("/_mfa/challenge"));
            false
        }
        other => panic!("unexpected {other}: {}", r.body),
    }
}

/// With 30 days allowed, `account` (of acme) enrolls, and a new app
/// session passes the challenge ticking the box: the browser is
/// remembered. Returns the browser, logged in, and the enrollment.
async fn remembered(gw: &Gateway, account: &str) -> (Browser, Enrolled) {
    let mut b = gw.browser();
    b.login(account).await;
    let enrolled = enroll(&mut b).await;
    new_session(&mut b, account).await;
    let page = b.get("/_mfa/challenge").await;
    assert!(
        page.body
            .contains("Don't ask again on this browser for 30 days"),
        "{}",
        page.body
    );
    let r = pass(&mut b, &enrolled.backup_codes[0], true).await;
    let set_cookie: Vec<&str> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("mfa_remember="))
        .collect();
    assert_eq!(set_cookie.len(), 1, "{:?}", r.headers);
    let c = set_cookie[0];
    assert!(c.contains("; Max-Age=2592000"), "{c}");
    assert!(
        c.contains("; HttpOnly") && c.contains("; SameSite=Lax"),
        "{c}"
    );
    assert!(c.contains("; Path=/"), "{c}");
    assert_eq!(b.cookies["mfa_remember"].len(), 43, "32 random bytes");
    new_session(&mut b, account).await;
    assert!(skips_the_code(&mut b).await, "remembered: no code");
    (b, enrolled)
}

/// Stop the gateway, make every remembered browser of `account` (acme)
/// `days` older, start it again on the same data.
async fn age_browsers(mut gw: Gateway, data: &Path, account: &str, days: i64) -> Gateway {
    gw.kill();
    {
        let store = SledStore::open(&data.join("store")).unwrap();
        let key = PersonKey::new("acme", account);
        let browsers = store.remembered_browsers(&key).unwrap();
        assert_eq!(browsers.len(), 1);
        for (id, mut b) in browsers {
            b.created_at -= days * 86_400;
            store.remember_browser(&key, &id, &b).unwrap();
        }
    }
    Gateway::demo_on(data).await
}

async fn audit_kinds(gw: &Gateway, account: &str) -> Vec<(String, String, String)> {
    let path = format!("/v1/accounts/{}/audit", account.replace('@', "%40"));
    let r = gw.admin("GET", &path, Some(DEMO_SUPPORT_TOKEN)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("kind"), s("actor"), s("detail"))
        })
        .collect()
}

#[tokio::test]
async fn off_by_default_no_box_and_no_cookie() {
    let gw = Gateway::demo().await;
    let mut b = gw.browser();
    b.login(JIRO).await;
    let enrolled = enroll(&mut b).await;
    new_session(&mut b, JIRO).await;
    let page = b.get("/_mfa/challenge").await;
    assert!(!page.body.contains(r#"name="remember""#), "{}", page.body);
    // Ticking a box that is not offered remembers nothing.
    pass(&mut b, &enrolled.backup_codes[0], true).await;
    assert!(!b.cookies.contains_key("mfa_remember"));
    let settings = b.get("/_mfa/settings").await;
    assert!(
        settings
            .body
            .contains("does not allow remembering browsers")
    );
}

#[tokio::test]
async fn a_remembered_browser_skips_the_code_in_a_new_app_session() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut b, enrolled) = remembered(&gw, JIRO).await;
    // Every request of that session passes; the app never sees our cookie.
    assert!(skips_the_code(&mut b).await);
    // The app's login is still needed: logged out, the cookie is nothing.
    b.logout().await;
    let r = b.get("/_mfa/settings").await;
    assert_eq!(r.status, 401, "anonymous: please log in");
    b.login(JIRO).await;
    // Listed on the settings page, as this browser.
    let settings = b.get("/_mfa/settings").await;
    assert_eq!(settings.status, 200, "{}", settings.body);
    assert!(
        settings.body.contains("(this browser)"),
        "{}",
        settings.body
    );
    assert!(
        settings
            .body
            .contains(r#"name="action" value="forget_browser""#)
    );
    // Without ticking the box, another browser is not remembered.
    let mut other = gw.browser();
    other.login(JIRO).await;
    pass(&mut other, &enrolled.backup_codes[1], false).await;
    assert!(!other.cookies.contains_key("mfa_remember"));
    new_session(&mut other, JIRO).await;
    assert!(!skips_the_code(&mut other).await);
    // Audited: remembered, then used once per new app session.
    let kinds: Vec<String> = audit_kinds(&gw, JIRO)
        .await
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "browser_remembered").count(),
        1
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "remembered_browser_used")
            .count(),
        2,
        "{kinds:?}"
    );
    let metrics = gw.admin("GET", "/metrics", None).await;
    assert!(
        metrics
            .body
            .contains("mfa_gate_remembered_browser_skips_total 2"),
        "{}",
        metrics.body
    );
    assert_eq!(gw.account_status(JIRO).await["remembered_browsers"], 1);
}

#[tokio::test]
async fn turned_off_by_the_company_applies_at_the_next_request() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut b, _) = remembered(&gw, JIRO).await;
    allow(&gw, "off").await;
    assert!(!skips_the_code(&mut b).await, "same session, next request");
    new_session(&mut b, JIRO).await;
    assert!(!skips_the_code(&mut b).await, "a new session too");
}

/// A new browser on `gw` holding the remembered-browser `cookie`, logged
/// into the app as `account` (a new app session).
async fn with_cookie(gw: &Gateway, cookie: &str, account: &str) -> Browser {
    let mut b = gw.browser();
    b.cookies.insert("mfa_remember".into(), cookie.to_owned());
    b.login(account).await;
    b
}

#[tokio::test]
async fn lowered_days_refuse_an_older_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let gw = Gateway::demo_on(tmp.path()).await;
    allow(&gw, "30").await;
    let (b, _) = remembered(&gw, JIRO).await;
    let cookie = b.cookies["mfa_remember"].clone();
    let gw = age_browsers(gw, tmp.path(), JIRO, 8).await;
    let mut b = with_cookie(&gw, &cookie, JIRO).await;
    assert!(skips_the_code(&mut b).await, "8 days old, 30 allowed");
    allow(&gw, "7").await;
    assert!(!skips_the_code(&mut b).await, "8 days old, 7 allowed");
}

#[tokio::test]
async fn the_time_runs_out() {
    let tmp = tempfile::tempdir().unwrap();
    let gw = Gateway::demo_on(tmp.path()).await;
    allow(&gw, "30").await;
    let (b, _) = remembered(&gw, JIRO).await;
    let cookie = b.cookies["mfa_remember"].clone();
    let gw = age_browsers(gw, tmp.path(), JIRO, 30).await;
    let mut b = with_cookie(&gw, &cookie, JIRO).await;
    assert!(!skips_the_code(&mut b).await, "30 days are over");
    let challenge = b.get("/_mfa/challenge").await;
    assert!(
        challenge.body.contains(r#"name="remember""#),
        "may tick again"
    );
}

#[tokio::test]
async fn re_enrolling_ends_the_trust() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut b, enrolled) = remembered(&gw, JIRO).await;
    let cookie = b.cookies["mfa_remember"].clone();
    // Turning 2FA off forgets every remembered browser (and this cookie).
    let page = b.get("/_mfa/settings").await;
    let csrf = page.input_value("csrf").unwrap();
    let mut disabled = false;
    let now = codes::now_step();
    for step in [now, now + 1, now + 2] {
        let code = codes::code(&enrolled.secret, step, 6);
        let fields = [
            ("csrf", csrf.as_str()),
            ("action", "disable"),
            ("code", &code),
        ];
        let r = b.post_form("/_mfa/settings", &fields).await;
        if r.status == 303 {
            disabled = true;
            break;
        }
    }
    assert!(disabled, "2FA turned off");
    assert!(!b.cookies.contains_key("mfa_remember"), "cookie cleared");
    assert_eq!(gw.account_status(JIRO).await["remembered_browsers"], 0);
    // Enrolled again: the old cookie (kept by a copy of the browser)
    // belongs to an enrollment that is gone.
    enroll(&mut b).await;
    let mut copy = with_cookie(&gw, &cookie, JIRO).await;
    assert!(!skips_the_code(&mut copy).await);
    let forgotten = audit_kinds(&gw, JIRO).await;
    assert!(
        forgotten
            .iter()
            .any(|(k, a, d)| k == "browsers_forgotten" && a == JIRO && d == "2FA turned off: 1"),
        "{forgotten:?}"
    );
}

#[tokio::test]
async fn a_support_reset_forgets_every_browser() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut b, _) = remembered(&gw, JIRO).await;
    let status = gw.support(&["status", JIRO]).await;
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("1 browsers"), "{}", status.stdout);
    let reset = gw
        .admin(
            "POST",
            "/v1/accounts/jiro%40acme.example/reset",
            Some(DEMO_SUPPORT_TOKEN),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let detail = reset.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("remembered browsers forgotten"), "{detail}");
    assert_eq!(reset.json()["status"]["remembered_browsers"], 0);
    // Enrolled again, the browser must give a code.
    enroll(&mut b).await;
    new_session(&mut b, JIRO).await;
    assert!(!skips_the_code(&mut b).await);
    let trail = audit_kinds(&gw, JIRO).await;
    assert!(
        trail.iter().any(|(k, a, d)| k == "browsers_forgotten"
            && a == "support"
            && d == "support reset: 1"),
        "{trail:?}"
    );
}

#[tokio::test]
async fn a_lock_beats_a_remembered_browser() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut b, enrolled) = remembered(&gw, JIRO).await;
    let mut thief = gw.browser();
    thief.login(JIRO).await;
    let csrf = thief
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    fail(&mut thief, &csrf, &enrolled.secret, 9).await;
    let r =
        crate::harness::submit_code(&mut thief, &csrf, &codes::wrong_code(&enrolled.secret)).await;
    assert_eq!(r.status, 423, "locked now");
    let r = b.get("/").await;
    assert_eq!(r.status, 423, "locked beats everything");
    new_session(&mut b, JIRO).await;
    assert_eq!(b.get("/").await.status, 423);
    // The lock ended the browser's trust, and an unlock does not bring it
    // back: the (maybe stolen) cookie must pass the challenge again.
    assert_eq!(gw.account_status(JIRO).await["remembered_browsers"], 0);
    let unlock = gw.support(&["unlock", JIRO]).await;
    assert_eq!(unlock.code, 0, "{unlock:?}");
    new_session(&mut b, JIRO).await;
    assert!(
        !skips_the_code(&mut b).await,
        "remembered again after an unlock"
    );
    let trail = audit_kinds(&gw, JIRO).await;
    assert!(
        trail
            .iter()
            .any(|(k, a, d)| k == "browsers_forgotten" && a == JIRO && d == "lock: 1"),
        "{trail:?}"
    );
}

/// A session let in by a remembered browser (a password and a stolen
/// cookie) cannot add a passkey, which would outlive the cookie, nor
/// forget the person's browsers: both ask for a step-up, which only a
/// code or a passkey passes (issue 30 §1).
#[tokio::test]
async fn a_remembered_browser_is_no_proof_for_changing_factors() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut b, enrolled) = remembered(&gw, JIRO).await;
    let r = b.get("/_mfa/passkeys").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let step_up = r.location().unwrap().to_owned();
    assert_eq!(
        step_up,
        "/_mfa/challenge?step_up=1&return_to=%2F_mfa%2Fpasskeys"
    );
    changes_ask_for_a_step_up(&mut b).await;
    let status = gw.account_status(JIRO).await;
    assert_eq!(
        (
            status["passkeys"].as_u64(),
            status["remembered_browsers"].as_u64()
        ),
        (Some(0), Some(1))
    );
    // The step-up page asks the remembered session for a code; a backup
    // code passes it, and the page is then served.
    let page = b.get(&step_up).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let r = b
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", csrf.as_str()),
                ("backup_code", enrolled.backup_codes[1].as_str()),
                ("return_to", "/_mfa/passkeys"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(b.get("/_mfa/passkeys").await.status, 200);
}

#[tokio::test]
async fn a_forgotten_browser_asks_again_and_forget_all_forgets_every_one() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut b, enrolled) = remembered(&gw, JIRO).await;
    // A second remembered browser.
    let mut second = gw.browser();
    second.login(JIRO).await;
    pass(&mut second, &enrolled.backup_codes[1], true).await;
    assert!(second.cookies.contains_key("mfa_remember"));
    assert_eq!(gw.account_status(JIRO).await["remembered_browsers"], 2);
    new_session(&mut second, JIRO).await;
    assert!(skips_the_code(&mut second).await);

    // Forget the first one from the second browser's settings page, after
    // a step-up: the second browser's own word is no proof for managing
    // remembered browsers.
    step_up(&mut second, &enrolled.backup_codes[2]).await;
    let page = second.get("/_mfa/settings").await;
    let csrf = page.input_value("csrf").unwrap();
    let ids: Vec<String> = page
        .body
        .split(r#"name="browser" value=""#)
        .skip(1)
        .map(|s| s[..64].to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{}", page.body);
    // The first browser's own settings page marks it as this browser.
    let own = b.get("/_mfa/settings").await.body;
    let marked = own.find("(this browser)").expect("this browser is marked");
    let first = own[marked..]
        .split(r#"name="browser" value=""#)
        .nth(1)
        .map(|s| s[..64].to_owned())
        .unwrap();
    assert!(ids.contains(&first), "{ids:?}");
    let r = second
        .post_form(
            "/_mfa/settings",
            &[
                ("csrf", &csrf),
                ("action", "forget_browser"),
                ("browser", &first),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/_mfa/settings?done=forgotten"));
    assert!(second.cookies.contains_key("mfa_remember"), "not this one");
    assert!(!skips_the_code(&mut b).await, "forgotten: next request");
    assert!(skips_the_code(&mut second).await, "the other still counts");
    let page = second.get("/_mfa/settings?done=forgotten").await;
    assert!(page.body.contains("Forgotten."), "{}", page.body);
    assert_eq!(page.body.matches(r#"name="browser" value=""#).count(), 1);

    let r = second
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "forget_browsers")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        !second.cookies.contains_key("mfa_remember"),
        "cookie cleared"
    );
    assert_eq!(gw.account_status(JIRO).await["remembered_browsers"], 0);
    let mut copy = gw.browser();
    copy.login(JIRO).await;
    assert!(!skips_the_code(&mut copy).await);
}

#[tokio::test]
async fn a_cookie_replayed_for_another_person_or_changed_is_refused() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (b, _) = remembered(&gw, JIRO).await;
    let cookie = b.cookies["mfa_remember"].clone();
    // hanako (acme, same company) enrolls; jiro's cookie is nothing to her.
    let mut hanako = gw.browser();
    hanako.login("hanako@acme.example").await;
    enroll(&mut hanako).await;
    let mut replay = with_cookie(&gw, &cookie, "hanako@acme.example").await;
    assert!(!skips_the_code(&mut replay).await, "another person");
    // One changed byte: refused, for jiro too.
    let mut bytes = cookie.clone().into_bytes();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(bytes).unwrap();
    let mut forged = with_cookie(&gw, &changed, JIRO).await;
    assert!(!skips_the_code(&mut forged).await, "a changed byte");
    // The genuine cookie still works for jiro.
    let mut genuine = with_cookie(&gw, &cookie, JIRO).await;
    assert!(skips_the_code(&mut genuine).await);
}

/// A remembered browser records the factor that earned it (issue 30 §2):
/// where the company comes to require passkeys, a browser remembered
/// through a code (a phished one, say) asks again from the next request
/// on, and only a passkey's trust skips the challenge.
#[tokio::test]
async fn where_passkeys_are_required_only_a_passkeys_trust_skips_the_code() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let mut b = gw.browser();
    b.login(JIRO).await;
    let enrolled = enroll(&mut b).await;
    let mut key = Passkey::new(&gw);
    let r = register(&mut b, &mut key, "YubiKey", "%2F").await;
    assert_eq!(r.status, 303, "{}", r.body);
    new_session(&mut b, JIRO).await;
    pass(&mut b, &enrolled.backup_codes[0], true).await;
    new_session(&mut b, JIRO).await;
    assert!(
        skips_the_code(&mut b).await,
        "a code's trust, while codes count"
    );

    let mut admin = gw.browser();
    admin.login(ADMIN).await;
    set_company_policy(&mut admin, "required_passkey").await;
    new_session(&mut b, JIRO).await;
    assert!(
        !skips_the_code(&mut b).await,
        "a code's trust no longer counts"
    );

    let page = b.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut fields = challenge_answer(&page, &mut key).expect("the authenticator answers");
    fields.push(("remember".into(), "yes".into()));
    let r = post(&mut b, "/_mfa/challenge", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    new_session(&mut b, JIRO).await;
    assert!(skips_the_code(&mut b).await, "a passkey's trust counts");
}

/// A company setting decides everyone's trust: an administrator let in by
/// a remembered browser (a password and a stolen cookie) cannot lengthen
/// that trust, or let code-earned trust back in, without a step-up.
#[tokio::test]
async fn a_remembered_administrator_changes_no_company_setting_without_a_step_up() {
    let gw = Gateway::demo().await;
    allow(&gw, "30").await;
    let (mut admin, _) = remembered(&gw, ADMIN).await;
    let page = admin.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "viewing needs no step-up: {}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    for field in [("remember_days", "7"), ("enforcement", "required")] {
        let r = admin
            .post_form("/_mfa/admin/security", &[("csrf", &csrf), field])
            .await;
        assert_eq!(r.status, 303, "{field:?}: {}", r.body);
        assert_eq!(
            r.location(),
            Some("/_mfa/challenge?step_up=1&return_to=%2F_mfa%2Fadmin%2Fsecurity")
        );
    }
    let page = admin.get("/_mfa/admin/security").await;
    assert!(
        page.body
            .contains(r#"name="remember_days" value="30" checked"#),
        "{}",
        page.body
    );
}
