//! Broker-side producer state of one partition replica: Kafka's `ProducerStateManager`.
//!
//! Every replica derives this state from its own log (leaders on client appends, followers on
//! replicated batches), so it is volatile: it is rebuilt from the log or from a snapshot when a
//! broker restarts or truncates. The validation below follows
//! `UnifiedLog.analyzeAndValidateProducerState`, `ProducerStateEntry.findDuplicateBatch` and
//! `ProducerAppendInfo.checkProducerEpoch`/`checkSequence` (brokers 2.5–4.4).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::error::KafkaError;
use crate::sequence::SequenceSpace;
use crate::types::{Epoch, Offset, ProducerId, Sequence, TimeMs};

/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: a broker constant, not a configuration.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

/// Which duplicate rule the leader applies.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DedupRule {
    /// What Kafka does: exact match against the last 5 batches, gaps are errors.
    #[default]
    Kafka,
    /// The textbook rule: accept any sequence above the last seen, discard anything else as a
    /// duplicate. Kafka does not do this; it exists to show what it would lose.
    Textbook,
}

/// `BatchMetadata`: what the broker remembers of one appended batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CachedBatch {
    pub first_seq: Sequence,
    pub last_seq: Sequence,
    pub first_offset: Offset,
    pub last_offset: Offset,
    pub timestamp_ms: TimeMs,
}

/// `ProducerStateEntry`: the state of one producer id on one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProducerEntry {
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    /// Oldest first, at most [`NUM_BATCHES_TO_RETAIN`].
    #[cfg_attr(feature = "ts", ts(as = "Vec<CachedBatch>"))]
    pub batches: VecDeque<CachedBatch>,
    /// Max record timestamp of the last batch; expiry is measured from it.
    pub last_timestamp_ms: TimeMs,
    /// First offset of the producer's open transaction on this partition, if one is open.
    /// Such a producer never expires, and the last stable offset cannot pass it.
    #[serde(default)]
    pub current_txn_first_offset: Option<Offset>,
}

impl ProducerEntry {
    fn last_seq(&self) -> Sequence {
        self.batches.back().map_or(-1, |b| b.last_seq)
    }

    /// `ProducerStateEntry.findDuplicateBatch`: same epoch, exact `(firstSeq, lastSeq)` match.
    fn find_duplicate(&self, batch: &IncomingBatch) -> Option<CachedBatch> {
        if batch.epoch != self.epoch {
            return None;
        }
        self.batches
            .iter()
            .find(|m| m.first_seq == batch.base_seq && m.last_seq == batch.last_seq)
            .copied()
    }
}

/// The producer fields of a batch header, as the broker sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomingBatch {
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub base_seq: Sequence,
    pub last_seq: Sequence,
    pub max_timestamp_ms: TimeMs,
}

/// The leader's verdict on a client batch, before anything is appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Append at the log end.
    Append,
    /// An exact duplicate of a cached batch: answer `NONE` with the original offsets.
    Duplicate(CachedBatch),
    /// Reject with this error; nothing is appended.
    Reject {
        error: KafkaError,
        reason: RejectReason,
    },
    /// Textbook rule only: silently discarded as a "duplicate" although it was never written.
    TextbookDiscard { last_seen: Sequence },
}

/// Why a batch was rejected, so the UI can say it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RejectReason {
    /// Same epoch, `baseSeq != lastSeq + 1`.
    OutOfOrder { expected: Sequence, got: Sequence },
    /// A higher epoch must start at sequence 0.
    NewEpochNotAtZero { got: Sequence },
    /// Brokers 4.5+ (KAFKA-15591): on a partition that never held a record, an unknown
    /// producer must start at sequence 0.
    UnknownProducerNotAtZero { got: Sequence },
    /// The batch's epoch is lower than the broker's.
    StaleEpoch { current: Epoch, got: Epoch },
    /// A transactional batch for a partition that is not in the producer's ongoing
    /// transaction, as the coordinator answered the leader's verification (KIP-890).
    NotInTransaction,
    /// The coordinator answered the verification that this epoch is fenced.
    FencedByCoordinator,
    /// A non-transactional batch from a producer id with a transaction open here.
    TransactionOpen,
    /// Transactions v2: the coordinator is still writing the previous transaction's markers.
    TransactionCompleting,
}

