//! Hostile and careless scenario documents: each one is refused with a message naming the JSON
//! path to fix, never a panic, an overflow, an abort or a hang. The same corpus runs through
//! the library (in whatever profile the tests are built: debug by default, where arithmetic
//! overflow panics) and through the CLI binary of that profile (`cargo test --release --test
//! hostile_inputs` checks the release build).

use std::process::Command;

use idempotence_sim::limits::{MAX_SCENARIO_BYTES, MAX_STEPS};
use idempotence_sim::{Scenario, Simulation};
use serde_json::{json, Value};

/// A minimal valid scenario the corpus mutates.
fn base() -> Value {
    json!({"producers": [{"workload": {"messages": 3}}]})
}

/// `base()` with the value at a dotted path (numeric parts index arrays) replaced.
fn with(path: &[&str], value: Value) -> String {
    with_all(&[(path, value)])
}

fn with_all(edits: &[(&[&str], Value)]) -> String {
    let mut doc = base();
    for (path, value) in edits {
        set(&mut doc, path, value.clone());
    }
    doc.to_string()
}

fn set(doc: &mut Value, path: &[&str], value: Value) {
    let (last, parents) = path.split_last().expect("a path");
    let mut node = doc;
    for part in parents {
        node = match part.parse::<usize>() {
            Ok(i) => {
                let array = node.as_array_mut().expect("an array");
                while array.len() <= i {
                    array.push(json!({}));
                }
                &mut array[i]
            }
            Err(_) => {
                if !node.is_object() {
                    *node = json!({});
                }
                node.as_object_mut()
                    .expect("an object")
                    .entry(part.to_string())
                    .or_insert(json!({}))
            }
        };
    }
    match last.parse::<usize>() {
        Ok(i) => node.as_array_mut().expect("an array")[i] = value,
        Err(_) => {
            node.as_object_mut()
                .expect("an object")
                .insert(last.to_string(), value);
        }
    }
}

const P: &[&str] = &["producers", "0"];

fn config(key: &'static str, value: Value) -> String {
    with(&["producers", "0", "config", key], value)
}

fn cluster(key: &'static str, value: Value) -> String {
    with(&["cluster", key], value)
}

fn fault(fault: Value) -> String {
    with(
        &["faults"],
        json!([{"when": {"at_ms": 10}, "fault": fault}]),
    )
}

