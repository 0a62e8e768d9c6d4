//! The app state and its pure reducer. No DOM, no clock: time comes in through `Action::Tick`.
//!
//! The simulation is deterministic, so going back in time means rebuilding it from the
//! scenario and stepping forward again (`seek_*`), and an intervention (crash a broker, drop a
//! message) means "add one scripted fault to the scenario and replay to the current time".
//! Interventions and configuration live in the URL, so a link reproduces the exact run.

use std::rc::Rc;

use idempotence_sim::config::Acks;
use idempotence_sim::event::EventKind;
use idempotence_sim::fault::{BatchMatcher, Fault, ScriptedFault, Trigger};
use idempotence_sim::report::Counters;
use idempotence_sim::{presets, Event, Scenario, Simulation};
use yew::Reducible;

use crate::url;

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
/// How long a broker crashed from the UI stays down before it restarts (simulated ms).
pub const CRASH_DOWN_MS: u64 = 400;
/// How long a producer restarted from the UI is down.
pub const PRODUCER_DOWN_MS: u64 = 50;
/// How long a link cut from the UI stays cut.
pub const CUT_LINK_MS: u64 = 300;

/// Which controls an embed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlsMode {
    Full,
    Minimal,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// Configuration overrides applied on top of the preset (each `None` = the preset's value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigOverrides {
    pub acks: Option<Acks>,
    pub max_in_flight: Option<u32>,
    pub retries: Option<u32>,
    pub request_timeout_ms: Option<u64>,
    pub delivery_timeout_ms: Option<u64>,
    pub brokers: Option<u32>,
    pub replication_factor: Option<u32>,
    pub min_isr: Option<u32>,
    pub drop_request: Option<f64>,
    pub drop_response: Option<f64>,
}

/// The URL keys of `ConfigOverrides`, in the order the panel and the URL list them.
pub const CONFIG_KEYS: &[&str] = &[
    "acks",
    "max_in_flight",
    "retries",
    "request_timeout_ms",
    "delivery_timeout_ms",
    "brokers",
    "replication_factor",
    "min_isr",
    "drop_request",
    "drop_response",
];

fn acks_str(a: Acks) -> &'static str {
    match a {
        Acks::None => "0",
        Acks::Leader => "1",
        Acks::All => "all",
    }
}

impl ConfigOverrides {
    /// Sets one override from its URL key; an empty value clears it. `Ok(false)` = not a config key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, String> {
        fn num<T: std::str::FromStr>(
            key: &str,
            v: &str,
            slot: &mut Option<T>,
        ) -> Result<bool, String> {
            if v.is_empty() {
                *slot = None;
                return Ok(true);
            }
            match v.parse::<T>() {
                Ok(x) => {
                    *slot = Some(x);
                    Ok(true)
                }
                Err(_) => Err(format!(
                    "{key} must be a whole number ≥ 0, not “{v}”; using the preset's value."
                )),
            }
        }
        fn rate(key: &str, v: &str, slot: &mut Option<f64>) -> Result<bool, String> {
            if v.is_empty() {
                *slot = None;
                return Ok(true);
            }
            match v.parse::<f64>() {
                Ok(x) if (0.0..=1.0).contains(&x) => {
                    *slot = Some(x);
                    Ok(true)
                }
                _ => Err(format!(
                    "{key} must be a probability from 0 to 1, not “{v}”; using the preset's value."
                )),
            }
        }
        match key {
            "acks" => {
                self.acks = match value {
                    "" => None,
                    "0" => Some(Acks::None),
                    "1" => Some(Acks::Leader),
                    "all" | "-1" => Some(Acks::All),
                    _ => {
                        return Err(format!(
                            "acks must be 0, 1 or all, not “{value}”; using the preset's value."
                        ))
                    }
                };
                Ok(true)
            }
            "max_in_flight" => num(key, value, &mut self.max_in_flight),
            "retries" => num(key, value, &mut self.retries),
            "request_timeout_ms" => num(key, value, &mut self.request_timeout_ms),
            "delivery_timeout_ms" => num(key, value, &mut self.delivery_timeout_ms),
            "brokers" => num(key, value, &mut self.brokers),
            "replication_factor" => num(key, value, &mut self.replication_factor),
            "min_isr" => num(key, value, &mut self.min_isr),
            "drop_request" => rate(key, value, &mut self.drop_request),
            "drop_response" => rate(key, value, &mut self.drop_response),
            _ => Ok(false),
        }
    }

    /// The override's URL value, if set.
    pub fn get(&self, key: &str) -> Option<String> {
        match key {
            "acks" => self.acks.map(|a| acks_str(a).to_string()),
            "max_in_flight" => self.max_in_flight.map(|x| x.to_string()),
            "retries" => self.retries.map(|x| x.to_string()),
            "request_timeout_ms" => self.request_timeout_ms.map(|x| x.to_string()),
            "delivery_timeout_ms" => self.delivery_timeout_ms.map(|x| x.to_string()),
            "brokers" => self.brokers.map(|x| x.to_string()),
            "replication_factor" => self.replication_factor.map(|x| x.to_string()),
            "min_isr" => self.min_isr.map(|x| x.to_string()),
            "drop_request" => self.drop_request.map(|x| x.to_string()),
            "drop_response" => self.drop_response.map(|x| x.to_string()),
            _ => None,
        }
    }

    fn apply(&self, s: &mut Scenario) {
        for p in &mut s.producers {
            let c = &mut p.config;
            if let Some(a) = self.acks {
                c.acks = a;
            }
            if let Some(x) = self.max_in_flight {
                c.max_in_flight = x;
            }
            if let Some(x) = self.retries {
                c.retries = x;
            }
            if let Some(x) = self.request_timeout_ms {
                c.request_timeout_ms = x;
            }
            if let Some(x) = self.delivery_timeout_ms {
                c.delivery_timeout_ms = x;
            }
        }
        if let Some(x) = self.brokers {
            s.cluster.brokers = x;
        }
        if let Some(x) = self.replication_factor {
            s.cluster.replication_factor = x;
        }
        if let Some(x) = self.min_isr {
            s.cluster.min_insync_replicas = x;
        }
        if let Some(x) = self.drop_request {
            s.random_faults.drop_request = x;
        }
        if let Some(x) = self.drop_response {
            s.random_faults.drop_response = x;
        }
    }
}

