//! A broker (Kafka's `KafkaApis`, `ReplicaManager` and the socket server's processors) as a
//! node: the replicas it hosts, its client connections, and the requests parked in
//! `DelayedProduce` until the high watermark passes them. The rules of one partition's log
//! are the replica's ([`super::replica`]); who leads is the controller's
//! ([`super::controller`]).
//!
//! The rules, in the order a produce request meets them:
//! 1. [`Broker::accept`]: a connection is served one request at a time (the processor mutes
//!    it until the response is sent), [`Broker::finish_request`] unmutes it;
//! 2. [`Broker::refuse_batch`]: the checks before the log, in `ReplicaManager.appendRecords`'
//!    order: CRC, leadership, the transaction's verification, `min.insync.replicas` for acks=all;
//! 3. the replica's own checks and the append, which [`super::produce_path`]'s handlers
//!    (`on_produce_batch`, `on_request_read`, `on_high_watermark`) drive in Kafka's order;
//! 4. [`Broker::must_wait`] and [`Broker::park`]: acks=all waits in `DelayedProduce`, which
//!    [`Broker::complete_delayed`] answers once the high watermark passes the batch, or
//!    [`Broker::expire_delayed`] with REQUEST_TIMED_OUT;
//! 5. a lost response resets the connection ([`Broker::reset_connection`]); a client's FIN
//!    drops what the broker has not read ([`Broker::client_closed`]).
//!
//! As a follower, on the node contract ([`super::node`]): [`Broker::on_fetch_due`] sends the
//! next fetch, [`Broker::on_fetch_response`] truncates or appends what the leader sent.
//!
//! And its life: [`Broker::stop`] (crash or clean shutdown) and [`Broker::start`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use super::controller::PartitionMeta;
use super::node::Out;
use super::replica::{LogBatch, Replica};
use super::{Action, Node, Payload, ProduceRequest};
use crate::config::Acks;
use crate::error::KafkaError;
use crate::event::{BrokerVerdict, EventKind, PartitionResult};
use crate::producer_state::RejectReason;
use crate::sequence::SequenceSpace;
use crate::types::*;

/// Most batches a follower takes in one fetch (bounded work per step).
pub(crate) const MAX_BATCHES_PER_FETCH: usize = 50;

/// What a leader's fetch response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FetchAnswer {
    pub batches: Vec<LogBatch>,
    pub high_watermark: Offset,
    /// Where the follower's log stops matching the leader's: truncate there first.
    pub truncate_to: Option<Offset>,
}

/// A client connection as the broker knows it: `(producer, its incarnation, the connection's
/// generation)`.
pub(crate) type ConnectionKey = (ProducerIndex, u32, u32);

/// A produce request waiting in `DelayedProduce` for the high watermark (acks=all).
#[derive(Debug, Clone)]
pub struct PendingProduce {
    pub request: Rc<ProduceRequest>,
    pub results: Vec<PartitionResult>,
    /// Partitions still waiting: `(partition, offset the HW must pass)`.
    pub waiting: Vec<(PartitionId, Offset)>,
}

/// A WriteTxnMarkers append waiting in its DelayedProduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMarker {
    pub epoch: Epoch,
    /// The offset the high watermark must reach: the marker's offset + 1.
    pub required: Offset,
    /// The coordinator broker to answer.
    pub coordinator: BrokerId,
}

/// The broker side of one client connection: served strictly one request at a time.
#[derive(Debug, Clone, Default)]
pub struct BrokerConnection {
    /// Read off the socket, waiting for the one being served.
    pub queue: VecDeque<Rc<ProduceRequest>>,
    pub busy: Option<u64>,
    pub closed: bool,
}

#[derive(Debug, Clone)]
pub struct Broker {
    pub id: BrokerId,
    pub alive: bool,
    /// Bumped every time the broker stops: connections of an older incarnation are dead.
    pub incarnation: u32,
    pub replicas: BTreeMap<PartitionId, Replica>,
    /// Keyed by `(producer, incarnation, generation)`.
    pub connections: BTreeMap<ConnectionKey, BrokerConnection>,
    pub pending: BTreeMap<u64, PendingProduce>,
    /// Transaction markers appended and waiting, like an acks=all produce, for the high
    /// watermark to pass them: `(transactional id, partition)` → the marker.
    pub pending_markers: BTreeMap<(String, PartitionId), PendingMarker>,
    pub replication_stalled: bool,
    /// While stopped: when it stopped and when it restarts (for countdowns in a player).
    pub down: Option<(TimeMs, TimeMs)>,
    /// Partitions for which this broker, as a follower, has a fetch outstanding.
    pub fetching: BTreeSet<PartitionId>,
}

impl Broker {
    pub fn new(id: BrokerId, partitions: &[PartitionMeta]) -> Broker {
        let replicas = partitions
            .iter()
            .filter(|p| p.replicas.contains(&id))
            .map(|p| (p.id, Replica::default()))
            .collect();
        Broker {
            id,
            alive: true,
            down: None,
            incarnation: 0,
            replicas,
            connections: BTreeMap::new(),
            pending: BTreeMap::new(),
            pending_markers: BTreeMap::new(),
            replication_stalled: false,
            fetching: BTreeSet::new(),
        }
    }

