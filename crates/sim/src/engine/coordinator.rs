//! The transaction coordinator (Kafka's `TransactionCoordinator` and `TransactionMetadata`),
//! and the producer id manager it hands ids out of.
//!
//! What is modelled (KIP-98, transactions v1 as in brokers 2.5–3.x):
//! - `InitProducerId` without a transactional id hands out a fresh producer id, epoch 0;
//! - `InitProducerId(transactional.id)` maps the id to one producer id and bumps its epoch on
//!   every call, fencing older instances; an open transaction of the previous instance is first
//!   aborted with the epoch raised by one, and the caller gets CONCURRENT_TRANSACTIONS until the
//!   abort is complete (`prepareInitProducerIdTransit`, `PrepareEpochFence`); a bump from a known
//!   producer id and epoch (KIP-360) is answered idempotently when retried;
//! - `AddPartitionsToTxn` before the first write to a partition;
//! - `EndTxn(COMMIT|ABORT)`: PrepareCommit/PrepareAbort, then a marker is sent to the leader of
//!   every partition of the transaction, then CompleteCommit/CompleteAbort; the client is
//!   answered once the Prepare state is recorded, and a retried EndTxn with the same result is
//!   answered NONE; a marker a leader could not write is sent again on the next tick;
//! - an older epoch gets PRODUCER_FENCED (fatal for the client);
//! - `transaction.timeout.ms`: a transaction left open is aborted and its producer fenced;
//! - the check a partition leader makes before a transaction's first write (KIP-890 part 1,
//!   [`TransactionCoordinator::verify`]).
//!
//! The state lives in the replicated `__transaction_state` log, so it survives any broker: the
//! node is the cluster's coordinator, hosted by [`coordinator_of`] the transactional id.
//! - transactions v2 (KIP-890 part 2, a 4.x client on a cluster at `transaction.version` 2):
//!   a partition joins the transaction when its leader asks on the first write
//!   ([`TransactionCoordinator::verify_or_add`]), and EndTxn bumps the epoch, writes the markers
//!   under the new epoch and answers with it, or with a new producer id once the epoch is
//!   exhausted.
//!
//! Handlers, in the order a transaction meets them:
//! 1. [`TransactionCoordinator::on_init_producer_id`] (idempotent producers) or
//!    [`TransactionCoordinator::on_request`] with InitProducerId, then AddPartitions, EndTxn;
//! 2. [`TransactionCoordinator::verify`] when a partition leader asks about a first write;
//! 3. [`TransactionCoordinator::on_marker_response`] as leaders write the markers;
//! 4. [`TransactionCoordinator::on_tick`] every [`COORDINATOR_TICK_MS`].

use std::collections::BTreeMap;

use super::node::{ClusterView, Out};
use super::{Action, ControlMarker, Node, Payload, TxnMetadata, TxnRequest, TxnStatus};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::producer_state::RejectReason;
use crate::types::*;

/// How often the coordinator looks for transactions past `transaction.timeout.ms`, and how
/// long it waits before re-sending an unanswered marker.
pub(crate) const COORDINATOR_TICK_MS: TimeMs = 1_000;

/// The WriteTxnMarkers request timeout: the coordinator broker's `request.timeout.ms` default.
pub(crate) const MARKER_TIMEOUT_MS: TimeMs = 30_000;

/// The first producer id handed out.
const FIRST_PRODUCER_ID: ProducerId = 1000;

/// The broker coordinating a transactional id: a fixed hash of the id picks its
/// `__transaction_state` partition, whose leader is the first live broker from there.
pub(crate) fn coordinator_of(cluster: &ClusterView, transactional_id: &str) -> Option<BrokerId> {
    let n = cluster.broker_count();
    let start = transactional_id.bytes().map(u32::from).sum::<u32>() % n;
    (0..n).map(|i| (start + i) % n).find(|&b| cluster.alive(b))
}

/// Where the coordinator sent a marker that has not been answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkerSend {
    pub leader: BrokerId,
    pub coordinator: BrokerId,
    pub sent_ms: TimeMs,
}

/// Who asked: where the answer goes, and which request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub producer: ProducerIndex,
    pub incarnation: u32,
    pub request: u64,
}

/// A request to the coordinator as it arrives: the transactional id and the transaction
/// timeout travel with it, as in Kafka's InitProducerId request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TxnCall {
    pub transactional_id: String,
    pub transaction_timeout_ms: TimeMs,
    pub request: TxnRequest,
}

/// The coordinator's answer fields.
type Answer = (KafkaError, ProducerId, Epoch);

const FENCED: Answer = (KafkaError::ProducerFenced, -1, -1);
const CONCURRENT: Answer = (KafkaError::ConcurrentTransactions, -1, -1);

#[derive(Debug, Clone)]
pub(crate) struct TransactionCoordinator {
    /// Per transactional id (durable: `__transaction_state`).
    transactions: BTreeMap<String, TxnMetadata>,
    /// Markers sent and not answered yet.
    marker_sends: BTreeMap<(String, PartitionId), MarkerSend>,
    tick_scheduled: bool,
    /// The producer id manager's next id.
    next_producer_id: ProducerId,
}

