//! A batch the leader refuses for good (`reject_batch`): a non-retriable error about the batch
//! itself (INVALID_RECORD, TOPIC_AUTHORIZATION_FAILED). The batch fails to the application; an
//! idempotent client bumps its epoch and numbers what is behind it from 0 (Kafka's
//! `Sender.completeBatch` → `failBatch(batch, response, batch.attempts() < retries)` →
//! `TransactionManager.handleFailedBatch`), which KAFKA-14034 turns into a duplicate.

use idempotence_sim::invariants::Mechanism;
use idempotence_sim::{presets, KafkaError, MessageOutcome, Report, Scenario, Simulation};

fn run(json: &str) -> Report {
    let mut sim = Simulation::new(Scenario::from_json(json).expect("valid scenario")).unwrap();
    sim.run_to_end();
    sim.report()
}

/// `(producer id, epoch, sequence)` of every data record of partition 0, in offset order.
fn log(r: &Report) -> Vec<(i64, i16, i32)> {
    r.partitions[0]
        .log
        .iter()
        .filter(|e| e.control.is_none())
        .map(|e| (e.producer_id, e.epoch, e.sequence))
        .collect()
}

fn failed_with(r: &Report) -> Vec<(u32, KafkaError)> {
    r.records
        .iter()
        .filter_map(|rec| match rec.outcome {
            MessageOutcome::Failed { error } => Some((rec.message, error)),
            _ => None,
        })
        .collect()
}

const THREE_BATCHES: &str = r#"{"seed": 1,
  "producers": [{"config": {CONFIG}, "workload": {"messages": 15}}],
  "faults": [{"when": {"request": {"partition": 0, "batch": 1}},
              "fault": {"type": "reject_batch"}}]}"#;

/// The middle one of three pipelined batches is refused: it fails with INVALID_RECORD; the one
/// behind it, which the broker then refuses as out of order, is renumbered under epoch 1 and
/// written from sequence 0. Nothing is written twice and nothing else fails. (Kafka's
/// `SenderTest.testIdempotenceWithMultipleInflightsWhereFirstFailsFatallyAndSequenceOfFutureBatchesIsAdjusted`:
/// the batch after the one failed for good is resent with sequence 0.)
#[test]
fn a_refused_batch_fails_and_the_batches_behind_it_start_again_at_sequence_0() {
    let r = run(&THREE_BATCHES.replace("CONFIG", ""));
    let expected: Vec<u32> = (5..10).collect();
    let failed = failed_with(&r);
    assert_eq!(
        failed.iter().map(|f| f.0).collect::<Vec<_>>(),
        expected,
        "only the refused batch fails"
    );
    assert!(failed.iter().all(|f| f.1 == KafkaError::InvalidRecord));
    let mut want: Vec<(i64, i16, i32)> = (0..5).map(|s| (1000, 0, s)).collect();
    want.extend((0..5).map(|s| (1000, 1, s)));
    assert_eq!(log(&r), want);
    assert_eq!(r.counters.epoch_bumps, 1);
    assert_eq!(r.counters.duplicates_written, 0);
}

