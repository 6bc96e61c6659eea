//! Crash safety (docs/design.md §6): concurrent enrollments, challenges, backup-code
//! uses, replays and wrong codes against `mfa-gate demo` on one data
//! directory, which is killed with SIGKILL at a random moment of each cycle
//! and restarted, at least 20 times. One worker per demo person runs its
//! operations in sequence, so the outcome of every answered request is known
//! exactly and at most one request per person is in doubt at a kill.
//!
//! Invariants checked after every restart, for every person:
//! - an enrollment whose confirmation was answered still exists: a new app
//!   session is challenged (not sent to enrollment, not passed), and the
//!   support API says `enrolled`; an answered reset is not undone either;
//! - an answered lock is still there (navigation answers 423);
//! - the failure count is the answered one (± the one request in doubt);
//!
//! and across all cycles:
//! - no backup code is accepted twice;
//! - no TOTP time step is accepted twice for a person, and none after a
//!   later one.
//!
//! TOTP steps are scarce (each step once per person, only later ones count,
//! ±1 step of skew), so most successes are backup codes; a person whose
//! codes run out is reset through the support API and enrolls again, which
//! also brings a fresh secret and fresh steps.

use crate::harness::{Browser, DEMO_SUPPORT_TOKEN, Gateway, Resp, backup_codes_of, codes};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const CYCLES: usize = 20;
const MAX_FAILURES: u32 = 10;
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

/// Something answered or in doubt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    Yes,
    No,
    Maybe,
}

/// The test's model of one person, from answered requests only.
#[derive(Debug)]
struct Model {
    account: &'static str,
    required: bool,
    enrolled: Known,
    locked: Known,
    /// The answered failure count, and whether the request in doubt may
    /// have added one (`+1`) or reset it (`reset`).
    failures: u32,
    doubt_plus_one: bool,
    doubt_reset: bool,
    /// Secret of the current enrollment (or of the confirmation in doubt).
    secret: Option<Vec<u8>>,
    /// Steps answered as accepted for `secret`, and the highest ever sent.
    steps_accepted: BTreeSet<u64>,
    max_step_sent: u64,
    /// Codes of the current generation never sent, and those answered as
    /// accepted (in any generation) — for replays.
    unused_codes: Vec<String>,
    used_codes: Vec<String>,
}

impl Model {
    fn new(account: &'static str, required: bool) -> Model {
        Model {
            account,
            required,
            enrolled: Known::No,
            locked: Known::No,
            failures: 0,
            doubt_plus_one: false,
            doubt_reset: false,
            secret: None,
            steps_accepted: BTreeSet::new(),
            max_step_sent: 0,
            unused_codes: Vec::new(),
            used_codes: Vec::new(),
        }
    }

    fn worst_failures(&self) -> u32 {
        self.failures + u32::from(self.doubt_plus_one)
    }
}

/// Counters and findings shared by the workers.
#[derive(Default)]
struct Tally {
    operations: AtomicUsize,
    /// Operations whose answers were all received.
    answered: AtomicUsize,
    in_doubt: AtomicUsize,
    enrollments: AtomicUsize,
    backup_accepted: AtomicUsize,
    totp_accepted: AtomicUsize,
    refused_replays: AtomicUsize,
    wrong_codes: AtomicUsize,
    locks: AtomicUsize,
    resets: AtomicUsize,
    violations: std::sync::Mutex<Vec<String>>,
    /// Every backup code ever answered as accepted.
    accepted_codes: std::sync::Mutex<HashSet<String>>,
}

