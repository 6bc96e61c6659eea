//! Two gateways on one PostgreSQL database (`store.backend: postgres`),
//! as behind a load balancer: a private cluster (`LocalPostgres`), replica
//! A with the demo app, replica B in front of A's app, both with one set
//! of keys. Every promise holds across them: a code accepted once, the
//! lock at exactly `max_failures`, a policy change and a support operation
//! made on one seen on the other's next request.
//!
//! "Next request" within the propagation delay: the other replica's cache
//! learns of a write through LISTEN/NOTIFY, a few milliseconds after the
//! commit (store/replica_cache_tests.rs prints them). [`settled`] gives a
//! request up to `PROPAGATION` to show the change, and says how long it
//! took; a change that never arrives fails.

use crate::harness::race::{race, race_challenge, sessions_at_challenge};
use crate::harness::{BIN, Browser, ConfigBuilder, Resp, free_ports, run_cli};
use crate::harness::{
    Gateway, JIRO, TARO, codes, enroll, enrolled_and_challenged, fail, set_company_policy,
    submit_code,
};
use mfa_gate::store::testing::LocalPostgres;
use std::time::{Duration, Instant};

const MAX_FAILURES: u64 = 10;

/// How long [`settled`] polls for a replica to show another's write, or
/// that PostgreSQL stopped. A deadline, not a measurement: the delay is
/// a few ms (p99 6 ms, BENCHMARKS.md) and noticing a stopped database
/// takes a connect timeout; 20 s holds on a loaded 2-core machine, and a
/// change that never arrives still fails. The delays are printed.
const PROPAGATION: Duration = Duration::from_secs(20);

