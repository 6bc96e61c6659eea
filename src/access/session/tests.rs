//! Unit tests of `access::session`.

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
    let c = issue_cookie(&k, s, &p, Bound::new(42, 0), NOW);
    assert!(cookie_is_valid(
        &k,
        &c,
        s,
        &p,
        Bound::new(42, 0),
        NOW + 10,
        DAY
    ));
    // another app session (logout/login), person, enrollment, or key
    let other = AppSession::bind(&k, "app-cookie-2");
    assert!(!cookie_is_valid(
        &k,
        &c,
        other,
        &p,
        Bound::new(42, 0),
        NOW,
        DAY
    ));
    assert!(!cookie_is_valid(
        &k,
        &c,
        s,
        &PersonKey::new("acme", "jiro"),
        Bound::new(42, 0),
        NOW,
        DAY
    ));
    assert!(!cookie_is_valid(&k, &c, s, &p, Bound::new(43, 0), NOW, DAY));
    let k2 = Keys::new([9; 32], [2; 32]);
    assert!(!cookie_is_valid(
        &k2,
        &c,
        AppSession::bind(&k2, "app-cookie-1"),
        &p,
        Bound::new(42, 0),
        NOW,
        DAY
    ));
    // expired
    assert!(!cookie_is_valid(
        &k,
        &c,
        s,
        &p,
        Bound::new(42, 0),
        NOW + DAY,
        DAY
    ));
}

#[test]
fn forged_and_truncated_cookies_are_refused() {
    let k = keys();
    let s = AppSession::bind(&k, "v");
    let p = PersonKey::new("acme", "hanako");
    let c = issue_cookie(&k, s, &p, Bound::new(7, 0), NOW);
    let (payload, tag) = c.split_once('.').unwrap();
    let mut forged = URL_SAFE_NO_PAD.decode(payload).unwrap();
    forged[20] ^= 1; // move verified_at
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
        assert!(
            !cookie_is_valid(&k, bad, s, &p, Bound::new(7, 0), NOW, DAY),
            "{bad:?}"
        );
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
    let c = issue_cookie(&k, s, &p, Bound::new(1, 0), NOW);
    assert!(cookie_is_valid(
        &k,
        &c,
        s,
        &p,
        Bound::new(1, 0),
        NOW + 59,
        60
    ));
    assert!(!cookie_is_valid(
        &k,
        &c,
        s,
        &p,
        Bound::new(1, 0),
        NOW + 60,
        60
    ));
    assert!(cookie_is_valid(
        &k,
        &c,
        s,
        &p,
        Bound::new(1, 0),
        NOW - 300,
        60
    ));
    assert!(!cookie_is_valid(
        &k,
        &c,
        s,
        &p,
        Bound::new(1, 0),
        NOW - 301,
        60
    ));
}

#[test]
fn a_decoded_cookie_says_what_was_issued() {
    let k = keys();
    let s = AppSession::bind(&k, "v");
    let p = PersonKey::new("acme", "hanako");
    let c = issue_cookie(&k, s, &p, Bound::new(0x0102_0304_0506_0708, 0), NOW);
    assert_eq!(
        c.len(),
        79,
        "35 + 1 + 43 characters (format 4, with the key id, epoch and factor): {c}"
    );
    assert_eq!(
        decode_cookie(&k, &c, s, &p),
        Some(Verified {
            bound: Bound::new(0x0102_0304_0506_0708, 0),
            verified_at: NOW,
            by_passkey: false,
        })
    );
}

/// A cookie names the trust epoch it was made in: after a lock or a
/// restore (another epoch) it no longer counts; a cookie made before
/// epochs existed (format 2) reads as epoch 0.
#[test]
fn a_cookie_counts_in_its_own_trust_epoch_only() {
    let k = keys();
    let s = AppSession::bind(&k, "v");
    let p = PersonKey::new("acme", "hanako");
    let c = issue_cookie(&k, s, &p, Bound::new(5, 1), NOW);
    assert!(cookie_is_valid(&k, &c, s, &p, Bound::new(5, 1), NOW, DAY));
    for other in [Bound::new(5, 0), Bound::new(5, 2), Bound::new(6, 1)] {
        assert!(
            !cookie_is_valid(&k, &c, s, &p, other, NOW, DAY),
            "{other:?}"
        );
    }
    // Format 2: version, key id, enrollment id, time; MAC as today.
    let mut payload = vec![2u8];
    payload.extend_from_slice(&k.hmac_id().bytes());
    payload.extend_from_slice(&5u64.to_be_bytes());
    payload.extend_from_slice(&NOW.to_be_bytes());
    let tag = k.mac(
        "gateway-cookie",
        &[&payload, s.as_bytes(), p.as_str().as_bytes()],
    );
    let v2 = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(tag)
    );
    assert_eq!(
        decode_cookie(&k, &v2, s, &p),
        Some(Verified {
            bound: Bound::new(5, 0),
            verified_at: NOW,
            by_passkey: false,
        })
    );
    assert!(!cookie_is_valid(&k, &v2, s, &p, Bound::new(5, 1), NOW, DAY));
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

/// Format 4 records the factor: a passkey's proof reads back as one, a
/// code's as a code, a format-3 cookie as a code, and a factor byte that is
/// neither (the MAC made over it) is no cookie.
#[test]
fn the_cookie_says_whether_a_passkey_made_the_proof() {
    let k = keys();
    let s = AppSession::bind(&k, "app-cookie-1");
    let p = PersonKey::new("acme", "hanako");
    let bound = Bound::new(9, 1);
    let by_key = issue_cookie_by(&k, s, &p, bound, NOW, true);
    let by_code = issue_cookie(&k, s, &p, bound, NOW);
    let read = |c: &str| decode_cookie(&k, c, s, &p).map(|v| v.by_passkey);
    assert_eq!(read(&by_key), Some(true));
    assert_eq!(read(&by_code), Some(false));
    assert_eq!(factor(Some(2)), None);
}
