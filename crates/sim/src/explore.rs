//! Random-fault exploration, after TigerBeetle's VOPR: seeded random scenarios, each run to the
//! end and checked, every violation classified by its [`Mechanism`], and any violation nothing
//! explains shrunk to a small scenario a test can pin.
//!
//! Two fault mixes:
//! - [`Mix::Safe`]: what Kafka guarantees exactly-once, in-order delivery for: idempotence on,
//!   acks=all, three brokers, replication factor 3, min.insync.replicas 2, clean elections only;
//!   lost and corrupted requests, lost responses, cut links, broker and leader crashes (clean and
//!   unclean shutdowns), stalled replication, ISR shrinks, random loss; transactional producers
//!   too. Violations may still happen where Kafka itself gives way (a delivery timeout followed
//!   by an epoch bump), and each one must name such a mechanism.
//! - [`Mix::All`]: everything the scenario format can set up, adding producer restarts without
//!   transactional.id, state expiry, crafted requests, unclean elections, acks 0 and 1,
//!   idempotence off, the textbook rule and tiny sequence spaces.
//!
//! The library part is pure: the CLI (`idempotence-sim explore`) runs it on every core, times
//! it and measures memory.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::{Acks, ClusterConfig, NetworkConfig, ProducerConfig};
use crate::fault::{BatchMatcher, Fault, FaultRates, Rejection, ScriptedFault, Trigger};
use crate::invariants::Mechanism;
use crate::producer_state::DedupRule;
use crate::scenario::{Burst, ProducerSpec, Scenario, TransactionPlan, Workload};
use crate::version::{Broker, KafkaVersion};
use crate::Simulation;

/// Which faults and configurations the generator draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    Safe,
    All,
}

/// How long every generated run may last: far longer than any fault it holds, so a run that
/// reaches it still had work pending.
pub const RUN_DURATION_MS: u64 = 3_600_000;

/// The seed of run `index` of a sweep started from `base` (SplitMix64, so neighbouring runs
/// get unrelated scenarios).
pub fn run_seed(base: u64, index: u64) -> u64 {
    let mut z = base.wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random scenario, the same for the same seed and mix on every platform.
pub fn generate(seed: u64, mix: Mix) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // A third of the runs are harsh: more faults, heavy loss, short timeouts, more traffic.
    let harsh = rng.random_bool(0.35);
    let cluster = cluster(&mut rng, mix);
    let network = NetworkConfig {
        latency_ms: rng.random_range(1..=15),
        jitter_ms: rng.random_range(0..=15),
    };
    let producer_count = rng.random_range(1..=3usize);
    let producers: Vec<ProducerSpec> = (0..producer_count)
        .map(|i| producer(&mut rng, mix, i, &cluster, &network, harsh))
        .collect();
    let fault_count = rng.random_range(0..=if harsh { 12 } else { 6 });
    let faults = (0..fault_count)
        .map(|_| fault(&mut rng, mix, &cluster, producer_count as u32))
        .collect();
    let loss = if harsh { 0.2 } else { 0.05 };
    let random_faults = if rng.random_bool(0.5) {
        FaultRates::default()
    } else {
        FaultRates {
            drop_request: rng.random_range(0.0..loss),
            drop_response: rng.random_range(0.0..loss),
            corrupt_request: 0.0,
        }
    };
    let mut scenario = Scenario {
        name: format!("explore-{seed}"),
        caption: String::new(),
        seed,
        duration_ms: RUN_DURATION_MS,
        cluster,
        network,
        producers,
        faults,
        random_faults,
        beats: Vec::new(),
    };
    versions(&mut rng, mix, &mut scenario);
    debug_assert!(scenario.validate().is_ok(), "{:?}", scenario.validate());
    scenario
}

