//! One person's operations in the crash test, in sequence, until the gateway
//! dies: enrollment, backup codes, fresh TOTP steps, replays (same step, an
//! earlier step, a used backup code), wrong codes, lock runs, and support's
//! unlock and reset. Each operation updates the model from its answers only;
//! a request without an answer leaves its effect in doubt.

use super::model::{Known, Model, Pending, Session, Tally, accepted};
use super::{FAILURE_BUDGET, MAX_FAILURES, SKEW};
use crate::harness::{DEMO_SUPPORT_TOKEN, backup_codes_of, codes};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;

/// One person's operations, in sequence, until the gateway dies.
pub async fn worker(
    url: String,
    admin: String,
    m: Arc<Mutex<Model>>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let mut m = m.lock().await;
    let mut s = Session::new(url, tally.clone());
    // Log in to the (restarted, so forgetful) demo app.
    let login = [("email", m.account), ("password", "demo")];
    let Some(r) = s.post("/login", &login).await else {
        return;
    };
    assert_eq!(r.status, 303, "login of {}", m.account);
    let mut rng = StdRng::from_os_rng();
    let (s, t) = (&mut s, &*tally);
    while !stop.load(Ordering::SeqCst) {
        let alive = if m.locked == Known::Yes && m.lock_checked {
            // The lock survived a restart (the check compared it): lift it.
            unlock(&admin, &mut m, t).await
        } else if m.locked == Known::Yes {
            // An answered lock stays until the next restart's check.
            probe_locked(s, &mut m, t).await
        } else if m.enrolled == Known::No {
            enroll(s, &mut m, t).await
        } else {
            let roll: u32 = rng.random_range(0..100);
            let now = codes::now_step();
            let fresh_step = (m.max_step_sent + 1).max(now - SKEW);
            let can_fail = m.worst_failures() < FAILURE_BUDGET;
            if m.unused_codes.is_empty() && m.secret.is_none() || roll < 3 {
                reset(&admin, &mut m, t).await
            } else if roll < 35 && !m.unused_codes.is_empty() {
                use_backup_code(s, &mut m, t).await
            } else if roll < 55 && m.secret.is_some() && fresh_step <= now + SKEW {
                fresh_totp(s, &mut m, t, fresh_step).await
            } else if roll < 72 && can_fail {
                replay(s, &mut m, t, &mut rng).await
            } else if roll < 84 && can_fail {
                submit_wrong_code(s, &mut m, t).await
            } else if roll < 91 && !m.doubt_plus_one {
                lock_run(s, &mut m, t).await
            } else if m.unused_codes.is_empty() {
                reset(&admin, &mut m, t).await
            } else {
                use_backup_code(s, &mut m, t).await
            }
        };
        if !alive {
            tally.in_doubt.fetch_add(1, Ordering::Relaxed);
            return;
        }
        tally.answered.fetch_add(1, Ordering::SeqCst);
    }
}

/// Enroll: returns `false` when the gateway died (the outcome is in doubt).
async fn enroll(s: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    let _pending = Pending::new(&tally.enrolling);
    let Some(page) = s.get("/_mfa/enroll").await else {
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
        m.forget_enrollment();
        return true;
    };
    let secret = codes::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").expect("enrollment form");
    let step = codes::now_step();
    let code = codes::code(&secret, step, 6);
    m.enrolled = Known::Maybe;
    m.forget_enrollment();
    m.secret = Some(secret);
    m.max_step_sent = step;
    m.doubt_reset = true;
    let Some(r) = s
        .post("/_mfa/enroll", &[("csrf", &csrf), ("code", &code)])
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
    Tally::count(&tally.enrollments);
    true
}

