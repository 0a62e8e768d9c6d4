//! The JSON scenario format (documented in `docs/scenario-format.md`), parsing and validation.
//! Bad input becomes a [`ScenarioError`] naming the JSON path; nothing here panics.

use serde::{Deserialize, Serialize};

use crate::config::{ClusterConfig, NetworkConfig, ProducerConfig};
use crate::fault::Fault;
use crate::fault::{FaultRates, ScriptedFault, Trigger};
use crate::types::{PartitionId, TimeMs};

/// Hard limits that keep every run bounded (TigerStyle: put a limit on everything).
pub const MAX_BROKERS: u32 = 9;
pub const MAX_PARTITIONS: u32 = 16;
pub const MAX_PRODUCERS: usize = 8;
pub const MAX_MESSAGES_PER_PRODUCER: u32 = 100_000;
pub const MAX_DURATION_MS: TimeMs = 7 * 86_400_000;

/// A whole run: cluster, producers, workload, faults, seed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    /// A paragraph for the UI explaining what the scenario shows.
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub seed: u64,
    /// The run stops here at the latest, even if work remains.
    #[serde(default = "default_duration_ms")]
    pub duration_ms: TimeMs,
    #[serde(default)]
    pub cluster: ClusterConfig,
    #[serde(default)]
    pub network: NetworkConfig,
    pub producers: Vec<ProducerSpec>,
    #[serde(default)]
    pub faults: Vec<ScriptedFault>,
    #[serde(default)]
    pub random_faults: FaultRates,
}

fn default_duration_ms() -> TimeMs {
    60_000
}

/// One producer application: its client configuration and what it sends.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerSpec {
    #[serde(default)]
    pub config: ProducerConfig,
    pub workload: Workload,
}

/// The messages an application sends with `send()`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub messages: u32,
    #[serde(default)]
    pub start_ms: TimeMs,
    /// 0 sends them all at `start_ms`, in one burst.
    #[serde(default)]
    pub interval_ms: TimeMs,
    /// A fixed partition, or round-robin over all partitions when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionId>,
    /// Extra messages sent all at once at given times, after or between the regular ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<Burst>,
    /// For a producer with `transactional.id`: how messages are grouped into transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<TransactionPlan>,
}

/// Messages `k*size .. (k+1)*size` form transaction `k`; the ones listed in `abort` are
/// aborted by the application instead of committed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionPlan {
    pub size: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abort: Vec<u32>,
}

/// Several messages sent in the same instant.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub at_ms: TimeMs,
    pub messages: u32,
}

impl Workload {
    /// When the application sends each message, in send order (message index = position).
    pub fn send_times_ms(&self) -> Vec<TimeMs> {
        let mut times: Vec<TimeMs> = (0..self.messages as u64)
            .map(|i| self.start_ms + i * self.interval_ms)
            .collect();
        for burst in &self.bursts {
            times.extend(std::iter::repeat_n(burst.at_ms, burst.messages as usize));
        }
        times.sort_unstable();
        times
    }

    pub fn total_messages(&self) -> u32 {
        self.messages + self.bursts.iter().map(|b| b.messages).sum::<u32>()
    }
}

/// Why a scenario was refused: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioError {
    /// JSON path like `producers[0].config.acks`; `.` for the whole document.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ScenarioError {}

fn err(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        path: path.into(),
        message: message.into(),
    }
}

