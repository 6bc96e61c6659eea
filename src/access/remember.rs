//! "Remember this browser" (issue 16 §1): after a passed challenge, a
//! person may let this browser skip the code in new app sessions for the
//! days their company allows (off unless it does). The browser gets its own
//! random, opaque cookie (`mfa_remember`); the store keeps only an HMAC of
//! it under the HMAC key ring (`BrowserId`), so that a writer of the store
//! or of a backup, who has no key, cannot make a cookie that names a
//! record. The record is kept under the person, with the enrollment it was granted
//! under, the factor that earned it (where passkeys are required, only a
//! passkey's trust counts), times and a label for the settings page. It
//! is never a proof for changing the person's factors (step-up), and a
//! lock ends it.
//!
//! The check (`vouch`) runs only for a session that is enrolled, not
//! locked and not verified by the gateway cookie, and only while the
//! company allows remembering: one HMAC of the cookie and one store read
//! (one per key of the ring while a rotation is under way; a browser found
//! under an older key is moved to the key in use), on every such request, so that forgetting, a lowered setting, a
//! reset or a re-enrollment applies to the very next request. The app's
//! own login is still needed: the trust skips the second step only.
//! Verified requests never come here.

use crate::access::audit;
use crate::access::memo::FirstUses;
use crate::access::services::Services;
use crate::domain::PersonKey;
use crate::domain::{AuditEvent, AuditKind, BrowserId, Identity, RememberDays, RememberedBrowser};
use crate::keys::Keys;
use crate::request::set_cookie::SetCookie;
use crate::store::{Store, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Name of the remembered-browser cookie.
pub const COOKIE: &str = crate::request::cookies::REMEMBER_COOKIE;
/// Most browsers remembered per person; a new one beyond drops the oldest.
const MAX_PER_PERSON: usize = 20;
/// Random bytes in a cookie (base64url: 43 characters).
const COOKIE_BYTES: usize = 32;
const COOKIE_LEN: usize = 43;

/// Domain of the MAC that names a remembered browser in the store.
const ID_DOMAIN: &str = "remembered browser id";

/// Whether a cookie value has the shape of ours (anything else is never
/// looked up).
fn ours(cookie: &str) -> bool {
    cookie.len() == COOKIE_LEN
        && cookie
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The store's names for a cookie value of our shape: its HMAC under each
/// key of the ring, the key in use first (empty for any other value).
pub fn browser_ids(keys: &Keys, cookie: &str) -> Vec<BrowserId> {
    if !ours(cookie) {
        return Vec::new();
    }
    (0..keys.hmac_count())
        .filter_map(|i| keys.mac_at(i, ID_DOMAIN, &[cookie.as_bytes()]))
        .map(BrowserId)
        .collect()
}

/// A new cookie value and its id under the key in use.
pub fn new_cookie(keys: &Keys, rng: &mut impl rand::RngCore) -> (String, BrowserId) {
    let mut bytes = [0u8; COOKIE_BYTES];
    rng.fill_bytes(&mut bytes);
    let cookie = URL_SAFE_NO_PAD.encode(bytes);
    let id = BrowserId(keys.mac(ID_DOMAIN, &[cookie.as_bytes()]));
    (cookie, id)
}

/// The person's browser remembered under this cookie, and its id, moved
/// to the key in use when it was found under an older one (so it outlives
/// the older key's removal from the ring).
fn find(
    store: &dyn Store,
    keys: &Keys,
    key: &PersonKey,
    cookie: &str,
) -> Result<Option<(BrowserId, RememberedBrowser)>, StoreError> {
    let ids = browser_ids(keys, cookie);
    for (index, id) in ids.iter().enumerate() {
        let Some(browser) = store.remembered_browser(key, id)? else {
            continue;
        };
        if index == 0 {
            return Ok(Some((*id, browser)));
        }
        store.remember_browser(key, &ids[0], &browser)?;
        store.forget_browsers(key, Some(id))?;
        return Ok(Some((ids[0], browser)));
    }
    Ok(None)
}

/// `Set-Cookie` for a remembered browser, kept for `days`.
pub fn set_cookie(ctx: &Services<'_>, value: &str, days: RememberDays) -> String {
    cookie(ctx, value, u64::try_from(days.seconds()).unwrap_or(0))
}

/// `Set-Cookie` that removes the cookie from this browser.
pub fn clear_cookie(ctx: &Services<'_>) -> String {
    cookie(ctx, "", 0)
}

fn cookie(ctx: &Services<'_>, value: &str, max_age_secs: u64) -> String {
    SetCookie {
        name: COOKIE,
        value,
        path: "/",
        max_age_secs,
        http_only: true,
        secure: ctx.config.cookie.secure,
    }
    .header()
}

/// A label for people ("Firefox · Linux") from a User-Agent: shown on
/// the settings page, never used for a decision.
pub fn label(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("");
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map_or("Browser", |(_, name)| name);
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name);
    match system {
        Some(system) => format!("{browser} · {system}"),
        None => browser.to_owned(),
    }
}

/// Whether the remembered-browser `cookie` lets this app session of
/// `identity` (enrolled under `enrollment_id`, not locked, not verified)
/// skip the code at `now`. Read on every such request: the company's
/// setting now, the browser under this very person, its enrollment and
/// its age.
pub fn vouch(
    ctx: &Services<'_>,
    first_uses: &FirstUses,
    identity: &Identity,
    session_value: &str,
    cookie: &str,
    enrollment_id: u64,
    now: i64,
) -> Result<bool, StoreError> {
    let allowed = ctx.remember_days(identity.company())?;
    if allowed.days().is_none() {
        return Ok(false);
    }
    let key = identity.person_key();
    let Some((id, browser)) = find(ctx.store.as_ref(), ctx.keys, &key, cookie)? else {
        return Ok(false);
    };
    // The company's policy now: raised to passkeys only, a browser whose
    // trust a code earned no longer vouches, from the next request on.
    let passkey_required = crate::access::decision::needs_passkey(
        identity.class(),
        ctx.enforcement(identity.company())?,
    );
    if !browser.vouches(enrollment_id, allowed, now) || !browser.earned_fits(passkey_required) {
        return Ok(false);
    }
    if first_uses.first(session_value, id) {
        if let Err(e) = ctx.store.touch_remembered_browser(&key, &id, now) {
            tracing::warn!(error = %e, "could not note a remembered browser's use");
        }
        let event = AuditEvent::by_user(identity, AuditKind::RememberedBrowserUsed, now)
            .with_note(browser.label);
        audit::record(ctx.store.as_ref(), event);
    }
    Ok(true)
}

/// What a remembered browser's trust was earned with: a pass under the
/// enrollment `enrollment_id` with the factor `by`.
#[derive(Clone, Copy, Debug)]
pub struct Earned {
    pub enrollment_id: u64,
    pub by: crate::domain::Factor,
}

/// Remember this browser for the person of `identity`, for what it
/// `earned`, for the company's `days`. A cookie the
/// browser already had (`previous`) is forgotten. Returns the
/// `Set-Cookie` value.
pub fn grant(
    ctx: &Services<'_>,
    identity: &Identity,
    earned: Earned,
    days: RememberDays,
    user_agent: Option<&str>,
    previous: Option<&str>,
    now: i64,
) -> Result<String, StoreError> {
    let key = identity.person_key();
    for old in previous.map_or_else(Vec::new, |p| browser_ids(ctx.keys, p)) {
        ctx.store.forget_browsers(&key, Some(&old))?;
    }
    let (cookie, id) = new_cookie(ctx.keys, &mut rand::rng());
    let browser = RememberedBrowser {
        enrollment_id: earned.enrollment_id,
        account: identity.account().to_owned(),
        created_at: now,
        last_used_at: now,
        label: label(user_agent),
        earned_by: Some(earned.by),
    };
    ctx.store.remember_browser(&key, &id, &browser)?;
    let all = ctx.store.remembered_browsers(&key)?;
    for (old, _) in all.iter().take(all.len().saturating_sub(MAX_PER_PERSON)) {
        ctx.store.forget_browsers(&key, Some(old))?;
    }
    let note = format!("{}; {} days", browser.label, days.days().unwrap_or(0));
    let event = AuditEvent::by_user(identity, AuditKind::BrowserRemembered, now).with_note(note);
    audit::record(ctx.store.as_ref(), event);
    Ok(set_cookie(ctx, &cookie, days))
}

/// The person's remembered browsers that still count (current enrollment,
/// within the company's current days); the others are removed on the way.
pub fn live(
    ctx: &Services<'_>,
    identity: &Identity,
    enrollment_id: Option<u64>,
    now: i64,
) -> Result<Vec<(BrowserId, RememberedBrowser)>, StoreError> {
    let key = identity.person_key();
    let allowed = ctx.remember_days(identity.company())?;
    let (live, dead): (Vec<_>, Vec<_>) = ctx
        .store
        .remembered_browsers(&key)?
        .into_iter()
        .partition(|(_, b)| enrollment_id.is_some_and(|e| b.vouches(e, allowed, now)));
    // A lowered setting may rise again: only browsers that can never
    // count again (another enrollment) go.
    for (id, b) in &dead {
        if Some(b.enrollment_id) != enrollment_id {
            ctx.store.forget_browsers(&key, Some(id))?;
        }
    }
    Ok(live)
}

/// Who forgets remembered browsers, for the audit trail.
pub enum ForgetBy<'a> {
    /// The person, from the settings page (or by turning 2FA off).
    User(&'a Identity),
    /// Support, by a reset.
    Support { company: &'a str },
}

/// Forget the person's remembered browser `which`, or all (`None`);
/// audited when any went, with `why` as the note.
pub fn forget(
    gate_store: &dyn crate::store::Store,
    key: &crate::domain::PersonKey,
    which: Option<&BrowserId>,
    by: ForgetBy<'_>,
    why: &str,
    now: i64,
) -> Result<usize, StoreError> {
    let gone = gate_store.forget_browsers(key, which)?;
    if gone > 0 {
        let kind = AuditKind::BrowsersForgotten;
        let event = match by {
            ForgetBy::User(identity) => AuditEvent::by_user(identity, kind, now),
            ForgetBy::Support { company } => AuditEvent::by_support(key, company, kind, now),
        };
        audit::record(gate_store, event.with_note(format!("{why}: {gone}")));
    }
    Ok(gone)
}

#[cfg(test)]
mod vouch_tests;

#[cfg(test)]
mod tests;
