//! A serializable picture of the whole state at one instant: what the UI draws.

use serde::{Deserialize, Serialize};

use crate::engine::{
    BatchState, MessageOutcome, Node, Payload, ProduceRequest, Simulation, TxnRequestPublic,
    WireBatch,
};
use crate::error::KafkaError;
use crate::event::BatchRef;
use crate::producer_state::ProducerEntry;
use crate::sequence::SequenceSpace;
use crate::types::*;
use crate::version::KafkaVersion;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Snapshot {
    pub time_ms: TimeMs,
    pub finished: Option<String>,
    pub event_count: u64,
    pub producers: Vec<ProducerView>,
    pub brokers: Vec<BrokerView>,
    pub partitions: Vec<PartitionView>,
    pub messages: Vec<MessageView>,
    /// The transaction coordinator's state for every transactional id.
    pub transactions: Vec<crate::engine::TxnMetadata>,
    /// Links between a producer and a broker that are cut now, and until when.
    #[serde(default)]
    pub links_cut: Vec<LinkCutView>,
}

/// A cut link between a producer and a broker: nothing passes until `until_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LinkCutView {
    pub producer: ProducerIndex,
    pub broker: BrokerId,
    pub since_ms: TimeMs,
    pub until_ms: TimeMs,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProducerView {
    pub index: ProducerIndex,
    pub alive: bool,
    pub idempotent: bool,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub partitions: Vec<ClientPartitionView>,
    /// What the application was told for each message so far.
    pub outcomes: Vec<MessageOutcome>,
    pub messages_sent: u32,
    pub messages_total: u32,
    /// For a transactional producer: its id, state, current transaction and past outcomes.
    pub transaction: Option<ClientTxnView>,
    /// The next `request.timeout.ms` to run out: the oldest produce request still unanswered on
    /// any connection, from when it was sent to when the client gives up on it.
    #[serde(default)]
    pub request_timeout: Option<(TimeMs, TimeMs)>,
    /// The Java client's release when the scenario names one (`null`: the default, 3.9).
    #[serde(default)]
    pub client_version: Option<KafkaVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientTxnView {
    pub transactional_id: String,
    #[serde(flatten)]
    pub state: crate::engine::ClientTxnState,
    pub index: u32,
    pub attempt: u32,
    pub added_partitions: Vec<PartitionId>,
    pub outcomes: Vec<crate::engine::TxnOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientPartitionView {
    pub partition: PartitionId,
    pub next_sequence: Sequence,
    pub last_acked_sequence: i64,
    pub unresolved_next_sequence: Option<Sequence>,
    /// Batches in the accumulator, head first (retries included).
    pub queued: Vec<BatchRef>,
    /// While the head batch waits out its retry backoff: when the wait began and when it ends.
    #[serde(default)]
    pub backoff: Option<(TimeMs, TimeMs)>,
    /// Batches on the wire, oldest first.
    pub in_flight: Vec<BatchRef>,
    /// The oldest unfinished batch's `delivery.timeout.ms`: from its creation to when the
    /// client fails it if it is still not acknowledged.
    #[serde(default)]
    pub delivery_timeout: Option<(TimeMs, TimeMs)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrokerView {
    pub id: BrokerId,
    pub alive: bool,
    /// While stopped: when it stopped and when it restarts.
    #[serde(default)]
    pub down: Option<(TimeMs, TimeMs)>,
    pub replicas: Vec<ReplicaView>,
    /// The brokers' release when the scenario names one (it changes what they do).
    #[serde(default)]
    pub broker_version: Option<KafkaVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReplicaView {
    pub partition: PartitionId,
    pub is_leader: bool,
    pub in_isr: bool,
    pub log_end_offset: Offset,
    pub high_watermark: Offset,
    pub last_stable_offset: Offset,
    /// The first offset consumers may read (moved up by DeleteRecords).
    #[serde(default)]
    pub log_start_offset: Offset,
    pub log: Vec<LogEntryView>,
    pub producer_state: Vec<ProducerEntry>,
    /// When each producer id's state will be forgotten if no batch of it arrives before.
    #[serde(default)]
    pub expiries: Vec<StateExpiryView>,
}

/// A producer's state on a replica runs out `producer.id.expiration.ms` after its last batch's
/// timestamp and is removed by the first periodic check after that
/// (`ProducerStateManager.removeExpiredProducers`, every
/// `producer.id.expiration.check.interval.ms`). A producer with an open transaction never
/// expires, so it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StateExpiryView {
    pub producer_id: ProducerId,
    /// The last batch's timestamp: the clock starts here.
    pub since_ms: TimeMs,
    /// The check that will remove it.
    pub at_ms: TimeMs,
}

/// One record of a partition log, flattened for drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogEntryView {
    pub offset: Offset,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub sequence: Sequence,
    pub producer: Option<ProducerIndex>,
    pub message: Option<u32>,
    pub key: String,
    pub value: String,
    /// An earlier offset of this log already holds the same application message.
    pub duplicate_of: Option<Offset>,
    /// Written inside a transaction.
    pub transactional: bool,
    /// A COMMIT or ABORT marker rather than data.
    pub control: Option<crate::engine::ControlMarker>,
    /// Data of an aborted transaction: read_committed consumers skip it.
    pub aborted: bool,
    /// The producer's batch these records were sent in (`BatchRef::batch_id`), so a drawing can
    /// give one batch one colour from the producer to the log; `None` for markers.
    #[serde(default)]
    pub batch_id: Option<u64>,
    /// Below the log start offset (DeleteRecords): no consumer reads it any more.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PartitionView {
    pub id: PartitionId,
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub leader_epoch: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageView {
    pub id: u64,
    pub from: Node,
    pub to: Node,
    pub sent_ms: TimeMs,
    pub arrive_ms: TimeMs,
    pub kind: MessageKind,
    pub label: String,
    pub request: Option<u64>,
    pub doomed: bool,
}

/// What a message on the wire is, for drawing (serialized as its snake_case name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MessageKind {
    /// A produce request.
    Produce,
    /// A produce response.
    Response,
    /// InitProducerId and its answer (idempotent producers).
    InitProducerId,
    /// The connection reset or closed.
    Reset,
    /// A transactional request to the coordinator, or its answer.
    Txn,
    /// WriteTxnMarkers between the coordinator and a partition leader, or its answer.
    Marker,
    /// A follower's fetch, or its answer.
    Fetch,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Produce => "produce",
            MessageKind::Response => "response",
            MessageKind::InitProducerId => "init_producer_id",
            MessageKind::Reset => "reset",
            MessageKind::Txn => "txn",
            MessageKind::Marker => "marker",
            MessageKind::Fetch => "fetch",
        }
    }
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key and value the model gives an application message.
pub fn message_key(message: u32) -> String {
    format!("k{message}")
}

pub fn message_value(producer: ProducerIndex, message: u32) -> String {
    format!("p{producer}-m{message}")
}

impl Simulation {
    /// The whole state now, logs included.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_with(true)
    }

    /// The state now without the replicas' logs (each `ReplicaView::log` is empty): what a
    /// picture of the nodes and the wire needs, at a cost that does not grow with the logs.
    pub fn snapshot_without_logs(&self) -> Snapshot {
        self.snapshot_with(false)
    }

    /// A number that changes whenever any replica's log, high watermark or last stable
    /// offset, or a partition's leadership, changes: a player rebuilds its log views only
    /// when it does.
    pub fn logs_fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut mix = |v: u64| {
            h ^= v;
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        for b in &self.brokers {
            mix(u64::from(b.alive));
            for (&partition, r) in &b.replicas {
                mix(u64::from(partition));
                mix(r.log_end_offset() as u64);
                mix(r.high_watermark as u64);
                mix(r.last_stable_offset() as u64);
                mix(r.log.last().map_or(u64::MAX, |l| l.appended_event));
            }
        }
        for meta in &self.partitions {
            mix(meta.leader.map_or(u64::MAX, u64::from));
        }
        h
    }

    fn snapshot_with(&self, logs: bool) -> Snapshot {
        Snapshot {
            time_ms: self.now_ms,
            finished: self.finished().map(str::to_string),
            event_count: self.event_count,
            producers: self
                .producers
                .iter()
                .map(|p| self.producer_view(p))
                .collect(),
            brokers: self
                .brokers
                .iter()
                .map(|b| self.broker_view(b.id, logs))
                .collect(),
            partitions: self
                .partitions
                .iter()
                .map(|m| PartitionView {
                    id: m.id,
                    replicas: m.replicas.clone(),
                    leader: m.leader,
                    isr: m.isr.clone(),
                    leader_epoch: m.leader_epoch,
                })
                .collect(),
            messages: self
                .messages
                .values()
                .map(|m| self.message_view(m))
                .collect(),
            transactions: self.coordinator.transactions().cloned().collect(),
            links_cut: self
                .links_cut
                .iter()
                .filter(|c| c.until_ms > self.now_ms)
                .map(|c| LinkCutView {
                    producer: c.producer,
                    broker: c.broker,
                    since_ms: c.since_ms,
                    until_ms: c.until_ms,
                })
                .collect(),
        }
    }

    fn producer_view(&self, p: &crate::engine::ProducerClient) -> ProducerView {
        let partitions = (0..p.partitions.len() as PartitionId)
            .map(|partition| self.client_partition_view(p, partition))
            .collect();
        ProducerView {
            index: p.index,
            alive: p.alive,
            idempotent: p.config.idempotent,
            producer_id: p.producer_id,
            epoch: p.epoch,
            partitions,
            outcomes: p.outcomes.to_vec(),
            messages_sent: p.next_message,
            messages_total: p.total_messages,
            client_version: self.scenario.producers[p.index as usize].client_version,
            transaction: p.txn.as_ref().map(|t| ClientTxnView {
                transactional_id: t.transactional_id.clone(),
                state: t.state.clone(),
                index: t.index,
                attempt: t.attempt,
                added_partitions: t.added.iter().copied().collect(),
                outcomes: t.outcomes.clone(),
            }),
            request_timeout: p
                .connections
                .iter()
                .filter_map(|c| c.in_flight.front())
                .map(|r| r.sent_ms)
                .min()
                .map(|sent| (sent, sent.saturating_add(p.config.request_timeout_ms))),
        }
    }

    /// When each producer id a replica remembers will be forgotten (see [`StateExpiryView`]).
    fn expiries(&self, replica: &crate::engine::Replica) -> Vec<StateExpiryView> {
        let cluster = &self.scenario.cluster;
        let interval = cluster.producer_id_expiration_check_interval_ms.max(1);
        replica
            .producer_state
            .entries
            .values()
            .filter(|e| e.current_txn_first_offset.is_none())
            .map(|e| {
                let due = e
                    .last_timestamp_ms
                    .saturating_add(cluster.producer_state_expiration_ms());
                // Checks run at every multiple of the interval (the first one interval in).
                let at_ms = due.div_ceil(interval).max(1).saturating_mul(interval);
                StateExpiryView {
                    producer_id: e.producer_id,
                    since_ms: e.last_timestamp_ms,
                    at_ms,
                }
            })
            .collect()
    }

    /// The log of one replica, flattened, with duplicates of an application message marked.
    pub(crate) fn log_entries(
        &self,
        broker: BrokerId,
        partition: PartitionId,
    ) -> Vec<LogEntryView> {
        let replica = self.brokers[broker as usize].replica(partition);
        let mut first_seen: crate::message_map::MessageMap<Offset> = self.message_map();
        let mut out = Vec::with_capacity(replica.record_count());
        for batch in &replica.log {
            for r in &batch.records {
                let aborted = crate::log_tail::is_aborted_record(replica, batch, r);
                // Aborted data is invisible to read_committed consumers: it neither counts as
                // a first copy nor is flagged as a second one (it is marked `aborted`).
                let duplicate_of = r.message.filter(|_| !aborted).and_then(|m| {
                    let first = first_seen.get_or_insert(m, r.offset);
                    (first != r.offset).then_some(first)
                });
                let flags = (aborted, replica.log_start_offset);
                out.push(crate::log_tail::entry_view(batch, r, flags, duplicate_of));
            }
        }
        out
    }

    fn broker_view(&self, id: BrokerId, logs: bool) -> BrokerView {
        let b = &self.brokers[id as usize];
        BrokerView {
            id,
            broker_version: self.scenario.cluster.broker_version,
            alive: b.alive,
            down: b.down,
            replicas: b
                .replicas
                .iter()
                .map(|(&partition, replica)| {
                    let meta = &self.partitions[partition as usize];
                    ReplicaView {
                        partition,
                        is_leader: meta.leader == Some(id),
                        in_isr: meta.isr.contains(&id),
                        log_end_offset: replica.log_end_offset(),
                        high_watermark: replica.high_watermark,
                        last_stable_offset: replica.last_stable_offset(),
                        log_start_offset: replica.log_start_offset,
                        log: if logs {
                            self.log_entries(id, partition)
                        } else {
                            Vec::new()
                        },
                        producer_state: replica.producer_state.entries.values().cloned().collect(),
                        expiries: self.expiries(replica),
                    }
                })
                .collect(),
        }
    }

    /// One partition as the client holds it: sequences, deque, what is in flight, and the
    /// countdowns (the head's backoff, the oldest batch's delivery timeout).
    fn client_partition_view(
        &self,
        p: &crate::engine::ProducerClient,
        partition: PartitionId,
    ) -> ClientPartitionView {
        let part = &p.partitions[partition as usize];
        let in_flight = self.in_flight_view(p, partition);
        let batch = |id: &u64| &self.batches[*id as usize];
        let backoff = part
            .deque
            .front()
            .map(batch)
            .filter(|b| b.in_retry && b.retry_at_ms > self.now_ms)
            .map(|b| (b.retry_since_ms, b.retry_at_ms));
        let delivery_timeout = part
            .deque
            .iter()
            .chain(in_flight.iter().map(|b| &b.batch_id))
            .map(|id| batch(id).created_ms)
            .min()
            .map(|created| {
                (
                    created,
                    created.saturating_add(p.config.delivery_timeout_ms),
                )
            });
        ClientPartitionView {
            partition,
            next_sequence: part.next_sequence,
            last_acked_sequence: part.last_acked_sequence,
            unresolved_next_sequence: part.unresolved_next_sequence,
            queued: part.deque.iter().map(|&id| self.batch_ref(id)).collect(),
            backoff,
            delivery_timeout,
            in_flight,
        }
    }

    /// The partition's batches on the wire. An idempotent client tracks them by sequence;
    /// batches without one are found by their state.
    fn in_flight_view(
        &self,
        p: &crate::engine::ProducerClient,
        partition: PartitionId,
    ) -> Vec<BatchRef> {
        let on_wire =
            |b: &crate::engine::ClientBatch| matches!(b.state, BatchState::InFlight { .. });
        if p.config.idempotent {
            let part = &p.partitions[partition as usize];
            return part
                .in_flight
                .iter()
                .filter(|&&id| on_wire(&self.batches[id as usize]))
                .map(|&id| self.batch_ref(id))
                .collect();
        }
        self.batches
            .iter()
            .filter(|b| {
                b.producer == p.index && b.partition == partition && b.incarnation == p.incarnation
            })
            .filter(|b| on_wire(b))
            .map(|b| self.batch_ref(b.id))
            .collect()
    }

    fn message_view(&self, m: &crate::engine::Message) -> MessageView {
        let (kind, request) = message_kind(&m.payload);
        let label = message_label(&m.payload, self.space);
        MessageView {
            id: m.id,
            from: m.from,
            to: m.to,
            sent_ms: m.sent_ms,
            arrive_ms: m.arrive_ms,
            kind,
            label,
            request,
            doomed: m.doomed,
        }
    }
}

