//! `cargo xtask <command>`: the build/test pipeline of Idempotent Producer Lab.
//!
//! Commands:
//! - `setup`  install whatever is missing (wasm32 target, trunk, wasm-bindgen-cli,
//!   npm packages in web/e2e, and Debian chromium + chromium-driver)
//! - `serve [trunk args]`  setup (without chromium), then `trunk serve` on 127.0.0.1:8080
//! - `test`   setup, then fmt, clippy (native + wasm32), native tests, wasm tests in
//!   Node and headless Chromium, `trunk build --release`, browser end-to-end tests
//! - `e2e`    setup, `trunk build --release`, browser end-to-end tests only
//! - `bench [args]`  `cargo bench -p idempotence-sim`, then wasm vs native on one scenario
//! - `sweep [--count N] [--seed S] [--safe|--all] [--threads N]`  the random-fault sweep
//!   (`idempotence-sim explore`, built with the `sweep` profile); shrunk findings go to
//!   `target/sweep-findings/`
//! - `crosscheck --against REV [--count N]`  the same N random scenarios through the CLI of
//!   REV and of the working tree; their reports and event traces must be byte-identical
//! - `build-lab [--out DIR] [--debug]`  the JS API package (`lab/`) and the embedding
//!   files (`embed/`, `examples/`) into DIR; trunk runs it as its post_build hook
//!   (Trunk.toml), so every `trunk build`/`serve` (and so `test`/`e2e`) includes them
//!
//! Every child process gets PATH with `<root>/web/e2e/node_modules/.bin` and
//! `~/.cargo/bin` in front, so trunk finds npm's wasm-opt 132 (Debian's
//! binaryen 108 cannot read current rustc output).

mod build_lab;
mod crosscheck;
mod helpers;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use helpers::{has_option, prepend_path, summary_table};

/// Packages whose `#[wasm_bindgen_test]` tests run under wasm32 in Node and in
/// headless Chromium.
///
/// `idempotence-sim` is deliberately NOT here: its dev-dependency proptest does
/// not build for wasm32-unknown-unknown (proptest 1.12 -> rand 0.10 ->
/// getrandom 0.4: "The wasm32/64-unknown-unknown are not supported by default;
/// you may need to enable the `wasm_js` crate feature"; checked), and its
/// tests are plain `#[test]`s, which wasm-bindgen-test-runner does not execute
/// anyway ("no tests to run!"). The simulator's behaviour under wasm32 is
/// covered by idempotence-wasm's tests, which drive the sim through its API;
/// the sim library itself is compiled for wasm32 by the wasm clippy step.
const WASM_TEST_PACKAGES: &[&str] = &["idempotence-wasm"];

