//! The producer's accumulator (Kafka's `RecordAccumulator` and `ProducerBatch`) and the
//! sequence bookkeeping of each partition (`TxnPartitionEntry` in the `TransactionManager`):
//! the batches, the per-partition deque they wait in, and the rules that order them.
//!
//! The rules, in the order a batch meets them:
//! - it is drained once full, lingered enough, or behind another batch
//!   ([`ClientBatch::is_ready`]), and gets its sequence on its first drain
//!   ([`ClientPartition::assign_sequence`]);
//! - with idempotence, a batch that already has a sequence goes out only when it is the lowest
//!   in flight ([`ClientPartition::first_in_flight`]), so a partition has one retry on the wire;
//! - a failed batch goes back into the deque in sequence order
//!   ([`ClientPartition::insert_in_sequence_order`]), ahead of new batches;
//! - an acknowledged sequence that leaves no gap resolves an unknown fate
//!   ([`ClientPartition::is_next_sequence`]); otherwise the epoch is bumped and the batches in
//!   flight are renumbered from 0 ([`ClientPartition::renumber_from_zero`]).

use std::collections::VecDeque;

use crate::chunked::ChunkedVec;
use crate::sequence::SequenceSpace;
use crate::types::*;

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchState {
    /// In the accumulator's deque, waiting to be drained.
    Queued,
    /// Sent; waiting for the response to this request.
    InFlight {
        request: u64,
    },
    Done,
}

/// `ProducerBatch`.
#[derive(Debug, Clone)]
pub struct ClientBatch {
    pub id: u64,
    pub producer: ProducerIndex,
    pub incarnation: u32,
    pub partition: PartitionId,
    /// The n-th batch this producer application created for this partition.
    pub nth: u32,
    pub messages: Vec<u32>,
    pub created_ms: TimeMs,
    pub max_timestamp_ms: TimeMs,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    /// Assigned the first time the batch is drained; `None` before.
    pub base_sequence: Option<Sequence>,
    pub attempts: u32,
    /// When the current retry backoff began (for countdowns in a player) and when it ends.
    pub retry_since_ms: TimeMs,
    pub retry_at_ms: TimeMs,
    /// `ProducerBatch.inRetry()`.
    pub in_retry: bool,
    pub state: BatchState,
    /// Epoch and base sequence the last send carried (renumbering changes the batch, not the
    /// bytes already on the wire: `sequenceHasBeenReset`).
    pub sent_as: Option<(Epoch, Sequence)>,
}

impl ClientBatch {
    pub fn record_count(&self) -> u32 {
        self.messages.len() as u32
    }
}

/// `TxnPartitionEntry` plus the accumulator deque of one partition.
#[derive(Debug, Clone)]
pub struct ClientPartition {
    pub deque: VecDeque<u64>,
    pub next_sequence: Sequence,
    /// `-1` when nothing is acknowledged.
    pub last_acked_sequence: i64,
    /// Batches with a sequence that have not completed, by batch id.
    pub in_flight: super::in_flight::SortedSet<u64>,
    /// `markSequenceUnresolved`: the next sequence after an expired batch whose fate is unknown.
    pub unresolved_next_sequence: Option<Sequence>,
    /// The producer id and epoch this partition's sequences belong to.
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub batches_created: u32,
}

impl ClientBatch {
    /// `RecordAccumulator.ready`: a retry once its backoff is over; a new batch once it is
    /// full (`batch.size`, counted in records), has another batch behind it, or has waited
    /// `linger.ms`.
    pub fn is_ready(
        &self,
        now_ms: TimeMs,
        batch_size: u32,
        linger_ms: TimeMs,
        deque_len: usize,
    ) -> bool {
        if self.attempts > 0 {
            return now_ms >= self.retry_at_ms;
        }
        self.record_count() >= batch_size || deque_len > 1 || now_ms >= self.created_ms + linger_ms
    }
}

impl Default for ClientPartition {
    /// A partition the producer has not written to: nothing acknowledged, no producer id yet.
    fn default() -> Self {
        ClientPartition {
            deque: VecDeque::new(),
            next_sequence: 0,
            last_acked_sequence: -1,
            in_flight: Default::default(),
            unresolved_next_sequence: None,
            producer_id: NO_PRODUCER_ID,
            epoch: NO_PRODUCER_EPOCH,
            batches_created: 0,
        }
    }
}

