//! What a run has done so far, kept as it goes (TigerBeetle's checkers run on every commit):
//! the counters, the per-response checks P3, P4 and P6, and the conditions that can explain a
//! later violation (an expiry, a clean restart, a crafted request, a delivery timeout...).
//!
//! The engine feeds every event here as it is emitted, so nothing needs the event list
//! afterwards: a long run can drop its events and still be checked.

use std::collections::BTreeMap;

use crate::error::KafkaError;
use crate::event::{BrokerVerdict, EventKind};
use crate::fault::Fault;
use crate::report::Counters;
use crate::types::*;

use super::Violation;
use super::{Mechanism, MAX_VIOLATIONS_LISTED};

/// A violation found as the run went, with the total count kept exact.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub count: u64,
    pub listed: Vec<Violation>,
}

impl Found {
    fn push(&mut self, violation: Violation) {
        self.count += 1;
        if self.listed.len() < MAX_VIOLATIONS_LISTED {
            self.listed.push(violation);
        }
    }
}

/// Conditions that weaken the idempotence guarantee, each at the first event it happened.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    pub unclean_election: Option<u64>,
    /// `(partition, producer id)` forgotten by `producer.id.expiration.ms`.
    pub expired: BTreeMap<(PartitionId, ProducerId), u64>,
    /// Partitions an `expire_producer_state` fault was aimed at.
    pub expired_by_fault: BTreeMap<PartitionId, u64>,
    /// Brokers that restarted from a snapshot (a clean shutdown).
    pub snapshot_restart: BTreeMap<BrokerId, u64>,
    /// `(partition, producer id)` a crafted request wrote to.
    pub crafted: BTreeMap<(PartitionId, ProducerId), u64>,
    /// `(partition, producer id)` appended while the leader had no state, at a sequence other than 0.
    pub unknown_producer_accepted: BTreeMap<(PartitionId, ProducerId), u64>,
    /// `(producer, partition)` whose batch expired with its fate unknown.
    pub delivery_timeout: BTreeMap<(ProducerIndex, PartitionId), u64>,
    /// Partitions whose log start offset DeleteRecords moved.
    pub records_deleted: BTreeMap<PartitionId, u64>,
    /// `(producer, partition)` whose batch the broker refused for good.
    pub rejected: BTreeMap<(ProducerIndex, PartitionId), u64>,
    /// `(producer, partition)` whose retried batch was split after MESSAGE_TOO_LARGE.
    pub retry_split: BTreeMap<(ProducerIndex, PartitionId), u64>,
    /// Producers restarted without a transactional id.
    pub producer_restart: BTreeMap<ProducerIndex, u64>,
}

/// Whether a condition recorded at some event happened before `event`.
pub(crate) fn before<K: Ord>(map: &BTreeMap<K, u64>, key: &K, event: u64) -> bool {
    map.get(key).is_some_and(|&at| at < event)
}

#[derive(Debug, Clone)]
pub(crate) struct History {
    /// Per producer: idempotent, transactional.
    producers: Vec<(bool, bool)>,
    pub counters: Counters,
    pub conditions: Conditions,
    /// Duplicates awaiting their answer: `(request, partition)` → (event, original base offset).
    duplicate_answers: BTreeMap<(u64, PartitionId), (u64, Offset)>,
    pub p3: Found,
    pub p4: Found,
    /// Retried batches on the wire per `(producer, partition)`.
    retries_on_wire: BTreeMap<(ProducerIndex, PartitionId), Vec<u64>>,
    pub p6: Found,
}

fn remember<K: Ord>(map: &mut BTreeMap<K, u64>, key: K, event: u64) {
    map.entry(key).or_insert(event);
}

impl History {
    /// `producers`: for each producer, whether it is idempotent and whether it is transactional.
    pub fn new(producers: Vec<(bool, bool)>) -> History {
        History {
            producers,
            counters: Counters::default(),
            conditions: Conditions::default(),
            duplicate_answers: BTreeMap::new(),
            p3: Found::default(),
            p4: Found::default(),
            retries_on_wire: BTreeMap::new(),
            p6: Found::default(),
        }
    }

    /// Takes in the event numbered `index` (the history needs no time, and a run that keeps
    /// no events builds none).
    pub fn observe(&mut self, index: u64, kind: &EventKind) {
        self.count(kind);
        self.note_conditions(index, kind);
        self.check_duplicate_answers(index, kind);
        self.check_legacy_errors(index, kind);
        self.check_one_retry_in_flight(index, kind);
    }

    fn count(&mut self, kind: &EventKind) {
        let c = &mut self.counters;
        match kind {
            EventKind::RequestSent {
                batches,
                producer: Some(_),
                ..
            } => {
                c.requests_sent += 1;
                c.batches_sent += batches.len() as u64;
            }
            EventKind::BatchRetrying { .. } => c.retries += 1,
            EventKind::BatchVerdict {
                verdict: BrokerVerdict::Duplicate { .. },
                ..
            } => c.duplicates_prevented += 1,
            EventKind::BatchFailed { batch, .. } => c.failed += u64::from(batch.record_count),
            EventKind::EpochBumped { .. } => c.epoch_bumps += 1,
            _ => {}
        }
    }