impl Default for TransactionCoordinator {
    fn default() -> Self {
        TransactionCoordinator {
            transactions: BTreeMap::new(),
            marker_sends: BTreeMap::new(),
            tick_scheduled: false,
            next_producer_id: FIRST_PRODUCER_ID,
        }
    }
}

impl TransactionCoordinator {
    /// Every transactional id the coordinator knows, in id order.
    pub fn transactions(&self) -> impl Iterator<Item = &TxnMetadata> {
        self.transactions.values()
    }

    /// Transactions still being completed keep the run going.
    pub fn is_busy(&self) -> bool {
        self.transactions.values().any(|m| {
            matches!(
                m.status,
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort | TxnStatus::Ongoing
            )
        })
    }

    fn allocate_producer_id(&mut self) -> ProducerId {
        let id = self.next_producer_id;
        self.next_producer_id += 1;
        id
    }

    // -----------------------------------------------------------------------------------------
    // Requests from producers.

    /// InitProducerId with a null transactional id "always blindly accept[s] the request and
    /// return[s] a new producerId" with epoch 0 (`TransactionCoordinator.handleInitProducerId`);
    /// any broker answers it.
    pub fn on_init_producer_id(
        &mut self,
        at: BrokerId,
        producer: ProducerIndex,
        incarnation: u32,
        out: &mut Out,
    ) {
        let producer_id = self.allocate_producer_id();
        out.send(
            Node::Broker(at),
            Node::Producer(producer),
            Payload::InitProducerIdResponse {
                producer,
                incarnation,
                producer_id,
            },
        );
    }

    /// A transactional request reached broker `at`. A broker that does not coordinate the id
    /// does not answer (NOT_COORDINATOR: the client finds the coordinator again after its
    /// timeout).
    pub fn on_request(
        &mut self,
        cluster: &ClusterView,
        at: BrokerId,
        caller: Caller,
        call: TxnCall,
        out: &mut Out,
    ) {
        let id = call.transactional_id;
        if coordinator_of(cluster, &id) != Some(at) {
            return;
        }
        let (error, producer_id, epoch) = match call.request {
            TxnRequest::InitProducerId { expected } => {
                self.init(cluster, &id, call.transaction_timeout_ms, expected, out)
            }
            TxnRequest::AddPartitions {
                producer_id,
                epoch,
                partitions,
            } => self.add_partitions(cluster.now_ms, &id, (producer_id, epoch), partitions),
            TxnRequest::EndTxn {
                producer_id,
                epoch,
                commit,
                next_position,
                v2,
            } => {
                let end = EndTxn {
                    producer: caller.producer,
                    producer_id,
                    epoch,
                    commit,
                    next_position,
                    v2,
                };
                self.end(cluster, &id, end, out)
            }
        };
        let position = self
            .transactions
            .get(&id)
            .map_or(0, |m| m.position_of(caller.producer));
        out.send(
            Node::Broker(at),
            Node::Producer(caller.producer),
            Payload::TxnResponse {
                producer: caller.producer,
                incarnation: caller.incarnation,
                id: caller.request,
                error,
                producer_id,
                epoch,
                position,
            },
        );
    }

    /// `handleInitProducerId` / `prepareInitProducerIdTransit`. A new instance (`expected`
    /// none) always gets the next epoch, fencing the previous one; a bump from a known producer
    /// id and epoch (KIP-360) gets the next epoch if the epoch is current, the current one
    /// again if it is the one just bumped from (a retried bump), and PRODUCER_FENCED otherwise.
    fn init(
        &mut self,
        cluster: &ClusterView,
        transactional_id: &str,
        timeout_ms: TimeMs,
        expected: Option<(ProducerId, Epoch)>,
        out: &mut Out,
    ) -> Answer {
        let Some(meta) = self.transactions.get_mut(transactional_id) else {
            let producer_id = self.allocate_producer_id();
            self.transactions.insert(
                transactional_id.to_string(),
                TxnMetadata::new(transactional_id, producer_id, timeout_ms),
            );
            self.ensure_tick(cluster.now_ms, out);
            return (KafkaError::None, producer_id, 0);
        };
        if expected.is_some_and(|(pid, _)| pid != meta.producer_id) {
            return FENCED;
        }
        meta.timeout_ms = timeout_ms;
        match meta.status {
            TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => CONCURRENT,
            TxnStatus::Ongoing => {
                // Fence the previous instance: abort its transaction with the epoch raised by one.
                let why = "a new instance called InitProducerId";
                self.begin_abort_with_fence(cluster, transactional_id, why, out);
                CONCURRENT
            }
            TxnStatus::Empty | TxnStatus::CompleteCommit | TxnStatus::CompleteAbort => {
                let current = meta.epoch;
                match expected.map(|(_, e)| e) {
                    // prepareIncrementProducerEpoch: a retry of the bump just made.
                    Some(e) if e != current && e == meta.last_epoch => {}
                    Some(e) if e != current => return FENCED,
                    _ if current == Epoch::MAX => {
                        // prepareProducerIdRotation: the epoch is exhausted, a new producer id.
                        meta.producer_id = self.next_producer_id;
                        self.next_producer_id += 1;
                        meta.epoch = 0;
                        meta.last_epoch = NO_PRODUCER_EPOCH;
                    }
                    bump => {
                        meta.epoch = current + 1;
                        meta.last_epoch = if bump.is_some() {
                            current
                        } else {
                            NO_PRODUCER_EPOCH
                        };
                    }
                }
                meta.status = TxnStatus::Empty;
                meta.partitions.clear();
                meta.started_ms = None;
                meta.ended_from = None;
                (KafkaError::None, meta.producer_id, meta.epoch)
            }
        }
    }