/// Producer state of one partition replica.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerStateTable {
    pub entries: BTreeMap<ProducerId, ProducerEntry>,
}

impl ProducerStateTable {
    pub fn entry(&self, producer_id: ProducerId) -> Option<&ProducerEntry> {
        self.entries.get(&producer_id)
    }

    /// Leader-side validation of a client batch (origin CLIENT), in Kafka's order:
    /// duplicate check, epoch fencing, sequence check.
    pub fn validate(
        &self,
        batch: &IncomingBatch,
        space: SequenceSpace,
        rule: DedupRule,
    ) -> Verdict {
        self.validate_with(batch, space, rule, false)
    }

    /// [`Self::validate`], with the 4.5+ rule for a partition whose log has never held a
    /// record when `require_zero_on_new_partition` is set.
    pub fn validate_with(
        &self,
        batch: &IncomingBatch,
        space: SequenceSpace,
        rule: DedupRule,
        require_zero_on_new_partition: bool,
    ) -> Verdict {
        let entry = self.entries.get(&batch.producer_id);
        if rule == DedupRule::Textbook {
            return Self::validate_textbook(entry, batch);
        }
        // (a) duplicate detection.
        if let Some(duplicate) = entry.and_then(|e| e.find_duplicate(batch)) {
            return Verdict::Duplicate(duplicate);
        }
        // (b) epoch fencing.
        let current_epoch = entry.map_or(-1, |e| e.epoch);
        if batch.epoch < current_epoch {
            return Verdict::Reject {
                error: KafkaError::InvalidProducerEpoch,
                reason: RejectReason::StaleEpoch {
                    current: current_epoch,
                    got: batch.epoch,
                },
            };
        }
        // (c) sequence check.
        match entry {
            // Unknown producer on a never-written partition, brokers 4.5+ (KAFKA-15591).
            None if require_zero_on_new_partition && batch.base_seq != 0 => Verdict::Reject {
                error: KafkaError::OutOfOrderSequenceNumber,
                reason: RejectReason::UnknownProducerNotAtZero {
                    got: batch.base_seq,
                },
            },
            // Unknown producer (2.5+ brokers, KIP-360): any sequence is accepted.
            None => Verdict::Append,
            Some(e) if batch.epoch != e.epoch => {
                if batch.base_seq == 0 {
                    Verdict::Append
                } else {
                    Verdict::Reject {
                        error: KafkaError::OutOfOrderSequenceNumber,
                        reason: RejectReason::NewEpochNotAtZero {
                            got: batch.base_seq,
                        },
                    }
                }
            }
            Some(e) => {
                let last = e.last_seq();
                if space.in_sequence(last, batch.base_seq) {
                    Verdict::Append
                } else {
                    Verdict::Reject {
                        error: KafkaError::OutOfOrderSequenceNumber,
                        reason: RejectReason::OutOfOrder {
                            expected: if last == space.max { 0 } else { last + 1 },
                            got: batch.base_seq,
                        },
                    }
                }
            }
        }
    }

    fn validate_textbook(entry: Option<&ProducerEntry>, batch: &IncomingBatch) -> Verdict {
        match entry {
            Some(e) if batch.base_seq <= e.last_seq() => Verdict::TextbookDiscard {
                last_seen: e.last_seq(),
            },
            _ => Verdict::Append,
        }
    }

    /// `ProducerStateManager.update` / `ProducerStateEntry.addBatch`, run by leaders and
    /// followers alike after an append. A new epoch clears the cache.
    pub fn record_append(
        &mut self,
        batch: &IncomingBatch,
        first_offset: Offset,
        last_offset: Offset,
    ) {
        self.record_append_in_txn(batch, first_offset, last_offset, false);
    }

