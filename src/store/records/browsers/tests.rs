//! Unit tests of `store::records::browsers`.

use super::*;

#[test]
fn browser_v1_format_is_pinned() {
    let b = RememberedBrowser {
        enrollment_id: 7,
        account: "bob".into(),
        created_at: 100,
        last_used_at: 200,
        label: "Firefox on Linux".into(),
        earned_by: None,
    };
    let json = r#"{"v":"1","enrollment_id":7,"account":"bob","created_at":100,"last_used_at":200,"label":"Firefox on Linux"}"#;
    assert_eq!(encode_browser(&b).unwrap(), json.as_bytes());
    assert_eq!(decode_browser(json.as_bytes()).unwrap(), b);
    let b2 = RememberedBrowser {
        earned_by: Some(crate::domain::Factor::Passkey),
        ..b.clone()
    };
    let json = r#"{"v":"2","enrollment_id":7,"account":"bob","created_at":100,"last_used_at":200,"label":"Firefox on Linux","earned_by":"passkey"}"#;
    assert_eq!(encode_browser(&b2).unwrap(), json.as_bytes());
    assert_eq!(decode_browser(json.as_bytes()).unwrap(), b2);
    assert!(matches!(
        decode_browser(b"{}"),
        Err(StoreError::Corrupt {
            what: "remembered browser",
            ..
        })
    ));
}

#[test]
fn remember_setting_v1_format_is_pinned() {
    let thirty = RememberDays::parse("30").unwrap();
    assert_eq!(
        encode_remember_days(thirty).unwrap(),
        br#"{"v":"1","days":30}"#
    );
    assert_eq!(
        decode_remember_days(br#"{"v":"1","days":30}"#).unwrap(),
        thirty
    );
    assert_eq!(
        decode_remember_days(br#"{"v":"1","days":0}"#).unwrap(),
        RememberDays::OFF
    );
    assert_eq!(
        decode_remember_days(br#"{"v":"1","days":90}"#).unwrap(),
        RememberDays::OFF,
        "unknown lengths read as off"
    );
}
