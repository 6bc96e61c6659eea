//! The persons one shard of `CachedStore` holds, by slot. Most persons a
//! gateway sees have no second step and no lock (every employee of an
//! optional-policy company, every account before its enrollment): their
//! state is `PersonState::default()`, so a slot alone says it, in a set of
//! 16 bytes a person. The others keep their state in a map (40 bytes a
//! person). 100 000 accounts seen and never enrolled cost ≈ 2.3 MiB here
//! instead of ≈ 5.4 (issue 35 §2, BENCHMARKS.md).
//!
//! A slot is already a keyed SipHash of the person (`CachedStore::slot`),
//! random to anyone without the process's keys, so the tables hash it with
//! a multiply per word (`SlotHasher`), not with a second SipHash.

use super::{PersonState, Slot};
use crate::keys::BySlot;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub(super) struct States {
    /// Persons whose state is not the default.
    stated: HashMap<Slot, PersonState, BySlot>,
    /// Persons whose state is the default.
    plain: HashSet<Slot, BySlot>,
}

impl States {
    pub(super) fn get(&self, slot: &Slot) -> Option<PersonState> {
        // An enrolled person (the verified path) is found by the first look.
        match self.stated.get(slot) {
            Some(state) => Some(*state),
            None => self.plain.contains(slot).then(PersonState::default),
        }
    }

    pub(super) fn insert(&mut self, slot: Slot, state: PersonState) {
        if state == PersonState::default() {
            self.stated.remove(&slot);
            self.plain.insert(slot);
        } else {
            self.plain.remove(&slot);
            self.stated.insert(slot, state);
        }
    }

    pub(super) fn remove(&mut self, slot: &Slot) {
        self.stated.remove(slot);
        self.plain.remove(slot);
    }

    pub(super) fn contains(&self, slot: &Slot) -> bool {
        self.stated.contains_key(slot) || self.plain.contains(slot)
    }

    pub(super) fn len(&self) -> usize {
        self.stated.len() + self.plain.len()
    }

    pub(super) fn clear(&mut self) {
        self.stated.clear();
        self.plain.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolled(id: u64) -> PersonState {
        PersonState {
            enrollment_id: Some(id),
            ..PersonState::default()
        }
    }

    #[test]
    fn a_person_moves_between_the_set_and_the_map_as_its_state_changes() {
        let mut states = States::default();
        let slot = [1, 2];
        assert_eq!(states.get(&slot), None);
        states.insert(slot, PersonState::default());
        assert_eq!(states.get(&slot), Some(PersonState::default()));
        assert_eq!((states.stated.len(), states.plain.len()), (0, 1));
        // Enrolled: only the map holds it, so no stale default is served.
        states.insert(slot, enrolled(7));
        assert_eq!(states.get(&slot), Some(enrolled(7)));
        assert_eq!((states.stated.len(), states.plain.len()), (1, 0));
        // Reset (second step removed): back to the set, out of the map.
        states.insert(slot, PersonState::default());
        assert_eq!(states.get(&slot), Some(PersonState::default()));
        assert_eq!((states.stated.len(), states.plain.len()), (0, 1));
        let locked = PersonState {
            locked: true,
            ..PersonState::default()
        };
        states.insert(slot, locked);
        assert_eq!(states.get(&slot), Some(locked));
        assert!(states.contains(&slot));
        assert_eq!(states.len(), 1);
        states.remove(&slot);
        assert_eq!(states.get(&slot), None);
        assert!(!states.contains(&slot));
        states.insert([3, 4], enrolled(1));
        states.insert([5, 6], PersonState::default());
        assert_eq!(states.len(), 2);
        states.clear();
        assert_eq!((states.len(), states.get(&[3, 4])), (0, None));
    }

    #[test]
    fn slots_spread_over_the_table() {
        use std::hash::BuildHasher;
        // Slots as `CachedStore::slot` makes them: random words, the low
        // one's last 4 bits fixed by the shard.
        let hashes: HashSet<u64> = (0..1000u64)
            .map(|i| {
                let high = i.wrapping_mul(0x2545_f491_4f6c_dd1d);
                BySlot::default().hash_one([high, (high >> 7) << 4 | 3])
            })
            .collect();
        assert_eq!(hashes.len(), 1000);
        // hashbrown indexes by the low bits and tags by the top 7.
        let low: HashSet<u64> = hashes.iter().map(|h| h & 1023).collect();
        let top: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(low.len() > 500, "{} of 1024 buckets", low.len());
        assert_eq!(top.len(), 128);
    }
}
