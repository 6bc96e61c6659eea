//! `/settings`: every logged-in account manages its own second factor —
//! see whether it is on, since when, how many backup codes remain and which
//! linked accounts share it; enroll; regenerate backup codes or turn 2FA off
//! (each after a current code, and off only where nobody requires it).
//! Changes apply to the person, i.e. to every linked account at once.

use super::enroll::{backup_codes_page, csrf_ok, new_backup_codes, store_failure};
use super::i18n::t;
use super::verify::{Outcome, Proof, VerifyError, verify_and_apply};
use super::views::{self, Frame, SettingsView};
use super::{PageRequest, PageResponse, SessionCtx};
use crate::audit;
use crate::decision::{Denial, is_required};
use crate::domain::{AuditKind, Enforcement, PersonRecord};
use crate::gate::Gate;
use crate::session;
use crate::store::Update;

pub fn show(gate: &Gate, req: &PageRequest, frame: &Frame<'_>, sess: &SessionCtx) -> PageResponse {
    let record = match note_account(gate, sess) {
        Ok(r) => r,
        Err(e) => return store_failure(frame, &e),
    };
    let notice = match req.query_param("done").as_deref() {
        Some("disabled") => Some(t(frame.locale, "settings.disabled_done")),
        _ => None,
    };
    render(
        gate,
        req,
        frame,
        sess,
        &record,
        notice,
        Errors::default(),
        200,
    )
}

/// Remember that this account belongs to the person (for the list of
/// linked accounts and support look-ups); writes only the first time.
fn note_account(gate: &Gate, sess: &SessionCtx) -> Result<PersonRecord, crate::store::StoreError> {
    let key = sess.identity.person_key();
    let account = &sess.identity.account;
    let record = gate
        .store
        .update_person(&key, &mut |current| match current {
            Some(rec) if !rec.knows_account(&sess.identity) => {
                let mut next = rec.clone();
                next.note_account(&sess.identity);
                Update::Put(next)
            }
            _ => Update::Keep,
        })?;
    if record.is_some() {
        gate.store.link_account(account, &key)?;
    }
    Ok(record.unwrap_or_default())
}

