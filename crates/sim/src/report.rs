//! What a finished run says: responses, final logs, outcomes, invariants. The CLI prints it.

use serde::{Deserialize, Serialize};

use crate::engine::{MessageOutcome, ResponseRecord, Simulation};
use crate::invariants::InvariantResult;
use crate::snapshot::{message_key, message_value, LogEntryView};
use crate::types::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub finished_at_ms: TimeMs,
    pub finished_because: String,
    pub event_count: u64,
    /// Every produce response a broker sent, in order.
    pub responses: Vec<ResponseRecord>,
    /// Each partition's final log on its leader (or, when it has none, its first replica).
    pub partitions: Vec<PartitionReport>,
    /// What each application message's `send()` was finally told.
    pub records: Vec<RecordReport>,
    pub counters: Counters,
    pub invariants: Vec<InvariantResult>,
    /// Every transaction of every transactional producer, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub transactions: Vec<TransactionReport>,
    /// The beats of the scenario's story the run reached, with their words.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub beats: Vec<BeatReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ReachedBeat"))]
pub struct BeatReport {
    #[serde(flatten)]
    pub reached: crate::story::ReachedBeat,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransactionReport {
    pub producer: ProducerIndex,
    pub transactional_id: String,
    #[serde(flatten)]
    pub outcome: crate::engine::TxnOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PartitionReport {
    pub partition: PartitionId,
    pub leader: Option<BrokerId>,
    pub high_watermark: Offset,
    pub last_stable_offset: Offset,
    pub log: Vec<LogEntryView>,
    /// Values a read_uncommitted consumer receives: data up to the high watermark.
    pub read_uncommitted: Vec<String>,
    /// Values a read_committed consumer receives: data up to the last stable offset, without
    /// aborted transactions.
    pub read_committed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordReport {
    pub producer: ProducerIndex,
    pub message: u32,
    pub key: String,
    pub value: String,
    pub partition: PartitionId,
    #[serde(flatten)]
    pub outcome: MessageOutcome,
}

/// What consumers with each isolation level read from a log: `(read_uncommitted, read_committed)`.
pub fn consumer_views(
    log: &[LogEntryView],
    high_watermark: Offset,
    last_stable_offset: Offset,
) -> (Vec<String>, Vec<String>) {
    let data = |e: &&LogEntryView| e.control.is_none() && !e.deleted;
    let uncommitted = log
        .iter()
        .filter(data)
        .filter(|e| e.offset < high_watermark)
        .map(|e| e.value.clone())
        .collect();
    let committed = log
        .iter()
        .filter(data)
        .filter(|e| e.offset < last_stable_offset && !e.aborted)
        .map(|e| e.value.clone())
        .collect();
    (uncommitted, committed)
}

/// Totals the UI shows as counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counters {
    pub requests_sent: u64,
    pub batches_sent: u64,
    pub retries: u64,
    pub duplicates_prevented: u64,
    pub duplicates_written: u64,
    pub reorderings: u64,
    pub acked: u64,
    pub failed: u64,
    pub lost: u64,
    pub epoch_bumps: u64,
}

impl Simulation {
    /// The replica whose log counts as "the partition": the leader, or the first replica.
    pub(crate) fn reference_broker(&self, partition: PartitionId) -> BrokerId {
        let meta = &self.partitions[partition as usize];
        meta.leader.unwrap_or(meta.replicas[0])
    }

    pub fn report(&self) -> Report {
        let partitions: Vec<PartitionReport> = self
            .partitions
            .iter()
            .map(|meta| {
                let broker = self.reference_broker(meta.id);
                let replica = self.brokers[broker as usize].replica(meta.id);
                let log = self.log_entries(broker, meta.id);
                let (read_uncommitted, read_committed) =
                    consumer_views(&log, replica.high_watermark, replica.last_stable_offset());
                PartitionReport {
                    partition: meta.id,
                    leader: meta.leader,
                    high_watermark: replica.high_watermark,
                    last_stable_offset: replica.last_stable_offset(),
                    log,
                    read_uncommitted,
                    read_committed,
                }
            })
            .collect();
        let records = self
            .producers
            .iter()
            .flat_map(|p| {
                p.outcomes
                    .iter()
                    .enumerate()
                    .map(move |(m, outcome)| RecordReport {
                        producer: p.index,
                        message: m as u32,
                        key: message_key(m as u32),
                        value: message_value(p.index, m as u32),
                        partition: p.message_partition[m],
                        outcome: outcome.clone(),
                    })
            })
            .collect();
        Report {
            scenario: self.scenario.name.clone(),
            seed: self.scenario.seed,
            finished_at_ms: self.now_ms,
            finished_because: self.finished().unwrap_or("still running").to_string(),
            event_count: self.event_count,
            responses: self.responses.to_vec(),
            counters: self.counters(),
            invariants: self.check_invariants(),
            partitions,
            records,
            transactions: self
                .producers
                .iter()
                .filter_map(|p| p.txn.as_ref().map(|t| (p.index, t)))
                .flat_map(|(producer, t)| {
                    t.outcomes.iter().map(move |o| TransactionReport {
                        producer,
                        transactional_id: t.transactional_id.clone(),
                        outcome: o.clone(),
                    })
                })
                .collect(),
            beats: self.report_beats(),
        }
    }

    /// The beats reached so far, with their words.
    pub fn report_beats(&self) -> Vec<BeatReport> {
        self.beats_reached()
            .iter()
            .map(|&reached| BeatReport {
                reached,
                text: self.scenario.beats[reached.beat].text.clone(),
            })
            .collect()
    }

    pub fn counters(&self) -> Counters {
        let mut c = self.history.counters.clone();
        c.acked = self
            .producers
            .iter()
            .map(|p| {
                p.outcomes
                    .iter()
                    .filter(|o| matches!(o, MessageOutcome::Acked { .. }))
                    .count() as u64
            })
            .sum();
        let log = self.log_counts();
        c.duplicates_written = log.duplicates;
        c.reorderings = log.reorderings;
        c.lost = log.lost_acked;
        c
    }
}