/// `(document, the path its error must name)`.
fn corpus() -> Vec<(String, String)> {
    let big = u64::MAX;
    let mut cases: Vec<(String, &str)> = vec![
        // Not a scenario at all.
        (String::new(), "."),
        ("   ".into(), "."),
        ("null".into(), "."),
        ("42".into(), "."),
        ("\"lost-ack\"".into(), "."),
        ("[]".into(), "."),
        ("{".into(), "."),
        ("{}".into(), "."),
        ("{\"producers\": []} trailing".into(), "."),
        (format!("{} {}", base(), base()), "."),
        (format!("{}x", base()), "."),
        ("\u{feff}{}".into(), "."),
        ("[".repeat(100_000), "."),
        (format!("{{\"caption\": {}}}", "[".repeat(5000)), "caption"),
        (" ".repeat(MAX_SCENARIO_BYTES + 1), "."),
        // Types and unknown fields.
        (
            with(&["producers", "0", "workload", "messages"], json!("ten")),
            "producers[0].workload.messages",
        ),
        (
            with(&["producers", "0", "workload", "messages"], json!(-1)),
            "producers[0].workload.messages",
        ),
        (
            with(&["producers", "0", "workload", "messages"], json!(1.5)),
            "producers[0].workload.messages",
        ),
        (
            with(&["producers", "0", "workload", "messages"], json!(1e30)),
            "producers[0].workload.messages",
        ),
        (
            with(
                &["producers", "0", "workload", "messages"],
                json!(4294967296u64),
            ),
            "producers[0].workload.messages",
        ),
        (
            with(&["producers", "0", "workload", "mesages"], json!(3)),
            "producers[0].workload.mesages",
        ),
        (with(&["seed"], json!(-1)), "seed"),
        (with(&["seed"], json!("1")), "seed"),
        (with(&["bogus"], json!(1)), "bogus"),
        (with(&["cluster", "bogus"], json!(1)), "cluster.bogus"),
        (with(&["network", "latency"], json!(1)), "network.latency"),
        (config("acks", json!("2")), "producers[0].config.acks"),
        (config("acks", json!(1)), "producers[0].config.acks"),
        (
            config("enable.idempotence", json!("yes")),
            "producers[0].config.enable.idempotence",
        ),
        (
            config("transactional.id", json!(5)),
            "producers[0].config.transactional.id",
        ),
        (
            with(
                &["faults"],
                json!([{"when": {"at_ms": 1}, "fault": {"type": "meteor"}}]),
            ),
            "faults[0].fault",
        ),
        (
            with(
                &["faults"],
                json!([{"when": {"sometime": 1}, "fault": {"type": "drop_request"}}]),
            ),
            "faults[0].when",
        ),
        (
            fault(json!({"type": "crash_broker", "broker": 0})),
            "faults[0].fault",
        ),
        (
            fault(json!({"type": "crash_broker", "broker": 0, "down_ms": 5, "extra": 1})),
            "faults[0].fault",
        ),
        (
            with(&["cluster", "dedup_rule"], json!("fuzzy")),
            "cluster.dedup_rule",
        ),
        // Top-level ranges.
        (with(&["duration_ms"], json!(0)), "duration_ms"),
        (with(&["duration_ms"], json!(big)), "duration_ms"),
        (
            with(&["duration_ms"], json!(7 * 86_400_000u64 + 1)),
            "duration_ms",
        ),
        (with(&["name"], json!("n".repeat(201))), "name"),
        (with(&["caption"], json!("c".repeat(10_001))), "caption"),
        // Cluster ranges and references.
        (cluster("brokers", json!(0)), "cluster.brokers"),
        (cluster("brokers", json!(10)), "cluster.brokers"),
        (cluster("brokers", json!(u32::MAX)), "cluster.brokers"),
        (cluster("partitions", json!(0)), "cluster.partitions"),
        (cluster("partitions", json!(17)), "cluster.partitions"),
        (
            cluster("replication.factor", json!(0)),
            "cluster.replication.factor",
        ),
        (
            cluster("replication.factor", json!(2)),
            "cluster.replication.factor",
        ),
        (
            cluster("min.insync.replicas", json!(0)),
            "cluster.min.insync.replicas",
        ),
        (
            cluster("min.insync.replicas", json!(2)),
            "cluster.min.insync.replicas",
        ),
        (cluster("sequence_max", json!(0)), "cluster.sequence_max"),
        (cluster("sequence_max", json!(-5)), "cluster.sequence_max"),
        (cluster("sequence_max", json!(2)), "cluster.sequence_max"),
        (cluster("sequence_max", json!(28)), "cluster.sequence_max"),
        (
            cluster("sequence_max", json!(3_000_000_000u64)),
            "cluster.sequence_max",
        ),
        (
            cluster("producer.id.expiration.ms", json!(0)),
            "cluster.producer.id.expiration.ms",
        ),
        (
            cluster("producer.id.expiration.ms", json!(big)),
            "cluster.producer.id.expiration.ms",
        ),
        (
            cluster("producer.id.expiration.check.interval.ms", json!(0)),
            "cluster.producer.id.expiration.check.interval.ms",
        ),
        (
            cluster("producer.id.expiration.check.interval.ms", json!(big)),
            "cluster.producer.id.expiration.check.interval.ms",
        ),
        (
            cluster("replica.lag.time.max.ms", json!(0)),
            "cluster.replica.lag.time.max.ms",
        ),
        (
            cluster("replica.lag.time.max.ms", json!(big)),
            "cluster.replica.lag.time.max.ms",
        ),
        (
            cluster("replica.fetch.wait.max.ms", json!(0)),
            "cluster.replica.fetch.wait.max.ms",
        ),
        (
            cluster("replica.fetch.wait.max.ms", json!(1u64 << 40)),
            "cluster.replica.fetch.wait.max.ms",
        ),
        // Network.
        (
            with(&["network", "latency_ms"], json!(60_001)),
            "network.latency_ms",
        ),
        (
            with(&["network", "latency_ms"], json!(big)),
            "network.latency_ms",
        ),
        (
            with(&["network", "jitter_ms"], json!(big)),
            "network.jitter_ms",
        ),
        // Producers.
        (with(&["producers"], json!([])), "producers"),
        (
            with(
                &["producers"],
                json!(vec![json!({"workload": {"messages": 1}}); 9]),
            ),
            "producers",
        ),
        (with(&["producers"], json!({})), "producers"),
        (
            config("request.timeout.ms", json!(big)),
            "producers[0].config.request.timeout.ms",
        ),
        (
            config("request.timeout.ms", json!(0)),
            "producers[0].config.request.timeout.ms",
        ),
        (
            config("request.timeout.ms", json!(1u64 << 31)),
            "producers[0].config.request.timeout.ms",
        ),
        (
            config("linger.ms", json!(big)),
            "producers[0].config.linger.ms",
        ),
        (
            config("delivery.timeout.ms", json!(big)),
            "producers[0].config.delivery.timeout.ms",
        ),
        (
            config("delivery.timeout.ms", json!(10)),
            "producers[0].config.delivery.timeout.ms",
        ),
        (
            config("retry.backoff.ms", json!(big)),
            "producers[0].config.retry.backoff.ms",
        ),
        (
            config("retry.backoff.max.ms", json!(big)),
            "producers[0].config.retry.backoff.max.ms",
        ),
        (
            config("transaction.timeout.ms", json!(0)),
            "producers[0].config.transaction.timeout.ms",
        ),
        (
            config("transaction.timeout.ms", json!(big)),
            "producers[0].config.transaction.timeout.ms",
        ),
        (
            config("retries", json!(u32::MAX)),
            "producers[0].config.retries",
        ),
        (
            config("batch.size", json!(0)),
            "producers[0].config.batch.size",
        ),
        (
            config("batch.size", json!(101)),
            "producers[0].config.batch.size",
        ),
        (
            config("max.in.flight.requests.per.connection", json!(0)),
            "producers[0].config.max.in.flight.requests.per.connection",
        ),
        (
            config("max.in.flight.requests.per.connection", json!(11)),
            "producers[0].config.max.in.flight.requests.per.connection",
        ),
        (
            config("transactional.id", json!("")),
            "producers[0].config.transactional.id",
        ),
        (
            config("transactional.id", json!("t".repeat(1001))),
            "producers[0].config.transactional.id",
        ),
        (
            with_all(&[
                (
                    &["producers", "0", "config", "enable.idempotence"],
                    json!(true),
                ),
                (&["producers", "0", "config", "acks"], json!("1")),
            ]),
            "producers[0].config.acks",
        ),
        (
            with_all(&[
                (
                    &["producers", "0", "config", "enable.idempotence"],
                    json!(false),
                ),
                (
                    &["producers", "0", "config", "transactional.id"],
                    json!("t"),
                ),
            ]),
            "producers[0].config.transactional.id",
        ),
        (
            with(&["producers", "0", "workload", "start_ms"], json!(big)),
            "producers[0].workload.start_ms",
        ),
        (
            with(&["producers", "0", "workload", "interval_ms"], json!(big)),
            "producers[0].workload.interval_ms",
        ),
        (
            with_all(&[
                (&["producers", "0", "workload", "messages"], json!(100_000)),
                (
                    &["producers", "0", "workload", "interval_ms"],
                    json!(1u64 << 40),
                ),
            ]),
            "producers[0].workload.interval_ms",
        ),
        (
            with_all(&[
                (&["producers", "0", "workload", "messages"], json!(100_000)),
                (
                    &["producers", "0", "workload", "interval_ms"],
                    json!(7_000_000),
                ),
            ]),
            "producers[0].workload.interval_ms",
        ),
        (
            with(&["producers", "0", "workload", "messages"], json!(500_001)),
            "producers[0].workload.messages",
        ),
        (
            with(
                &["producers", "0", "workload", "bursts"],
                json!([{"at_ms": 0, "messages": u32::MAX}, {"at_ms": 0, "messages": u32::MAX}]),
            ),
            "producers[0].workload.messages",
        ),
        (
            with(
                &["producers", "0", "workload", "bursts"],
                json!([{"at_ms": big, "messages": 1}]),
            ),
            "producers[0].workload.bursts[0].at_ms",
        ),
        (
            with(
                &["producers", "0", "workload", "bursts"],
                json!(vec![json!({"at_ms": 1, "messages": 1}); 1001]),
            ),
            "producers[0].workload.bursts",
        ),
        (
            with(&["producers", "0", "workload", "partition"], json!(1)),
            "producers[0].workload.partition",
        ),
        (
            with(
                &["producers", "0", "workload", "transactions"],
                json!({"size": 2}),
            ),
            "producers[0].workload.transactions",
        ),
        (
            with_all(&[
                (
                    &["producers", "0", "config", "transactional.id"],
                    json!("t"),
                ),
                (
                    &["producers", "0", "workload", "transactions"],
                    json!({"size": 0}),
                ),
            ]),
            "producers[0].workload.transactions.size",
        ),
        (
            with_all(&[
                (
                    &["producers", "0", "config", "transactional.id"],
                    json!("t"),
                ),
                (
                    &["producers", "0", "workload", "transactions"],
                    json!({"size": 1001}),
                ),
            ]),
            "producers[0].workload.transactions.size",
        ),
        (
            with_all(&[
                (
                    &["producers", "0", "config", "transactional.id"],
                    json!("t"),
                ),
                (
                    &["producers", "0", "workload", "transactions"],
                    json!({"size": 1, "abort": vec![0; 10_001]}),
                ),
            ]),
            "producers[0].workload.transactions.abort",
        ),
        (
            with(
                &["producers"],
                json!(vec![json!({"workload": {"messages": 100_000}}); 6]),
            ),
            "producers",
        ),
        // Random faults.
        (
            with(&["random_faults", "drop_request"], json!(1.5)),
            "random_faults.drop_request",
        ),
        (
            with(&["random_faults", "drop_response"], json!(-0.1)),
            "random_faults.drop_response",
        ),
        (
            with(&["random_faults", "drop_response"], json!("often")),
            "random_faults.drop_response",
        ),
        // Scripted faults.
        (
            with(
                &["faults"],
                json!(vec![
                    json!({"when": {"at_ms": 1}, "fault": {"type": "shrink_isr", "partition": 0, "broker": 0}});
                    1001
                ]),
            ),
            "faults",
        ),
        (
            with(
                &["faults"],
                json!([{"when": {"at_ms": big}, "fault": {"type": "crash_broker", "broker": 0, "down_ms": 5}}]),
            ),
            "faults[0].when.at_ms",
        ),
        (
            fault(json!({"type": "crash_broker", "broker": 0, "down_ms": big})),
            "faults[0].fault.down_ms",
        ),
        (
            fault(json!({"type": "crash_broker", "broker": 3, "down_ms": 5})),
            "faults[0].fault.broker",
        ),
        (
            fault(json!({"type": "crash_leader", "partition": 0, "down_ms": big})),
            "faults[0].fault.down_ms",
        ),
        (
            fault(json!({"type": "crash_leader", "partition": 4, "down_ms": 5})),
            "faults[0].fault.partition",
        ),
        (
            fault(json!({"type": "cut_link", "producer": 0, "broker": 0, "duration_ms": big})),
            "faults[0].fault.duration_ms",
        ),
        (
            fault(json!({"type": "cut_link", "producer": 1, "broker": 0, "duration_ms": 5})),
            "faults[0].fault.producer",
        ),
        (
            fault(json!({"type": "cut_link", "producer": 0, "broker": 1, "duration_ms": 5})),
            "faults[0].fault.broker",
        ),
        (
            fault(json!({"type": "stall_replication", "broker": 0, "duration_ms": big})),
            "faults[0].fault.duration_ms",
        ),
        (
            fault(json!({"type": "restart_producer", "producer": 0, "down_ms": big})),
            "faults[0].fault.down_ms",
        ),
        (
            fault(json!({"type": "restart_producer", "producer": 7})),
            "faults[0].fault.producer",
        ),
        (
            fault(json!({"type": "expire_producer_state", "partition": 2})),
            "faults[0].fault.partition",
        ),
        (
            fault(json!({"type": "shrink_isr", "partition": 0, "broker": 5})),
            "faults[0].fault.broker",
        ),
        (fault(json!({"type": "drop_request"})), "faults[0].when"),
        (
            with(
                &["faults"],
                json!([{"when": {"request": {}}, "fault": {"type": "drop_response"}}]),
            ),
            "faults[0].when",
        ),
        (
            with(
                &["faults"],
                json!([{"when": {"response": {}}, "fault": {"type": "corrupt_request"}}]),
            ),
            "faults[0].when",
        ),
        (
            with(
                &["faults"],
                json!([{"when": {"request": {"producer": 3}}, "fault": {"type": "drop_request"}}]),
            ),
            "faults[0].when.request.producer",
        ),
        (
            with(
                &["faults"],
                json!([{"when": {"response": {"partition": 9}}, "fault": {"type": "drop_response"}}]),
            ),
            "faults[0].when.response.partition",
        ),
        (
            fault(
                json!({"type": "inject_produce", "partition": 0, "producer_id": -1, "epoch": 0, "base_sequence": 0, "record_count": 1}),
            ),
            "faults[0].fault.producer_id",
        ),
        (
            fault(
                json!({"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": -1, "base_sequence": 0, "record_count": 1}),
            ),
            "faults[0].fault.epoch",
        ),
        (
            fault(
                json!({"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": 40000, "base_sequence": 0, "record_count": 1}),
            ),
            "faults[0].fault",
        ),
        (
            fault(
                json!({"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": 0, "base_sequence": -1, "record_count": 1}),
            ),
            "faults[0].fault.base_sequence",
        ),
        (
            fault(
                json!({"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": 0, "base_sequence": 0, "record_count": 0}),
            ),
            "faults[0].fault.record_count",
        ),
        (
            fault(
                json!({"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": 0, "base_sequence": 0, "record_count": 101}),
            ),
            "faults[0].fault.record_count",
        ),
        (
            fault(
                json!({"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": 0, "base_sequence": 0, "record_count": u32::MAX}),
            ),
            "faults[0].fault.record_count",
        ),
        (
            with_all(&[
                (&["cluster", "sequence_max"], json!(29)),
                (
                    &["faults"],
                    json!([{"when": {"at_ms": 1}, "fault": {"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": 0, "base_sequence": 30, "record_count": 1}}]),
                ),
            ]),
            "faults[0].fault.base_sequence",
        ),
        (
            with_all(&[
                (&["cluster", "sequence_max"], json!(29)),
                (
                    &["faults"],
                    json!([{"when": {"at_ms": 1}, "fault": {"type": "inject_produce", "partition": 0, "producer_id": 1, "epoch": 0, "base_sequence": 0, "record_count": 31}}]),
                ),
            ]),
            "faults[0].fault.record_count",
        ),
        // The work budget.
        (
            with_all(&[
                (
                    &["cluster"],
                    json!({"brokers": 9, "partitions": 16, "replication.factor": 9, "replica.fetch.wait.max.ms": 1}),
                ),
                (&["duration_ms"], json!(600_000)),
            ]),
            "duration_ms",
        ),
        (
            with_all(&[
                (
                    &["cluster"],
                    json!({"brokers": 3, "partitions": 16, "replication.factor": 3}),
                ),
                (&["duration_ms"], json!(7 * 86_400_000u64)),
            ]),
            "duration_ms",
        ),
        (
            with_all(&[
                (&["cluster"], json!({"brokers": 9, "replication.factor": 9})),
                (
                    &["producers"],
                    json!(vec![
                        json!({"config": {"batch.size": 1}, "workload": {"messages": 80_000, "interval_ms": 1}});
                        5
                    ]),
                ),
            ]),
            "producers",
        ),
    ];
    // Every producer-level field also checked on a second producer, so paths index correctly.
    cases.push((
        with_all(&[
            (&["producers", "1", "workload", "messages"], json!(1)),
            (&["producers", "1", "config", "linger.ms"], json!(big)),
        ]),
        "producers[1].config.linger.ms",
    ));
    cases.push((
        with_all(&[
            (&["producers", "1", "workload", "messages"], json!(1)),
            (&["faults"], json!([{"when": {"at_ms": 1}, "fault": {"type": "restart_producer", "producer": 1}}, {"when": {"at_ms": 1}, "fault": {"type": "cut_link", "producer": 2, "broker": 0, "duration_ms": 1}}])),
        ]),
        "faults[1].fault.producer",
    ));
    // The story's beats: a pattern naming the event's type, bounded; text and nth in range.
    let beat = |b: Value| (with(&["beats"], json!([b])), "beats[0]");
    let deep = (0..200).fold(json!(1), |v, _| json!({ "a": v }));
    for (doc, path) in [
        beat(json!({"when": 1, "text": "t"})),
        beat(json!({"when": {}, "text": "t"})),
        beat(json!({"when": {"type": 7}, "text": "t"})),
        beat(json!({"when": {"type": "response_lost", "x": "y".repeat(3000)}, "text": "t"})),
        beat(json!({"when": {"type": "response_lost", "x": deep}, "text": "t"})),
        beat(json!({"when": {"type": "response_lost"}, "text": ""})),
        beat(json!({"when": {"type": "response_lost"}, "text": "t".repeat(601)})),
        beat(json!({"when": {"type": "response_lost"}, "text": "t", "nth": 0})),
        beat(json!({"when": {"type": "response_lost"}, "text": "t", "nth": -1})),
        beat(json!({"when": {"type": "response_lost"}, "text": "t", "nth": big})),
        beat(json!({"when": {"type": "response_lost"}, "text": "t", "nth": 1_000_001})),
        beat(json!({"when": {"type": "response_lost"}, "text": "t", "pause": "yes"})),
        beat(json!({"text": "t"})),
        (
            with(
                &["beats"],
                json!(vec![
                    json!({"when": {"type": "run_finished"}, "text": "t"});
                    65
                ]),
            ),
            "beats",
        ),
    ] {
        cases.push((doc, path));
    }
    let _ = P;
    cases
        .into_iter()
        .map(|(doc, path)| (doc, path.to_string()))
        .collect()
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(corpus().len() >= 130, "{} cases", corpus().len());
}

