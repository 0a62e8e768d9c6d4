//! The JSON scenario format (documented in `docs/scenario-format.md`), parsing and validation.
//! Bad input becomes a [`ScenarioError`] naming the JSON path; nothing here panics.

use serde::{Deserialize, Serialize};

use crate::config::{ClusterConfig, NetworkConfig, ProducerConfig};
use crate::fault::Fault;
use crate::fault::{FaultRates, ScriptedFault, Trigger};
use crate::limits::{
    WorkEstimate, MAX_ABORTS, MAX_BATCH_RECORDS, MAX_BEATS, MAX_BEAT_CHARS, MAX_BEAT_PATTERN_BYTES,
    MAX_BURSTS, MAX_CAPTION_CHARS, MAX_CONFIG_MS, MAX_FAULTS, MAX_NAME_CHARS, MAX_NETWORK_MS,
    MAX_SCENARIO_BYTES, MAX_STEPS, MAX_TOTAL_MESSAGES, MAX_TRANSACTION_SIZE, STEPS_PER_BATCH,
    STEPS_PER_FOLLOWER_BATCH, STEPS_PER_IDLE_FETCH,
};
use crate::producer_state::NUM_BATCHES_TO_RETAIN;
use crate::types::{BrokerId, Epoch, PartitionId, ProducerId, ProducerIndex, Sequence, TimeMs};
use crate::version::{
    Broker, Client, KafkaVersion, DEFAULT_CLIENT, NEWEST, OLDEST_BROKER, OLDEST_CLIENT,
};

pub use crate::limits::{MAX_BROKERS, MAX_DURATION_MS, MAX_PARTITIONS, MAX_PRODUCERS};

/// A whole run: cluster, producers, workload, faults, seed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Scenario {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub name: String,
    /// A paragraph for the UI explaining what the scenario shows.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub caption: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub seed: u64,
    /// The run stops here at the latest, even if work remains.
    #[serde(default = "default_duration_ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub duration_ms: TimeMs,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub cluster: ClusterConfig,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub network: NetworkConfig,
    pub producers: Vec<ProducerSpec>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub faults: Vec<ScriptedFault>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub random_faults: FaultRates,
    /// The story told as the run goes: each beat is shown from the event it names on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub beats: Vec<crate::story::Beat>,
}

fn default_duration_ms() -> TimeMs {
    60_000
}

/// One producer application: its client configuration and what it sends.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProducerSpec {
    /// The Java client's release, `"3.0"` to `"4.5"` (a patch as `"3.0.1"`); `"3.9"` when left
    /// out. What changes with it: `docs/versions.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub client_version: Option<KafkaVersion>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub config: ProducerConfig,
    pub workload: Workload,
}

impl ProducerSpec {
    /// The client's release and the behaviours that come with it.
    pub fn client(&self) -> Client {
        Client(self.client_version.unwrap_or(DEFAULT_CLIENT))
    }
}

/// The messages an application sends with `send()`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Workload {
    pub messages: u32,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub start_ms: TimeMs,
    /// 0 sends them all at `start_ms`, in one burst.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub interval_ms: TimeMs,
    /// A fixed partition, or round-robin over all partitions when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub partition: Option<PartitionId>,
    /// Extra messages sent all at once at given times, after or between the regular ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub bursts: Vec<Burst>,
    /// For a producer with `transactional.id`: how messages are grouped into transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub transactions: Option<TransactionPlan>,
}

/// Messages `k*size .. (k+1)*size` form transaction `k`; the ones listed in `abort` are
/// aborted by the application instead of committed.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransactionPlan {
    pub size: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub abort: Vec<u32>,
}

/// Several messages sent in the same instant.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Burst {
    pub at_ms: TimeMs,
    pub messages: u32,
}

impl Workload {
    /// When the application sends each message, in send order (message index = position).
    /// Call only on a validated scenario: its times and counts are bounded.
    pub fn send_times_ms(&self) -> Vec<TimeMs> {
        let mut times: Vec<TimeMs> = (0..u64::from(self.messages))
            .map(|i| {
                self.start_ms
                    .saturating_add(i.saturating_mul(self.interval_ms))
            })
            .collect();
        for burst in &self.bursts {
            times.extend(std::iter::repeat_n(burst.at_ms, burst.messages as usize));
        }
        times.sort_unstable();
        times
    }

