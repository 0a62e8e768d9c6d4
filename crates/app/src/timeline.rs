//! The simulation(s) of one run, and "the state at any moment": no Yew here.
//!
//! A run is a sequence of positions: position `p` is the state after `p` calls of
//! `Simulation::step` (a step that emits nothing, a follower's fetch, still moves the picture).
//! Each lane (one run, or two in compare mode) has:
//! - a *frontier* simulation that explores the run ahead of the viewer, a slice at a time,
//!   recording every event once and the time and event count after each step (its *marks*);
//! - *checkpoints*: clones of the frontier every `every` steps, taken right after its events are
//!   drained, so they carry no event list. The run's histories (logs, batches, requests) are
//!   chunked and shared between clones (`idempotence_sim::chunked`), so a checkpoint costs what
//!   changed since the previous one, not the whole run. When there are more than
//!   [`MAX_CHECKPOINTS`] or they hold more than [`CHECKPOINT_BUDGET_BYTES`], every other one is
//!   dropped and the spacing doubles: a seek then restores the nearest checkpoint and replays at
//!   most `every` steps;
//! - a *view* simulation at the position shown, moved forward in place while playing, or
//!   restored from a checkpoint to go back.
//!
//! So no frame clones a simulation, a step back costs at most one checkpoint clone and `every`
//! steps, and the run's length is learned once, incrementally.

use idempotence_sim::{Event, Scenario, Simulation};

use crate::pacing::Pacing;

/// Most memory all checkpoints of a timeline may hold (estimated by `footprint_bytes`).
pub const CHECKPOINT_BUDGET_BYTES: usize = 64 << 20;
/// Most checkpoints a lane keeps: with shared histories they are cheap, and more of them
/// means shorter replays (a 300k-step run is then replayed at most ~2k steps per seek).
pub const MAX_CHECKPOINTS: usize = 256;
/// Steps between checkpoints before any thinning.
const FIRST_SPACING: u64 = 128;
/// Recorded events between two entries of a lane's per-category running totals.
const CATEGORY_STRIDE: usize = 256;

fn category_index(e: &Event) -> usize {
    e.kind.category().index()
}

/// What is known after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub time_ms: u64,
    /// Events emitted so far (the index of the next event).
    pub events: u64,
    /// Whether a message other than replication is on the wire after the step (something the
    /// story follows moves until the next one).
    pub moving: bool,
}

struct Checkpoint {
    position: u64,
    sim: Simulation,
    bytes: usize,
}

/// One run: its frontier, checkpoints, recorded events and the view.
pub struct Lane {
    frontier: Simulation,
    frontier_position: u64,
    marks: Vec<Mark>,
    recorded: Vec<Event>,
    /// Entry `k`: events per category (in `EventCategory::ALL` order) among the first
    /// `k * CATEGORY_STRIDE` recorded events, so counts at any position cost one short scan.
    category_totals: Vec<Vec<u32>>,
    checkpoints: Vec<Checkpoint>,
    every: u64,
    /// The position at which the run ended, once the frontier got there.
    end: Option<u64>,
    view: Simulation,
    view_position: u64,
}

impl Lane {
    fn new(scenario: Scenario) -> Result<Lane, idempotence_sim::ScenarioError> {
        let frontier = Simulation::new(scenario)?;
        let mut view = frontier.clone();
        view.keep_events(false);
        let mut lane = Lane {
            marks: vec![Mark {
                time_ms: 0,
                events: 0,
                moving: false,
            }],
            recorded: Vec::new(),
            category_totals: vec![vec![0; idempotence_sim::EventCategory::ALL.len()]],
            checkpoints: Vec::new(),
            every: FIRST_SPACING,
            end: None,
            frontier_position: 0,
            view_position: 0,
            view,
            frontier,
        };
        lane.checkpoint();
        Ok(lane)
    }

    fn checkpoint(&mut self) {
        let sim = self.frontier.clone();
        let bytes = sim.footprint_bytes();
        self.checkpoints.push(Checkpoint {
            position: self.frontier_position,
            sim,
            bytes,
        });
    }

    fn checkpoint_bytes(&self) -> usize {
        self.checkpoints.iter().map(|c| c.bytes).sum()
    }

    /// Re-estimates each checkpoint's share of the memory: shares change as the frontier
    /// copies the chunks it writes and as thinning drops the checkpoints that shared them.
    fn refresh_checkpoint_bytes(&mut self) {
        for c in &mut self.checkpoints {
            c.bytes = c.sim.footprint_bytes();
        }
    }

