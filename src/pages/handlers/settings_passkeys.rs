//! The settings page's passkeys and security keys: the list with its forms
//! (`panel`), renaming one (no second step needed: a name changes no
//! trust), and removing one — after a current second step, like turning
//! 2FA off, and the last second step only where nobody requires one
//! (where a company requires a passkey, the last passkey stays).

use crate::access::audit;
use crate::access::services::Services;
use crate::access::session;
use crate::domain::{AuditEvent, AuditKind, PersonRecord, Purpose, passkey_name};
use crate::i18n::t;
use crate::pages::error::PageError;
use crate::pages::handlers::settings_common::{format_time, required_of_person};
use crate::pages::handlers::verify::{Outcome, Proof, verify_and_apply};
use crate::pages::views::Frame;
use crate::pages::views::passkeys::{self, PasskeyForm, PasskeyPanel, PasskeyRow};
use crate::pages::{PageRequest, Reply, SessionCtx, common};
use crate::request::route::Route;
use crate::store::Update;
use maud::Markup;

/// The list of keys with their forms; `None` when passkeys are off.
pub(in crate::pages) fn panel(
    ctx: &Services<'_>,
    frame: &Frame,
    record: &PersonRecord,
    csrf: &str,
    confirm: Option<&PasskeyForm>,
    codes: bool,
    error: Option<&str>,
) -> Option<Markup> {
    ctx.passkeys.as_ref()?;
    let rows: Vec<PasskeyRow> = record
        .passkeys
        .iter()
        .map(|p| PasskeyRow {
            id: p.id.to_string(),
            name: p.name.clone(),
            added: format_time(p.added_at),
            used: p.last_used_at.map(format_time),
        })
        .collect();
    let prefix = &ctx.config.prefix;
    let add_href = crate::request::paths::with_return_to(
        &Route::Passkeys.href(prefix),
        &Route::Settings.href(prefix),
    );
    let view = PasskeyPanel {
        rows: &rows,
        csrf,
        confirm,
        codes,
        error,
        add_href,
    };
    Some(passkeys::panel(frame, &view))
}

/// The key the form names, by our id.
fn named(req: &PageRequest, record: &PersonRecord) -> Result<u64, PageError> {
    req.form
        .get("passkey")
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|id| record.passkeys.iter().any(|p| p.id == *id))
        .ok_or(PageError::BadForm("passkey"))
}

fn done(ctx: &Services<'_>, what: &str) -> Reply {
    let settings = Route::Settings.href(&ctx.config.prefix);
    Reply::redirect(&format!("{settings}?done={what}"))
}

/// "Rename": a new name for one key.
pub(in crate::pages) fn rename(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Result<Result<Reply, &'static str>, PageError> {
    let id = named(req, record)?;
    let Some(name) = req.form.get("name").and_then(passkey_name) else {
        return Ok(Err("error.passkey_name"));
    };
    let key = sess.identity.person_key();
    let mut old = String::new();
    ctx.store.update_person(&key, &mut |current| {
        let Some(mut next) = current.cloned() else {
            return Update::Keep;
        };
        match next.passkeys.iter_mut().find(|p| p.id == id) {
            Some(p) if p.name != name => {
                old = std::mem::replace(&mut p.name, name.clone());
                Update::Put(next)
            }
            _ => Update::Keep,
        }
    })?;
    if !old.is_empty() {
        let event = AuditEvent::by_user(&sess.identity, AuditKind::PasskeyRenamed, req.now)
            .with_note(format!("\"{old}\" -> \"{name}\""));
        audit::record(ctx.store.as_ref(), event);
    }
    Ok(Ok(done(ctx, "passkey_renamed")))
}

/// How a removal ended.
pub(in crate::pages) enum Removal {
    Done(Reply),
    /// It would take away a second step that is required.
    Required,
    /// The proof did not pass.
    Failed(Outcome),
}

/// "Remove", after `proof`. Removing the last second step turns 2FA off
/// (and its backup codes with it), which a requirement forbids; where a
/// company requires a passkey, the last passkey cannot go either. Checked
/// on the record as it is in the atomic update too, so two tabs removing
/// one key each cannot together remove the last.
pub(in crate::pages) async fn remove(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
    proof: &Proof,
) -> Result<Removal, PageError> {
    let id = named(req, record)?;
    let required = required_of_person(ctx, sess, record)?;
    let passkey_only = ctx.enforcement(sess.identity.company())?.passkey_only();
    let forbidden = |rec: &PersonRecord| {
        let passkey_left = rec.passkeys.iter().any(|p| p.id != id);
        let enrolled_after = rec.enrollment.is_some() || passkey_left;
        required && (!enrolled_after || (passkey_only && !passkey_left))
    };
    if forbidden(record) {
        return Ok(Removal::Required);
    }
    let mut name = String::new();
    let mut refused = false;
    let mut take = |rec: &mut PersonRecord| {
        refused = forbidden(rec);
        if refused {
            return;
        }
        if let Some(p) = rec.passkeys.iter().find(|p| p.id == id) {
            name = p.name.clone();
        }
        rec.passkeys.retain(|p| p.id != id);
        if !rec.is_enrolled() {
            rec.backup_codes = None;
            rec.pending.clear();
            rec.used_ceremonies.clear();
        }
    };
    let purpose = Purpose::RemovePasskey;
    let outcome = verify_and_apply(ctx, sess, record, proof, req.now, purpose, &mut take).await?;
    if outcome != Outcome::Passed {
        return Ok(Removal::Failed(outcome));
    }
    if refused {
        return Ok(Removal::Required);
    }
    let event = AuditEvent::by_user(&sess.identity, AuditKind::PasskeyRemoved, req.now)
        .with_note(format!("\"{name}\""));
    audit::record(ctx.store.as_ref(), event);
    let reply = done(ctx, "passkey_removed");
    Ok(Removal::Done(rebound(ctx, req, sess, record, reply)?))
}

/// `reply` after a removal from `before`. The session proved itself just
/// now: when the key removed was the one its cookie is bound to (the
/// oldest of a passkey-only person), it gets a cookie for the next one
/// rather than a challenge.
fn rebound(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    before: &PersonRecord,
    reply: Reply,
) -> Result<Reply, PageError> {
    let now = common::person_record(ctx, sess)?;
    Ok(match now.second_step_id() {
        Some(next) if before.second_step_id() != Some(next) => {
            let key = sess.identity.person_key();
            let bound = session::Bound::new(next, now.trust_epoch);
            let cookie = session::issue_cookie(ctx.keys, sess.app, &key, bound, req.now);
            reply.with_header("Set-Cookie", common::gateway_cookie(ctx, &cookie))
        }
        _ => reply,
    })
}

/// The message of a `done=` notice of this panel.
pub(in crate::pages) fn notice(frame: &Frame, done: &str) -> Option<&'static str> {
    let key = match done {
        "passkey_added" => "passkey.added_done",
        "passkey_removed" => "passkey.removed_done",
        "passkey_renamed" => "passkey.renamed_done",
        _ => return None,
    };
    Some(t(frame.locale, key))
}
