//! Passkeys and security keys against the demo gateway, answered by a
//! software authenticator (webauthn-authenticator-rs's soft token): a first
//! second step, the challenge, replays, a phishing origin, a cloned key,
//! the lock, linked accounts, support reset, the settings list, and the
//! company policy that accepts passkeys only.

use crate::harness::passkeys::{
    Passkey, challenge_answer, pass_with, post, register, registration,
};
use crate::harness::{Browser, Gateway, JIRO, backup_codes_of, codes, enroll, set_company_policy};

/// `account` logs in and registers `key` as its first second step: the
/// backup codes are shown once and the session is verified.
async fn first_passkey(gw: &Gateway, account: &str, key: &mut Passkey) -> Browser {
    let mut b = gw.browser();
    b.login(account).await;
    let done = register(&mut b, key, "YubiKey", "/").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(backup_codes_of(&done).len(), 10, "{}", done.body);
    assert!(
        b.cookies.contains_key("mfa_gate"),
        "the session is verified"
    );
    assert!(b.get("/").await.came_from_app());
    b
}

/// A new app session of `account`, at the challenge.
async fn at_challenge(gw: &Gateway, account: &str) -> Browser {
    let mut b = gw.browser();
    b.login(account).await;
    let r = b.get("/").await;
    assert_eq!(r.location(), Some("/_mfa/challenge"), "{}", r.body);
    b
}