#[test]
fn every_hostile_document_is_refused_with_its_path() {
    for (doc, path) in corpus() {
        let shown: String = doc.chars().take(160).collect();
        match Scenario::from_json(&doc) {
            Ok(_) => panic!("accepted: {shown}"),
            Err(e) => {
                assert!(
                    e.path == path
                        || e.path.starts_with(&format!("{path}."))
                        || e.path.starts_with(&format!("{path}[")),
                    "expected the error at {path}, got {}: {} for {shown}",
                    e.path,
                    e.message
                );
                assert!(!e.message.is_empty(), "empty message for {shown}");
            }
        }
    }
}

/// Runs a scenario for at most `steps` actions. In a debug build this is where an overflow
/// would panic.
fn run_bounded(scenario: Scenario, steps: u64) -> Simulation {
    let mut sim = Simulation::new(scenario).expect("valid");
    let mut n = 0;
    while n < steps && sim.step() {
        n += 1;
    }
    sim
}

#[test]
fn the_largest_values_accepted_run_without_overflow() {
    let top = i32::MAX as u64;
    let docs = [
        // Kafka's own sequence top: the producer crosses i32::MAX and wraps to 0.
        json!({"cluster": {"sequence_max": i32::MAX},
               "producers": [{"workload": {"messages": 12}}],
               "faults": [{"when": {"at_ms": 0}, "fault": {"type": "inject_produce", "partition": 0,
                           "producer_id": 1000, "epoch": 0, "base_sequence": i32::MAX - 2, "record_count": 100}}]}),
        // A tiny sequence space that just holds a batch.
        json!({"cluster": {"sequence_max": 29}, "producers": [{"workload": {"messages": 80}}]}),
        json!({"cluster": {"sequence_max": 11}, "producers": [{"config": {"batch.size": 2}, "workload": {"messages": 40}}]}),
        // Every duration at its top.
        json!({"duration_ms": 7 * 86_400_000u64,
               "cluster": {"producer.id.expiration.ms": top, "producer.id.expiration.check.interval.ms": top,
                           "replica.lag.time.max.ms": top, "replica.fetch.wait.max.ms": top},
               "network": {"latency_ms": 60_000, "jitter_ms": 60_000},
               "producers": [{"config": {"request.timeout.ms": top / 2, "linger.ms": top / 2, "delivery.timeout.ms": top,
                                          "retry.backoff.ms": top, "retry.backoff.max.ms": top,
                                          "transactional.id": "t", "transaction.timeout.ms": top},
                              "workload": {"messages": 3, "start_ms": 7 * 86_400_000u64}}],
               "faults": [{"when": {"at_ms": 7 * 86_400_000u64}, "fault": {"type": "crash_broker", "broker": 0, "down_ms": 7 * 86_400_000u64}},
                          {"when": {"at_ms": 0}, "fault": {"type": "cut_link", "producer": 0, "broker": 0, "duration_ms": 7 * 86_400_000u64}}]}),
        // Epochs at the top: an injected batch with epoch 32767 fences the real producer.
        json!({"producers": [{"workload": {"messages": 20, "interval_ms": 5}}],
               "faults": [{"when": {"at_ms": 30}, "fault": {"type": "inject_produce", "partition": 0,
                           "producer_id": 1000, "epoch": 32767, "base_sequence": 0, "record_count": 1}}]}),
        // The largest message count, all at once.
        json!({"producers": [{"config": {"batch.size": 100}, "workload": {"messages": 500_000}}]}),
        // Bursts near the limit.
        json!({"producers": [{"workload": {"messages": 0, "bursts": [{"at_ms": 0, "messages": 250_000}, {"at_ms": 5, "messages": 250_000}]}}]}),
        // Every drop probability at 1: nothing ever arrives; retries until delivery.timeout.ms.
        json!({"random_faults": {"drop_request": 1.0, "drop_response": 1.0},
               "producers": [{"config": {"request.timeout.ms": 1, "delivery.timeout.ms": 5000, "retry.backoff.ms": 0},
                              "workload": {"messages": 20}}]}),
    ];
    for doc in docs {
        let text = doc.to_string();
        let scenario = Scenario::from_json(&text)
            .unwrap_or_else(|e| panic!("refused at {}: {} for {text}", e.path, e.message));
        let sim = run_bounded(scenario, 200_000);
        assert!(sim.now_ms() <= 7 * 86_400_000, "{text}");
    }
}

