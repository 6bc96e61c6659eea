//! Crash safety (docs/design.md §6): concurrent enrollments, challenges, backup-code
//! uses, replays and wrong codes against `mfa-gate demo` on one data
//! directory, which is killed with SIGKILL at a random moment of each cycle,
//! while requests are in flight, and restarted. One worker per demo person
//! runs its operations in sequence (`ops.rs`), so the outcome of every
//! answered request is known exactly and at most one request per person is
//! in doubt at a kill (`model.rs`).
//!
//! Invariants checked after every restart, for every person (`check.rs`):
//! - an enrollment whose confirmation was answered still exists: a new app
//!   session is challenged (not sent to enrollment, not passed), and the
//!   support API says `enrolled`; an answered reset is not undone either;
//! - an answered lock is still there: a lock answered (423) stays in place
//!   until the next restart has compared it, and only then is lifted;
//! - the failure count is the answered one (± the one request in doubt);
//! - the last accepted TOTP step of the current enrollment (while inside the
//!   skew window, so only a replay refusal can refuse it) and the last used
//!   backup code of the current set are refused when replayed;
//!
//! and while the gateway runs: no replayed step, step before an accepted
//! one, or used backup code is accepted; an answered lock is enforced.
//!
//! The run must mean something: at least `CYCLES` kills land while
//! requests are in flight (some request sent before the kill gets no
//! answer; one whose answer was already on its way is not cut, which a
//! busy machine makes common), and locks,
//! resets, replays after a restart (both kinds) are each seen at least once,
//! and every person enrolls. The test cycles at least `CYCLES` times and
//! on, up to `MAX_CYCLES`, until all of that was seen: how much one cycle
//! does depends on the cores and the load, which must not decide the
//! verdict. Every failure message carries all counters and the time.
//!
//! TOTP steps are scarce (each step once per person, only later ones count,
//! ±1 step of skew), so most successes are backup codes; a person whose
//! codes run out is reset through the support API and enrolls again, which
//! also brings a fresh secret and fresh steps.

mod check;
mod model;
mod ops;

use crate::harness::Gateway;
use model::{Model, Tally};
use rand::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Kill cycles at least, and at most: past the minimum the test keeps
/// cycling while the load has not yet done all that makes it meaningful
/// (see `meaningful`), and fails only at the cap. How much gets done per
/// cycle depends on the core count and on what else the machine runs.
const CYCLES: usize = 20;
const MAX_CYCLES: usize = 60;
/// Every this many cycles, the kill waits until no enrollment is pending
/// (at most `ENROLLMENT_WAIT`), so that slow enrollments are also answered
/// sometimes, not always cut.
const PATIENT_EVERY: usize = 3;
const ENROLLMENT_WAIT: Duration = Duration::from_secs(30);
const MAX_FAILURES: u32 = 10;
/// The demo's `totp.skew`: steps accepted on either side of now.
const SKEW: u64 = 1;
/// Wrong codes are only sent while the count (plus the request in doubt)
/// stays below this, except in a deliberate lock run.
const FAILURE_BUDGET: u32 = 6;

/// (account, required by its company's policy). One account per person.
const PERSONS: [(&str, bool); 7] = [
    ("hanako@acme.example", false),
    ("jiro@acme.example", false),
    ("manager@acme.example", false),
    ("cand@acme.example", false),
    ("taro@globex.example", true),
    ("kei.admin@globex.example", true),
    ("cand@globex.example", false),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_state_survives_sigkill_at_random_moments() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let tally = Arc::new(Tally::default());
    let models: Vec<Arc<Mutex<Model>>> = PERSONS
        .iter()
        .map(|(a, r)| Arc::new(Mutex::new(Model::new(a, *r))))
        .collect();
    let mut rng = rand::rng();
    // Per kill: requests in flight when it was sent, and requests it cut.
    let mut kills: Vec<(usize, usize)> = Vec::new();
    let mut cycle = 0;
    while cycle < CYCLES || (cycle < MAX_CYCLES && !missing(&tally).is_empty()) {
        let mut gw = Gateway::demo_on(tmp.path()).await;
        // Invariants first: what was answered before the last kill.
        check_all(&gw, &models, &tally, cycle).await;
        tally.killing.store(false, Ordering::SeqCst);
        let cut_before = tally.cut.load(Ordering::SeqCst);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = models
            .iter()
            .map(|m| {
                let (m, tally, stop) = (m.clone(), tally.clone(), stop.clone());
                let (url, admin) = (gw.url(""), gw.admin_url(""));
                tokio::spawn(async move { ops::worker(url, admin, m, tally, stop).await })
            })
            .collect();
        // Kill at a random moment while the workers are busy: after a
        // random number of answered operations (so a slow machine still
        // gets work done), plus a few milliseconds, and once a request is
        // on its way.
        let target = tally.answered.load(Ordering::SeqCst) + rng.random_range(3..=18);
        let deadline = Instant::now() + Duration::from_secs(5);
        while tally.answered.load(Ordering::SeqCst) < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if cycle % PATIENT_EVERY == PATIENT_EVERY - 1 {
            let deadline = Instant::now() + ENROLLMENT_WAIT;
            while tally.enrolling.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..40))).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while tally.in_flight.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        tally.killing.store(true, Ordering::SeqCst);
        let flying = tally.in_flight.load(Ordering::SeqCst);
        gw.kill();
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.await.unwrap();
        }
        let cut = tally.cut.load(Ordering::SeqCst) - cut_before;
        if cut > 0 {
            Tally::count(&tally.cutting_kills);
        }
        kills.push((flying, cut));
        cycle += 1;
    }
    // A last restart to check what the last kill left.
    let gw = Gateway::demo_on(tmp.path()).await;
    check_all(&gw, &models, &tally, cycle).await;
    let summary = summary(&tally, kills.len(), started);
    println!("{summary}");
    let violations = tally.violations.lock().unwrap().clone();
    assert!(violations.is_empty(), "{violations:#?}\n{summary}");
    // Each kill was sent while requests were in flight (enough of them cut
    // one: see `missing`).
    assert!(
        kills.iter().all(|&(flying, _)| flying > 0),
        "(in flight, cut) per kill: {kills:?}\n{summary}"
    );
    let missing = missing(&tally);
    assert!(
        missing.is_empty(),
        "the load did too little to mean anything in {cycle} cycles (at most {MAX_CYCLES}): \
         {missing:?} missing\n{summary}"
    );
}

