//! Invariants read from the partition logs: duplicates, order and acknowledged records lost.
//! Each violation is classified by [`Mechanism`] from the conditions the run's history
//! recorded before it happened ([`Suspects`], shared with [`super::sequences`]).

use std::collections::BTreeMap;

use super::history::{before, Conditions};
use super::{Mechanism, Violation};
use crate::config::Acks;
use crate::engine::{LogBatch, MessageOutcome, Simulation};
use crate::message_map::MessageMap;
use crate::producer_state::DedupRule;
use crate::types::*;

#[derive(Debug, Clone, Default)]
pub(crate) struct LogAnalysis {
    pub duplicates: Vec<Violation>,
    pub reorderings: Vec<Violation>,
    pub lost_acked: Vec<Violation>,
}

/// How many violations of each kind [`LogAnalysis`] would hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LogCounts {
    pub duplicates: u64,
    pub reorderings: u64,
    pub lost_acked: u64,
}

/// What a walk over a partition's log finds, before anyone explains it.
enum LogFinding<'a> {
    /// `message` at offset `at` of `second`; it was first at `first_offset` of `first`.
    Duplicate {
        partition: PartitionId,
        message: (ProducerIndex, u32),
        at: Offset,
        first_offset: Offset,
        first: &'a LogBatch,
        second: &'a LogBatch,
    },
    /// `message` at offset `at` of `batch`, after the producer's message `after` (number,
    /// offset).
    Reordering {
        partition: PartitionId,
        message: (ProducerIndex, u32),
        at: Offset,
        batch: &'a LogBatch,
        after: (u32, Offset),
    },
}

/// What a weakened guarantee on one partition for one producer id can be blamed on, in the
/// order the checks below try them.
pub(crate) struct Suspects<'a> {
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
    pub(crate) fn state_mechanism(&self) -> Option<Mechanism> {
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
        if self
            .producer
            .is_some_and(|p| before(&c.rejected, &(p, self.partition), self.until))
        {
            return Some(Mechanism::EpochBumpAfterRejection);
        }
        if self
            .producer
            .is_some_and(|p| before(&c.retry_split, &(p, self.partition), self.until))
        {
            return Some(Mechanism::SplitAfterWrite);
        }
        if before(&c.expired_by_fault, &self.partition, self.until) {
            return Some(Mechanism::StateExpiredByFault);
        }
        if before(&c.expired, &key, self.until) {
            return Some(Mechanism::StateExpired);
        }
        if before(&c.records_deleted, &self.partition, self.until) {
            return Some(Mechanism::RecordsDeleted);
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

    pub(crate) fn suspects<'a>(&'a self, partition: PartitionId, batch: &LogBatch) -> Suspects<'a> {
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

    /// Every duplicate, reordering and lost acknowledgement, each explained.
    pub(crate) fn log_analysis(&self) -> LogAnalysis {
        let mut out = LogAnalysis::default();
        let present = self.scan_logs(|finding| match finding {
            LogFinding::Duplicate { partition, message, at, first_offset, first, second } => {
                out.duplicates.push(Violation::new(
                    Some(second.appended_event),
                    format!(
                        "producer {} message {} is at offsets {first_offset} and {at} of partition {partition}",
                        message.0, message.1
                    ),
                    self.duplicate_mechanism(partition, first, second),
                ));
            }
            LogFinding::Reordering { partition, message, at, batch, after } => {
                let (high, high_offset) = after;
                out.reorderings.push(Violation::new(
                    Some(batch.appended_event),
                    format!(
                        "producer {} message {} landed at offset {at} of partition {partition}, after message {high} at offset {high_offset}",
                        message.0, message.1
                    ),
                    self.reordering_mechanism(partition, batch),
                ));
            }
        });
        out.lost_acked = self.lost_acknowledgements(&present);
        out
    }

    /// How many of each [`Simulation::log_analysis`] finds, without explaining them: what the
    /// counters need (a sweep reads them after every run, and idempotence-off runs have
    /// hundreds of duplicates whose sentences nobody reads).
    pub(crate) fn log_counts(&self) -> LogCounts {
        let mut counts = LogCounts::default();
        let present = self.scan_logs(|finding| match finding {
            LogFinding::Duplicate { .. } => counts.duplicates += 1,
            LogFinding::Reordering { .. } => counts.reorderings += 1,
        });
        counts.lost_acked = self.lost_acknowledgements(&present).len() as u64;
        counts
    }

    /// Walks each partition's reference log in offset order and reports each message found a
    /// second time, and each message that landed after a later one of its producer. Returns
    /// every message the logs hold (outside aborted transactions).
    fn scan_logs<'a>(&'a self, mut found: impl FnMut(LogFinding<'a>)) -> MessageMap<()> {
        let mut present: MessageMap<()> = self.message_map();
        for meta in &self.partitions {
            let replica = self.brokers[self.reference_broker(meta.id) as usize].replica(meta.id);
            let mut first: MessageMap<(Offset, usize)> = self.message_map();
            let mut highest: BTreeMap<ProducerIndex, (u32, Offset)> = BTreeMap::new();
            for (batch_index, batch) in replica.log.iter().enumerate() {
                // Data of aborted transactions is invisible to read_committed consumers; the
                // transactional guarantees are checked on what they read.
                if batch.transactional && replica.is_aborted_batch(batch) {
                    continue;
                }
                for record in batch.records.iter() {
                    let Some(message) = record.message else {
                        continue;
                    };
                    present.insert(message, ());
                    if let Some((first_offset, first_batch)) = first.get(message) {
                        found(LogFinding::Duplicate {
                            partition: meta.id,
                            message,
                            at: record.offset,
                            first_offset,
                            first: &replica.log[first_batch],
                            second: batch,
                        });
                        continue;
                    }
                    first.insert(message, (record.offset, batch_index));
                    match highest.get(&message.0) {
                        Some(&after) if message.1 < after.0 => found(LogFinding::Reordering {
                            partition: meta.id,
                            message,
                            at: record.offset,
                            batch,
                            after,
                        }),
                        _ => {
                            highest.insert(message.0, (message.1, record.offset));
                        }
                    }
                }
            }
        }
        present
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
}
