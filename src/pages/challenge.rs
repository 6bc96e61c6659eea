//! `/challenge`: the second step for an enrolled person, with a TOTP code or
//! a single-use backup code (checked and recorded atomically by `verify`).
//! Success sets the gateway cookie, bound to this app session and to the
//! current enrollment, and returns the user to where they were going.

use super::enroll::{csrf_ok, store_failure};
use super::verify::{Outcome, Proof, verify_and_apply};
use super::views::{self, ChallengeView, Frame};
use super::{PageRequest, PageResponse, SessionCtx, gateway_cookie};
use crate::decision::Denial;
use crate::gate::Gate;
use crate::paths;
use crate::session;

pub fn show(gate: &Gate, req: &PageRequest, frame: &Frame<'_>, sess: &SessionCtx) -> PageResponse {
    let prefix = &gate.config.prefix;
    let return_to = req.return_to(prefix);
    let record = match gate.store.person(&sess.identity.person_key()) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    if record.is_locked() {
        return super::deny(gate, Denial::Locked, &return_to, true, frame);
    }
    if !record.is_enrolled() {
        return PageResponse::redirect(&paths::with_return_to(
            &format!("{prefix}/enroll"),
            &return_to,
        ));
    }
    if sess.verified {
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

pub async fn verify(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> PageResponse {
    if !csrf_ok(gate, req, sess) {
        return super::failure(frame, 403);
    }
    let prefix = &gate.config.prefix;
    let return_to = req.return_to(prefix);
    let record = match gate.store.person(&sess.identity.person_key()) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    let to_enroll = || {
        PageResponse::redirect(&paths::with_return_to(
            &format!("{prefix}/enroll"),
            &return_to,
        ))
    };
    if !record.is_enrolled() {
        return to_enroll();
    }
    if record.is_locked() {
        return super::deny(gate, Denial::Locked, &return_to, true, frame);
    }
    let Some(proof) = Proof::from_form(&req.form) else {
        let msg = super::i18n::t(frame.locale, "error.wrong_code").to_owned();
        return render(gate, req, frame, sess, false, Some(msg), 422);
    };
    let outcome = verify_and_apply(
        gate,
        sess,
        &record,
        &proof,
        req.now,
        "challenge",
        &mut |_| {},
    )
    .await;
    match outcome {
        Ok(Outcome::Passed) => {
            let enrollment_id = record.enrollment.as_ref().map_or(0, |e| e.id);
            let key = sess.identity.person_key();
            let cookie = session::issue_cookie(&gate.keys, sess.app, &key, enrollment_id, req.now);
            PageResponse::redirect(&return_to)
                .with_header("Set-Cookie", gateway_cookie(gate, &cookie))
        }
        Ok(Outcome::Failed) => {
            let key = if proof.is_backup() {
                "error.wrong_backup"
            } else {
                "error.wrong_code"
            };
            let msg = super::i18n::t(frame.locale, key).to_owned();
            render(gate, req, frame, sess, proof.is_backup(), Some(msg), 422)
        }
        Ok(Outcome::LockedNow | Outcome::Locked) => {
            super::deny(gate, Denial::Locked, &return_to, true, frame)
        }
        Ok(Outcome::NotEnrolled) => to_enroll(),
        Err(e) => super::verify::error_page(frame, e),
    }
}
