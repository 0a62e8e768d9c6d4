//! Typed events: everything the UI animates and the event log lists.

use serde::{Deserialize, Serialize};

use crate::error::KafkaError;
use crate::producer_state::RejectReason;
use crate::types::{
    BrokerId, Epoch, Offset, PartitionId, ProducerId, ProducerIndex, Sequence, TimeMs,
};

/// The kind of a control batch: the end of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ControlMarker {
    Commit,
    Abort,
}

/// One thing that happened, at a simulated time. `index` is its position in the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
// Declared by hand so it names `EventKind` instead of repeating its union; the test
// `typescript::tests::a_lab_event_is_its_index_and_time_with_its_kind` fails if a field is added.
#[cfg_attr(
    feature = "ts",
    ts(
        rename = "LabEvent",
        type = "{ index: number, time_ms: number, } & EventKind"
    )
)]
pub struct Event {
    pub index: u64,
    pub time_ms: TimeMs,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The producer fields of one batch as it travels in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchRef {
    pub batch_id: u64,
    pub producer: Option<ProducerIndex>,
    pub partition: PartitionId,
    pub producer_id: ProducerId,
    pub epoch: Epoch,
    pub base_sequence: Sequence,
    pub last_sequence: Sequence,
    pub record_count: u32,
    pub attempt: u32,
}

/// The leader's decision on one batch, as said in the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BrokerVerdict {
    Appended {
        base_offset: Offset,
        last_offset: Offset,
        /// The leader had no state for this producer id: any sequence was accepted (KIP-360).
        #[serde(default)]
        unknown_producer: bool,
    },
    Duplicate {
        base_offset: Offset,
        last_offset: Offset,
    },
    Rejected {
        error: KafkaError,
        reason: Option<RejectReason>,
    },
    /// Only under the textbook rule: thrown away as a "duplicate" though never written.
    TextbookDiscarded { last_seen: Sequence },
}

/// A per-partition result inside a produce response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PartitionResult {
    pub partition: PartitionId,
    pub error: KafkaError,
    pub base_offset: Offset,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EventKind {
    /// The application called `send()`.
    RecordSent {
        producer: ProducerIndex,
        message: u32,
        partition: PartitionId,
        resend: bool,
    },
    ProducerIdAssigned {
        producer: ProducerIndex,
        producer_id: ProducerId,
        epoch: Epoch,
    },
    RequestSent {
        producer: Option<ProducerIndex>,
        broker: BrokerId,
        request: u64,
        batches: Vec<BatchRef>,
    },
    RequestLost {
        request: u64,
        why: String,
    },
    BatchVerdict {
        broker: BrokerId,
        request: u64,
        batch: BatchRef,
        #[serde(flatten)]
        verdict: BrokerVerdict,
        /// The verdict in plain words.
        explanation: String,
    },
    ResponseSent {
        broker: BrokerId,
        producer: Option<ProducerIndex>,
        request: u64,
        results: Vec<PartitionResult>,
    },
    ResponseLost {
        request: u64,
    },
    ConnectionClosed {
        producer: ProducerIndex,
        broker: BrokerId,
        error: KafkaError,
        failed_requests: Vec<u64>,
    },
    ResponseReceived {
        producer: ProducerIndex,
        request: u64,
        results: Vec<PartitionResult>,
    },
    BatchAcked {
        producer: ProducerIndex,
        batch: BatchRef,
        base_offset: Offset,
    },
    BatchRetrying {
        producer: ProducerIndex,
        batch: BatchRef,
        error: KafkaError,
        next_attempt: u32,
        backoff_ms: TimeMs,
    },
    BatchFailed {
        producer: ProducerIndex,
        batch: BatchRef,
        error: KafkaError,
        /// Whether the broker may have written it anyway (the fate is unknown to the client).
        maybe_written: bool,
    },
    /// MESSAGE_TOO_LARGE for a batch of more than one record: the client replaced it with
    /// smaller batches that keep its producer id, epoch and sequences, and sends them as if
    /// they had never been tried (`RecordAccumulator.splitAndReenqueue`).
    BatchSplit {
        producer: ProducerIndex,
        batch: BatchRef,
        into: Vec<BatchRef>,
    },
    EpochBumped {
        producer: ProducerIndex,
        producer_id: ProducerId,
        epoch: Epoch,
        partitions: Vec<PartitionId>,
        why: String,
    },
    SequenceUnresolved {
        producer: ProducerIndex,
        partition: PartitionId,
        next_sequence: Sequence,
    },
    SequenceResolved {
        producer: ProducerIndex,
        partition: PartitionId,
    },
    ReplicaFetched {
        follower: BrokerId,
        partition: PartitionId,
        from_offset: Offset,
        to_offset: Offset,
    },
    HighWatermarkAdvanced {
        broker: BrokerId,
        partition: PartitionId,
        high_watermark: Offset,
    },
    IsrChanged {
        partition: PartitionId,
        isr: Vec<BrokerId>,
        why: String,
    },
    LeaderElected {
        partition: PartitionId,
        leader: Option<BrokerId>,
        leader_epoch: u32,
        unclean: bool,
    },
    LogTruncated {
        broker: BrokerId,
        partition: PartitionId,
        to_offset: Offset,
        removed_records: u32,
    },
    BrokerStopped {
        broker: BrokerId,
        clean: bool,
    },
    BrokerStarted {
        broker: BrokerId,
        /// How producer state was rebuilt: "snapshot" (last batch only) or "log replay".
        producer_state_from: String,
        /// A clean shutdown's snapshot was loaded (it keeps the last batch of each producer).
        #[serde(default)]
        from_snapshot: bool,
    },
    ProducerStateExpired {
        broker: BrokerId,
        partition: PartitionId,
        producer_id: ProducerId,
        /// Forgotten by an `expire_producer_state` fault rather than `producer.id.expiration.ms`.
        #[serde(default)]
        by_fault: bool,
    },
    /// DeleteRecords moved the partition's log start offset: what is below is no longer read.
    RecordsDeleted {
        partition: PartitionId,
        log_start_offset: Offset,
    },
    ProducerRestarted {
        producer: ProducerIndex,
        unacknowledged_messages: u32,
    },
    FaultInjected {
        description: String,
        /// The scripted or injected fault; absent for random loss.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fault: Option<crate::fault::Fault>,
    },
    LinkHealed {
        producer: ProducerIndex,
        broker: BrokerId,
    },
    RunFinished {
        why: String,
    },
    TransactionBegun {
        producer: ProducerIndex,
        transaction: u32,
    },
    TransactionEnded {
        producer: ProducerIndex,
        transaction: u32,
        committed: bool,
        producer_id: ProducerId,
        epoch: Epoch,
    },
    TransactionPrepared {
        transactional_id: String,
        commit: bool,
        partitions: Vec<PartitionId>,
    },
    TransactionFenced {
        transactional_id: String,
        producer_id: ProducerId,
        epoch: Epoch,
        why: String,
    },
    TransactionCompleted {
        transactional_id: String,
        committed: bool,
    },
    MarkerWritten {
        broker: BrokerId,
        partition: PartitionId,
        producer_id: ProducerId,
        epoch: Epoch,
        marker: ControlMarker,
        offset: Offset,
    },
    ProducerFenced {
        producer: ProducerIndex,
        producer_id: ProducerId,
        epoch: Epoch,
        error: KafkaError,
    },
}

