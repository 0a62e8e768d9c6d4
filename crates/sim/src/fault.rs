//! Faults: one action type used by scripted scenarios, random runs, UI buttons and tests alike.

use serde::{Deserialize, Serialize};

use crate::error::KafkaError;
use crate::types::{
    BrokerId, Epoch, Offset, PartitionId, ProducerId, ProducerIndex, Sequence, TimeMs,
};

/// Something that goes wrong, or a probe an expert sends.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Fault {
    /// The matched produce request is lost. On TCP this stalls the connection: later requests
    /// on it are lost too, and the client finds out only when `request.timeout.ms` expires.
    DropRequest,
    /// The matched produce response is lost, which on TCP means the connection is reset: the
    /// client fails every request in flight on it, some of which the broker already appended.
    DropResponse,
    /// The matched request arrives with a bad CRC; the leader answers `CORRUPT_MESSAGE`
    /// (retriable) and appends nothing.
    CorruptRequest,
    /// The leader refuses the matched batch with a non-retriable error and appends nothing
    /// (only that batch: others in the same request are handled as usual). The batch fails to
    /// the application, and an idempotent client bumps its epoch and numbers the batches
    /// behind it from 0 again (`Sender.completeBatch`, `TransactionManager.handleFailedBatch`),
    /// which can write a batch that was being retried twice (KAFKA-14034).
    RejectBatch {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        error: Rejection,
    },
    /// Every message between the producer and the broker is lost for a while.
    CutLink {
        producer: ProducerIndex,
        broker: BrokerId,
        duration_ms: TimeMs,
    },
    /// Stop a broker; it restarts after `down_ms`. A clean stop writes a producer-state
    /// snapshot (only the last batch per producer survives); an unclean one loads the newest
    /// snapshot an earlier start-up wrote, if any, and replays the log after it.
    CrashBroker {
        broker: BrokerId,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        clean: bool,
        down_ms: TimeMs,
    },
    /// Like `crash_broker`, aimed at whichever broker leads the partition at that moment.
    CrashLeader {
        partition: PartitionId,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        clean: bool,
        down_ms: TimeMs,
    },
    /// The broker stops fetching as a follower for a while (it falls out of the ISR).
    StallReplication {
        broker: BrokerId,
        duration_ms: TimeMs,
    },
    /// The leader removes the follower from the ISR now; it rejoins once caught up.
    ShrinkIsr {
        partition: PartitionId,
        broker: BrokerId,
    },
    /// The producer process dies and restarts: it gets a new producer id, and the application
    /// re-sends every message it has no acknowledgement for.
    RestartProducer {
        producer: ProducerIndex,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
        down_ms: TimeMs,
    },
    /// Every replica of the partition forgets all producer state, as if
    /// `producer.id.expiration.ms` had passed for every producer.
    ExpireProducerState { partition: PartitionId },
    /// DeleteRecords (or retention): the partition's log start offset moves up to `offset`
    /// (the high watermark when left out, and never past it), and consumers no longer read
    /// what is below. The brokers keep the producer state of the deleted batches in memory
    /// (2.5+, KAFKA-7190), so a retry of one is still a duplicate; a restart forgets them
    /// unless a snapshot file above the new log start remembers them (an unclean restart
    /// replays the log that is left; snapshots at or below the log start are deleted).
    DeleteRecords {
        partition: PartitionId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        offset: Option<Offset>,
    },
    /// A hand-made produce request sent straight to the partition leader.
    InjectProduce {
        partition: PartitionId,
        producer_id: ProducerId,
        epoch: Epoch,
        base_sequence: Sequence,
        record_count: u32,
    },
}

impl Fault {
    /// Parses one fault from a JSON object, e.g. `{"type":"crash_broker","broker":0,"down_ms":5}`.
    /// Its references (brokers, partitions) are checked when it is applied to a run.
    pub fn from_json(text: &str) -> Result<Fault, crate::ScenarioError> {
        crate::scenario::parse_object(text, 64 * 1024, "fault")
    }

    /// Whether the fault acts on the message that triggered it (and so needs a message trigger).
    pub fn acts_on_message(&self) -> bool {
        matches!(
            self,
            Fault::DropRequest
                | Fault::DropResponse
                | Fault::CorruptRequest
                | Fault::RejectBatch { .. }
        )
    }

