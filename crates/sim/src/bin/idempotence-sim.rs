//! Headless runner: `idempotence-sim run FILE|PRESET` prints the run as JSON.

use std::process::ExitCode;

use idempotence_sim::{presets, Scenario, Simulation};

const USAGE: &str = "usage:
  idempotence-sim run FILE|PRESET [--seed N] [--events]   run a scenario file or a preset, print JSON
  idempotence-sim presets                                  list the presets with their captions
  idempotence-sim show PRESET                              print a preset's scenario JSON";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn load(target: &str) -> Result<Scenario, String> {
    if let Some(s) = presets::get(target) {
        return Ok(s);
    }
    let text = std::fs::read_to_string(target).map_err(|e| {
        let known: Vec<&str> = presets::ids().collect();
        format!(
            "error: '{target}' is neither a preset ({}) nor a readable file: {e}",
            known.join(", ")
        )
    })?;
    Scenario::from_json(&text).map_err(|e| format!("error: {target}: at {}: {}", e.path, e.message))
}

fn run(args: &[String]) -> Result<String, String> {
    match args.first().map(String::as_str) {
        Some("presets") => {
            let list: Vec<serde_json::Value> = presets::captions()
                .into_iter()
                .map(|(id, caption)| serde_json::json!({ "id": id, "caption": caption }))
                .collect();
            serde_json::to_string_pretty(&list).map_err(|e| e.to_string())
        }
        Some("show") => {
            let id = args.get(1).ok_or_else(|| USAGE.to_string())?;
            presets::get(id)
                .map(|s| s.to_json())
                .ok_or_else(|| format!("error: no preset '{id}'"))
        }
        Some("run") => {
            let target = args.get(1).ok_or_else(|| USAGE.to_string())?;
            let mut scenario = load(target)?;
            let mut with_events = false;
            let mut rest = args[2..].iter();
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
            let mut sim = Simulation::new(scenario)
                .map_err(|e| format!("error: at {}: {}", e.path, e.message))?;
            sim.run_to_end();
            let mut value = serde_json::to_value(sim.report()).map_err(|e| e.to_string())?;
            if with_events {
                value["events"] = serde_json::to_value(sim.events()).map_err(|e| e.to_string())?;
            }
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
        }
        _ => Err(USAGE.to_string()),
    }
}