/// Without idempotence there are no sequences to close: the batch fails, the next one is
/// written as it is, and no epoch is bumped.
#[test]
fn without_idempotence_a_refused_batch_just_fails() {
    let r = run(&THREE_BATCHES.replace("CONFIG", r#""enable.idempotence": false"#));
    assert_eq!(failed_with(&r).len(), 5);
    assert_eq!(log(&r).len(), 10);
    assert_eq!(r.counters.epoch_bumps, 0);
}

/// KAFKA-14034 (`rejected-batch-duplicate`): the first batch is written but answered
/// NOT_ENOUGH_REPLICAS_AFTER_APPEND; the second is refused for good; the epoch bump renumbers the
/// first batch's retry to epoch 1, sequence 0, which the broker appends again. The same run
/// without the refusal retries the first batch under its own sequence, and the broker finds it
/// a duplicate.
#[test]
fn an_epoch_bump_after_a_refusal_writes_a_retried_batch_twice_kafka_14034() {
    let preset = presets::get("rejected-batch-duplicate").expect("preset");
    let json = serde_json::to_string(&preset).unwrap();
    let r = run(&json);
    let mut want: Vec<(i64, i16, i32)> = (0..5).map(|s| (1000, 0, s)).collect();
    want.extend((0..5).map(|s| (1000, 1, s)));
    assert_eq!(
        log(&r),
        want,
        "batch 0 under epoch 0, then again under epoch 1"
    );
    assert_eq!(r.counters.duplicates_written, 5);
    let dups = r
        .invariants
        .iter()
        .find(|i| i.id == "no_duplicates")
        .unwrap();
    assert!(!dups.holds);
    assert!(dups
        .violations
        .iter()
        .all(|v| v.mechanism == Mechanism::EpochBumpAfterRejection));

    let mut control = preset.clone();
    control
        .faults
        .retain(|f| !matches!(f.fault, idempotence_sim::Fault::RejectBatch { .. }));
    control.beats.clear();
    let r = run(&serde_json::to_string(&control).unwrap());
    assert_eq!(r.counters.duplicates_written, 0);
    assert!(
        r.counters.duplicates_prevented >= 1,
        "the retry is a duplicate the broker drops"
    );
    assert_eq!(r.counters.epoch_bumps, 0);
}

/// A transactional producer does not renumber in place: the refused batch makes the
/// transaction abort; the application runs it again under the bumped epoch, and read_committed
/// consumers see each message once. (`TransactionManagerTest.testBumpTransactionalEpochOnAbortableError`:
/// TOPIC_AUTHORIZATION_FAILED, abort, the epoch bumped and sequences back at 0.)
#[test]
fn a_transactional_producer_aborts_and_runs_the_transaction_again() {
    let r = run(r#"{"seed": 1,
      "producers": [{"config": {"transactional.id": "t"},
                     "workload": {"messages": 10, "transactions": {"size": 5}}}],
      "faults": [{"when": {"request": {"partition": 0, "batch": 0, "attempt": 1}},
                  "fault": {"type": "reject_batch", "error": "TOPIC_AUTHORIZATION_FAILED"}}]}"#);
    let outcomes: Vec<_> = r
        .transactions
        .iter()
        .map(|t| {
            (
                t.outcome.index,
                t.outcome.attempt,
                format!("{:?}", t.outcome.result),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (0, 1, "Aborted".to_string()),
            (0, 2, "Committed".to_string()),
            (1, 1, "Committed".to_string())
        ]
    );
    let committed: Vec<String> = (0..10).map(|m| format!("p0-m{m}")).collect();
    assert_eq!(r.partitions[0].read_committed, committed);
    assert!(r.invariants.iter().all(|i| i.holds), "{:?}", r.invariants);
}

/// The fault acts on the request it matches, so it needs a `request` trigger; its error is one
/// of the two it names.
#[test]
fn a_reject_batch_fault_is_checked() {
    let at = r#"{"producers":[{"workload":{"messages":1}}],
                "faults":[{"when":{"at_ms":5},"fault":{"type":"reject_batch"}}]}"#;
    let e = Scenario::from_json(at).unwrap_err();
    assert_eq!(e.path, "faults[0].when");
    let response = at.replace(r#"{"at_ms":5}"#, r#"{"response":{"batch":0}}"#);
    let e = Scenario::from_json(&response).unwrap_err();
    assert_eq!(e.path, "faults[0].when");
    assert!(e.message.contains("`request` trigger"), "{e}");
    let unknown = at.replace(
        r#"{"at_ms":5},"fault":{"type":"reject_batch"}"#,
        r#"{"request":{"batch":0}},"fault":{"type":"reject_batch","error":"NOT_LEADER_OR_FOLLOWER"}"#,
    );
    let e = Scenario::from_json(&unknown).unwrap_err();
    assert!(e.path.starts_with("faults[0]"), "{e}");
    assert!(
        e.message.contains("INVALID_RECORD"),
        "names what is allowed: {e}"
    );
}

/// `fixtures/too-large.json`: MESSAGE_TOO_LARGE for the middle one of three pipelined batches: nothing fails. The client
/// splits it into halves of 3 and 2 records that keep its epoch and sequences 5–7 and 8–9, and
/// sends them one at a time; the batch behind it, refused as out of order meanwhile, follows
/// with its own sequences. No epoch bump, nothing written twice, the order kept. (Kafka's
/// `SenderTest.testIdempotentSplitBatchAndSend`: the parts go out one per request with
/// sequences 0 and 1, and the next sequence stays 2.)
#[test]
fn a_batch_too_large_is_split_and_its_halves_keep_its_sequences() {
    let r = run(include_str!("fixtures/too-large.json"));
    assert!(failed_with(&r).is_empty(), "{:?}", failed_with(&r));
    let want: Vec<(i64, i16, i32)> = (0..15).map(|s| (1000, 0, s)).collect();
    assert_eq!(log(&r), want);
    assert_eq!(r.counters.epoch_bumps, 0);
    assert_eq!(r.counters.duplicates_written, 0);
    let answers: Vec<(i32, i32, &str)> = r
        .responses
        .iter()
        .filter(|x| (5..10).contains(&x.base_sequence))
        .map(|x| (x.base_sequence, x.last_sequence, x.error.name()))
        .collect();
    assert_eq!(
        answers,
        vec![(5, 9, "MESSAGE_TOO_LARGE"), (5, 7, "NONE"), (8, 9, "NONE")]
    );
    assert!(r.invariants.iter().all(|i| i.holds));
}

/// A batch of one record cannot be split: it fails with MESSAGE_TOO_LARGE like any batch
/// refused for good, and the idempotent client bumps its epoch.
#[test]
fn a_single_record_too_large_fails() {
    let json = THREE_BATCHES
        .replace("CONFIG", r#""batch.size": 1"#)
        .replace(
            r#""reject_batch""#,
            r#""reject_batch", "error": "MESSAGE_TOO_LARGE""#,
        );
    let r = run(&json);
    assert_eq!(failed_with(&r), vec![(1, KafkaError::MessageTooLarge)]);
    assert_eq!(r.counters.epoch_bumps, 1);
}

/// Without idempotence the halves have no sequences and simply go back at the front of the
/// deque, in order.
#[test]
fn without_idempotence_a_batch_too_large_is_split_too() {
    let json = THREE_BATCHES
        .replace("CONFIG", r#""enable.idempotence": false"#)
        .replace(
            r#""reject_batch""#,
            r#""reject_batch", "error": "MESSAGE_TOO_LARGE""#,
        );
    let r = run(&json);
    assert!(failed_with(&r).is_empty());
    assert_eq!(r.partitions[0].read_uncommitted.len(), 15);
    assert_eq!(r.counters.duplicates_written, 0);
}

/// A transactional batch too large is split like any other and the transaction commits: the
/// split is not a failure, so nothing aborts. (`SenderTest.testTransactionalSplitBatchAndSend`.)
#[test]
fn a_transactional_batch_too_large_is_split_and_the_transaction_commits() {
    let r = run(r#"{"seed": 1,
      "producers": [{"config": {"transactional.id": "t"},
                     "workload": {"messages": 10, "transactions": {"size": 5}}}],
      "faults": [{"when": {"request": {"partition": 0, "batch": 0, "attempt": 1}},
                  "fault": {"type": "reject_batch", "error": "MESSAGE_TOO_LARGE"}}]}"#);
    let results: Vec<String> = r
        .transactions
        .iter()
        .map(|t| format!("{:?}", t.outcome.result))
        .collect();
    assert_eq!(results, vec!["Committed", "Committed"]);
    let committed: Vec<String> = (0..10).map(|m| format!("p0-m{m}")).collect();
    assert_eq!(r.partitions[0].read_committed, committed);
    let sequences: Vec<(i16, i32)> = log(&r).iter().map(|e| (e.1, e.2)).collect();
    assert_eq!(&sequences[..5], &[(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]);
    assert!(r.invariants.iter().all(|i| i.holds), "{:?}", r.invariants);
}

/// `fixtures/split-after-write.json`, the hazard the random sweep found: batch 0 is written but its answer is lost, and its retry
/// is answered MESSAGE_TOO_LARGE (the topic's `max.message.bytes` shrank in between; the size
/// is checked before duplicates). The client splits it; the broker caches no batch with the
/// halves' sequence ranges, so the first half is out of order, and as the next batch after
/// the last acknowledged one it makes the client bump its epoch: the five records are written
/// again from sequence 0.
#[test]
fn a_split_retry_of_a_written_batch_is_written_again() {
    let r = run(include_str!("fixtures/split-after-write.json"));
    let mut want: Vec<(i64, i16, i32)> = (0..5).map(|s| (1000, 0, s)).collect();
    want.extend((0..5).map(|s| (1000, 1, s)));
    assert_eq!(log(&r), want);
    assert_eq!(r.counters.duplicates_written, 5);
    let dups = r
        .invariants
        .iter()
        .find(|i| i.id == "no_duplicates")
        .unwrap();
    assert!(!dups.holds);
    assert!(dups
        .violations
        .iter()
        .all(|v| v.mechanism == Mechanism::SplitAfterWrite));
}
