//! `/challenge`: the second step for an enrolled person, with a TOTP code or
//! a single-use backup code. Checking a code and recording its use (or the
//! failure, and the lock it may cause) is one compare-and-swap on the
//! person's record: two racing requests with the same code cannot both pass,
//! and racing wrong codes cannot slip past `max_failures`.

use super::enroll::{csrf_ok, store_failure};
use super::views::{self, ChallengeView, Frame};
use super::{PageRequest, PageResponse, SessionCtx, gateway_cookie};
use crate::audit;
use crate::backup_codes;
use crate::decision::Action;
use crate::domain::{AuditKind, PersonRecord};
use crate::gate::Gate;
use crate::paths;
use crate::session;
use crate::store::Update;
use crate::totp::{self, TotpSecret};

pub fn show(gate: &Gate, req: &PageRequest, frame: &Frame<'_>) -> PageResponse {
    let Some(sess) = &req.session else {
        return super::failure(frame, 401);
    };
    let prefix = &gate.config.prefix;
    let return_to = req.return_to(prefix);
    let record = match gate.store.person(&sess.identity.person_key()) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    if record.is_locked() {
        return super::deny(gate, Action::Locked, &return_to, true, frame);
    }
    if !record.is_enrolled() {
        return PageResponse::redirect(&paths::with_return_to(
            &format!("{prefix}/enroll"),
            &return_to,
        ));
    }
    if super::is_verified(gate, sess, &record, req.now) {
        return PageResponse::redirect(&return_to);
    }
    let backup = req.query_param("method").as_deref() == Some("backup");
    render(gate, req, frame, sess, backup, None, 200)
}

fn render(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame,
    sess: &SessionCtx,
    backup: bool,
    error: Option<String>,
    status: u16,
) -> PageResponse {
    let prefix = &gate.config.prefix;
    let return_to = req.return_to(prefix);
    let mut q = form_urlencoded::Serializer::new(String::new());
    if !backup {
        q.append_pair("method", "backup");
    }
    if return_to != "/" {
        q.append_pair("return_to", &return_to);
    }
    let q = q.finish();
    let switch_href = if q.is_empty() {
        format!("{prefix}/challenge")
    } else {
        format!("{prefix}/challenge?{q}")
    };
    let csrf = session::csrf_token(&gate.keys, sess.app, req.now);
    let view = ChallengeView {
        backup,
        csrf: &csrf,
        return_to: &return_to,
        error,
        switch_href,
    };
    PageResponse::html(status, views::challenge(frame, &view))
}

/// How one submission ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    /// This failure reached `max_failures`.
    LockedNow,
    /// Already locked: refused whatever the code.
    Locked,
    NotEnrolled,
}

