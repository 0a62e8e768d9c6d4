//! Which Kafka: the release of each producer's Java client and of the brokers, and the
//! behaviours that change with them. `docs/versions.md` has the table, each row with the Kafka
//! class, KIP or JIRA it comes from; every switch the engine reads is a method here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Kafka release: `3.9`, or with its patch, `3.0.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KafkaVersion {
    pub major: u8,
    pub minor: u8,
    pub patch: u8,
}

impl KafkaVersion {
    pub const fn new(major: u8, minor: u8, patch: u8) -> KafkaVersion {
        KafkaVersion {
            major,
            minor,
            patch,
        }
    }

    /// `major.minor` (the x.0 release) or `major.minor.patch`.
    pub fn parse(text: &str) -> Result<KafkaVersion, String> {
        let wrong =
            || format!("expected a Kafka release such as \"3.9\" or \"3.0.1\", got \"{text}\"");
        let mut parts = text.trim().split('.');
        let mut number = |required: bool| -> Result<u8, String> {
            match parts.next() {
                Some(p)
                    if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    p.parse().map_err(|_| wrong())
                }
                None if !required => Ok(0),
                _ => Err(wrong()),
            }
        };
        let (major, minor, patch) = (number(true)?, number(true)?, number(false)?);
        if parts.next().is_some() {
            return Err(wrong());
        }
        Ok(KafkaVersion::new(major, minor, patch))
    }

    /// Whether this release lies within `oldest ..= newest`, compared by `major.minor` (any
    /// patch of the newest release modelled is accepted).
    pub fn within(self, oldest: KafkaVersion, newest: KafkaVersion) -> bool {
        self >= oldest && (self.major, self.minor) <= (newest.major, newest.minor)
    }
}

impl fmt::Display for KafkaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            0 => write!(f, "{}.{}", self.major, self.minor),
            patch => write!(f, "{}.{}.{patch}", self.major, self.minor),
        }
    }
}

impl FromStr for KafkaVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KafkaVersion::parse(s)
    }
}

impl Serialize for KafkaVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KafkaVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        KafkaVersion::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for KafkaVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "KafkaVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{1,3}\\.[0-9]{1,3}(\\.[0-9]{1,3})?$",
            "description": "A Kafka release: \"3.9\", or with its patch, \"3.0.1\"."
        })
    }
}

#[cfg(feature = "ts")]
impl ts_rs::TS for KafkaVersion {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }

    fn inline(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }
}

/// The oldest Java client the lab models: 3.0, the first with `enable.idempotence=true` as
/// its default (KIP-679).
pub const OLDEST_CLIENT: KafkaVersion = KafkaVersion::new(3, 0, 0);
/// The oldest brokers the lab models: 2.5, the first to accept an unknown producer at any
/// sequence and to bump epochs through InitProducerId (KIP-360).
pub const OLDEST_BROKER: KafkaVersion = KafkaVersion::new(2, 5, 0);
/// The newest release the lab models, for clients and brokers.
pub const NEWEST: KafkaVersion = KafkaVersion::new(4, 5, 0);
/// What a scenario runs when it names no version: Kafka 3.9, the last 3.x release, for both.
pub const DEFAULT_CLIENT: KafkaVersion = KafkaVersion::new(3, 9, 0);
pub const DEFAULT_BROKER: KafkaVersion = KafkaVersion::new(3, 9, 0);

/// The behaviours of a Java producer client that change with its release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client(pub KafkaVersion);

impl Client {
    /// KAFKA-13598: in 3.0.0 and 3.1.0 the default `enable.idempotence=true` had no effect;
    /// only an explicit `true` (or a `transactional.id`) enabled idempotence. Fixed in 3.0.1,
    /// 3.1.1 and 3.2.0 (`ProducerConfig.idempotenceEnabled`).
    pub fn applies_idempotence_default(self) -> bool {
        let v = self.0;
        !(v == KafkaVersion::new(3, 0, 0) || v == KafkaVersion::new(3, 1, 0))
    }

    /// KAFKA-17927: from 4.0, `max.in.flight.requests.per.connection` above 5 with idempotence
    /// on by default is a `ConfigException`; 3.x switched idempotence off with a warning.
    pub fn refuses_implicit_in_flight_conflict(self) -> bool {
        self.0.major >= 4
    }

    /// KIP-1030: `linger.ms` defaults to 5 from 4.0, 0 before.
    pub fn default_linger_ms(self) -> u64 {
        if self.0.major >= 4 {
            5
        } else {
            0
        }
    }

    /// KIP-890 part 2: 4.0 clients speak transactions v2 when the brokers offer it.
    pub fn supports_transactions_v2(self) -> bool {
        self.0.major >= 4
    }
}

