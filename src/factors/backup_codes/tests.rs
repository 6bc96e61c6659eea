//! Unit tests of `factors::backup_codes`: v2 sets (sealed digests), v1
//! sets (Argon2id, as stores written before keep them), the attempt's
//! normal form and the download.

use super::*;
use crate::keys::sealed_key_id;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::sync::OnceLock;

mod v1;

fn keys() -> Keys {
    Keys::new([0x11; 32], [0x22; 32])
}

fn alice() -> PersonKey {
    PersonKey::new("acme", "alice")
}

/// One generated set shared by the tests.
fn sample() -> &'static NewCodes {
    static SAMPLE: OnceLock<NewCodes> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        generate(
            &mut StdRng::seed_from_u64(42),
            &keys(),
            &alice(),
            3,
            1_700_000_000,
        )
    })
}

fn find_alice(set: &BackupCodeSet, attempt: &str) -> Option<usize> {
    find(set, attempt, &keys(), &alice())
}

#[test]
fn a_set_has_ten_distinct_well_formed_codes() {
    let new = sample();
    assert_eq!(new.codes.len(), CODES_PER_SET);
    for code in &new.codes {
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [4; 4]);
        assert_eq!(normalize(code).map(|n| n.len()), Some(16), "{code}");
    }
    let mut distinct = new.codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), CODES_PER_SET);
}

/// Issue 35: at least 60 random bits a code.
#[test]
fn a_code_carries_over_60_bits() {
    let bits = CODE_LEN as f64 * (ALPHABET.len() as f64).log2();
    assert!(bits > 79.0 && bits < 80.0, "{bits}");
}

/// What is stored is, for each code, the v2 digest sealed under the first
/// encryption key with the person as associated data: no code, no digest
/// in the clear, and the key id that sealed it.
#[test]
fn the_stored_set_holds_sealed_digests_not_codes() {
    let new = sample();
    let set = &new.set;
    assert_eq!((set.generation, set.created_at), (3, 1_700_000_000));
    assert_eq!(set.salt.len(), SALT_LEN);
    assert_eq!(set.used, vec![false; CODES_PER_SET]);
    let aad = alice().as_str().as_bytes().to_vec();
    for (code, stored) in new.codes.iter().zip(&set.hashes) {
        let normalized = normalize(code).unwrap();
        let digest = digest_v2(&alice(), &set.salt, &normalized);
        assert_ne!(stored.len(), V1_HASH_LEN);
        assert_eq!(
            sealed_key_id(stored),
            keys().encryption_ids().first().copied()
        );
        assert_eq!(keys().open(&aad, stored).unwrap(), digest);
        let shown = hex::encode(stored);
        assert!(!shown.contains(&hex::encode(digest)));
        assert!(!shown.contains(&hex::encode(normalized.as_bytes())));
    }
}

/// The digest covers each field, length-prefixed, under its own domain.
#[test]
fn the_digest_is_sha256_of_length_prefixed_fields() {
    let mut input = Vec::new();
    for field in [
        &b"mfa-gate backup code v2"[..],
        b"4:acme/alice",
        b"salt",
        b"abcdefgh2345jkmn",
    ] {
        input.extend_from_slice(&(field.len() as u64).to_be_bytes());
        input.extend_from_slice(field);
    }
    let expected: [u8; 32] = Sha256::digest(&input).into();
    assert_eq!(digest_v2(&alice(), b"salt", "abcdefgh2345jkmn"), expected);
    assert_ne!(digest_v2(&alice(), b"salt", "abcdefgh2345jkmp"), expected);
}

#[test]
fn two_sets_have_different_salts_and_codes() {
    let other = generate(&mut StdRng::seed_from_u64(43), &keys(), &alice(), 4, 0);
    assert_ne!(other.set.salt, sample().set.salt);
    assert!(other.codes.iter().all(|c| !sample().codes.contains(c)));
    assert_eq!(find_alice(&other.set, &sample().codes[0]), None);
}