#[derive(Default)]
struct Errors {
    regenerate: Option<String>,
    disable: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn render(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    notice: Option<&str>,
    errors: Errors,
    status: u16,
) -> PageResponse {
    if record.is_locked() {
        return super::deny(gate, Denial::Locked, "/", true, frame);
    }
    let required = match gate.enforcement(&sess.identity.company) {
        Ok(policy) => is_required(sess.identity.class, policy),
        Err(e) => return store_failure(frame, &e),
    };
    let csrf = session::csrf_token(&gate.keys, sess.app, req.now);
    let linked = record
        .accounts
        .iter()
        .filter(|a| **a != sess.identity.account)
        .cloned()
        .collect();
    let prefix = &gate.config.prefix;
    let view = SettingsView {
        account: &sess.identity.account,
        enroll_href: crate::paths::with_return_to(
            &format!("{prefix}/enroll"),
            &format!("{prefix}/settings"),
        ),
        enrolled_at: record
            .enrollment
            .as_ref()
            .map(|e| format_time(e.enrolled_at)),
        backup_left: record.backup_codes.as_ref().map(|s| s.remaining()),
        linked,
        required,
        may_manage_policy: sess.identity.may_manage_policy(),
        csrf: &csrf,
        notice,
        regenerate_error: errors.regenerate,
        disable_error: errors.disable,
    };
    PageResponse::html(status, views::settings(frame, &view))
}

/// `YYYY-MM-DD HH:MM UTC`.
pub fn format_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

pub async fn change(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> PageResponse {
    if !csrf_ok(gate, req, sess) {
        return super::failure(frame, 403);
    }
    let prefix = &gate.config.prefix;
    let settings_url = format!("{prefix}/settings");
    let record = match gate.store.person(&sess.identity.person_key()) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    if record.is_locked() {
        return super::deny(gate, Denial::Locked, "/", true, frame);
    }
    if !record.is_enrolled() {
        return PageResponse::redirect(&settings_url);
    }
    let Some(action) = SettingsAction::parse(req.form.get("action")) else {
        return super::failure(frame, 400);
    };
    let Some(proof) = Proof::from_form(&req.form).filter(|p| !p.is_backup()) else {
        return wrong_code(gate, req, frame, sess, action);
    };
    match action {
        SettingsAction::Disable => disable(gate, req, frame, sess, &record, &proof).await,
        SettingsAction::Regenerate => regenerate(gate, req, frame, sess, &record, &proof).await,
    }
}

/// What a settings form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SettingsAction {
    Disable,
    Regenerate,
}

impl SettingsAction {
    fn parse(value: Option<&str>) -> Option<SettingsAction> {
        match value? {
            "disable" => Some(SettingsAction::Disable),
            "regenerate" => Some(SettingsAction::Regenerate),
            _ => None,
        }
    }
}

/// Whether 2FA is required of the *person*: the strictest rule among the
/// person's linked accounts (all in one company), so that a candidate
/// account cannot turn off what the same human's employee account must have.
fn required_of_person(
    gate: &Gate,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Result<bool, crate::store::StoreError> {
    let policy = gate.enforcement(&sess.identity.company)?;
    Ok(is_required(sess.identity.class, policy)
        || (policy == Enforcement::Required && record.staff_account))
}

async fn disable(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
) -> PageResponse {
    match required_of_person(gate, sess, record) {
        Ok(false) => {}
        Ok(true) => {
            let errors = Errors {
                disable: Some(t(frame.locale, "settings.disable_required").to_owned()),
                ..Errors::default()
            };
            return render(gate, req, frame, sess, record, None, errors, 403);
        }
        Err(e) => return store_failure(frame, &e),
    }
    let mut off = |rec: &mut PersonRecord| {
        rec.enrollment = None;
        rec.pending.clear();
        rec.backup_codes = None;
    };
    let now = req.now;
    match verify_and_apply(gate, sess, record, proof, now, "disable", &mut off).await {
        Ok(Outcome::Passed) => {
            audit::record(
                gate.store.as_ref(),
                audit::by_user(&sess.identity, AuditKind::Disabled, now, "from settings"),
            );
            let prefix = &gate.config.prefix;
            PageResponse::redirect(&format!("{prefix}/settings?done=disabled"))
        }
        other => after_failure(gate, req, frame, sess, other, SettingsAction::Disable),
    }
}

/// New backup codes after a current code. The code is checked (cheaply,
/// without recording) *before* the ten Argon2id hashes of a new set, so a
/// session without the authenticator cannot make the gateway hash; the
/// atomic check-and-record then happens with the new set in hand.
async fn regenerate(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
) -> PageResponse {
    let now = req.now;
    if !super::verify::plausible(gate, sess, record, proof, now) {
        let purpose = "regenerate backup codes";
        let outcome = verify_and_apply(gate, sess, record, proof, now, purpose, &mut |_| {}).await;
        return after_failure(gate, req, frame, sess, outcome, SettingsAction::Regenerate);
    }
    let Some(new_codes) = new_backup_codes(record, now).await else {
        return super::busy(frame);
    };
    let mut replace = |rec: &mut PersonRecord| {
        let mut set = new_codes.set.clone();
        set.generation = rec.backup_codes.as_ref().map_or(0, |s| s.generation) + 1;
        rec.backup_codes = Some(set);
    };
    let purpose = "regenerate backup codes";
    match verify_and_apply(gate, sess, record, proof, now, purpose, &mut replace).await {
        Ok(Outcome::Passed) => {
            audit::record(
                gate.store.as_ref(),
                audit::by_user(
                    &sess.identity,
                    AuditKind::BackupCodesRegenerated,
                    now,
                    "from settings",
                ),
            );
            let settings_url = format!("{}/settings", gate.config.prefix);
            backup_codes_page(gate, sess, frame, &new_codes.codes, &settings_url, now)
        }
        other => after_failure(gate, req, frame, sess, other, SettingsAction::Regenerate),
    }
}

/// The settings page again, with "wrong code" next to the form used.
fn wrong_code(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    action: SettingsAction,
) -> PageResponse {
    let record = match gate.store.person(&sess.identity.person_key()) {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => return store_failure(frame, &e),
    };
    let msg = Some(t(frame.locale, "error.wrong_code").to_owned());
    let errors = match action {
        SettingsAction::Disable => Errors {
            disable: msg,
            ..Errors::default()
        },
        SettingsAction::Regenerate => Errors {
            regenerate: msg,
            ..Errors::default()
        },
    };
    render(gate, req, frame, sess, &record, None, errors, 422)
}

fn after_failure(
    gate: &Gate,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    outcome: Result<Outcome, VerifyError>,
    action: SettingsAction,
) -> PageResponse {
    match outcome {
        Ok(Outcome::Failed) => wrong_code(gate, req, frame, sess, action),
        Ok(Outcome::LockedNow | Outcome::Locked) => {
            super::deny(gate, Denial::Locked, "/", true, frame)
        }
        Ok(Outcome::NotEnrolled | Outcome::Passed) => {
            PageResponse::redirect(&format!("{}/settings", gate.config.prefix))
        }
        Err(e) => super::verify::error_page(frame, e),
    }
}
