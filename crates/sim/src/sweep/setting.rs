//! One change to a scenario, as a sweep axis or a series writes it: a named knob (`drop_response`,
//! `idempotence`, …) or any field of the scenario format by its JSON Pointer (RFC 6901), with
//! `*` standing for every element of an array (`/producers/*/config/acks`).
//!
//! Settings are applied to the scenario as JSON and the result is parsed and checked like any
//! scenario file, so a setting can never build a scenario the format refuses.

use serde_json::Value;

/// The knobs with short names, and the field each one sets.
pub const NAMED: &[(&str, &str)] = &[
    ("drop_request", "/random_faults/drop_request"),
    ("drop_response", "/random_faults/drop_response"),
    ("corrupt_request", "/random_faults/corrupt_request"),
    ("idempotence", "/producers/*/config/enable.idempotence"),
    ("acks", "/producers/*/config/acks"),
    (
        "max_in_flight",
        "/producers/*/config/max.in.flight.requests.per.connection",
    ),
    ("retries", "/producers/*/config/retries"),
    ("client_version", "/producers/*/client_version"),
    ("broker_version", "/cluster/broker_version"),
    ("dedup_rule", "/cluster/dedup_rule"),
    ("messages", "/producers/*/workload/messages"),
];

/// The knob that is not a field: a leader crash every this many milliseconds (0: none), each
/// unclean, at a time drawn from the run's seed within its interval.
pub const LEADER_CRASH_INTERVAL: &str = "leader_crash_interval_ms";

/// The pointer a knob name stands for, or the pointer itself. `None`: neither.
pub fn pointer_of(knob: &str) -> Option<&str> {
    if knob.starts_with('/') {
        return Some(knob);
    }
    NAMED
        .iter()
        .find(|(name, _)| *name == knob)
        .map(|(_, p)| *p)
}

/// Sets `value` at `pointer` in `doc`, creating missing object members on the way; `*`
/// stands for every element of an array. An error names the step that could not be taken.
pub fn set(doc: &mut Value, pointer: &str, value: &Value) -> Result<(), String> {
    let steps: Vec<String> = pointer
        .strip_prefix('/')
        .ok_or_else(|| format!("'{pointer}' is not a JSON Pointer (it must start with '/')"))?
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    set_steps(doc, &steps, value, pointer)
}

fn set_steps(
    doc: &mut Value,
    steps: &[String],
    value: &Value,
    pointer: &str,
) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        *doc = value.clone();
        return Ok(());
    };
    match doc {
        Value::Array(items) if step == "*" => {
            for item in items {
                set_steps(item, rest, value, pointer)?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let index: usize = step
                .parse()
                .map_err(|_| format!("in '{pointer}': '{step}' is not an index of an array"))?;
            let len = items.len();
            let item = items.get_mut(index).ok_or_else(|| {
                format!("in '{pointer}': index {index} is past the end of an array of {len}")
            })?;
            set_steps(item, rest, value, pointer)
        }
        Value::Object(members) => {
            let member = members
                .entry(step.clone())
                .or_insert_with(|| Value::Object(Default::default()));
            set_steps(member, rest, value, pointer)
        }
        Value::Null => {
            *doc = Value::Object(Default::default());
            set_steps(doc, steps, value, pointer)
        }
        _ => Err(format!(
            "in '{pointer}': '{step}' reaches into a value that is neither an object nor an array"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pointer_sets_every_element_under_a_star_and_creates_missing_members() {
        let mut doc = json!({"producers": [{"config": {}}, {}]});
        set(&mut doc, "/producers/*/config/acks", &json!("1")).unwrap();
        set(&mut doc, "/random_faults/drop_response", &json!(0.1)).unwrap();
        assert_eq!(
            doc,
            json!({"producers": [{"config": {"acks": "1"}}, {"config": {"acks": "1"}}],
                   "random_faults": {"drop_response": 0.1}})
        );
        set(
            &mut doc,
            "/producers/1/config/enable.idempotence",
            &json!(false),
        )
        .unwrap();
        assert_eq!(
            doc["producers"][1]["config"]["enable.idempotence"],
            json!(false)
        );
    }

    #[test]
    fn a_bad_pointer_says_which_step_failed() {
        let mut doc = json!({"producers": [{}], "seed": 3});
        let e = set(&mut doc, "/producers/4/config", &json!(1)).unwrap_err();
        assert!(
            e.contains("index 4 is past the end of an array of 1"),
            "{e}"
        );
        let e = set(&mut doc, "/seed/x", &json!(1)).unwrap_err();
        assert!(e.contains("neither an object nor an array"), "{e}");
        let e = set(&mut doc, "seed", &json!(1)).unwrap_err();
        assert!(e.contains("must start with '/'"), "{e}");
        assert_eq!(pointer_of("acks"), Some("/producers/*/config/acks"));
        assert_eq!(pointer_of("nonsense"), None);
    }
}
