//! Scenario tests: exact outcomes of small runs, one rule at a time.

use idempotence_sim::fault::{BatchMatcher, Fault, ScriptedFault, Trigger};
use idempotence_sim::{presets, KafkaError, MessageOutcome, Report, Scenario, Simulation};

fn run(scenario: Scenario) -> Report {
    let mut sim = Simulation::new(scenario).expect("valid scenario");
    sim.run_to_end();
    sim.report()
}

fn preset(id: &str) -> Report {
    run(presets::get(id).unwrap())
}

fn log_values(r: &Report, partition: usize) -> Vec<String> {
    r.partitions[partition]
        .log
        .iter()
        .map(|e| e.value.clone())
        .collect()
}

fn holds(r: &Report, id: &str) -> bool {
    r.invariants.iter().find(|i| i.id == id).unwrap().holds
}

fn scenario(json: &str) -> Scenario {
    Scenario::from_json(json).unwrap()
}

#[test]
fn three_batches_in_a_row_get_offsets_0_5_10() {
    let r = preset("happy-path");
    let offsets: Vec<i64> = r.responses.iter().map(|x| x.base_offset).collect();
    assert_eq!(offsets, vec![0, 5, 10]);
    assert!(r
        .responses
        .iter()
        .all(|x| x.error == KafkaError::None && x.producer_id == 1000));
    let seqs: Vec<(i32, i32)> = r
        .responses
        .iter()
        .map(|x| (x.base_sequence, x.last_sequence))
        .collect();
    assert_eq!(seqs, vec![(0, 4), (5, 9), (10, 14)]);
}

#[test]
fn lost_ack_retry_gets_the_original_offset_and_the_log_has_the_batch_once() {
    let r = preset("lost-ack");
    let retry = r
        .responses
        .iter()
        .find(|x| x.base_sequence == 0 && x.attempt == 2)
        .unwrap();
    assert_eq!((retry.error, retry.base_offset), (KafkaError::None, 0));
    assert_eq!(r.partitions[0].log.len(), 10);
    assert_eq!(r.counters.duplicates_prevented, 1);
    assert!(holds(&r, "no_duplicates"));
}

#[test]
fn lost_ack_without_idempotence_writes_the_batch_twice() {
    let r = preset("lost-ack-no-idempotence");
    let log = log_values(&r, 0);
    assert_eq!(log.len(), 15);
    assert_eq!(log.iter().filter(|v| *v == "p0-m0").count(), 2);
    assert_eq!(r.counters.duplicates_written, 5);
    assert!(!holds(&r, "no_duplicates"));
    assert!(r
        .responses
        .iter()
        .all(|x| x.producer_id == -1 && x.base_sequence == -1));
}

#[test]
fn producer_restart_resends_under_a_new_producer_id_and_writes_twice() {
    let r = preset("producer-restart");
    let pids: std::collections::BTreeSet<i64> =
        r.partitions[0].log.iter().map(|e| e.producer_id).collect();
    assert_eq!(pids.into_iter().collect::<Vec<_>>(), vec![1000, 1001]);
    assert_eq!(r.partitions[0].log.len(), 20);
    let v = &r
        .invariants
        .iter()
        .find(|i| i.id == "no_duplicates")
        .unwrap()
        .violations[0];
    assert!(
        v.explanation.contains("new producer id"),
        "{}",
        v.explanation
    );
}

#[test]
fn without_idempotence_five_in_flight_and_a_transient_error_reorder_the_log() {
    let r = preset("reorder-no-idempotence");
    let log = log_values(&r, 0);
    assert_eq!(
        &log[5], "p0-m10",
        "the failed batch's successors land first"
    );
    assert_eq!(&log[25], "p0-m5", "the retried batch lands last");
    assert!(!holds(&r, "order_kept"));
}

