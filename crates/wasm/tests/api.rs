//! wasm-bindgen tests of the JS API. They run in Node (default) and in headless Chromium
//! (`WASM_BINDGEN_USE_BROWSER=1`), as `cargo xtask test` does.
#![cfg(target_arch = "wasm32")]

use idempotence_wasm::{presets, run_scenario_json, Lab};
use wasm_bindgen::{JsError, JsValue};
use wasm_bindgen_test::*;

/// The native golden report of `lost-ack`; equality proves wasm and native runs are identical.
const NATIVE_LOST_ACK_REPORT: &str = include_str!("../../sim/tests/golden/lost-ack.report.json");

fn error_message(e: JsValue) -> String {
    js_sys::Error::from(e).message().into()
}

#[wasm_bindgen_test]
fn report_json_is_byte_identical_to_the_native_run() {
    assert_eq!(
        run_scenario_json("lost-ack".into()).unwrap(),
        NATIVE_LOST_ACK_REPORT
    );
}

#[wasm_bindgen_test]
fn beats_are_reached_as_the_run_goes_with_their_words() {
    let mut lab = Lab::from_preset("lost-ack".into(), None).unwrap();
    let count = |lab: &Lab| js_sys::Array::from(&lab.beats().unwrap()).length();
    assert_eq!(count(&lab), 0, "nothing has happened yet");
    lab.run_until(JsValue::from(30.0)).unwrap();
    let mid = count(&lab);
    assert!((1..7).contains(&mid), "some beats by 30 ms, not all: {mid}");
    lab.run_to_end();
    let beats = js_sys::Array::from(&lab.beats().unwrap());
    assert_eq!(beats.length(), 7);
    let last = beats.get(6);
    let text = js_sys::Reflect::get(&last, &"text".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(text.contains("exactly once"), "{text}");
}

#[wasm_bindgen_test]
fn presets_lists_every_preset_with_a_caption() {
    let list = js_sys::Array::from(&presets().unwrap());
    assert_eq!(
        list.length() as usize,
        idempotence_sim::presets::ids().count()
    );
    let first = list.get(0);
    let id = js_sys::Reflect::get(&first, &"id".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(id, "happy-path");
}

#[wasm_bindgen_test]
fn stepping_a_preset_to_the_end_finishes_with_invariants_holding() {
    let mut lab = Lab::from_preset("lost-ack".into(), None).unwrap();
    assert!(!lab.finished());
    let mut steps = 0;
    while lab.step() {
        steps += 1;
    }
    assert!(steps > 10);
    assert!(lab.finished());
    assert!(lab.now_ms() > 0.0);
    let invariants = js_sys::Array::from(&lab.invariants().unwrap());
    for inv in invariants.iter() {
        let holds = js_sys::Reflect::get(&inv, &"holds".into()).unwrap();
        assert_eq!(holds, JsValue::TRUE);
    }
    let events = js_sys::Array::from(&lab.events(Some(JsValue::from(0.0))).unwrap());
    assert!(events.length() > 10);
    let tail = js_sys::Array::from(&lab.events(Some(JsValue::from(1e6))).unwrap());
    assert_eq!(tail.length(), 0);
}

#[wasm_bindgen_test]
fn run_until_and_snapshot_show_the_state_midway() {
    let mut lab = Lab::new("happy-path".into()).unwrap();
    lab.run_until(JsValue::from(25.0)).unwrap();
    let snapshot = lab.snapshot().unwrap();
    let producers =
        js_sys::Array::from(&js_sys::Reflect::get(&snapshot, &"producers".into()).unwrap());
    let pid = js_sys::Reflect::get(&producers.get(0), &"producer_id".into()).unwrap();
    assert_eq!(pid.as_f64(), Some(1000.0));
    lab.run_to_end();
    let report = lab.report().unwrap();
    let counters = js_sys::Reflect::get(&report, &"counters".into()).unwrap();
    assert_eq!(
        js_sys::Reflect::get(&counters, &"acked".into())
            .unwrap()
            .as_f64(),
        Some(15.0)
    );
}

#[wasm_bindgen_test]
fn a_scenario_object_is_accepted() {
    let scenario =
        js_sys::JSON::parse(r#"{"seed":3,"producers":[{"workload":{"messages":4}}]}"#).unwrap();
    let mut lab = Lab::new(scenario).unwrap();
    lab.run_to_end();
    assert!(lab.finished());
}

#[wasm_bindgen_test]
fn bad_input_throws_errors_that_say_what_and_where() {
    let unknown = Lab::from_preset("no-such-preset".into(), None)
        .map(|_| ())
        .unwrap_err();
    assert!(error_message(unknown.into()).contains("unknown preset 'no-such-preset'"));
    let bad = Lab::new(r#"{"producers":[{"workload":{"messages":-1}}]}"#.into())
        .map(|_| ())
        .unwrap_err();
    assert!(error_message(bad.into()).contains("producers[0].workload.messages"));
    let wrong_type = Lab::new(JsValue::from_f64(7.0)).map(|_| ()).unwrap_err();
    assert!(error_message(wrong_type.into()).contains("expected a scenario object"));
    let config = Lab::new(r#"{"producers":[{"config":{"enable.idempotence":true,"acks":"0"},"workload":{"messages":1}}]}"#.into())
        .map(|_| ())
        .unwrap_err();
    assert!(error_message(config.into()).contains("Must set acks to all"));
    let mut lab = Lab::from_preset("happy-path".into(), None).unwrap();
    let negative = lab.run_until(JsValue::from(-5.0)).unwrap_err();
    assert!(error_message(negative.into()).contains("timeMs"));
    let nan = lab.run_until(JsValue::from(f64::NAN)).unwrap_err();
    assert!(error_message(nan.into()).contains("timeMs"));
    let seed = Lab::from_preset("happy-path".into(), Some(JsValue::from(1.5)))
        .map(|_| ())
        .unwrap_err();
    assert!(error_message(seed.into()).contains("seed"));
    let fault = lab
        .inject(js_sys::JSON::parse(r#"{"type":"crash_broker","broker":9,"down_ms":1}"#).unwrap())
        .unwrap_err();
    assert!(error_message(fault.into()).contains("broker"));
    let garbage = lab.inject(JsValue::from_str("boom")).unwrap_err();
    assert!(error_message(garbage.into()).starts_with("fault must be a fault object"));
    let events = lab.events(Some(JsValue::from(-1.0))).unwrap_err();
    assert!(error_message(events.into()).contains("from"));
}

/// The release fields take any JS value a page may pass: each wrong one is refused with its
/// path, never a trap.
#[wasm_bindgen_test]
fn releases_of_the_wrong_type_or_range_are_refused_with_their_path() {
    let producer = |version: &str| {
        format!(r#"{{"producers":[{{"client_version":{version},"workload":{{"messages":1}}}}]}}"#)
    };
    let cluster = |field: &str| {
        format!(r#"{{"cluster":{{{field}}},"producers":[{{"workload":{{"messages":1}}}}]}}"#)
    };
    let cases = [
        (producer("3.9"), "producers[0].client_version"),
        (producer("{}"), "producers[0].client_version"),
        (producer(r#"["4.0"]"#), "producers[0].client_version"),
        (producer(r#""9999.1""#), "producers[0].client_version"),
        (producer(r#""-1.0""#), "producers[0].client_version"),
        (
            cluster(r#""broker_version":1e308"#),
            "cluster.broker_version",
        ),
        (
            cluster(r#""broker_version":"2.4""#),
            "cluster.broker_version",
        ),
        (
            cluster(r#""transaction.version":-1"#),
            "cluster.transaction.version",
        ),
        (
            cluster(r#""transaction.version":1e300"#),
            "cluster.transaction.version",
        ),
    ];
    for (json, path) in cases {
        let object = js_sys::JSON::parse(&json).expect("valid JSON");
        let err = Lab::new(object).map(|_| ()).unwrap_err();
        let message = error_message(err.into());
        assert!(message.contains(path), "{json}: {message}");
    }
    // And a valid pair runs.
    let ok = js_sys::JSON::parse(
        r#"{"cluster":{"broker_version":"4.5"},"producers":[{"client_version":"3.0.1","workload":{"messages":2}}]}"#,
    )
    .unwrap();
    let mut lab = Lab::new(ok).expect("valid releases");
    lab.run_to_end();
}

#[wasm_bindgen_test]
fn injected_faults_change_the_run() {
    let mut lab = Lab::from_preset("happy-path".into(), None).unwrap();
    lab.inject(js_sys::JSON::parse(r#"{"type":"inject_produce","partition":0,"producer_id":7,"epoch":0,"base_sequence":3,"record_count":2}"#).unwrap())
        .unwrap();
    lab.run_to_end();
    let report = lab.report().unwrap();
    let partitions =
        js_sys::Array::from(&js_sys::Reflect::get(&report, &"partitions".into()).unwrap());
    let log =
        js_sys::Array::from(&js_sys::Reflect::get(&partitions.get(0), &"log".into()).unwrap());
    assert_eq!(log.length(), 17);
}

fn get(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn scenario_returns_the_normalized_scenario_with_defaults_filled_in() {
    let scenario =
        js_sys::JSON::parse(r#"{"seed":9,"producers":[{"workload":{"messages":2}}]}"#).unwrap();
    let lab = Lab::new(scenario).unwrap();
    let back = lab.scenario().unwrap();
    assert_eq!(get(&back, "seed").as_f64(), Some(9.0));
    assert_eq!(get(&back, "duration_ms").as_f64(), Some(60_000.0));
    let cluster = get(&back, "cluster");
    assert_eq!(get(&cluster, "brokers").as_f64(), Some(1.0));
    // It round-trips: a Lab built from it runs the same.
    let mut a = Lab::new(back).unwrap();
    let mut b = Lab::new(lab.scenario().unwrap()).unwrap();
    a.run_to_end();
    b.run_to_end();
    assert_eq!(a.report_json().unwrap(), b.report_json().unwrap());
    let preset = Lab::from_preset("lost-ack".into(), Some(JsValue::from(42.0))).unwrap();
    assert_eq!(
        get(&preset.scenario().unwrap(), "seed").as_f64(),
        Some(42.0)
    );
}

#[wasm_bindgen_test]
fn counters_match_the_report_and_grow_during_the_run() {
    let mut lab = Lab::from_preset("lost-ack".into(), None).unwrap();
    let start = lab.counters().unwrap();
    assert_eq!(get(&start, "acked").as_f64(), Some(0.0));
    lab.run_to_end();
    let end = lab.counters().unwrap();
    let report_counters = get(&lab.report().unwrap(), "counters");
    assert_eq!(
        js_sys::JSON::stringify(&end).unwrap(),
        js_sys::JSON::stringify(&report_counters).unwrap()
    );
    assert_eq!(get(&end, "acked").as_f64(), Some(10.0));
    assert!(get(&end, "duplicates_prevented").as_f64().unwrap() >= 1.0);
}

#[wasm_bindgen_test]
fn step_n_and_next_time_ms_walk_the_schedule() {
    let mut lab = Lab::from_preset("happy-path".into(), None).unwrap();
    let first = lab
        .next_time_ms()
        .expect("something is scheduled at the start");
    assert_eq!(lab.step_n(JsValue::from(0.0)).unwrap(), 0);
    assert_eq!(lab.step_n(JsValue::from(3.0)).unwrap(), 3);
    assert!(lab.now_ms() >= first);
    let events_after_3 = js_sys::Array::from(&lab.events(None).unwrap()).length();
    assert!(events_after_3 >= 3);
    let rest = lab.step_n(JsValue::from(1e9)).unwrap();
    assert!(rest > 0);
    assert!(lab.finished());
    assert_eq!(lab.step_n(JsValue::from(5.0)).unwrap(), 0);
    for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY] {
        let e = lab.step_n(JsValue::from(bad)).unwrap_err();
        assert!(error_message(e.into()).contains("n must be a whole number"));
    }
}

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(idempotence_wasm::version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn transactional_reports_carry_consumer_views_and_markers_as_typed() {
    let mut lab = Lab::from_preset("abort-hides-records".into(), None).unwrap();
    lab.run_to_end();
    let report = lab.report().unwrap();
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &k.into()).unwrap();
    let partitions = js_sys::Array::from(&get(&report, "partitions"));
    let p0 = partitions.get(0);
    assert_eq!(js_sys::Array::from(&get(&p0, "read_committed")).length(), 4);
    assert_eq!(
        js_sys::Array::from(&get(&p0, "read_uncommitted")).length(),
        6
    );
    assert!(get(&p0, "last_stable_offset").as_f64().is_some());
    let log = js_sys::Array::from(&get(&p0, "log"));
    let marker = log
        .iter()
        .find(|e| get(e, "control").as_string().as_deref() == Some("abort"));
    assert!(marker.is_some(), "ABORT marker typed as control: \"abort\"");
    let txns = js_sys::Array::from(&get(&report, "transactions"));
    assert_eq!(txns.length(), 3);
    assert_eq!(
        get(&txns.get(1), "result").as_string().as_deref(),
        Some("aborted")
    );
    let snapshot = lab.snapshot().unwrap();
    let coordinator = js_sys::Array::from(&get(&snapshot, "transactions"));
    assert_eq!(
        get(&coordinator.get(0), "status").as_string().as_deref(),
        Some("complete_commit")
    );
}

/// Values a careless or hostile script may pass anywhere.
fn hostile_values() -> Vec<(&'static str, JsValue)> {
    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let mut deep = js_sys::Object::new();
    for _ in 0..100_000 {
        let outer = js_sys::Object::new();
        js_sys::Reflect::set(&outer, &"a".into(), &deep).unwrap();
        deep = outer;
    }
    let make = |source: &str| {
        js_sys::Function::new_no_args(source)
            .call0(&JsValue::NULL)
            .unwrap()
    };
    vec![
        ("undefined", JsValue::UNDEFINED),
        ("null", JsValue::NULL),
        ("true", JsValue::TRUE),
        ("-1", JsValue::from(-1.0)),
        ("1.5", JsValue::from(1.5)),
        ("NaN", JsValue::from(f64::NAN)),
        ("Infinity", JsValue::from(f64::INFINITY)),
        ("1e300", JsValue::from(1e300)),
        ("empty string", JsValue::from_str("")),
        ("unknown name", JsValue::from_str("no-such-thing")),
        ("broken JSON", JsValue::from_str("{")),
        ("Symbol", js_sys::Symbol::for_("lab").into()),
        ("BigInt", js_sys::BigInt::from(5u32).into()),
        ("empty object", js_sys::Object::new().into()),
        ("array", js_sys::Array::of1(&JsValue::from(1.0)).into()),
        ("cyclic object", cyclic.into()),
        ("deep object", deep.into()),
        ("function", make("return function () {}")),
        ("throwing proxy", make("return new Proxy({}, {get() { throw new Error('trap'); }, ownKeys() { throw new Error('keys'); }})")),
        ("huge string", JsValue::from_str(&"x".repeat(2 << 20))),
        ("Date", make("return new Date(0)")),
        ("String object", make("return new String('lost-ack')")),
    ]
}

/// After every bad call, a good call on the same instance still works: nothing trapped.
fn still_alive() {
    let mut lab = Lab::from_preset("lost-ack".into(), None).expect("a good call works");
    lab.run_to_end();
    assert!(lab.finished());
    assert_eq!(
        run_scenario_json("lost-ack".into()).unwrap(),
        NATIVE_LOST_ACK_REPORT
    );
}

#[wasm_bindgen_test]
fn every_export_refuses_hostile_values_with_an_error_and_stays_usable() {
    let mut lab = Lab::from_preset("happy-path".into(), None).unwrap();
    let mut refused = 0;
    for (name, v) in hostile_values() {
        let optional_absent = v.is_undefined() || v.is_null();
        let results: Vec<(&str, Result<(), JsValue>)> = vec![
            (
                "new Lab",
                Lab::new(v.clone()).map(drop).map_err(JsValue::from),
            ),
            (
                "fromPreset id",
                Lab::from_preset(v.clone(), None)
                    .map(drop)
                    .map_err(JsValue::from),
            ),
            (
                "fromPreset seed",
                Lab::from_preset("happy-path".into(), Some(v.clone()))
                    .map(drop)
                    .map_err(JsValue::from),
            ),
            ("runUntil", lab.run_until(v.clone()).map_err(JsValue::from)),
            (
                "events",
                lab.events(Some(v.clone())).map(drop).map_err(JsValue::from),
            ),
            (
                "stepN",
                lab.step_n(v.clone()).map(drop).map_err(JsValue::from),
            ),
            ("inject", lab.inject(v.clone()).map_err(JsValue::from)),
            (
                "runScenarioJson",
                run_scenario_json(v.clone())
                    .map(drop)
                    .map_err(JsValue::from),
            ),
        ];
        for (call, result) in results {
            let may_pass = optional_absent && matches!(call, "fromPreset seed" | "events");
            match result {
                Ok(()) => assert!(may_pass, "{call}({name}) was accepted"),
                Err(e) => {
                    let message = error_message(e);
                    assert!(!message.is_empty(), "{call}({name}) threw an empty message");
                    refused += 1;
                }
            }
        }
        still_alive();
    }
    assert!(refused >= 150, "only {refused} refusals");
}

#[wasm_bindgen_test]
fn error_messages_say_what_was_expected_and_what_came() {
    let mut lab = Lab::from_preset("happy-path".into(), None).unwrap();
    let m = |r: Result<(), JsError>| error_message(r.unwrap_err().into());
    assert_eq!(
        m(Lab::from_preset(JsValue::UNDEFINED, None).map(drop)),
        "id must be a string, got undefined"
    );
    assert_eq!(
        m(Lab::from_preset(js_sys::BigInt::from(1u32).into(), None).map(drop)),
        "id must be a string, got a BigInt"
    );
    assert_eq!(
        m(lab.run_until(JsValue::from_str("10"))),
        "timeMs must be a non-negative whole number of milliseconds, got a string"
    );
    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    assert!(m(lab.inject(cyclic.into())).starts_with("fault cannot be turned into JSON"));
    assert!(
        m(Lab::new(js_sys::Symbol::for_("s").into()).map(drop)).contains(
            "expected a scenario object, a JSON string or a preset id for scenario, got a Symbol"
        )
    );
    assert_eq!(
        m(lab.inject(js_sys::JSON::parse(r#"{"type":"crash_broker","broker":0}"#).unwrap())),
        "invalid fault: missing field `down_ms`"
    );
    assert!(m(run_scenario_json(JsValue::from(3.0)).map(drop)).contains("got a number (3)"));
}

/// The native golden of `sweep-small`: the same spec run here gives the same CSV, number for
/// number, so a sweep in the browser shows what the CLI prints.
const NATIVE_SWEEP_SMALL_CSV: &str = include_str!("../../sim/tests/golden/sweep-small.csv");
const SWEEP_SMALL_SPEC: &str = include_str!("../../sim/tests/fixtures/sweep-small.json");

#[wasm_bindgen_test]
fn a_sweep_gives_the_native_numbers_whether_run_at_once_or_in_slices() {
    let sweep = idempotence_wasm::Sweep::new(SWEEP_SMALL_SPEC.into()).unwrap();
    assert_eq!(
        (sweep.point_count(), sweep.seeds(), sweep.run_count()),
        (6, 5, 30.0)
    );
    let all = sweep.run_range(0.0.into(), 30.0.into()).unwrap();
    assert_eq!(
        sweep.result_csv(all.clone()).unwrap(),
        NATIVE_SWEEP_SMALL_CSV
    );
    // As two workers would: two slices, joined in run order.
    let first = js_sys::Array::from(&sweep.run_range(0.0.into(), 13.0.into()).unwrap());
    let second = js_sys::Array::from(&sweep.run_range(13.0.into(), 30.0.into()).unwrap());
    let joined = first.concat(&second);
    assert_eq!(
        sweep.result_csv(joined.into()).unwrap(),
        NATIVE_SWEEP_SMALL_CSV
    );
    let result = sweep.result(all).unwrap();
    let series = js_sys::Reflect::get(&result, &"series".into()).unwrap();
    assert_eq!(js_sys::Array::from(&series).length(), 2);
}

#[wasm_bindgen_test]
fn a_sweep_refuses_what_is_not_a_spec_or_a_slice_with_a_message() {
    let message = |r: Result<idempotence_wasm::Sweep, JsError>| match r {
        Err(e) => error_message(e.into()),
        Ok(_) => panic!("accepted"),
    };
    assert!(message(idempotence_wasm::Sweep::new(JsValue::from(3)))
        .contains("expected a sweep spec object"));
    assert!(message(idempotence_wasm::Sweep::new("no-such".into()))
        .contains("unknown sweep preset 'no-such'"));
    let bad = SWEEP_SMALL_SPEC.replace("\"seeds\": 5", "\"seeds\": 0");
    assert!(message(idempotence_wasm::Sweep::new(bad.into())).contains("at seeds"));
    let sweep = idempotence_wasm::Sweep::new(SWEEP_SMALL_SPEC.into()).unwrap();
    let e = |r: Result<JsValue, JsError>| error_message(r.unwrap_err().into());
    assert!(e(sweep.run_range(5.0.into(), 2.0.into())).contains("must not be after"));
    assert!(e(sweep.run_range(0.0.into(), 31.0.into())).contains("from 0 to 30"));
    assert!(e(sweep.run_range(JsValue::from(f64::NAN), 1.0.into())).contains("whole number"));
    assert!(e(sweep.result(js_sys::Array::new().into())).contains("one entry per run, 30, got 0"));
    let junk = js_sys::Array::new();
    for _ in 0..30 {
        junk.push(&"x".into());
    }
    assert!(e(sweep.result(junk.into())).contains("are not run measures"));
    assert!(e(sweep.scenario(6.0.into(), 0.0.into()))
        .contains("point must be a whole number from 0 to 5"));
    assert!(sweep.scenario(5.0.into(), 4.0.into()).is_ok());
    let presets = js_sys::Array::from(&idempotence_wasm::sweep_presets().unwrap());
    assert!(presets.length() >= 4);
}
