//! The gateway's two key rings and the only code that uses them: HMAC-SHA256
//! keys for tags (cookies, CSRF tokens, anything that must come back
//! unchanged) and ChaCha20-Poly1305 keys that seal TOTP secrets before they
//! reach the store. Each ring is one key or more: the first signs and
//! seals, every key verifies and opens, so a key can be rotated without
//! logging anyone out. A key is named by its [`KeyId`] (a hash of the key),
//! which new tags and sealed values carry so the right key is tried first
//! and a missing one can be named; values made before key ids existed are
//! still read (every key of the ring is tried). Every tag carries a
//! *domain* string so a tag made for one purpose is never accepted for
//! another. No I/O, no clock: randomness (nonces) is passed in.

mod app_session;
pub mod certificate;
mod generate;
mod id;
mod slots;

pub use app_session::AppSession;
#[cfg(test)]
mod tests;

pub use generate::{ENCRYPTION_FILE, HMAC_FILE, generate_key_files, generate_keys_text};
pub use id::KeyId;
pub use slots::{BySlot, SlotHasher, SlotKey};

use chacha20poly1305::aead::{AeadInPlace, KeyInit as _};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq as _;

/// Most keys in one ring: the key in use and the ones being retired. The
/// configuration refuses more.
pub const MAX_RING: usize = 4;
/// Bytes of the random nonce in every sealed value.
const NONCE_LEN: usize = 12;
/// Bytes of the Poly1305 tag that ends every sealed value.
const TAG_LEN: usize = 16;
/// SHA-256 block size: HMAC pads shorter keys with zeros to this length.
const HMAC_BLOCK_LEN: usize = 64;
/// First bytes of a value sealed with a key id: "MG", format 1, then the
/// 4-byte key id. Values sealed before key ids start with their nonce.
const SEALED_MAGIC: [u8; 3] = *b"MG\x01";
const SEALED_HEADER_LEN: usize = SEALED_MAGIC.len() + 4;

/// One HMAC key: its id and HMAC-SHA256 with the key already absorbed (its
/// inner and outer pads hashed once): each MAC clones it, which halves the
/// work of a MAC on the request path.
#[derive(Clone)]
struct HmacKey {
    id: KeyId,
    keyed: Hmac<Sha256>,
}

#[derive(Clone)]
struct SealKey {
    id: KeyId,
    key: [u8; 32],
}

/// The HMAC and AEAD key rings, each non-empty (first key in use). Hand-
/// written `Debug`: prints key ids, never a key byte.
#[derive(Clone)]
pub struct Keys {
    hmac: Vec<HmacKey>,
    seal: Vec<SealKey>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys { <redacted> }")
    }
}

/// Why a sealed value did not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Sealed under a key that is not in the ring (removed too early, or
    /// another installation's store).
    #[error("sealed under key id {0}, which is not among the configured encryption keys")]
    UnknownKey(KeyId),
    /// The key named by the value is in the ring but the value does not
    /// open: damaged, or bound to another record.
    #[error("sealed under key id {0} but does not open with it (damaged or moved)")]
    Damaged(KeyId),
    /// Sealed before key ids existed, and no key of the ring opens it.
    #[error("sealed before key ids existed, and none of the configured encryption keys opens it")]
    NoKeyOpens,
}

/// A sealed value, opened.
pub struct Opened {
    pub plaintext: Vec<u8>,
    /// Sealed under the first key, in the current format: nothing to do for
    /// a rotation.
    pub current: bool,
}

impl Keys {
    /// One HMAC key and one encryption key (rings of one).
    pub fn new(hmac_key: [u8; 32], encryption_key: [u8; 32]) -> Keys {
        Keys::from_rings(&[hmac_key], &[encryption_key])
    }

    /// The rings as configured, first key first. The configuration refuses
    /// an empty ring and one longer than [`MAX_RING`]; here keys past it are
    /// ignored, and an empty ring fails closed (no tag verifies, nothing
    /// seals or opens).
    pub fn from_rings(hmac: &[[u8; 32]], encryption: &[[u8; 32]]) -> Keys {
        let hmac = hmac
            .iter()
            .take(MAX_RING)
            .map(|key| {
                // RFC 2104 zero-pads a key shorter than the block; doing it
                // here lets us use the infallible fixed-size constructor.
                let mut block = [0u8; HMAC_BLOCK_LEN];
                block[..key.len()].copy_from_slice(key);
                HmacKey {
                    id: KeyId::of_hmac_key(key),
                    keyed: <Hmac<Sha256> as Mac>::new(&block.into()),
                }
            })
            .collect();
        let seal = encryption
            .iter()
            .take(MAX_RING)
            .map(|key| SealKey {
                id: KeyId::of_encryption_key(key),
                key: *key,
            })
            .collect();
        Keys { hmac, seal }
    }

    /// Ids of the HMAC keys, first (in use) first.
    pub fn hmac_ids(&self) -> Vec<KeyId> {
        self.hmac.iter().map(|k| k.id).collect()
    }

    /// Ids of the encryption keys, first (in use) first.
    pub fn encryption_ids(&self) -> Vec<KeyId> {
        self.seal.iter().map(|k| k.id).collect()
    }

    /// How many HMAC keys verify (at least one).
    pub fn hmac_count(&self) -> usize {
        self.hmac.len()
    }

    /// Position in the HMAC ring of the key with this id.
    pub fn hmac_index(&self, id: KeyId) -> Option<usize> {
        self.hmac.iter().position(|k| k.id == id)
    }

    /// Id of the HMAC key that signs.
    pub fn hmac_id(&self) -> KeyId {
        self.hmac.first().map_or(KeyId::NONE, |k| k.id)
    }

