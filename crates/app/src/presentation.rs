//! What the panels show at one position of the run, derived once per (run, position) and
//! shared by pointer: a frame in which the position did not move re-renders only what moves
//! with the clock (messages on the wire, the time), and each panel skips frames in which its
//! own data did not change. No DOM here.

use std::ops::Deref;
use std::rc::Rc;

use idempotence_sim::invariants::InvariantResult;
use idempotence_sim::log_tail::LogTail;
use idempotence_sim::report::Counters;
use idempotence_sim::{presets, Event, Snapshot};

use crate::describe::{self, VerdictLine};
use crate::settings::Settings;
use crate::timeline::{Lane, Timeline};

/// How many of the newest events the stage (loss marks) and the event log get.
pub const EVENT_TAIL: usize = 200;
/// How many of the newest records of each partition log, and of each consumer's values, are
/// drawn (the counts always cover the whole log).
pub const LOG_TAIL: usize = 32;

/// An `Rc` compared by identity: props holding one are equal exactly when they share the value,
/// so a component skips a render without comparing a whole snapshot.
#[derive(Debug, Default)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Rc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// One lane at one position.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneFrame {
    /// The state without the replicas' logs (`logs` has what is drawn of them).
    pub snapshot: Shared<Snapshot>,
    pub logs: Shared<Vec<Rc<LogTail>>>,
    pub counters: Counters,
    /// The newest events up to the position (at most [`EVENT_TAIL`]).
    pub events: Shared<Vec<Event>>,
    /// Events per category up to the position, in `EventCategory::ALL` order.
    pub counts: Shared<Vec<usize>>,
    pub verdict: Option<VerdictLine>,
    /// The batch that verdict is about, lit up in the leader's memory and in the log.
    pub checked: Option<Checked>,
    /// Why the run ended, once the lane is at its end.
    pub finished: Option<String>,
    pub event_count: u64,
    pub now_ms: u64,
}

impl LaneFrame {
    fn of(lane: &Lane) -> LaneFrame {
        let sim = lane.view();
        let all = lane.events();
        let counts = lane.category_counts();
        let logs: Shared<Vec<Rc<LogTail>>> =
            Shared::new(sim.log_tails(LOG_TAIL).into_iter().map(Rc::new).collect());
        LaneFrame {
            snapshot: Shared::new(sim.snapshot_without_logs()),
            logs: logs.clone(),
            counters: sim.counters(),
            events: Shared::new(all[all.len().saturating_sub(EVENT_TAIL)..].to_vec()),
            counts: Shared::new(counts),
            verdict: describe::verdict(all).map(|v| name_second_copies(v, all, &logs)),
            checked: Checked::newest(all),
            finished: lane
                .finished()
                .then(|| sim.finished().unwrap_or("the run ended").to_string()),
            event_count: lane.event_count(),
            now_ms: sim.now_ms(),
        }
    }
}

/// How the leader's check of a batch came out, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Appended,
    Duplicate,
    Rejected,
}

impl CheckOutcome {
    pub fn class(self) -> &'static str {
        match self {
            CheckOutcome::Appended => "checked-appended",
            CheckOutcome::Duplicate => "checked-duplicate",
            CheckOutcome::Rejected => "checked-rejected",
        }
    }
}

/// The newest batch a leader checked against its producer state (the verdict card's batch):
/// the stage lights up the cached batch it matched, or that it was appended as, and the log
/// lights up the records it points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub broker: u32,
    pub partition: u32,
    pub producer_id: i64,
    pub first_seq: i32,
    pub last_seq: i32,
    /// The records written, or already holding this batch; none when it was rejected.
    pub offsets: Option<(i64, i64)>,
    pub outcome: CheckOutcome,
}

impl Checked {
    fn newest(events: &[Event]) -> Option<Checked> {
        use idempotence_sim::event::{BrokerVerdict, EventKind};
        events.iter().rev().find_map(|e| {
            let EventKind::BatchVerdict {
                broker,
                batch,
                verdict,
                ..
            } = &e.kind
            else {
                return None;
            };
            let (offsets, outcome) = match verdict {
                BrokerVerdict::Appended {
                    base_offset,
                    last_offset,
                    ..
                } => (Some((*base_offset, *last_offset)), CheckOutcome::Appended),
                BrokerVerdict::Duplicate {
                    base_offset,
                    last_offset,
                } => (Some((*base_offset, *last_offset)), CheckOutcome::Duplicate),
                BrokerVerdict::Rejected { .. } | BrokerVerdict::TextbookDiscarded { .. } => {
                    (None, CheckOutcome::Rejected)
                }
            };
            Some(Checked {
                broker: *broker,
                partition: batch.partition,
                producer_id: batch.producer_id,
                first_seq: batch.base_sequence,
                last_seq: batch.last_sequence,
                offsets,
                outcome,
            })
        })
    }