impl Tally {
    fn op(&self) {
        self.operations.fetch_add(1, Ordering::Relaxed);
    }
    fn violation(&self, what: String) {
        eprintln!("VIOLATION: {what}");
        self.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
    }
}

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
    let mut kills = 0;
    for cycle in 0..CYCLES {
        let mut gw = Gateway::demo_on(tmp.path()).await;
        // Invariants first: what was answered before the last kill.
        check_all(&gw, &models, &tally, cycle).await;
        let gw_url = gw.url("");
        let admin_url = gw.admin_url("");
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = models
            .iter()
            .map(|m| {
                let (m, tally, stop) = (m.clone(), tally.clone(), stop.clone());
                let (url, admin) = (gw_url.clone(), admin_url.clone());
                tokio::spawn(async move { worker(url, admin, m, tally, stop).await })
            })
            .collect();
        // Kill at a random moment while the workers are busy: after a
        // random number of answered operations (so a slow machine still
        // gets work done), plus a few milliseconds to land mid-request.
        let target = tally.answered.load(Ordering::SeqCst) + rng.random_range(3..=18);
        let deadline = Instant::now() + Duration::from_secs(5);
        while tally.answered.load(Ordering::SeqCst) < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..40))).await;
        gw.kill();
        kills += 1;
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.await.unwrap();
        }
    }
    // A last restart to check what the last kill left.
    let gw = Gateway::demo_on(tmp.path()).await;
    check_all(&gw, &models, &tally, CYCLES).await;
    let t = &tally;
    let violations = t.violations.lock().unwrap().clone();
    println!(
        "crash test: {} operations ({} requests in doubt at a kill), {kills} kills, {} enrollments, \
         {} backup codes and {} TOTP codes accepted, {} replays refused, {} wrong codes, \
         {} locks, {} resets, {} violations, {:.1} s",
        t.operations.load(Ordering::Relaxed),
        t.in_doubt.load(Ordering::Relaxed),
        t.enrollments.load(Ordering::Relaxed),
        t.backup_accepted.load(Ordering::Relaxed),
        t.totp_accepted.load(Ordering::Relaxed),
        t.refused_replays.load(Ordering::Relaxed),
        t.wrong_codes.load(Ordering::Relaxed),
        t.locks.load(Ordering::Relaxed),
        t.resets.load(Ordering::Relaxed),
        violations.len(),
        started.elapsed().as_secs_f64(),
    );
    assert!(kills >= 20);
    assert!(
        t.enrollments.load(Ordering::Relaxed) >= PERSONS.len()
            && t.backup_accepted.load(Ordering::Relaxed) > 0
            && t.refused_replays.load(Ordering::Relaxed) > 0,
        "the load did too little to mean anything"
    );
    assert!(violations.is_empty(), "{violations:#?}");
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
                check_after_restart(&url, &admin, &mut m, &tally, cycle).await;
            })
        })
        .collect();
    for c in checks {
        c.await.unwrap();
    }
}

/// The support API's view of an account; `None` while the gateway has
/// never seen it (nothing to lose yet).
async fn support_status(admin: &str, account: &str) -> Option<serde_json::Value> {
    let url = format!("{admin}/v1/accounts/{}", account.replace('@', "%40"));
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(DEMO_SUPPORT_TOKEN)
        .send()
        .await
        .expect("admin listener");
    match r.status().as_u16() {
        200 => Some(serde_json::from_str(&r.text().await.unwrap()).unwrap()),
        404 => None,
        s => panic!(
            "status of {account}: {s} {}",
            r.text().await.unwrap_or_default()
        ),
    }
}

