//! Sequence-number arithmetic with wrap-around.
//!
//! Kafka's sequence space is `0..=i32::MAX` and wraps to 0 (`DefaultRecordBatch.incrementSequence`).
//! The model makes the top of the space configurable so a demo can wrap after a few records;
//! the rules are the same for any top.

use serde::{Deserialize, Serialize};

/// Kafka's own top of the sequence space, `Integer.MAX_VALUE`.
pub const KAFKA_SEQUENCE_MAX: i32 = i32::MAX;

/// The sequence space `0..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceSpace {
    pub max: i32,
}

impl Default for SequenceSpace {
    fn default() -> Self {
        SequenceSpace {
            max: KAFKA_SEQUENCE_MAX,
        }
    }
}

impl SequenceSpace {
    /// `base + delta`, wrapping past `max` to 0 (`DefaultRecordBatch.incrementSequence`).
    pub fn increment(self, base: i32, delta: i32) -> i32 {
        debug_assert!(base >= 0 && base <= self.max && delta >= 0);
        if base > self.max - delta {
            delta - (self.max - base) - 1
        } else {
            base + delta
        }
    }

    /// `seq - delta`, wrapping below 0 to `max` (`DefaultRecordBatch.decrementSequence`).
    pub fn decrement(self, seq: i32, delta: i32) -> i32 {
        debug_assert!(seq >= 0 && seq <= self.max && delta >= 0);
        if seq < delta {
            self.max - (delta - seq) + 1
        } else {
            seq - delta
        }
    }

    /// The last sequence of a batch of `record_count` records starting at `base`.
    pub fn last_of(self, base: i32, record_count: u32) -> i32 {
        debug_assert!(record_count > 0);
        self.increment(base, record_count as i32 - 1)
    }

    /// Kafka's `ProducerAppendInfo.inSequence`: `next` follows `last` directly, including
    /// the wrap from `max` to 0.
    pub fn in_sequence(self, last: i32, next: i32) -> bool {
        next == last + 1 || (next == 0 && last == self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_without_wrap() {
        let space = SequenceSpace::default();
        assert_eq!(space.increment(5, 4), 9);
        assert_eq!(space.last_of(10, 5), 14);
    }

    #[test]
    fn wraps_past_the_top_like_default_record_batch() {
        let space = SequenceSpace::default();
        // base MAX-10 with 21 records ends at 9 (PSMT.testProducerSequenceWithWrapAroundBatchRecord).
        assert_eq!(space.last_of(i32::MAX - 10, 21), 9);
        let small = SequenceSpace { max: 15 };
        assert_eq!(small.last_of(14, 3), 0);
        assert_eq!(small.increment(15, 1), 0);
        assert_eq!(small.decrement(0, 1), 15);
        assert_eq!(small.decrement(1, 3), 14);
    }

    #[test]
    fn in_sequence_accepts_only_the_next_number_or_the_wrap() {
        let space = SequenceSpace { max: 15 };
        assert!(space.in_sequence(4, 5));
        assert!(space.in_sequence(-1, 0));
        assert!(space.in_sequence(15, 0));
        assert!(!space.in_sequence(4, 6));
        assert!(!space.in_sequence(4, 4));
        assert!(!space.in_sequence(14, 0));
    }
}
