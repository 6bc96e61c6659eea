//! The crash test's bookkeeping: the model of one person built from answered
//! requests only ([`Model`]), the counters and findings shared by the
//! workers ([`Tally`]), and a worker's app session ([`Session`]) whose every
//! request is counted while in flight, so the test can tell a request cut by
//! a kill from one that merely met a dead gateway.

use crate::harness::{Browser, Resp};
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Something answered or in doubt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    Yes,
    No,
    Maybe,
}

/// The test's model of one person, from answered requests only.
#[derive(Debug)]
pub struct Model {
    pub account: &'static str,
    pub required: bool,
    pub enrolled: Known,
    pub locked: Known,
    /// An answered lock stays in place until a restart's check has compared
    /// it with the gateway; only then may the worker lift it.
    pub lock_checked: bool,
    /// The answered failure count, and whether the request in doubt may
    /// have added one (`+1`) or reset it (`reset`).
    pub failures: u32,
    pub doubt_plus_one: bool,
    pub doubt_reset: bool,
    /// Secret of the current enrollment (or of the confirmation in doubt).
    pub secret: Option<Vec<u8>>,
    /// Steps of `secret` answered as accepted, and the highest ever sent.
    pub steps_accepted: BTreeSet<u64>,
    pub max_step_sent: u64,
    /// Backup codes of the current set never sent, and those answered as
    /// accepted (replays use only these: a deleted set proves nothing).
    pub unused_codes: Vec<String>,
    pub used_codes: Vec<String>,
}

impl Model {
    pub fn new(account: &'static str, required: bool) -> Model {
        Model {
            account,
            required,
            enrolled: Known::No,
            locked: Known::No,
            lock_checked: false,
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

    pub fn worst_failures(&self) -> u32 {
        self.failures + u32::from(self.doubt_plus_one)
    }

    /// The enrollment is gone (reset, or a confirmation that did not land):
    /// nothing of it may be replayed as a proof of anything.
    pub fn forget_enrollment(&mut self) {
        self.secret = None;
        self.steps_accepted.clear();
        self.max_step_sent = 0;
        self.unused_codes.clear();
        self.used_codes.clear();
    }
}

/// Counters and findings shared by the workers.
#[derive(Default)]
pub struct Tally {
    pub operations: AtomicUsize,
    /// Operations whose answers were all received.
    pub answered: AtomicUsize,
    /// Operations cut short by a kill (their outcome is in doubt).
    pub in_doubt: AtomicUsize,
    /// Requests on their way right now.
    pub in_flight: AtomicUsize,
    /// Requests sent before a kill was decided and never answered.
    pub cut: AtomicUsize,
    /// Kills that cut at least one request.
    pub cutting_kills: AtomicUsize,
    /// Set just before the kill: requests started later are not "cut".
    pub killing: AtomicBool,
    pub enrollments: AtomicUsize,
    /// Enrollments started and not yet answered (or cut): the slowest
    /// operation (Argon2id over ten backup codes), which a kill timed by
    /// the count of answered operations would otherwise cut every time.
    pub enrolling: AtomicUsize,
    pub backup_accepted: AtomicUsize,
    pub totp_accepted: AtomicUsize,
    /// Replays (same step, earlier step, used backup code) refused while
    /// the gateway ran, and after a restart (per kind).
    pub refused_replays: AtomicUsize,
    pub refused_earlier_steps: AtomicUsize,
    pub restart_totp_replays: AtomicUsize,
    pub restart_backup_replays: AtomicUsize,
    pub wrong_codes: AtomicUsize,
    pub locks: AtomicUsize,
    /// Answered locks compared with a restarted gateway.
    pub locks_checked: AtomicUsize,
    pub resets: AtomicUsize,
    pub violations: std::sync::Mutex<Vec<String>>,
}

/// Counts one in `counter` while it lives.
pub struct Pending<'a>(&'a AtomicUsize);

impl<'a> Pending<'a> {
    pub fn new(counter: &'a AtomicUsize) -> Pending<'a> {
        counter.fetch_add(1, Ordering::SeqCst);
        Pending(counter)
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Tally {
    pub fn op(&self) {
        self.operations.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn violation(&self, what: String) {
        eprintln!("VIOLATION: {what}");
        self.violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
    }

    /// Runs one request, counted in flight; a request that started before
    /// the kill was decided and got no answer counts as cut.
    pub async fn flying<T>(&self, request: impl Future<Output = Option<T>>) -> Option<T> {
        let before_kill = !self.killing.load(Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let answer = request.await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if answer.is_none() && before_kill {
            self.cut.fetch_add(1, Ordering::SeqCst);
        }
        answer
    }
}

/// A worker's app session and its CSRF token (any of our forms carries
/// one; it is bound to the app session, not to a page).
pub struct Session {
    pub b: Browser,
    csrf: Option<String>,
    tally: Arc<Tally>,
}

impl Session {
    pub fn new(url: String, tally: Arc<Tally>) -> Session {
        Session {
            b: Browser::new(url),
            csrf: None,
            tally,
        }
    }

    pub async fn get(&mut self, path: &str) -> Option<Resp> {
        self.tally.flying(self.b.try_get(path)).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Option<Resp> {
        self.tally.flying(self.b.try_post_form(path, fields)).await
    }

    pub async fn csrf(&mut self) -> Option<String> {
        // Which page shows a form depends on the person's state (challenge
        // when enrolled and unverified, enrollment when not enrolled,
        // settings when verified).
        for page in ["/_mfa/challenge", "/_mfa/enroll", "/_mfa/settings"] {
            if self.csrf.is_some() {
                break;
            }
            self.csrf = self.get(page).await?.input_value("csrf");
        }
        Some(self.csrf.clone().expect("one of our pages has a form"))
    }

    /// Submit one proof to the challenge.
    pub async fn submit(&mut self, field: &str, value: &str) -> Option<Resp> {
        let csrf = self.csrf().await?;
        self.post("/_mfa/challenge", &[("csrf", &csrf), (field, value)])
            .await
    }
}

/// A challenge answer that accepted the proof (redirect plus the cookie).
pub fn accepted(r: &Resp) -> bool {
    r.status == 303 && r.header("set-cookie").is_some()
}
