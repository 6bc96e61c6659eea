//! Faults in the field (issue 31 §§2, 3), against real processes: two
//! replicas on one private PostgreSQL cluster, replica B reaching it
//! through a relay that can freeze (a frozen database or a blackholed
//! network, as B sees it). Each test asserts a bound, not a tight timing,
//! and prints its figures (BENCHMARKS.md, "Faults").

use crate::harness::relay::Relay;
use crate::harness::{Browser, Gateway, TARO, enroll};
use mfa_gate::store::testing::LocalPostgres;
use std::time::{Duration, Instant};

/// The demo's `store.max_staleness` and `store.timeout` (`demo --postgres`).
const MAX_STALENESS: Duration = Duration::from_secs(2);
/// What a refusal may take to be seen beyond the staleness bound: the
/// issue's "max_staleness + 1 s", with room for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);

struct Faulty {
    a: Gateway,
    b: Gateway,
    relay: Relay,
    pg: LocalPostgres,
    data: tempfile::TempDir,
}

/// Replica A on the database, replica B on it through the relay.
async fn faulty() -> Faulty {
    let pg = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .expect("a private PostgreSQL cluster (scripts/test.sh installs postgresql)");
    let relay = Relay::start(pg.port()).await;
    let via_relay = pg
        .url()
        .replace(&format!(":{}/", pg.port()), &format!(":{}/", relay.port));
    assert_ne!(via_relay, pg.url());
    let data = tempfile::tempdir().unwrap();
    let a = Gateway::demo_replica(data.path(), &pg.url(), None).await;
    let app = format!("127.0.0.1:{}", a.port + 1);
    let b = Gateway::demo_replica(data.path(), &via_relay, Some(&app)).await;
    Faulty {
        a,
        b,
        relay,
        pg,
        data,
    }
}

/// TARO enrolled through A, one app session verified on both replicas,
/// its state in both replicas' memory (a call that reaches a database that
/// froze before the lease lapsed would wait until it thaws: the one
/// unbounded wait left, BENCHMARKS.md "Faults").
async fn verified_on_both(f: &Faulty) -> (Browser, Browser) {
    let mut on_a = f.a.browser();
    on_a.login(TARO).await;
    enroll(&mut on_a).await;
    assert!(on_a.get("/").await.came_from_app());
    let mut on_b = f.b.browser();
    on_b.cookies = on_a.cookies.clone();
    assert!(on_b.get("/").await.came_from_app());
    (on_a, on_b)
}

