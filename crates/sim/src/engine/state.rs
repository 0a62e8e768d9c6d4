//! The state the engine keeps: client side, broker side and wire.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::replica::{ControlMarker, LogBatch};
use super::timer::Timer;
use crate::config::Acks;
use crate::error::KafkaError;
use crate::event::{BatchRef, PartitionResult};
use crate::sequence::SequenceSpace;
use crate::types::*;

// ---------------------------------------------------------------------------------------------
// Client side (Java producer).

/// What happened to one application message, as the application was told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MessageOutcome {
    Pending,
    Acked {
        offset: Offset,
    },
    Failed {
        error: KafkaError,
    },
    /// The producer restarted before an answer; the application re-sent it.
    Abandoned,
}

/// One TCP connection from the producer to a broker.
#[derive(Debug, Clone, Default)]
pub struct ClientConnection {
    pub generation: u32,
    /// Requests sent and not answered, oldest first (at most `max.in.flight`).
    pub in_flight: VecDeque<InFlightRequest>,
    /// A request on this connection was lost: TCP stalls, later requests are lost too.
    pub stalled: bool,
    /// The `request.timeout.ms` check for the oldest request in flight (one timer per
    /// connection keeps the event queue small).
    pub request_timeout: Timer,
    /// The millisecond the timer last waited for a response arriving in it (once per
    /// millisecond, so a response that does not come cannot hold the timer forever).
    pub timeout_deferred_at: Option<TimeMs>,
}

/// The transactional client's state (`TransactionManager.State`), named by what it waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClientTxnState {
    /// Waiting for InitProducerId from the coordinator.
    AwaitingProducerId,
    /// Between transactions.
    Ready,
    /// Sending the records of transaction `index`.
    InTransaction,
    /// Waiting for the coordinator to accept EndTxn.
    Ending { commit: bool },
    /// Fenced or otherwise fatal: the producer can do nothing more.
    Fatal { error: crate::error::KafkaError },
}

/// How a transaction of the application ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TxnResult {
    Committed,
    Aborted,
    /// The producer was fenced before it could end the transaction.
    Fenced,
    /// The producer stopped (a restart) with the transaction open.
    Abandoned,
}

impl TxnResult {
    /// The word the event log, the report and the app use.
    pub fn as_str(self) -> &'static str {
        match self {
            TxnResult::Committed => "committed",
            TxnResult::Aborted => "aborted",
            TxnResult::Fenced => "fenced",
            TxnResult::Abandoned => "abandoned",
        }
    }
}

impl std::fmt::Display for TxnResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one transaction of the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TxnOutcome {
    pub index: u32,
    pub attempt: u32,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub result: TxnResult,
    pub messages: Vec<u32>,
}

/// Client-side transaction bookkeeping of a producer with `transactional.id`.
#[derive(Debug, Clone)]
pub struct ClientTxn {
    pub transactional_id: String,
    /// Runs transactions v2 (KIP-890 part 2): no AddPartitionsToTxn, and every EndTxn answers
    /// with the next epoch.
    pub v2: bool,
    pub size: u32,
    pub planned_aborts: BTreeSet<u32>,
    pub state: ClientTxnState,
    /// The transaction being sent (or the next one, when ready).
    pub index: u32,
    pub attempt: u32,
    /// Partitions the coordinator has accepted into the current transaction.
    pub added: BTreeSet<PartitionId>,
    /// A request to the coordinator is outstanding (the client sends one at a time).
    pub request_in_flight: Option<u64>,
    /// Partitions named in the outstanding AddPartitionsToTxn.
    pub adding: Vec<PartitionId>,
    /// Every record of the current transaction has been handed to `send()`.
    pub all_sent: bool,
    /// A batch failed: the transaction can only be aborted.
    pub abortable_error: Option<crate::error::KafkaError>,
    /// `TransactionManager.epochBumpRequired`: a batch failed while the transaction was open,
    /// so after the abort the client asks the coordinator for the next epoch (KIP-360), which
    /// restarts every partition's sequence at 0.
    pub epoch_bump_required: bool,
    /// While the bump is under way: the producer id and epoch it bumps from, and whether the
    /// application runs the aborted transaction again afterwards.
    pub bumping_from: Option<(ProducerId, Epoch, bool)>,
    pub outcomes: Vec<TxnOutcome>,
}

