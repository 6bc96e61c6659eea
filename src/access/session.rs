//! mfa-gate's own state in the browser: the gateway cookie that says "this
//! app session passed the second step", and the CSRF tokens of our forms.
//! Both are HMACs under the configured key and are bound to the app session
//! (a hash of the app's session cookie value), so a new login, a logout or a
//! stolen gateway cookie alone gets nothing. Both name the HMAC key that
//! made them (its key id), so after a rotation an older key of the ring
//! still verifies them until they expire; cookies and tokens made before
//! key ids existed are still read, under each key of the ring. No I/O;
//! `now` comes in.

use crate::domain::PersonKey;
pub use crate::keys::AppSession;
use crate::keys::{KeyId, Keys};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The cookie format before key ids: version, enrollment id, time.
const COOKIE_VERSION_UNKEYED: u8 = 1;
const PAYLOAD_LEN_UNKEYED: usize = 1 + 8 + 8;
/// Version, HMAC key id, enrollment id, time (before trust epochs: read
/// as epoch 0).
const COOKIE_VERSION_NO_EPOCH: u8 = 2;
const PAYLOAD_LEN_NO_EPOCH: usize = 1 + 4 + 8 + 8;
/// Version, HMAC key id, enrollment id, trust epoch, time (before the
/// factor was recorded: read as proven by a code).
const COOKIE_VERSION_NO_FACTOR: u8 = 3;
const PAYLOAD_LEN_NO_FACTOR: usize = 1 + 4 + 8 + 4 + 8;
/// Version, HMAC key id, enrollment id, trust epoch, time, and whether a
/// passkey or security key made the proof (1) or a code (0): what an
/// access rule `passkey` asks.
const COOKIE_VERSION: u8 = 4;
const PAYLOAD_LEN: usize = 1 + 4 + 8 + 4 + 8 + 1;
/// CSRF tokens live as long as a page may reasonably stay open.
pub const CSRF_MAX_AGE_SECS: i64 = 12 * 3600;
/// Tolerated clock difference between replicas.
pub const FUTURE_SLACK_SECS: i64 = 300;

/// What a gateway cookie is bound to besides the app session and the
/// person: the person's second step (`PersonRecord::second_step_id`; a
/// reset or re-enrollment changes it) and trust epoch
/// (`PersonRecord::trust_epoch`; a lock or a restore moves it on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub second_step: u64,
    pub epoch: u32,
}

impl Bound {
    pub fn new(second_step: u64, epoch: u32) -> Bound {
        Bound { second_step, epoch }
    }
}

/// What a valid gateway cookie says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub bound: Bound,
    pub verified_at: i64,
    /// A passkey or security key made the proof (never for cookies made
    /// before the factor was recorded).
    pub by_passkey: bool,
}

/// The gateway cookie value for a session that just passed the challenge
/// with a code, made under the first HMAC key and naming it.
pub fn issue_cookie(
    keys: &Keys,
    session: AppSession,
    person: &PersonKey,
    bound: Bound,
    now: i64,
) -> String {
    issue_cookie_by(keys, session, person, bound, now, false)
}

