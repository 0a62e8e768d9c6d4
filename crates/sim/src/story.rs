//! A scenario's story told as the run goes: *beats*, each tied to the event that starts it.
//!
//! A preset's explanation used to be one paragraph shown before anything happened: it gave the
//! ending away and could not be read at the speed the run played. A beat is a sentence or two
//! shown from the moment its event happens ("the response is lost", "the broker finds the retry
//! among its last five batches"). Beats are reached in order; each names its event by a pattern
//! over the event's JSON, as the event log prints it, so authors write no code.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::Event;
use crate::types::TimeMs;

/// One beat of a scenario's story.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Beat {
    /// The event that starts this beat: an object whose fields must all equal the event's, as
    /// in the JSON event log (nested objects match field by field), e.g.
    /// `{"type": "batch_verdict", "verdict": "duplicate"}`.
    #[cfg_attr(
        feature = "ts",
        ts(type = "{ type: LabEvent[\"type\"] } & Record<string, unknown>")
    )]
    pub when: Value,
    /// Which matching event starts it, counting from the previous beat's (1 = the first).
    #[serde(default = "first")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub nth: u32,
    /// What the reader should see now: one or two sentences.
    pub text: String,
    /// A guided player stops here until the reader continues.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub pause: bool,
}

fn first() -> u32 {
    1
}

/// A beat the run has reached: which one, at which event and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "BeatPosition"))]
pub struct ReachedBeat {
    /// Its place in the scenario's `beats`.
    pub beat: usize,
    /// The index of the event that started it.
    pub event: u64,
    pub time_ms: TimeMs,
}

/// Whether `value` has every field of `pattern` (recursively for objects; other values equal).
pub fn matches(pattern: &Value, value: &Value) -> bool {
    match (pattern, value) {
        (Value::Object(p), Value::Object(v)) => p
            .iter()
            .all(|(k, pv)| v.get(k).is_some_and(|vv| matches(pv, vv))),
        _ => pattern == value,
    }
}

/// Follows a run's events through its beats.
#[derive(Debug, Clone, Default)]
pub struct Story {
    /// The next beat to reach, and how many of its matching events have happened so far.
    next: usize,
    seen: u32,
    reached: Vec<ReachedBeat>,
}

impl Story {
    /// Feeds one event; returns whether it started the next beat. An event starts at most one
    /// beat: the count for the beat after it starts with the following event.
    pub fn observe(&mut self, beats: &[Beat], event: &Event) -> bool {
        let Some(beat) = beats.get(self.next) else {
            return false;
        };
        let Ok(value) = serde_json::to_value(event) else {
            return false;
        };
        if !matches(&beat.when, &value) {
            return false;
        }
        self.seen += 1;
        if self.seen < beat.nth.max(1) {
            return false;
        }
        self.reached.push(ReachedBeat {
            beat: self.next,
            event: event.index,
            time_ms: event.time_ms,
        });
        self.next += 1;
        self.seen = 0;
        true
    }

    /// The beats reached so far, in order.
    pub fn reached(&self) -> &[ReachedBeat] {
        &self.reached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{presets, Simulation};
    use serde_json::json;

    #[test]
    fn a_pattern_matches_the_fields_it_names() {
        let event = json!({"type": "batch_verdict", "verdict": "duplicate", "batch": {"attempt": 2, "partition": 0}});
        assert!(matches(&json!({"type": "batch_verdict"}), &event));
        assert!(matches(&json!({"batch": {"attempt": 2}}), &event));
        assert!(!matches(&json!({"batch": {"attempt": 1}}), &event));
        assert!(!matches(&json!({"verdict": "appended"}), &event));
        assert!(!matches(&json!({"missing": null}), &event));
    }

    fn beat(when: Value, nth: u32) -> Beat {
        Beat {
            when,
            nth,
            text: "t".into(),
            pause: false,
        }
    }

    #[test]
    fn beats_are_reached_in_order_counting_from_the_previous_one() {
        let beats = [
            beat(json!({"type": "batch_acked"}), 1),
            beat(json!({"type": "batch_acked"}), 2),
            beat(json!({"type": "run_finished"}), 1),
        ];
        let mut sim = Simulation::new(presets::get("happy-path").unwrap()).unwrap();
        sim.run_to_end();
        let mut story = Story::default();
        for e in sim.events() {
            story.observe(&beats, e);
        }
        let acked: Vec<u64> = sim
            .events()
            .iter()
            .filter(|e| matches!(e.kind, crate::event::EventKind::BatchAcked { .. }))
            .map(|e| e.index)
            .collect();
        let reached: Vec<u64> = story.reached().iter().map(|r| r.event).collect();
        // The second beat counts acknowledgements after the first one's.
        assert_eq!(
            reached,
            vec![acked[0], acked[2], sim.events().last().unwrap().index]
        );
    }

    /// Every beat of every preset is reached, in order, and the run's last beat comes last.
    #[test]
    fn every_preset_reaches_all_its_beats() {
        for id in presets::ids() {
            let scenario = presets::get(id).unwrap();
            let mut sim = Simulation::new(scenario.clone()).unwrap();
            sim.run_to_end();
            let reached = sim.beats_reached();
            assert_eq!(
                reached.len(),
                scenario.beats.len(),
                "{id}: reached {:?} of {} beats",
                reached.iter().map(|r| r.beat).collect::<Vec<_>>(),
                scenario.beats.len()
            );
        }
    }
}
