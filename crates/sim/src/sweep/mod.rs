//! Fault-rate sweeps: one base scenario, run over an x axis (a fault rate, a setting) for each
//! of a few series (idempotence off and on, acks=1 and all, …), many seeds per point, and the
//! mean of each measure with its 95 % interval per point.
//!
//! The work is cut into runs addressed by `(point, seed index)`, each a pure function of the
//! spec, so the CLI spreads them over threads and the browser over Web Workers and both get
//! the same numbers: [`SweepPlan::run`] one run, [`stats::summarise`] a point's runs.

pub mod setting;
pub mod stats;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fault::{Fault, ScriptedFault, Trigger};
use crate::scenario::{parse_object, Scenario};
use crate::types::TimeMs;
use crate::Simulation;
pub use stats::{summarise, Estimate, PointStats, RunMeasures, MEASURES};

/// Most points (series × x values) a sweep may have.
pub const MAX_POINTS: usize = 400;
/// Most seeds per point.
pub const MAX_SEEDS: u32 = 10_000;
/// Most runs in one sweep (points × seeds).
pub const MAX_RUNS: u64 = 1_000_000;
/// Most series, and most x values.
pub const MAX_SERIES: usize = 8;
pub const MAX_X_VALUES: usize = 200;
/// Most messages all the runs of a sweep send together (1,000 per run at the most runs).
pub const MAX_SWEEP_MESSAGES: u64 = 1_000_000_000;
/// Run seeds are cut to the whole numbers a JS number holds exactly (`2^53 - 1`).
pub const JS_SAFE_SEED: u64 = (1 << 53) - 1;
/// Most bytes of a sweep spec (its base scenario included).
pub const MAX_SPEC_BYTES: usize = 1 << 20;

/// A sweep as a user writes it (`idempotence-sim sweep SPEC.json`, `docs/sweep.schema.json`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SweepSpec {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub name: String,
    /// What the chart asks, as its title.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub title: String,
    /// What the sweep shows, in one line (the presets' finding).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub finding: String,
    /// The scenario every run starts from: a preset's name or a scenario object. Its scripted
    /// faults and story are kept; its seed is replaced by each run's.
    #[cfg_attr(feature = "schema", schemars(with = "serde_json::Value"))]
    #[cfg_attr(feature = "ts", ts(type = "string | Record<string, unknown>"))]
    pub base: Value,
    /// Settings applied to the base before the series' and the axis'.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub settings: Vec<Setting>,
    /// What varies along the x axis.
    pub x: Axis,
    /// One line per series; none means one series with no settings of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub series: Vec<Series>,
    /// Runs per point, each with its own seed.
    pub seeds: u32,
    /// The measure a chart shows first (one of `duplicates_written`, `acked_then_lost`,
    /// `reorderings`, `failed`, `latency_p50_ms`, `latency_p99_ms`).
    #[serde(default = "default_measure")]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub measure: String,
    /// The first seed; run `k` of every point uses `explore::run_seed(seed, k)` (cut to 53
    /// bits), so the same seed index meets the same network at every point.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub seed: u64,
}

fn default_measure() -> String {
    MEASURES[0].to_string()
}

/// One change to the scenario: a knob (`drop_response`, `idempotence`, `acks`, …, or
/// `leader_crash_interval_ms`) or a JSON Pointer into the scenario (`/cluster/brokers`), and
/// its value.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Setting {
    pub set: String,
    #[cfg_attr(feature = "schema", schemars(with = "serde_json::Value"))]
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub to: Value,
}

/// The x axis: a knob and its values, listed or as an even range.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Axis {
    pub set: String,
    /// How the chart labels the axis; the knob's name when left out.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub label: String,
    /// The values, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schema", schemars(with = "Vec<serde_json::Value>"))]
    #[cfg_attr(feature = "ts", ts(type = "Array<unknown>", optional))]
    pub values: Vec<Value>,
    /// Or `steps` numbers evenly from `from` to `to`, both included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub range: Option<Range>,
    /// Suggest a logarithmic x scale to charts.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub log: bool,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Range {
    pub from: f64,
    pub to: f64,
    pub steps: u32,
}

/// One line of the chart: a label and the settings that make it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Series {
    pub label: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub settings: Vec<Setting>,
}