    /// Whether `offset` of `partition`'s log is one of the records this check points at.
    pub fn covers(&self, partition: u32, offset: i64) -> bool {
        self.partition == partition && self.offsets.is_some_and(|(a, b)| (a..=b).contains(&offset))
    }
}

/// One beat of the story as the player shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatView {
    pub text: String,
    /// A key beat: guided mode stops here.
    pub pause: bool,
    /// The event that starts it, once the run has been explored that far (for seeking to it).
    pub event: Option<u64>,
}

/// The story of the first lane at the position shown: its beats and which one is current.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoryView {
    pub beats: Vec<BeatView>,
    /// The beat the run is in (`None` before the first one).
    pub current: Option<usize>,
}

impl StoryView {
    fn of(lane: &Lane) -> StoryView {
        let sim = lane.view();
        let known = lane.known_beats();
        StoryView {
            beats: sim
                .scenario()
                .beats
                .iter()
                .enumerate()
                .map(|(i, b)| BeatView {
                    text: b.text.clone(),
                    pause: b.pause,
                    event: known.iter().find(|r| r.beat == i).map(|r| r.event),
                })
                .collect(),
            current: sim.beats_reached().last().map(|r| r.beat),
        }
    }

    pub fn current_text(&self) -> Option<&str> {
        self.current
            .and_then(|i| self.beats.get(i))
            .map(|b| b.text.as_str())
    }
}

/// A verdict that appended second copies of messages says so, in the warning colour: "appended
/// at offsets 10–14" reads as success, while the log (the core's `duplicate_of`) knows those
/// records repeat offsets 0–4.
fn name_second_copies(v: VerdictLine, events: &[Event], logs: &[Rc<LogTail>]) -> VerdictLine {
    use idempotence_sim::event::{BrokerVerdict, EventKind};
    if v.category != "broker" {
        return v;
    }
    let appended = events.iter().rev().find_map(|e| match &e.kind {
        EventKind::BatchVerdict {
            batch,
            verdict:
                BrokerVerdict::Appended {
                    base_offset,
                    last_offset,
                    ..
                },
            ..
        } => Some(Some((batch.partition, *base_offset, *last_offset))),
        EventKind::BatchVerdict { .. } => Some(None),
        _ => None,
    });
    let Some(Some((partition, base, last))) = appended else {
        return v;
    };
    let Some(log) = logs.iter().find(|l| l.partition == partition) else {
        return v;
    };
    let firsts: Vec<i64> = log
        .newest
        .iter()
        .filter(|e| (base..=last).contains(&e.offset))
        .filter_map(|e| e.duplicate_of)
        .collect();
    let (Some(lo), Some(hi)) = (firsts.iter().min(), firsts.iter().max()) else {
        return v;
    };
    let span = |a: i64, b: i64| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}–{b}")
        }
    };
    let first = if lo == hi { "offset" } else { "offsets" };
    VerdictLine {
        category: "dup-written".into(),
        text: format!(
            "second copy: {first} {} written again at {}",
            span(*lo, *hi),
            span(base, last)
        ),
        ..v
    }
}

/// Every lane at the positions shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub lanes: Vec<LaneFrame>,
    /// The first lane's story (one lane only: compare mode tells none).
    pub story: Option<StoryView>,
    /// The newest event of the first lane, in words (for screen readers).
    pub latest: String,
}

impl Frame {
    pub fn of(timeline: &Timeline) -> Frame {
        let lanes: Vec<LaneFrame> = timeline.lanes().iter().map(LaneFrame::of).collect();
        let latest = lanes
            .first()
            .and_then(|l| l.events.last())
            .map(|e| describe::event(&e.kind))
            .unwrap_or_default();
        let story = match timeline.lanes() {
            [lane] => Some(StoryView::of(lane)).filter(|s| !s.beats.is_empty()),
            _ => None,
        };
        Frame {
            lanes,
            story,
            latest,
        }
    }
}

/// What the controls show about the run's extent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// The end of the run in simulated ms, or how far it is known so far.
    pub end_ms: u64,
    /// Events of the first lane over the whole run, or so far.
    pub total_events: u64,
    /// Whether the end is known (else the figures grow as the run is explored).
    pub known: bool,
}

impl Extent {
    pub fn of(timeline: &Timeline) -> Extent {
        let known = timeline.explored();
        let total_events = timeline.lane(0).map_or(0, |l| match l.end() {
            Some((_, m)) => m.events,
            None => l.recorded().len() as u64,
        });
        Extent {
            end_ms: timeline.end_ms().unwrap_or_else(|| timeline.known_ms()),
            total_events,
            known,
        }
    }
}

