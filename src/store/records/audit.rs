//! The on-disk format of audit events (tree "audit"), in the manner of
//! `records.rs`: versioned mirrors, converted to and from the domain's
//! `AuditEvent`. V1 kept the detail as text; V2 keeps the factor and the
//! purpose as fields and the words apart. V1 is still read.

use super::{decode, encode};
use crate::domain::{AuditDetail, AuditEvent, AuditKind, Factor, PersonKey, Purpose};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub fn encode_audit(event: &AuditEvent) -> Result<Vec<u8>, StoreError> {
    encode("audit event", &StoredAudit::V2(AuditV2::from(event)))
}

pub fn decode_audit(bytes: &[u8]) -> Result<AuditEvent, StoreError> {
    match decode::<StoredAudit>("audit event", bytes)? {
        StoredAudit::V1(v1) => Ok(v1.into()),
        StoredAudit::V2(v2) => Ok(v2.into()),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum StoredAudit {
    #[serde(rename = "1")]
    V1(AuditV1),
    #[serde(rename = "2")]
    V2(AuditV2),
}

/// V1: the detail as text only. Read, never written: its text is read
/// back into fields where it is exactly what V2 would display.

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditV1 {
    at: i64,
    kind: AuditKindV1,
    person: Option<PersonKey>,
    company: String,
    actor: String,
    detail: String,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AuditKindV1 {
    Enrolled,
    ChallengePassed,
    ChallengeFailed,
    BackupCodeUsed,
    BackupCodesRegenerated,
    Disabled,
    Locked,
    Unlocked,
    Reset,
    PolicyChanged,
    // Added with remembered browsers: new words, same format (an older
    // gateway reading them fails to decode that event only).
    BrowserRemembered,
    RememberedBrowserUsed,
    BrowsersForgotten,
    // Added with passkeys, the same way.
    PasskeyAdded,
    PasskeyRemoved,
    PasskeyRenamed,
}

impl From<AuditKind> for AuditKindV1 {
    fn from(k: AuditKind) -> Self {
        match k {
            AuditKind::Enrolled => AuditKindV1::Enrolled,
            AuditKind::ChallengePassed => AuditKindV1::ChallengePassed,
            AuditKind::ChallengeFailed => AuditKindV1::ChallengeFailed,
            AuditKind::BackupCodeUsed => AuditKindV1::BackupCodeUsed,
            AuditKind::BackupCodesRegenerated => AuditKindV1::BackupCodesRegenerated,
            AuditKind::Disabled => AuditKindV1::Disabled,
            AuditKind::Locked => AuditKindV1::Locked,
            AuditKind::Unlocked => AuditKindV1::Unlocked,
            AuditKind::Reset => AuditKindV1::Reset,
            AuditKind::PolicyChanged => AuditKindV1::PolicyChanged,
            AuditKind::BrowserRemembered => AuditKindV1::BrowserRemembered,
            AuditKind::RememberedBrowserUsed => AuditKindV1::RememberedBrowserUsed,
            AuditKind::BrowsersForgotten => AuditKindV1::BrowsersForgotten,
            AuditKind::PasskeyAdded => AuditKindV1::PasskeyAdded,
            AuditKind::PasskeyRemoved => AuditKindV1::PasskeyRemoved,
            AuditKind::PasskeyRenamed => AuditKindV1::PasskeyRenamed,
        }
    }
}

impl From<AuditKindV1> for AuditKind {
    fn from(k: AuditKindV1) -> Self {
        match k {
            AuditKindV1::Enrolled => AuditKind::Enrolled,
            AuditKindV1::ChallengePassed => AuditKind::ChallengePassed,
            AuditKindV1::ChallengeFailed => AuditKind::ChallengeFailed,
            AuditKindV1::BackupCodeUsed => AuditKind::BackupCodeUsed,
            AuditKindV1::BackupCodesRegenerated => AuditKind::BackupCodesRegenerated,
            AuditKindV1::Disabled => AuditKind::Disabled,
            AuditKindV1::Locked => AuditKind::Locked,
            AuditKindV1::Unlocked => AuditKind::Unlocked,
            AuditKindV1::Reset => AuditKind::Reset,
            AuditKindV1::PolicyChanged => AuditKind::PolicyChanged,
            AuditKindV1::BrowserRemembered => AuditKind::BrowserRemembered,
            AuditKindV1::RememberedBrowserUsed => AuditKind::RememberedBrowserUsed,
            AuditKindV1::BrowsersForgotten => AuditKind::BrowsersForgotten,
            AuditKindV1::PasskeyAdded => AuditKind::PasskeyAdded,
            AuditKindV1::PasskeyRemoved => AuditKind::PasskeyRemoved,
            AuditKindV1::PasskeyRenamed => AuditKind::PasskeyRenamed,
        }
    }
}

impl From<AuditV1> for AuditEvent {
    fn from(v: AuditV1) -> Self {
        AuditEvent {
            at: v.at,
            kind: v.kind.into(),
            person: v.person,
            company: v.company,
            actor: v.actor,
            detail: AuditDetail::from_text(&v.detail),
        }
    }
}

/// V2: how and what for as fields (metrics read them), words apart.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditV2 {
    at: i64,
    kind: AuditKindV1,
    person: Option<PersonKey>,
    company: String,
    actor: String,
    method: Option<FactorV2>,
    purpose: Option<PurposeV2>,
    note: String,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FactorV2 {
    Totp,
    BackupCode,
    // Added with passkeys (new words, same format).
    Passkey,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PurposeV2 {
    Challenge,
    Disable,
    RegenerateCodes,
    RemovePasskey,
}

impl From<Factor> for FactorV2 {
    fn from(f: Factor) -> Self {
        match f {
            Factor::Totp => FactorV2::Totp,
            Factor::BackupCode => FactorV2::BackupCode,
            Factor::Passkey => FactorV2::Passkey,
        }
    }
}

impl From<FactorV2> for Factor {
    fn from(f: FactorV2) -> Self {
        match f {
            FactorV2::Totp => Factor::Totp,
            FactorV2::BackupCode => Factor::BackupCode,
            FactorV2::Passkey => Factor::Passkey,
        }
    }
}

impl From<Purpose> for PurposeV2 {
    fn from(p: Purpose) -> Self {
        match p {
            Purpose::Challenge => PurposeV2::Challenge,
            Purpose::Disable => PurposeV2::Disable,
            Purpose::RegenerateCodes => PurposeV2::RegenerateCodes,
            Purpose::RemovePasskey => PurposeV2::RemovePasskey,
        }
    }
}

impl From<PurposeV2> for Purpose {
    fn from(p: PurposeV2) -> Self {
        match p {
            PurposeV2::Challenge => Purpose::Challenge,
            PurposeV2::Disable => Purpose::Disable,
            PurposeV2::RegenerateCodes => Purpose::RegenerateCodes,
            PurposeV2::RemovePasskey => Purpose::RemovePasskey,
        }
    }
}

impl From<&AuditEvent> for AuditV2 {
    fn from(e: &AuditEvent) -> Self {
        AuditV2 {
            at: e.at,
            kind: e.kind.into(),
            person: e.person.clone(),
            company: e.company.clone(),
            actor: e.actor.clone(),
            method: e.detail.method.map(Into::into),
            purpose: e.detail.purpose.map(Into::into),
            note: e.detail.note.clone(),
        }
    }
}

impl From<AuditV2> for AuditEvent {
    fn from(v: AuditV2) -> Self {
        AuditEvent {
            at: v.at,
            kind: v.kind.into(),
            person: v.person,
            company: v.company,
            actor: v.actor,
            detail: AuditDetail {
                method: v.method.map(Into::into),
                purpose: v.purpose.map(Into::into),
                note: v.note,
            },
        }
    }
}

#[cfg(test)]
mod tests;
