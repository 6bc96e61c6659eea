//! The binding of mfa-gate's state to one app session: a keyed hash of the
//! app's session cookie value under each HMAC key of the ring. The gateway
//! cookie, CSRF tokens and passkey ceremonies are bound to it
//! (`access::session`, `factors::passkey`); the value itself is never
//! stored or logged.

use crate::keys::{Keys, MAX_RING};

/// Binding of our state to one app session: a keyed hash of the app's
/// session cookie value (the value itself is never stored or logged),
/// under each HMAC key of the ring (the first one is *the* binding; the
/// others check cookies and tokens made under older keys).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AppSession {
    hashes: [[u8; 16]; MAX_RING],
    count: usize,
}

impl AppSession {
    pub fn bind(keys: &Keys, app_cookie_value: &str) -> AppSession {
        let mut hashes = [[0u8; 16]; MAX_RING];
        let count = keys.hmac_count().min(MAX_RING);
        for (index, hash) in hashes.iter_mut().enumerate().take(count) {
            if let Some(mac) = keys.mac_at(index, "app-session", &[app_cookie_value.as_bytes()]) {
                hash.copy_from_slice(&mac[..16]);
            }
        }
        AppSession { hashes, count }
    }

    /// The binding under the first HMAC key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.hashes[0]
    }

    /// The hash itself, to store with state that belongs to this session.
    pub fn id(&self) -> [u8; 16] {
        self.hashes[0]
    }

    /// The binding under the `index`th key of the ring.
    pub(crate) fn under(&self, index: usize) -> Option<&[u8]> {
        (index < self.count).then(|| &self.hashes[index][..])
    }
}

impl std::fmt::Debug for AppSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppSession(<hash>)")
    }
}
