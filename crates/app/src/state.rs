//! The app's UI state and its reducer. No DOM, no clock: time comes in through `Action::Tick`.
//!
//! The runs themselves live in a [`Timeline`] (checkpoints, recorded events, a view moved in
//! place), shared by the states through `Rc<Run>`: a tick moves the view forward, a seek or a
//! step back restores the nearest checkpoint, and no action clones a simulation. An intervention
//! (crash a broker, drop a message) or a configuration change builds a new run, since it changes
//! the scenario; the URL says everything needed to build it again.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use idempotence_sim::Scenario;
use yew::Reducible;

use crate::interventions::{intervention_fault, Intervention};
use crate::settings::{ConfigOverrides, Settings, Theme, MAX_SPEED, MIN_SPEED};
use crate::timeline::Timeline;

/// Steps explored when a run is built: every preset ends well before, so its length is known
/// from the start.
const EXPLORE_ON_BUILD: u64 = 20_000;
/// Steps explored per `Action::Explore` while a long run's end is still unknown.
pub const EXPLORE_PER_SLICE: u64 = 4_000;

/// One built run: its timeline, the scenario of its first lane, and how fast it plays.
pub struct Run {
    pub timeline: RefCell<Timeline>,
    pub scenario: Scenario,
    /// Whether the first lane's producers are idempotent (Kafka's effective setting).
    pub idempotent: bool,
    /// Why another setting switched idempotence off implicitly, when it did (the core's reason).
    pub idempotence_off_because: Option<String>,
    /// Compare mode's lanes: key and title of each.
    pub lane_titles: [(&'static str, String); 2],
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub settings: Rc<Settings>,
    pub run: Option<Rc<Run>>,
    /// The scenario as configured, even when it does not validate (for the config panel).
    pub draft: Rc<Option<Scenario>>,
    /// Why the scenario could not be built (shown instead of the stage).
    pub error: Option<String>,
    /// Problems with the URL parameters or host commands (shown as a dismissable notice).
    pub notices: Vec<String>,
    pub playing: bool,
    /// The simulated time shown; every lane is at the last step at or before it.
    pub clock_ms: f64,
    /// Each lane's position (steps from the start): what the views are derived from.
    pub positions: Vec<u64>,
    /// Event-log categories hidden by the user.
    pub hidden_categories: Vec<String>,
    pub show_help: bool,
    /// Guided mode stopped the run at this beat (its index); Play continues.
    pub waiting_at_beat: Option<usize>,
    /// Bumped whenever a run is built.
    pub generation: u64,
    /// Bumped on every load, seek, step and intervention (not on ticks), for embed notices.
    pub seek_generation: u64,
    /// Bumped on every change, so components can compare cheaply.
    pub version: u64,
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Real milliseconds elapsed since the last tick.
    Tick(f64),
    /// Learn more of a long run's length (sent while its end is unknown).
    Explore,
    TogglePlay,
    Play,
    Pause,
    Restart,
    SetIdempotence(bool),
    SetPreset(String),
    SetSpeed(f64),
    StepForward,
    StepBack,
    /// Show the state just after event `index`.
    SeekEvent(u64),
    SeekTime(u64),
    ToggleCategory(String),
    /// Guided mode on or off (see `Settings::guided`).
    SetGuided(bool),
    ToggleHelp,
    CloseHelp,
    CycleTheme,
    SetTheme(Theme),
    DismissNotices,
    /// Apply one settings parameter (URL key and value), e.g. from the config panel.
    SetParam(String, String),
    /// Clear every configuration override.
    ResetConfig,
    SetCompare(bool),
    /// Show the run beside the same run on these releases (`client`, `broker`; both empty:
    /// stop comparing).
    CompareReleases {
        client: String,
        broker: String,
    },
    Intervene(Intervention),
    /// Remove every intervention.
    ClearInterventions,
    /// A host page asked to load a scenario (preset id or JSON) with an optional seed.
    Load(String, Option<u64>),
}

/// Builds the run the settings describe (two lanes in compare mode), or says why it cannot run.
fn build_run(settings: &Settings) -> Result<Run, String> {
    let scenarios = if settings.comparing_releases() {
        vec![settings.scenario()?, settings.versus_scenario()?]
    } else {
        let lanes = if settings.compare {
            vec![Some(Some(false)), Some(Some(true))]
        } else {
            vec![settings.idempotence]
        };
        lanes
            .into_iter()
            .map(|i| settings.scenario_with(i))
            .collect::<Result<Vec<_>, _>>()?
    };
    let scenario = scenarios[0].clone();
    let lane_titles = crate::presentation::lane_titles(settings.comparing_releases(), &scenarios);
    let mut timeline = Timeline::new(scenarios).map_err(|e| {
        if e.message.starts_with("ConfigException") {
            format!("{} (at {})", e.message, e.path)
        } else {
            format!("the scenario is invalid at {}: {}", e.path, e.message)
        }
    })?;
    // Kafka's effective enable.idempotence (it depends on other settings), from the first lane.
    let idempotent = timeline
        .lane(0)
        .and_then(|l| {
            let snap = l.view().snapshot_without_logs();
            snap.producers.first().map(|p| p.idempotent)
        })
        .unwrap_or(true);
    timeline.explore(EXPLORE_ON_BUILD);
    Ok(Run {
        timeline: RefCell::new(timeline),
        idempotent,
        idempotence_off_because: crate::settings::effective_idempotence(&scenario).1,
        scenario,
        lane_titles,
    })
}

impl State {
    /// The initial state for a URL query string.
    pub fn from_query(query: &str) -> State {
        let (settings, notices) = Settings::from_query(query);
        let mut state = State {
            settings: Rc::new(settings),
            run: None,
            draft: Rc::new(None),
            error: None,
            notices,
            playing: false,
            clock_ms: 0.0,
            positions: Vec::new(),
            hidden_categories: Vec::new(),
            show_help: false,
            waiting_at_beat: None,
            generation: 0,
            seek_generation: 0,
            version: 0,
        };
        state.rebuild();
        if let Some(t) = state.settings.embed.start_ms {
            state.seek_time(t);
        }
        let autoplay = state
            .settings
            .embed
            .autoplay
            .unwrap_or(!state.settings.embed.embed);
        state.playing = state.run.is_some() && autoplay && !state.finished();
        state
    }

    /// The URL query for the page: the settings, plus, while paused mid-run, the moment shown
    /// (`t`, and `autoplay=0` unless set), so a reload or a copied link shows the same view.
    pub fn url_query(&self) -> String {
        let mut q = self.settings.to_query();
        if let Some(t) = self.paused_at() {
            q.push_str(&format!("&t={t}"));
            if self.settings.embed.autoplay.is_none() {
                q.push_str("&autoplay=0");
            }
        }
        q
    }

    /// The moment shown while paused mid-run (what the URL keeps), if so.
    pub fn paused_at(&self) -> Option<u64> {
        let t = self.clock_ms.floor() as u64;
        (!self.playing && !self.finished() && t > 0 && self.run.is_some()).then_some(t)
    }

    pub fn theme(&self) -> Theme {
        self.settings.theme
    }

    /// The timeline of the current run, if it could be built.
    pub fn timeline(&self) -> Option<Ref<'_, Timeline>> {
        self.run.as_ref().map(|r| r.timeline.borrow())
    }

    fn settings_mut(&mut self) -> &mut Settings {
        Rc::make_mut(&mut self.settings)
    }

    /// Builds the run from the settings, at time 0.
    fn rebuild(&mut self) {
        self.clock_ms = 0.0;
        self.generation += 1;
        self.seek_generation += 1;
        self.draft = Rc::new(self.settings.scenario().ok());
        match build_run(&self.settings) {
            Ok(run) => {
                self.run = Some(Rc::new(run));
                self.error = None;
            }
            Err(e) => {
                self.run = None;
                self.error = Some(e);
                self.playing = false;
            }
        }
        self.update_positions();
    }

    /// Rebuilds and moves to the current clock (after an intervention or config change that
    /// should keep the viewer's place).
    fn rebuild_keep_time(&mut self) {
        let clock = self.clock_ms;
        let playing = self.playing;
        self.rebuild();
        if self.run.is_some() {
            self.seek_time(clock.floor() as u64);
            let end = self.timeline().and_then(|t| t.end_ms()).unwrap_or(u64::MAX);
            self.clock_ms = clock.min(end as f64).max(self.clock_ms);
            self.playing = playing && !self.finished();
        }
    }

    fn update_positions(&mut self) {
        self.positions = self
            .timeline()
            .map(|t| t.lanes().iter().map(|l| l.position()).collect())
            .unwrap_or_default();
    }

    /// Runs `f` on the timeline, then records where the lanes are.
    fn with_timeline<R>(&mut self, f: impl FnOnce(&mut Timeline) -> R) -> Option<R> {
        let r = {
            let run = self.run.as_ref()?;
            let mut t = run.timeline.borrow_mut();
            f(&mut t)
        };
        self.update_positions();
        Some(r)
    }

    pub fn finished(&self) -> bool {
        self.timeline().is_some_and(|t| t.finished())
    }

    /// Events up to the moment shown (first lane).
    pub fn event_count(&self) -> u64 {
        self.timeline()
            .and_then(|t| t.lane(0).map(|l| l.event_count()))
            .unwrap_or(0)
    }

    /// Whether the producers run idempotent (the toggle's state).
    pub fn idempotent(&self) -> bool {
        if let Some(Some(on)) = self.settings.idempotence {
            return on;
        }
        self.run.as_ref().is_none_or(|r| r.idempotent)
    }

    fn tick(&mut self, real_ms: f64) {
        if self.run.is_none() {
            self.playing = false;
            return;
        }
        if self.finished() {
            self.playing = false;
            return;
        }
        let step = real_ms.max(0.0) * self.settings.speed;
        let clock = self.clock_ms;
        let beats_before = self.beats_shown();
        let reached = self.with_timeline(|t| {
            let target = t.sim_of(t.display_of(clock) + step).max(clock);
            t.seek_time(target.floor() as u64);
            if t.finished() {
                t.end_ms().map_or(target, |e| e as f64)
            } else {
                target
            }
        });
        self.clock_ms = reached.unwrap_or(clock);
        if self.settings.guided {
            self.stop_at_key_beat(beats_before);
        }
        if self.finished() {
            self.playing = false;
        }
    }

    fn seek_time(&mut self, t: u64) {
        self.seek_generation += 1;
        let reached = self.with_timeline(|tl| {
            tl.seek_time(t);
            if tl.finished() {
                tl.end_ms().unwrap_or(t)
            } else {
                t
            }
        });
        if let Some(r) = reached {
            self.clock_ms = r as f64;
        }
    }

    fn seek_event(&mut self, index: u64) {
        self.seek_generation += 1;
        if let Some(t) = self.with_timeline(|tl| {
            tl.seek_event(index);
            tl.now_ms()
        }) {
            self.clock_ms = t as f64;
        }
    }

    fn step(&mut self, forward: bool) {
        self.seek_generation += 1;
        if let Some(t) = self.with_timeline(|tl| {
            if forward {
                tl.step_forward()
            } else {
                tl.step_back()
            }
        }) {
            self.clock_ms = t as f64;
        }
    }

    fn intervene(&mut self, i: &Intervention) {
        let fault = {
            let Some(tl) = self.timeline() else {
                return;
            };
            let Some(lane) = tl.lane(0) else {
                return;
            };
            intervention_fault(i, lane.view())
        };
        let Some(fault) = fault else {
            self.notices
                .push("That message cannot be dropped: a producer did not send it, or no longer waits for it.".into());
            return;
        };
        self.settings_mut().faults.push(fault);
        self.rebuild_keep_time();
        if let Some(e) = self.error.take() {
            // The intervention made the scenario invalid: undo it and say why.
            self.settings_mut().faults.pop();
            self.notices.push(format!("Cannot do that: {e}"));
            self.rebuild_keep_time();
        }
    }

    /// Plays from the start again if the run is over, else from where it is.
    /// How many of the story's beats the first lane's view has reached.
    fn beats_shown(&self) -> usize {
        self.timeline()
            .and_then(|t| t.lane(0).map(|l| l.view().beats_reached().len()))
            .unwrap_or(0)
    }

    /// Guided mode: if this tick reached a key beat (one marked `pause`) after the first
    /// `before` beats, show the state just after its event and stop there until the reader
    /// continues.
    fn stop_at_key_beat(&mut self, before: usize) {
        let Some(run) = self.run.clone() else {
            return;
        };
        let stop = {
            let t = run.timeline.borrow();
            let Some(lane) = t.lane(0) else {
                return;
            };
            let now = lane.view().beats_reached().len();
            lane.view().beats_reached()[before.min(now)..]
                .iter()
                .find(|r| run.scenario.beats.get(r.beat).is_some_and(|b| b.pause))
                .copied()
        };
        if let Some(r) = stop {
            self.with_timeline(|t| t.seek_event(r.event));
            self.clock_ms = self
                .timeline()
                .map_or(r.time_ms as f64, |t| t.now_ms() as f64);
            self.playing = false;
            self.waiting_at_beat = Some(r.beat);
        }
    }

    fn play(&mut self) {
        if self.run.is_none() {
            return;
        }
        if self.finished() {
            self.seek_time(0);
        }
        self.playing = true;
        self.waiting_at_beat = None;
    }

    fn explore(&mut self) {
        self.with_timeline(|t| t.explore(EXPLORE_PER_SLICE));
    }

    /// A new run from the settings, playing if there is one.
    fn rebuild_and_play(&mut self) {
        self.rebuild();
        self.playing = self.run.is_some();
    }

    /// Another preset, with none of the last one's changes.
    fn set_preset(&mut self, id: String) {
        let settings = self.settings_mut();
        settings.preset = id;
        settings.custom = None;
        settings.seed = None;
        settings.idempotence = None;
        settings.faults.clear();
        self.rebuild_and_play();
    }

    /// A scenario loaded by the page (or refused, with a notice), played unless embedded
    /// without autoplay.
    fn load(&mut self, scenario: &str, seed: Option<u64>) {
        let settings = self.settings_mut();
        match settings.set_scenario(scenario) {
            Ok(()) => {
                settings.seed = seed;
                settings.idempotence = None;
                settings.faults.clear();
            }
            Err(e) => self.notices.push(e),
        }
        let embed = &self.settings.embed;
        let autoplay = embed.autoplay.unwrap_or(!embed.embed);
        self.rebuild();
        self.playing = self.run.is_some() && autoplay;
    }

    fn toggle_category(&mut self, category: String) {
        match self.hidden_categories.iter().position(|x| *x == category) {
            Some(i) => {
                self.hidden_categories.remove(i);
            }
            None => self.hidden_categories.push(category),
        }
    }

    /// One configuration field changed (or refused, with a notice): a new run, paused.
    fn set_param(&mut self, key: &str, value: &str) {
        if let Err(e) = self.settings_mut().apply_param(key, value) {
            self.notices.push(e);
        }
        self.rebuild();
        self.playing = false;
    }

    /// Both releases of the comparison at once (one rebuild): empty ones are not compared.
    fn compare_releases(&mut self, client: &str, broker: &str) {
        self.settings_mut().versus = ConfigOverrides::default();
        for (key, value) in [("vs_client_version", client), ("vs_broker_version", broker)] {
            if let Err(e) = self.settings_mut().apply_param(key, value) {
                self.notices.push(e);
            }
        }
        self.rebuild();
        self.playing = false;
    }

    /// The preset's own configuration again: a new run, paused.
    fn reset_config(&mut self) {
        let settings = self.settings_mut();
        settings.config = ConfigOverrides::default();
        settings.idempotence = None;
        self.rebuild();
        self.playing = false;
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // The frequent no-ops return the same state: no clone, no re-render.
        match action {
            Action::Tick(_) if !self.playing => return self,
            Action::Play if self.playing || self.run.is_none() => return self,
            Action::Pause if !self.playing => return self,
            Action::Explore if self.timeline().is_none_or(|t| t.explored()) => return self,
            _ => {}
        }
        let mut s = (*self).clone();
        match action {
            Action::Tick(real_ms) => s.tick(real_ms),
            Action::Explore => s.explore(),
            Action::TogglePlay if s.playing => s.playing = false,
            Action::TogglePlay | Action::Play => s.play(),
            Action::Pause => s.playing = false,
            Action::SetGuided(on) => {
                s.settings_mut().guided = on;
                s.waiting_at_beat = None;
            }
            Action::Restart => {
                s.seek_time(0);
                s.playing = s.run.is_some();
            }
            Action::SetIdempotence(on) => {
                s.settings_mut().idempotence = Some(Some(on));
                s.rebuild_and_play();
            }
            Action::SetPreset(id) => s.set_preset(id),
            Action::Load(scenario, seed) => s.load(&scenario, seed),
            Action::SetSpeed(x) => s.settings_mut().speed = x.clamp(MIN_SPEED, MAX_SPEED),
            Action::StepForward | Action::StepBack => {
                s.playing = false;
                s.step(matches!(action, Action::StepForward));
            }
            Action::SeekEvent(index) => {
                s.playing = false;
                s.seek_event(index);
            }
            Action::SeekTime(t) => {
                s.playing = false;
                s.seek_time(t);
            }
            Action::ToggleCategory(c) => s.toggle_category(c),
            Action::ToggleHelp => s.show_help = !s.show_help,
            Action::CloseHelp => s.show_help = false,
            Action::CycleTheme => s.settings_mut().theme = s.settings.theme.next(),
            Action::SetTheme(t) => s.settings_mut().theme = t,
            Action::DismissNotices => s.notices.clear(),
            Action::SetParam(key, value) => s.set_param(&key, &value),
            Action::ResetConfig => s.reset_config(),
            Action::SetCompare(on) if on && s.settings.transactional() => return self,
            Action::SetCompare(on) => {
                let settings = s.settings_mut();
                settings.compare = on;
                if on {
                    settings.versus = ConfigOverrides::default();
                }
                s.rebuild_and_play();
            }
            Action::CompareReleases { client, broker } => s.compare_releases(&client, &broker),
            Action::Intervene(i) => s.intervene(&i),
            Action::ClearInterventions => {
                s.settings_mut().faults.clear();
                s.rebuild_keep_time();
            }
        }
        s.version = self.version + 1;
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interventions::CRASH_DOWN_MS;
    use crate::presentation::compare_summary;
    use crate::settings::{ControlsMode, Settings};
    use idempotence_sim::event::EventKind;
    use idempotence_sim::fault::{Fault, Trigger};
    use idempotence_sim::presets;

    fn reduce(s: Rc<State>, a: Action) -> Rc<State> {
        s.reduce(a)
    }

    fn play_to_end(mut s: Rc<State>) -> Rc<State> {
        for _ in 0..100_000 {
            if s.finished() {
                break;
            }
            s = reduce(s, Action::Tick(50.0));
        }
        s
    }

    fn snapshot(s: &State, lane: usize) -> idempotence_sim::Snapshot {
        s.timeline().unwrap().lane(lane).unwrap().view().snapshot()
    }

    fn counters(s: &State, lane: usize) -> idempotence_sim::report::Counters {
        s.timeline().unwrap().lane(lane).unwrap().view().counters()
    }

    fn now(s: &State, lane: usize) -> u64 {
        s.timeline().unwrap().lane(lane).unwrap().view().now_ms()
    }

    fn log_values(s: &State) -> Vec<(String, bool)> {
        let snap = snapshot(s, 0);
        snap.brokers[0].replicas[0]
            .log
            .iter()
            .map(|e| (e.value.clone(), e.duplicate_of.is_some()))
            .collect()
    }

    #[test]
    fn default_is_lost_ack_playing() {
        let s = State::from_query("");
        assert_eq!(s.settings.preset, "lost-ack");
        assert!(s.playing);
        assert!(s.notices.is_empty());
        assert!(s.idempotent());
    }

    #[test]
    fn lost_ack_plays_to_ten_records_without_duplicates() {
        let s = play_to_end(Rc::new(State::from_query("?speed=16")));
        assert!(s.finished());
        assert!(!s.playing);
        let log = log_values(&s);
        assert_eq!(log.len(), 10);
        assert!(log.iter().all(|(_, dup)| !dup));
    }

    #[test]
    fn idempotence_off_writes_five_duplicates() {
        let s = Rc::new(State::from_query(""));
        let s = reduce(s, Action::SetIdempotence(false));
        assert!(!s.idempotent());
        assert_eq!(s.clock_ms, 0.0);
        let s = play_to_end(s);
        assert_eq!(log_values(&s).iter().filter(|(_, d)| *d).count(), 5);
    }

    #[test]
    fn a_run_takes_about_the_target_time_at_1x() {
        let mut s = Rc::new(State::from_query(""));
        let mut real = 0.0;
        while !s.finished() && real < 120_000.0 {
            s = reduce(s, Action::Tick(16.0));
            real += 16.0;
        }
        assert!((5_000.0..=20_000.0).contains(&real), "took {real} ms");
    }

    #[test]
    fn step_back_undoes_step_forward() {
        let mut s = Rc::new(State::from_query(""));
        for _ in 0..5 {
            s = reduce(s, Action::StepForward);
        }
        let at5 = s.event_count();
        let s6 = reduce(s.clone(), Action::StepForward);
        assert!(s6.event_count() > at5);
        let back = reduce(s6, Action::StepBack);
        assert_eq!(back.event_count(), at5);
        assert!(!back.playing);
    }

    #[test]
    fn seek_event_lands_after_that_event() {
        let s = reduce(Rc::new(State::from_query("")), Action::SeekEvent(20));
        assert!(s.event_count() >= 21);
        let s = reduce(s, Action::SeekTime(0));
        assert!(s.clock_ms <= 1.0);
    }

    #[test]
    fn bad_url_parameters_are_reported_not_fatal() {
        let s = State::from_query("?scenario=nope&seed=x&idempotence=maybe&speed=99");
        assert_eq!(s.notices.len(), 4);
        assert_eq!(*s.settings, Settings::default());
        assert!(s.run.is_some());
    }

    #[test]
    fn every_preset_builds_and_finishes() {
        for id in presets::ids() {
            let s = play_to_end(Rc::new(State::from_query(&format!(
                "?scenario={id}&speed=16"
            ))));
            assert!(s.error.is_none(), "{id}: {:?}", s.error);
            assert!(s.finished(), "{id} did not finish");
        }
    }
    #[test]
    fn kafka_config_exception_is_shown_instead_of_running() {
        let s = State::from_query("?idempotence=on&acks=1");
        assert!(s.run.is_none());
        assert!(!s.playing);
        let e = s.error.clone().unwrap();
        assert!(e.starts_with("ConfigException"), "{e}");
        assert!(e.contains("acks"), "{e}");
        // Fixing it runs again.
        let s = reduce(Rc::new(s), Action::SetParam("acks".into(), "all".into()));
        assert!(s.run.is_some());
        assert!(s.error.is_none());
    }

    #[test]
    fn inline_scenario_json_in_the_url() {
        let json = r#"{"name":"mine","seed":9,"producers":[{"workload":{"messages":3}}]}"#;
        let s = State::from_query(&format!("?scenario={}", crate::url::encode(json)));
        assert!(s.notices.is_empty(), "{:?}", s.notices);
        assert_eq!(s.settings.preset, "mine");
        assert_eq!(s.run.as_ref().unwrap().scenario.seed, 9);
        let (again, _) = Settings::from_query(&s.settings.to_query());
        assert_eq!(again.custom, s.settings.custom);
        let bad = State::from_query("?scenario=%7B%22producers%22%3A5%7D");
        assert_eq!(bad.notices.len(), 1);
        assert!(
            bad.notices[0].contains("invalid at producers"),
            "{:?}",
            bad.notices
        );
        assert_eq!(bad.settings.preset, "lost-ack");
    }

    #[test]
    fn dropping_a_response_is_recorded_and_replays_identically() {
        // happy-path: no faults; drop the first response on the wire.
        let mut s = Rc::new(State::from_query("?scenario=happy-path"));
        let request = loop {
            s = reduce(s, Action::StepForward);
            let snap = snapshot(&s, 0);
            if let Some(m) = snap
                .messages
                .iter()
                .find(|m| m.kind == idempotence_sim::snapshot::MessageKind::Response)
            {
                break m.request.unwrap();
            }
        };
        let t = s.clock_ms;
        let s = reduce(
            s,
            Action::Intervene(Intervention::DropMessage {
                request,
                response: true,
            }),
        );
        assert_eq!(s.settings.faults.len(), 1);
        assert!(matches!(s.settings.faults[0].when, Trigger::Response(_)));
        assert_eq!(s.clock_ms, t);
        // On TCP a lost response resets the connection: the response never travels.
        let lost = s
            .timeline()
            .unwrap()
            .lane(0)
            .unwrap()
            .events()
            .iter()
            .any(|e| matches!(e.kind, EventKind::ResponseLost { request: r } if r == request));
        assert!(lost, "the response is now lost");
        let query = s.settings.to_query();
        assert!(query.contains("faults="));
        let a = play_to_end(reduce(s, Action::Play));
        let b = play_to_end(Rc::new(State::from_query(&query)));
        assert_eq!(log_values(&a), log_values(&b));
        let c = counters(&a, 0);
        assert!(c.retries > 0);
        assert_eq!(c.duplicates_prevented, 1);
    }

    #[test]
    fn crash_broker_and_cut_link_interventions() {
        let s = reduce(
            Rc::new(State::from_query("?scenario=failover-replicated")),
            Action::SeekTime(50),
        );
        let s = reduce(
            s,
            Action::Intervene(Intervention::CrashBroker {
                broker: 2,
                clean: true,
            }),
        );
        assert_eq!(
            s.settings.faults.last().unwrap().fault,
            Fault::CrashBroker {
                broker: 2,
                clean: true,
                down_ms: CRASH_DOWN_MS
            }
        );
        let snap = snapshot(&s, 0);
        assert!(!snap.brokers[2].alive);
        let s = reduce(
            s,
            Action::Intervene(Intervention::CutLink {
                producer: 0,
                broker: 0,
            }),
        );
        assert_eq!(s.settings.faults.len(), 2);
        let s = reduce(
            s,
            Action::Intervene(Intervention::CrashBroker {
                broker: 7,
                clean: false,
            }),
        );
        assert_eq!(
            s.settings.faults.len(),
            2,
            "an invalid intervention is undone"
        );
        assert_eq!(s.notices.len(), 1);
        let s = reduce(s, Action::ClearInterventions);
        assert!(s.settings.faults.is_empty());
    }

    #[test]
    fn releases_compare_the_same_run_on_other_brokers_and_the_link_keeps_them() {
        let query = "?scenario=late-transactional-batch&vs_broker_version=3.6";
        let s = play_to_end(Rc::new(State::from_query(query)));
        assert!(s.finished());
        assert_eq!(counters(&s, 0).duplicates_written, 1, "3.5: the late batch");
        assert_eq!(counters(&s, 1).duplicates_written, 0, "3.6 verifies");
        let titles = s.run.as_ref().unwrap().lane_titles.clone();
        assert_eq!(titles[0].1, "client 3.9 · brokers 3.5 · transactions v1");
        assert_eq!(titles[1].1, "client 3.9 · brokers 3.6 · transactions v1");
        assert!(s.settings.to_query().contains("vs_broker_version=3.6"));
        // Both releases at 4.0: transactions v2, which fence the late batch by its epoch.
        let v2 = "?scenario=late-transactional-batch&vs_broker_version=4.0&vs_client_version=4.0";
        let s = play_to_end(Rc::new(State::from_query(v2)));
        assert_eq!(counters(&s, 1).duplicates_written, 0);
        let titles = s.run.as_ref().unwrap().lane_titles.clone();
        assert_eq!(titles[1].1, "client 4.0 · brokers 4.0 · transactions v2");
        // A release out of range is named, and nothing is compared.
        let (bad, errors) = crate::settings::Settings::from_query("?vs_broker_version=1.0");
        assert!(!bad.comparing_releases());
        assert!(errors[0].contains("Not comparing releases"), "{errors:?}");
    }

    #[test]
    fn compare_runs_both_sides_on_one_clock() {
        let s = play_to_end(Rc::new(State::from_query("?scenario=lost-ack&compare=1")));
        assert!(s.finished());
        let off = counters(&s, 0);
        let on = counters(&s, 1);
        assert_eq!(off.duplicates_written, 5);
        assert_eq!(on.duplicates_written, 0);
        assert_eq!(
            compare_summary(("off", &off), ("on", &on)),
            "off: 5 duplicates, 0 reorderings; on: none"
        );
        let back = reduce(s, Action::SeekTime(30));
        assert_eq!(back.clock_ms, 30.0);
        assert!(now(&back, 0) <= 30 && now(&back, 1) <= 30);
        assert!(!back.finished());
    }

    #[test]
    fn embed_parameters() {
        let q = "?scenario=lost-ack&embed=1&theme=dark&autoplay=0&controls=minimal&t=40&id=fig1&allow_origins=https%3A%2F%2Fdocs.example%2F%2Chttps%3A%2F%2Fb.example";
        let s = State::from_query(q);
        assert!(s.notices.is_empty(), "{:?}", s.notices);
        let e = &s.settings.embed;
        assert!(e.embed);
        assert_eq!(e.controls, ControlsMode::Minimal);
        assert_eq!(e.id.as_deref(), Some("fig1"));
        assert_eq!(
            e.allow_origins,
            vec!["https://docs.example", "https://b.example"]
        );
        assert_eq!(s.theme(), Theme::Dark);
        assert!(!s.playing);
        assert_eq!(s.clock_ms, 40.0);
        // embeds default to paused; standalone pages play
        assert!(!State::from_query("?embed=1").playing);
        assert!(State::from_query("?embed=1&autoplay=1").playing);
        let bad = State::from_query("?embed=1&controls=huge&theme=pink&autoplay=maybe&t=x");
        assert_eq!(bad.notices.len(), 4);
        assert_eq!(bad.settings.embed.controls, ControlsMode::Full);
    }

    #[test]
    fn host_load_switches_scenario_or_reports() {
        let s = Rc::new(State::from_query("?embed=1"));
        let s = reduce(s, Action::Load("happy-path".into(), Some(3)));
        assert_eq!(s.settings.preset, "happy-path");
        assert_eq!(s.run.as_ref().unwrap().scenario.seed, 3);
        let s = reduce(s, Action::Load("nope".into(), None));
        assert_eq!(s.settings.preset, "happy-path");
        assert_eq!(s.notices.len(), 1);
    }

    #[test]
    fn a_paused_view_is_in_the_url() {
        let s = reduce(
            Rc::new(State::from_query("?scenario=lost-ack")),
            Action::SeekTime(40),
        );
        let q = s.url_query();
        assert!(q.ends_with("&t=40&autoplay=0"), "{q}");
        let again = State::from_query(&q);
        assert_eq!(again.clock_ms, 40.0);
        assert!(!again.playing);
        assert_eq!(again.event_count(), s.event_count());
        // playing or finished: no time in the link
        let playing = reduce(s, Action::Play);
        assert!(!playing.url_query().contains("t="));
        assert!(!play_to_end(playing).url_query().contains("t="));
    }
}
#[cfg(test)]
mod pacing_tests {
    use super::*;
    use crate::pacing::{FLIGHT_MS, STILL_MS};

    /// Every message of a run as (sent, arrived), and the times of its events, all in wall ms
    /// at 1×, found by visiting every step of the first lane.
    fn wall_times(id: &str) -> (Vec<(f64, f64)>, Vec<f64>) {
        let settings = Settings::from_query(&format!("?scenario={id}")).0;
        let run = build_run(&settings).unwrap();
        let mut t = run.timeline.borrow_mut();
        assert!(t.explored(), "{id} is explored when built");
        let mut times = t.lane(0).unwrap().mark_times();
        times.dedup();
        let mut flights = std::collections::BTreeMap::new();
        for time in times {
            t.seek_time(time);
            // Replication is not paced (see `Pacing`); everything else is.
            for m in t.lane(0).unwrap().view().snapshot_without_logs().messages {
                if m.kind != idempotence_sim::snapshot::MessageKind::Fetch {
                    flights.insert(m.id, (m.sent_ms, m.arrive_ms));
                }
            }
        }
        let wall = |sim: u64| t.display_of(sim as f64);
        let flights = flights.values().map(|&(s, a)| (wall(s), wall(a))).collect();
        let events = t
            .lane(0)
            .unwrap()
            .recorded()
            .iter()
            .map(|e| wall(e.time_ms))
            .collect();
        (flights, events)
    }

    #[test]
    fn every_flight_can_be_followed_and_nothing_stands_still_for_long() {
        for id in idempotence_sim::presets::ids() {
            let (flights, events) = wall_times(id);
            assert!(!flights.is_empty(), "{id}");
            for &(sent, arrived) in &flights {
                let took = arrived - sent;
                assert!(
                    (took - FLIGHT_MS).abs() < 1e-6,
                    "{id}: a flight takes {took} ms"
                );
            }
            // Stretches in which no message moves and no event happens.
            let mut seen: Vec<(f64, f64)> = flights.clone();
            seen.extend(events.iter().map(|&t| (t, t)));
            seen.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let mut covered = 0.0f64;
            for (from, to) in seen {
                let still = from - covered;
                assert!(
                    still <= STILL_MS + 1e-6,
                    "{id}: still for {still} ms at {covered} ms"
                );
                covered = covered.max(to);
            }
        }
    }

    #[test]
    fn a_long_wait_is_shown_short_and_short_runs_stay_short() {
        // state-expiry waits out transactional.id/producer-state expiry (minutes in simulated
        // time); lost-ack is a handful of flights.
        let (_, expiry) = wall_times("state-expiry");
        let (_, lost_ack) = wall_times("lost-ack");
        let end = |e: &[f64]| e.last().copied().unwrap();
        assert!(
            end(&expiry) < 30_000.0,
            "state-expiry lasts {} ms",
            end(&expiry)
        );
        assert!(
            end(&lost_ack) < 12_000.0,
            "lost-ack lasts {} ms",
            end(&lost_ack)
        );
    }
}
