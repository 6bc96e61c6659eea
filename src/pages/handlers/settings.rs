//! `/settings`: every logged-in account manages its own second factor —
//! see whether it is on, since when, how many backup codes remain and which
//! linked accounts share it; enroll; regenerate backup codes or turn 2FA off
//! (each after a current code, and off only where nobody requires it); see
//! and forget remembered browsers (after a step-up: a proof in this session
//! within `step_up_minutes`, never the remembered browser's own word).
//! Changes apply to the person, i.e. to every linked account at once.
//! A current second step is a code from the app, or a passkey (whose list
//! and forms live in `settings_passkeys.rs`).

use crate::access::audit;
use crate::access::decision::is_required;
use crate::access::remember;
use crate::access::services::Services;
use crate::access::session;
use crate::domain::{AuditEvent, AuditKind, BrowserId, PersonRecord, Purpose};
use crate::i18n::t;
use crate::pages::common::{person_record, posted_record, step_up};
use crate::pages::error::PageError;
use crate::pages::handlers::new_codes;
use crate::pages::handlers::settings_common::{format_time, required_of_person};
use crate::pages::handlers::settings_passkeys::{self as passkeys, Removal};
use crate::pages::handlers::verify::{self, Outcome, Proof, Submitted, verify_and_apply};
use crate::pages::views::{self, BrowserRow, Frame, SettingsView};
use crate::pages::{PageRequest, Reply, SessionCtx};
use crate::request::route::Route;
use crate::store::{StoreError, Update};

pub fn show(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let record = note_account(ctx, sess)?;
    let notice = match req.query_param("done").as_deref() {
        Some("disabled") => Some(t(frame.locale, "settings.disabled_done")),
        Some("forgotten") => Some(t(frame.locale, "remember.forgotten_done")),
        Some(other) => passkeys::notice(frame, other),
        None => None,
    };
    let errors = Errors::default();
    render(ctx, req, frame, sess, &record, notice, errors, 200)
}

/// Remember that this account belongs to the person (for the list of
/// linked accounts and support look-ups); writes only the first time.
fn note_account(ctx: &Services<'_>, sess: &SessionCtx) -> Result<PersonRecord, StoreError> {
    let key = sess.identity.person_key();
    let account = sess.identity.account();
    let record = ctx
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
        ctx.store.link_account(account, &key)?;
    }
    Ok(record.unwrap_or_default())
}

/// A message next to the form it is about.
#[derive(Default)]
struct Errors {
    regenerate: Option<String>,
    disable: Option<String>,
    passkey: Option<String>,
}

/// The settings page of `record`, with `notice` on top and `errors` next
/// to their forms, answered with `status`.
#[allow(clippy::too_many_arguments)]
fn render(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    notice: Option<&str>,
    errors: Errors,
    status: u16,
) -> Result<Reply, PageError> {
    if record.is_locked() {
        return Ok(crate::pages::locked(frame));
    }
    let policy = ctx.enforcement(sess.identity.company())?;
    let csrf = session::csrf_token(ctx.keys, sess.app, req.now);
    let linked = linked_accounts(sess, record);
    let prefix = &ctx.config.prefix;
    let browsers = browser_rows(ctx, req, sess, record)?;
    let confirm = crate::pages::common::passkey_challenge(ctx, req, sess, record);
    let codes = record.enrollment.is_some() && !verify::codes_refused(ctx, sess, record)?;
    let panel = passkeys::panel(
        ctx,
        frame,
        record,
        &csrf,
        confirm.as_ref().map(|c| c.form()).as_ref(),
        codes,
        errors.passkey.as_deref(),
    );
    let view = SettingsView {
        account: sess.identity.account(),
        enroll_href: crate::request::paths::with_return_to(
            &Route::Enroll.href(prefix),
            &Route::Settings.href(prefix),
        ),
        enrolled_at: enrolled_at(record).map(format_time),
        codes,
        confirm: confirm.as_ref().map(|c| c.form()),
        passkeys: panel,
        backup_left: record.backup_codes.as_ref().map(|s| s.remaining()),
        linked,
        required: is_required(sess.identity.class(), policy),
        may_manage_policy: sess
            .identity
            .may_manage_policy(&ctx.config.policy_admin_roles),
        csrf: &csrf,
        notice,
        regenerate_error: errors.regenerate,
        disable_error: errors.disable,
        browsers,
        remember_days: ctx.remember_days(sess.identity.company())?.days(),
    };
    let reply = Reply::html(status, views::settings(frame, &view));
    Ok(match confirm.is_some() {
        true => reply.with_script(),
        false => reply,
    })
}

/// The person's other accounts, which share this second step.
fn linked_accounts(sess: &SessionCtx, record: &PersonRecord) -> Vec<String> {
    record
        .accounts
        .iter()
        .filter(|a| **a != sess.identity.account())
        .cloned()
        .collect()
}