    fn add_partitions(
        &mut self,
        now_ms: TimeMs,
        transactional_id: &str,
        (producer_id, epoch): (ProducerId, Epoch),
        partitions: Vec<PartitionId>,
    ) -> Answer {
        let Some(meta) = self.transactions.get_mut(transactional_id) else {
            return FENCED;
        };
        if producer_id != meta.producer_id || epoch < meta.epoch {
            return (KafkaError::ProducerFenced, meta.producer_id, meta.epoch);
        }
        match meta.status {
            TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => {
                (KafkaError::ConcurrentTransactions, producer_id, epoch)
            }
            _ => {
                if meta.status != TxnStatus::Ongoing {
                    meta.status = TxnStatus::Ongoing;
                    meta.partitions.clear();
                    meta.started_ms = Some(now_ms);
                }
                meta.partitions.extend(partitions);
                (KafkaError::None, producer_id, epoch)
            }
        }
    }

    fn end(
        &mut self,
        cluster: &ClusterView,
        transactional_id: &str,
        end: EndTxn,
        out: &mut Out,
    ) -> Answer {
        let EndTxn {
            producer,
            producer_id,
            epoch,
            commit,
            next_position,
            v2,
        } = end;
        let Some(meta) = self.transactions.get_mut(transactional_id) else {
            return FENCED;
        };
        let same = matches!(
            (meta.status, commit),
            (TxnStatus::PrepareCommit | TxnStatus::CompleteCommit, true)
                | (TxnStatus::PrepareAbort | TxnStatus::CompleteAbort, false)
        );
        // v2: a retry of the EndTxn that bumped the epoch carries the epoch it bumped from.
        if v2 && meta.ended_from == Some((producer_id, epoch)) {
            let (id, next) = meta.next_ids();
            let error = if same {
                KafkaError::None
            } else {
                KafkaError::InvalidTxnState
            };
            return (error, id, next);
        }
        if producer_id != meta.producer_id || epoch < meta.epoch {
            return (KafkaError::ProducerFenced, meta.producer_id, meta.epoch);
        }
        let completing = matches!(
            meta.status,
            TxnStatus::PrepareCommit | TxnStatus::PrepareAbort
        );
        if v2 && completing {
            // Under the epoch the last EndTxn bumped to: the next transaction's end, which
            // waits for the last one's markers.
            return (KafkaError::ConcurrentTransactions, producer_id, epoch);
        }
        if same && !v2 {
            return (KafkaError::None, producer_id, epoch);
        }
        if meta.status != TxnStatus::Ongoing && !v2 {
            return (KafkaError::InvalidTxnState, producer_id, epoch);
        }
        if meta.status != TxnStatus::Ongoing {
            // v2: a transaction whose first writes never reached the coordinator ends with
            // no partition to mark, still with its epoch bump.
            meta.partitions.clear();
        }
        if v2 {
            // prepareAbortOrCommit with an epoch bump: the markers carry the new epoch, which
            // fences every batch of this transaction still on its way.
            meta.ended_from = Some((producer_id, epoch));
            meta.epoch = epoch.saturating_add(1);
            meta.last_epoch = NO_PRODUCER_EPOCH;
            if meta.epoch == Epoch::MAX {
                meta.next_producer_id = Some(self.next_producer_id);
                self.next_producer_id += 1;
            }
        }
        meta.status = if commit {
            TxnStatus::PrepareCommit
        } else {
            TxnStatus::PrepareAbort
        };
        if commit {
            // The input offsets commit with the transaction (decided once prepared).
            meta.advance_position(producer, next_position);
        }
        meta.pending_markers = meta.partitions.clone();
        out.emit(EventKind::TransactionPrepared {
            transactional_id: transactional_id.to_string(),
            commit,
            partitions: meta.partitions.iter().copied().collect(),
        });
        self.send_markers(cluster, transactional_id, out);
        let meta = &self.transactions[transactional_id];
        let (id, next) = if v2 {
            meta.next_ids()
        } else {
            (producer_id, epoch)
        };
        (KafkaError::None, id, next)
    }

    /// `PrepareEpochFence`: abort the open transaction under the next epoch.
    fn begin_abort_with_fence(
        &mut self,
        cluster: &ClusterView,
        transactional_id: &str,
        why: &str,
        out: &mut Out,
    ) {
        let Some(meta) = self.transactions.get_mut(transactional_id) else {
            return;
        };
        if meta.status != TxnStatus::Ongoing {
            return;
        }
        meta.epoch = meta.epoch.saturating_add(1);
        meta.last_epoch = NO_PRODUCER_EPOCH;
        meta.status = TxnStatus::PrepareAbort;
        meta.pending_markers = meta.partitions.clone();
        out.emit(EventKind::TransactionFenced {
            transactional_id: transactional_id.to_string(),
            producer_id: meta.producer_id,
            epoch: meta.epoch,
            why: why.to_string(),
        });
        self.send_markers(cluster, transactional_id, out);
    }