#[tokio::test]
async fn a_passkey_is_a_second_step_offered_first_and_accepted_once() {
    let gw = Gateway::demo().await;
    let mut key = Passkey::new(&gw);
    first_passkey(&gw, JIRO, &mut key).await;
    let status = gw.account_status(JIRO).await;
    assert_eq!(status["enrolled"], true, "{status}");
    assert_eq!(status["passkeys"], 1, "{status}");

    let mut b = at_challenge(&gw, JIRO).await;
    let page = b.get("/_mfa/challenge").await;
    assert!(page.body.contains(r#"id="use-passkey""#), "{}", page.body);
    assert!(page.body.contains(r#"src="/_mfa/assets/webauthn.js""#));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let fields = challenge_answer(&page, &mut key).unwrap();
    let r = post(&mut b, "/_mfa/challenge", &fields).await;
    assert_eq!((r.status, r.location()), (303, Some("/")), "{}", r.body);
    assert!(b.get("/").await.came_from_app());

    // The same answer again (a replay, even in the same session) is a
    // failure: its ceremony was used.
    let again = post(&mut b, "/_mfa/challenge", &fields).await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again.body.contains("passkey was not accepted"),
        "{}",
        again.body
    );
    assert_eq!(gw.account_status(JIRO).await["failures"], 1);
    // In another app session the sealed ceremony does not even open (the
    // replayer has that session's CSRF token).
    let mut other = at_challenge(&gw, JIRO).await;
    let own = other
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let mut replayed = fields.clone();
    replayed[0].1 = own;
    let stale = post(&mut other, "/_mfa/challenge", &replayed).await;
    assert_eq!(stale.status, 422, "{}", stale.body);
    assert!(stale.body.contains("waited too long"), "{}", stale.body);
    assert_eq!(gw.account_status(JIRO).await["failures"], 1, "not counted");
    pass_with(&mut other, &mut key).await;
    assert_eq!(gw.account_status(JIRO).await["failures"], 0);

    // Pages without passkeys keep their script-free policy.
    let settings = b.get("/login").await;
    assert!(settings.came_from_app());
    let health = b.get("/_mfa/healthz").await;
    let csp = health.header("content-security-policy").unwrap();
    assert!(!csp.contains("script-src"), "{csp}");
}

/// A phishing site relays our options; the browser signs for the site it
/// is on. Every such answer is a failure, and ten lock the person — who
/// then cannot use even the real passkey.
#[tokio::test]
async fn answers_for_another_origin_fail_and_lock_and_a_locked_person_cannot_use_a_passkey() {
    let gw = Gateway::demo().await;
    let mut key = Passkey::new(&gw);
    first_passkey(&gw, JIRO, &mut key).await;
    let mut b = at_challenge(&gw, JIRO).await;
    // A page (and ceremony) from before the lock, kept for the end.
    let kept = b.get("/_mfa/challenge").await;
    let real = challenge_answer(&kept, &mut key).unwrap();
    let mut phished = Passkey {
        origin: url::Url::parse(&format!("https://login.localhost:{}", gw.port)).unwrap(),
        ..key.clone_token()
    };
    for i in 1..=10 {
        let page = b.get("/_mfa/challenge").await;
        assert_eq!(page.status, 200, "attempt {i}: {}", page.body);
        let fields = challenge_answer(&page, &mut phished).unwrap();
        let r = post(&mut b, "/_mfa/challenge", &fields).await;
        let expected = if i < 10 { 422 } else { 423 };
        assert_eq!(r.status, expected, "attempt {i}: {}", r.body);
    }
    let status = gw.account_status(JIRO).await;
    assert_eq!(status["locked"], true, "{status}");
    let r = post(&mut b, "/_mfa/challenge", &real).await;
    assert_eq!(r.status, 423, "{}", r.body);
    assert_eq!(b.get("/").await.status, 423);
    let unlock = gw.support(&["unlock", JIRO]).await;
    assert_eq!(unlock.code, 0, "{unlock:?}");
    pass_with(&mut b, &mut key).await;
}

/// A copy of the key made after registration (its counter behind): its
/// assertions are refused as the specification advises, and counted.
#[tokio::test]
async fn a_cloned_key_whose_counter_went_back_is_refused() {
    let gw = Gateway::demo().await;
    let mut key = Passkey::new(&gw);
    first_passkey(&gw, JIRO, &mut key).await;
    let mut clone = key.clone_token();
    for _ in 0..2 {
        let mut b = at_challenge(&gw, JIRO).await;
        pass_with(&mut b, &mut key).await;
    }
    let mut b = at_challenge(&gw, JIRO).await;
    let page = b.get("/_mfa/challenge").await;
    let fields = challenge_answer(&page, &mut clone).unwrap();
    let r = post(&mut b, "/_mfa/challenge", &fields).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(gw.account_status(JIRO).await["failures"], 1);
    assert_eq!(b.get("/").await.location(), Some("/_mfa/challenge"));
}

/// A password alone never adds a key to an enrolled person: the passkey
/// page of a session that owes the challenge is the challenge.
#[tokio::test]
async fn an_unverified_session_cannot_add_a_passkey() {
    let gw = Gateway::demo().await;
    let mut key = Passkey::new(&gw);
    first_passkey(&gw, JIRO, &mut key).await;
    let mut attacker = at_challenge(&gw, JIRO).await;
    let r = attacker.get("/_mfa/passkeys").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.location().unwrap().starts_with("/_mfa/challenge"),
        "{r:?}"
    );
    let r = attacker
        .post_form(
            "/_mfa/passkeys",
            &[("name", "mine"), ("passkey_answer", "{}")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(gw.account_status(JIRO).await["passkeys"], 1);
}

/// Linked accounts share the person's keys; the settings page lists,
/// renames, adds and removes them, each removal after a second step; a
/// support reset takes them all.
#[tokio::test]
async fn keys_are_shared_by_linked_accounts_managed_in_settings_and_reset_by_support() {
    let gw = Gateway::demo().await;
    let mut key = Passkey::new(&gw);
    // The candidate account of sato (optional for candidates) sets it up;
    // the employee account of the same person uses it.
    first_passkey(&gw, "sato.exam@globex.example", &mut key).await;
    let mut b = at_challenge(&gw, "sato@globex.example").await;
    pass_with(&mut b, &mut key).await;
    assert!(b.get("/").await.came_from_app());

    let page = b.get("/_mfa/settings").await;
    assert!(page.body.contains("YubiKey"), "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let id = page
        .body
        .split(r#"name="passkey" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = b
        .post_form(
            "/_mfa/settings",
            &[
                ("csrf", &csrf),
                ("action", "rename_passkey"),
                ("passkey", &id),
                ("name", "Desk key"),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        Some("/_mfa/settings?done=passkey_renamed"),
        "{}",
        r.body
    );
    let bad = b
        .post_form(
            "/_mfa/settings",
            &[
                ("csrf", &csrf),
                ("action", "rename_passkey"),
                ("passkey", &id),
                ("name", " "),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{:?} {}", bad.location(), bad.body);

    // A second key, from the settings page (a verified session).
    let mut second = Passkey::new(&gw);
    let form = registration(&mut b, &mut second, "Phone", "/_mfa/settings").await;
    let done = post(&mut b, "/_mfa/passkeys", &form).await;
    assert_eq!(
        done.location(),
        Some("/_mfa/settings?done=passkey_added"),
        "{}",
        done.body
    );
    let page = b.get("/_mfa/settings?done=passkey_added").await;
    assert!(
        page.body.contains("Desk key") && page.body.contains("Phone"),
        "{}",
        page.body
    );
    assert!(page.body.contains("The key was added."), "{}", page.body);
    // The same registration posted again is refused: the credential is
    // registered already.
    let twice = post(&mut b, "/_mfa/passkeys", &form).await;
    assert_eq!(twice.status, 422, "{}", twice.body);
    assert!(twice.body.contains("registered already"), "{}", twice.body);

    // Removing the first key needs a second step: a wrong one fails.
    let page = b.get("/_mfa/settings").await;
    let mut fields = challenge_answer(&page, &mut Passkey::new(&gw).clone_token());
    assert!(
        fields.is_none(),
        "an unregistered authenticator has nothing to sign with"
    );
    fields = challenge_answer(&page, &mut second);
    let mut fields = fields.unwrap();
    fields.push(("action".into(), "remove_passkey".into()));
    fields.push(("passkey".into(), id.clone()));
    let r = post(&mut b, "/_mfa/settings", &fields).await;
    assert_eq!(
        r.location(),
        Some("/_mfa/settings?done=passkey_removed"),
        "{}",
        r.body
    );
    // The cookie was bound to the first key (the oldest): the session got
    // one for the remaining key and is still in.
    assert!(b.get("/").await.came_from_app());
    let status = gw.account_status("sato@globex.example").await;
    assert_eq!(status["passkeys"], 1, "{status}");

    // Every registration and removal is audited, and the person is told.
    let audit = gw.support(&["audit", "sato@globex.example"]).await;
    let kinds: Vec<&str> = audit
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    for (kind, n) in [
        ("passkey_added", 2),
        ("passkey_renamed", 1),
        ("passkey_removed", 1),
        ("enrolled", 1),
    ] {
        let seen = kinds.iter().filter(|k| **k == kind).count();
        assert_eq!(seen, n, "{kind}: {}", audit.stdout);
    }
    for subject in [
        "Subject: A passkey was added",
        "Subject: A passkey was removed",
    ] {
        wait_for_email(&gw, subject).await;
    }

    let reset = gw.support(&["reset", "sato@globex.example"]).await;
    assert_eq!(reset.code, 0, "{reset:?}");
    assert!(reset.stdout.contains("passkeys removed"), "{reset:?}");
    let status = gw.account_status("sato@globex.example").await;
    assert_eq!(
        (status["passkeys"].clone(), status["enrolled"].clone()),
        (0.into(), false.into())
    );
    // globex requires 2FA of its employees: back to enrollment.
    assert_eq!(b.get("/").await.location(), Some("/_mfa/enroll"));
}

/// "Passkey only": a person with an app code proves it, then must add a
/// passkey; from then on codes are refused (and not counted) and the
/// passkey is the way in.
#[tokio::test]
async fn a_passkey_only_policy_sends_code_users_to_add_one_and_then_refuses_codes() {
    let gw = Gateway::demo().await;
    let mut jiro = gw.browser();
    jiro.login(JIRO).await;
    let enrolled = enroll(&mut jiro).await;
    // The end of enrollment with the app offers a passkey too.
    assert!(
        enrolled
            .codes_page
            .contains(r#"<a id="offer-passkey" href="/_mfa/passkeys">"#),
        "{}",
        enrolled.codes_page
    );
    let mut admin = gw.browser();
    admin.login("hanako.admin@acme.example").await;
    set_company_policy(&mut admin, "required_passkey").await;

    // The verified session is sent, through enrollment, to add a passkey.
    let r = jiro.get("/dashboard").await;
    assert_eq!(
        r.location(),
        Some("/_mfa/enroll?return_to=%2Fdashboard"),
        "{}",
        r.body
    );
    let r = jiro.get(r.location().unwrap()).await;
    assert_eq!(
        r.location(),
        Some("/_mfa/passkeys?return_to=%2Fdashboard"),
        "{}",
        r.body
    );
    let page = jiro.get(r.location().unwrap()).await;
    assert!(
        page.body.contains(r#"id="passkey-required""#),
        "{}",
        page.body
    );
    let mut key = Passkey::new(&gw);
    let done = register(&mut jiro, &mut key, "Laptop", "%2Fdashboard").await;
    assert_eq!(done.location(), Some("/dashboard"), "{}", done.body);
    assert!(jiro.get("/dashboard").await.came_from_app());

    // A new session: the challenge offers the passkey only.
    let mut b = at_challenge(&gw, JIRO).await;
    let page = b.get("/_mfa/challenge").await;
    assert!(!page.body.contains(r#"name="code""#), "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let code = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    let r = b
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("accepts only a passkey"), "{}", r.body);
    assert_eq!(gw.account_status(JIRO).await["failures"], 0, "not counted");
    pass_with(&mut b, &mut key).await;
    assert!(b.get("/dashboard").await.came_from_app());

    // Elsewhere the enrollment page offers a passkey instead of the app.
    let mut cand = gw.browser();
    cand.login("cand@acme.example").await;
    let page = cand.get("/_mfa/enroll").await;
    assert_eq!(
        page.href_of("passkey-instead").as_deref(),
        Some("/_mfa/passkeys")
    );

    // An employee without any second step goes straight to the passkey page.
    let mut new = gw.browser();
    new.login("hanako@acme.example").await;
    let r = new.get("/").await;
    assert_eq!(r.location(), Some("/_mfa/enroll"));
    let r = new.get("/_mfa/enroll").await;
    assert_eq!(r.location(), Some("/_mfa/passkeys"), "{}", r.body);
}

/// Waits (up to 20 s: the sender works in the background) for an email of
/// the demo (one `.eml` file each) containing `needle`.
async fn wait_for_email(gw: &Gateway, needle: &str) {
    let dir = gw.data.join("emails");
    for _ in 0..200 {
        let found = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(needle)));
        if found {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no email with {needle:?} in {}", dir.display());
}

/// The most keys a person may have (10) still fit our forms' 16 KiB: the
/// sealed ceremony names every key. An eleventh is refused.
#[tokio::test]
async fn ten_keys_fit_the_form_and_an_eleventh_is_refused() {
    let gw = Gateway::demo().await;
    let mut keys: Vec<Passkey> = (0..11).map(|_| Passkey::new(&gw)).collect();
    let mut b = first_passkey(&gw, JIRO, &mut keys[0]).await;
    for (i, key) in keys.iter_mut().enumerate().take(10).skip(1) {
        let r = register(&mut b, key, &format!("key {i}"), "/_mfa/settings").await;
        assert_eq!(r.status, 303, "key {i}: {}", r.body);
    }
    let eleventh = register(&mut b, &mut keys[10], "one too many", "/_mfa/settings").await;
    assert_eq!(eleventh.status, 422, "{}", eleventh.body);
    assert!(
        eleventh.body.contains("10 keys already"),
        "{}",
        eleventh.body
    );

    let mut b = at_challenge(&gw, JIRO).await;
    let page = b.get("/_mfa/challenge").await;
    let fields = challenge_answer(&page, &mut keys[9]).unwrap();
    let size = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter())
        .finish()
        .len();
    assert!(size < 12 * 1024, "{size} bytes: keep room below 16 KiB");
    let r = post(&mut b, "/_mfa/challenge", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Garbage where a passkey answer or ceremony goes: a clear page, never a
/// crash. A garbled ceremony is "try again" (not counted); a garbled
/// answer to a real ceremony is a failed proof (counted, like a wrong code).
#[tokio::test]
async fn garbled_answers_and_ceremonies_are_refused_cleanly() {
    let gw = Gateway::demo().await;
    let mut key = Passkey::new(&gw);
    first_passkey(&gw, JIRO, &mut key).await;
    let mut b = at_challenge(&gw, JIRO).await;
    let page = b.get("/_mfa/challenge").await;
    let csrf = page.input_value("csrf").unwrap();
    let ceremony = page.input_value("ceremony").unwrap();
    let nested = format!("{}{}", "[".repeat(1500), "]".repeat(1500));
    for bad_ceremony in [
        "",
        "AAAA",
        "!!!",
        &"A".repeat(4000),
        &ceremony[..ceremony.len() - 2],
    ] {
        let fields = [
            ("csrf", csrf.as_str()),
            ("ceremony", bad_ceremony),
            ("passkey_answer", "{}"),
        ];
        let r = b.post_form("/_mfa/challenge", &fields).await;
        assert_eq!(r.status, 422, "{bad_ceremony:?}: {}", r.body);
        assert!(r.body.contains("waited too long"), "{}", r.body);
    }
    assert_eq!(gw.account_status(JIRO).await["failures"], 0);
    for (i, answer) in [
        "not json",
        "{}",
        "null",
        nested.as_str(),
        r#"{"id":"x","rawId":"!!","response":{},"type":"public-key"}"#,
    ]
    .into_iter()
    .enumerate()
    {
        let fields = [
            ("csrf", csrf.as_str()),
            ("ceremony", ceremony.as_str()),
            ("passkey_answer", answer),
        ];
        let r = b.post_form("/_mfa/challenge", &fields).await;
        assert_eq!(r.status, 422, "answer {i}: {}", r.body);
        assert_eq!(gw.account_status(JIRO).await["failures"], i + 1);
    }
    // Names and ids on the settings page, from a verified session.
    pass_with(&mut b, &mut key).await;
    let csrf = b.get("/_mfa/settings").await.input_value("csrf").unwrap();
    for (id, name) in [
        ("12x", "a"),
        ("-1", "a"),
        ("99999999999999999999", "a"),
        ("1", "a"),
    ] {
        let fields = [
            ("csrf", csrf.as_str()),
            ("action", "rename_passkey"),
            ("passkey", id),
            ("name", name),
        ];
        let r = b.post_form("/_mfa/settings", &fields).await;
        assert_eq!(r.status, 400, "{id}: {}", r.body);
    }
    assert_eq!(b.get("/_mfa/healthz").await.status, 200);
}