/// A sweep spec that was wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepError {
    /// Where in the spec, like `x.values[3]` or `series[1] (idempotence off) at x = 0.05`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error in the sweep at {}: {}", self.path, self.message)
    }
}

impl std::error::Error for SweepError {}

fn err(path: impl Into<String>, message: impl Into<String>) -> SweepError {
    SweepError {
        path: path.into(),
        message: message.into(),
    }
}

/// A point of the sweep: a series at one x value, and the scenario its runs start from.
#[derive(Debug, Clone)]
pub struct Point {
    pub series: usize,
    pub x_index: usize,
    pub x: Value,
    pub scenario: Scenario,
    /// `leader_crash_interval_ms` at this point (0: no crashes).
    pub leader_crash_interval_ms: TimeMs,
}

/// A checked sweep, ready to run: every point's scenario built and validated.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    pub spec: SweepSpec,
    pub series_labels: Vec<String>,
    pub x_values: Vec<Value>,
    /// Series-major: point `s * x_values.len() + i` is series `s` at x value `i`.
    pub points: Vec<Point>,
}

impl SweepSpec {
    /// The JSON Schema of the sweep format (`docs/sweep.schema.json`).
    #[cfg(feature = "schema")]
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(SweepSpec);
        serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
    }

    /// Parses and checks a spec (a JSON object), naming the field of any error.
    pub fn from_json(text: &str) -> Result<SweepSpec, SweepError> {
        parse_object::<SweepSpec>(text, MAX_SPEC_BYTES, "sweep").map_err(|e| err(e.path, e.message))
    }
}

impl SweepPlan {
    /// Builds every point's scenario and checks the whole sweep against its limits.
    pub fn new(spec: SweepSpec) -> Result<SweepPlan, SweepError> {
        if spec.seeds == 0 || spec.seeds > MAX_SEEDS {
            return Err(err(
                "seeds",
                format!(
                    "expected 1 to {MAX_SEEDS} seeds per point, got {}",
                    spec.seeds
                ),
            ));
        }
        if !MEASURES.contains(&spec.measure.as_str()) {
            return Err(err(
                "measure",
                format!(
                    "expected one of {}, got '{}'",
                    MEASURES.join(", "),
                    spec.measure
                ),
            ));
        }
        if spec.series.len() > MAX_SERIES {
            return Err(err(
                "series",
                format!(
                    "expected at most {MAX_SERIES} series, got {}",
                    spec.series.len()
                ),
            ));
        }
        let x_values = x_values(&spec.x)?;
        let series_labels: Vec<String> = if spec.series.is_empty() {
            vec![if spec.name.is_empty() {
                "all runs".into()
            } else {
                spec.name.clone()
            }]
        } else {
            spec.series.iter().map(|s| s.label.clone()).collect()
        };
        let points = series_labels.len() * x_values.len();
        if points > MAX_POINTS {
            return Err(err(
                "x",
                format!("{points} points (series × x values); at most {MAX_POINTS}"),
            ));
        }
        let runs = points as u64 * u64::from(spec.seeds);
        if runs > MAX_RUNS {
            return Err(err(
                "seeds",
                format!("{runs} runs (points × seeds); at most {MAX_RUNS}"),
            ));
        }
        let base = base_document(&spec.base)?;
        let mut plan = SweepPlan {
            spec,
            series_labels,
            x_values,
            points: Vec::with_capacity(points),
        };
        let mut messages: u64 = 0;
        for s in 0..plan.series_labels.len() {
            for i in 0..plan.x_values.len() {
                let point = plan.build_point(&base, s, i)?;
                let per_run: u64 = point
                    .scenario
                    .producers
                    .iter()
                    .map(|p| p.workload.total_messages())
                    .sum();
                messages =
                    messages.saturating_add(per_run.saturating_mul(u64::from(plan.spec.seeds)));
                plan.points.push(point);
            }
        }
        if messages > MAX_SWEEP_MESSAGES {
            return Err(err("seeds", format!("the runs would send {messages} messages in all; at most {MAX_SWEEP_MESSAGES}: fewer seeds, points or messages")));
        }
        Ok(plan)
    }