    // -----------------------------------------------------------------------------------------
    // Markers.

    /// Sends the marker of every partition still pending to its leader, unless one sent
    /// earlier may still be answered. With none pending, the transaction is complete.
    fn send_markers(&mut self, cluster: &ClusterView, transactional_id: &str, out: &mut Out) {
        let meta = &self.transactions[transactional_id];
        let marker = if meta.status == TxnStatus::PrepareCommit {
            ControlMarker::Commit
        } else {
            ControlMarker::Abort
        };
        let (producer_id, epoch) = (meta.producer_id, meta.epoch);
        let pending: Vec<PartitionId> = meta.pending_markers.iter().copied().collect();
        if pending.is_empty() {
            self.finish_markers(transactional_id, out);
            return;
        }
        let Some(coordinator) = coordinator_of(cluster, transactional_id) else {
            return;
        };
        for partition in pending {
            let key = (transactional_id.to_string(), partition);
            if self
                .marker_sends
                .get(&key)
                .is_some_and(|send| marker_send_alive(cluster, send, coordinator))
            {
                continue;
            }
            let Some(leader) = cluster.leader(partition) else {
                continue;
            };
            let sent_ms = cluster.now_ms;
            let send = MarkerSend {
                leader,
                coordinator,
                sent_ms,
            };
            self.marker_sends.insert(key, send);
            out.send(
                Node::Broker(coordinator),
                Node::Broker(leader),
                Payload::WriteTxnMarker {
                    transactional_id: transactional_id.to_string(),
                    partition,
                    producer_id,
                    epoch,
                    marker,
                },
            );
        }
    }

    /// `TransactionMarkerRequestCompletionHandler`: NONE completes the partition; a retriable
    /// error (not the leader, not enough replicas, timed out) leaves it pending, and the next
    /// tick sends it again to whoever leads the partition then.
    pub fn on_marker_response(
        &mut self,
        (transactional_id, partition): (String, PartitionId),
        leader: BrokerId,
        epoch: Epoch,
        error: KafkaError,
        out: &mut Out,
    ) {
        let key = (transactional_id, partition);
        if self
            .marker_sends
            .get(&key)
            .is_some_and(|send| send.leader == leader)
        {
            self.marker_sends.remove(&key);
        }
        let Some(meta) = self.transactions.get_mut(&key.0) else {
            return;
        };
        if meta.epoch != epoch
            || !matches!(
                meta.status,
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort
            )
            || error != KafkaError::None
        {
            return;
        }
        meta.pending_markers.remove(&partition);
        if meta.pending_markers.is_empty() {
            self.finish_markers(&key.0, out);
        }
    }

    fn finish_markers(&mut self, transactional_id: &str, out: &mut Out) {
        let Some(meta) = self.transactions.get_mut(transactional_id) else {
            return;
        };
        let commit = meta.status == TxnStatus::PrepareCommit;
        meta.status = if commit {
            TxnStatus::CompleteCommit
        } else {
            TxnStatus::CompleteAbort
        };
        meta.started_ms = None;
        if let Some(id) = meta.next_producer_id.take() {
            // prepareProducerIdRotation, v2: the next transaction starts under the new id.
            meta.producer_id = id;
            meta.epoch = 0;
        }
        out.emit(EventKind::TransactionCompleted {
            transactional_id: transactional_id.to_string(),
            committed: commit,
        });
    }

    // -----------------------------------------------------------------------------------------
    // Timer.

    fn ensure_tick(&mut self, now_ms: TimeMs, out: &mut Out) {
        if !self.tick_scheduled {
            self.tick_scheduled = true;
            out.schedule(now_ms + COORDINATOR_TICK_MS, Action::CoordinatorTick);
        }
    }

    /// Re-sends unanswered markers and aborts transactions past `transaction.timeout.ms`.
    pub fn on_tick(&mut self, cluster: &ClusterView, out: &mut Out) {
        let now = cluster.now_ms;
        let ids: Vec<String> = self.transactions.keys().cloned().collect();
        for id in ids {
            let meta = &self.transactions[&id];
            match meta.status {
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => {
                    self.send_markers(cluster, &id, out)
                }
                TxnStatus::Ongoing
                    if meta.started_ms.is_some_and(|t| now >= t + meta.timeout_ms) =>
                {
                    let why = "transaction.timeout.ms expired";
                    self.begin_abort_with_fence(cluster, &id, why, out);
                }
                _ => {}
            }
        }
        out.schedule(now + COORDINATOR_TICK_MS, Action::CoordinatorTick);
    }

    // -----------------------------------------------------------------------------------------
    // Questions from partition leaders.

