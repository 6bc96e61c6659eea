//! What support staff can do to one account, on top of the `Store` and pure
//! of HTTP: look at its state (`status`), lift a lock (`unlock`), remove its
//! 2FA (`reset`) and read its audit trail (`audit`). The admin listener
//! (`admin.rs`) serves these over its API; the support CLI (`client.rs`)
//! reads the same JSON shapes, defined here once.
//!
//! An account is found through the store's account index (written when an
//! account enrolls or passes a challenge); everything then applies to its
//! person, so a reset of either linked account resets both. Every change is
//! one compare-and-swap (durable before return) followed by an audit event
//! with actor `support`. Time comes in as `now`; no clock is read here.

use crate::access::audit;
pub use crate::clock::rfc3339;
use crate::config::NotifyConfig;
use crate::domain::{AuditEvent, AuditKind, PersonKey, PersonRecord, Whence};
use crate::store::{Store, StoreError, Update};
use serde::{Deserialize, Serialize};

/// The actor named in audit events of support operations.
pub const ACTOR: &str = "support";
/// Audit events listed when the caller names no limit, and the most ever.
pub const DEFAULT_AUDIT_LIMIT: usize = 100;
pub const MAX_AUDIT_LIMIT: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("no account \"{0}\" is known to the gateway")]
    UnknownAccount(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /v1/accounts/{account}`: everything support needs to see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStatus {
    pub account: String,
    pub company: String,
    pub person: String,
    /// The accounts of the same person seen by the gateway (this one too).
    pub linked_accounts: Vec<String>,
    pub enrolled: bool,
    /// RFC 3339, UTC.
    pub enrolled_at: Option<String>,
    pub enrolled_by: Option<String>,
    /// A QR code was shown but not confirmed yet.
    pub enrollment_pending: bool,
    pub backup_codes_left: Option<usize>,
    pub backup_codes_total: Option<usize>,
    pub failures: u32,
    pub max_failures: u32,
    pub locked: bool,
    /// RFC 3339, UTC.
    pub locked_at: Option<String>,
    /// Browsers remembered under the current enrollment (they skip the
    /// code while the company allows it). Absent from older gateways.
    #[serde(default)]
    pub remembered_browsers: usize,
    /// Passkeys and security keys registered. Absent from older gateways.
    #[serde(default)]
    pub passkeys: usize,
}

/// The answer to `unlock` and `reset`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    pub action: String,
    /// `false` when there was nothing to do (and nothing was audited).
    pub changed: bool,
    /// What was done, in words (also the audit event's detail).
    pub detail: String,
    pub status: AccountStatus,
}

/// `GET /v1/accounts/{account}/audit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditList {
    pub account: String,
    pub person: String,
    /// Newest first.
    pub events: Vec<AuditEntry>,
}

/// A company's own audit events (its policy and remembered-browser
/// setting changes), which are about no person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyAudit {
    pub company: String,
    /// Newest first.
    pub events: Vec<AuditEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub at: String,
    pub kind: AuditKind,
    pub actor: String,
    pub detail: String,
}

pub fn status(
    store: &dyn Store,
    account: &str,
    max_failures: u32,
) -> Result<AccountStatus, OpsError> {
    let key = person_of(store, account)?;
    let record = store.person(&key)?.unwrap_or_default();
    Ok(describe(store, account, &key, &record, max_failures)?)
}

/// Lift the lock and clear the failure count.
pub fn unlock(
    store: &dyn Store,
    account: &str,
    now: i64,
    max_failures: u32,
) -> Result<ActionResult, OpsError> {
    unlock_noting(store, None, account, now, max_failures)
}

