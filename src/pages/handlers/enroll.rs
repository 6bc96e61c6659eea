//! `/enroll`: start enrollment (a pending secret, shown as QR code and key),
//! confirm it with a code, then show the new backup codes once, with a
//! download (`new_codes`). A pending secret never counts as enrolled;
//! confirming is one compare-and-swap, so two racing confirmations yield
//! one enrollment. Where passkeys are configured the page offers one
//! instead; where the company requires a passkey, it sends there.

use crate::access::audit;
use crate::access::decision::{is_required, needs_passkey};
use crate::access::services::Services;
use crate::access::session;
use crate::domain::{
    AuditEvent, AuditKind, BackupCodeSet, Enrollment, Factor, PendingEnrollment, PersonRecord,
};
use crate::factors::totp::{self, TotpSecret};
use crate::i18n::t;
use crate::pages::common::{gateway_cookie, open_secret, posted_record};
use crate::pages::error::PageError;
use crate::pages::handlers::new_codes;
use crate::pages::views::{self, EnrollView, Frame};
use crate::pages::{PageRequest, Reply, SessionCtx, message};
use crate::request::route::Route;
use crate::store::Update;
use rand::RngCore;

/// How long a shown QR code stays valid for confirmation.
const PENDING_TTL_SECS: i64 = 30 * 60;

pub fn show(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    render_form(ctx, req, frame, sess, None, 200)
}

/// The enrollment form, starting (or reusing) the pending secret.
fn render_form(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame,
    sess: &SessionCtx,
    error: Option<String>,
    status: u16,
) -> Result<Reply, PageError> {
    let return_to = req.return_to(&ctx.config.prefix);
    let policy = ctx.enforcement(sess.identity.company())?;
    if needs_passkey(sess.identity.class(), policy) {
        let passkeys = Route::Passkeys.href(&ctx.config.prefix);
        return Ok(Reply::redirect(&crate::request::paths::with_return_to(
            &passkeys, &return_to,
        )));
    }
    let record = start_pending(ctx, sess, req.now)?;
    if record.is_locked() {
        return Ok(crate::pages::locked(frame));
    }
    if record.is_enrolled() {
        let already = ["enroll.already"];
        return Ok(message(
            frame,
            200,
            "enroll.title",
            &already,
            Some(&return_to),
        ));
    }
    let pending = record
        .pending_for(&sess.app.id(), req.now, PENDING_TTL_SECS)
        .ok_or(PageError::Secret)?;
    let secret = open_secret(ctx, &sess.identity.person_key(), &pending.sealed_secret)?;
    let uri = totp::otpauth_uri(&ctx.config.totp.issuer, sess.identity.account(), &secret);
    let qr = totp::qr_svg(&uri).unwrap_or_default();
    let csrf = session::csrf_token(ctx.keys, sess.app, req.now);
    let passkey_href = ctx.passkeys.as_ref().map(|_| {
        crate::request::paths::with_return_to(&Route::Passkeys.href(&ctx.config.prefix), &return_to)
    });
    let view = EnrollView {
        required: is_required(sess.identity.class(), policy),
        account: sess.identity.account(),
        qr_svg: &qr,
        otpauth_uri: &uri,
        manual_key: &secret.grouped(),
        csrf: &csrf,
        return_to: &return_to,
        error,
        passkey_href,
    };
    Ok(Reply::html(status, views::enroll(frame, &view)))
}

/// Give this app session a pending secret, unless the person is enrolled
/// or locked, or the session's pending secret is still fresh. The record
/// as it is afterwards.
fn start_pending(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    now: i64,
) -> Result<PersonRecord, PageError> {
    let key = sess.identity.person_key();
    let mut rng = rand::rng();
    let fresh = TotpSecret::generate(&mut rng);
    let sealed = ctx
        .keys
        .seal(key.as_str().as_bytes(), fresh.as_bytes(), &mut rng);
    let session = sess.app.id();
    let record = ctx.store.update_person(&key, &mut |current| {
        let rec = current.cloned().unwrap_or_default();
        if rec.is_enrolled() || rec.is_locked() {
            return Update::Keep;
        }
        // Reloading the page must not invalidate a QR code already scanned;
        // another session (of this or a linked account) gets its own.
        if rec.pending_for(&session, now, PENDING_TTL_SECS).is_some() {
            return Update::Keep;
        }
        let mut rec = rec;
        let pending = PendingEnrollment {
            session,
            sealed_secret: sealed.clone(),
            started_at: now,
        };
        rec.start_pending(pending, PENDING_TTL_SECS);
        Update::Put(rec)
    })?;
    Ok(record.unwrap_or_default())
}