#[test]
fn with_idempotence_the_same_fault_keeps_order_and_retries_one_at_a_time() {
    let r = preset("pipelined-retry");
    let log = log_values(&r, 0);
    let expected: Vec<String> = (0..30).map(|m| format!("p0-m{m}")).collect();
    assert_eq!(log, expected);
    let ooos = r
        .responses
        .iter()
        .filter(|x| x.error == KafkaError::OutOfOrderSequenceNumber)
        .count();
    assert_eq!(ooos, 4, "the four batches behind the gap are refused");
    assert!(holds(&r, "p6_one_retry_in_flight"));
}

#[test]
fn failover_to_an_in_sync_follower_detects_the_duplicate_from_replicated_state() {
    let r = preset("failover-replicated");
    let dup = r
        .responses
        .iter()
        .find(|x| x.broker == 1 && x.attempt > 1 && x.base_sequence == 6)
        .expect("the retry went to the new leader");
    assert_eq!((dup.error, dup.base_offset), (KafkaError::None, 6));
    assert!(r.invariants.iter().all(|i| i.holds));
    assert!(
        r.invariants
            .iter()
            .find(|i| i.id == "p5_acked_never_lost")
            .unwrap()
            .applicable
    );
}

#[test]
fn unclean_election_loses_acknowledged_messages_and_forces_an_epoch_bump() {
    let r = preset("failover-unreplicated");
    assert!(!holds(&r, "acked_present"));
    assert_eq!(r.counters.epoch_bumps, 1);
    assert!(r.partitions[0]
        .log
        .iter()
        .any(|e| e.epoch == 1 && e.sequence == 0));
}

#[test]
fn expired_producer_state_turns_a_retry_into_a_duplicate() {
    let r = preset("state-expiry");
    assert_eq!(r.counters.duplicates_written, 5);
    let v = &r
        .invariants
        .iter()
        .find(|i| i.id == "no_duplicates")
        .unwrap()
        .violations[0];
    assert_eq!(
        v.mechanism,
        idempotence_sim::invariants::Mechanism::StateExpired
    );
    assert!(
        v.explanation.contains("producer.id.expiration.ms"),
        "{}",
        v.explanation
    );
}

#[test]
fn delivery_timeout_reports_failure_for_a_written_batch_then_bumps_the_epoch() {
    let r = preset("epoch-bump");
    let failed: Vec<u32> = r
        .records
        .iter()
        .filter(|x| {
            matches!(
                x.outcome,
                MessageOutcome::Failed {
                    error: KafkaError::DeliveryTimeout
                }
            )
        })
        .map(|x| x.message)
        .collect();
    assert_eq!(failed, vec![0, 1, 2, 3, 4]);
    assert_eq!(
        &log_values(&r, 0)[0],
        "p0-m0",
        "written although reported failed"
    );
    let after = r.responses.iter().last().unwrap();
    assert_eq!((after.epoch, after.base_sequence), (1, 0));
}

#[test]
fn acks_1_loses_acknowledged_messages_on_leader_failure() {
    let r = preset("acks-1-loss");
    assert!(r.counters.lost > 0);
    assert!(!holds(&r, "acked_present"));
}

#[test]
fn the_textbook_rule_acknowledges_a_batch_it_never_wrote() {
    let r = preset("textbook-rule-loss");
    assert_eq!(r.counters.lost, 5);
    assert!(!log_values(&r, 0).contains(&"p0-m5".to_string()));
    let kafka = {
        let mut s = presets::get("textbook-rule-loss").unwrap();
        s.cluster.dedup_rule = Default::default();
        run(s)
    };
    assert_eq!(kafka.counters.lost, 0, "Kafka's rule loses nothing here");
}

