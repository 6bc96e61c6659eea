//! `/enroll`: start enrollment (a pending secret, shown as QR code and key),
//! confirm it with a code, then show the new backup codes once, with a
//! download. A pending secret never counts as enrolled; confirming is one
//! compare-and-swap, so two racing confirmations yield one enrollment.

use super::views::{self, BackupCodesView, EnrollView, Frame};
use super::{PageRequest, PageResponse, SessionCtx, gateway_cookie, message};
use crate::audit;
use crate::backup_codes;
use crate::decision::{Denial, is_required};
use crate::domain::{AuditKind, Enrollment, PendingEnrollment, PersonRecord};
use crate::gate::Gate;
use crate::session;
use crate::store::Update;
use crate::totp::{self, TotpSecret};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// How long a shown QR code stays valid for confirmation.
const PENDING_TTL_SECS: i64 = 30 * 60;
/// How long the download button of new backup codes works.
const DOWNLOAD_TTL_SECS: i64 = 30 * 60;

pub fn show(gate: &Gate, req: &PageRequest, frame: &Frame<'_>, sess: &SessionCtx) -> PageResponse {
    render_form(gate, req, frame, sess, None, 200)
}

/// The enrollment form, starting (or reusing) the pending secret.
fn render_form(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame,
    sess: &SessionCtx,
    error: Option<String>,
    status: u16,
) -> PageResponse {
    let prefix = &gate.config.prefix;
    let return_to = req.return_to(prefix);
    let key = sess.identity.person_key();
    let now = req.now;
    let mut rng = rand::rng();
    let fresh = TotpSecret::generate(&mut rng);
    let sealed = gate
        .keys
        .seal(key.as_str().as_bytes(), fresh.as_bytes(), &mut rng);
    let session = sess.app.id();
    let result = gate.store.update_person(&key, &mut |current| {
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
    });
    let record = match result {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    if record.is_locked() {
        return super::deny(gate, Denial::Locked, &return_to, true, frame);
    }
    if record.is_enrolled() {
        return message(
            frame,
            200,
            "enroll.title",
            &["enroll.already"],
            Some(&return_to),
        );
    }
    let Some(secret) = record
        .pending_for(&session, now, PENDING_TTL_SECS)
        .and_then(|p| open_secret(gate, &key, &p.sealed_secret))
    else {
        tracing::error!("pending enrollment secret cannot be opened (key changed?)");
        return super::failure(frame, 503);
    };
    let uri = totp::otpauth_uri(&gate.config.totp.issuer, &sess.identity.account, &secret);
    let qr = totp::qr_svg(&uri).unwrap_or_default();
    let required = match gate.enforcement(&sess.identity.company) {
        Ok(policy) => is_required(sess.identity.class, policy),
        Err(e) => return store_failure(frame, &e),
    };
    let csrf = session::csrf_token(&gate.keys, sess.app, now);
    let view = EnrollView {
        required,
        account: &sess.identity.account,
        qr_svg: &qr,
        otpauth_uri: &uri,
        manual_key: &secret.grouped(),
        csrf: &csrf,
        return_to: &return_to,
        error,
    };
    PageResponse::html(status, views::enroll(frame, &view))
}

pub async fn confirm(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> PageResponse {
    if !csrf_ok(gate, req, sess) {
        return super::failure(frame, 403);
    }
    let l = frame.locale;
    let key = sess.identity.person_key();
    let now = req.now;
    let record = match gate.store.person(&key) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    if record.is_enrolled() {
        return message(
            frame,
            409,
            "conflict.title",
            &["conflict.body"],
            Some(&req.return_to(&gate.config.prefix)),
        );
    }
    // Only the secret this very session was shown can be confirmed here.
    let Some(pending) = record
        .pending_for(&sess.app.id(), now, PENDING_TTL_SECS)
        .cloned()
    else {
        let msg = super::i18n::t(l, "error.expired_setup").to_owned();
        return render_form(gate, req, frame, sess, Some(msg), 422);
    };
    let Some(secret) = open_secret(gate, &key, &pending.sealed_secret) else {
        return super::failure(frame, 503);
    };
    let code = req.form.get("code").unwrap_or("");
    let Some(step) = totp::verify(&secret, code, now as u64, gate.config.totp.skew, None) else {
        let msg = super::i18n::t(l, "error.enroll_wrong_code").to_owned();
        return render_form(gate, req, frame, sess, Some(msg), 422);
    };
    let Some(new_codes) = new_backup_codes(&record, now).await else {
        return super::busy(frame);
    };
    let enrollment = Enrollment {
        id: rand::rng().next_u64(),
        sealed_secret: pending.sealed_secret.clone(),
        enrolled_at: now,
        enrolled_by: sess.identity.account.clone(),
    };
    // Index the account *before* the enrollment: the enrollment's flush
    // then makes the index durable too. Written after it (unflushed), a
    // crash could keep the enrollment but lose the index, and support could
    // then neither find, unlock nor reset the person (found by the crash
    // test). Indexing a loser of the race below is harmless: the account
    // is that person's either way.
    if let Err(e) = gate.store.link_account(&sess.identity.account, &key) {
        tracing::warn!(error = %e, "could not index account");
    }
    let mut won = false;
    let result = gate.store.update_person(&key, &mut |current| {
        won = false;
        let rec = current.cloned().unwrap_or_default();
        if rec.is_enrolled() || !rec.pending.contains(&pending) || rec.is_locked() {
            return Update::Keep;
        }
        won = true;
        let mut next = PersonRecord {
            enrollment: Some(enrollment.clone()),
            // Every other session's started enrollment dies with this one.
            pending: Vec::new(),
            backup_codes: Some(new_codes.set.clone()),
            last_step: Some(step),
            failures: 0,
            locked_at: None,
            ..rec
        };
        next.note_account(&sess.identity);
        Update::Put(next)
    });
    if let Err(e) = result {
        return store_failure(frame, &e);
    }
    if !won {
        return message(
            frame,
            409,
            "conflict.title",
            &["conflict.body"],
            Some(&req.return_to(&gate.config.prefix)),
        );
    }
    audit::record(
        gate.store.as_ref(),
        audit::by_user(
            &sess.identity,
            AuditKind::Enrolled,
            now,
            "authenticator app",
        ),
    );
    let cookie = session::issue_cookie(&gate.keys, sess.app, &key, enrollment.id, now);
    let return_to = req.return_to(&gate.config.prefix);
    backup_codes_page(gate, sess, frame, &new_codes.codes, &return_to, now)
        .with_header("Set-Cookie", gateway_cookie(gate, &cookie))
}

/// The next generation of backup codes for the person: ten Argon2id hashes,
/// through the process's hash pool. `None` when the pool is full (the page
/// answers 503 with `Retry-After`).
pub(super) async fn new_backup_codes(
    record: &PersonRecord,
    now: i64,
) -> Option<backup_codes::NewCodes> {
    let generation = record.backup_codes.as_ref().map_or(0, |s| s.generation) + 1;
    crate::hash_pool::run(move || backup_codes::generate(&mut rand::rng(), generation, now))
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "backup code generation refused"))
        .ok()
}

