//! The configuration a reader can change, from the panel or the URL, as one table: each
//! field's URL key, its Kafka name, what kind of value it takes, the hint the panel shows
//! (with the core's limits), and where it lives in a scenario. Settings, the URL and the panel
//! all read this table; adding a field is adding a row.

use idempotence_sim::config::{Acks, MAX_IN_FLIGHT_FOR_IDEMPOTENCE, MAX_IN_FLIGHT_LIMIT};
use idempotence_sim::limits::MAX_BROKERS;
use idempotence_sim::version::{KafkaVersion, NEWEST, OLDEST_BROKER, OLDEST_CLIENT};
use idempotence_sim::Scenario;

/// What a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Acks,
    /// A whole number from 0 to `max`.
    Whole {
        max: u64,
    },
    /// A probability from 0 to 1.
    Rate,
    /// A Kafka release from `oldest` to `newest` (any patch of the newest).
    Version {
        oldest: KafkaVersion,
        newest: KafkaVersion,
    },
}

/// A field's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue {
    Acks(Acks),
    Whole(u64),
    Rate(f64),
    Version(KafkaVersion),
}

impl FieldValue {
    /// As the URL and the panel write it.
    pub fn text(self) -> String {
        match self {
            FieldValue::Acks(Acks::None) => "0".into(),
            FieldValue::Acks(Acks::Leader) => "1".into(),
            FieldValue::Acks(Acks::All) => "all".into(),
            FieldValue::Whole(x) => x.to_string(),
            FieldValue::Rate(x) => x.to_string(),
            FieldValue::Version(v) => v.to_string(),
        }
    }

    fn version(self) -> Option<KafkaVersion> {
        match self {
            FieldValue::Version(v) => Some(v),
            _ => None,
        }
    }

    fn whole(self) -> u64 {
        match self {
            FieldValue::Whole(x) => x,
            _ => 0,
        }
    }

    fn whole_u32(self) -> u32 {
        u32::try_from(self.whole()).unwrap_or(u32::MAX)
    }

    fn rate(self) -> f64 {
        match self {
            FieldValue::Rate(x) => x,
            _ => 0.0,
        }
    }
}

/// One configurable field.
pub struct ConfigField {
    /// Its URL key (`?max_in_flight=3`) and the panel input's id (`cfg-max_in_flight`).
    pub key: &'static str,
    /// Its Kafka name, as the panel labels it and Kafka's errors name it.
    pub kafka_name: &'static str,
    pub kind: Kind,
    hint: fn() -> String,
    /// Its value in a scenario (the first producer's, for a producer setting).
    read: fn(&Scenario) -> Option<FieldValue>,
    /// Sets it in a scenario (on every producer, for a producer setting).
    write: fn(&mut Scenario, FieldValue),
}

const U32: Kind = Kind::Whole {
    max: u32::MAX as u64,
};
const U64: Kind = Kind::Whole { max: u64::MAX };

fn first_producer(s: &Scenario) -> Option<&idempotence_sim::config::ProducerConfig> {
    s.producers.first().map(|p| &p.config)
}

fn each_producer(s: &mut Scenario, set: impl Fn(&mut idempotence_sim::config::ProducerConfig)) {
    for p in &mut s.producers {
        set(&mut p.config);
    }
}

