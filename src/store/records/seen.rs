//! On-disk format of the accounts seen per company (tree `seen`), used by
//! the rollout view of the policy page. No I/O.

use super::{decode, encode};
use crate::domain::{AccountClass, SeenAccount};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub fn encode_seen(s: &SeenAccount) -> Result<Vec<u8>, StoreError> {
    encode(
        "seen account",
        &SeenV2Out {
            v: "2",
            account: &s.account,
            class: s.class.as_str(),
            person: &s.person,
            last_seen: s.last_seen,
            email: s.email.as_deref(),
            manages_policy: s.manages_policy,
        },
    )
}

pub fn decode_seen(bytes: &[u8]) -> Result<SeenAccount, StoreError> {
    let v = match decode::<StoredSeen>("seen account", bytes)? {
        // Written before addresses were kept: none, and no administrator
        // known until the account is seen again (at most a day).
        StoredSeen::V1(v) => SeenV2 {
            account: v.account,
            class: v.class,
            person: v.person,
            last_seen: v.last_seen,
            email: None,
            manages_policy: false,
        },
        StoredSeen::V2(v) => v,
    };
    Ok(SeenAccount {
        class: AccountClass::parse(&v.class).ok_or_else(|| StoreError::Corrupt {
            what: "seen account",
            detail: format!("unknown class {:?}", v.class),
        })?,
        account: v.account,
        person: v.person,
        last_seen: v.last_seen,
        email: v.email,
        manages_policy: v.manages_policy,
    })
}

#[derive(Deserialize)]
#[serde(tag = "v")]
enum StoredSeen {
    #[serde(rename = "1")]
    V1(SeenV1),
    #[serde(rename = "2")]
    V2(SeenV2),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeenV1 {
    account: String,
    class: String,
    person: String,
    last_seen: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeenV2 {
    account: String,
    class: String,
    person: String,
    last_seen: i64,
    email: Option<String>,
    manages_policy: bool,
}

/// `StoredSeen::V2` as written: the same bytes (the tag first, then the
/// fields in order), borrowed rather than copied. A note is written for
/// every account new today, on the request that first sees it.
#[derive(Serialize)]
struct SeenV2Out<'a> {
    v: &'static str,
    account: &'a str,
    class: &'static str,
    person: &'a str,
    last_seen: i64,
    email: Option<&'a str>,
    manages_policy: bool,
}

#[cfg(test)]
mod tests;
