//! On-disk format of the accounts seen per company (tree `seen`), used by
//! the rollout view of the policy page. No I/O.

use super::{decode, encode};
use crate::domain::{AccountClass, SeenAccount};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub fn encode_seen(s: &SeenAccount) -> Result<Vec<u8>, StoreError> {
    encode(
        "seen account",
        &StoredSeen::V2(SeenV2 {
            account: s.account.clone(),
            class: s.class.as_str().to_owned(),
            person: s.person.clone(),
            last_seen: s.last_seen,
            email: s.email.clone(),
            manages_policy: s.manages_policy,
        }),
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

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredSeen {
    #[serde(rename = "1")]
    V1(SeenV1),
    #[serde(rename = "2")]
    V2(SeenV2),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeenV1 {
    account: String,
    class: String,
    person: String,
    last_seen: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeenV2 {
    account: String,
    class: String,
    person: String,
    last_seen: i64,
    email: Option<String>,
    manages_policy: bool,
}

#[cfg(test)]
mod tests;