    fn build_point(
        &self,
        base: &Value,
        series: usize,
        x_index: usize,
    ) -> Result<Point, SweepError> {
        let x = self.x_values[x_index].clone();
        let where_ = match self.spec.series.get(series) {
            Some(s) => format!("series[{series}] ({}) at x = {x}", s.label),
            None => format!("x = {x}"),
        };
        let mut doc = base.clone();
        let mut crash_interval = 0;
        let own: &[Setting] = self.spec.series.get(series).map_or(&[], |s| &s.settings);
        let axis = Setting {
            set: self.spec.x.set.clone(),
            to: x.clone(),
        };
        for (i, setting) in self
            .spec
            .settings
            .iter()
            .chain(own)
            .chain([&axis])
            .enumerate()
        {
            let path = match i {
                i if i < self.spec.settings.len() => format!("settings[{i}]"),
                i if i < self.spec.settings.len() + own.len() => {
                    format!(
                        "{}.settings[{}]",
                        self.series_path(series),
                        i - self.spec.settings.len()
                    )
                }
                _ => format!("x.values[{x_index}]"),
            };
            if let Some(ms) = apply(&mut doc, setting).map_err(|m| err(&path, m))? {
                crash_interval = ms;
            }
        }
        let text = doc.to_string();
        let scenario = Scenario::from_json(&text).map_err(|e| {
            err(
                &where_,
                format!("the scenario is refused at {}: {}", e.path, e.message),
            )
        })?;
        let point = Point {
            series,
            x_index,
            x,
            scenario,
            leader_crash_interval_ms: crash_interval,
        };
        // The crashes are faults too: the first run's scenario must pass as a whole.
        let mut first = point.scenario.clone();
        add_leader_crashes(&mut first, crash_interval);
        first.validate().map_err(|e| {
            err(
                &where_,
                format!(
                    "with its leader crashes, the scenario is refused at {}: {}",
                    e.path, e.message
                ),
            )
        })?;
        Ok(point)
    }

    fn series_path(&self, series: usize) -> String {
        match self.spec.series.get(series) {
            Some(s) => format!("series[{series}] ({})", s.label),
            None => "series".into(),
        }
    }

    /// How many runs the sweep makes.
    pub fn run_count(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.spec.seeds)
    }

    /// The scenario of run `seed_index` of `point`: the point's scenario with the run's seed
    /// and, with `leader_crash_interval_ms`, its crashes. This is the exact run a chart opens.
    pub fn scenario(&self, point: usize, seed_index: u32) -> Scenario {
        let p = &self.points[point];
        let mut scenario = p.scenario.clone();
        // 53 bits, so JavaScript (a chart, a link to the run) carries the seed exactly.
        scenario.seed =
            crate::explore::run_seed(self.spec.seed, u64::from(seed_index)) & JS_SAFE_SEED;
        add_leader_crashes(&mut scenario, p.leader_crash_interval_ms);
        scenario
    }

    /// Runs one run and measures it.
    pub fn run(&self, point: usize, seed_index: u32) -> RunMeasures {
        measure(self.scenario(point, seed_index))
    }
}

/// The x values: listed, or an even range of numbers.
fn x_values(axis: &Axis) -> Result<Vec<Value>, SweepError> {
    let values: Vec<Value> = match (&axis.range, axis.values.is_empty()) {
        (Some(_), false) => return Err(err("x", "give either values or range, not both")),
        (None, true) => {
            return Err(err(
                "x",
                "give the axis values, or a range {from, to, steps}",
            ))
        }
        (None, false) => axis.values.clone(),
        (Some(r), true) => {
            if r.steps < 2
                || r.steps as usize > MAX_X_VALUES
                || !r.from.is_finite()
                || !r.to.is_finite()
            {
                return Err(err(
                    "x.range",
                    format!("expected finite from and to, and 2 to {MAX_X_VALUES} steps"),
                ));
            }
            (0..r.steps)
                .map(|i| {
                    let v = r.from + (r.to - r.from) * f64::from(i) / f64::from(r.steps - 1);
                    // Rounded to 12 significant digits, so 0.1 + 0.2 prints as 0.3.
                    let v: f64 = format!("{v:.12e}").parse().unwrap_or(v);
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
                })
                .collect()
        }
    };
    if values.len() > MAX_X_VALUES {
        return Err(err(
            "x.values",
            format!(
                "expected at most {MAX_X_VALUES} values, got {}",
                values.len()
            ),
        ));
    }
    if setting::pointer_of(&axis.set).is_none() && axis.set != setting::LEADER_CRASH_INTERVAL {
        return Err(unknown_knob("x.set", &axis.set));
    }
    Ok(values)
}

