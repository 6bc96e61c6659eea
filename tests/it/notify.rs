//! Notifications (issue 17): each security event is told once by email
//! (a real SMTP server, aiosmtpd) to every address of the person and once
//! to each webhook (a receiver that checks the signature the way
//! docs/notifications.md says), through the durable outbox: a dead SMTP server never slows
//! a request, a failing webhook is retried with the same idempotency id,
//! and a `kill -9` after the commit loses nothing.

use crate::harness::sinks::{SmtpSink, WebhookSink, free_port};
use crate::harness::{
    Browser, ConfigBuilder, DEMO_SUPPORT_TOKEN, FakeApp, Gateway, Whoami, codes, enroll,
    free_ports, save_company_setting, submit_code,
};
use std::time::{Duration, Instant};

const SECRET: &str = "webhook-secret-0123456789";

/// Ann has two accounts (one person), each with its own address.
fn ann(account: &str, email: &str, class: &str) -> Whoami {
    Whoami::json(&serde_json::json!({
        "account": account, "company": "acme", "class": class, "roles": ["admin"],
        "person": "ann", "email": email,
    }))
}

async fn app() -> FakeApp {
    let app = FakeApp::builder().start().await;
    app.set_session("s-ann", ann("ann", "ann@acme.example", "employee"));
    app.set_session("s-ann-2", ann("ann", "ann@acme.example", "employee"));
    app.set_session(
        "s-admin",
        ann("ann.admin", "ann.admin@acme.example", "admin"),
    );
    app
}

/// (The SMTP timeout is long: a send that times out is retried, and the
/// retry is a second copy of a message the sink already has, which the
/// exact counts below would take for a bug. Delivery is at least once.)
fn config(port: u16, app: &FakeApp, smtp_port: u16, hook: &str) -> ConfigBuilder {
    config_waiting(port, app, smtp_port, hook, "10s")
}

/// [`config`] with the SMTP client's `timeout`.
fn config_waiting(
    port: u16,
    app: &FakeApp,
    smtp_port: u16,
    hook: &str,
    smtp_timeout: &str,
) -> ConfigBuilder {
    ConfigBuilder::new(port, &app.address)
        .totp_issuer("mfa-gate demo")
        .admin(DEMO_SUPPORT_TOKEN)
        .extra(&format!(
            "notify:\n  email:\n    smtp: {{ host: 127.0.0.1, port: {smtp_port}, security: none, timeout: {smtp_timeout} }}\n    from: \"Acme <mfa@acme.example>\"\n  webhooks:\n    - url: {hook}\n      secret: {{ file: hook.secret }}\n  retry: {{ first: 200ms, max: 1s, attempts: 30 }}\n  min_interval: 0s\n"
        ))
}

async fn serve(c: &ConfigBuilder, dir: &std::path::Path) -> Gateway {
    std::fs::write(dir.join("hook.secret"), SECRET).unwrap();
    c.serve_in(dir).await
}

fn browser(gw: &Gateway, session: &str) -> Browser {
    let mut b = gw.browser();
    b.cookies.insert("demo_session".into(), session.into());
    b
}

