//! When two things happen in the same millisecond, the order Kafka's client gives them.

use idempotence_sim::{Report, Scenario, Simulation};

fn run(request_timeout_ms: u64) -> Report {
    let json = format!(
        r#"{{"seed":1,"producers":[{{"config":{{"request.timeout.ms":{request_timeout_ms},"delivery.timeout.ms":1000,"linger.ms":0}},
             "workload":{{"messages":5}}}}]}}"#
    );
    let mut sim = Simulation::new(Scenario::from_json(&json).unwrap()).unwrap();
    sim.run_to_end();
    sim.report()
}

/// `NetworkClient.poll` handles the responses it received (`handleCompletedReceives`) before
/// it expires requests (`handleTimedOutRequests`): a response arriving in the very millisecond
/// its request times out (10 ms each way, request.timeout.ms 20) is read, and the batch is
/// acknowledged. One millisecond less and the timer wins: the connection is closed and the
/// batch retried.
#[test]
fn a_response_arriving_as_its_request_times_out_is_read_first() {
    let tie = run(20);
    assert_eq!((tie.counters.acked, tie.counters.retries), (5, 0));
    let late = run(19);
    assert!(late.counters.retries > 0);
    assert_eq!(
        late.counters.acked, 0,
        "every attempt times out, until delivery.timeout.ms"
    );
}

/// A `read` trigger fires as the leader reads a request, between two requests pipelined on one
/// connection (a broker reads them one at a time): the ISR shrinks after the first request was
/// answered and before the second is handled, so only the second meets NOT_ENOUGH_REPLICAS and
/// is retried until the follower is back. A fault that acts on a message cannot use it.
#[test]
fn a_fault_between_two_pipelined_requests_meets_only_the_second() {
    let json = r#"{"seed":1,"cluster":{"brokers":2,"replication.factor":2,"min.insync.replicas":2},
        "producers":[{"config":{"linger.ms":0},"workload":{"messages":10}}],
        "faults":[{"when":{"read":{"partition":0,"batch":1,"attempt":1}},
                   "fault":{"type":"shrink_isr","partition":0,"broker":1}}]}"#;
    let mut sim = Simulation::new(Scenario::from_json(json).unwrap()).unwrap();
    sim.run_to_end();
    let r = sim.report();
    let answers: Vec<(i32, u32, &str)> = r
        .responses
        .iter()
        .map(|x| (x.base_sequence, x.attempt, x.error.name()))
        .collect();
    assert_eq!(
        answers[0],
        (0, 1, "NONE"),
        "the first request, before the shrink"
    );
    assert_eq!(answers[1], (5, 1, "NOT_ENOUGH_REPLICAS"));
    assert_eq!(
        answers.last(),
        Some(&(5, 4, "NONE")),
        "once the follower rejoined"
    );
    assert_eq!((r.counters.acked, r.counters.duplicates_written), (10, 0));
    let bad = json.replace(
        r#""fault":{"type":"shrink_isr","partition":0,"broker":1}"#,
        r#""fault":{"type":"drop_request"}"#,
    );
    assert_eq!(
        Scenario::from_json(&bad).unwrap_err().path,
        "faults[0].when"
    );
}