fn unknown_knob(path: &str, knob: &str) -> SweepError {
    let names: Vec<&str> = setting::NAMED.iter().map(|(n, _)| *n).collect();
    err(
        path,
        format!(
            "'{knob}' is neither a knob ({}, {}) nor a JSON Pointer into the scenario (like /cluster/brokers)",
            names.join(", "),
            setting::LEADER_CRASH_INTERVAL
        ),
    )
}

/// The base scenario as JSON: a preset by name, or the object given.
fn base_document(base: &Value) -> Result<Value, SweepError> {
    match base {
        Value::String(name) => {
            let scenario = crate::presets::get(name).ok_or_else(|| {
                err(
                    "base",
                    format!("'{name}' is not a preset (idempotence-sim presets lists them)"),
                )
            })?;
            serde_json::to_value(scenario).map_err(|e| err("base", e.to_string()))
        }
        Value::Object(_) => Ok(base.clone()),
        _ => Err(err("base", "expected a preset's name or a scenario object")),
    }
}

/// Applies one setting to the scenario document. Returns the leader crash interval when the
/// setting is that knob (it becomes faults per run, not a field).
fn apply(doc: &mut Value, setting: &Setting) -> Result<Option<TimeMs>, String> {
    if setting.set == setting::LEADER_CRASH_INTERVAL {
        let ms = setting
            .to
            .as_u64()
            .filter(|&ms| ms == 0 || (1_000..=crate::limits::MAX_DURATION_MS).contains(&ms))
            .ok_or_else(|| {
                format!(
                    "{} expects 0 (no crashes) or 1000 to {} ms, got {}",
                    setting.set,
                    crate::limits::MAX_DURATION_MS,
                    setting.to
                )
            })?;
        return Ok(Some(ms));
    }
    let pointer = setting::pointer_of(&setting.set)
        .ok_or_else(|| unknown_knob("set", &setting.set).message)?;
    setting::set(doc, pointer, &setting.to)?;
    Ok(None)
}

/// An unclean crash of partition 0's leader in every `interval` of the run, at a moment drawn
/// from the run's seed, down for a tenth of the interval (at most 10 s). The faults a scenario
/// may hold bound how many there are.
fn add_leader_crashes(scenario: &mut Scenario, interval: TimeMs) {
    if interval == 0 {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(scenario.seed ^ 0x6c65_6164_6572);
    let down_ms = (interval / 10).clamp(1, 10_000);
    let mut start = 0;
    while start + interval <= scenario.duration_ms
        && scenario.faults.len() < crate::limits::MAX_FAULTS
    {
        let at = start + rng.random_range(0..interval);
        scenario.faults.push(ScriptedFault {
            when: Trigger::AtMs(at),
            fault: Fault::CrashLeader {
                partition: 0,
                clean: false,
                down_ms,
            },
        });
        start += interval;
    }
}

/// Runs a scenario to its end and measures it.
pub fn measure(scenario: Scenario) -> RunMeasures {
    let Ok(mut sim) = Simulation::new(scenario) else {
        return RunMeasures::default();
    };
    sim.keep_events(false);
    sim.run_to_end();
    let counters = sim.counters();
    let mut latencies: Vec<u64> = sim
        .producers
        .iter()
        .flat_map(|p| p.ack_latencies_ms.iter().map(|&l| u64::from(l)))
        .collect();
    RunMeasures {
        duplicates_written: counters.duplicates_written,
        acked_then_lost: counters.lost,
        reorderings: counters.reorderings,
        failed: counters.failed,
        latency_p50_ms: stats::quantile_unsorted(&mut latencies, 0.5),
        latency_p99_ms: stats::quantile_unsorted(&mut latencies, 0.99),
    }
}

/// The sweep presets: `(name, spec JSON)`.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "lost-responses",
        include_str!("../../sweeps/lost-responses.json"),
    ),
    (
        "acks-1-crashes",
        include_str!("../../sweeps/acks-1-crashes.json"),
    ),
    (
        "textbook-rule",
        include_str!("../../sweeps/textbook-rule.json"),
    ),
    (
        "max-in-flight",
        include_str!("../../sweeps/max-in-flight.json"),
    ),
];

