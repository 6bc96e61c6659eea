//! On-disk format of the accounts seen per company (tree `seen`), used by
//! the rollout view of the policy page. No I/O.

use super::decode;
use crate::domain::{AccountClass, SeenAccount};
use crate::store::StoreError;
use serde::Deserialize;

/// `StoredSeen::V2`, written field by field in the order the derived
/// `SeenV2Out` writes them (a test holds the two byte for byte): the
/// keys are constants, and serde_json escapes each value. A note is
/// written for every account new today, on the request that first sees
/// it; the derived serializer spent most of its time escaping the keys.
pub fn encode_seen(s: &SeenAccount) -> Result<Vec<u8>, StoreError> {
    let texts = s.account.len() + s.person.len() + s.email.as_ref().map_or(0, String::len);
    let mut out = Vec::with_capacity(128 + texts);
    write_seen(&mut out, s)
        .map_err(|e| StoreError::Engine(format!("encoding seen account: {e}")))?;
    Ok(out)
}

fn write_seen(out: &mut Vec<u8>, s: &SeenAccount) -> serde_json::Result<()> {
    out.extend_from_slice(br#"{"v":"2","account":"#);
    serde_json::to_writer(&mut *out, &s.account)?;
    out.extend_from_slice(br#","class":"#);
    serde_json::to_writer(&mut *out, s.class.as_str())?;
    out.extend_from_slice(br#","person":"#);
    serde_json::to_writer(&mut *out, &s.person)?;
    out.extend_from_slice(br#","last_seen":"#);
    serde_json::to_writer(&mut *out, &s.last_seen)?;
    out.extend_from_slice(br#","email":"#);
    serde_json::to_writer(&mut *out, &s.email)?;
    out.extend_from_slice(br#","manages_policy":"#);
    serde_json::to_writer(&mut *out, &s.manages_policy)?;
    out.push(b'}');
    Ok(())
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

/// `StoredSeen::V2` as serde derives it: what `encode_seen` writes by
/// hand, byte for byte (the tests hold it to this).
#[cfg(test)]
#[derive(serde::Serialize)]
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
