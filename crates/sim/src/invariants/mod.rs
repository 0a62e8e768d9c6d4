//! The guarantees the lab teaches, checked over a run. Each violation is tied to the event where
//! it happened and names its [`Mechanism`]: the Kafka rule or the scenario's fault behind it,
//! or `model_bug` when nothing explains it. Names follow the reference (P1–P6) where they come
//! from it.
//!
//! One module per concern: [`history`] is fed every event as it happens (counters, P3, P4, P6
//! and the conditions that explain later violations); [`log`] reads the final partition logs
//! (duplicates, order, loss, sequences, read_committed, hanging transactions).

pub(crate) mod history;
mod log;
mod mechanism;

use serde::{Deserialize, Serialize};

pub use mechanism::Mechanism;

use crate::engine::Simulation;

/// Most violations listed per invariant (the count is still exact).
pub(crate) const MAX_VIOLATIONS_LISTED: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Violation {
    /// The event where it happened, when one can be named.
    pub event: Option<u64>,
    pub explanation: String,
    /// What caused it: a Kafka rule, a fault of the scenario, or `model_bug`.
    pub mechanism: Mechanism,
}

impl Violation {
    /// A violation whose explanation ends with its mechanism's cause (unless it is a model bug,
    /// whose explanation says what went wrong).
    pub fn new(event: Option<u64>, what: String, mechanism: Mechanism) -> Violation {
        Violation {
            event,
            explanation: format!("{what}: {}", mechanism.cause()),
            mechanism,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InvariantResult {
    pub id: String,
    pub description: String,
    /// False when the run does not meet the invariant's preconditions (it then holds vacuously).
    pub applicable: bool,
    pub holds: bool,
    pub violation_count: u64,
    pub violations: Vec<Violation>,
}

impl InvariantResult {
    /// A result from its violations (listing at most [`MAX_VIOLATIONS_LISTED`]).
    pub fn new(
        id: &str,
        description: &str,
        applicable: bool,
        violations: Vec<Violation>,
    ) -> InvariantResult {
        let count = violations.len() as u64;
        InvariantResult::counted(
            id,
            description,
            applicable,
            count,
            violations.into_iter().take(MAX_VIOLATIONS_LISTED).collect(),
        )
    }

    fn counted(
        id: &str,
        description: &str,
        applicable: bool,
        count: u64,
        listed: Vec<Violation>,
    ) -> InvariantResult {
        InvariantResult {
            id: id.to_string(),
            description: description.to_string(),
            applicable,
            holds: count == 0,
            violation_count: count,
            violations: listed,
        }
    }
}

impl Simulation {
    /// Evaluates every invariant over the run so far.
    pub fn check_invariants(&self) -> Vec<InvariantResult> {
        let analysis = self.log_analysis();
        let history = &self.history;
        let idempotent = self.producers.iter().any(|p| p.config.idempotent);
        vec![
            InvariantResult::new(
                "no_duplicates",
                "No application message appears twice in a partition log",
                true,
                analysis.duplicates.clone(),
            ),
            InvariantResult::new(
                "order_kept",
                "Each producer's messages appear in a partition in the order they were sent",
                true,
                analysis.reorderings.clone(),
            ),
            InvariantResult::new(
                "acked_present",
                "Every acknowledged message is in the log",
                true,
                analysis.lost_acked.clone(),
            ),
            self.check_read_committed(),
            self.check_no_hanging_transactions(),
            self.check_p1_p2(),
            InvariantResult::counted(
                "p3_duplicate_gets_original_offset",
                "P3: a duplicate appends nothing, and when it is answered NONE the answer carries the original base offset",
                true,
                history.p3.count,
                history.p3.listed.clone(),
            ),
            InvariantResult::counted(
                "p4_no_legacy_errors",
                "P4: no UNKNOWN_PRODUCER_ID or DUPLICATE_SEQUENCE_NUMBER from brokers 2.5+",
                true,
                history.p4.count,
                history.p4.listed.clone(),
            ),
            self.check_p5(&analysis),
            InvariantResult::counted(
                "p6_one_retry_in_flight",
                "P6: while retries are pending on a partition, exactly one retried batch is in flight",
                idempotent,
                history.p6.count,
                history.p6.listed.clone(),
            ),
        ]
    }
}
