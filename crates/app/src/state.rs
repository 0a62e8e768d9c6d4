//! The app state and its pure reducer. No DOM, no clock: time comes in through `Action::Tick`.
//!
//! The simulation is deterministic, so going back in time means rebuilding it from the
//! scenario and stepping forward again (`seek_*`).

use std::rc::Rc;

use idempotence_sim::{presets, Scenario, Simulation};
use yew::Reducible;

/// The preset shown when the URL names none.
pub const DEFAULT_PRESET: &str = "lost-ack";
/// Wall-clock length of a run at 1×, in ms (idle gaps compressed, see `IDLE_GAP_MS`).
pub const TARGET_RUN_MS: f64 = 15_000.0;
/// Simulated idle stretches longer than this are skipped while playing.
pub const IDLE_GAP_MS: u64 = 60;
pub const MIN_SPEED: f64 = 0.25;
pub const MAX_SPEED: f64 = 16.0;
/// The speeds the speed control offers.
pub const SPEEDS: &[f64] = &[0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// What the user chose (and what the URL says).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub preset: String,
    pub seed: Option<u64>,
    /// Overrides `enable.idempotence` of every producer when set.
    pub idempotence: Option<bool>,
    pub speed: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            preset: DEFAULT_PRESET.to_string(),
            seed: None,
            idempotence: None,
            speed: 1.0,
        }
    }
}

impl Settings {
    /// Parses `?scenario=lost-ack&seed=2&idempotence=off&speed=4`. Bad parameters are
    /// reported and ignored; unknown parameters are ignored silently.
    pub fn from_query(query: &str) -> (Settings, Vec<String>) {
        let mut s = Settings::default();
        let mut errors = Vec::new();
        for pair in query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = value.replace('+', " ");
            match key {
                "scenario" => {
                    if presets::get(&value).is_some() {
                        s.preset = value;
                    } else {
                        let known: Vec<&str> = presets::ids().collect();
                        errors.push(format!(
                            "Unknown scenario “{value}”; showing “{DEFAULT_PRESET}”. Known: {}.",
                            known.join(", ")
                        ));
                    }
                }
                "seed" => match value.parse::<u64>() {
                    Ok(n) => s.seed = Some(n),
                    Err(_) => errors.push(format!("seed must be a whole number ≥ 0, not “{value}”; using the preset's seed.")),
                },
                "idempotence" => match value.as_str() {
                    "on" | "true" | "1" => s.idempotence = Some(true),
                    "off" | "false" | "0" => s.idempotence = Some(false),
                    _ => errors.push(format!("idempotence must be on or off, not “{value}”; using the preset's setting.")),
                },
                "speed" => match value.parse::<f64>() {
                    Ok(x) if (MIN_SPEED..=MAX_SPEED).contains(&x) => s.speed = x,
                    _ => errors.push(format!(
                        "speed must be a number from {MIN_SPEED} to {MAX_SPEED}, not “{value}”; using 1×."
                    )),
                },
                _ => {}
            }
        }
        (s, errors)
    }

    /// The query string that reproduces these settings (only what differs from the defaults).
    pub fn to_query(&self) -> String {
        let mut parts = vec![format!("scenario={}", self.preset)];
        if let Some(seed) = self.seed {
            parts.push(format!("seed={seed}"));
        }
        if let Some(on) = self.idempotence {
            parts.push(format!("idempotence={}", if on { "on" } else { "off" }));
        }
        if self.speed != 1.0 {
            parts.push(format!("speed={}", self.speed));
        }
        format!("?{}", parts.join("&"))
    }

    /// The scenario to run: the preset with the seed and idempotence overrides applied.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let mut scenario = presets::get(&self.preset)
            .ok_or_else(|| format!("unknown scenario “{}”", self.preset))?;
        if let Some(seed) = self.seed {
            scenario.seed = seed;
        }
        if let Some(on) = self.idempotence {
            for p in &mut scenario.producers {
                p.config.enable_idempotence = Some(on);
            }
        }
        Ok(scenario)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