/// The person's remembered browsers that still count, as the page lists
/// them (this very browser marked).
fn browser_rows(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Result<Vec<BrowserRow>, StoreError> {
    let enrollment_id = record.second_step_id();
    let this_browser = this_browser(ctx, sess);
    let live = remember::live(ctx, &sess.identity, enrollment_id, req.now)?;
    let rows = live
        .into_iter()
        .map(|(id, b)| BrowserRow {
            id: id.to_hex(),
            label: b.label,
            created: format_time(b.created_at),
            last_used: format_time(b.last_used_at),
            this_browser: this_browser.contains(&id),
        })
        .collect();
    Ok(rows)
}

/// The store's names for the browser this request comes from, by its
/// remember cookie (none without one).
fn this_browser(ctx: &Services<'_>, sess: &SessionCtx) -> Vec<BrowserId> {
    sess.remember_cookie
        .as_deref()
        .map_or_else(Vec::new, |c| remember::browser_ids(ctx.keys, c))
}

/// When the person's second step was first set up: the app's enrollment
/// or their first passkey.
fn enrolled_at(record: &PersonRecord) -> Option<i64> {
    let app = record.enrollment.as_ref().map(|e| e.enrolled_at);
    let key = record.passkeys.iter().map(|p| p.added_at).min();
    app.into_iter().chain(key).min()
}

pub async fn change(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let record = posted_record(ctx, req, sess)?;
    if record.is_locked() {
        return Ok(crate::pages::locked(frame));
    }
    // Managing remembered browsers and naming keys ask for a recent proof
    // in this session (a step-up), never a remembered browser's own word.
    let action = req.form.get("action");
    if matches!(
        action,
        Some("forget_browser" | "forget_browsers" | "rename_passkey")
    ) && let Some(first) = step_up(ctx, req, sess, &record, &settings_href(ctx))
    {
        return Ok(first);
    }
    match action {
        Some("forget_browser") => return forget_browsers(ctx, req, sess, false),
        Some("forget_browsers") => return forget_browsers(ctx, req, sess, true),
        _ => {}
    }
    if !record.is_enrolled() {
        return Ok(Reply::redirect(&settings_href(ctx)));
    }
    let action =
        SettingsAction::parse(req.form.get("action")).ok_or(PageError::BadForm("action"))?;
    if action == SettingsAction::RenamePasskey {
        return match passkeys::rename(ctx, req, sess, &record)? {
            Ok(done) => Ok(done),
            Err(error) => refused(ctx, req, frame, sess, action, error),
        };
    }
    let proof = match verify::read_proof(ctx, sess, &record, &req.form, req.now) {
        // Backup codes are for getting in, not for changing the settings.
        Submitted::Proof(proof) if !proof.is_backup() => proof,
        Submitted::Stale => {
            return refused(ctx, req, frame, sess, action, "error.passkey_expired");
        }
        _ => return refused(ctx, req, frame, sess, action, "error.wrong_code"),
    };
    if !proof.is_passkey() && verify::codes_refused(ctx, sess, &record)? {
        return refused(ctx, req, frame, sess, action, "error.passkey_only");
    }
    match action {
        SettingsAction::Disable => disable(ctx, req, frame, sess, &record, &proof).await,
        SettingsAction::Regenerate => regenerate(ctx, req, frame, sess, &record, &proof).await,
        SettingsAction::RemovePasskey => {
            remove_passkey(ctx, req, frame, sess, &record, &proof).await
        }
        SettingsAction::RenamePasskey => Err(PageError::BadForm("action")),
    }
}

/// "Remove" a passkey after `proof`, and the page that says how it went.
async fn remove_passkey(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
) -> Result<Reply, PageError> {
    let action = SettingsAction::RemovePasskey;
    match passkeys::remove(ctx, req, sess, record, proof).await? {
        Removal::Done(reply) => Ok(reply),
        Removal::Required => refused(ctx, req, frame, sess, action, "settings.disable_required"),
        Removal::Failed(outcome) => after_failure(ctx, req, frame, sess, outcome, action, proof),
    }
}

/// "Forget" one remembered browser (the form's `browser`) or all of them.
/// Forgetting this very browser also removes its cookie.
fn forget_browsers(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    all: bool,
) -> Result<Reply, PageError> {
    let which = match all {
        true => None,
        false => Some(
            req.form
                .get("browser")
                .and_then(BrowserId::from_hex)
                .ok_or(PageError::BadForm("browser"))?,
        ),
    };
    let key = sess.identity.person_key();
    let by = remember::ForgetBy::User(&sess.identity);
    let why = match all {
        true => "all, from settings",
        false => "one, from settings",
    };
    remember::forget(ctx.store.as_ref(), &key, which.as_ref(), by, why, req.now)?;
    let this_browser = this_browser(ctx, sess);
    let done = format!("{}?done=forgotten", settings_href(ctx));
    let response = Reply::redirect(&done);
    Ok(
        match all || which.is_some_and(|w| this_browser.contains(&w)) {
            true => response.with_header("Set-Cookie", remember::clear_cookie(ctx)),
            false => response,
        },
    )
}

fn settings_href(ctx: &Services<'_>) -> String {
    Route::Settings.href(&ctx.config.prefix)
}

/// What a settings form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SettingsAction {
    Disable,
    Regenerate,
    RenamePasskey,
    RemovePasskey,
}

