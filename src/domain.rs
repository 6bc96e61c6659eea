//! The product's nouns, shared by every layer: who a session belongs to
//! (`Identity`), the company rule (`Enforcement`), and what the store keeps
//! about one human (`PersonRecord`). Plain data: no I/O, no clock, no crypto.

use serde::{Deserialize, Serialize};
use std::fmt;

mod audit;
mod identity;
mod notice;
mod passkey;
mod remember;
pub use audit::{AuditDetail, AuditEvent, AuditKind, Factor, Purpose};
pub use identity::{Identity, IdentityFields, IdentityText, IdentityTooLong, Roles, RolesIter};
pub use notice::{
    Delivery, DeliveryState, LOW_CODES, Notice, NoticeKind, Repeats, Target, Whence, changes,
};
pub use passkey::{
    MAX_PASSKEY_NAME, MAX_PASSKEYS, MAX_USED_CEREMONIES, Passkey, UsedCeremony, passkey_name,
};
pub use remember::{BrowserId, RememberDays, RememberedBrowser};

/// The three kinds of account of docs/design.md §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountClass {
    /// External test-taker: 2FA is always optional.
    Candidate,
    Employee,
    /// Management account (administrator, manager, custom roles).
    Admin,
}

impl AccountClass {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "candidate" => Some(Self::Candidate),
            "employee" => Some(Self::Employee),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Candidate => "candidate",
            Self::Employee => "employee",
            Self::Admin => "admin",
        }
    }
}

/// A company's 2FA policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// 2FA is optional for everyone (the default).
    #[default]
    Optional,
    /// Required for employee and admin accounts; candidates stay optional.
    Required,
    /// Required as above, and only a passkey or security key counts:
    /// phishing-resistant. Candidates stay optional.
    RequiredPasskey,
}

impl Enforcement {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "optional" => Some(Self::Optional),
            "required" => Some(Self::Required),
            "required_passkey" => Some(Self::RequiredPasskey),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Optional => "optional",
            Self::Required => "required",
            Self::RequiredPasskey => "required_passkey",
        }
    }

    pub const ALL: [Enforcement; 3] = [
        Enforcement::Optional,
        Enforcement::Required,
        Enforcement::RequiredPasskey,
    ];

    /// Staff must have a second step (candidates never must).
    pub fn requires_second_step(self) -> bool {
        self != Enforcement::Optional
    }

    /// Only a passkey or security key counts as the second step.
    pub fn passkey_only(self) -> bool {
        self == Enforcement::RequiredPasskey
    }
}

/// Store key of one human: `company` and `person`, joined unambiguously.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonKey(String);

impl PersonKey {
    pub fn new(company: &str, person: &str) -> Self {
        // Length-prefixing the company makes the join injective whatever the
        // two strings contain.
        // Built by hand, not with `format!`: every judged request makes one.
        let mut key = String::with_capacity(company.len() + person.len() + 22);
        push_decimal(&mut key, company.len());
        key.push(':');
        key.push_str(company);
        key.push('/');
        key.push_str(person);
        PersonKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `n` in decimal, as `format!("{n}")` writes it.
fn push_decimal(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|d| char::from(*d)));
}

impl fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonKey({})", self.0)
    }
}

/// A confirmed authenticator. The secret is sealed (AEAD) by `keys::Keys`;
/// only the sealed bytes ever reach the store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// Random id; a gateway cookie names the enrollment it was verified
    /// against, so a reset or re-enrollment revokes every verified session.
    pub id: u64,
    pub sealed_secret: Vec<u8>,
    pub enrolled_at: i64,
    /// The account that enrolled (of the person's linked accounts).
    pub enrolled_by: String,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment")
            .field("id", &self.id)
            .field("sealed_secret", &"<sealed>")
            .field("enrolled_at", &self.enrolled_at)
            .finish()
    }
}

/// Enrollment started but not confirmed with a code: never counts as
/// enrolled. It belongs to the one app session that was shown its secret
/// (`session`, the keyed hash of that session's cookie): another session of
/// the same account — an attacker who knows the password — never sees it
/// and cannot confirm it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEnrollment {
    pub session: [u8; 16],
    pub sealed_secret: Vec<u8>,
    pub started_at: i64,
}

impl fmt::Debug for PendingEnrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingEnrollment")
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

/// One generation of backup codes, stored only as Argon2id hashes that share
/// one salt, so an attempt is hashed once and compared against the set.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCodeSet {
    pub generation: u32,
    pub salt: Vec<u8>,
    pub hashes: Vec<Vec<u8>>,
    pub used: Vec<bool>,
    pub created_at: i64,
}

impl BackupCodeSet {
    pub fn remaining(&self) -> usize {
        self.used.iter().filter(|u| !**u).count()
    }
}

impl fmt::Debug for BackupCodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupCodeSet")
            .field("generation", &self.generation)
            .field("remaining", &self.remaining())
            .finish_non_exhaustive()
    }
}