/// What kind of message a payload is, and the produce request it carries or answers.
fn message_kind(payload: &Payload) -> (MessageKind, Option<u64>) {
    match payload {
        Payload::InitProducerIdRequest { .. } | Payload::InitProducerIdResponse { .. } => {
            (MessageKind::InitProducerId, None)
        }
        Payload::Produce { request } => (MessageKind::Produce, Some(request.id)),
        Payload::ProduceResponse { request, .. } => (MessageKind::Response, Some(*request)),
        Payload::ConnectionReset { .. } | Payload::ConnectionClosedByClient { .. } => {
            (MessageKind::Reset, None)
        }
        Payload::TxnRequest { .. } | Payload::TxnResponse { .. } => (MessageKind::Txn, None),
        Payload::WriteTxnMarker { .. } | Payload::WriteTxnMarkerResponse { .. } => {
            (MessageKind::Marker, None)
        }
        Payload::Fetch { .. } | Payload::FetchResponse { .. } => (MessageKind::Fetch, None),
    }
}

/// A message's label on the wire, as the player shows it.
fn message_label(payload: &Payload, space: SequenceSpace) -> String {
    match payload {
        Payload::InitProducerIdRequest { .. } => "InitProducerId".to_string(),
        Payload::InitProducerIdResponse { producer_id, .. } => {
            format!("pid {producer_id}, epoch 0")
        }
        Payload::Produce { request } => produce_label(request, space),
        Payload::ProduceResponse { results, .. } => crate::words::partition_results(results),
        Payload::ConnectionReset { .. } => "connection reset".to_string(),
        Payload::ConnectionClosedByClient { .. } => "connection closed (FIN)".to_string(),
        Payload::TxnRequest { request, .. } => txn_request_label(request),
        Payload::TxnResponse {
            error,
            producer_id,
            epoch,
            ..
        } => format!("{error} (pid {producer_id}, epoch {epoch})"),
        Payload::WriteTxnMarker {
            partition, marker, ..
        } => format!("WriteTxnMarker p{partition} {marker:?}"),
        Payload::WriteTxnMarkerResponse {
            partition, error, ..
        } => match error {
            KafkaError::None => format!("marker written p{partition}"),
            error => format!("marker p{partition}: {error}"),
        },
        Payload::Fetch {
            partition,
            fetch_offset,
            ..
        } => format!("fetch p{partition} from {fetch_offset}"),
        Payload::FetchResponse {
            partition,
            batches,
            high_watermark,
            ..
        } => format!(
            "p{partition}: {} batches, hw {high_watermark}",
            batches.len()
        ),
    }
}

/// Each batch of a produce request: its partition, sequences and attempt.
fn produce_label(request: &ProduceRequest, space: SequenceSpace) -> String {
    let batch = |b: &WireBatch| {
        let last = space.last_of_batch(b.base_sequence, b.record_count);
        let words = crate::words::batch(b.base_sequence, last, b.record_count, b.attempt);
        format!("p{} · {words}", b.partition)
    };
    request
        .batches
        .iter()
        .map(batch)
        .collect::<Vec<_>>()
        .join(", ")
}

fn txn_request_label(request: &crate::engine::TxnRequestPublic) -> String {
    use TxnRequestPublic as Request;
    match request {
        Request::InitProducerId { expected: None } => "InitProducerId(transactional.id)".into(),
        Request::InitProducerId {
            expected: Some((pid, epoch)),
        } => format!("InitProducerId(bump pid {pid} epoch {epoch})"),
        Request::AddPartitions { partitions, .. } => format!("AddPartitionsToTxn {partitions:?}"),
        Request::EndTxn { commit, .. } => {
            format!("EndTxn({})", crate::words::decision(*commit))
        }
    }
}