/// `unlock`, telling the person and the webhooks (`notify`) in the same
/// commit.
pub fn unlock_noting(
    store: &dyn Store,
    notify: Option<&NotifyConfig>,
    account: &str,
    now: i64,
    max_failures: u32,
) -> Result<ActionResult, OpsError> {
    let key = person_of(store, account)?;
    let mut before: Option<(Option<i64>, u32)> = None;
    let (company, person) = split_key(&key);
    let whence = support_whence();
    let change = support_change(&company, &person, account, &whence);
    let after = crate::notify::update_person(store, notify, &key, &change, &mut |current| {
        before = current.map(|r| (r.locked_at, r.failures));
        match current {
            Some(r) if r.is_locked() || r.failures > 0 => {
                let mut next = r.clone();
                next.locked_at = None;
                next.failures = 0;
                Update::Put(next)
            }
            _ => Update::Keep,
        }
    })?;
    let detail = match before {
        Some((Some(since), failures)) => format!(
            "lock lifted (locked since {}); {failures} failures cleared",
            rfc3339(since)
        ),
        Some((None, failures)) if failures > 0 => format!("{failures} failures cleared"),
        _ => "not locked and no failures: nothing to do".to_owned(),
    };
    let changed = matches!(before, Some((locked, failures)) if locked.is_some() || failures > 0);
    if changed {
        record_change(store, &key, account, AuditKind::Unlocked, &detail, now);
    }
    Ok(ActionResult {
        action: "unlock".into(),
        changed,
        detail,
        status: describe(
            store,
            account,
            &key,
            &after.unwrap_or_default(),
            max_failures,
        )?,
    })
}

/// Remove the person's enrollment (confirmed and pending) and backup codes,
/// and lift any lock. Gateway cookies name the enrollment they were verified
/// against, so every verified session of the person ends with it.
pub fn reset(
    store: &dyn Store,
    account: &str,
    now: i64,
    max_failures: u32,
) -> Result<ActionResult, OpsError> {
    reset_noting(store, None, account, now, max_failures)
}

/// What a reset of `r` takes away, in words for the audit trail.
fn what_a_reset_removes(r: &PersonRecord) -> Vec<&'static str> {
    [
        (r.enrollment.is_some(), "enrollment removed"),
        (r.has_passkey(), "passkeys removed"),
        (r.backup_codes.is_some(), "backup codes removed"),
        (!r.pending.is_empty(), "pending enrollment removed"),
        (r.is_locked(), "lock lifted"),
        (r.failures > 0 && !r.is_locked(), "failures cleared"),
    ]
    .into_iter()
    .filter_map(|(present, what)| present.then_some(what))
    .collect()
}

/// `reset`, telling the person and the webhooks (`notify`) in the same
/// commit.
pub fn reset_noting(
    store: &dyn Store,
    notify: Option<&NotifyConfig>,
    account: &str,
    now: i64,
    max_failures: u32,
) -> Result<ActionResult, OpsError> {
    let key = person_of(store, account)?;
    let mut removed: Vec<&'static str> = Vec::new();
    let (company, person) = split_key(&key);
    let whence = support_whence();
    let change = support_change(&company, &person, account, &whence);
    let after = crate::notify::update_person(store, notify, &key, &change, &mut |current| {
        let Some(r) = current else {
            removed.clear();
            return Update::Keep;
        };
        removed = what_a_reset_removes(r);
        if removed.is_empty() {
            return Update::Keep;
        }
        // The linked accounts stay: support can still find the person.
        Update::Put(PersonRecord {
            accounts: r.accounts.clone(),
            staff_account: r.staff_account,
            ..PersonRecord::default()
        })
    })?;
    // Remembered browsers die with the enrollment they were granted under;
    // a reset removes them too, so none lingers in the store or the count.
    let by = crate::access::remember::ForgetBy::Support {
        company: &split_key(&key).0,
    };
    if crate::access::remember::forget(store, &key, None, by, "support reset", now)? > 0 {
        removed.push("remembered browsers forgotten");
    }
    let changed = !removed.is_empty();
    let detail = if changed {
        removed.join(", ")
    } else {
        "not enrolled, not locked: nothing to do".to_owned()
    };
    if changed {
        record_change(store, &key, account, AuditKind::Reset, &detail, now);
    }
    Ok(ActionResult {
        action: "reset".into(),
        changed,
        detail,
        status: describe(
            store,
            account,
            &key,
            &after.unwrap_or_default(),
            max_failures,
        )?,
    })
}

/// The person's audit events, newest first, at most `limit` (clamped to
/// `1..=MAX_AUDIT_LIMIT`).
pub fn audit(store: &dyn Store, account: &str, limit: usize) -> Result<AuditList, OpsError> {
    let key = person_of(store, account)?;
    let limit = limit.clamp(1, MAX_AUDIT_LIMIT);
    let events = store
        .audit_for(&key, limit)?
        .into_iter()
        .map(entry)
        .collect();
    Ok(AuditList {
        account: account.to_owned(),
        person: split_key(&key).1,
        events,
    })
}

