//! # idempotence-sim
//!
//! A deterministic, sans-IO discrete-event model of Apache Kafka's idempotent producer
//! (Java client 3.2+ semantics), brokers 2.5–4.x (leaders, followers, ISR, high watermark,
//! producer state with the 5-batch cache) and the network between them.
//!
//! ```
//! use idempotence_sim::{presets, Simulation};
//! let scenario = presets::get("lost-ack").unwrap();
//! let mut sim = Simulation::new(scenario).unwrap();
//! sim.run_to_end();
//! let report = sim.report();
//! assert!(report.invariants.iter().all(|i| i.holds));
//! ```

pub mod chunked;
pub mod config;
mod engine;
pub mod error;
pub mod event;
pub mod explore;
pub mod fault;
pub mod invariants;
pub mod limits;
pub mod log_tail;
pub mod message_map;
pub mod presets;
pub mod producer_state;
pub mod report;
pub mod scenario;
pub mod sequence;
pub mod snapshot;
pub mod story;
pub mod sweep;
pub mod types;
#[cfg(feature = "ts")]
pub mod typescript;
pub mod version;
pub mod words;

pub use engine::{
    AbortedTxn, ClientTxnState, ControlMarker, MessageOutcome, Node, ResponseRecord, RunEnd,
    Simulation, TxnMetadata, TxnOutcome, TxnResult, TxnStatus, MAX_STEPS,
};
pub use error::KafkaError;
pub use event::{Event, EventCategory, EventKind};
pub use fault::Fault;
pub use report::Report;
pub use scenario::{Scenario, ScenarioError};
pub use snapshot::Snapshot;