impl SettingsAction {
    fn parse(value: Option<&str>) -> Option<SettingsAction> {
        match value? {
            "disable" => Some(SettingsAction::Disable),
            "regenerate" => Some(SettingsAction::Regenerate),
            "rename_passkey" => Some(SettingsAction::RenamePasskey),
            "remove_passkey" => Some(SettingsAction::RemovePasskey),
            _ => None,
        }
    }
}

async fn disable(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
) -> Result<Reply, PageError> {
    if required_of_person(ctx, sess, record)? {
        let errors = Errors {
            disable: Some(t(frame.locale, "settings.disable_required").to_owned()),
            ..Errors::default()
        };
        return render(ctx, req, frame, sess, record, None, errors, 403);
    }
    let mut off = |rec: &mut PersonRecord| {
        rec.enrollment = None;
        rec.pending.clear();
        rec.backup_codes = None;
        rec.passkeys.clear();
        rec.used_ceremonies.clear();
    };
    let now = req.now;
    match verify_and_apply(ctx, sess, record, proof, now, Purpose::Disable, &mut off).await? {
        Outcome::Passed => {
            let event = AuditEvent::by_user(&sess.identity, AuditKind::Disabled, now);
            audit::record(ctx.store.as_ref(), event.with_note("from settings"));
            // With 2FA off there is nothing to remember a browser for.
            let key = sess.identity.person_key();
            let by = remember::ForgetBy::User(&sess.identity);
            remember::forget(ctx.store.as_ref(), &key, None, by, "2FA turned off", now)?;
            let done = format!("{}?done=disabled", settings_href(ctx));
            Ok(Reply::redirect(&done).with_header("Set-Cookie", remember::clear_cookie(ctx)))
        }
        other => after_failure(ctx, req, frame, sess, other, SettingsAction::Disable, proof),
    }
}

/// New backup codes after a current code. The code is checked (cheaply,
/// without recording) *before* the ten Argon2id hashes of a new set, so a
/// session without the authenticator cannot make the gateway hash; the
/// atomic check-and-record then happens with the new set in hand.
async fn regenerate(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
) -> Result<Reply, PageError> {
    let now = req.now;
    let purpose = Purpose::RegenerateCodes;
    if !verify::plausible(ctx, sess, record, proof, now) {
        let outcome = verify_and_apply(ctx, sess, record, proof, now, purpose, &mut |_| {}).await?;
        return after_failure(
            ctx,
            req,
            frame,
            sess,
            outcome,
            SettingsAction::Regenerate,
            proof,
        );
    }
    let new_codes = new_codes::generate(ctx, sess, record, now);
    let mut replace = |rec: &mut PersonRecord| {
        let mut set = new_codes.set.clone();
        set.generation = rec.backup_codes.as_ref().map_or(0, |s| s.generation) + 1;
        rec.backup_codes = Some(set);
    };
    match verify_and_apply(ctx, sess, record, proof, now, purpose, &mut replace).await? {
        Outcome::Passed => {
            let event = AuditEvent::by_user(&sess.identity, AuditKind::BackupCodesRegenerated, now);
            audit::record(ctx.store.as_ref(), event.with_note("from settings"));
            let back = settings_href(ctx);
            Ok(new_codes::page(
                ctx,
                sess,
                frame,
                &new_codes.codes,
                &back,
                now,
                false,
            ))
        }
        other => after_failure(
            ctx,
            req,
            frame,
            sess,
            other,
            SettingsAction::Regenerate,
            proof,
        ),
    }
}

/// The settings page again, with the message `key` next to the form used.
fn refused(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    action: SettingsAction,
    key: &str,
) -> Result<Reply, PageError> {
    let record = person_record(ctx, sess)?;
    let msg = Some(t(frame.locale, key).to_owned());
    let errors = match action {
        SettingsAction::Disable => Errors {
            disable: msg,
            ..Errors::default()
        },
        SettingsAction::Regenerate => Errors {
            regenerate: msg,
            ..Errors::default()
        },
        SettingsAction::RenamePasskey | SettingsAction::RemovePasskey => Errors {
            passkey: msg,
            ..Errors::default()
        },
    };
    render(ctx, req, frame, sess, &record, None, errors, 422)
}

/// The page after a proof that did not pass.
fn after_failure(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &Frame<'_>,
    sess: &SessionCtx,
    outcome: Outcome,
    action: SettingsAction,
    proof: &Proof,
) -> Result<Reply, PageError> {
    let wrong = match proof.is_passkey() {
        true => "error.passkey_failed",
        false => "error.wrong_code",
    };
    match outcome {
        Outcome::Failed => refused(ctx, req, frame, sess, action, wrong),
        Outcome::LockedNow | Outcome::Locked => Ok(crate::pages::locked(frame)),
        Outcome::NotEnrolled | Outcome::Passed => Ok(Reply::redirect(&settings_href(ctx))),
    }
}