/// The Yew app; its wasm tests (if any) run in headless Chromium only.
const APP_PACKAGE: &str = "idempotence-app";
const APP_DIR: &str = "crates/app";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest.to_vec()),
        None => ("help", Vec::new()),
    };
    let ctx = match Ctx::new() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("xtask: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        "setup" => setup::setup(&ctx, !rest.iter().any(|a| a == "--no-chromium")),
        "serve" => serve(&ctx, &rest),
        "test" => pipeline(&ctx, Pipeline::Full),
        "e2e" => pipeline(&ctx, Pipeline::E2eOnly),
        "bench" => bench(&ctx, &rest),
        "sweep" => sweep(&ctx, &rest),
        "build-lab" => build_lab::build_lab(&ctx, &rest),
        "crosscheck" => crosscheck::crosscheck(&ctx, &rest),
        "help" | "-h" | "--help" => {
            print_help();
            Ok(())
        }
        other => {
            print_help();
            Err(format!("unknown command `{other}`"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "usage: cargo xtask <command>\n\n\
         commands:\n  \
         setup [--no-chromium]  install missing tools (wasm32 target, trunk 0.21.14,\n                         \
         wasm-bindgen-cli = Cargo.lock, npm wasm-opt + playwright-core, chromium)\n  \
         serve [trunk args]     setup, then trunk serve on http://127.0.0.1:8080/\n  \
         test                   setup, fmt, clippy, native + wasm tests, trunk build, e2e\n  \
         e2e                    setup, trunk build --release, browser end-to-end tests\n  \
         bench [args]           cargo bench -p idempotence-sim\n  \
         sweep [--count N] [--seed S] [--safe|--all] [--threads N]\n                         \
         random-fault sweep (default: 1000 safe schedules from seed 1)\n  \
         crosscheck --against REV [--count N]\n                         \
         N random scenarios (default 1000) through REV's CLI and this tree's:\n                         \
         reports and event traces must be byte-identical (for refactors)\n  \
         build-lab [--out DIR] [--debug]\n                         \
         JS API (lab/) + embed/ + examples/ into DIR (default dist/;\n                         \
         trunk runs it as post_build hook into its staging dir)"
    );
}

/// Where things are; constructed once, also fixes PATH for every child.
pub struct Ctx {
    pub root: PathBuf,
}

impl Ctx {
    fn new() -> Result<Self, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .ok_or("cannot locate the workspace root")?
            .to_path_buf();
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .ok_or("neither CARGO_HOME nor HOME is set")?;
        let path = prepend_path(
            &[
                root.join("web/e2e/node_modules/.bin"),
                cargo_home.join("bin"),
            ],
            std::env::var_os("PATH").as_deref(),
        )?;
        // Single-threaded at this point; every Command inherits (and resolves
        // programs through) this PATH.
        std::env::set_var("PATH", path);
        Ok(Ctx { root })
    }

    /// A command run from the workspace root.
    pub fn cmd(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(&self.root);
        cmd
    }
}

/// Runs `cmd` with inherited stdio; Err when it cannot start or exits non-zero.
pub fn run(mut cmd: Command) -> Result<(), String> {
    let shown = show(&cmd);
    println!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` exited with {status}"))
    }
}

/// `KEY=value program args`, for logs.
fn show(cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter(|(k, _)| *k != "PATH")
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    parts.push(cmd.get_program().to_string_lossy().into_owned());
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

fn serve(ctx: &Ctx, extra: &[String]) -> Result<(), String> {
    setup::setup(ctx, false)?;
    let mut cmd = ctx.cmd("trunk", &["serve", "--skip-version-check"]);
    if !has_option(extra, "address") {
        cmd.args(["--address", "127.0.0.1"]);
    }
    if !has_option(extra, "port") {
        cmd.args(["--port", "8080"]);
    }
    cmd.args(extra);
    run(cmd)
}

/// Criterion benchmarks of the core, then the same scenario natively and as wasm under Node,
/// both built with the `speed` profile, timed in one run and compared.
fn bench(ctx: &Ctx, extra: &[String]) -> Result<(), String> {
    let mut cmd = ctx.cmd("cargo", &["bench", "-p", "idempotence-sim"]);
    cmd.args(extra);
    run(cmd)?;
    run(ctx.cmd(
        "cargo",
        &["build", "--profile", "speed", "-p", "idempotence-sim"],
    ))?;
    run(ctx.cmd(
        "cargo",
        &[
            "build",
            "--profile",
            "speed",
            "-p",
            "idempotence-wasm",
            "--target",
            "wasm32-unknown-unknown",
        ],
    ))?;
    run(ctx.cmd(
        "wasm-bindgen",
        &[
            "--target",
            "nodejs",
            "--out-dir",
            "target/wasm-bench",
            "target/wasm32-unknown-unknown/speed/idempotence_wasm.wasm",
        ],
    ))?;
    run(ctx.cmd(
        "node",
        &[
            "crates/sim/benches/wasm-vs-native.mjs",
            "target/speed/idempotence-sim",
            "target/wasm-bench",
            "crates/sim/benches/bench-scenario.json",
        ],
    ))?;
    bench_sweeps(ctx)
}

/// The `lost-responses` sweep natively on 1 and 2 threads, then in the sweep view in headless
/// Chromium on 1 and 2 workers (the release site, built first), so the four timings and the
/// speed-ups come from one run on one machine.
fn bench_sweeps(ctx: &Ctx) -> Result<(), String> {
    for threads in ["1", "2"] {
        // The CSV goes nowhere: the timing line is on stderr.
        let mut cmd = ctx.cmd(
            "target/speed/idempotence-sim",
            &[
                "sweep",
                "lost-responses",
                "--format",
                "csv",
                "--threads",
                threads,
            ],
        );
        cmd.stdout(std::process::Stdio::null());
        run(cmd)?;
    }
    run(ctx.cmd("trunk", &["build", "--release", "--skip-version-check"]))?;
    run(ctx.cmd(
        "node",
        &["web/e2e/run.mjs", "web/e2e/bench/sweep.bench.mjs"],
    ))
}

/// The random-fault sweep: `idempotence-sim explore` built with the `sweep` profile (fast,
/// with overflow checks and debug assertions, unwinding so a panicking run is reported).
fn sweep(ctx: &Ctx, extra: &[String]) -> Result<(), String> {
    let mut cmd = sweep_command(ctx);
    cmd.args(extra);
    run(cmd)
}

fn sweep_command(ctx: &Ctx) -> Command {
    let out = ctx.root.join("target/sweep-findings");
    let mut cmd = ctx.cmd(
        "cargo",
        &[
            "run",
            "--quiet",
            "--profile",
            "sweep",
            "-p",
            "idempotence-sim",
            "--bin",
            "idempotence-sim",
            "--",
            "explore",
            "--out",
        ],
    );
    cmd.arg(out);
    cmd
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pipeline {
    Full,
    E2eOnly,
}

/// Runs steps in order, timing each; stops at the first failure.
struct Steps {
    rows: Vec<(String, String, f64)>,
}

impl Steps {
    fn step(&mut self, name: &str, f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = f();
        let secs = started.elapsed().as_secs_f64();
        let outcome = if result.is_ok() { "ok" } else { "FAILED" };
        println!("<== {name}: {outcome} in {secs:.1} s");
        self.rows
            .push((name.to_string(), outcome.to_string(), secs));
        result.map_err(|e| format!("step `{name}` failed: {e}"))
    }

    fn skip(&mut self, name: &str, why: &str) {
        println!("\n==> {name}: skipped ({why})");
        self.rows
            .push((name.to_string(), "skipped".to_string(), 0.0));
    }

    fn cargo(
        &mut self,
        ctx: &Ctx,
        name: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(), String> {
        let mut cmd = ctx.cmd("cargo", args);
        cmd.envs(env.iter().copied());
        self.step(name, || run(cmd))
    }
}

fn pipeline(ctx: &Ctx, which: Pipeline) -> Result<(), String> {
    let started = Instant::now();
    let mut steps = Steps { rows: Vec::new() };
    let result = run_steps(ctx, which, &mut steps);
    println!("\n{}", summary_table(&steps.rows));
    let passed = steps.rows.iter().filter(|r| r.1 == "ok").count();
    let failed = steps.rows.iter().filter(|r| r.1 == "FAILED").count();
    match &result {
        Ok(()) => println!(
            "all steps passed in {:.1} s\nsteps: {passed} passed, {failed} failed",
            started.elapsed().as_secs_f64()
        ),
        // main() prints the error ("step `X` failed: ...") as the last line.
        Err(_) => println!("steps: {passed} passed, {failed} failed"),
    }
    result
}

fn run_steps(ctx: &Ctx, which: Pipeline, steps: &mut Steps) -> Result<(), String> {
    steps.step("setup", || setup::setup(ctx, true))?;

    if which == Pipeline::Full {
        steps.cargo(ctx, "fmt --check", &["fmt", "--all", "--check"], &[])?;
        steps.cargo(
            ctx,
            "clippy (native)",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )?;
        // xtask is a native build tool (it spawns processes; on wasm32 it would
        // compile against std's unsupported stubs), so it is not linted for wasm32. No --all-targets: the sim's dev-dependencies (proptest,
        // criterion) and its bench are native-only.
        steps.cargo(
            ctx,
            "clippy (wasm32)",
            &[
                "clippy",
                "--workspace",
                "--exclude",
                "xtask",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
            &[],
        )?;
        steps.cargo(ctx, "test (native)", &["test", "--workspace"], &[])?;
        // The hostile-input corpus against the release CLI (panic=abort, no overflow checks):
        // what a user's `cargo run --release` or an installed binary would do with it.
        steps.cargo(
            ctx,
            "hostile inputs (release CLI)",
            &[
                "test",
                "--release",
                "-p",
                "idempotence-sim",
                "--test",
                "hostile_inputs",
            ],
            &[],
        )?;
        for (name, mix) in [
            ("sweep (2000 safe schedules)", "--safe"),
            ("sweep (2000 schedules, all faults)", "--all"),
        ] {
            let mut cmd = sweep_command(ctx);
            cmd.args(["--count", "2000", "--seed", "1", mix]);
            steps.step(name, || run(cmd))?;
        }

        let mut wasm_args = vec!["test"];
        for p in WASM_TEST_PACKAGES {
            wasm_args.extend(["-p", p]);
        }
        wasm_args.extend(["--target", "wasm32-unknown-unknown"]);
        steps.cargo(ctx, "wasm tests (Node)", &wasm_args, &[])?;
        steps.cargo(
            ctx,
            "wasm tests (Chromium)",
            &wasm_args,
            &[("WASM_BINDGEN_USE_BROWSER", "1")],
        )?;

        let app_dir = ctx.root.join(APP_DIR);
        if has_wasm_tests(&app_dir) {
            steps.cargo(
                ctx,
                "app wasm tests (Chromium)",
                &[
                    "test",
                    "-p",
                    APP_PACKAGE,
                    "--target",
                    "wasm32-unknown-unknown",
                ],
                &[("WASM_BINDGEN_USE_BROWSER", "1")],
            )?;
        } else {
            steps.skip(
                "app wasm tests (Chromium)",
                "no #[wasm_bindgen_test] in crates/app",
            );
        }
    }

    steps.step("trunk build --release", || {
        run(ctx.cmd("trunk", &["build", "--release", "--skip-version-check"]))
    })?;
    steps.step("e2e (web/e2e)", || {
        run(ctx.cmd("node", &["web/e2e/run.mjs"]))
    })?;
    Ok(())
}

/// True when any `.rs` file under `dir` mentions `wasm_bindgen_test`.
fn has_wasm_tests(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            has_wasm_tests(&path)
        } else {
            path.extension().is_some_and(|e| e == "rs")
                && std::fs::read_to_string(&path)
                    .map(|text| text.contains("wasm_bindgen_test"))
                    .unwrap_or(false)
        }
    })
}