/// The current value of a config key in a scenario (first producer for producer settings).
pub fn config_value(s: &Scenario, key: &str) -> String {
    let p = s.producers.first().map(|p| &p.config);
    match key {
        "acks" => p.map(|c| acks_str(c.acks).to_string()).unwrap_or_default(),
        "max_in_flight" => p.map(|c| c.max_in_flight.to_string()).unwrap_or_default(),
        "retries" => p.map(|c| c.retries.to_string()).unwrap_or_default(),
        "request_timeout_ms" => p
            .map(|c| c.request_timeout_ms.to_string())
            .unwrap_or_default(),
        "delivery_timeout_ms" => p
            .map(|c| c.delivery_timeout_ms.to_string())
            .unwrap_or_default(),
        "brokers" => s.cluster.brokers.to_string(),
        "replication_factor" => s.cluster.replication_factor.to_string(),
        "min_isr" => s.cluster.min_insync_replicas.to_string(),
        "drop_request" => s.random_faults.drop_request.to_string(),
        "drop_response" => s.random_faults.drop_response.to_string(),
        _ => String::new(),
    }
}

/// Embedding options (`?embed=1&controls=…&autoplay=…&t=…&id=…&allow_origins=…`).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedOptions {
    pub embed: bool,
    pub autoplay: Option<bool>,
    pub controls: ControlsMode,
    pub start_ms: Option<u64>,
    pub id: Option<String>,
    pub allow_origins: Vec<String>,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            embed: false,
            autoplay: None,
            controls: ControlsMode::Full,
            start_ms: None,
            id: None,
            allow_origins: Vec::new(),
        }
    }
}

/// What the user chose (and what the URL says).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub preset: String,
    /// A scenario given inline as JSON (`?scenario={…}` URL-encoded) instead of a preset.
    pub custom: Option<Scenario>,
    pub seed: Option<u64>,
    /// Overrides `enable.idempotence` of every producer when set: `Some(None)` = unset (Kafka's
    /// default applies), `Some(Some(b))` = explicitly `b`.
    pub idempotence: Option<Option<bool>>,
    pub speed: f64,
    /// Interventions made in the UI, as scripted faults appended to the scenario's own.
    pub faults: Vec<ScriptedFault>,
    pub config: ConfigOverrides,
    /// Idempotence off and on side by side.
    pub compare: bool,
    pub theme: Theme,
    pub embed: EmbedOptions,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            preset: DEFAULT_PRESET.to_string(),
            custom: None,
            seed: None,
            idempotence: None,
            speed: 1.0,
            faults: Vec::new(),
            config: ConfigOverrides::default(),
            compare: false,
            theme: Theme::Auto,
            embed: EmbedOptions::default(),
        }
    }
}

