//! `/challenge`: the second step for an enrolled person, with a TOTP code or
//! a single-use backup code (checked and recorded atomically by `verify`).
//! Success sets the gateway cookie, bound to this app session and to the
//! current enrollment, and returns the user to where they were going —
//! by way of `/signed-in` when a backup code was used or few are left,
//! which says how many remain. A person with a passkey is offered it
//! first; where their company requires one, it is the only way. A session
//! that passes already comes here for a step-up only (`?step_up=1`, sent
//! by `common::step_up` before a change of factors, or by an access rule's
//! `step_up`, with its window in `within`): the same proof, its own
//! heading, nothing remembered, and a fresh gateway cookie.

use crate::access::services::Services;
use crate::access::session;
use crate::domain::NoticeKind;
use crate::domain::{PersonRecord, Purpose};
use crate::i18n::t;
use crate::pages::common::{
    gateway_cookie, passkey_challenge, person_record, posted_record, redirect_to,
};
use crate::pages::error::PageError;
use crate::pages::handlers::verify::{self, Outcome, Proof, Submitted, verify_and_apply};
use crate::pages::views::passkeys;
use crate::pages::views::{self, ChallengeView, Frame, LOW_BACKUP_CODES, SignedInView};
use crate::pages::{PageRequest, Reply, SessionCtx};
use crate::request::route::Route;
use maud::html;

pub fn show(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let return_to = req.return_to(&ctx.config.prefix);
    let record = person_record(ctx, sess)?;
    if record.is_locked() {
        return Ok(crate::pages::locked(frame));
    }
    if !record.is_enrolled() {
        return Ok(redirect_to(ctx, Route::Enroll, &return_to));
    }
    // A session that passes already comes here only for a step-up (a
    // proof for changing its factors), and only while it has none fresh.
    // An access rule's `passkey` (`?passkey=1`) asks for a session the
    // key proved, however long ago.
    let step_up = req.query_param("step_up").as_deref() == Some("1");
    let within = step_up_within(ctx, req);
    let proven = match passkey_asked(req) {
        true => sess.trust.by_passkey(),
        false => !step_up || sess.trust.fresh(req.now, within),
    };
    if sess.verified && proven {
        return Ok(Reply::redirect(&return_to));
    }
    let backup = req.query_param("method").as_deref() == Some("backup");
    render(ctx, req, frame, sess, &record, backup, None)
}

/// Whether an access rule's `passkey` sent the person here: a code does
/// not count then (removing the parameter gains nothing: the rule sends
/// a session a code proved back here).
fn passkey_asked(req: &PageRequest) -> bool {
    req.query_param("passkey").as_deref() == Some("1")
}

/// How recent a proof a step-up asks: `step_up_minutes`, or an access
/// rule's shorter window (`within`, seconds, set by `pages::deny`). Never
/// longer: a link cannot make an old proof count for a change of factors.
fn step_up_within(ctx: &Services<'_>, req: &PageRequest) -> i64 {
    let configured = ctx.config.step_up.as_secs() as i64;
    let asked = req
        .query_param("within")
        .and_then(|w| w.parse::<i64>().ok());
    asked
        .filter(|w| *w > 0)
        .map_or(configured, |w| w.min(configured))
}

/// The form (`backup`: the backup-code field), with `error` (then 422).
fn render(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame,
    sess: &SessionCtx,
    record: &PersonRecord,
    backup: bool,
    error: Option<&str>,
) -> Result<Reply, PageError> {
    let prefix = &ctx.config.prefix;
    let return_to = req.return_to(prefix);
    // Passkeys only: the other way is a backup code.
    let totp = record.enrollment.is_some();
    let backup = backup || !totp;
    // A passing session is here for a step-up (see `show`).
    let step_up = sess.verified;
    // A rule's step-up keeps its window (`within`) across the switch.
    let within = req
        .query_param("within")
        .and_then(|w| w.parse::<i64>().ok());
    let switch_href = switch_href(prefix, &return_to, backup, step_up.then_some(within));
    let csrf = session::csrf_token(ctx.keys, sess.app, req.now);
    let status = if error.is_some() { 422 } else { 200 };
    let remember_days = remember_days(ctx, sess, step_up);
    let remember_checked = req.form.get("remember") == Some("yes");
    let passkey = passkey_form(ctx, req, frame, sess, record, &csrf, remember_days);
    let view = ChallengeView {
        account: sess.identity.account(),
        logout_url: ctx.config.ui.logout_url.as_deref(),
        step_up,
        backup,
        remember_days,
        remember_checked,
        csrf: &csrf,
        return_to: &return_to,
        error: error.map(|key| t(frame.locale, key).to_owned()),
        switch_href,
        codes: !(passkey.is_some()
            && (passkey_asked(req) || verify::codes_refused(ctx, sess, record)?)),
        totp,
        passkey,
    };
    let reply = Reply::html(status, views::challenge(frame, &view));
    Ok(match view.passkey.is_some() {
        true => reply.with_script(),
        false => reply,
    })
}

