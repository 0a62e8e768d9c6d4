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