    /// The replica of a partition this broker hosts. Callers only ask for hosted partitions.
    pub fn replica(&self, partition: PartitionId) -> &Replica {
        self.replicas
            .get(&partition)
            .expect("broker hosts this partition")
    }

    pub fn replica_mut(&mut self, partition: PartitionId) -> &mut Replica {
        self.replicas
            .get_mut(&partition)
            .expect("broker hosts this partition")
    }
}

impl Broker {
    // -----------------------------------------------------------------------------------------
    // Connections.

    /// A produce request was read off a client connection. It waits behind the one being
    /// served; returns it if it can be handled now. A closed connection drops it.
    pub fn accept(
        &mut self,
        key: ConnectionKey,
        request: Rc<ProduceRequest>,
    ) -> Option<Rc<ProduceRequest>> {
        let conn = self.connections.entry(key).or_default();
        if conn.closed {
            return None;
        }
        conn.queue.push_back(request);
        self.serve_next(key)
    }

    /// The response to `request` went out (or none was due): the connection is unmuted, and
    /// the next request waiting on it, if any, is returned to be handled.
    pub fn finish_request(
        &mut self,
        key: ConnectionKey,
        request: u64,
    ) -> Option<Rc<ProduceRequest>> {
        if let Some(conn) = self.connections.get_mut(&key) {
            if conn.busy == Some(request) {
                conn.busy = None;
            }
        }
        self.serve_next(key)
    }

    fn serve_next(&mut self, key: ConnectionKey) -> Option<Rc<ProduceRequest>> {
        let conn = self.connections.get_mut(&key)?;
        if conn.busy.is_some() || conn.closed {
            return None;
        }
        let next = conn.queue.pop_front()?;
        conn.busy = Some(next.id);
        Some(next)
    }

    /// The client's FIN arrived: the requests not read yet are discarded with the socket (the
    /// processor reads one request at a time, so they are still in its buffer). Returns them.
    pub fn client_closed(&mut self, key: ConnectionKey) -> Vec<u64> {
        let conn = self.connections.entry(key).or_default();
        conn.closed = true;
        conn.queue.drain(..).map(|r| r.id).collect()
    }

    /// A response was lost: the connection is reset, and nothing more is read from it.
    pub fn reset_connection(&mut self, key: ConnectionKey) {
        if let Some(conn) = self.connections.get_mut(&key) {
            conn.closed = true;
            conn.queue.clear();
            conn.busy = None;
        }
    }

    // -----------------------------------------------------------------------------------------
    // The produce path.

    /// The checks a batch meets before its partition's log, in Kafka's order: a batch
    /// `KafkaApis` refuses for good (`rejected`, a `reject_batch` fault), then
    /// `ReplicaManager.appendRecords`': a bad CRC, a broker that does not lead the partition, the transaction's
    /// verification (asked only when the earlier checks pass), and for acks=all an ISR smaller
    /// than `min.insync.replicas` — checked before duplicate detection, so even a duplicate
    /// gets that error. Last, a batch too large for the log (a `reject_batch` fault with
    /// MESSAGE_TOO_LARGE: `analyzeAndValidateRecords`, still before the producer state).
    /// `None`: on to the log's checks.
    pub fn refuse_batch(
        &self,
        (rejected, corrupted): (Option<KafkaError>, bool),
        meta: &PartitionMeta,
        (acks, min_insync_replicas): (Acks, u32),
        verify_transaction: impl FnOnce() -> Option<(KafkaError, RejectReason)>,
    ) -> Option<BrokerVerdict> {
        let refused = |error| BrokerVerdict::Rejected {
            error,
            reason: None,
        };
        let too_large = rejected == Some(KafkaError::MessageTooLarge);
        if let Some(error) = rejected.filter(|_| !too_large) {
            return Some(refused(error));
        }
        if corrupted {
            return Some(refused(KafkaError::CorruptMessage));
        }
        if meta.leader != Some(self.id) {
            return Some(refused(KafkaError::NotLeaderOrFollower));
        }
        if let Some((error, reason)) = verify_transaction() {
            return Some(BrokerVerdict::Rejected {
                error,
                reason: Some(reason),
            });
        }
        if acks == Acks::All && meta.isr.len() < min_insync_replicas as usize {
            return Some(refused(KafkaError::NotEnoughReplicas));
        }
        too_large.then(|| refused(KafkaError::MessageTooLarge))
    }

    /// The answer a verdict gives for its partition, and, for acks=all, the offset the high
    /// watermark must pass before it is sent (for a duplicate: the original's end).
    pub fn must_wait(
        &self,
        partition: PartitionId,
        acks: Acks,
        verdict: &BrokerVerdict,
    ) -> (PartitionResult, Option<Offset>) {
        let (error, base_offset, wait) = match verdict {
            BrokerVerdict::Appended {
                base_offset,
                last_offset,
                ..
            }
            | BrokerVerdict::Duplicate {
                base_offset,
                last_offset,
            } => {
                let hw = self.replica(partition).high_watermark;
                let wait = (acks == Acks::All && hw < last_offset + 1).then_some(last_offset + 1);
                (KafkaError::None, *base_offset, wait)
            }
            BrokerVerdict::Rejected { error, .. } => (*error, -1, None),
            BrokerVerdict::TextbookDiscarded { .. } => (KafkaError::None, -1, None),
        };
        let result = PartitionResult {
            partition,
            error,
            base_offset,
        };
        (result, wait)
    }