/// Every field, in the order the panel and the URL list them.
pub const FIELDS: [ConfigField; 12] = [
    ConfigField {
        key: "client_version",
        kafka_name: "client_version",
        kind: Kind::Version {
            oldest: OLDEST_CLIENT,
            newest: NEWEST,
        },
        hint: || format!("Java client {OLDEST_CLIENT}–{NEWEST}, e.g. 3.0.1"),
        read: |s| {
            let client = s.producers.first()?.client();
            Some(FieldValue::Version(client.0))
        },
        write: |s, v| {
            for p in &mut s.producers {
                p.client_version = v.version();
            }
        },
    },
    ConfigField {
        key: "broker_version",
        kafka_name: "broker_version",
        kind: Kind::Version {
            oldest: OLDEST_BROKER,
            newest: NEWEST,
        },
        hint: || format!("brokers {OLDEST_BROKER}–{NEWEST}"),
        read: |s| Some(FieldValue::Version(s.cluster.broker().0)),
        write: |s, v| s.cluster.broker_version = v.version(),
    },
    ConfigField {
        key: "acks",
        kafka_name: "acks",
        kind: Kind::Acks,
        hint: String::new,
        read: |s| first_producer(s).map(|c| FieldValue::Acks(c.acks)),
        write: |s, v| {
            if let FieldValue::Acks(a) = v {
                each_producer(s, |c| c.acks = a);
            }
        },
    },
    ConfigField {
        key: "max_in_flight",
        kafka_name: "max.in.flight.requests.per.connection",
        kind: U32,
        hint: || {
            format!("1–{MAX_IN_FLIGHT_LIMIT}; ≤ {MAX_IN_FLIGHT_FOR_IDEMPOTENCE} with idempotence")
        },
        read: |s| first_producer(s).map(|c| FieldValue::Whole(c.max_in_flight.into())),
        write: |s, v| each_producer(s, |c| c.max_in_flight = v.whole_u32()),
    },
    ConfigField {
        key: "retries",
        kafka_name: "retries",
        kind: U32,
        hint: || "0 = never retry".into(),
        read: |s| first_producer(s).map(|c| FieldValue::Whole(c.retries.into())),
        write: |s, v| each_producer(s, |c| c.retries = v.whole_u32()),
    },
    ConfigField {
        key: "request_timeout_ms",
        kafka_name: "request.timeout.ms",
        kind: U64,
        hint: || "ms".into(),
        read: |s| first_producer(s).map(|c| FieldValue::Whole(c.request_timeout_ms)),
        write: |s, v| each_producer(s, |c| c.request_timeout_ms = v.whole()),
    },
    ConfigField {
        key: "delivery_timeout_ms",
        kafka_name: "delivery.timeout.ms",
        kind: U64,
        hint: || "ms; ≥ linger.ms + request.timeout.ms".into(),
        read: |s| first_producer(s).map(|c| FieldValue::Whole(c.delivery_timeout_ms)),
        write: |s, v| each_producer(s, |c| c.delivery_timeout_ms = v.whole()),
    },
    ConfigField {
        key: "brokers",
        kafka_name: "brokers",
        kind: U32,
        hint: || format!("1–{MAX_BROKERS}"),
        read: |s| Some(FieldValue::Whole(s.cluster.brokers.into())),
        write: |s, v| s.cluster.brokers = v.whole_u32(),
    },
    ConfigField {
        key: "replication_factor",
        kafka_name: "replication.factor",
        kind: U32,
        hint: || "≤ brokers".into(),
        read: |s| Some(FieldValue::Whole(s.cluster.replication_factor.into())),
        write: |s, v| s.cluster.replication_factor = v.whole_u32(),
    },
    ConfigField {
        key: "min_isr",
        kafka_name: "min.insync.replicas",
        kind: U32,
        hint: || "≤ replication.factor".into(),
        read: |s| Some(FieldValue::Whole(s.cluster.min_insync_replicas.into())),
        write: |s, v| s.cluster.min_insync_replicas = v.whole_u32(),
    },
    ConfigField {
        key: "drop_request",
        kafka_name: "random request loss",
        kind: Kind::Rate,
        hint: || "probability 0–1".into(),
        read: |s| Some(FieldValue::Rate(s.random_faults.drop_request)),
        write: |s, v| s.random_faults.drop_request = v.rate(),
    },
    ConfigField {
        key: "drop_response",
        kafka_name: "random response loss",
        kind: Kind::Rate,
        hint: || "probability 0–1".into(),
        read: |s| Some(FieldValue::Rate(s.random_faults.drop_response)),
        write: |s, v| s.random_faults.drop_response = v.rate(),
    },
];

impl ConfigField {
    /// The field with this URL key.
    pub fn by_key(key: &str) -> Option<(usize, &'static ConfigField)> {
        FIELDS.iter().enumerate().find(|(_, f)| f.key == key)
    }

    /// The panel's hint.
    pub fn hint(&self) -> String {
        (self.hint)()
    }

    /// Its current text in a scenario ("" when there is none).
    pub fn text_in(&self, s: &Scenario) -> String {
        (self.read)(s).map(FieldValue::text).unwrap_or_default()
    }

    pub fn write(&self, s: &mut Scenario, value: FieldValue) {
        (self.write)(s, value)
    }

    /// Reads a value as typed in the panel or the URL: `Ok(None)` for an empty one (back to
    /// the scenario's value), an error that says what is wrong otherwise.
    pub fn parse(&self, value: &str) -> Result<Option<FieldValue>, String> {
        if value.is_empty() {
            return Ok(None);
        }
        let key = self.key;
        match self.kind {
            Kind::Acks => match value {
                "0" => Ok(Some(FieldValue::Acks(Acks::None))),
                "1" => Ok(Some(FieldValue::Acks(Acks::Leader))),
                "all" | "-1" => Ok(Some(FieldValue::Acks(Acks::All))),
                _ => Err(format!(
                    "acks must be 0, 1 or all, not “{value}”; using the preset's value."
                )),
            },
            Kind::Whole { max } => match value.parse::<u64>() {
                Ok(x) if x <= max => Ok(Some(FieldValue::Whole(x))),
                _ => Err(format!(
                    "{key} must be a whole number ≥ 0, not “{value}”; using the preset's value."
                )),
            },
            Kind::Rate => match value.parse::<f64>() {
                Ok(x) if (0.0..=1.0).contains(&x) => Ok(Some(FieldValue::Rate(x))),
                _ => Err(format!(
                    "{key} must be a probability from 0 to 1, not “{value}”; using the preset's value."
                )),
            },
            Kind::Version { oldest, newest } => match KafkaVersion::parse(value) {
                Ok(v) if v.within(oldest, newest) => Ok(Some(FieldValue::Version(v))),
                _ => Err(format!(
                    "{key} must be a Kafka release from {oldest} to {newest}, not “{value}”; using the preset's value."
                )),
            },
        }
    }
}