    fn note_conditions(&mut self, index: u64, kind: &EventKind) {
        let c = &mut self.conditions;
        let at = index;
        match kind {
            EventKind::LeaderElected { unclean: true, .. } => {
                c.unclean_election.get_or_insert(at);
            }
            EventKind::ProducerStateExpired {
                partition,
                producer_id,
                by_fault,
                ..
            } => {
                if *by_fault {
                    remember(&mut c.expired_by_fault, *partition, at);
                } else {
                    remember(&mut c.expired, (*partition, *producer_id), at);
                }
            }
            EventKind::BrokerStarted {
                broker,
                from_snapshot: true,
                ..
            } => remember(&mut c.snapshot_restart, *broker, at),
            EventKind::FaultInjected {
                fault:
                    Some(Fault::InjectProduce {
                        partition,
                        producer_id,
                        ..
                    }),
                ..
            } => remember(&mut c.crafted, (*partition, *producer_id), at),
            EventKind::BatchVerdict {
                batch,
                verdict:
                    BrokerVerdict::Appended {
                        unknown_producer: true,
                        ..
                    },
                ..
            } if batch.base_sequence > 0 => remember(
                &mut c.unknown_producer_accepted,
                (batch.partition, batch.producer_id),
                at,
            ),
            // Expired in the accumulator or in flight (DELIVERY_TIMEOUT), or answered with a
            // retriable error after delivery.timeout.ms had passed (Sender.canRetry refuses):
            // either way the client gives up on a batch the broker may have written.
            EventKind::BatchFailed {
                producer,
                batch,
                maybe_written: true,
                ..
            } => remember(&mut c.delivery_timeout, (*producer, batch.partition), at),
            EventKind::BatchFailed {
                producer,
                batch,
                error,
                maybe_written: false,
            } if error.is_refusal_of_the_batch() => {
                remember(&mut c.rejected, (*producer, batch.partition), at)
            }
            EventKind::RecordsDeleted { partition, .. } => {
                remember(&mut c.records_deleted, *partition, at)
            }
            EventKind::BatchSplit {
                producer, batch, ..
            } if batch.attempt > 1 => {
                remember(&mut c.retry_split, (*producer, batch.partition), at)
            }
            EventKind::ProducerRestarted { producer, .. }
                if !self.producers.get(*producer as usize).is_some_and(|p| p.1) =>
            {
                remember(&mut c.producer_restart, *producer, at)
            }
            _ => {}
        }
    }

    /// P3: a duplicate answered NONE carries the original base offset. Other answers come from
    /// the DelayedProduce that waits for the original (NOT_ENOUGH_REPLICAS_AFTER_APPEND when the
    /// ISR shrank meanwhile, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT), as in Kafka.
    fn check_duplicate_answers(&mut self, index: u64, kind: &EventKind) {
        match kind {
            EventKind::BatchVerdict {
                request,
                batch,
                verdict: BrokerVerdict::Duplicate { base_offset, .. },
                ..
            } => {
                self.duplicate_answers
                    .insert((*request, batch.partition), (index, *base_offset));
            }
            EventKind::ResponseSent {
                request, results, ..
            } => {
                for r in results {
                    let Some((event, original)) =
                        self.duplicate_answers.remove(&(*request, r.partition))
                    else {
                        continue;
                    };
                    let wrong = match r.error {
                        KafkaError::None => r.base_offset != original,
                        KafkaError::NotEnoughReplicasAfterAppend
                        | KafkaError::NotLeaderOrFollower
                        | KafkaError::RequestTimedOut => false,
                        _ => true,
                    };
                    if wrong {
                        self.p3.push(Violation::new(
                            Some(event),
                            format!(
                                "the duplicate of offset {original} was answered {} with offset {}",
                                r.error, r.base_offset
                            ),
                            Mechanism::ModelBug,
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// P4: brokers 2.5+ never send UNKNOWN_PRODUCER_ID or DUPLICATE_SEQUENCE_NUMBER.
    fn check_legacy_errors(&mut self, index: u64, kind: &EventKind) {
        let EventKind::ResponseSent {
            broker, results, ..
        } = kind
        else {
            return;
        };
        for r in results.iter().filter(|r| {
            matches!(
                r.error,
                KafkaError::UnknownProducerId | KafkaError::DuplicateSequenceNumber
            )
        }) {
            self.p4.push(Violation::new(
                Some(index),
                format!("broker {broker} answered {}", r.error),
                Mechanism::ModelBug,
            ));
        }
    }

    /// P6: while retries are pending on a partition, one retried batch at a time is in flight.
    fn check_one_retry_in_flight(&mut self, index: u64, kind: &EventKind) {
        match kind {
            EventKind::RequestSent {
                producer: Some(p),
                batches,
                ..
            } => {
                if !self.producers.get(*p as usize).is_some_and(|c| c.0) {
                    return;
                }
                for b in batches.iter().filter(|b| b.attempt > 1) {
                    let wire = self.retries_on_wire.entry((*p, b.partition)).or_default();
                    wire.push(b.batch_id);
                    if wire.len() > 1 {
                        let n = wire.len();
                        self.p6.push(Violation::new(
                            Some(index),
                            format!(
                                "producer {p} had {n} retried batches of partition {} in flight",
                                b.partition
                            ),
                            Mechanism::ModelBug,
                        ));
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
            }
            | EventKind::BatchSplit {
                producer, batch, ..
            } => {
                if let Some(wire) = self.retries_on_wire.get_mut(&(*producer, batch.partition)) {
                    wire.retain(|&id| id != batch.batch_id);
                }
            }
            EventKind::ProducerRestarted { producer, .. } => {
                self.retries_on_wire.retain(|k, _| k.0 != *producer)
            }
            _ => {}
        }
    }
}