fn one_batch_then(fault: Fault) -> Report {
    let mut s = scenario(r#"{"producers":[{"workload":{"messages":5}}]}"#);
    s.faults.push(ScriptedFault {
        when: Trigger::AtMs(100),
        fault,
    });
    run(s)
}

fn crafted(base_sequence: i32, epoch: i16, record_count: u32) -> Fault {
    Fault::InjectProduce {
        partition: 0,
        producer_id: 1000,
        epoch,
        base_sequence,
        record_count,
    }
}

#[test]
fn crafted_gap_is_out_of_order() {
    let r = one_batch_then(crafted(7, 0, 1));
    assert_eq!(
        r.responses.last().unwrap().error,
        KafkaError::OutOfOrderSequenceNumber
    );
}

#[test]
fn crafted_exact_duplicate_gets_original_offset() {
    let r = one_batch_then(crafted(0, 0, 5));
    let last = r.responses.last().unwrap();
    assert_eq!((last.error, last.base_offset), (KafkaError::None, 0));
    assert_eq!(r.partitions[0].log.len(), 5);
}

#[test]
fn crafted_partial_overlap_is_out_of_order() {
    let r = one_batch_then(crafted(2, 0, 5));
    assert_eq!(
        r.responses.last().unwrap().error,
        KafkaError::OutOfOrderSequenceNumber
    );
}

#[test]
fn crafted_new_epoch_must_start_at_zero() {
    assert_eq!(
        one_batch_then(crafted(5, 1, 1))
            .responses
            .last()
            .unwrap()
            .error,
        KafkaError::OutOfOrderSequenceNumber
    );
    let ok = one_batch_then(crafted(0, 1, 1));
    assert_eq!(ok.responses.last().unwrap().error, KafkaError::None);
}

#[test]
fn crafted_unknown_producer_is_accepted_with_any_sequence() {
    let r = one_batch_then(Fault::InjectProduce {
        partition: 0,
        producer_id: 4242,
        epoch: 3,
        base_sequence: 77,
        record_count: 2,
    });
    assert_eq!(r.responses.last().unwrap().error, KafkaError::None);
}

#[test]
fn not_enough_replicas_is_checked_before_anything_is_appended() {
    let s = scenario(
        r#"{"cluster":{"brokers":2,"replication.factor":2,"min.insync.replicas":2},
            "producers":[{"config":{"delivery.timeout.ms":40000,"request.timeout.ms":30000},"workload":{"messages":5,"start_ms":50}}],
            "faults":[{"when":{"at_ms":10},"fault":{"type":"stall_replication","broker":1,"duration_ms":300}},
                      {"when":{"at_ms":20},"fault":{"type":"shrink_isr","partition":0,"broker":1}}]}"#,
    );
    let r = run(s);
    assert_eq!(r.responses[0].error, KafkaError::NotEnoughReplicas);
    assert!(
        r.responses.iter().any(|x| x.error == KafkaError::None),
        "it succeeds once the follower rejoins"
    );
    assert!(r.invariants.iter().all(|i| i.holds));
}

#[test]
fn sequence_wrap_around_is_accepted() {
    // A space of 30 sequences (the least that holds six batches of 5): the seventh batch
    // wraps to 0, which inSequence accepts after the top.
    let r = run(scenario(
        r#"{"cluster":{"sequence_max":29},"producers":[{"workload":{"messages":40}}]}"#,
    ));
    let seqs: Vec<(i32, i32)> = r
        .responses
        .iter()
        .map(|x| (x.base_sequence, x.last_sequence))
        .collect();
    assert_eq!(
        seqs,
        vec![
            (0, 4),
            (5, 9),
            (10, 14),
            (15, 19),
            (20, 24),
            (25, 29),
            (0, 4),
            (5, 9)
        ]
    );
    assert!(r.responses.iter().all(|x| x.error == KafkaError::None));
    assert_eq!(r.partitions[0].log.len(), 40);
}

