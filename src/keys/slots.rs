//! Slots: 128-bit keyed hashes of what a client influences (a session
//! value in the whoami cache, a person in the store cache), made with a
//! per-process random key ([`SlotKey`]), and a table hasher for them
//! ([`SlotHasher`]): random to anyone without the process's key, a table
//! of slots needs only their words mixed, not a second SipHash.

use rand::Rng;
use siphasher::sip128::{Hasher128, SipHasher13};
use std::hash::{BuildHasherDefault, Hasher};

/// A random per-process key for [`SlotKey::slot`]: SipHash-1-3 with a
/// 128-bit output, a keyed PRF that nobody outside the process can steer
/// two values into one slot with (one pass over the value, where two
/// 64-bit SipHashes under two keys took two).
#[derive(Clone, Copy)]
pub struct SlotKey(SipHasher13);

impl SlotKey {
    pub fn random() -> SlotKey {
        let mut rng = rand::rng();
        SlotKey(SipHasher13::new_with_keys(rng.random(), rng.random()))
    }

    /// The slot of `value`, as two words (a `u128` is aligned to 16
    /// bytes, which would pad the tables' entries).
    pub fn slot(&self, value: &[u8]) -> [u64; 2] {
        let mut hasher = self.0;
        hasher.write(value);
        let hash = hasher.finish128();
        [hash.h1, hash.h2]
    }
}

/// Builds [`SlotHasher`]s, for `HashMap`/`HashSet` of keyed values.
pub type BySlot = BuildHasherDefault<SlotHasher>;

/// Mixes the words of a slot (already keyed and random, see the module
/// doc) into a table hash; not for anything a client chooses.
#[derive(Default)]
pub struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for word in bytes.chunks(8) {
            let mut w = [0; 8];
            w[..word.len()].copy_from_slice(word);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::SlotKey;
    use std::collections::HashSet;

    #[test]
    fn a_slot_is_the_values_under_this_key_only() {
        let (one, other) = (SlotKey::random(), SlotKey::random());
        assert_eq!(one.slot(b"session-1"), one.slot(b"session-1"));
        assert_ne!(one.slot(b"session-1"), other.slot(b"session-1"));
        // Prefixes, empty values and near misses all land apart; so do
        // the two words of one slot.
        let values = ["", "a", "aa", "session-1", "session-2", "session-10"];
        let slots: HashSet<[u64; 2]> = values.iter().map(|v| one.slot(v.as_bytes())).collect();
        assert_eq!(slots.len(), values.len());
        assert!(slots.iter().all(|[high, low]| high != low));
    }
}
