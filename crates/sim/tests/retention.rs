//! DeleteRecords and retention (`delete_records`): the log start offset moves up, consumers
//! stop reading what is below it, and the brokers keep the producer state of the deleted
//! batches in memory (2.5+, KAFKA-7190). What survives a restart depends on how it stopped.

use idempotence_sim::invariants::Mechanism;
use idempotence_sim::{presets, Report, Scenario, Simulation};

fn run(scenario: Scenario) -> Report {
    let mut sim = Simulation::new(scenario).expect("valid scenario");
    sim.run_to_end();
    sim.report()
}

fn values(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|m| format!("p0-m{m}")).collect()
}

/// `records-deleted`: the batch at offset 3 is deleted before its retry arrives, and the
/// retry is still answered as a duplicate, with its original offset, below the log start.
/// (Kafka's `UnifiedLogTest.testDeleteSnapshotsOnIncrementLogStartOffset`: after
/// `maybeIncrementLogStartOffset` both producers are still known.)
#[test]
fn a_retry_of_a_deleted_batch_is_still_a_duplicate() {
    let r = run(presets::get("records-deleted").unwrap());
    assert_eq!(r.counters.duplicates_prevented, 1);
    assert_eq!(r.counters.duplicates_written, 0);
    let retry = r
        .responses
        .iter()
        .find(|x| x.base_sequence == 3 && x.attempt == 2)
        .expect("the retry's answer");
    assert_eq!((retry.error.name(), retry.base_offset), ("NONE", 3));
    let p = &r.partitions[0];
    let deleted: Vec<i64> = p
        .log
        .iter()
        .filter(|e| e.deleted)
        .map(|e| e.offset)
        .collect();
    assert_eq!(
        deleted,
        vec![0, 1, 2, 3],
        "the log start moved to the high watermark, 4"
    );
    assert_eq!(
        p.read_uncommitted,
        values(4..10),
        "no consumer reads below it"
    );
    assert_eq!(p.read_committed, values(4..10));
    assert!(r.invariants.iter().all(|i| i.holds));
}

/// `records-deleted` without its story, where the broker stops a minute later (after its
/// periodic checkpoint wrote the new log start) while the client cannot reach it, and the
/// deletion went up to `delete_to` (the high watermark, 4, when `None`).
fn stop_after_the_checkpoint(clean: bool, delete_to: Option<i64>) -> Report {
    let mut s = presets::get("records-deleted").unwrap();
    s.beats.clear();
    s.duration_ms = 200_000;
    let extra = format!(
        r#"[{{"when":{{"at_ms":45}},"fault":{{"type":"cut_link","producer":0,"broker":0,"duration_ms":70000}}}},
            {{"when":{{"at_ms":61000}},"fault":{{"type":"crash_broker","broker":0,"clean":{clean},"down_ms":100}}}}]"#
    );
    s.faults.extend(
        serde_json::from_str::<Vec<idempotence_sim::fault::ScriptedFault>>(&extra).unwrap(),
    );
    s.faults[1].when = idempotence_sim::fault::Trigger::AtMs(50);
    if let Some(offset) = delete_to {
        s.faults[1].fault = idempotence_sim::fault::Fault::DeleteRecords {
            partition: 0,
            offset: Some(offset),
        };
    }
    run(s)
}

/// Every batch of the producer deleted: whichever way the broker stopped, it forgets the
/// producer and writes the retry again. An unclean stop rebuilds the state by reading the log
/// from its start, which no longer holds the batches. A clean stop's snapshot is at the log
/// end, 4, which is also the log start, and `ProducerStateManager.truncateAndReload` deletes
/// every snapshot at or below the log start before it loads one.
#[test]
fn a_restart_after_the_checkpoint_forgets_a_producer_whose_batches_were_all_deleted() {
    for clean in [false, true] {
        let r = stop_after_the_checkpoint(clean, None);
        assert_eq!(r.counters.duplicates_written, 1, "clean: {clean}");
        let dups = r
            .invariants
            .iter()
            .find(|i| i.id == "no_duplicates")
            .unwrap();
        assert!(dups
            .violations
            .iter()
            .all(|v| v.mechanism == Mechanism::RecordsDeleted));
        assert_eq!(
            r.partitions[0].read_uncommitted,
            values(3..10),
            "offsets 0-3 stay deleted; the second copy of m3 is at offset 4"
        );
    }
}