    /// [`Self::record_append`] for a batch that may be transactional: the first transactional
    /// batch of a transaction records where it starts.
    pub fn record_append_in_txn(
        &mut self,
        batch: &IncomingBatch,
        first_offset: Offset,
        last_offset: Offset,
        transactional: bool,
    ) {
        let entry = self
            .entries
            .entry(batch.producer_id)
            .or_insert_with(|| ProducerEntry {
                producer_id: batch.producer_id,
                epoch: batch.epoch,
                batches: VecDeque::with_capacity(NUM_BATCHES_TO_RETAIN),
                last_timestamp_ms: batch.max_timestamp_ms,
                current_txn_first_offset: None,
            });
        if batch.epoch != entry.epoch {
            entry.batches.clear();
            entry.epoch = batch.epoch;
        }
        if entry.batches.len() == NUM_BATCHES_TO_RETAIN {
            entry.batches.pop_front();
        }
        entry.batches.push_back(CachedBatch {
            first_seq: batch.base_seq,
            last_seq: batch.last_seq,
            first_offset,
            last_offset,
            timestamp_ms: batch.max_timestamp_ms,
        });
        entry.last_timestamp_ms = batch.max_timestamp_ms;
        if transactional && entry.current_txn_first_offset.is_none() {
            entry.current_txn_first_offset = Some(first_offset);
        }
        debug_assert!(entry.batches.len() <= NUM_BATCHES_TO_RETAIN);
    }

    /// Whether the producer has a transaction open here (non-transactional writes from it are
    /// then refused with INVALID_TXN_STATE).
    pub fn has_open_transaction(&self, producer_id: ProducerId) -> bool {
        self.entries
            .get(&producer_id)
            .is_some_and(|e| e.current_txn_first_offset.is_some())
    }

    /// `UnifiedLog.hasOngoingTransaction(producerId, producerEpoch)`: a transaction of this
    /// producer is open here under this epoch (a v2 client's next transaction, under the next
    /// epoch, must ask the coordinator even while the last one's marker is on its way).
    pub fn has_open_transaction_in_epoch(&self, producer_id: ProducerId, epoch: Epoch) -> bool {
        self.entries
            .get(&producer_id)
            .is_some_and(|e| e.current_txn_first_offset.is_some() && e.epoch == epoch)
    }

    /// `ProducerAppendInfo.appendEndTxnMarker`: a COMMIT or ABORT marker ends the open
    /// transaction. A marker with a higher epoch bumps the epoch and clears the cache, so the
    /// next data batch must start at sequence 0. Returns the transaction's first offset.
    pub fn record_marker(
        &mut self,
        producer_id: ProducerId,
        epoch: Epoch,
        timestamp_ms: TimeMs,
    ) -> Option<Offset> {
        let entry = self
            .entries
            .entry(producer_id)
            .or_insert_with(|| ProducerEntry {
                producer_id,
                epoch,
                batches: VecDeque::new(),
                last_timestamp_ms: timestamp_ms,
                current_txn_first_offset: None,
            });
        if epoch > entry.epoch {
            entry.batches.clear();
            entry.epoch = epoch;
        }
        entry.last_timestamp_ms = timestamp_ms;
        entry.current_txn_first_offset.take()
    }

    /// The first offset of the oldest open transaction, which bounds the last stable offset.
    pub fn first_unstable_offset(&self) -> Option<Offset> {
        self.entries
            .values()
            .filter_map(|e| e.current_txn_first_offset)
            .min()
    }

    /// `ProducerStateManager.removeExpiredProducers`: drop entries whose last record timestamp
    /// is at least `expiration_ms` old. Returns the expired producer ids.
    pub fn remove_expired(&mut self, now_ms: TimeMs, expiration_ms: TimeMs) -> Vec<ProducerId> {
        let expired: Vec<ProducerId> = self
            .entries
            .values()
            .filter(|e| e.current_txn_first_offset.is_none())
            .filter(|e| now_ms.saturating_sub(e.last_timestamp_ms) >= expiration_ms)
            .map(|e| e.producer_id)
            .collect();
        for pid in &expired {
            self.entries.remove(pid);
        }
        expired
    }

    /// Forgets every producer at once, as if `producer.id.expiration.ms` had passed for all of
    /// them, with `removeExpiredProducers`' own exception: a producer with an open transaction
    /// is never expired (`ProducerStateManager.isProducerExpired` checks
    /// `currentTxnFirstOffset`). Returns the forgotten producer ids.
    pub fn expire_all(&mut self) -> Vec<ProducerId> {
        let expired: Vec<ProducerId> = self
            .entries
            .values()
            .filter(|e| e.current_txn_first_offset.is_none())
            .map(|e| e.producer_id)
            .collect();
        for pid in &expired {
            self.entries.remove(pid);
        }
        expired
    }

