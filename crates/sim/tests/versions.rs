//! What changes with the client's and the brokers' release (`docs/versions.md`): one scenario
//! per behaviour, run both sides of the release that changes it.

use idempotence_sim::event::BrokerVerdict;
use idempotence_sim::producer_state::RejectReason;
use idempotence_sim::{presets, EventKind, KafkaError, Report, Scenario, Simulation};

fn run(scenario: Scenario) -> (Simulation, Report) {
    let mut sim = Simulation::new(scenario).expect("valid scenario");
    sim.run_to_end();
    let report = sim.report();
    (sim, report)
}

fn with_client(mut s: Scenario, version: &str) -> Scenario {
    for p in &mut s.producers {
        p.client_version = Some(version.parse().expect("a release"));
    }
    s
}

fn duplicates(r: &Report) -> u64 {
    r.counters.duplicates_written
}

/// KAFKA-13598: clients 3.0.0 and 3.1.0 ignore the default `enable.idempotence=true`, so the
/// lost response of `lost-ack` writes its batch twice, as with idempotence off; 3.0.1 applies
/// the default, and an explicit `true` works on every release.
#[test]
fn a_3_0_0_client_is_not_idempotent_unless_told_and_writes_a_lost_ack_twice() {
    let lost_ack = presets::get("lost-ack").expect("preset");
    let (_, on_default) = run(lost_ack.clone());
    assert_eq!(duplicates(&on_default), 0, "3.9, the default release");
    let (_, old) = run(with_client(lost_ack.clone(), "3.0"));
    assert!(duplicates(&old) > 0, "3.0.0 sends without a producer id");
    let (_, fixed) = run(with_client(lost_ack.clone(), "3.0.1"));
    assert_eq!(duplicates(&fixed), 0);
    let mut explicit = with_client(lost_ack, "3.1");
    explicit.producers[0].config.enable_idempotence = Some(true);
    let (_, explicit) = run(explicit);
    assert_eq!(duplicates(&explicit), 0, "set explicitly, it is on");
}

/// 3.0.0 and 3.1.0 still turn idempotence on for a `transactional.id`, and then refuse a
/// conflicting setting rather than switching idempotence off (`ProducerConfig.idempotenceEnabled`).
#[test]
fn a_3_0_0_transactional_client_is_idempotent_and_refuses_acks_1() {
    let json = r#"{"producers":[{"client_version":"3.0","config":{"transactional.id":"t","acks":"1"},
                                 "workload":{"messages":2}}]}"#;
    let e = Scenario::from_json(json).unwrap_err();
    assert_eq!(e.path, "producers[0].config.acks");
    assert!(e.message.contains("Must set acks to all"), "{e}");
    let later = json.replace("\"3.0\"", "\"3.9\"");
    let e = Scenario::from_json(&later).unwrap_err();
    assert_eq!(
        e.path, "producers[0].config.transactional.id",
        "3.2+: acks=1 switches the implicit idempotence off, then the transactional.id is refused"
    );
}

/// KAFKA-17927: from 4.0, `max.in.flight.requests.per.connection` above 5 is an error even
/// when idempotence is only on by default; 3.x switched it off with a warning.
#[test]
fn a_4_0_client_refuses_six_in_flight_that_3_x_took_as_switching_idempotence_off() {
    let json = |v: &str| {
        format!(
            r#"{{"producers":[{{"client_version":"{v}","config":{{"max.in.flight.requests.per.connection":6}},
                               "workload":{{"messages":4}}}}]}}"#
        )
    };
    let e = Scenario::from_json(&json("4.0")).unwrap_err();
    assert_eq!(
        e.path,
        "producers[0].config.max.in.flight.requests.per.connection"
    );
    assert!(e.message.contains("at most 5"), "{e}");
    let (sim, _) = run(Scenario::from_json(&json("3.9")).expect("3.x runs it"));
    let view = sim.snapshot();
    assert!(
        !view.producers[0].idempotent,
        "switched off, with a warning"
    );
}

