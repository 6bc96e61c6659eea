//! A single-tenant start (issue 34 §2) through the real binary:
//! `mfa-gate keys generate --dir` writes a key directory, `config/minimal.yaml`
//! (only its addresses and paths moved) starts a gateway, and an account
//! the app names by `account` alone is an employee of the one implicit
//! tenant, whose policy is required: it is sent to enrollment. Who edits
//! that policy is `policy_admin_roles`; the page then names no company, and
//! the English "Not allowed" page shows no Japanese.

use crate::harness::{
    Browser, ConfigBuilder, FakeApp, Gateway, Whoami, enroll, free_ports, run_cli,
    set_company_policy,
};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// `mfa-gate keys generate --dir DIR/keys`, checked: two owner-only key
/// files, and a second run refused without touching them.
async fn generate_keys(dir: &Path) {
    let keys = dir.join("keys");
    let keys_arg = keys.display().to_string();
    let run = run_cli(&["keys", "generate", "--dir", &keys_arg], &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("secrets: { dir: "), "{}", run.stdout);
    let mut written = Vec::new();
    for name in ["hmac.key", "encryption.key"] {
        let path = keys.join(name);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{name} is the owner's only");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64, "{name}: 64 hex digits");
        assert!(run.stdout.contains(&format!("{}", path.display())));
        written.push(text);
    }
    assert_ne!(written[0], written[1], "two different keys");
    let again = run_cli(&["keys", "generate", "--dir", &keys_arg], &[]).await;
    assert_ne!(again.code, 0, "{again:?}");
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(keys.join("hmac.key")).unwrap(),
        written[0]
    );
}

/// `config/minimal.yaml` in `dir`, listening on `port` in front of `app`,
/// its store and keys in `dir` (relative paths), `extra` appended.
fn minimal_config(dir: &Path, port: u16, app: &str, extra: &str) -> PathBuf {
    let minimal = concat!(env!("CARGO_MANIFEST_DIR"), "/config/minimal.yaml");
    let yaml = std::fs::read_to_string(minimal)
        .unwrap()
        .replace("0.0.0.0:8080", &format!("127.0.0.1:{port}"))
        .replace("127.0.0.1:3000", app)
        .replace("/var/lib/mfa-gate/store", "store")
        .replace("/etc/mfa-gate/keys", "keys");
    let path = dir.join("mfa-gate.yaml");
    std::fs::write(&path, format!("{yaml}{extra}")).unwrap();
    path
}

fn session(gw: &Gateway, id: &str) -> Browser {
    let mut b = gw.browser();
    b.cookies.insert("session".into(), id.into());
    b
}

#[tokio::test]
async fn the_minimal_file_sends_an_account_the_app_only_names_to_enrollment() {
    let app = FakeApp::builder()
        .session_cookie("session")
        .whoami_default(Whoami::json(&json!({"account": "alice"})))
        .start()
        .await;
    app.set_session(
        "bob",
        Whoami::json(&json!({"account": "bob", "company": "acme"})),
    );
    let tmp = tempfile::tempdir().unwrap();
    generate_keys(tmp.path()).await;
    let port = free_ports();
    let config = minimal_config(tmp.path(), port, &app.address, "");
    let config_arg = config.display().to_string();
    let check = run_cli(&["check-config", "-c", &config_arg], &[]).await;
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check.stdout.contains("tenants: no company mapping")
            && check.stdout.contains("\"default\""),
        "{}",
        check.stdout
    );
    let gw = Gateway::serve(&config, port, tmp.path()).await;

    let mut alice = session(&gw, "alice");
    let r = alice.get("/private").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), Some("/_mfa/enroll?return_to=%2Fprivate"));
    assert!(!r.came_from_app());
    let api = alice.api_get("/api/data").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.json()["error"], "enrollment_required");
    let page = alice.get("/_mfa/enroll").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg"), "the enrollment page");

    // An answer that names a company puts the account there, as the flat
    // answer always has; an unset policy of a named company is optional.
    let mut bob = session(&gw, "bob");
    let r = bob.get("/private").await;
    assert_eq!((r.status, r.body.as_str()), (200, "app"));
}

#[tokio::test]
async fn policy_admin_roles_say_who_edits_the_one_tenants_policy() {
    let staff = |account: &str, roles: &[&str]| {
        Whoami::json(&json!({"account": account, "class": "admin", "roles": roles}))
    };
    let app = FakeApp::builder()
        .session_cookie("session")
        .whoami_default(Whoami::json(&json!({"account": "alice"})))
        .start()
        .await;
    app.set_session("olga", staff("olga", &["owner"]));
    app.set_session("adam", staff("adam", &["admin"]));
    let tmp = tempfile::tempdir().unwrap();
    generate_keys(tmp.path()).await;
    let port = free_ports();
    let extra =
        "policy_admin_roles: [owner]\ntotp: { issuer: mfa-gate demo }\ncookie: { secure: false }\n";
    let config = minimal_config(tmp.path(), port, &app.address, extra);
    let gw = Gateway::serve(&config, port, tmp.path()).await;

    // The owner enrolls first (required), then opens the page: the one
    // tenant is not named, and its policy is required.
    let mut olga = session(&gw, "olga");
    let r = olga.get("/_mfa/admin/security").await;
    assert_eq!(r.status, 303, "{}", r.body);
    enroll(&mut olga).await;
    let page = olga.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(r#"value="required" checked"#),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Company:"),
        "no company named: {}",
        page.body
    );
    set_company_policy(&mut olga, "optional").await;

    // The change reaches alice at once; `admin` is not a listed role here.
    let mut alice = session(&gw, "alice");
    let r = alice.get("/private").await;
    assert_eq!((r.status, r.body.as_str()), (200, "app"));
    let mut adam = session(&gw, "adam");
    let r = adam.get("/_mfa/admin/security").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Not allowed"), "{}", r.body);
    let japanese = |c: char| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}');
    // (but for the language switch, which names Japanese in Japanese)
    let shown = r.body.replace("日本語", "");
    assert!(!shown.chars().any(japanese), "English only: {}", r.body);
}

/// The same start behind an SSO front: its headers name the account only
/// (no company, no class), and the account is sent to enrollment.
#[tokio::test]
async fn an_sso_front_that_names_only_the_account_sends_it_to_enrollment() {
    let app = FakeApp::builder().start().await;
    let gw = ConfigBuilder::new(free_ports(), &app.address)
        .trusted_proxies("127.0.0.1/32")
        .identity("source: headers\nheaders: { account: X-User, session: X-Sso-Session }")
        .serve()
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(gw.url("/private"))
        .header("accept", "text/html")
        .header("x-user", "alice")
        .header("x-sso-session", "s1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers().get("location").unwrap().to_str().unwrap();
    assert_eq!(location, "/_mfa/enroll?return_to=%2Fprivate");
    assert!(
        r.headers().get("x-demo-app").is_none(),
        "not the app's answer"
    );
}
