//! Why a guarantee did not hold: a Kafka rule or a fault the scenario named, each with the place
//! in Kafka's code, KIP or JIRA that makes it so. `ModelBug` is the one cause that explains
//! nothing: the random-fault sweep treats it as a finding to fix.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Mechanism {
    /// A retried batch without a producer id is appended again.
    IdempotenceOff,
    /// Without idempotence a retry goes to the front of the queue and overtakes later batches.
    RetryOvertook,
    /// A producer without `transactional.id` restarted: a new producer id, and the application
    /// re-sent what it had no answer for.
    ProducerRestart,
    /// A batch failed after `delivery.timeout.ms` with its fate unknown (expired, or answered
    /// with a retriable error too late to retry); the client bumped the epoch and renumbered the
    /// batches in flight, one of which the broker had written.
    EpochBumpAfterExpiry,
    /// A batch was refused for good (a non-retriable error about the batch itself); the client
    /// bumped the epoch and renumbered a batch it was retrying, which the broker already had.
    EpochBumpAfterRejection,
    /// A retry of a batch the broker had written was refused as too large and split; the
    /// halves were new sequence ranges to the broker, out of order, and the client bumped its
    /// epoch and wrote them again.
    SplitAfterWrite,
    /// The broker had forgotten the producer after `producer.id.expiration.ms`.
    StateExpired,
    /// An `expire_producer_state` fault made every replica forget the partition's producers.
    StateExpiredByFault,
    /// DeleteRecords moved the log start past a producer's batches, and a rebuild of the
    /// producer state (an unclean restart, a truncation) no longer found them.
    RecordsDeleted,
    /// A clean restart loaded a snapshot that keeps only the last batch of each producer.
    SnapshotKeepsLastBatch,
    /// A crafted request (`inject_produce`) with this producer id moved the broker's state.
    CraftedRequest,
    /// Brokers 2.5–4.4 accept an unknown producer at any sequence on a fresh partition.
    NewPartitionRace,
    /// With `acks` 0 or 1 the leader answered before the followers had the record.
    AcksNotAll,
    /// An unclean election picked a replica outside the ISR.
    UncleanElection,
    /// Brokers before 3.6 do not verify transactional writes: a late batch of an ended
    /// transaction was appended.
    UnverifiedTransactionalWrite,
    /// The textbook rule, which Kafka does not use, discarded a batch it had never written.
    TextbookRule,
    /// A sequence space far smaller than Kafka's let the client's numbering wrap into a range
    /// the broker still caches, so new records were taken for a retry.
    SmallSequenceSpace,
    /// No Kafka rule and no named fault explains it: a defect of the model.
    ModelBug,
}

impl Mechanism {
    /// Every mechanism, in a stable order (for reports that count them).
    pub const ALL: [Mechanism; 18] = [
        Mechanism::IdempotenceOff,
        Mechanism::RetryOvertook,
        Mechanism::ProducerRestart,
        Mechanism::EpochBumpAfterExpiry,
        Mechanism::EpochBumpAfterRejection,
        Mechanism::SplitAfterWrite,
        Mechanism::StateExpired,
        Mechanism::StateExpiredByFault,
        Mechanism::RecordsDeleted,
        Mechanism::SnapshotKeepsLastBatch,
        Mechanism::CraftedRequest,
        Mechanism::NewPartitionRace,
        Mechanism::AcksNotAll,
        Mechanism::UncleanElection,
        Mechanism::UnverifiedTransactionalWrite,
        Mechanism::TextbookRule,
        Mechanism::SmallSequenceSpace,
        Mechanism::ModelBug,
    ];