pub async fn confirm(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let record = posted_record(ctx, req, sess)?;
    let now = req.now;
    if record.is_enrolled() {
        return Ok(conflict(ctx, req, frame));
    }
    // Only the secret this very session was shown can be confirmed here.
    let Some(pending) = record.pending_for(&sess.app.id(), now, PENDING_TTL_SECS) else {
        let msg = t(frame.locale, "error.expired_setup").to_owned();
        return render_form(ctx, req, frame, sess, Some(msg), 422);
    };
    let secret = open_secret(ctx, &sess.identity.person_key(), &pending.sealed_secret)?;
    let code = req.form.get("code").unwrap_or("");
    let Some(step) = totp::verify(&secret, code, now as u64, ctx.config.totp.skew, None) else {
        let msg = t(frame.locale, "error.enroll_wrong_code").to_owned();
        return render_form(ctx, req, frame, sess, Some(msg), 422);
    };
    let new_codes = new_codes::generate(ctx, sess, &record, now);
    let enrollment = Enrollment {
        id: rand::rng().next_u64(),
        sealed_secret: pending.sealed_secret.clone(),
        enrolled_at: now,
        enrolled_by: sess.identity.account().to_owned(),
    };
    if !commit(ctx, sess, pending, &enrollment, &new_codes.set, step)? {
        return Ok(conflict(ctx, req, frame));
    }
    let event = AuditEvent::by_user(&sess.identity, AuditKind::Enrolled, now);
    audit::record(ctx.store.as_ref(), event.with_method(Factor::Totp));
    let key = sess.identity.person_key();
    let bound = session::Bound::new(enrollment.id, record.trust_epoch);
    let cookie = session::issue_cookie(ctx.keys, sess.app, &key, bound, now);
    let return_to = req.return_to(&ctx.config.prefix);
    Ok(
        new_codes::page(ctx, sess, frame, &new_codes.codes, &return_to, now, true)
            .with_header("Set-Cookie", gateway_cookie(ctx, &cookie)),
    )
}

/// Make `pending` the person's enrollment, with its first backup codes and
/// its first accepted step, in one compare-and-swap. `false` when another
/// request won: the person is enrolled or locked meanwhile, or this
/// pending secret is gone.
fn commit(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    pending: &PendingEnrollment,
    enrollment: &Enrollment,
    codes: &BackupCodeSet,
    step: u64,
) -> Result<bool, PageError> {
    let key = sess.identity.person_key();
    // Index the account *before* the enrollment: the enrollment's flush
    // then makes the index durable too. Written after it (unflushed), a
    // crash could keep the enrollment but lose the index, and support could
    // then neither find, unlock nor reset the person (found by the crash
    // test). Indexing a loser of the race below is harmless: the account
    // is that person's either way.
    if let Err(e) = ctx.store.link_account(sess.identity.account(), &key) {
        tracing::warn!(error = %e, "could not index account");
    }
    let mut won = false;
    let change = crate::notify::Change::by_user(&sess.identity, &sess.whence);
    let notify = ctx.config.notify.as_ref();
    crate::notify::update_person(ctx.store.as_ref(), notify, &key, &change, &mut |current| {
        won = false;
        let rec = current.cloned().unwrap_or_default();
        if rec.is_enrolled() || !rec.pending.contains(pending) || rec.is_locked() {
            return Update::Keep;
        }
        won = true;
        let mut next = PersonRecord {
            enrollment: Some(enrollment.clone()),
            // Every other session's started enrollment dies with this one.
            pending: Vec::new(),
            backup_codes: Some(codes.clone()),
            last_step: Some(step),
            failures: 0,
            locked_at: None,
            ..rec
        };
        next.note_account(&sess.identity);
        Update::Put(next)
    })?;
    Ok(won)
}

/// 409: the person got enrolled meanwhile (another tab or account).
fn conflict(ctx: &Services<'_>, req: &PageRequest, frame: &Frame) -> Reply {
    let return_to = req.return_to(&ctx.config.prefix);
    message(
        frame,
        409,
        "conflict.title",
        &["conflict.body"],
        Some(&return_to),
    )
}
