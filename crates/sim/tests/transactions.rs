//! Transactions: coordinator, markers, fencing, read_committed (one test per rule, plus a
//! property test across producer crashes and restarts).

use idempotence_sim::fault::{Fault, FaultRates, ScriptedFault, Trigger};
use idempotence_sim::{presets, EventKind, KafkaError, Report, Scenario, Simulation};
use proptest::prelude::*;

fn run(s: Scenario) -> (Report, Vec<idempotence_sim::Event>) {
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    (sim.report(), sim.events().to_vec())
}

fn preset(id: &str) -> (Report, Vec<idempotence_sim::Event>) {
    run(presets::get(id).unwrap())
}

fn all_hold(r: &Report) {
    for i in &r.invariants {
        assert!(i.holds, "{} violated: {:?}", i.id, i.violations.first());
    }
}

#[test]
fn aborted_records_stay_in_the_log_but_read_committed_skips_them() {
    let (r, _) = preset("abort-hides-records");
    let uncommitted: usize = r.partitions.iter().map(|p| p.read_uncommitted.len()).sum();
    let committed: usize = r.partitions.iter().map(|p| p.read_committed.len()).sum();
    assert_eq!((uncommitted, committed), (12, 8));
    let markers: Vec<String> = r.partitions[0]
        .log
        .iter()
        .filter(|e| e.control.is_some())
        .map(|e| e.value.clone())
        .collect();
    assert_eq!(markers, vec!["COMMIT", "ABORT", "COMMIT"]);
    assert!(r
        .partitions
        .iter()
        .all(|p| !p.read_committed.contains(&"p0-m4".to_string())));
    all_hold(&r);
}

#[test]
fn a_new_instance_fences_the_zombie_and_aborts_its_transaction() {
    let (r, events) = preset("zombie-fencing");
    let fenced = events.iter().find_map(|e| match &e.kind {
        EventKind::ProducerFenced {
            producer, error, ..
        } => Some((*producer, *error)),
        _ => None,
    });
    assert_eq!(fenced, Some((0, KafkaError::ProducerFenced)));
    // The abort marker carries the bumped epoch; the new instance writes with the next one.
    let abort = r.partitions[0]
        .log
        .iter()
        .find(|e| e.value == "ABORT")
        .unwrap();
    assert_eq!(abort.epoch, 1);
    assert!(r.partitions[0]
        .log
        .iter()
        .any(|e| e.value == "p1-m0" && e.epoch == 2));
    let committed: Vec<String> = r
        .partitions
        .iter()
        .flat_map(|p| p.read_committed.clone())
        .collect();
    assert!(
        committed.contains(&"p0-m0".to_string()),
        "the zombie's committed transaction stays"
    );
    assert!(
        !committed.contains(&"p0-m4".to_string()),
        "its aborted one is hidden"
    );
    all_hold(&r);
}

#[test]
fn restart_with_the_same_transactional_id_reads_each_record_once() {
    let (r, events) = preset("restart-with-transactional-id");
    let epochs: Vec<i16> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ProducerIdAssigned {
                epoch, producer_id, ..
            } => Some((producer_id, epoch)),
            _ => None,
        })
        .map(|(pid, epoch)| {
            assert_eq!(pid, 1000, "same producer id across restarts");
            epoch
        })
        .collect();
    assert_eq!(
        epochs,
        vec![0, 2],
        "fenced once for the abort, bumped once more for the new instance"
    );
    let raw: usize = r.partitions.iter().map(|p| p.read_uncommitted.len()).sum();
    let committed: usize = r.partitions.iter().map(|p| p.read_committed.len()).sum();
    assert!(raw > 8, "the first attempt's records are still in the log");
    assert_eq!(committed, 8);
    all_hold(&r);
}