    /// KIP-890 part 1 (brokers 3.6+, `transaction.partition.verification.enable` on by
    /// default): before a producer's first transactional batch on a partition is appended, its
    /// leader asks whether that partition is in the producer's ongoing transaction
    /// (`ReplicaManager.appendRecords` → AddPartitionsToTxn with `verifyOnly`). A late batch of
    /// a transaction that has already ended is refused with INVALID_TXN_STATE, and one from a
    /// fenced epoch with INVALID_PRODUCER_EPOCH (`AddPartitionsToTxnManager` maps
    /// PRODUCER_FENCED to it). The model answers at once rather than through a round trip.
    pub fn verify_or_add(
        &mut self,
        now_ms: TimeMs,
        transactional_id: &str,
        ids: (ProducerId, Epoch),
        partition: PartitionId,
        v2: bool,
    ) -> Option<(KafkaError, RejectReason)> {
        if v2 {
            self.add_implicitly(now_ms, transactional_id, ids, partition)
        } else {
            self.verify(transactional_id, ids, partition)
        }
    }

    /// Transactions v2: the leader's AddPartitionsToTxn on a transaction's first write to a
    /// partition adds it (`handleAddPartitionsToTransaction` without `verifyOnly`), and begins
    /// the transaction if none is open. While the previous transaction's markers are being
    /// written the answer is CONCURRENT_TRANSACTIONS, which the client retries; an epoch the
    /// coordinator has moved past is fenced.
    fn add_implicitly(
        &mut self,
        now_ms: TimeMs,
        transactional_id: &str,
        (producer_id, epoch): (ProducerId, Epoch),
        partition: PartitionId,
    ) -> Option<(KafkaError, RejectReason)> {
        let Some(meta) = self.transactions.get_mut(transactional_id) else {
            return Some((KafkaError::InvalidTxnState, RejectReason::NotInTransaction));
        };
        let completing = matches!(
            meta.status,
            TxnStatus::PrepareCommit | TxnStatus::PrepareAbort
        );
        let next = meta.next_producer_id == Some(producer_id) && epoch == 0;
        if completing && (next || (producer_id, epoch) == (meta.producer_id, meta.epoch)) {
            return Some((
                KafkaError::ConcurrentTransactions,
                RejectReason::TransactionCompleting,
            ));
        }
        if (producer_id, epoch) != (meta.producer_id, meta.epoch) {
            return Some((
                KafkaError::InvalidProducerEpoch,
                RejectReason::FencedByCoordinator,
            ));
        }
        if meta.status != TxnStatus::Ongoing {
            meta.status = TxnStatus::Ongoing;
            meta.partitions.clear();
            meta.started_ms = Some(now_ms);
        }
        meta.partitions.insert(partition);
        None
    }

    pub fn verify(
        &self,
        transactional_id: &str,
        (producer_id, epoch): (ProducerId, Epoch),
        partition: PartitionId,
    ) -> Option<(KafkaError, RejectReason)> {
        let not_in_transaction = (KafkaError::InvalidTxnState, RejectReason::NotInTransaction);
        let Some(meta) = self.transactions.get(transactional_id) else {
            return Some(not_in_transaction);
        };
        if meta.producer_id != producer_id || meta.epoch != epoch {
            return Some((
                KafkaError::InvalidProducerEpoch,
                RejectReason::FencedByCoordinator,
            ));
        }
        let ongoing = meta.status == TxnStatus::Ongoing && meta.partitions.contains(&partition);
        (!ongoing).then_some(not_in_transaction)
    }
}

/// The fields of an EndTxn request, with the producer it came from.
struct EndTxn {
    producer: ProducerIndex,
    producer_id: ProducerId,
    epoch: Epoch,
    commit: bool,
    next_position: u32,
    v2: bool,
}

/// Whether an unanswered marker may still be answered: its coordinator still coordinates, the
/// broker it went to is up, and the request has not timed out (a connection lost with a
/// stopped broker fails the request at once in Kafka's NetworkClient).
fn marker_send_alive(cluster: &ClusterView, send: &MarkerSend, coordinator: BrokerId) -> bool {
    send.coordinator == coordinator
        && cluster.alive(send.leader)
        && cluster.now_ms < send.sent_ms + MARKER_TIMEOUT_MS + COORDINATOR_TICK_MS
}

#[cfg(test)]
mod tests {
    //! The coordinator alone: no world, a cluster of three brokers with one partition each,
    //! requests handed straight to the handlers (the cases of Kafka's
    //! `TransactionCoordinatorTest`).

    use super::*;
    use crate::engine::node::Command;
    use crate::engine::{Broker, PartitionMeta};

    const ID: &str = "tx"; // coordinated by broker (116 + 120) % 3 = 2

    struct Harness {
        coordinator: TransactionCoordinator,
        brokers: Vec<Broker>,
        partitions: Vec<PartitionMeta>,
        now_ms: TimeMs,
        next_request: u64,
    }

    impl Harness {
        fn new() -> Harness {
            let partitions: Vec<PartitionMeta> =
                (0..3).map(|p| PartitionMeta::initial(p, 3, 1)).collect();
            Harness {
                coordinator: TransactionCoordinator::default(),
                brokers: (0..3).map(|b| Broker::new(b, &partitions)).collect(),
                partitions,
                now_ms: 0,
                next_request: 0,
            }
        }

