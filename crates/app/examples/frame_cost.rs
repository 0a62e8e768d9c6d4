//! Where a frame's time goes at the end of a long run (native, release): `cargo run --release
//! -p idempotence-app --example frame_cost -- crates/app/examples/long-145k-events.json` (the
//! browser probe's long run: 7 producers × 5000 messages, 144,620 events).
use std::time::Instant;

use idempotence_app::presentation::Frame;
use idempotence_app::timeline::Timeline;
use idempotence_sim::Scenario;

fn time<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let t = Instant::now();
    let r = f();
    println!("{what:>24}: {:8.2} ms", t.elapsed().as_secs_f64() * 1e3);
    r
}

fn main() {
    let path = std::env::args().nth(1).expect("a scenario file");
    let s = Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut t = Timeline::new(vec![s]).unwrap();
    time("explore whole run", || while !t.explore(10_000) {});
    let end = t.end_ms().unwrap();
    time("seek to 90 %", || t.seek_time(end * 9 / 10));
    time("seek to 50 %", || t.seek_time(end / 2));
    time("step back", || t.step_back());
    let lane = &t.lanes()[0];
    let sim = lane.view();
    time("clone the simulation", || sim.clone());
    time("snapshot", || sim.snapshot());
    time("snapshot_without_logs", || sim.snapshot_without_logs());
    time("log_tails", || sim.log_tails(60));
    time("counters", || sim.counters());
    time("check_invariants", || sim.check_invariants());
    time("verdict", || {
        idempotence_app::describe::verdict(lane.events())
    });
    time("Frame::of", || Frame::of(&t));
    println!("checkpoints {:?}", t.checkpoint_stats());
}
