//! Every limit a scenario must respect, and the work budget checked before a run starts.
//!
//! TigerStyle: put a limit on everything. Each numeric field of a scenario has a range enforced
//! at parse time (with a message naming its JSON path), so the engine's arithmetic cannot
//! overflow: simulated time never exceeds [`MAX_DURATION_MS`] (about 2^30 ms), every duration a
//! scenario can set is at most [`MAX_CONFIG_MS`] (2^31 - 1 ms, Kafka's own `int` range), and
//! every time the engine computes is a sum of a few such terms, far below `u64::MAX`. Counts
//! (messages, batches, requests, generations, attempts) are bounded by the step limit.
//!
//! The work budget bounds what a run may cost before it starts: the messages it sends and an
//! estimate of the scheduled actions (steps) it needs, including the timers that tick while
//! nothing else happens (followers' long-poll fetches, ISR and expiry checks). A scenario over
//! budget is refused with the field to shrink; [`MAX_STEPS`] stays as the hard stop at run time.

use crate::types::TimeMs;

/// Longest simulated run, and the bound of every point in time a scenario names.
pub const MAX_DURATION_MS: TimeMs = 7 * 86_400_000;
/// Bound of every duration setting: Kafka's `int` configs top out at `Integer.MAX_VALUE`.
pub const MAX_CONFIG_MS: TimeMs = i32::MAX as TimeMs;
/// Upper bound on processed actions per run, so no scenario can loop forever.
pub const MAX_STEPS: u64 = 5_000_000;
/// Messages all producers of a scenario send together (bursts and re-sends of a restart aside).
pub const MAX_TOTAL_MESSAGES: u64 = 500_000;

pub const MAX_BROKERS: u32 = 9;
pub const MAX_PARTITIONS: u32 = 16;
pub const MAX_PRODUCERS: usize = 8;
pub const MAX_FAULTS: usize = 1_000;
pub const MAX_BURSTS: usize = 1_000;
pub const MAX_ABORTS: usize = 10_000;
pub const MAX_TRANSACTION_SIZE: u32 = 1_000;
pub const MAX_BATCH_RECORDS: u32 = 100;
pub const MAX_NETWORK_MS: TimeMs = 60_000;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_CAPTION_CHARS: usize = 10_000;
/// Most beats a scenario's story has, and characters per beat.
pub const MAX_BEATS: usize = 64;
pub const MAX_BEAT_CHARS: usize = 600;
/// Most bytes a beat's `when` pattern may take (as JSON): it is matched against every event
/// until the beat is reached, so its size bounds that work.
pub const MAX_BEAT_PATTERN_BYTES: usize = 2_000;
pub const MAX_TRANSACTIONAL_ID_CHARS: usize = 1_000;
/// A scenario document longer than this is refused before it is parsed.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

/// What a scenario asks of the engine, estimated before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkEstimate {
    pub messages: u64,
    /// Steps for the messages: sends, requests, appends, replication, responses.
    pub message_steps: u64,
    /// Steps of the timers that tick for the whole `duration_ms` in the worst case.
    pub idle_steps: u64,
}

impl WorkEstimate {
    pub fn steps(&self) -> u64 {
        self.message_steps.saturating_add(self.idle_steps)
    }
}

/// Scheduled actions one batch costs on its way, per replica that copies it.
pub(crate) const STEPS_PER_BATCH: u64 = 8;
pub(crate) const STEPS_PER_FOLLOWER_BATCH: u64 = 4;
/// A follower's idle long-poll round trip: fetch sent, parked, expired, answered.
pub(crate) const STEPS_PER_IDLE_FETCH: u64 = 4;
