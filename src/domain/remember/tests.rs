//! Unit tests of `domain::remember`.

use super::*;

#[test]
fn only_the_short_list_of_days_is_allowed() {
    assert_eq!(RememberDays::parse("off"), Some(RememberDays::OFF));
    assert_eq!(RememberDays::parse("0"), Some(RememberDays::OFF));
    assert_eq!(RememberDays::parse("7").and_then(|d| d.days()), Some(7));
    assert_eq!(RememberDays::parse("30").and_then(|d| d.days()), Some(30));
    for bad in ["14", "365", "-7", "", "7d", "on"] {
        assert_eq!(RememberDays::parse(bad), None, "{bad}");
    }
    let all: Vec<String> = RememberDays::all().map(|d| d.as_string()).collect();
    assert_eq!(all, ["off", "7", "30"]);
}

#[test]
fn browser_ids_round_trip_through_hex() {
    let id = BrowserId([0xab; 32]);
    assert_eq!(BrowserId::from_hex(&id.to_hex()), Some(id));
    assert_eq!(BrowserId::from_hex("ab"), None);
    assert_eq!(BrowserId::from_hex(&"zz".repeat(32)), None);
    assert_eq!(format!("{id:?}"), "BrowserId(abababab…)");
}

#[test]
fn a_remembered_browser_vouches_only_within_the_current_rules() {
    let day = 86_400;
    let b = RememberedBrowser {
        enrollment_id: 7,
        account: "a".into(),
        created_at: 1000,
        last_used_at: 1000,
        label: "Firefox on Linux".into(),
        earned_by: Some(crate::domain::Factor::Totp),
    };
    let thirty = RememberDays::parse("30").unwrap();
    let seven = RememberDays::parse("7").unwrap();
    assert!(b.vouches(7, thirty, 1000 + 10 * day));
    assert!(!b.vouches(8, thirty, 1000 + day), "re-enrolled");
    assert!(!b.vouches(7, RememberDays::OFF, 1000 + day), "turned off");
    assert!(!b.vouches(7, seven, 1000 + 10 * day), "days lowered");
    assert!(!b.vouches(7, thirty, 1000 + 30 * day), "time ran out");
    assert!(b.vouches(7, thirty, 1000 + 30 * day - 1));
    assert!(!b.vouches(7, thirty, 999), "from the future");
}

#[test]
fn where_a_passkey_is_required_only_a_passkeys_trust_fits() {
    use crate::domain::Factor;
    let earned = |by| RememberedBrowser {
        enrollment_id: 7,
        account: "a".into(),
        created_at: 1000,
        last_used_at: 1000,
        label: "x".into(),
        earned_by: by,
    };
    for by in [
        None,
        Some(Factor::Totp),
        Some(Factor::BackupCode),
        Some(Factor::Passkey),
    ] {
        assert!(earned(by).earned_fits(false), "{by:?}");
        assert_eq!(
            earned(by).earned_fits(true),
            by == Some(Factor::Passkey),
            "{by:?}"
        );
    }
}
