//! The words the lab uses for what it shows, in one place: the core's labels (messages on the
//! wire, consumers' values), the event log and the app's stage all take them from here, so a
//! batch or a marker reads the same wherever it appears.

use crate::error::KafkaError;
use crate::event::{BatchRef, BrokerVerdict, ControlMarker, PartitionResult};
use crate::producer_state::RejectReason;

/// A batch by its sequences and attempt, `seq 0–4 · attempt 2`, or by its size when it has no
/// sequences (idempotence off), `5 rec · attempt 2`.
pub fn batch(base_sequence: i32, last_sequence: i32, record_count: u32, attempt: u32) -> String {
    if base_sequence < 0 {
        format!("{record_count} rec · attempt {attempt}")
    } else {
        format!("seq {base_sequence}–{last_sequence} · attempt {attempt}")
    }
}

/// [`batch`] for a batch as events name it.
pub fn batch_ref(b: &BatchRef) -> String {
    batch(b.base_sequence, b.last_sequence, b.record_count, b.attempt)
}

/// A transaction's decision as its markers and EndTxn name it: `COMMIT` or `ABORT`.
pub fn decision(commit: bool) -> &'static str {
    if commit {
        "COMMIT"
    } else {
        "ABORT"
    }
}

/// A control record's name: `COMMIT` or `ABORT`.
pub fn marker(m: ControlMarker) -> &'static str {
    decision(m == ControlMarker::Commit)
}

/// Each partition's answer in a produce response, with the offset when it has one:
/// `p0 NONE @4, p1 NOT_LEADER_OR_FOLLOWER`.
pub fn partition_results(results: &[PartitionResult]) -> String {
    let result = |r: &PartitionResult| match r.base_offset {
        offset if offset >= 0 => format!("p{} {} @{offset}", r.partition, r.error),
        _ => format!("p{} {}", r.partition, r.error),
    };
    results.iter().map(result).collect::<Vec<_>>().join(", ")
}

/// What a batch's verdict means, in a sentence for the event log.
pub fn verdict(verdict: &BrokerVerdict) -> String {
    match verdict {
        BrokerVerdict::Appended { base_offset, last_offset, .. } => {
            format!("appended at offsets {base_offset}–{last_offset}")
        }
        BrokerVerdict::Duplicate { base_offset, last_offset } => format!(
            "duplicate of offsets {base_offset}–{last_offset}, answered NONE with offset {base_offset}; nothing appended"
        ),
        BrokerVerdict::Rejected { error, reason } => match reason {
            Some(reason) => rejection(*error, reason),
            None => match error {
                KafkaError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS: the ISR is smaller than min.insync.replicas; nothing appended".into(),
                KafkaError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER: this broker does not lead the partition".into(),
                KafkaError::CorruptMessage => "CORRUPT_MESSAGE: the batch failed its CRC check; nothing appended".into(),
                other => format!("{other}"),
            },
        },
        BrokerVerdict::TextbookDiscarded { last_seen } => format!(
            "textbook rule: sequence not above {last_seen}, discarded as a duplicate although it was never written"
        ),
    }
}

fn rejection(error: KafkaError, reason: &RejectReason) -> String {
    match reason {
        RejectReason::OutOfOrder { expected, got } => {
            format!("{error}: expected sequence {expected}, got {got}; nothing appended")
        }
        RejectReason::UnknownProducerNotAtZero { got } => {
            format!("{error}: this broker requires a producer it has no state for to start at sequence 0 (KAFKA-15591 on an empty partition, 4.5+; KAFKA-18202 for transactions v2, 4.1+), got {got}")
        }
        RejectReason::NewEpochNotAtZero { got } => {
            format!("{error}: a new epoch must start at sequence 0, got {got}")
        }
        RejectReason::StaleEpoch { current, got } => {
            format!("{error}: epoch {got} is older than the current epoch {current}")
        }
        RejectReason::NotInTransaction => format!(
            "{error}: the coordinator says this partition is not in the producer's ongoing transaction (verification, KIP-890); nothing appended"
        ),
        RejectReason::FencedByCoordinator => format!(
            "{error}: the coordinator has fenced this producer epoch (verification, KIP-890); nothing appended"
        ),
        RejectReason::TransactionCompleting => format!(
            "{error}: the coordinator is still writing the markers of the producer's last transaction (transactions v2); retried"
        ),
        RejectReason::TransactionOpen => format!(
            "{error}: a non-transactional batch while this producer id has a transaction open here; nothing appended"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_read_by_sequence_or_by_size() {
        assert_eq!(batch(0, 4, 5, 2), "seq 0–4 · attempt 2");
        assert_eq!(batch(-1, -1, 5, 1), "5 rec · attempt 1");
        assert_eq!(marker(ControlMarker::Abort), "ABORT");
        assert_eq!(decision(true), "COMMIT");
    }

    #[test]
    fn a_response_names_each_partitions_answer_and_offset_when_known() {
        let answer = |partition, error, base_offset| PartitionResult {
            partition,
            error,
            base_offset,
        };
        let results = [
            answer(0, crate::KafkaError::None, 4),
            answer(1, crate::KafkaError::NotLeaderOrFollower, -1),
        ];
        assert_eq!(
            partition_results(&results),
            "p0 NONE @4, p1 NOT_LEADER_OR_FOLLOWER"
        );
    }
}
