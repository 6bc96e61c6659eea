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
use std::sync::Arc;

/// What one full verification established.
struct Memo {
    gateway_cookie: Box<str>,
    /// The identity's company and person, joined (`company_len` splits
    /// them): one string fewer to allocate per memo.
    who: Box<str>,
    company_len: usize,
    verified: Verified,
}

impl Memo {
    fn is_of(&self, identity: &Identity) -> bool {
        let (company, person) = self.who.split_at(self.company_len);
        company == identity.company() && person == identity.person()
    }
}

pub struct VerifiedMemo {
    /// Randomly keyed per process: SipHash, so other people's session
    /// values cannot be steered into one slot. It must stay a keyed hash
    /// no client can learn: a memo stores no app session value, so a
    /// collision would let one session's entry vouch for another's.
    hasher: std::collections::hash_map::RandomState,
    /// Shared, so that a look-up clones a reference count, not the
    /// memo's three strings.
    memo: quick_cache::sync::Cache<u64, Arc<Memo>>,
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
        // Constant time without a barrier per byte (`subtle`'s slice
        // comparison has one): a branch-free loop the compiler vectorizes,
        // hidden from the optimizer once, at the end.
        let same_cookie = constant_time_eq::constant_time_eq(
            m.gateway_cookie.as_bytes(),
            gateway_cookie.as_bytes(),
        );
        (same_cookie && m.is_of(identity)).then_some(m.verified)
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
            who: [identity.company(), identity.person()].concat().into(),
            company_len: identity.company().len(),
            verified,
        };
        self.memo
            .insert(self.hasher.hash_one(app_value), Arc::new(memo));
    }
}

#[cfg(test)]
mod tests;
