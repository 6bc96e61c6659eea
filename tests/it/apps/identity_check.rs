//! `mfa-gate identity-check -c CONFIG --cookie NAME=VALUE`: against a fake
//! app whose whoami answers like Redmine's `/users/current.json`, a good
//! mapping prints the identity (exit 0); each broken mapping or answer
//! prints the precise reason (exit 1): the pointer with nothing there, the
//! wrong type, a value not in the map, "not logged in", a status that
//! fails closed, a missing or refused session cookie; a mapping the
//! configuration check refuses exits 2 naming the field.

use crate::harness::{ConfigBuilder, FakeApp, Whoami, free_ports, run_cli};
use serde_json::json;

const MAPPING: &str = "\
session_cookie: app_sid
whoami_path: /api/me
fields:
  account: /user/login
  company: { value: main }
  class: { from: /user/admin, map: { true: admin, false: employee } }
  roles: { from: /user/admin, map: { true: admin } }
  email: /user/mail
";

async fn check(config: &std::path::Path, cookies: &[&str]) -> (i32, String) {
    let mut args = vec!["identity-check", "-c", config.to_str().unwrap()];
    for c in cookies {
        args.extend(["--cookie", c]);
    }
    let run = run_cli(&args, &[]).await;
    (run.code, format!("{}{}", run.stdout, run.stderr))
}

#[tokio::test]
async fn identity_check_prints_the_identity_or_the_precise_reason() {
    let app = FakeApp::builder().session_cookie("app_sid").start().await;
    let redmine = |login: serde_json::Value, admin: serde_json::Value| {
        Whoami::json(&json!({"user": {"id": 1, "login": login, "admin": admin, "mail": "a@x"}}))
    };
    app.set_session("admin", redmine(json!("ann"), json!(true)));
    app.set_session("user", redmine(json!("bob"), json!(false)));
    app.set_session("numeric", redmine(json!(7), json!(false)));
    app.set_session("odd", redmine(json!("eve"), json!("maybe")));
    app.set_session("broken", Whoami::status(500));
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigBuilder::new(free_ports(), &app.address)
        .identity(MAPPING)
        .write(dir.path());

    let (code, out) = check(&config, &["lang=en", "app_sid=admin"]).await;
    assert_eq!(code, 0, "{out}");
    for line in [
        "account: ann",
        "company: main",
        "class:   admin",
        "roles:   [admin]",
        "email:   a@x",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
    let (code, out) = check(&config, &["app_sid=user"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("class:   employee") && out.contains("roles:   []"),
        "{out}"
    );

    let cases: &[(&[&str], &str)] = &[
        (
            &["app_sid=numeric"],
            "`account`: the number at /user/login is not a string",
        ),
        (
            &["app_sid=odd"],
            "`class`: \"maybe\" at /user/admin is not in the map (false, true) and there is no default",
        ),
        (&["app_sid=nobody"], "anonymous: HTTP 401"),
        (&["app_sid=broken"], "the gateway fails closed (503)"),
        (
            &["other=1"],
            "no session cookie: the gateway looks for \"app_sid\"",
        ),
        (
            &["app_sid=user", "APP_SID=admin"],
            "refuses these cookies with 400 (disguised_session_cookie)",
        ),
    ];
    for (cookies, reason) in cases {
        let (code, out) = check(&config, cookies).await;
        assert_eq!(code, 1, "{cookies:?}: {out}");
        assert!(out.contains(reason), "{cookies:?}: {reason:?} in {out}");
    }

    // A pointer to where the answer has nothing: named, with the answer.
    let typo = ConfigBuilder::new(free_ports(), &app.address)
        .identity(&MAPPING.replace("/user/login", "/user/name"))
        .write(&dir.path().join("typo"));
    let (code, out) = check(&typo, &["app_sid=admin"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("`account`: nothing at /user/name"), "{out}");
    assert!(out.contains("the answer: {\"user\":"), "{out}");

    // A mapping the configuration check refuses.
    let root = ConfigBuilder::new(free_ports(), &app.address)
        .identity(&MAPPING.replace("true: admin, false", "true: root, false"))
        .write(&dir.path().join("root"));
    let (code, out) = check(&root, &["app_sid=admin"]).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("identity.fields.class.map.true"), "{out}");
}
