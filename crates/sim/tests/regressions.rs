//! One test per model bug the random-fault sweep (`idempotence-sim explore`) found, each built
//! from the scenario it shrank to and naming the Kafka code the fix follows.

use idempotence_sim::invariants::Mechanism;
use idempotence_sim::{EventKind, KafkaError, Report, Scenario, Simulation};

fn run(json: &str) -> (Simulation, Report) {
    let scenario = Scenario::from_json(json).expect("valid scenario");
    let mut sim = Simulation::new(scenario).expect("valid scenario");
    sim.run_to_end();
    let report = sim.report();
    (sim, report)
}

fn finished_cleanly(r: &Report) {
    assert_eq!(
        r.finished_because, "every message is resolved and every replica is in sync",
        "the run must end with nothing pending"
    );
}

fn all_hold(r: &Report) {
    for inv in &r.invariants {
        assert!(
            inv.holds,
            "{} violated: {:?}",
            inv.id,
            inv.violations.first()
        );
    }
}

fn transactions(r: &Report) -> Vec<(u32, String, i16)> {
    r.transactions
        .iter()
        .map(|t| {
            (
                t.outcome.index,
                t.outcome.result.to_string(),
                t.outcome.epoch,
            )
        })
        .collect()
}

/// TransactionManager.maybeTransitionToErrorState sets `epochBumpRequired` when a
/// transactional batch fails; beginCompletingTransaction then follows EndTxn(ABORT) with
/// InitProducerId carrying the current producer id and epoch, and the sequences restart at 0.
/// Before: the re-run transaction reused the old sequences, got OUT_OF_ORDER_SEQUENCE_NUMBER,
/// aborted and re-ran forever (9,982 failed sends in 600 s).
#[test]
fn a_failed_transactional_batch_bumps_the_epoch_after_the_abort() {
    let (_, r) = run(
        r#"{"cluster":{"brokers":3,"replication.factor":3,"min.insync.replicas":2},
            "producers":[{"config":{"transactional.id":"t","request.timeout.ms":1000,"delivery.timeout.ms":1000},
                          "workload":{"messages":3,"transactions":{"size":1}}}],
            "faults":[{"when":{"request":{"batch":1,"attempt":1}},"fault":{"type":"drop_request"}}],
            "duration_ms":600000}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    assert_eq!(
        transactions(&r),
        vec![
            (0, "committed".into(), 0),
            (1, "aborted".into(), 0),
            (1, "committed".into(), 1),
            (2, "committed".into(), 1),
        ]
    );
    assert_eq!(r.counters.epoch_bumps, 1);
    assert!(
        r.counters.requests_sent < 10,
        "{}",
        r.counters.requests_sent
    );
}

/// A stopped broker's fetch dies with its process (the inter-broker connection goes), and the
/// controller refuses to add a fenced broker to an ISR (KIP-841). Before: a fetch sent just
/// before the crash reached the leader afterwards and put the stopped broker back in the ISR.
#[test]
fn a_stopped_broker_never_rejoins_the_isr_while_it_is_down() {
    let (sim, r) = run(
        r#"{"cluster":{"brokers":3,"replication.factor":3,"min.insync.replicas":2},
            "producers":[{"workload":{"messages":5,"start_ms":2000}}],
            "faults":[{"when":{"at_ms":525},"fault":{"type":"crash_broker","broker":2,"clean":true,"down_ms":100000}}],
            "duration_ms":600000}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    let rejoined_while_down = sim.events().iter().any(|e| {
        matches!(&e.kind, EventKind::IsrChanged { isr, .. } if isr.contains(&2))
            && e.time_ms > 525
            && e.time_ms < 100_525
    });
    assert!(!rejoined_while_down);
}

