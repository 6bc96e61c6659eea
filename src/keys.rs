//! The gateway's two long-lived symmetric keys and the only code that uses
//! them: an HMAC-SHA256 key for tags (cookies, CSRF tokens, anything that
//! must come back unchanged) and a ChaCha20-Poly1305 key that seals TOTP
//! secrets before they reach the store. Every tag carries a *domain* string
//! so a tag made for one purpose is never accepted for another. No I/O, no
//! clock: randomness (nonces) is passed in by the caller.

use chacha20poly1305::aead::{AeadInPlace, KeyInit as _};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq as _;

/// Bytes of the random nonce that starts every sealed value.
const NONCE_LEN: usize = 12;
/// Bytes of the Poly1305 tag that ends every sealed value.
const TAG_LEN: usize = 16;
/// SHA-256 block size: HMAC pads shorter keys with zeros to this length.
const HMAC_BLOCK_LEN: usize = 64;

/// The HMAC and AEAD keys. Hand-written `Debug`: never prints a key byte.
#[derive(Clone)]
pub struct Keys {
    /// HMAC-SHA256 with the key already absorbed (its inner and outer pads
    /// hashed once): each MAC clones it, which halves the work of a MAC on
    /// the request path.
    keyed: Hmac<Sha256>,
    encryption_key: [u8; 32],
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys { <redacted> }")
    }
}

impl Keys {
    pub fn new(hmac_key: [u8; 32], encryption_key: [u8; 32]) -> Keys {
        // RFC 2104 zero-pads a key shorter than the block; doing it here lets
        // us use the infallible fixed-size constructor instead of
        // `new_from_slice`, which returns a `Result` that cannot fail.
        let mut block = [0u8; HMAC_BLOCK_LEN];
        block[..hmac_key.len()].copy_from_slice(&hmac_key);
        Keys {
            keyed: <Hmac<Sha256> as Mac>::new(&block.into()),
            encryption_key,
        }
    }

