//! Proving possession of the second factor, shared by the challenge and the
//! settings page (disable, regenerate). Checking a code and recording the
//! result — the accepted step, the used backup code, or the failure and the
//! lock it may cause — is one compare-and-swap on the person's record, so
//! racing requests can neither reuse a code nor slip past `max_failures`.
//! The expensive part (one Argon2id hash) runs before, off the async threads.
//! A passkey's answer is checked by the WebAuthn library before too (against
//! the ceremony sealed in the form); the atomic update then refuses a used
//! ceremony and a sign counter that did not move, like a used TOTP step.

use crate::access::audit;
use crate::access::decision::needs_passkey;
use crate::access::services::Services;
use crate::domain::{
    AuditEvent, AuditKind, Factor, Passkey, PersonKey, PersonRecord, Purpose, UsedCeremony,
};
use crate::factors::backup_codes;
use crate::factors::passkey::{Assertion, Ceremony, Challenge, Kind, Refusal, accept_assertion};
use crate::factors::totp;
use crate::pages::Form;
use crate::pages::SessionCtx;
use crate::pages::common::open_secret;
use crate::pages::error::PageError;
use crate::store::{StoreError, Update};
use webauthn_rs::prelude::AuthenticationResult;

/// What the user typed, or what their passkey answered.
pub enum Proof {
    Totp(String),
    Backup(String),
    Passkey(Box<PasskeyAnswer>),
}

/// A passkey's answer to the ceremony sealed in the same form, as the
/// library judged it.
pub struct PasskeyAnswer {
    result: Result<AuthenticationResult, Refusal>,
    nonce: [u8; 16],
    expires_at: i64,
}

/// What a form submitted as its proof.
pub enum Submitted {
    Proof(Proof),
    /// No code and no passkey answer.
    Nothing,
    /// A passkey answer whose ceremony expired or is not this session's:
    /// not counted as a failure (the page just waited too long).
    Stale,
}

/// Read the proof of a form: a passkey answer (`passkey_answer`, with the
/// `ceremony` it answers, checked against `record`'s keys) when there is
/// one, else a code.
pub fn read_proof(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    form: &Form,
    now: i64,
) -> Submitted {
    let Some(answer) = form.get("passkey_answer").filter(|a| !a.is_empty()) else {
        return match Proof::from_form(form) {
            Some(proof) => Submitted::Proof(proof),
            None => Submitted::Nothing,
        };
    };
    let key = sess.identity.person_key();
    let opened = form.get("ceremony").and_then(|token| {
        Ceremony::<Challenge>::open(ctx.keys, Kind::Authenticate, &sess.app, &key, token, now)
    });
    let (Some(passkeys), Some(ceremony)) = (ctx.passkeys.as_ref(), opened) else {
        return Submitted::Stale;
    };
    let result = passkeys.finish_authentication(answer, &ceremony.state, &record.passkeys);
    if let Err(e) = &result {
        tracing::info!(error = %e, "passkey answer refused");
    }
    Submitted::Proof(Proof::Passkey(Box::new(PasskeyAnswer {
        result,
        nonce: ceremony.nonce,
        expires_at: ceremony.expires_at,
    })))
}

/// Whether codes are refused for this person: their company accepts only a
/// passkey of its staff, the *person* is staff (this account, or a linked
/// one: a candidate account must not be the way around it), and they have
/// a passkey. (Without one, a code is how they prove themselves before
/// registering it.)
pub fn codes_refused(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Result<bool, StoreError> {
    if !record.has_passkey() {
        return Ok(false);
    }
    let policy = ctx.enforcement(sess.identity.company())?;
    Ok(needs_passkey(sess.identity.class(), policy)
        || (policy.passkey_only() && record.staff_account))
}

impl Proof {
    /// `backup_code` wins when filled in; `None` when both are empty.
    pub fn from_form(form: &Form) -> Option<Proof> {
        let filled = |name| form.get(name).map(str::trim).filter(|v| !v.is_empty());
        match (filled("backup_code"), filled("code")) {
            (Some(b), _) => Some(Proof::Backup(b.to_owned())),
            (None, Some(c)) => Some(Proof::Totp(c.to_owned())),
            (None, None) => None,
        }
    }

    pub fn is_backup(&self) -> bool {
        matches!(self, Proof::Backup(_))
    }

    pub fn is_passkey(&self) -> bool {
        matches!(self, Proof::Passkey(_))
    }

    pub fn factor(&self) -> Factor {
        match self {
            Proof::Totp(_) => Factor::Totp,
            Proof::Backup(_) => Factor::BackupCode,
            Proof::Passkey(_) => Factor::Passkey,
        }
    }
}

/// How one submission ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// This failure reached `max_failures`.
    LockedNow,
    /// Already locked: refused whatever the code.
    Locked,
    /// The enrollment changed or vanished meanwhile.
    NotEnrolled,
}

