//! `idempotence-sim sweep SPEC.json|SWEEP_PRESET`: a fault-rate sweep on every core (rayon),
//! with a progress bar on stderr (indicatif), printed as JSON or CSV. `sweeps` lists the
//! presets.

use std::time::Instant;

use idempotence_sim::sweep::{self, RunMeasures, SweepPlan, SweepSpec, MAX_SPEC_BYTES};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

pub const USAGE: &str = "  idempotence-sim sweep SPEC.json|SWEEP_PRESET [--format json|csv] [--threads N] [--seeds N]
                                                           a fault-rate sweep: every point's runs on every core,
                                                           mean and 95 % interval per measure
  idempotence-sim sweeps                                   list the sweep presets with their findings
  idempotence-sim sweep-schema                             print the sweep format's JSON Schema";

struct Options {
    target: String,
    csv: bool,
    threads: Option<usize>,
    seeds: Option<u32>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut rest = args.iter();
    let target = rest
        .next()
        .filter(|t| !t.starts_with("--"))
        .ok_or_else(|| {
            format!("error: sweep needs a spec file or a sweep preset\nusage:\n{USAGE}")
        })?;
    let mut o = Options {
        target: target.clone(),
        csv: false,
        threads: None,
        seeds: None,
    };
    while let Some(flag) = rest.next() {
        let mut value = |what: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("error: {flag} needs {what}"))
        };
        match flag.as_str() {
            "--format" => match value("json or csv")?.as_str() {
                "json" => o.csv = false,
                "csv" => o.csv = true,
                other => {
                    return Err(format!(
                        "error: --format expects json or csv, got '{other}'"
                    ))
                }
            },
            "--threads" => {
                let v = value("a number")?;
                o.threads = Some(
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=256).contains(n))
                        .ok_or_else(|| format!("error: --threads expects 1 to 256, got '{v}'"))?,
                )
            }
            "--seeds" => {
                let v = value("a number")?;
                o.seeds = Some(
                    v.parse::<u32>()
                        .ok()
                        .filter(|n| (1..=sweep::MAX_SEEDS).contains(n))
                        .ok_or_else(|| {
                            format!(
                                "error: --seeds expects 1 to {}, got '{v}'",
                                sweep::MAX_SEEDS
                            )
                        })?,
                )
            }
            other => return Err(format!("error: unknown option '{other}'\nusage:\n{USAGE}")),
        }
    }
    Ok(o)
}

fn load(target: &str) -> Result<SweepSpec, String> {
    if let Some(spec) = sweep::preset(target) {
        return Ok(spec);
    }
    let names: Vec<&str> = sweep::PRESETS.iter().map(|(n, _)| *n).collect();
    let named = format!("a sweep preset ({})", names.join(", "));
    let text = crate::read_text(target, MAX_SPEC_BYTES, &named, "a sweep")?;
    SweepSpec::from_json(&text).map_err(|e| format!("{target}: {e}"))
}

/// Runs the sweep; returns what to print on stdout.
pub fn sweep(args: &[String]) -> Result<String, String> {
    let o = parse(args)?;
    let mut spec = load(&o.target)?;
    if let Some(seeds) = o.seeds {
        spec.seeds = seeds;
    }
    let plan = SweepPlan::new(spec).map_err(|e| format!("{}: {e}", o.target))?;
    if let Some(n) = o.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("error: cannot start {n} threads: {e}"))?;
    }
    let seeds = plan.spec.seeds;
    let bar = ProgressBar::new(plan.run_count()).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let clock = Instant::now();
    let flat: Vec<RunMeasures> = (0..plan.run_count())
        .into_par_iter()
        .map(|i| {
            let m = plan.run(
                (i / u64::from(seeds)) as usize,
                (i % u64::from(seeds)) as u32,
            );
            bar.inc(1);
            m
        })
        .collect();
    bar.finish_and_clear();
    eprintln!(
        "{} runs in {:.2} s on {} thread(s)",
        plan.run_count(),
        clock.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let result = plan.result_of_runs(&flat);
    Ok(if o.csv {
        result.to_csv()
    } else {
        serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?
    })
}

/// `sweeps`: each preset with its question and finding.
pub fn list() -> String {
    sweep::preset_list()
        .into_iter()
        .map(|p| format!("{}\n  {}\n  {}\n", p.name, p.title, p.finding))
        .collect::<Vec<_>>()
        .join("\n")
}
