//! Checking JS arguments. Every export takes `JsValue`s and checks their JS type here first, so
//! any value a script passes (undefined, a Symbol, a BigInt, a cyclic or absurdly deep object,
//! a Proxy that throws, a 100 MB string) ends as a thrown `Error` that names the argument and
//! what it got, never as a trap that would poison the wasm instance.

use idempotence_sim::limits::MAX_SCENARIO_BYTES;
use idempotence_sim::Fault;
use wasm_bindgen::{JsCast, JsError, JsValue};

/// The largest whole number a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// A fault is a handful of fields; anything longer is not one.
const MAX_FAULT_BYTES: usize = 64 * 1024;

/// What a value is, for error messages: "undefined", "a number (1.5)", "a BigInt", ...
pub(crate) fn describe(value: &JsValue) -> String {
    let kind = value.js_typeof().as_string().unwrap_or_default();
    match kind.as_str() {
        "undefined" => "undefined".into(),
        "object" if value.is_null() => "null".into(),
        "object" if js_sys::Array::is_array(value) => "an array".into(),
        "object" => "an object".into(),
        "number" => format!("a number ({})", value.as_f64().unwrap_or(f64::NAN)),
        "string" => "a string".into(),
        "boolean" => format!("a boolean ({})", value.as_bool().unwrap_or_default()),
        "bigint" => "a BigInt".into(),
        "symbol" => "a Symbol".into(),
        "function" => "a function".into(),
        other => format!("a value of type {other}"),
    }
}

fn wrong(name: &str, expected: &str, got: &JsValue) -> JsError {
    JsError::new(&format!("{name} must be {expected}, got {}", describe(got)))
}

/// A JS string no longer than a scenario may be, copied into Rust only once its length is known.
fn bounded_string(name: &str, value: &JsValue, max_bytes: usize) -> Result<String, JsError> {
    let Some(js) = value.dyn_ref::<js_sys::JsString>() else {
        return Err(wrong(name, "a string", value));
    };
    // A UTF-16 unit becomes 1 to 3 UTF-8 bytes: refuse what cannot fit before copying it.
    if js.length() as usize > max_bytes {
        return Err(JsError::new(&format!(
            "{name} is {} characters long; at most {max_bytes} bytes are accepted",
            js.length()
        )));
    }
    let text: String = js.into();
    if text.len() > max_bytes {
        return Err(JsError::new(&format!(
            "{name} is {} bytes long; at most {max_bytes} are accepted",
            text.len()
        )));
    }
    Ok(text)
}

/// A string argument (a preset id, a JSON document).
pub(crate) fn string_arg(name: &str, value: &JsValue) -> Result<String, JsError> {
    bounded_string(name, value, MAX_SCENARIO_BYTES)
}

/// A finite, non-negative, whole JS number no larger than `max`.
pub(crate) fn whole_arg(name: &str, value: &JsValue, max: u64) -> Result<u64, JsError> {
    let Some(n) = value.as_f64() else {
        return Err(wrong(
            name,
            &format!("a whole number from 0 to {max}"),
            value,
        ));
    };
    let limit = (max as f64).min(MAX_SAFE_INTEGER);
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > limit {
        return Err(JsError::new(&format!(
            "{name} must be a whole number from 0 to {max}, got {n}"
        )));
    }
    // Checked above: 0 <= n <= 2^53 and whole, so the conversion is exact.
    Ok(n as u64)
}

/// A non-negative whole number of milliseconds (or a seed, or an index).
pub(crate) fn millis_arg(name: &str, value: &JsValue) -> Result<u64, JsError> {
    let Some(n) = value.as_f64() else {
        return Err(wrong(
            name,
            "a non-negative whole number of milliseconds",
            value,
        ));
    };
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > MAX_SAFE_INTEGER {
        return Err(JsError::new(&format!(
            "{name} must be a non-negative whole number of milliseconds, got {n}"
        )));
    }
    Ok(n as u64)
}

/// `undefined` and `null` mean "not given".
pub(crate) fn optional_millis_arg(
    name: &str,
    value: Option<&JsValue>,
) -> Result<Option<u64>, JsError> {
    match value {
        None => Ok(None),
        Some(v) if v.is_undefined() || v.is_null() => Ok(None),
        Some(v) => millis_arg(name, v).map(Some),
    }
}

/// A scenario argument: JSON text (an object, or a string starting with `{`) or a preset id.
pub(crate) enum ScenarioText {
    Json(String),
    Name(String),
}

pub(crate) fn scenario_arg(name: &str, value: &JsValue) -> Result<ScenarioText, JsError> {
    document_arg(
        name,
        value,
        MAX_SCENARIO_BYTES,
        "a scenario object, a JSON string or a preset id",
    )
}

/// A JSON document given as text (a string starting with `{`), as an object, or by name.
fn document_arg(
    name: &str,
    value: &JsValue,
    max_bytes: usize,
    expected: &str,
) -> Result<ScenarioText, JsError> {
    if value.is_string() {
        let text = bounded_string(name, value, max_bytes)?;
        return Ok(if text.trim_start().starts_with('{') {
            ScenarioText::Json(text)
        } else {
            ScenarioText::Name(text)
        });
    }
    if value.is_object() && !js_sys::Array::is_array(value) {
        return Ok(ScenarioText::Json(json_of(name, value, max_bytes)?));
    }
    Err(JsError::new(&format!(
        "expected {expected} for {name}, got {}",
        describe(value)
    )))
}

/// A sweep spec argument: an object, its JSON text, or a sweep preset's name.
pub(crate) fn sweep_arg(
    name: &str,
    value: &JsValue,
    max_bytes: usize,
) -> Result<ScenarioText, JsError> {
    document_arg(
        name,
        value,
        max_bytes,
        "a sweep spec object, its JSON text or a sweep preset's name",
    )
}

/// A fault object such as `{type: "crash_broker", broker: 0, down_ms: 500}`.
pub(crate) fn fault_arg(name: &str, value: &JsValue) -> Result<Fault, JsError> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(wrong(
            name,
            "a fault object such as {type: \"crash_broker\", broker: 0, down_ms: 500}",
            value,
        ));
    }
    let text = json_of(name, value, MAX_FAULT_BYTES)?;
    Fault::from_json(&text).map_err(|e| {
        let at = if e.path == "." {
            String::new()
        } else {
            format!(" at {}", e.path)
        };
        JsError::new(&format!("invalid fault{at}: {}", e.message))
    })
}

/// `JSON.stringify` of an object, which throws (and so errs here) for a cyclic object, a
/// BigInt, a getter or Proxy trap that throws, or nesting deeper than the JS stack.
fn json_of(name: &str, value: &JsValue, max_bytes: usize) -> Result<String, JsError> {
    let json = js_sys::JSON::stringify(value).map_err(|e| {
        let why = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| describe(&e));
        JsError::new(&format!("{name} cannot be turned into JSON: {why}"))
    })?;
    bounded_string(name, &json.into(), max_bytes)
}
