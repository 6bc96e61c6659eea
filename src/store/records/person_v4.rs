//! Person record V4 (tree `persons`): V3 and `trust_epoch`, which every
//! gateway cookie must name (a lock and a restore move it on). Written
//! only once it is not 0, so a record never locked stays V2 or V3, which
//! earlier releases read.

use super::{
    BackupCodeSetV1, EnrollmentV1, PasskeyV1, PendingEnrollmentV2, PersonV3, UsedCeremonyV1,
};
use crate::domain::PersonRecord;
use serde::{Deserialize, Serialize};

/// V3's fields spelled out (not flattened: serde cannot refuse unknown
/// fields through `flatten`), then `trust_epoch`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonV4 {
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
    trust_epoch: u32,
}

impl From<&PersonRecord> for PersonV4 {
    fn from(r: &PersonRecord) -> Self {
        let v3 = PersonV3::from(r);
        PersonV4 {
            enrollment: v3.enrollment,
            pending: v3.pending,
            backup_codes: v3.backup_codes,
            last_step: v3.last_step,
            failures: v3.failures,
            locked_at: v3.locked_at,
            accounts: v3.accounts,
            staff_account: v3.staff_account,
            passkeys: v3.passkeys,
            used_ceremonies: v3.used_ceremonies,
            trust_epoch: r.trust_epoch,
        }
    }
}

impl From<PersonV4> for PersonRecord {
    fn from(v: PersonV4) -> Self {
        let v3 = PersonV3 {
            enrollment: v.enrollment,
            pending: v.pending,
            backup_codes: v.backup_codes,
            last_step: v.last_step,
            failures: v.failures,
            locked_at: v.locked_at,
            accounts: v.accounts,
            staff_account: v.staff_account,
            passkeys: v.passkeys,
            used_ceremonies: v.used_ceremonies,
        };
        PersonRecord {
            trust_epoch: v.trust_epoch,
            ..PersonRecord::from(v3)
        }
    }
}

#[cfg(test)]
mod tests;
