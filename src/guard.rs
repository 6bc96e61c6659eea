//! The app's rule applied to one request: who is this session (identity),
//! what does the store say about the person, is this app session verified
//! (the gateway cookie, else a remembered browser), and so what does
//! `decision` say. The proxy asks it
//! for app paths, and the pages ask it for every route that is not open —
//! one judgement for both, so our pages cannot drift from the app's rule.
//! No pingora; I/O only through the identity source and the store.

use crate::decision::{self, Denial, Facts};
use crate::domain::Identity;
use crate::gate::Gate;
use crate::identity::{IdentityError, Presented, Who};
use crate::session::{self, AppSession};
use crate::store::StoreError;
use std::sync::Arc;

/// A logged-in session, judged.
#[derive(Debug)]
pub struct Judged<'a> {
    pub identity: Arc<Identity>,
    /// The value the verified state is bound to (app or SSO session).
    pub session_value: &'a str,
    /// What the app's rule says: `Ok(())` passes.
    pub decision: Result<(), Denial>,
    /// The gateway cookie (or a remembered browser) proves the second
    /// step in this session.
    pub verified: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The cookies of ours a request presents.
#[derive(Clone, Copy, Debug, Default)]
pub struct OurCookies<'c> {
    /// The gateway cookie: the second step passed in this app session.
    pub gateway: Option<&'c str>,
    /// The remembered-browser cookie (`remember.rs`).
    pub remember: Option<&'c str>,
}

/// Judge the session `presented` (with our cookies) at `now`: `None` when
/// nobody is logged in.
pub async fn judge<'a>(
    gate: &Gate,
    presented: &'a Presented,
    cookies: OurCookies<'_>,
    now: i64,
) -> Result<Option<Judged<'a>>, GuardError> {
    let (identity, session_value) = match gate.identity.resolve(presented).await? {
        Who::Anonymous => return Ok(None),
        Who::Known(identity, value, fresh) => {
            if fresh {
                // Written at most once per account and day (`rollout`).
                crate::rollout::note_seen(gate, &identity, now);
            }
            (identity, value)
        }
    };
    // The hot path: person state and policy come from memory
    // (CachedStore); the verification costs two MACs, or none when memoized.
    let state = gate.store.person_state(&identity.person_key())?;
    let mut verified = is_verified(
        gate,
        &identity,
        session_value,
        cookies.gateway,
        state.enrollment_id,
        now,
    );
    // Only a session that would be challenged asks whether its browser is
    // remembered (one SHA-256 and one store read); verified requests and
    // locked persons never do.
    if let (false, false, Some(enrollment_id), Some(cookie)) = (
        verified,
        state.locked,
        state.enrollment_id,
        cookies.remember,
    ) {
        verified =
            crate::remember::vouch(gate, &identity, session_value, cookie, enrollment_id, now)?;
    }
    let facts = Facts {
        class: identity.class,
        enforcement: gate.enforcement(&identity.company)?,
        enrolled: state.enrollment_id.is_some(),
        passkey: state.passkey,
        locked: state.locked,
        verified,
    };
    Ok(Some(Judged {
        decision: decision::decide(&facts),
        identity,
        session_value,
        verified,
    }))
}

/// Whether the app session whose cookie value is `app_value` has passed the
/// challenge for the person's current enrollment (`enrollment_id`), as the
/// presented gateway cookie says. Costs two MACs (none when the memo
/// already vouches for this cookie); no I/O.
fn is_verified(
    gate: &Gate,
    identity: &Identity,
    app_value: &str,
    gateway_cookie: Option<&str>,
    enrollment_id: Option<u64>,
    now: i64,
) -> bool {
    let (Some(enrollment_id), Some(cookie)) = (enrollment_id, gateway_cookie) else {
        return false;
    };
    let max_age = gate.config.cookie.max_age.as_secs() as i64;
    if let Some(v) = gate.verified.vouch(app_value, identity, cookie) {
        return v.enrollment_id == enrollment_id && session::is_fresh(v.verified_at, now, max_age);
    }
    let app = AppSession::bind(&gate.keys, app_value);
    let Some(v) = session::decode_cookie(&gate.keys, cookie, app, &identity.person_key()) else {
        return false;
    };
    // Remember what the MAC proved (the cookie belongs to this session and
    // person); the enrollment and the age are checked on every request.
    gate.verified
        .remember(app_value, identity, cookie, v.enrollment_id, v.verified_at);
    v.enrollment_id == enrollment_id && session::is_fresh(v.verified_at, now, max_age)
}