/// A sweep preset as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SweepPreset {
    pub name: String,
    pub title: String,
    pub finding: String,
}

/// Every sweep preset with its question and finding.
pub fn preset_list() -> Vec<SweepPreset> {
    PRESETS
        .iter()
        .filter_map(|(name, _)| {
            preset(name).map(|s| SweepPreset {
                name: name.to_string(),
                title: s.title,
                finding: s.finding,
            })
        })
        .collect()
}

/// A sweep preset by name.
pub fn preset(name: &str) -> Option<SweepSpec> {
    let (_, json) = PRESETS.iter().find(|(n, _)| *n == name)?;
    SweepSpec::from_json(json).ok()
}

/// The result of a whole sweep: per series, per x value, the point's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SweepResult {
    pub name: String,
    pub title: String,
    pub finding: String,
    pub x_label: String,
    pub x_log: bool,
    /// The measure a chart shows first.
    pub measure: String,
    pub seeds: u32,
    pub series: Vec<SeriesResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeriesResult {
    pub label: String,
    pub points: Vec<PointResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PointResult {
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub x: Value,
    pub stats: PointStats,
}

impl SweepPlan {
    /// Puts the runs' measures together: `runs[point][seed index]`.
    pub fn result(&self, runs: &[Vec<RunMeasures>]) -> SweepResult {
        let x_count = self.x_values.len();
        let series = self
            .series_labels
            .iter()
            .enumerate()
            .map(|(s, label)| SeriesResult {
                label: label.clone(),
                points: (0..x_count)
                    .map(|i| PointResult {
                        x: self.x_values[i].clone(),
                        stats: summarise(runs.get(s * x_count + i).map_or(&[], |r| r)),
                    })
                    .collect(),
            })
            .collect();
        let x = &self.spec.x;
        SweepResult {
            name: self.spec.name.clone(),
            title: self.spec.title.clone(),
            finding: self.spec.finding.clone(),
            x_label: if x.label.is_empty() {
                x.set.clone()
            } else {
                x.label.clone()
            },
            x_log: x.log,
            measure: self.spec.measure.clone(),
            seeds: self.spec.seeds,
            series,
        }
    }

    /// The same from every run's measures in run order (point-major: run `i` is seed
    /// `i % seeds` of point `i / seeds`), as the CLI's threads and the browser's workers
    /// return them.
    pub fn result_of_runs(&self, measures: &[RunMeasures]) -> SweepResult {
        let runs: Vec<Vec<RunMeasures>> = measures
            .chunks(self.spec.seeds as usize)
            .map(<[_]>::to_vec)
            .collect();
        self.result(&runs)
    }

    /// Runs the whole sweep on this thread (the CLI spreads the same runs over threads).
    pub fn run_all(&self) -> SweepResult {
        let runs: Vec<Vec<RunMeasures>> = (0..self.points.len())
            .map(|p| (0..self.spec.seeds).map(|k| self.run(p, k)).collect())
            .collect();
        self.result(&runs)
    }
}

impl SweepResult {
    /// One row per (series, x): `series,x,runs`, then each measure's mean, lo and hi.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("series,x,runs");
        for m in MEASURES {
            out.push_str(&format!(",{m}_mean,{m}_lo,{m}_hi"));
        }
        out.push_str(",runs_with_anomalies\n");
        for s in &self.series {
            for p in &s.points {
                let x = match &p.x {
                    Value::String(v) => v.clone(),
                    Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), num),
                    v => v.to_string(),
                };
                out.push_str(&format!(
                    "{},{},{}",
                    csv_field(&s.label),
                    csv_field(&x),
                    p.stats.runs
                ));
                for e in p.stats.estimates() {
                    out.push_str(&format!(",{},{},{}", num(e.mean), num(e.lo), num(e.hi)));
                }
                out.push_str(&format!(",{}\n", p.stats.runs_with_anomalies));
            }
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A number for CSV: at most 6 decimals, no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}
