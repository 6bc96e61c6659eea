//! The app's rule applied to one request: who is this session (identity),
//! what does the store say about the person, where does this app session's
//! trust come from ([`Trust`]: the gateway cookie, with the time of its
//! proof, else a remembered browser), and so what does `decision` say. The proxy asks it
//! for app paths, and the pages ask it for every route that is not open —
//! one judgement for both, so our pages cannot drift from the app's rule.
//! No pingora; I/O only through the identity source and the store.

use crate::access::decision::{self, Denial, Facts};
use crate::access::gate::Gate;
use crate::access::session::{self, AppSession};
use crate::domain::Identity;
use crate::identity::{IdentityError, Presented, Who};
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
    /// Where this session's second step comes from, and how old it is.
    pub trust: Trust,
    /// What the decision was made on, for an access rule to decide again
    /// with its requirement (`access::rules`).
    pub facts: Facts,
}

/// Where a session's trust comes from (DESIGN §9): a second step proven
/// in this app session (a code, a backup code or a passkey, which the
/// gateway cookie records with its time), or a remembered browser, which
/// skips the challenge but never counts as a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Nothing: the challenge is owed (if the person is enrolled).
    None,
    /// Proven in this app session at `at` (Unix seconds).
    Proven { at: i64, by_passkey: bool },
    /// A remembered browser vouches for the session.
    Remembered,
}

impl Trust {
    /// Whether the second step counts as passed for the app's rule.
    /// Whether a passkey or security key proved this app session (what
    /// an access rule `passkey` asks; a remembered browser never did).
    pub fn by_passkey(self) -> bool {
        matches!(
            self,
            Trust::Proven {
                by_passkey: true,
                ..
            }
        )
    }

    pub fn passed(self) -> bool {
        self != Trust::None
    }

    /// Whether a factor was proven in this session within `within_secs`
    /// of `now`: what changing a person's factors asks ("step-up"). A
    /// remembered browser never is.
    pub fn fresh(self, now: i64, within_secs: i64) -> bool {
        match self {
            // As `session::is_fresh`: a few minutes ahead is another
            // replica's clock, not a forgery (the MAC says who made it).
            Trust::Proven { at, .. } => {
                at <= now + session::FUTURE_SLACK_SECS && now.saturating_sub(at) <= within_secs
            }
            Trust::None | Trust::Remembered => false,
        }
    }
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
                gate.note_seen(&identity, now);
            }
            (identity, value)
        }
    };
    // The hot path: person state and policy come from memory
    // (CachedStore); the verification costs two MACs, or none when memoized.
    let state = gate.store.person_state(&identity.person_key())?;
    let mut trust = match proven_at(gate, &identity, session_value, cookies.gateway, &state, now) {
        Some((at, by_passkey)) => Trust::Proven { at, by_passkey },
        None => Trust::None,
    };
    // Only a session that would be challenged asks whether its browser is
    // remembered (one SHA-256 and one store read); verified requests and
    // locked persons never do.
    if let (Trust::None, false, Some(enrollment_id), Some(cookie)) =
        (trust, state.locked, state.enrollment_id, cookies.remember)
        && crate::access::remember::vouch(
            &gate.services(),
            &gate.remembered,
            &identity,
            session_value,
            cookie,
            enrollment_id,
            now,
        )?
    {
        trust = Trust::Remembered;
    }
    let facts = Facts {
        class: identity.class(),
        enforcement: gate.enforcement(identity.company())?,
        enrolled: state.enrollment_id.is_some(),
        passkey: state.passkey,
        locked: state.locked,
        verified: trust.passed(),
    };
    Ok(Some(Judged {
        decision: decision::decide(&facts),
        facts,
        identity,
        session_value,
        trust,
    }))
}

/// When the app session whose cookie value is `app_value` passed the
/// challenge for the person's current second step (`state`), as the
/// presented gateway cookie says; `None` when it did not, too long ago, or
/// under an earlier trust epoch (before a lock or a restore). Costs two MACs (none when the memo already vouches for this
/// cookie); no I/O.
fn proven_at(
    gate: &Gate,
    identity: &Identity,
    app_value: &str,
    gateway_cookie: Option<&str>,
    state: &crate::store::PersonState,
    now: i64,
) -> Option<(i64, bool)> {
    let (enrollment_id, cookie) = (state.enrollment_id?, gateway_cookie?);
    let max_age = gate.config.cookie.max_age.as_secs() as i64;
    let bound = session::Bound::new(enrollment_id, state.trust_epoch);
    let counts = |v: session::Verified| {
        (v.bound == bound && session::is_fresh(v.verified_at, now, max_age))
            .then_some((v.verified_at, v.by_passkey))
    };
    if let Some(v) = gate.verified.vouch(app_value, identity, cookie) {
        return counts(v);
    }
    let app = AppSession::bind(&gate.keys, app_value);
    let v = session::decode_cookie(&gate.keys, cookie, app, &identity.person_key())?;
    // Remember what the MAC proved (the cookie belongs to this session and
    // person); the enrollment and the age are checked on every request.
    gate.verified.remember(app_value, identity, cookie, v);
    counts(v)
}

#[cfg(test)]
mod tests;
