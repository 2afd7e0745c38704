//! Raw series identities interned to small integer ids, oldest evicted first.
//!
//! A consumer sees the same few series over and over: the decoders look the raw identity of a
//! message (key, tags and resource as they came on the wire) up here and hand Python an id, so
//! no point builds a series. Python keeps the series of each id; ids of evicted identities are
//! reused. Eviction happens between batches only (Python asks for it), never while decoding.
//! Per batch, each id seen also gets a batch-local index (dense, in order of first sight), so
//! Python resolves a batch's series once, before later evictions can reuse an id.

use std::collections::VecDeque;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

#[derive(Default)]
pub struct Table {
    /// The identity of each id (empty while the id is free).
    keys: Vec<Box<[u8]>>,
    /// Ids, found by the hash of their identity.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Live ids, oldest first.
    order: VecDeque<u32>,
    free: Vec<u32>,
    /// Per id: the batch it was last seen in and its index in that batch.
    seen: Vec<(u32, u32)>,
    batch: u32,
    /// The ids of the current batch, by batch-local index.
    pub distinct: Vec<u32>,
}

impl Table {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn find(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.index
            .find(hash, |&id| &*self.keys[id as usize] == key)
            .copied()
    }

    /// Interns `key`, which must not be interned yet.
    pub fn insert(&mut self, key: &[u8]) -> u32 {
        let id = match self.free.pop() {
            Some(id) => {
                self.keys[id as usize] = key.into();
                id
            }
            None => {
                self.keys.push(key.into());
                self.seen.push((0, 0));
                u32::try_from(self.keys.len() - 1).expect("fewer than 2^32 series")
            }
        };
        let (keys, hasher) = (&self.keys, &self.hasher);
        self.index
            .insert_unique(hasher.hash_one(key), id, |&other| {
                hasher.hash_one(&*keys[other as usize])
            });
        self.order.push_back(id);
        id
    }

    /// The id of `key` and whether it is new.
    pub fn intern(&mut self, key: &[u8]) -> (u32, bool) {
        match self.find(key) {
            Some(id) => (id, false),
            None => (self.insert(key), true),
        }
    }

    /// Forgets the `count` oldest identities; returns their ids.
    pub fn evict(&mut self, count: usize) -> Vec<u32> {
        let mut evicted = Vec::with_capacity(count.min(self.order.len()));
        while evicted.len() < count {
            let Some(id) = self.order.pop_front() else {
                break;
            };
            let key = std::mem::take(&mut self.keys[id as usize]);
            let hash = self.hasher.hash_one(&*key);
            if let Ok(entry) = self.index.find_entry(hash, |&other| other == id) {
                entry.remove();
            }
            self.free.push(id);
            evicted.push(id);
        }
        evicted
    }

    /// Starts a batch: batch-local indexes begin again at 0.
    pub fn begin_batch(&mut self) {
        self.distinct.clear();
        self.batch = self.batch.wrapping_add(1);
        if self.batch == 0 {
            // After 2^32 batches a stale stamp could match: forget them all.
            self.seen.iter_mut().for_each(|s| *s = (0, 0));
            self.batch = 1;
        }
    }

    /// The batch-local index of `id`.
    pub fn local(&mut self, id: u32) -> u32 {
        let seen = &mut self.seen[id as usize];
        if seen.0 != self.batch {
            *seen = (self.batch, self.distinct.len() as u32);
            self.distinct.push(id);
        }
        seen.1
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn an_identity_keeps_its_id_until_evicted_and_ids_are_reused() {
        let mut table = Table::default();
        assert_eq!(table.intern(b"a"), (0, true));
        assert_eq!(table.intern(b"b"), (1, true));
        assert_eq!(table.intern(b"a"), (0, false));
        assert_eq!(table.evict(1), vec![0]);
        assert_eq!(table.find(b"a"), None);
        assert_eq!(table.find(b"b"), Some(1));
        assert_eq!(table.intern(b"c"), (0, true));
        assert_eq!(table.len(), 2);
        assert_eq!(table.evict(5), vec![1, 0]);
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn batch_local_indexes_follow_first_sight() {
        let mut table = Table::default();
        let (a, b) = (table.intern(b"a").0, table.intern(b"b").0);
        table.begin_batch();
        assert_eq!((table.local(b), table.local(a), table.local(b)), (0, 1, 0));
        assert_eq!(table.distinct, vec![b, a]);
        table.begin_batch();
        assert_eq!(table.local(a), 0);
        assert_eq!(table.distinct, vec![a]);
    }
}
