//! Producer and cluster configuration, with Kafka's names, defaults and validation.

use serde::{Deserialize, Serialize};

use crate::version::{Broker, Client, KafkaVersion, DEFAULT_BROKER, DEFAULT_CLIENT};

use crate::limits::{MAX_BATCH_RECORDS, MAX_CONFIG_MS, MAX_TRANSACTIONAL_ID_CHARS};
use crate::producer_state::DedupRule;
use crate::types::TimeMs;

/// Kafka's `MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE`.
pub const MAX_IN_FLIGHT_FOR_IDEMPOTENCE: u32 = 5;
/// Upper bound on requests in flight per connection in the model (bounded queues).
pub const MAX_IN_FLIGHT_LIMIT: u32 = 10;

/// `acks`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "\"0\" | \"1\" | \"all\" | \"-1\""))]
pub enum Acks {
    #[serde(rename = "0")]
    None,
    #[serde(rename = "1")]
    Leader,
    #[default]
    #[serde(rename = "all", alias = "-1")]
    All,
}

/// Producer configuration as a user writes it (Java client 3.2+ names and defaults).
/// `enable.idempotence` is optional so the model can tell "explicitly true" from "default".
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProducerConfig {
    #[serde(rename = "enable.idempotence", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub enable_idempotence: Option<bool>,
    #[serde(rename = "acks")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub acks: Acks,
    /// Kafka's default is `Integer.MAX_VALUE`.
    #[serde(rename = "retries")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub retries: u32,
    #[serde(rename = "max.in.flight.requests.per.connection")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub max_in_flight: u32,
    /// Counted in records (not bytes) so a batch is easy to see.
    #[serde(rename = "batch.size")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub batch_size_records: u32,
    /// Unset: the client's default (0 before 4.0, 5 from 4.0, KIP-1030).
    #[serde(rename = "linger.ms", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub linger_ms: Option<TimeMs>,
    #[serde(rename = "request.timeout.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub request_timeout_ms: TimeMs,
    #[serde(rename = "delivery.timeout.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub delivery_timeout_ms: TimeMs,
    #[serde(rename = "retry.backoff.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub retry_backoff_ms: TimeMs,
    #[serde(rename = "retry.backoff.max.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub retry_backoff_max_ms: TimeMs,
    /// Makes the producer transactional: one producer id per id across restarts, fencing.
    #[serde(rename = "transactional.id", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub transactional_id: Option<String>,
    #[serde(rename = "transaction.timeout.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub transaction_timeout_ms: TimeMs,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            enable_idempotence: None,
            acks: Acks::All,
            retries: i32::MAX as u32,
            max_in_flight: 5,
            batch_size_records: 5,
            linger_ms: None,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: 120_000,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            transactional_id: None,
            transaction_timeout_ms: 60_000,
        }
    }
}

/// The configuration after Kafka's post-processing: what the client actually runs with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectiveProducerConfig {
    pub idempotent: bool,
    pub acks: Acks,
    pub retries: u32,
    pub max_in_flight: u32,
    pub batch_size_records: u32,
    pub linger_ms: TimeMs,
    pub request_timeout_ms: TimeMs,
    pub delivery_timeout_ms: TimeMs,
    pub retry_backoff_ms: TimeMs,
    pub retry_backoff_max_ms: TimeMs,
    /// Why idempotence was switched off implicitly, when it was (Kafka logs this at INFO/WARN).
    pub idempotence_disabled_because: Option<String>,
    pub transactional_id: Option<String>,
    pub transaction_timeout_ms: TimeMs,
}

/// A configuration Kafka's client refuses (`ConfigException`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigError {
    pub config: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConfigException: {}", self.message)
    }
}

const IN_FLIGHT: &str = "max.in.flight.requests.per.connection";

fn config_error(config: &str, message: &str) -> ConfigError {
    ConfigError {
        config: config.to_owned(),
        message: message.to_owned(),
    }
}

impl ProducerConfig {
    /// The configuration a client of the default release ([`crate::version::DEFAULT_CLIENT`])
    /// runs with, or the `ConfigException` it raises.
    pub fn validate(&self) -> Result<EffectiveProducerConfig, ConfigError> {
        self.validate_for(Client(DEFAULT_CLIENT))
    }