    /// Parks a request in `DelayedProduce` until the high watermark passes each `waiting`
    /// `(partition, offset)`.
    pub fn park(
        &mut self,
        request: Rc<ProduceRequest>,
        results: Vec<PartitionResult>,
        waiting: Vec<(PartitionId, Offset)>,
    ) {
        let id = request.id;
        let pending = PendingProduce {
            request,
            results,
            waiting,
        };
        self.pending.insert(id, pending);
    }

    /// `checkEnoughReplicasReachOffset`: the high watermark of `partition` is now `hw`. The
    /// parked requests it completes are returned, their answers set: NONE, or
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below its minimum meanwhile. Each is
    /// then taken with [`Broker::take_completed`] as its response goes out (answering one can
    /// stop the broker before the next).
    pub fn complete_delayed(
        &mut self,
        partition: PartitionId,
        hw: Offset,
        isr_short: bool,
    ) -> Vec<u64> {
        let mut ready = Vec::new();
        for pending in self.pending.values_mut() {
            let before = pending.waiting.len();
            let results = &mut pending.results;
            pending.waiting.retain(|&(p, required)| {
                if p != partition || hw < required {
                    return true;
                }
                if isr_short {
                    if let Some(r) = results.iter_mut().find(|r| r.partition == p) {
                        r.error = KafkaError::NotEnoughReplicasAfterAppend;
                    }
                }
                false
            });
            if pending.waiting.is_empty() && before > 0 {
                ready.push(pending.request.id);
            }
        }
        ready
    }

    /// A completed request with its answer, unless the broker lost it meanwhile.
    pub fn take_completed(
        &mut self,
        request: u64,
    ) -> Option<(Rc<ProduceRequest>, Vec<PartitionResult>)> {
        self.pending
            .remove(&request)
            .map(|p| (p.request, p.results))
    }

    /// The request's `DelayedProduce` expired: the partitions still waiting are answered
    /// REQUEST_TIMED_OUT. `None` if it had already completed.
    pub fn expire_delayed(
        &mut self,
        request: u64,
    ) -> Option<(Rc<ProduceRequest>, Vec<PartitionResult>)> {
        let mut pending = self.pending.remove(&request)?;
        for (partition, _) in pending.waiting.drain(..) {
            if let Some(r) = pending
                .results
                .iter_mut()
                .find(|r| r.partition == partition)
            {
                r.error = KafkaError::RequestTimedOut;
            }
        }
        Some((pending.request, pending.results))
    }

    /// Markers of `partition` whose offset the high watermark `hw` has passed: written, to be
    /// answered to their coordinator.
    pub fn complete_delayed_markers(
        &mut self,
        partition: PartitionId,
        hw: Offset,
    ) -> Vec<((String, PartitionId), PendingMarker)> {
        let done: Vec<(String, PartitionId)> = self
            .pending_markers
            .iter()
            .filter(|((_, p), m)| *p == partition && hw >= m.required)
            .map(|(k, _)| k.clone())
            .collect();
        done.into_iter()
            .filter_map(|k| self.pending_markers.remove(&k).map(|m| (k, m)))
            .collect()
    }

    // -----------------------------------------------------------------------------------------
    // Follower: replication (handlers on the node contract: nothing here reaches back into the
    // world, so they push their commands into `out`).

    /// A fetch of `partition` is due (`ReplicaFetcherThread`): one at a time, none while the
    /// broker is stopped or its replication stalled, from its log end. With no leader, the
    /// follower tries again after `replica.fetch.wait.max.ms`; a leader does not fetch.
    pub fn on_fetch_due(
        &mut self,
        partition: PartitionId,
        leader: Option<BrokerId>,
        (now_ms, wait_ms): (TimeMs, TimeMs),
        out: &mut Out,
    ) {
        if !self.alive || self.replication_stalled || self.fetching.contains(&partition) {
            return;
        }
        let Some(leader) = leader else {
            let again = Action::FollowerFetch {
                broker: self.id,
                partition,
            };
            out.schedule(now_ms + wait_ms, again);
            return;
        };
        if leader == self.id {
            return;
        }
        let fetch_offset = self.replica(partition).log_end_offset();
        self.fetching.insert(partition);
        let fetch = Payload::Fetch {
            follower: self.id,
            partition,
            fetch_offset,
        };
        out.send(Node::Broker(self.id), Node::Broker(leader), fetch);
    }

    /// The leader answered a fetch: truncate where the logs diverge, or append what came and
    /// take the leader's high watermark; then fetch again at once. A broker that leads the
    /// partition by now ignores the answer.
    pub fn on_fetch_response(
        &mut self,
        partition: PartitionId,
        answer: FetchAnswer,
        (leader, now_ms, space): (Option<BrokerId>, TimeMs, SequenceSpace),
        out: &mut Out,
    ) {
        self.fetching.remove(&partition);
        if leader == Some(self.id) {
            return;
        }
        let (broker, replica) = (self.id, self.replica_mut(partition));
        if let Some(offset) = answer.truncate_to {
            let removed = replica.truncate_to(offset, space);
            out.emit(EventKind::LogTruncated {
                broker,
                partition,
                to_offset: replica.log_end_offset(),
                removed_records: removed,
            });
        } else {
            let (from, to) = replica.append_fetched(answer.batches, answer.high_watermark, space);
            if to > from {
                out.emit(EventKind::ReplicaFetched {
                    follower: broker,
                    partition,
                    from_offset: from,
                    to_offset: to,
                });
            }
        }
        out.schedule(now_ms, Action::FollowerFetch { broker, partition });
    }