/// Releases the safe mix may draw: brokers that verify transactions (3.6+, KIP-890 part 1)
/// and clients that apply the idempotence default (all but 3.0.0 and 3.1.0), so every
/// guarantee the sweep checks is one Kafka gives.
const SAFE_BROKERS: [KafkaVersion; 4] = [
    KafkaVersion::new(3, 6, 0),
    KafkaVersion::new(3, 9, 0),
    KafkaVersion::new(4, 0, 0),
    KafkaVersion::new(4, 5, 0),
];
const SAFE_CLIENTS: [KafkaVersion; 5] = [
    KafkaVersion::new(3, 0, 1),
    KafkaVersion::new(3, 2, 0),
    KafkaVersion::new(3, 9, 0),
    KafkaVersion::new(4, 0, 0),
    KafkaVersion::new(4, 5, 0),
];
/// And what the full mix adds: brokers without verification, clients without the default.
const OLD_BROKERS: [KafkaVersion; 2] = [KafkaVersion::new(2, 5, 0), KafkaVersion::new(3, 5, 0)];
const OLD_CLIENTS: [KafkaVersion; 2] = [KafkaVersion::new(3, 0, 0), KafkaVersion::new(3, 1, 0)];

/// Draws the brokers' and each client's release (drawn last, so a seed's scenario is the one
/// it was before versions, apart from them). A client whose configuration its release refuses
/// (a 4.x client with `max.in.flight` above 5, or a `delivery.timeout.ms` below 4.x's
/// `linger.ms` default) keeps the default release. A 4.x client on 4.x brokers runs
/// transactions v2.
fn versions(rng: &mut ChaCha8Rng, mix: Mix, scenario: &mut Scenario) {
    let pick = |rng: &mut ChaCha8Rng, safe: &[KafkaVersion], old: &[KafkaVersion]| {
        let all = if mix == Mix::All { old.len() } else { 0 };
        let i = rng.random_range(0..safe.len() + all);
        safe.get(i).copied().unwrap_or_else(|| old[i - safe.len()])
    };
    let cluster = &mut scenario.cluster;
    if rng.random_bool(0.5)
        && !cluster.new_partition_requires_sequence_zero
        && cluster.broker_version.is_none()
    {
        let release = pick(rng, &SAFE_BROKERS, &OLD_BROKERS);
        // Brokers before 3.4 have no producer.id.expiration.ms to shorten (KIP-854).
        let expiry_kept = Broker(release).has_producer_id_expiration()
            || cluster.producer_id_expiration_ms == crate::config::PRODUCER_ID_EXPIRATION_MS;
        cluster.broker_version = expiry_kept.then_some(release);
    }
    for p in &mut scenario.producers {
        if !rng.random_bool(0.5) {
            continue;
        }
        p.client_version = Some(pick(rng, &SAFE_CLIENTS, &OLD_CLIENTS));
        if p.config.validate_for(p.client()).is_err() {
            p.client_version = None;
        }
    }
}

fn cluster(rng: &mut ChaCha8Rng, mix: Mix) -> ClusterConfig {
    let mut c = ClusterConfig {
        brokers: 3,
        partitions: rng.random_range(1..=3),
        replication_factor: 3,
        min_insync_replicas: 2,
        replica_lag_time_max_ms: rng.random_range(2_000..=30_000),
        replica_fetch_wait_max_ms: rng.random_range(100..=500),
        ..ClusterConfig::default()
    };
    if mix == Mix::All {
        c.brokers = rng.random_range(1..=4);
        c.replication_factor = rng.random_range(1..=c.brokers);
        c.min_insync_replicas = rng.random_range(1..=c.replication_factor);
        c.unclean_leader_election = rng.random_bool(0.3);
        if rng.random_bool(0.3) {
            c.broker_version = Some(KafkaVersion::new(4, 5, 0));
        }
        if rng.random_bool(0.2) {
            c.producer_id_expiration_ms = rng.random_range(200..=5_000);
            c.producer_id_expiration_check_interval_ms = rng.random_range(100..=2_000);
        }
        if rng.random_bool(0.1) {
            c.dedup_rule = DedupRule::Textbook;
        }
        if rng.random_bool(0.1) {
            // Small enough to wrap in a run, large enough for six batches of 5 (see validate).
            c.sequence_max = rng.random_range(29..=60);
        }
    }
    c
}

