//! Small shared type aliases. Time is always simulated milliseconds, never a wall clock.

/// Simulated time in milliseconds since the start of the run.
pub type TimeMs = u64;
/// A broker's id, 0-based.
pub type BrokerId = u32;
/// A partition of the single topic, 0-based.
pub type PartitionId = u32;
/// Index of a producer application in the scenario, 0-based. Survives restarts.
pub type ProducerIndex = u32;
/// Kafka producer id (int64); `-1` is `NO_PRODUCER_ID`.
pub type ProducerId = i64;
/// Kafka producer epoch (int16); `-1` is `NO_PRODUCER_EPOCH`.
pub type Epoch = i16;
/// Kafka sequence number (int32); `-1` is `NO_SEQUENCE`.
pub type Sequence = i32;
/// Offset in a partition log.
pub type Offset = i64;

pub const NO_PRODUCER_ID: ProducerId = -1;
pub const NO_PRODUCER_EPOCH: Epoch = -1;
pub const NO_SEQUENCE: Sequence = -1;