fn flag(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "1" | "true" | "on" | "yes" | "" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(format!("{key} must be 0 or 1, not “{v}”.")),
    }
}

impl Settings {
    /// Sets the scenario from a preset id or scenario JSON; on error nothing changes.
    pub fn set_scenario(&mut self, value: &str) -> Result<(), String> {
        let value = value.trim();
        if value.starts_with('{') {
            let s = Scenario::from_json(value).map_err(|e| {
                format!(
                    "The scenario JSON in the URL is invalid at {}: {}; showing “{}”.",
                    e.path, e.message, self.preset
                )
            })?;
            self.preset = if s.name.is_empty() {
                "custom".into()
            } else {
                s.name.clone()
            };
            self.custom = Some(s);
            return Ok(());
        }
        if presets::get(value).is_some() {
            self.preset = value.to_string();
            self.custom = None;
            return Ok(());
        }
        let known: Vec<&str> = presets::ids().collect();
        Err(format!(
            "Unknown scenario “{value}”; showing “{}”. Known: {}.",
            self.preset,
            known.join(", ")
        ))
    }

    /// Applies one URL parameter. Unknown keys are ignored; bad values are reported.
    pub fn apply_param(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "scenario" => self.set_scenario(value)?,
            "seed" => match value.parse::<u64>() {
                Ok(n) => self.seed = Some(n),
                Err(_) => return Err(format!("seed must be a whole number ≥ 0, not “{value}”; using the scenario's seed.")),
            },
            "idempotence" => {
                self.idempotence = match value {
                    "on" | "true" | "1" => Some(Some(true)),
                    "off" | "false" | "0" => Some(Some(false)),
                    "unset" | "default" => Some(None),
                    "" | "preset" => None,
                    _ => return Err(format!("idempotence must be on, off or unset, not “{value}”; using the preset's setting.")),
                }
            }
            "speed" => match value.parse::<f64>() {
                Ok(x) if (MIN_SPEED..=MAX_SPEED).contains(&x) => self.speed = x,
                _ => {
                    return Err(format!(
                        "speed must be a number from {MIN_SPEED} to {MAX_SPEED}, not “{value}”; using 1×."
                    ))
                }
            },
            "faults" => match serde_json::from_str::<Vec<ScriptedFault>>(value) {
                Ok(f) => self.faults = f,
                Err(e) => return Err(format!("faults must be a JSON list of scripted faults ({e}); ignoring them.")),
            },
            "compare" => self.compare = flag(key, value).map_err(|e| format!("{e} Not comparing."))?,
            "theme" => match Theme::parse(value) {
                Some(t) => self.theme = t,
                None => return Err(format!("theme must be auto, light or dark, not “{value}”; using auto.")),
            },
            "embed" => self.embed.embed = flag(key, value)?,
            "autoplay" => self.embed.autoplay = Some(flag(key, value)?),
            "controls" => {
                self.embed.controls = match value {
                    "full" => ControlsMode::Full,
                    "minimal" => ControlsMode::Minimal,
                    "none" => ControlsMode::None,
                    _ => return Err(format!("controls must be full, minimal or none, not “{value}”; showing full controls.")),
                }
            }
            "t" => match value.parse::<u64>() {
                Ok(t) => self.embed.start_ms = Some(t),
                Err(_) => return Err(format!("t must be a time in ms ≥ 0, not “{value}”; starting at 0.")),
            },
            "id" => self.embed.id = Some(value.to_string()),
            "allow_origins" => {
                self.embed.allow_origins = value
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect()
            }
            _ => {
                self.config.set(key, value)?;
            }
        }
        Ok(())
    }

    /// Parses the query string. Bad parameters are reported and ignored; unknown ones are
    /// ignored silently.
    pub fn from_query(query: &str) -> (Settings, Vec<String>) {
        let mut s = Settings::default();
        let mut errors = Vec::new();
        for (key, value) in url::pairs(query) {
            if let Err(e) = s.apply_param(&key, &value) {
                errors.push(e);
            }
        }
        (s, errors)
    }

    /// The query string that reproduces these settings (only what differs from the defaults).
    pub fn to_query(&self) -> String {
        let scenario = match &self.custom {
            Some(s) => url::encode(&serde_json::to_string(s).unwrap_or_default()),
            None => self.preset.clone(),
        };
        let mut parts = vec![format!("scenario={scenario}")];
        let e = &self.embed;
        if e.embed {
            parts.push("embed=1".into());
        }
        if let Some(seed) = self.seed {
            parts.push(format!("seed={seed}"));
        }
        match self.idempotence {
            Some(Some(on)) => parts.push(format!("idempotence={}", if on { "on" } else { "off" })),
            Some(None) => parts.push("idempotence=unset".into()),
            None => {}
        }
        for key in CONFIG_KEYS {
            if let Some(v) = self.config.get(key) {
                parts.push(format!("{key}={}", url::encode(&v)));
            }
        }
        if self.compare {
            parts.push("compare=1".into());
        }
        if self.speed != 1.0 {
            parts.push(format!("speed={}", self.speed));
        }
        if self.theme != Theme::Auto {
            parts.push(format!("theme={}", self.theme.as_str()));
        }
        if let Some(a) = e.autoplay {
            parts.push(format!("autoplay={}", u8::from(a)));
        }
        match e.controls {
            ControlsMode::Full => {}
            ControlsMode::Minimal => parts.push("controls=minimal".into()),
            ControlsMode::None => parts.push("controls=none".into()),
        }
        if let Some(id) = &e.id {
            parts.push(format!("id={}", url::encode(id)));
        }
        if !e.allow_origins.is_empty() {
            parts.push(format!(
                "allow_origins={}",
                url::encode(&e.allow_origins.join(","))
            ));
        }
        if !self.faults.is_empty() {
            parts.push(format!(
                "faults={}",
                url::encode(&serde_json::to_string(&self.faults).unwrap_or_default())
            ));
        }
        format!("?{}", parts.join("&"))
    }

    /// The scenario to run: the preset (or inline scenario) with every override and
    /// intervention applied. Not validated here: `Simulation::new` does that.
    pub fn scenario(&self) -> Result<Scenario, String> {
        self.scenario_with(self.idempotence)
    }

    /// `scenario()` with a given idempotence override (compare mode builds both sides).
    pub fn scenario_with(&self, idempotence: Option<Option<bool>>) -> Result<Scenario, String> {
        let mut scenario = match &self.custom {
            Some(s) => s.clone(),
            None => presets::get(&self.preset)
                .ok_or_else(|| format!("unknown scenario “{}”", self.preset))?,
        };
        if let Some(seed) = self.seed {
            scenario.seed = seed;
        }
        if let Some(on) = idempotence {
            for p in &mut scenario.producers {
                p.config.enable_idempotence = on;
            }
        }
        self.config.apply(&mut scenario);
        scenario.faults.extend(self.faults.iter().cloned());
        Ok(scenario)
    }
}

