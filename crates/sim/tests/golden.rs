//! Golden tests: every preset's exact produce responses and final logs are pinned in
//! `tests/golden/<preset>.txt`. Regenerate deliberately with `UPDATE_GOLDEN=1 cargo test`.
//! The full JSON report of `lost-ack` is pinned too; the wasm test compares against the same
//! file, which proves native and wasm runs are byte-identical.

use idempotence_sim::{presets, MessageOutcome, Simulation};

fn summary(id: &str) -> String {
    let mut sim = Simulation::new(presets::get(id).expect("preset")).expect("valid");
    sim.run_to_end();
    let r = sim.report();
    let mut out = format!(
        "preset {id}\nfinished at {} ms: {}\n",
        r.finished_at_ms, r.finished_because
    );
    out += "responses (pid epoch seq attempt broker error offset delivered):\n";
    for x in &r.responses {
        out += &format!(
            "  {} {} {}-{} #{} b{} {} @{} {}\n",
            x.producer_id,
            x.epoch,
            x.base_sequence,
            x.last_sequence,
            x.attempt,
            x.broker,
            x.error,
            x.base_offset,
            x.delivered
        );
    }
    for p in &r.partitions {
        out += &format!(
            "partition {} leader {:?} hw {}:\n",
            p.partition, p.leader, p.high_watermark
        );
        for e in &p.log {
            out += &format!(
                "  {} pid {} epoch {} seq {} {}{}\n",
                e.offset,
                e.producer_id,
                e.epoch,
                e.sequence,
                e.value,
                e.duplicate_of
                    .map_or(String::new(), |o| format!(" DUPLICATE of {o}"))
            );
        }
    }
    for p in &r.partitions {
        if p.log.iter().any(|e| e.transactional) {
            out += &format!(
                "partition {} lso {} read_committed: {}\n",
                p.partition,
                p.last_stable_offset,
                p.read_committed.join(" ")
            );
        }
    }
    out += "outcomes:";
    for rec in &r.records {
        let o = match &rec.outcome {
            MessageOutcome::Acked { offset } => format!("ok@{offset}"),
            MessageOutcome::Failed { error } => format!("FAILED {error}"),
            other => format!("{other:?}"),
        };
        out += &format!(" m{}={}", rec.message, o);
    }
    out += "\ninvariants:\n";
    for i in &r.invariants {
        out += &format!(
            "  {} {}{}\n",
            if i.holds { "ok  " } else { "FAIL" },
            i.id,
            if i.applicable { "" } else { " (n/a)" }
        );
        for v in &i.violations {
            out += &format!("       event {:?}: {}\n", v.event, v.explanation);
        }
    }
    out
}

fn check(name: &str, actual: &str) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {path}; run with UPDATE_GOLDEN=1"));
    assert_eq!(
        actual, expected,
        "golden {name} differs; inspect the diff, then UPDATE_GOLDEN=1 if intended"
    );
}

#[test]
fn every_preset_matches_its_golden_trace() {
    for id in presets::ids() {
        check(&format!("{id}.txt"), &summary(id));
    }
}

#[test]
fn lost_ack_report_json_is_pinned_byte_for_byte() {
    let mut sim = Simulation::new(presets::get("lost-ack").unwrap()).unwrap();
    sim.run_to_end();
    let json = serde_json::to_string(&sim.report()).unwrap();
    check("lost-ack.report.json", &json);
}

#[test]
fn same_seed_same_run() {
    for id in presets::ids() {
        let run = || {
            let mut sim = Simulation::new(presets::get(id).unwrap()).unwrap();
            sim.run_to_end();
            serde_json::to_string(sim.events()).unwrap()
        };
        assert_eq!(run(), run(), "{id} is not deterministic");
    }
}
