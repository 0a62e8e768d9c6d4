//! Kafka protocol error codes used by the model, named exactly as in Kafka's `Errors.java`.

use serde::{Deserialize, Serialize};

/// A Kafka error as it appears in a produce response. `None` is success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum KafkaError {
    None,
    CorruptMessage,
    UnknownTopicOrPartition,
    LeaderNotAvailable,
    NotLeaderOrFollower,
    RequestTimedOut,
    NetworkException,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    OutOfOrderSequenceNumber,
    DuplicateSequenceNumber,
    InvalidProducerEpoch,
    UnknownProducerId,
    InvalidTxnState,
    ConcurrentTransactions,
    ProducerFenced,
    /// Client-side only: the batch's `delivery.timeout.ms` elapsed (Java `TimeoutException`).
    DeliveryTimeout,
    /// The batch breaks a rule the broker checks before the log (`ProduceRequest.validateRecords`
    /// in `KafkaApis`); not retriable.
    InvalidRecord,
    /// The producer may not write to the topic (an ACL); not retriable.
    TopicAuthorizationFailed,
    /// The batch is larger than the topic's `max.message.bytes` (`UnifiedLog`'s
    /// `analyzeAndValidateRecords`); not retriable, but a client splits a batch of more than
    /// one record and sends the parts.
    MessageTooLarge,
}

impl KafkaError {
    /// The name Kafka prints, e.g. `OUT_OF_ORDER_SEQUENCE_NUMBER`.
    pub fn name(self) -> &'static str {
        match self {
            KafkaError::None => "NONE",
            KafkaError::CorruptMessage => "CORRUPT_MESSAGE",
            KafkaError::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
            KafkaError::LeaderNotAvailable => "LEADER_NOT_AVAILABLE",
            KafkaError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            KafkaError::RequestTimedOut => "REQUEST_TIMED_OUT",
            KafkaError::NetworkException => "NETWORK_EXCEPTION",
            KafkaError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            KafkaError::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            KafkaError::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            KafkaError::DuplicateSequenceNumber => "DUPLICATE_SEQUENCE_NUMBER",
            KafkaError::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            KafkaError::UnknownProducerId => "UNKNOWN_PRODUCER_ID",
            KafkaError::InvalidTxnState => "INVALID_TXN_STATE",
            KafkaError::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            KafkaError::ProducerFenced => "PRODUCER_FENCED",
            KafkaError::DeliveryTimeout => "DELIVERY_TIMEOUT",
            KafkaError::InvalidRecord => "INVALID_RECORD",
            KafkaError::TopicAuthorizationFailed => "TOPIC_AUTHORIZATION_FAILED",
            KafkaError::MessageTooLarge => "MESSAGE_TOO_LARGE",
        }
    }

    /// Kafka's numeric error code (`Errors.java`); the client-side delivery timeout has none.
    pub fn code(self) -> Option<i16> {
        Some(match self {
            KafkaError::None => 0,
            KafkaError::CorruptMessage => 2,
            KafkaError::UnknownTopicOrPartition => 3,
            KafkaError::LeaderNotAvailable => 5,
            KafkaError::NotLeaderOrFollower => 6,
            KafkaError::RequestTimedOut => 7,
            KafkaError::NetworkException => 13,
            KafkaError::NotEnoughReplicas => 19,
            KafkaError::NotEnoughReplicasAfterAppend => 20,
            KafkaError::OutOfOrderSequenceNumber => 45,
            KafkaError::DuplicateSequenceNumber => 46,
            KafkaError::InvalidProducerEpoch => 47,
            KafkaError::UnknownProducerId => 59,
            KafkaError::InvalidTxnState => 48,
            KafkaError::ConcurrentTransactions => 51,
            KafkaError::ProducerFenced => 90,
            KafkaError::InvalidRecord => 87,
            KafkaError::TopicAuthorizationFailed => 29,
            KafkaError::MessageTooLarge => 10,
            KafkaError::DeliveryTimeout => return None,
        })
    }

    /// Whether the Java client treats the error as a `RetriableException`.
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            KafkaError::CorruptMessage
                | KafkaError::UnknownTopicOrPartition
                | KafkaError::LeaderNotAvailable
                | KafkaError::NotLeaderOrFollower
                | KafkaError::RequestTimedOut
                | KafkaError::NetworkException
                | KafkaError::NotEnoughReplicas
                | KafkaError::NotEnoughReplicasAfterAppend
                | KafkaError::OutOfOrderSequenceNumber
                | KafkaError::UnknownProducerId
                | KafkaError::ConcurrentTransactions
        )
    }

    /// A broker's answer that refuses one batch for good for what the batch is, not for its
    /// sequence or epoch: the batch fails to the application.
    pub fn is_refusal_of_the_batch(self) -> bool {
        matches!(
            self,
            KafkaError::InvalidRecord
                | KafkaError::TopicAuthorizationFailed
                | KafkaError::MessageTooLarge
        )
    }

    /// Errors after which the client refreshes its metadata (the leader may have moved).
    pub fn invalidates_metadata(self) -> bool {
        matches!(
            self,
            KafkaError::NotLeaderOrFollower
                | KafkaError::LeaderNotAvailable
                | KafkaError::UnknownTopicOrPartition
                | KafkaError::NetworkException
                | KafkaError::RequestTimedOut
        )
    }
}

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
