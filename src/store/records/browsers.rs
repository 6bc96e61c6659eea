//! On-disk formats of remembered browsers (tree `browsers`) and of a
//! company's remembered-browser setting (tree `remember`), versioned like
//! every other record (`records.rs`). No I/O.

use super::{decode, encode};
use crate::domain::{RememberDays, RememberedBrowser};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub fn encode_browser(b: &RememberedBrowser) -> Result<Vec<u8>, StoreError> {
    encode(
        "remembered browser",
        &StoredBrowser::V1(BrowserV1 {
            enrollment_id: b.enrollment_id,
            account: b.account.clone(),
            created_at: b.created_at,
            last_used_at: b.last_used_at,
            label: b.label.clone(),
        }),
    )
}

pub fn decode_browser(bytes: &[u8]) -> Result<RememberedBrowser, StoreError> {
    match decode::<StoredBrowser>("remembered browser", bytes)? {
        StoredBrowser::V1(v) => Ok(RememberedBrowser {
            enrollment_id: v.enrollment_id,
            account: v.account,
            created_at: v.created_at,
            last_used_at: v.last_used_at,
            label: v.label,
        }),
    }
}

pub fn encode_remember_days(days: RememberDays) -> Result<Vec<u8>, StoreError> {
    encode(
        "remember setting",
        &StoredRemember::V1(RememberV1 {
            days: days.days().unwrap_or(0),
        }),
    )
}

/// A value outside today's short list (written by a later version that
/// allows more) reads as off: the safe side.
pub fn decode_remember_days(bytes: &[u8]) -> Result<RememberDays, StoreError> {
    match decode::<StoredRemember>("remember setting", bytes)? {
        StoredRemember::V1(v) => Ok(RememberDays::from_days(v.days).unwrap_or_default()),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredBrowser {
    #[serde(rename = "1")]
    V1(BrowserV1),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrowserV1 {
    enrollment_id: u64,
    account: String,
    created_at: i64,
    last_used_at: i64,
    label: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredRemember {
    #[serde(rename = "1")]
    V1(RememberV1),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RememberV1 {
    /// 0: off.
    days: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_v1_format_is_pinned() {
        let b = RememberedBrowser {
            enrollment_id: 7,
            account: "bob".into(),
            created_at: 100,
            last_used_at: 200,
            label: "Firefox on Linux".into(),
        };
        let json = r#"{"v":"1","enrollment_id":7,"account":"bob","created_at":100,"last_used_at":200,"label":"Firefox on Linux"}"#;
        assert_eq!(encode_browser(&b).unwrap(), json.as_bytes());
        assert_eq!(decode_browser(json.as_bytes()).unwrap(), b);
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
}