/// The same, saying whether a passkey or security key made the proof.
pub fn issue_cookie_by(
    keys: &Keys,
    session: AppSession,
    person: &PersonKey,
    bound: Bound,
    now: i64,
    by_passkey: bool,
) -> String {
    let mut payload = [0u8; PAYLOAD_LEN];
    payload[0] = COOKIE_VERSION;
    payload[1..5].copy_from_slice(&keys.hmac_id().bytes());
    payload[5..13].copy_from_slice(&bound.second_step.to_be_bytes());
    payload[13..17].copy_from_slice(&bound.epoch.to_be_bytes());
    payload[17..25].copy_from_slice(&now.to_be_bytes());
    payload[25] = u8::from(by_passkey);
    let tag = keys.mac(
        "gateway-cookie",
        &[&payload, session.as_bytes(), person.as_str().as_bytes()],
    );
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Check a gateway cookie against the current app session, person,
/// second step and trust epoch. Anything malformed, forged, from another
/// app session, from before a reset, re-enrollment, lock or restore, or
/// older than `max_age` is `false`.
pub fn cookie_is_valid(
    keys: &Keys,
    value: &str,
    session: AppSession,
    person: &PersonKey,
    bound: Bound,
    now: i64,
    max_age_secs: i64,
) -> bool {
    decode_cookie(keys, value, session, person)
        .is_some_and(|v| v.bound == bound && is_fresh(v.verified_at, now, max_age_secs))
}

/// Whether a verification made at `verified_at` still counts at `now`.
pub fn is_fresh(verified_at: i64, now: i64, max_age_secs: i64) -> bool {
    verified_at <= now + FUTURE_SLACK_SECS && now - verified_at < max_age_secs
}

/// Decode and authenticate a gateway cookie (no freshness checks): under
/// the key it names, or, made before key ids, under each key of the ring.
pub fn decode_cookie(
    keys: &Keys,
    value: &str,
    session: AppSession,
    person: &PersonKey,
) -> Option<Verified> {
    if value.len() > 128 {
        return None;
    }
    let (payload_b64, tag_b64) = value.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload_b64).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag_b64).ok()?;
    let authentic = |index: usize| {
        session.under(index).is_some_and(|bound| {
            keys.verify_mac_at(
                index,
                "gateway-cookie",
                &[&payload, bound, person.as_str().as_bytes()],
                &tag,
            )
        })
    };
    let keyed = |payload: &[u8]| {
        let id = KeyId::from_bytes(payload[1..5].try_into().ok()?);
        authentic(keys.hmac_index(id)?).then_some(())
    };
    // (enrollment id, epoch, time), each format's own fields.
    let mut by_passkey = false;
    let (fields, epoch) = match (payload.first(), payload.len()) {
        (Some(&COOKIE_VERSION), PAYLOAD_LEN)
        | (Some(&COOKIE_VERSION_NO_FACTOR), PAYLOAD_LEN_NO_FACTOR) => {
            keyed(&payload)?;
            by_passkey = factor(payload.get(25).copied())?;
            let epoch = u32::from_be_bytes(payload[13..17].try_into().ok()?);
            ([&payload[5..13], &payload[17..25]], epoch)
        }
        (Some(&COOKIE_VERSION_NO_EPOCH), PAYLOAD_LEN_NO_EPOCH) => {
            keyed(&payload)?;
            ([&payload[5..13], &payload[13..21]], 0)
        }
        (Some(&COOKIE_VERSION_UNKEYED), PAYLOAD_LEN_UNKEYED) => {
            if !(0..keys.hmac_count()).any(authentic) {
                return None;
            }
            ([&payload[1..9], &payload[9..17]], 0)
        }
        _ => return None,
    };
    let second_step = u64::from_be_bytes(fields[0].try_into().ok()?);
    let verified_at = i64::from_be_bytes(fields[1].try_into().ok()?);
    Some(Verified {
        bound: Bound::new(second_step, epoch),
        verified_at,
        by_passkey,
    })
}

/// The factor byte of a cookie: absent (before it was recorded) or 0, a
/// code; 1, a passkey; anything else is no cookie of ours.
fn factor(byte: Option<u8>) -> Option<bool> {
    match byte {
        None | Some(0) => Some(false),
        Some(1) => Some(true),
        Some(_) => None,
    }
}

/// A CSRF token for forms of this app session: `issued_at.key_id.mac`.
pub fn csrf_token(keys: &Keys, session: AppSession, now: i64) -> String {
    let ts = now.to_string();
    let tag = keys.mac("csrf", &[session.as_bytes(), ts.as_bytes()]);
    format!("{ts}.{}.{}", keys.hmac_id(), URL_SAFE_NO_PAD.encode(tag))
}

/// Whether `token` is a CSRF token of this app session, young enough: made
/// under the key it names, or (`issued_at.mac`, before key ids) under any
/// key of the ring.
pub fn csrf_is_valid(keys: &Keys, token: &str, session: AppSession, now: i64) -> bool {
    let Some((ts, rest)) = token.split_once('.') else {
        return false;
    };
    let Ok(issued) = ts.parse::<i64>() else {
        return false;
    };
    let (indexes, tag_b64) = match rest.split_once('.') {
        Some((id, tag)) => match KeyId::parse(id).and_then(|id| keys.hmac_index(id)) {
            Some(index) => (index..index + 1, tag),
            None => return false,
        },
        None => (0..keys.hmac_count(), rest),
    };
    let Ok(tag) = URL_SAFE_NO_PAD.decode(tag_b64) else {
        return false;
    };
    issued <= now + FUTURE_SLACK_SECS
        && now - issued < CSRF_MAX_AGE_SECS
        && indexes.into_iter().any(|index| {
            session.under(index).is_some_and(|bound| {
                keys.verify_mac_at(index, "csrf", &[bound, ts.as_bytes()], &tag)
            })
        })
}

#[cfg(test)]
mod rotation_tests;

#[cfg(test)]
mod tests;
