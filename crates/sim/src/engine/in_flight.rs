//! Maps and sets of things in flight, keyed by ids or times that mostly grow (messages on the
//! wire, open produce requests, a client's unfinished batches).
//!
//! Every produce request puts a few entries in such maps and takes them out a few steps later.
//! A `BTreeMap` paid a node walk and a rebalance for each (replacing three of them saved 5 % of
//! a happy-path run's instructions). Here an entry is appended at the back (its key is the
//! newest), and removed after a binary search, shifting the shorter side: what is in flight is
//! a handful of entries, and the oldest usually leaves first. Iteration stays in key order,
//! which the snapshot and the network's "first message on the wire" rely on.

use std::collections::VecDeque;

/// Entries sorted by key; keys usually arrive in increasing order (then insertion is a push).
#[derive(Debug, Clone)]
pub(crate) struct InFlight<T, K = u64> {
    entries: VecDeque<(K, T)>,
}

impl<T, K> Default for InFlight<T, K> {
    fn default() -> Self {
        InFlight {
            entries: VecDeque::new(),
        }
    }
}

impl<T, K: Ord + Copy> InFlight<T, K> {
    fn position(&self, id: K) -> Result<usize, usize> {
        // Most lookups are for the oldest entry: check it before searching.
        match self.entries.front() {
            Some((first, _)) if *first == id => Ok(0),
            _ => self.entries.binary_search_by_key(&id, |(key, _)| *key),
        }
    }

    /// Puts `value` under `id`, returning the value it replaces.
    pub(crate) fn insert(&mut self, id: K, value: T) -> Option<T> {
        match self.entries.back() {
            Some((last, _)) if *last >= id => {}
            _ => {
                self.entries.push_back((id, value));
                return None;
            }
        }
        match self.position(id) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (id, value));
                None
            }
        }
    }

    pub(crate) fn get_mut(&mut self, id: K) -> Option<&mut T> {
        let at = self.position(id).ok()?;
        Some(&mut self.entries[at].1)
    }

    pub(crate) fn remove(&mut self, id: K) -> Option<T> {
        let at = self.position(id).ok()?;
        self.entries.remove(at).map(|(_, value)| value)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// In key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (K, &T)> {
        self.entries.iter().map(|(id, value)| (*id, value))
    }

    /// In key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(_, value)| value)
    }
}

/// A set kept as a sorted deque ([`InFlight`] without values), for the client's small,
/// busy sets: its batches in flight per partition, its unfinished batches by creation time.
#[derive(Debug, Clone)]
pub(crate) struct SortedSet<K> {
    keys: InFlight<(), K>,
}

impl<K> Default for SortedSet<K> {
    fn default() -> Self {
        SortedSet {
            keys: InFlight::default(),
        }
    }
}

impl<K: Ord + Copy> SortedSet<K> {
    /// Whether `key` was not in the set.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        self.keys.insert(key, ()).is_none()
    }

    /// Whether `key` was in the set.
    pub(crate) fn remove(&mut self, key: &K) -> bool {
        self.keys.remove(*key).is_some()
    }

    /// In order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &K> {
        self.keys.entries.iter().map(|(key, _)| key)
    }

    pub(crate) fn first(&self) -> Option<&K> {
        self.keys.entries.front().map(|(key, _)| key)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.keys.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::InFlight;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_as_an_ordered_map_whatever_the_order_of_ids() {
        // Increasing ids (the usual case), then some out of order, repeats and removals in
        // every position: the same answers as a BTreeMap at every step.
        let ops: Vec<(bool, u64)> = (0..40)
            .map(|i| (true, i))
            .chain([(false, 0), (false, 39), (false, 17), (true, 17), (true, 5)])
            .chain([
                (true, 100),
                (true, 50),
                (false, 50),
                (false, 7),
                (false, 1000),
            ])
            .chain((0..45).map(|i| (false, (i * 7) % 45)))
            .collect();
        let mut ours = InFlight::default();
        let mut model = BTreeMap::new();
        for (step, (insert, id)) in ops.into_iter().enumerate() {
            if insert {
                assert_eq!(ours.insert(id, step), model.insert(id, step), "insert {id}");
            } else {
                assert_eq!(ours.remove(id), model.remove(&id), "remove {id}");
            }
            assert_eq!(ours.len(), model.len());
            assert!(ours
                .iter()
                .map(|(k, v)| (k, *v))
                .eq(model.iter().map(|(k, v)| (*k, *v))));
        }
    }
}
