//! Interventions: what the user does to the running system from the stage (crash a broker,
//! restart a producer, cut a link, drop a message, refuse a batch), each turned into one scripted fault that is
//! appended to the scenario, so the run replays identically and the link reproduces it.

use idempotence_sim::fault::{Fault, Rejection, ScriptedFault, Trigger};
use idempotence_sim::Simulation;

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
    /// Drop the produce request (or its response) with this request id, on the wire in the
    /// primary run at the position shown.
    DropMessage {
        request: u64,
        response: bool,
    },
    /// Make the leader refuse the first batch of this produce request (a `reject_batch`
    /// fault): with INVALID_RECORD the batch fails and an idempotent client bumps its epoch;
    /// with MESSAGE_TOO_LARGE the client splits a batch of several records.
    RefuseBatch {
        request: u64,
        error: Rejection,
    },
}

/// The scripted fault for an intervention at simulated time `now_ms`.
/// `sim` is the run at the position shown: a message dropped from the stage is one on its wire.
pub fn intervention_fault(i: &Intervention, sim: &Simulation) -> Option<ScriptedFault> {
    let now_ms = sim.now_ms();
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
            return sim.fault_dropping(request, response)
        }
        Intervention::RefuseBatch { request, error } => return sim.fault_refusing(request, error),
    })
}
