//! `idempotence-sim explore`: the random-fault sweep on every core.
//!
//! Generates `--count` seeded scenarios of the chosen mix, runs them in parallel (rayon),
//! classifies every violation by mechanism, times each run and measures its memory, shrinks
//! each kind of unexplained violation to a small scenario written to `--out`, and prints a
//! summary. Exits with 1 when anything is unexplained, a run panicked or did not finish.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use idempotence_sim::explore::{self, Finding, Mix, RunOutcome};
use idempotence_sim::invariants::Mechanism;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::memory;

pub const USAGE: &str = "  idempotence-sim explore [--count N] [--seed S] [--safe|--all] [--threads N] [--out DIR] [--print]
                                                           the random-fault sweep: N seeded scenarios, every invariant
                                                           checked, unexplained violations shrunk into DIR";

/// A shrunk scenario is searched for at most this many runs per kind of finding.
const SHRINK_BUDGET: usize = 400;
/// Kinds of unexplained finding shrunk per sweep (the rest are listed).
const MAX_SHRUNK: usize = 8;
const MAX_COUNT: u64 = 10_000_000;

struct Options {
    count: u64,
    seed: u64,
    mix: Mix,
    threads: Option<usize>,
    out: PathBuf,
    print: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        count: 1_000,
        seed: 1,
        mix: Mix::Safe,
        threads: None,
        out: PathBuf::from("sweep-findings"),
        print: false,
    };
    let mut rest = args.iter();
    let number = |flag: &str, v: Option<&String>, max: u64| -> Result<u64, String> {
        let v = v.ok_or_else(|| format!("error: {flag} needs a number"))?;
        match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!(
                "error: {flag} expects a whole number from 0 to {max}, got '{v}'"
            )),
        }
    };
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--count" => o.count = number("--count", rest.next(), MAX_COUNT)?.max(1),
            "--seed" => o.seed = number("--seed", rest.next(), u64::MAX)?,
            "--threads" => o.threads = Some(number("--threads", rest.next(), 256)?.max(1) as usize),
            "--out" => o.out = PathBuf::from(rest.next().ok_or("error: --out needs a directory")?),
            "--safe" => o.mix = Mix::Safe,
            "--all" => o.mix = Mix::All,
            "--print" => o.print = true,
            other => return Err(format!("error: unknown option '{other}'\nusage:\n{USAGE}")),
        }
    }
    Ok(o)
}

/// One run as the sweep saw it.
struct Record {
    seed: u64,
    outcome: Result<RunOutcome, String>,
    wall_ms: f64,
    peak_bytes: u64,
}

fn run_one(seed: u64, mix: Mix) -> Record {
    let start = memory::start();
    let clock = Instant::now();
    let outcome = std::panic::catch_unwind(|| explore::run(explore::generate(seed, mix))).map_err(
        |payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into())
        },
    );
    Record {
        seed,
        outcome,
        wall_ms: clock.elapsed().as_secs_f64() * 1000.0,
        peak_bytes: memory::peak_since(start),
    }
}

/// Totals per (check, mechanism): runs that had it, violations, the first seed.
#[derive(Default)]
struct Tally {
    runs: u64,
    violations: u64,
    first_seed: u64,
    example: String,
}

pub fn explore(args: &[String]) -> Result<(String, bool), String> {
    let o = parse(args)?;
    let mix_name = if o.mix == Mix::Safe { "safe" } else { "all" };
    if o.print {
        let seed = explore::run_seed(o.seed, 0);
        return Ok((explore::generate(seed, o.mix).to_json(), true));
    }
    if let Some(n) = o.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("error: cannot start {n} threads: {e}"))?;
    }
    // Panics are caught and reported per run; the default hook would print each one twice.
    std::panic::set_hook(Box::new(|_| {}));
    let bar = ProgressBar::new(o.count).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let clock = Instant::now();
    let records: Vec<Record> = (0..o.count)
        .into_par_iter()
        .map(|i| {
            let r = run_one(explore::run_seed(o.seed, i), o.mix);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    let wall_s = clock.elapsed().as_secs_f64();
    let mut report = Summary::new(&records);
    let shrunk = shrink_unexplained(&records, o.mix, &o.out)?;
    let _ = std::panic::take_hook();
    let text = report.render(&o, mix_name, wall_s, &shrunk);
    Ok((text, report.clean()))
}

struct Summary<'a> {
    records: &'a [Record],
    tallies: BTreeMap<(String, Mechanism), Tally>,
    panics: Vec<(u64, String)>,
    incomplete: Vec<(u64, String)>,
    events: u64,
}

