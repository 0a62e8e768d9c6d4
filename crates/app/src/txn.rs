//! Presentation of the core's transaction states (`TxnStatus`, `ClientTxnState`): names and
//! words only, no protocol logic.

use idempotence_sim::KafkaError;
pub use idempotence_sim::{ClientTxnState as ClientState, TxnStatus as Status};

/// Words for the coordinator's status of a transactional id (Kafka's `TransactionState`).
pub trait StatusText: Sized {
    /// The snapshot's value, as an option for uniform handling at call sites.
    fn of(core: &Self) -> Option<Self>;
    /// The snapshot's name: `complete_commit`.
    fn code(self) -> &'static str;
    /// Kafka's name: `CompleteCommit`.
    fn name(self) -> &'static str;
    /// What it means, in words.
    fn meaning(self) -> &'static str;
    /// A colour family for the badge.
    fn tone(self) -> &'static str;
}

impl StatusText for Status {
    fn of(core: &Status) -> Option<Status> {
        Some(*core)
    }

    fn code(self) -> &'static str {
        match self {
            Status::Empty => "empty",
            Status::Ongoing => "ongoing",
            Status::PrepareCommit => "prepare_commit",
            Status::PrepareAbort => "prepare_abort",
            Status::CompleteCommit => "complete_commit",
            Status::CompleteAbort => "complete_abort",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Status::Empty => "Empty",
            Status::Ongoing => "Ongoing",
            Status::PrepareCommit => "PrepareCommit",
            Status::PrepareAbort => "PrepareAbort",
            Status::CompleteCommit => "CompleteCommit",
            Status::CompleteAbort => "CompleteAbort",
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            Status::Empty => "no transaction open yet",
            Status::Ongoing => "a transaction is open: its records are in the logs, undecided",
            Status::PrepareCommit => "commit decided; writing COMMIT markers",
            Status::PrepareAbort => "abort decided; writing ABORT markers",
            Status::CompleteCommit => "committed: every COMMIT marker is written",
            Status::CompleteAbort => "aborted: every ABORT marker is written",
        }
    }

    fn tone(self) -> &'static str {
        match self {
            Status::Empty => "neutral",
            Status::Ongoing | Status::PrepareCommit | Status::PrepareAbort => "open",
            Status::CompleteCommit => "good",
            Status::CompleteAbort => "bad",
        }
    }
}

/// Words for the transactional client's state (`TransactionManager.State`).
pub trait ClientStateText: Sized {
    fn of(core: &Self) -> Option<Self>;
    /// The snapshot's name: `in_transaction`.
    fn code(&self) -> &'static str;
    /// The state in a few words, for the producer box.
    fn words(&self) -> String;
    fn fatal_error(&self) -> Option<KafkaError>;
}

impl ClientStateText for ClientState {
    fn of(core: &ClientState) -> Option<ClientState> {
        Some(core.clone())
    }

    fn code(&self) -> &'static str {
        match self {
            ClientState::AwaitingProducerId => "awaiting_producer_id",
            ClientState::Ready => "ready",
            ClientState::InTransaction => "in_transaction",
            ClientState::Ending { .. } => "ending",
            ClientState::Fatal { .. } => "fatal",
        }
    }

    fn words(&self) -> String {
        match self {
            ClientState::AwaitingProducerId => "waiting for InitProducerId".into(),
            ClientState::Ready => "ready, between transactions".into(),
            ClientState::InTransaction => "in a transaction".into(),
            ClientState::Ending { commit: true } => "committing (EndTxn sent)".into(),
            ClientState::Ending { commit: false } => "aborting (EndTxn sent)".into(),
            ClientState::Fatal { error } => format!("fenced: {error}"),
        }
    }

    fn fatal_error(&self) -> Option<KafkaError> {
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
