//! One partition's copy on one broker (Kafka's `UnifiedLog` with its `ProducerStateManager`,
//! and the leader's view of its followers from `Partition`): the log, the high watermark, the
//! producer state rebuilt from the log, and the rules that read or change them.
//!
//! The rules, in the order a batch meets them:
//! - the leader checks a produced batch ([`Replica::check_batch`]) and appends it
//!   ([`Replica::append_produced`]);
//! - followers fetch: the leader finds where a follower's log diverges ([`Replica::divergence`])
//!   or hands it the batches from its fetch offset ([`Replica::batches_from`]); the follower
//!   appends them blindly ([`Replica::append_fetched`]) or truncates ([`Replica::truncate_to`]);
//! - the leader's high watermark is the smallest log end in the ISR
//!   ([`Replica::high_watermark_for`]); the last stable offset stops at the oldest open
//!   transaction ([`Replica::last_stable_offset`]).
//!
//! Everything here is a plain value: a replica can be unit-tested with no broker or world.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::WireBatch;
use crate::chunked::ChunkedVec;
use crate::error::KafkaError;
use crate::event::BrokerVerdict;
use crate::producer_state::{DedupRule, IncomingBatch, ProducerStateTable, Verdict};
use crate::sequence::SequenceSpace;
use crate::types::*;

/// One record in a partition log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    pub offset: Offset,
    pub sequence: Sequence,
    /// `(producer application, message index)`; `None` for crafted records.
    pub message: Option<(ProducerIndex, u32)>,
}

// `ControlMarker` lives in `crate::event` (events name it too, and the event vocabulary does
// not depend on the engine).
pub use crate::event::ControlMarker;

/// An aborted transaction of one producer on one partition (the aborted-transaction index
/// a read_committed consumer uses to skip its records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortedTxn {
    pub producer_id: ProducerId,
    pub first_offset: Offset,
    /// The ABORT marker's offset.
    pub last_offset: Offset,
}

/// The aborted-transaction index of one log (what `read_committed` consumers use to skip aborted
/// data): per producer id, its aborted transactions in offset order. They never overlap, so a
/// lookup is a binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AbortedIndex(BTreeMap<ProducerId, Vec<AbortedTxn>>);

impl AbortedIndex {
    /// Records an aborted transaction; markers are appended in log order, so each producer's
    /// list stays sorted.
    pub fn push(&mut self, txn: AbortedTxn) {
        let list = self.0.entry(txn.producer_id).or_default();
        debug_assert!(list.last().is_none_or(|a| a.last_offset < txn.first_offset));
        list.push(txn);
    }

    /// Keeps the transactions that ended before `offset` (the index files of the log below a
    /// loaded snapshot stay on disk; what is above is replayed).
    fn keep_ended_before(&mut self, offset: Offset) {
        for list in self.0.values_mut() {
            list.retain(|a| a.last_offset < offset);
        }
        self.0.retain(|_, list| !list.is_empty());
    }

    /// Whether the record at `offset` of `producer_id` belongs to an aborted transaction.
    pub fn contains(&self, producer_id: ProducerId, offset: Offset) -> bool {
        let Some(list) = self.0.get(&producer_id) else {
            return false;
        };
        let i = list.partition_point(|a| a.last_offset <= offset);
        list.get(i).is_some_and(|a| a.first_offset <= offset)
    }
}

/// One batch in a partition log, as appended by the leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogBatch {
    pub base_offset: Offset,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub base_sequence: Sequence,
    pub leader_epoch: u32,
    pub max_timestamp_ms: TimeMs,
    pub records: Vec<LogRecord>,
    /// Index of the event at which the leader appended it (for invariant explanations).
    pub appended_event: u64,
    /// Whether the leader had no producer state for this producer id when it appended.
    pub appended_without_state: bool,
    /// Part of a transaction (data or marker).
    pub transactional: bool,
    /// A COMMIT or ABORT marker (one record, invisible to consumers).
    pub control: Option<ControlMarker>,
    /// The producer's batch (`WireBatch::batch_id`) these records came from, kept for drawing
    /// only (one colour per batch from the producer to the log): no broker rule reads it.
    /// `None` for markers and crafted records.
    pub client_batch: Option<u64>,
}

impl LogBatch {
    pub fn last_offset(&self) -> Offset {
        self.base_offset + self.records.len() as Offset - 1
    }

    pub fn incoming(&self, space: SequenceSpace) -> IncomingBatch {
        IncomingBatch {
            producer_id: self.producer_id,
            epoch: self.epoch,
            base_seq: self.base_sequence,
            last_seq: space.last_of_batch(self.base_sequence, self.records.len() as u32),
            max_timestamp_ms: self.max_timestamp_ms,
        }
    }
}

