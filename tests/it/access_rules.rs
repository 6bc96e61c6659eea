//! Access rules (issue 34 §1, DESIGN §11) through a running gateway in
//! front of the demo app: each action with its exact answer, first match
//! wins, a rule raises the company's policy and never lowers it, networks
//! as seen through `trusted_proxies` (`X-Forwarded-For` from loopback),
//! a step-up that a remembered browser does not satisfy until a fresh
//! code, and the same rules through the forward-auth endpoint.

use crate::harness::{
    Browser, ConfigBuilder, Gateway, JIRO, Resp, TARO, codes, enroll, free_ports, run_cli,
};

/// The rules of these tests, in order.
const RULES: &str = "\
access_rules:
  - paths: [/public/**]
    action: bypass
  - paths: [/internal/**]
    networks: [10.0.0.0/8]
    action: company_policy
  - paths: [/internal/**]
    action: deny
  - paths: [/secure/**]
    action: two_factor
  - paths: [/admin/**]
    action: { step_up: 10m }
  - paths: [/keys/**]
    action: passkey
  - paths: [/reports/**]
    roles: [manager]
    action: deny
  - paths: [/open/**]
    action: company_policy
";

/// The demo app, and a gateway with [`RULES`] in front of it that trusts
/// loopback as its proxy (so a test's `X-Forwarded-For` names the client).
struct Rules {
    _demo: Gateway,
    gw: Gateway,
    _dir: tempfile::TempDir,
}

async fn start() -> Rules {
    let demo = Gateway::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    let webauthn = format!("webauthn:\n  rp_id: localhost\n  origins: [http://localhost:{port}]\n");
    let config = ConfigBuilder::new(port, &format!("127.0.0.1:{}", demo.port + 1))
        .totp_issuer("mfa-gate demo")
        .company("globex", "{ enforcement: required, remember_days: 30 }")
        .company("acme", "optional")
        .bypass(&["/login", "/logout", "/static/*"])
        .trusted_proxies("127.0.0.1/32")
        .extra(&format!("{webauthn}{RULES}"));
    let path = config.write(dir.path());
    let gw = Gateway::serve(&path, port, dir.path()).await;
    Rules {
        _demo: demo,
        gw,
        _dir: dir,
    }
}

/// A navigation of `b` to `path`, as if from `client` behind the proxy.
async fn get_from(gw: &Gateway, b: &Browser, path: &str, client: &str) -> Resp {
    let cookies: Vec<String> = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let client_req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client_req
        .get(gw.url(path))
        .header("accept", "text/html")
        .header("cookie", cookies.join("; "))
        .header("x-forwarded-for", client)
        .send()
        .await
        .unwrap();
    Resp::read(r).await
}

#[track_caller]
fn passed(r: &Resp, what: &str) {
    assert!(r.came_from_app(), "{what}: {} {}", r.status, r.body);
}

#[tokio::test]
async fn bypass_deny_and_networks() {
    let rules = start().await;
    let gw = &rules.gw;
    // Nobody logged in: a bypass and the app's own login pass; a deny
    // stops them too.
    let mut anonymous = gw.browser();
    passed(&anonymous.get("/public/a.js").await, "anonymous bypass");
    passed(
        &anonymous.get("/secure/x").await,
        "anonymous: the app's login",
    );
    let r = anonymous.get("/internal/x").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!r.came_from_app());

    // A required, unenrolled person: the bypass is forwarded unjudged,
    // unless its query could route elsewhere (as with `bypass:`).
    let mut b = gw.browser();
    b.login(TARO).await;
    passed(&b.get("/public/a.js").await, "bypass");
    let r = b.get("/public/a.js?q=admin").await;
    assert_eq!(
        (r.status, r.location()),
        (
            303,
            Some("/_mfa/enroll?return_to=%2Fpublic%2Fa.js%3Fq%3Dadmin")
        )
    );
    enroll(&mut b).await;

    // Deny: a page for a navigation, JSON for a script, both 403.
    let r = b.get("/internal/x").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Access denied"), "{}", r.body);
    assert!(!r.came_from_app());
    let r = b.api_get("/internal/x").await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (403, Some("forbidden"))
    );

    // The client's network, as the trusted proxy names it: the earlier
    // rule matches an internal client first.
    passed(
        &get_from(gw, &b, "/internal/x", "10.1.2.3").await,
        "internal client",
    );
    for outside in ["203.0.113.9", "10.1.2.3, 203.0.113.9", "not-an-address"] {
        let r = get_from(gw, &b, "/internal/x", outside).await;
        assert_eq!(r.status, 403, "{outside}");
    }
    // Other paths still pass; one that does not read one way only is
    // denied, since a rule meant for it could not be matched.
    passed(&b.get("/").await, "home");
    let r = b.get("/internal%2Fx").await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!r.came_from_app());
}

#[tokio::test]
async fn rules_raise_the_company_policy_and_never_lower_it() {
    let rules = start().await;
    let gw = &rules.gw;
    // acme is optional: jiro passes everywhere but on a two_factor path,
    // where he is sent to enroll; so is a candidate (a rule raises).
    let mut b = gw.browser();
    b.login(JIRO).await;
    passed(&b.get("/").await, "optional company");
    passed(
        &b.get("/open/x").await,
        "company_policy rule, optional company",
    );
    let r = b.get("/secure/x").await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/_mfa/enroll?return_to=%2Fsecure%2Fx"))
    );
    let r = b.api_get("/secure/x").await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("enrollment_required"))
    );
    let mut cand = gw.browser();
    cand.login("cand@acme.example").await;
    let r = cand.get("/secure/x").await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/_mfa/enroll?return_to=%2Fsecure%2Fx"))
    );
    enroll(&mut b).await;
    passed(&b.get("/secure/x").await, "enrolled and verified");

    // globex requires 2FA: a company_policy rule does not lower it.
    let mut taro = gw.browser();
    taro.login(TARO).await;
    let r = taro.get("/open/x").await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/_mfa/enroll?return_to=%2Fopen%2Fx"))
    );

    // A role condition: managers are denied the reports, others pass.
    let mut manager = gw.browser();
    manager.login("manager@acme.example").await;
    assert_eq!(manager.get("/reports/q3").await.status, 403);
    passed(&manager.get("/").await, "manager elsewhere");
    passed(&b.get("/reports/q3").await, "not a manager");

    // passkey: verified with an app code only, sent to register a key.
    let r = b.get("/keys/x").await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/_mfa/passkeys?return_to=%2Fkeys%2Fx"))
    );
    let r = b.api_get("/keys/x").await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("passkey_required"))
    );
    assert_eq!(
        b.get("/_mfa/passkeys?return_to=%2Fkeys%2Fx").await.status,
        200
    );
}

/// A remembered browser skips the challenge, but never counts for a
/// step-up: the person is sent to the challenge even though verified, and
/// after a code the path passes.
#[tokio::test]
async fn step_up_wants_a_fresh_code_even_from_a_remembered_browser() {
    let rules = start().await;
    let gw = &rules.gw;
    let mut b = gw.browser();
    b.login(TARO).await;
    let enrolled = enroll(&mut b).await;
    // Enrolling is a proof, made just now.
    passed(&b.get("/admin/x").await, "fresh from enrollment");

    // A new app session, remembered on this browser.
    b.logout().await;
    b.login(TARO).await;
    let page = b.get("/_mfa/challenge?method=backup").await;
    let csrf = page.input_value("csrf").unwrap();
    let fields = [
        ("csrf", csrf.as_str()),
        ("backup_code", &enrolled.backup_codes[0]),
        ("remember", "yes"),
    ];
    assert_eq!(b.post_form("/_mfa/challenge", &fields).await.status, 303);
    b.logout().await;
    b.cookies.remove("mfa_gate");
    b.login(TARO).await;
    passed(&b.get("/").await, "remembered");

    let step_up = "/_mfa/challenge?step_up=1&within=600&return_to=%2Fadmin%2Fx";
    let r = b.get("/admin/x").await;
    assert_eq!((r.status, r.location()), (303, Some(step_up)));
    let r = b.api_get("/admin/x").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "step_up_required");
    assert_eq!(r.json()["location"], step_up);

    let page = b.get(step_up).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The switch to a backup code keeps the rule's window.
    let switch =
        "/_mfa/challenge?method=backup&amp;step_up=1&amp;within=600&amp;return_to=%2Fadmin%2Fx";
    assert!(page.body.contains(switch), "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let code = codes::code(&enrolled.secret, codes::now_step() + 1, 6);
    let fields = [
        ("csrf", csrf.as_str()),
        ("code", code.as_str()),
        ("return_to", "/admin/x"),
    ];
    let r = b.post_form("/_mfa/challenge", &fields).await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/admin/x")),
        "{}",
        r.body
    );
    passed(&b.get("/admin/x").await, "after the step-up");
}

/// Ask the forward-auth endpoint about `uri` as Traefik would, for the
/// client `client`, with `b`'s cookies.
async fn ask(gw: &Gateway, b: &Browser, uri: &str, client: &str, accept: &str) -> Resp {
    let cookies: Vec<String> = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .get(gw.url("/_mfa/auth"))
        .header("cookie", cookies.join("; "))
        .header("x-forwarded-method", "GET")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "app.example")
        .header("x-forwarded-uri", uri)
        .header("x-forwarded-for", client)
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    Resp::read(r).await
}

#[tokio::test]
async fn forward_auth_applies_the_same_rules() {
    let rules = start().await;
    let gw = &rules.gw;
    let anonymous = gw.browser();
    let r = ask(gw, &anonymous, "/internal/x", "203.0.113.7", "text/html").await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        ask(gw, &anonymous, "/public/a.js", "203.0.113.7", "text/html")
            .await
            .status,
        200
    );

    let mut b = gw.browser();
    b.login(TARO).await;
    let enrolled = enroll(&mut b).await;
    let r = ask(gw, &b, "/internal/x", "203.0.113.7", "text/html").await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        ask(gw, &b, "/internal/x", "10.0.0.5", "text/html")
            .await
            .status,
        200
    );
    assert_eq!(
        ask(gw, &b, "/admin/x", "203.0.113.7", "text/html")
            .await
            .status,
        200
    );

    // A remembered session asks a step-up of the front too.
    b.logout().await;
    b.login(TARO).await;
    let page = b.get("/_mfa/challenge?method=backup").await;
    let csrf = page.input_value("csrf").unwrap();
    let fields = [
        ("csrf", csrf.as_str()),
        ("backup_code", &enrolled.backup_codes[0]),
        ("remember", "yes"),
    ];
    assert_eq!(b.post_form("/_mfa/challenge", &fields).await.status, 303);
    b.logout().await;
    b.cookies.remove("mfa_gate");
    b.login(TARO).await;
    assert_eq!(
        ask(gw, &b, "/", "203.0.113.7", "text/html").await.status,
        200
    );
    let r = ask(gw, &b, "/admin/x", "203.0.113.7", "text/html").await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location(),
        Some("/_mfa/challenge?step_up=1&within=600&return_to=%2Fadmin%2Fx")
    );
    let r = ask(gw, &b, "/admin/x", "203.0.113.7", "application/json").await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("step_up_required"))
    );
}

/// `mfa-gate explain` names the rule and the decision per state; and
/// `check-config` refuses a rule that can never match, naming it.
#[tokio::test]
async fn explain_and_check_config_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigBuilder::new(free_ports(), "127.0.0.1:9")
        .company("globex", "required")
        .extra("access_rules:\n  - paths: [/admin/**]\n    action: deny\n")
        .write(dir.path());
    let config = config.to_str().unwrap();
    let run = run_cli(
        &[
            "explain",
            "-c",
            config,
            "--account",
            "kei",
            "--path",
            "/admin/x",
            "--company",
            "globex",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("rule: access_rules[0] { paths: [/admin/**], action: deny }"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  not enrolled                                   deny (403)"),
        "{}",
        run.stdout
    );

    let shadowed = ConfigBuilder::new(free_ports(), "127.0.0.1:9")
        .extra("access_rules:\n  - action: two_factor\n  - paths: [/admin/**]\n    action: deny\n")
        .write(dir.path());
    let run = run_cli(&["check-config", "-c", shadowed.to_str().unwrap()], &[]).await;
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("field `access_rules[1]`: this rule can never match: access_rules[0] matches every request it would"),
        "{}",
        run.stderr
    );
}

/// `passkey` asks for a session the key proved: one verified with a code
/// is sent back to the challenge, where a code is refused and the key
/// passes; then the path passes.
#[tokio::test]
async fn a_passkey_rule_wants_the_key_itself_to_have_proved_the_session() {
    use crate::harness::passkeys::{Passkey, challenge_answer, post, register};
    let rules = start().await;
    let gw = &rules.gw;
    let mut b = gw.browser();
    b.login(TARO).await;
    let enrolled = enroll(&mut b).await;
    let mut key = Passkey::new(gw);
    let added = register(&mut b, &mut key, "Laptop", "%2Fkeys%2Fx").await;
    assert_eq!(added.status, 303, "{}", added.body);

    // Proven with a code: the challenge again, for the key.
    let r = b.get("/keys/x").await;
    let challenge = "/_mfa/challenge?step_up=1&passkey=1&return_to=%2Fkeys%2Fx";
    assert_eq!(
        (r.status, r.location()),
        (303, Some(challenge)),
        "{}",
        r.body
    );
    let r = b.api_get("/keys/x").await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("passkey_proof_required"))
    );
    let page = b.get(challenge).await;
    assert_eq!(
        page.status, 200,
        "a verified session is asked: {}",
        page.body
    );
    let csrf = page.input_value("csrf").unwrap();
    let code = [
        ("csrf", csrf.as_str()),
        ("backup_code", &enrolled.backup_codes[0]),
    ];
    let refused = b.post_form(challenge, &code).await;
    assert_eq!(
        refused.status, 422,
        "a code does not count: {}",
        refused.body
    );
    assert!(!b.get("/keys/x").await.came_from_app());

    // The key's own proof: back to the path, which passes.
    let page = b.get(challenge).await;
    assert!(
        !page.body.contains(r#"name="backup_code""#),
        "{}",
        page.body
    );
    let mut fields = challenge_answer(&page, &mut key).expect("the authenticator answers");
    fields.push(("return_to".into(), page.input_value("return_to").unwrap()));
    let r = post(&mut b, challenge, &fields).await;
    assert_eq!(
        (r.status, r.location()),
        (303, Some("/keys/x")),
        "{}",
        r.body
    );
    passed(&b.get("/keys/x").await, "proven by the key");
    passed(&b.get("/").await, "elsewhere too");
}