/// KafkaApis.handleWriteTxnMarkersRequest appends markers with requiredAcks = -1: the
/// coordinator hears NONE only once the marker is replicated, and retries it otherwise
/// (TransactionMarkerRequestCompletionHandler). Before: the marker counted as written at the
/// leader's append; a leader crash lost it and the transaction stayed open for good (last
/// stable offset 60 below a high watermark of 64).
#[test]
fn a_transaction_marker_lost_with_its_leader_is_written_again() {
    let (_, r) = run(r#"{"seed":13941698757001412766,
            "cluster":{"brokers":3,"partitions":1,"replication.factor":3,"min.insync.replicas":2},
            "network":{"latency_ms":13},
            "producers":[{"config":{"acks":"all","batch.size":2},"workload":{"messages":5}},
                         {"config":{"batch.size":3,"transactional.id":"tx-2"},
                          "workload":{"messages":54,"transactions":{"size":10,"abort":[0]}}}],
            "faults":[{"when":{"at_ms":1131},"fault":{"type":"crash_leader","partition":0,"clean":false,"down_ms":4596}}],
            "duration_ms":3600000}"#);
    finished_cleanly(&r);
    all_hold(&r);
    let p = &r.partitions[0];
    assert_eq!(p.last_stable_offset, p.high_watermark);
    // 44 committed transactional records and the 5 plain ones.
    assert_eq!(p.read_committed.len(), 49);
}

/// ProducerStateManager.isProducerExpired: a producer with an open transaction
/// (`currentTxnFirstOffset` present) never expires. Before: the expire_producer_state fault
/// forgot it, the ABORT marker found no open transaction, and aborted records became visible
/// to read_committed consumers.
#[test]
fn expiring_producer_state_keeps_an_open_transaction() {
    let (_, r) = run(
        r#"{"cluster":{"brokers":3,"replication.factor":3,"min.insync.replicas":2},
            "producers":[{"config":{"transactional.id":"t","linger.ms":0},
                          "workload":{"messages":6,"interval_ms":20,"transactions":{"size":6,"abort":[0]}}}],
            "faults":[{"when":{"at_ms":70},"fault":{"type":"expire_producer_state","partition":0}}]}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    assert!(r.partitions[0].read_committed.is_empty());
}

/// Partition.maybeShrinkIsr runs on the leader, which never removes itself, and the controller
/// keeps a partition's last ISR member. Before: shrink_isr on a partition without a leader
/// emptied its ISR, and the partition stayed offline for good.
#[test]
fn shrinking_an_isr_never_empties_it_nor_removes_the_leader() {
    let (sim, r) = run(
        r#"{"cluster":{"brokers":2,"replication.factor":2,"min.insync.replicas":1},
            "producers":[{"workload":{"messages":4,"start_ms":500}}],
            "faults":[{"when":{"at_ms":100},"fault":{"type":"crash_broker","broker":0,"down_ms":300}},
                      {"when":{"at_ms":150},"fault":{"type":"crash_broker","broker":1,"down_ms":50}},
                      {"when":{"at_ms":160},"fault":{"type":"shrink_isr","partition":0,"broker":1}},
                      {"when":{"at_ms":700},"fault":{"type":"shrink_isr","partition":0,"broker":1}}]}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    for e in sim.events() {
        if let EventKind::IsrChanged { isr, .. } = &e.kind {
            assert!(!isr.is_empty(), "event {}: the ISR emptied", e.index);
        }
    }
    let said: Vec<&str> = sim
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::FaultInjected { description, .. } => Some(description.as_str()),
            _ => None,
        })
        .filter(|d| d.contains("no effect"))
        .collect();
    assert!(
        said.iter().any(|d| d.contains("no leader")),
        "a shrink without a leader says it did nothing: {said:?}"
    );
}

/// A transaction's EndTxn is sent again when no coordinator could be reached the first time.
/// Before: with every broker down at the moment the client ended the transaction, it waited
/// in "ending" for good, and the run ended only at duration_ms.
#[test]
fn end_txn_is_sent_again_once_a_coordinator_is_back() {
    let (_, r) = run(r#"{"cluster":{"brokers":1},
            "producers":[{"config":{"transactional.id":"t","request.timeout.ms":500,"delivery.timeout.ms":900},
                          "workload":{"messages":2,"interval_ms":100,"transactions":{"size":2}}}],
            "faults":[{"when":{"request":{"batch":0,"attempt":1}},"fault":{"type":"drop_request"}},
                      {"when":{"at_ms":300},"fault":{"type":"crash_broker","broker":0,"down_ms":2000}}]}"#);
    finished_cleanly(&r);
    all_hold(&r);
    assert_eq!(
        transactions(&r).last().map(|t| t.1.as_str()),
        Some("committed")
    );
}