    /// Drops every other checkpoint (the first one stays) and doubles the spacing until the
    /// lane is within its share of the budget.
    fn thin(&mut self, budget: usize) {
        // (Re-estimating visits every chunk of every checkpoint: done every eighth one.)
        if self.checkpoints.len() % 8 == 0 {
            self.refresh_checkpoint_bytes();
        }
        while self.checkpoints.len() > MAX_CHECKPOINTS
            || (self.checkpoint_bytes() > budget && self.checkpoints.len() > 2)
        {
            self.every *= 2;
            let every = self.every;
            self.checkpoints
                .retain(|c| c.position == 0 || c.position % every == 0);
            self.refresh_checkpoint_bytes();
        }
    }

    /// One step of the frontier; false once the run has ended.
    fn explore_step(&mut self, budget: usize) -> bool {
        if self.end.is_some() {
            return false;
        }
        let progressed = self.frontier.step();
        self.frontier_position += 1;
        self.frontier.drain_events_into(&mut self.recorded);
        self.extend_category_totals();
        self.marks.push(Mark {
            time_ms: self.frontier.now_ms(),
            events: self.recorded.len() as u64,
            moving: self.frontier.client_messages_in_flight() > 0,
        });
        if !progressed {
            self.end = Some(self.frontier_position);
            return false;
        }
        if self.frontier_position % self.every == 0 {
            self.checkpoint();
            self.thin(budget);
        }
        true
    }

    /// Explores until a step later than `time_ms` is known (or the run ends).
    fn explore_past(&mut self, time_ms: u64, budget: usize) {
        while self.marks.last().is_some_and(|m| m.time_ms <= time_ms) && self.explore_step(budget) {
        }
    }

    /// Explores until the event count passes `events` (or the run ends).
    fn explore_events(&mut self, events: u64, budget: usize) {
        while self.marks.last().is_some_and(|m| m.events <= events) && self.explore_step(budget) {}
    }

    fn last_position(&self) -> u64 {
        self.frontier_position
    }

    /// Moves the view to position `p` (already explored): forward in place when that is
    /// shorter than replaying from the nearest checkpoint, else from the checkpoint.
    fn move_view(&mut self, p: u64) {
        let p = p.min(self.last_position());
        let from = self
            .checkpoints
            .iter()
            .rev()
            .find(|c| c.position <= p)
            .expect("the first checkpoint is at 0");
        let in_place = self.view_position <= p && p - self.view_position <= p - from.position;
        if !in_place {
            self.view = from.sim.clone();
            self.view.keep_events(false);
            self.view_position = from.position;
        }
        while self.view_position < p {
            self.view.step();
            self.view_position += 1;
        }
        debug_assert_eq!(
            (self.view.now_ms(), self.view.event_count()),
            {
                let m = self.marks[p as usize];
                (m.time_ms, m.events)
            },
            "a replay must retrace the recorded run"
        );
    }

    /// The last position whose time is at most `time_ms`.
    fn position_at_time(&self, time_ms: u64) -> u64 {
        (self.marks.partition_point(|m| m.time_ms <= time_ms) as u64).saturating_sub(1)
    }

    fn mark(&self, p: u64) -> Mark {
        self.marks[p as usize]
    }

    #[cfg(test)]
    pub fn mark_times(&self) -> Vec<u64> {
        self.marks.iter().map(|m| m.time_ms).collect()
    }

    /// What this lane shows at `time_ms` for the pacing: whether a message was on the wire just
    /// before it, and whether something can be seen to happen then (an event, or a message
    /// leaving or arriving). A lane with no step at that time only reports the first.
    fn moment_at(&self, time_ms: u64) -> (bool, bool) {
        let lo = self.marks.partition_point(|m| m.time_ms < time_ms);
        let hi = self.marks.partition_point(|m| m.time_ms <= time_ms);
        let before = lo.checked_sub(1).map(|i| self.marks[i]);
        let moving_before = before.is_some_and(|m| m.moving);
        if lo == hi {
            return (moving_before, false);
        }
        let last = self.marks[hi - 1];
        let eventful = last.events > before.map_or(0, |m| m.events);
        (moving_before, eventful || last.moving || moving_before)
    }

    pub fn view(&self) -> &Simulation {
        &self.view
    }

    pub fn position(&self) -> u64 {
        self.view_position
    }

    /// The events up to the view, in order.
    pub fn events(&self) -> &[Event] {
        &self.recorded[..self.mark(self.view_position).events as usize]
    }