/// Everything mutable the store keeps about one human. Every security
/// decision about a person reads and writes this one record atomically.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRecord {
    pub enrollment: Option<Enrollment>,
    /// Started enrollments, one per app session (at most
    /// `MAX_PENDING`, the oldest dropped first); all die when one is
    /// confirmed.
    pub pending: Vec<PendingEnrollment>,
    pub backup_codes: Option<BackupCodeSet>,
    /// The last TOTP time step accepted; only later steps count.
    pub last_step: Option<u64>,
    /// Consecutive failed codes since the last success.
    pub failures: u32,
    /// Unix seconds when the person was locked; `None` when not locked.
    pub locked_at: Option<i64>,
    /// The accounts seen for this person (linked accounts).
    pub accounts: Vec<String>,
    /// Some linked account is an employee or admin account, so a company
    /// policy that requires 2FA requires it of this person, whichever of
    /// the accounts asks to turn it off.
    pub staff_account: bool,
    /// Registered passkeys and security keys, oldest first.
    pub passkeys: Vec<Passkey>,
    /// Passkey ceremonies already accepted and not yet expired.
    pub used_ceremonies: Vec<UsedCeremony>,
    /// The person's trust epoch, which every gateway cookie names: a
    /// cookie of an earlier epoch no longer counts. A lock moves it on (an
    /// unlock does not bring back what a thief may hold), and so does a
    /// restore (the trust of backup time is not trust now). 0 at first.
    pub trust_epoch: u32,
}

/// An account the gateway has seen (its identity resolved), for the
/// rollout view of its company's policy page and for telling the company's
/// administrators of a policy change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenAccount {
    pub account: String,
    pub class: AccountClass,
    /// The person (within the company) whose enrollment counts.
    pub person: String,
    /// When it was last noted (at most once a day).
    pub last_seen: i64,
    /// The address the app gave for it, if any.
    pub email: Option<String>,
    /// It may change its company's policy (an administrator).
    pub manages_policy: bool,
}

/// Most started enrollments kept for one person (one per app session).
pub const MAX_PENDING: usize = 4;

impl PersonRecord {
    /// Has a second step: an authenticator app, a passkey, or both.
    pub fn is_enrolled(&self) -> bool {
        self.enrollment.is_some() || !self.passkeys.is_empty()
    }

    /// The id a gateway cookie is bound to: the authenticator app's
    /// enrollment, else the oldest passkey's. It changes when the second
    /// step is set up anew (re-enrollment, a reset), which ends every
    /// verified session.
    pub fn second_step_id(&self) -> Option<u64> {
        (self.enrollment.as_ref().map(|e| e.id)).or(self.passkeys.first().map(|p| p.id))
    }

    pub fn has_passkey(&self) -> bool {
        !self.passkeys.is_empty()
    }

    /// Whether the ceremony `nonce` was accepted already.
    pub fn ceremony_used(&self, nonce: &[u8; 16]) -> bool {
        self.used_ceremonies.iter().any(|c| c.nonce == *nonce)
    }

    /// Remember an accepted ceremony, dropping expired ones and, beyond
    /// `MAX_USED_CEREMONIES`, the oldest.
    pub fn use_ceremony(&mut self, used: UsedCeremony, now: i64) {
        self.used_ceremonies.retain(|c| c.expires_at > now);
        self.used_ceremonies.push(used);
        let excess = self
            .used_ceremonies
            .len()
            .saturating_sub(MAX_USED_CEREMONIES);
        self.used_ceremonies.drain(..excess);
    }

    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }

    /// Remember an account of this person (and whether it is staff).
    pub fn note_account(&mut self, identity: &Identity) {
        if !self.accounts.iter().any(|a| a == identity.account()) {
            self.accounts.push(identity.account().to_owned());
        }
        self.staff_account |= identity.class() != AccountClass::Candidate;
    }

    /// Whether `note_account` would change nothing.
    pub fn knows_account(&self, identity: &Identity) -> bool {
        self.accounts.iter().any(|a| a == identity.account())
            && (self.staff_account || identity.class() == AccountClass::Candidate)
    }

    /// The started enrollment of the app session `session`, if still fresh
    /// at `now` (started less than `ttl` seconds ago).
    pub fn pending_for(
        &self,
        session: &[u8; 16],
        now: i64,
        ttl: i64,
    ) -> Option<&PendingEnrollment> {
        self.pending
            .iter()
            .find(|p| p.session == *session && now - p.started_at < ttl)
    }

    /// Start an enrollment for `pending.session`, replacing that session's
    /// earlier one and dropping expired ones and, beyond `MAX_PENDING`,
    /// the oldest.
    pub fn start_pending(&mut self, pending: PendingEnrollment, ttl: i64) {
        let now = pending.started_at;
        self.pending
            .retain(|p| p.session != pending.session && now - p.started_at < ttl);
        self.pending.push(pending);
        self.pending
            .sort_by_key(|p| std::cmp::Reverse(p.started_at));
        self.pending.truncate(MAX_PENDING);
    }
}

#[cfg(test)]
mod tests;