/// A replica of a partition on one broker. Log and producer state are volatile in the sense
/// of the model: the log survives a restart (it is on disk), the producer state is rebuilt.
#[derive(Debug, Clone, Default)]
pub struct Replica {
    pub log: ChunkedVec<LogBatch>,
    pub high_watermark: Offset,
    pub producer_state: ProducerStateTable,
    /// Leader only: the last fetch offset of each follower.
    pub follower_fetch_offset: BTreeMap<BrokerId, Offset>,
    /// Leader only: when each follower last caught up with the log end.
    pub follower_caught_up_ms: BTreeMap<BrokerId, TimeMs>,
    /// Leader only: followers whose fetch is parked waiting for data.
    pub parked_fetches: BTreeSet<BrokerId>,
    /// Whether this replica's log has ever held a record (KAFKA-15591 looks at this).
    pub ever_written: bool,
    /// Aborted transactions in this log.
    pub aborted: AbortedIndex,
    /// The first offset consumers may read: DeleteRecords moved it up. The records below stay
    /// in the model's memory (so the lab can still show and check them), but no consumer reads
    /// them and a rebuild of the producer state does not replay them.
    pub log_start_offset: Offset,
    /// When the log start offset moved, and to where: an unclean stop keeps only what the
    /// periodic checkpoint had written (see [`Replica::checkpointed_log_start`]).
    pub log_start_moves: Vec<(TimeMs, Offset)>,
    /// The producer-state snapshot files on disk: a restart or a truncation loads the newest
    /// and replays the log after it.
    pub snapshots: SnapshotFiles,
}

/// `log.flush.start.offset.checkpoint.interval.ms`: how often a broker writes its log start
/// offsets to disk (`LogManager`'s `kafka-log-start-offset-checkpoint` task, every minute from
/// start-up). A clean shutdown writes them too.
pub const LOG_START_CHECKPOINT_MS: TimeMs = 60_000;

/// The producer-state snapshot files of one log (`<offset>.snapshot`, written by
/// `ProducerStateManager.takeSnapshot`), by offset. Each keeps only the last batch of every
/// producer. Kafka writes one at every segment roll, on clean shutdown (`UnifiedLog.close`) and
/// at the end of every rebuild (start-up, truncation); the model's logs are one segment
/// (`segment.bytes` is 1 GiB and `segment.ms` 7 days, which its logs do not reach), so only the
/// last two kinds occur.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFiles(BTreeMap<Offset, ProducerStateTable>);

impl SnapshotFiles {
    /// `takeSnapshot` at `offset` (a file already there is written again).
    pub fn take(&mut self, offset: Offset, state: &ProducerStateTable) {
        self.0.insert(offset, state.snapshot_last_batch_only());
    }

    /// `removeStraySnapshots` at start-up: a file that is not at a segment's base offset goes,
    /// except the newest, which a clean shutdown wrote. With one segment, based at 0, only the
    /// newest file (and one at 0) survives.
    pub fn remove_strays(&mut self) {
        let newest = self.0.keys().next_back().copied();
        self.0
            .retain(|&offset, _| offset == 0 || Some(offset) == newest);
    }

    /// `truncateAndReload`'s first step: files above the log end, or at or below the log
    /// start, are deleted. Returns the newest file left, the one the state is loaded from.
    pub fn keep_within(
        &mut self,
        log_start_offset: Offset,
        log_end_offset: Offset,
    ) -> Option<(Offset, &ProducerStateTable)> {
        self.0
            .retain(|&offset, _| offset > log_start_offset && offset <= log_end_offset);
        self.0
            .iter()
            .next_back()
            .map(|(&offset, table)| (offset, table))
    }

    /// The offsets of the files on disk, oldest first.
    #[cfg(test)]
    pub fn offsets(&self) -> Vec<Offset> {
        self.0.keys().copied().collect()
    }
}

/// Replays a log into producer state (and the aborted-transaction index), as
/// `rebuildProducerState` does after a snapshot is loaded, or with none: batches from offset
/// `from` on are read, and batches wholly below `log_start_offset` were deleted and are not.
fn replay_log(
    (table, aborted): (&mut ProducerStateTable, &mut AbortedIndex),
    log: &ChunkedVec<LogBatch>,
    (from, log_start_offset): (Offset, Offset),
    space: SequenceSpace,
) {
    let first = log.partition_point(|b| b.base_offset < from);
    let kept = |b: &&LogBatch| b.producer_id >= 0 && b.last_offset() >= log_start_offset;
    for batch in log.iter_from(first).filter(kept) {
        apply_to_state(table, aborted, batch, space);
    }
}

/// What every replica does with an appended batch: leaders after their checks, followers blindly.
fn apply_to_state(
    table: &mut ProducerStateTable,
    aborted: &mut AbortedIndex,
    batch: &LogBatch,
    space: SequenceSpace,
) {
    match batch.control {
        Some(marker) => {
            let first = table.record_marker(batch.producer_id, batch.epoch, batch.max_timestamp_ms);
            if let (ControlMarker::Abort, Some(first_offset)) = (marker, first) {
                aborted.push(AbortedTxn {
                    producer_id: batch.producer_id,
                    first_offset,
                    last_offset: batch.base_offset,
                });
            }
        }
        None => table.record_append_in_txn(
            &batch.incoming(space),
            batch.base_offset,
            batch.last_offset(),
            batch.transactional,
        ),
    }
}