fn producer(
    rng: &mut ChaCha8Rng,
    mix: Mix,
    index: usize,
    cluster: &ClusterConfig,
    network: &NetworkConfig,
    harsh: bool,
) -> ProducerSpec {
    // An acks=all answer takes four one-way hops (request, fetch response, the next fetch,
    // response): a request timeout below that fails every request, so no run could finish.
    let hop = network.latency_ms + network.jitter_ms;
    let least_timeout = (6 * hop).max(50);
    let mut config = ProducerConfig {
        batch_size_records: rng.random_range(1..=8),
        linger_ms: Some(rng.random_range(0..=20)),
        max_in_flight: rng.random_range(1..=5),
        request_timeout_ms: if harsh {
            rng.random_range(least_timeout..=1_000)
        } else {
            rng.random_range(least_timeout.max(300)..=5_000)
        },
        retry_backoff_ms: rng.random_range(10..=200),
        ..ProducerConfig::default()
    };
    if cluster.sequence_max < i32::MAX {
        config.batch_size_records = config.batch_size_records.min(5);
    }
    let floor = config.linger_ms.unwrap_or(0) + config.request_timeout_ms;
    if rng.random_bool(if harsh { 0.6 } else { 0.3 }) {
        config.delivery_timeout_ms = rng.random_range(floor..=floor * 3);
    }
    let transactional = rng.random_bool(0.3);
    if mix == Mix::All {
        match rng.random_range(0..10) {
            0 => config.enable_idempotence = Some(false),
            1 => config.acks = Acks::Leader,
            2 => config.acks = Acks::None,
            3 => config.max_in_flight = rng.random_range(6..=10),
            _ => {}
        }
    }
    let idempotent = config.validate().is_ok_and(|c| c.idempotent);
    let messages = rng.random_range(1..=if harsh { 120 } else { 40 });
    let mut workload = Workload {
        messages,
        start_ms: rng.random_range(0..=300),
        interval_ms: rng.random_range(0..=30),
        partition: rng
            .random_bool(0.3)
            .then(|| rng.random_range(0..cluster.partitions)),
        bursts: Vec::new(),
        transactions: None,
    };
    if rng.random_bool(0.15) {
        workload.bursts.push(Burst {
            at_ms: rng.random_range(0..=2_000),
            messages: rng.random_range(1..=20),
        });
    }
    if transactional && idempotent {
        // A shared transactional.id (All only) makes the later producer fence the earlier one.
        let id = if mix == Mix::All && rng.random_bool(0.2) {
            "tx-shared".to_string()
        } else {
            format!("tx-{index}")
        };
        config.transactional_id = Some(id);
        let size = rng.random_range(1..=8);
        let transactions = workload.total_messages().div_ceil(u64::from(size)) as u32;
        let abort = (0..transactions)
            .filter(|_| rng.random_bool(0.15))
            .collect();
        workload.transactions = Some(TransactionPlan { size, abort });
        // A transaction that is run again puts all its records in at once; if they cannot all
        // be sent within delivery.timeout.ms, every attempt fails the same way, forever (as it
        // would in Kafka). Leave room for its batches one round trip after another.
        let batches = u64::from(size.div_ceil(config.batch_size_records));
        let round_trip = 4 * hop + 2 * cluster.replica_fetch_wait_max_ms.min(hop * 4) + 20;
        let room = floor + 2 * batches * round_trip;
        config.delivery_timeout_ms = config.delivery_timeout_ms.max(room);
    }
    ProducerSpec {
        client_version: None,
        config,
        workload,
    }
}

fn matcher(rng: &mut ChaCha8Rng, producers: u32, partitions: u32) -> BatchMatcher {
    BatchMatcher {
        producer: Some(rng.random_range(0..producers)),
        partition: Some(rng.random_range(0..partitions)),
        batch: Some(rng.random_range(0..5)),
        attempt: Some(rng.random_range(1..=2)),
        ..BatchMatcher::default()
    }
}