#[test]
fn a_sequence_crossing_kafkas_top_wraps_to_zero_in_the_log() {
    let doc = json!({"cluster": {"sequence_max": i32::MAX},
        "producers": [{"workload": {"messages": 5, "start_ms": 50}}],
        "faults": [{"when": {"at_ms": 0}, "fault": {"type": "inject_produce", "partition": 0,
                    "producer_id": 1000, "epoch": 0, "base_sequence": i32::MAX - 2, "record_count": 3}}]});
    let mut sim = Simulation::new(Scenario::from_json(&doc.to_string()).unwrap()).unwrap();
    sim.run_to_end();
    let report = sim.report();
    let sequences: Vec<i32> = report.partitions[0]
        .log
        .iter()
        .map(|e| e.sequence)
        .collect();
    // The crafted batch ends at i32::MAX; the real producer 1000 starts at 0 and is accepted
    // as the wrap (`inSequence`: 0 after Integer.MAX_VALUE).
    assert_eq!(
        sequences,
        vec![i32::MAX - 2, i32::MAX - 1, i32::MAX, 0, 1, 2, 3, 4]
    );
}

#[test]
fn the_budget_error_names_what_to_shrink() {
    let doc = with_all(&[
        (
            &["cluster"],
            json!({"brokers": 3, "partitions": 16, "replication.factor": 3}),
        ),
        (&["duration_ms"], json!(7 * 86_400_000u64)),
    ]);
    let e = Scenario::from_json(&doc).unwrap_err();
    assert_eq!(e.path, "duration_ms");
    assert!(
        e.message.contains("replica.fetch.wait.max.ms"),
        "{}",
        e.message
    );
    assert!(e.message.contains(&MAX_STEPS.to_string()), "{}", e.message);
}