/// Poll `path` on `b` until `done` holds; (when the request that saw it
/// was sent, since `from`; the slowest answer meanwhile).
async fn until(
    b: &mut Browser,
    path: &str,
    from: Instant,
    deadline: Duration,
    done: impl Fn(&crate::harness::Resp) -> bool,
) -> (Duration, Duration) {
    let mut slowest = Duration::ZERO;
    loop {
        let sent = Instant::now();
        // An answer that never comes fails the test instead of stalling it.
        let r = tokio::time::timeout(Duration::from_secs(20), b.get(path))
            .await
            .unwrap_or_else(|_| panic!("no answer to {path} within 20 s"));
        slowest = slowest.max(sent.elapsed());
        if done(&r) {
            return (sent - from, slowest);
        }
        assert!(
            from.elapsed() < deadline,
            "not seen within {deadline:?}: {} {:?}",
            r.status,
            r.location()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// B's link to the database freezes; a support reset through A is not
/// seen by B, but B stops serving the reset session within max_staleness
/// (it fails closed, fast), its health check says so within a second, and
/// once the link thaws B sends the session to enrollment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_link_bounds_staleness_fails_fast_and_recovers() {
    let f = faulty().await;
    let mut taro = f.b.browser();
    taro.login(TARO).await;
    enroll(&mut taro).await;
    assert!(taro.get("/").await.came_from_app());

    f.relay.freeze();
    let frozen = Instant::now();
    let reset = f.a.support(&["reset", TARO]).await;
    assert_eq!(reset.code, 0, "{reset:?}");
    let (refused_at, slowest) = until(&mut taro, "/", frozen, Duration::from_secs(30), |r| {
        !r.came_from_app()
    })
    .await;
    let mut probe = f.b.browser();
    let health_sent = Instant::now();
    let health = probe.get("/_mfa/healthz").await;
    let health_took = health_sent.elapsed();
    println!(
        "frozen link: B stopped serving the reset session {refused_at:?} after the freeze \
         (slowest answer meanwhile {slowest:?}); health check {} in {health_took:?}",
        health.status
    );
    assert!(
        refused_at <= MAX_STALENESS + SLACK,
        "stale for {refused_at:?}: more than max_staleness {MAX_STALENESS:?} + {SLACK:?}"
    );
    assert_eq!(health.status, 503, "{}", health.body);
    assert!(
        health_took < Duration::from_secs(1),
        "health took {health_took:?}"
    );
    let r = taro.get("/").await;
    assert_eq!(r.status, 503, "fail closed: {}", r.body);

    f.relay.thaw();
    let thawed = Instant::now();
    let (recovered, _) = until(&mut taro, "/", thawed, Duration::from_secs(30), |r| {
        r.location() == Some("/_mfa/enroll")
    })
    .await;
    println!("thawed: B sent the reset session to enrollment {recovered:?} after");
    assert!(
        recovered <= Duration::from_secs(10),
        "recovery took {recovered:?}"
    );
}

/// The database stops: both replicas fail closed within the staleness
/// bound, every answer meanwhile is fast, and both health checks say 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_database_fails_closed_fast_on_both_replicas() {
    let f = faulty().await;
    let (mut taro, mut on_b) = verified_on_both(&f).await;

    f.pg.stop(true).unwrap();
    let stopped = Instant::now();
    for (name, b) in [("A", &mut taro), ("B", &mut on_b)] {
        let deadline = Duration::from_secs(30);
        let (refused_at, slowest) = until(b, "/", stopped, deadline, |r| r.status == 503).await;
        println!(
            "database stopped: {name} answered 503 {refused_at:?} after (slowest answer {slowest:?})"
        );
        assert!(
            refused_at <= MAX_STALENESS + SLACK,
            "{name}: {refused_at:?}"
        );
        assert!(
            slowest < Duration::from_secs(2),
            "{name}: an answer took {slowest:?}"
        );
    }
    for gw in [&f.a, &f.b] {
        let mut probe = gw.browser();
        let sent = Instant::now();
        let health = probe.get("/_mfa/healthz").await;
        assert_eq!(health.status, 503, "{}", health.body);
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "{:?}",
            sent.elapsed()
        );
    }
}