    /// The snake_case name used in reports and by the sweep.
    pub fn id(self) -> &'static str {
        match self {
            Mechanism::IdempotenceOff => "idempotence_off",
            Mechanism::RetryOvertook => "retry_overtook",
            Mechanism::ProducerRestart => "producer_restart",
            Mechanism::EpochBumpAfterExpiry => "epoch_bump_after_expiry",
            Mechanism::EpochBumpAfterRejection => "epoch_bump_after_rejection",
            Mechanism::SplitAfterWrite => "split_after_write",
            Mechanism::StateExpired => "state_expired",
            Mechanism::StateExpiredByFault => "state_expired_by_fault",
            Mechanism::RecordsDeleted => "records_deleted",
            Mechanism::SnapshotKeepsLastBatch => "snapshot_keeps_last_batch",
            Mechanism::CraftedRequest => "crafted_request",
            Mechanism::NewPartitionRace => "new_partition_race",
            Mechanism::AcksNotAll => "acks_not_all",
            Mechanism::UncleanElection => "unclean_election",
            Mechanism::UnverifiedTransactionalWrite => "unverified_transactional_write",
            Mechanism::TextbookRule => "textbook_rule",
            Mechanism::SmallSequenceSpace => "small_sequence_space",
            Mechanism::ModelBug => "model_bug",
        }
    }

    /// Whether a Kafka rule or a named fault accounts for the violation.
    pub fn is_explained(self) -> bool {
        self != Mechanism::ModelBug
    }

    /// The rule or fault in words, with the Kafka source that makes it so.
    pub fn cause(self) -> &'static str {
        match self {
            Mechanism::IdempotenceOff => "idempotence was off, so the retried batch carried no producer id and was appended again (KafkaProducer javadoc; Sender.reenqueueBatch)",
            Mechanism::RetryOvertook => "idempotence was off, so the retry went to the front of the queue while later batches were in flight (RecordAccumulator.reenqueue: addFirst)",
            Mechanism::ProducerRestart => "the producer restarted without a transactional.id: the new session got a new producer id and the application re-sent what it had no answer for; idempotence holds within one session only (TransactionCoordinator.handleInitProducerId with a null transactional.id; KIP-854)",
            Mechanism::EpochBumpAfterExpiry => "a batch failed after delivery.timeout.ms while the broker may have written it; the client bumped the epoch and renumbered the batches behind it, so a batch the broker already had looked new (Sender.failBatch, TransactionManager.handleFailedBatch and maybeResolveSequences; KAFKA-14034)",
            Mechanism::EpochBumpAfterRejection => "a batch was refused for good (a non-retriable error such as INVALID_RECORD or TOPIC_AUTHORIZATION_FAILED) while an earlier batch was being retried after an error that left it written (NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT); the client bumped the epoch and gave the retry sequence 0 under it, so the broker took the written batch for a new one (Sender.completeBatch: failBatch with adjustSequenceNumbers; TransactionManager.handleFailedBatch and startSequencesAtBeginning; KAFKA-14034, unfixed)",
            Mechanism::SplitAfterWrite => "a retry of a batch the broker had already written was answered MESSAGE_TOO_LARGE (the size check comes before duplicate detection, and the topic's max.message.bytes can shrink between attempts); the client split it into halves with the same sequences, which match no batch the broker caches, so the first half was out of order, and as the next batch after the last acknowledged one it made the client bump its epoch and send the halves again from sequence 0 (Sender.completeBatch splits whatever the earlier attempts did; TransactionManager.canRetry)",
            Mechanism::StateExpired => "the broker had dropped the producer's state after producer.id.expiration.ms, and an unknown producer is accepted with any sequence (ProducerStateManager.removeExpiredProducers; KIP-360)",
            Mechanism::StateExpiredByFault => "an expire_producer_state fault made the replicas forget the producer, and an unknown producer is accepted with any sequence (ProducerStateManager.removeExpiredProducers; KIP-360)",
            Mechanism::RecordsDeleted => "delete_records moved the log start offset past the producer's batches; the brokers keep its state in memory (KAFKA-7190, 2.5+), but an unclean restart or a truncation rebuilds it by reading the log from its start offset, which no longer holds them, and an unknown producer is accepted at any sequence (UnifiedLog.rebuildProducerState, ProducerStateManager.truncateAndReload)",
            Mechanism::SnapshotKeepsLastBatch => "a restart loaded a producer-state snapshot (written by a clean shutdown, or by an earlier start-up at its log end), which keeps only the last batch of each producer, so a retry of an older batch was out of order and the client bumped its epoch (ProducerStateManager.writeSnapshot; TransactionManager.canRetry)",
            Mechanism::CraftedRequest => "a crafted produce request (inject_produce) with this producer id changed what the broker expected next",
            Mechanism::NewPartitionRace => "brokers 2.5–4.4 accept an unknown producer at any sequence on a partition that never held a record, so a later batch got in before the failed first one, whose retry then bumped the epoch (KAFKA-15591, fixed in 4.5)",
            Mechanism::AcksNotAll => "with acks=0 or acks=1 the leader answers before followers have the record; a leader failure then loses it",
            Mechanism::UncleanElection => "an unclean leader election picked a replica outside the ISR, which lacked records the old leader had (unclean.leader.election.enable)",
            Mechanism::UnverifiedTransactionalWrite => "brokers before 3.6 append a transaction's batch without asking the coordinator whether its partition is in an ongoing transaction, so a late batch of a transaction that had already ended (its request read by the leader after the client had given up on it) is appended after the marker: it opens a transaction nobody ends, or is read with the next one (KIP-890 part 1, transaction.partition.verification.enable, 3.6)",
            Mechanism::TextbookRule => "the textbook rule, which Kafka does not use, decided: it accepts any higher sequence, a gap included, and discards anything else as a duplicate, even a batch it never wrote",
            Mechanism::SmallSequenceSpace => "the scenario's sequence space (sequence_max) is tiny, and the wrap shows two gaps Kafka has at 2147483647 too: the client orders retries by plain integer comparison (inflightBatchesBySequence), so after the wrap it can send a later batch before an earlier one that the broker then refuses, and failed batches can push its numbering round into a range the broker still caches, which findDuplicateBatch takes for a retry",
            Mechanism::ModelBug => "no Kafka rule and no fault of the scenario explains this: a defect of the model",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_only_the_model_bug_is_unexplained() {
        let ids: std::collections::BTreeSet<&str> = Mechanism::ALL.iter().map(|m| m.id()).collect();
        assert_eq!(ids.len(), Mechanism::ALL.len());
        for m in Mechanism::ALL {
            assert_eq!(m.is_explained(), m != Mechanism::ModelBug);
            assert!(!m.cause().is_empty());
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.id()));
        }
    }
}
