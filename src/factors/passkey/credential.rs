//! A credential as the person's record keeps it (`domain::Passkey`): the
//! library's `SecurityKey` serialised, plus our id, name and times. An
//! accepted assertion is applied to the record inside the person's atomic
//! update (`apply_assertion`), against the counter stored *then*: two
//! racing logins, or a cloned authenticator, cannot both move it.

use crate::domain::{self, PersonRecord, UsedCeremony};
use rand::RngCore;
use webauthn_rs::prelude::{AuthenticationResult, Credential, SecurityKey};

/// The library's credential of a stored passkey (`None`: unreadable,
/// which never happens to what we wrote; such a key is skipped).
pub(in crate::factors::passkey) fn parse(passkey: &domain::Passkey) -> Option<SecurityKey> {
    serde_json::from_str(&passkey.credential)
        .inspect_err(|e| tracing::error!(passkey = passkey.id, error = %e, "unreadable passkey"))
        .ok()
}

/// A new passkey record for a registered credential.
pub fn new_passkey(key: &SecurityKey, name: String, account: &str, now: i64) -> domain::Passkey {
    domain::Passkey {
        id: rand::rng().next_u64(),
        name,
        credential: serde_json::to_string(key).unwrap_or_default(),
        added_at: now,
        added_by: account.to_owned(),
        last_used_at: None,
    }
}

/// Whether the credential is one of `record`'s already (by credential id).
pub fn is_registered(record: &PersonRecord, key: &SecurityKey) -> bool {
    record
        .passkeys
        .iter()
        .filter_map(parse)
        .any(|k| k.cred_id() == key.cred_id())
}

/// How an assertion checked by the library fares against the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assertion {
    /// Recorded: the passkey's counter and last use are updated.
    Accepted,
    /// Not one of the person's credentials (any more).
    Unknown,
    /// The sign counter did not move forward from the stored one: a cloned
    /// authenticator, or a replay. Refused, as the specification advises.
    CounterRegressed,
    /// The ceremony was accepted before: a replayed answer (what catches a
    /// replay when the authenticator keeps no counter, as synced passkeys).
    CeremonyUsed,
}

/// Accept `result`, the answer to the ceremony `used`, on `record`: the
/// ceremony once only, then the counter (`apply_assertion`); the ceremony
/// is remembered until it expires.
pub fn accept_assertion(
    record: &mut PersonRecord,
    result: &AuthenticationResult,
    used: UsedCeremony,
    now: i64,
) -> Assertion {
    if record.ceremony_used(&used.nonce) {
        return Assertion::CeremonyUsed;
    }
    let outcome = apply_assertion(record, result, now);
    if outcome == Assertion::Accepted {
        record.use_ceremony(used, now);
    }
    outcome
}

/// Apply `result` to the passkey it names in `record` (see `Assertion`).
pub fn apply_assertion(
    record: &mut PersonRecord,
    result: &AuthenticationResult,
    now: i64,
) -> Assertion {
    for passkey in &mut record.passkeys {
        let Some(mut key) = parse(passkey) else {
            continue;
        };
        if key.cred_id() != result.cred_id() {
            continue;
        }
        // A counter of 0 means "no counter" only while it has never moved.
        let stored = Credential::from(key.clone()).counter;
        if stored > 0 && result.counter() <= stored {
            return Assertion::CounterRegressed;
        }
        key.update_credential(result);
        passkey.credential = serde_json::to_string(&key).unwrap_or_default();
        passkey.last_used_at = Some(now);
        return Assertion::Accepted;
    }
    Assertion::Unknown
}
