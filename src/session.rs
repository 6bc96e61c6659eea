//! mfa-gate's own state in the browser: the gateway cookie that says "this
//! app session passed the second step", and the CSRF tokens of our forms.
//! Both are HMACs under the configured key and are bound to the app session
//! (a hash of the app's session cookie value), so a new login, a logout or a
//! stolen gateway cookie alone gets nothing. No I/O; `now` comes in.

use crate::domain::PersonKey;
use crate::keys::Keys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const COOKIE_VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 8 + 8;
/// CSRF tokens live as long as a page may reasonably stay open.
const CSRF_MAX_AGE_SECS: i64 = 12 * 3600;
/// Tolerated clock difference between replicas.
const FUTURE_SLACK_SECS: i64 = 300;

/// Binding of our state to one app session: a keyed hash of the app's
/// session cookie value (the value itself is never stored or logged).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AppSession([u8; 16]);

impl AppSession {
    pub fn bind(keys: &Keys, app_cookie_value: &str) -> AppSession {
        let mac = keys.mac("app-session", &[app_cookie_value.as_bytes()]);
        let mut out = [0u8; 16];
        out.copy_from_slice(&mac[..16]);
        AppSession(out)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The hash itself, to store with state that belongs to this session.
    pub fn id(&self) -> [u8; 16] {
        self.0
    }
}

impl std::fmt::Debug for AppSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppSession(<hash>)")
    }
}

/// What a valid gateway cookie says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub enrollment_id: u64,
    pub verified_at: i64,
}

/// The gateway cookie value for a session that just passed the challenge.
pub fn issue_cookie(
    keys: &Keys,
    session: AppSession,
    person: &PersonKey,
    enrollment_id: u64,
    now: i64,
) -> String {
    let mut payload = [0u8; PAYLOAD_LEN];
    payload[0] = COOKIE_VERSION;
    payload[1..9].copy_from_slice(&enrollment_id.to_be_bytes());
    payload[9..17].copy_from_slice(&now.to_be_bytes());
    let tag = cookie_mac(keys, &payload, session, person);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

fn cookie_mac(keys: &Keys, payload: &[u8], session: AppSession, person: &PersonKey) -> [u8; 32] {
    keys.mac(
        "gateway-cookie",
        &[payload, session.as_bytes(), person.as_str().as_bytes()],
    )
}

/// Check a gateway cookie against the current app session, person and
/// enrollment. Anything malformed, forged, from another app session, from
/// before a reset or re-enrollment, or older than `max_age` is `false`.
pub fn cookie_is_valid(
    keys: &Keys,
    value: &str,
    session: AppSession,
    person: &PersonKey,
    enrollment_id: u64,
    now: i64,
    max_age_secs: i64,
) -> bool {
    decode_cookie(keys, value, session, person).is_some_and(|v| {
        v.enrollment_id == enrollment_id && is_fresh(v.verified_at, now, max_age_secs)
    })
}

/// Whether a verification made at `verified_at` still counts at `now`.
pub fn is_fresh(verified_at: i64, now: i64, max_age_secs: i64) -> bool {
    verified_at <= now + FUTURE_SLACK_SECS && now - verified_at < max_age_secs
}

/// Decode and authenticate a gateway cookie (no freshness checks).
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
    if payload.len() != PAYLOAD_LEN || payload[0] != COOKIE_VERSION {
        return None;
    }
    let expected_parts: [&[u8]; 3] = [&payload, session.as_bytes(), person.as_str().as_bytes()];
    if !keys.verify_mac("gateway-cookie", &expected_parts, &tag) {
        return None;
    }
    let enrollment_id = u64::from_be_bytes(payload[1..9].try_into().ok()?);
    let verified_at = i64::from_be_bytes(payload[9..17].try_into().ok()?);
    Some(Verified {
        enrollment_id,
        verified_at,
    })
}

/// A CSRF token for forms of this app session: `issued_at.mac`.
pub fn csrf_token(keys: &Keys, session: AppSession, now: i64) -> String {
    let ts = now.to_string();
    let tag = keys.mac("csrf", &[session.as_bytes(), ts.as_bytes()]);
    format!("{ts}.{}", URL_SAFE_NO_PAD.encode(tag))
}