/// The company's own audit events, newest first, at most `limit` (clamped
/// like `audit`). A company without any has an empty list.
pub fn company_audit(
    store: &dyn Store,
    company: &str,
    limit: usize,
) -> Result<CompanyAudit, OpsError> {
    let limit = limit.clamp(1, MAX_AUDIT_LIMIT);
    let events = store
        .audit_of_company(company, limit)?
        .into_iter()
        .map(entry)
        .collect();
    Ok(CompanyAudit {
        company: company.to_owned(),
        events,
    })
}

fn entry(e: AuditEvent) -> AuditEntry {
    AuditEntry {
        at: rfc3339(e.at),
        kind: e.kind,
        actor: e.actor,
        detail: e.detail.to_string(),
    }
}

fn person_of(store: &dyn Store, account: &str) -> Result<PersonKey, OpsError> {
    store
        .person_of_account(account)?
        .ok_or_else(|| OpsError::UnknownAccount(account.to_owned()))
}

/// Append the audit event of a support change (actor `support`).
fn record_change(
    store: &dyn Store,
    key: &PersonKey,
    account: &str,
    kind: AuditKind,
    detail: &str,
    now: i64,
) {
    let event = AuditEvent::by_support(key, &split_key(key).0, kind, now);
    audit::record(
        store,
        event.with_note(format!("{detail} (via account {account})")),
    );
}

fn describe(
    store: &dyn Store,
    account: &str,
    key: &PersonKey,
    record: &PersonRecord,
    max_failures: u32,
) -> Result<AccountStatus, StoreError> {
    let enrollment_id = record.second_step_id();
    let remembered_browsers = store
        .remembered_browsers(key)?
        .iter()
        .filter(|(_, b)| Some(b.enrollment_id) == enrollment_id)
        .count();
    let (company, person) = split_key(key);
    let mut linked_accounts = record.accounts.clone();
    if !linked_accounts.iter().any(|a| a == account) {
        linked_accounts.push(account.to_owned());
    }
    Ok(AccountStatus {
        account: account.to_owned(),
        company,
        person,
        linked_accounts,
        enrolled: record.is_enrolled(),
        enrolled_at: (record.enrollment.as_ref().map(|e| e.enrolled_at))
            .or(record.passkeys.first().map(|p| p.added_at))
            .map(rfc3339),
        enrolled_by: (record.enrollment.as_ref().map(|e| e.enrolled_by.clone()))
            .or(record.passkeys.first().map(|p| p.added_by.clone())),
        enrollment_pending: !record.pending.is_empty(),
        backup_codes_left: record.backup_codes.as_ref().map(|s| s.remaining()),
        backup_codes_total: record.backup_codes.as_ref().map(|s| s.used.len()),
        failures: record.failures,
        max_failures,
        locked: record.is_locked(),
        locked_at: record.locked_at.map(rfc3339),
        remembered_browsers,
        passkeys: record.passkeys.len(),
    })
}

/// Company and person of a key. `PersonKey` is `{len}:{company}/{person}`
/// (a form the store pins on disk); a key that does not parse shows whole.
/// Support acts through the admin API: no browser, no address.
fn support_whence() -> Whence {
    Whence {
        actor: AuditEvent::SUPPORT.to_owned(),
        ..Whence::default()
    }
}

fn support_change<'a>(
    company: &'a str,
    person: &'a str,
    account: &'a str,
    whence: &'a Whence,
) -> crate::notify::Change<'a> {
    crate::notify::Change {
        company,
        person,
        account,
        email: None,
        whence,
        by_support: true,
    }
}

fn split_key(key: &PersonKey) -> (String, String) {
    let text = key.as_str();
    let parsed = text.split_once(':').and_then(|(len, rest)| {
        let len: usize = len.parse().ok()?;
        let company = rest.get(..len)?;
        let person = rest.get(len..)?.strip_prefix('/')?;
        Some((company.to_owned(), person.to_owned()))
    });
    parsed.unwrap_or_else(|| (String::new(), text.to_owned()))
}

#[cfg(test)]
mod tests;