/// The page that shows freshly generated codes once (also used after
/// regeneration).
pub fn backup_codes_page(
    gate: &Gate,
    sess: &SessionCtx,
    frame: &Frame,
    codes: &[String],
    return_to: &str,
    now: i64,
) -> PageResponse {
    let payload = serde_json::json!({
        "codes": codes,
        "account": sess.identity.account,
        "exp": now + DOWNLOAD_TTL_SECS,
    });
    let sealed = gate.keys.seal(
        &download_aad(sess),
        payload.to_string().as_bytes(),
        &mut rand::rng(),
    );
    let token = URL_SAFE_NO_PAD.encode(sealed);
    let csrf = session::csrf_token(&gate.keys, sess.app, now);
    let view = BackupCodesView {
        codes,
        download_token: &token,
        csrf: &csrf,
        return_to,
    };
    PageResponse::html(200, views::backup_codes(frame, &view))
}

fn download_aad(sess: &SessionCtx) -> Vec<u8> {
    let mut aad = b"backup-download:".to_vec();
    aad.extend_from_slice(sess.app.as_bytes());
    aad
}

/// `POST /backup-codes.txt`: the codes just shown, as a text file. The form
/// carries them sealed to this app session for a short time, so the server
/// keeps no plaintext codes anywhere.
pub fn download(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> PageResponse {
    if !csrf_ok(gate, req, sess) {
        return super::failure(frame, 403);
    }
    let opened = req
        .form
        .get("codes")
        .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok())
        .and_then(|sealed| gate.keys.open(&download_aad(sess), &sealed))
        .and_then(|plain| serde_json::from_slice::<serde_json::Value>(&plain).ok());
    let Some(payload) = opened else {
        return super::failure(frame, 400);
    };
    let exp = payload["exp"].as_i64().unwrap_or(0);
    let codes: Vec<String> = payload["codes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if req.now > exp || codes.is_empty() {
        return message(frame, 410, "csrf.title", &["csrf.body"], None);
    }
    let text =
        backup_codes::download_text(&gate.config.totp.issuer, &sess.identity.account, &codes);
    PageResponse {
        status: 200,
        headers: vec![
            ("Content-Type", "text/plain; charset=utf-8".into()),
            (
                "Content-Disposition",
                "attachment; filename=\"backup-codes.txt\"".into(),
            ),
        ],
        body: text.into_bytes(),
    }
}

pub(super) fn csrf_ok(gate: &Gate, req: &PageRequest, sess: &SessionCtx) -> bool {
    req.form
        .get("csrf")
        .is_some_and(|t| session::csrf_is_valid(&gate.keys, t, sess.app, req.now))
}

pub(super) fn store_failure(frame: &Frame, e: &crate::store::StoreError) -> PageResponse {
    tracing::error!(error = %e, "store failure");
    super::failure(frame, 503)
}

/// Open a sealed TOTP secret of the person `key` (`None` if the encryption
/// key changed or the bytes are damaged).
pub(super) fn open_secret(
    gate: &Gate,
    key: &crate::domain::PersonKey,
    sealed: &[u8],
) -> Option<TotpSecret> {
    gate.keys
        .open(key.as_str().as_bytes(), sealed)
        .and_then(|b| TotpSecret::from_bytes(&b))
}
