//! The guarantees the lab teaches, declared once as data ([`ALWAYS`], stateright's `Always`
//! properties) and checked over a run, and the cases a sample of runs must reach for those
//! checks to mean something ([`SOMETIMES`]). Each violation is tied to the event where it
//! happened and names its [`Mechanism`]: the Kafka rule or the scenario's fault behind it, or
//! `model_bug` when nothing explains it. Names follow the reference (P1–P6) where they come
//! from it.
//!
//! One checker module per concern: `history` is fed every event as it happens (counters, P3,
//! P4, P6 and the conditions that explain later violations); `log` reads the partition logs
//! for duplicates, order and loss; `sequences` for P1/P2 and P5; `transactions` for
//! read_committed and hanging transactions.

pub(crate) mod history;
mod log;
mod mechanism;
mod sequences;
mod transactions;

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
    fn from_finding(property: &Property, finding: Finding) -> InvariantResult {
        InvariantResult {
            id: property.id.to_string(),
            description: property.description.to_string(),
            applicable: finding.applicable,
            holds: finding.count == 0,
            violation_count: finding.count,
            violations: finding.listed,
        }
    }
}

/// What a checker found for one property: whether the run meets its preconditions, how many
/// violations, and the first [`MAX_VIOLATIONS_LISTED`] of them.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    applicable: bool,
    count: u64,
    listed: Vec<Violation>,
}

impl Finding {
    pub(crate) fn of(applicable: bool, violations: Vec<Violation>) -> Finding {
        Finding {
            applicable,
            count: violations.len() as u64,
            listed: violations.into_iter().take(MAX_VIOLATIONS_LISTED).collect(),
        }
    }

    fn found(applicable: bool, found: &history::Found) -> Finding {
        Finding {
            applicable,
            count: found.count,
            listed: found.listed.clone(),
        }
    }
}

/// How a property is expected to hold (stateright's `Always` and `Sometimes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// In every run, whatever its faults: a violation is a lesson (its [`Mechanism`]) or a
    /// model bug.
    Always,
    /// In some run of a sample: a case a test must reach, or its `Always` checks could pass
    /// without ever meeting what they guard against.
    Sometimes,
}

/// When a property's checker can judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// Event by event as the run goes (`history`), each violation at the event that made it.
    AsEventsHappen,
    /// On the partition logs as they are when asked (at the end of a run, or at the position a
    /// player shows), each violation at the event that appended the offending batch.
    OnTheLogs,
}

/// A guarantee the lab teaches (or a case its tests must reach), declared once: the report,
/// the CLI, the JS API and the app all list these.
pub struct Property {
    pub id: &'static str,
    pub description: &'static str,
    pub expectation: Expectation,
    pub judged: Judged,
    check: fn(&Evidence) -> Finding,
}

/// What the checkers read: the run, and its log analysis, made once on first use.
struct Evidence<'a> {
    sim: &'a Simulation,
    logs: std::cell::OnceCell<log::LogAnalysis>,
}

impl Evidence<'_> {
    fn logs(&self) -> &log::LogAnalysis {
        self.logs.get_or_init(|| self.sim.log_analysis())
    }
}

const fn property(
    expectation: Expectation,
    (id, description): (&'static str, &'static str),
    judged: Judged,
    check: fn(&Evidence) -> Finding,
) -> Property {
    Property {
        id,
        description,
        expectation,
        judged,
        check,
    }
}

const fn always(
    id: &'static str,
    description: &'static str,
    judged: Judged,
    check: fn(&Evidence) -> Finding,
) -> Property {
    property(Expectation::Always, (id, description), judged, check)
}

const fn sometimes(
    id: &'static str,
    description: &'static str,
    judged: Judged,
    check: fn(&Evidence) -> Finding,
) -> Property {
    property(Expectation::Sometimes, (id, description), judged, check)
}