/// Decides, on the record as it is at the moment of the atomic update,
/// whether the proof holds and what it changes.
type Check = Box<dyn Fn(&PersonRecord) -> Option<Change> + Send>;

/// What a passed proof does besides recording itself (disable, new backup
/// codes, …), in the same update.
pub type Then<'a> = &'a mut (dyn FnMut(&mut PersonRecord) + Send);

/// Check `proof` for the person of `sess`, whose record was `record` when
/// read, and record the outcome atomically. On success `then` also runs on
/// the record in the same update. Every outcome is audited with the proof's
/// factor and its `purpose`.
pub async fn verify_and_apply(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
    now: i64,
    purpose: Purpose,
    then: Then<'_>,
) -> Result<Outcome, PageError> {
    let key = sess.identity.person_key();
    let Some(enrollment_id) = record.second_step_id() else {
        return Ok(Outcome::NotEnrolled);
    };
    // Cheap before expensive: a locked person's attempt costs no hash.
    if record.is_locked() {
        return Ok(Outcome::Locked);
    }
    let check = prepare_check(ctx, &key, record, proof, now).await?;
    let attempt = Attempt {
        sess,
        enrollment_id,
        now,
        max_failures: ctx.config.max_failures,
    };
    // The outcome, the account's index and the audit events are made
    // durable together, by one flush, before the answer.
    let mut recorded = None;
    ctx.store.with_one_flush(&mut || {
        let result = attempt.record(ctx, &key, &check, &mut *then);
        if let Ok((outcome, backup_left)) = result {
            // Index the account whatever the outcome, so support finds a
            // linked account that only ever failed (and got its person
            // locked).
            if let Err(e) = ctx.store.link_account(sess.identity.account(), &key) {
                tracing::warn!(error = %e, "could not index account");
            }
            let how = How {
                factor: proof.factor(),
                purpose,
                backup_left,
            };
            audit_outcome(ctx, sess, outcome, &how, now);
            if outcome == Outcome::LockedNow {
                end_remembered_trust(ctx, sess, &key, now);
            }
        }
        recorded = Some(result);
    })?;
    let recorded = recorded.ok_or(StoreError::Engine("the writes did not run".into()))?;
    Ok(recorded?.0)
}

/// A lock ends the trust of every remembered browser of the person (DESIGN
/// §9): an unlock lifts the lock, not the suspicion that a browser's
/// cookie was stolen, so none vouches again. Made durable with the lock.
fn end_remembered_trust(ctx: &Services<'_>, sess: &SessionCtx, key: &PersonKey, now: i64) {
    let by = crate::access::remember::ForgetBy::User(&sess.identity);
    if let Err(e) = crate::access::remember::forget(ctx.store.as_ref(), key, None, by, "lock", now)
    {
        tracing::error!(error = %e, "a lock could not forget the remembered browsers");
    }
}

/// One submission, as the atomic update needs it.
struct Attempt<'a> {
    sess: &'a SessionCtx,
    enrollment_id: u64,
    now: i64,
    max_failures: u32,
}

