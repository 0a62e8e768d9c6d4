//! Events and batches in plain words, for the event log and the stage. Presentation only.

use idempotence_sim::event::{BatchRef, EventKind};
use idempotence_sim::{ControlMarker, Event, KafkaError};

/// `seq 0–4 · attempt 2`, or `5 rec · attempt 2` for a batch without sequences.
pub fn batch(b: &BatchRef) -> String {
    idempotence_sim::words::batch_ref(b)
}

fn producer(p: Option<u32>) -> String {
    p.map_or_else(|| "the injector".to_string(), |p| format!("producer {p}"))
}

/// One line for the event log.
pub fn event(kind: &EventKind) -> String {
    match kind {
        EventKind::RecordSent { producer, message, partition, resend } => format!(
            "producer {producer}: send() message m{message} to partition {partition}{}",
            if *resend { " (re-sent by the application)" } else { "" }
        ),
        EventKind::ProducerIdAssigned { producer, producer_id, epoch } => {
            format!("producer {producer} got producer id {producer_id}, epoch {epoch}")
        }
        EventKind::RequestSent { producer: p, broker, request, batches } => format!(
            "{} sends produce request #{request} to broker {broker}: {}",
            producer(*p),
            batches.iter().map(|b| format!("p{} {}", b.partition, batch(b))).collect::<Vec<_>>().join("; ")
        ),
        EventKind::RequestLost { request, why } => format!("request #{request} lost: {why}"),
        EventKind::BatchVerdict { broker, batch: b, explanation, .. } => {
            format!("broker {broker}, p{} {}: {explanation}", b.partition, batch(b))
        }
        EventKind::ResponseSent { broker, request, results, .. } => format!(
            "broker {broker} answers request #{request}: {}",
            idempotence_sim::words::partition_results(results)
        ),
        EventKind::ResponseLost { request } => format!("the response to request #{request} is lost"),
        EventKind::ConnectionClosed { producer, broker, error, failed_requests } => format!(
            "producer {producer}: connection to broker {broker} closed ({error}); {} request(s) in flight fail",
            failed_requests.len()
        ),
        EventKind::ResponseReceived { producer, request, .. } => {
            format!("producer {producer} receives the response to request #{request}")
        }
        EventKind::BatchAcked { producer, batch: b, base_offset } => {
            format!("producer {producer}: p{} {} acknowledged at offset {base_offset}", b.partition, batch(b))
        }
        EventKind::BatchRetrying { producer, batch: b, error, next_attempt, backoff_ms } => format!(
            "producer {producer}: p{} {} failed with {error}; retry as attempt {next_attempt} in {backoff_ms} ms",
            b.partition,
            batch(b)
        ),
        EventKind::BatchFailed { producer, batch: b, error, maybe_written } => format!(
            "producer {producer}: p{} {} failed for good ({error}){}",
            b.partition,
            batch(b),
            if *maybe_written { "; it may have been written anyway" } else { "" }
        ),
        EventKind::BatchSplit { producer, batch: b, into } => format!(
            "producer {producer}: p{} {} too large (MESSAGE_TOO_LARGE); split into {}, sent again",
            b.partition,
            batch(b),
            into.iter().map(batch).collect::<Vec<_>>().join(" and ")
        ),
        EventKind::EpochBumped { producer, producer_id, epoch, why, .. } => {
            format!("producer {producer} bumps to pid {producer_id} epoch {epoch}: {why}")
        }
        EventKind::SequenceUnresolved { producer, partition, next_sequence } => format!(
            "producer {producer}: sequence of partition {partition} unresolved (next {next_sequence})"
        ),
        EventKind::SequenceResolved { producer, partition } => {
            format!("producer {producer}: sequence of partition {partition} resolved")
        }
        EventKind::ReplicaFetched { follower, partition, from_offset, to_offset } => {
            format!("broker {follower} copies p{partition} offsets {from_offset}–{to_offset} from the leader")
        }
        EventKind::HighWatermarkAdvanced { broker, partition, high_watermark } => {
            format!("broker {broker}: p{partition} high watermark → {high_watermark}")
        }
        EventKind::IsrChanged { partition, isr, why } => format!("p{partition} ISR is now {isr:?}: {why}"),
        EventKind::LeaderElected { partition, leader, leader_epoch, unclean } => format!(
            "p{partition}: {} (leader epoch {leader_epoch}){}",
            leader.map_or_else(|| "no leader".to_string(), |b| format!("broker {b} elected leader")),
            if *unclean { ", UNCLEAN" } else { "" }
        ),
        EventKind::LogTruncated { broker, partition, to_offset, removed_records } => {
            format!("broker {broker} truncates p{partition} to offset {to_offset}, removing {removed_records} record(s)")
        }
        EventKind::BrokerStopped { broker, clean } => {
            format!("broker {broker} {}", if *clean { "shuts down cleanly" } else { "crashes" })
        }
        EventKind::BrokerStarted { broker, producer_state_from, .. } => {
            format!("broker {broker} restarts; producer state rebuilt from {producer_state_from}")
        }
        EventKind::ProducerStateExpired { broker, partition, producer_id, by_fault } => {
            let why = if *by_fault { "expire_producer_state fault" } else { "producer.id.expiration.ms" };
            format!("broker {broker}: p{partition} forgets producer id {producer_id} (expired: {why})")
        }
        EventKind::RecordsDeleted { partition, log_start_offset } => format!(
            "p{partition}: records before offset {log_start_offset} deleted; consumers start there, the brokers still remember their producers"
        ),
        EventKind::ProducerRestarted { producer, unacknowledged_messages } => format!(
            "producer {producer} restarts; the application re-sends {unacknowledged_messages} unacknowledged message(s)"
        ),
        EventKind::FaultInjected { description, .. } => format!("fault: {description}"),
        EventKind::LinkHealed { producer, broker } => format!("link producer {producer} ↔ broker {broker} healed"),
        EventKind::RunFinished { why } => format!("run finished: {why}"),
        EventKind::TransactionBegun { producer, transaction } => {
            format!("producer {producer} began transaction {transaction}")
        }
        EventKind::TransactionEnded { producer, transaction, committed, producer_id, epoch } => format!(
            "producer {producer}: transaction {transaction} {} (pid {producer_id}, epoch {epoch})",
            if *committed { "committed" } else { "aborted" }
        ),
        EventKind::TransactionPrepared { transactional_id, commit, partitions } => format!(
            "coordinator: {} for partitions {} (transactional.id {transactional_id})",
            if *commit { "PrepareCommit" } else { "PrepareAbort" },
            list(partitions)
        ),
        EventKind::TransactionFenced { transactional_id, epoch, why, .. } => {
            format!("transactional.id {transactional_id} fenced: epoch bumped to {epoch} ({why})")
        }
        EventKind::TransactionCompleted { transactional_id, committed } => format!(
            "coordinator: {} for transactional.id {transactional_id} (every {} marker written)",
            if *committed { "CompleteCommit" } else { "CompleteAbort" },
            idempotence_sim::words::decision(*committed)
        ),
        EventKind::MarkerWritten { broker, partition, epoch, marker, offset, .. } => format!(
            "{} marker written to partition {partition} at offset {offset} (epoch {epoch}) by broker {broker}",
            marker_name(*marker)
        ),
        EventKind::ProducerFenced { producer, error, .. } => {
            format!("producer {producer} fenced: {error} — {}", fatal_reason(*error))
        }
    }
}

