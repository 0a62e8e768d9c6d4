//! Invariants checked over a run, each violation tied to the event where it happened and
//! explained in plain words. Names follow the reference (P1–P6) where they come from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Acks;
use crate::engine::{LogBatch, MessageOutcome, Simulation};
use crate::error::KafkaError;
use crate::event::{BrokerVerdict, EventKind};
use crate::types::*;

/// Most violations listed per invariant (the count is still exact).
const MAX_VIOLATIONS_LISTED: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The event where it happened, when one can be named.
    pub event: Option<u64>,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantResult {
    pub id: String,
    pub description: String,
    /// False when the run does not meet the invariant's preconditions (it then holds vacuously).
    pub applicable: bool,
    pub holds: bool,
    pub violation_count: u64,
    pub violations: Vec<Violation>,
}

impl InvariantResult {
    /// A result from its violations (listing at most [`MAX_VIOLATIONS_LISTED`]).
    pub fn new(
        id: &str,
        description: &str,
        applicable: bool,
        violations: Vec<Violation>,
    ) -> InvariantResult {
        InvariantResult {
            id: id.to_string(),
            description: description.to_string(),
            applicable,
            holds: violations.is_empty(),
            violation_count: violations.len() as u64,
            violations: violations.into_iter().take(MAX_VIOLATIONS_LISTED).collect(),
        }
    }
}

/// A second copy of an application message in a partition log.
#[derive(Debug, Clone)]
pub(crate) struct Duplicate {
    pub partition: PartitionId,
    pub message: (ProducerIndex, u32),
    pub first_offset: Offset,
    pub offset: Offset,
    pub event: u64,
    pub explanation: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Reordering {
    pub partition: PartitionId,
    pub event: u64,
    pub explanation: String,
}

#[derive(Debug, Clone)]
pub(crate) struct LostAck {
    pub message: (ProducerIndex, u32),
    pub explanation: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct LogAnalysis {
    pub duplicates: Vec<Duplicate>,
    pub reorderings: Vec<Reordering>,
    pub lost_acked: Vec<LostAck>,
}

fn explain_duplicate(first: &LogBatch, second: &LogBatch) -> String {
    if second.producer_id < 0 {
        "duplicate: idempotence was off, so the retried batch was written again".into()
    } else if first.producer_id != second.producer_id {
        "duplicate: the producer restarted with a new producer id and the application re-sent the message".into()
    } else if first.epoch != second.epoch {
        "duplicate: an epoch bump renumbered a batch the broker had already written, so its resend looked new".into()
    } else if second.appended_without_state {
        "duplicate: the broker had no state for this producer (expired or lost), so it accepted the retry as new".into()
    } else {
        "duplicate with no known cause: this is a bug in the model".into()
    }
}

impl Simulation {
    fn unclean_election_happened(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::LeaderElected { unclean: true, .. }))
    }

    pub(crate) fn log_analysis(&self) -> LogAnalysis {
        let mut out = LogAnalysis::default();
        let mut present: BTreeMap<(ProducerIndex, u32), u32> = BTreeMap::new();
        for meta in &self.partitions {
            let broker = self.reference_broker(meta.id);
            let log = &self.brokers[broker as usize].replica(meta.id).log;
            let mut first: BTreeMap<(ProducerIndex, u32), (Offset, usize)> = BTreeMap::new();
            let mut highest: BTreeMap<ProducerIndex, (u32, Offset)> = BTreeMap::new();
            let replica = self.brokers[broker as usize].replica(meta.id);
            for (batch_index, batch) in log.iter().enumerate() {
                for record in &batch.records {
                    let Some(message) = record.message else {
                        continue;
                    };
                    // Data of aborted transactions is invisible to read_committed consumers;
                    // the transactional guarantees are checked on what they read.
                    if batch.transactional && replica.is_aborted(batch.producer_id, record.offset) {
                        continue;
                    }
                    *present.entry(message).or_default() += 1;
                    if let Some(&(first_offset, first_batch)) = first.get(&message) {
                        out.duplicates.push(Duplicate {
                            partition: meta.id,
                            message,
                            first_offset,
                            offset: record.offset,
                            event: batch.appended_event,
                            explanation: explain_duplicate(&log[first_batch], batch),
                        });
                        continue;
                    }
                    first.insert(message, (record.offset, batch_index));
                    match highest.get(&message.0) {
                        Some(&(high, high_offset)) if message.1 < high => out.reorderings.push(Reordering {
                            partition: meta.id,
                            event: batch.appended_event,
                            explanation: format!(
                                "reordering: producer {} message {} landed at offset {} after message {} at offset {}; a retry overtook later batches",
                                message.0, message.1, record.offset, high, high_offset
                            ),
                        }),
                        _ => {
                            highest.insert(message.0, (message.1, record.offset));
                        }
                    }
                }
            }
        }
        let unclean = self.unclean_election_happened();
        for p in self.producers.iter().filter(|p| p.txn.is_none()) {
            for (m, outcome) in p.outcomes.iter().enumerate() {
                let MessageOutcome::Acked { offset } = outcome else {
                    continue;
                };
                let key = (p.index, m as u32);
                if present.contains_key(&key) {
                    continue;
                }
                let explanation = if *offset < 0 && p.config.acks == Acks::All {
                    "acked but never written: the textbook rule discarded the batch as a duplicate"
                        .to_string()
                } else if p.config.acks != Acks::All {
                    format!(
                        "acked then lost: with acks={} the leader answered before followers had the record, then failed",
                        if p.config.acks == Acks::None { "0" } else { "1" }
                    )
                } else if unclean {
                    "acked then lost: an unclean leader election picked a replica that never had it"
                        .to_string()
                } else {
                    "acked then lost with acks=all and clean elections: this is a bug in the model"
                        .to_string()
                };
                out.lost_acked.push(LostAck {
                    message: key,
                    explanation,
                });
            }
        }
        out
    }