/// The challenge of `b`'s session, passed with a backup code.
async fn use_backup_code(b: &mut Browser, code: &str) {
    let page = b.get("/_mfa/challenge").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let r = b
        .post_form("/_mfa/challenge", &[("csrf", &csrf), ("backup_code", code)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

fn subject_and_to(message: &str) -> (String, String) {
    let header = |name: &str| {
        message
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    (header("Subject:"), header("To:"))
}

/// No code, secret, cookie or password in what was sent.
fn assert_clean(text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{s:?} leaked into {text}");
    }
}

#[tokio::test]
async fn each_event_once_by_email_to_every_address_and_by_signed_webhook() {
    let app = app().await;
    let smtp = SmtpSink::start(free_port()).await;
    let hook = WebhookSink::start(SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    let gw = serve(
        &config(free_ports(), &app, smtp.port, &hook.url),
        dir.path(),
    )
    .await;

    // Enabled: one email (the only address known), one webhook.
    let mut b = browser(&gw, "s-ann");
    let enrolled = enroll(&mut b).await;
    let mails = smtp.wait_for(1).await;
    let hooks = hook.wait_delivered(1).await;
    let (subject, to) = subject_and_to(&mails[0]);
    assert!(to.contains("ann@acme.example"), "{to}");
    assert!(!subject.is_empty());
    assert_eq!(hooks[0]["body"]["event"], "enabled");
    assert_eq!(hooks[0]["body"]["account"], "ann");
    assert_eq!(hooks[0]["body"]["company"], "acme");
    assert_eq!(hooks[0]["body"]["person"], "ann");
    assert_eq!(hooks[0]["body"]["ip"], "127.0.0.1");
    assert!(
        hooks[0]["body"]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert_eq!(hooks[0]["event_id"], hooks[0]["body"]["id"]);

    // The linked admin account signs in: its address becomes known.
    let mut admin = browser(&gw, "s-admin");
    admin.pass_challenge(&enrolled.secret).await;

    // A backup code in a new session: one email per address, one webhook.
    let mut b2 = browser(&gw, "s-ann-2");
    use_backup_code(&mut b2, &enrolled.backup_codes[0]).await;
    let mails = smtp.wait_for(3).await;
    let hooks = hook.wait_delivered(2).await;
    assert_eq!(hooks[1]["body"]["event"], "backup_code_used");
    assert_eq!(hooks[1]["body"]["codes_left"], 9);
    let mut to: Vec<String> = mails.iter().map(|m| subject_and_to(m).1).collect();
    to.sort();
    assert_eq!(to.len(), 3);
    assert!(
        to.iter()
            .filter(|t| t.contains("ann.admin@acme.example"))
            .count()
            == 1
    );

    // Locked after max_failures wrong codes (10), then unlocked and reset
    // by support: each one email per address and one webhook.
    let mut b3 = browser(&gw, "s-ann-2");
    b3.cookies.remove("mfa_gate");
    let csrf = b3.get("/_mfa/challenge").await.input_value("csrf");
    let csrf = csrf.unwrap_or_default();
    let wrong = codes::wrong_code(&enrolled.secret);
    for _ in 0..10 {
        submit_code(&mut b3, &csrf, &wrong).await;
    }
    let unlock = gw
        .admin("POST", "/v1/accounts/ann/unlock", Some(DEMO_SUPPORT_TOKEN))
        .await;
    assert_eq!(unlock.status, 200, "{}", unlock.body);
    let reset = gw
        .admin("POST", "/v1/accounts/ann/reset", Some(DEMO_SUPPORT_TOKEN))
        .await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    let mails = smtp.wait_for(9).await;
    let hooks = hook.wait_delivered(5).await;
    let events: Vec<&str> = hooks
        .iter()
        .map(|h| h["body"]["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["enabled", "backup_code_used", "locked", "unlocked", "reset"]
    );
    assert_eq!(hooks[4]["body"]["actor"], "support");
    // Exactly once each: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 9);
    assert_eq!(hook.delivered().len(), 5);
    assert!(hook.received().iter().all(|d| d["verified"] == true));
    let ids: std::collections::HashSet<_> = hooks.iter().map(|h| h["event_id"].clone()).collect();
    assert_eq!(ids.len(), 5, "one idempotency id per event");

    // Words from the catalog of the person's language (the harness's
    // browser asks for English), with what happened, when and from where.
    let mut subjects: Vec<String> = mails.iter().map(|m| subject_and_to(m).0).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(
        subjects,
        [
            "A backup code was used",
            "Two-step verification is on",
            "Two-step verification was reset",
            "Your account was locked",
            "Your account was unlocked",
        ]
    );
    assert!(
        mails
            .iter()
            .all(|m| m.contains("When: ") && m.contains("wasn't you"))
    );
    let mut secrets: Vec<&str> = enrolled.backup_codes.iter().map(String::as_str).collect();
    secrets.extend([SECRET, "s-ann", "s-admin", DEMO_SUPPORT_TOKEN]);
    let b32 = data_encoding::BASE32_NOPAD.encode(&enrolled.secret);
    secrets.push(&b32);
    for m in &mails {
        assert_clean(m, &secrets);
    }
    for h in hook.received() {
        assert_clean(h["body"].as_str().unwrap(), &secrets);
    }
    assert_clean(&gw.log(), &secrets);
}

#[tokio::test]
async fn a_hanging_smtp_server_slows_no_request_and_loses_nothing() {
    let app = app().await;
    // A server that accepts and never says a word.
    let smtp_port = free_port();
    let hang = tokio::net::TcpListener::bind(("127.0.0.1", smtp_port))
        .await
        .unwrap();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = hang.accept().await {
            conns.push(c);
        }
    });
    let hook = WebhookSink::start(SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    // A request that waited for the mail would wait the SMTP timeout (60 s);
    // the bounds below are far under it and far over a loaded machine's
    // answer (a page: milliseconds; a backup code: one Argon2id hash).
    let gw = serve(
        &config_waiting(free_ports(), &app, smtp_port, &hook.url, "60s"),
        dir.path(),
    )
    .await;

    let mut b = browser(&gw, "s-ann");
    let enrolled = enroll(&mut b).await;
    // The webhook is not held up by the hanging SMTP server.
    hook.wait_delivered(1).await;
    // While SMTP hangs, the challenge answers at its usual pace.
    let mut b2 = browser(&gw, "s-ann-2");
    for _ in 0..5 {
        let started = Instant::now();
        let page = b2.get("/_mfa/challenge").await;
        assert_eq!(page.status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "a challenge page took {:?} while SMTP hangs (timeout 60 s)",
            started.elapsed()
        );
    }
    let started = Instant::now();
    use_backup_code(&mut b2, &enrolled.backup_codes[0]).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a backup-code sign-in took {:?} while SMTP hangs (timeout 60 s)",
        started.elapsed()
    );

    // SMTP comes back: both messages arrive, once each.
    held.abort();
    let _ = held.await;
    let smtp = SmtpSink::start(smtp_port).await;
    let mails = smtp.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 2, "{mails:?}");
}

#[tokio::test]
async fn a_webhook_failing_three_times_gets_it_once_with_the_same_id() {
    let app = app().await;
    let smtp = SmtpSink::start(free_port()).await;
    let hook = WebhookSink::start(SECRET).await;
    hook.fail_next(3);
    let dir = tempfile::tempdir().unwrap();
    let gw = serve(
        &config(free_ports(), &app, smtp.port, &hook.url),
        dir.path(),
    )
    .await;
    let mut b = browser(&gw, "s-ann");
    enroll(&mut b).await;
    let delivered = hook.wait_delivered(1).await;
    let all = hook.received();
    let statuses: Vec<i64> = all.iter().map(|d| d["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [500, 500, 500, 200]);
    assert!(
        all.iter()
            .all(|d| d["event_id"] == delivered[0]["event_id"])
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hook.delivered().len(), 1);
    let metrics = gw.admin("GET", "/metrics", None).await.body;
    assert!(
        metrics.contains("mfa_gate_notifications_total{result=\"retried\"} 3"),
        "{metrics}"
    );

    // A tampered body or signature is refused by the documented verifier.
    let body = r#"{"event":"reset"}"#;
    let client = reqwest::Client::new();
    for sig in ["t=1,v1=00", "", "t=9999999999,v1=abcd"] {
        let r = client
            .post(&hook.url)
            .header("X-Mfa-Gate-Signature", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{sig}");
    }
}

#[tokio::test]
async fn killed_after_the_commit_it_delivers_after_restart() {
    let app = app().await;
    let smtp = SmtpSink::start(free_port()).await;
    let hook = WebhookSink::start(SECRET).await;
    hook.fail_next(1000);
    let dir = tempfile::tempdir().unwrap();
    let c = config(free_ports(), &app, smtp.port, &hook.url);
    let mut gw = serve(&c, dir.path()).await;
    let mut b = browser(&gw, "s-ann");
    enroll(&mut b).await;
    // Committed, not delivered yet: the receiver refuses it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while hook.received().is_empty() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    gw.kill();
    hook.fail_next(0);
    let gw = serve(&c, dir.path()).await;
    let delivered = hook.wait_delivered(1).await;
    assert_eq!(delivered[0]["body"]["event"], "enabled");
    let outbox = gw
        .admin("GET", "/v1/outbox", Some(DEMO_SUPPORT_TOKEN))
        .await;
    assert_eq!(outbox.status, 200);
    drop(gw);
}

/// One staff account of acme, with its own address.
fn staff(account: &str, class: &str, roles: &[&str]) -> Whoami {
    Whoami::json(&serde_json::json!({
        "account": account, "company": "acme", "class": class, "roles": roles,
        "person": account, "email": format!("{account}@acme.example"),
    }))
}

/// Wait until the webhook has `n` deliveries and no more arrive for a
/// while; the events in order.
async fn events_exactly(hook: &WebhookSink, n: usize) -> Vec<String> {
    hook.wait_delivered(n).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = hook.delivered();
    assert_eq!(all.len(), n, "{all:#?}");
    all.iter()
        .map(|h| h["body"]["event"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_other_events_each_once_and_a_policy_change_to_the_administrators() {
    let app = FakeApp::builder().start().await;
    for n in 0..8 {
        app.set_session(&format!("s-emp-{n}"), staff("emp", "employee", &[]));
    }
    app.set_session("s-boss", staff("boss", "admin", &["admin"]));
    app.set_session(
        "s-chief",
        staff("chief", "admin", &["admin", "stress_check_officer"]),
    );
    app.set_session("s-mgr", staff("mgr", "admin", &["manager"]));
    let smtp = SmtpSink::start(free_port()).await;
    let hook = WebhookSink::start(SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    // Three fresh TOTP codes are needed at once (enroll, regenerate,
    // disable): a skew of 2 steps lets them come from one moment.
    let c = config(free_ports(), &app, smtp.port, &hook.url)
        .totp_skew(2)
        .company("acme", "{ remember_days: 30 }");
    let gw = serve(&c, dir.path()).await;

    let mut emp = browser(&gw, "s-emp-0");
    let enrolled = enroll(&mut emp).await;
    // Seven backup codes: ten left → three, which is "running low" once.
    for (n, code) in enrolled.backup_codes[..7].iter().enumerate() {
        let mut b = browser(&gw, &format!("s-emp-{}", n + 1));
        use_backup_code(&mut b, code).await;
    }
    let mut events = vec!["enabled".to_owned()];
    events.extend(std::iter::repeat_n("backup_code_used".to_owned(), 6));
    events.extend(["backup_code_used".to_owned(), "codes_low".to_owned()]);
    assert_eq!(events_exactly(&hook, 9).await, events);
    let low = &hook.delivered()[8];
    assert_eq!(low["body"]["codes_left"], 3, "{low}");

    // New backup codes, then a remembered browser, then 2FA off.
    let page = emp.get("/_mfa/settings").await;
    let csrf = page.input_value("csrf").unwrap();
    let code = codes::code(&enrolled.secret, enrolled.step + 1, 6);
    let r = emp
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "regenerate"), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = crate::harness::backup_codes_of(&r);
    let mut again = browser(&gw, "s-emp-1");
    again.cookies.remove("mfa_gate");
    let page = again.get("/_mfa/challenge?method=backup").await;
    let csrf = page.input_value("csrf").unwrap();
    let r = again
        .post_form(
            "/_mfa/challenge",
            &[
                ("csrf", &csrf),
                ("backup_code", &fresh[0]),
                ("remember", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(again.cookies.contains_key("mfa_remember"));
    let page = emp.get("/_mfa/settings").await;
    let csrf = page.input_value("csrf").unwrap();
    let code = codes::code(&enrolled.secret, enrolled.step + 2, 6);
    let r = emp
        .post_form(
            "/_mfa/settings",
            &[("csrf", &csrf), ("action", "disable"), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let events = events_exactly(&hook, 13).await;
    assert_eq!(
        events[9..],
        [
            "codes_regenerated",
            "backup_code_used",
            "browser_remembered",
            "disabled"
        ]
    );

    // The administrators are seen by the gateway (a manager too), then
    // one of them requires 2FA: the two administrators are told, by
    // email, and the webhook once; the manager and the employee are not.
    for session in ["s-chief", "s-mgr"] {
        assert!(browser(&gw, session).get("/x").await.came_from_app());
    }
    let mut boss = browser(&gw, "s-boss");
    let page = boss.get("/_mfa/admin/security").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    let r = boss
        .post_form(
            "/_mfa/admin/security",
            &[("csrf", &csrf), ("enforcement", "required")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let events = events_exactly(&hook, 14).await;
    assert_eq!(events[13], "policy_changed");
    // Thirteen emails to the employee (one per event, one address) and
    // two about the policy (emails leave in no particular order).
    smtp.wait_for(15).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let all: Vec<(String, String)> = smtp.messages().iter().map(|m| subject_and_to(m)).collect();
    assert_eq!(all.len(), 15, "{all:#?}");
    let mut policy: Vec<&str> = all
        .iter()
        .filter(|(subject, _)| subject.contains("policy"))
        .map(|(_, to)| to.as_str())
        .collect();
    policy.sort();
    assert_eq!(policy.len(), 2, "{all:#?}");
    assert!(policy[0].contains("boss@acme.example"), "{all:#?}");
    assert!(policy[1].contains("chief@acme.example"), "{all:#?}");
    let to_emp = all.iter().filter(|(_, to)| to.contains("emp@acme.example"));
    assert_eq!(to_emp.count(), 13, "{all:#?}");

    // Every email went to the employee's address or an administrator's;
    // none carries a code or a secret.
    let mut secrets: Vec<&str> = enrolled.backup_codes.iter().map(String::as_str).collect();
    secrets.extend(fresh.iter().map(String::as_str));
    secrets.extend([SECRET, "s-emp-1", "s-boss"]);
    for m in smtp.messages() {
        assert!(!subject_and_to(&m).1.contains("mgr@"), "{m}");
        assert_clean(&m, &secrets);
    }
}

#[tokio::test]
async fn a_dead_letter_is_listed_and_retried_by_support_and_notify_test_sends_one() {
    let app = app().await;
    let smtp = SmtpSink::start(free_port()).await;
    let hook = WebhookSink::start(SECRET).await;
    hook.fail_next(1000);
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports();
    // Two attempts, then the webhook delivery is dead-lettered.
    let c = ConfigBuilder::new(port, &app.address)
        .totp_issuer("mfa-gate demo")
        .admin(DEMO_SUPPORT_TOKEN)
        .extra(&format!(
            "notify:\n  email:\n    smtp: {{ host: 127.0.0.1, port: {}, security: none, timeout: 1s }}\n    from: \"Acme <mfa@acme.example>\"\n  webhooks:\n    - url: {}\n      secret: {{ file: hook.secret }}\n  retry: {{ first: 100ms, max: 200ms, attempts: 2 }}\n  min_interval: 0s\n",
            smtp.port, hook.url
        ));
    let gw = serve(&c, dir.path()).await;
    let mut b = browser(&gw, "s-ann");
    enroll(&mut b).await;
    smtp.wait_for(1).await;

    let list = || async {
        let r = gw.support(&["--json", "outbox", "list", "--dead"]).await;
        assert_eq!(r.code, 0, "{r:?}");
        serde_json::from_str::<serde_json::Value>(r.stdout.trim()).unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed = list().await;
        if listed["dead"] == 1 {
            break listed;
        }
        assert!(Instant::now() < deadline, "never dead-lettered: {listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(hook.received().len(), 2, "two attempts, then it stops");
    assert_eq!(listed["entries"][0]["event"], "enabled", "{listed}");
    let id = listed["entries"][0]["id"].as_u64().unwrap().to_string();
    let metrics = gw.admin("GET", "/metrics", None).await.body;
    assert!(
        metrics.contains("mfa_gate_notifications_total{result=\"failed\"} 1"),
        "{metrics}"
    );

    // The receiver is back: support retries that one, and it arrives once.
    hook.fail_next(0);
    let retried = gw
        .support(&["--json", "outbox", "retry", "--id", &id])
        .await;
    assert_eq!(retried.code, 0, "{retried:?}");
    assert!(retried.stdout.contains("\"retried\":1"), "{retried:?}");
    let delivered = hook.wait_delivered(1).await;
    assert_eq!(delivered[0]["body"]["event"], "enabled");
    let after = list().await;
    assert_eq!(
        (after["pending"].as_u64(), after["dead"].as_u64()),
        (Some(0), Some(0)),
        "{after}"
    );

    // `notify-test` sends one message to the address given.
    let cfg = dir.path().join("mfa-gate.yaml");
    let cfg = cfg.display().to_string();
    let sent = crate::harness::run_cli(
        &["notify-test", "-c", &cfg, "--to", "ops@acme.example"],
        &[],
    )
    .await;
    assert_eq!(sent.code, 0, "{sent:?}");
    let mails = smtp.wait_for(2).await;
    assert!(
        mails
            .iter()
            .any(|m| subject_and_to(m).1.contains("ops@acme.example")),
        "{mails:#?}"
    );
}

/// Turning "remember this browser" on or off is a company security setting
/// like the policy, and is told like it: `policy_changed`, to the webhook
/// and the company's administrators (issue 30 §7).
#[tokio::test]
async fn the_remembered_browser_setting_is_told_like_the_policy() {
    let app = FakeApp::builder().start().await;
    app.set_session("s-boss", staff("boss", "admin", &["admin"]));
    let smtp = SmtpSink::start(free_port()).await;
    let hook = WebhookSink::start(SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    let gw = serve(
        &config(free_ports(), &app, smtp.port, &hook.url),
        dir.path(),
    )
    .await;
    let mut boss = browser(&gw, "s-boss");
    for days in ["7", "off"] {
        save_company_setting(&mut boss, "remember_days", days).await;
    }
    let events = events_exactly(&hook, 2).await;
    assert_eq!(events, ["policy_changed", "policy_changed"]);
    let mails = smtp.wait_for(2).await;
    assert!(
        mails.iter().all(|m| m.contains("boss@acme.example")),
        "{mails:#?}"
    );
}

/// No number of dead letters holds a new notification back (issue 31 §1):
/// a store that an older release left with 1,000 dead-lettered entries
/// ahead of 100 waiting ones (all in one queue) delivers the 100 as soon as
/// the gateway runs, moves the 1,000 to the dead letters, reports both
/// queues exactly, and lists the dead a page at a time.
#[tokio::test]
async fn a_thousand_dead_letters_hold_back_no_new_notification() {
    use mfa_gate::domain::{Delivery, DeliveryState, Notice, NoticeKind, Target, Whence};
    use mfa_gate::store::Store as _;
    const DEAD: u64 = 1000;
    const NEW: u64 = 100;
    let app = app().await;
    let hook = WebhookSink::start(SECRET).await;
    let dir = tempfile::tempdir().unwrap();
    {
        let store = mfa_gate::store::SledStore::open(&dir.path().join("store")).unwrap();
        let delivery = |id: u64, dead: bool| Delivery {
            notice: Notice {
                id,
                kind: NoticeKind::Locked,
                at: 1_700_000_000,
                company: "acme".into(),
                person: Some("ann".into()),
                account: "ann@acme.example".into(),
                whence: Whence {
                    actor: "ann@acme.example".into(),
                    ip: None,
                    browser: None,
                    request_id: None,
                    lang: "en".into(),
                },
                codes_left: None,
                note: String::new(),
                repeats: None,
            },
            target: Target::Webhook {
                url: hook.url.clone(),
            },
            state: if dead {
                DeliveryState::Dead
            } else {
                DeliveryState::Pending
            },
            attempts: if dead { 12 } else { 0 },
            next_at_ms: 0,
            last_error: if dead {
                "HTTP 503".into()
            } else {
                String::new()
            },
        };
        let entries: Vec<_> = (1..=DEAD + NEW)
            .map(|id| (id, delivery(id, id <= DEAD)))
            .collect();
        store.enqueue(&entries).unwrap();
        store.flush().unwrap();
    }
    let c = config(free_ports(), &app, free_port(), &hook.url);
    let gw = serve(&c, dir.path()).await;

    let deadline = Instant::now() + Duration::from_secs(60);
    while hook.delivered().len() < NEW as usize {
        assert!(
            Instant::now() < deadline,
            "{} of {NEW} delivered",
            hook.delivered().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut ids: Vec<u64> = hook
        .delivered()
        .iter()
        .map(|d| d["body"]["id"].as_str().unwrap().parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (DEAD + 1..=DEAD + NEW).collect::<Vec<_>>(),
        "each once"
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = gw.admin("GET", "/metrics", None).await.body;
        if m.contains("mfa_gate_outbox_pending 0")
            && m.contains(&format!("mfa_gate_outbox_dead {DEAD}"))
            && m.contains("mfa_gate_outbox_oldest_pending_seconds 0")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{m}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The dead letters, a page at a time.
    let mut after: Option<u64> = None;
    let mut seen = 0;
    loop {
        let path = match after {
            Some(a) => format!("/v1/outbox?queue=dead&limit=300&after={a}"),
            None => "/v1/outbox?queue=dead&limit=300".to_owned(),
        };
        let page = gw
            .admin("GET", &path, Some(DEMO_SUPPORT_TOKEN))
            .await
            .json();
        assert_eq!(
            (page["pending"].as_u64(), page["dead"].as_u64()),
            (Some(0), Some(DEAD))
        );
        seen += page["entries"].as_array().unwrap().len();
        match page["next_after"].as_u64() {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, DEAD as usize);
    let bad = gw
        .admin("GET", "/v1/outbox?limit=0", Some(DEMO_SUPPORT_TOKEN))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}