    /// What a snapshot written at the log end keeps: only the last batch of each producer
    /// (`ProducerStateManager.writeSnapshot`). A clean restart loads exactly this.
    pub fn snapshot_last_batch_only(&self) -> ProducerStateTable {
        let mut entries = self.entries.clone();
        for entry in entries.values_mut() {
            while entry.batches.len() > 1 {
                entry.batches.pop_front();
            }
        }
        ProducerStateTable { entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PID: ProducerId = 1000;

    fn batch(epoch: Epoch, base: Sequence, count: i32) -> IncomingBatch {
        IncomingBatch {
            producer_id: PID,
            epoch,
            base_seq: base,
            last_seq: SequenceSpace::default().last_of(base, count as u32),
            max_timestamp_ms: 0,
        }
    }

    /// A table holding batches of 5 records from `from` up to `to` (exclusive) for epoch 0.
    fn table_with(batch_count: usize) -> ProducerStateTable {
        let mut table = ProducerStateTable::default();
        for i in 0..batch_count {
            let b = batch(0, (i * 5) as i32, 5);
            table.record_append(&b, (i * 5) as i64, (i * 5 + 4) as i64);
        }
        table
    }

    fn check(table: &ProducerStateTable, b: IncomingBatch) -> Verdict {
        table.validate(&b, SequenceSpace::default(), DedupRule::Kafka)
    }

    fn out_of_order(v: Verdict) -> bool {
        matches!(
            v,
            Verdict::Reject {
                error: KafkaError::OutOfOrderSequenceNumber,
                ..
            }
        )
    }

    // §2.4 row: exact duplicate of one of the last ≤5 batches, same epoch → NONE, original offset.
    #[test]
    fn exact_duplicate_in_cache_answers_with_original_offset() {
        let table = table_with(3);
        match check(&table, batch(0, 5, 5)) {
            Verdict::Duplicate(m) => {
                assert_eq!(m.first_offset, 5);
                assert_eq!(m.last_offset, 9);
            }
            other => panic!("expected duplicate, got {other:?}"),
        }
    }

    // ULT.testDuplicateAppends: the batch 4th from the tail is still a duplicate.
    #[test]
    fn duplicate_of_oldest_cached_batch_is_still_detected() {
        let table = table_with(5);
        assert!(matches!(
            check(&table, batch(0, 0, 5)),
            Verdict::Duplicate(_)
        ));
    }

    // §2.4 row: unknown producer, any epoch ≥ 0, any baseSeq → appended.
    #[test]
    fn unknown_producer_is_accepted_with_any_sequence() {
        let table = ProducerStateTable::default();
        assert_eq!(check(&table, batch(0, 42, 5)), Verdict::Append);
        assert_eq!(check(&table, batch(3, 7, 1)), Verdict::Append);
    }

    // §2.4 row: same epoch, baseSeq == lastSeq + 1 → appended.
    #[test]
    fn next_sequence_is_appended() {
        assert_eq!(check(&table_with(2), batch(0, 10, 5)), Verdict::Append);
    }

    // §2.4 row: same epoch, 0 after the top of the space → appended (wrap-around).
    #[test]
    fn zero_after_the_top_of_the_space_is_appended() {
        let space = SequenceSpace { max: 9 };
        let mut table = ProducerStateTable::default();
        let b = IncomingBatch {
            producer_id: PID,
            epoch: 0,
            base_seq: 5,
            last_seq: 9,
            max_timestamp_ms: 0,
        };
        table.record_append(&b, 0, 4);
        let next = IncomingBatch {
            base_seq: 0,
            last_seq: 4,
            ..b
        };
        assert_eq!(
            table.validate(&next, space, DedupRule::Kafka),
            Verdict::Append
        );
        let wrong = IncomingBatch {
            base_seq: 1,
            last_seq: 5,
            ..b
        };
        assert!(out_of_order(table.validate(
            &wrong,
            space,
            DedupRule::Kafka
        )));
    }

    // §2.4 row: a gap → OUT_OF_ORDER_SEQUENCE_NUMBER, with the expected sequence named.
    #[test]
    fn gap_is_out_of_order() {
        match check(&table_with(2), batch(0, 15, 5)) {
            Verdict::Reject {
                error: KafkaError::OutOfOrderSequenceNumber,
                reason: RejectReason::OutOfOrder { expected, got },
            } => assert_eq!((expected, got), (10, 15)),
            other => panic!("expected OOOS, got {other:?}"),
        }
    }

    // §2.4 row: an old duplicate outside the 5-batch cache → OUT_OF_ORDER_SEQUENCE_NUMBER.
    #[test]
    fn duplicate_older_than_the_cache_is_out_of_order() {
        let table = table_with(6);
        assert!(out_of_order(check(&table, batch(0, 0, 5))));
    }

    // §2.4 row: a partial overlap → OUT_OF_ORDER_SEQUENCE_NUMBER.
    #[test]
    fn partial_overlap_is_out_of_order() {
        let table = table_with(2);
        assert!(out_of_order(check(&table, batch(0, 5, 3))));
        assert!(out_of_order(check(&table, batch(0, 7, 5))));
    }

    // §2.4 row: higher epoch, baseSeq 0 → appended; the cache is cleared and the epoch updated.
    #[test]
    fn higher_epoch_at_zero_is_appended_and_clears_the_cache() {
        let mut table = table_with(3);
        let b = batch(1, 0, 5);
        assert_eq!(check(&table, b), Verdict::Append);
        table.record_append(&b, 15, 19);
        let entry = table.entry(PID).unwrap();
        assert_eq!(entry.epoch, 1);
        assert_eq!(entry.batches.len(), 1);
        // The old epoch's batches are no longer duplicates: they are fenced.
        assert!(matches!(
            check(&table, batch(0, 5, 5)),
            Verdict::Reject {
                error: KafkaError::InvalidProducerEpoch,
                ..
            }
        ));
    }

    // §2.4 row: higher epoch, baseSeq != 0, entry exists → OUT_OF_ORDER_SEQUENCE_NUMBER.
    #[test]
    fn higher_epoch_not_at_zero_is_out_of_order() {
        assert!(matches!(
            check(&table_with(1), batch(1, 5, 5)),
            Verdict::Reject {
                error: KafkaError::OutOfOrderSequenceNumber,
                reason: RejectReason::NewEpochNotAtZero { got: 5 }
            }
        ));
    }

    // §2.4 row: lower epoch (even an exact "duplicate") → INVALID_PRODUCER_EPOCH.
    #[test]
    fn lower_epoch_is_fenced_even_for_a_duplicate() {
        let mut table = ProducerStateTable::default();
        let b = batch(2, 0, 5);
        table.record_append(&b, 0, 4);
        assert!(matches!(
            check(&table, batch(1, 0, 5)),
            Verdict::Reject {
                error: KafkaError::InvalidProducerEpoch,
                reason: RejectReason::StaleEpoch { current: 2, got: 1 }
            }
        ));
    }

    #[test]
    fn brokers_4_5_require_zero_from_an_unknown_producer_on_a_new_partition() {
        let table = ProducerStateTable::default();
        let space = SequenceSpace::default();
        assert!(out_of_order(table.validate_with(
            &batch(0, 5, 5),
            space,
            DedupRule::Kafka,
            true
        )));
        assert_eq!(
            table.validate_with(&batch(0, 0, 5), space, DedupRule::Kafka, true),
            Verdict::Append
        );
        assert_eq!(
            table.validate_with(&batch(0, 5, 5), space, DedupRule::Kafka, false),
            Verdict::Append
        );
    }

    #[test]
    fn entry_with_no_cached_batches_accepts_only_zero() {
        let mut table = table_with(1);
        table.entries.get_mut(&PID).unwrap().batches.clear();
        assert_eq!(check(&table, batch(0, 0, 5)), Verdict::Append);
        assert!(out_of_order(check(&table, batch(0, 5, 5))));
    }

    #[test]
    fn cache_holds_at_most_five_batches() {
        let table = table_with(9);
        let entry = table.entry(PID).unwrap();
        assert_eq!(entry.batches.len(), NUM_BATCHES_TO_RETAIN);
        assert_eq!(entry.batches.front().unwrap().first_seq, 20);
    }

    #[test]
    fn expiry_is_measured_from_record_timestamps() {
        let mut table = ProducerStateTable::default();
        let mut b = batch(0, 0, 5);
        b.max_timestamp_ms = 1_000;
        table.record_append(&b, 0, 4);
        assert!(table.remove_expired(1_999, 1_000).is_empty());
        assert_eq!(table.remove_expired(2_000, 1_000), vec![PID]);
        // After expiry a late retry with any sequence is accepted again.
        assert_eq!(check(&table, batch(0, 0, 5)), Verdict::Append);
    }

    #[test]
    fn snapshot_keeps_only_the_last_batch() {
        let snapshot = table_with(4).snapshot_last_batch_only();
        let entry = snapshot.entry(PID).unwrap();
        assert_eq!(entry.batches.len(), 1);
        // A retry of an older batch is then out of order, not a duplicate.
        assert!(out_of_order(check(&snapshot, batch(0, 5, 5))));
        assert!(matches!(
            check(&snapshot, batch(0, 15, 5)),
            Verdict::Duplicate(_)
        ));
    }

    #[test]
    fn a_transactional_batch_opens_a_transaction_that_a_marker_closes() {
        let mut table = ProducerStateTable::default();
        let b = batch(0, 0, 5);
        table.record_append_in_txn(&b, 10, 14, true);
        assert!(table.has_open_transaction(PID));
        assert_eq!(table.first_unstable_offset(), Some(10));
        // A later batch of the same transaction does not move the start.
        table.record_append_in_txn(&batch(0, 5, 5), 15, 19, true);
        assert_eq!(table.first_unstable_offset(), Some(10));
        assert_eq!(table.record_marker(PID, 0, 0), Some(10));
        assert!(!table.has_open_transaction(PID));
        assert_eq!(table.first_unstable_offset(), None);
        // A marker in the same epoch keeps the cached batches.
        assert_eq!(table.entry(PID).unwrap().batches.len(), 2);
    }

    #[test]
    fn a_marker_with_a_higher_epoch_bumps_the_epoch_and_clears_the_cache() {
        let mut table = table_with(3);
        table.record_marker(PID, 1, 0);
        let entry = table.entry(PID).unwrap();
        assert_eq!((entry.epoch, entry.batches.len()), (1, 0));
        // The next data batch must start at 0; the old epoch is fenced.
        assert!(out_of_order(check(&table, batch(1, 15, 5))));
        assert_eq!(check(&table, batch(1, 0, 5)), Verdict::Append);
        assert!(matches!(
            check(&table, batch(0, 15, 5)),
            Verdict::Reject {
                error: KafkaError::InvalidProducerEpoch,
                ..
            }
        ));
    }

    #[test]
    fn a_producer_with_an_open_transaction_never_expires() {
        let mut table = ProducerStateTable::default();
        table.record_append_in_txn(&batch(0, 0, 1), 0, 0, true);
        assert!(table.remove_expired(u64::MAX / 2, 1).is_empty());
        table.record_marker(PID, 0, 0);
        assert_eq!(table.remove_expired(u64::MAX / 2, 1), vec![PID]);
    }

    // PSM.isProducerExpired: `!currentTxnFirstOffset.isPresent && now - lastTimestamp >= ...`.
    #[test]
    fn expiring_everything_keeps_producers_with_an_open_transaction() {
        let mut table = table_with(1);
        let open = IncomingBatch {
            producer_id: 2000,
            ..batch(0, 0, 1)
        };
        table.record_append_in_txn(&open, 5, 5, true);
        assert_eq!(table.expire_all(), vec![PID]);
        assert!(table.has_open_transaction(2000));
        assert_eq!(table.first_unstable_offset(), Some(5));
    }

    #[test]
    fn textbook_rule_discards_anything_not_above_last_seen() {
        let table = table_with(2);
        let rule = DedupRule::Textbook;
        let space = SequenceSpace::default();
        assert_eq!(
            table.validate(&batch(0, 5, 5), space, rule),
            Verdict::TextbookDiscard { last_seen: 9 }
        );
        // A gap is accepted by the textbook rule (Kafka rejects it).
        assert_eq!(
            table.validate(&batch(0, 20, 5), space, rule),
            Verdict::Append
        );
    }
}