fn fault(rng: &mut ChaCha8Rng, mix: Mix, cluster: &ClusterConfig, producers: u32) -> ScriptedFault {
    let partitions = cluster.partitions;
    let at = Trigger::AtMs(rng.random_range(0..=3_000));
    let kinds = if mix == Mix::Safe { 9 } else { 14 };
    let (when, fault) = match rng.random_range(0..kinds) {
        0 => (
            Trigger::Request(matcher(rng, producers, partitions)),
            Fault::DropRequest,
        ),
        1 => (
            Trigger::Response(matcher(rng, producers, partitions)),
            Fault::DropResponse,
        ),
        2 => (
            Trigger::Request(matcher(rng, producers, partitions)),
            Fault::CorruptRequest,
        ),
        3 => (
            at,
            Fault::CutLink {
                producer: rng.random_range(0..producers),
                broker: rng.random_range(0..cluster.brokers),
                duration_ms: rng.random_range(50..=5_000),
            },
        ),
        4 => (
            at,
            Fault::CrashBroker {
                broker: rng.random_range(0..cluster.brokers),
                clean: rng.random_bool(0.5),
                down_ms: rng.random_range(100..=10_000),
            },
        ),
        5 => (
            Trigger::Response(matcher(rng, producers, partitions)),
            Fault::CrashLeader {
                partition: rng.random_range(0..partitions),
                clean: rng.random_bool(0.5),
                down_ms: rng.random_range(100..=10_000),
            },
        ),
        6 => (
            at,
            Fault::StallReplication {
                broker: rng.random_range(0..cluster.brokers),
                duration_ms: rng.random_range(100..=40_000),
            },
        ),
        7 => {
            let partition = rng.random_range(0..partitions);
            let replicas = crate::engine::replica_placement(
                partition,
                cluster.brokers,
                cluster.replication_factor,
            );
            let broker = replicas[rng.random_range(0..replicas.len())];
            // Sometimes between two requests a leader reads, rather than at a time.
            let when = if rng.random_bool(0.3) {
                Trigger::Read(matcher(rng, producers, partitions))
            } else {
                at
            };
            (when, Fault::ShrinkIsr { partition, broker })
        }
        8 => (
            at,
            Fault::CrashLeader {
                partition: rng.random_range(0..partitions),
                clean: rng.random_bool(0.5),
                down_ms: rng.random_range(100..=10_000),
            },
        ),
        9 => (
            at,
            Fault::RestartProducer {
                producer: rng.random_range(0..producers),
                down_ms: rng.random_range(0..=2_000),
            },
        ),
        10 => (
            at,
            Fault::ExpireProducerState {
                partition: rng.random_range(0..partitions),
            },
        ),
        11 => (
            at,
            Fault::InjectProduce {
                partition: rng.random_range(0..partitions),
                producer_id: rng.random_range(999..=1002),
                epoch: rng.random_range(0..=1),
                base_sequence: rng.random_range(0..=cluster.sequence_max.min(30)),
                record_count: rng.random_range(1..=3),
            },
        ),
        12 => (
            at,
            Fault::DeleteRecords {
                partition: rng.random_range(0..partitions),
                offset: rng.random_bool(0.5).then(|| rng.random_range(0..=50)),
            },
        ),
        _ => {
            // All only: an idempotent client's epoch bump after it can duplicate (KAFKA-14034);
            // MESSAGE_TOO_LARGE splits a batch of several records instead.
            let error = match rng.random_range(0..3) {
                0 => Rejection::InvalidRecord,
                1 => Rejection::TopicAuthorizationFailed,
                _ => Rejection::MessageTooLarge,
            };
            (
                Trigger::Request(matcher(rng, producers, partitions)),
                Fault::RejectBatch { error },
            )
        }
    };
    ScriptedFault { when, fault }
}

/// One violation, or a run that did not end cleanly, as the sweep counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The invariant's id, or `run_incomplete` / `panic`.
    pub check: String,
    pub mechanism: Mechanism,
    /// How many violations of this (check, mechanism) the run had.
    pub count: u64,
    /// The first one, in words.
    pub example: String,
}

impl Finding {
    pub fn is_explained(&self) -> bool {
        self.mechanism.is_explained()
    }
}