impl Replica {
    pub fn log_end_offset(&self) -> Offset {
        self.log.last().map_or(0, |b| b.last_offset() + 1)
    }

    /// DeleteRecords on this replica: the log start moves up to `offset` (never past the log
    /// end, never down). The producer state is left as it is (`onLogStartOffsetIncremented`
    /// deletes only snapshot files since 2.5, KAFKA-7190). Returns whether it moved.
    pub fn delete_records_before(&mut self, offset: Offset, now: TimeMs) -> bool {
        let start = offset.min(self.log_end_offset());
        let moved = start > self.log_start_offset;
        if moved {
            self.log_start_offset = start;
            self.log_start_moves.push((now, start));
        }
        moved
    }

    /// The log start offset an unclean stop at `now` finds on disk: the one the last periodic
    /// checkpoint wrote. A move since then is lost, and the records it deleted are read again.
    pub fn checkpointed_log_start(&self, now: TimeMs) -> Offset {
        let last_checkpoint = now - now % LOG_START_CHECKPOINT_MS;
        self.log_start_moves
            .iter()
            .take_while(|&&(at, _)| at <= last_checkpoint && last_checkpoint > 0)
            .last()
            .map_or(0, |&(_, offset)| offset)
    }

    pub fn record_count(&self) -> usize {
        self.log.iter().map(|b| b.records.len()).sum()
    }

    /// Appends a batch at the log end and applies it to the producer state, as every replica
    /// does after an append (leaders after their checks, followers blindly).
    pub fn append(&mut self, batch: LogBatch, space: SequenceSpace) {
        debug_assert_eq!(batch.base_offset, self.log_end_offset());
        if batch.producer_id >= 0 {
            apply_to_state(&mut self.producer_state, &mut self.aborted, &batch, space);
        }
        self.log.push(batch);
        self.ever_written = true;
    }

    /// LSO: read_committed consumers read up to here (the HW, or the start of the oldest open
    /// transaction if that is lower).
    pub fn last_stable_offset(&self) -> Offset {
        self.producer_state
            .first_unstable_offset()
            .map_or(self.high_watermark, |first| first.min(self.high_watermark))
    }

    /// Whether the record at `offset` of producer `producer_id` belongs to an aborted transaction.
    pub fn is_aborted(&self, producer_id: ProducerId, offset: Offset) -> bool {
        self.aborted.contains(producer_id, offset)
    }

    /// Whether a data batch belongs to an aborted transaction (a batch never straddles a marker).
    pub fn is_aborted_batch(&self, batch: &LogBatch) -> bool {
        batch.transactional
            && batch.control.is_none()
            && self.is_aborted(batch.producer_id, batch.base_offset)
    }
}

/// The broker settings the leader's batch checks depend on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProduceRules {
    pub space: SequenceSpace,
    pub dedup_rule: DedupRule,
    /// KAFKA-15591 (brokers 4.5+): a producer new to an empty partition must start at 0.
    pub new_partition_requires_sequence_zero: bool,
    /// KAFKA-18202 (brokers 4.1+): a transactions-v2 batch from a producer the partition has
    /// no state for must start at 0.
    pub v2_unknown_producer_requires_sequence_zero: bool,
}

/// Whether two replicas hold the same batch at the same place.
fn same_batch(a: &LogBatch, b: &LogBatch) -> bool {
    a.base_offset == b.base_offset
        && a.leader_epoch == b.leader_epoch
        && a.producer_id == b.producer_id
        && a.base_sequence == b.base_sequence
        && a.records.len() == b.records.len()
}

/// The first batch of `f` that differs from `l`, comparing from the start (the reference the
/// fast search in [`Replica::divergence`] is checked against in debug builds).
fn divergence_from_start(l: &ChunkedVec<LogBatch>, f: &ChunkedVec<LogBatch>) -> Option<Offset> {
    let common = l
        .iter()
        .zip(f.iter())
        .take_while(|(a, b)| same_batch(a, b))
        .count();
    (common < f.len()).then(|| f[common].base_offset)
}

/// The header a batch carries on the wire, as the producer state reads it.
fn incoming(wire: &WireBatch, space: SequenceSpace) -> IncomingBatch {
    IncomingBatch {
        producer_id: wire.producer_id,
        epoch: wire.epoch,
        base_seq: wire.base_sequence,
        last_seq: space.last_of_batch(wire.base_sequence, wire.record_count),
        max_timestamp_ms: wire.max_timestamp_ms,
    }
}

impl Replica {
    // -----------------------------------------------------------------------------------------
    // Leader: the produce path.