/// The link to the other kind of code (`backup`: the form shows the
/// backup-code field, so the link leads back to the app's code), keeping
/// the step-up and `return_to`.
fn switch_href(
    prefix: &str,
    return_to: &str,
    backup: bool,
    step_up: Option<Option<i64>>,
) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if !backup {
        q.append_pair("method", "backup");
    }
    if let Some(within) = step_up {
        q.append_pair("step_up", "1");
        if let Some(within) = within {
            q.append_pair("within", &within.to_string());
        }
    }
    if return_to != "/" {
        q.append_pair("return_to", return_to);
    }
    let q = q.finish();
    let here = Route::Challenge.href(prefix);
    if q.is_empty() {
        here
    } else {
        format!("{here}?{q}")
    }
}

/// For how many days the box "don't ask again on this browser" offers to
/// remember it; `None` hides the box. A store failure here only hides the
/// checkbox: the page still works. A step-up remembers nothing: it
/// proves, for a change, now.
fn remember_days(ctx: &Services<'_>, sess: &SessionCtx, step_up: bool) -> Option<u16> {
    ctx.remember_days(sess.identity.company())
        .ok()
        .and_then(|d| d.days())
        .filter(|_| !step_up)
}

/// The passkey form with a fresh challenge, when the person has a passkey
/// and passkeys are configured.
fn passkey_form(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame,
    sess: &SessionCtx,
    record: &PersonRecord,
    csrf: &str,
    remember_days: Option<u16>,
) -> Option<maud::Markup> {
    let started = passkey_challenge(ctx, req, sess, record)?;
    let l = frame.locale;
    let remember = html! {
        @if let Some(days) = remember_days {
            div.choice {
                input type="checkbox" id="passkey-remember" name="remember" value="yes";
                label.inline for="passkey-remember" {
                    (crate::i18n::tf(l, "challenge.remember", &[("n", &days.to_string())]))
                }
            }
        }
    };
    let return_to = req.return_to(&ctx.config.prefix);
    Some(passkeys::challenge_form(
        frame,
        &started.form(),
        csrf,
        &return_to,
        remember,
    ))
}

pub async fn verify(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let record = posted_record(ctx, req, sess)?;
    let return_to = req.return_to(&ctx.config.prefix);
    if !record.is_enrolled() {
        return Ok(redirect_to(ctx, Route::Enroll, &return_to));
    }
    if record.is_locked() {
        return Ok(crate::pages::locked(frame));
    }
    let proof = match verify::read_proof(ctx, sess, &record, &req.form, req.now) {
        Submitted::Proof(proof) => proof,
        Submitted::Nothing => {
            let error = Some("error.wrong_code");
            return render(ctx, req, frame, sess, &record, false, error);
        }
        Submitted::Stale => {
            let error = Some("error.passkey_expired");
            return render(ctx, req, frame, sess, &record, false, error);
        }
    };
    if !proof.is_passkey() && (passkey_asked(req) || verify::codes_refused(ctx, sess, &record)?) {
        let error = Some("error.passkey_only");
        return render(ctx, req, frame, sess, &record, false, error);
    }
    let purpose = Purpose::Challenge;
    let mut backup_left = None;
    let mut count = |rec: &mut PersonRecord| {
        backup_left = rec.backup_codes.as_ref().map(|s| s.remaining());
    };
    let outcome =
        verify_and_apply(ctx, sess, &record, &proof, req.now, purpose, &mut count).await?;
    Ok(match outcome {
        Outcome::Passed => {
            let next = after_pass(ctx, &return_to, proof.is_backup(), backup_left);
            admit(ctx, req, sess, &record, &proof, &next)?
        }
        Outcome::Failed => {
            let error = Some(wrong_proof(&proof));
            render(ctx, req, frame, sess, &record, proof.is_backup(), error)?
        }
        Outcome::LockedNow | Outcome::Locked => crate::pages::locked(frame),
        Outcome::NotEnrolled => redirect_to(ctx, Route::Enroll, &return_to),
    })
}

