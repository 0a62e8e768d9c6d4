//! Fault-rate sweeps for scripts and Web Workers: a `Sweep` plans the runs of a spec, runs any
//! slice of them (`runRange`, the unit of work a worker takes), and puts the measures of all
//! runs together (`result`). The same spec gives the same numbers here and in the CLI.
//!
//! ```js
//! const sweep = new Sweep("lost-responses");
//! const measures = sweep.runRange(0, sweep.runCount);   // or split over workers
//! const result = sweep.result(measures);                // per series, per x: mean, lo, hi
//! ```

use idempotence_sim::sweep::{self as core, RunMeasures, SweepPlan, SweepSpec, MAX_SPEC_BYTES};
use wasm_bindgen::prelude::*;

use crate::args::{self, whole_arg};
use crate::to_js;

fn sweep_error(e: core::SweepError) -> JsError {
    JsError::new(&e.to_string())
}

/// A planned sweep: every point's scenario built and checked.
#[wasm_bindgen]
pub struct Sweep {
    plan: SweepPlan,
}

#[wasm_bindgen]
impl Sweep {
    /// Plans a sweep from a spec object, its JSON text, or a sweep preset's name.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SweepSpec | string")] spec: JsValue,
    ) -> Result<Sweep, JsError> {
        let spec = spec_from_js(&spec)?;
        Ok(Sweep {
            plan: SweepPlan::new(spec).map_err(sweep_error)?,
        })
    }

    /// Points (series × x values); run `i` belongs to point `floor(i / seeds)`.
    #[wasm_bindgen(getter, js_name = pointCount)]
    pub fn point_count(&self) -> u32 {
        self.plan.points.len() as u32
    }

    /// Runs per point.
    #[wasm_bindgen(getter)]
    pub fn seeds(&self) -> u32 {
        self.plan.spec.seeds
    }

    /// All runs: `pointCount × seeds`.
    #[wasm_bindgen(getter, js_name = runCount)]
    pub fn run_count(&self) -> f64 {
        self.plan.run_count() as f64
    }

    /// The spec as planned.
    #[wasm_bindgen(unchecked_return_type = "SweepSpec")]
    pub fn spec(&self) -> Result<JsValue, JsError> {
        to_js(&self.plan.spec)
    }

    /// Runs `from` (inclusive) to `to` (exclusive) of the runs, in order, and returns their
    /// measures. Runs are numbered point-major: run `i` is seed `i % seeds` of point
    /// `floor(i / seeds)`.
    #[wasm_bindgen(js_name = runRange, unchecked_return_type = "RunMeasures[]")]
    pub fn run_range(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] from: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] to: JsValue,
    ) -> Result<JsValue, JsError> {
        let count = self.plan.run_count();
        let from = whole_arg("from", &from, count)?;
        let to = whole_arg("to", &to, count)?;
        if from > to {
            return Err(JsError::new(&format!(
                "from ({from}) must not be after to ({to})"
            )));
        }
        let seeds = u64::from(self.plan.spec.seeds);
        let measures: Vec<RunMeasures> = (from..to)
            .map(|i| self.plan.run((i / seeds) as usize, (i % seeds) as u32))
            .collect();
        to_js(&measures)
    }

    /// Puts the measures of every run (`runCount` of them, in run order) together: per series,
    /// per x value, each measure's mean and 95 % interval.
    #[wasm_bindgen(unchecked_return_type = "SweepResult")]
    pub fn result(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RunMeasures[]")] measures: JsValue,
    ) -> Result<JsValue, JsError> {
        let all = self.measures_from_js(&measures)?;
        to_js(&self.plan.result_of_runs(&all))
    }

    /// The same as `result`, as CSV text (one row per series and x value).
    #[wasm_bindgen(js_name = resultCsv)]
    pub fn result_csv(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RunMeasures[]")] measures: JsValue,
    ) -> Result<String, JsError> {
        let all = self.measures_from_js(&measures)?;
        Ok(self.plan.result_of_runs(&all).to_csv())
    }

    /// The scenario of one run, to open it in the player: seed `seed` of point `point`.
    #[wasm_bindgen(unchecked_return_type = "Scenario")]
    pub fn scenario(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] point: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] seed: JsValue,
    ) -> Result<JsValue, JsError> {
        let last_point = self.plan.points.len().saturating_sub(1) as u64;
        let point = whole_arg("point", &point, last_point)? as usize;
        let seed = whole_arg("seed", &seed, u64::from(self.plan.spec.seeds - 1))? as u32;
        to_js(&self.plan.scenario(point, seed))
    }
}

impl Sweep {
    fn measures_from_js(&self, value: &JsValue) -> Result<Vec<RunMeasures>, JsError> {
        let expected = self.plan.run_count();
        if !js_sys::Array::is_array(value) {
            return Err(JsError::new(&format!(
                "measures must be an array of {expected} run measures, got {}",
                args::describe(value)
            )));
        }
        let length = js_sys::Array::from(value).length();
        if u64::from(length) != expected {
            return Err(JsError::new(&format!(
                "measures must hold one entry per run, {expected}, got {length}"
            )));
        }
        serde_wasm_bindgen::from_value(value.clone())
            .map_err(|e| JsError::new(&format!("measures are not run measures: {e}")))
    }
}

/// The sweep presets: `[{name, title, finding}]`.
#[wasm_bindgen(js_name = sweepPresets, unchecked_return_type = "SweepPreset[]")]
pub fn sweep_presets() -> Result<JsValue, JsError> {
    to_js(&core::preset_list())
}

fn spec_from_js(value: &JsValue) -> Result<SweepSpec, JsError> {
    let text = match args::sweep_arg("spec", value, MAX_SPEC_BYTES)? {
        args::ScenarioText::Json(text) => text,
        args::ScenarioText::Name(name) => {
            return core::preset(&name).ok_or_else(|| {
                let known: Vec<&str> = core::PRESETS.iter().map(|(n, _)| *n).collect();
                JsError::new(&format!(
                    "unknown sweep preset '{name}'; known: {}",
                    known.join(", ")
                ))
            })
        }
    };
    SweepSpec::from_json(&text).map_err(sweep_error)
}
