//! Sets written before v2 (Argon2id with OWASP parameters, 10-symbol
//! codes): what the stores of earlier releases hold keeps working.

use super::*;

/// A v1 set as an earlier release stored it: salt `[7; 16]`, and the raw
/// Argon2id hashes of `abcd-efgh-23`, `mnpq-2345-rs` and `zyxw-9876-vu`
/// (hex, computed by the release before v2).
fn stored_v1() -> BackupCodeSet {
    let hashes = [
        "4e032687829f234322789c2b5aa8441e9300edeca4ac93bf8c78d1600072b27f",
        "318fdfaea02c8681da69db150c575f36510459610837edb7b51cdbd6f9f044a9",
        "4d3193ff7e4ddbd72705009e2010de3642db063559eb3a8ff59290d07528ba90",
    ];
    BackupCodeSet {
        generation: 1,
        salt: vec![7; SALT_LEN],
        hashes: hashes.iter().map(|h| hex::decode(h).unwrap()).collect(),
        used: vec![false; 3],
        created_at: 1_700_000_000,
    }
}

#[test]
fn a_stored_v1_set_still_verifies_its_codes() {
    let set = stored_v1();
    for (i, code) in ["abcd-efgh-23", "MNPQ 2345 RS", "zyxw9876vu"]
        .into_iter()
        .enumerate()
    {
        assert!(needs_argon2(&set, code), "{code}");
        assert_eq!(find_alice(&set, code), Some(i), "{code}");
    }
}

/// v1 hashes take no key: any ring, any person (as before v2).
#[test]
fn a_v1_set_needs_no_key() {
    let other = Keys::new([0x55; 32], [0x66; 32]);
    let bob = PersonKey::new("acme", "bob");
    assert_eq!(find(&stored_v1(), "abcd-efgh-23", &other, &bob), Some(0));
}

#[test]
fn a_v1_set_refuses_wrong_used_and_v2_shaped_codes() {
    let mut set = stored_v1();
    assert_eq!(find_alice(&set, "abcd-efgh-24"), None);
    assert_eq!(find_alice(&set, "abcd-efgh-2345-jkmn"), None);
    assert!(!needs_argon2(&set, "abcd-efgh-2345-jkmn"));
    set.used[1] = true;
    assert_eq!(find_alice(&set, "mnpq-2345-rs"), None);
    assert_eq!(find_alice(&set, "zyxw-9876-vu"), Some(2));
}

/// A v1 code never costs an Argon2id hash against a v2 set, and a changed
/// v1 hash matches nothing.
#[test]
fn a_v1_code_against_a_v2_set_costs_no_argon2_and_a_tampered_v1_hash_fails() {
    assert!(!needs_argon2(&sample().set, "abcd-efgh-23"));
    assert_eq!(find_alice(&sample().set, "abcd-efgh-23"), None);
    let mut set = stored_v1();
    set.hashes[0][31] ^= 0x80;
    assert_eq!(find_alice(&set, "abcd-efgh-23"), None);
}

/// The v1 parameters as the code uses them, and as the stored hashes
/// show (m = 19456 KiB, t = 2, p = 1, 32 bytes), written out here.
#[test]
fn v1_hashes_are_argon2id_with_owasp_parameters() {
    let argon2 = |m, t, p| {
        let params = Params::new(m, t, p, Some(32)).unwrap();
        let mut out = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(b"abcdefgh23", &[7u8; SALT_LEN], &mut out)
            .unwrap();
        out
    };
    let produced = hash_v1(&[7u8; SALT_LEN], "abcdefgh23").unwrap();
    assert_eq!(produced, argon2(19_456, 2, 1));
    assert_eq!(produced[..], stored_v1().hashes[0][..]);
    assert_ne!(produced, argon2(19_456, 1, 1), "t = 2, not 1");
    assert_ne!(produced, argon2(4_096, 2, 1), "m = 19456 KiB");
}

/// A rotation re-seals v2 hashes only: the raw Argon2id ones are not
/// sealed values and stay as they are.
#[test]
fn only_v2_hashes_are_sealed_values() {
    assert_eq!(sealed_hashes(&mut stored_v1()).count(), 0);
    let mut v2 = sample().set.clone();
    assert_eq!(sealed_hashes(&mut v2).count(), CODES_PER_SET);
}