pub fn csrf_is_valid(keys: &Keys, token: &str, session: AppSession, now: i64) -> bool {
    let Some((ts, tag_b64)) = token.split_once('.') else {
        return false;
    };
    let Ok(issued) = ts.parse::<i64>() else {
        return false;
    };
    let Ok(tag) = URL_SAFE_NO_PAD.decode(tag_b64) else {
        return false;
    };
    issued <= now + FUTURE_SLACK_SECS
        && now - issued < CSRF_MAX_AGE_SECS
        && keys.verify_mac("csrf", &[session.as_bytes(), ts.as_bytes()], &tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new([1; 32], [2; 32])
    }

    const NOW: i64 = 1_700_000_000;
    const DAY: i64 = 86_400;

    #[test]
    fn cookie_round_trip_and_binding() {
        let k = keys();
        let s = AppSession::bind(&k, "app-cookie-1");
        let p = PersonKey::new("acme", "hanako");
        let c = issue_cookie(&k, s, &p, 42, NOW);
        assert!(cookie_is_valid(&k, &c, s, &p, 42, NOW + 10, DAY));
        // another app session (logout/login), person, enrollment, or key
        let other = AppSession::bind(&k, "app-cookie-2");
        assert!(!cookie_is_valid(&k, &c, other, &p, 42, NOW, DAY));
        assert!(!cookie_is_valid(
            &k,
            &c,
            s,
            &PersonKey::new("acme", "jiro"),
            42,
            NOW,
            DAY
        ));
        assert!(!cookie_is_valid(&k, &c, s, &p, 43, NOW, DAY));
        let k2 = Keys::new([9; 32], [2; 32]);
        assert!(!cookie_is_valid(
            &k2,
            &c,
            AppSession::bind(&k2, "app-cookie-1"),
            &p,
            42,
            NOW,
            DAY
        ));
        // expired
        assert!(!cookie_is_valid(&k, &c, s, &p, 42, NOW + DAY, DAY));
    }

    #[test]
    fn forged_and_truncated_cookies_are_refused() {
        let k = keys();
        let s = AppSession::bind(&k, "v");
        let p = PersonKey::new("acme", "hanako");
        let c = issue_cookie(&k, s, &p, 7, NOW);
        let (payload, tag) = c.split_once('.').unwrap();
        let mut forged = URL_SAFE_NO_PAD.decode(payload).unwrap();
        forged[16] ^= 1; // move verified_at
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged));
        for bad in [
            forged.as_str(),
            &c[..c.len() - 2],
            payload,
            "",
            ".",
            "garbage.garbage",
            "\u{0}\u{ff}.x",
            &"A".repeat(5000),
        ] {
            assert!(!cookie_is_valid(&k, bad, s, &p, 7, NOW, DAY), "{bad:?}");
        }
    }

    #[test]
    fn csrf_tokens_are_bound_and_expire() {
        let k = keys();
        let s = AppSession::bind(&k, "v");
        let t = csrf_token(&k, s, NOW);
        assert!(csrf_is_valid(&k, &t, s, NOW + 60));
        assert!(!csrf_is_valid(&k, &t, AppSession::bind(&k, "w"), NOW));
        assert!(!csrf_is_valid(&k, &t, s, NOW + CSRF_MAX_AGE_SECS));
        assert!(!csrf_is_valid(&k, &t, s, NOW - 2 * FUTURE_SLACK_SECS));
        let forged = format!("{}{}", NOW + 1, &t[t.find('.').unwrap()..]);
        assert!(!csrf_is_valid(&k, &forged, s, NOW));
        assert!(!csrf_is_valid(&k, "", s, NOW));
    }

    /// The boundaries written out as numbers, not through the constants
    /// (a changed constant must fail here): CSRF tokens live 12 h, and a
    /// token or cookie from up to 300 s in the future is accepted.
    #[test]
    fn csrf_age_and_future_slack_boundaries() {
        let k = keys();
        let s = AppSession::bind(&k, "v");
        let t = csrf_token(&k, s, NOW);
        assert!(csrf_is_valid(&k, &t, s, NOW + 43_199));
        assert!(!csrf_is_valid(&k, &t, s, NOW + 43_200));
        assert!(csrf_is_valid(&k, &t, s, NOW - 300));
        assert!(!csrf_is_valid(&k, &t, s, NOW - 301));
        assert!(csrf_is_valid(&k, &t, s, NOW));
    }

    #[test]
    fn freshness_boundaries() {
        assert!(is_fresh(NOW, NOW, 60));
        assert!(is_fresh(NOW, NOW + 59, 60));
        assert!(!is_fresh(NOW, NOW + 60, 60));
        assert!(is_fresh(NOW, NOW - 300, 60), "300 s ahead: slack");
        assert!(!is_fresh(NOW, NOW - 301, 60), "301 s ahead: refused");
        let k = keys();
        let s = AppSession::bind(&k, "v");
        let p = PersonKey::new("acme", "hanako");
        let c = issue_cookie(&k, s, &p, 1, NOW);
        assert!(cookie_is_valid(&k, &c, s, &p, 1, NOW + 59, 60));
        assert!(!cookie_is_valid(&k, &c, s, &p, 1, NOW + 60, 60));
        assert!(cookie_is_valid(&k, &c, s, &p, 1, NOW - 300, 60));
        assert!(!cookie_is_valid(&k, &c, s, &p, 1, NOW - 301, 60));
    }

    #[test]
    fn a_decoded_cookie_says_what_was_issued() {
        let k = keys();
        let s = AppSession::bind(&k, "v");
        let p = PersonKey::new("acme", "hanako");
        let c = issue_cookie(&k, s, &p, 0x0102_0304_0506_0708, NOW);
        assert_eq!(c.len(), 67, "23 + 1 + 43 characters: {c}");
        assert_eq!(
            decode_cookie(&k, &c, s, &p),
            Some(Verified {
                enrollment_id: 0x0102_0304_0506_0708,
                verified_at: NOW,
            })
        );
    }

    #[test]
    fn an_app_session_id_is_its_hash_and_debug_hides_it() {
        let k = keys();
        let a = AppSession::bind(&k, "v");
        let b = AppSession::bind(&k, "w");
        assert_eq!(a.id()[..], *a.as_bytes());
        assert_eq!(a.id()[..], k.mac("app-session", &[b"v"])[..16]);
        assert_ne!(a.id(), b.id());
        assert_eq!(format!("{a:?}"), "AppSession(<hash>)");
    }
}
