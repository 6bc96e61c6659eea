//! `/passkeys`: register a passkey or security key. Reached by a verified
//! session (adding another second step, after a step-up: a proof in this
//! session within `step_up_minutes`), or by one the rule sends to
//! enrollment (a first second step, or the passkey its company requires);
//! never by a session that still owes the challenge (`Access::Enrolling`).
//! The page starts a registration ceremony sealed into its form; the post
//! checks the browser's answer with the library and adds the key to the
//! person in one atomic update. A first second step also gets backup codes,
//! shown once, and the gateway cookie, as enrollment with the app does.

use crate::access::audit;
use crate::access::decision::needs_passkey;
use crate::access::services::Services;
use crate::access::session;
use crate::domain::{
    AuditEvent, AuditKind, Factor, MAX_PASSKEYS, Passkey, PersonRecord, passkey_name,
};
use crate::factors::backup_codes::NewCodes;
use crate::factors::passkey::{Ceremony, Kind, Passkeys, is_registered, new_passkey};
use crate::i18n::t;
use crate::pages::answers::not_found;
use crate::pages::common::{gateway_cookie, person_record, posted_record, step_up};
use crate::pages::error::PageError;
use crate::pages::handlers::new_codes;
use crate::pages::views::passkeys::{self, PasskeyAddView, PasskeyForm};
use crate::pages::{PageRequest, Reply, SessionCtx};
use crate::request::route::Route;
use crate::store::Update;
use webauthn_rs::prelude::{SecurityKey, SecurityKeyRegistration};

pub fn show(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &crate::pages::views::Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let Some(passkeys) = ctx.passkeys.as_ref() else {
        return Ok(not_found(frame));
    };
    let record = person_record(ctx, sess)?;
    if record.is_locked() {
        return Ok(crate::pages::locked(frame));
    }
    if let Some(first) = proof_first(ctx, req, sess, &record) {
        return Ok(first);
    }
    render(ctx, passkeys, req, frame, sess, &record, None)
}

/// Another second step for an enrolled person asks for a fresh proof in
/// this session (a step-up): never a remembered browser, never an old one,
/// so that a stolen remembered-browser cookie cannot add a key that
/// outlives it. A first second step needs none (there is nothing to prove).
fn proof_first(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Option<Reply> {
    let prefix = &ctx.config.prefix;
    let here = crate::request::paths::with_return_to(
        &Route::Passkeys.href(prefix),
        &req.return_to(prefix),
    );
    step_up(ctx, req, sess, record, &here)
}

/// The form, with a fresh ceremony; `error` (then 422) after a refusal.
fn render(
    ctx: &Services<'_>,
    passkeys: &Passkeys,
    req: &PageRequest,
    frame: &crate::pages::views::Frame<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
    error: Option<&str>,
) -> Result<Reply, PageError> {
    let key = sess.identity.person_key();
    let (options, state) = passkeys
        .start_registration(ctx.keys, &key, sess.identity.account(), &record.passkeys)
        .map_err(PageError::Passkey)?;
    let ceremony = Ceremony::seal(ctx.keys, Kind::Register, &sess.app, &key, state, req.now);
    let csrf = session::csrf_token(ctx.keys, sess.app, req.now);
    let return_to = req.return_to(&ctx.config.prefix);
    let required = needs_passkey(
        sess.identity.class(),
        ctx.enforcement(sess.identity.company())?,
    );
    let app_href = (!record.is_enrolled() && !required).then(|| {
        crate::request::paths::with_return_to(&Route::Enroll.href(&ctx.config.prefix), &return_to)
    });
    let view = PasskeyAddView {
        required,
        form: PasskeyForm {
            options: &options,
            ceremony: &ceremony,
        },
        csrf: &csrf,
        return_to: &return_to,
        name: req.form.get("name").unwrap_or(""),
        error: error.map(|key| t(frame.locale, key).to_owned()),
        app_href,
    };
    let status = if error.is_some() { 422 } else { 200 };
    Ok(Reply::html(status, passkeys::add_page(frame, &view)).with_script())
}

/// What stopped a registration, as the page says it.
enum NotAdded {
    Name,
    Expired,
    Refused,
    Duplicate,
    Limit,
}

impl NotAdded {
    fn message(&self) -> &'static str {
        match self {
            NotAdded::Name => "error.passkey_name",
            NotAdded::Expired => "error.passkey_expired",
            NotAdded::Refused => "error.passkey_not_added",
            NotAdded::Duplicate => "error.passkey_duplicate",
            NotAdded::Limit => "error.passkey_limit",
        }
    }
}

