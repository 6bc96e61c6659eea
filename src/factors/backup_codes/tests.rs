//! Unit tests of `factors::backup_codes`.

use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::sync::OnceLock;

/// One generated set shared by the tests: generating hashes ten codes.
fn sample() -> &'static NewCodes {
    static SAMPLE: OnceLock<NewCodes> = OnceLock::new();
    SAMPLE.get_or_init(|| generate(&mut StdRng::seed_from_u64(42), 3, 1_700_000_000))
}

#[test]
fn a_set_has_ten_distinct_well_formed_codes() {
    let new = sample();
    assert_eq!(new.codes.len(), CODES_PER_SET);
    for code in &new.codes {
        let bytes = code.as_bytes();
        assert_eq!(bytes.len(), 12, "{code}");
        assert_eq!((bytes[4], bytes[9]), (b'-', b'-'), "{code}");
        assert!(normalize(code).is_some(), "{code}");
    }
    let mut distinct = new.codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), CODES_PER_SET);
}

#[test]
fn the_stored_set_holds_hashes_not_codes() {
    let set = &sample().set;
    assert_eq!(set.generation, 3);
    assert_eq!(set.created_at, 1_700_000_000);
    assert_eq!(set.salt.len(), SALT_LEN);
    assert_eq!(set.hashes.len(), CODES_PER_SET);
    assert_eq!(set.used, vec![false; CODES_PER_SET]);
    assert!(set.hashes.iter().all(|h| h.len() == HASH_LEN));
    for code in &sample().codes {
        let plain = normalize(code).unwrap();
        assert!(!set.hashes.iter().any(|h| h == plain.as_bytes()));
    }
}

#[test]
fn hashes_are_argon2id_with_owasp_parameters() {
    let params = Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
        .params()
        .clone();
    assert_eq!(
        (params.m_cost(), params.t_cost(), params.p_cost()),
        (19_456, 2, 1)
    );
    assert_eq!(params.output_len(), Some(32));
}

/// What `hash` produces, not what a constant says: Argon2id v1.3 with
/// m = 19456 KiB, t = 2, p = 1 and a 32-byte output, written out here.
#[test]
fn hash_is_argon2id_with_owasp_parameters_of_the_code() {
    let salt = [7u8; SALT_LEN];
    let argon2 = |m, t, p| {
        let params = Params::new(m, t, p, Some(32)).unwrap();
        let mut out = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(b"abcd2345ef", &salt, &mut out)
            .unwrap();
        out
    };
    let produced = hash(&salt, "abcd2345ef").unwrap();
    assert_eq!(produced, argon2(19_456, 2, 1));
    assert_ne!(produced, argon2(19_456, 1, 1), "t = 2, not 1");
    assert_ne!(produced, argon2(4_096, 2, 1), "m = 19456 KiB");
    // A stored set holds exactly these hashes of its normalized codes.
    let new = sample();
    for (code, stored) in new.codes.iter().zip(&new.set.hashes) {
        let normalized = normalize(code).unwrap();
        assert_eq!(stored[..], hash(&new.set.salt, &normalized).unwrap()[..]);
    }
}

#[test]
fn two_sets_have_different_salts_and_codes() {
    let other = generate(&mut StdRng::seed_from_u64(43), 4, 0);
    assert_ne!(other.set.salt, sample().set.salt);
    assert!(other.codes.iter().all(|c| !sample().codes.contains(c)));
    assert_eq!(find(&other.set, &sample().codes[0]), None);
}

#[test]
fn each_code_is_found_at_its_index() {
    let new = sample();
    for (i, code) in new.codes.iter().enumerate() {
        assert_eq!(find(&new.set, code), Some(i), "{code}");
    }
}

#[test]
fn typing_variants_of_a_code_are_found() {
    let new = sample();
    let code = &new.codes[2];
    let plain = code.replace('-', "");
    for typed in [
        code.to_uppercase(),
        plain.clone(),
        format!(" {} {} ", &plain[..5], &plain[5..]),
    ] {
        assert_eq!(find(&new.set, &typed), Some(2), "{typed:?}");
    }
}

#[test]
fn used_codes_are_not_found() {
    let mut set = sample().set.clone();
    set.used[5] = true;
    assert_eq!(find(&set, &sample().codes[5]), None);
    assert_eq!(find(&set, &sample().codes[6]), Some(6));
}

#[test]
fn a_missing_used_flag_counts_as_used() {
    let mut set = sample().set.clone();
    set.used.truncate(9);
    assert_eq!(find(&set, &sample().codes[9]), None);
}

#[test]
fn a_wrong_code_is_not_found() {
    let set = &sample().set;
    let mut wrong = normalize(&sample().codes[0]).unwrap().into_bytes();
    wrong[0] = if wrong[0] == b'2' { b'3' } else { b'2' };
    let wrong = String::from_utf8(wrong).unwrap();
    assert_eq!(find(set, &wrong), None);
}

#[test]
fn normalize_canonicalizes_typing_variants() {
    assert_eq!(normalize("ABCD-efgh-23").as_deref(), Some("abcdefgh23"));
    assert_eq!(normalize("abcdefgh23").as_deref(), Some("abcdefgh23"));
    assert_eq!(normalize(" abcd efgh 23 ").as_deref(), Some("abcdefgh23"));
}

#[test]
fn normalize_rejects_garbage() {
    for attempt in [
        "",
        "abcd-efgh-2",    // too short
        "abcd-efgh-234",  // too long
        "abcd-efgh-20",   // 0 is not in the alphabet
        "abcd-efgh-2l",   // nor l
        "abcd-efgi-23",   // nor i
        "abcd-efgh-2o",   // nor o
        "abcd_efgh_23",   // underscores are not separators
        "abcd\tefgh23",   // nor tabs
        "abcdéfgh23",     // non-ASCII
        "ＡＢＣＤefgh23", // full-width
        "123456",         // a TOTP code
    ] {
        assert_eq!(normalize(attempt), None, "{attempt:?}");
    }
    assert_eq!(normalize(&"-".repeat(10_000)), None);
    assert_eq!(normalize(&format!("{}abcdefgh23", " ".repeat(100))), None);
}

#[test]
fn garbage_is_refused_by_find() {
    assert_eq!(find(&sample().set, "not a code"), None);
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
    let codes: Vec<String> = (0..CODES_PER_SET)
        .map(|i| format!("abcd-efgh-{}{}", 2 + i % 8, 2 + i / 8))
        .collect();
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
    let text = download_text("Evil\nCo", "a\r\nb", &["abcd-efgh-23".to_owned()]);
    assert_eq!(
        text,
        "Evil Co backup codes for a  b — each code works once\nabcd-efgh-23\n"
    );
}

#[test]
fn display_form_inserts_dashes() {
    assert_eq!(display_form("abcdefgh23"), "abcd-efgh-23");
}

/// Up to 64 characters are read (then separators dropped); 65 are not.
#[test]
fn an_attempt_of_64_characters_is_read_and_65_are_not() {
    let at_limit = format!("{}abcdefgh23", " ".repeat(54));
    assert_eq!(at_limit.len(), 64);
    assert_eq!(normalize(&at_limit).as_deref(), Some("abcdefgh23"));
    let over = format!(" {at_limit}");
    assert_eq!(normalize(&over), None);
}