async fn use_backup_code(s: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    let code = m.unused_codes.pop().expect("an unused backup code");
    m.doubt_reset = true;
    let Some(r) = s.submit("backup_code", &code).await else {
        // In doubt: maybe used. Never counted as accepted, never sent again.
        return false;
    };
    m.doubt_reset = false;
    if accepted(&r) {
        Tally::count(&tally.backup_accepted);
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

async fn fresh_totp(s: &mut Session, m: &mut Model, tally: &Tally, step: u64) -> bool {
    tally.op();
    let code = codes::code(m.secret.as_ref().expect("a secret"), step, 6);
    let before = codes::now_step();
    m.max_step_sent = step;
    m.doubt_reset = true;
    let Some(r) = s.submit("code", &code).await else {
        return false;
    };
    m.doubt_reset = false;
    let after = codes::now_step();
    if accepted(&r) {
        m.steps_accepted.insert(step);
        Tally::count(&tally.totp_accepted);
        m.failures = 0;
    } else if r.status == 422 && (step + SKEW < after || step > before + SKEW) {
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

/// The proofs a replay may send now: the last accepted step and the one
/// before it while inside the skew window (refused as a replay, not for
/// their age), and the last used backup code of the current set.
pub enum Replay {
    SameStep(u64),
    EarlierStep(u64),
    BackupCode(String),
}

impl Replay {
    /// What may be replayed for `m` as of time step `now`.
    pub fn candidates(m: &Model, now: u64) -> Vec<Replay> {
        let mut out = Vec::new();
        if let (Some(_), Some(&last)) = (&m.secret, m.steps_accepted.last()) {
            if last + SKEW >= now {
                out.push(Replay::SameStep(last));
            }
            if last >= 1 && last - 1 + SKEW >= now && !m.steps_accepted.contains(&(last - 1)) {
                out.push(Replay::EarlierStep(last - 1));
            }
        }
        if let Some(code) = m.used_codes.last() {
            out.push(Replay::BackupCode(code.clone()));
        }
        out
    }

    /// The form field and value to submit.
    pub fn field(&self, m: &Model) -> (&'static str, String) {
        let secret = m.secret.as_deref().unwrap_or_default();
        match self {
            Replay::SameStep(step) | Replay::EarlierStep(step) => {
                ("code", codes::code(secret, *step, 6))
            }
            Replay::BackupCode(code) => ("backup_code", code.clone()),
        }
    }

    /// A TOTP replay's step, whose age could also refuse it.
    pub fn step(&self) -> Option<u64> {
        match self {
            Replay::SameStep(step) | Replay::EarlierStep(step) => Some(*step),
            Replay::BackupCode(_) => None,
        }
    }
}

/// Replay a proof that was answered as accepted (or a step before one):
/// must be refused, and counts as a failure.
async fn replay(s: &mut Session, m: &mut Model, tally: &Tally, rng: &mut impl Rng) -> bool {
    let mut candidates = Replay::candidates(m, codes::now_step());
    if candidates.is_empty() {
        return submit_wrong_code(s, m, tally).await;
    }
    let chosen = candidates.swap_remove(rng.random_range(0..candidates.len()));
    let (field, value) = chosen.field(m);
    tally.op();
    m.doubt_plus_one = true;
    let Some(r) = s.submit(field, &value).await else {
        return false;
    };
    m.doubt_plus_one = false;
    let aged_out = chosen
        .step()
        .is_some_and(|st| st + SKEW < codes::now_step());
    if accepted(&r) {
        let what = match chosen {
            Replay::SameStep(st) => format!("TOTP step {st} accepted twice"),
            Replay::EarlierStep(st) => format!("TOTP step {st} accepted after a later one"),
            Replay::BackupCode(_) => "backup code accepted twice".to_owned(),
        };
        tally.violation(format!("{}: {what}", m.account));
        m.failures = 0;
    } else if r.status == 422 {
        m.failures += 1;
        if !aged_out {
            let counter = match chosen {
                Replay::EarlierStep(_) => &tally.refused_earlier_steps,
                _ => &tally.refused_replays,
            };
            Tally::count(counter);
        }
    } else {
        tally.violation(format!("{}: replay answered {}", m.account, r.status));
    }
    true
}

/// A code that no step near now accepts (any code before an enrollment).
fn wrong_for(secret: Option<&Vec<u8>>) -> String {
    secret.map_or_else(|| "000000".to_owned(), |s| codes::wrong_code(s))
}

async fn submit_wrong_code(s: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    let code = wrong_for(m.secret.as_ref());
    m.doubt_plus_one = true;
    let Some(r) = s.submit("code", &code).await else {
        return false;
    };
    m.doubt_plus_one = false;
    Tally::count(&tally.wrong_codes);
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
        m.lock_checked = false;
    }
    true
}

/// Wrong codes until the person is locked (answered 423).
async fn lock_run(s: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    while m.locked != Known::Yes {
        if !submit_wrong_code(s, m, tally).await {
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
    Tally::count(&tally.locks);
    true
}

/// A locked person navigates: the answered lock must be enforced (423).
async fn probe_locked(s: &mut Session, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    let Some(r) = s.get("/").await else {
        return false;
    };
    if r.status != 423 {
        tally.violation(format!(
            "{}: locked, but a navigation was answered {}",
            m.account, r.status
        ));
    }
    // Pace the probes: a locked person should not crowd out the others.
    tokio::time::sleep(Duration::from_millis(20)).await;
    true
}

async fn support(admin: &str, action: &str, account: &str, tally: &Tally) -> Option<u16> {
    let url = format!(
        "{admin}/v1/accounts/{}/{action}",
        account.replace('@', "%40")
    );
    let request = async {
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
    };
    tally.flying(request).await
}

async fn unlock(admin: &str, m: &mut Model, tally: &Tally) -> bool {
    tally.op();
    m.locked = Known::Maybe;
    m.doubt_reset = true;
    let Some(status) = support(admin, "unlock", m.account, tally).await else {
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
    let Some(status) = support(admin, "reset", m.account, tally).await else {
        return false;
    };
    assert_eq!(status, 200, "reset {}", m.account);
    Tally::count(&tally.resets);
    m.enrolled = Known::No;
    m.locked = Known::No;
    m.failures = 0;
    m.doubt_reset = false;
    m.forget_enrollment();
    true
}