pub async fn register(
    ctx: &Services<'_>,
    req: &PageRequest,
    frame: &crate::pages::views::Frame<'_>,
    sess: &SessionCtx,
) -> Result<Reply, PageError> {
    let Some(passkeys) = ctx.passkeys.as_ref() else {
        return Ok(not_found(frame));
    };
    let record = posted_record(ctx, req, sess)?;
    if record.is_locked() {
        return Ok(crate::pages::locked(frame));
    }
    if let Some(first) = proof_first(ctx, req, sess, &record) {
        return Ok(first);
    }
    let (passkey, codes) = match added(ctx, passkeys, req, sess, &record).await? {
        Ok(added) => added,
        Err(why) => {
            return render(
                ctx,
                passkeys,
                req,
                frame,
                sess,
                &record,
                Some(why.message()),
            );
        }
    };
    let event = AuditEvent::by_user(&sess.identity, AuditKind::PasskeyAdded, req.now)
        .with_method(Factor::Passkey)
        .with_note(format!("\"{}\"", passkey.name));
    audit::record(ctx.store.as_ref(), event);
    let return_to = req.return_to(&ctx.config.prefix);
    let Some(codes) = codes else {
        let settings = Route::Settings.href(&ctx.config.prefix);
        let next = match return_to == settings {
            true => format!("{settings}?done=passkey_added"),
            false => return_to,
        };
        return Ok(Reply::redirect(&next));
    };
    // A first second step: enrolled now, like enrollment with the app.
    let event = AuditEvent::by_user(&sess.identity, AuditKind::Enrolled, req.now);
    audit::record(ctx.store.as_ref(), event.with_method(Factor::Passkey));
    // The person had no second step: this key is the one a cookie names.
    let person = sess.identity.person_key();
    let bound = session::Bound::new(passkey.id, record.trust_epoch);
    // Registering the key was a ceremony with it: a proof by passkey.
    let cookie = session::issue_cookie_by(ctx.keys, sess.app, &person, bound, req.now, true);
    Ok(
        new_codes::page(ctx, sess, frame, &codes.codes, &return_to, req.now, false)
            .with_header("Set-Cookie", gateway_cookie(ctx, &cookie)),
    )
}

/// Check the form and add its key: the key, and for a first second step
/// the new backup codes; or why not.
async fn added(
    ctx: &Services<'_>,
    passkeys: &Passkeys,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Result<Result<(Passkey, Option<NewCodes>), NotAdded>, PageError> {
    let (name, key) = match checked(ctx, passkeys, req, sess) {
        Ok(checked) => checked,
        Err(why) => return Ok(Err(why)),
    };
    let first = !record.is_enrolled();
    let codes = match first {
        true => Some(new_codes::generate(ctx, sess, record, req.now)),
        false => None,
    };
    let passkey = new_passkey(&key, name, sess.identity.account(), req.now);
    let set = codes.as_ref().map(|c| c.set.clone());
    Ok(add(ctx, sess, &key, &passkey, set, first)?.map(|()| (passkey, codes)))
}

/// The form's name and the credential its answer registers, checked.
fn checked(
    ctx: &Services<'_>,
    passkeys: &Passkeys,
    req: &PageRequest,
    sess: &SessionCtx,
) -> Result<(String, SecurityKey), NotAdded> {
    let name = req
        .form
        .get("name")
        .and_then(passkey_name)
        .ok_or(NotAdded::Name)?;
    let person = sess.identity.person_key();
    let ceremony = req
        .form
        .get("ceremony")
        .and_then(|token| {
            Ceremony::<SecurityKeyRegistration>::open(
                ctx.keys,
                Kind::Register,
                &sess.app,
                &person,
                token,
                req.now,
            )
        })
        .ok_or(NotAdded::Expired)?;
    let answer = req.form.get("passkey_answer").unwrap_or("");
    let key = passkeys
        .finish_registration(answer, &ceremony.state)
        .inspect_err(|e| tracing::info!(error = %e, "passkey registration refused"))
        .map_err(|_| NotAdded::Refused)?;
    Ok((name, key))
}

/// Add `passkey` to the person in one atomic update (with `codes` for a
/// first second step), or why not.
fn add(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    key: &SecurityKey,
    passkey: &Passkey,
    codes: Option<crate::domain::BackupCodeSet>,
    first: bool,
) -> Result<Result<(), NotAdded>, PageError> {
    let person = sess.identity.person_key();
    if let Err(e) = ctx.store.link_account(sess.identity.account(), &person) {
        tracing::warn!(error = %e, "could not index account");
    }
    let mut why = None;
    let change = crate::notify::Change::by_user(&sess.identity, &sess.whence);
    let notify = ctx.config.notify.as_ref();
    crate::notify::update_person(
        ctx.store.as_ref(),
        notify,
        &person,
        &change,
        &mut |current| {
            let rec = current.cloned().unwrap_or_default();
            // Enrolled (or not) meanwhile, in another tab: what this
            // session proved was about the person as it was.
            why = if rec.is_locked() || rec.is_enrolled() == first {
                Some(NotAdded::Refused)
            } else if rec.passkeys.len() >= MAX_PASSKEYS {
                Some(NotAdded::Limit)
            } else if is_registered(&rec, key) {
                Some(NotAdded::Duplicate)
            } else {
                None
            };
            if why.is_some() {
                return Update::Keep;
            }
            let mut next = rec;
            next.passkeys.push(passkey.clone());
            if first {
                next.pending.clear();
                next.backup_codes = codes.clone();
                next.failures = 0;
            }
            next.note_account(&sess.identity);
            Update::Put(next)
        },
    )?;
    Ok(why.map_or(Ok(()), Err))
}