    /// Evaluates every invariant over the run so far.
    pub fn check_invariants(&self) -> Vec<InvariantResult> {
        let analysis = self.log_analysis();
        let mut results = Vec::new();
        let result = InvariantResult::new;
        results.push(result(
            "no_duplicates",
            "No application message appears twice in a partition log",
            true,
            analysis
                .duplicates
                .iter()
                .map(|d| Violation {
                    event: Some(d.event),
                    explanation: format!(
                        "{} (producer {} message {} at offsets {} and {} of partition {})",
                        d.explanation,
                        d.message.0,
                        d.message.1,
                        d.first_offset,
                        d.offset,
                        d.partition
                    ),
                })
                .collect(),
        ));
        results.push(result(
            "order_kept",
            "Each producer's messages appear in a partition in the order they were sent",
            true,
            analysis
                .reorderings
                .iter()
                .map(|r| Violation {
                    event: Some(r.event),
                    explanation: format!("{} (partition {})", r.explanation, r.partition),
                })
                .collect(),
        ));
        results.push(result(
            "acked_present",
            "Every acknowledged message is in the log",
            true,
            analysis
                .lost_acked
                .iter()
                .map(|l| Violation {
                    event: None,
                    explanation: format!(
                        "producer {} message {}: {}",
                        l.message.0, l.message.1, l.explanation
                    ),
                })
                .collect(),
        ));
        results.push(self.check_read_committed());
        results.push(self.check_p1_p2());
        results.push(self.check_p3());
        results.push(self.check_p4());
        results.push(self.check_p5(&analysis));
        results.push(self.check_p6());
        results
    }

    /// Transactions: a read_committed consumer sees every record of a committed transaction
    /// exactly once, and nothing of a transaction that never committed.
    fn check_read_committed(&self) -> InvariantResult {
        let mut seen: BTreeMap<(ProducerIndex, u32), u32> = BTreeMap::new();
        for meta in &self.partitions {
            let broker = self.reference_broker(meta.id);
            let replica = self.brokers[broker as usize].replica(meta.id);
            let lso = replica.last_stable_offset();
            for batch in replica
                .log
                .iter()
                .filter(|b| b.control.is_none() && b.transactional)
            {
                for r in batch.records.iter().filter(|r| r.offset < lso) {
                    if let Some(m) = r.message {
                        if !replica.is_aborted(batch.producer_id, r.offset) {
                            *seen.entry(m).or_default() += 1;
                        }
                    }
                }
            }
        }
        let mut violations = Vec::new();
        let mut applicable = false;
        for p in &self.producers {
            let Some(txn) = &p.txn else { continue };
            applicable = true;
            let committed: std::collections::BTreeSet<u32> = txn
                .outcomes
                .iter()
                .filter(|o| o.result == "committed")
                .flat_map(|o| o.messages.iter().copied())
                .collect();
            for m in 0..p.total_messages {
                let count = seen.get(&(p.index, m)).copied().unwrap_or(0);
                let expected = u32::from(committed.contains(&m));
                if count != expected {
                    violations.push(Violation {
                        event: None,
                        explanation: if expected == 1 {
                            format!("producer {} message {}: committed, but read_committed sees it {count} times", p.index, m)
                        } else {
                            format!("producer {} message {}: never committed, but read_committed sees it {count} times", p.index, m)
                        },
                    });
                }
            }
        }
        InvariantResult::new("read_committed_exactly_once", "Transactions: read_committed sees each committed record exactly once and no record that was not committed", applicable, violations)
    }