/// A transaction the application meant to abort may fail before it has sent all its records:
/// the application is then done with it and goes on with the next one. Before: it waited for
/// the unsent records of the finished transaction, and the run never ended.
#[test]
fn a_planned_abort_that_fails_early_lets_the_application_go_on() {
    let (_, r) = run(
        r#"{"producers":[{"config":{"transactional.id":"t","request.timeout.ms":500,"delivery.timeout.ms":600},
                          "workload":{"messages":12,"interval_ms":60,"transactions":{"size":6,"abort":[0]}}}],
            "faults":[{"when":{"request":{"batch":0,"attempt":1}},"fault":{"type":"drop_request"}}]}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    let outcome = transactions(&r);
    assert_eq!(outcome.first().map(|t| t.1.as_str()), Some("aborted"));
    assert_eq!(
        outcome.last().map(|t| (t.0, t.1.as_str())),
        Some((1, "committed"))
    );
    assert_eq!(r.partitions[0].read_committed.len(), 6);
}

/// A re-run transaction sends each of its records once, including those the first attempt had
/// not reached. Before: the re-run queued every record, then the application also sent the
/// ones it had not reached, and read_committed saw those twice.
#[test]
fn a_rerun_transaction_sends_each_record_once() {
    let (_, r) = run(
        r#"{"producers":[{"config":{"transactional.id":"t","request.timeout.ms":400,"delivery.timeout.ms":500},
                          "workload":{"messages":6,"interval_ms":80,"transactions":{"size":6}}}],
            "faults":[{"when":{"request":{"batch":0,"attempt":1}},"fault":{"type":"drop_request"}}]}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    assert_eq!(
        r.partitions[0].read_committed,
        vec!["p0-m0", "p0-m1", "p0-m2", "p0-m3", "p0-m4", "p0-m5"]
    );
}

/// KIP-890 part 1 (brokers 3.6+): the leader verifies with the coordinator that a
/// transactional batch's partition is in the producer's ongoing transaction before the
/// transaction's first write there. Before: a batch of an aborted transaction, stuck behind a
/// stalled connection, was appended after the ABORT marker and committed with the next
/// transaction, so read_committed saw its record twice.
#[test]
fn a_late_batch_of_an_aborted_transaction_is_refused_by_verification() {
    let (sim, r) = run(r#"{"seed":1836094684688537191,"duration_ms":3600000,
            "cluster":{"brokers":3,"partitions":1,"replication.factor":3,"min.insync.replicas":2,
                       "replica.lag.time.max.ms":8483,"replica.fetch.wait.max.ms":260},
            "network":{"latency_ms":6,"jitter_ms":0},
            "producers":[{"config":{"max.in.flight.requests.per.connection":4,"batch.size":8,"linger.ms":0,
                                    "request.timeout.ms":3971,"delivery.timeout.ms":6193,"transactional.id":"tx-1"},
                          "workload":{"messages":4,"start_ms":51,"interval_ms":23,"bursts":[{"at_ms":1031,"messages":17}],
                                      "transactions":{"size":5,"abort":[11]}}}],
            "faults":[{"when":{"at_ms":860},"fault":{"type":"stall_replication","broker":1,"duration_ms":24575}},
                      {"when":{"request":{"producer":0,"partition":0,"batch":3,"attempt":2}},"fault":{"type":"drop_request"}},
                      {"when":{"request":{"producer":0,"partition":0,"batch":0,"attempt":1}},"fault":{"type":"drop_request"}}]}"#);
    finished_cleanly(&r);
    all_hold(&r);
    let refused = sim.events().iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::BatchVerdict {
                verdict: idempotence_sim::event::BrokerVerdict::Rejected {
                    error: KafkaError::InvalidTxnState,
                    reason: Some(idempotence_sim::producer_state::RejectReason::NotInTransaction),
                },
                ..
            }
        )
    });
    assert!(refused, "the late batch is refused with INVALID_TXN_STATE");
}