impl Attempt<'_> {
    /// Check and record in one compare-and-swap on the person's record:
    /// the accepted step or used code, or the failure and the lock it may
    /// cause.
    fn record(
        &self,
        ctx: &Services<'_>,
        key: &PersonKey,
        check: &Check,
        then: Then<'_>,
    ) -> Result<(Outcome, Option<usize>), PageError> {
        let mut outcome = Outcome::Failed;
        let mut backup_left = None;
        let store = ctx.store.as_ref();
        let change = crate::notify::Change::by_user(&self.sess.identity, &self.sess.whence);
        let notify = ctx.config.notify.as_ref();
        crate::notify::update_person(store, notify, key, &change, &mut |current| {
            let enrolled = |r: &&PersonRecord| r.second_step_id() == Some(self.enrollment_id);
            let Some(rec) = current.filter(enrolled) else {
                outcome = Outcome::NotEnrolled;
                return Update::Keep;
            };
            if rec.is_locked() {
                outcome = Outcome::Locked;
                // Still noted: the account is indexed below, and support
                // lists the same linked accounts whichever one it asks.
                if rec.knows_account(&self.sess.identity) {
                    return Update::Keep;
                }
                let mut next = rec.clone();
                next.note_account(&self.sess.identity);
                return Update::Put(next);
            }
            let mut next = rec.clone();
            backup_left = None;
            outcome = match check(rec) {
                Some(change) => {
                    if let Change::UseBackupCode(_) = change {
                        backup_left = Some(0);
                    }
                    self.pass(&mut next, change, then)
                }
                None => self.fail(&mut next),
            };
            if backup_left.is_some() {
                backup_left = next.backup_codes.as_ref().map(|s| s.remaining());
            }
            Update::Put(next)
        })?;
        Ok((outcome, backup_left))
    }

    fn pass(&self, next: &mut PersonRecord, change: Change, then: Then<'_>) -> Outcome {
        change.apply(next);
        next.failures = 0;
        next.note_account(&self.sess.identity);
        then(next);
        Outcome::Passed
    }

    fn fail(&self, next: &mut PersonRecord) -> Outcome {
        // Noted like a pass: the account is indexed whatever the outcome.
        next.note_account(&self.sess.identity);
        next.failures = next.failures.saturating_add(1);
        if next.failures >= self.max_failures {
            next.locked_at = Some(self.now);
            // Every gateway cookie made so far stops counting: an unlock
            // does not bring back what a thief may hold.
            next.trust_epoch = next.trust_epoch.saturating_add(1);
            Outcome::LockedNow
        } else {
            Outcome::Failed
        }
    }
}

/// How a proof was made, as its audit event tells it.
struct How {
    factor: Factor,
    purpose: Purpose,
    /// A backup code was used: how many of the set are left now.
    backup_left: Option<usize>,
}

/// The audit events of one outcome (none when nothing was checked). A
/// used backup code says how many are left ("3 left"), never which one.
fn audit_outcome(ctx: &Services<'_>, sess: &SessionCtx, outcome: Outcome, how: &How, now: i64) {
    let store = ctx.store.as_ref();
    let event = |kind| {
        AuditEvent::by_user(&sess.identity, kind, now)
            .with_method(how.factor)
            .with_purpose(how.purpose)
    };
    match outcome {
        Outcome::Passed if how.factor == Factor::BackupCode => {
            let left = how.backup_left.unwrap_or(0);
            let event = event(AuditKind::BackupCodeUsed).with_note(format!("{left} left"));
            audit::record(store, event)
        }
        Outcome::Passed => audit::record(store, event(AuditKind::ChallengePassed)),
        Outcome::Failed => audit::record(store, event(AuditKind::ChallengeFailed)),
        Outcome::LockedNow => {
            audit::record(store, event(AuditKind::ChallengeFailed));
            audit::record(store, event(AuditKind::Locked));
        }
        Outcome::Locked | Outcome::NotEnrolled => {}
    }
}

/// The `Check` of `proof`, with its expensive part done now, before the
/// atomic update: a backup code's hash, the TOTP secret opened.
async fn prepare_check(
    ctx: &Services<'_>,
    key: &PersonKey,
    record: &PersonRecord,
    proof: &Proof,
    now: i64,
) -> Result<Check, PageError> {
    Ok(match proof {
        Proof::Backup(attempt) => backup_check(ctx, key, record, attempt).await?,
        // Passkeys only: a code is wrong (and counts), whatever it is.
        Proof::Totp(_) if record.enrollment.is_none() => Box::new(|_: &PersonRecord| None),
        Proof::Totp(code) => totp_check(ctx, key, record, code, now)?,
        Proof::Passkey(answer) => passkey_check(answer, now),
    })
}

