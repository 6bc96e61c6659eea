//! A table hasher for values that are already keyed hashes (a person's
//! slot in the store cache, a session's key in the whoami bounds): random
//! to anyone without the process's keys, so a table of them needs only
//! their words mixed, not a second SipHash. Not for anything a client
//! chooses.

use std::hash::{BuildHasherDefault, Hasher};

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