    /// Every message the application sends, bursts included (64 bits: the sum of `u32`
    /// counts cannot wrap).
    pub fn total_messages(&self) -> u64 {
        self.bursts.iter().fold(u64::from(self.messages), |sum, b| {
            sum + u64::from(b.messages)
        })
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
    /// Parses and validates a scenario from JSON text: one JSON object, nothing after it.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = parse_object(text, MAX_SCENARIO_BYTES, "scenario")?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Checks everything the types cannot: ranges, references between parts, the work budget.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.validate_top()?;
        self.validate_cluster()?;
        self.validate_network()?;
        if self.producers.is_empty() || self.producers.len() > MAX_PRODUCERS {
            return Err(err(
                "producers",
                format!(
                    "expected 1 to {MAX_PRODUCERS} producers, got {}",
                    self.producers.len()
                ),
            ));
        }
        for (i, p) in self.producers.iter().enumerate() {
            self.validate_producer(i, p)?;
        }
        self.validate_random_faults()?;
        if self.faults.len() > MAX_FAULTS {
            return Err(err(
                "faults",
                format!(
                    "expected at most {MAX_FAULTS} scripted faults, got {}",
                    self.faults.len()
                ),
            ));
        }
        for (i, f) in self.faults.iter().enumerate() {
            self.validate_fault(i, f)?;
        }
        self.check_work_budget()
    }

    fn validate_top(&self) -> Result<(), ScenarioError> {
        if self.name.chars().count() > MAX_NAME_CHARS {
            return Err(err(
                "name",
                format!("expected at most {MAX_NAME_CHARS} characters"),
            ));
        }
        if self.caption.chars().count() > MAX_CAPTION_CHARS {
            return Err(err(
                "caption",
                format!("expected at most {MAX_CAPTION_CHARS} characters"),
            ));
        }
        self.validate_beats()?;
        check_time("duration_ms", self.duration_ms, 1, MAX_DURATION_MS)
    }

    fn validate_beats(&self) -> Result<(), ScenarioError> {
        if self.beats.len() > MAX_BEATS {
            return Err(err(
                "beats",
                format!(
                    "expected at most {MAX_BEATS} beats, got {}",
                    self.beats.len()
                ),
            ));
        }
        for (i, b) in self.beats.iter().enumerate() {
            let typed = b
                .when
                .as_object()
                .and_then(|o| o.get("type"))
                .is_some_and(serde_json::Value::is_string);
            if !typed {
                return Err(err(
                    format!("beats[{i}].when"),
                    "expected an object with the event's \"type\", e.g. {\"type\": \"response_lost\"}"
                        .to_string(),
                ));
            }
            let pattern_bytes = serde_json::to_string(&b.when).map_or(usize::MAX, |j| j.len());
            if pattern_bytes > MAX_BEAT_PATTERN_BYTES {
                return Err(err(
                    format!("beats[{i}].when"),
                    format!(
                        "expected a pattern of at most {MAX_BEAT_PATTERN_BYTES} bytes of JSON, got {pattern_bytes}"
                    ),
                ));
            }
            let chars = b.text.chars().count();
            if chars == 0 || chars > MAX_BEAT_CHARS {
                return Err(err(
                    format!("beats[{i}].text"),
                    format!("expected 1 to {MAX_BEAT_CHARS} characters, got {chars}"),
                ));
            }
            if b.nth == 0 || b.nth > 1_000_000 {
                return Err(err(
                    format!("beats[{i}].nth"),
                    format!("expected 1 to 1000000, got {}", b.nth),
                ));
            }
        }
        Ok(())
    }