#[test]
fn the_last_stable_offset_waits_for_the_commit_marker() {
    let mut sim = Simulation::new(presets::get("multi-partition-commit").unwrap()).unwrap();
    let mut saw_unstable = false;
    while sim.step() {
        let snapshot = sim.snapshot();
        for b in &snapshot.brokers {
            for r in b.replicas.iter().filter(|r| r.is_leader) {
                assert!(r.last_stable_offset <= r.high_watermark);
                if r.last_stable_offset < r.high_watermark {
                    saw_unstable = true;
                }
            }
        }
    }
    assert!(
        saw_unstable,
        "records of an open transaction sit between the LSO and the HW"
    );
    let report = sim.report();
    for p in &report.partitions {
        assert_eq!(p.last_stable_offset, p.high_watermark);
        assert_eq!(p.log.iter().filter(|e| e.value == "COMMIT").count(), 1);
        assert_eq!(p.read_committed.len(), 3);
    }
}

#[test]
fn a_lost_end_txn_response_is_retried_and_answered_idempotently() {
    let mut s = presets::get("abort-hides-records").unwrap();
    s.faults.push(ScriptedFault {
        when: Trigger::AtMs(65),
        fault: Fault::CutLink {
            producer: 0,
            broker: 0,
            duration_ms: 40,
        },
    });
    s.producers[0].config.request_timeout_ms = 200;
    let (r, _) = run(s);
    let committed: usize = r.partitions.iter().map(|p| p.read_committed.len()).sum();
    assert_eq!(committed, 8);
    all_hold(&r);
}

#[test]
fn coordinator_failover_keeps_the_transaction() {
    let mut s = Scenario::from_json(
        r#"{"cluster":{"brokers":3,"partitions":2,"replication.factor":3,"min.insync.replicas":2},
            "producers":[{"config":{"transactional.id":"t","request.timeout.ms":300},
                          "workload":{"messages":8,"interval_ms":20,"transactions":{"size":4}}}]}"#,
    )
    .unwrap();
    // "t" hashes to broker 116 % 3 = 2: crash it mid-run.
    s.faults.push(ScriptedFault {
        when: Trigger::AtMs(50),
        fault: Fault::CrashBroker {
            broker: 2,
            clean: false,
            down_ms: 2000,
        },
    });
    let (r, _) = run(s);
    let committed: usize = r.partitions.iter().map(|p| p.read_committed.len()).sum();
    assert_eq!(committed, 8);
    all_hold(&r);
}

#[test]
fn a_non_transactional_write_during_an_open_transaction_is_invalid_txn_state() {
    let mut s = Scenario::from_json(
        r#"{"producers":[{"config":{"transactional.id":"t"},"workload":{"messages":2,"interval_ms":200,"transactions":{"size":2}}}]}"#,
    )
    .unwrap();
    s.faults.push(ScriptedFault {
        when: Trigger::AtMs(100),
        fault: Fault::InjectProduce {
            partition: 0,
            producer_id: 1000,
            epoch: 0,
            base_sequence: 1,
            record_count: 1,
        },
    });
    let (r, _) = run(s);
    assert!(r
        .responses
        .iter()
        .any(|x| x.error == KafkaError::InvalidTxnState));
}