/// A support reset and an enrollment's confirmation racing on one person,
/// in both orders (issue 31 §5): the test holds the person's row lock,
/// lets the two requests queue behind it in the chosen order (PostgreSQL
/// grants a row's waiters first come, first served), then lets go. Each
/// answer must hold, and the end state must be what the later one left:
/// confirm then reset leaves nobody enrolled and ends the new session's
/// trust; reset then confirm leaves the pending enrollment gone, so the
/// confirmation is refused and nobody is enrolled either.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_and_an_enrollment_confirm_race_in_both_orders() {
    let f = faulty().await;
    for confirm_first in [true, false] {
        let mut taro = f.b.browser();
        taro.login(TARO).await;
        let page = taro.get("/_mfa/enroll").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let secret = crate::harness::codes::secret_from_uri(&page.href_of("otpauth-link").unwrap());
        let csrf = page.input_value("csrf").unwrap();
        let code = crate::harness::codes::code(&secret, crate::harness::codes::now_step(), 6);

        let url = f.pg.url();
        let key = mfa_gate::domain::PersonKey::new("globex", TARO);
        let (locked_tx, locked_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut tx = c.transaction().unwrap();
            tx.query(
                "SELECT 1 FROM mfa_gate_entries WHERE tree = 'persons' AND key = $1 FOR UPDATE",
                &[&key.as_str().as_bytes()],
            )
            .unwrap();
            locked_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            tx.commit().unwrap();
        });
        locked_rx.recv().unwrap();

        let confirm = || {
            let (b, cookies) = (f.b.url(""), taro.cookies.clone());
            tokio::spawn(confirm_owned(b, cookies, csrf.clone(), code.clone()))
        };
        let reset = || tokio::spawn(reset_owned(f.a.admin_url("")));
        let (confirmed, reset_said) = if confirm_first {
            let confirmed = confirm();
            waiting_for_locks(&f.pg, 1).await;
            let reset_said = reset();
            waiting_for_locks(&f.pg, 2).await;
            release_tx.send(()).unwrap();
            (confirmed.await.unwrap(), reset_said.await.unwrap())
        } else {
            let reset_said = reset();
            waiting_for_locks(&f.pg, 1).await;
            let confirmed = confirm();
            waiting_for_locks(&f.pg, 2).await;
            release_tx.send(()).unwrap();
            (confirmed.await.unwrap(), reset_said.await.unwrap())
        };
        holder.join().unwrap();
        let (confirm_status, reset_detail) = (confirmed, reset_said);
        println!("confirm first: {confirm_first}: confirm {confirm_status}, reset {reset_detail}");
        let status = f.a.account_status(TARO).await;
        assert_eq!(status["enrolled"], false, "{status}");
        assert_eq!(status["enrollment_pending"], false, "{status}");
        if confirm_first {
            assert_eq!(confirm_status, 200, "the confirmation came first");
            assert!(
                reset_detail.contains("enrollment removed"),
                "{reset_detail}"
            );
        } else {
            assert_ne!(
                confirm_status, 200,
                "the pending enrollment was reset first"
            );
            assert!(
                reset_detail.contains("pending enrollment removed"),
                "{reset_detail}"
            );
        }
        // Whichever order: the session is not verified, it is sent to enroll.
        let r = taro.get("/").await;
        assert_eq!(r.location(), Some("/_mfa/enroll"), "{}", r.status);
    }
}

/// The confirmation as its own task (it owns what it sends); its status.
async fn confirm_owned(
    base: String,
    cookies: std::collections::BTreeMap<String, String>,
    csrf: String,
    code: String,
) -> u16 {
    let mut b = Browser::new(base);
    b.cookies = cookies;
    b.post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
        .await
        .status
}

/// A support reset through the admin API; what it answered.
async fn reset_owned(admin: String) -> String {
    let r = reqwest::Client::new()
        .post(format!("{admin}/v1/accounts/taro%40globex.example/reset"))
        .bearer_auth(crate::harness::DEMO_SUPPORT_TOKEN)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{body}");
    body
}

/// Wait until `n` sessions wait for a lock in the database.
async fn waiting_for_locks(pg: &LocalPostgres, n: i64) {
    let url = pg.url();
    let start = Instant::now();
    loop {
        let url = url.clone();
        let waiting: i64 = tokio::task::spawn_blocking(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
                &[],
            )
            .unwrap()
            .get(0)
        })
        .await
        .unwrap();
        if waiting >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{waiting} waiting, not {n}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Replica B is killed with SIGKILL while backup codes are used through