/// What one run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub seed: u64,
    pub steps_events: u64,
    pub finished_because: String,
    pub findings: Vec<Finding>,
}

/// Why a run is incomplete: it stopped with work still pending.
pub fn incomplete(finished_because: &str) -> bool {
    matches!(
        finished_because,
        "duration_ms reached" | "step limit reached"
    )
}

/// Runs a scenario to its end (without keeping events) and classifies what went wrong.
pub fn run(scenario: Scenario) -> RunOutcome {
    let seed = scenario.seed;
    let mut sim = match Simulation::new(scenario) {
        Ok(sim) => sim,
        Err(e) => {
            return RunOutcome {
                seed,
                steps_events: 0,
                finished_because: format!("invalid scenario at {}: {}", e.path, e.message),
                findings: vec![Finding {
                    check: "invalid_scenario".into(),
                    mechanism: Mechanism::ModelBug,
                    count: 1,
                    example: e.to_string(),
                }],
            }
        }
    };
    sim.keep_events(false);
    sim.run_to_end();
    let finished_because = sim.finished().unwrap_or("still running").to_string();
    let mut findings = Vec::new();
    for inv in sim.check_invariants() {
        let mut by_mechanism: BTreeMap<Mechanism, (u64, String)> = BTreeMap::new();
        for v in &inv.violations {
            let entry = by_mechanism
                .entry(v.mechanism)
                .or_insert_with(|| (0, v.explanation.clone()));
            entry.0 += 1;
        }
        // The listed violations are capped; the rest count towards the first mechanism seen.
        let listed: u64 = by_mechanism.values().map(|(n, _)| n).sum();
        if let Some((n, _)) = by_mechanism.values_mut().next() {
            *n += inv.violation_count.saturating_sub(listed);
        }
        findings.extend(
            by_mechanism
                .into_iter()
                .map(|(mechanism, (count, example))| Finding {
                    check: inv.id.clone(),
                    mechanism,
                    count,
                    example,
                }),
        );
    }
    if incomplete(&finished_because) {
        findings.push(Finding {
            check: "run_incomplete".into(),
            mechanism: Mechanism::ModelBug,
            count: 1,
            example: format!(
                "the run stopped ({finished_because}) at {} ms with work still pending",
                sim.now_ms()
            ),
        });
    }
    RunOutcome {
        seed,
        steps_events: sim.event_count(),
        finished_because,
        findings,
    }
}

/// Shrinks a scenario while `still_fails` holds, trying smaller versions one change at a time
/// (drop a fault, drop random loss, drop a producer, fewer messages, fewer partitions, simpler
/// settings) until none helps or `budget` runs are spent.
pub fn shrink(
    scenario: &Scenario,
    mut still_fails: impl FnMut(&Scenario) -> bool,
    budget: usize,
) -> Scenario {
    let mut best = scenario.clone();
    let mut spent = 0;
    loop {
        let mut improved = false;
        for candidate in smaller(&best) {
            if spent >= budget {
                return best;
            }
            if candidate.validate().is_err() {
                continue;
            }
            spent += 1;
            if still_fails(&candidate) {
                best = candidate;
                improved = true;
                break;
            }
        }
        if !improved {
            return best;
        }
    }
}

