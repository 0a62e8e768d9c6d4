//! A map of things in flight, keyed by ids the engine hands out in increasing order (messages
//! on the wire, open produce requests).
//!
//! Every produce request puts a few entries in such maps and takes them out a few steps later.
//! A `BTreeMap` paid a node walk and a rebalance for each, about a tenth of a happy-path run's
//! instructions. Here an entry is appended at the back (its id is the newest), and removed
//! after a binary search, shifting the shorter side: what is in flight is a handful of
//! entries, and the oldest usually leaves first. Iteration stays in id order, which the
//! snapshot and the network's "first message on the wire" rely on.

use std::collections::VecDeque;

/// Entries sorted by id; ids usually arrive in increasing order (then insertion is a push).
#[derive(Debug, Clone)]
pub(crate) struct InFlight<T> {
    entries: VecDeque<(u64, T)>,
}

impl<T> Default for InFlight<T> {
    fn default() -> Self {
        InFlight {
            entries: VecDeque::new(),
        }
    }
}

impl<T> InFlight<T> {
    fn position(&self, id: u64) -> Result<usize, usize> {
        // Most lookups are for the oldest entry: check it before searching.
        match self.entries.front() {
            Some((first, _)) if *first == id => Ok(0),
            _ => self.entries.binary_search_by_key(&id, |(key, _)| *key),
        }
    }

    /// Puts `value` under `id`, returning the value it replaces.
    pub(crate) fn insert(&mut self, id: u64, value: T) -> Option<T> {
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

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let at = self.position(id).ok()?;
        Some(&mut self.entries[at].1)
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let at = self.position(id).ok()?;
        self.entries.remove(at).map(|(_, value)| value)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// In id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.entries.iter().map(|(id, value)| (*id, value))
    }

    /// In id order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(_, value)| value)
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