/// Compare the restarted gateway with the model, then settle what was in
/// doubt from what the gateway says.
async fn check_after_restart(url: &str, admin: &str, m: &mut Model, tally: &Tally, cycle: usize) {
    let who = m.account;
    let status = support_status(admin, who).await;
    let enrolled = status.as_ref().is_some_and(|s| s["enrolled"] == true);
    let locked = status.as_ref().is_some_and(|s| s["locked"] == true);
    let failures = status
        .as_ref()
        .and_then(|s| s["failures"].as_u64())
        .unwrap_or(0) as u32;
    let v = |what: String| tally.violation(format!("cycle {cycle}, {who}: {what}"));

    match (m.enrolled, enrolled) {
        (Known::Yes, false) => v("an answered enrollment was lost".into()),
        (Known::No, true) => v("an answered reset (or no enrollment) came back".into()),
        _ => {}
    }
    match (m.locked, locked) {
        (Known::Yes, false) => v("an answered lock was lost".into()),
        (Known::No, true) if !m.doubt_plus_one => v("locked without an answered lock".into()),
        _ => {}
    }
    if m.locked != Known::Maybe && m.enrolled != Known::Maybe {
        let ok = failures == m.failures
            || (m.doubt_plus_one && failures == m.failures + 1)
            || (m.doubt_reset && failures == 0);
        if !ok {
            v(format!(
                "failure count {failures}, answered {} (+1 in doubt: {}, reset in doubt: {})",
                m.failures, m.doubt_plus_one, m.doubt_reset
            ));
        }
    }

    // The same through the front door: a new app session of the account.
    let mut b = Browser::new(url.to_owned());
    b.login(who).await;
    let r = b.get("/").await;
    let seen = match (r.status, r.location()) {
        (423, _) => "locked",
        (303, Some(l)) if l.starts_with("/_mfa/challenge") => "challenged",
        (303, Some(l)) if l.starts_with("/_mfa/enroll") => "sent to enrollment",
        (200, _) if r.came_from_app() => "passed",
        _ => "something else",
    };
    let expected = match (locked, enrolled, m.required) {
        (true, _, _) => "locked",
        (false, true, _) => "challenged",
        (false, false, true) => "sent to enrollment",
        (false, false, false) => "passed",
    };
    if seen != expected {
        let known = if status.is_some() {
            "known to"
        } else {
            "unknown to"
        };
        v(format!(
            "a new session was {seen}, expected {expected} (account {known} the support API)"
        ));
    }

    // Settle the doubt with the gateway's word.
    if m.enrolled == Known::Maybe {
        m.enrolled = if enrolled { Known::Yes } else { Known::No };
        if !enrolled {
            m.secret = None;
            m.unused_codes.clear();
        }
    }
    m.locked = if locked { Known::Yes } else { Known::No };
    m.failures = failures;
    m.doubt_plus_one = false;
    m.doubt_reset = false;
}

/// One person's operations, in sequence, until the gateway dies.
async fn worker(
    url: String,
    admin: String,
    m: Arc<Mutex<Model>>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let mut m = m.lock().await;
    let mut s = Session {
        b: Browser::new(url),
        csrf: None,
    };
    // Log in to the (restarted, so forgetful) demo app.
    let Some(r) =
        s.b.try_post_form("/login", &[("email", m.account), ("password", "demo")])
            .await
    else {
        return;
    };
    assert_eq!(r.status, 303, "login of {}", m.account);
    let mut rng = StdRng::from_os_rng();
    let b = &mut s;
    while !stop.load(Ordering::SeqCst) {
        let alive = if m.locked == Known::Yes {
            // Seen locked by this cycle's check (so the lock survived a
            // restart); now lift it.
            unlock(&admin, &mut m, &tally).await
        } else if m.enrolled == Known::No {
            enroll(b, &mut m, &tally).await
        } else {
            let roll: u32 = rng.random_range(0..100);
            let now = codes::now_step();
            let fresh_step = (m.max_step_sent + 1).max(now - 1);
            if m.unused_codes.is_empty() && m.secret.is_none() || roll < 2 {
                reset(&admin, &mut m, &tally).await
            } else if roll < 40 && !m.unused_codes.is_empty() {
                use_backup_code(b, &mut m, &tally).await
            } else if roll < 55 && m.secret.is_some() && fresh_step <= now + 1 {
                fresh_totp(b, &mut m, &tally, fresh_step).await
            } else if roll < 70 && m.worst_failures() < FAILURE_BUDGET {
                replay(b, &mut m, &tally, &mut rng).await
            } else if roll < 88 && m.worst_failures() < FAILURE_BUDGET {
                submit_wrong_code(b, &mut m, &tally).await
            } else if roll < 91 && !m.doubt_plus_one {
                lock_run(b, &mut m, &tally).await
            } else if m.unused_codes.is_empty() {
                reset(&admin, &mut m, &tally).await
            } else {
                use_backup_code(b, &mut m, &tally).await
            }
        };
        if !alive {
            tally.in_doubt.fetch_add(1, Ordering::Relaxed);
            return;
        }
        tally.answered.fetch_add(1, Ordering::SeqCst);
    }
}

/// A worker's app session and its CSRF token (any of our forms carries
/// one; it is bound to the app session, not to a page).
struct Session {
    b: Browser,
    csrf: Option<String>,
}

impl Session {
    async fn csrf(&mut self) -> Option<String> {
        // Any of our forms carries the session's token; which page shows a
        // form depends on the person's state (challenge when enrolled and
        // unverified, enrollment when not enrolled, settings when verified).
        for page in ["/_mfa/challenge", "/_mfa/enroll", "/_mfa/settings"] {
            if self.csrf.is_some() {
                break;
            }
            self.csrf = self.b.try_get(page).await?.input_value("csrf");
        }
        Some(self.csrf.clone().expect("one of our pages has a form"))
    }
}