/// The last batch kept (deleted up to offset 3): a clean stop's snapshot at the log end, 4, is
/// above the log start and is loaded
/// (`ProducerStateManagerTest.testLoadFromSnapshotRetainsNonExpiredProducers`); an unclean stop
/// replays the batch at offset 3. Either way the retry is a duplicate.
#[test]
fn a_restart_remembers_a_producer_whose_last_batch_is_kept() {
    for clean in [false, true] {
        let r = stop_after_the_checkpoint(clean, Some(3));
        assert_eq!(r.counters.duplicates_prevented, 1, "clean: {clean}");
        assert_eq!(r.counters.duplicates_written, 0, "clean: {clean}");
        assert_eq!(r.partitions[0].read_uncommitted, values(3..10));
    }
}

/// An unclean stop within a minute of DeleteRecords finds the log start offset the last
/// checkpoint wrote (`log.flush.start.offset.checkpoint.interval.ms`, 60 s): the deletion is
/// lost, the records are read again, and the producer state rebuilt from them holds the batch.
#[test]
fn an_unclean_restart_before_the_checkpoint_brings_the_deleted_records_back() {
    let mut s = presets::get("records-deleted").unwrap();
    s.beats.clear();
    let crash = r#"{"when":{"at_ms":46},"fault":{"type":"crash_broker","broker":0,"down_ms":50}}"#;
    s.faults.push(serde_json::from_str(crash).unwrap());
    let r = run(s);
    assert!(r.partitions[0].log.iter().all(|e| !e.deleted));
    assert_eq!(r.partitions[0].read_uncommitted, values(0..10));
    assert_eq!(r.counters.duplicates_written, 0);
}

#[test]
fn a_delete_records_fault_is_checked() {
    let json = |fault: &str| {
        format!(
            r#"{{"producers":[{{"workload":{{"messages":1}}}}],"faults":[{{"when":{{"at_ms":5}},"fault":{fault}}}]}}"#
        )
    };
    let e = Scenario::from_json(&json(
        r#"{"type":"delete_records","partition":0,"offset":-1}"#,
    ))
    .unwrap_err();
    assert_eq!(e.path, "faults[0].fault.offset");
    let e = Scenario::from_json(&json(r#"{"type":"delete_records","partition":3}"#)).unwrap_err();
    assert_eq!(e.path, "faults[0].fault.partition");
    let beyond = json(r#"{"type":"delete_records","partition":0,"offset":9223372036854775807}"#)
        .replace(r#""at_ms":5"#, r#""at_ms":100"#);
    let r = run(Scenario::from_json(&beyond).unwrap());
    let deleted: Vec<i64> = r.partitions[0]
        .log
        .iter()
        .filter(|e| e.deleted)
        .map(|e| e.offset)
        .collect();
    assert_eq!(deleted, vec![0], "never past the high watermark, 1");
    assert!(r.partitions[0].read_uncommitted.is_empty());
}

/// `fixtures/restart-twice.json`: a clean restart, then a crash. The crash restart loads the
/// snapshot the first start-up wrote at the log end, 10, which keeps only the producer's last
/// batch, and replays nothing after it (`UnifiedLog.rebuildProducerState`: the newest snapshot
/// inside the log, then the segments after it). A late copy of the first batch is then out of
/// order; replaying the whole log, as the model did before it kept snapshot files, called it a
/// duplicate.
#[test]
fn a_crash_after_a_restart_loads_the_snapshot_that_start_up_wrote() {
    let scenario = Scenario::from_json(include_str!("fixtures/restart-twice.json")).unwrap();
    let mut sim = Simulation::new(scenario).expect("valid scenario");
    sim.run_to_end();
    let late = sim
        .events()
        .iter()
        .filter(|e| e.time_ms >= 500)
        .find_map(|e| match &e.kind {
            idempotence_sim::EventKind::BatchVerdict { verdict, .. } => Some(verdict.clone()),
            _ => None,
        })
        .expect("the crafted batch's verdict");
    assert!(
        matches!(
            late,
            idempotence_sim::event::BrokerVerdict::Rejected {
                error: idempotence_sim::KafkaError::OutOfOrderSequenceNumber,
                ..
            }
        ),
        "{late:?}"
    );
    let started: Vec<String> = sim
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            idempotence_sim::EventKind::BrokerStarted {
                producer_state_from,
                ..
            } => Some(producer_state_from.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        started,
        vec![
            "snapshot (last batch per producer)",
            "an earlier snapshot (p0 @10: last batch per producer), then log replay after it"
        ]
    );
}
