//! What several page handlers need and no one handler owns: the CSRF check
//! of our forms, the gateway cookie a passed second step sets, the one
//! place a sealed TOTP secret is opened, reading the person's record, and
//! the way to another of our pages keeping `return_to`, the step-up that
//! changing a person's factors asks for, and a passkey challenge for a
//! page (the challenge and the settings page carry one).

use super::error::PageError;
use super::views::passkeys::PasskeyForm;
use super::{PageRequest, Reply, SessionCtx};
use crate::access::services::Services;
use crate::access::session;
use crate::domain::{PersonKey, PersonRecord};
use crate::factors::passkey::{Ceremony, Kind};
use crate::factors::totp::TotpSecret;
use crate::request::paths;
use crate::request::route::Route;
use crate::request::set_cookie::SetCookie;

/// The form's CSRF token is valid for this app session now, or `Csrf`.
pub fn require_csrf(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
) -> Result<(), PageError> {
    let valid = req
        .form
        .get("csrf")
        .is_some_and(|t| session::csrf_is_valid(ctx.keys, t, sess.app, req.now));
    match valid {
        true => Ok(()),
        false => Err(PageError::Csrf),
    }
}

/// Set-Cookie for the gateway cookie after a passed challenge or enrollment.
pub fn gateway_cookie(ctx: &Services<'_>, value: &str) -> String {
    let c = &ctx.config.cookie;
    SetCookie {
        name: &c.name,
        value,
        path: "/",
        max_age_secs: c.max_age.as_secs(),
        http_only: true,
        secure: c.secure,
    }
    .header()
}

/// Open a sealed TOTP secret of the person `key`: the secret is sealed to
/// the person, so a sealed secret copied to another record opens nowhere.
pub fn open_secret(
    ctx: &Services<'_>,
    key: &PersonKey,
    sealed: &[u8],
) -> Result<TotpSecret, PageError> {
    ctx.keys
        .open(key.as_str().as_bytes(), sealed)
        .and_then(|b| TotpSecret::from_bytes(&b))
        .ok_or(PageError::Secret)
}

/// The record of the session's person (a default one if there is none yet).
pub fn person_record(ctx: &Services<'_>, sess: &SessionCtx) -> Result<PersonRecord, PageError> {
    Ok(ctx
        .store
        .person(&sess.identity.person_key())?
        .unwrap_or_default())
}

/// The opening of every form post of ours that changes the person: the
/// CSRF token checked first (a forged post reads nothing), then the
/// person's record as it is now.
pub fn posted_record(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
) -> Result<PersonRecord, PageError> {
    require_csrf(ctx, req, sess)?;
    person_record(ctx, sess)
}

/// A 303 to our page `route`, which returns to `return_to` when done.
pub fn redirect_to(ctx: &Services<'_>, route: Route, return_to: &str) -> Reply {
    let href = route.href(&ctx.config.prefix);
    Reply::redirect(&paths::with_return_to(&href, return_to))
}

/// Changing a person's factors asks for a second step proven in this app
/// session within `step_up_minutes` (DESIGN §9; a remembered browser or
/// an older proof never counts): `None` when there is one, else the way
/// to the challenge in its step-up form, which comes back to `back` (one
/// of our returnable pages) once passed. A form is never replayed: the
/// person comes back to the page and sends it again, with its token.
pub fn step_up(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
    back: &str,
) -> Option<Reply> {
    let within = ctx.config.step_up.as_secs() as i64;
    // A person with no second step has nothing to prove it with: what it
    // may change is what its password already reaches.
    if !record.is_enrolled() || sess.trust.fresh(req.now, within) {
        return None;
    }
    let prefix = &ctx.config.prefix;
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("step_up", "1");
    let back = paths::safe_return_to(back, prefix);
    if back != "/" {
        q.append_pair("return_to", &back);
    }
    let href = format!("{}?{}", Route::Challenge.href(prefix), q.finish());
    Some(Reply::redirect(&href))
}

/// A started passkey challenge for a page: the options for the browser
/// (JSON) and the sealed ceremony its form carries.
pub struct PasskeyChallenge {
    pub options: String,
    pub ceremony: String,
}

impl PasskeyChallenge {
    pub fn form(&self) -> PasskeyForm<'_> {
        PasskeyForm {
            options: &self.options,
            ceremony: &self.ceremony,
        }
    }
}

/// A challenge for one of `record`'s passkeys, bound to this app session,
/// when the person has one and passkeys are configured.
pub fn passkey_challenge(
    ctx: &Services<'_>,
    req: &PageRequest,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Option<PasskeyChallenge> {
    let (options, state) = ctx
        .passkeys
        .as_ref()?
        .start_authentication(&record.passkeys)?;
    let key = sess.identity.person_key();
    let ceremony = Ceremony::seal(
        ctx.keys,
        Kind::Authenticate,
        &sess.app,
        &key,
        state,
        req.now,
    );
    Some(PasskeyChallenge { options, ceremony })
}
