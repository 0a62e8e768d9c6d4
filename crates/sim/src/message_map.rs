//! A map keyed by application message — (producer, message number) — stored densely.
//!
//! Every analysis of a log asks "was this message seen before, and where": once per record,
//! over logs of tens of thousands of records. Message numbers of a producer run from 0 to its
//! number of messages, so a table per producer answers in one index where a `BTreeMap` walks a
//! tree (measured: the log analysis of a 145k-event run spent most of its time there).

use crate::types::ProducerIndex;

/// What is known about each application message, `None` until set.
#[derive(Debug, Clone, Default)]
pub struct MessageMap<V> {
    per_producer: Vec<Vec<Option<V>>>,
}

impl<V: Copy> MessageMap<V> {
    /// A map sized for producers with these numbers of messages (it grows past them if asked).
    pub fn with_sizes(sizes: impl IntoIterator<Item = u32>) -> Self {
        MessageMap {
            per_producer: sizes.into_iter().map(|n| vec![None; n as usize]).collect(),
        }
    }

    fn slot(&mut self, (producer, message): (ProducerIndex, u32)) -> &mut Option<V> {
        let (p, m) = (producer as usize, message as usize);
        if self.per_producer.len() <= p {
            self.per_producer.resize_with(p + 1, Vec::new);
        }
        let row = &mut self.per_producer[p];
        if row.len() <= m {
            row.resize(m + 1, None);
        }
        &mut row[m]
    }

    pub fn get(&self, (producer, message): (ProducerIndex, u32)) -> Option<V> {
        self.per_producer
            .get(producer as usize)
            .and_then(|row| row.get(message as usize).copied().flatten())
    }

    pub fn contains(&self, key: (ProducerIndex, u32)) -> bool {
        self.get(key).is_some()
    }

    pub fn insert(&mut self, key: (ProducerIndex, u32), value: V) {
        *self.slot(key) = Some(value);
    }

    /// The value already stored for `key`, or `value`, stored now.
    pub fn get_or_insert(&mut self, key: (ProducerIndex, u32), value: V) -> V {
        *self.slot(key).get_or_insert(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_value_and_grows_past_its_sizes() {
        let mut m: MessageMap<u64> = MessageMap::with_sizes([2]);
        assert_eq!(m.get_or_insert((0, 1), 10), 10);
        assert_eq!(m.get_or_insert((0, 1), 20), 10);
        assert!(!m.contains((0, 0)));
        m.insert((3, 7), 5);
        assert_eq!(m.get((3, 7)), Some(5));
        assert_eq!(m.get((3, 8)), None);
        assert_eq!(m.get((9, 0)), None);
    }
}