/// What the load must have done for the run to mean anything, and has
/// not done yet.
fn missing(t: &Tally) -> Vec<&'static str> {
    let n = |c: &std::sync::atomic::AtomicUsize| c.load(Ordering::Relaxed);
    let meaningful = [
        ("kills cutting a request", n(&t.cutting_kills) >= CYCLES),
        ("enrollments", n(&t.enrollments) >= PERSONS.len()),
        ("backup codes accepted", n(&t.backup_accepted) > 0),
        ("TOTP codes accepted", n(&t.totp_accepted) > 0),
        ("replays refused", n(&t.refused_replays) > 0),
        ("locks", n(&t.locks) > 0),
        ("locks compared after a restart", n(&t.locks_checked) > 0),
        ("resets", n(&t.resets) > 0),
        ("requests in doubt", n(&t.in_doubt) > 0),
        (
            "TOTP replays after a restart",
            n(&t.restart_totp_replays) > 0,
        ),
        (
            "backup replays after a restart",
            n(&t.restart_backup_replays) > 0,
        ),
    ];
    meaningful
        .iter()
        .filter(|(_, done)| !done)
        .map(|(what, _)| *what)
        .collect()
}

/// Every counter of the run and its elapsed time, for the log and for
/// every failure message (so that a loaded machine and a broken gateway
/// can be told apart).
fn summary(t: &Tally, kills: usize, started: Instant) -> String {
    let n = |c: &std::sync::atomic::AtomicUsize| c.load(Ordering::Relaxed);
    format!(
        "crash test: {} operations ({} in doubt), {} kills ({} cutting) cutting {} requests, {} enrollments, \
         {} backup codes and {} TOTP codes accepted; refused: {} replays, {} earlier steps, \
         {} TOTP and {} backup replays after a restart; {} wrong codes, {} locks ({} compared \
         after a restart), {} resets, {} violations, {:.1} s",
        n(&t.operations),
        n(&t.in_doubt),
        kills,
        n(&t.cutting_kills),
        n(&t.cut),
        n(&t.enrollments),
        n(&t.backup_accepted),
        n(&t.totp_accepted),
        n(&t.refused_replays),
        n(&t.refused_earlier_steps),
        n(&t.restart_totp_replays),
        n(&t.restart_backup_replays),
        n(&t.wrong_codes),
        n(&t.locks),
        n(&t.locks_checked),
        n(&t.resets),
        t.violations.lock().unwrap().len(),
        started.elapsed().as_secs_f64(),
    )
}

/// Check every person at once (each against its own model).
async fn check_all(gw: &Gateway, models: &[Arc<Mutex<Model>>], tally: &Arc<Tally>, cycle: usize) {
    // The admin listener may come up a moment after the gateway.
    gw.admin("GET", "/metrics", None).await;
    let checks: Vec<_> = models
        .iter()
        .map(|m| {
            let (m, tally) = (m.clone(), tally.clone());
            let (url, admin) = (gw.url(""), gw.admin_url(""));
            tokio::spawn(async move {
                let mut m = m.lock().await;
                check::check_after_restart(&url, &admin, &mut m, &tally, cycle).await;
            })
        })
        .collect();
    for c in checks {
        c.await.unwrap();
    }
}