impl ClientTxn {
    /// Messages of transaction `index` (the last one may be shorter).
    pub fn messages_of(&self, index: u32, total: u32) -> std::ops::Range<u32> {
        let start = index.saturating_mul(self.size).min(total);
        start..(start + self.size).min(total)
    }
}

/// The coordinator's record of a transactional id (`TransactionMetadata`). It lives in the
/// replicated `__transaction_state` log, so it survives the coordinator broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TxnMetadata {
    pub transactional_id: String,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    /// The epoch before the last bump a client asked for (`lastProducerEpoch`): a retried bump
    /// whose answer was lost gets the current epoch back instead of being fenced.
    #[serde(default = "no_epoch")]
    pub last_epoch: Epoch,
    pub status: TxnStatus,
    pub partitions: BTreeSet<PartitionId>,
    /// Partitions whose marker is not yet written.
    pub pending_markers: BTreeSet<PartitionId>,
    pub started_ms: Option<TimeMs>,
    pub timeout_ms: TimeMs,
    /// Each application's input position committed with its transactions (what
    /// `sendOffsetsToTransaction` stores): the index of the transaction after its last commit.
    /// Keyed by the scenario's producer: each producer spec is its own input stream.
    /// Pairs `(producer, position)` (a list, so JS sees plain arrays rather than a map keyed by
    /// numbers).
    pub committed_positions: Vec<(ProducerIndex, u32)>,
    /// Transactions v2: the producer id and epoch EndTxn bumped from, so a retried EndTxn
    /// whose answer was lost gets the same answer (`TransactionMetadata.prevProducerId` and
    /// `lastProducerEpoch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub ended_from: Option<(ProducerId, Epoch)>,
    /// Transactions v2 with the epoch exhausted: the producer id the client continues with,
    /// at epoch 0, once the markers are written (`TransactionMetadata.nextProducerId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub next_producer_id: Option<ProducerId>,
}

fn no_epoch() -> Epoch {
    NO_PRODUCER_EPOCH
}

impl TxnMetadata {
    /// A transactional id seen for the first time: its producer id at epoch 0, no transaction.
    pub fn new(transactional_id: &str, producer_id: ProducerId, timeout_ms: TimeMs) -> TxnMetadata {
        TxnMetadata {
            transactional_id: transactional_id.to_string(),
            producer_id,
            epoch: 0,
            last_epoch: NO_PRODUCER_EPOCH,
            status: TxnStatus::Empty,
            partitions: BTreeSet::new(),
            pending_markers: BTreeSet::new(),
            started_ms: None,
            timeout_ms,
            committed_positions: Vec::new(),
            ended_from: None,
            next_producer_id: None,
        }
    }

    /// The producer id and epoch a v2 client continues with after the transaction ended.
    pub fn next_ids(&self) -> (ProducerId, Epoch) {
        self.next_producer_id
            .map_or((self.producer_id, self.epoch), |id| (id, 0))
    }

    pub fn position_of(&self, producer: ProducerIndex) -> u32 {
        self.committed_positions
            .iter()
            .find(|(p, _)| *p == producer)
            .map_or(0, |(_, pos)| *pos)
    }