/// Configuration overrides applied on top of the scenario: one slot per field of [`FIELDS`]
/// (`None` = the scenario's value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigOverrides([Option<FieldValue>; FIELDS.len()]);

impl ConfigOverrides {
    /// Sets one override from its URL key; an empty value clears it. `Ok(false)` = not a
    /// config key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let Some((i, field)) = ConfigField::by_key(key) else {
            return Ok(false);
        };
        self.0[i] = field.parse(value)?;
        Ok(true)
    }

    /// The override of this URL key, if set.
    pub fn value(&self, key: &str) -> Option<FieldValue> {
        ConfigField::by_key(key).and_then(|(i, _)| self.0[i])
    }

    /// The override's URL text, if set.
    pub fn get(&self, key: &str) -> Option<String> {
        self.value(key).map(FieldValue::text)
    }

    /// Whether no setting is overridden.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    /// The overrides set, in [`FIELDS`] order, as `(key, URL text)`.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, String)> + '_ {
        FIELDS
            .iter()
            .zip(&self.0)
            .filter_map(|(f, v)| v.map(|v| (f.key, v.text())))
    }

    pub fn apply(&self, s: &mut Scenario) {
        for (field, value) in FIELDS.iter().zip(&self.0) {
            if let Some(v) = value {
                field.write(s, *v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_reads_back_what_it_writes() {
        let mut s = idempotence_sim::presets::get("lost-ack").expect("preset");
        let samples = |kind: Kind| match kind {
            Kind::Acks => "1",
            Kind::Whole { .. } => "3",
            Kind::Rate => "0.25",
            Kind::Version { .. } => "3.0.1",
        };
        for field in &FIELDS {
            let value = field
                .parse(samples(field.kind))
                .expect("valid")
                .expect("set");
            field.write(&mut s, value);
            assert_eq!(field.text_in(&s), samples(field.kind), "{}", field.key);
        }
    }

    #[test]
    fn bad_values_say_what_is_wrong_and_whole_numbers_fit_their_field() {
        let (_, brokers) = ConfigField::by_key("brokers").expect("a field");
        assert!(brokers.parse("4294967296").is_err(), "above u32");
        assert!(brokers.parse("-1").is_err());
        let (_, timeout) = ConfigField::by_key("request_timeout_ms").expect("a field");
        assert!(timeout.parse("4294967296").is_ok());
        let (_, rate) = ConfigField::by_key("drop_request").expect("a field");
        assert!(rate.parse("1.5").unwrap_err().contains("probability"));
        assert_eq!(rate.parse(""), Ok(None));
        let (_, client) = ConfigField::by_key("client_version").expect("a field");
        assert!(client.parse("2.8").unwrap_err().contains("from 3.0 to 4.5"));
        assert!(client.parse("4.6").is_err());
        assert!(client.parse("x").is_err());
        assert_eq!(
            client.parse("4.5.1").map(|v| v.map(FieldValue::text)),
            Ok(Some("4.5.1".into()))
        );
        let (_, broker) = ConfigField::by_key("broker_version").expect("a field");
        assert!(broker.parse("2.5").is_ok());
    }

    #[test]
    fn hints_quote_the_core_limits() {
        let (_, f) = ConfigField::by_key("max_in_flight").expect("a field");
        assert_eq!(f.hint(), "1–10; ≤ 5 with idempotence");
        let (_, b) = ConfigField::by_key("brokers").expect("a field");
        assert_eq!(b.hint(), format!("1–{MAX_BROKERS}"));
    }

    #[test]
    fn extreme_values_are_refused_or_run_without_a_panic() {
        // The largest and smallest values each field accepts, on every preset, in a debug
        // build (overflow checks on): the scenario is refused with a message, or it runs.
        for (id, _) in idempotence_sim::presets::captions() {
            for field in &FIELDS {
                let extremes: &[&str] = match field.kind {
                    Kind::Acks => &["0", "-1"],
                    Kind::Whole { max: u64::MAX } => &["0", "18446744073709551615"],
                    Kind::Whole { .. } => &["0", "4294967295"],
                    Kind::Rate => &["0", "1"],
                    Kind::Version { .. } => &["3.0", "4.5"],
                };
                for text in extremes {
                    let mut s = idempotence_sim::presets::get(&id).expect("preset");
                    let value = field.parse(text).expect("accepted").expect("set");
                    field.write(&mut s, value);
                    let Ok(mut sim) = idempotence_sim::Simulation::new(s) else {
                        continue;
                    };
                    for _ in 0..20_000 {
                        if !sim.step() {
                            break;
                        }
                    }
                }
            }
        }
    }
}