    /// HMAC-SHA256 under the first key, with domain separation: the MAC
    /// covers `domain` then each part, each prefixed by its length (u64
    /// big-endian), so no two different `(domain, parts)` inputs produce
    /// the same MAC input.
    pub fn mac(&self, domain: &str, parts: &[&[u8]]) -> [u8; 32] {
        self.mac_at(0, domain, parts).unwrap_or([0; 32])
    }

    /// [`Keys::mac`] under the `index`th key of the ring.
    pub fn mac_at(&self, index: usize, domain: &str, parts: &[&[u8]]) -> Option<[u8; 32]> {
        let mut mac = self.hmac.get(index)?.keyed.clone();
        for field in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        Some(mac.finalize().into_bytes().into())
    }

    /// Constant-time check of a tag produced by [`Keys::mac`] (first key).
    /// A tag of the wrong length is simply wrong.
    pub fn verify_mac(&self, domain: &str, parts: &[&[u8]], tag: &[u8]) -> bool {
        self.verify_mac_at(0, domain, parts, tag)
    }

    /// Constant-time check of a tag made under the `index`th key.
    pub fn verify_mac_at(&self, index: usize, domain: &str, parts: &[&[u8]], tag: &[u8]) -> bool {
        // `ct_eq` on slices of different lengths is false.
        self.mac_at(index, domain, parts)
            .is_some_and(|expected| expected.as_slice().ct_eq(tag).into())
    }

    /// Encrypts and authenticates `plaintext` under the first encryption
    /// key, binding it to `aad` (which is not stored). Output: "MG" 0x01,
    /// 4-byte key id, 12-byte random nonce, ciphertext, 16-byte tag; the
    /// header is authenticated too.
    ///
    /// Encryption fails only for plaintexts beyond ChaCha20's 256 GiB limit;
    /// then the output is empty, which [`Keys::open`] refuses (fail closed).
    /// (`rand::CryptoRng` implies `RngCore`; e.g. `&mut rand::rng()`.)
    pub fn seal(&self, aad: &[u8], plaintext: &[u8], rng: &mut impl rand::CryptoRng) -> Vec<u8> {
        let Some(key) = self.seal.first() else {
            return Vec::new();
        };
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut sealed =
            Vec::with_capacity(SEALED_HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.extend_from_slice(&SEALED_MAGIC);
        sealed.extend_from_slice(&key.id.bytes());
        let header_aad = [&sealed[..], aad].concat();
        let mut body = plaintext.to_vec();
        let Ok(tag) = cipher(key).encrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            &header_aad,
            &mut body,
        ) else {
            return Vec::new();
        };
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        sealed.extend_from_slice(&tag);
        sealed
    }

    /// Reverses [`Keys::seal`] (or the id-less format before it). `None` on
    /// any failure: too short, tampered, wrong `aad`, key not in the ring.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        self.open_checked(aad, sealed).ok().map(|o| o.plaintext)
    }

    /// [`Keys::open`], saying why not, and whether the value is already
    /// sealed the way [`Keys::seal`] would seal it now.
    pub fn open_checked(&self, aad: &[u8], sealed: &[u8]) -> Result<Opened, OpenError> {
        let Some(id) = sealed_key_id(sealed) else {
            return self.open_legacy(aad, sealed);
        };
        let position = self.seal.iter().position(|k| k.id == id);
        if let Some(index) = position {
            let (header, rest) = sealed.split_at(SEALED_HEADER_LEN);
            let header_aad = [header, aad].concat();
            if let Some(plaintext) = open_with(&self.seal[index], &header_aad, rest) {
                return Ok(Opened {
                    plaintext,
                    current: index == 0,
                });
            }
        }
        // One id-less value in 2^24 starts with the magic by chance.
        self.open_legacy(aad, sealed).map_err(|_| match position {
            Some(_) => OpenError::Damaged(id),
            None => OpenError::UnknownKey(id),
        })
    }

    /// An id-less value (nonce, ciphertext, tag): every key is tried.
    fn open_legacy(&self, aad: &[u8], sealed: &[u8]) -> Result<Opened, OpenError> {
        self.seal
            .iter()
            .find_map(|key| open_with(key, aad, sealed))
            .map(|plaintext| Opened {
                plaintext,
                current: false,
            })
            .ok_or(OpenError::NoKeyOpens)
    }
}

#[cfg(test)]
impl Keys {
    /// A value sealed the way releases before key ids did (nonce,
    /// ciphertext, tag) under the first key: for tests of the upgrade path.
    pub(crate) fn seal_without_key_id(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = [3u8; NONCE_LEN];
        let mut body = plaintext.to_vec();
        let Some(Ok(tag)) = self.seal.first().map(|key| {
            cipher(key).encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut body)
        }) else {
            return Vec::new();
        };
        [&nonce[..], &body, &tag].concat()
    }
}

/// The key id a sealed value names, if it is in the id-carrying format.
pub fn sealed_key_id(sealed: &[u8]) -> Option<KeyId> {
    let rest = sealed.strip_prefix(&SEALED_MAGIC[..])?;
    if rest.len() < 4 + NONCE_LEN + TAG_LEN {
        return None;
    }
    Some(KeyId::from_bytes([rest[0], rest[1], rest[2], rest[3]]))
}

fn cipher(key: &SealKey) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(&key.key))
}

/// Opens nonce || ciphertext || tag under one key.
fn open_with(key: &SealKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut plaintext = body.to_vec();
    cipher(key)
        .decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            aad,
            &mut plaintext,
            Tag::from_slice(tag),
        )
        .ok()?;
    Some(plaintext)
}