impl ClientPartition {
    /// The batch in flight with the lowest sequence (`TxnPartitionEntry.inflightBatchesBySequence`'s
    /// first): with idempotence, the only batch with a sequence that may be sent again now.
    pub fn first_in_flight(&self, batches: &ChunkedVec<ClientBatch>) -> Option<u64> {
        self.in_flight
            .iter()
            .map(|&id| &batches[id as usize])
            .min_by_key(|b| (b.epoch, b.base_sequence))
            .map(|b| b.id)
    }

    /// Gives a batch drained for the first time the partition's next sequence, under the
    /// producer's id and epoch, and counts it in flight.
    pub fn assign_sequence(
        &mut self,
        batch: &mut ClientBatch,
        (producer_id, epoch): (ProducerId, Epoch),
        space: SequenceSpace,
    ) {
        batch.producer_id = producer_id;
        batch.epoch = epoch;
        batch.base_sequence = Some(self.next_sequence);
        self.next_sequence = space.increment(self.next_sequence, batch.messages.len() as i32);
        self.in_flight.insert(batch.id);
    }

    /// `RecordAccumulator.insertInSequenceOrder`: a batch coming back for a retry goes before
    /// the first batch with a higher sequence or none, so the partition's batches leave in
    /// sequence order whatever order their failures arrived in.
    pub fn insert_in_sequence_order(&mut self, id: u64, batches: &ChunkedVec<ClientBatch>) {
        let sequence = batches[id as usize].base_sequence;
        let pos = self
            .deque
            .iter()
            .position(|&other| {
                let other = &batches[other as usize];
                other.base_sequence.is_none() || other.base_sequence > sequence
            })
            .unwrap_or(self.deque.len());
        self.deque.insert(pos, id);
    }

    /// `TransactionManager.isNextSequence`: plain subtraction, no wrap (as in Kafka).
    pub fn is_next_sequence(&self, sequence: Sequence) -> bool {
        sequence as i64 - self.last_acked_sequence == 1
    }

    /// `startSequencesAtBeginning` after an epoch bump: the batches in flight are renumbered
    /// from 0 under the new producer id and epoch, in their old order, and the deque is kept
    /// in sequence order.
    pub fn renumber_from_zero(
        &mut self,
        batches: &mut ChunkedVec<ClientBatch>,
        (producer_id, epoch): (ProducerId, Epoch),
        space: SequenceSpace,
    ) {
        let mut in_flight: Vec<u64> = self.in_flight.iter().copied().collect();
        in_flight.sort_by_key(|&id| {
            let b = &batches[id as usize];
            (b.epoch, b.base_sequence)
        });
        let mut sequence: Sequence = 0;
        for id in in_flight {
            let b = &mut batches[id as usize];
            b.producer_id = producer_id;
            b.epoch = epoch;
            b.base_sequence = Some(sequence);
            sequence = space.increment(sequence, b.record_count() as i32);
        }
        self.next_sequence = sequence;
        self.last_acked_sequence = -1;
        self.unresolved_next_sequence = None;
        self.producer_id = producer_id;
        self.epoch = epoch;
        let batches = &*batches;
        self.deque.make_contiguous().sort_by_key(|&id| {
            let b = &batches[id as usize];
            (b.base_sequence.is_none(), b.base_sequence)
        });
    }
}

#[cfg(test)]
mod tests {
    //! One partition's deque and sequences, no producer and no world (the cases of Kafka's
    //! `RecordAccumulatorTest` and `TransactionManagerTest` on retry ordering).

    use super::*;

    /// Batches 0..n of `records` records each, none drained yet.
    fn batches(n: u64, records: u32) -> ChunkedVec<ClientBatch> {
        let mut all = ChunkedVec::default();
        for id in 0..n {
            all.push(ClientBatch {
                id,
                producer: 0,
                incarnation: 0,
                partition: 0,
                nth: id as u32,
                messages: (0..records).collect(),
                created_ms: 0,
                max_timestamp_ms: 0,
                producer_id: NO_PRODUCER_ID,
                epoch: NO_PRODUCER_EPOCH,
                base_sequence: None,
                attempts: 0,
                retry_since_ms: 0,
                retry_at_ms: 0,
                in_retry: false,
                state: BatchState::Queued,
                sent_as: None,
            });
        }
        all
    }