/// The invariants of a run at an event count: recomputed while playing only when the run has
/// grown by 5% (or one event in short runs) since the last check, always fresh when paused.
/// Checking a long log every frame costs more than the frame.
#[derive(Default)]
pub struct InvariantCache {
    key: Option<(u64, u64)>,
    result: Rc<Vec<InvariantResult>>,
}

impl InvariantCache {
    pub fn get(
        &mut self,
        generation: u64,
        events: u64,
        playing: bool,
        check: impl FnOnce() -> Vec<InvariantResult>,
    ) -> Rc<Vec<InvariantResult>> {
        if let Some((g, at)) = self.key {
            let fresh = g == generation
                && (at == events || (playing && events >= at && events < at + (at / 20).max(1)));
            if fresh {
                return self.result.clone();
            }
        }
        self.result = Rc::new(check());
        self.key = Some((generation, events));
        self.result.clone()
    }
}

/// The caption: the preset's story, or, when the user flipped `enable.idempotence` away from
/// the preset's own setting, a note saying so and the twin preset's caption if there is one.
pub fn caption(settings: &Settings, scenario: Option<&idempotence_sim::Scenario>) -> String {
    use crate::settings::{preset_idempotence, twin_preset, StoryChange};
    let preset = presets::get(&settings.preset);
    let own = || {
        scenario
            .map(|s| s.caption.clone())
            .or_else(|| preset.as_ref().map(|p| p.caption.clone()))
            .unwrap_or_default()
    };
    let (Some(p), Some(run), None, false) = (&preset, scenario, &settings.custom, settings.compare)
    else {
        return own();
    };
    let written_for = preset_idempotence(p);
    match settings.story_change(settings.idempotence, run, written_for) {
        StoryChange::None => own(),
        StoryChange::Changed => format!(
            "You changed this scenario (settings or interventions), so its step-by-step story does \
             not describe this run: the verdict, the log and the counters show what happens. {}",
            p.caption
        ),
        StoryChange::Idempotence {
            on,
            because,
            explicit,
        } => {
            let note = match (explicit, because) {
                (false, Some(why)) => format!(
                    "enable.idempotence is off here, implicitly: {why}. The preset “{}” was written with it {}. ",
                    settings.preset,
                    if written_for { "on" } else { "off" }
                ),
                _ => format!(
                    "You switched enable.idempotence to {on}; the preset “{}” was written for {written_for}. ",
                    settings.preset
                ),
            };
            match twin_preset(&settings.preset)
                .filter(|_| settings.config.is_empty() && settings.faults.is_empty())
            {
                Some(t) => format!("{note}From “{}”: {}", t.name, t.caption),
                None => format!("{note}Watch the partition log and the counters for what changes."),
            }
        }
    }
}