pub async fn verify(gate: &Gate, req: &PageRequest, frame: &Frame<'_>) -> PageResponse {
    let Some(sess) = &req.session else {
        return super::failure(frame, 401);
    };
    if !csrf_ok(gate, req, sess) {
        return super::failure(frame, 403);
    }
    let prefix = &gate.config.prefix;
    let return_to = req.return_to(prefix);
    let key = sess.identity.person_key();
    let record = match gate.store.person(&key) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    let Some(enrollment) = record.enrollment.clone() else {
        return PageResponse::redirect(&paths::with_return_to(
            &format!("{prefix}/enroll"),
            &return_to,
        ));
    };
    if record.is_locked() {
        return super::deny(gate, Action::Locked, &return_to, true, frame);
    }
    let backup_attempt = req.form.get("backup_code").filter(|c| !c.trim().is_empty());
    let code = req.form.get("code").unwrap_or("").trim();
    if backup_attempt.is_none() && code.is_empty() {
        let msg = super::i18n::t(frame.locale, "error.wrong_code").to_owned();
        return render(gate, req, frame, sess, false, Some(msg), 422);
    }
    let now = req.now;
    let max_failures = gate.config.max_failures;

    // The expensive part (one Argon2id hash, or opening the secret) happens
    // before the atomic update; the update only compares and records.
    let check: Check = match backup_attempt {
        Some(attempt) => {
            let matched = match (&record.backup_codes, backup_codes::normalize(attempt)) {
                (Some(set), Some(_)) => {
                    let set = set.clone();
                    let attempt = attempt.to_owned();
                    let generation = set.generation;
                    tokio::task::spawn_blocking(move || backup_codes::find(&set, &attempt))
                        .await
                        .ok()
                        .flatten()
                        .map(|i| (generation, i))
                }
                _ => None,
            };
            Box::new(move |rec: &PersonRecord| {
                let (generation, i) = matched?;
                let set = rec.backup_codes.as_ref()?;
                (set.generation == generation && set.used.get(i) == Some(&false))
                    .then_some(Change::UseBackupCode(i))
            })
        }
        None => {
            let Some(secret) = gate
                .keys
                .open(key.as_str().as_bytes(), &enrollment.sealed_secret)
                .and_then(|b| TotpSecret::from_bytes(&b))
            else {
                tracing::error!("enrollment secret cannot be opened (encryption key changed?)");
                return super::failure(frame, 503);
            };
            let code = code.to_owned();
            let skew = gate.config.totp.skew;
            Box::new(move |rec: &PersonRecord| {
                totp::verify(&secret, &code, now as u64, skew, rec.last_step)
                    .map(Change::AcceptStep)
            })
        }
    };

    let mut outcome = Outcome::Failed;
    let result = gate.store.update_person(&key, &mut |current| {
        let Some(rec) =
            current.filter(|r| r.enrollment.as_ref().map(|e| e.id) == Some(enrollment.id))
        else {
            outcome = Outcome::NotEnrolled;
            return Update::Keep;
        };
        if rec.is_locked() {
            outcome = Outcome::Locked;
            return Update::Keep;
        }
        let mut next = rec.clone();
        match check(rec) {
            Some(change) => {
                change.apply(&mut next);
                next.failures = 0;
                next.note_account(&sess.identity.account);
                outcome = Outcome::Passed;
            }
            None => {
                next.failures = next.failures.saturating_add(1);
                if next.failures >= max_failures {
                    next.locked_at = Some(now);
                    outcome = Outcome::LockedNow;
                } else {
                    outcome = Outcome::Failed;
                }
            }
        }
        Update::Put(next)
    });
    if let Err(e) = result {
        return store_failure(frame, &e);
    }
    let method = if backup_attempt.is_some() {
        "backup code"
    } else {
        "authenticator app"
    };
    let store = gate.store.as_ref();
    match outcome {
        Outcome::Passed => {
            let kind = if backup_attempt.is_some() {
                AuditKind::BackupCodeUsed
            } else {
                AuditKind::ChallengePassed
            };
            audit::record(store, audit::by_user(&sess.identity, kind, now, method));
            if let Err(e) = gate.store.link_account(&sess.identity.account, &key) {
                tracing::warn!(error = %e, "could not index account");
            }
            let cookie = session::issue_cookie(&gate.keys, sess.app, &key, enrollment.id, now);
            PageResponse::redirect(&return_to)
                .with_header("Set-Cookie", gateway_cookie(gate, &cookie))
        }
        Outcome::Failed => {
            audit::record(
                store,
                audit::by_user(&sess.identity, AuditKind::ChallengeFailed, now, method),
            );
            let key = if backup_attempt.is_some() {
                "error.wrong_backup"
            } else {
                "error.wrong_code"
            };
            let msg = super::i18n::t(frame.locale, key).to_owned();
            render(
                gate,
                req,
                frame,
                sess,
                backup_attempt.is_some(),
                Some(msg),
                422,
            )
        }
        Outcome::LockedNow => {
            audit::record(
                store,
                audit::by_user(&sess.identity, AuditKind::ChallengeFailed, now, method),
            );
            audit::record(
                store,
                audit::by_user(
                    &sess.identity,
                    AuditKind::Locked,
                    now,
                    "too many wrong codes",
                ),
            );
            super::deny(gate, Action::Locked, &return_to, true, frame)
        }
        Outcome::Locked => super::deny(gate, Action::Locked, &return_to, true, frame),
        Outcome::NotEnrolled => PageResponse::redirect(&paths::with_return_to(
            &format!("{prefix}/enroll"),
            &return_to,
        )),
    }
}

/// Decides, on the record as it is at the moment of the atomic update,
/// whether the submitted code is good and what it changes.
type Check = Box<dyn Fn(&PersonRecord) -> Option<Change> + Send>;

/// What a correct code changes in the record.
enum Change {
    AcceptStep(u64),
    UseBackupCode(usize),
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
        }
    }
}