#[test]
fn each_code_is_found_at_its_index() {
    let new = sample();
    for (i, code) in new.codes.iter().enumerate() {
        assert_eq!(find_alice(&new.set, code), Some(i), "{code}");
    }
    assert!(!needs_argon2(&new.set, &new.codes[0]));
}

#[test]
fn typing_variants_of_a_code_are_found() {
    let new = sample();
    let code = &new.codes[2];
    let plain = code.replace('-', "");
    for typed in [
        code.to_uppercase(),
        plain.clone(),
        code.replace('-', " "),
        format!(" {} {} ", &plain[..5], &plain[5..]),
    ] {
        assert_eq!(find_alice(&new.set, &typed), Some(2), "{typed:?}");
    }
}

#[test]
fn used_codes_are_not_found() {
    let mut set = sample().set.clone();
    set.used[5] = true;
    assert_eq!(find_alice(&set, &sample().codes[5]), None);
    assert_eq!(find_alice(&set, &sample().codes[6]), Some(6));
}

#[test]
fn a_missing_used_flag_counts_as_used() {
    let mut set = sample().set.clone();
    set.used.truncate(9);
    assert_eq!(find_alice(&set, &sample().codes[9]), None);
}

#[test]
fn a_wrong_code_is_not_found() {
    let set = &sample().set;
    let mut wrong = normalize(&sample().codes[0]).unwrap().into_bytes();
    wrong[15] = if wrong[15] == b'2' { b'3' } else { b'2' };
    let wrong = String::from_utf8(wrong).unwrap();
    assert_eq!(find_alice(set, &wrong), None);
    // Nor the first ten symbols alone (the length of a v1 code).
    assert_eq!(find_alice(set, &sample().codes[0][..12]), None);
    assert!(!needs_argon2(set, &sample().codes[0][..12]));
}

/// A changed byte anywhere in a stored value (key id, nonce, ciphertext,
/// tag) makes that code match nothing; the others still work.
#[test]
fn a_tampered_stored_hash_matches_nothing() {
    let stored_len = sample().set.hashes[4].len();
    for at in [0, 4, 10, 30, stored_len - 1] {
        let mut set = sample().set.clone();
        set.hashes[4][at] ^= 0x01;
        assert_eq!(find_alice(&set, &sample().codes[4]), None, "byte {at}");
        assert_eq!(find_alice(&set, &sample().codes[3]), Some(3));
    }
    let mut set = sample().set.clone();
    set.hashes[4].clear();
    assert_eq!(find_alice(&set, &sample().codes[4]), None);
}

/// The writer of a store who knows their own codes cannot give them to
/// someone else: a set moved to another person opens for nobody.
#[test]
fn a_set_moved_to_another_person_matches_nothing() {
    let bob = PersonKey::new("acme", "bob");
    for code in &sample().codes {
        assert_eq!(find(&sample().set, code, &keys(), &bob), None);
    }
}

/// Nor can the salt be changed under the sealed values.
#[test]
fn a_changed_salt_matches_nothing() {
    let mut salted = sample().set.clone();
    salted.salt[0] ^= 1;
    assert_eq!(find_alice(&salted, &sample().codes[0]), None);
}

/// Codes made under an encryption key that is now second in the ring
/// still work; without that key (another installation, or the key
/// removed too early) they match nothing.
#[test]
fn a_set_sealed_under_an_older_key_of_the_ring_still_verifies() {
    let (old, new) = ([0x22; 32], [0x33; 32]);
    let rotated = Keys::from_rings(&[[0x11; 32]], &[new, old]);
    for (i, code) in sample().codes.iter().enumerate() {
        assert_eq!(find(&sample().set, code, &rotated, &alice()), Some(i));
    }
    let without_old = Keys::from_rings(&[[0x11; 32]], &[new]);
    assert_eq!(
        find(&sample().set, &sample().codes[0], &without_old, &alice()),
        None
    );
    // The HMAC ring plays no part: rotating it away changes nothing.
    let other_hmac = Keys::from_rings(&[[0x44; 32]], &[old]);
    assert_eq!(
        find(&sample().set, &sample().codes[1], &other_hmac, &alice()),
        Some(1)
    );
}