/// `0, 1, 2`.
pub fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `COMMIT` or `ABORT`.
pub fn marker_name(m: ControlMarker) -> &'static str {
    idempotence_sim::words::marker(m)
}

/// Why an error ends a transactional producer, in words.
pub fn fatal_reason(error: KafkaError) -> &'static str {
    match error {
        KafkaError::ProducerFenced => "a newer instance owns the transactional.id",
        KafkaError::InvalidProducerEpoch => "its epoch is older than the one the broker knows",
        KafkaError::InvalidTxnState => "the transaction is in a state that does not allow this",
        _ => "the producer cannot continue",
    }
}

/// What the verdict card shows: the newest broker verdict or transaction step.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictLine {
    /// Who decided, e.g. `Broker 0 on p0 seq 0–4 · attempt 1` or `Transaction coordinator`.
    pub who: String,
    /// The event's category (for the card's colour).
    pub category: String,
    pub text: String,
}

/// The newest event the verdict card speaks about: a leader's verdict on a batch, or a
/// transaction's decision (prepare, marker, completion, fencing).
pub fn verdict(events: &[Event]) -> Option<VerdictLine> {
    events.iter().rev().find_map(|e| {
        let category = e.kind.category().as_str().to_string();
        let (who, text) = match &e.kind {
            EventKind::BatchVerdict {
                broker,
                batch: b,
                explanation,
                ..
            } => (
                format!("Broker {broker} on p{} {}", b.partition, batch(b)),
                explanation.clone(),
            ),
            EventKind::TransactionPrepared { .. }
            | EventKind::TransactionCompleted { .. }
            | EventKind::TransactionFenced { .. } => {
                ("Transaction coordinator".into(), event(&e.kind))
            }
            EventKind::MarkerWritten {
                broker, partition, ..
            } => (
                format!("Broker {broker}, leader of p{partition}"),
                event(&e.kind),
            ),
            EventKind::ProducerFenced { producer, .. } => {
                (format!("Producer {producer}"), event(&e.kind))
            }
            _ => return None,
        };
        Some(VerdictLine {
            who,
            category,
            text,
        })
    })
}