/// ProducerStateManager.loadFromSnapshot drops expired producers as it loads them, and the
/// run says so, so a duplicate they cause is explained. Before: the restart dropped them
/// silently and the duplicate was blamed on the model.
#[test]
fn producers_expired_at_a_restart_are_named_as_the_cause() {
    let (sim, r) = run(r#"{"seed":4714395373530988656,"duration_ms":3600000,
            "cluster":{"producer.id.expiration.ms":1411,"producer.id.expiration.check.interval.ms":1350,
                       "new_partition_requires_sequence_zero":true},
            "network":{"latency_ms":2,"jitter_ms":12},
            "producers":[{"config":{"enable.idempotence":false,"max.in.flight.requests.per.connection":3,"batch.size":6,
                                    "linger.ms":20,"request.timeout.ms":4885,"retry.backoff.ms":145},
                          "workload":{"messages":5,"start_ms":77,"interval_ms":30}},
                         {"config":{"batch.size":8,"request.timeout.ms":1790},
                          "workload":{"messages":2,"start_ms":202,"interval_ms":13}}],
            "faults":[{"when":{"at_ms":932},"fault":{"type":"crash_broker","broker":0,"clean":false,"down_ms":7769}}],
            "random_faults":{"drop_request":0.04130812966383468,"drop_response":0.048657655902719955}}"#);
    finished_cleanly(&r);
    assert!(sim.events().iter().any(|e| matches!(
        e.kind,
        EventKind::ProducerStateExpired {
            by_fault: false,
            ..
        }
    )));
    let duplicates = &r
        .invariants
        .iter()
        .find(|i| i.id == "no_duplicates")
        .unwrap()
        .violations;
    assert!(!duplicates.is_empty());
    assert!(duplicates
        .iter()
        .all(|v| v.mechanism != Mechanism::ModelBug));
}

/// A crafted request lost on the way (its leader stopped) is finished with: nobody waits for
/// its answer. Before: it stayed open and the run ran to duration_ms.
#[test]
fn a_lost_crafted_request_does_not_keep_the_run_open() {
    let (_, r) = run(r#"{"cluster":{"brokers":4,"partitions":3},
            "network":{"latency_ms":3,"jitter_ms":8},
            "producers":[{"workload":{"messages":1,"start_ms":123}}],
            "faults":[{"when":{"at_ms":2216},"fault":{"type":"crash_broker","broker":2,"clean":true,"down_ms":6920}},
                      {"when":{"at_ms":2213},"fault":{"type":"inject_produce","partition":2,"producer_id":1002,"epoch":0,"base_sequence":26,"record_count":2}}]}"#);
    finished_cleanly(&r);
    all_hold(&r);
}

/// Closing a connection sends a FIN: the broker drops the requests it has not read yet (the
/// network processor reads one request at a time, so they are still in the socket buffer).
#[test]
fn the_broker_drops_unread_requests_when_the_client_closes_the_connection() {
    let (sim, r) = run(
        r#"{"cluster":{"brokers":2,"replication.factor":2,"min.insync.replicas":2},
            "producers":[{"config":{"request.timeout.ms":300,"batch.size":1,"max.in.flight.requests.per.connection":5},
                          "workload":{"messages":4}}],
            "faults":[{"when":{"at_ms":0},"fault":{"type":"stall_replication","broker":1,"duration_ms":2000}}]}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    assert!(sim.events().iter().any(|e| matches!(
        &e.kind,
        EventKind::RequestLost { why, .. } if why.contains("closed the connection")
    )));
}

/// checkEnoughReplicasReachOffset answers a duplicate like any acks=all append: NONE with the
/// original offset, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below its minimum
/// meanwhile. P3 holds either way; before, the second answer counted as a violation.
#[test]
fn a_duplicate_answered_not_enough_replicas_after_append_is_not_a_violation() {
    // Follower 2 stops fetching at once, so the high watermark cannot pass the first batch;
    // the client times out and retries, the retry is a duplicate that waits for the original,
    // and the ISR then shrinks below its minimum of 3.
    let (_, r) = run(
        r#"{"cluster":{"brokers":3,"replication.factor":3,"min.insync.replicas":3,"replica.lag.time.max.ms":1000},
            "producers":[{"config":{"request.timeout.ms":900},"workload":{"messages":5}}],
            "faults":[{"when":{"at_ms":0},"fault":{"type":"stall_replication","broker":2,"duration_ms":3000}}]}"#,
    );
    finished_cleanly(&r);
    all_hold(&r);
    let answers: Vec<(u32, KafkaError, i64)> = r
        .responses
        .iter()
        .map(|x| (x.attempt, x.error, x.base_offset))
        .collect();
    assert_eq!(answers[1], (2, KafkaError::NotEnoughReplicasAfterAppend, 0));
    assert_eq!(answers.last(), Some(&(6, KafkaError::None, 0)));
}

