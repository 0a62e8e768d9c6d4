//! Fault-rate sweeps: the presets plan, the guarantees hold at every point where Kafka gives
//! them (and the control breaks them), the numbers do not depend on the order runs are made
//! in, and a wrong spec is refused with the place it is wrong.

use idempotence_sim::sweep::{self, RunMeasures, SweepPlan, SweepSpec};

/// A preset cut down for a debug build: fewer x values, seeds and messages.
fn small(name: &str, steps: u32, seeds: u32, messages: u32) -> SweepPlan {
    let mut spec = sweep::preset(name).expect("preset");
    spec.seeds = seeds;
    if let Some(r) = spec.x.range.as_mut() {
        r.steps = steps;
    }
    spec.settings.push(sweep::Setting {
        set: "messages".into(),
        to: messages.into(),
    });
    SweepPlan::new(spec).expect("plans")
}

#[test]
fn every_preset_plans_within_the_limits() {
    for (name, _) in sweep::PRESETS {
        let plan = SweepPlan::new(sweep::preset(name).expect(name)).expect(name);
        assert!(plan.run_count() <= sweep::MAX_RUNS, "{name}");
        assert!(
            !plan.spec.title.is_empty() && !plan.spec.finding.is_empty(),
            "{name}"
        );
    }
}

/// With idempotence on and only lost responses, no point has a duplicate or a lost
/// acknowledgement; with it off (the control), the higher rates have duplicates.
#[test]
fn lost_responses_idempotence_on_is_clean_at_every_point_and_off_is_not() {
    let plan = small("lost-responses", 4, 8, 300);
    let result = plan.run_all();
    let (off, on) = (&result.series[0], &result.series[1]);
    assert_eq!(
        (off.label.as_str(), on.label.as_str()),
        ("idempotence off", "idempotence on")
    );
    for p in &on.points {
        assert_eq!(p.stats.runs, 8);
        assert_eq!(p.stats.duplicates_written.mean, 0.0, "x = {}", p.x);
        assert_eq!(p.stats.acked_then_lost.mean, 0.0, "x = {}", p.x);
        assert_eq!(p.stats.reorderings.mean, 0.0, "x = {}", p.x);
    }
    assert_eq!(
        off.points[0].stats.duplicates_written.mean, 0.0,
        "nothing lost at x = 0"
    );
    let last = &off.points.last().unwrap().stats;
    assert!(last.duplicates_written.lo > 0.0, "{last:?}");
    assert!(last.runs_with_anomalies > 0);
}

/// acks=1 loses acknowledged messages to leader crashes; acks=all does not.
#[test]
fn acks_1_loses_acknowledged_messages_when_leaders_crash_and_acks_all_does_not() {
    let mut spec = sweep::preset("acks-1-crashes").unwrap();
    spec.seeds = 6;
    spec.x.values = vec![0.into(), 3000.into()];
    spec.settings.push(sweep::Setting {
        set: "messages".into(),
        to: 300.into(),
    });
    let result = SweepPlan::new(spec).unwrap().run_all();
    let lost = |s: usize, i: usize| result.series[s].points[i].stats.acked_then_lost.mean;
    assert_eq!(lost(0, 0), 0.0, "no crash, nothing lost");
    assert!(lost(0, 1) > 0.0, "acks=1 with crashes");
    assert_eq!(lost(1, 1), 0.0, "acks=all with crashes");
}

/// Runs are pure functions of (point, seed index): made in any order, on any thread, they
/// give the same numbers, and the same spec gives the same result.
#[test]
fn the_numbers_do_not_depend_on_the_order_of_the_runs() {
    let plan = small("max-in-flight", 0, 3, 200);
    let forward: Vec<Vec<RunMeasures>> = (0..plan.points.len())
        .map(|p| (0..3).map(|k| plan.run(p, k)).collect())
        .collect();
    let mut backward: Vec<Vec<RunMeasures>> = (0..plan.points.len())
        .rev()
        .map(|p| (0..3).rev().map(|k| plan.run(p, k)).collect())
        .collect();
    backward.reverse();
    for runs in &mut backward {
        runs.reverse();
    }
    assert_eq!(forward, backward);
    assert_eq!(plan.result(&forward), plan.run_all());
}

#[test]
fn csv_has_one_row_per_series_and_x_with_mean_lo_hi_columns() {
    let result = small("lost-responses", 2, 2, 50).run_all();
    let csv = result.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with(
        "series,x,runs,duplicates_written_mean,duplicates_written_lo,duplicates_written_hi,acked_then_lost_mean"
    ));
    assert_eq!(lines.len(), 1 + 2 * 2);
    assert!(lines[1].starts_with("idempotence off,0,2,"), "{}", lines[1]);
    let columns = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == columns));
}

fn refused(json: &str) -> sweep::SweepError {
    match SweepSpec::from_json(json) {
        Err(e) => e,
        Ok(spec) => SweepPlan::new(spec).expect_err("refused"),
    }
}

