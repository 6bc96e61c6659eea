//! Notifications as data: what happened (`NoticeKind`), to whom and from
//! where (`Notice`, `Whence`), and one queued delivery of it to one target
//! (`Delivery`, the outbox entry). Which notices a change of a person's
//! record causes is one pure function of the record before and after
//! (`changes`), so the store can write them in the same commit as the
//! change. Never holds a code, a secret, a cookie or a password.

use super::PersonRecord;
use serde::{Deserialize, Serialize};

/// Backup codes left at or below which the person is told they run low.
pub const LOW_CODES: usize = 3;

/// The events a person or an operator is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Enabled,
    Disabled,
    CodesRegenerated,
    BackupCodeUsed,
    CodesLow,
    Locked,
    Unlocked,
    Reset,
    BrowserRemembered,
    PolicyChanged,
    PasskeyAdded,
    PasskeyRemoved,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 12] = [
        NoticeKind::Enabled,
        NoticeKind::Disabled,
        NoticeKind::CodesRegenerated,
        NoticeKind::BackupCodeUsed,
        NoticeKind::CodesLow,
        NoticeKind::Locked,
        NoticeKind::Unlocked,
        NoticeKind::Reset,
        NoticeKind::BrowserRemembered,
        NoticeKind::PolicyChanged,
        NoticeKind::PasskeyAdded,
        NoticeKind::PasskeyRemoved,
    ];

    /// The name in webhook bodies, the config's `events` and the catalogs.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Enabled => "enabled",
            NoticeKind::Disabled => "disabled",
            NoticeKind::CodesRegenerated => "codes_regenerated",
            NoticeKind::BackupCodeUsed => "backup_code_used",
            NoticeKind::CodesLow => "codes_low",
            NoticeKind::Locked => "locked",
            NoticeKind::Unlocked => "unlocked",
            NoticeKind::Reset => "reset",
            NoticeKind::BrowserRemembered => "browser_remembered",
            NoticeKind::PolicyChanged => "policy_changed",
            NoticeKind::PasskeyAdded => "passkey_added",
            NoticeKind::PasskeyRemoved => "passkey_removed",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where and by whom a change was made: told in the message, never used to
/// decide anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Whence {
    /// The account that acted, or `support`.
    pub actor: String,
    /// The client's address, when a browser did it.
    pub ip: Option<String>,
    /// A short label of the browser ("Firefox on Linux"), when known.
    pub browser: Option<String>,
    pub request_id: Option<String>,
    /// `ja` or `en`: the language of the person's messages.
    pub lang: String,
}

/// One event to tell about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Unique and increasing (the store's id generator): the idempotency
    /// id webhook receivers get.
    pub id: u64,
    pub kind: NoticeKind,
    pub at: i64,
    pub company: String,
    /// The person within the company, when the event is about one.
    pub person: Option<String>,
    /// The account concerned (the actor's, or the person's first).
    pub account: String,
    pub whence: Whence,
    /// Backup codes left, for `backup_code_used` and `codes_low`.
    pub codes_left: Option<usize>,
    /// Words for people (a policy's before and after).
    pub note: String,
    /// This message stands for several events of its kind
    /// (`notify.min_interval`): how many, and since when.
    pub repeats: Option<Repeats>,
}

/// Events of one kind told in one message: `count` of them, the first at
/// `since` (Unix seconds), the last at the notice's `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeats {
    pub count: u32,
    pub since: i64,
}

/// Where one delivery goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Email { to: String },
    Webhook { url: String },
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt (at `next_at`).
    Pending,
    /// Gave up after the configured attempts: kept until support retries.
    Dead,
}

/// One outbox entry: a notice for one target, with its attempts. Removed
/// from the outbox once delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub notice: Notice,
    pub target: Target,
    pub state: DeliveryState,
    pub attempts: u32,
    /// Unix milliseconds of the next attempt.
    pub next_at_ms: i64,
    /// What went wrong last (for `support outbox list`); never a secret.
    pub last_error: String,
}

impl Delivery {
    pub fn new(notice: Notice, target: Target) -> Delivery {
        Delivery {
            next_at_ms: notice.at.saturating_mul(1000),
            notice,
            target,
            state: DeliveryState::Pending,
            attempts: 0,
            last_error: String::new(),
        }
    }
}

