//! Parser fuzzing with proptest: arbitrary JSON documents, and the presets with fields
//! replaced by extreme values, deleted or duplicated. Parsing never panics; what parses is run
//! for a bounded number of steps, which in a debug build (where arithmetic overflow panics)
//! checks that no accepted value can overflow the engine.

use idempotence_sim::{presets, Fault, Scenario, Simulation};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Field names of the scenario format, so generated objects often hit real fields.
const KEYS: &[&str] = &[
    "name",
    "caption",
    "seed",
    "duration_ms",
    "cluster",
    "network",
    "producers",
    "faults",
    "random_faults",
    "brokers",
    "partitions",
    "replication.factor",
    "min.insync.replicas",
    "unclean.leader.election.enable",
    "producer.id.expiration.ms",
    "sequence_max",
    "dedup_rule",
    "latency_ms",
    "jitter_ms",
    "config",
    "workload",
    "messages",
    "start_ms",
    "interval_ms",
    "partition",
    "bursts",
    "at_ms",
    "transactions",
    "size",
    "abort",
    "acks",
    "retries",
    "batch.size",
    "linger.ms",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "max.in.flight.requests.per.connection",
    "transactional.id",
    "enable.idempotence",
    "when",
    "fault",
    "type",
    "request",
    "response",
    "broker",
    "producer",
    "down_ms",
    "duration_ms",
    "clean",
    "producer_id",
    "epoch",
    "base_sequence",
    "record_count",
    "drop_request",
    "drop_response",
    "attempt",
    "batch",
];

/// Numbers at and around every boundary a field has.
fn extreme_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(-1)),
        Just(json!(2)),
        Just(json!(5)),
        Just(json!(100)),
        Just(json!(101)),
        Just(json!(i16::MAX)),
        Just(json!(i32::MAX)),
        Just(json!(i32::MAX as i64 + 1)),
        Just(json!(u32::MAX)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1.5)),
        Just(json!(-0.0)),
        Just(json!(1e300)),
        Just(json!(604_800_000u64)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i32>().prop_map(|n| json!(n)),
        (0.0f64..1.0).prop_map(|x| json!(x)),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        extreme_number(),
        "[a-z0-9_.-]{0,12}".prop_map(Value::String),
        prop::sample::select(KEYS).prop_map(|k| json!(k)),
        prop::sample::select(vec![
            "all",
            "1",
            "0",
            "-1",
            "kafka",
            "textbook",
            "crash_broker",
            "drop_request",
            "drop_response",
            "inject_produce",
            "shrink_isr",
            "cut_link"
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

/// Every path to a leaf or a node of a JSON document.
fn paths(v: &Value, here: Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let mut p = here.clone();
                p.push(PathPart::Key(k.clone()));
                paths(child, p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let mut p = here.clone();
                p.push(PathPart::Index(i));
                paths(child, p, out);
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[PathPart]) -> Option<&'a mut Value> {
    let mut node = v;
    for part in path {
        node = match part {
            PathPart::Key(k) => node.get_mut(k.as_str())?,
            PathPart::Index(i) => node.get_mut(*i)?,
        };
    }
    Some(node)
}

#[derive(Clone, Debug)]
enum Mutation {
    Replace(Value),
    Delete,
    Duplicate,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => extreme_number().prop_map(Mutation::Replace),
        1 => arbitrary_json().prop_map(Mutation::Replace),
        1 => Just(Mutation::Delete),
        1 => Just(Mutation::Duplicate),
    ]
}

fn mutate(doc: &mut Value, path: &[PathPart], m: &Mutation) {
    match m {
        Mutation::Replace(value) => {
            if let Some(node) = at(doc, path) {
                *node = value.clone();
            }
        }
        Mutation::Delete => {
            if let Some((last, parent_path)) = path.split_last() {
                if let Some(parent) = at(doc, parent_path) {
                    match (parent, last) {
                        (Value::Object(m), PathPart::Key(k)) => {
                            m.remove(k);
                        }
                        (Value::Array(a), PathPart::Index(i)) if *i < a.len() => {
                            a.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
        }
        Mutation::Duplicate => {
            if let Some(Value::Array(a)) = at(doc, path) {
                let copy = a.clone();
                a.extend(copy);
            }
        }
    }
}

/// Parse, and if accepted, run a bounded number of steps and build the report.
fn parse_and_run(text: &str) {
    if let Ok(scenario) = Scenario::from_json(text) {
        let mut sim = Simulation::new(scenario).expect("validated twice");
        for _ in 0..20_000 {
            if !sim.step() {
                break;
            }
        }
        let _ = sim.report();
        let _ = sim.snapshot();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_documents_never_panic(doc in arbitrary_json()) {
        let text = doc.to_string();
        parse_and_run(&text);
        let _ = Fault::from_json(&text);
    }

    #[test]
    fn mutated_presets_never_panic_or_overflow(
        preset in 0..presets::PRESETS.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4),
    ) {
        let mut doc: Value = serde_json::from_str(presets::PRESETS[preset].1).unwrap();
        for (index, m) in &edits {
            let mut all = Vec::new();
            paths(&doc, Vec::new(), &mut all);
            let path = index.get(&all).clone();
            mutate(&mut doc, &path, m);
        }
        parse_and_run(&doc.to_string());
    }

    #[test]
    fn truncated_and_spliced_text_never_panics(
        preset in 0..presets::PRESETS.len(),
        cut in any::<prop::sample::Index>(),
        junk in "[ -~]{0,8}",
    ) {
        let text = presets::PRESETS[preset].1;
        let at = cut.index(text.len() + 1);
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        parse_and_run(&format!("{}{junk}{}", &text[..at], &text[at..]));
        parse_and_run(&text[..at]);
    }
}