/// KIP-1030: a 4.0 client lingers 5 ms by default, so a lone record waits 5 ms for company;
/// a 3.x client sends it at once. An explicit `linger.ms` wins on both.
#[test]
fn a_4_0_client_lingers_five_milliseconds_by_default() {
    let first_request_ms = |s: Scenario| {
        let (sim, _) = run(s);
        sim.events()
            .iter()
            .find(|e| matches!(e.kind, EventKind::RequestSent { .. }))
            .map(|e| e.time_ms)
    };
    // One record, sent once the producer id is there (a round trip after the start).
    let one = Scenario::from_json(r#"{"producers":[{"workload":{"messages":1,"start_ms":100}}]}"#)
        .expect("valid");
    let t3 = first_request_ms(with_client(one.clone(), "3.9")).unwrap();
    let t4 = first_request_ms(with_client(one.clone(), "4.0")).unwrap();
    assert_eq!(t3, 100);
    assert_eq!(t4, 105, "the batch is not full: it waits linger.ms");
    let mut explicit = with_client(one, "4.0");
    explicit.producers[0].config.linger_ms = Some(0);
    assert_eq!(first_request_ms(explicit), Some(t3));
}

/// KIP-890 part 1 (brokers 3.6+): the scenario of the regression test
/// `a_late_batch_of_an_aborted_transaction_is_refused_by_verification`, on brokers 3.5 and
/// 3.6. Without verification the late batch of the aborted transaction is appended and
/// committed with the next one; read_committed then sees its record twice.
#[test]
fn brokers_before_3_6_append_a_late_batch_of_an_aborted_transaction() {
    let json = |v: &str| {
        format!(
            r#"{{"seed":1836094684688537191,"duration_ms":3600000,
            "cluster":{{"broker_version":"{v}","brokers":3,"partitions":1,"replication.factor":3,"min.insync.replicas":2,
                       "replica.lag.time.max.ms":8483,"replica.fetch.wait.max.ms":260}},
            "network":{{"latency_ms":6,"jitter_ms":0}},
            "producers":[{{"config":{{"max.in.flight.requests.per.connection":4,"batch.size":8,"linger.ms":0,
                                    "request.timeout.ms":3971,"delivery.timeout.ms":6193,"transactional.id":"tx-1"}},
                          "workload":{{"messages":4,"start_ms":51,"interval_ms":23,"bursts":[{{"at_ms":1031,"messages":17}}],
                                      "transactions":{{"size":5,"abort":[11]}}}}}}],
            "faults":[{{"when":{{"at_ms":860}},"fault":{{"type":"stall_replication","broker":1,"duration_ms":24575}}}},
                      {{"when":{{"request":{{"producer":0,"partition":0,"batch":3,"attempt":2}}}},"fault":{{"type":"drop_request"}}}},
                      {{"when":{{"request":{{"producer":0,"partition":0,"batch":0,"attempt":1}}}},"fault":{{"type":"drop_request"}}}}]}}"#
        )
    };
    let refused = |sim: &Simulation| {
        sim.events().iter().any(|e| {
            matches!(
                &e.kind,
                EventKind::BatchVerdict {
                    verdict: BrokerVerdict::Rejected {
                        error: KafkaError::InvalidTxnState,
                        reason: Some(RejectReason::NotInTransaction),
                    },
                    ..
                }
            )
        })
    };
    let exactly_once = |r: &Report| {
        let records = &r.partitions[0].read_committed;
        let mut unique = records.clone();
        unique.sort();
        unique.dedup();
        unique.len() == records.len()
    };
    let (sim, r) = run(Scenario::from_json(&json("3.6")).expect("valid"));
    assert!(refused(&sim) && exactly_once(&r));
    let (sim, r) = run(Scenario::from_json(&json("3.5")).expect("valid"));
    assert!(!refused(&sim), "3.5 does not verify");
    assert!(
        !exactly_once(&r),
        "the late batch is read with the next transaction"
    );
    let read_committed = r
        .invariants
        .iter()
        .find(|i| i.id == "read_committed_exactly_once")
        .unwrap();
    assert!(read_committed.violations.iter().all(|v| {
        v.mechanism == idempotence_sim::invariants::Mechanism::UnverifiedTransactionalWrite
    }));
}

