//! The core's transaction states, mirrored for presentation.
//!
//! The snapshot carries the coordinator's status and the client's transaction state as types the
//! core does not re-export (`engine::TxnStatus`, `engine::ClientTxnState`); they serialize to
//! stable snake_case names, so the app reads them back through serde into these mirrors. No
//! protocol logic here: names and words only.

use idempotence_sim::KafkaError;
use serde::{Deserialize, Serialize};

/// The coordinator's status of a transactional id (Kafka's `TransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

impl Status {
    /// Reads the core's status (anything that serializes to one of the snake_case names).
    pub fn of<T: Serialize>(core: &T) -> Option<Status> {
        serde_json::to_value(core)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// The snapshot's name: `complete_commit`.
    pub fn code(self) -> &'static str {
        match self {
            Status::Empty => "empty",
            Status::Ongoing => "ongoing",
            Status::PrepareCommit => "prepare_commit",
            Status::PrepareAbort => "prepare_abort",
            Status::CompleteCommit => "complete_commit",
            Status::CompleteAbort => "complete_abort",
        }
    }

    /// Kafka's name: `CompleteCommit`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Empty => "Empty",
            Status::Ongoing => "Ongoing",
            Status::PrepareCommit => "PrepareCommit",
            Status::PrepareAbort => "PrepareAbort",
            Status::CompleteCommit => "CompleteCommit",
            Status::CompleteAbort => "CompleteAbort",
        }
    }

    /// What it means, in words.
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Empty => "no transaction open yet",
            Status::Ongoing => "a transaction is open: its records are in the logs, undecided",
            Status::PrepareCommit => "commit decided; writing COMMIT markers",
            Status::PrepareAbort => "abort decided; writing ABORT markers",
            Status::CompleteCommit => "committed: every COMMIT marker is written",
            Status::CompleteAbort => "aborted: every ABORT marker is written",
        }
    }

    /// A colour family for the badge.
    pub fn tone(self) -> &'static str {
        match self {
            Status::Empty => "neutral",
            Status::Ongoing | Status::PrepareCommit | Status::PrepareAbort => "open",
            Status::CompleteCommit => "good",
            Status::CompleteAbort => "bad",
        }
    }
}

/// The transactional client's state (`TransactionManager.State`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClientState {
    AwaitingProducerId,
    Ready,
    InTransaction,
    Ending { commit: bool },
    Fatal { error: KafkaError },
}

impl ClientState {
    /// Reads the core's client state (it serializes as `{"state": "fatal", "error": …}`).
    pub fn of<T: Serialize>(core: &T) -> Option<ClientState> {
        serde_json::to_value(core)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// The snapshot's name: `in_transaction`.
    pub fn code(&self) -> &'static str {
        match self {
            ClientState::AwaitingProducerId => "awaiting_producer_id",
            ClientState::Ready => "ready",
            ClientState::InTransaction => "in_transaction",
            ClientState::Ending { .. } => "ending",
            ClientState::Fatal { .. } => "fatal",
        }
    }

    /// The state in a few words, for the producer box.
    pub fn words(&self) -> String {
        match self {
            ClientState::AwaitingProducerId => "waiting for InitProducerId".into(),
            ClientState::Ready => "ready, between transactions".into(),
            ClientState::InTransaction => "in a transaction".into(),
            ClientState::Ending { commit: true } => "committing (EndTxn sent)".into(),
            ClientState::Ending { commit: false } => "aborting (EndTxn sent)".into(),
            ClientState::Fatal { error } => format!("fenced: {error}"),
        }
    }

    pub fn fatal_error(&self) -> Option<KafkaError> {
        match self {
            ClientState::Fatal { error } => Some(*error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idempotence_sim::{presets, Simulation};

    fn finished(preset: &str) -> idempotence_sim::Snapshot {
        let mut sim = Simulation::new(presets::get(preset).unwrap()).unwrap();
        sim.run_to_end();
        sim.snapshot()
    }

    #[test]
    fn reads_the_coordinator_status_from_a_snapshot() {
        let snap = finished("abort-hides-records");
        let t = &snap.transactions[0];
        let status = Status::of(&t.status).unwrap();
        assert_eq!(status, Status::CompleteCommit);
        assert_eq!(status.code(), "complete_commit");
        assert_eq!(status.name(), "CompleteCommit");
    }

    #[test]
    fn reads_a_fenced_client_state() {
        let snap = finished("zombie-fencing");
        let zombie = snap.producers[0].transaction.as_ref().unwrap();
        let state = ClientState::of(&zombie.state).unwrap();
        assert_eq!(
            state,
            ClientState::Fatal {
                error: KafkaError::ProducerFenced
            }
        );
        assert_eq!(state.code(), "fatal");
        assert_eq!(state.words(), "fenced: PRODUCER_FENCED");
        let next = snap.producers[1].transaction.as_ref().unwrap();
        assert_eq!(ClientState::of(&next.state), Some(ClientState::Ready));
    }
}