    /// HMAC-SHA256 with domain separation: the MAC covers `domain` then each
    /// part, each prefixed by its length (u64 big-endian), so no two
    /// different `(domain, parts)` inputs produce the same MAC input.
    pub fn mac(&self, domain: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        for field in std::iter::once(domain.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        mac.finalize().into_bytes().into()
    }

    /// Constant-time check of a tag produced by [`Keys::mac`]. A tag of the
    /// wrong length is simply wrong.
    pub fn verify_mac(&self, domain: &str, parts: &[&[u8]], tag: &[u8]) -> bool {
        let expected = self.mac(domain, parts);
        // `ct_eq` on slices of different lengths is false.
        expected.as_slice().ct_eq(tag).into()
    }

    /// Encrypts and authenticates `plaintext`, binding it to `aad` (which is
    /// not stored). Output: 12-byte random nonce || ciphertext || 16-byte tag.
    ///
    /// Encryption fails only for plaintexts beyond ChaCha20's 256 GiB limit;
    /// then the output is empty, which [`Keys::open`] refuses (fail closed).
    /// (`rand::CryptoRng` implies `RngCore`; e.g. `&mut rand::rng()`.)
    pub fn seal(&self, aad: &[u8], plaintext: &[u8], rng: &mut impl rand::CryptoRng) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut body = plaintext.to_vec();
        let Ok(tag) =
            self.cipher()
                .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut body)
        else {
            return Vec::new();
        };
        let mut sealed = Vec::with_capacity(NONCE_LEN + body.len() + TAG_LEN);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        sealed.extend_from_slice(&tag);
        sealed
    }

    /// Reverses [`Keys::seal`]. `None` on any failure: too short, tampered,
    /// wrong `aad`, wrong key.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut plaintext = body.to_vec();
        self.cipher()
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                aad,
                &mut plaintext,
                Tag::from_slice(tag),
            )
            .ok()?;
        Some(plaintext)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.encryption_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn keys() -> Keys {
        Keys::new([7u8; 32], [9u8; 32])
    }

    fn rng() -> StdRng {
        StdRng::seed_from_u64(1)
    }

    #[test]
    fn sealed_secret_opens_with_same_aad() {
        let sealed = keys().seal(b"person-1", b"totp secret", &mut rng());
        assert_eq!(sealed.len(), NONCE_LEN + b"totp secret".len() + TAG_LEN);
        assert_eq!(
            keys().open(b"person-1", &sealed).as_deref(),
            Some(&b"totp secret"[..])
        );
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let sealed = keys().seal(b"", b"", &mut rng());
        assert_eq!(keys().open(b"", &sealed), Some(Vec::new()));
    }

    #[test]
    fn two_seals_use_different_nonces() {
        let mut rng = rng();
        let a = keys().seal(b"aad", b"same", &mut rng);
        let b = keys().seal(b"aad", b"same", &mut rng);
        assert_ne!(a, b);
    }

    #[test]
    fn any_tampered_byte_is_refused() {
        let sealed = keys().seal(b"aad", b"secret bytes", &mut rng());
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert_eq!(keys().open(b"aad", &tampered), None, "byte {i}");
        }
    }

    #[test]
    fn wrong_aad_or_key_or_length_is_refused() {
        let sealed = keys().seal(b"person-1", b"secret", &mut rng());
        assert_eq!(keys().open(b"person-2", &sealed), None);
        assert_eq!(
            Keys::new([7u8; 32], [8u8; 32]).open(b"person-1", &sealed),
            None
        );
        assert_eq!(keys().open(b"person-1", &sealed[..sealed.len() - 1]), None);
        assert_eq!(
            keys().open(b"person-1", &sealed[..NONCE_LEN + TAG_LEN - 1]),
            None
        );
        assert_eq!(keys().open(b"person-1", &[]), None);
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let keys = Keys::new([0xab; 32], [0xcd; 32]);
        assert_eq!(format!("{keys:?}"), "Keys { <redacted> }");
        assert_eq!(format!("{keys:#?}"), "Keys { <redacted> }");
    }

    #[test]
    fn mac_is_standard_hmac_sha256_of_length_prefixed_fields() {
        let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&[7u8; 32]).unwrap();
        for field in [&b"cookie"[..], b"alice", b""] {
            reference.update(&(field.len() as u64).to_be_bytes());
            reference.update(field);
        }
        let expected: [u8; 32] = reference.finalize().into_bytes().into();
        assert_eq!(keys().mac("cookie", &[b"alice", b""]), expected);
    }

    #[test]
    fn mac_separates_domains_and_part_boundaries() {
        let k = keys();
        let base = k.mac("cookie", &[b"ab", b"c"]);
        assert_ne!(base, k.mac("csrf", &[b"ab", b"c"]));
        assert_ne!(base, k.mac("cookie", &[b"a", b"bc"]));
        assert_ne!(base, k.mac("cookie", &[b"abc"]));
        assert_ne!(base, k.mac("cookie", &[b"ab", b"c", b""]));
        assert_ne!(base, k.mac("cookieab", &[b"c"]));
        assert_ne!(
            base,
            Keys::new([8u8; 32], [9u8; 32]).mac("cookie", &[b"ab", b"c"])
        );
    }

    #[test]
    fn verify_mac_accepts_own_tag_only() {
        let k = keys();
        let tag = k.mac("cookie", &[b"alice", b"42"]);
        assert!(k.verify_mac("cookie", &[b"alice", b"42"], &tag));
        assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &tag[..31]));
        assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &[]));
        let mut longer = tag.to_vec();
        longer.push(0);
        assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &longer));
        let mut modified = tag;
        modified[0] ^= 0x80;
        assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &modified));
        assert!(!k.verify_mac("csrf", &[b"alice", b"42"], &tag));
        assert!(!k.verify_mac("cookie", &[b"alice", b"43"], &tag));
    }
}