    // -----------------------------------------------------------------------------------------
    // Leader: answering fetches (on the node contract).

    /// Answers follower `follower`'s fetch from `fetch_offset`: the batches from there (at most
    /// [`MAX_BATCHES_PER_FETCH`]) with the high watermark, or, where the follower's log
    /// diverges, only where to truncate.
    pub fn fetch_response(
        &self,
        partition: PartitionId,
        (follower, fetch_offset, truncate_to): (BrokerId, Offset, Option<Offset>),
        out: &mut Out,
    ) {
        let replica = self.replica(partition);
        let batches = if truncate_to.is_some() {
            Vec::new()
        } else {
            replica.batches_from(fetch_offset, MAX_BATCHES_PER_FETCH)
        };
        let answer = Payload::FetchResponse {
            follower,
            partition,
            batches,
            high_watermark: replica.high_watermark,
            truncate_to,
        };
        out.send(Node::Broker(self.id), Node::Broker(follower), answer);
    }

    /// A follower's fetch of `partition` from `fetch_offset` reached this broker. Not the
    /// leader, or a follower whose log diverges (`divergence`, where the leader epoch cache
    /// says to truncate): answered at once, and `false`. Otherwise the leader notes how far
    /// the follower has fetched (`Partition.updateFollowerFetchState`) and returns `true`:
    /// the world then lets a caught-up follower back into the ISR, moves the high watermark
    /// and calls [`Broker::answer_fetch`].
    pub fn on_fetch(
        &mut self,
        (follower, partition, fetch_offset): (BrokerId, PartitionId, Offset),
        (meta, divergence): (&PartitionMeta, Option<Offset>),
        now_ms: TimeMs,
        out: &mut Out,
    ) -> bool {
        if meta.leader != Some(self.id) {
            self.fetch_response(partition, (follower, fetch_offset, None), out);
            return false;
        }
        if let Some(truncate_to) = divergence {
            self.fetch_response(partition, (follower, fetch_offset, Some(truncate_to)), out);
            return false;
        }
        self.replica_mut(partition)
            .record_fetch(follower, fetch_offset, now_ms);
        true
    }

    /// Whether a follower outside the ISR that fetched from `fetch_offset` has caught up:
    /// at the high watermark and at the log end (`Partition.isFollowerInSync`).
    pub fn caught_up(&self, partition: PartitionId, fetch_offset: Offset) -> bool {
        let replica = self.replica(partition);
        fetch_offset >= replica.high_watermark && fetch_offset >= replica.log_end_offset()
    }

    /// The fetch is answered from the log as it is now (answering parked produce requests
    /// may have let more be appended), or, at the log end, parked as a long poll until data
    /// arrives or `replica.fetch.wait.max.ms` (`wait_ms`) passes.
    pub fn answer_fetch(
        &mut self,
        (follower, partition, fetch_offset): (BrokerId, PartitionId, Offset),
        (now_ms, wait_ms): (TimeMs, TimeMs),
        out: &mut Out,
    ) {
        let replica = self.replica_mut(partition);
        if fetch_offset < replica.log_end_offset() {
            self.fetch_response(partition, (follower, fetch_offset, None), out);
            return;
        }
        replica.parked_fetches.insert(follower);
        let expired = Action::FetchWaitExpired {
            broker: self.id,
            partition,
            follower,
        };
        out.schedule(now_ms.saturating_add(wait_ms), expired);
    }

    /// New data: every fetch parked on `partition` (a long poll at the log end) is answered
    /// from where that follower last fetched.
    pub fn answer_parked_fetches(&mut self, partition: PartitionId, out: &mut Out) {
        let replica = self.replica_mut(partition);
        let parked = std::mem::take(&mut replica.parked_fetches);
        for follower in parked {
            let offset = self.fetched_to(partition, follower);
            self.fetch_response(partition, (follower, offset, None), out);
        }
    }

    /// A parked fetch waited `replica.fetch.wait.max.ms`: it is answered, with nothing new.
    pub fn on_fetch_wait_expired(
        &mut self,
        partition: PartitionId,
        follower: BrokerId,
        out: &mut Out,
    ) {
        if !self.alive {
            return;
        }
        let Some(replica) = self.replicas.get_mut(&partition) else {
            return;
        };
        if !replica.parked_fetches.remove(&follower) {
            return;
        }
        let offset = self.fetched_to(partition, follower);
        self.fetch_response(partition, (follower, offset, None), out);
    }

    fn fetched_to(&self, partition: PartitionId, follower: BrokerId) -> Offset {
        let replica = self.replica(partition);
        replica
            .follower_fetch_offset
            .get(&follower)
            .copied()
            .unwrap_or(0)
    }

