//! What the settings page (`settings.rs`) and its passkeys panel
//! (`settings_passkeys.rs`) both need: how a time is shown, and whether
//! the person may go without a second step. Kept here so that only
//! `settings.rs` uses `settings_passkeys.rs`, never the other way round.

use crate::access::decision::is_required;
use crate::access::services::Services;
use crate::domain::PersonRecord;
use crate::pages::SessionCtx;
use crate::store::StoreError;

/// `YYYY-MM-DD HH:MM UTC`.
pub(in crate::pages) fn format_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Whether 2FA is required of the *person*: the strictest rule among the
/// person's linked accounts (all in one company), so that a candidate
/// account cannot turn off what the same human's employee account must have.
pub(in crate::pages) fn required_of_person(
    ctx: &Services<'_>,
    sess: &SessionCtx,
    record: &PersonRecord,
) -> Result<bool, StoreError> {
    let policy = ctx.enforcement(sess.identity.company())?;
    Ok(is_required(sess.identity.class(), policy)
        || (policy.requires_second_step() && record.staff_account))
}
