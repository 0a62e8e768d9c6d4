//! Headless runner: `idempotence-sim run FILE|PRESET` prints the run as JSON;
//! `idempotence-sim explore` is the random-fault sweep; `idempotence-sim sweep` the fault-rate
//! sweep.

mod explore;
mod memory;
mod sweep;

#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;

use std::io::{Read, Write};
use std::process::ExitCode;

use idempotence_sim::limits::MAX_SCENARIO_BYTES;
use idempotence_sim::{presets, Scenario, Simulation};

const USAGE: &str = "usage:
  idempotence-sim run FILE|PRESET [--seed N] [--events]   run a scenario file or a preset, print JSON
  idempotence-sim presets                                  list the presets with their captions
  idempotence-sim show PRESET                              print a preset's scenario JSON
  idempotence-sim time FILE|PRESET [--repeat N] [--no-events]
                                                         time N runs, print JSON (for benchmarks);
                                                         --no-events keeps no event list, as a sweep
  idempotence-sim schema                                   print the scenario format's JSON Schema
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("explore") {
        return match explore::explore(&args[1..]) {
            Ok((summary, clean)) => {
                println!("{summary}");
                if clean {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(message) => {
                eprintln!("{message}");
                ExitCode::from(2)
            }
        };
    }
    match run(&args) {
        Ok(Some(output)) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

/// Most runs `time` may repeat: enough for a stable best time, never an accidental hang.
const MAX_REPEAT: u32 = 1_000;

fn load(target: &str) -> Result<Scenario, String> {
    if let Some(s) = presets::get(target) {
        return Ok(s);
    }
    let known = presets::ids().collect::<Vec<&str>>().join(", ");
    let text = read_text(
        target,
        MAX_SCENARIO_BYTES,
        &format!("a preset ({known})"),
        "a scenario",
    )?;
    Scenario::from_json(&text).map_err(|e| format!("error: {target}: at {}: {}", e.path, e.message))
}

/// A UTF-8 file of at most `max_bytes`, or an error naming `target`. `named` says what else
/// `target` could have been (a preset), `what` what the file should hold.
pub(crate) fn read_text(
    target: &str,
    max_bytes: usize,
    named: &str,
    what: &str,
) -> Result<String, String> {
    // Read at most one byte past the limit: a device such as /dev/zero or a pipe has no
    // length to check first, and must not be read forever.
    let mut bytes = Vec::new();
    std::fs::File::open(target)
        .and_then(|f| f.take(max_bytes as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("error: '{target}' is neither {named} nor a readable file: {e}"))?;
    if bytes.len() > max_bytes {
        return Err(format!(
            "error: {target}: the file is longer than {max_bytes} bytes, the most {what} may be"
        ));
    }
    String::from_utf8(bytes)
        .map_err(|e| format!("error: {target}: the file is not UTF-8 text ({e})"))
}

/// The report (and the events, when asked for) written straight to stdout as pretty JSON:
/// no intermediate JSON tree, so a long run's output costs little more than the report itself.
fn print_run(sim: &Simulation, with_events: bool) -> Result<(), String> {
    #[derive(serde::Serialize)]
    struct RunOutput<'a> {
        #[serde(flatten)]
        report: &'a idempotence_sim::Report,
        #[serde(skip_serializing_if = "Option::is_none")]
        events: Option<&'a [idempotence_sim::Event]>,
    }
    let report = sim.report();
    let output = RunOutput {
        report: &report,
        events: with_events.then(|| sim.events()),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer_pretty(&mut out, &output)
        .map_err(|e| format!("error: cannot write the report: {e}"))?;
    writeln!(out)
        .and_then(|()| out.flush())
        .map_err(|e| format!("error: cannot write the report: {e}"))
}

/// Runs a command; `Ok(None)` when it has printed its output itself.
fn run(args: &[String]) -> Result<Option<String>, String> {
    match args.first().map(String::as_str) {
        Some("presets") => list_presets().map(Some),
        #[cfg(feature = "schema")]
        Some("schema") => Ok(Some(Scenario::json_schema().trim_end().to_string())),
        Some("show") => {
            let id = args.get(1).ok_or_else(|| USAGE.to_string())?;
            presets::get(id)
                .map(|s| Some(s.to_json()))
                .ok_or_else(|| format!("error: no preset '{id}'"))
        }
        Some("time") => time_runs(&args[1..]).map(Some),
        Some("sweep") => sweep::sweep(&args[1..]).map(Some),
        Some("sweeps") => Ok(Some(sweep::list())),
        #[cfg(feature = "schema")]
        Some("sweep-schema") => Ok(Some(
            idempotence_sim::sweep::SweepSpec::json_schema()
                .trim_end()
                .to_string(),
        )),
        Some("run") => run_scenario(&args[1..]).map(|()| None),
        _ => Err(format!("{USAGE}{}\n{}", explore::USAGE, sweep::USAGE)),
    }
}

/// `presets`: every preset's id and caption, as JSON.
fn list_presets() -> Result<String, String> {
    let list: Vec<serde_json::Value> = presets::captions()
        .into_iter()
        .map(|(id, caption)| serde_json::json!({ "id": id, "caption": caption }))
        .collect();
    serde_json::to_string_pretty(&list).map_err(|e| e.to_string())
}

/// `time SCENARIO [--repeat N] [--no-events]`: the best of N runs, and batches per second.
/// `--no-events` times a run as a sweep makes it, without the event list.
fn time_runs(args: &[String]) -> Result<String, String> {
    let target = args.first().ok_or_else(|| USAGE.to_string())?;
    let scenario = load(target)?;
    let repeat_error = |got: &dyn std::fmt::Display| {
        format!("error: --repeat expects a whole number from 1 to {MAX_REPEAT}, got {got}")
    };
    let mut repeat: u32 = 5;
    let mut keep_events = true;
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--repeat" => {
                let n = rest.next().ok_or_else(|| USAGE.to_string())?;
                repeat = n.parse().map_err(|_| repeat_error(&format!("'{n}'")))?;
            }
            "--no-events" => keep_events = false,
            other => return Err(format!("error: unknown option '{other}'\n{USAGE}")),
        }
    }
    if repeat == 0 || repeat > MAX_REPEAT {
        return Err(repeat_error(&repeat));
    }
    let mut best_ms = f64::MAX;
    let mut batches = 0;
    for _ in 0..repeat {
        let started = std::time::Instant::now();
        let mut sim = Simulation::new(scenario.clone())
            .map_err(|e| format!("error: at {}: {}", e.path, e.message))?;
        sim.keep_events(keep_events);
        sim.run_to_end();
        best_ms = best_ms.min(started.elapsed().as_secs_f64() * 1000.0);
        batches = sim.counters().batches_sent;
    }
    let timing = serde_json::json!({
        "runs": repeat,
        "events": keep_events,
        "best_ms": best_ms,
        "batches": batches,
        "batches_per_second": batches as f64 / (best_ms / 1000.0),
    });
    Ok(timing.to_string())
}

/// `run SCENARIO [--seed N] [--events]`: the report, and the events if asked.
fn run_scenario(args: &[String]) -> Result<(), String> {
    let target = args.first().ok_or_else(|| USAGE.to_string())?;
    let mut scenario = load(target)?;
    let mut with_events = false;
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--seed" => {
                let value = rest.next().ok_or("error: --seed needs a number")?;
                scenario.seed = value.parse().map_err(|_| {
                    format!("error: --seed expects an unsigned integer, got '{value}'")
                })?;
            }
            "--events" => with_events = true,
            other => return Err(format!("error: unknown option '{other}'\n{USAGE}")),
        }
    }
    let mut sim =
        Simulation::new(scenario).map_err(|e| format!("error: at {}: {}", e.path, e.message))?;
    // The report needs no event list: keep one only when it is printed.
    sim.keep_events(with_events);
    sim.run_to_end();
    print_run(&sim, with_events)
}
