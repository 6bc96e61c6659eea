//! `/metrics` on the admin listener reflects a scripted sequence of
//! requests exactly: decisions, whoami cache, whoami latency, upstream
//! errors, enrollment, challenges by result and method, and a lockout.

use super::{config, echo_app, scrape, series};
use crate::harness::{Browser, Gateway, codes, enroll, free_ports, submit_code};

#[tokio::test]
async fn metrics_count_a_scripted_sequence_exactly() {
    let app = echo_app().await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_ports();
    let extra = "bypass: [/login]\ncompanies:\n  globex: required\nmax_failures: 2\n";
    let cfg = config(port, &app.address).extra(extra).write(tmp.path());
    let gw = Gateway::serve(&cfg, port, tmp.path()).await;
    let before = scrape(&gw).await;
    let with = |b: &mut Browser, session: &str| {
        b.cookies.insert("app_session".into(), session.into());
    };

    let mut anon = gw.browser();
    assert_eq!(anon.get("/").await.status, 200); // anonymous
    assert_eq!(anon.get("/login").await.status, 200); // bypass
    assert_eq!(anon.get("/hangup").await.status, 502); // anonymous, upstream error

    let mut acme = gw.browser();
    with(&mut acme, "emp-acme-1");
    assert_eq!(acme.get("/a").await.status, 200); // pass (miss)
    assert_eq!(acme.get("/b").await.status, 200); // pass (hit)

    let mut broken = gw.browser();
    with(&mut broken, "fail-1");
    assert_eq!(broken.get("/a").await.status, 503); // error (miss)

    // globex requires 2FA: enroll (the cache still knows the session).
    let mut globex = gw.browser();
    with(&mut globex, "emp-globex-1");
    assert_eq!(globex.get("/a").await.status, 303); // enroll (miss)
    let enrolled = enroll(&mut globex).await; // 3 pages (hits)

    // A new session: challenged; a wrong code, then the right one.
    with(&mut globex, "emp-globex-2");
    assert_eq!(globex.get("/a").await.status, 303); // challenge (miss)
    let page = globex.get("/_mfa/challenge").await; // page (hit)
    let csrf = page.input_value("csrf").unwrap();
    let wrong = codes::wrong_code(&enrolled.secret);
    assert_eq!(submit_code(&mut globex, &csrf, &wrong).await.status, 422); // page (hit)
    let next = codes::lasting_code(&enrolled.secret, Some(enrolled.step))
        .await
        .1;
    assert_eq!(submit_code(&mut globex, &csrf, &next).await.status, 303); // page (hit)

    // A third session fails twice: locked.
    with(&mut globex, "emp-globex-3");
    let page = globex.get("/_mfa/challenge").await; // page (miss)
    let csrf = page.input_value("csrf").unwrap();
    submit_code(&mut globex, &csrf, &wrong).await; // page (hit)
    submit_code(&mut globex, &csrf, &wrong).await; // page (hit), locked
    assert_eq!(globex.get("/a").await.status, 423); // locked (hit)

    let after = scrape(&gw).await;
    let delta = |name: &str| series(&after, name) - series(&before, name);
    let decision = |d: &str| delta(&format!("mfa_gate_requests_total{{decision=\"{d}\"}}"));
    let expected = [
        ("anonymous", 2.0),
        ("bypass", 1.0),
        ("pass", 2.0),
        ("error", 1.0),
        ("enroll", 1.0),
        ("challenge", 1.0),
        ("locked", 1.0),
        ("page", 9.0),
    ];
    for (d, n) in expected {
        assert_eq!(decision(d), n, "decision {d}\n{after}");
    }
    assert_eq!(delta("mfa_gate_request_duration_seconds_count"), 18.0);
    assert_eq!(delta("mfa_gate_upstream_errors_total"), 1.0);
    assert_eq!(delta("mfa_gate_identity_cache_total{result=\"miss\"}"), 5.0);
    assert_eq!(delta("mfa_gate_identity_cache_total{result=\"hit\"}"), 10.0);
    assert_eq!(delta("mfa_gate_whoami_duration_seconds_count"), 5.0);
    assert_eq!(delta("mfa_gate_enrollments_total"), 1.0);
    let challenges = |r: &str, m: &str| {
        delta(&format!(
            "mfa_gate_challenges_by_method_total{{method=\"{m}\",result=\"{r}\"}}"
        ))
    };
    assert_eq!(challenges("failed", "totp"), 3.0);
    assert_eq!(challenges("passed", "totp"), 1.0);
    assert_eq!(challenges("passed", "backup_code"), 0.0);
    assert_eq!(delta("mfa_gate_challenges_total{result=\"failed\"}"), 3.0);
    assert_eq!(delta("mfa_gate_lockouts_total"), 1.0);
    assert!(
        !after.contains("globex.example"),
        "no account names in metrics"
    );
}