/// Candidates one step smaller than `s`, most promising first.
fn smaller(s: &Scenario) -> Vec<Scenario> {
    let mut out = Vec::new();
    for i in 0..s.faults.len() {
        let mut c = s.clone();
        c.faults.remove(i);
        out.push(c);
    }
    if s.random_faults != FaultRates::default() {
        let mut c = s.clone();
        c.random_faults = FaultRates::default();
        out.push(c);
    }
    if s.producers.len() > 1 {
        for i in 0..s.producers.len() {
            out.push(without_producer(s, i as u32));
        }
    }
    for (i, p) in s.producers.iter().enumerate() {
        let w = &p.workload;
        let mut fewer = Vec::new();
        if w.messages > 1 {
            fewer.push(w.messages / 2);
            fewer.push(w.messages - 1);
        }
        for messages in fewer {
            let mut c = s.clone();
            c.producers[i].workload.messages = messages;
            out.push(c);
        }
        if !w.bursts.is_empty() {
            let mut c = s.clone();
            c.producers[i].workload.bursts.clear();
            out.push(c);
        }
        let simple = ProducerConfig {
            transactional_id: p.config.transactional_id.clone(),
            enable_idempotence: p.config.enable_idempotence,
            acks: p.config.acks,
            ..ProducerConfig::default()
        };
        if p.config != simple {
            let mut c = s.clone();
            c.producers[i].config.linger_ms = Some(0);
            c.producers[i].config.retry_backoff_ms = simple.retry_backoff_ms;
            out.push(c);
        }
    }
    if s.cluster.partitions > 1 {
        let mut c = s.clone();
        c.cluster.partitions -= 1;
        out.push(c);
    }
    if s.network.jitter_ms > 0 {
        let mut c = s.clone();
        c.network.jitter_ms = 0;
        out.push(c);
    }
    out
}

/// `s` without producer `gone`: faults aimed at it go, and higher indexes move down by one.
fn without_producer(s: &Scenario, gone: u32) -> Scenario {
    let mut c = s.clone();
    c.producers.remove(gone as usize);
    c.faults.retain(|f| !refers_to_producer(f, gone));
    let shift = |p: &mut u32| {
        if *p > gone {
            *p -= 1;
        }
    };
    for f in &mut c.faults {
        if let Trigger::Request(m) | Trigger::Response(m) | Trigger::Read(m) = &mut f.when {
            if let Some(p) = m.producer.as_mut() {
                shift(p);
            }
        }
        if let Fault::CutLink { producer, .. } | Fault::RestartProducer { producer, .. } =
            &mut f.fault
        {
            shift(producer);
        }
    }
    c
}

fn refers_to_producer(f: &ScriptedFault, producer: u32) -> bool {
    let by_trigger = match &f.when {
        Trigger::Request(m) | Trigger::Response(m) | Trigger::Read(m) => {
            m.producer == Some(producer)
        }
        Trigger::AtMs(_) => false,
    };
    let by_fault = matches!(
        f.fault,
        Fault::CutLink { producer: p, .. } | Fault::RestartProducer { producer: p, .. } if p == producer
    );
    by_trigger || by_fault
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_scenarios_are_valid_and_deterministic() {
        for mix in [Mix::Safe, Mix::All] {
            for i in 0..300 {
                let seed = run_seed(7, i);
                let s = generate(seed, mix);
                s.validate()
                    .unwrap_or_else(|e| panic!("{mix:?} seed {seed}: {e}"));
                assert_eq!(s, generate(seed, mix));
                if mix == Mix::Safe {
                    assert_eq!(s.cluster.min_insync_replicas, 2);
                    assert!(!s.cluster.unclean_leader_election);
                    assert!(s.producers.iter().all(|p| p.config.acks == Acks::All));
                }
            }
        }
    }

    #[test]
    fn shrinking_keeps_the_failure_and_makes_the_scenario_smaller() {
        let s = generate(run_seed(1, 3), Mix::All);
        let before = s.faults.len() + s.producers.len();
        // A stand-in failure: "the scenario still has at least one producer".
        let small = shrink(&s, |c| !c.producers.is_empty(), 200);
        assert!(small.faults.is_empty());
        assert_eq!(small.producers.len(), 1);
        assert_eq!(small.producers[0].workload.messages, 1);
        assert!(small.faults.len() + small.producers.len() <= before);
    }

    #[test]
    fn a_run_reports_findings_by_mechanism() {
        let out = run(crate::presets::get("lost-ack-no-idempotence").unwrap());
        let dup = out
            .findings
            .iter()
            .find(|f| f.check == "no_duplicates")
            .expect("duplicates found");
        assert_eq!(dup.mechanism, Mechanism::IdempotenceOff);
        assert_eq!(dup.count, 5);
        assert!(out.findings.iter().all(Finding::is_explained));
    }
}