        fn view(&self) -> ClusterView<'_> {
            ClusterView {
                now_ms: self.now_ms,
                brokers: &self.brokers,
                partitions: &self.partitions,
            }
        }

        /// Sends `request` to the coordinator of [`ID`]; returns the answer and what else it did.
        fn ask(&mut self, request: TxnRequest) -> (Answer, Out) {
            let at = coordinator_of(&self.view(), ID).expect("a live coordinator");
            let (answer, out) = self.ask_at(at, request);
            (answer.expect("the coordinator answers"), out)
        }

        fn ask_at(&mut self, at: BrokerId, request: TxnRequest) -> (Option<Answer>, Out) {
            self.next_request += 1;
            let caller = Caller {
                producer: 0,
                incarnation: 0,
                request: self.next_request,
            };
            let call = TxnCall {
                transactional_id: ID.into(),
                transaction_timeout_ms: 60_000,
                request,
            };
            let mut out = Out::default();
            let cluster = ClusterView {
                now_ms: self.now_ms,
                brokers: &self.brokers,
                partitions: &self.partitions,
            };
            self.coordinator
                .on_request(&cluster, at, caller, call, &mut out);
            let answer = out.sent().iter().find_map(|(_, _, payload)| match payload {
                Payload::TxnResponse {
                    error,
                    producer_id,
                    epoch,
                    ..
                } => Some((*error, *producer_id, *epoch)),
                _ => None,
            });
            (answer, out)
        }

        fn tick(&mut self) -> Out {
            let mut out = Out::default();
            let cluster = ClusterView {
                now_ms: self.now_ms,
                brokers: &self.brokers,
                partitions: &self.partitions,
            };
            self.coordinator.on_tick(&cluster, &mut out);
            out
        }

        fn init(&mut self) -> Answer {
            self.ask(TxnRequest::InitProducerId { expected: None }).0
        }

        fn add(&mut self, (_, pid, epoch): Answer, partitions: Vec<PartitionId>) -> Answer {
            let request = TxnRequest::AddPartitions {
                producer_id: pid,
                epoch,
                partitions,
            };
            self.ask(request).0
        }

        fn end(&mut self, answer: Answer, commit: bool) -> (Answer, Out) {
            self.end_as(answer, commit, false)
        }

        fn end_as(&mut self, (_, pid, epoch): Answer, commit: bool, v2: bool) -> (Answer, Out) {
            self.ask(TxnRequest::EndTxn {
                producer_id: pid,
                epoch,
                commit,
                next_position: 1,
                v2,
            })
        }

        /// A v2 leader's first write of `(pid, epoch)` to `partition`.
        fn first_write(
            &mut self,
            ids: (ProducerId, Epoch),
            partition: PartitionId,
        ) -> Option<KafkaError> {
            self.coordinator
                .verify_or_add(self.now_ms, ID, ids, partition, true)
                .map(|(error, _)| error)
        }

        fn status(&self) -> TxnStatus {
            self.coordinator
                .transactions()
                .next()
                .expect("known")
                .status
        }

