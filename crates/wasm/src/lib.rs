//! The JavaScript API of Idempotent Producer Lab, for docs pages and scripts.
//!
//! Every misuse throws a JS `Error` whose message says what is wrong and where; nothing panics.
//!
//! ```js
//! import init, { Lab, presets } from "./idempotence_wasm.js";
//! await init();
//! const lab = Lab.fromPreset("lost-ack");
//! lab.runToEnd();
//! console.log(lab.report().invariants);
//! ```
//!
//! The generated `idempotence_wasm.d.ts` types every object (`Scenario`, `Snapshot`, `Report`,
//! `LabEvent`, `Fault`, ...): their declarations, `src/types.d.ts`, are generated from the Rust
//! types by `idempotence_sim::typescript` and checked by its `typescript` test.

mod args;
mod sweep;

pub use sweep::{sweep_presets, Sweep};

use args::{fault_arg, millis_arg, optional_millis_arg, scenario_arg, string_arg, whole_arg};
use idempotence_sim::{presets as sim_presets, Scenario, Simulation};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .map_err(|e| JsError::new(&format!("cannot convert to JS: {e}")))
}

fn scenario_error(e: idempotence_sim::ScenarioError) -> JsError {
    JsError::new(&format!("invalid scenario at {}: {}", e.path, e.message))
}

fn unknown_preset(id: &str) -> JsError {
    let known: Vec<&str> = sim_presets::ids().collect();
    JsError::new(&format!(
        "unknown preset '{id}'; known presets: {}",
        known.join(", ")
    ))
}

