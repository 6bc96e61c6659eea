//! Passkeys and security keys (WebAuthn credentials) as the store keeps
//! them on a person's record: a name the person chose, the credential as
//! the WebAuthn library serialises it (a public key, its id and its sign
//! counter: nothing secret), and the ceremonies already used, so that a
//! page's challenge is accepted at most once. Plain data, like the rest of
//! `domain`; `crate::factors::passkey` does the WebAuthn work.

use serde::{Deserialize, Serialize};

/// Longest name a person may give a passkey (characters).
pub const MAX_PASSKEY_NAME: usize = 60;
/// Most passkeys one person may register.
pub const MAX_PASSKEYS: usize = 10;
/// Most used ceremonies remembered (each lives a few minutes).
pub const MAX_USED_CEREMONIES: usize = 32;

/// One registered passkey or security key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkey {
    /// Our own random id (forms and audit name it; never the credential id).
    pub id: u64,
    pub name: String,
    /// The credential, as `webauthn_rs::prelude::SecurityKey` serialises
    /// it (JSON). Updated when an assertion moves its sign counter.
    pub credential: String,
    pub added_at: i64,
    /// The account that registered it (of the person's linked accounts).
    pub added_by: String,
    pub last_used_at: Option<i64>,
}

/// A ceremony (a challenge a page gave the browser) that was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedCeremony {
    pub nonce: [u8; 16],
    /// After this the ceremony is refused anyway: the entry can go.
    pub expires_at: i64,
}

/// Whether `name` is one a person may give a passkey: not blank, not too
/// long, no control characters. The trimmed name.
pub fn passkey_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_PASSKEY_NAME
        && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned())
}

#[cfg(test)]
mod tests;
