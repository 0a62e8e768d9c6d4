//! Invariants read from the final partition logs: duplicates, order, acknowledged records lost,
//! contiguous sequences (P1/P2), acknowledged never lost (P5), read_committed exactly once, and
//! no transaction left open. Each violation is classified by [`Mechanism`] from the conditions
//! the run's history recorded before it happened.

use std::collections::{BTreeMap, BTreeSet};

use super::history::{before, Conditions};
use super::{InvariantResult, Mechanism, Violation};
use crate::config::Acks;
use crate::engine::{LogBatch, MessageOutcome, Simulation, TxnStatus};
use crate::message_map::MessageMap;
use crate::producer_state::DedupRule;
use crate::types::*;

#[derive(Debug, Clone, Default)]
pub(crate) struct LogAnalysis {
    pub duplicates: Vec<Violation>,
    pub reorderings: Vec<Violation>,
    pub lost_acked: Vec<Violation>,
}

/// What a weakened guarantee on one partition for one producer id can be blamed on, in the
/// order the checks below try them.
struct Suspects<'a> {
    conditions: &'a Conditions,
    partition: PartitionId,
    producer_id: ProducerId,
    producer: Option<ProducerIndex>,
    /// Brokers hosting a replica of the partition.
    replicas: &'a [BrokerId],
    /// Only conditions before this event count.
    until: u64,
    /// The leader applies the textbook rule instead of Kafka's.
    textbook: bool,
    /// The scenario shrank the sequence space far below Kafka's.
    small_space: bool,
}

impl Suspects<'_> {
    /// The broker's view of this producer was weakened by a fault or a Kafka rule.
    fn state_mechanism(&self) -> Option<Mechanism> {
        if self.textbook {
            return Some(Mechanism::TextbookRule);
        }
        let c = self.conditions;
        let key = (self.partition, self.producer_id);
        if self
            .producer
            .is_some_and(|p| before(&c.delivery_timeout, &(p, self.partition), self.until))
        {
            return Some(Mechanism::EpochBumpAfterExpiry);
        }
        if before(&c.expired_by_fault, &self.partition, self.until) {
            return Some(Mechanism::StateExpiredByFault);
        }
        if before(&c.expired, &key, self.until) {
            return Some(Mechanism::StateExpired);
        }
        if before(&c.crafted, &key, self.until) {
            return Some(Mechanism::CraftedRequest);
        }
        if self
            .replicas
            .iter()
            .any(|b| before(&c.snapshot_restart, b, self.until))
        {
            return Some(Mechanism::SnapshotKeepsLastBatch);
        }
        if before(&c.unknown_producer_accepted, &key, self.until) {
            return Some(Mechanism::NewPartitionRace);
        }
        if self.small_space {
            return Some(Mechanism::SmallSequenceSpace);
        }
        c.unclean_election
            .filter(|&at| at < self.until)
            .map(|_| Mechanism::UncleanElection)
    }
}

impl Simulation {
    /// An empty [`MessageMap`] sized for this run's producers.
    pub(crate) fn message_map<V: Copy>(&self) -> MessageMap<V> {
        MessageMap::with_sizes(self.producers.iter().map(|p| p.total_messages))
    }