#[test]
fn a_space_too_small_for_six_batches_is_refused() {
    // With 8 sequences and batches of 5, the broker's cache of 5 batches would hold the range
    // a batch after the wrap takes, and findDuplicateBatch would drop new records as retries.
    let e = Scenario::from_json(
        r#"{"cluster":{"sequence_max":7},"producers":[{"workload":{"messages":20}}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "cluster.sequence_max");
    assert!(e.message.contains("at least 29"), "{}", e.message);
}

#[test]
fn clean_restart_keeps_only_the_last_batch_so_an_older_retry_is_out_of_order() {
    // Two batches appended; the broker restarts cleanly; a crafted retry of the first batch
    // is no longer in the one-batch snapshot and gets OUT_OF_ORDER_SEQUENCE_NUMBER.
    let s = scenario(
        r#"{"producers":[{"workload":{"messages":10}}],
            "faults":[{"when":{"at_ms":200},"fault":{"type":"crash_broker","broker":0,"clean":true,"down_ms":100}},
                      {"when":{"at_ms":400},"fault":{"type":"inject_produce","partition":0,"producer_id":1000,"epoch":0,"base_sequence":0,"record_count":5}},
                      {"when":{"at_ms":450},"fault":{"type":"inject_produce","partition":0,"producer_id":1000,"epoch":0,"base_sequence":5,"record_count":5}}]}"#,
    );
    let r = run(s);
    let n = r.responses.len();
    assert_eq!(
        r.responses[n - 2].error,
        KafkaError::OutOfOrderSequenceNumber
    );
    assert_eq!(
        (r.responses[n - 1].error, r.responses[n - 1].base_offset),
        (KafkaError::None, 5)
    );
}

#[test]
fn unclean_restart_replays_the_log_and_keeps_five_batches() {
    let s = scenario(
        r#"{"producers":[{"workload":{"messages":10}}],
            "faults":[{"when":{"at_ms":200},"fault":{"type":"crash_broker","broker":0,"clean":false,"down_ms":100}},
                      {"when":{"at_ms":400},"fault":{"type":"inject_produce","partition":0,"producer_id":1000,"epoch":0,"base_sequence":0,"record_count":5}}]}"#,
    );
    let r = run(s);
    let last = r.responses.last().unwrap();
    assert_eq!((last.error, last.base_offset), (KafkaError::None, 0));
}

