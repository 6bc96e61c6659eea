//! The on-disk formats of the store, and their conversion to and from the
//! domain types. Every stored value is a serde_json object tagged with its
//! format version (`{"v":"2",...}`), decoded into a `…V1` mirror struct and
//! only then converted into `crate::domain`: the domain types can change
//! freely, and a change of the disk format is a new variant here (`V2`) plus
//! an upgrade in `into_domain`, never an edit of a `V1` struct. Bytes
//! (sealed secrets, salts, hashes) are stored as base64 strings. Reading a
//! value that does not decode gives `StoreError::Corrupt`, never a panic.
//! This file does no I/O: `sled_store.rs` owns the engine.

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::{
    BackupCodeSet, Enforcement, Enrollment, Passkey, PendingEnrollment, PersonKey, PersonRecord,
    UsedCeremony,
};

mod audit;
mod browsers;
mod outbox;
mod person_v4;
mod seen;
pub use audit::{decode_audit, encode_audit};
pub use browsers::{decode_browser, decode_remember_days, encode_browser, encode_remember_days};
pub use outbox::{decode_contact, decode_delivery, encode_contact, encode_delivery};
use person_v4::PersonV4;
pub use seen::{decode_seen, encode_seen};

// ---------------------------------------------------------------------------
// Encoding and decoding: the only functions `sled_store.rs` calls (with
// `encode_audit` and `decode_audit` of `audit.rs`).

/// A record without passkeys is still written as V2, which the release
/// before passkeys reads: going back to it loses nothing of such a person.
/// Likewise V3 while no lock or restore has moved `trust_epoch` on (V4).
pub fn encode_person(record: &PersonRecord) -> Result<Vec<u8>, StoreError> {
    let stored = match (
        record.passkeys.is_empty() && record.used_ceremonies.is_empty(),
        record.trust_epoch,
    ) {
        (true, 0) => StoredPerson::V2(PersonV2::from(record)),
        (false, 0) => StoredPerson::V3(PersonV3::from(record)),
        _ => StoredPerson::V4(PersonV4::from(record)),
    };
    encode("person", &stored)
}

pub fn decode_person(bytes: &[u8]) -> Result<PersonRecord, StoreError> {
    match decode::<StoredPerson>("person", bytes)? {
        StoredPerson::V1(v1) => Ok(v1.into()),
        StoredPerson::V2(v2) => Ok(v2.into()),
        StoredPerson::V3(v3) => Ok(v3.into()),
        StoredPerson::V4(v4) => Ok(v4.into()),
    }
}

/// A key of the "persons" tree back into the `PersonKey` it was made from
/// (its string is the key's serialized form, see `AccountLinkV1`).
pub fn decode_person_key(bytes: &[u8]) -> Result<PersonKey, StoreError> {
    let text = std::str::from_utf8(bytes).map_err(|e| StoreError::Corrupt {
        what: "person key",
        detail: e.to_string(),
    })?;
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|e| {
        StoreError::Corrupt {
            what: "person key",
            detail: e.to_string(),
        }
    })
}

/// A policy the release before passkeys knows is still written as V1.
pub fn encode_policy(policy: Enforcement) -> Result<Vec<u8>, StoreError> {
    let stored = match policy {
        Enforcement::Optional => StoredPolicy::V1(PolicyV1 {
            enforcement: EnforcementV1::Optional,
        }),
        Enforcement::Required => StoredPolicy::V1(PolicyV1 {
            enforcement: EnforcementV1::Required,
        }),
        Enforcement::RequiredPasskey => StoredPolicy::V2(PolicyV2 {
            enforcement: EnforcementV2::RequiredPasskey,
        }),
    };
    encode("policy", &stored)
}

pub fn decode_policy(bytes: &[u8]) -> Result<Enforcement, StoreError> {
    match decode::<StoredPolicy>("policy", bytes)? {
        StoredPolicy::V1(v1) => Ok(v1.enforcement.into()),
        StoredPolicy::V2(v2) => Ok(v2.enforcement.into()),
    }
}

pub fn encode_account_link(key: &PersonKey) -> Result<Vec<u8>, StoreError> {
    encode(
        "account link",
        &StoredAccountLink::V1(AccountLinkV1 {
            person: key.clone(),
        }),
    )
}

pub fn decode_account_link(bytes: &[u8]) -> Result<PersonKey, StoreError> {
    match decode::<StoredAccountLink>("account link", bytes)? {
        StoredAccountLink::V1(v1) => Ok(v1.person),
    }
}

pub(super) fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, StoreError> {
    // Cannot fail for these types (no maps with non-string keys, no custom
    // serializers that error); mapped rather than unwrapped all the same.
    serde_json::to_vec(value).map_err(|e| StoreError::Engine(format!("encoding {what}: {e}")))
}