/// The behaviours of the brokers that change with their release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broker(pub KafkaVersion);

impl Broker {
    /// KIP-890 part 1 (3.6, `transaction.partition.verification.enable`, on by default): the
    /// leader asks the coordinator whether a partition is in the producer's transaction before
    /// it appends the transaction's first batch there.
    pub fn verifies_transactions(self) -> bool {
        self.0 >= KafkaVersion::new(3, 6, 0)
    }

    /// KIP-854 (3.4): a partition forgets a producer's state `producer.id.expiration.ms` (a day)
    /// after its last batch. Before, the broker had no such setting and used
    /// `transactional.id.expiration.ms` (7 days) for it.
    pub fn has_producer_id_expiration(self) -> bool {
        self.0 >= KafkaVersion::new(3, 4, 0)
    }

    /// KAFKA-15591 (4.5): on a partition whose log never held a record, an unknown producer
    /// must start at sequence 0.
    pub fn new_partition_requires_sequence_zero(self) -> bool {
        self.0 >= KafkaVersion::new(4, 5, 0)
    }

    /// KAFKA-18202 (4.1): with transactions v2, a transactional producer the partition has no
    /// state for must start at sequence 0.
    pub fn v2_unknown_producer_requires_sequence_zero(self) -> bool {
        self.0 >= KafkaVersion::new(4, 1, 0)
    }

    /// The `transaction.version` a cluster of these brokers finalizes when it is created:
    /// 2 from 4.0 (KIP-890 part 2), 1 before. Older brokers know only 1.
    pub fn default_transaction_version(self) -> u8 {
        if self.0.major >= 4 {
            2
        } else {
            1
        }
    }

    pub fn supports_transaction_version(self, version: u8) -> bool {
        version == 1 || (version == 2 && self.0.major >= 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_read_and_write_as_kafka_names_them() {
        assert_eq!(KafkaVersion::parse("3.9"), Ok(KafkaVersion::new(3, 9, 0)));
        assert_eq!(
            KafkaVersion::parse(" 3.0.1 "),
            Ok(KafkaVersion::new(3, 0, 1))
        );
        assert_eq!(KafkaVersion::new(3, 0, 1).to_string(), "3.0.1");
        assert_eq!(KafkaVersion::new(4, 0, 0).to_string(), "4.0");
        for bad in [
            "", "3", "3.", ".9", "3.9.1.2", "a.b", "3.-1", "3.1000", "256.0", "3.9 beta",
        ] {
            assert!(KafkaVersion::parse(bad).is_err(), "{bad:?}");
        }
        assert!(
            KafkaVersion::new(3, 10, 0) > KafkaVersion::new(3, 9, 0),
            "by number, not text"
        );
    }

    #[test]
    fn a_range_takes_any_patch_of_its_newest_release() {
        let (oldest, newest) = (OLDEST_CLIENT, NEWEST);
        assert!(KafkaVersion::new(4, 5, 2).within(oldest, newest));
        assert!(!KafkaVersion::new(4, 6, 0).within(oldest, newest));
        assert!(!KafkaVersion::new(2, 8, 0).within(oldest, newest));
    }

    #[test]
    fn each_switch_turns_at_its_release() {
        let client = |s: &str| Client(KafkaVersion::parse(s).unwrap());
        let broker = |s: &str| Broker(KafkaVersion::parse(s).unwrap());
        assert!(!client("3.0").applies_idempotence_default());
        assert!(client("3.0.1").applies_idempotence_default());
        assert!(!client("3.1").applies_idempotence_default());
        assert!(client("3.2").applies_idempotence_default());
        assert!(!client("3.9").refuses_implicit_in_flight_conflict());
        assert!(client("4.0").refuses_implicit_in_flight_conflict());
        assert_eq!(
            (
                client("3.9").default_linger_ms(),
                client("4.0").default_linger_ms()
            ),
            (0, 5)
        );
        assert!(!broker("3.5").verifies_transactions());
        assert!(broker("3.6").verifies_transactions());
        assert!(!broker("3.3").has_producer_id_expiration());
        assert!(broker("3.4").has_producer_id_expiration());
        assert!(!broker("4.4").new_partition_requires_sequence_zero());
        assert!(broker("4.5").new_partition_requires_sequence_zero());
        assert!(!broker("4.0").v2_unknown_producer_requires_sequence_zero());
        assert!(broker("4.1").v2_unknown_producer_requires_sequence_zero());
        assert_eq!(broker("3.9").default_transaction_version(), 1);
        assert_eq!(broker("4.0").default_transaction_version(), 2);
        assert!(!broker("3.9").supports_transaction_version(2));
    }
}
