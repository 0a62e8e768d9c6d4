//! Events and batches in plain words, for the event log and the stage. Presentation only.

use idempotence_sim::event::{BatchRef, EventKind};

/// `seq 0–4 · attempt 2`, or `5 records · attempt 2` for a batch without sequences.
pub fn batch(b: &BatchRef) -> String {
    if b.base_sequence < 0 {
        format!("{} rec · attempt {}", b.record_count, b.attempt)
    } else {
        format!(
            "seq {}–{} · attempt {}",
            b.base_sequence, b.last_sequence, b.attempt
        )
    }
}

fn producer(p: Option<u32>) -> String {
    p.map_or_else(|| "the injector".to_string(), |p| format!("producer {p}"))
}

/// `transaction begun: producer 0, transaction 1` from the event's JSON form.
fn generic(kind: &EventKind) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(kind) else {
        return kind.category().to_string();
    };
    let name = map
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("event")
        .replace('_', " ");
    let fields: Vec<String> = map
        .iter()
        .filter(|(k, _)| k.as_str() != "type")
        .map(|(k, v)| {
            format!(
                "{} {}",
                k.replace('_', " "),
                v.to_string().trim_matches('"')
            )
        })
        .collect();
    format!("{name}: {}", fields.join(", "))
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
        EventKind::RequestCorrupted { request } => format!("request #{request} corrupted on the wire"),
        EventKind::BatchVerdict { broker, batch: b, explanation, .. } => {
            format!("broker {broker}, p{} {}: {explanation}", b.partition, batch(b))
        }
        EventKind::ResponseSent { broker, request, results, .. } => format!(
            "broker {broker} answers request #{request}: {}",
            results
                .iter()
                .map(|r| if r.base_offset >= 0 {
                    format!("p{} {} @{}", r.partition, r.error, r.base_offset)
                } else {
                    format!("p{} {}", r.partition, r.error)
                })
                .collect::<Vec<_>>()
                .join(", ")
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
        EventKind::BrokerStarted { broker, producer_state_from } => {
            format!("broker {broker} restarts; producer state rebuilt from {producer_state_from}")
        }
        EventKind::ProducerStateExpired { broker, partition, producer_id } => {
            format!("broker {broker}: p{partition} forgets producer id {producer_id} (expired)")
        }
        EventKind::ProducerRestarted { producer, unacknowledged_messages } => format!(
            "producer {producer} restarts; the application re-sends {unacknowledged_messages} unacknowledged message(s)"
        ),
        EventKind::FaultInjected { description } => format!("fault: {description}"),
        EventKind::LinkHealed { producer, broker } => format!("link producer {producer} ↔ broker {broker} healed"),
        EventKind::RunFinished { why } => format!("run finished: {why}"),
        // Kinds this UI has no sentence for yet (the core grows, e.g. transactions): say what
        // the event is from its serialized form rather than fail to build.
        #[allow(unreachable_patterns)]
        _ => generic(kind),
    }
}

/// Every category `EventKind::category` returns, in display order.
pub const CATEGORIES: &[&str] = &[
    "producer",
    "network",
    "broker",
    "duplicate",
    "ack",
    "retry",
    "fault",
    "error",
    "transaction",
];
