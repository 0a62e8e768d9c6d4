//! Criterion benchmarks of the core: produce batches simulated per second (happy path and
//! 5% lost responses), replication at factor 3 as the log grows (20 k, 80 k and 320 k
//! messages: the time per message must stay flat), and the broker's duplicate check against a
//! naive baseline (a hash set of every (producer id, sequence) ever seen), in the same run.

use std::collections::HashSet;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use idempotence_sim::producer_state::{DedupRule, IncomingBatch, ProducerStateTable};
use idempotence_sim::sequence::SequenceSpace;
use idempotence_sim::{Scenario, Simulation};

const MESSAGES: u32 = 20_000;

fn scenario(drop_response: f64) -> Scenario {
    Scenario::from_json(&format!(
        r#"{{"duration_ms": 604800000, "network": {{"latency_ms": 1}},
             "random_faults": {{"drop_response": {drop_response}}},
             "producers": [{{"config": {{"batch.size": 1, "request.timeout.ms": 1000}},
                            "workload": {{"messages": {MESSAGES}, "interval_ms": 1}}}}]}}"#
    ))
    .expect("benchmark scenario")
}

fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    for (name, rate) in [("happy_path", 0.0), ("lost_responses_5pct", 0.05)] {
        let s = scenario(rate);
        group.throughput(Throughput::Elements(MESSAGES as u64));
        // Building the simulation and dropping its (large) history are kept out of the timing:
        // what is measured is simulating the batches.
        group.bench_with_input(BenchmarkId::new("batches", name), &s, |b, s| {
            b.iter_batched(
                || Simulation::new(s.clone()).unwrap(),
                |mut sim| {
                    sim.run_to_end();
                    sim
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// Replication factor 3, a record every millisecond in batches of up to 5: followers fetch
/// as the log grows, so any per-fetch cost that grows with the log shows as a rising time
/// per message here.
fn replicated(messages: u32) -> Scenario {
    Scenario::from_json(&format!(
        r#"{{"cluster": {{"brokers": 3, "replication.factor": 3, "min.insync.replicas": 2}},
             "network": {{"latency_ms": 1}}, "duration_ms": {},
             "producers": [{{"config": {{"batch.size": 5, "linger.ms": 5}},
                            "workload": {{"messages": {messages}, "interval_ms": 1}}}}]}}"#,
        u64::from(messages) + 60_000
    ))
    .expect("replication benchmark scenario")
}

fn replication(c: &mut Criterion) {
    let mut group = c.benchmark_group("replication_rf3");
    group.sample_size(10);
    for messages in [20_000u32, 80_000, 320_000] {
        let s = replicated(messages);
        group.throughput(Throughput::Elements(u64::from(messages)));
        group.bench_with_input(BenchmarkId::new("messages", messages), &s, |b, s| {
            b.iter_batched(
                || {
                    let mut sim = Simulation::new(s.clone()).unwrap();
                    sim.keep_events(false);
                    sim
                },
                |mut sim| {
                    sim.run_to_end();
                    sim
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn duplicate_check(c: &mut Criterion) {
    const BATCHES: i32 = 100_000;
    let space = SequenceSpace::default();
    let mut group = c.benchmark_group("duplicate_check");
    group.throughput(Throughput::Elements(BATCHES as u64));
    group.bench_function("kafka_5_batch_cache", |b| {
        b.iter(|| {
            let mut table = ProducerStateTable::default();
            let mut appended = 0u32;
            for i in 0..BATCHES {
                let batch = IncomingBatch {
                    producer_id: 1,
                    epoch: 0,
                    base_seq: i * 5,
                    last_seq: i * 5 + 4,
                    max_timestamp_ms: 0,
                };
                if let idempotence_sim::producer_state::Verdict::Append =
                    table.validate(&batch, space, DedupRule::Kafka)
                {
                    table.record_append(&batch, i as i64 * 5, i as i64 * 5 + 4);
                    appended += 1;
                }
            }
            appended
        })
    });
    group.bench_function("naive_hash_set_of_every_sequence", |b| {
        b.iter(|| {
            let mut seen: HashSet<(i64, i32)> = HashSet::new();
            let mut appended = 0u32;
            for i in 0..BATCHES {
                if seen.insert((1, i * 5)) {
                    appended += 1;
                }
            }
            appended
        })
    });
    group.finish();
}

criterion_group!(benches, simulate, replication, duplicate_check);
criterion_main!(benches);
