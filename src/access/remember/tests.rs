//! Unit tests of `access::remember`.

use super::*;
use crate::access::memo::FirstUses;

#[test]
fn only_cookies_of_our_shape_are_named_and_only_under_a_key() {
    let keys = Keys::from_rings(&[[7; 32], [8; 32]], &[[9; 32]]);
    let (cookie, id) = new_cookie(&keys, &mut rand::rng());
    assert_eq!(cookie.len(), COOKIE_LEN);
    let ids = browser_ids(&keys, &cookie);
    assert_eq!(ids.len(), 2, "one per key");
    assert_eq!(ids[0], id, "the key in use first");
    assert_ne!(ids[1], id);
    // Not the plain SHA-256 a writer of the store could compute.
    use sha2::{Digest, Sha256};
    let plain: [u8; 32] = Sha256::digest(cookie.as_bytes()).into();
    assert!(!ids.contains(&BrowserId(plain)));
    // Another ring names the same cookie otherwise.
    let other_ring = Keys::from_rings(&[[1; 32]], &[[9; 32]]);
    assert!(!browser_ids(&other_ring, &cookie).contains(&id));
    let (other, other_id) = new_cookie(&keys, &mut rand::rng());
    assert_ne!(id, other_id);
    assert_ne!(cookie, other);
    assert!(browser_ids(&keys, &cookie[1..]).is_empty(), "too short");
    assert!(browser_ids(&keys, &format!("{}=", &cookie[1..])).is_empty());
    let mut changed = cookie.clone().into_bytes();
    changed[0] = if changed[0] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    assert!(
        !browser_ids(&keys, &changed).contains(&id),
        "a changed byte"
    );
}

/// A key rotation keeps a remembered browser: found under the older
/// key, it moves to the key in use, and so outlives the older key's
/// removal from the ring. Without any key of its ring it is nobody.
#[test]
fn a_rotation_keeps_a_browser_and_moves_it_to_the_key_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::SledStore::open(dir.path()).unwrap();
    let person = PersonKey::new("acme", "hanako");
    let (old, new) = ([1; 32], [2; 32]);
    let before = Keys::from_rings(&[old], &[[9; 32]]);
    let (cookie, id) = new_cookie(&before, &mut rand::rng());
    let browser = RememberedBrowser {
        enrollment_id: 7,
        account: "hanako@acme".into(),
        created_at: 1,
        last_used_at: 1,
        label: "Firefox".into(),
        earned_by: None,
    };
    store.remember_browser(&person, &id, &browser).unwrap();

    let rotated = Keys::from_rings(&[new, old], &[[9; 32]]);
    let (found, b) = find(&store, &rotated, &person, &cookie).unwrap().unwrap();
    assert_eq!(b, browser);
    assert_eq!(
        found,
        browser_ids(&rotated, &cookie)[0],
        "moved to the new key"
    );
    assert!(store.remembered_browser(&person, &id).unwrap().is_none());
    assert_eq!(store.remembered_browsers(&person).unwrap().len(), 1);

    let only_new = Keys::from_rings(&[new], &[[9; 32]]);
    assert!(find(&store, &only_new, &person, &cookie).unwrap().is_some());
    let other = Keys::from_rings(&[[3; 32]], &[[9; 32]]);
    assert!(find(&store, &other, &person, &cookie).unwrap().is_none());
    let jiro = PersonKey::new("acme", "jiro");
    assert!(find(&store, &only_new, &jiro, &cookie).unwrap().is_none());
}

#[test]
fn labels_name_the_browser_and_system() {
    let cases = [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox · Linux",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
            "Chrome · macOS",
        ),
        ("curl/8.0", "Browser"),
    ];
    for (ua, expected) in cases {
        assert_eq!(label(Some(ua)), expected, "{ua}");
    }
    assert_eq!(label(None), "Browser");
}

#[test]
fn first_use_is_per_app_session_and_browser() {
    let seen = FirstUses::new(16);
    let (a, b) = (BrowserId([1; 32]), BrowserId([2; 32]));
    assert!(seen.first("s1", a));
    assert!(!seen.first("s1", a));
    assert!(seen.first("s2", a));
    assert!(seen.first("s1", b));
}
