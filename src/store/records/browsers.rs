//! On-disk formats of remembered browsers (tree `browsers`) and of a
//! company's remembered-browser setting (tree `remember`), versioned like
//! every other record (`records.rs`). No I/O.

use super::{decode, encode};
use crate::domain::{RememberDays, RememberedBrowser};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

/// Written as V2 (with the factor that earned the trust) when it is
/// known, else as V1, so a record read from V1 is written back unchanged.
pub fn encode_browser(b: &RememberedBrowser) -> Result<Vec<u8>, StoreError> {
    let v1 = BrowserV1 {
        enrollment_id: b.enrollment_id,
        account: b.account.clone(),
        created_at: b.created_at,
        last_used_at: b.last_used_at,
        label: b.label.clone(),
    };
    let stored = match b.earned_by {
        Some(earned_by) => StoredBrowser::V2(BrowserV2 {
            browser: v1,
            earned_by,
        }),
        None => StoredBrowser::V1(v1),
    };
    encode("remembered browser", &stored)
}

pub fn decode_browser(bytes: &[u8]) -> Result<RememberedBrowser, StoreError> {
    let (v, earned_by) = match decode::<StoredBrowser>("remembered browser", bytes)? {
        StoredBrowser::V1(v) => (v, None),
        StoredBrowser::V2(v) => (v.browser, Some(v.earned_by)),
    };
    Ok(RememberedBrowser {
        enrollment_id: v.enrollment_id,
        account: v.account,
        created_at: v.created_at,
        last_used_at: v.last_used_at,
        label: v.label,
        earned_by,
    })
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
    /// V1 and the factor that earned the trust (issue 30).
    #[serde(rename = "2")]
    V2(BrowserV2),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrowserV2 {
    #[serde(flatten)]
    browser: BrowserV1,
    earned_by: crate::domain::Factor,
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
mod tests;