#[derive(Debug, Clone)]
pub struct State {
    pub settings: Settings,
    pub scenario: Option<Scenario>,
    pub sim: Option<Simulation>,
    /// Why the scenario could not be built (shown instead of the stage).
    pub error: Option<String>,
    /// Problems with the URL parameters (shown as a dismissable notice).
    pub notices: Vec<String>,
    pub playing: bool,
    /// Display clock in simulated ms; the sim has run up to `floor(clock_ms)`.
    pub clock_ms: f64,
    /// Simulated ms per real ms at 1×.
    pub rate: f64,
    /// When the full run ends, in simulated ms.
    pub end_ms: u64,
    pub total_events: u64,
    /// Event-log categories hidden by the user.
    pub hidden_categories: Vec<String>,
    pub show_help: bool,
    pub theme: Theme,
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
    TogglePlay,
    Pause,
    Restart,
    SetIdempotence(bool),
    SetPreset(String),
    SetSpeed(f64),
    StepForward,
    StepBack,
    /// Rebuild and run until just after event `index`.
    SeekEvent(u64),
    SeekTime(u64),
    ToggleCategory(String),
    ToggleHelp,
    CloseHelp,
    CycleTheme,
    DismissNotices,
}

impl State {
    /// The initial state for a URL query string.
    pub fn from_query(query: &str) -> State {
        let (settings, notices) = Settings::from_query(query);
        let mut state = State {
            settings,
            scenario: None,
            sim: None,
            error: None,
            notices,
            playing: false,
            clock_ms: 0.0,
            rate: 0.01,
            end_ms: 0,
            total_events: 0,
            hidden_categories: Vec::new(),
            show_help: false,
            theme: Theme::Auto,
            version: 0,
        };
        state.rebuild();
        state.playing = state.sim.is_some();
        state
    }

    /// Rebuilds the simulation from the settings, at time 0, and measures the whole run.
    fn rebuild(&mut self) {
        self.clock_ms = 0.0;
        match self.settings.scenario().and_then(|s| {
            Simulation::new(s.clone())
                .map(|sim| (s, sim))
                .map_err(|e| format!("the scenario is invalid at {}: {}", e.path, e.message))
        }) {
            Ok((scenario, sim)) => {
                let mut full = sim.clone();
                full.run_to_end();
                self.end_ms = full.now_ms();
                self.total_events = full.events().len() as u64;
                let mut compressed = 0u64;
                let mut last = 0u64;
                for e in full.events() {
                    compressed += (e.time_ms - last).min(IDLE_GAP_MS);
                    last = e.time_ms;
                }
                self.rate = (compressed.max(20) as f64) / TARGET_RUN_MS;
                self.scenario = Some(scenario);
                self.sim = Some(sim);
                self.error = None;
            }
            Err(e) => {
                self.scenario = None;
                self.sim = None;
                self.error = Some(e);
                self.playing = false;
            }
        }
    }

    pub fn finished(&self) -> bool {
        self.sim.as_ref().is_some_and(|s| s.finished().is_some())
    }

    pub fn event_count(&self) -> u64 {
        self.sim.as_ref().map_or(0, |s| s.events().len() as u64)
    }

    /// Whether the producers run idempotent (the toggle's state).
    pub fn idempotent(&self) -> bool {
        if let Some(on) = self.settings.idempotence {
            return on;
        }
        self.sim
            .as_ref()
            .and_then(|s| s.snapshot().producers.first().map(|p| p.idempotent))
            .unwrap_or(true)
    }

    fn tick(&mut self, real_ms: f64) {
        let Some(sim) = self.sim.as_mut() else {
            self.playing = false;
            return;
        };
        if sim.finished().is_some() {
            self.playing = false;
            return;
        }
        let mut target = self.clock_ms + real_ms.max(0.0) * self.rate * self.settings.speed;
        // Skip long idle stretches (backoffs, timeouts): nothing moves in them.
        if let Some(next) = sim.next_time_ms() {
            let next = next as f64;
            if next - self.clock_ms > IDLE_GAP_MS as f64 && target < next - IDLE_GAP_MS as f64 / 2.0
            {
                target = next - IDLE_GAP_MS as f64 / 2.0;
            }
        }
        sim.run_until(target.floor() as u64);
        self.clock_ms = if sim.finished().is_some() {
            self.playing = false;
            sim.now_ms() as f64
        } else {
            target.max(sim.now_ms() as f64)
        };
    }