impl Scenario {
    /// Parses and validates a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = strip_position(&inner.to_string());
            err(if path.is_empty() { ".".into() } else { path }, message)
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Checks everything the types cannot: ranges and references between parts.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let c = &self.cluster;
        if c.brokers == 0 || c.brokers > MAX_BROKERS {
            return Err(err(
                "cluster.brokers",
                format!("expected 1 to {MAX_BROKERS}, got {}", c.brokers),
            ));
        }
        if c.partitions == 0 || c.partitions > MAX_PARTITIONS {
            return Err(err(
                "cluster.partitions",
                format!("expected 1 to {MAX_PARTITIONS}, got {}", c.partitions),
            ));
        }
        if c.replication_factor == 0 || c.replication_factor > c.brokers {
            return Err(err(
                "cluster.replication.factor",
                format!(
                    "expected 1 to the number of brokers ({}), got {}",
                    c.brokers, c.replication_factor
                ),
            ));
        }
        if c.min_insync_replicas == 0 || c.min_insync_replicas > c.replication_factor {
            return Err(err(
                "cluster.min.insync.replicas",
                format!(
                    "expected 1 to replication.factor ({}), got {}",
                    c.replication_factor, c.min_insync_replicas
                ),
            ));
        }
        if c.sequence_max < 1 {
            return Err(err(
                "cluster.sequence_max",
                "expected a positive sequence space",
            ));
        }
        if c.producer_id_expiration_ms == 0 || c.producer_id_expiration_check_interval_ms == 0 {
            return Err(err(
                "cluster.producer.id.expiration.ms",
                "expected at least 1 ms",
            ));
        }
        if c.replica_lag_time_max_ms == 0 || c.replica_fetch_wait_max_ms == 0 {
            return Err(err(
                "cluster.replica.lag.time.max.ms",
                "expected at least 1 ms",
            ));
        }
        if self.duration_ms == 0 || self.duration_ms > MAX_DURATION_MS {
            return Err(err(
                "duration_ms",
                format!("expected 1 to {MAX_DURATION_MS}"),
            ));
        }
        if self.network.latency_ms > 60_000 || self.network.jitter_ms > 60_000 {
            return Err(err(
                "network",
                "latency_ms and jitter_ms must be at most 60000",
            ));
        }
        if self.producers.is_empty() || self.producers.len() > MAX_PRODUCERS {
            return Err(err(
                "producers",
                format!("expected 1 to {MAX_PRODUCERS} producers"),
            ));
        }
        for (i, p) in self.producers.iter().enumerate() {
            if let Err(e) = p.config.validate() {
                return Err(err(
                    format!("producers[{i}].config.{}", e.config),
                    e.to_string(),
                ));
            }
            if p.workload.total_messages() > MAX_MESSAGES_PER_PRODUCER {
                return Err(err(
                    format!("producers[{i}].workload.messages"),
                    format!("expected at most {MAX_MESSAGES_PER_PRODUCER}"),
                ));
            }
            if let Some(plan) = &p.workload.transactions {
                if p.config.transactional_id.is_none() {
                    return Err(err(
                        format!("producers[{i}].workload.transactions"),
                        "transactions need a transactional.id in the producer's config",
                    ));
                }
                if plan.size == 0 || plan.size > 1000 {
                    return Err(err(
                        format!("producers[{i}].workload.transactions.size"),
                        "expected 1 to 1000",
                    ));
                }
            }
            if let Some(part) = p.workload.partition {
                if part >= c.partitions {
                    return Err(err(
                        format!("producers[{i}].workload.partition"),
                        format!(
                            "partition {part} does not exist (the topic has {})",
                            c.partitions
                        ),
                    ));
                }
            }
        }
        for rate in [
            self.random_faults.drop_request,
            self.random_faults.drop_response,
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(err("random_faults", "rates must be between 0 and 1"));
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            self.validate_fault(i, f)?;
        }
        Ok(())
    }

    fn validate_fault(&self, i: usize, f: &ScriptedFault) -> Result<(), ScenarioError> {
        let path = format!("faults[{i}]");
        let producers = self.producers.len() as u32;
        let brokers = self.cluster.brokers;
        let partitions = self.cluster.partitions;
        match (&f.when, &f.fault) {
            (Trigger::AtMs(_), fault) if fault.acts_on_message() => {
                return Err(err(
                    format!("{path}.when"),
                    "this fault acts on a message: trigger it with `request` or `response`",
                ))
            }
            (Trigger::Request(_), Fault::DropResponse) => {
                return Err(err(
                    format!("{path}.when"),
                    "drop_response needs a `response` trigger",
                ))
            }
            (Trigger::Response(_), Fault::DropRequest | Fault::CorruptRequest) => {
                return Err(err(
                    format!("{path}.when"),
                    "this fault needs a `request` trigger",
                ))
            }
            (Trigger::Request(m) | Trigger::Response(m), _) => {
                if m.producer.is_some_and(|p| p >= producers) {
                    return Err(err(format!("{path}.when.producer"), "no such producer"));
                }
                if m.partition.is_some_and(|p| p >= partitions) {
                    return Err(err(format!("{path}.when.partition"), "no such partition"));
                }
            }
            _ => {}
        }
        let fault_path = format!("{path}.fault");
        let bad =
            |field: &str, what: &str| Err(err(format!("{fault_path}.{field}"), what.to_string()));
        match &f.fault {
            Fault::CutLink {
                producer, broker, ..
            } => {
                if *producer >= producers {
                    return bad("producer", "no such producer");
                }
                if *broker >= brokers {
                    return bad("broker", "no such broker");
                }
            }
            Fault::CrashBroker { broker, .. } | Fault::StallReplication { broker, .. } => {
                if *broker >= brokers {
                    return bad("broker", "no such broker");
                }
            }
            Fault::CrashLeader { partition, .. } | Fault::ExpireProducerState { partition } => {
                if *partition >= partitions {
                    return bad("partition", "no such partition");
                }
            }
            Fault::ShrinkIsr { partition, broker } => {
                if *partition >= partitions {
                    return bad("partition", "no such partition");
                }
                if *broker >= brokers {
                    return bad("broker", "no such broker");
                }
            }
            Fault::RestartProducer { producer, .. } => {
                if *producer >= producers {
                    return bad("producer", "no such producer");
                }
            }
            Fault::InjectProduce {
                partition,
                producer_id,
                epoch,
                base_sequence,
                record_count,
            } => {
                if *partition >= partitions {
                    return bad("partition", "no such partition");
                }
                if *producer_id < 0 || *epoch < 0 {
                    return bad(
                        "producer_id",
                        "an idempotent batch needs producer_id ≥ 0 and epoch ≥ 0",
                    );
                }
                if *base_sequence < 0 || *base_sequence > self.cluster.sequence_max {
                    return bad("base_sequence", "expected 0 to sequence_max (a batch with a producer id needs baseSequence ≥ 0)");
                }
                if *record_count == 0 || *record_count > 100 {
                    return bad("record_count", "expected 1 to 100");
                }
            }
            Fault::DropRequest | Fault::DropResponse | Fault::CorruptRequest => {}
        }
        Ok(())
    }

    /// The JSON Schema of the scenario format (draft 2020-12), as pretty JSON.
    #[cfg(feature = "schema")]
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Scenario);
        serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
    }

    /// Serializes back to pretty JSON (round-trips through [`Scenario::from_json`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// serde_json appends " at line L column C"; the JSON path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"producers":[{"workload":{"messages":3}}]}"#;

    #[test]
    fn minimal_scenario_uses_kafka_defaults() {
        let s = Scenario::from_json(MINIMAL).unwrap();
        assert_eq!(s.cluster.brokers, 1);
        assert_eq!(s.producers[0].config.max_in_flight, 5);
        assert_eq!(s.duration_ms, 60_000);
    }

    #[test]
    fn type_errors_name_the_json_path() {
        let e = Scenario::from_json(
            r#"{"producers":[{"config":{"acks":"2"},"workload":{"messages":3}}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "producers[0].config.acks");
        assert!(e.message.contains("unknown variant"), "{}", e.message);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = Scenario::from_json(r#"{"producers":[{"workload":{"messages":3,"mesages":4}}]}"#)
            .unwrap_err();
        assert_eq!(e.path, "producers[0].workload.mesages");
    }

    #[test]
    fn syntax_errors_are_reported_not_panicked() {
        let e = Scenario::from_json("{").unwrap_err();
        assert!(e.message.contains("EOF"), "{}", e.message);
        let e = Scenario::from_json("").unwrap_err();
        assert_eq!(e.path, ".");
    }

    #[test]
    fn config_errors_carry_kafkas_message_and_path() {
        let e = Scenario::from_json(
            r#"{"producers":[{"config":{"enable.idempotence":true,"acks":"1"},"workload":{"messages":3}}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "producers[0].config.acks");
        assert!(e.message.contains("Must set acks to all"));
    }

    #[test]
    fn references_are_checked() {
        let e = Scenario::from_json(
            r#"{"producers":[{"workload":{"messages":3}}],
                "faults":[{"when":{"at_ms":5},"fault":{"type":"crash_broker","broker":3,"down_ms":10}}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "faults[0].fault.broker");
        let e = Scenario::from_json(
            r#"{"producers":[{"workload":{"messages":3}}],
                "faults":[{"when":{"at_ms":5},"fault":{"type":"drop_response"}}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "faults[0].when");
        let e = Scenario::from_json(
            r#"{"cluster":{"brokers":2,"replication.factor":3},"producers":[{"workload":{"messages":3}}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "cluster.replication.factor");
    }
}