/// Every run is held to these, in this order (the report lists them so).
pub const ALWAYS: [Property; 10] = [
    always(
        "no_duplicates",
        "No application message appears twice in a partition log",
        Judged::OnTheLogs,
        |e| Finding::of(true, e.logs().duplicates.clone()),
    ),
    always(
        "order_kept",
        "Each producer's messages appear in a partition in the order they were sent",
        Judged::OnTheLogs,
        |e| Finding::of(true, e.logs().reorderings.clone()),
    ),
    always(
        "acked_present",
        "Every acknowledged message is in the log",
        Judged::OnTheLogs,
        |e| Finding::of(true, e.logs().lost_acked.clone()),
    ),
    always(
        "read_committed_exactly_once",
        "Transactions: read_committed sees each committed record exactly once and no record that was not committed",
        Judged::OnTheLogs,
        |e| e.sim.check_read_committed(),
    ),
    always(
        "no_hanging_transactions",
        "Transactions: no partition keeps a transaction open that the coordinator is not completing",
        Judged::OnTheLogs,
        |e| e.sim.check_no_hanging_transactions(),
    ),
    always(
        "p1_p2_sequences_contiguous",
        "P1/P2: per partition, producer id and epoch, sequences in the log are contiguous with no overlap (unless the broker had lost the producer's state)",
        Judged::OnTheLogs,
        |e| e.sim.check_p1_p2(),
    ),
    always(
        "p3_duplicate_gets_original_offset",
        "P3: a duplicate appends nothing, and when it is answered NONE the answer carries the original base offset",
        Judged::AsEventsHappen,
        |e| Finding::found(true, &e.sim.history.p3),
    ),
    always(
        "p4_no_legacy_errors",
        "P4: no UNKNOWN_PRODUCER_ID or DUPLICATE_SEQUENCE_NUMBER from brokers 2.5+",
        Judged::AsEventsHappen,
        |e| Finding::found(true, &e.sim.history.p4),
    ),
    always(
        "p5_acked_never_lost",
        "P5: with acks=all, min.insync.replicas ≥ 2 and clean elections, an acknowledged batch is never lost",
        Judged::OnTheLogs,
        |e| e.sim.check_p5(e.logs()),
    ),
    always(
        "p6_one_retry_in_flight",
        "P6: while retries are pending on a partition, exactly one retried batch is in flight",
        Judged::AsEventsHappen,
        |e| {
            let idempotent = e.sim.producers.iter().any(|p| p.config.idempotent);
            Finding::found(idempotent, &e.sim.history.p6)
        },
    ),
];

/// Cases a sample of runs must reach (a "violation" here is a witness). The property tests
/// ask for them: a fault schedule that never makes a producer retry, or never gets a retried
/// batch to its leader twice, proves nothing by finding no duplicates.
pub const SOMETIMES: [Property; 3] = [
    sometimes(
        "retried",
        "A producer sends a batch again",
        Judged::AsEventsHappen,
        |e| witnessed(e.sim.history.counters.retries > 0),
    ),
    sometimes(
        "duplicate_prevented",
        "A leader recognises a batch it already has and appends nothing",
        Judged::AsEventsHappen,
        |e| witnessed(e.sim.history.counters.duplicates_prevented > 0),
    ),
    sometimes(
        "duplicate_written",
        "A message is written twice (the control: only where a guarantee is off)",
        Judged::OnTheLogs,
        |e| witnessed(!e.logs().duplicates.is_empty()),
    ),
];

fn witnessed(seen: bool) -> Finding {
    Finding {
        applicable: true,
        count: u64::from(seen),
        listed: Vec::new(),
    }
}

impl Property {
    /// This property judged on `sim` as it is now.
    fn evaluate(&self, evidence: &Evidence) -> InvariantResult {
        InvariantResult::from_finding(self, (self.check)(evidence))
    }
}

impl Simulation {
    /// Evaluates every [`ALWAYS`] property over the run so far.
    pub fn check_invariants(&self) -> Vec<InvariantResult> {
        let evidence = Evidence {
            sim: self,
            logs: Default::default(),
        };
        ALWAYS.iter().map(|p| p.evaluate(&evidence)).collect()
    }

    /// The [`SOMETIMES`] cases this run reached, by id.
    pub fn sometimes_witnessed(&self) -> Vec<&'static str> {
        let evidence = Evidence {
            sim: self,
            logs: Default::default(),
        };
        SOMETIMES
            .iter()
            .filter(|p| (p.check)(&evidence).count > 0)
            .map(|p| p.id)
            .collect()
    }
}
