//! Gateway cookies and CSRF tokens across an HMAC key rotation, and the
//! formats made before key ids (still read after an upgrade).

use super::*;

const NOW: i64 = 1_700_000_000;
const DAY: i64 = 86_400;
const OLD: [u8; 32] = [1; 32];
const NEW: [u8; 32] = [3; 32];

fn single(hmac: [u8; 32]) -> Keys {
    Keys::new(hmac, [2; 32])
}

fn ring() -> Keys {
    Keys::from_rings(&[NEW, OLD], &[[2; 32]])
}

fn person() -> PersonKey {
    PersonKey::new("acme", "hanako")
}

/// A gateway cookie exactly as releases before key ids made it.
fn unkeyed_cookie(hmac: [u8; 32], app_value: &str, enrollment_id: u64, now: i64) -> String {
    let keys = single(hmac);
    let session = AppSession::bind(&keys, app_value);
    let mut payload = [0u8; PAYLOAD_LEN_UNKEYED];
    payload[0] = COOKIE_VERSION_UNKEYED;
    payload[1..9].copy_from_slice(&enrollment_id.to_be_bytes());
    payload[9..17].copy_from_slice(&now.to_be_bytes());
    let tag = keys.mac(
        "gateway-cookie",
        &[&payload, session.as_bytes(), person().as_str().as_bytes()],
    );
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// A CSRF token as releases before key ids made it: `issued_at.mac`.
fn unkeyed_csrf(hmac: [u8; 32], app_value: &str, now: i64) -> String {
    let keys = single(hmac);
    let session = AppSession::bind(&keys, app_value);
    let ts = now.to_string();
    let tag = keys.mac("csrf", &[session.as_bytes(), ts.as_bytes()]);
    format!("{ts}.{}", URL_SAFE_NO_PAD.encode(tag))
}

fn valid(keys: &Keys, cookie: &str, app_value: &str, enrollment_id: u64) -> bool {
    let session = AppSession::bind(keys, app_value);
    cookie_is_valid(
        keys,
        cookie,
        session,
        &person(),
        Bound::new(enrollment_id, 0),
        NOW + 60,
        DAY,
    )
}

#[test]
fn cookies_from_before_key_ids_stay_valid_after_the_upgrade_and_a_rotation() {
    let cookie = unkeyed_cookie(OLD, "app-1", 42, NOW);
    assert!(valid(&single(OLD), &cookie, "app-1", 42));
    assert!(
        valid(&ring(), &cookie, "app-1", 42),
        "old key second in the ring"
    );
    assert!(
        !valid(&ring(), &cookie, "app-2", 42),
        "still bound to the app session"
    );
    assert!(!valid(&ring(), &cookie, "app-1", 43));
    assert!(
        !valid(&single(NEW), &cookie, "app-1", 42),
        "old key dropped"
    );
}

#[test]
fn cookies_name_their_key_and_survive_while_it_is_in_the_ring() {
    let old = single(OLD);
    let cookie = issue_cookie(
        &old,
        AppSession::bind(&old, "app-1"),
        &person(),
        Bound::new(42, 0),
        NOW,
    );
    let (payload, _) = cookie.split_once('.').unwrap();
    let payload = URL_SAFE_NO_PAD.decode(payload).unwrap();
    assert_eq!(payload[0], COOKIE_VERSION);
    assert_eq!(payload[1..5], KeyId::of_hmac_key(&OLD).bytes());

    assert!(valid(&ring(), &cookie, "app-1", 42));
    assert!(!valid(&ring(), &cookie, "app-2", 42));
    assert!(!valid(&single(NEW), &cookie, "app-1", 42));

    // A cookie issued after the rotation is made under the new key.
    let rotated = ring();
    let fresh = issue_cookie(
        &rotated,
        AppSession::bind(&rotated, "app-1"),
        &person(),
        Bound::new(42, 0),
        NOW,
    );
    assert!(valid(&single(NEW), &fresh, "app-1", 42));
    assert!(!valid(&single(OLD), &fresh, "app-1", 42));
}

/// A cookie is checked under the key its id names, and no other: one
/// whose MAC is right under a ring key but which names another key of the
/// ring is refused. (A verifier that tried every key of the ring would
/// take it; the control shows the forgery is otherwise sound.)
#[test]
fn a_cookie_claiming_another_key_of_the_ring_is_refused() {
    let forge = |named: [u8; 32], signed_with: [u8; 32]| {
        let signer = single(signed_with);
        let session = AppSession::bind(&signer, "app-1");
        let mut payload = [0u8; PAYLOAD_LEN];
        payload[0] = COOKIE_VERSION;
        payload[1..5].copy_from_slice(&KeyId::of_hmac_key(&named).bytes());
        payload[5..13].copy_from_slice(&42u64.to_be_bytes());
        // Epoch 0 (bytes 13..17 stay zero), then the time.
        payload[17..25].copy_from_slice(&NOW.to_be_bytes());
        let tag = signer.mac(
            "gateway-cookie",
            &[&payload, session.as_bytes(), person().as_str().as_bytes()],
        );
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    };
    // Control: named and signed with the old key of the ring: valid.
    assert!(valid(&ring(), &forge(OLD, OLD), "app-1", 42));
    // Signed with the old key, naming the new one: refused.
    assert!(!valid(&ring(), &forge(NEW, OLD), "app-1", 42));
    // And the other way round.
    assert!(valid(&ring(), &forge(NEW, NEW), "app-1", 42));
    assert!(!valid(&ring(), &forge(OLD, NEW), "app-1", 42));
}

#[test]
fn csrf_tokens_from_before_key_ids_and_under_an_older_key_stay_valid() {
    let keys = ring();
    let session = AppSession::bind(&keys, "app-1");
    let unkeyed = unkeyed_csrf(OLD, "app-1", NOW);
    assert!(csrf_is_valid(&keys, &unkeyed, session, NOW + 60));
    assert!(!csrf_is_valid(
        &keys,
        &unkeyed,
        AppSession::bind(&keys, "app-2"),
        NOW
    ));
    let new_only = single(NEW);
    assert!(!csrf_is_valid(
        &new_only,
        &unkeyed,
        AppSession::bind(&new_only, "app-1"),
        NOW
    ));

    let old = single(OLD);
    let keyed = csrf_token(&old, AppSession::bind(&old, "app-1"), NOW);
    assert_eq!(
        keyed.split('.').nth(1),
        Some(KeyId::of_hmac_key(&OLD).to_string().as_str())
    );
    assert!(csrf_is_valid(&keys, &keyed, session, NOW + 60));
    assert!(!csrf_is_valid(
        &keys,
        &keyed,
        session,
        NOW + CSRF_MAX_AGE_SECS
    ));
    assert!(!csrf_is_valid(
        &new_only,
        &keyed,
        AppSession::bind(&new_only, "app-1"),
        NOW
    ));

    let fresh = csrf_token(&keys, session, NOW);
    assert!(csrf_is_valid(
        &new_only,
        &fresh,
        AppSession::bind(&new_only, "app-1"),
        NOW
    ));
    // An unknown or malformed key id is refused outright.
    let tag = fresh.rsplit('.').next().unwrap();
    for bad in [
        format!("{NOW}.00000000.{tag}"),
        format!("{NOW}.XYZ.{tag}"),
        format!("{NOW}..{tag}"),
    ] {
        assert!(!csrf_is_valid(&keys, &bad, session, NOW), "{bad}");
    }
}