    /// Events per category (in `EventCategory::ALL` order) up to the view.
    pub fn category_counts(&self) -> Vec<usize> {
        let upto = self.mark(self.view_position).events as usize;
        let k = (upto / CATEGORY_STRIDE).min(self.category_totals.len() - 1);
        let mut counts: Vec<usize> = self.category_totals[k]
            .iter()
            .map(|&n| n as usize)
            .collect();
        for e in &self.recorded[k * CATEGORY_STRIDE..upto] {
            counts[category_index(e)] += 1;
        }
        counts
    }

    fn extend_category_totals(&mut self) {
        while self.category_totals.len() * CATEGORY_STRIDE <= self.recorded.len() {
            let k = self.category_totals.len();
            let mut next = self.category_totals[k - 1].clone();
            for e in &self.recorded[(k - 1) * CATEGORY_STRIDE..k * CATEGORY_STRIDE] {
                next[category_index(e)] += 1;
            }
            self.category_totals.push(next);
        }
    }

    /// The story's beats the run reaches, as far as it has been explored (ahead of the view).
    pub fn known_beats(&self) -> &[idempotence_sim::story::ReachedBeat] {
        self.frontier.beats_reached()
    }

    /// Every event recorded so far, including those ahead of the view.
    pub fn recorded(&self) -> &[Event] {
        &self.recorded
    }

    /// The event count at the view (the index of the next event).
    pub fn event_count(&self) -> u64 {
        self.mark(self.view_position).events
    }

    pub fn finished(&self) -> bool {
        self.end == Some(self.view_position)
    }

    /// `(position, time, events)` at the end of the run, once known.
    pub fn end(&self) -> Option<(u64, Mark)> {
        self.end.map(|p| (p, self.mark(p)))
    }
}

/// The run(s) shown: one lane, or two in compare mode (sharing one clock).
pub struct Timeline {
    lanes: Vec<Lane>,
    pacing: Pacing,
    /// Simulated time up to which every lane's moments have been given to the pacing.
    paced_to: u64,
}

impl Timeline {
    /// Builds one lane per scenario (all validated first).
    pub fn new(scenarios: Vec<Scenario>) -> Result<Timeline, idempotence_sim::ScenarioError> {
        // Compare lanes differ in configuration, never in network, so the first one's hop paces both.
        let hop = scenarios.first().map_or(10.0, |s| {
            s.network.latency_ms as f64 + s.network.jitter_ms as f64 / 2.0
        });
        let lanes = scenarios
            .into_iter()
            .map(Lane::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Timeline {
            lanes,
            pacing: Pacing::for_hop(hop),
            paced_to: 0,
        })
    }

    fn lane_budget(&self) -> usize {
        CHECKPOINT_BUDGET_BYTES / self.lanes.len().max(1)
    }

    /// Explores at most `steps` steps ahead of what is known, across the lanes. Returns whether
    /// every lane's end is now known.
    pub fn explore(&mut self, steps: u64) -> bool {
        let budget = self.lane_budget();
        for lane in &mut self.lanes {
            for _ in 0..steps {
                if !lane.explore_step(budget) {
                    break;
                }
            }
        }
        self.update_pacing();
        self.explored()
    }

    pub fn explored(&self) -> bool {
        self.lanes.iter().all(|l| l.end.is_some())
    }

    /// The pacing follows every lane's moments up to where all of them are known. At each time
    /// at which some lane has a step, something moved before it if it moved in any lane, and
    /// the moment is shown if anything can be seen to happen in any lane.
    fn update_pacing(&mut self) {
        let known = self
            .lanes
            .iter()
            .map(|l| l.marks.last().map_or(0, |m| m.time_ms))
            .min()
            .unwrap_or(0);
        let from = self.paced_to;
        if known <= from {
            return;
        }
        let mut times: Vec<u64> = self
            .lanes
            .iter()
            .flat_map(|l| {
                let start = l.marks.partition_point(|m| m.time_ms <= from);
                l.marks[start..].iter().map(|m| m.time_ms)
            })
            .filter(|&t| t <= known)
            .collect();
        times.sort_unstable();
        times.dedup();
        let ended = self.explored();
        for t in times {
            let (moving, seen) = self.lanes.iter().fold((false, false), |(m, s), l| {
                let (lm, ls) = l.moment_at(t);
                (m || lm, s || ls)
            });
            // The run's last moment closes its final stretch, even a silent one.
            if seen || (ended && t == known) {
                self.pacing.push(t, moving);
            }
        }
        self.paced_to = known;
    }

    pub fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    pub fn lane(&self, i: usize) -> Option<&Lane> {
        self.lanes.get(i)
    }

    /// Wall ms at 1× of a simulated time, and back (see [`Pacing`]).
    pub fn display_of(&self, sim_ms: f64) -> f64 {
        self.pacing.display(sim_ms)
    }