/// Something the user does to the running system from the stage.
#[derive(Debug, Clone, PartialEq)]
pub enum Intervention {
    CrashBroker {
        broker: u32,
        clean: bool,
    },
    RestartProducer {
        producer: u32,
    },
    CutLink {
        producer: u32,
        broker: u32,
    },
    /// Drop the produce request (or its response) with this request id, as seen in the
    /// primary run's events.
    DropMessage {
        request: u64,
        response: bool,
    },
}

/// The scripted fault that drops request `request` (or its response), matched by the
/// producer, partition, n-th batch and attempt of its first batch, so it matches the same
/// message on replay, with idempotence on or off. `None` if the request is unknown or was
/// sent by the injector.
pub fn drop_fault(events: &[Event], request: u64, response: bool) -> Option<ScriptedFault> {
    let first = events.iter().find_map(|e| match &e.kind {
        EventKind::RequestSent {
            request: r,
            batches,
            ..
        } if *r == request => batches.first().cloned(),
        _ => None,
    })?;
    let producer = first.producer?;
    // Batches are created, and first sent, in order per producer and partition, and batch ids
    // grow with creation: the batch's rank among the ids sent so far is its n-th.
    let mut ids: Vec<u64> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RequestSent { batches, .. } => Some(batches),
            _ => None,
        })
        .flatten()
        .filter(|b| b.producer == Some(producer) && b.partition == first.partition)
        .map(|b| b.batch_id)
        .filter(|&id| id <= first.batch_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let nth = ids.iter().position(|&id| id == first.batch_id)? as u32;
    let matcher = BatchMatcher {
        producer: Some(producer),
        partition: Some(first.partition),
        batch: Some(nth),
        base_sequence: None,
        attempt: Some(first.attempt),
    };
    Some(if response {
        ScriptedFault {
            when: Trigger::Response(matcher),
            fault: Fault::DropResponse,
        }
    } else {
        ScriptedFault {
            when: Trigger::Request(matcher),
            fault: Fault::DropRequest,
        }
    })
}

