//! What the user chose, and the URL that says it: the preset or inline scenario, seed,
//! idempotence switch, configuration overrides, interventions (as scripted faults), speed,
//! theme and embed options. Parsing reports what is wrong with each parameter and keeps going.

use idempotence_sim::fault::ScriptedFault;
use idempotence_sim::{presets, Scenario};

use crate::url;

/// The preset shown when the URL names none.
pub const DEFAULT_PRESET: &str = "lost-ack";
pub const MIN_SPEED: f64 = 0.25;
pub const MAX_SPEED: f64 = 16.0;
/// The speeds the speed control offers.
pub const SPEEDS: &[f64] = &[0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

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
    /// The theme the theme button turns to: auto, light, dark, and round again.
    pub fn next(self) -> Theme {
        match self {
            Theme::Auto => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Auto,
        }
    }

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

pub use crate::config_fields::ConfigOverrides;

/// The current value of a config key in a scenario (first producer for producer settings).
pub fn config_value(s: &Scenario, key: &str) -> String {
    crate::config_fields::ConfigField::by_key(key).map_or_else(String::new, |(_, f)| f.text_in(s))
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
    /// Releases to compare with (`vs_client_version`, `vs_broker_version`): the run as set
    /// beside the same run on these releases, same seed and faults.
    pub versus: ConfigOverrides,
    /// Guided mode: playing stops at each of the story's key beats until the reader continues.
    pub guided: bool,
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
            versus: ConfigOverrides::default(),
            guided: false,
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
            "vs_client_version" | "vs_broker_version" => {
                let field = &key["vs_".len()..];
                self.versus
                    .set(field, value)
                    .map_err(|e| format!("{e} Not comparing releases."))?;
                // One comparison at a time: releases replace idempotence off/on.
                if self.comparing_releases() {
                    self.compare = false;
                }
            }
            "theme" => match Theme::parse(value) {
                Some(t) => self.theme = t,
                None => return Err(format!("theme must be auto, light or dark, not “{value}”; using auto.")),
            },
            "embed" => self.embed.embed = flag(key, value)?,
            "autoplay" => self.embed.autoplay = Some(flag(key, value)?),
            "guided" => self.guided = flag(key, value)?,
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
        if s.compare && s.comparing_releases() {
            s.compare = false;
            errors.push(
                "compare=1 and vs_… ask for two comparisons: comparing the releases.".to_string(),
            );
        }
        if s.compare && s.transactional() {
            s.compare = false;
            errors.push(format!(
                "compare=1 is not offered for “{}”: {NO_COMPARE}",
                s.preset
            ));
        }
        (s, errors)
    }

    /// Whether the scenario's producers use transactions (then there is no run without
    /// idempotence to compare with: Kafka refuses a transactional.id without it).
    pub fn transactional(&self) -> bool {
        let scenario = match &self.custom {
            Some(s) => Some(s.clone()),
            None => presets::get(&self.preset),
        };
        scenario.is_some_and(|s| {
            s.producers
                .iter()
                .any(|p| p.config.transactional_id.is_some())
        })
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
        for (key, v) in self.config.entries() {
            parts.push(format!("{key}={}", url::encode(&v)));
        }
        if self.compare {
            parts.push("compare=1".into());
        }
        for (key, v) in self.versus.entries() {
            parts.push(format!("vs_{key}={}", url::encode(&v)));
        }
        if self.guided {
            parts.push("guided=1".into());
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

    /// Whether the run is shown beside the same run on other releases.
    pub fn comparing_releases(&self) -> bool {
        !self.versus.is_empty()
    }

    /// The scenario of the second lane when comparing releases: the first lane's, on the
    /// releases named by `vs_…` (its story is the first lane's, so it tells none).
    pub fn versus_scenario(&self) -> Result<Scenario, String> {
        let mut scenario = self.scenario()?;
        self.versus.apply(&mut scenario);
        scenario.beats.clear();
        Ok(scenario)
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
        let written_for = preset_idempotence(&scenario);
        if let Some(on) = idempotence {
            for p in &mut scenario.producers {
                p.config.enable_idempotence = on;
            }
        }
        self.config.apply(&mut scenario);
        scenario.faults.extend(self.faults.iter().cloned());
        if self.custom.is_none() {
            scenario.beats = match self.story_change(idempotence, &scenario, written_for) {
                StoryChange::None => scenario.beats,
                // Idempotence flipped (explicitly or by another setting): the run tells its
                // twin's story (lost-ack ⇄ lost-ack-no-idempotence), or none rather than a
                // wrong one.
                StoryChange::Idempotence { .. } => twin_preset(&self.preset)
                    .filter(|_| self.config.is_empty() && self.faults.is_empty())
                    .map(|t| t.beats)
                    .unwrap_or_default(),
                StoryChange::Changed => Vec::new(),
            };
        }
        Ok(scenario)
    }

    /// How the run differs from the preset's story: not at all, by its effective
    /// `enable.idempotence`, or by other settings or interventions.
    pub fn story_change(
        &self,
        idempotence: Option<Option<bool>>,
        scenario: &Scenario,
        written_for: bool,
    ) -> StoryChange {
        let effective = effective_idempotence(scenario);
        if effective.0 != written_for {
            return StoryChange::Idempotence {
                on: effective.0,
                because: effective.1,
                explicit: matches!(idempotence, Some(Some(_))),
            };
        }
        if !self.config.is_empty() || !self.faults.is_empty() {
            return StoryChange::Changed;
        }
        StoryChange::None
    }
}

/// Why compare mode is not offered for transactional scenarios.
pub const NO_COMPARE: &str =
    "its producers are transactional, and Kafka refuses a transactional.id \
    without idempotence, so there is no run without it to compare. The consumers panel compares \
    read_committed with read_uncommitted instead.";

/// How a run differs from the story its preset tells.
#[derive(Debug, Clone, PartialEq)]
pub enum StoryChange {
    None,
    /// The producers' effective `enable.idempotence` is not the one the preset was written for;
    /// `because` says why when another setting switched it off implicitly.
    Idempotence {
        on: bool,
        because: Option<String>,
        explicit: bool,
    },
    /// Other settings or interventions change the run.
    Changed,
}

/// Kafka's effective `enable.idempotence` of a scenario's first producer, and why it is off
/// when another setting or the client's release switched it off implicitly (the core's
/// `ProducerConfig::validate_for`).
pub fn effective_idempotence(scenario: &Scenario) -> (bool, Option<String>) {
    scenario
        .producers
        .first()
        .and_then(|p| p.config.validate_for(p.client()).ok())
        .map_or((true, None), |e| {
            (e.idempotent, e.idempotence_disabled_because)
        })
}

/// The `enable.idempotence` a preset was written for (Kafka's effective setting).
pub fn preset_idempotence(preset: &Scenario) -> bool {
    effective_idempotence(preset).0
}

/// The preset that tells `preset`'s story with idempotence flipped, if there is one (the
/// core finds it: `presets::twin`).
pub fn twin_preset(preset: &str) -> Option<Scenario> {
    presets::twin(preset).and_then(presets::get)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_fields::FieldValue;
    use idempotence_sim::config::Acks;

    #[test]
    fn compare_is_refused_for_transactions_with_the_reason() {
        let (s, errors) = Settings::from_query("?scenario=zombie-fencing&compare=1");
        assert!(!s.compare);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("read_committed with read_uncommitted"),
            "{errors:?}"
        );
        let (s, errors) = Settings::from_query("?scenario=lost-ack&compare=1");
        assert!(s.compare && errors.is_empty());
    }

    #[test]
    fn a_flipped_preset_tells_its_twins_story_or_none() {
        let (s, _) = Settings::from_query("?scenario=lost-ack&idempotence=off");
        let twin = presets::get("lost-ack-no-idempotence").unwrap();
        assert_eq!(s.scenario().unwrap().beats, twin.beats);
        // Twins are found by comparing scenarios, not names: pipelined-retry with idempotence
        // off is reorder-no-idempotence, and tells its story.
        let (s, _) = Settings::from_query("?scenario=pipelined-retry&idempotence=off");
        let twin = presets::get("reorder-no-idempotence").unwrap();
        assert_eq!(s.scenario().unwrap().beats, twin.beats);
        let (s, _) = Settings::from_query("?scenario=reorder-no-idempotence&idempotence=on");
        let twin = presets::get("pipelined-retry").unwrap();
        assert_eq!(s.scenario().unwrap().beats, twin.beats);
        let (s, _) = Settings::from_query("?scenario=happy-path&idempotence=off");
        assert!(s.scenario().unwrap().beats.is_empty(), "no twin: no story");
        let (s, _) = Settings::from_query("?scenario=lost-ack&idempotence=on");
        assert_eq!(
            s.scenario().unwrap().beats,
            presets::get("lost-ack").unwrap().beats
        );
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
    fn config_overrides_round_trip_through_the_url() {
        let q = "?scenario=lost-ack&idempotence=unset&acks=1&max_in_flight=3&retries=2&request_timeout_ms=500&delivery_timeout_ms=2000&brokers=3&replication_factor=3&min_isr=2&drop_request=0.1&drop_response=0.25";
        let (s, errors) = Settings::from_query(q);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.idempotence, Some(None));
        assert_eq!(s.config.value("acks"), Some(FieldValue::Acks(Acks::Leader)));
        assert_eq!(
            s.config.value("drop_response"),
            Some(FieldValue::Rate(0.25))
        );
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
}