    /// The checks a leader's log makes on a batch once the partition-level ones passed
    /// (`UnifiedLog.analyzeAndValidateProducerState`): a non-transactional batch while its
    /// producer has a transaction open here is refused; then the producer state decides:
    /// a duplicate of a cached batch, a fenced epoch, a sequence out of order, or the append.
    /// A batch with no producer id is not checked. `Ok` means: append it.
    pub fn check_batch(
        &self,
        wire: &WireBatch,
        rules: &ProduceRules,
        transactions_v2: bool,
    ) -> Result<(), BrokerVerdict> {
        if wire.producer_id < 0 {
            return Ok(());
        }
        if !wire.transactional && self.producer_state.has_open_transaction(wire.producer_id) {
            return Err(BrokerVerdict::Rejected {
                error: KafkaError::InvalidTxnState,
                reason: Some(crate::producer_state::RejectReason::TransactionOpen),
            });
        }
        let strict = (rules.new_partition_requires_sequence_zero && !self.ever_written)
            || (rules.v2_unknown_producer_requires_sequence_zero
                && transactions_v2
                && wire.transactional);
        let batch = incoming(wire, rules.space);
        match self
            .producer_state
            .validate_with(&batch, rules.space, rules.dedup_rule, strict)
        {
            Verdict::Append => Ok(()),
            Verdict::Duplicate(m) => Err(BrokerVerdict::Duplicate {
                base_offset: m.first_offset,
                last_offset: m.last_offset,
            }),
            Verdict::Reject { error, reason } => Err(BrokerVerdict::Rejected {
                error,
                reason: Some(reason),
            }),
            Verdict::TextbookDiscard { last_seen } => {
                Err(BrokerVerdict::TextbookDiscarded { last_seen })
            }
        }
    }