    fn suspects<'a>(&'a self, partition: PartitionId, batch: &LogBatch) -> Suspects<'a> {
        Suspects {
            conditions: &self.history.conditions,
            partition,
            producer_id: batch.producer_id,
            producer: batch.records.iter().find_map(|r| r.message.map(|m| m.0)),
            replicas: &self.partitions[partition as usize].replicas,
            until: batch.appended_event,
            textbook: self.scenario.cluster.dedup_rule == DedupRule::Textbook,
            small_space: self.space.max < crate::sequence::KAFKA_SEQUENCE_MAX,
        }
    }

    /// Why `second` holds a message `first` already holds.
    fn duplicate_mechanism(
        &self,
        partition: PartitionId,
        first: &LogBatch,
        second: &LogBatch,
    ) -> Mechanism {
        if second.producer_id < 0 {
            return Mechanism::IdempotenceOff;
        }
        let suspects = self.suspects(partition, second);
        if first.producer_id != second.producer_id {
            let restarted = suspects.producer.is_some_and(|p| {
                before(
                    &self.history.conditions.producer_restart,
                    &p,
                    second.appended_event,
                )
            });
            return if restarted {
                Mechanism::ProducerRestart
            } else {
                Mechanism::ModelBug
            };
        }
        suspects.state_mechanism().unwrap_or(Mechanism::ModelBug)
    }

    /// Why a message landed after a later message of the same producer.
    fn reordering_mechanism(&self, partition: PartitionId, batch: &LogBatch) -> Mechanism {
        if batch.producer_id < 0 {
            return Mechanism::RetryOvertook;
        }
        let suspects = self.suspects(partition, batch);
        let restarted = suspects.producer.is_some_and(|p| {
            before(
                &self.history.conditions.producer_restart,
                &p,
                batch.appended_event,
            )
        });
        if restarted {
            return Mechanism::ProducerRestart;
        }
        suspects.state_mechanism().unwrap_or(Mechanism::ModelBug)
    }

    pub(crate) fn log_analysis(&self) -> LogAnalysis {
        let mut out = LogAnalysis::default();
        let mut present: MessageMap<()> = self.message_map();
        for meta in &self.partitions {
            let replica = self.brokers[self.reference_broker(meta.id) as usize].replica(meta.id);
            let log = &replica.log;
            let mut first: MessageMap<(Offset, usize)> = self.message_map();
            let mut highest: BTreeMap<ProducerIndex, (u32, Offset)> = BTreeMap::new();
            for (batch_index, batch) in log.iter().enumerate() {
                // Data of aborted transactions is invisible to read_committed consumers; the
                // transactional guarantees are checked on what they read.
                let aborted = batch.transactional && replica.is_aborted_batch(batch);
                for record in batch.records.iter().filter(|_| !aborted) {
                    let Some(message) = record.message else {
                        continue;
                    };
                    present.insert(message, ());
                    if let Some((first_offset, first_batch)) = first.get(message) {
                        let mechanism = self.duplicate_mechanism(meta.id, &log[first_batch], batch);
                        out.duplicates.push(Violation::new(
                            Some(batch.appended_event),
                            format!(
                                "producer {} message {} is at offsets {first_offset} and {} of partition {}",
                                message.0, message.1, record.offset, meta.id
                            ),
                            mechanism,
                        ));
                        continue;
                    }
                    first.insert(message, (record.offset, batch_index));
                    match highest.get(&message.0) {
                        Some(&(high, high_offset)) if message.1 < high => {
                            out.reorderings.push(Violation::new(
                                Some(batch.appended_event),
                                format!(
                                    "producer {} message {} landed at offset {} of partition {}, after message {high} at offset {high_offset}",
                                    message.0, message.1, record.offset, meta.id
                                ),
                                self.reordering_mechanism(meta.id, batch),
                            ));
                        }
                        _ => {
                            highest.insert(message.0, (message.1, record.offset));
                        }
                    }
                }
            }
        }
        out.lost_acked = self.lost_acknowledgements(&present);
        out
    }

    fn lost_acknowledgements(&self, present: &MessageMap<()>) -> Vec<Violation> {
        let unclean = self.history.conditions.unclean_election.is_some();
        let mut lost = Vec::new();
        for p in self.producers.iter().filter(|p| p.txn.is_none()) {
            for (m, outcome) in p.outcomes.iter().enumerate() {
                let MessageOutcome::Acked { offset } = outcome else {
                    continue;
                };
                if present.contains((p.index, m as u32)) {
                    continue;
                }
                let textbook = self.scenario.cluster.dedup_rule == DedupRule::Textbook;
                let partition = p.message_partition[m];
                let crafted = self
                    .history
                    .conditions
                    .crafted
                    .keys()
                    .any(|&(part, _)| part == partition);
                let mechanism = if *offset < 0 && p.config.acks == Acks::All && textbook {
                    Mechanism::TextbookRule
                } else if crafted {
                    // A crafted batch with this producer's id can make the leader take the
                    // real batch for a duplicate of it, or fence the producer's epoch.
                    Mechanism::CraftedRequest
                } else if self.space.max < crate::sequence::KAFKA_SEQUENCE_MAX && *offset >= 0 {
                    Mechanism::SmallSequenceSpace
                } else if p.config.acks != Acks::All {
                    Mechanism::AcksNotAll
                } else if unclean {
                    Mechanism::UncleanElection
                } else {
                    Mechanism::ModelBug
                };
                lost.push(Violation::new(
                    None,
                    format!(
                        "producer {} message {m} was acknowledged but is not in the log",
                        p.index
                    ),
                    mechanism,
                ));
            }
        }
        lost
    }

    /// What can break a transactional guarantee in a run: an unclean election (a replica
    /// without the data or the marker leads), or the textbook rule (it discards batches).
    fn transactional_mechanism(&self) -> Mechanism {
        let transactional_ids: BTreeSet<ProducerId> = self
            .producers
            .iter()
            .filter_map(|p| p.txn.as_ref())
            .flat_map(|t| t.outcomes.iter().map(|o| o.producer_id))
            .chain(self.coordinator.transactions().map(|m| m.producer_id))
            .collect();
        let crafted = self
            .history
            .conditions
            .crafted
            .keys()
            .any(|(_, pid)| transactional_ids.contains(pid));
        if self.scenario.cluster.dedup_rule == DedupRule::Textbook {
            Mechanism::TextbookRule
        } else if crafted {
            Mechanism::CraftedRequest
        } else if self.space.max < crate::sequence::KAFKA_SEQUENCE_MAX {
            Mechanism::SmallSequenceSpace
        } else if self.history.conditions.unclean_election.is_some() {
            Mechanism::UncleanElection
        } else {
            Mechanism::ModelBug
        }
    }

    /// Transactions: a read_committed consumer sees every record of a committed transaction
    /// exactly once, and nothing of a transaction that never committed.
    pub(crate) fn check_read_committed(&self) -> InvariantResult {
        let mut seen: BTreeMap<(ProducerIndex, u32), u32> = BTreeMap::new();
        for meta in &self.partitions {
            let replica = self.brokers[self.reference_broker(meta.id) as usize].replica(meta.id);
            let lso = replica.last_stable_offset();
            for batch in replica
                .log
                .iter()
                .filter(|b| b.control.is_none() && b.transactional && !replica.is_aborted_batch(b))
            {
                for m in batch
                    .records
                    .iter()
                    .filter(|r| r.offset < lso)
                    .filter_map(|r| r.message)
                {
                    *seen.entry(m).or_default() += 1;
                }
            }
        }
        let mechanism = self.transactional_mechanism();
        let mut violations = Vec::new();
        let mut applicable = false;
        for p in &self.producers {
            let Some(txn) = &p.txn else { continue };
            applicable = true;
            let committed: BTreeSet<u32> = txn
                .outcomes
                .iter()
                .filter(|o| o.result == crate::engine::TxnResult::Committed)
                .flat_map(|o| o.messages.iter().copied())
                .collect();
            for m in 0..p.total_messages {
                let count = seen.get(&(p.index, m)).copied().unwrap_or(0);
                let expected = u32::from(committed.contains(&m));
                if count != expected {
                    let what = if expected == 1 {
                        "committed, but read_committed sees it"
                    } else {
                        "never committed, but read_committed sees it"
                    };
                    violations.push(Violation::new(
                        None,
                        format!("producer {} message {m}: {what} {count} times", p.index),
                        mechanism,
                    ));
                }
            }
        }
        InvariantResult::new(
            "read_committed_exactly_once",
            "Transactions: read_committed sees each committed record exactly once and no record that was not committed",
            applicable,
            violations,
        )
    }

    /// A transaction the coordinator has finished (or never heard of) leaves no partition with
    /// an open transaction: otherwise its last stable offset is stuck below the high watermark
    /// for good and read_committed consumers stall (a "hanging transaction", KIP-890).
    pub(crate) fn check_no_hanging_transactions(&self) -> InvariantResult {
        let mut violations = Vec::new();
        let in_progress: BTreeSet<ProducerId> = self
            .coordinator
            .transactions()
            .filter(|m| {
                matches!(
                    m.status,
                    TxnStatus::Ongoing | TxnStatus::PrepareCommit | TxnStatus::PrepareAbort
                )
            })
            .map(|m| m.producer_id)
            .collect();
        let mechanism = self.transactional_mechanism();
        for meta in &self.partitions {
            let replica = self.brokers[self.reference_broker(meta.id) as usize].replica(meta.id);
            for entry in replica.producer_state.entries.values() {
                let Some(first) = entry.current_txn_first_offset else {
                    continue;
                };
                if in_progress.contains(&entry.producer_id) {
                    continue;
                }
                violations.push(Violation::new(
                    None,
                    format!(
                        "partition {}: producer id {} has a transaction open from offset {first} that the coordinator is not completing; the last stable offset stays at {} while the high watermark is {}",
                        meta.id,
                        entry.producer_id,
                        replica.last_stable_offset(),
                        replica.high_watermark
                    ),
                    mechanism,
                ));
            }
        }
        InvariantResult::new(
            "no_hanging_transactions",
            "Transactions: no partition keeps a transaction open that the coordinator is not completing",
            self.producers.iter().any(|p| p.txn.is_some()),
            violations,
        )
    }

    /// P1 and P2: within one (partition, pid, epoch) the leader's sequences are contiguous and
    /// never overlap, unless the broker had lost the producer's state in between.
    pub(crate) fn check_p1_p2(&self) -> InvariantResult {
        let mut violations = Vec::new();
        for meta in &self.partitions {
            let log = &self.brokers[self.reference_broker(meta.id) as usize]
                .replica(meta.id)
                .log;
            let mut last: BTreeMap<(ProducerId, Epoch), Sequence> = BTreeMap::new();
            for batch in log
                .iter()
                .filter(|b| b.producer_id >= 0 && b.control.is_none())
            {
                let key = (batch.producer_id, batch.epoch);
                let end = self
                    .space
                    .last_of(batch.base_sequence, batch.records.len() as u32);
                if let Some(&prev) = last.get(&key) {
                    if !self.space.in_sequence(prev, batch.base_sequence)
                        && !batch.appended_without_state
                    {
                        let mechanism = self
                            .suspects(meta.id, batch)
                            .state_mechanism()
                            .unwrap_or(Mechanism::ModelBug);
                        violations.push(Violation::new(
                            Some(batch.appended_event),
                            format!(
                                "partition {}: pid {} epoch {} jumped from sequence {prev} to {} at offset {}",
                                meta.id, batch.producer_id, batch.epoch, batch.base_sequence, batch.base_offset
                            ),
                            mechanism,
                        ));
                    }
                }
                last.insert(key, end);
            }
        }
        InvariantResult::new(
            "p1_p2_sequences_contiguous",
            "P1/P2: per partition, producer id and epoch, sequences in the log are contiguous with no overlap (unless the broker had lost the producer's state)",
            true,
            violations,
        )
    }

    /// P5: with acks=all, min ISR ≥ 2 and clean elections only, nothing acknowledged is lost.
    pub(crate) fn check_p5(&self, analysis: &LogAnalysis) -> InvariantResult {
        let applicable = self.scenario.cluster.min_insync_replicas >= 2
            && self.history.conditions.unclean_election.is_none()
            && self.scenario.cluster.dedup_rule == DedupRule::Kafka
            && self.producers.iter().all(|p| p.config.acks == Acks::All);
        let violations = if applicable {
            analysis.lost_acked.clone()
        } else {
            Vec::new()
        };
        InvariantResult::new(
            "p5_acked_never_lost",
            "P5: with acks=all, min.insync.replicas ≥ 2 and clean elections, an acknowledged batch is never lost",
            applicable,
            violations,
        )
    }
}