/// KAFKA-15591 (brokers 4.5): `broker_version` "4.5" is what the old switch meant, and the
/// switch is still read; contradicting an older `broker_version` is refused with what to write.
#[test]
fn the_old_sequence_zero_switch_is_broker_4_5_and_contradicting_it_is_refused() {
    let switch = Scenario::from_json(
        r#"{"cluster":{"new_partition_requires_sequence_zero":true},"producers":[{"workload":{"messages":1}}]}"#,
    )
    .expect("still read");
    assert_eq!(switch.cluster.broker().0.to_string(), "4.5");
    assert!(switch
        .cluster
        .broker()
        .new_partition_requires_sequence_zero());
    let e = Scenario::from_json(
        r#"{"cluster":{"broker_version":"4.4","new_partition_requires_sequence_zero":true},
            "producers":[{"workload":{"messages":1}}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "cluster.new_partition_requires_sequence_zero");
    assert!(e.message.contains("\"broker_version\": \"4.5\""), "{e}");
    let json = serde_json::to_string(&switch).expect("serializes");
    assert!(!json.contains("broker_version"), "written back as read");
}

/// Releases are checked like every other field: the path, what is accepted, what came.
#[test]
fn a_release_out_of_range_or_misspelt_is_refused_with_its_path() {
    let cases = [
        (
            r#"{"cluster":{"broker_version":"2.4"},"producers":[{"workload":{"messages":1}}]}"#,
            "cluster.broker_version",
            "from 2.5 to 4.5",
        ),
        (
            r#"{"producers":[{"client_version":"2.8","workload":{"messages":1}}]}"#,
            "producers[0].client_version",
            "from 3.0 to 4.5",
        ),
        (
            r#"{"producers":[{"client_version":"4.6","workload":{"messages":1}}]}"#,
            "producers[0].client_version",
            "got 4.6",
        ),
        (
            r#"{"producers":[{"client_version":"three","workload":{"messages":1}}]}"#,
            "producers[0].client_version",
            "a Kafka release",
        ),
        (
            r#"{"cluster":{"transaction.version":2},"producers":[{"workload":{"messages":1}}]}"#,
            "cluster.transaction.version",
            "brokers 4.0 or newer",
        ),
        (
            r#"{"cluster":{"broker_version":"4.0","transaction.version":3},"producers":[{"workload":{"messages":1}}]}"#,
            "cluster.transaction.version",
            "expected 1 or 2",
        ),
    ];
    for (json, path, says) in cases {
        let e = Scenario::from_json(json).unwrap_err();
        assert_eq!(e.path, path, "{json}");
        assert!(e.message.contains(says), "{e}");
    }
}

/// Transactions v2 (KIP-890 part 2) are what a 4.x client runs on 4.x brokers by default: no
/// AddPartitionsToTxn (the leader adds the partition on the first write), and every EndTxn
/// bumps the epoch, so the markers and the next transaction's batches carry the next one, from
/// sequence 0. The same client on a cluster at `transaction.version` 1 keeps epoch 0 throughout.
#[test]
fn a_4_x_transaction_on_4_x_brokers_runs_transactions_v2_with_an_epoch_per_transaction() {
    let json = |cluster: &str| {
        format!(
            r#"{{"cluster":{cluster},"producers":[{{"client_version":"4.1","config":{{"transactional.id":"t","linger.ms":0}},
                 "workload":{{"messages":4,"transactions":{{"size":2,"abort":[1]}}}}}}]}}"#
        )
    };
    let epochs = |r: &Report| -> Vec<(i16, i32, String)> {
        r.partitions[0]
            .log
            .iter()
            .map(|e| (e.epoch, e.sequence, e.value.clone()))
            .collect()
    };
    let (sim, v2) = run(Scenario::from_json(&json(r#"{"broker_version":"4.1"}"#)).unwrap());
    let data = |epoch, sequence, m: u32| (epoch, sequence, format!("p0-m{m}"));
    let marker = |epoch, what: &str| (epoch, -1, what.to_string());
    assert_eq!(
        epochs(&v2),
        vec![
            data(0, 0, 0),
            data(0, 1, 1),
            marker(1, "COMMIT"),
            data(1, 0, 2),
            data(1, 1, 3),
            marker(2, "ABORT"),
        ]
    );
    assert_eq!(v2.partitions[0].read_committed, vec!["p0-m0", "p0-m1"]);
    let bumps = sim
        .events()
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::EpochBumped { why, .. } if why.contains("transactions v2")))
        .count();
    assert_eq!(bumps, 2, "one bump per EndTxn");

    let (_, v1) = run(Scenario::from_json(&json(
        r#"{"broker_version":"4.1","transaction.version":1}"#,
    ))
    .unwrap());
    assert!(epochs(&v1).iter().all(|(epoch, _, _)| *epoch == 0));
    assert_eq!(
        v1.partitions[0].read_committed,
        v2.partitions[0].read_committed
    );
    Scenario::from_json(&json(r#"{"broker_version":"3.9"}"#)).expect("3.9 brokers offer only v1");
}

/// The late batch of `brokers_before_3_6_append_a_late_batch_of_an_aborted_transaction` on
/// transactions v2: the abort bumped the epoch, so the late batch, still under the old one, is
/// fenced (INVALID_PRODUCER_EPOCH: the coordinator the leader asks knows only the new epoch);
/// read_committed reads each record once.
#[test]
fn transactions_v2_fence_a_late_batch_of_an_ended_transaction_by_its_epoch() {
    let json = include_str!("fixtures/late-batch.json");
    let on = |broker: &str, client: &str| {
        let text = json.replace("BROKER", broker).replace("CLIENT", client);
        run(Scenario::from_json(&text).expect("valid"))
    };
    let refused_with = |sim: &Simulation| -> Vec<KafkaError> {
        sim.events()
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::BatchVerdict {
                    batch,
                    verdict: BrokerVerdict::Rejected { error, .. },
                    ..
                } if batch.batch_id == 2 => Some(*error),
                _ => None,
            })
            .collect()
    };
    let unique = |r: &Report| {
        let mut seen = r.partitions[0].read_committed.clone();
        seen.sort();
        seen.dedup();
        seen.len() == r.partitions[0].read_committed.len()
    };
    let (sim, r) = on("4.0", "4.0");
    assert_eq!(refused_with(&sim), vec![KafkaError::InvalidProducerEpoch]);
    assert!(unique(&r) && r.invariants.iter().all(|i| i.holds));
    let (sim, r) = on("3.6", "3.9");
    assert_eq!(
        refused_with(&sim),
        vec![KafkaError::InvalidTxnState],
        "v1: verification"
    );
    assert!(unique(&r));
    let (sim, r) = on("3.5", "3.9");
    assert!(refused_with(&sim).is_empty());
    assert!(
        !unique(&r),
        "v1 without verification reads it with the next transaction"
    );
}