    /// Appends a checked batch at the log end, stamped with the leader epoch and the index of
    /// the event that appends it, and says where it went.
    pub fn append_produced(
        &mut self,
        wire: &WireBatch,
        leader_epoch: u32,
        appended_event: u64,
        space: SequenceSpace,
    ) -> BrokerVerdict {
        let unknown_producer =
            wire.producer_id >= 0 && self.producer_state.entry(wire.producer_id).is_none();
        let base_offset = self.log_end_offset();
        let records = wire
            .payload
            .iter()
            .enumerate()
            .map(|(i, message)| LogRecord {
                offset: base_offset + i as Offset,
                sequence: if wire.base_sequence < 0 {
                    NO_SEQUENCE
                } else {
                    space.increment(wire.base_sequence, i as i32)
                },
                message: *message,
            })
            .collect();
        let batch = LogBatch {
            base_offset,
            producer_id: wire.producer_id,
            epoch: wire.epoch,
            base_sequence: wire.base_sequence,
            leader_epoch,
            max_timestamp_ms: wire.max_timestamp_ms,
            records,
            appended_event,
            appended_without_state: unknown_producer,
            transactional: wire.transactional,
            control: None,
            // Crafted records (an injected batch) come from no producer batch.
            client_batch: wire
                .payload
                .iter()
                .any(Option::is_some)
                .then_some(wire.batch_id),
        };
        let last_offset = batch.last_offset();
        self.append(batch, space);
        BrokerVerdict::Appended {
            base_offset,
            last_offset,
            unknown_producer,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Leader: followers and the high watermark.

    /// The high watermark this leader's log supports: the smallest log end among the ISR,
    /// its own included, taking each follower's as of its last fetch, and never above its
    /// own log end.
    pub fn high_watermark_for(&self, leader: BrokerId, isr: &[BrokerId]) -> Offset {
        let leo = self.log_end_offset();
        isr.iter()
            .map(|&b| {
                if b == leader {
                    leo
                } else {
                    self.follower_fetch_offset.get(&b).copied().unwrap_or(0)
                }
            })
            .min()
            .unwrap_or(leo)
            .min(leo)
    }

    /// Where a follower's log stops matching this leader's (what KIP-101/279 epoch-based
    /// truncation finds through the leader epoch cache), or `None` when it matches.
    ///
    /// Logs have Raft's log-matching property: a batch with a given offset and leader epoch
    /// was written by that epoch's leader, and a follower only appends what matched the
    /// leader's log up to there. So once the follower's batch at some offset matches the
    /// leader's, everything before it matches too, and the search walks back from the
    /// follower's end: one binary search when the logs agree, a few steps when a tail
    /// diverges, instead of comparing both logs from the start on every fetch.
    pub fn divergence(&self, follower: &Replica) -> Option<Offset> {
        let (l, f) = (&self.log, &follower.log);
        let matches = |b: &LogBatch| {
            let i = l.partition_point(|a| a.base_offset < b.base_offset);
            l.get(i).is_some_and(|a| same_batch(a, b))
        };
        let kept = (0..f.len())
            .rev()
            .find(|&i| matches(&f[i]))
            .map_or(0, |i| i + 1);
        let found = (kept < f.len()).then(|| f[kept].base_offset);
        debug_assert!(
            f.len() > 64 || found == divergence_from_start(l, f),
            "two replicas break the log-matching property"
        );
        found
    }

    /// At most `max` batches from `fetch_offset` on (the log is in offset order, so the first
    /// is found by binary search).
    pub fn batches_from(&self, fetch_offset: Offset, max: usize) -> Vec<LogBatch> {
        let from = self.log.partition_point(|b| b.base_offset < fetch_offset);
        self.log.iter_from(from).take(max).cloned().collect()
    }

    /// The followers of the ISR that have not caught up with the leader's log end for more
    /// than `replica.lag.time.max.ms` (`Partition.getOutOfSyncReplicas`).
    pub fn out_of_sync(
        &self,
        leader: BrokerId,
        isr: &[BrokerId],
        (now_ms, lag_max_ms): (TimeMs, TimeMs),
    ) -> Vec<BrokerId> {
        let caught_up_ms = |b: &BrokerId| self.follower_caught_up_ms.get(b).copied().unwrap_or(0);
        isr.iter()
            .copied()
            .filter(|&b| b != leader)
            .filter(|b| now_ms.saturating_sub(caught_up_ms(b)) > lag_max_ms)
            .collect()
    }

    /// This replica now leads (`Partition.makeLeader`): its view of the followers starts
    /// afresh, with every ISR member counted as caught up now.
    pub fn become_leader(&mut self, isr: &[BrokerId], now_ms: TimeMs) {
        self.follower_fetch_offset.clear();
        self.parked_fetches.clear();
        for &b in isr {
            self.follower_caught_up_ms.insert(b, now_ms);
        }
    }

    /// Records a follower's fetch from `fetch_offset`. A fetch from the log end counts as
    /// caught up (its `replica.lag.time.max.ms` clock restarts).
    pub fn record_fetch(&mut self, follower: BrokerId, fetch_offset: Offset, now_ms: TimeMs) {
        self.follower_fetch_offset.insert(follower, fetch_offset);
        if fetch_offset >= self.log_end_offset() {
            self.follower_caught_up_ms.insert(follower, now_ms);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Follower.

    /// Appends what a fetch brought, skipping any batch that does not start at the log end
    /// (followers append without checks, but build the same producer state), then takes the
    /// leader's high watermark as far as its own log reaches. Returns the log end before and
    /// after.
    pub fn append_fetched(
        &mut self,
        batches: Vec<LogBatch>,
        leader_high_watermark: Offset,
        space: SequenceSpace,
    ) -> (Offset, Offset) {
        let from = self.log_end_offset();
        for batch in batches {
            if batch.base_offset == self.log_end_offset() {
                self.append(batch, space);
            }
        }
        let to = self.log_end_offset();
        self.high_watermark = self.high_watermark.max(leader_high_watermark.min(to));
        (from, to)
    }

    /// Removes every batch from `offset` on and rebuilds the producer state from what is left
    /// (a batch straddling the point would be cut inside it; the model truncates at batch
    /// boundaries, which is where leader epochs change). Returns how many records went.
    pub fn truncate_to(&mut self, offset: Offset, space: SequenceSpace) -> u32 {
        let before = self.record_count();
        let kept = self.log.partition_point(|b| b.base_offset < offset);
        self.log.truncate(kept);
        self.log_start_offset = self.log_start_offset.min(self.log_end_offset());
        self.rebuild_producer_state(space);
        self.high_watermark = self.high_watermark.min(self.log_end_offset());
        (before - self.record_count()) as u32
    }

    /// `rebuildProducerState` up to the log end: the snapshot files outside the log are
    /// deleted, the newest one left is loaded (so the batches before it are known by their
    /// producers' last batch only) and the log after it is replayed; with no file, the whole
    /// log from its start. A snapshot is then written at the log end. Returns the offset of
    /// the snapshot loaded.
    pub fn rebuild_producer_state(&mut self, space: SequenceSpace) -> Option<Offset> {
        let log_end = self.log_end_offset();
        let loaded = self.snapshots.keep_within(self.log_start_offset, log_end);
        let snapshot_offset = loaded.map(|(offset, _)| offset);
        let (from, table) = match loaded {
            Some((offset, table)) => (offset, table.clone()),
            None => (self.log_start_offset, ProducerStateTable::default()),
        };
        self.producer_state = table;
        self.aborted.keep_ended_before(from);
        replay_log(
            (&mut self.producer_state, &mut self.aborted),
            &self.log,
            (from, self.log_start_offset),
            space,
        );
        self.snapshots.take(log_end, &self.producer_state);
        snapshot_offset
    }

    /// A clean shutdown (`UnifiedLog.close`) writes a snapshot at the log end; the state in
    /// memory is lost with the process either way.
    pub fn shut_down(&mut self, clean: bool) {
        if clean {
            self.snapshots
                .take(self.log_end_offset(), &self.producer_state);
        }
        self.producer_state = ProducerStateTable::default();
    }

    /// Start-up (`LogLoader.load`): stray snapshot files are removed and the producer state is
    /// rebuilt from the newest. Returns the offset of the snapshot loaded.
    pub fn load(&mut self, space: SequenceSpace) -> Option<Offset> {
        self.snapshots.remove_strays();
        self.rebuild_producer_state(space)
    }
}

#[cfg(test)]
mod tests {
    //! One replica at a time, no broker and no world (the cases of Kafka's `UnifiedLogTest`
    //! and `ProducerStateManagerTest` that the lab's lessons rest on).

    use super::*;
    use crate::producer_state::RejectReason;

    const PID: ProducerId = 1000;

    fn rules() -> ProduceRules {
        ProduceRules {
            space: SequenceSpace::default(),
            dedup_rule: DedupRule::Kafka,
            new_partition_requires_sequence_zero: false,
            v2_unknown_producer_requires_sequence_zero: false,
        }
    }

    /// A batch of `count` records from producer 0, messages numbered from `first_message`.
    fn wire(epoch: Epoch, base_sequence: Sequence, count: u32, first_message: u32) -> WireBatch {
        WireBatch {
            batch_id: u64::from(first_message),
            partition: 0,
            producer_id: PID,
            epoch,
            base_sequence,
            record_count: count,
            attempt: 1,
            max_timestamp_ms: 0,
            payload: (0..count).map(|i| Some((0, first_message + i))).collect(),
            transactional: false,
        }
    }

    /// Checks and appends, as a leader does.
    fn produce(replica: &mut Replica, batch: &WireBatch) -> BrokerVerdict {
        match replica.check_batch(batch, &rules(), false) {
            Ok(()) => replica.append_produced(batch, 0, 0, rules().space),
            Err(verdict) => verdict,
        }
    }

    #[test]
    fn a_retried_batch_is_a_duplicate_answered_with_the_original_offsets() {
        let mut leader = Replica::default();
        let first = wire(0, 0, 3, 0);
        assert_eq!(
            produce(&mut leader, &first),
            BrokerVerdict::Appended {
                base_offset: 0,
                last_offset: 2,
                unknown_producer: true
            }
        );
        assert_eq!(
            produce(&mut leader, &wire(0, 3, 2, 3)),
            BrokerVerdict::Appended {
                base_offset: 3,
                last_offset: 4,
                unknown_producer: false
            }
        );
        // The first batch again (its response was lost): nothing appended.
        assert_eq!(
            produce(&mut leader, &first),
            BrokerVerdict::Duplicate {
                base_offset: 0,
                last_offset: 2
            }
        );
        assert_eq!(leader.log_end_offset(), 5);
        assert_eq!(leader.record_count(), 5);
    }

    #[test]
    fn a_gap_in_sequences_is_out_of_order_and_an_old_epoch_is_fenced() {
        let mut leader = Replica::default();
        produce(&mut leader, &wire(1, 0, 2, 0));
        assert!(matches!(
            produce(&mut leader, &wire(1, 5, 1, 5)),
            BrokerVerdict::Rejected {
                error: KafkaError::OutOfOrderSequenceNumber,
                reason: Some(RejectReason::OutOfOrder {
                    expected: 2,
                    got: 5
                })
            }
        ));
        assert!(matches!(
            produce(&mut leader, &wire(0, 2, 1, 2)),
            BrokerVerdict::Rejected {
                error: KafkaError::InvalidProducerEpoch,
                reason: Some(RejectReason::StaleEpoch { .. })
            }
        ));
        assert_eq!(leader.log_end_offset(), 2, "nothing refused was appended");
    }

    #[test]
    fn records_carry_their_offsets_sequences_and_messages() {
        let mut leader = Replica::default();
        produce(&mut leader, &wire(0, 0, 2, 7));
        let batch = leader.log.last().expect("appended");
        assert_eq!(batch.client_batch, Some(7));
        let records: Vec<_> = batch
            .records
            .iter()
            .map(|r| (r.offset, r.sequence, r.message))
            .collect();
        assert_eq!(records, vec![(0, 0, Some((0, 7))), (1, 1, Some((0, 8)))]);
        assert!(leader.ever_written);
    }

    #[test]
    fn a_follower_is_out_of_sync_once_it_has_not_caught_up_for_longer_than_the_lag_limit() {
        let mut leader = Replica::default();
        produce(&mut leader, &wire(0, 0, 4, 0));
        leader.record_fetch(1, 4, 100);
        leader.record_fetch(2, 2, 100);
        let lagging = |now_ms| leader.out_of_sync(0, &[0, 1, 2], (now_ms, 30_000));
        assert!(
            lagging(30_000).is_empty(),
            "the limit itself is still in sync"
        );
        assert_eq!(lagging(30_001), [2], "2 never caught up");
        assert_eq!(lagging(30_100), [2]);
        assert_eq!(lagging(30_101), [1, 2], "1 caught up at 100");
        assert!(leader.out_of_sync(0, &[0], (90_000, 30_000)).is_empty());
    }

    #[test]
    fn the_high_watermark_is_the_smallest_log_end_in_the_isr() {
        let mut leader = Replica::default();
        produce(&mut leader, &wire(0, 0, 4, 0));
        assert_eq!(leader.high_watermark_for(0, &[0]), 4);
        // Follower 1 has not fetched yet: it holds the HW at 0.
        assert_eq!(leader.high_watermark_for(0, &[0, 1]), 0);
        leader.record_fetch(1, 3, 50);
        assert_eq!(leader.high_watermark_for(0, &[0, 1]), 3);
        assert_eq!(leader.follower_caught_up_ms.get(&1), None, "3 < log end 4");
        leader.record_fetch(1, 4, 60);
        assert_eq!(leader.high_watermark_for(0, &[0, 1]), 4);
        assert_eq!(leader.follower_caught_up_ms.get(&1), Some(&60));
        // A follower outside the ISR does not count.
        assert_eq!(leader.high_watermark_for(0, &[0]), 4);
    }

    #[test]
    fn a_follower_copies_the_leader_and_takes_its_high_watermark() {
        let mut leader = Replica::default();
        produce(&mut leader, &wire(0, 0, 2, 0));
        produce(&mut leader, &wire(0, 2, 2, 2));
        leader.high_watermark = 2;
        let mut follower = Replica::default();
        assert_eq!(leader.divergence(&follower), None);
        let batches = leader.batches_from(0, 1);
        assert_eq!(batches.len(), 1, "at most the asked number of batches");
        assert_eq!(follower.append_fetched(batches, 2, rules().space), (0, 2));
        assert_eq!(follower.high_watermark, 2);
        let rest = leader.batches_from(2, 10);
        // A batch that does not start at the follower's log end is skipped.
        let stale = leader.batches_from(0, 1);
        assert_eq!(follower.append_fetched(stale, 2, rules().space), (2, 2));
        assert_eq!(follower.append_fetched(rest, 2, rules().space), (2, 4));
        assert_eq!(follower.high_watermark, 2, "never above the leader's");
        // The follower built the same producer state: the leader's duplicate is its duplicate.
        assert!(matches!(
            follower.check_batch(&wire(0, 2, 2, 2), &rules(), false),
            Err(BrokerVerdict::Duplicate { base_offset: 2, .. })
        ));
    }

    #[test]
    fn a_diverging_tail_is_found_and_truncation_forgets_its_producer_state() {
        let mut leader = Replica::default();
        produce(&mut leader, &wire(0, 0, 2, 0));
        let mut follower = Replica::default();
        follower.append_fetched(leader.batches_from(0, 10), 0, rules().space);
        // The follower appended a batch under an old leader that the new one never had.
        let mut lost = leader.batches_from(0, 1).remove(0);
        lost.base_offset = 2;
        lost.leader_epoch = 0;
        lost.base_sequence = 2;
        follower.append_fetched(vec![lost], 0, rules().space);
        produce(&mut leader, &wire(0, 2, 1, 9));
        leader.log.last_mut().expect("appended").leader_epoch = 1;
        assert_eq!(leader.divergence(&follower), Some(2));
        assert_eq!(follower.truncate_to(2, rules().space), 2);
        assert_eq!(follower.log_end_offset(), 2);
        assert_eq!(leader.divergence(&follower), None);
        // Sequence 2 is no longer known to the follower's state: it expects it next.
        assert_eq!(
            follower.check_batch(&wire(0, 2, 1, 9), &rules(), false),
            Ok(())
        );
    }

    #[test]
    fn deleting_records_keeps_the_producer_state_until_a_rebuild_reads_the_log_from_its_start() {
        let mut r = Replica::default();
        produce(&mut r, &wire(0, 0, 2, 0));
        r.high_watermark = 2;
        assert!(r.delete_records_before(5, 10), "up to the log end, 2");
        assert_eq!(r.log_start_offset, 2);
        assert!(!r.delete_records_before(1, 11), "never down");
        // KAFKA-7190: the retry of the deleted batch is still a duplicate...
        assert!(matches!(
            r.check_batch(&wire(0, 0, 2, 0), &rules(), false),
            Err(BrokerVerdict::Duplicate { .. })
        ));
        // ...until the state is rebuilt from the log that is left (a truncation here).
        r.truncate_to(2, rules().space);
        assert!(r.producer_state.entries.is_empty());
    }

    #[test]
    fn an_unclean_stop_finds_the_log_start_of_the_last_checkpoint() {
        let mut r = Replica::default();
        produce(&mut r, &wire(0, 0, 4, 0));
        r.delete_records_before(1, 30_000);
        r.delete_records_before(3, 70_000);
        assert_eq!(r.checkpointed_log_start(59_999), 0, "no checkpoint yet");
        assert_eq!(r.checkpointed_log_start(60_000), 1);
        assert_eq!(
            r.checkpointed_log_start(119_999),
            1,
            "the move at 70 s is not on disk"
        );
        assert_eq!(r.checkpointed_log_start(120_000), 3);
    }

    #[test]
    fn a_plain_batch_is_refused_while_its_producer_has_a_transaction_open() {
        let mut leader = Replica::default();
        let mut txn = wire(0, 0, 1, 0);
        txn.transactional = true;
        produce(&mut leader, &txn);
        assert_eq!(
            leader.last_stable_offset(),
            0,
            "the open transaction holds the LSO"
        );
        assert_eq!(
            produce(&mut leader, &wire(0, 1, 1, 1)),
            BrokerVerdict::Rejected {
                error: KafkaError::InvalidTxnState,
                reason: Some(RejectReason::TransactionOpen)
            }
        );
    }

    #[test]
    fn brokers_4_5_refuse_a_new_producer_not_at_zero_on_an_empty_partition() {
        let strict = ProduceRules {
            new_partition_requires_sequence_zero: true,
            ..rules()
        };
        let leader = Replica::default();
        assert!(matches!(
            leader.check_batch(&wire(0, 5, 1, 5), &strict, false),
            Err(BrokerVerdict::Rejected {
                reason: Some(RejectReason::UnknownProducerNotAtZero { got: 5 }),
                ..
            })
        ));
        assert_eq!(
            leader.check_batch(&wire(0, 5, 1, 5), &rules(), false),
            Ok(())
        );
    }

    #[test]
    fn brokers_4_1_refuse_a_transactions_v2_producer_they_do_not_know_unless_at_zero() {
        let kafka_18202 = ProduceRules {
            v2_unknown_producer_requires_sequence_zero: true,
            ..rules()
        };
        // A partition that held records, so KAFKA-15591 is not what refuses it.
        let leader = Replica {
            ever_written: true,
            ..Replica::default()
        };
        let transactional = WireBatch {
            transactional: true,
            ..wire(0, 5, 1, 5)
        };
        assert!(matches!(
            leader.check_batch(&transactional, &kafka_18202, true),
            Err(BrokerVerdict::Rejected {
                error: KafkaError::OutOfOrderSequenceNumber,
                reason: Some(RejectReason::UnknownProducerNotAtZero { got: 5 }),
            })
        ));
        let at_zero = WireBatch {
            base_sequence: 0,
            ..transactional.clone()
        };
        assert_eq!(leader.check_batch(&at_zero, &kafka_18202, true), Ok(()));
        // v1 requests, idempotent batches and older brokers still take any first sequence.
        assert_eq!(
            leader.check_batch(&transactional, &kafka_18202, false),
            Ok(())
        );
        assert_eq!(
            leader.check_batch(&wire(0, 5, 1, 5), &kafka_18202, true),
            Ok(())
        );
        assert_eq!(leader.check_batch(&transactional, &rules(), true), Ok(()));
    }

    /// `ProducerStateManagerTest.testTruncateAndReloadRemovesOutOfRangeSnapshots` and
    /// `testRemoveStraySnapshotsKeepCleanShutdownSnapshot`.
    #[test]
    fn snapshot_files_outside_the_log_are_deleted_and_strays_all_but_the_newest() {
        let mut files = SnapshotFiles::default();
        for offset in [0, 2, 5, 8] {
            files.take(offset, &ProducerStateTable::default());
        }
        let newest = files.keep_within(2, 6).map(|(offset, _)| offset);
        assert_eq!(newest, Some(5));
        assert_eq!(
            files.offsets(),
            vec![5],
            "at or below the log start, or above the end"
        );
        for offset in [0, 7, 9] {
            files.take(offset, &ProducerStateTable::default());
        }
        files.remove_strays();
        assert_eq!(
            files.offsets(),
            vec![0, 9],
            "a segment's base, and the newest"
        );
    }

    /// After a restart the batches before its snapshot are known by the last one only, also
    /// to a later truncation, which loads that snapshot and replays the log after it.
    #[test]
    fn a_truncation_loads_the_newest_snapshot_below_it_and_replays_the_rest() {
        let mut r = Replica::default();
        produce(&mut r, &wire(0, 0, 2, 0));
        produce(&mut r, &wire(0, 2, 2, 2));
        r.shut_down(true);
        assert_eq!(r.load(rules().space), Some(4));
        produce(&mut r, &wire(0, 4, 2, 4));
        produce(&mut r, &wire(0, 6, 2, 6));
        let duplicate = |r: &Replica, base: Sequence| {
            matches!(
                r.check_batch(&wire(0, base, 2, base as u32), &rules(), false),
                Err(BrokerVerdict::Duplicate { .. })
            )
        };
        assert!(!duplicate(&r, 0), "not in the snapshot");
        assert!(duplicate(&r, 2) && duplicate(&r, 4));
        assert_eq!(r.truncate_to(6, rules().space), 2);
        assert_eq!(r.snapshots.offsets(), vec![4, 6]);
        assert!(!duplicate(&r, 0));
        assert!(duplicate(&r, 2), "the snapshot's last batch");
        assert!(duplicate(&r, 4), "replayed");
    }
}
