//! Key ids: 4 bytes of a domain-separated SHA-256 of a key, shown as 8 hex
//! digits. Carried by new cookies, CSRF tokens and sealed values so the
//! right key is tried first and a missing key can be named in a message.
//! An id reveals nothing usable about its key (a preimage of SHA-256).

use sha2::{Digest as _, Sha256};
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 4]);

impl KeyId {
    /// The id of an empty ring (never the id of a key in practice).
    pub(super) const NONE: KeyId = KeyId([0; 4]);

    pub fn of_hmac_key(key: &[u8; 32]) -> KeyId {
        KeyId::derive(b"mfa-gate key id: hmac", key)
    }

    pub fn of_encryption_key(key: &[u8; 32]) -> KeyId {
        KeyId::derive(b"mfa-gate key id: encryption", key)
    }

    fn derive(purpose: &[u8], key: &[u8; 32]) -> KeyId {
        let digest = Sha256::new()
            .chain_update(purpose)
            .chain_update(key)
            .finalize();
        KeyId([digest[0], digest[1], digest[2], digest[3]])
    }

    pub fn from_bytes(bytes: [u8; 4]) -> KeyId {
        KeyId(bytes)
    }

    pub fn bytes(&self) -> [u8; 4] {
        self.0
    }

    /// Reads the 8 lowercase hex digits [`KeyId`]'s `Display` writes.
    pub fn parse(text: &str) -> Option<KeyId> {
        if text.len() != 8 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut out = [0u8; 4];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(KeyId(out))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}