#[test]
fn a_wrong_spec_is_refused_with_where_and_why() {
    let spec =
        |x: &str, extra: &str| format!(r#"{{"base": "lost-ack", "x": {x}, "seeds": 2{extra}}}"#);
    let values = r#"{"set": "drop_response", "values": [0, 0.1]}"#;
    let cases = [
        (spec(values, r#", "seeds": 0"#), ".", "duplicate field"),
        (
            spec(values, "").replace(r#""seeds": 2"#, r#""seeds": 0"#),
            "seeds",
            "1 to 10000",
        ),
        (
            spec(r#"{"set": "speed", "values": [1]}"#, ""),
            "x.set",
            "neither a knob",
        ),
        (
            spec(r#"{"set": "drop_response"}"#, ""),
            "x",
            "give the axis values",
        ),
        (
            spec(r#"{"set": "drop_response", "values": [2]}"#, ""),
            "x = 2",
            "random_faults.drop_response",
        ),
        (
            spec(
                r#"{"set": "/producers/7/config/acks", "values": ["1"]}"#,
                "",
            ),
            "x.values[0]",
            "past the end",
        ),
        (
            spec(r#"{"set": "idempotence", "values": ["yes"]}"#, ""),
            "x = \"yes\"",
            "enable.idempotence",
        ),
        (
            spec(r#"{"set": "messages", "values": [200000]}"#, "")
                .replace(r#""seeds": 2"#, r#""seeds": 10000"#),
            "seeds",
            "messages in all",
        ),
        (
            spec(r#"{"set": "leader_crash_interval_ms", "values": [5]}"#, ""),
            "x.values[0]",
            "1000 to",
        ),
        (
            spec(
                r#"{"set": "drop_response", "range": {"from": 0, "to": 1, "steps": 100000}}"#,
                "",
            ),
            "x.range",
            "2 to 200 steps",
        ),
        (
            spec(values, "").replace(r#""lost-ack""#, r#""no-such""#),
            "base",
            "not a preset",
        ),
        (
            spec(values, "").replace(r#""lost-ack""#, "[1]"),
            "base",
            "preset's name or a scenario object",
        ),
        (spec(values, r#", "speed": 3"#), "speed", "unknown field"),
        (
            spec(values, "")
                .replace(r#""seeds": 2"#, r#""seeds": 10000"#)
                .replace("[0, 0.1]", &format!("[{}]", vec!["0"; 150].join(","))),
            "seeds",
            "at most 1000000",
        ),
    ];
    for (json, path, words) in cases {
        let e = refused(&json);
        assert!(
            e.path.starts_with(path),
            "{json}: path {} (want {path})",
            e.path
        );
        assert!(
            e.message.contains(words),
            "{json}: {} (want '{words}')",
            e.message
        );
    }
}

/// `fixtures/sweep-small.json` gives exactly `golden/sweep-small.csv`; the wasm build's test
/// (`crates/wasm/tests/api.rs`) compares its own run with the same file, so both builds give
/// the same numbers. Regenerate with `UPDATE_GOLDEN=1`.
#[test]
fn a_small_sweep_gives_its_golden_csv() {
    let spec = SweepSpec::from_json(include_str!("fixtures/sweep-small.json")).unwrap();
    let csv = SweepPlan::new(spec).unwrap().run_all().to_csv();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/sweep-small.csv");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &csv).unwrap();
    }
    assert_eq!(csv, std::fs::read_to_string(path).expect("golden exists"));
}

mod hostile {
    //! Any knob with any JSON value, on any axis: planning answers with a plan or a message,
    //! and a planned sweep's runs complete. Never a panic.
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1.0e12f64..1.0e12).prop_map(Value::from),
            (0.0f64..1.0).prop_map(Value::from),
            (0u64..10).prop_map(Value::from),
            prop::sample::select(vec![
                "1", "all", "0", "3.9", "4.5", "kafka", "textbook", "x", ""
            ])
            .prop_map(Value::from),
            Just(json!([1, 2])),
            Just(json!({"a": 1})),
        ]
    }

    fn knob() -> impl Strategy<Value = String> {
        let mut knobs: Vec<String> = sweep::setting::NAMED
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        knobs.extend(
            [
                "leader_crash_interval_ms",
                "/cluster/brokers",
                "/producers/0/config/batch.size",
                "/producers/*/workload/interval_ms",
                "/network/latency_ms",
                "/producers/3/config",
                "/seed/x",
                "nonsense",
                "/",
            ]
            .map(String::from),
        );
        prop::sample::select(knobs)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn any_knob_and_value_is_planned_or_refused_and_runs(
            x_knob in knob(),
            xs in prop::collection::vec(value(), 1..4),
            series_knob in knob(),
            series_value in value(),
            seeds in 0u32..3,
        ) {
            let spec = json!({
                "base": {"producers": [{"workload": {"messages": 20, "interval_ms": 1}}]},
                "x": {"set": x_knob, "values": xs},
                "series": [{"label": "s", "settings": [{"set": series_knob, "to": series_value}]}],
                "seeds": seeds,
            });
            match SweepSpec::from_json(&spec.to_string()).and_then(SweepPlan::new) {
                Err(e) => prop_assert!(!e.message.is_empty() && !e.path.is_empty()),
                Ok(plan) => {
                    // Keep the work small whatever the knobs asked for.
                    if plan.points.iter().all(|p| {
                        p.scenario.producers.iter().map(|s| s.workload.total_messages()).sum::<u64>() <= 2_000
                    }) {
                        for p in 0..plan.points.len() {
                            let _ = plan.run(p, 0);
                        }
                    }
                }
            }
        }
    }
}