    /// P1 and P2: within one (partition, pid, epoch) the leader's sequences are contiguous and
    /// never overlap, unless the broker had lost the producer's state in between.
    fn check_p1_p2(&self) -> InvariantResult {
        let mut violations = Vec::new();
        for meta in &self.partitions {
            let broker = self.reference_broker(meta.id);
            let log = &self.brokers[broker as usize].replica(meta.id).log;
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
                        violations.push(Violation {
                            event: Some(batch.appended_event),
                            explanation: format!(
                                "partition {}: pid {} epoch {} jumped from sequence {} to {} at offset {}",
                                meta.id, batch.producer_id, batch.epoch, prev, batch.base_sequence, batch.base_offset
                            ),
                        });
                    }
                }
                last.insert(key, end);
            }
        }
        let (holds_desc, id) = (
            "P1/P2: per partition, producer id and epoch, sequences in the log are contiguous with no overlap (unless the broker had lost the producer's state)",
            "p1_p2_sequences_contiguous",
        );
        InvariantResult::new(id, holds_desc, true, violations)
    }

    /// P3: a duplicate is answered NONE with the original offset and appends nothing.
    fn check_p3(&self) -> InvariantResult {
        let mut violations = Vec::new();
        for e in &self.events {
            let EventKind::BatchVerdict {
                verdict: BrokerVerdict::Duplicate { base_offset, .. },
                batch,
                request,
                ..
            } = &e.kind
            else {
                continue;
            };
            let answered = self
                .responses
                .iter()
                .find(|r| r.request == *request && r.partition == batch.partition);
            if let Some(r) = answered {
                if r.error != KafkaError::None && r.error != KafkaError::RequestTimedOut {
                    violations.push(Violation {
                        event: Some(e.index),
                        explanation: format!("duplicate answered {}", r.error),
                    });
                } else if r.error == KafkaError::None && r.base_offset != *base_offset {
                    violations.push(Violation {
                        event: Some(e.index),
                        explanation: format!(
                            "duplicate answered offset {} instead of the original {}",
                            r.base_offset, base_offset
                        ),
                    });
                }
            }
        }
        InvariantResult::new(
            "p3_duplicate_gets_original_offset",
            "P3: a duplicate gets NONE with the original base offset and appends nothing",
            true,
            violations,
        )
    }

    /// P4: brokers ≥ 2.5 never send UNKNOWN_PRODUCER_ID or DUPLICATE_SEQUENCE_NUMBER.
    fn check_p4(&self) -> InvariantResult {
        let violations: Vec<Violation> = self
            .responses
            .iter()
            .filter(|r| {
                matches!(
                    r.error,
                    KafkaError::UnknownProducerId | KafkaError::DuplicateSequenceNumber
                )
            })
            .map(|r| Violation {
                event: None,
                explanation: format!("broker {} answered {}", r.broker, r.error),
            })
            .collect();
        InvariantResult::new(
            "p4_no_legacy_errors",
            "P4: no UNKNOWN_PRODUCER_ID or DUPLICATE_SEQUENCE_NUMBER from brokers 2.5+",
            true,
            violations,
        )
    }

    /// P5: with acks=all, min ISR ≥ 2 and clean elections only, nothing acknowledged is lost.
    fn check_p5(&self, analysis: &LogAnalysis) -> InvariantResult {
        let applicable = self.scenario.cluster.min_insync_replicas >= 2
            && !self.unclean_election_happened()
            && self.scenario.cluster.dedup_rule == crate::producer_state::DedupRule::Kafka
            && self.producers.iter().all(|p| p.config.acks == Acks::All);
        let violations: Vec<Violation> = if applicable {
            analysis
                .lost_acked
                .iter()
                .map(|l| Violation {
                    event: None,
                    explanation: format!(
                        "producer {} message {}: {}",
                        l.message.0, l.message.1, l.explanation
                    ),
                })
                .collect()
        } else {
            Vec::new()
        };
        InvariantResult::new("p5_acked_never_lost", "P5: with acks=all, min.insync.replicas ≥ 2 and clean elections, an acknowledged batch is never lost", applicable, violations)
    }

    /// P6: while retries are pending on a partition, one retried batch at a time is in flight.
    fn check_p6(&self) -> InvariantResult {
        let mut on_wire: BTreeMap<(ProducerIndex, PartitionId), Vec<u64>> = BTreeMap::new();
        let mut violations = Vec::new();
        for e in &self.events {
            match &e.kind {
                EventKind::RequestSent {
                    producer: Some(p),
                    batches,
                    ..
                } => {
                    if !self.producers[*p as usize].config.idempotent {
                        continue;
                    }
                    for b in batches.iter().filter(|b| b.attempt > 1) {
                        let wire = on_wire.entry((*p, b.partition)).or_default();
                        wire.push(b.batch_id);
                        if wire.len() > 1 {
                            violations.push(Violation {
                                event: Some(e.index),
                                explanation: format!(
                                    "producer {p} had {} retried batches of partition {} in flight",
                                    wire.len(),
                                    b.partition
                                ),
                            });
                        }
                    }
                }
                EventKind::BatchAcked {
                    producer, batch, ..
                }
                | EventKind::BatchRetrying {
                    producer, batch, ..
                }
                | EventKind::BatchFailed {
                    producer, batch, ..
                } => {
                    if let Some(wire) = on_wire.get_mut(&(*producer, batch.partition)) {
                        wire.retain(|&id| id != batch.batch_id);
                    }
                }
                EventKind::ProducerRestarted { producer, .. } => {
                    on_wire.retain(|k, _| k.0 != *producer)
                }
                _ => {}
            }
        }
        InvariantResult::new(
            "p6_one_retry_in_flight",
            "P6: while retries are pending on a partition, exactly one retried batch is in flight",
            self.producers.iter().any(|p| p.config.idempotent),
            violations,
        )
    }
}