#[test]
fn explicit_idempotence_with_acks_1_is_refused_with_kafkas_message() {
    let e = Simulation::new(scenario(r#"{"producers":[{"workload":{"messages":1}}]}"#).clone())
        .map(|_| ());
    assert!(e.is_ok());
    let err = Scenario::from_json(r#"{"producers":[{"config":{"enable.idempotence":true,"acks":"1"},"workload":{"messages":1}}]}"#)
        .unwrap_err();
    assert!(err
        .message
        .contains("Must set acks to all in order to use the idempotent producer"));
}

#[test]
fn cli_reports_bad_files_with_exit_code_2_and_the_json_path() {
    let dir = std::env::temp_dir().join(format!("ipl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, r#"{"producers":[{"workload":{"messages":"ten"}}]}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_idempotence-sim"))
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("producers[0].workload.messages"),
        "{stderr}"
    );
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_idempotence-sim"))
        .args(["run", "lost-ack"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["partitions"][0]["log"].as_array().unwrap().len(), 10);
    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_idempotence-sim"))
        .args(["run", "nope"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn scripted_faults_name_their_target_by_batch_and_attempt() {
    let mut s = scenario(r#"{"producers":[{"workload":{"messages":10}}]}"#);
    s.faults.push(ScriptedFault {
        when: Trigger::Response(BatchMatcher {
            base_sequence: Some(5),
            attempt: Some(1),
            ..Default::default()
        }),
        fault: Fault::DropResponse,
    });
    let r = run(s);
    assert!(
        !r.responses
            .iter()
            .find(|x| x.base_sequence == 5 && x.attempt == 1)
            .unwrap()
            .delivered
    );
    assert!(r.invariants.iter().all(|i| i.holds));
}

// ---- Client rules (§3 of the reference), checked on the event stream. -----------------------

use idempotence_sim::event::EventKind;

fn events_of(s: Scenario) -> Vec<idempotence_sim::Event> {
    let mut sim = Simulation::new(s).unwrap();
    sim.run_to_end();
    sim.events().to_vec()
}

#[test]
fn no_batch_is_drained_before_the_producer_id_arrives() {
    let events = events_of(presets::get("happy-path").unwrap());
    let pid_at = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::ProducerIdAssigned { .. }))
        .unwrap();
    let first_request = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::RequestSent { .. }))
        .unwrap();
    assert!(pid_at < first_request);
}

#[test]
fn at_most_max_in_flight_requests_per_connection() {
    for max in [1u32, 2, 5] {
        let s = scenario(&format!(
            r#"{{"network":{{"latency_ms":50}},"producers":[{{"config":{{"max.in.flight.requests.per.connection":{max},"batch.size":1}},"workload":{{"messages":20}}}}]}}"#
        ));
        let mut open = 0i64;
        let mut peak = 0i64;
        for e in events_of(s) {
            match e.kind {
                EventKind::RequestSent { .. } => open += 1,
                EventKind::ResponseReceived { .. } => open -= 1,
                EventKind::ConnectionClosed {
                    ref failed_requests,
                    ..
                } => open -= failed_requests.len() as i64,
                _ => {}
            }
            peak = peak.max(open);
        }
        assert_eq!(peak, max as i64, "max.in.flight={max}");
    }
}

#[test]
fn a_retry_keeps_producer_id_epoch_and_sequence() {
    let events = events_of(presets::get("lost-ack").unwrap());
    let sends: Vec<(i64, i16, i32, u32)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RequestSent { batches, .. } => Some(
                batches
                    .iter()
                    .map(|b| (b.producer_id, b.epoch, b.base_sequence, b.attempt))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .filter(|b| b.2 == 0)
        .collect();
    assert_eq!(sends, vec![(1000, 0, 0, 1), (1000, 0, 0, 2)]);
}

#[test]
fn out_of_order_for_a_batch_that_is_not_next_is_retried_without_an_epoch_bump() {
    let r = preset("pipelined-retry");
    assert_eq!(r.counters.epoch_bumps, 0);
    assert!(r.responses.iter().all(|x| x.epoch == 0));
}

#[test]
fn retry_backoff_grows_exponentially() {
    // The link is cut for 3 s with request.timeout.ms=200: each retry waits longer.
    let s = scenario(
        r#"{"producers":[{"config":{"request.timeout.ms":200,"delivery.timeout.ms":60000},"workload":{"messages":1,"start_ms":30}}],
            "faults":[{"when":{"at_ms":25},"fault":{"type":"cut_link","producer":0,"broker":0,"duration_ms":3000}}]}"#,
    );
    let backoffs: Vec<u64> = events_of(s)
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::BatchRetrying { backoff_ms, .. } => Some(backoff_ms),
            _ => None,
        })
        .collect();
    assert!(backoffs.len() >= 4, "{backoffs:?}");
    assert_eq!(&backoffs[..4], &[100, 200, 400, 800]);
    assert!(backoffs.iter().all(|&b| b <= 1000));
}

#[test]
fn with_acks_0_the_client_never_waits_and_offsets_are_unknown() {
    let r = run(scenario(
        r#"{"producers":[{"config":{"acks":"0"},"workload":{"messages":5}}]}"#,
    ));
    assert!(r.responses.is_empty(), "acks=0 gets no response");
    assert!(r
        .records
        .iter()
        .all(|x| x.outcome == MessageOutcome::Acked { offset: -1 }));
    assert_eq!(r.partitions[0].log.len(), 5);
}

/// The snapshot's timer windows say when the timers fire: each `request.timeout.ms` that closes
/// a connection, each batch failed by `delivery.timeout.ms` and each producer state expired by
/// the periodic check happens exactly at the end of a window shown the step before.
#[test]
fn timer_windows_in_the_snapshot_end_when_their_timers_fire() {
    use idempotence_sim::event::EventKind;
    let mut fired = [0usize; 3];
    let mut scenarios: Vec<Scenario> = presets::ids().filter_map(presets::get).collect();
    // A request timeout and a delivery timeout the presets do not reach on their own.
    scenarios.push(scenario(
        r#"{"producers":[{"workload":{"messages":6},"config":{"request.timeout.ms":300,
            "delivery.timeout.ms":900,"retry.backoff.ms":50,"linger.ms":0}}],
            "faults":[{"when":{"at_ms":5},"fault":{"type":"cut_link","producer":0,"broker":0,"duration_ms":5000}}]}"#,
    ));
    for s in scenarios {
        let mut sim = Simulation::new(s).unwrap();
        let mut before = sim.snapshot_without_logs();
        let mut seen = 0;
        while sim.step() {
            let now = sim.now_ms();
            for e in &sim.events()[seen..] {
                match &e.kind {
                    EventKind::ConnectionClosed {
                        producer,
                        error: KafkaError::RequestTimedOut,
                        ..
                    } => {
                        let window = before.producers[*producer as usize].request_timeout;
                        assert_eq!(window.map(|w| w.1), Some(now), "request timeout at {now}");
                        fired[0] += 1;
                    }
                    EventKind::BatchFailed {
                        producer,
                        batch,
                        error: KafkaError::DeliveryTimeout,
                        ..
                    } => {
                        let p = &before.producers[*producer as usize];
                        let window = p.partitions[batch.partition as usize].delivery_timeout;
                        assert!(
                            window.is_some_and(|w| w.1 <= now),
                            "delivery timeout at {now}: {window:?}"
                        );
                        fired[1] += 1;
                    }
                    EventKind::ProducerStateExpired {
                        broker,
                        partition,
                        producer_id,
                        by_fault: false,
                    } => {
                        let replica = before.brokers[*broker as usize]
                            .replicas
                            .iter()
                            .find(|r| r.partition == *partition)
                            .unwrap();
                        let expiry = replica
                            .expiries
                            .iter()
                            .find(|x| x.producer_id == *producer_id);
                        assert_eq!(expiry.map(|x| x.at_ms), Some(now), "expiry at {now}");
                        fired[2] += 1;
                    }
                    _ => {}
                }
            }
            seen = sim.events().len();
            before = sim.snapshot_without_logs();
        }
    }
    assert!(
        fired.iter().all(|&n| n > 0),
        "every kind of timer fired at least once: {fired:?}"
    );
}