#[test]
fn normalize_canonicalizes_typing_variants() {
    let canonical = Some("abcdefgh2345jkmn");
    assert_eq!(normalize("ABCD-efgh-2345-JKMN").as_deref(), canonical);
    assert_eq!(normalize("abcdefgh2345jkmn").as_deref(), canonical);
    assert_eq!(normalize(" abcd efgh 2345 jkmn ").as_deref(), canonical);
    // A code of a v1 set, as users saved it.
    assert_eq!(normalize("ABCD-efgh-23").as_deref(), Some("abcdefgh23"));
}

#[test]
fn normalize_rejects_garbage() {
    for attempt in [
        "",
        "abcd-efgh-2",          // 9 symbols
        "abcd-efgh-234",        // 11
        "abcd-efgh-2345-jkm",   // 15
        "abcd-efgh-2345-jkmnp", // 17
        "abcd-efgh-2345-jkm0",  // 0 is not in the alphabet
        "abcd-efgh-2345-jkml",  // nor l
        "abcd-efgi-2345-jkmn",  // nor i
        "abcd-efgh-2345-jkmo",  // nor o
        "abcd_efgh_2345_jkmn",  // underscores are not separators
        "abcd\tefgh2345jkmn",   // nor tabs
        "abcdéfgh2345jkmn",     // non-ASCII
        "ＡＢＣＤefgh2345jkmn", // full-width
        "123456",               // a TOTP code
    ] {
        assert_eq!(normalize(attempt), None, "{attempt:?}");
    }
    assert_eq!(normalize(&"-".repeat(10_000)), None);
    assert_eq!(
        normalize(&format!("{}abcdefgh2345jkmn", " ".repeat(100))),
        None
    );
}

#[test]
fn garbage_is_refused_by_find() {
    assert_eq!(find_alice(&sample().set, "not a code"), None);
}

#[test]
fn debug_shows_neither_codes_nor_hashes() {
    let new = sample();
    let shown = format!("{new:?} {new:#?} {:?}", new.set);
    for code in &new.codes {
        assert!(!shown.contains(code.as_str()), "{shown}");
        assert!(!shown.contains(&code.replace('-', "")), "{shown}");
    }
    let first_hash = format!("{:?}", new.set.hashes[0]);
    assert!(!shown.contains(&first_hash[1..first_hash.len() - 1]));
    assert!(
        !shown.contains("hashes") && !shown.contains("salt"),
        "{shown}"
    );
    assert!(shown.contains("<10 redacted>"), "{shown}");
}

#[test]
fn download_text_is_a_header_then_one_code_per_line() {
    let codes = sample().codes.clone();
    let text = download_text("ACME Co", "alice@example.com", &codes);
    let mut expected =
        String::from("ACME Co backup codes for alice@example.com — each code works once\n");
    for code in &codes {
        expected.push_str(code);
        expected.push('\n');
    }
    assert_eq!(text, expected);
    assert_eq!(text.lines().count(), 1 + CODES_PER_SET);
}

#[test]
fn download_text_header_stays_one_line() {
    let text = download_text("Evil\nCo", "a\r\nb", &["abcd-efgh-2345-jkmn".to_owned()]);
    assert_eq!(
        text,
        "Evil Co backup codes for a  b — each code works once\nabcd-efgh-2345-jkmn\n"
    );
}

#[test]
fn display_form_inserts_a_dash_every_four_symbols() {
    assert_eq!(display_form("abcdefgh2345jkmn"), "abcd-efgh-2345-jkmn");
    assert_eq!(display_form("abcdefgh23"), "abcd-efgh-23");
}

/// Up to 64 characters are read (then separators dropped); 65 are not.
#[test]
fn an_attempt_of_64_characters_is_read_and_65_are_not() {
    let at_limit = format!("{}abcdefgh2345jkmn", " ".repeat(48));
    assert_eq!(at_limit.len(), 64);
    assert_eq!(normalize(&at_limit).as_deref(), Some("abcdefgh2345jkmn"));
    let over = format!(" {at_limit}");
    assert_eq!(normalize(&over), None);
}