    /// What a client of this release makes of the configuration: Kafka's post-processing and
    /// checks of the idempotence settings (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`
    /// from 3.2 and the 3.0.1/3.1.1 backports, `idempotenceEnabled` in 3.0.0 and 3.1.0), plus
    /// the `delivery.timeout.ms` check of `KafkaProducer.configureDeliveryTimeout`.
    pub fn validate_for(&self, client: Client) -> Result<EffectiveProducerConfig, ConfigError> {
        self.check_ranges()?;
        let (idempotent, disabled_because) = if client.applies_idempotence_default() {
            self.idempotence(client)?
        } else {
            self.idempotence_without_default()?
        };
        if self.transactional_id.is_some() && !idempotent {
            return Err(config_error(
                "transactional.id",
                "Cannot set a transactional.id without also enabling idempotence.",
            ));
        }
        let linger_ms = self.linger_ms.unwrap_or(client.default_linger_ms());
        if self.delivery_timeout_ms < linger_ms + self.request_timeout_ms {
            return Err(config_error(
                "delivery.timeout.ms",
                "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms",
            ));
        }
        Ok(EffectiveProducerConfig {
            idempotent,
            acks: self.acks,
            retries: self.retries,
            max_in_flight: self.max_in_flight,
            batch_size_records: self.batch_size_records,
            linger_ms,
            request_timeout_ms: self.request_timeout_ms,
            delivery_timeout_ms: self.delivery_timeout_ms,
            retry_backoff_ms: self.retry_backoff_ms,
            retry_backoff_max_ms: self.retry_backoff_max_ms.max(self.retry_backoff_ms),
            idempotence_disabled_because: disabled_because,
            transactional_id: self.transactional_id.clone(),
            transaction_timeout_ms: self.transaction_timeout_ms,
        })
    }

    /// The settings that conflict with idempotence, in the order Kafka checks them (retries,
    /// acks, in-flight requests), each with Kafka's message.
    fn idempotence_conflicts(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let retries = (self.retries == 0).then_some((
            "retries",
            "Must set retries to non-zero when using the idempotent producer.",
        ));
        let acks = (self.acks != Acks::All).then_some((
            "acks",
            "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
        ));
        let in_flight = (self.max_in_flight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE).then_some((
            IN_FLIGHT,
            "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.",
        ));
        [retries, acks, in_flight].into_iter().flatten()
    }

    /// 3.0.1, 3.1.1 and 3.2+: idempotence is on unless set to false. A conflicting setting is
    /// a `ConfigException` when it was set to true explicitly; otherwise it switches
    /// idempotence off (INFO or WARN). From 4.0, `max.in.flight` above 5 is an error either
    /// way (KAFKA-17927), even after another setting switched idempotence off.
    fn idempotence(&self, client: Client) -> Result<(bool, Option<String>), ConfigError> {
        let explicit = self.enable_idempotence == Some(true);
        if !self.enable_idempotence.unwrap_or(true) {
            return Ok((false, None));
        }
        let mut disabled_by = None;
        for (config, message) in self.idempotence_conflicts() {
            let refused = config == IN_FLIGHT && client.refuses_implicit_in_flight_conflict();
            if explicit || refused {
                return Err(config_error(config, message));
            }
            disabled_by.get_or_insert(config);
        }
        let why = disabled_by.map(|config| {
            format!("enable.idempotence was not set and {config} conflicts with it, so idempotence is disabled")
        });
        Ok((why.is_none(), why))
    }

    /// 3.0.0 and 3.1.0 (KAFKA-13598): the default `true` is not applied. Idempotence is on
    /// only when set to true, or when a `transactional.id` is set and it is not set to false;
    /// then a conflicting setting is a `ConfigException`.
    fn idempotence_without_default(&self) -> Result<(bool, Option<String>), ConfigError> {
        let transactional = self.transactional_id.is_some();
        let idempotent = match self.enable_idempotence {
            Some(on) => on,
            None => transactional,
        };
        if !idempotent {
            let why = self.enable_idempotence.is_none().then(|| {
                "Java clients 3.0.0 and 3.1.0 ignore the default true (KAFKA-13598)".to_string()
            });
            return Ok((false, why));
        }
        if let Some((config, message)) = self.idempotence_conflicts().next() {
            return Err(config_error(config, message));
        }
        Ok((true, None))
    }
}