/// What the app does when a reader drops a message from the stage: the fault the core builds
/// for a response on the wire drops that same response when the run is replayed from the start.
#[test]
fn a_fault_built_for_a_message_on_the_wire_drops_that_message_on_replay() {
    use idempotence_sim::event::EventKind;
    let scenario = idempotence_sim::presets::get("happy-path").expect("preset");
    let mut sim = Simulation::new(scenario.clone()).expect("valid");
    let request = loop {
        assert!(sim.step(), "a produce response went on the wire");
        let on_wire = sim.snapshot().messages.iter().find_map(|m| {
            (m.kind == idempotence_sim::snapshot::MessageKind::Response)
                .then_some(m.request)
                .flatten()
        });
        if let Some(r) = on_wire {
            break r;
        }
    };
    let sent = sim
        .events()
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::RequestSent {
                request: r,
                batches,
                ..
            } if *r == request => batches.first().cloned(),
            _ => None,
        })
        .expect("the request was sent");
    let fault = sim
        .fault_dropping(request, true)
        .expect("its client awaits it");
    assert_eq!(sim.fault_dropping(u64::MAX, true), None);

    let mut replay = scenario;
    replay.faults.push(fault);
    let mut replayed = Simulation::new(replay).expect("valid");
    replayed.run_to_end();
    let same = replayed
        .events()
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::RequestSent {
                request, batches, ..
            } if batches
                .first()
                .is_some_and(|b| b.batch_id == sent.batch_id && b.attempt == sent.attempt) =>
            {
                Some(*request)
            }
            _ => None,
        })
        .expect("the same batch is sent at the same attempt");
    assert!(replayed
        .events()
        .iter()
        .any(|e| matches!(e.kind, EventKind::ResponseLost { request } if request == same)));
}