        /// Every marker in `out` answered NONE by its leader.
        fn write_markers(&mut self, out: &Out) -> Out {
            let mut answers = Out::default();
            for (_, to, payload) in out.sent() {
                if let (
                    Node::Broker(leader),
                    Payload::WriteTxnMarker {
                        transactional_id,
                        partition,
                        epoch,
                        ..
                    },
                ) = (to, payload)
                {
                    self.coordinator.on_marker_response(
                        (transactional_id.clone(), *partition),
                        *leader,
                        *epoch,
                        KafkaError::None,
                        &mut answers,
                    );
                }
            }
            answers
        }
    }

    fn markers(out: &Out) -> Vec<(BrokerId, PartitionId, ControlMarker)> {
        out.sent()
            .iter()
            .filter_map(|(_, to, payload)| match (to, payload) {
                (
                    Node::Broker(b),
                    Payload::WriteTxnMarker {
                        partition, marker, ..
                    },
                ) => Some((*b, *partition, *marker)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_new_instance_gets_the_next_epoch_and_fences_the_old_one() {
        let mut h = Harness::new();
        let first = h.init();
        assert_eq!(first, (KafkaError::None, 1000, 0));
        let second = h.init();
        assert_eq!(second, (KafkaError::None, 1000, 1));
        // The first instance's AddPartitionsToTxn is refused: it has been fenced.
        assert_eq!(h.add(first, vec![0]), (KafkaError::ProducerFenced, 1000, 1));
        assert_eq!(h.add(second, vec![0]), (KafkaError::None, 1000, 1));
    }

    #[test]
    fn init_during_a_transaction_aborts_it_under_the_next_epoch() {
        let mut h = Harness::new();
        let first = h.init();
        h.add(first, vec![0, 1]);
        let (answer, out) = h.ask(TxnRequest::InitProducerId { expected: None });
        assert_eq!(answer, CONCURRENT);
        assert!(matches!(
            out.events()[..],
            [EventKind::TransactionFenced { epoch: 1, .. }]
        ));
        assert_eq!(
            markers(&out),
            vec![(0, 0, ControlMarker::Abort), (1, 1, ControlMarker::Abort)]
        );
        assert_eq!(h.status(), TxnStatus::PrepareAbort);
        // Until the markers are written the new instance waits.
        assert_eq!(h.init(), CONCURRENT);
        let done = h.write_markers(&out);
        assert!(matches!(
            done.events()[..],
            [EventKind::TransactionCompleted {
                committed: false,
                ..
            }]
        ));
        assert_eq!(h.init(), (KafkaError::None, 1000, 2));
    }

    #[test]
    fn end_txn_prepares_sends_markers_and_a_retry_is_answered_the_same() {
        let mut h = Harness::new();
        let pid = h.init();
        h.add(pid, vec![2]);
        let (answer, out) = h.end(pid, true);
        assert_eq!(answer, (KafkaError::None, 1000, 0));
        assert_eq!(markers(&out), vec![(2, 2, ControlMarker::Commit)]);
        assert_eq!(h.status(), TxnStatus::PrepareCommit);
        // A retried EndTxn(COMMIT) whose answer was lost: NONE, and no second marker.
        let (retry, out) = h.end(pid, true);
        assert_eq!(retry, (KafkaError::None, 1000, 0));
        assert!(markers(&out).is_empty());
        // The opposite result is refused.
        assert_eq!(h.end(pid, false).0 .0, KafkaError::InvalidTxnState);
        h.write_markers(&markers_out(&h, 2));
        assert_eq!(h.status(), TxnStatus::CompleteCommit);
    }

    /// A WriteTxnMarker as the coordinator would have sent it to `partition`'s leader.
    fn markers_out(h: &Harness, partition: PartitionId) -> Out {
        let meta = h.coordinator.transactions().next().expect("known");
        let mut out = Out::default();
        out.send(
            Node::Broker(2),
            Node::Broker(partition),
            Payload::WriteTxnMarker {
                transactional_id: ID.into(),
                partition,
                producer_id: meta.producer_id,
                epoch: meta.epoch,
                marker: ControlMarker::Commit,
            },
        );
        out
    }

    #[test]
    fn a_retried_epoch_bump_gets_the_same_epoch_and_a_stale_one_is_fenced() {
        let mut h = Harness::new();
        h.init();
        let bump = TxnRequest::InitProducerId {
            expected: Some((1000, 0)),
        };
        assert_eq!(h.ask(bump.clone()).0, (KafkaError::None, 1000, 1));
        // The answer was lost and the client asks again from epoch 0 (KIP-360's retry).
        assert_eq!(h.ask(bump).0, (KafkaError::None, 1000, 1));
        let stale = TxnRequest::InitProducerId {
            expected: Some((1000, 5)),
        };
        assert_eq!(h.ask(stale).0, FENCED);
        let other_id = TxnRequest::InitProducerId {
            expected: Some((7, 1)),
        };
        assert_eq!(h.ask(other_id).0, FENCED);
    }

    #[test]
    fn an_exhausted_epoch_rotates_to_a_new_producer_id() {
        let mut h = Harness::new();
        h.init();
        h.coordinator.transactions.get_mut(ID).expect("known").epoch = Epoch::MAX;
        assert_eq!(h.init(), (KafkaError::None, 1001, 0));
    }

    #[test]
    fn a_broker_that_does_not_coordinate_the_id_does_not_answer() {
        let mut h = Harness::new();
        let (answer, out) = h.ask_at(0, TxnRequest::InitProducerId { expected: None });
        assert_eq!(answer, None);
        assert!(out.commands().is_empty());
        // With broker 2 down, the id moves to the next live broker, 0.
        h.brokers[2].alive = false;
        assert_eq!(coordinator_of(&h.view(), ID), Some(0));
        assert!(h
            .ask_at(0, TxnRequest::InitProducerId { expected: None })
            .0
            .is_some());
    }

    #[test]
    fn the_tick_expires_an_open_transaction_and_resends_unanswered_markers() {
        let mut h = Harness::new();
        let pid = h.init();
        h.add(pid, vec![1]);
        h.now_ms = 59_000;
        let out = h.tick();
        assert!(
            out.events().is_empty(),
            "not yet past transaction.timeout.ms"
        );
        h.now_ms = 60_000;
        let out = h.tick();
        assert!(matches!(
            out.events()[..],
            [EventKind::TransactionFenced { why, .. }] if why == "transaction.timeout.ms expired"
        ));
        assert_eq!(markers(&out), vec![(1, 1, ControlMarker::Abort)]);
        assert!(matches!(
            out.commands().last(),
            Some(Command::Schedule {
                at_ms: 61_000,
                action: Action::CoordinatorTick
            })
        ));
        // The marker is not answered; once its request has timed out the tick sends it again.
        h.now_ms = 60_000 + MARKER_TIMEOUT_MS + COORDINATOR_TICK_MS;
        let mut out = h.tick();
        assert_eq!(markers(&out), vec![(1, 1, ControlMarker::Abort)]);
        // A marker answered by a broker that no longer leads is not counted.
        h.coordinator.on_marker_response(
            (ID.into(), 1),
            0,
            1,
            KafkaError::NotLeaderOrFollower,
            &mut out,
        );
        assert_eq!(h.status(), TxnStatus::PrepareAbort);
    }

    #[test]
    fn verification_accepts_only_a_partition_of_the_ongoing_transaction() {
        let mut h = Harness::new();
        let pid = h.init();
        assert_eq!(
            h.coordinator.verify(ID, (1000, 0), 0),
            Some((KafkaError::InvalidTxnState, RejectReason::NotInTransaction))
        );
        h.add(pid, vec![0]);
        assert_eq!(h.coordinator.verify(ID, (1000, 0), 0), None);
        assert_eq!(
            h.coordinator.verify(ID, (1000, 0), 1),
            Some((KafkaError::InvalidTxnState, RejectReason::NotInTransaction))
        );
        h.init();
        assert_eq!(
            h.coordinator.verify(ID, (1000, 0), 0),
            Some((
                KafkaError::InvalidProducerEpoch,
                RejectReason::FencedByCoordinator
            ))
        );
        assert_eq!(
            h.coordinator.verify("unknown", (1000, 0), 0),
            Some((KafkaError::InvalidTxnState, RejectReason::NotInTransaction))
        );
    }

    /// Transactions v2: the first write adds the partition and begins the transaction; EndTxn
    /// bumps the epoch, writes the markers under it and answers with it; a retry of that EndTxn
    /// (its answer lost) gets the same answer; the next transaction's first write waits
    /// (CONCURRENT_TRANSACTIONS) until the markers are written; the old epoch is fenced.
    #[test]
    fn transactions_v2_add_on_the_first_write_and_bump_the_epoch_at_every_end() {
        let mut h = Harness::new();
        let pid = h.init();
        assert_eq!(h.first_write((1000, 0), 0), None);
        assert_eq!(h.status(), TxnStatus::Ongoing);
        let (answer, out) = h.end_as(pid, true, true);
        assert_eq!(answer, (KafkaError::None, 1000, 1));
        let meta = h.coordinator.transactions().next().expect("known");
        assert_eq!(meta.epoch, 1, "the markers go out under the new epoch");
        assert_eq!(markers(&out), vec![(0, 0, ControlMarker::Commit)]);
        let (retry, out) = h.end_as(pid, true, true);
        assert_eq!(retry, (KafkaError::None, 1000, 1));
        assert!(markers(&out).is_empty());
        assert_eq!(
            h.first_write((1000, 1), 0),
            Some(KafkaError::ConcurrentTransactions)
        );
        let mut done = markers_out(&h, 0);
        h.write_markers(&std::mem::take(&mut done));
        assert_eq!(h.status(), TxnStatus::CompleteCommit);
        assert_eq!(h.first_write((1000, 1), 0), None, "the next transaction");
        assert_eq!(
            h.first_write((1000, 0), 1),
            Some(KafkaError::InvalidProducerEpoch),
            "a late batch of the ended one"
        );
    }

    /// Transactions v2 with the epoch exhausted: the markers take the last epoch, and EndTxn
    /// answers with a new producer id at epoch 0, which the coordinator switches to once the
    /// markers are written.
    #[test]
    fn transactions_v2_hand_out_a_new_producer_id_when_the_epoch_runs_out() {
        let mut h = Harness::new();
        h.init();
        h.coordinator.transactions.get_mut(ID).expect("known").epoch = Epoch::MAX - 1;
        assert_eq!(h.first_write((1000, Epoch::MAX - 1), 0), None);
        let (answer, _) = h.end_as((KafkaError::None, 1000, Epoch::MAX - 1), false, true);
        assert_eq!(answer, (KafkaError::None, 1001, 0));
        assert_eq!(
            h.first_write((1001, 0), 0),
            Some(KafkaError::ConcurrentTransactions)
        );
        let meta = h.coordinator.transactions().next().expect("known");
        assert_eq!((meta.producer_id, meta.epoch), (1000, Epoch::MAX));
        let mut out = Out::default();
        out.send(
            Node::Broker(2),
            Node::Broker(0),
            Payload::WriteTxnMarker {
                transactional_id: ID.into(),
                partition: 0,
                producer_id: 1000,
                epoch: Epoch::MAX,
                marker: ControlMarker::Abort,
            },
        );
        h.write_markers(&out);
        let meta = h.coordinator.transactions().next().expect("known");
        assert_eq!((meta.producer_id, meta.epoch), (1001, 0));
        assert_eq!(h.first_write((1001, 0), 0), None);
    }

    #[test]
    fn producer_ids_come_from_one_counter() {
        let mut h = Harness::new();
        let mut out = Out::default();
        h.coordinator.on_init_producer_id(1, 3, 0, &mut out);
        assert_eq!(h.init().1, 1001);
        assert!(matches!(
            out.sent()[..],
            [(
                Node::Broker(1),
                Node::Producer(3),
                Payload::InitProducerIdResponse {
                    producer_id: 1000,
                    ..
                }
            )]
        ));
    }
}
