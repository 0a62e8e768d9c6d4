//! `cargo xtask crosscheck --against REV [--count N]`: evidence that a restructure changed no
//! behaviour, far beyond the goldens. It builds the CLI of revision REV (checked out in a git
//! worktree under `target/crosscheck/`, built in its own target directory, so nothing of the
//! working tree's build is touched) and of the working tree. It then runs the same N random
//! scenarios through both and compares what they print byte for byte: the report with every
//! event (`idempotence-sim run FILE --events`). The scenarios are the random-fault sweep's,
//! `idempotence-sim explore --seed K --all|--safe --print` for K = 1..N, alternating the two
//! fault mixes, so they cover every fault kind, transactions, crafted requests and restarts.
//! The first difference stops the check; its scenario and both outputs are kept.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{run, Ctx};

struct Options {
    against: String,
    count: u64,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut against = None;
    let mut count = 1000;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--against" => against = Some(value("--against")?),
            "--count" => {
                let v = value("--count")?;
                count = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--count must be a whole number > 0, not {v}"))?;
            }
            other => return Err(format!("crosscheck: unknown argument `{other}`")),
        }
    }
    let against = against.ok_or("crosscheck needs --against REV (a commit, tag or branch)")?;
    Ok(Options { against, count })
}

/// Runs a command and returns what it printed; Err with its stderr when it fails.
fn output(mut cmd: Command) -> Result<Vec<u8>, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if !out.status.success() {
        return Err(format!(
            "{:?} {:?} failed: {}",
            cmd.get_program(),
            cmd.get_args().collect::<Vec<_>>(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

fn git(ctx: &Ctx, args: &[&str]) -> Result<String, String> {
    let out = output(ctx.cmd("git", args))?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// `cargo build` of the CLI (release, a profile every revision has).
fn build_cli(ctx: &Ctx) -> Command {
    let args = [
        "build",
        "--release",
        "-p",
        "idempotence-sim",
        "--bin",
        "idempotence-sim",
    ];
    ctx.cmd("cargo", &args)
}

/// The CLI of `rev`, built in its own worktree and target directory.
fn build_revision(ctx: &Ctx, dir: &Path, rev: &str) -> Result<PathBuf, String> {
    let tree = dir.join(format!("tree-{rev}"));
    if !tree.join("Cargo.toml").exists() {
        let tree_arg = tree.to_string_lossy().into_owned();
        run(ctx.cmd(
            "git",
            &["worktree", "add", "--force", "--detach", &tree_arg, rev],
        ))?;
    }
    let target = dir.join(format!("target-{rev}"));
    let mut cmd = build_cli(ctx);
    cmd.current_dir(&tree).env("CARGO_TARGET_DIR", &target);
    run(cmd)?;
    Ok(target.join("release/idempotence-sim"))
}

pub fn crosscheck(ctx: &Ctx, args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let rev = git(
        ctx,
        &["rev-parse", "--short", &format!("{}^{{commit}}", o.against)],
    )?;
    let dir = ctx.root.join("target/crosscheck");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let old = build_revision(ctx, &dir, &rev)?;
    run(build_cli(ctx))?;
    let new = ctx.root.join("target/release/idempotence-sim");
    let scenario = dir.join("scenario.json");
    let mut bytes: u64 = 0;
    for k in 1..=o.count {
        let mix = if k % 2 == 0 { "--safe" } else { "--all" };
        let mut generate = Command::new(&new);
        generate.args(["explore", "--seed", &k.to_string(), mix, "--print"]);
        let json = output(generate)?;
        std::fs::write(&scenario, &json).map_err(|e| format!("cannot write scenario: {e}"))?;
        let runs = [&new, &old].map(|bin| {
            let mut cmd = Command::new(bin);
            cmd.arg("run").arg(&scenario).arg("--events");
            output(cmd)
        });
        let [now, before] = runs;
        let (now, before) = (now?, before?);
        bytes += now.len() as u64;
        if now != before {
            let keep = |name: &str, data: &[u8]| std::fs::write(dir.join(name), data);
            let kept = keep(&format!("diff-{k}.json"), &json)
                .and(keep(&format!("diff-{k}.now.json"), &now))
                .and(keep(&format!("diff-{k}.{rev}.json"), &before));
            kept.map_err(|e| format!("cannot keep the difference: {e}"))?;
            return Err(format!(
                "scenario {k} ({mix}) runs differently now than at {rev}: see {}/diff-{k}.*",
                dir.display()
            ));
        }
    }
    println!(
        "crosscheck: {} scenarios, {bytes} bytes of reports and events, identical to {rev}",
        o.count
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_revision_is_required_and_the_count_must_be_positive() {
        assert!(parse(&args(&[])).is_err());
        let o = parse(&args(&["--against", "main", "--count", "20"])).expect("valid");
        assert_eq!((o.against.as_str(), o.count), ("main", 20));
        assert!(parse(&args(&["--against", "main", "--count", "0"])).is_err());
        assert!(parse(&args(&["--against"])).is_err());
        assert!(parse(&args(&["--against", "x", "--what"])).is_err());
    }
}
