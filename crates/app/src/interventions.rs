//! Interventions: what the user does to the running system from the stage (crash a broker,
//! restart a producer, cut a link, drop a message), each turned into one scripted fault that is
//! appended to the scenario, so the run replays identically and the link reproduces it.

use idempotence_sim::event::EventKind;
use idempotence_sim::fault::{BatchMatcher, Fault, ScriptedFault, Trigger};
use idempotence_sim::Event;

/// How long a broker crashed from the UI stays down before it restarts (simulated ms).
pub const CRASH_DOWN_MS: u64 = 400;
/// How long a producer restarted from the UI is down.
pub const PRODUCER_DOWN_MS: u64 = 50;
/// How long a link cut from the UI stays cut.
pub const CUT_LINK_MS: u64 = 300;

/// Something the user does to the running system from the stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Intervention {
    CrashBroker {
        broker: u32,
        clean: bool,
    },
    RestartProducer {
        producer: u32,
    },
    CutLink {
        producer: u32,
        broker: u32,
    },
    /// Drop the produce request (or its response) with this request id, as seen in the
    /// primary run's events.
    DropMessage {
        request: u64,
        response: bool,
    },
}

/// The scripted fault that drops request `request` (or its response), matched by the
/// producer, partition, n-th batch and attempt of its first batch, so it matches the same
/// message on replay, with idempotence on or off. `None` if the request is unknown or was
/// sent by the injector.
pub fn drop_fault(events: &[Event], request: u64, response: bool) -> Option<ScriptedFault> {
    let first = events.iter().find_map(|e| match &e.kind {
        EventKind::RequestSent {
            request: r,
            batches,
            ..
        } if *r == request => batches.first().cloned(),
        _ => None,
    })?;
    let producer = first.producer?;
    // Batches are created, and first sent, in order per producer and partition, and batch ids
    // grow with creation: the batch's rank among the ids sent so far is its n-th.
    let mut ids: Vec<u64> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RequestSent { batches, .. } => Some(batches),
            _ => None,
        })
        .flatten()
        .filter(|b| b.producer == Some(producer) && b.partition == first.partition)
        .map(|b| b.batch_id)
        .filter(|&id| id <= first.batch_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let nth = ids.iter().position(|&id| id == first.batch_id)? as u32;
    let matcher = BatchMatcher {
        producer: Some(producer),
        partition: Some(first.partition),
        batch: Some(nth),
        base_sequence: None,
        attempt: Some(first.attempt),
    };
    Some(if response {
        ScriptedFault {
            when: Trigger::Response(matcher),
            fault: Fault::DropResponse,
        }
    } else {
        ScriptedFault {
            when: Trigger::Request(matcher),
            fault: Fault::DropRequest,
        }
    })
}

/// The scripted fault for an intervention at simulated time `now_ms`.
pub fn intervention_fault(
    i: &Intervention,
    events: &[Event],
    now_ms: u64,
) -> Option<ScriptedFault> {
    let at = |fault| ScriptedFault {
        when: Trigger::AtMs(now_ms),
        fault,
    };
    Some(match *i {
        Intervention::CrashBroker { broker, clean } => at(Fault::CrashBroker {
            broker,
            clean,
            down_ms: CRASH_DOWN_MS,
        }),
        Intervention::RestartProducer { producer } => at(Fault::RestartProducer {
            producer,
            down_ms: PRODUCER_DOWN_MS,
        }),
        Intervention::CutLink { producer, broker } => at(Fault::CutLink {
            producer,
            broker,
            duration_ms: CUT_LINK_MS,
        }),
        Intervention::DropMessage { request, response } => {
            return drop_fault(events, request, response)
        }
    })
}