/// KIP-854 (3.4) added `producer.id.expiration.ms` (a day). Brokers 2.5–3.3 forgot a
/// producer's partition state only after `transactional.id.expiration.ms`, 7 days, and had no
/// setting to shorten it: a scenario that sets one on those brokers is told so.
#[test]
fn brokers_before_3_4_keep_producer_state_for_7_days() {
    let json = |v: &str, extra: &str| {
        format!(
            r#"{{"cluster":{{"broker_version":"{v}"{extra}}},"producers":[{{"workload":{{"messages":1}}}}]}}"#
        )
    };
    let e = Scenario::from_json(&json("3.3", r#","producer.id.expiration.ms":1000"#)).unwrap_err();
    assert_eq!(e.path, "cluster.producer.id.expiration.ms");
    assert!(e.message.contains("KIP-854"), "{e}");
    Scenario::from_json(&json("3.4", r#","producer.id.expiration.ms":1000"#)).expect("3.4 has it");
    let forgotten_at = |v: &str| {
        let (sim, _) = run(Scenario::from_json(&json(v, "")).unwrap());
        sim.snapshot().brokers[0].replicas[0].expiries[0].at_ms
    };
    let day = 86_400_000;
    assert!((day..day + 600_000).contains(&forgotten_at("3.4")));
    assert!((7 * day..7 * day + 600_000).contains(&forgotten_at("3.3")));
}