fn transactional_base(seed: u64) -> Scenario {
    let mut s = Scenario::from_json(
        r#"{"duration_ms": 3600000,
            "cluster":{"brokers":3,"partitions":2,"replication.factor":3,"min.insync.replicas":2},
            "network":{"latency_ms":5,"jitter_ms":5},
            "producers":[{"config":{"transactional.id":"orders","request.timeout.ms":500,"delivery.timeout.ms":600000},
                          "workload":{"messages":12,"interval_ms":15,"transactions":{"size":4,"abort":[1]}}}]}"#,
    )
    .unwrap();
    s.seed = seed;
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Across producer crashes and restarts, lost requests and responses, a read_committed
    /// consumer sees every committed record exactly once and no aborted record, with
    /// transactions v1 (3.9 client and brokers) and v2 (4.0 client and brokers, KIP-890 part 2).
    #[test]
    fn read_committed_sees_committed_records_exactly_once(
        seed in any::<u64>(),
        restarts in prop::collection::vec((0u64..600, 0u64..200), 0..3),
        drop_request in 0.0f64..0.05,
        drop_response in 0.0f64..0.05,
        v2 in any::<bool>(),
    ) {
        let mut s = transactional_base(seed);
        if v2 {
            let release: idempotence_sim::version::KafkaVersion = "4.0".parse().unwrap();
            s.cluster.broker_version = Some(release);
            s.producers[0].client_version = Some(release);
        }
        for (at, down_ms) in restarts {
            s.faults.push(ScriptedFault { when: Trigger::AtMs(at), fault: Fault::RestartProducer { producer: 0, down_ms } });
        }
        s.random_faults = FaultRates {
            drop_request,
            drop_response,
            corrupt_request: 0.0,
        };
        let mut sim = Simulation::new(s).unwrap();
        sim.run_to_end();
        prop_assert!(sim.finished().is_some_and(|why| why != "step limit reached" && why != "duration_ms reached"), "{:?}", sim.finished());
        let report = sim.report();
        let rc = report.invariants.iter().find(|i| i.id == "read_committed_exactly_once").unwrap();
        prop_assert!(rc.applicable && rc.holds, "{:?}", rc.violations.first());
        let committed: usize = report.partitions.iter().map(|p| p.read_committed.len()).sum();
        prop_assert_eq!(committed, 8, "transactions 0 and 2 commit, 1 is aborted by the application");
    }
}

#[test]
fn the_coordinator_aborts_and_fences_a_transaction_past_its_timeout() {
    let mut s = Scenario::from_json(
        r#"{"producers":[{"config":{"transactional.id":"slow","transaction.timeout.ms":500,"request.timeout.ms":300},
                          "workload":{"messages":4,"interval_ms":10,"transactions":{"size":4}}}]}"#,
    )
    .unwrap();
    s.faults.push(ScriptedFault {
        when: Trigger::AtMs(45),
        fault: Fault::CutLink {
            producer: 0,
            broker: 0,
            duration_ms: 3000,
        },
    });
    let (r, events) = run(s);
    let why = events.iter().find_map(|e| match &e.kind {
        EventKind::TransactionFenced { why, .. } => Some(why.clone()),
        _ => None,
    });
    assert_eq!(why.as_deref(), Some("transaction.timeout.ms expired"));
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::ProducerFenced { .. })));
    assert!(r.partitions[0].read_committed.is_empty());
    all_hold(&r);
}

#[test]
fn a_zombie_write_with_the_old_epoch_is_invalid_producer_epoch() {
    let mut s = presets::get("zombie-fencing").unwrap();
    // After the fence (ABORT marker under epoch 1 on partition 0), the old epoch writes again.
    s.faults.push(ScriptedFault {
        when: Trigger::AtMs(600),
        fault: Fault::InjectProduce {
            partition: 0,
            producer_id: 1000,
            epoch: 0,
            base_sequence: 5,
            record_count: 1,
        },
    });
    let (r, _) = run(s);
    assert_eq!(
        r.responses.last().unwrap().error,
        KafkaError::InvalidProducerEpoch
    );
}

#[test]
fn partition_leader_failover_mid_transaction_keeps_read_committed_exact() {
    let mut s = Scenario::from_json(
        r#"{"cluster":{"brokers":3,"partitions":2,"replication.factor":3,"min.insync.replicas":2},
            "producers":[{"config":{"transactional.id":"t","request.timeout.ms":300},
                          "workload":{"messages":12,"interval_ms":15,"transactions":{"size":4,"abort":[1]}}}]}"#,
    )
    .unwrap();
    for (at, partition) in [(40, 0), (120, 1), (200, 0)] {
        s.faults.push(ScriptedFault {
            when: Trigger::AtMs(at),
            fault: Fault::CrashLeader {
                partition,
                clean: false,
                down_ms: 150,
            },
        });
    }
    let (r, events) = run(s);
    assert!(
        events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::LeaderElected { .. }))
            .count()
            >= 3
    );
    let committed: usize = r.partitions.iter().map(|p| p.read_committed.len()).sum();
    assert_eq!(committed, 8);
    all_hold(&r);
}