impl ProducerConfig {
    /// Every field within the range Kafka's `ConfigDef` (or the model) allows, with Kafka's
    /// wording ("Invalid value … for configuration …"), so no later arithmetic can overflow.
    fn check_ranges(&self) -> Result<(), ConfigError> {
        let max_records = MAX_BATCH_RECORDS;
        if self.batch_size_records == 0 || self.batch_size_records > max_records {
            return Err(config_error(
                "batch.size",
                &format!(
                    "batch.size (in records) must be between 1 and {max_records} in this model"
                ),
            ));
        }
        if self.max_in_flight == 0 || self.max_in_flight > MAX_IN_FLIGHT_LIMIT {
            return Err(config_error(
                "max.in.flight.requests.per.connection",
                "max.in.flight.requests.per.connection must be between 1 and 10 in this model",
            ));
        }
        in_range("retries", u64::from(self.retries), 0)?;
        if let Some(linger_ms) = self.linger_ms {
            in_range("linger.ms", linger_ms, 0)?;
        }
        in_range("request.timeout.ms", self.request_timeout_ms, 1)?;
        in_range("delivery.timeout.ms", self.delivery_timeout_ms, 0)?;
        in_range("retry.backoff.ms", self.retry_backoff_ms, 0)?;
        in_range("retry.backoff.max.ms", self.retry_backoff_max_ms, 0)?;
        in_range("transaction.timeout.ms", self.transaction_timeout_ms, 1)?;
        if let Some(id) = &self.transactional_id {
            if id.is_empty() {
                return Err(config_error(
                    "transactional.id",
                    "transactional.id must not be empty",
                ));
            }
            if id.chars().count() > MAX_TRANSACTIONAL_ID_CHARS {
                return Err(config_error(
                    "transactional.id",
                    &format!(
                        "transactional.id must be at most {MAX_TRANSACTIONAL_ID_CHARS} characters in this model"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `ConfigDef.Range.between(min, Integer.MAX_VALUE)` for a duration or count setting.
fn in_range(config: &str, value: u64, min: u64) -> Result<(), ConfigError> {
    if value < min {
        return Err(config_error(
            config,
            &format!(
                "Invalid value {value} for configuration {config}: Value must be at least {min}"
            ),
        ));
    }
    if value > MAX_CONFIG_MS {
        return Err(config_error(
            config,
            &format!(
                "Invalid value {value} for configuration {config}: Value must be no more than {MAX_CONFIG_MS}"
            ),
        ));
    }
    Ok(())
}
/// `producer.id.expiration.ms`'s default: a day.
pub const PRODUCER_ID_EXPIRATION_MS: TimeMs = 86_400_000;
/// `transactional.id.expiration.ms`'s default, which brokers before 3.4 apply to producer state:
/// 7 days.
pub const TRANSACTIONAL_ID_EXPIRATION_MS: TimeMs = 604_800_000;

impl EffectiveProducerConfig {
    /// Exponential retry backoff (KIP-580, 3.7+): `retry.backoff.ms * 2^(attempts-1)`, capped.
    /// Kafka adds ±20% jitter; the model leaves it out so retries line up with the text.
    pub fn backoff_ms(&self, attempts: u32) -> TimeMs {
        let exponent = attempts.saturating_sub(1).min(20);
        self.retry_backoff_ms
            .saturating_mul(1u64 << exponent)
            .min(self.retry_backoff_max_ms)
    }
}

/// Brokers, the topic and broker-side settings.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClusterConfig {
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub brokers: u32,
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub partitions: u32,
    #[serde(rename = "replication.factor")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub replication_factor: u32,
    #[serde(rename = "min.insync.replicas")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub min_insync_replicas: u32,
    #[serde(rename = "unclean.leader.election.enable")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub unclean_leader_election: bool,
    #[serde(rename = "producer.id.expiration.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub producer_id_expiration_ms: TimeMs,
    #[serde(rename = "producer.id.expiration.check.interval.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub producer_id_expiration_check_interval_ms: TimeMs,
    #[serde(rename = "replica.lag.time.max.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub replica_lag_time_max_ms: TimeMs,
    #[serde(rename = "replica.fetch.wait.max.ms")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub replica_fetch_wait_max_ms: TimeMs,
    /// Top of the sequence space; Kafka's is 2147483647. Smaller values make wrap-around visible.
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub sequence_max: i32,
    /// `kafka` (default) or `textbook` (the rule Kafka does not use, for teaching).
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub dedup_rule: DedupRule,
    /// The brokers' release, `"2.5"` to `"4.5"`; `"3.9"` when left out (or `"4.5"` with the
    /// old switch below). What changes with it: `docs/versions.md`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub broker_version: Option<KafkaVersion>,
    /// The `transaction.version` feature the cluster finalized: 1, or 2 (KIP-890 part 2, brokers
    /// 4.0+). Left out: what a new cluster of these brokers finalizes (2 from 4.0).
    #[serde(
        rename = "transaction.version",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub transaction_version: Option<u8>,
    /// The switch from before versions, still read: `true` means brokers 4.5 (KAFKA-15591, an
    /// unknown producer must start at sequence 0 on a partition that never held a record).
    /// Write `"broker_version": "4.5"` instead.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub new_partition_requires_sequence_zero: bool,
}

impl ClusterConfig {
    /// The brokers' release and the behaviours that come with it.
    pub fn broker(&self) -> Broker {
        let alias = KafkaVersion::new(4, 5, 0);
        let default = if self.new_partition_requires_sequence_zero {
            alias
        } else {
            DEFAULT_BROKER
        };
        Broker(self.broker_version.unwrap_or(default))
    }

    /// How long a partition keeps a producer's state after its last batch: the setting on
    /// brokers 3.4+, `transactional.id.expiration.ms` (7 days) before (KIP-854).
    pub fn producer_state_expiration_ms(&self) -> TimeMs {
        if self.broker().has_producer_id_expiration() {
            self.producer_id_expiration_ms
        } else {
            TRANSACTIONAL_ID_EXPIRATION_MS
        }
    }

    /// The transaction version the cluster runs: as set, or what its brokers finalize.
    pub fn transaction_version(&self) -> u8 {
        self.transaction_version
            .unwrap_or(self.broker().default_transaction_version())
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            brokers: 1,
            partitions: 1,
            replication_factor: 1,
            min_insync_replicas: 1,
            unclean_leader_election: false,
            producer_id_expiration_ms: PRODUCER_ID_EXPIRATION_MS,
            producer_id_expiration_check_interval_ms: 600_000,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_wait_max_ms: 500,
            sequence_max: i32::MAX,
            dedup_rule: DedupRule::Kafka,
            broker_version: None,
            transaction_version: None,
            new_partition_requires_sequence_zero: false,
        }
    }
}

/// Per-link network behaviour. All latencies are one-way.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NetworkConfig {
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub latency_ms: TimeMs,
    /// Uniform jitter added to each message, drawn from the seed.
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub jitter_ms: TimeMs,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            latency_ms: 10,
            jitter_ms: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut ProducerConfig)) -> ProducerConfig {
        let mut c = ProducerConfig::default();
        f(&mut c);
        c
    }

    #[test]
    fn defaults_are_idempotent_with_acks_all() {
        let e = ProducerConfig::default().validate().unwrap();
        assert!(e.idempotent);
        assert_eq!(e.acks, Acks::All);
        assert_eq!(e.max_in_flight, 5);
        assert_eq!(e.retries, 2_147_483_647);
    }

    #[test]
    fn explicit_idempotence_with_acks_1_is_a_config_error_with_kafkas_message() {
        let err = with(|c| {
            c.enable_idempotence = Some(true);
            c.acks = Acks::Leader;
        })
        .validate()
        .unwrap_err();
        assert_eq!(
            err.message,
            "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence."
        );
    }

    #[test]
    fn explicit_idempotence_with_zero_retries_or_six_in_flight_is_an_error() {
        let retries = with(|c| {
            c.enable_idempotence = Some(true);
            c.retries = 0;
        });
        assert_eq!(retries.validate().unwrap_err().config, "retries");
        let in_flight = with(|c| {
            c.enable_idempotence = Some(true);
            c.max_in_flight = 6;
        });
        assert_eq!(
            in_flight.validate().unwrap_err().config,
            "max.in.flight.requests.per.connection"
        );
    }

    #[test]
    fn implicit_idempotence_is_switched_off_by_a_conflict() {
        let e = with(|c| c.acks = Acks::Leader).validate().unwrap();
        assert!(!e.idempotent);
        assert!(e.idempotence_disabled_because.unwrap().contains("acks"));
        let e = with(|c| c.max_in_flight = 6).validate().unwrap();
        assert!(!e.idempotent);
    }

    #[test]
    fn explicit_off_is_off() {
        let e = with(|c| c.enable_idempotence = Some(false))
            .validate()
            .unwrap();
        assert!(!e.idempotent);
        assert!(e.idempotence_disabled_because.is_none());
    }

    #[test]
    fn transactional_id_needs_idempotence() {
        let err = with(|c| {
            c.transactional_id = Some("orders".into());
            c.enable_idempotence = Some(false);
        })
        .validate()
        .unwrap_err();
        assert_eq!(
            err.message,
            "Cannot set a transactional.id without also enabling idempotence."
        );
        // Implicit idempotence switched off by acks=1 is the same conflict.
        let err = with(|c| {
            c.transactional_id = Some("orders".into());
            c.acks = Acks::Leader;
        })
        .validate()
        .unwrap_err();
        assert_eq!(err.config, "transactional.id");
        let ok = with(|c| c.transactional_id = Some("orders".into()))
            .validate()
            .unwrap();
        assert!(ok.idempotent);
        assert_eq!(ok.transactional_id.as_deref(), Some("orders"));
    }

    #[test]
    fn delivery_timeout_must_cover_linger_and_request_timeout() {
        let err = with(|c| {
            c.delivery_timeout_ms = 1_000;
            c.request_timeout_ms = 2_000;
        })
        .validate()
        .unwrap_err();
        assert_eq!(err.config, "delivery.timeout.ms");
    }

    #[test]
    fn durations_beyond_kafkas_int_range_are_refused_with_kafkas_wording() {
        let err = with(|c| c.request_timeout_ms = u64::MAX)
            .validate()
            .unwrap_err();
        assert_eq!(err.config, "request.timeout.ms");
        assert_eq!(
            err.message,
            "Invalid value 18446744073709551615 for configuration request.timeout.ms: Value must be no more than 2147483647"
        );
        for (key, c) in [
            ("linger.ms", with(|c| c.linger_ms = Some(u64::MAX))),
            (
                "delivery.timeout.ms",
                with(|c| c.delivery_timeout_ms = 1 << 40),
            ),
            ("retry.backoff.ms", with(|c| c.retry_backoff_ms = 1 << 31)),
            (
                "retry.backoff.max.ms",
                with(|c| c.retry_backoff_max_ms = u64::MAX),
            ),
            (
                "transaction.timeout.ms",
                with(|c| c.transaction_timeout_ms = 0),
            ),
            ("retries", with(|c| c.retries = u32::MAX)),
        ] {
            assert_eq!(c.validate().unwrap_err().config, key);
        }
        // The largest values allowed still validate, and their sum cannot overflow.
        let top = with(|c| {
            c.linger_ms = Some(MAX_CONFIG_MS);
            c.request_timeout_ms = MAX_CONFIG_MS;
            c.delivery_timeout_ms = MAX_CONFIG_MS;
        });
        assert_eq!(top.validate().unwrap_err().config, "delivery.timeout.ms");
    }

    #[test]
    fn backoff_grows_exponentially_up_to_the_max() {
        let e = ProducerConfig::default().validate().unwrap();
        assert_eq!(e.backoff_ms(1), 100);
        assert_eq!(e.backoff_ms(2), 200);
        assert_eq!(e.backoff_ms(4), 800);
        assert_eq!(e.backoff_ms(5), 1_000);
    }

    #[test]
    fn acks_parses_kafka_spellings() {
        let a: Acks = serde_json::from_str("\"-1\"").unwrap();
        assert_eq!(a, Acks::All);
        let a: Acks = serde_json::from_str("\"1\"").unwrap();
        assert_eq!(a, Acks::Leader);
    }
}