impl<'a> Summary<'a> {
    fn new(records: &'a [Record]) -> Summary<'a> {
        let mut s = Summary {
            records,
            tallies: BTreeMap::new(),
            panics: Vec::new(),
            incomplete: Vec::new(),
            events: 0,
        };
        for r in records {
            match &r.outcome {
                Err(message) => s.panics.push((r.seed, message.clone())),
                Ok(outcome) => {
                    s.events += outcome.steps_events;
                    if explore::incomplete(&outcome.finished_because) {
                        s.incomplete
                            .push((r.seed, outcome.finished_because.clone()));
                    }
                    for f in &outcome.findings {
                        let t = s
                            .tallies
                            .entry((f.check.clone(), f.mechanism))
                            .or_insert_with(|| Tally {
                                first_seed: r.seed,
                                example: f.example.clone(),
                                ..Tally::default()
                            });
                        t.runs += 1;
                        t.violations += f.count;
                    }
                }
            }
        }
        s
    }

    fn unexplained(&self) -> u64 {
        self.tallies
            .iter()
            .filter(|((_, m), _)| !m.is_explained())
            .map(|(_, t)| t.runs)
            .sum()
    }

    fn clean(&mut self) -> bool {
        self.unexplained() == 0 && self.panics.is_empty() && self.incomplete.is_empty()
    }

    fn render(&self, o: &Options, mix: &str, wall_s: f64, shrunk: &[String]) -> String {
        let n = self.records.len();
        let mut out = format!(
            "sweep: {n} {mix} schedules from seed {} in {wall_s:.1} s ({:.0} runs/s), {} events\n",
            o.seed,
            n as f64 / wall_s.max(1e-9),
            self.events
        );
        let violating = self
            .records
            .iter()
            .filter(|r| r.outcome.as_ref().is_ok_and(|o| !o.findings.is_empty()))
            .count();
        out += &format!(
            "runs with a violation: {violating}; unexplained: {}; panics: {}; incomplete: {}\n",
            self.unexplained(),
            self.panics.len(),
            self.incomplete.len()
        );
        if !self.tallies.is_empty() {
            out += "\nviolations by mechanism (runs, violations, first seed):\n";
            for ((check, mechanism), t) in &self.tallies {
                out += &format!(
                    "  {:<34} {:<26} {:>6} {:>8}  seed {}{}\n",
                    check,
                    mechanism.id(),
                    t.runs,
                    t.violations,
                    t.first_seed,
                    if mechanism.is_explained() {
                        ""
                    } else {
                        "  UNEXPLAINED"
                    }
                );
            }
            for ((check, mechanism), t) in self.tallies.iter().filter(|(k, _)| !k.1.is_explained())
            {
                out += &format!("\n  {check} / {}: {}\n", mechanism.id(), t.example);
            }
        }
        for (seed, message) in self.panics.iter().take(10) {
            out += &format!("PANIC seed {seed}: {message}\n");
        }
        for (seed, why) in self.incomplete.iter().take(10) {
            out += &format!("INCOMPLETE seed {seed}: {why}\n");
        }
        for line in shrunk {
            out += &format!("shrunk: {line}\n");
        }
        out += &self.render_cost();
        out += &format!(
            "reproduce one run: idempotence-sim explore --seed {} --{mix} --print  (run i of a sweep uses explore::run_seed(seed, i))\n",
            o.seed
        );
        out
    }

    fn render_cost(&self) -> String {
        let mut by_time: Vec<&Record> = self.records.iter().collect();
        by_time.sort_by(|a, b| b.wall_ms.total_cmp(&a.wall_ms));
        let mut out = String::from("\nslowest runs (seed: ms, events):\n");
        for r in by_time.iter().take(5) {
            let events = r.outcome.as_ref().map_or(0, |o| o.steps_events);
            out += &format!("  {}: {:.1} ms, {} events\n", r.seed, r.wall_ms, events);
        }
        if let Some(top) = self.records.iter().max_by_key(|r| r.peak_bytes) {
            out += &format!(
                "peak memory of one run: {:.1} MiB (seed {})",
                top.peak_bytes as f64 / (1 << 20) as f64,
                top.seed
            );
        }
        if let Some(rss) = memory::process_peak_bytes() {
            out += &format!(
                "; peak resident set of the sweep: {:.1} MiB",
                rss as f64 / (1 << 20) as f64
            );
        }
        out + "\n"
    }
}

/// Shrinks one run of each kind of unexplained finding and writes it to `out`.
fn shrink_unexplained(
    records: &[Record],
    mix: Mix,
    out: &std::path::Path,
) -> Result<Vec<String>, String> {
    let mut firsts: BTreeMap<String, u64> = BTreeMap::new();
    for r in records {
        let checks: Vec<String> = match &r.outcome {
            Err(_) => vec!["panic".into()],
            Ok(o) => o
                .findings
                .iter()
                .filter(|f| !f.is_explained())
                .map(|f| f.check.clone())
                .collect(),
        };
        for check in checks {
            firsts.entry(check).or_insert(r.seed);
        }
    }
    let mut written = Vec::new();
    for (check, seed) in firsts.into_iter().take(MAX_SHRUNK) {
        let fails = |s: &idempotence_sim::Scenario| match std::panic::catch_unwind(|| {
            explore::run(s.clone())
        }) {
            Err(_) => check == "panic",
            Ok(o) => o
                .findings
                .iter()
                .any(|f: &Finding| f.check == check && !f.is_explained()),
        };
        let small = explore::shrink(&explore::generate(seed, mix), fails, SHRINK_BUDGET);
        std::fs::create_dir_all(out)
            .map_err(|e| format!("error: cannot create {}: {e}", out.display()))?;
        let path = out.join(format!("{check}-{seed}.json"));
        std::fs::write(&path, small.to_json())
            .map_err(|e| format!("error: cannot write {}: {e}", path.display()))?;
        written.push(format!(
            "{check} (seed {seed}) → {} ({} faults, {} producers, {} messages)",
            path.display(),
            small.faults.len(),
            small.producers.len(),
            small
                .producers
                .iter()
                .map(|p| p.workload.total_messages())
                .sum::<u64>()
        ));
    }
    Ok(written)
}