/// Reads a scenario from a JS object, a JSON string, or a preset id.
fn scenario_from_js(value: &JsValue) -> Result<Scenario, JsError> {
    match scenario_arg("scenario", value)? {
        args::ScenarioText::Json(text) => Scenario::from_json(&text).map_err(scenario_error),
        args::ScenarioText::Name(name) => {
            sim_presets::get(&name).ok_or_else(|| unknown_preset(&name))
        }
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("types.d.ts");

/// A running simulation.
#[wasm_bindgen]
pub struct Lab {
    sim: Simulation,
}

#[wasm_bindgen]
impl Lab {
    /// Creates a simulation from a scenario object, JSON text or a preset id.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Scenario | PresetId | string")] scenario: JsValue,
    ) -> Result<Lab, JsError> {
        let scenario = scenario_from_js(&scenario)?;
        Ok(Lab {
            sim: Simulation::new(scenario).map_err(scenario_error)?,
        })
    }

    /// Creates a simulation from a preset, optionally with another seed.
    #[wasm_bindgen(js_name = fromPreset)]
    pub fn from_preset(
        #[wasm_bindgen(unchecked_param_type = "PresetId | string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] seed: Option<JsValue>,
    ) -> Result<Lab, JsError> {
        let id = string_arg("id", &id)?;
        let mut scenario = sim_presets::get(&id).ok_or_else(|| unknown_preset(&id))?;
        if let Some(seed) = optional_millis_arg("seed", seed.as_ref())? {
            scenario.seed = seed;
        }
        Ok(Lab {
            sim: Simulation::new(scenario).map_err(scenario_error)?,
        })
    }

    /// Processes one scheduled action; false once the run has finished.
    pub fn step(&mut self) -> bool {
        self.sim.step()
    }

    /// Runs until simulated time `timeMs` (or the end).
    #[wasm_bindgen(js_name = runUntil)]
    pub fn run_until(
        &mut self,
        #[wasm_bindgen(js_name = "timeMs", unchecked_param_type = "number")] time_ms: JsValue,
    ) -> Result<(), JsError> {
        let t = millis_arg("timeMs", &time_ms)?;
        self.sim.run_until(t);
        Ok(())
    }

    /// Runs to the end.
    #[wasm_bindgen(js_name = runToEnd)]
    pub fn run_to_end(&mut self) {
        self.sim.run_to_end();
    }

    /// Current simulated time in ms.
    #[wasm_bindgen(getter, js_name = nowMs)]
    pub fn now_ms(&self) -> f64 {
        self.sim.now_ms() as f64
    }

    /// Whether the run has ended.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.sim.finished().is_some()
    }

    /// Events from index `from` (default 0) on.
    #[wasm_bindgen(unchecked_return_type = "LabEvent[]")]
    pub fn events(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] from: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let from = usize::try_from(optional_millis_arg("from", from.as_ref())?.unwrap_or(0))
            .unwrap_or(usize::MAX);
        let events = self.sim.events();
        to_js(&events[from.min(events.len())..])
    }

    /// The whole state now.
    #[wasm_bindgen(unchecked_return_type = "Snapshot")]
    pub fn snapshot(&self) -> Result<JsValue, JsError> {
        to_js(&self.sim.snapshot())
    }

    /// Responses, final logs, outcomes, counters and invariants.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn report(&self) -> Result<JsValue, JsError> {
        to_js(&self.sim.report())
    }

    /// The report as JSON text (byte-identical to the native CLI's report).
    #[wasm_bindgen(js_name = reportJson)]
    pub fn report_json(&self) -> Result<String, JsError> {
        serde_json::to_string(&self.sim.report()).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The invariant results now.
    #[wasm_bindgen(unchecked_return_type = "InvariantResult[]")]
    pub fn invariants(&self) -> Result<JsValue, JsError> {
        to_js(&self.sim.check_invariants())
    }

    /// The scenario being run, with every default filled in.
    #[wasm_bindgen(unchecked_return_type = "Scenario")]
    pub fn scenario(&self) -> Result<JsValue, JsError> {
        to_js(self.sim.scenario())
    }

    /// Totals so far (the counters of `report()`, without building the whole report).
    #[wasm_bindgen(unchecked_return_type = "Counters")]
    pub fn counters(&self) -> Result<JsValue, JsError> {
        to_js(&self.sim.counters())
    }

    /// The beats of the scenario's story reached so far, with their words (a docs page can
    /// quote them as the run goes).
    #[wasm_bindgen(unchecked_return_type = "ReachedBeat[]")]
    pub fn beats(&self) -> Result<JsValue, JsError> {
        to_js(&self.sim.report_beats())
    }

    /// Simulated time of the next scheduled action, or `undefined` when nothing is left.
    #[wasm_bindgen(getter, js_name = nextTimeMs)]
    pub fn next_time_ms(&self) -> Option<f64> {
        self.sim.next_time_ms().map(|t| t as f64)
    }

    /// Steps until `n` actions have run or the run ends; returns how many ran.
    #[wasm_bindgen(js_name = stepN)]
    pub fn step_n(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
    ) -> Result<u32, JsError> {
        let n = whole_arg("n", &n, u64::from(u32::MAX))?;
        let mut done = 0u32;
        while u64::from(done) < n && self.sim.step() {
            done += 1;
        }
        Ok(done)
    }

    /// Applies a fault now, e.g. `{type: "crash_broker", broker: 0, down_ms: 500}`.
    pub fn inject(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Fault")] fault: JsValue,
    ) -> Result<(), JsError> {
        let fault = fault_arg("fault", &fault)?;
        self.sim.inject(fault).map_err(scenario_error)
    }
}

/// The presets: `[{id, caption}]`.
#[wasm_bindgen(unchecked_return_type = "Preset[]")]
pub fn presets() -> Result<JsValue, JsError> {
    to_js(&sim_presets::list())
}

/// The version of this package (and of the simulator it wraps).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Runs a scenario (JSON text or preset id) to the end and returns the report as JSON text.
#[wasm_bindgen(js_name = runScenarioJson)]
pub fn run_scenario_json(
    #[wasm_bindgen(unchecked_param_type = "PresetId | string")] scenario: JsValue,
) -> Result<String, JsError> {
    if !scenario.is_string() {
        return Err(JsError::new(&format!(
            "scenario must be a JSON string or a preset id, got {}",
            args::describe(&scenario)
        )));
    }
    let mut lab = Lab::new(scenario)?;
    lab.run_to_end();
    lab.report_json()
}