/// A backup code: found in the set (its sealed digest opened; a set
/// written before v2, by its Argon2id hash on the hash pool), then
/// accepted when that set is still the one and the code unused.
async fn backup_check(
    ctx: &Services<'_>,
    key: &PersonKey,
    record: &PersonRecord,
    attempt: &str,
) -> Result<Check, PageError> {
    let matched = match (&record.backup_codes, backup_codes::normalize(attempt)) {
        (Some(set), Some(_)) if backup_codes::needs_argon2(set, attempt) => {
            let (set, attempt) = (set.clone(), attempt.to_owned());
            let (keys, key) = (ctx.keys.clone(), key.clone());
            let generation = set.generation;
            crate::factors::hash_pool::run(move || backup_codes::find(&set, &attempt, &keys, &key))
                .await?
                .map(|i| (generation, i))
        }
        (Some(set), Some(_)) => {
            backup_codes::find(set, attempt, ctx.keys, key).map(|i| (set.generation, i))
        }
        _ => None,
    };
    Ok(Box::new(move |rec: &PersonRecord| {
        let (generation, i) = matched?;
        let set = rec.backup_codes.as_ref()?;
        (set.generation == generation && set.used.get(i) == Some(&false))
            .then_some(Change::UseBackupCode(i))
    }))
}

/// A code from the app, against the opened secret and the last step used.
fn totp_check(
    ctx: &Services<'_>,
    key: &PersonKey,
    record: &PersonRecord,
    code: &str,
    now: i64,
) -> Result<Check, PageError> {
    let sealed = record
        .enrollment
        .as_ref()
        .map_or(&[][..], |e| &e.sealed_secret[..]);
    let secret = open_secret(ctx, key, sealed)?;
    let code = code.to_owned();
    let skew = ctx.config.totp.skew;
    Ok(Box::new(move |rec: &PersonRecord| {
        totp::verify(&secret, &code, now as u64, skew, rec.last_step).map(Change::AcceptStep)
    }))
}

/// A passkey's answer, as the library judged it, accepted when its key is
/// still the person's, its counter moved and its ceremony is unused.
fn passkey_check(answer: &PasskeyAnswer, now: i64) -> Check {
    let result = answer.result.as_ref().ok().cloned();
    let used = UsedCeremony {
        nonce: answer.nonce,
        expires_at: answer.expires_at,
    };
    Box::new(move |rec: &PersonRecord| {
        let result = result.as_ref()?;
        let mut after = rec.clone();
        match accept_assertion(&mut after, result, used, now) {
            Assertion::Accepted => Some(Change::UsePasskey(after.passkeys, after.used_ceremonies)),
            Assertion::Unknown | Assertion::CounterRegressed | Assertion::CeremonyUsed => None,
        }
    })
}

/// What a correct proof changes in the record.
enum Change {
    AcceptStep(u64),
    UseBackupCode(usize),
    /// The passkeys with the used one's counter moved, and the ceremonies
    /// with this one.
    UsePasskey(Vec<Passkey>, Vec<UsedCeremony>),
}

impl Change {
    fn apply(self, rec: &mut PersonRecord) {
        match self {
            Change::AcceptStep(step) => rec.last_step = Some(step),
            Change::UseBackupCode(i) => {
                if let Some(flag) = rec.backup_codes.as_mut().and_then(|s| s.used.get_mut(i)) {
                    *flag = true;
                }
            }
            Change::UsePasskey(passkeys, ceremonies) => {
                rec.passkeys = passkeys;
                rec.used_ceremonies = ceremonies;
            }
        }
    }
}

/// Whether `proof` is a TOTP code the person's authenticator could have
/// made now and that has not been used — checked without recording
/// anything, so that expensive work can wait for a plausible proof. The
/// atomic check in `verify_and_apply` still decides.
pub fn plausible(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
    now: i64,
) -> bool {
    if let Proof::Passkey(answer) = proof {
        return answer.result.is_ok() && !record.ceremony_used(&answer.nonce);
    }
    let (Proof::Totp(code), Some(enrollment)) = (proof, &record.enrollment) else {
        return false;
    };
    let key = sess.identity.person_key();
    open_secret(ctx, &key, &enrollment.sealed_secret).is_ok_and(|secret| {
        totp::verify(
            &secret,
            code,
            now as u64,
            ctx.config.totp.skew,
            record.last_step,
        )
        .is_some()
    })
}
