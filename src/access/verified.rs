//! A memo of gateway cookies already verified, so a verified session's
//! every later request costs a lookup and a constant-time comparison
//! instead of two HMACs. Keyed by a keyed hash of the app session value
//! (never the value itself); an entry only ever vouches for the exact
//! cookie string that passed `session::cookie_is_valid` for that app
//! session and person, and the caller still checks the second step, the
//! trust epoch and the age against the current state on every request.

use crate::access::session::Verified;
use crate::domain::Identity;
use std::hash::BuildHasher;
use subtle::ConstantTimeEq;

/// What one full verification established.
#[derive(Clone)]
struct Memo {
    gateway_cookie: Box<str>,
    company: Box<str>,
    person: Box<str>,
    verified: Verified,
}

pub struct VerifiedMemo {
    /// Randomly keyed per process: SipHash, so other people's session
    /// values cannot be steered into one slot.
    hasher: std::collections::hash_map::RandomState,
    memo: quick_cache::sync::Cache<u64, Memo>,
}

impl VerifiedMemo {
    pub fn new(capacity: usize) -> VerifiedMemo {
        VerifiedMemo {
            hasher: Default::default(),
            memo: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// What an earlier full check said of `gateway_cookie` for this app
    /// session and identity, if it is the very same cookie.
    pub fn vouch(
        &self,
        app_value: &str,
        identity: &Identity,
        gateway_cookie: &str,
    ) -> Option<Verified> {
        let m = self.memo.get(&self.hasher.hash_one(app_value))?;
        let same_cookie: bool = m
            .gateway_cookie
            .as_bytes()
            .ct_eq(gateway_cookie.as_bytes())
            .into();
        (same_cookie && *m.company == *identity.company() && *m.person == *identity.person())
            .then_some(m.verified)
    }

    /// Remember a cookie that a full check just accepted.
    pub fn remember(
        &self,
        app_value: &str,
        identity: &Identity,
        gateway_cookie: &str,
        verified: Verified,
    ) {
        let memo = Memo {
            gateway_cookie: gateway_cookie.into(),
            company: identity.company().into(),
            person: identity.person().into(),
            verified,
        };
        self.memo.insert(self.hasher.hash_one(app_value), memo);
    }
}

#[cfg(test)]
mod tests;