    pub fn sim_of(&self, display_ms: f64) -> f64 {
        self.pacing.sim(display_ms)
    }

    /// When the run ends (the later lane), once explored.
    pub fn end_ms(&self) -> Option<u64> {
        self.lanes
            .iter()
            .map(|l| l.end().map(|(_, m)| m.time_ms))
            .collect::<Option<Vec<_>>>()
            .map(|ends| ends.into_iter().max().unwrap_or(0))
    }

    /// The simulated time explored so far (every lane has been run at least this far).
    pub fn known_ms(&self) -> u64 {
        self.lanes
            .iter()
            .map(|l| l.marks.last().map_or(0, |m| m.time_ms))
            .min()
            .unwrap_or(0)
    }

    pub fn finished(&self) -> bool {
        self.lanes.iter().all(Lane::finished)
    }

    /// Every lane to the state after all steps at or before `time_ms`.
    pub fn seek_time(&mut self, time_ms: u64) {
        let budget = self.lane_budget();
        for lane in &mut self.lanes {
            lane.explore_past(time_ms, budget);
            let p = lane.position_at_time(time_ms);
            lane.move_view(p);
        }
        self.update_pacing();
    }

    /// The first lane to just after event `index` (every lane to that event's time).
    pub fn seek_event(&mut self, index: u64) {
        let budget = self.lane_budget();
        let Some(lane) = self.lanes.first_mut() else {
            return;
        };
        lane.explore_events(index, budget);
        let p = lane.marks.partition_point(|m| m.events <= index) as u64;
        lane.move_view(p);
        let t = lane.view.now_ms();
        if self.lanes.len() > 1 {
            self.seek_time(t);
        }
        self.update_pacing();
    }

    /// The latest time any lane's view has reached (the lanes share one clock).
    pub fn now_ms(&self) -> u64 {
        self.lanes
            .iter()
            .map(|l| l.view.now_ms())
            .max()
            .unwrap_or(0)
    }

    /// One lane: to the next position that emits an event. Several: to the next moment at
    /// which any lane does something. Returns the simulated time reached.
    pub fn step_forward(&mut self) -> u64 {
        let budget = self.lane_budget();
        if self.lanes.len() == 1 {
            let lane = &mut self.lanes[0];
            let events = lane.event_count();
            lane.explore_events(events, budget);
            let p = lane.marks.partition_point(|m| m.events <= events) as u64;
            lane.move_view(p.min(lane.last_position()));
            self.update_pacing();
            return self.lanes[0].view.now_ms();
        }
        let now = self.now_ms();
        let next = self
            .lanes
            .iter_mut()
            .filter_map(|l| {
                l.explore_past(now, budget);
                l.marks[l.view_position as usize..]
                    .iter()
                    .map(|m| m.time_ms)
                    .find(|&t| t > now)
            })
            .min();
        let t = next.unwrap_or(now);
        self.seek_time(t);
        t
    }

    /// One lane: to the last position before the current event count. Several: to the latest
    /// earlier moment of any lane. Returns the simulated time reached.
    pub fn step_back(&mut self) -> u64 {
        if self.lanes.len() == 1 {
            let lane = &mut self.lanes[0];
            let events = lane.event_count();
            if events == 0 {
                return lane.view.now_ms();
            }
            let p = (lane.marks.partition_point(|m| m.events < events) as u64).saturating_sub(1);
            lane.move_view(p);
            return lane.view.now_ms();
        }
        let now = self.now_ms();
        let previous = self
            .lanes
            .iter()
            .filter_map(|l| {
                l.marks[..=l.view_position as usize]
                    .iter()
                    .rev()
                    .map(|m| m.time_ms)
                    .find(|&t| t < now)
            })
            .max()
            .unwrap_or(0);
        self.seek_time(previous);
        previous
    }