fn mechanisms(r: &Report, id: &str) -> Vec<Mechanism> {
    r.invariants
        .iter()
        .find(|i| i.id == id)
        .unwrap()
        .violations
        .iter()
        .map(|v| v.mechanism)
        .collect()
}

/// The client orders retries by plain integer comparison of base sequences
/// (`inflightBatchesBySequence`), so across the wrap a batch numbered 0 goes out before the
/// retry of the batch numbered sequence_max, which the broker then refuses: an epoch bump
/// later writes that batch twice. Kafka shares the gap at 2147483647; a tiny space shows it,
/// and the violation names the tiny space rather than the model.
#[test]
fn retries_across_the_sequence_wrap_are_explained_by_the_small_space() {
    let (_, r) = run(r#"{"seed":16854387826473455040,"duration_ms":3600000,
            "cluster":{"brokers":2,"partitions":2,"replication.factor":2,"replica.lag.time.max.ms":15917,
                       "replica.fetch.wait.max.ms":221,"sequence_max":41,"new_partition_requires_sequence_zero":true},
            "network":{"latency_ms":15,"jitter_ms":10},
            "producers":[{"config":{"enable.idempotence":false,"max.in.flight.requests.per.connection":2,"linger.ms":16,
                                    "request.timeout.ms":848,"delivery.timeout.ms":1659,"retry.backoff.ms":124},
                          "workload":{"messages":39,"start_ms":119,"interval_ms":6}},
                         {"config":{"batch.size":1,"linger.ms":12,"request.timeout.ms":767,"retry.backoff.ms":133},
                          "workload":{"messages":99,"start_ms":229,"interval_ms":18,"bursts":[{"at_ms":1749,"messages":12}]}}],
            "faults":[{"when":{"at_ms":2180},"fault":{"type":"crash_leader","partition":1,"clean":false,"down_ms":5643}},
                      {"when":{"response":{"producer":1,"partition":1,"batch":3,"attempt":2}},"fault":{"type":"drop_response"}},
                      {"when":{"request":{"producer":1,"partition":1,"batch":1,"attempt":1}},"fault":{"type":"corrupt_request"}}],
            "random_faults":{"drop_request":0.18357450635190295,"drop_response":0.15271997716337152}}"#);
    finished_cleanly(&r);
    let duplicates = mechanisms(&r, "no_duplicates");
    assert!(
        duplicates.contains(&Mechanism::SmallSequenceSpace),
        "{duplicates:?}"
    );
    assert!(!duplicates.contains(&Mechanism::ModelBug));
}

/// A crafted batch carrying a transactional producer's id and a higher epoch fences that
/// producer; what read_committed then sees is the crafted request's doing, and said so.
#[test]
fn a_crafted_batch_with_a_transactional_producer_id_is_named_as_the_cause() {
    let (_, r) = run(r#"{"seed":22,"duration_ms":3600000,
            "cluster":{"brokers":4,"partitions":1,"replication.factor":4,"min.insync.replicas":2,
                       "unclean.leader.election.enable":true,"replica.lag.time.max.ms":22821,"replica.fetch.wait.max.ms":332},
            "network":{"latency_ms":1,"jitter_ms":8},
            "producers":[{"config":{"max.in.flight.requests.per.connection":4,"batch.size":3,"linger.ms":10,
                                    "request.timeout.ms":4750,"delivery.timeout.ms":6357,"retry.backoff.ms":152,"transactional.id":"tx-0"},
                          "workload":{"messages":38,"start_ms":20,"interval_ms":19,"transactions":{"size":3,"abort":[3,9,11]}}}],
            "faults":[{"when":{"at_ms":2688},"fault":{"type":"inject_produce","partition":0,"producer_id":1000,"epoch":1,"base_sequence":0,"record_count":2}},
                      {"when":{"at_ms":2095},"fault":{"type":"stall_replication","broker":3,"duration_ms":33973}}],
            "random_faults":{"drop_request":0.04535955057790902,"drop_response":0.02218901578357726}}"#);
    finished_cleanly(&r);
    let seen = mechanisms(&r, "read_committed_exactly_once");
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|m| *m == Mechanism::CraftedRequest),
        "{seen:?}"
    );
}