    /// Drains batches `ids` for the first time under producer id 1000, epoch 0.
    fn drain(part: &mut ClientPartition, all: &mut ChunkedVec<ClientBatch>, ids: &[u64]) {
        for &id in ids {
            part.assign_sequence(&mut all[id as usize], (1000, 0), SequenceSpace::default());
        }
    }

    fn sequences(part: &ClientPartition, all: &ChunkedVec<ClientBatch>) -> Vec<Option<Sequence>> {
        part.deque
            .iter()
            .map(|&id| all[id as usize].base_sequence)
            .collect()
    }

    #[test]
    fn sequences_are_assigned_in_drain_order_by_record_count() {
        let mut all = batches(3, 5);
        let mut part = ClientPartition::default();
        drain(&mut part, &mut all, &[0, 1, 2]);
        let assigned: Vec<_> = (0..3).map(|i| all[i].base_sequence).collect();
        assert_eq!(assigned, vec![Some(0), Some(5), Some(10)]);
        assert_eq!(part.next_sequence, 15);
        assert_eq!(part.in_flight.iter().count(), 3);
    }

    #[test]
    fn after_a_reset_retries_go_back_in_sequence_order_and_only_the_first_may_go() {
        // Three batches in flight on one connection, and a fourth created since.
        let mut all = batches(4, 5);
        let mut part = ClientPartition::default();
        drain(&mut part, &mut all, &[0, 1, 2]);
        part.deque.push_back(3);
        // The connection is reset; the failures are handled in whatever order they come.
        for id in [2, 0, 1] {
            part.insert_in_sequence_order(id, &all);
        }
        assert_eq!(
            part.deque.iter().copied().collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(
            sequences(&part, &all),
            vec![Some(0), Some(5), Some(10), None]
        );
        // One retry on the wire per partition: the lowest sequence in flight.
        assert_eq!(part.first_in_flight(&all), Some(0));
        part.in_flight.remove(&0);
        assert_eq!(part.first_in_flight(&all), Some(1));
    }

    #[test]
    fn an_epoch_bump_renumbers_what_is_in_flight_from_zero() {
        let mut all = batches(3, 2);
        let mut part = ClientPartition::default();
        drain(&mut part, &mut all, &[0, 1, 2]);
        part.last_acked_sequence = 1;
        part.in_flight.remove(&0);
        part.deque.extend([2, 1]);
        part.renumber_from_zero(&mut all, (1000, 1), SequenceSpace::default());
        assert_eq!(
            (all[1].base_sequence, all[2].base_sequence),
            (Some(0), Some(2))
        );
        assert_eq!((all[1].epoch, part.epoch), (1, 1));
        assert_eq!(part.next_sequence, 4);
        assert_eq!(part.last_acked_sequence, -1);
        assert_eq!(sequences(&part, &all), vec![Some(0), Some(2)]);
    }

    #[test]
    fn the_next_sequence_is_one_past_the_last_acknowledged_without_wrapping() {
        let mut part = ClientPartition::default();
        assert!(part.is_next_sequence(0));
        part.last_acked_sequence = 4;
        assert!(part.is_next_sequence(5) && !part.is_next_sequence(6));
        part.last_acked_sequence = i32::MAX as i64;
        assert!(
            !part.is_next_sequence(0),
            "Kafka's isNextSequence does not wrap"
        );
    }

    #[test]
    fn a_batch_is_ready_when_full_lingered_followed_or_its_backoff_is_over() {
        let all = batches(1, 3);
        let b = &all[0];
        assert!(!b.is_ready(5, 10, 10, 1));
        assert!(b.is_ready(10, 10, 10, 1), "linger.ms passed");
        assert!(b.is_ready(5, 3, 10, 1), "full");
        assert!(b.is_ready(5, 10, 10, 2), "another batch behind it");
        let mut retry = b.clone();
        retry.attempts = 1;
        retry.retry_at_ms = 100;
        assert!(!retry.is_ready(99, 1, 0, 2) && retry.is_ready(100, 1, 0, 1));
    }
}