    fn validate_cluster(&self) -> Result<(), ScenarioError> {
        self.validate_broker_version()?;
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
        let largest_batch = self
            .producers
            .iter()
            .map(|p| p.config.batch_size_records)
            .max()
            .unwrap_or(1)
            .min(MAX_BATCH_RECORDS);
        // The broker caches the last 5 batches. If the space held fewer than 6 batches, a batch
        // after the wrap could carry the very range of a cached one, and findDuplicateBatch
        // would take new records for a retry: a tiny space shows the wrap, not that artefact.
        let least = i64::from(largest_batch) * (NUM_BATCHES_TO_RETAIN as i64 + 1) - 1;
        if i64::from(c.sequence_max) < least.max(1) {
            return Err(err(
                "cluster.sequence_max",
                format!(
                    "expected at least {} (6 × the largest batch.size − 1), so a batch after the wrap never repeats the range of one of the 5 batches the broker caches; got {}",
                    least.max(1),
                    c.sequence_max
                ),
            ));
        }
        for (path, value) in [
            (
                "cluster.producer.id.expiration.ms",
                c.producer_id_expiration_ms,
            ),
            (
                "cluster.producer.id.expiration.check.interval.ms",
                c.producer_id_expiration_check_interval_ms,
            ),
            ("cluster.replica.lag.time.max.ms", c.replica_lag_time_max_ms),
            (
                "cluster.replica.fetch.wait.max.ms",
                c.replica_fetch_wait_max_ms,
            ),
        ] {
            check_time(path, value, 1, MAX_CONFIG_MS)?;
        }
        Ok(())
    }

    /// The brokers' release, its alias from before versions, and the transaction version the
    /// cluster finalizes.
    fn validate_broker_version(&self) -> Result<(), ScenarioError> {
        let c = &self.cluster;
        if let Some(v) = c.broker_version {
            if !v.within(OLDEST_BROKER, NEWEST) {
                return Err(err(
                    "cluster.broker_version",
                    format!("expected a broker release from {OLDEST_BROKER} to {NEWEST}, got {v}"),
                ));
            }
            if c.new_partition_requires_sequence_zero
                && !Broker(v).new_partition_requires_sequence_zero()
            {
                return Err(err(
                    "cluster.new_partition_requires_sequence_zero",
                    format!("this is the behaviour of brokers 4.5 and newer (KAFKA-15591), but broker_version is {v}: remove it, or write \"broker_version\": \"4.5\" instead"),
                ));
            }
            if !Broker(v).has_producer_id_expiration()
                && c.producer_id_expiration_ms != crate::config::PRODUCER_ID_EXPIRATION_MS
            {
                return Err(err(
                    "cluster.producer.id.expiration.ms",
                    format!("brokers before 3.4 have no such setting (KIP-854): they forget a producer's state after transactional.id.expiration.ms, 7 days; remove it, or use broker_version 3.4 or newer (broker_version is {v})"),
                ));
            }
        }
        match c.transaction_version {
            None => Ok(()),
            Some(tv) if c.broker().supports_transaction_version(tv) => Ok(()),
            Some(tv @ (1 | 2)) => Err(err(
                "cluster.transaction.version",
                format!(
                    "transaction.version {tv} needs brokers 4.0 or newer, and broker_version is {}",
                    c.broker().0
                ),
            )),
            Some(tv) => Err(err(
                "cluster.transaction.version",
                format!("expected 1 or 2, got {tv}"),
            )),
        }
    }

    fn validate_network(&self) -> Result<(), ScenarioError> {
        check_time(
            "network.latency_ms",
            self.network.latency_ms,
            0,
            MAX_NETWORK_MS,
        )?;
        check_time(
            "network.jitter_ms",
            self.network.jitter_ms,
            0,
            MAX_NETWORK_MS,
        )
    }