/// The scripted fault for an intervention at simulated time `now_ms`.
pub fn intervention_fault(
    i: &Intervention,
    events: &[Event],
    now_ms: u64,
) -> Option<ScriptedFault> {
    let at = |fault| ScriptedFault {
        when: Trigger::AtMs(now_ms),
        fault,
    };
    Some(match *i {
        Intervention::CrashBroker { broker, clean } => at(Fault::CrashBroker {
            broker,
            clean,
            down_ms: CRASH_DOWN_MS,
        }),
        Intervention::RestartProducer { producer } => at(Fault::RestartProducer {
            producer,
            down_ms: PRODUCER_DOWN_MS,
        }),
        Intervention::CutLink { producer, broker } => at(Fault::CutLink {
            producer,
            broker,
            duration_ms: CUT_LINK_MS,
        }),
        Intervention::DropMessage { request, response } => {
            return drop_fault(events, request, response)
        }
    })
}

/// One line comparing the "off" and "on" runs: `off: 5 duplicates, 0 reorderings; on: none`.
pub fn compare_summary(off: &Counters, on: &Counters) -> String {
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
    format!("off: {}; on: {}", side(off), side(on))
}

#[derive(Debug, Clone)]
pub struct State {
    pub settings: Settings,
    pub scenario: Option<Scenario>,
    pub sim: Option<Simulation>,
    /// Compare mode: the idempotent run (`sim` is then the non-idempotent one), same clock.
    pub twin: Option<Simulation>,
    /// The scenario as configured, even when it does not validate (for the config panel).
    pub draft: Option<Scenario>,
    /// Why the scenario could not be built (shown instead of the stage).
    pub error: Option<String>,
    /// Problems with the URL parameters or host commands (shown as a dismissable notice).
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
    TogglePlay,
    Play,
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
    SetTheme(Theme),
    DismissNotices,
    /// Apply one settings parameter (URL key and value), e.g. from the config panel.
    SetParam(String, String),
    /// Clear every configuration override.
    ResetConfig,
    SetCompare(bool),
    Intervene(Intervention),
    /// Remove every intervention.
    ClearInterventions,
    /// A host page asked to load a scenario (preset id or JSON) with an optional seed.
    Load(String, Option<u64>),
}