/// What went wrong in a run so far, in words, or `None`: duplicates written, acknowledged
/// messages lost, reorderings (the guarantees the lab teaches).
pub fn problems(c: &Counters) -> Option<String> {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let parts: Vec<String> = [
        (
            c.duplicates_written,
            "duplicate written",
            "duplicates written",
        ),
        (
            c.lost,
            "acknowledged message lost",
            "acknowledged messages lost",
        ),
        (
            c.reorderings,
            "message out of order",
            "messages out of order",
        ),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| plural(n, one, many))
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The two lanes of compare mode, each with its key (`data-lane`, element ids) and title:
/// idempotence off and on, or the releases of each lane's scenario (worked out once per run).
pub fn lane_titles(
    releases: bool,
    scenarios: &[idempotence_sim::Scenario],
) -> [(&'static str, String); 2] {
    match (releases, scenarios) {
        (true, [a, b]) => [("a", releases_title(a)), ("b", releases_title(b))],
        _ => [
            ("off", "enable.idempotence = false".into()),
            ("on", "enable.idempotence = true".into()),
        ],
    }
}

/// `client 3.9 · brokers 3.5`, and `· transactions v2` when its transactional producers run
/// them (as the scenario's releases decide).
fn releases_title(s: &idempotence_sim::Scenario) -> String {
    let Some(client) = s.producers.first().map(|p| p.client()) else {
        return String::new();
    };
    let mut title = format!("client {} · brokers {}", client.0, s.cluster.broker().0);
    let transactional = s
        .producers
        .iter()
        .any(|p| p.config.transactional_id.is_some());
    if transactional {
        let v2 = client.supports_transactions_v2() && s.cluster.transaction_version() == 2;
        title.push_str(if v2 {
            " · transactions v2"
        } else {
            " · transactions v1"
        });
    }
    title
}

/// One line comparing the two runs: `enable.idempotence = false: 5 duplicates, 0 reorderings;
/// enable.idempotence = true: none`.
pub fn compare_summary(
    (a, a_counters): (&str, &Counters),
    (b, b_counters): (&str, &Counters),
) -> String {
    fn plural(n: u64, one: &str, many: &str) -> String {
        format!("{n} {}", if n == 1 { one } else { many })
    }
    fn side(c: &Counters) -> String {
        if c.duplicates_written == 0 && c.reorderings == 0 && c.lost == 0 {
            return "none".into();
        }
        let mut s = format!(
            "{}, {}",
            plural(c.duplicates_written, "duplicate", "duplicates"),
            plural(c.reorderings, "reordering", "reorderings")
        );
        if c.lost > 0 {
            s.push_str(&format!(", {} lost after ack", c.lost));
        }
        s
    }
    format!("{a}: {}; {b}: {}", side(a_counters), side(b_counters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_show_the_lane_at_its_position() {
        let s = presets::get("lost-ack").unwrap();
        let mut t = Timeline::new(vec![s]).unwrap();
        t.seek_event(10);
        let f = Frame::of(&t);
        assert_eq!(f.lanes[0].event_count, 11);
        assert_eq!(f.lanes[0].events.len(), 11);
        assert_eq!(f.lanes[0].counts.iter().sum::<usize>(), 11);
        assert!(f.lanes[0].finished.is_none());
        assert!(!f.latest.is_empty());
        t.seek_time(u64::MAX);
        let end = Frame::of(&t);
        assert!(end.lanes[0].finished.is_some());
        assert!(end.lanes[0].counters.duplicates_prevented > 0);
        assert_eq!(end.lanes[0].counters.duplicates_written, 0);
        // Equal only when shared: a re-derived frame is a new value.
        assert_eq!(end.lanes[0].snapshot, end.lanes[0].snapshot.clone());
        assert_ne!(end.lanes[0].snapshot, Frame::of(&t).lanes[0].snapshot);
    }

    #[test]
    fn invariants_are_rechecked_when_the_run_grows_enough_or_when_paused() {
        let mut cache = InvariantCache::default();
        let mut checks = 0;
        let mut check = |cache: &mut InvariantCache, g, n, playing| {
            cache.get(g, n, playing, || {
                checks += 1;
                Vec::new()
            });
        };
        check(&mut cache, 1, 100, true);
        check(&mut cache, 1, 104, true); // within 5%
        check(&mut cache, 1, 105, true); // grew 5%
        check(&mut cache, 1, 106, false); // paused: exact
        check(&mut cache, 1, 106, false);
        check(&mut cache, 2, 106, false); // another run
        check(&mut cache, 2, 50, true); // went back
        assert_eq!(checks, 5);
    }

    #[test]
    fn extent_grows_until_the_end_is_known() {
        let s = presets::get("pipelined-retry").unwrap();
        let mut t = Timeline::new(vec![s]).unwrap();
        t.explore(3);
        let early = Extent::of(&t);
        assert!(!early.known);
        while !t.explore(1_000) {}
        let all = Extent::of(&t);
        assert!(all.known);
        assert!(all.end_ms >= early.end_ms && all.total_events > early.total_events);
    }

    #[test]
    fn flipping_idempotence_explains_the_caption() {
        let of = |q: &str| {
            let (settings, _) = Settings::from_query(q);
            caption(&settings, settings.scenario().ok().as_ref())
        };
        assert_eq!(
            of("?scenario=lost-ack"),
            presets::get("lost-ack").unwrap().caption
        );
        let flipped = of("?scenario=lost-ack&idempotence=off");
        assert!(flipped.starts_with("You switched enable.idempotence to false"));
        assert!(flipped.contains("lost-ack-no-idempotence"));
        // Another setting switches it off implicitly, as the Java client does: said so, and why.
        let implicit = of("?scenario=lost-ack&max_in_flight=6");
        assert!(
            implicit.starts_with("enable.idempotence is off here, implicitly: "),
            "{implicit}"
        );
        assert!(
            implicit.contains("max.in.flight.requests.per.connection"),
            "{implicit}"
        );
        // Other changes: the story is not told for this run.
        assert!(of("?scenario=lost-ack&drop_request=0.1").starts_with("You changed this scenario"));
    }

    #[test]
    fn compare_summary_wording() {
        let c = |d, r, l| Counters {
            duplicates_written: d,
            reorderings: r,
            lost: l,
            ..Counters::default()
        };
        assert_eq!(
            compare_summary(("off", &c(0, 0, 0)), ("on", &c(0, 0, 0))),
            "off: none; on: none"
        );
        assert_eq!(
            compare_summary(("off", &c(1, 5, 0)), ("on", &c(0, 0, 2))),
            "off: 1 duplicate, 5 reorderings; on: 0 duplicates, 0 reorderings, 2 lost after ack"
        );
    }
}