/// `GET path` until `wanted` holds of the answer, for at most
/// `PROPAGATION`; the last answer.
async fn settled(b: &mut Browser, path: &str, wanted: impl Fn(&Resp) -> bool) -> Resp {
    let start = Instant::now();
    loop {
        let r = b.get(path).await;
        if wanted(&r) {
            println!("seen after {:?}", start.elapsed());
            return r;
        }
        if start.elapsed() > PROPAGATION {
            println!(
                "not seen in {:?} (the last answer: {})",
                start.elapsed(),
                r.status
            );
            return r;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Two replicas on one fresh database. Gateways stop before the database.
struct Cluster {
    a: Gateway,
    b: Gateway,
    pg: LocalPostgres,
    _data: tempfile::TempDir,
}

async fn cluster() -> Cluster {
    let pg = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .expect("a private PostgreSQL cluster (scripts/test.sh installs postgresql)");
    let data = tempfile::tempdir().unwrap();
    let a = Gateway::demo_replica(data.path(), &pg.url(), None).await;
    let app = format!("127.0.0.1:{}", a.port + 1);
    let b = Gateway::demo_replica(data.path(), &pg.url(), Some(&app)).await;
    Cluster {
        a,
        b,
        pg,
        _data: data,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_raced_across_both_replicas_is_accepted_once() {
    let c = cluster().await;
    let both = [&c.a, &c.b];

    let mut taro = c.a.browser();
    taro.login(TARO).await;
    let enrolled = enroll(&mut taro).await;
    let sessions = sessions_at_challenge(&both, TARO, 20).await;
    let (_, code) = codes::lasting_code(&enrolled.secret, Some(enrolled.step)).await;
    let statuses = race_challenge(sessions, "code", &code).await;
    assert!(
        statuses.iter().all(|s| [303, 422, 423].contains(s)),
        "{statuses:?}"
    );

    let mut jiro = c.b.browser();
    jiro.login(JIRO).await;
    let enrolled = enroll(&mut jiro).await;
    let sessions = sessions_at_challenge(&both, JIRO, 20).await;
    let statuses = race_challenge(sessions, "backup_code", &enrolled.backup_codes[0]).await;
    assert!(
        statuses.iter().all(|s| [303, 422, 423].contains(s)),
        "{statuses:?}"
    );
    let status = c.a.account_status(JIRO).await;
    assert_eq!(status["backup_codes_left"], 9, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_wrong_codes_over_both_replicas_lock_at_exactly_max_failures() {
    let c = cluster().await;
    let mut taro = c.a.browser();
    taro.login(TARO).await;
    let enrolled = enroll(&mut taro).await;
    let wrong = codes::wrong_code(&enrolled.secret);
    let sessions = sessions_at_challenge(&[&c.a, &c.b], TARO, 50).await;
    let requests: Vec<_> = sessions
        .into_iter()
        .map(|(mut b, csrf)| {
            let wrong = wrong.clone();
            async move {
                b.post_form("/_mfa/challenge", &[("csrf", &csrf), ("code", &wrong)])
                    .await
                    .status
            }
        })
        .collect();
    let runs = race(requests).await;
    let statuses: Vec<u16> = runs.iter().map(|r| r.out).collect();
    assert!(
        statuses.iter().all(|s| [422, 423].contains(s)),
        "{statuses:?}"
    );
    let refused_as_wrong = statuses.iter().filter(|s| **s == 422).count() as u64;
    assert!(refused_as_wrong < MAX_FAILURES, "{statuses:?}");

    for gw in [&c.a, &c.b] {
        let status = gw.account_status(TARO).await;
        assert_eq!(
            (status["failures"].as_u64(), status["locked"].as_bool()),
            (Some(MAX_FAILURES), Some(true)),
            "{status}"
        );
        // A fresh session's next request meets the lock on either replica.
        let mut b = gw.browser();
        b.login(TARO).await;
        let r = settled(&mut b, "/", |r| r.status == 423).await;
        assert_eq!(r.status, 423, "{}", r.body);
        assert!(!r.came_from_app());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_set_on_one_replica_reaches_a_live_session_on_the_other() {
    let c = cluster().await;
    // jiro of acme (optional), not enrolled, browsing through B.
    let mut jiro = c.b.browser();
    jiro.login(JIRO).await;
    let r = jiro.get("/").await;
    assert_eq!(r.status, 200);
    assert!(r.came_from_app());

    // acme's administrator requires 2FA on A's policy page.
    let mut admin = c.a.browser();
    admin.login("hanako.admin@acme.example").await;
    set_company_policy(&mut admin, "required").await;

    // jiro's next request, on B, is sent to enrollment.
    let r = settled(&mut jiro, "/", |r| r.status == 303).await;
    assert_eq!((r.status, r.location()), (303, Some("/_mfa/enroll")));

    // B learnt of it through a notification; its metrics say so.
    let metrics = c.b.admin("GET", "/metrics", None).await.body;
    let received = metrics
        .lines()
        .find_map(|l| l.strip_prefix("mfa_gate_store_notifications_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no notification counter in:\n{metrics}"));
    assert!(received >= 1.0, "{received}");
    for series in [
        "mfa_gate_store_resyncs_total 1",
        "mfa_gate_store_pool_connections{state=\"idle\"}",
        "mfa_gate_store_query_duration_seconds_count",
    ] {
        assert!(metrics.contains(series), "{series} missing:\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_on_one_replica_unlocks_and_resets_what_the_other_did() {
    let c = cluster().await;
    // Locked through A.
    let (mut taro, csrf, enrolled) = enrolled_and_challenged(&c.a, TARO).await;
    fail(
        &mut taro,
        &csrf,
        &enrolled.secret,
        MAX_FAILURES as usize - 1,
    )
    .await;
    let r = submit_code(&mut taro, &csrf, &codes::wrong_code(&enrolled.secret)).await;
    assert_eq!(r.status, 423);

    // Unlocked through B's admin API; the right code then passes on A.
    let unlock = c.b.support(&["unlock", TARO]).await;
    assert_eq!(unlock.code, 0, "{unlock:?}");
    assert!(unlock.stdout.contains("10 failures cleared"), "{unlock:?}");
    let (step, right) = codes::lasting_code(&enrolled.secret, Some(enrolled.step)).await;
    let r = submit_code(&mut taro, &csrf, &right).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(taro.get("/").await.status, 200);

    // A verified session on B too.
    let mut on_b = c.b.browser();
    on_b.login(TARO).await;
    let csrf = on_b
        .get("/_mfa/challenge")
        .await
        .input_value("csrf")
        .unwrap();
    let (_, later) = codes::lasting_code(&enrolled.secret, Some(step)).await;
    let r = submit_code(&mut on_b, &csrf, &later).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(on_b.get("/").await.status, 200);

    // A reset through B ends the verified sessions on both replicas.
    let reset = c.b.support(&["reset", TARO]).await;
    assert_eq!(reset.code, 0, "{reset:?}");
    for session in [&mut taro, &mut on_b] {
        let r = settled(session, "/", |r| r.status == 303).await;
        assert_eq!((r.status, r.location()), (303, Some("/_mfa/enroll")));
    }
}

/// `scripts/cluster-demo.sh --check`: a private PostgreSQL, two replicas
/// and nginx in front, every request through the balancer answered.
#[tokio::test]
async fn the_cluster_demo_starts_and_answers_through_its_balancer() {
    let ports = [free_ports(), free_ports(), free_ports()];
    let run = tokio::process::Command::new("bash")
        .args(["scripts/cluster-demo.sh", "--check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("MFA_GATE_BIN", BIN)
        .env("PORT", ports[0].to_string())
        .env("PG_PORT", (ports[0] + 1).to_string())
        .env("A_PORT", ports[1].to_string())
        .env("B_PORT", ports[2].to_string())
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(run.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("every request through the balancer answered"),
        "{stdout}"
    );
}

/// The database gone: both replicas fail closed (a session is not let
/// through on what a cache remembers) and their health checks fail, so a
/// load balancer drains them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_database_both_replicas_fail_closed_and_report_unhealthy() {
    let c = cluster().await;
    let mut taro = c.a.browser();
    taro.login(TARO).await;
    enroll(&mut taro).await;
    assert_eq!(taro.get("/").await.status, 200);

    c.pg.stop(true).unwrap();
    let r = settled(&mut taro, "/", |r| r.status == 503).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(!r.came_from_app());
    for gw in [&c.a, &c.b] {
        let mut b = gw.browser();
        let health = settled(&mut b, "/_mfa/healthz", |r| r.status == 503).await;
        assert_eq!(health.status, 503, "{}", health.body);
        assert!(health.body.contains("store_unavailable"), "{}", health.body);
    }
}

/// `check-config` on a PostgreSQL configuration connects, migrates and
/// checks the stored secrets; an error names host, port and database,
/// never the URL's password.
#[tokio::test]
async fn check_config_reaches_the_database_and_never_prints_its_password() {
    let pg = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .expect("a private PostgreSQL cluster");
    let dir = tempfile::tempdir().unwrap();
    let path = ConfigBuilder::new(free_ports(), "127.0.0.1:9").write(dir.path());
    let yaml = std::fs::read_to_string(&path).unwrap();
    assert!(yaml.contains("store:\n  path: store\n"));
    let yaml = yaml.replace(
        "store:\n  path: store\n",
        "store:\n  backend: postgres\n  url: { env: TEST_DATABASE_URL }\n  tls: disable\n",
    );
    std::fs::write(&path, yaml).unwrap();
    let config = path.display().to_string();

    let url = pg.url();
    let ok = run_cli(
        &["check-config", "-c", &config],
        &[("TEST_DATABASE_URL", &url)],
    )
    .await;
    assert_eq!(ok.code, 0, "{ok:?}");
    let named = format!("postgresql://127.0.0.1:{}/mfa_gate", pg.port());
    assert!(
        ok.stdout.contains(&format!("store: store.url {named}")),
        "{ok:?}"
    );

    let wrong = format!(
        "postgresql://postgres:s3cret-pw@127.0.0.1:{}/no_such_db",
        pg.port()
    );
    let bad = run_cli(
        &["check-config", "-c", &config],
        &[("TEST_DATABASE_URL", &wrong)],
    )
    .await;
    assert_ne!(bad.code, 0, "{bad:?}");
    assert!(
        bad.stderr
            .contains(&format!("postgresql://127.0.0.1:{}/no_such_db", pg.port())),
        "{bad:?}"
    );
    assert!(
        !bad.stderr.contains("s3cret") && !bad.stdout.contains("s3cret"),
        "{bad:?}"
    );
}