pub(super) fn decode<'a, T: Deserialize<'a>>(
    what: &'static str,
    bytes: &'a [u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

// ---------------------------------------------------------------------------
// Person record (tree "persons").

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredPerson {
    #[serde(rename = "1")]
    V1(PersonV1),
    #[serde(rename = "2")]
    V2(PersonV2),
    #[serde(rename = "3")]
    V3(PersonV3),
    /// V3 and the trust epoch that gateway cookies must name.
    #[serde(rename = "4")]
    V4(PersonV4),
}

// `deny_unknown_fields`: a field this version does not know means a newer
// writer; rewriting the record would silently drop it, so refuse to read.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonV1 {
    enrollment: Option<EnrollmentV1>,
    pending: Option<PendingEnrollmentV1>,
    backup_codes: Option<BackupCodeSetV1>,
    last_step: Option<u64>,
    failures: u32,
    locked_at: Option<i64>,
    accounts: Vec<String>,
}

// The mirrors holding sealed secrets and hashes deliberately implement no
// `Debug`, so they cannot end up in a log line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrollmentV1 {
    id: u64,
    #[serde(with = "b64")]
    sealed_secret: Vec<u8>,
    enrolled_at: i64,
    enrolled_by: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingEnrollmentV1 {
    #[serde(with = "b64")]
    sealed_secret: Vec<u8>,
    started_at: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupCodeSetV1 {
    generation: u32,
    #[serde(with = "b64")]
    salt: Vec<u8>,
    #[serde(with = "b64_list")]
    hashes: Vec<Vec<u8>>,
    used: Vec<bool>,
    created_at: i64,
}

/// V2 (pending enrollments bound to an app session, one per session;
/// whether a staff account is linked). V1 records are upgraded on read.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonV2 {
    enrollment: Option<EnrollmentV1>,
    pending: Vec<PendingEnrollmentV2>,
    backup_codes: Option<BackupCodeSetV1>,
    last_step: Option<u64>,
    failures: u32,
    locked_at: Option<i64>,
    accounts: Vec<String>,
    staff_account: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingEnrollmentV2 {
    #[serde(with = "b64")]
    session: Vec<u8>,
    #[serde(with = "b64")]
    sealed_secret: Vec<u8>,
    started_at: i64,
}

impl From<&PersonRecord> for PersonV2 {
    fn from(r: &PersonRecord) -> Self {
        PersonV2 {
            enrollment: r.enrollment.as_ref().map(|e| EnrollmentV1 {
                id: e.id,
                sealed_secret: e.sealed_secret.clone(),
                enrolled_at: e.enrolled_at,
                enrolled_by: e.enrolled_by.clone(),
            }),
            pending: r
                .pending
                .iter()
                .map(|p| PendingEnrollmentV2 {
                    session: p.session.to_vec(),
                    sealed_secret: p.sealed_secret.clone(),
                    started_at: p.started_at,
                })
                .collect(),
            backup_codes: r.backup_codes.as_ref().map(|b| BackupCodeSetV1 {
                generation: b.generation,
                salt: b.salt.clone(),
                hashes: b.hashes.clone(),
                used: b.used.clone(),
                created_at: b.created_at,
            }),
            last_step: r.last_step,
            failures: r.failures,
            locked_at: r.locked_at,
            accounts: r.accounts.clone(),
            staff_account: r.staff_account,
        }
    }
}

impl From<PersonV2> for PersonRecord {
    fn from(v: PersonV2) -> Self {
        let v1 = PersonV1 {
            enrollment: v.enrollment,
            pending: None,
            backup_codes: v.backup_codes,
            last_step: v.last_step,
            failures: v.failures,
            locked_at: v.locked_at,
            accounts: v.accounts,
        };
        PersonRecord {
            // A session hash of another length cannot come from us: drop it.
            pending: v
                .pending
                .into_iter()
                .filter_map(|p| {
                    Some(PendingEnrollment {
                        session: p.session.try_into().ok()?,
                        sealed_secret: p.sealed_secret,
                        started_at: p.started_at,
                    })
                })
                .collect(),
            staff_account: v.staff_account,
            ..PersonRecord::from(v1)
        }
    }
}

/// V3: V2 and the person's passkeys, with the ceremonies already used.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PersonV3 {
    enrollment: Option<EnrollmentV1>,
    pending: Vec<PendingEnrollmentV2>,
    backup_codes: Option<BackupCodeSetV1>,
    last_step: Option<u64>,
    failures: u32,
    locked_at: Option<i64>,
    accounts: Vec<String>,
    staff_account: bool,
    passkeys: Vec<PasskeyV1>,
    used_ceremonies: Vec<UsedCeremonyV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyV1 {
    id: u64,
    name: String,
    /// The library's own serialisation of the credential (JSON text).
    credential: String,
    added_at: i64,
    added_by: String,
    last_used_at: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsedCeremonyV1 {
    #[serde(with = "b64")]
    nonce: Vec<u8>,
    expires_at: i64,
}

impl From<&PersonRecord> for PersonV3 {
    fn from(r: &PersonRecord) -> Self {
        let v2 = PersonV2::from(r);
        PersonV3 {
            enrollment: v2.enrollment,
            pending: v2.pending,
            backup_codes: v2.backup_codes,
            last_step: v2.last_step,
            failures: v2.failures,
            locked_at: v2.locked_at,
            accounts: v2.accounts,
            staff_account: v2.staff_account,
            passkeys: r
                .passkeys
                .iter()
                .map(|p| PasskeyV1 {
                    id: p.id,
                    name: p.name.clone(),
                    credential: p.credential.clone(),
                    added_at: p.added_at,
                    added_by: p.added_by.clone(),
                    last_used_at: p.last_used_at,
                })
                .collect(),
            used_ceremonies: r
                .used_ceremonies
                .iter()
                .map(|c| UsedCeremonyV1 {
                    nonce: c.nonce.to_vec(),
                    expires_at: c.expires_at,
                })
                .collect(),
        }
    }
}

impl From<PersonV3> for PersonRecord {
    fn from(v: PersonV3) -> Self {
        let v2 = PersonV2 {
            enrollment: v.enrollment,
            pending: v.pending,
            backup_codes: v.backup_codes,
            last_step: v.last_step,
            failures: v.failures,
            locked_at: v.locked_at,
            accounts: v.accounts,
            staff_account: v.staff_account,
        };
        PersonRecord {
            passkeys: v
                .passkeys
                .into_iter()
                .map(|p| Passkey {
                    id: p.id,
                    name: p.name,
                    credential: p.credential,
                    added_at: p.added_at,
                    added_by: p.added_by,
                    last_used_at: p.last_used_at,
                })
                .collect(),
            // A nonce of another length cannot come from us: drop it.
            used_ceremonies: v
                .used_ceremonies
                .into_iter()
                .filter_map(|c| {
                    Some(UsedCeremony {
                        nonce: c.nonce.try_into().ok()?,
                        expires_at: c.expires_at,
                    })
                })
                .collect(),
            ..PersonRecord::from(v2)
        }
    }
}

impl From<PersonV1> for PersonRecord {
    fn from(v: PersonV1) -> Self {
        PersonRecord {
            enrollment: v.enrollment.map(|e| Enrollment {
                id: e.id,
                sealed_secret: e.sealed_secret,
                enrolled_at: e.enrolled_at,
                enrolled_by: e.enrolled_by,
            }),
            // A V1 pending enrollment belongs to no session: it could be
            // confirmed from any, so it is dropped (the user starts again).
            pending: Vec::new(),
            backup_codes: v.backup_codes.map(|b| BackupCodeSet {
                generation: b.generation,
                salt: b.salt,
                hashes: b.hashes,
                used: b.used,
                created_at: b.created_at,
            }),
            last_step: v.last_step,
            failures: v.failures,
            locked_at: v.locked_at,
            // V1 did not record classes: assume a staff account among any
            // linked ones, so a required policy keeps holding.
            staff_account: !v.accounts.is_empty(),
            accounts: v.accounts,
            passkeys: Vec::new(),
            used_ceremonies: Vec::new(),
            trust_epoch: 0,
        }
    }
}

// ---------------------------------------------------------------------------
// Company policy (tree "policies"). Only what the `Store` trait stores: the
// enforcement. Who changed it and when is in the audit trail.

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredPolicy {
    #[serde(rename = "1")]
    V1(PolicyV1),
    #[serde(rename = "2")]
    V2(PolicyV2),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyV1 {
    enforcement: EnforcementV1,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EnforcementV1 {
    Optional,
    Required,
}

/// V2: the passkey-only policy.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyV2 {
    enforcement: EnforcementV2,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EnforcementV2 {
    Optional,
    Required,
    RequiredPasskey,
}

impl From<EnforcementV2> for Enforcement {
    fn from(e: EnforcementV2) -> Self {
        match e {
            EnforcementV2::Optional => Enforcement::Optional,
            EnforcementV2::Required => Enforcement::Required,
            EnforcementV2::RequiredPasskey => Enforcement::RequiredPasskey,
        }
    }
}

impl From<EnforcementV1> for Enforcement {
    fn from(e: EnforcementV1) -> Self {
        match e {
            EnforcementV1::Optional => Enforcement::Optional,
            EnforcementV1::Required => Enforcement::Required,
        }
    }
}

// ---------------------------------------------------------------------------
// Account link (tree "accounts"): account -> person key.
//
// `PersonKey` is reused rather than mirrored: it serializes as its plain
// string (`"4:acme/bob"`), the very string that keys the "persons" tree, so
// its form is already part of the disk format, and the domain offers no
// other way to rebuild a key from its string. `person_key_is_stored_as_its_string`
// pins that form.

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredAccountLink {
    #[serde(rename = "1")]
    V1(AccountLinkV1),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountLinkV1 {
    person: PersonKey,
}

// ---------------------------------------------------------------------------
// Bytes as base64 strings: a third of the size of serde's default array of
// numbers, and readable when inspecting a record by hand.

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(D::Error::custom)
    }
}

mod b64_list {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let texts: Vec<String> = list.iter().map(|b| STANDARD.encode(b)).collect();
        texts.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|text| STANDARD.decode(text).map_err(D::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests;
