//! On-disk format of the accounts seen per company (tree `seen`), used by
//! the rollout view of the policy page. No I/O.

use super::{decode, encode};
use crate::domain::{AccountClass, SeenAccount};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub fn encode_seen(s: &SeenAccount) -> Result<Vec<u8>, StoreError> {
    encode(
        "seen account",
        &StoredSeen::V1(SeenV1 {
            account: s.account.clone(),
            class: s.class.as_str().to_owned(),
            person: s.person.clone(),
            last_seen: s.last_seen,
        }),
    )
}

pub fn decode_seen(bytes: &[u8]) -> Result<SeenAccount, StoreError> {
    match decode::<StoredSeen>("seen account", bytes)? {
        StoredSeen::V1(v) => Ok(SeenAccount {
            class: AccountClass::parse(&v.class).ok_or_else(|| StoreError::Corrupt {
                what: "seen account",
                detail: format!("unknown class {:?}", v.class),
            })?,
            account: v.account,
            person: v.person,
            last_seen: v.last_seen,
        }),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredSeen {
    #[serde(rename = "1")]
    V1(SeenV1),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeenV1 {
    account: String,
    class: String,
    person: String,
    last_seen: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_v1_format_is_pinned() {
        let s = SeenAccount {
            account: "bob@acme".into(),
            class: AccountClass::Admin,
            person: "bob".into(),
            last_seen: 86_400,
        };
        let json =
            r#"{"v":"1","account":"bob@acme","class":"admin","person":"bob","last_seen":86400}"#;
        assert_eq!(encode_seen(&s).unwrap(), json.as_bytes());
        assert_eq!(decode_seen(json.as_bytes()).unwrap(), s);
        assert!(
            decode_seen(br#"{"v":"1","account":"a","class":"boss","person":"a","last_seen":0}"#)
                .is_err()
        );
    }
}
