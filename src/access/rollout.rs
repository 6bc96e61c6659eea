//! The rollout view of a company's policy page (issue 16 §2): which of the
//! company's employee and admin accounts the gateway has seen in the last
//! 30 days, how many of them have 2FA set up, which have not (so that
//! administrators can invite them while 2FA is optional), and how many
//! signed in within the last day and would be sent to enrollment if it
//! became required.
//!
//! The index of accounts seen is kept up to date as identities are
//! resolved, at a bounded cost: `note_seen` runs only when an identity was
//! just resolved (a whoami cache miss), and writes at most once per
//! account and day (an in-memory memo); a verified request of a cached
//! identity never comes here.

use crate::access::decision::is_required;
use crate::access::memo::SeenMemo;
use crate::access::services::Services;
use crate::domain::{AccountClass, Enforcement, Identity, PersonKey, SeenAccount};
use crate::store::{Store, StoreError};

const DAY: i64 = 86_400;
/// Accounts seen this long ago or more recently count.
pub const WINDOW_DAYS: i64 = 30;
/// Most accounts listed as not enrolled (the counts stay exact).
pub const MAX_LISTED: usize = 500;

/// Note that `identity` was just resolved at `now` (see the module doc). A
/// store failure is logged: the index is a display aid, never a decision.
pub fn note_seen(
    seen_today: &SeenMemo,
    store: &dyn Store,
    identity: &Identity,
    policy_roles: &[String],
    now: i64,
) {
    if !seen_today.first_today(identity, now.div_euclid(DAY)) {
        return;
    }
    let seen = SeenAccount {
        account: identity.account().to_owned(),
        class: identity.class(),
        person: identity.person().to_owned(),
        last_seen: now,
        email: identity.email().map(str::to_owned),
        manages_policy: identity.may_manage_policy(policy_roles),
    };
    if let Err(e) = store.note_seen(identity.company(), &seen) {
        tracing::warn!(error = %e, "could not note an account as seen");
    }
}

/// One class's line of the rollout view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassCount {
    pub seen: usize,
    pub enrolled: usize,
}

/// What the policy page shows an administrator of one company.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollout {
    pub employees: ClassCount,
    pub admins: ClassCount,
    /// Seen, staff, not enrolled: `(account, class)`, by account.
    pub not_enrolled: Vec<(String, AccountClass)>,
    /// Staff seen in the last day without 2FA: sent to enrollment on their
    /// next click if the policy became required (0 when it already is).
    pub would_enroll: usize,
}

/// The rollout numbers of `company` at `now`, under the policy `current`.
/// Reads only that company's index and its persons' state.
pub fn numbers(
    ctx: &Services<'_>,
    company: &str,
    current: Enforcement,
    now: i64,
) -> Result<Rollout, StoreError> {
    let mut out = Rollout::default();
    let mut seen = ctx.store.seen_accounts(company, now - WINDOW_DAYS * DAY)?;
    seen.sort_by(|a, b| a.account.cmp(&b.account));
    for s in seen {
        let line = match s.class {
            AccountClass::Employee => &mut out.employees,
            AccountClass::Admin => &mut out.admins,
            AccountClass::Candidate => continue,
        };
        line.seen += 1;
        let state = ctx
            .store
            .person_state(&PersonKey::new(company, &s.person))?;
        if state.enrollment_id.is_some() {
            line.enrolled += 1;
            continue;
        }
        if out.not_enrolled.len() < MAX_LISTED {
            out.not_enrolled.push((s.account.clone(), s.class));
        }
        let recent = now - s.last_seen < DAY;
        if recent && !state.locked && !is_required(s.class, current) {
            out.would_enroll += 1;
        }
    }
    Ok(out)
}
