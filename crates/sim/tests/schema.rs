//! The committed JSON Schema (`docs/scenario.schema.json`) is the one the types generate.
//! Regenerate with `cargo run -p idempotence-sim -- schema > docs/scenario.schema.json`.
#![cfg(feature = "schema")]

#[test]
fn committed_schema_matches_the_types() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/scenario.schema.json"
    );
    let committed = std::fs::read_to_string(path).expect("docs/scenario.schema.json exists");
    assert_eq!(
        committed,
        idempotence_sim::Scenario::json_schema(),
        "regenerate docs/scenario.schema.json"
    );
}

#[test]
fn schema_names_kafka_configs_and_fault_types() {
    let schema = idempotence_sim::Scenario::json_schema();
    for needle in [
        "enable.idempotence",
        "max.in.flight.requests.per.connection",
        "min.insync.replicas",
        "drop_response",
        "inject_produce",
    ] {
        assert!(schema.contains(needle), "schema lacks {needle}");
    }
}

/// The same for the sweep format (`docs/sweep.schema.json`): regenerate with
/// `cargo run -p idempotence-sim -- sweep-schema > docs/sweep.schema.json`.
#[test]
fn committed_sweep_schema_matches_the_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/sweep.schema.json");
    let committed = std::fs::read_to_string(path).expect("docs/sweep.schema.json exists");
    assert_eq!(
        committed,
        idempotence_sim::sweep::SweepSpec::json_schema(),
        "regenerate docs/sweep.schema.json"
    );
}