/// Short forms of Kafka's longer error names, for the pills on the stage (the full name is in
/// the pill's tooltip and in the legend under the stage). Longest names first, so a name that
/// contains another is replaced whole.
pub const ERROR_ABBREVIATIONS: &[(&str, &str)] = &[
    ("NOT_ENOUGH_REPLICAS_AFTER_APPEND", "NERAA"),
    ("TOPIC_AUTHORIZATION_FAILED", "TAF"),
    ("OUT_OF_ORDER_SEQUENCE_NUMBER", "OOOS"),
    ("UNKNOWN_TOPIC_OR_PARTITION", "UTOP"),
    ("DUPLICATE_SEQUENCE_NUMBER", "DSN"),
    ("MESSAGE_TOO_LARGE", "MTL"),
    ("CONCURRENT_TRANSACTIONS", "CONC_TXN"),
    ("INVALID_PRODUCER_EPOCH", "IPE"),
    ("NOT_LEADER_OR_FOLLOWER", "NLOF"),
    ("LEADER_NOT_AVAILABLE", "LNA"),
    ("NOT_ENOUGH_REPLICAS", "NER"),
    ("UNKNOWN_PRODUCER_ID", "UPID"),
];

/// `label` with long error names abbreviated, and the abbreviations it used.
pub fn abbreviate(label: &str) -> (String, Vec<(&'static str, &'static str)>) {
    let mut out = label.to_string();
    let mut used = Vec::new();
    for &(name, short) in ERROR_ABBREVIATIONS {
        if out.contains(name) {
            out = out.replace(name, short);
            used.push((short, name));
        }
    }
    (out, used)
}

#[cfg(test)]
mod abbreviation_tests {
    use super::*;

    #[test]
    fn long_error_names_are_abbreviated_whole() {
        let (s, used) =
            abbreviate("p0 NOT_ENOUGH_REPLICAS_AFTER_APPEND @-1, p1 NOT_ENOUGH_REPLICAS @-1");
        assert_eq!(s, "p0 NERAA @-1, p1 NER @-1");
        assert_eq!(used.len(), 2);
        assert_eq!(abbreviate("p0 NONE @5").0, "p0 NONE @5");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idempotence_sim::{presets, Simulation};

    fn run(preset: &str) -> Simulation {
        let mut sim = Simulation::new(presets::get(preset).unwrap()).unwrap();
        sim.run_to_end();
        sim
    }

    fn sentences(sim: &Simulation) -> Vec<String> {
        sim.events().iter().map(|e| event(&e.kind)).collect()
    }

    #[test]
    fn transaction_events_in_words() {
        let sim = run("zombie-fencing");
        let all = sentences(&sim);
        let has = |s: &str| all.iter().any(|x| x == s);
        assert!(has("producer 0 began transaction 0"), "{all:#?}");
        assert!(has(
            "coordinator: PrepareCommit for partitions 0, 1 (transactional.id payments)"
        ));
        assert!(has(
            "COMMIT marker written to partition 1 at offset 2 (epoch 0) by broker 0"
        ));
        assert!(has(
            "transactional.id payments fenced: epoch bumped to 1 (a new instance called InitProducerId)"
        ));
        assert!(has(
            "producer 0 fenced: PRODUCER_FENCED — a newer instance owns the transactional.id"
        ));
        assert!(has(
            "producer 1: transaction 0 committed (pid 1000, epoch 2)"
        ));
    }

    #[test]
    fn every_event_of_every_preset_has_a_sentence() {
        // The match in `event` has no catch-all, so the compiler asks for a sentence for each
        // new kind; this checks the sentences say something.
        for id in idempotence_sim::presets::ids() {
            for e in run(id).events() {
                let line = event(&e.kind);
                assert!(line.split_whitespace().count() >= 3, "{id}: {line:?}");
            }
        }
    }

    #[test]
    fn the_verdict_card_follows_transaction_steps() {
        let sim = run("abort-hides-records");
        let v = verdict(sim.events()).unwrap();
        assert_eq!(v.who, "Transaction coordinator");
        assert_eq!(v.category, "transaction");
        assert!(
            v.text.starts_with("coordinator: CompleteCommit"),
            "{}",
            v.text
        );
        let zombie = run("zombie-fencing");
        let fenced = zombie
            .events()
            .iter()
            .position(|e| matches!(e.kind, EventKind::ProducerFenced { .. }))
            .unwrap();
        let v = verdict(&zombie.events()[..=fenced]).unwrap();
        assert_eq!(v.who, "Producer 0");
        assert_eq!(v.category, "error");
        assert!(v.text.contains("PRODUCER_FENCED"));
        // Non-transactional runs: the leader's verdict, as before.
        let plain = run("lost-ack");
        let v = verdict(plain.events()).unwrap();
        assert!(v.who.starts_with("Broker 0 on p0"), "{}", v.who);
        assert_eq!(verdict(&[]), None);
    }
}
