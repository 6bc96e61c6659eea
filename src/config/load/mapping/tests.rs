//! Loading the whoami mapping and request settings: the real apps' shapes
//! load, the flat form still means what it meant, and each mistake is
//! named by its field.

use super::super::load_str_with_env;
use crate::config::{
    AnonymousWhen, Config, ConfigError, FieldRule, IdentitySource, SessionCookies, ValueMap,
    WhoamiConfig, WhoamiMethod,
};
use std::path::Path;

const HEAD: &str = "\
listen: 127.0.0.1:8080
upstream:
  address: app.internal:3000
store:
  path: data/store
secrets:
  hmac_key: { env: TEST_HMAC }
  encryption_key: { env: TEST_ENC }
identity:
";

fn load(identity: &str) -> Result<Config, ConfigError> {
    let env = |name: &str| match name {
        "TEST_HMAC" => Some("11".repeat(32)),
        "TEST_ENC" => Some("IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=".into()),
        _ => None,
    };
    load_str_with_env(
        &format!("{HEAD}{identity}"),
        Path::new("/etc/gate.yaml"),
        &env,
    )
}

fn whoami(identity: &str) -> WhoamiConfig {
    match load(identity) {
        Ok(Config {
            identity: IdentitySource::Whoami(w),
            ..
        }) => w,
        Ok(_) => panic!("not whoami"),
        Err(e) => panic!("{e}"),
    }
}

#[track_caller]
fn refused(identity: &str, field: &str, needle: &str) {
    match load(identity) {
        Ok(_) => panic!("loaded:\n{identity}"),
        Err(e) => {
            let shown = e.to_string();
            assert_eq!(e.field(), Some(field), "{shown}");
            assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
        }
    }
}

#[test]
fn a_mapped_whoami_loads() {
    let w = whoami(
        "  session_cookies: [_redmine_session, autologin]
  whoami_method: POST
  whoami_path: /users/current.json?include=memberships
  whoami_headers: { X-Requested-With: XMLHttpRequest }
  anonymous_statuses: [401, 403]
  anonymous_when: { present: /query/userinfo/anon }
  fields:
    account: /user/login
    company: { value: main }
    class: { from: /user/admin, map: { true: admin, false: employee }, default: employee }
    roles: { from: /user/admin, map: { true: admin } }
    email: mail
",
    );
    assert!(matches!(&w.session, SessionCookies::Names(n) if n.len() == 2));
    assert_eq!(w.whoami_method, WhoamiMethod::Post);
    assert_eq!(w.whoami_path, "/users/current.json?include=memberships");
    assert_eq!(w.whoami_headers[0].0.as_str(), "x-requested-with");
    assert_eq!(w.fields.account, FieldRule::At("/user/login".into()));
    assert_eq!(w.fields.company, FieldRule::Constant("main".into()));
    assert_eq!(
        w.fields.class,
        FieldRule::Map(ValueMap {
            from: "/user/admin".into(),
            map: vec![
                ("false".into(), "employee".into()),
                ("true".into(), "admin".into())
            ],
            default: Some("employee".into()),
        })
    );
    assert_eq!(w.fields.email, FieldRule::At("/mail".into()));
    assert_eq!(w.fields.person, FieldRule::At("/person".into()));
    assert_eq!(
        w.anonymous_when,
        Some(AnonymousWhen::Present("/query/userinfo/anon".into()))
    );
    let p = whoami("  session_cookie_prefix: username-\n  whoami_path: /api/me\n");
    assert!(matches!(&p.session, SessionCookies::Prefix(n) if n.name == "username-"));
    let flat = whoami("  session_cookie: sid\n  whoami_path: /me\n  fields: { account: sub }\n");
    assert_eq!(flat.session, SessionCookies::one("sid"));
    assert_eq!(flat.fields.account, FieldRule::At("/sub".into()));
    assert_eq!(flat.whoami_method, WhoamiMethod::Get);
}

#[test]
fn mapping_mistakes_are_named() {
    let base = "  session_cookie: sid\n  whoami_path: /me\n";
    refused(
        &format!("{base}  fields:\n    class: {{ from: /u/admin, map: {{ true: root }} }}\n"),
        "identity.fields.class.map.true",
        "not a class",
    );
    refused(
        &format!("{base}  fields:\n    class: {{ value: boss }}\n"),
        "identity.fields.class.value",
        "not a class",
    );
    refused(
        &format!("{base}  fields:\n    account: {{ from: /u/login }}\n"),
        "identity.fields.account",
        "{ from: POINTER, map:",
    );
    refused(
        &format!("{base}  fields:\n    account: {{ value: a, from: /x, map: {{ a: b }} }}\n"),
        "identity.fields.account",
        "{ value: X }",
    );
    refused(
        &format!("{base}  fields:\n    account: /a~2b\n"),
        "identity.fields.account",
        "not a JSON pointer",
    );
    refused(
        &format!("{base}  anonymous_when: {{ present: anon }}\n"),
        "identity.anonymous_when.present",
        "must be a JSON pointer",
    );
    refused(
        &format!("{base}  anonymous_when: {{ present: /a, absent: /b }}\n"),
        "identity.anonymous_when",
        "exactly one",
    );
    refused(
        &format!("{base}  whoami_headers: {{ Cookie: x=1 }}\n"),
        "identity.whoami_headers.Cookie",
        "set by mfa-gate",
    );
}

#[test]
fn session_cookie_mistakes_are_named() {
    let path = "  whoami_path: /me\n";
    refused(
        &format!("  session_cookie: a\n  session_cookie_prefix: b-\n{path}"),
        "identity",
        "give one of",
    );
    refused(path, "identity", "missing field `session_cookie`");
    refused(
        &format!("  session_cookies: [sid, SID]\n{path}"),
        "identity.session_cookies[1]",
        "read as the same cookie",
    );
    refused(
        &format!("  session_cookies: []\n{path}"),
        "identity.session_cookies",
        "1 to 8",
    );
    refused(
        &format!("  session_cookie_prefix: \"u-\"\n{path}"),
        "identity.session_cookie_prefix",
        "at least 3",
    );
    refused(
        "  source: headers\n  session_cookie_prefix: abc\n  headers: { account: X-User }\n",
        "identity.session_cookie_prefix",
        "is for `source: whoami`",
    );
}