    /// A short human description for event logs.
    pub fn describe(&self) -> String {
        match self {
            Fault::DropRequest => "request lost in the network".into(),
            Fault::DropResponse => "response lost: connection reset".into(),
            Fault::CorruptRequest => "request corrupted in transit".into(),
            Fault::RejectBatch { error } => {
                format!("the leader refuses the batch: {}", error.error())
            }
            Fault::CutLink {
                producer,
                broker,
                duration_ms,
            } => format!("link producer {producer} ↔ broker {broker} cut for {duration_ms} ms"),
            Fault::CrashBroker {
                broker,
                clean,
                down_ms,
            } => format!(
                "broker {broker} {} for {down_ms} ms",
                if *clean { "shut down cleanly" } else { "crashed" }
            ),
            Fault::CrashLeader {
                partition,
                clean,
                down_ms,
            } => format!(
                "leader of partition {partition} {} for {down_ms} ms",
                if *clean { "shut down cleanly" } else { "crashed" }
            ),
            Fault::StallReplication {
                broker,
                duration_ms,
            } => format!("broker {broker} stops replicating for {duration_ms} ms"),
            Fault::ShrinkIsr { partition, broker } => {
                format!("broker {broker} removed from the ISR of partition {partition}")
            }
            Fault::RestartProducer { producer, .. } => format!("producer {producer} restarted"),
            Fault::ExpireProducerState { partition } => {
                format!("producer state of partition {partition} expired")
            }
            Fault::DeleteRecords { partition, offset } => match offset {
                Some(o) => format!("records of partition {partition} before offset {o} deleted"),
                None => format!(
                    "records of partition {partition} below its high watermark deleted"
                ),
            },
            Fault::InjectProduce {
                partition,
                producer_id,
                epoch,
                base_sequence,
                record_count,
            } => format!(
                "crafted produce to partition {partition}: pid {producer_id}, epoch {epoch}, seq {base_sequence}, {record_count} records"
            ),
        }
    }
}

/// The non-retriable errors a `reject_batch` fault can answer with. The first two are checked
/// by `KafkaApis.handleProduceRequest` before the partition is looked at, so they come first,
/// before NOT_LEADER_OR_FOLLOWER or NOT_ENOUGH_REPLICAS; MESSAGE_TOO_LARGE is the log's, after
/// the partition's checks.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Rejection {
    /// INVALID_RECORD (87): the batch breaks a rule of the produce request
    /// (`ProduceRequest.validateRecords`).
    #[default]
    InvalidRecord,
    /// TOPIC_AUTHORIZATION_FAILED (29): the producer lost its write ACL on the topic.
    TopicAuthorizationFailed,
    /// MESSAGE_TOO_LARGE (10): the batch is larger than the topic's `max.message.bytes` (for
    /// example, compression did less than the client guessed). The client splits a batch of
    /// more than one record in two halves, which keep its producer id, epoch and sequences,
    /// and sends them (`Sender.completeBatch`, `RecordAccumulator.splitAndReenqueue`); a batch
    /// of one record fails like the others.
    MessageTooLarge,
}

impl Rejection {
    pub fn error(self) -> KafkaError {
        match self {
            Rejection::InvalidRecord => KafkaError::InvalidRecord,
            Rejection::TopicAuthorizationFailed => KafkaError::TopicAuthorizationFailed,
            Rejection::MessageTooLarge => KafkaError::MessageTooLarge,
        }
    }
}

/// Picks out batches of produce requests or responses. Every field given must match.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchMatcher {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub producer: Option<ProducerIndex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub partition: Option<PartitionId>,
    /// The n-th batch (0-based) the producer created for the partition. Works with and without
    /// idempotence (non-idempotent batches have no sequence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub batch: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub base_sequence: Option<Sequence>,
    /// 1 for the first send, 2 for the first retry, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub attempt: Option<u32>,
}

/// When a scripted fault fires.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Trigger {
    /// At a simulated time.
    AtMs(TimeMs),
    /// When the client sends a produce request holding a matching batch.
    Request(BatchMatcher),
    /// When a broker sends a produce response for a matching batch.
    Response(BatchMatcher),
    /// When the leader reads a produce request holding a matching batch, before it handles
    /// it: between two requests pipelined on one connection, as a broker reads them one at a
    /// time (e.g. an ISR shrink that the first request does not see and the second does).
    Read(BatchMatcher),
}

/// A fault in a scenario's script.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScriptedFault {
    pub when: Trigger,
    pub fault: Fault,
}

/// Random faults, drawn from the seed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FaultRates {
    /// Probability that a produce request is lost (stalling its connection until timeout).
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub drop_request: f64,
    /// Probability that a produce response is lost (resetting its connection).
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub drop_response: f64,
    /// Probability that a produce request arrives with a bad CRC: the leader answers
    /// CORRUPT_MESSAGE (retriable) and appends nothing, while later requests on the
    /// connection are handled as usual, so the log can see a gap in the sequences.
    #[serde(skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub corrupt_request: f64,
}

fn is_zero(rate: &f64) -> bool {
    *rate == 0.0
}