    /// `producer.id.expiration.check.interval.ms`: a live broker forgets, on every replica, the
    /// producers whose last batch is older than `producer.id.expiration.ms`
    /// (`ProducerStateManager.removeExpiredProducers`).
    pub fn on_expiry_check(&mut self, now_ms: TimeMs, expiration_ms: TimeMs, out: &mut Out) {
        if !self.alive {
            return;
        }
        for (&partition, replica) in &mut self.replicas {
            for producer_id in replica.producer_state.remove_expired(now_ms, expiration_ms) {
                out.emit(EventKind::ProducerStateExpired {
                    broker: self.id,
                    partition,
                    producer_id,
                    by_fault: false,
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Life.

    /// The broker stops at `now` for `down_ms`: connections, parked requests and fetch
    /// sessions die with the process, and so does the producer state in memory. A clean
    /// shutdown writes a producer-state snapshot at the log end, which keeps only the last
    /// batch of each producer; an unclean stop writes nothing (the log after the newest
    /// snapshot is replayed on start).
    pub fn stop(&mut self, now: TimeMs, down_ms: TimeMs, clean: bool) {
        self.alive = false;
        self.down = Some((now, now.saturating_add(down_ms)));
        self.incarnation += 1;
        self.fetching.clear();
        self.pending.clear();
        self.pending_markers.clear();
        self.connections.clear();
        for replica in self.replicas.values_mut() {
            replica.parked_fetches.clear();
            replica.follower_fetch_offset.clear();
            if !clean {
                replica.log_start_offset = replica.checkpointed_log_start(now);
                let kept = replica.log_start_offset;
                replica
                    .log_start_moves
                    .retain(|&(_, offset)| offset <= kept);
            }
            replica.shut_down(clean);
        }
    }

    /// The broker starts again at `now`: each replica loads its newest producer-state
    /// snapshot and replays the log after it (after a clean stop the snapshot is at the log
    /// end, so nothing is replayed). Entries older than `producer.id.expiration.ms` are dropped
    /// as the snapshot or log is loaded (`ProducerStateManager.loadFromSnapshot`,
    /// `testRemoveExpiredPidsOnReload`).
    pub fn start(&mut self, now: TimeMs, expiration_ms: TimeMs, space: SequenceSpace) -> StartUp {
        self.alive = true;
        self.down = None;
        let mut start_up = StartUp::default();
        for (&partition, replica) in self.replicas.iter_mut() {
            if let Some(offset) = replica.load(space) {
                start_up.snapshots_loaded.push((partition, offset));
            }
            for producer_id in replica.producer_state.remove_expired(now, expiration_ms) {
                start_up.expired.push((partition, producer_id));
            }
        }
        start_up
    }
}

/// What a broker's start-up found on disk.
#[derive(Debug, Default)]
pub struct StartUp {
    /// The replicas whose producer state came from a snapshot file, and its offset.
    pub snapshots_loaded: Vec<(PartitionId, Offset)>,
    /// Producer state dropped as it was loaded because it had expired.
    pub expired: Vec<(PartitionId, ProducerId)>,
}

#[cfg(test)]
mod tests {
    //! A broker alone: its connections, the checks before the log, and `DelayedProduce`,
    //! driven with a partition record and a replica but no world (the cases of Kafka's
    //! `ReplicaManagerTest` and `DelayedProduceTest` the lessons rest on).

    use super::*;
    use crate::engine::node::Command;
    use crate::engine::produce_path::ProduceContext;
    use crate::engine::replica::ProduceRules;
    use crate::engine::WireBatch;

    const KEY: ConnectionKey = (0, 0, 0);

    /// An acks=all request with no batches: what the connection tests need.
    fn req(id: u64) -> Rc<ProduceRequest> {
        Rc::new(ProduceRequest {
            transactions_v2: false,
            id,
            producer: Some(0),
            incarnation: 0,
            broker: 0,
            generation: 0,
            acks: Acks::All,
            timeout_ms: 30_000,
            transactional_id: None,
            batches: Default::default(),
            corrupted: false,
            rejected: None,
        })
    }

    fn id(request: Option<Rc<ProduceRequest>>) -> Option<u64> {
        request.map(|r| r.id)
    }

    /// Broker 0 leading partition 0, replicated to brokers 0 and 1.
    fn leader() -> (Broker, PartitionMeta) {
        let meta = PartitionMeta::initial(0, 2, 2);
        (Broker::new(0, std::slice::from_ref(&meta)), meta)
    }

    fn batch(base_sequence: Sequence, count: u32) -> WireBatch {
        WireBatch {
            batch_id: 0,
            partition: 0,
            producer_id: 1000,
            epoch: 0,
            base_sequence,
            record_count: count,
            attempt: 1,
            max_timestamp_ms: 0,
            payload: (0..count).map(|i| Some((0, i))).collect(),
            transactional: false,
        }
    }

    /// What the leader does with one batch of an acks=all request: its checks, then the log's
    /// ([`Broker::on_produce_batch`]).
    fn produce(broker: &mut Broker, meta: &PartitionMeta, wire: &WireBatch) -> BrokerVerdict {
        let cx = ProduceContext {
            now_ms: 0,
            rules: ProduceRules {
                space: SequenceSpace::default(),
                dedup_rule: Default::default(),
                new_partition_requires_sequence_zero: false,
                v2_unknown_producer_requires_sequence_zero: false,
            },
            min_insync_replicas: 2,
            verifies_transactions: true,
            event_count: 0,
        };
        let mut request = (*req(1)).clone();
        request.batches.push(wire.clone());
        let metas = std::slice::from_ref(meta);
        let mut out = Out::default();
        broker
            .on_produce_batch((&request, 0), (&cx, metas), |_, _, _, _| None, &mut out)
            .0
    }

    #[test]
    fn a_connection_is_served_one_request_at_a_time_in_order() {
        let (mut broker, _) = leader();
        assert_eq!(id(broker.accept(KEY, req(7))), Some(7));
        assert_eq!(
            id(broker.accept(KEY, req(8))),
            None,
            "muted until 7 is answered"
        );
        assert_eq!(id(broker.accept(KEY, req(9))), None);
        assert_eq!(id(broker.finish_request(KEY, 7)), Some(8));
        assert_eq!(id(broker.finish_request(KEY, 7)), None, "8 is being served");
        // The client gives up: what was not read is gone with the socket.
        assert_eq!(broker.client_closed(KEY), vec![9]);
        assert_eq!(id(broker.finish_request(KEY, 8)), None);
        assert_eq!(
            id(broker.accept(KEY, req(10))),
            None,
            "a closed connection reads nothing"
        );
        // Another connection of the same client is served independently.
        assert_eq!(id(broker.accept((0, 0, 1), req(11))), Some(11));
        broker.reset_connection((0, 0, 1));
        assert_eq!(id(broker.accept((0, 0, 1), req(12))), None);
    }

    #[test]
    fn the_checks_before_the_log_come_in_kafkas_order() {
        let (broker, mut meta) = leader();
        let asked = std::cell::Cell::new(false);
        let verify = || {
            asked.set(true);
            None
        };
        let error_of = |v: Option<BrokerVerdict>| match v {
            Some(BrokerVerdict::Rejected { error, .. }) => Some(error),
            _ => None,
        };
        // A batch KafkaApis refuses for good comes first, then a corrupt batch, even at a broker
        // that does not lead.
        meta.leader = Some(1);
        let rejected = Some(KafkaError::TopicAuthorizationFailed);
        assert_eq!(
            error_of(broker.refuse_batch((rejected, true), &meta, (Acks::All, 2), verify)),
            rejected
        );
        assert_eq!(
            error_of(broker.refuse_batch((None, true), &meta, (Acks::All, 2), verify)),
            Some(KafkaError::CorruptMessage)
        );
        assert_eq!(
            error_of(broker.refuse_batch((None, false), &meta, (Acks::All, 2), verify)),
            Some(KafkaError::NotLeaderOrFollower)
        );
        assert!(
            !asked.get(),
            "the coordinator is not asked for a batch refused earlier"
        );
        meta.leader = Some(0);
        meta.isr = vec![0];
        assert_eq!(
            error_of(broker.refuse_batch((None, false), &meta, (Acks::All, 2), verify)),
            Some(KafkaError::NotEnoughReplicas)
        );
        assert!(asked.get());
        // min.insync.replicas binds acks=all only.
        assert_eq!(
            broker.refuse_batch((None, false), &meta, (Acks::Leader, 2), || None),
            None
        );
        let fenced = || {
            Some((
                KafkaError::InvalidProducerEpoch,
                RejectReason::FencedByCoordinator,
            ))
        };
        assert_eq!(
            error_of(broker.refuse_batch((None, false), &meta, (Acks::All, 2), fenced)),
            Some(KafkaError::InvalidProducerEpoch),
            "verification comes before the ISR check"
        );
    }

    #[test]
    fn a_leader_answers_an_acks_all_produce_once_the_high_watermark_passes_it() {
        let (mut broker, meta) = leader();
        let verdict = produce(&mut broker, &meta, &batch(0, 3));
        let (result, wait) = broker.must_wait(0, Acks::All, &verdict);
        assert_eq!((result.error, result.base_offset), (KafkaError::None, 0));
        assert_eq!(wait, Some(3), "waits until the HW passes offset 2");
        broker.park(req(1), vec![result], vec![(0, 3)]);
        assert!(broker.complete_delayed(0, 2, false).is_empty());
        assert_eq!(broker.complete_delayed(0, 3, false), vec![1]);
        let (_, answer) = broker.take_completed(1).expect("completed");
        assert_eq!(answer[0].error, KafkaError::None);
        assert!(broker.take_completed(1).is_none(), "answered once");
        // acks=1 does not wait.
        let verdict = produce(&mut broker, &meta, &batch(3, 1));
        assert_eq!(broker.must_wait(0, Acks::Leader, &verdict).1, None);
    }

    #[test]
    fn a_duplicate_waits_for_the_original_and_an_isr_that_shrank_fails_the_wait() {
        let (mut broker, meta) = leader();
        produce(&mut broker, &meta, &batch(0, 2));
        let duplicate = produce(&mut broker, &meta, &batch(0, 2));
        assert!(matches!(duplicate, BrokerVerdict::Duplicate { .. }));
        let (result, wait) = broker.must_wait(0, Acks::All, &duplicate);
        assert_eq!((result.base_offset, wait), (0, Some(2)));
        broker.park(req(5), vec![result], vec![(0, 2)]);
        assert_eq!(broker.complete_delayed(0, 2, true), vec![5]);
        assert_eq!(
            broker.take_completed(5).expect("completed").1[0].error,
            KafkaError::NotEnoughReplicasAfterAppend
        );
    }

    #[test]
    fn an_expired_delayed_produce_times_out_only_what_still_waits() {
        let (mut broker, _) = leader();
        let ok = |partition| PartitionResult {
            partition,
            error: KafkaError::None,
            base_offset: 0,
        };
        broker.park(req(4), vec![ok(0), ok(1)], vec![(1, 10)]);
        let (_, answer) = broker.expire_delayed(4).expect("parked");
        assert_eq!(
            answer.iter().map(|r| r.error).collect::<Vec<_>>(),
            vec![KafkaError::None, KafkaError::RequestTimedOut]
        );
        assert!(broker.expire_delayed(4).is_none());
    }

    #[test]
    fn a_stop_loses_connections_and_parked_requests_and_a_clean_one_keeps_a_snapshot() {
        let (mut broker, meta) = leader();
        produce(&mut broker, &meta, &batch(0, 2));
        produce(&mut broker, &meta, &batch(2, 2));
        id(broker.accept(KEY, req(1)));
        broker.park(req(1), Vec::new(), vec![(0, 4)]);
        broker.stop(100, 500, true);
        assert!(!broker.alive && broker.connections.is_empty() && broker.pending.is_empty());
        assert_eq!(broker.down, Some((100, 600)));
        assert_eq!(broker.incarnation, 1);
        let first = batch(0, 2);
        let replica = broker.replica(0);
        let rules = ProduceRules {
            space: SequenceSpace::default(),
            dedup_rule: Default::default(),
            new_partition_requires_sequence_zero: false,
            v2_unknown_producer_requires_sequence_zero: false,
        };
        assert_eq!(
            replica.snapshots.offsets(),
            vec![4],
            "written at the log end"
        );
        assert!(broker
            .start(600, 86_400_000, rules.space)
            .expired
            .is_empty());
        assert!(broker.alive && broker.down.is_none());
        // The snapshot kept only the last batch: a retry of the first is no longer a duplicate.
        let out_of_order = |broker: &Broker| {
            matches!(
                broker.replica(0).check_batch(&first, &rules, false),
                Err(BrokerVerdict::Rejected {
                    error: KafkaError::OutOfOrderSequenceNumber,
                    ..
                })
            )
        };
        assert!(out_of_order(&broker));
        // An unclean stop loads the snapshot the start-up wrote at the log end, 4, and replays
        // nothing: the first batch is still forgotten.
        broker.stop(700, 10, false);
        broker.start(710, 86_400_000, rules.space);
        assert!(out_of_order(&broker));
        // With no snapshot file left the whole log is replayed: the first batch is a duplicate.
        broker.stop(800, 10, false);
        broker.replicas.get_mut(&0).expect("replica").snapshots = Default::default();
        broker.start(810, 86_400_000, rules.space);
        assert!(matches!(
            broker.replica(0).check_batch(&first, &rules, false),
            Err(BrokerVerdict::Duplicate { base_offset: 0, .. })
        ));
    }

    /// Broker 1 following partition 0 (led by broker 0).
    fn follower() -> Broker {
        let meta = PartitionMeta::initial(0, 2, 2);
        Broker::new(1, std::slice::from_ref(&meta))
    }

    #[test]
    fn a_follower_fetches_one_at_a_time_from_its_log_end_and_waits_when_leaderless() {
        use crate::engine::node::Command;
        let mut f = follower();
        let mut out = Out::default();
        f.on_fetch_due(0, Some(0), (10, 500), &mut out);
        assert!(matches!(
            out.sent()[..],
            [(
                Node::Broker(1),
                Node::Broker(0),
                Payload::Fetch {
                    follower: 1,
                    partition: 0,
                    fetch_offset: 0
                }
            )]
        ));
        let mut again = Out::default();
        f.on_fetch_due(0, Some(0), (10, 500), &mut again);
        assert!(
            again.commands().is_empty(),
            "one fetch outstanding at a time"
        );
        f.fetching.clear();
        let mut leaderless = Out::default();
        f.on_fetch_due(0, None, (10, 500), &mut leaderless);
        assert!(matches!(
            leaderless.commands(),
            [Command::Schedule {
                at_ms: 510,
                action: Action::FollowerFetch {
                    broker: 1,
                    partition: 0
                }
            }]
        ));
        f.replication_stalled = true;
        let mut stalled = Out::default();
        f.on_fetch_due(0, Some(0), (10, 500), &mut stalled);
        assert!(stalled.commands().is_empty());
    }

    #[test]
    fn a_follower_appends_what_the_leader_sends_or_truncates_where_they_diverge() {
        let (mut leader, meta) = leader();
        produce(&mut leader, &meta, &batch(0, 2));
        produce(&mut leader, &meta, &batch(2, 2));
        let mut f = follower();
        let space = SequenceSpace::default();
        let answer = FetchAnswer {
            batches: leader.replica(0).batches_from(0, 10),
            high_watermark: 2,
            truncate_to: None,
        };
        let mut out = Out::default();
        f.fetching.insert(0);
        f.on_fetch_response(0, answer, (Some(0), 20, space), &mut out);
        assert!(f.fetching.is_empty());
        assert!(matches!(
            out.events()[..],
            [EventKind::ReplicaFetched {
                from_offset: 0,
                to_offset: 4,
                ..
            }]
        ));
        assert_eq!(f.replica(0).high_watermark, 2);
        let truncate = FetchAnswer {
            batches: Default::default(),
            high_watermark: 2,
            truncate_to: Some(2),
        };
        let mut out = Out::default();
        f.on_fetch_response(0, truncate, (Some(0), 30, space), &mut out);
        assert!(matches!(
            out.events()[..],
            [EventKind::LogTruncated {
                to_offset: 2,
                removed_records: 2,
                ..
            }]
        ));
        // A follower that leads by now ignores the answer and does not fetch again.
        let mut out = Out::default();
        f.on_fetch_response(
            0,
            FetchAnswer {
                batches: Default::default(),
                high_watermark: 0,
                truncate_to: None,
            },
            (Some(1), 40, space),
            &mut out,
        );
        assert!(out.commands().is_empty());
    }

    #[test]
    fn a_leader_answers_a_fetch_behind_its_log_end_and_parks_one_at_it() {
        let (mut leader, meta) = leader();
        produce(&mut leader, &meta, &batch(0, 3));
        let mut out = Out::default();
        assert!(leader.on_fetch((1, 0, 0), (&meta, None), 10, &mut out));
        assert!(!leader.caught_up(0, 0), "behind the log end");
        leader.answer_fetch((1, 0, 0), (10, 500), &mut out);
        assert!(matches!(
            out.sent()[..],
            [(_, Node::Broker(1), Payload::FetchResponse { batches, .. })] if batches.len() == 1
        ));
        let mut out = Out::default();
        assert!(leader.on_fetch((1, 0, 3), (&meta, None), 20, &mut out));
        assert!(
            leader.caught_up(0, 3),
            "at the log end and the high watermark"
        );
        leader.answer_fetch((1, 0, 3), (20, 500), &mut out);
        assert!(matches!(
            out.commands(),
            [Command::Schedule {
                at_ms: 520,
                action: Action::FetchWaitExpired { follower: 1, .. }
            }]
        ));
        assert!(leader.replica(0).parked_fetches.contains(&1), "a long poll");
        assert_eq!(leader.replica(0).follower_fetch_offset.get(&1), Some(&3));
    }

    #[test]
    fn a_fetch_to_a_broker_that_does_not_lead_or_from_a_diverged_log_is_answered_at_once() {
        let (mut leader, mut meta) = leader();
        let mut out = Out::default();
        assert!(!leader.on_fetch((1, 0, 0), (&meta, Some(2)), 0, &mut out));
        meta.leader = Some(1);
        assert!(!leader.on_fetch((1, 0, 0), (&meta, None), 0, &mut out));
        let truncations: Vec<_> = out
            .sent()
            .iter()
            .map(|(_, _, payload)| match payload {
                Payload::FetchResponse { truncate_to, .. } => *truncate_to,
                _ => panic!("a fetch response"),
            })
            .collect();
        assert_eq!(truncations, [Some(2), None]);
        assert!(
            leader.replica(0).follower_fetch_offset.is_empty(),
            "neither counts as a fetch"
        );
    }

    #[test]
    fn a_leader_answers_a_parked_fetch_when_data_comes_or_its_wait_ends() {
        let (mut leader, meta) = leader();
        produce(&mut leader, &meta, &batch(0, 2));
        let replica = leader.replica_mut(0);
        replica.record_fetch(1, 2, 5);
        replica.parked_fetches.insert(1);
        let mut out = Out::default();
        leader.on_fetch_wait_expired(0, 1, &mut out);
        assert!(matches!(
            out.sent()[..],
            [(Node::Broker(0), Node::Broker(1), Payload::FetchResponse { batches, .. })] if batches.is_empty()
        ));
        let mut twice = Out::default();
        leader.on_fetch_wait_expired(0, 1, &mut twice);
        assert!(twice.commands().is_empty(), "answered once");
        // Parked again, then new data answers it from its fetch offset.
        leader.replica_mut(0).parked_fetches.insert(1);
        produce(&mut leader, &meta, &batch(2, 1));
        let mut out = Out::default();
        leader.answer_parked_fetches(0, &mut out);
        assert!(matches!(
            out.sent()[..],
            [(_, Node::Broker(1), Payload::FetchResponse { batches, truncate_to: None, .. })]
                if batches.len() == 1 && batches[0].base_offset == 2
        ));
        let mut out = Out::default();
        leader.fetch_response(0, (1, 0, Some(1)), &mut out);
        assert!(matches!(
            out.sent()[..],
            [(_, _, Payload::FetchResponse { batches, truncate_to: Some(1), .. })] if batches.is_empty()
        ));
    }

    #[test]
    fn the_expiry_check_forgets_idle_producers_on_a_live_broker_only() {
        let (mut live, meta) = leader();
        produce(&mut live, &meta, &batch(0, 1));
        let mut out = Out::default();
        live.on_expiry_check(1_000, 1_000, &mut out);
        assert!(matches!(
            out.events()[..],
            [EventKind::ProducerStateExpired {
                producer_id: 1000,
                by_fault: false,
                ..
            }]
        ));
        let (mut stopped, meta) = leader();
        produce(&mut stopped, &meta, &batch(0, 1));
        stopped.alive = false;
        let mut out = Out::default();
        stopped.on_expiry_check(1_000, 1_000, &mut out);
        assert!(out.commands().is_empty());
    }
}