/// it (issue 31 §5): A goes on serving, every code B acknowledged stays
/// used (A refuses it), every code it did not is either used or still
/// good, and a restarted B serves again on the same database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_under_load_loses_nothing_it_acknowledged() {
    let mut f = faulty().await;
    let mut first = f.a.browser();
    first.login(crate::harness::JIRO).await;
    let enrolled = enroll(&mut first).await;
    assert!(first.get("/").await.came_from_app());

    // One session per code, all at B's challenge; B is killed once a few
    // were acknowledged, while the others are on their way.
    let b_url = f.b.url("");
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load: Vec<_> = enrolled
        .backup_codes
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, code)| {
            let b_url = b_url.clone();
            let answered = answered.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20 * i as u64)).await;
                let mut b = Browser::new(b_url);
                b.try_post_form(
                    "/login",
                    &[("email", crate::harness::JIRO), ("password", "demo")],
                )
                .await?;
                let page = b.try_get("/_mfa/challenge?method=backup").await?;
                let Some(csrf) = page.input_value("csrf") else {
                    panic!("no form: {} {}", page.status, page.body);
                };
                let r = b
                    .try_post_form(
                        "/_mfa/challenge",
                        &[("csrf", &csrf), ("backup_code", &code)],
                    )
                    .await?;
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Some((code, r.status))
            })
        })
        .collect();
    let start = Instant::now();
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no answers from B"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    f.b.kill();
    let killed = Instant::now();
    let mut acknowledged = Vec::new();
    for task in load {
        if let Some((code, 303)) = task.await.unwrap() {
            acknowledged.push(code);
        }
    }
    println!(
        "B killed under load: {} of {} codes acknowledged before the kill",
        acknowledged.len(),
        enrolled.backup_codes.len()
    );
    assert!(acknowledged.len() >= 3, "the kill came after three answers");

    // A serves on, and refuses every acknowledged code.
    assert!(first.get("/").await.came_from_app(), "A serves on");
    for code in &acknowledged {
        let mut b = f.a.browser();
        b.login(crate::harness::JIRO).await;
        let page = b.get("/_mfa/challenge?method=backup").await;
        let csrf = page.input_value("csrf").unwrap();
        let r = b
            .post_form("/_mfa/challenge", &[("csrf", &csrf), ("backup_code", code)])
            .await;
        assert_eq!(r.status, 422, "an acknowledged code used again on A");
    }
    let status = f.a.account_status(crate::harness::JIRO).await;
    let left = status["backup_codes_left"].as_u64().unwrap() as usize;
    assert!(
        left <= enrolled.backup_codes.len() - acknowledged.len(),
        "{left} left, {} acknowledged",
        acknowledged.len()
    );
    // B restarts on the same database and serves.
    let app = format!("127.0.0.1:{}", f.a.port + 1);
    f.b = Gateway::demo_replica(f.data.path(), &f.pg.url(), Some(&app)).await;
    let mut again = f.b.browser();
    again.cookies = first.cookies.clone();
    assert!(again.get("/").await.came_from_app(), "B serves again");
    println!(
        "B restarted and served {:?} after the kill",
        killed.elapsed()
    );
}

/// PostgreSQL itself frozen (`SIGSTOP` to every one of its processes):
/// both replicas stop serving from memory within max_staleness, answer
/// 503 fast meanwhile, and serve again once it is thawed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_database_fails_closed_within_the_bound_and_recovers() {
    let f = faulty().await;
    let (mut taro, mut on_b) = verified_on_both(&f).await;

    let frozen_processes = f.pg.signal_all(true).unwrap();
    // Thawed whatever happens, or the cluster could never be stopped.
    struct Thaw<'a>(&'a LocalPostgres);
    impl Drop for Thaw<'_> {
        fn drop(&mut self) {
            let _ = self.0.signal_all(false);
        }
    }
    let thaw = Thaw(&f.pg);
    let frozen = Instant::now();
    for (name, b) in [("A", &mut taro), ("B", &mut on_b)] {
        let deadline = Duration::from_secs(30);
        let (refused_at, slowest) = until(b, "/", frozen, deadline, |r| r.status == 503).await;
        println!(
            "database frozen ({frozen_processes} processes): {name} answered 503 {refused_at:?} \
             after (slowest answer {slowest:?})"
        );
        assert!(
            refused_at <= MAX_STALENESS + SLACK,
            "{name}: {refused_at:?}"
        );
    }
    drop(thaw);
    let thawed = Instant::now();
    for (name, b) in [("A", &mut taro), ("B", &mut on_b)] {
        let deadline = Duration::from_secs(30);
        let (back, _) = until(b, "/", thawed, deadline, |r| r.came_from_app()).await;
        println!("database thawed: {name} served again {back:?} after");
        assert!(back <= Duration::from_secs(10), "{name}: {back:?}");
    }
}