    /// Checkpoints held, and their estimated bytes (for the probe and the tests).
    pub fn checkpoint_stats(&self) -> (usize, usize) {
        (
            self.lanes.iter().map(|l| l.checkpoints.len()).sum(),
            self.lanes.iter().map(Lane::checkpoint_bytes).sum(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idempotence_sim::explore::{self, Mix};
    use idempotence_sim::presets;

    fn fresh_at(scenario: &Scenario, position: u64) -> Simulation {
        let mut sim = Simulation::new(scenario.clone()).unwrap();
        for _ in 0..position {
            sim.step();
        }
        sim
    }

    /// The state at a position equals a fresh run stepped that many times, for every preset and
    /// some random scenarios, visiting positions in a scrambled order (backwards, forwards,
    /// across checkpoints).
    #[test]
    fn every_position_equals_a_fresh_run_stepped_there() {
        let mut scenarios: Vec<Scenario> = presets::ids().filter_map(presets::get).collect();
        for i in 0..6 {
            scenarios.push(explore::generate(explore::run_seed(3, i), Mix::All));
        }
        for s in scenarios {
            let mut t = Timeline::new(vec![s.clone()]).unwrap();
            while !t.explore(1_000) {}
            let (end, _) = t.lanes[0].end().unwrap();
            let mut order: Vec<u64> = (0..=end).step_by(((end / 40).max(1)) as usize).collect();
            order.push(end);
            order.reverse();
            order.extend([end / 3, 1, end / 2, end.saturating_sub(1)]);
            for p in order {
                t.lanes[0].move_view(p);
                let expect = fresh_at(&s, p);
                assert_eq!(
                    t.lanes[0].view().snapshot(),
                    expect.snapshot(),
                    "{} at {p}",
                    s.name
                );
                assert_eq!(t.lanes[0].event_count(), expect.event_count());
                let mut with_events = Simulation::new(s.clone()).unwrap();
                for _ in 0..p {
                    with_events.step();
                }
                assert_eq!(
                    t.lanes[0].events(),
                    with_events.events(),
                    "{} at {p}",
                    s.name
                );
                let counted: Vec<usize> = idempotence_sim::EventCategory::ALL
                    .iter()
                    .map(|&c| {
                        with_events
                            .events()
                            .iter()
                            .filter(|e| e.kind.category() == c)
                            .count()
                    })
                    .collect();
                assert_eq!(t.lanes[0].category_counts(), counted, "{} at {p}", s.name);
            }
        }
    }

    #[test]
    fn step_back_then_forward_is_the_identity() {
        let s = presets::get("failover-replicated").unwrap();
        let mut t = Timeline::new(vec![s]).unwrap();
        for _ in 0..12 {
            t.step_forward();
        }
        let here = (t.lanes[0].position(), t.lanes[0].view().snapshot());
        t.step_back();
        assert!(t.lanes[0].event_count() < t.lanes[0].mark(here.0).events);
        t.step_forward();
        assert_eq!((t.lanes[0].position(), t.lanes[0].view().snapshot()), here);
    }

    #[test]
    fn seeking_by_time_matches_running_until_that_time() {
        let s = presets::get("pipelined-retry").unwrap();
        let mut t = Timeline::new(vec![s.clone()]).unwrap();
        for time in [500, 20, 0, 137, 2_000, 90] {
            t.seek_time(time);
            let mut fresh = Simulation::new(s.clone()).unwrap();
            fresh.run_until(time);
            assert_eq!(
                t.lanes[0].view().event_count(),
                fresh.event_count(),
                "at {time} ms"
            );
            assert_eq!(
                t.lanes[0].view().snapshot().messages,
                fresh.snapshot().messages
            );
        }
    }

    #[test]
    fn checkpoints_stay_within_their_count_and_memory_budget() {
        // A long run: ~36k events, thousands of steps.
        let s = Scenario::from_json(
            r#"{"cluster":{"brokers":3,"replication.factor":3,"min.insync.replicas":2},
                "duration_ms":600000,
                "producers":[{"config":{"batch.size":2},"workload":{"messages":6000,"interval_ms":2}}]}"#,
        )
        .unwrap();
        let mut t = Timeline::new(vec![s]).unwrap();
        while !t.explore(5_000) {}
        let (count, bytes) = t.checkpoint_stats();
        assert!(count <= MAX_CHECKPOINTS, "{count} checkpoints");
        assert!(bytes <= CHECKPOINT_BUDGET_BYTES, "{bytes} bytes");
        let lane = &t.lanes[0];
        let end = lane.end().unwrap().0;
        // Any position is at most `every` steps from a checkpoint.
        assert!(
            lane.every * (count as u64 + 1) >= end,
            "every {} for {end} steps",
            lane.every
        );
    }

    #[test]
    fn compare_lanes_share_the_clock() {
        let mut off = presets::get("lost-ack").unwrap();
        for p in &mut off.producers {
            p.config.enable_idempotence = Some(false);
        }
        let on = presets::get("lost-ack").unwrap();
        let mut t = Timeline::new(vec![off, on]).unwrap();
        let t1 = t.step_forward();
        let t2 = t.step_forward();
        assert!(t2 > t1);
        for lane in t.lanes() {
            assert!(lane.view().now_ms() <= t2);
        }
        let back = t.step_back();
        assert!(back < t2);
        t.seek_time(1_000_000);
        assert!(t.finished());
        assert!(t.end_ms().is_some());
    }
}