/// The CLI binary of the profile the tests are built in.
fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_idempotence-sim"))
        .args(args)
        .output()
        .expect("the CLI runs")
}

fn assert_refused(output: &std::process::Output, needle: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{what}: expected {needle:?} in {stderr}"
    );
}

#[test]
fn the_cli_refuses_every_hostile_document_with_its_path() {
    let dir = std::env::temp_dir().join(format!("hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (doc, path)) in corpus().into_iter().enumerate() {
        let file = dir.join(format!("{i}.json"));
        std::fs::write(&file, &doc).unwrap();
        let output = cli(&["run", file.to_str().unwrap()]);
        let needle = if doc.len() > MAX_SCENARIO_BYTES {
            "longer than".to_string()
        } else {
            format!("at {path}")
        };
        assert_refused(&output, &needle, &doc.chars().take(120).collect::<String>());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_cli_refuses_bad_arguments_and_files() {
    let dir = std::env::temp_dir().join(format!("hostile-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_utf8 = dir.join("binary.json");
    std::fs::write(&not_utf8, [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    let huge = dir.join("huge.json");
    std::fs::write(&huge, " ".repeat(MAX_SCENARIO_BYTES + 10)).unwrap();
    let dir_arg = dir.to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "usage"),
        (vec!["frobnicate"], "usage"),
        (vec!["run"], "usage"),
        (vec!["run", "no-such-preset"], "neither a preset"),
        (vec!["run", "/nonexistent/file.json"], "neither a preset"),
        (vec!["run", &dir_arg], "neither a preset"),
        (vec!["run", not_utf8.to_str().unwrap()], "not UTF-8"),
        (vec!["run", huge.to_str().unwrap()], "longer than"),
        (vec!["run", "/dev/zero"], "longer than"),
        (vec!["run", "lost-ack", "--seed"], "--seed needs"),
        (vec!["run", "lost-ack", "--seed", "-1"], "--seed expects"),
        (
            vec!["run", "lost-ack", "--seed", "18446744073709551616"],
            "--seed expects",
        ),
        (vec!["run", "lost-ack", "--speed"], "unknown option"),
        (vec!["show"], "usage"),
        (vec!["show", "nope"], "no preset"),
        (vec!["time"], "usage"),
        (
            vec!["time", "lost-ack", "--repeat", "0"],
            "--repeat expects",
        ),
        (
            vec!["time", "lost-ack", "--repeat", "4000000000"],
            "--repeat expects",
        ),
        (
            vec!["time", "lost-ack", "--repeat", "-3"],
            "--repeat expects",
        ),
        (vec!["time", "lost-ack", "--repeat"], "usage"),
        (vec!["time", "lost-ack", "--no-events", "--repeat"], "usage"),
        (
            vec!["time", "lost-ack", "--no-events", "--repeat", "0"],
            "--repeat expects",
        ),
        (vec!["time", "lost-ack", "--times", "3"], "usage"),
    ];
    for (args, needle) in cases {
        assert_refused(&cli(&args), needle, &args.join(" "));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Beats at the edges of their ranges run to the end without overflow (debug builds check):
/// the largest `nth`, a pattern that never matches, and one that matches every event.
#[test]
fn beats_at_their_limits_run_without_overflow() {
    let mut s: Value = serde_json::from_str(
        &idempotence_sim::presets::get("lost-ack")
            .map(|s| serde_json::to_string(&s).unwrap())
            .unwrap(),
    )
    .unwrap();
    s["beats"] = json!([
        {"when": {"type": "record_sent"}, "text": "every send", "nth": 1_000_000},
        {"when": {"type": "no_such_event"}, "text": "never"},
    ]);
    let scenario = Scenario::from_json(&s.to_string()).expect("valid");
    let mut sim = Simulation::new(scenario).unwrap();
    sim.run_to_end();
    assert!(
        sim.beats_reached().is_empty(),
        "nth 1000000 is never reached in 10 sends"
    );
    s["beats"] = json!([{"when": {"type": "record_sent"}, "text": "the first send"}]);
    let mut sim = Simulation::new(Scenario::from_json(&s.to_string()).unwrap()).unwrap();
    sim.run_to_end();
    assert_eq!(sim.beats_reached().len(), 1);
}

/// The snapshot's timer windows (request and delivery timeouts, state expiry, backoff) at the
/// largest settings a scenario may ask for: no overflow in a debug build, and every time a JS
/// caller receives stays an exact JavaScript number (below 2^53).
#[test]
fn timer_windows_at_the_largest_settings_stay_exact_numbers() {
    let top = idempotence_sim::limits::MAX_CONFIG_MS;
    let s = Scenario::from_json(
        &json!({
            "duration_ms": idempotence_sim::limits::MAX_DURATION_MS,
            "cluster": {"producer.id.expiration.ms": top, "producer.id.expiration.check.interval.ms": top},
            "producers": [{"workload": {"messages": 3}, "config": {
                "request.timeout.ms": top, "delivery.timeout.ms": top,
                "retry.backoff.ms": top, "retry.backoff.max.ms": top}}]
        })
        .to_string(),
    )
    .expect("settings at their limits are valid");
    let mut sim = Simulation::new(s).unwrap();
    let mut seen = [0usize; 3];
    let exact = |t: u64, what: &str| assert!(t < 1 << 53, "{what}: {t}");
    for _ in 0..2_000 {
        let snap = sim.snapshot_without_logs();
        for p in &snap.producers {
            if let Some((a, b)) = p.request_timeout {
                seen[0] += 1;
                exact(a.max(b), "request timeout");
            }
            for c in &p.partitions {
                for (a, b) in c.delivery_timeout.into_iter().chain(c.backoff) {
                    seen[1] += 1;
                    exact(a.max(b), "delivery timeout or backoff");
                }
            }
        }
        for b in &snap.brokers {
            for r in &b.replicas {
                for x in &r.expiries {
                    seen[2] += 1;
                    exact(x.since_ms.max(x.at_ms), "state expiry");
                }
            }
        }
        if !sim.step() {
            break;
        }
    }
    assert!(
        seen.iter().all(|&n| n > 0),
        "every kind of window was drawn: {seen:?}"
    );
}