    /// A fresh simulation stepped until it holds at least `events` events.
    fn seek_events(&mut self, events: u64) {
        let Some(scenario) = self.scenario.clone() else {
            return;
        };
        let Ok(mut sim) = Simulation::new(scenario) else {
            return;
        };
        while (sim.events().len() as u64) < events && sim.step() {}
        self.clock_ms = sim.now_ms() as f64;
        self.sim = Some(sim);
    }

    fn step_back(&mut self) {
        let Some(scenario) = self.scenario.clone() else {
            return;
        };
        let current = self.event_count();
        if current == 0 {
            return;
        }
        // Replay the steps that stay strictly before the current event count.
        let Ok(mut probe) = Simulation::new(scenario) else {
            return;
        };
        loop {
            let before = probe.clone();
            if !probe.step() || probe.events().len() as u64 >= current {
                probe = before;
                break;
            }
        }
        self.clock_ms = probe.now_ms() as f64;
        self.sim = Some(probe);
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Tick(real_ms) => {
                if !s.playing {
                    return self;
                }
                s.tick(real_ms);
            }
            Action::TogglePlay => {
                if s.playing {
                    s.playing = false;
                } else if s.sim.is_some() {
                    if s.finished() {
                        s.rebuild();
                    }
                    s.playing = true;
                }
            }
            Action::Pause => {
                if !s.playing {
                    return self;
                }
                s.playing = false;
            }
            Action::Restart => {
                s.rebuild();
                s.playing = s.sim.is_some();
            }
            Action::SetIdempotence(on) => {
                s.settings.idempotence = Some(on);
                s.rebuild();
                s.playing = s.sim.is_some();
            }
            Action::SetPreset(id) => {
                s.settings.preset = id;
                s.settings.seed = None;
                s.settings.idempotence = None;
                s.rebuild();
                s.playing = s.sim.is_some();
            }
            Action::SetSpeed(x) => s.settings.speed = x.clamp(MIN_SPEED, MAX_SPEED),
            Action::StepForward => {
                s.playing = false;
                if let Some(sim) = s.sim.as_mut() {
                    let before = sim.events().len();
                    while sim.events().len() == before && sim.step() {}
                    s.clock_ms = sim.now_ms() as f64;
                }
            }
            Action::StepBack => {
                s.playing = false;
                s.step_back();
            }
            Action::SeekEvent(index) => {
                s.playing = false;
                s.seek_events(index + 1);
            }
            Action::SeekTime(t) => {
                s.playing = false;
                let behind = s.sim.as_ref().is_some_and(|sim| sim.now_ms() > t);
                if behind {
                    s.seek_events(0);
                }
                if let Some(sim) = s.sim.as_mut() {
                    sim.run_until(t);
                    s.clock_ms = if sim.finished().is_some() {
                        sim.now_ms() as f64
                    } else {
                        t as f64
                    };
                }
            }
            Action::ToggleCategory(c) => {
                if let Some(i) = s.hidden_categories.iter().position(|x| *x == c) {
                    s.hidden_categories.remove(i);
                } else {
                    s.hidden_categories.push(c);
                }
            }
            Action::ToggleHelp => s.show_help = !s.show_help,
            Action::CloseHelp => s.show_help = false,
            Action::CycleTheme => {
                s.theme = match s.theme {
                    Theme::Auto => Theme::Light,
                    Theme::Light => Theme::Dark,
                    Theme::Dark => Theme::Auto,
                }
            }
            Action::DismissNotices => s.notices.clear(),
        }
        s.version = self.version + 1;
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn log_values(s: &State) -> Vec<(String, bool)> {
        let snap = s.sim.as_ref().unwrap().snapshot();
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
        assert_eq!(s.settings, Settings::default());
        assert!(s.sim.is_some());
    }

    #[test]
    fn query_round_trips() {
        let (s, errors) =
            Settings::from_query("?scenario=happy-path&seed=7&idempotence=off&speed=4");
        assert!(errors.is_empty());
        assert_eq!(
            s.to_query(),
            "?scenario=happy-path&seed=7&idempotence=off&speed=4"
        );
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
}