    fn validate_producer(&self, i: usize, p: &ProducerSpec) -> Result<(), ScenarioError> {
        if let Some(v) = p.client_version {
            if !v.within(OLDEST_CLIENT, NEWEST) {
                return Err(err(
                    format!("producers[{i}].client_version"),
                    format!(
                        "expected a Java client release from {OLDEST_CLIENT} to {NEWEST}, got {v}"
                    ),
                ));
            }
        }
        if let Err(e) = p.config.validate_for(p.client()) {
            return Err(err(
                format!("producers[{i}].config.{}", e.config),
                e.to_string(),
            ));
        }
        let w = &p.workload;
        let path = format!("producers[{i}].workload");
        check_time(&format!("{path}.start_ms"), w.start_ms, 0, MAX_DURATION_MS)?;
        check_time(
            &format!("{path}.interval_ms"),
            w.interval_ms,
            0,
            MAX_DURATION_MS,
        )?;
        let last_send = u64::from(w.messages.saturating_sub(1))
            .checked_mul(w.interval_ms)
            .and_then(|span| span.checked_add(w.start_ms));
        if last_send.is_none_or(|t| t > MAX_DURATION_MS) {
            return Err(err(
                format!("{path}.interval_ms"),
                format!(
                    "the last of {} messages would be sent after {MAX_DURATION_MS} ms (start_ms + (messages - 1) × interval_ms); shrink interval_ms or messages",
                    w.messages
                ),
            ));
        }
        if w.bursts.len() > MAX_BURSTS {
            return Err(err(
                format!("{path}.bursts"),
                format!(
                    "expected at most {MAX_BURSTS} bursts, got {}",
                    w.bursts.len()
                ),
            ));
        }
        for (b, burst) in w.bursts.iter().enumerate() {
            check_time(
                &format!("{path}.bursts[{b}].at_ms"),
                burst.at_ms,
                0,
                MAX_DURATION_MS,
            )?;
        }
        let total = w.total_messages();
        if total > MAX_TOTAL_MESSAGES {
            return Err(err(
                format!("{path}.messages"),
                format!(
                    "this producer sends {total} messages (bursts included); at most {MAX_TOTAL_MESSAGES} are accepted"
                ),
            ));
        }
        self.validate_transactions(i, p)?;
        if let Some(part) = w.partition {
            if part >= self.cluster.partitions {
                return Err(err(
                    format!("{path}.partition"),
                    format!(
                        "partition {part} does not exist (the topic has {})",
                        self.cluster.partitions
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate_transactions(&self, i: usize, p: &ProducerSpec) -> Result<(), ScenarioError> {
        let Some(plan) = &p.workload.transactions else {
            return Ok(());
        };
        let path = format!("producers[{i}].workload.transactions");
        if p.config.transactional_id.is_none() {
            return Err(err(
                path,
                "transactions need a transactional.id in the producer's config",
            ));
        }
        if plan.size == 0 || plan.size > MAX_TRANSACTION_SIZE {
            return Err(err(
                format!("{path}.size"),
                format!("expected 1 to {MAX_TRANSACTION_SIZE}, got {}", plan.size),
            ));
        }
        if plan.abort.len() > MAX_ABORTS {
            return Err(err(
                format!("{path}.abort"),
                format!(
                    "expected at most {MAX_ABORTS} entries, got {}",
                    plan.abort.len()
                ),
            ));
        }
        Ok(())
    }

    fn validate_random_faults(&self) -> Result<(), ScenarioError> {
        for (path, rate) in [
            (
                "random_faults.drop_request",
                self.random_faults.drop_request,
            ),
            (
                "random_faults.drop_response",
                self.random_faults.drop_response,
            ),
            (
                "random_faults.corrupt_request",
                self.random_faults.corrupt_request,
            ),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(err(
                    path,
                    format!("expected a probability from 0 to 1, got {rate}"),
                ));
            }
        }
        Ok(())
    }

    fn validate_fault(&self, i: usize, f: &ScriptedFault) -> Result<(), ScenarioError> {
        let path = format!("faults[{i}]");
        let producers = self.producers.len() as u32;
        let partitions = self.cluster.partitions;
        match (&f.when, &f.fault) {
            (Trigger::AtMs(_) | Trigger::Read(_), fault) if fault.acts_on_message() => {
                return Err(err(
                    format!("{path}.when"),
                    "this fault acts on a message: trigger it with `request` or `response`",
                ))
            }
            (Trigger::AtMs(t), _) => {
                check_time(&format!("{path}.when.at_ms"), *t, 0, MAX_DURATION_MS)?;
            }
            (Trigger::Request(_), Fault::DropResponse) => {
                return Err(err(
                    format!("{path}.when"),
                    "drop_response needs a `response` trigger",
                ))
            }
            (
                Trigger::Response(_),
                Fault::DropRequest | Fault::CorruptRequest | Fault::RejectBatch { .. },
            ) => {
                return Err(err(
                    format!("{path}.when"),
                    "this fault needs a `request` trigger",
                ))
            }
            (Trigger::Request(m) | Trigger::Response(m) | Trigger::Read(m), _) => {
                let kind = match f.when {
                    Trigger::Request(_) => "request",
                    Trigger::Response(_) => "response",
                    _ => "read",
                };
                if m.producer.is_some_and(|p| p >= producers) {
                    return Err(err(
                        format!("{path}.when.{kind}.producer"),
                        format!("no such producer (the scenario has {producers})"),
                    ));
                }
                if m.partition.is_some_and(|p| p >= partitions) {
                    return Err(err(
                        format!("{path}.when.{kind}.partition"),
                        format!("no such partition (the topic has {partitions})"),
                    ));
                }
            }
        }
        self.validate_fault_fields(&format!("{path}.fault"), &f.fault)
    }

    /// The producer, partition and broker a fault names must exist, its duration must be in
    /// range, and a fault with more to check (an ISR shrink, a crafted batch) is checked.
    fn validate_fault_fields(&self, path: &str, fault: &Fault) -> Result<(), ScenarioError> {
        let (producers, brokers) = (self.producers.len() as u32, self.cluster.brokers);
        let partitions = self.cluster.partitions;
        let refs = FaultRefs::of(fault);
        let missing = |field: &str, what: String| Err(err(format!("{path}.{field}"), what));
        if refs.producer.is_some_and(|p| p >= producers) {
            return missing(
                "producer",
                format!("no such producer (the scenario has {producers})"),
            );
        }
        if refs.partition.is_some_and(|p| p >= partitions) {
            return missing(
                "partition",
                format!("no such partition (the topic has {partitions})"),
            );
        }
        if refs.broker.is_some_and(|b| b >= brokers) {
            return missing(
                "broker",
                format!("no such broker (the cluster has {brokers})"),
            );
        }
        if let Some((field, duration_ms)) = refs.duration {
            check_time(&format!("{path}.{field}"), duration_ms, 0, MAX_DURATION_MS)?;
        }
        match fault {
            Fault::ShrinkIsr { partition, broker } => {
                self.validate_replica_host(path, *partition, *broker)
            }
            Fault::InjectProduce {
                producer_id,
                epoch,
                base_sequence,
                record_count,
                ..
            } => self.validate_crafted_batch(
                path,
                (*producer_id, *epoch),
                *base_sequence,
                *record_count,
            ),
            Fault::DeleteRecords {
                offset: Some(offset),
                ..
            } if *offset < 0 => Err(err(
                format!("{path}.offset"),
                "must be 0 or more; leave it out to delete up to the high watermark",
            )),
            _ => Ok(()),
        }
    }

    /// An ISR shrink names a broker that holds a replica of the partition.
    fn validate_replica_host(
        &self,
        path: &str,
        partition: PartitionId,
        broker: BrokerId,
    ) -> Result<(), ScenarioError> {
        let c = &self.cluster;
        let hosts = crate::engine::replica_placement(partition, c.brokers, c.replication_factor);
        if hosts.contains(&broker) {
            return Ok(());
        }
        Err(err(
            format!("{path}.broker"),
            format!("broker {broker} holds no replica of partition {partition} (its replicas are on {hosts:?})"),
        ))
    }

    /// A crafted idempotent batch: a producer id and epoch, a sequence in the sequence space,
    /// and a record count the space and the batch limit hold.
    fn validate_crafted_batch(
        &self,
        path: &str,
        (producer_id, epoch): (ProducerId, Epoch),
        base_sequence: Sequence,
        record_count: u32,
    ) -> Result<(), ScenarioError> {
        let bad = |field: &str, what: String| Err(err(format!("{path}.{field}"), what));
        if producer_id < 0 {
            return bad(
                "producer_id",
                "an idempotent batch needs producer_id ≥ 0".into(),
            );
        }
        if epoch < 0 {
            return bad("epoch", "an idempotent batch needs epoch ≥ 0".into());
        }
        let max = self.cluster.sequence_max;
        if base_sequence < 0 || base_sequence > max {
            return bad(
                "base_sequence",
                format!("expected 0 to sequence_max ({max}) (a batch with a producer id needs baseSequence ≥ 0)"),
            );
        }
        let fits = (i64::from(max) + 1).min(i64::from(MAX_BATCH_RECORDS));
        if record_count == 0 || i64::from(record_count) > fits {
            return bad(
                "record_count",
                format!("expected 1 to {fits} (at most {MAX_BATCH_RECORDS}, and no more than the sequence space holds)"),
            );
        }
        Ok(())
    }

    /// What the scenario asks of the engine in the worst case (see [`crate::limits`]).
    pub fn work_estimate(&self) -> WorkEstimate {
        let c = &self.cluster;
        let replicas_per_batch = u64::from(c.replication_factor.saturating_sub(1));
        let per_batch = STEPS_PER_BATCH + STEPS_PER_FOLLOWER_BATCH * replicas_per_batch;
        let mut messages = 0u64;
        let mut message_steps = 0u64;
        for p in &self.producers {
            let total = p.workload.total_messages();
            messages = messages.saturating_add(total);
            let batches = estimated_batches(p);
            message_steps = message_steps
                .saturating_add(total)
                .saturating_add(batches.saturating_mul(per_batch));
        }
        let duration = self.duration_ms;
        let followers = u64::from(c.partitions) * replicas_per_batch;
        let fetch_polls = (duration / c.replica_fetch_wait_max_ms.max(1))
            .saturating_mul(followers)
            .saturating_mul(STEPS_PER_IDLE_FETCH);
        let isr_checks = if replicas_per_batch > 0 {
            duration / (c.replica_lag_time_max_ms / 2).max(1)
        } else {
            0
        };
        let expiry_checks = duration / c.producer_id_expiration_check_interval_ms.max(1);
        let coordinator_ticks = if self
            .producers
            .iter()
            .any(|p| p.config.transactional_id.is_some())
        {
            duration / crate::engine::COORDINATOR_TICK_MS
        } else {
            0
        };
        WorkEstimate {
            messages,
            message_steps,
            idle_steps: fetch_polls
                .saturating_add(isr_checks)
                .saturating_add(expiry_checks)
                .saturating_add(coordinator_ticks),
        }
    }

    /// Refuses a scenario whose estimated work exceeds the budget, naming what to shrink.
    fn check_work_budget(&self) -> Result<(), ScenarioError> {
        let work = self.work_estimate();
        if work.messages > MAX_TOTAL_MESSAGES {
            return Err(err(
                "producers",
                format!(
                    "the producers send {} messages together; at most {MAX_TOTAL_MESSAGES} are accepted: shrink producers[i].workload.messages",
                    work.messages
                ),
            ));
        }
        if work.steps() <= MAX_STEPS {
            return Ok(());
        }
        if work.idle_steps >= work.message_steps {
            return Err(err(
                "duration_ms",
                format!(
                    "a run this long may need about {} steps for followers' fetches and periodic checks alone (duration_ms / replica.fetch.wait.max.ms × partitions × (replication.factor − 1)); the budget is {MAX_STEPS}: shrink duration_ms, or raise cluster.replica.fetch.wait.max.ms",
                    work.idle_steps
                ),
            ));
        }
        Err(err(
            "producers",
            format!(
                "these messages may need about {} steps (about {} messages in small batches, replicated {}×); the budget is {MAX_STEPS}: shrink the workloads' messages, or raise batch.size or linger.ms",
                work.steps(),
                work.messages,
                self.cluster.replication_factor
            ),
        ))
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

/// Parses one JSON object of type `T` (a scenario, a fault) from text no longer than
/// `max_bytes`, refusing anything after it; errors name the JSON path.
pub(crate) fn parse_object<T: serde::de::DeserializeOwned>(
    text: &str,
    max_bytes: usize,
    what: &str,
) -> Result<T, ScenarioError> {
    if text.len() > max_bytes {
        return Err(err(
            ".",
            format!(
                "the {what} is {} bytes long; at most {max_bytes} are accepted",
                text.len()
            ),
        ));
    }
    // serde's derived structs also accept a JSON array (fields by position): only an object
    // is a document here.
    let first = text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .chars()
        .next();
    if first != Some('{') {
        return Err(err(
            ".",
            match first {
                None => format!("the {what} is empty; expected a JSON object"),
                Some(c) => format!("expected a JSON object (starting with '{{'), found '{c}'"),
            },
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut *deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        err(document_path(&path), strip_position(&inner.to_string()))
    })?;
    deserializer.end().map_err(|e| {
        err(
            ".",
            format!(
                "unexpected text after the {what}'s JSON object ({})",
                strip_position(&e.to_string())
            ),
        )
    })?;
    Ok(value)
}

/// serde_path_to_error names an unknown position `?` (a syntax error before any key was read):
/// the whole document, `.`, is the honest place to point at.
fn document_path(path: &str) -> String {
    let known = path.trim_end_matches('?').trim_end_matches('.');
    if known.is_empty() {
        ".".into()
    } else {
        known.to_string()
    }
}

/// A time or duration field within `min..=max`, or an error naming it.
fn check_time(path: &str, value: TimeMs, min: TimeMs, max: TimeMs) -> Result<(), ScenarioError> {
    if value < min || value > max {
        return Err(err(
            path,
            format!("expected {min} to {max} ms, got {value}"),
        ));
    }
    Ok(())
}

/// How many batches a producer's workload makes, roughly: a batch closes when it is full, or
/// after `linger.ms` (a steady stream every `interval_ms` fills `linger / interval + 1` records).
fn estimated_batches(p: &ProducerSpec) -> u64 {
    let w = &p.workload;
    let size = u64::from(p.config.batch_size_records.max(1));
    let linger_ms = p.config.linger_ms.unwrap_or(p.client().default_linger_ms());
    let steady_fill = linger_ms
        .checked_div(w.interval_ms)
        .map_or(size, |fill| (fill + 1).clamp(1, size));
    let steady = u64::from(w.messages).div_ceil(steady_fill);
    let bursts: u64 = w
        .bursts
        .iter()
        .map(|b| u64::from(b.messages).div_ceil(size))
        .sum();
    steady.saturating_add(bursts)
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

/// What a fault names, for the checks every fault shares: the field each is in.
#[derive(Default)]
struct FaultRefs {
    producer: Option<ProducerIndex>,
    partition: Option<PartitionId>,
    broker: Option<BrokerId>,
    /// The duration's field name and value.
    duration: Option<(&'static str, TimeMs)>,
}

impl FaultRefs {
    fn of(fault: &Fault) -> FaultRefs {
        let none = FaultRefs::default();
        match *fault {
            Fault::CutLink {
                producer,
                broker,
                duration_ms,
            } => FaultRefs {
                producer: Some(producer),
                broker: Some(broker),
                duration: Some(("duration_ms", duration_ms)),
                ..none
            },
            Fault::CrashBroker {
                broker, down_ms, ..
            } => FaultRefs {
                broker: Some(broker),
                duration: Some(("down_ms", down_ms)),
                ..none
            },
            Fault::StallReplication {
                broker,
                duration_ms,
            } => FaultRefs {
                broker: Some(broker),
                duration: Some(("duration_ms", duration_ms)),
                ..none
            },
            Fault::CrashLeader {
                partition, down_ms, ..
            } => FaultRefs {
                partition: Some(partition),
                duration: Some(("down_ms", down_ms)),
                ..none
            },
            Fault::ExpireProducerState { partition }
            | Fault::InjectProduce { partition, .. }
            | Fault::DeleteRecords { partition, .. } => FaultRefs {
                partition: Some(partition),
                ..none
            },
            Fault::ShrinkIsr { partition, broker } => FaultRefs {
                partition: Some(partition),
                broker: Some(broker),
                ..none
            },
            Fault::RestartProducer { producer, down_ms } => FaultRefs {
                producer: Some(producer),
                duration: Some(("down_ms", down_ms)),
                ..none
            },
            Fault::DropRequest
            | Fault::DropResponse
            | Fault::CorruptRequest
            | Fault::RejectBatch { .. } => none,
        }
    }
}
