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
    ///
    /// Computed in 64 bits and reduced modulo the size of the space, so it cannot overflow for
    /// any inputs; for `0 <= base <= max` and `0 <= delta <= max` it is exactly Kafka's formula
    /// (`base > max - delta ? delta - (max - base) - 1 : base + delta`).
    pub fn increment(self, base: i32, delta: i32) -> i32 {
        let size = i64::from(self.max) + 1;
        // rem_euclid of a positive modulus lies in 0..size, and size - 1 = max fits an i32.
        (i64::from(base) + i64::from(delta)).rem_euclid(size) as i32
    }

    /// `seq - delta`, wrapping below 0 to `max` (`DefaultRecordBatch.decrementSequence`).
    pub fn decrement(self, seq: i32, delta: i32) -> i32 {
        let size = i64::from(self.max) + 1;
        (i64::from(seq) - i64::from(delta)).rem_euclid(size) as i32
    }

    /// The last sequence of a batch of `record_count` records starting at `base`.
    pub fn last_of(self, base: i32, record_count: u32) -> i32 {
        // Scenarios bound batches to 100 records; the clamp only keeps the conversion total.
        let delta = i32::try_from(record_count.saturating_sub(1)).unwrap_or(i32::MAX);
        self.increment(base, delta)
    }

    /// [`SequenceSpace::last_of`] for a batch that may carry no sequences (idempotence off:
    /// base `NO_SEQUENCE`), which then has no last sequence either.
    pub fn last_of_batch(self, base: i32, record_count: u32) -> i32 {
        if base < 0 {
            crate::types::NO_SEQUENCE
        } else {
            self.last_of(base, record_count)
        }
    }

    /// Kafka's `ProducerAppendInfo.inSequence`: `next` follows `last` directly, including
    /// the wrap from `max` to 0.
    pub fn in_sequence(self, last: i32, next: i32) -> bool {
        // Widened so that `last == i32::MAX` (Kafka's own top) cannot overflow.
        i64::from(next) == i64::from(last) + 1 || (next == 0 && last == self.max)
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

    #[test]
    fn the_top_of_kafkas_space_never_overflows() {
        let space = SequenceSpace::default();
        assert!(space.in_sequence(i32::MAX, 0));
        assert!(!space.in_sequence(i32::MAX, i32::MIN));
        assert_eq!(space.increment(i32::MAX, 1), 0);
        assert_eq!(space.increment(i32::MAX, i32::MAX), i32::MAX - 1);
        assert_eq!(space.decrement(0, i32::MAX), 1);
        assert_eq!(space.last_of(i32::MAX, 100), 98);
    }

    #[test]
    fn matches_kafkas_formula_on_its_domain() {
        // DefaultRecordBatch.incrementSequence, transcribed, for every base and delta of a small space.
        for max in [1, 2, 7, 15] {
            let space = SequenceSpace { max };
            for base in 0..=max {
                for delta in 0..=max {
                    let kafka = if base > max - delta {
                        delta - (max - base) - 1
                    } else {
                        base + delta
                    };
                    assert_eq!(
                        space.increment(base, delta),
                        kafka,
                        "max {max} base {base} delta {delta}"
                    );
                    assert_eq!(space.decrement(space.increment(base, delta), delta), base);
                }
            }
        }
    }

    #[test]
    fn a_batch_without_sequences_has_no_last_sequence() {
        let space = SequenceSpace::default();
        assert_eq!(space.last_of_batch(-1, 5), crate::types::NO_SEQUENCE);
        assert_eq!(space.last_of_batch(3, 5), 7);
        assert_eq!(SequenceSpace { max: 4 }.last_of_batch(3, 3), 0);
    }
}