/// After a passed `proof`: on to `next` with the gateway cookie, and this
/// browser remembered when the person asked (never on a step-up).
fn admit(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
    next: &str,
) -> Result<Reply, PageError> {
    let response = passed(ctx, req, sess, record, proof.is_passkey(), next);
    if sess.verified {
        // A step-up: a fresh proof, nothing remembered.
        return Ok(response);
    }
    let remembered = remember_this_browser(ctx, req, sess, record, proof.factor())?;
    Ok(match remembered {
        Some(cookie) => response.with_header("Set-Cookie", cookie),
        None => response,
    })
}

/// The message for a `proof` that did not pass, by its kind.
fn wrong_proof(proof: &Proof) -> &'static str {
    match proof {
        Proof::Backup(_) => "error.wrong_backup",
        Proof::Totp(_) => "error.wrong_code",
        Proof::Passkey(_) => "error.passkey_failed",
    }
}

/// Where a passed challenge goes: straight back to `return_to`, unless a
/// backup code was used or few are left — then first to the page that
/// says how many remain (`/signed-in`), which continues to `return_to`.
fn after_pass(
    ctx: &Services<'_>,
    return_to: &str,
    used_backup: bool,
    left: Option<usize>,
) -> String {
    let low = left.is_some_and(|n| n <= LOW_BACKUP_CODES);
    if !used_backup && !low {
        return return_to.to_owned();
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    if used_backup {
        q.append_pair("via", "backup");
    }
    if return_to != "/" {
        q.append_pair("return_to", return_to);
    }
    let here = Route::SignedIn.href(&ctx.config.prefix);
    match q.finish() {
        q if q.is_empty() => here,
        q => format!("{here}?{q}"),
    }
}

/// `GET /signed-in`: after a passed challenge, how many backup codes are
/// left (and a warning when few or none are), then on to `return_to`.
pub fn signed_in(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let record = person_record(ctx, sess)?;
    let view = SignedInView {
        used_backup: req.query_param("via").as_deref() == Some("backup"),
        backup_left: record.backup_codes.as_ref().map_or(0, |s| s.remaining()),
        return_to: &req.return_to(&ctx.config.prefix),
    };
    Ok(Reply::html(200, views::signed_in(frame, &view)))
}

/// The box "don't ask again on this browser" was ticked and the company
/// allows it: remember this browser (its `Set-Cookie`).
fn remember_this_browser(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
    earned_by: crate::domain::Factor,
) -> Result<Option<String>, PageError> {
    let days = ctx.remember_days(sess.identity.company())?;
    let enrollment = record.second_step_id();
    let (true, Some(_), Some(enrollment_id)) = (
        req.form.get("remember") == Some("yes"),
        days.days(),
        enrollment,
    ) else {
        return Ok(None);
    };
    let cookie = crate::access::remember::grant(
        ctx,
        &sess.identity,
        crate::access::remember::Earned {
            enrollment_id,
            by: earned_by,
        },
        days,
        req.user_agent.as_deref(),
        sess.remember_cookie.as_deref(),
        req.now,
    )?;
    // After the browser's own write: not in its commit (see notify/mod.rs).
    let change = crate::notify::Change::by_user(&sess.identity, &sess.whence);
    let (store, notify) = (ctx.store.as_ref(), ctx.config.notify.as_ref());
    crate::notify::enqueue(store, notify, NoticeKind::BrowserRemembered, &change, "");
    Ok(Some(cookie))
}

/// Back to `next`, with the gateway cookie for the enrollment the
/// proof was checked against.
fn passed(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
    by_passkey: bool,
    next: &str,
) -> Reply {
    let bound = session::Bound::new(record.second_step_id().unwrap_or(0), record.trust_epoch);
    let key = sess.identity.person_key();
    let cookie = session::issue_cookie_by(ctx.keys, sess.app, &key, bound, req.now, by_passkey);
    Reply::redirect(next).with_header("Set-Cookie", gateway_cookie(ctx, &cookie))
}