/// Enroll: returns `false` when the gateway died (the outcome is in doubt).
async fn enroll(s: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    let b = &mut s.b;
    let Some(page) = b.try_get("/_mfa/enroll").await else {
        return false;
    };
    assert_eq!(page.status, 200, "{}: {}", m.account, page.body);
    let Some(uri) = page.href_of("otpauth-link") else {
        // "Already enrolled": the gateway knows better than the model (a
        // violation reported by the check after the restart). Start over.
        tally.violation(format!(
            "{}: enrolled, though the check said not",
            m.account
        ));
        m.enrolled = Known::Yes;
        m.secret = None;
        m.unused_codes.clear();
        return true;
    };
    let secret = codes::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").unwrap();
    let step = codes::now_step();
    let code = codes::code(&secret, step, 6);
    m.enrolled = Known::Maybe;
    m.secret = Some(secret);
    m.steps_accepted.clear();
    m.max_step_sent = step;
    m.unused_codes.clear();
    m.doubt_reset = true;
    let Some(r) = b
        .try_post_form("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
        .await
    else {
        return false;
    };
    m.doubt_reset = false;
    if r.status == 422 && codes::now_step() != step {
        // The step ran out between page and post: not enrolled.
        m.enrolled = Known::No;
        return true;
    }
    if r.status != 200 {
        tally.violation(format!("{}: enrollment answered {}", m.account, r.status));
        m.enrolled = Known::No;
        return true;
    }
    m.enrolled = Known::Yes;
    m.failures = 0;
    m.steps_accepted.insert(step);
    m.unused_codes = backup_codes_of(&r);
    assert_eq!(m.unused_codes.len(), 10);
    tally.enrollments.fetch_add(1, Ordering::Relaxed);
    true
}

/// Submit one proof to the challenge.
async fn submit(s: &mut Session, field: &str, value: &str) -> Option<Resp> {
    let csrf = s.csrf().await?;
    s.b.try_post_form("/_mfa/challenge", &[("csrf", &csrf), (field, value)])
        .await
}

fn accepted(r: &Resp) -> bool {
    r.status == 303 && r.header("set-cookie").is_some()
}

async fn use_backup_code(b: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    let code = m.unused_codes.pop().unwrap();
    m.doubt_reset = true;
    let Some(r) = submit(b, "backup_code", &code).await else {
        // In doubt: maybe used. Never counted as accepted, never sent again.
        return false;
    };
    m.doubt_reset = false;
    if accepted(&r) {
        let fresh = tally
            .accepted_codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(code.clone());
        if !fresh {
            tally.violation(format!("{}: backup code accepted twice", m.account));
        }
        tally.backup_accepted.fetch_add(1, Ordering::Relaxed);
        m.used_codes.push(code);
        m.failures = 0;
    } else {
        tally.violation(format!(
            "{}: an unused backup code was answered {}",
            m.account, r.status
        ));
    }
    true
}

async fn fresh_totp(b: &mut Session, m: &mut Model, tally: &Tally, step: u64) -> bool {
    tally.op();
    let code = codes::code(m.secret.as_ref().unwrap(), step, 6);
    let before = codes::now_step();
    m.max_step_sent = step;
    m.doubt_reset = true;
    let Some(r) = submit(b, "code", &code).await else {
        return false;
    };
    m.doubt_reset = false;
    let after = codes::now_step();
    if accepted(&r) {
        if !m.steps_accepted.insert(step) {
            tally.violation(format!("{}: TOTP step {step} accepted twice", m.account));
        }
        if m.steps_accepted.range(step + 1..).next().is_some() {
            tally.violation(format!(
                "{}: step {step} accepted after a later one",
                m.account
            ));
        }
        tally.totp_accepted.fetch_add(1, Ordering::Relaxed);
        m.failures = 0;
    } else if r.status == 422 && (step + 1 < after || step > before + 1) {
        // The clock moved past the skew window meanwhile: a plain failure.
        m.failures += 1;
    } else {
        tally.violation(format!(
            "{}: a fresh TOTP step was answered {}",
            m.account, r.status
        ));
    }
    true
}

/// Replay a proof that was answered as accepted: a used backup code or an
/// accepted TOTP step. Must be refused (and counts as a failure).
async fn replay(b: &mut Session, m: &mut Model, tally: &Tally, rng: &mut impl Rng) -> bool {
    let totp = m.secret.is_some() && !m.steps_accepted.is_empty() && rng.random_bool(0.5);
    let (field, value, what) = if totp {
        let step = *m.steps_accepted.iter().next_back().unwrap();
        let code = codes::code(m.secret.as_ref().unwrap(), step, 6);
        ("code", code, format!("TOTP step {step}"))
    } else if let Some(code) = m.used_codes.last().cloned() {
        ("backup_code", code, "a used backup code".to_owned())
    } else {
        return submit_wrong_code(b, m, tally).await;
    };
    tally.op();
    m.doubt_plus_one = true;
    let Some(r) = submit(b, field, &value).await else {
        return false;
    };
    m.doubt_plus_one = false;
    if accepted(&r) {
        tally.violation(format!("{}: replayed {what} was accepted", m.account));
        if field == "backup_code" {
            tally.violation(format!("{}: backup code accepted twice", m.account));
        }
        m.failures = 0;
    } else if r.status == 422 {
        tally.refused_replays.fetch_add(1, Ordering::Relaxed);
        m.failures += 1;
    } else {
        tally.violation(format!("{}: replay answered {}", m.account, r.status));
    }
    true
}

/// A code that no step near now accepts (any code before an enrollment).
fn wrong_for(secret: Option<&Vec<u8>>) -> String {
    secret.map_or_else(|| "000000".to_owned(), |s| codes::wrong_code(s))
}

async fn submit_wrong_code(b: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    let code = wrong_for(m.secret.as_ref());
    m.doubt_plus_one = true;
    let Some(r) = submit(b, "code", &code).await else {
        return false;
    };
    m.doubt_plus_one = false;
    tally.wrong_codes.fetch_add(1, Ordering::Relaxed);
    m.failures += 1;
    let expected = if m.failures >= MAX_FAILURES { 423 } else { 422 };
    if r.status != expected {
        tally.violation(format!(
            "{}: wrong code #{} answered {}",
            m.account, m.failures, r.status
        ));
    }
    if r.status == 423 {
        m.locked = Known::Yes;
    }
    true
}

/// Wrong codes until the person is locked (answered 423).
async fn lock_run(b: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    while m.locked != Known::Yes {
        if !submit_wrong_code(b, m, tally).await {
            if m.failures + 1 >= MAX_FAILURES {
                m.locked = Known::Maybe;
            }
            return false;
        }
        if m.failures >= MAX_FAILURES && m.locked != Known::Yes {
            tally.violation(format!(
                "{}: {} failures but no lock",
                m.account, m.failures
            ));
            return true;
        }
    }
    tally.locks.fetch_add(1, Ordering::Relaxed);
    true
}

async fn support(admin: &str, action: &str, account: &str) -> Option<u16> {
    let url = format!(
        "{admin}/v1/accounts/{}/{action}",
        account.replace('@', "%40")
    );
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(DEMO_SUPPORT_TOKEN)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    r.bytes().await.ok()?;
    Some(status)
}

async fn unlock(admin: &str, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    m.locked = Known::Maybe;
    m.doubt_reset = true;
    let Some(status) = support(admin, "unlock", m.account).await else {
        return false;
    };
    assert_eq!(status, 200, "unlock {}", m.account);
    m.locked = Known::No;
    m.failures = 0;
    m.doubt_reset = false;
    true
}

async fn reset(admin: &str, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    m.enrolled = Known::Maybe;
    m.locked = Known::Maybe;
    m.doubt_reset = true;
    let Some(status) = support(admin, "reset", m.account).await else {
        return false;
    };
    assert_eq!(status, 200, "reset {}", m.account);
    tally.resets.fetch_add(1, Ordering::Relaxed);
    m.enrolled = Known::No;
    m.locked = Known::No;
    m.failures = 0;
    m.doubt_reset = false;
    m.secret = None;
    m.unused_codes.clear();
    true
}