/// The events a change of a person's record from `before` to `after`
/// means, with the codes left where it matters. `by_support` tells a
/// support reset from a person turning 2FA off.
pub fn changes(
    before: Option<&PersonRecord>,
    after: Option<&PersonRecord>,
    by_support: bool,
) -> Vec<(NoticeKind, Option<usize>)> {
    let mut out = Vec::new();
    second_step_changes(before, after, by_support, &mut out);
    let still_enrolled = enrolled(before) && enrolled(after);
    if still_enrolled {
        passkey_changes(before, after, &mut out);
    }
    if still_enrolled && enrollment(before) == enrollment(after) {
        code_changes(before, after, &mut out);
    }
    lock_changes(before, after, &mut out);
    out
}

/// 2FA turned on, off (by the person or a support reset), or the
/// authenticator app set up anew.
fn second_step_changes(
    before: Option<&PersonRecord>,
    after: Option<&PersonRecord>,
    by_support: bool,
    out: &mut Vec<(NoticeKind, Option<usize>)>,
) {
    match (enrolled(before), enrolled(after)) {
        (false, true) => out.push((NoticeKind::Enabled, None)),
        (true, false) if by_support => out.push((NoticeKind::Reset, None)),
        (true, false) => out.push((NoticeKind::Disabled, None)),
        (true, true) => match (enrollment(before), enrollment(after)) {
            // The authenticator app set up anew (or added to a passkey).
            (a, Some(b)) if a != Some(b) => out.push((NoticeKind::Enabled, None)),
            _ => {}
        },
        (false, false) => {}
    }
}

/// A passkey added or removed (of a person enrolled before and after).
fn passkey_changes(
    before: Option<&PersonRecord>,
    after: Option<&PersonRecord>,
    out: &mut Vec<(NoticeKind, Option<usize>)>,
) {
    let (old, new) = (passkey_ids(before), passkey_ids(after));
    if new.iter().any(|id| !old.contains(id)) {
        out.push((NoticeKind::PasskeyAdded, None));
    }
    if old.iter().any(|id| !new.contains(id)) {
        out.push((NoticeKind::PasskeyRemoved, None));
    }
}

/// Backup codes regenerated, or one used (and then perhaps few left), on
/// the same enrollment.
fn code_changes(
    before: Option<&PersonRecord>,
    after: Option<&PersonRecord>,
    out: &mut Vec<(NoticeKind, Option<usize>)>,
) {
    match (codes(before), codes(after)) {
        (Some((g0, _)), Some((g1, _))) if g0 != g1 => {
            out.push((NoticeKind::CodesRegenerated, None));
        }
        (Some((_, left0)), Some((_, left1))) if left1 < left0 => {
            out.push((NoticeKind::BackupCodeUsed, Some(left1)));
            if left0 > LOW_CODES && left1 <= LOW_CODES {
                out.push((NoticeKind::CodesLow, Some(left1)));
            }
        }
        _ => {}
    }
}

/// Locked, or unlocked other than by a reset (already in `out`).
fn lock_changes(
    before: Option<&PersonRecord>,
    after: Option<&PersonRecord>,
    out: &mut Vec<(NoticeKind, Option<usize>)>,
) {
    match (locked(before), locked(after)) {
        (false, true) => out.push((NoticeKind::Locked, None)),
        // A reset also ends a lock: the reset says it all.
        (true, false) if !out.contains(&(NoticeKind::Reset, None)) => {
            out.push((NoticeKind::Unlocked, None));
        }
        _ => {}
    }
}

fn enrollment(r: Option<&PersonRecord>) -> Option<u64> {
    r.and_then(|r| r.enrollment.as_ref().map(|e| e.id))
}

fn enrolled(r: Option<&PersonRecord>) -> bool {
    r.is_some_and(PersonRecord::is_enrolled)
}

fn passkey_ids(r: Option<&PersonRecord>) -> Vec<u64> {
    r.map(|r| r.passkeys.iter().map(|p| p.id).collect())
        .unwrap_or_default()
}

fn locked(r: Option<&PersonRecord>) -> bool {
    r.is_some_and(PersonRecord::is_locked)
}

/// The backup codes' generation and how many are left.
fn codes(r: Option<&PersonRecord>) -> Option<(u32, usize)> {
    r.and_then(|r| r.backup_codes.as_ref())
        .map(|s| (s.generation, s.remaining()))
}

#[cfg(test)]
mod tests;
