//! `cargo xtask setup`: idempotent installs of whatever is missing.
//!
//! Prints one line per tool, "present" or "installing"; a second run installs
//! nothing. Versions that must match (see /work/shared/toolchain.md):
//! - trunk 0.21.14 (newer trunk needs rustc 1.96.1), `--locked`;
//! - wasm-bindgen-cli = the `wasm-bindgen` version in Cargo.lock (trunk, the
//!   test runner and the library must agree), installed WITHOUT `--locked`
//!   (its lock file names a crate version the registry does not serve);
//! - wasm-opt 132 from npm `binaryen` (Debian's binaryen 108 cannot read
//!   rustc's wasm output; never install it), playwright-core 1.65.1;
//! - Debian chromium + chromium-driver for browser tests.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::helpers::{json_version, locked_version, version_line_matches, wasm_opt_version};
use crate::{run, Ctx};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION: &str = "0.21.14";
/// Must equal `[tools] wasm_opt` in Trunk.toml and the npm pin in web/e2e/package.json.
const WASM_OPT_VERSION: u32 = 132;
const PLAYWRIGHT_VERSION: &str = "1.65.1";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub fn setup(ctx: &Ctx, chromium: bool) -> Result<(), String> {
    wasm_target(ctx)?;
    npm_packages(ctx)?;
    if chromium {
        chromium_and_driver()?;
    }
    trunk(ctx)?;
    wasm_bindgen_cli(ctx)?;
    Ok(())
}

/// stdout+stderr of a successful run, or None (not installed / failed).
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(text)
}

fn report(tool: &str, present: bool) {
    let state = if present { "present" } else { "installing" };
    println!("setup: {tool}: {state}");
}

fn wasm_target(ctx: &Ctx) -> Result<(), String> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).ok_or(
        "`rustup target list --installed` failed: install Rust with rustup (https://rustup.rs)",
    )?;
    let present = installed.lines().any(|l| l.trim() == WASM_TARGET);
    report(&format!("rust target {WASM_TARGET}"), present);
    if !present {
        run(ctx.cmd("rustup", &["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

fn trunk(ctx: &Ctx) -> Result<(), String> {
    let present = output_of("trunk", &["--version"])
        .is_some_and(|out| version_line_matches(&out, "trunk", TRUNK_VERSION));
    report(&format!("trunk {TRUNK_VERSION}"), present);
    if !present {
        // ~11 minutes on 2 cores.
        run(ctx.cmd(
            "cargo",
            &["install", "trunk", "--version", TRUNK_VERSION, "--locked"],
        ))?;
    }
    Ok(())
}

fn wasm_bindgen_cli(ctx: &Ctx) -> Result<(), String> {
    let lock_path = ctx.root.join("Cargo.lock");
    if !lock_path.exists() {
        // Resolve the workspace once so Cargo.lock exists (does not upgrade anything).
        let mut cmd = ctx.cmd("cargo", &["metadata", "--format-version", "1"]);
        cmd.stdout(Stdio::null());
        run(cmd)?;
    }
    let lock = fs::read_to_string(&lock_path)
        .map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    let version = locked_version(&lock, "wasm-bindgen")?;
    let present = ["wasm-bindgen", "wasm-bindgen-test-runner"]
        .iter()
        .all(|tool| {
            output_of(tool, &["--version"])
                .is_some_and(|out| version_line_matches(&out, tool, &version))
        });
    report(
        &format!("wasm-bindgen-cli {version} (= Cargo.lock)"),
        present,
    );
    if !present {
        // ~3.5 minutes. Not --locked: see the module docs.
        run(ctx.cmd(
            "cargo",
            &["install", "wasm-bindgen-cli", "--version", &version],
        ))?;
    }
    Ok(())
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn npm_packages(ctx: &Ctx) -> Result<(), String> {
    let dir = ctx.root.join("web/e2e");
    let lock = dir.join("package-lock.json");
    // npm writes node_modules/.package-lock.json on every install: missing or
    // older than package-lock.json means node_modules is absent or stale.
    let hidden_lock = dir.join("node_modules/.package-lock.json");
    let fresh = match (mtime(&lock), mtime(&hidden_lock)) {
        (Some(lock), Some(hidden)) => hidden >= lock,
        (None, Some(_)) => true,
        _ => false,
    };
    let binaryen = installed_npm_version(&dir, "binaryen");
    let playwright = installed_npm_version(&dir, "playwright-core");
    // typescript: the e2e suite type-checks a script against the JS API's declarations.
    let typescript = installed_npm_version(&dir, "typescript");
    let present = fresh && binaryen.is_some() && playwright.is_some() && typescript.is_some();
    report(
        &format!(
            "npm packages in web/e2e (binaryen -> wasm-opt {WASM_OPT_VERSION}, playwright-core {PLAYWRIGHT_VERSION})"
        ),
        present,
    );
    if !present {
        if output_of("npm", &["--version"]).is_none() {
            return Err(
                "npm not found: install Node.js 20+ with npm (Debian: apt-get install nodejs npm)"
                    .into(),
            );
        }
        let args: &[&str] = if lock.exists() {
            &["ci", "--no-audit", "--no-fund"]
        } else {
            &["install", "--no-audit", "--no-fund"]
        };
        let mut cmd = Command::new("npm");
        cmd.args(args).current_dir(&dir);
        run(cmd)?;
    }

    // Check what trunk will actually find first on PATH.
    let wasm_opt = output_of("wasm-opt", &["--version"]).and_then(|o| wasm_opt_version(&o));
    if wasm_opt != Some(WASM_OPT_VERSION) {
        return Err(format!(
            "`wasm-opt --version` on PATH gives version {wasm_opt:?}, expected {WASM_OPT_VERSION} \
             (from web/e2e/node_modules/.bin; is the npm `binaryen` pin in web/e2e/package.json right?)"
        ));
    }
    let playwright = installed_npm_version(&dir, "playwright-core");
    if playwright.as_deref() != Some(PLAYWRIGHT_VERSION) {
        return Err(format!(
            "web/e2e/node_modules has playwright-core {playwright:?}, expected {PLAYWRIGHT_VERSION}"
        ));
    }
    Ok(())
}

fn installed_npm_version(e2e_dir: &Path, package: &str) -> Option<String> {
    let text = fs::read_to_string(
        e2e_dir
            .join("node_modules")
            .join(package)
            .join("package.json"),
    )
    .ok()?;
    json_version(&text)
}

fn chromium_and_driver() -> Result<(), String> {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    report("chromium + chromium-driver (Debian)", present);
    if present {
        return Ok(());
    }
    let is_root = output_of("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    if !is_root {
        return Err(format!(
            "{CHROMIUM} or {CHROMEDRIVER} is missing and this is not root: install them with \
             `sudo apt-get update && sudo apt-get install -y chromium chromium-driver` \
             (Debian packages; do NOT install Debian's binaryen), then rerun"
        ));
    }
    let mut update = Command::new("apt-get");
    update.arg("update").stdin(Stdio::null());
    run(update)?;
    let mut install = Command::new("apt-get");
    install
        .args(["install", "-y", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null());
    run(install)
}