impl State {
    /// The initial state for a URL query string.
    pub fn from_query(query: &str) -> State {
        let (settings, notices) = Settings::from_query(query);
        let mut state = State {
            settings,
            scenario: None,
            sim: None,
            twin: None,
            draft: None,
            error: None,
            notices,
            playing: false,
            clock_ms: 0.0,
            rate: 0.01,
            end_ms: 0,
            total_events: 0,
            hidden_categories: Vec::new(),
            show_help: false,
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
        state.playing = state.sim.is_some() && autoplay && !state.finished();
        state
    }

    /// The URL query for the page: the settings, plus, while paused mid-run, the moment shown
    /// (`t`, and `autoplay=0` unless set), so a reload or a copied link shows the same view.
    pub fn url_query(&self) -> String {
        let mut q = self.settings.to_query();
        let t = self.clock_ms.floor() as u64;
        if !self.playing && !self.finished() && t > 0 && self.sim.is_some() {
            q.push_str(&format!("&t={t}"));
            if self.settings.embed.autoplay.is_none() {
                q.push_str("&autoplay=0");
            }
        }
        q
    }

    pub fn theme(&self) -> Theme {
        self.settings.theme
    }

    fn build(&self, idempotence: Option<Option<bool>>) -> Result<(Scenario, Simulation), String> {
        let s = self.settings.scenario_with(idempotence)?;
        let sim = Simulation::new(s.clone()).map_err(|e| {
            if e.message.starts_with("ConfigException") {
                format!("{} (at {})", e.message, e.path)
            } else {
                format!("the scenario is invalid at {}: {}", e.path, e.message)
            }
        })?;
        Ok((s, sim))
    }

    /// Rebuilds the simulation(s) from the settings, at time 0, and measures the whole run.
    fn rebuild(&mut self) {
        self.clock_ms = 0.0;
        self.seek_generation += 1;
        self.draft = self.settings.scenario().ok();
        let lanes = if self.settings.compare {
            vec![Some(Some(false)), Some(Some(true))]
        } else {
            vec![self.settings.idempotence]
        };
        let built: Result<Vec<(Scenario, Simulation)>, String> =
            lanes.into_iter().map(|i| self.build(i)).collect();
        match built {
            Ok(mut runs) => {
                let mut compressed = 0u64;
                let mut end = 0;
                let mut total = 0;
                for (_, sim) in &runs {
                    let mut full = sim.clone();
                    full.run_to_end();
                    end = end.max(full.now_ms());
                    if total == 0 {
                        total = full.events().len() as u64;
                    }
                    let mut c = 0u64;
                    let mut last = 0u64;
                    for e in full.events() {
                        c += (e.time_ms - last).min(IDLE_GAP_MS);
                        last = e.time_ms;
                    }
                    compressed = compressed.max(c);
                }
                self.end_ms = end;
                self.total_events = total;
                self.rate = (compressed.max(20) as f64) / TARGET_RUN_MS;
                self.twin = if runs.len() > 1 {
                    runs.pop().map(|(_, s)| s)
                } else {
                    None
                };
                let (scenario, sim) = runs.pop().expect("one lane at least");
                self.scenario = Some(scenario);
                self.sim = Some(sim);
                self.error = None;
            }
            Err(e) => {
                self.scenario = None;
                self.sim = None;
                self.twin = None;
                self.error = Some(e);
                self.playing = false;
            }
        }
    }

    /// Rebuilds and replays to the current clock (after an intervention or config change that
    /// should keep the viewer's place).
    fn rebuild_keep_time(&mut self) {
        let clock = self.clock_ms;
        let playing = self.playing;
        self.rebuild();
        if self.sim.is_some() {
            self.seek_time(clock.floor() as u64);
            self.clock_ms = clock.min(self.end_ms as f64).max(self.clock_ms);
            self.playing = playing && !self.finished();
        }
    }

    pub fn finished(&self) -> bool {
        self.sim.as_ref().is_some_and(|s| s.finished().is_some())
            && self.twin.as_ref().is_none_or(|s| s.finished().is_some())
    }

    pub fn event_count(&self) -> u64 {
        self.sim.as_ref().map_or(0, |s| s.events().len() as u64)
    }

    /// Whether the producers run idempotent (the toggle's state).
    pub fn idempotent(&self) -> bool {
        if let Some(Some(on)) = self.settings.idempotence {
            return on;
        }
        self.sim
            .as_ref()
            .and_then(|s| s.snapshot().producers.first().map(|p| p.idempotent))
            .unwrap_or(true)
    }

    fn sims_mut(&mut self) -> impl Iterator<Item = &mut Simulation> {
        self.sim.iter_mut().chain(self.twin.iter_mut())
    }

    /// The next scheduled time of any run still going (both sides in compare mode).
    fn next_moment_ms(&self) -> Option<u64> {
        self.sim
            .iter()
            .chain(self.twin.iter())
            .filter(|s| s.finished().is_none())
            .filter_map(|s| s.next_time_ms())
            .min()
    }

    fn tick(&mut self, real_ms: f64) {
        if self.sim.is_none() || self.finished() {
            self.playing = false;
            return;
        }
        let mut target = self.clock_ms + real_ms.max(0.0) * self.rate * self.settings.speed;
        // Skip long idle stretches (backoffs, timeouts): nothing moves in them.
        let next = self.next_moment_ms();
        if let Some(next) = next {
            let next = next as f64;
            if next - self.clock_ms > IDLE_GAP_MS as f64 && target < next - IDLE_GAP_MS as f64 / 2.0
            {
                target = next - IDLE_GAP_MS as f64 / 2.0;
            }
        }
        for sim in self.sims_mut() {
            sim.run_until(target.floor() as u64);
        }
        if self.finished() {
            self.playing = false;
            self.clock_ms = self.sims_mut().map(|s| s.now_ms()).max().unwrap_or(0) as f64;
        } else {
            let now = self.sims_mut().map(|s| s.now_ms()).max().unwrap_or(0) as f64;
            self.clock_ms = target.max(now);
        }
    }

    /// Runs the twin (if any) to the primary's clock, rebuilding it when it is ahead.
    fn sync_twin(&mut self) {
        let t = self.clock_ms.floor() as u64;
        if let Some(twin) = self.twin.as_mut() {
            if twin.now_ms() > t {
                if let Ok(fresh) = Simulation::new(twin.scenario().clone()) {
                    *twin = fresh;
                }
            }
            twin.run_until(t);
        }
    }

    /// A fresh simulation stepped until it holds at least `events` events.
    fn seek_events(&mut self, events: u64) {
        self.seek_generation += 1;
        let Some(scenario) = self.scenario.clone() else {
            return;
        };
        let Ok(mut sim) = Simulation::new(scenario) else {
            return;
        };
        while (sim.events().len() as u64) < events && sim.step() {}
        self.clock_ms = sim.now_ms() as f64;
        self.sim = Some(sim);
        self.sync_twin();
    }

    fn seek_time(&mut self, t: u64) {
        self.seek_generation += 1;
        let behind = self
            .sim
            .iter()
            .chain(self.twin.iter())
            .any(|sim| sim.now_ms() > t);
        if behind {
            self.seek_events(0);
        }
        for sim in self.sims_mut() {
            sim.run_until(t);
        }
        self.clock_ms = if self.finished() {
            self.sims_mut().map(|s| s.now_ms()).max().unwrap_or(0) as f64
        } else {
            t as f64
        };
    }

    fn step_forward(&mut self) {
        self.seek_generation += 1;
        if self.twin.is_some() {
            // Both runs share one clock: advance to the next moment either has work.
            let next = self.next_moment_ms();
            if let Some(next) = next {
                let t = next.max(self.clock_ms.floor() as u64);
                for sim in self.sims_mut() {
                    sim.run_until(t);
                }
                self.clock_ms = t as f64;
            }
            return;
        }
        if let Some(sim) = self.sim.as_mut() {
            let before = sim.events().len();
            while sim.events().len() == before && sim.step() {}
            self.clock_ms = sim.now_ms() as f64;
        }
    }

    fn step_back(&mut self) {
        self.seek_generation += 1;
        if self.twin.is_some() {
            let now = self.clock_ms.floor() as u64;
            let prev = self
                .sim
                .iter()
                .chain(self.twin.iter())
                .flat_map(|s| s.events().iter().map(|e| e.time_ms))
                .filter(|&t| t < now)
                .max()
                .unwrap_or(0);
            self.seek_time(prev);
            return;
        }
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

    fn intervene(&mut self, i: &Intervention) {
        let Some(sim) = self.sim.as_ref() else {
            return;
        };
        let Some(fault) = intervention_fault(i, sim.events(), sim.now_ms()) else {
            self.notices
                .push("That message cannot be dropped (it was not sent by a producer).".into());
            return;
        };
        self.settings.faults.push(fault);
        self.rebuild_keep_time();
        if let Some(e) = self.error.take() {
            // The intervention made the scenario invalid: undo it and say why.
            self.settings.faults.pop();
            self.notices.push(format!("Cannot do that: {e}"));
            self.rebuild_keep_time();
        }
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
            Action::Play => {
                if s.playing || s.sim.is_none() {
                    return self;
                }
                if s.finished() {
                    s.rebuild();
                }
                s.playing = true;
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
                s.settings.idempotence = Some(Some(on));
                s.rebuild();
                s.playing = s.sim.is_some();
            }
            Action::SetPreset(id) => {
                s.settings.preset = id;
                s.settings.custom = None;
                s.settings.seed = None;
                s.settings.idempotence = None;
                s.settings.faults.clear();
                s.rebuild();
                s.playing = s.sim.is_some();
            }
            Action::Load(scenario, seed) => {
                match s.settings.set_scenario(&scenario) {
                    Ok(()) => {
                        s.settings.seed = seed;
                        s.settings.idempotence = None;
                        s.settings.faults.clear();
                    }
                    Err(e) => s.notices.push(e),
                }
                let autoplay = s.settings.embed.autoplay.unwrap_or(!s.settings.embed.embed);
                s.rebuild();
                s.playing = s.sim.is_some() && autoplay;
            }
            Action::SetSpeed(x) => s.settings.speed = x.clamp(MIN_SPEED, MAX_SPEED),
            Action::StepForward => {
                s.playing = false;
                s.step_forward();
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
                s.seek_time(t);
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
                s.settings.theme = match s.settings.theme {
                    Theme::Auto => Theme::Light,
                    Theme::Light => Theme::Dark,
                    Theme::Dark => Theme::Auto,
                }
            }
            Action::SetTheme(t) => s.settings.theme = t,
            Action::DismissNotices => s.notices.clear(),
            Action::SetParam(key, value) => {
                if let Err(e) = s.settings.apply_param(&key, &value) {
                    s.notices.push(e);
                }
                s.rebuild();
                s.playing = false;
            }
            Action::ResetConfig => {
                s.settings.config = ConfigOverrides::default();
                s.settings.idempotence = None;
                s.rebuild();
                s.playing = false;
            }
            Action::SetCompare(on) => {
                s.settings.compare = on;
                s.rebuild();
                s.playing = s.sim.is_some();
            }
            Action::Intervene(i) => s.intervene(&i),
            Action::ClearInterventions => {
                s.settings.faults.clear();
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
    #[test]
    fn config_overrides_round_trip_through_the_url() {
        let q = "?scenario=lost-ack&idempotence=unset&acks=1&max_in_flight=3&retries=2&request_timeout_ms=500&delivery_timeout_ms=2000&brokers=3&replication_factor=3&min_isr=2&drop_request=0.1&drop_response=0.25";
        let (s, errors) = Settings::from_query(q);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.idempotence, Some(None));
        assert_eq!(s.config.acks, Some(Acks::Leader));
        assert_eq!(s.config.drop_response, Some(0.25));
        assert_eq!(s.to_query(), q);
        let sc = s.scenario().unwrap();
        assert_eq!(sc.cluster.brokers, 3);
        assert_eq!(sc.producers[0].config.max_in_flight, 3);
        assert_eq!(sc.random_faults.drop_request, 0.1);
    }

    #[test]
    fn bad_config_values_are_reported() {
        let (_, errors) = Settings::from_query("?acks=2&retries=-1&drop_request=3");
        assert_eq!(errors.len(), 3);
    }

    #[test]
    fn kafka_config_exception_is_shown_instead_of_running() {
        let s = State::from_query("?idempotence=on&acks=1");
        assert!(s.sim.is_none());
        assert!(!s.playing);
        let e = s.error.clone().unwrap();
        assert!(e.starts_with("ConfigException"), "{e}");
        assert!(e.contains("acks"), "{e}");
        // Fixing it runs again.
        let s = reduce(Rc::new(s), Action::SetParam("acks".into(), "all".into()));
        assert!(s.sim.is_some());
        assert!(s.error.is_none());
    }

    #[test]
    fn inline_scenario_json_in_the_url() {
        let json = r#"{"name":"mine","seed":9,"producers":[{"workload":{"messages":3}}]}"#;
        let s = State::from_query(&format!("?scenario={}", crate::url::encode(json)));
        assert!(s.notices.is_empty(), "{:?}", s.notices);
        assert_eq!(s.settings.preset, "mine");
        assert_eq!(s.scenario.as_ref().unwrap().seed, 9);
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
            let snap = s.sim.as_ref().unwrap().snapshot();
            if let Some(m) = snap.messages.iter().find(|m| m.kind == "response") {
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
            .sim
            .as_ref()
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
        let c = a.sim.as_ref().unwrap().counters();
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
        let snap = s.sim.as_ref().unwrap().snapshot();
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
    fn compare_runs_both_sides_on_one_clock() {
        let s = play_to_end(Rc::new(State::from_query("?scenario=lost-ack&compare=1")));
        assert!(s.finished());
        let off = s.sim.as_ref().unwrap().counters();
        let on = s.twin.as_ref().unwrap().counters();
        assert_eq!(off.duplicates_written, 5);
        assert_eq!(on.duplicates_written, 0);
        assert_eq!(
            compare_summary(&off, &on),
            "off: 5 duplicates, 0 reorderings; on: none"
        );
        let back = reduce(s, Action::SeekTime(30));
        assert_eq!(back.sim.as_ref().unwrap().now_ms(), 30);
        assert_eq!(back.twin.as_ref().unwrap().now_ms(), 30);
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
            compare_summary(&c(0, 0, 0), &c(0, 0, 0)),
            "off: none; on: none"
        );
        assert_eq!(
            compare_summary(&c(1, 5, 0), &c(0, 0, 2)),
            "off: 1 duplicate, 5 reorderings; on: 0 duplicates, 0 reorderings, 2 lost after ack"
        );
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
        assert_eq!(s.scenario.as_ref().unwrap().seed, 3);
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