/// What an event is about, for filtering and colouring a log of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EventCategory {
    Producer,
    Network,
    Broker,
    Duplicate,
    Ack,
    Retry,
    Fault,
    Error,
    Transaction,
}

impl EventCategory {
    /// Every category, in the order a log's filters list them.
    pub const ALL: [EventCategory; 9] = [
        EventCategory::Producer,
        EventCategory::Network,
        EventCategory::Broker,
        EventCategory::Duplicate,
        EventCategory::Ack,
        EventCategory::Retry,
        EventCategory::Fault,
        EventCategory::Error,
        EventCategory::Transaction,
    ];

    /// Its name (a CSS class and a URL word in the app).
    pub fn as_str(self) -> &'static str {
        match self {
            EventCategory::Producer => "producer",
            EventCategory::Network => "network",
            EventCategory::Broker => "broker",
            EventCategory::Duplicate => "duplicate",
            EventCategory::Ack => "ack",
            EventCategory::Retry => "retry",
            EventCategory::Fault => "fault",
            EventCategory::Error => "error",
            EventCategory::Transaction => "transaction",
        }
    }

    /// Its place in [`EventCategory::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl EventKind {
    /// What the event is about (see [`EventCategory`]).
    pub fn category(&self) -> EventCategory {
        use EventCategory as C;
        match self {
            EventKind::RecordSent { .. } | EventKind::ProducerIdAssigned { .. } => C::Producer,
            EventKind::RequestSent { .. }
            | EventKind::ResponseSent { .. }
            | EventKind::ResponseReceived { .. } => C::Network,
            EventKind::RequestLost { .. }
            | EventKind::ResponseLost { .. }
            | EventKind::ConnectionClosed { .. }
            | EventKind::FaultInjected { .. }
            | EventKind::BrokerStopped { .. }
            | EventKind::LinkHealed { .. }
            | EventKind::ProducerRestarted { .. } => C::Fault,
            EventKind::BatchVerdict { verdict, .. } => match verdict {
                BrokerVerdict::Duplicate { .. } => C::Duplicate,
                BrokerVerdict::Appended { .. } => C::Broker,
                _ => C::Error,
            },
            EventKind::BatchAcked { .. } => C::Ack,
            EventKind::BatchRetrying { .. } | EventKind::BatchSplit { .. } => C::Retry,
            EventKind::BatchFailed { .. } => C::Error,
            EventKind::ProducerFenced { .. } | EventKind::TransactionFenced { .. } => C::Error,
            EventKind::TransactionBegun { .. }
            | EventKind::TransactionEnded { .. }
            | EventKind::TransactionPrepared { .. }
            | EventKind::TransactionCompleted { .. }
            | EventKind::MarkerWritten { .. } => C::Transaction,
            EventKind::EpochBumped { .. }
            | EventKind::SequenceUnresolved { .. }
            | EventKind::SequenceResolved { .. } => C::Producer,
            EventKind::ReplicaFetched { .. }
            | EventKind::HighWatermarkAdvanced { .. }
            | EventKind::IsrChanged { .. }
            | EventKind::LeaderElected { .. }
            | EventKind::LogTruncated { .. }
            | EventKind::BrokerStarted { .. }
            | EventKind::ProducerStateExpired { .. }
            | EventKind::RecordsDeleted { .. }
            | EventKind::RunFinished { .. } => C::Broker,
        }
    }
}

#[cfg(test)]
mod category_tests {
    use super::EventCategory;

    #[test]
    fn all_lists_each_category_at_its_index_with_its_serialized_name() {
        for (i, c) in EventCategory::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
            let json = serde_json::to_string(c).expect("serializes");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }
}