    pub fn advance_position(&mut self, producer: ProducerIndex, position: u32) {
        match self
            .committed_positions
            .iter_mut()
            .find(|(p, _)| *p == producer)
        {
            Some((_, pos)) => *pos = (*pos).max(position),
            None => self.committed_positions.push((producer, position)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TxnStatus {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

/// A request to the transaction coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnRequest {
    /// `expected`: the producer id and epoch to bump from (KIP-360), or none for a new instance.
    InitProducerId {
        expected: Option<(ProducerId, Epoch)>,
    },
    AddPartitions {
        producer_id: ProducerId,
        epoch: Epoch,
        partitions: Vec<PartitionId>,
    },
    EndTxn {
        producer_id: ProducerId,
        epoch: Epoch,
        commit: bool,
        next_position: u32,
        /// Sent by a client running transactions v2 (EndTxn v5+): the coordinator bumps the
        /// epoch and answers with the next one (KIP-890 part 2).
        v2: bool,
    },
}

// ---------------------------------------------------------------------------------------------
// Wire.

/// The records of a batch on the wire, inline up to a few: a request is built for every batch
/// sent, and three small allocations per request were a measurable share of a run.
pub type RecordPayload = smallvec::SmallVec<[Option<(ProducerIndex, u32)>; 4]>;

/// A produce request's batches: one per partition, so usually one, held inline.
pub type WireBatches = smallvec::SmallVec<[WireBatch; 1]>;

/// Client batch ids of a request, in request order (inline up to two).
pub type BatchIds = smallvec::SmallVec<[u64; 2]>;

/// A batch as encoded in a produce request: the header fields plus the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireBatch {
    pub batch_id: u64,
    pub partition: PartitionId,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub base_sequence: Sequence,
    pub record_count: u32,
    pub attempt: u32,
    pub max_timestamp_ms: TimeMs,
    /// `(producer, message index)` of each record; `None` for crafted records.
    pub payload: RecordPayload,
    pub transactional: bool,
}

/// A produce request as it travels, client or crafted: what the leader reads.
#[derive(Debug, Clone)]
pub struct ProduceRequest {
    pub id: u64,
    /// `None` for a crafted request from the fault injector.
    pub producer: Option<ProducerIndex>,
    pub incarnation: u32,
    pub broker: BrokerId,
    /// The client connection's generation: which TCP connection carries it.
    pub generation: u32,
    pub acks: Acks,
    pub timeout_ms: TimeMs,
    /// `transactional.id` for a transactional producer (what the leader's verification asks
    /// the coordinator about).
    pub transactional_id: Option<String>,
    pub batches: WireBatches,
    pub corrupted: bool,
    /// Sent by a client running transactions v2 (Produce v12): the leader's first-write
    /// question to the coordinator adds the partition instead of only checking it.
    pub transactions_v2: bool,
    /// A batch the leader refuses for good (a `reject_batch` fault): its partition and error.
    pub rejected: Option<(PartitionId, KafkaError)>,
}

impl ProduceRequest {
    /// The client connection it arrived on (crafted requests have none).
    pub fn connection(&self) -> Option<(ProducerIndex, u32, u32)> {
        Some((self.producer?, self.incarnation, self.generation))
    }

    /// Its batch `index`, as events name a batch.
    pub fn batch_ref(&self, index: usize, space: SequenceSpace) -> BatchRef {
        let w = &self.batches[index];
        BatchRef {
            batch_id: w.batch_id,
            producer: self.producer,
            partition: w.partition,
            producer_id: w.producer_id,
            epoch: w.epoch,
            base_sequence: w.base_sequence,
            last_sequence: space.last_of_batch(w.base_sequence, w.record_count),
            record_count: w.record_count,
            attempt: w.attempt,
        }
    }

    /// Every batch it carries, as events name them.
    pub fn batch_refs(&self, space: SequenceSpace) -> Vec<BatchRef> {
        (0..self.batches.len())
            .map(|i| self.batch_ref(i, space))
            .collect()
    }
}

/// A request the client sent and has no answer for: what it needs when the answer comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlightRequest {
    pub id: u64,
    pub sent_ms: TimeMs,
    /// The client batches it carries, in request order.
    pub batches: BatchIds,
}

/// What travels on the wire.
#[derive(Debug, Clone)]
pub enum Payload {
    InitProducerIdRequest {
        producer: ProducerIndex,
        incarnation: u32,
    },
    InitProducerIdResponse {
        producer: ProducerIndex,
        incarnation: u32,
        producer_id: ProducerId,
    },
    /// Shared, not copied: the request's content travels with it.
    Produce {
        request: std::rc::Rc<ProduceRequest>,
    },
    /// What the client needs to find the request it answers.
    ProduceResponse {
        request: u64,
        producer: ProducerIndex,
        incarnation: u32,
        broker: BrokerId,
        generation: u32,
        results: Vec<PartitionResult>,
    },
    /// The client closed its connection (after a request timeout or a reset, or because its
    /// process stopped): the FIN tells the broker to drop the requests it has not read yet.
    ConnectionClosedByClient {
        producer: ProducerIndex,
        incarnation: u32,
        generation: u32,
    },
    /// A TCP reset reaching the client.
    ConnectionReset {
        producer: ProducerIndex,
        broker: BrokerId,
        generation: u32,
        incarnation: u32,
    },
    Fetch {
        follower: BrokerId,
        partition: PartitionId,
        fetch_offset: Offset,
    },
    /// Producer → transaction coordinator. The transactional id and the transaction timeout
    /// travel with every request, as the coordinator knows nothing of the client.
    TxnRequest {
        producer: ProducerIndex,
        incarnation: u32,
        id: u64,
        transactional_id: String,
        transaction_timeout_ms: TimeMs,
        request: TxnRequest,
    },
    /// Coordinator → producer.
    TxnResponse {
        producer: ProducerIndex,
        incarnation: u32,
        id: u64,
        error: crate::error::KafkaError,
        producer_id: ProducerId,
        epoch: Epoch,
        /// The committed input position (what the application reads back on start).
        position: u32,
    },
    /// Coordinator → partition leader: write a COMMIT or ABORT marker.
    WriteTxnMarker {
        transactional_id: String,
        partition: PartitionId,
        producer_id: ProducerId,
        epoch: Epoch,
        marker: ControlMarker,
    },
    /// Partition leader → coordinator: NONE once the marker is replicated to the ISR.
    WriteTxnMarkerResponse {
        transactional_id: String,
        partition: PartitionId,
        epoch: Epoch,
        error: KafkaError,
    },
    FetchResponse {
        follower: BrokerId,
        partition: PartitionId,
        batches: Vec<LogBatch>,
        high_watermark: Offset,
        truncate_to: Option<Offset>,
    },
}

/// A message on the wire.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: u64,
    pub from: Node,
    pub to: Node,
    pub sent_ms: TimeMs,
    pub arrive_ms: TimeMs,
    pub payload: Payload,
    /// Will be lost on arrival (the UI shows it fading).
    pub doomed: bool,
    /// The process incarnation of each endpoint that is a broker, when the message was sent:
    /// a TCP connection dies with either process, and with it what it carries.
    pub from_incarnation: u32,
    pub to_incarnation: u32,
}

/// An endpoint of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "NodeRef"))]
pub enum Node {
    Producer(ProducerIndex),
    Broker(BrokerId),
    /// The expert's hand-made requests.
    Injector,
}

#[derive(Debug, Clone)]
pub struct LinkCut {
    pub producer: ProducerIndex,
    pub broker: BrokerId,
    pub since_ms: TimeMs,
    pub until_ms: TimeMs,
}

/// Every produce response a broker sent, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResponseRecord {
    pub time_ms: TimeMs,
    pub producer: Option<ProducerIndex>,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub partition: PartitionId,
    pub base_sequence: Sequence,
    pub last_sequence: Sequence,
    pub attempt: u32,
    pub broker: BrokerId,
    pub error: KafkaError,
    pub base_offset: Offset,
    /// Whether the client ever received it.
    pub delivered: bool,
    #[serde(skip)]
    pub request: u64,
}

// ---------------------------------------------------------------------------------------------
// Broker side.
