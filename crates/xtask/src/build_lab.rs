//! `cargo xtask build-lab [--out DIR] [--debug]`: the JS API package and the embedding files.
//!
//! Writes into DIR (default: `$TRUNK_STAGING_DIR` when trunk runs this as its post_build hook,
//! else `dist`):
//! - `lab/idempotence_wasm.js`, `lab/idempotence_wasm_bg.wasm`, `lab/idempotence_wasm.d.ts`
//!   (+ `_bg.wasm.d.ts`): `cargo build -p idempotence-wasm --target wasm32-unknown-unknown
//!   --release`, `wasm-bindgen --target web`, `wasm-opt -Oz`;
//! - `embed/`, `examples/` and `sweep/`: copies of `web/embed/`, `web/examples/` and `web/sweep/`;
//! - `sweep/engine/`: the same JS API built for speed (`--profile speed`, `wasm-opt -O3`) for
//!   the sweep view and its workers, which run thousands of simulations: measured in headless
//!   Chromium, 8,000 runs of `lost-responses` on one worker took 10.2 s with the size-optimised
//!   build and 5.4 s with this one (the native CLI built the same way, on one thread: 3.7 s).
//!   Only the sweep page loads it.
//!
//! Debug (`--debug`, or `TRUNK_PROFILE=debug` under a plain `trunk serve`) builds the dev
//! profile once for both and skips wasm-opt, so edit-reload stays quick.

use std::path::{Path, PathBuf};

use crate::{run, Ctx};

const PACKAGE: &str = "idempotence-wasm";
const WASM_FILE: &str = "idempotence_wasm.wasm";
const TARGET: &str = "wasm32-unknown-unknown";
/// web/<dir> is copied to <out>/<dir>.
const COPIED_DIRS: &[&str] = &["embed", "examples", "sweep"];

pub fn build_lab(ctx: &Ctx, args: &[String]) -> Result<(), String> {
    let mut out: Option<PathBuf> = None;
    let mut debug = std::env::var("TRUNK_PROFILE").is_ok_and(|p| p == "debug");
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--out" => out = Some(it.next().ok_or("--out needs a directory")?.into()),
            "--debug" => debug = true,
            "--release" => debug = false,
            other => return Err(format!("build-lab: unknown argument `{other}`")),
        }
    }
    let out = out
        .or_else(|| std::env::var_os("TRUNK_STAGING_DIR").map(PathBuf::from))
        .unwrap_or_else(|| ctx.root.join("dist"));
    let out = if out.is_absolute() {
        out
    } else {
        ctx.root.join(out)
    };
    let lab = out.join("lab");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ctx.root.join("target"));
    let (small, fast) = if debug {
        (Build::DEBUG, Build::DEBUG)
    } else {
        (Build::SMALL, Build::FAST)
    };
    package(ctx, small, &lab, &target_dir)?;

    for dir in COPIED_DIRS {
        let from = ctx.root.join("web").join(dir);
        let to = out.join(dir);
        if to.exists() {
            std::fs::remove_dir_all(&to)
                .map_err(|e| format!("cannot clear {}: {e}", to.display()))?;
        }
        copy_dir(&from, &to)?;
    }
    package(ctx, fast, &out.join("sweep").join("engine"), &target_dir)?;
    for name in [
        "idempotence_wasm.js",
        "idempotence_wasm_bg.wasm",
        "idempotence_wasm.d.ts",
    ] {
        let file = lab.join(name);
        let size = std::fs::metadata(&file)
            .map_err(|e| format!("{} missing after the build: {e}", file.display()))?
            .len();
        println!("build-lab: {} ({size} bytes)", file.display());
    }
    Ok(())
}

/// How a JS API package is built: the cargo profile, and the wasm-opt level with its cache
/// folder (none: no wasm-opt).
#[derive(Clone, Copy)]
struct Build {
    profile: &'static str,
    wasm_opt: Option<(&'static str, &'static str)>,
}

impl Build {
    const DEBUG: Build = Build {
        profile: "dev",
        wasm_opt: None,
    };
    const SMALL: Build = Build {
        profile: "release",
        wasm_opt: Some(("-Oz", "idempotence-lab-wasm-opt")),
    };
    const FAST: Build = Build {
        profile: "speed",
        wasm_opt: Some(("-O3", "idempotence-sweep-wasm-opt")),
    };
}

/// Builds the JS API with `build` and writes its package (wasm-bindgen `--target web`,
/// then wasm-opt) into `dir`, replacing what was there.
fn package(ctx: &Ctx, build: Build, dir: &Path, target_dir: &Path) -> Result<(), String> {
    run(ctx.cmd(
        "cargo",
        &[
            "build",
            "-p",
            PACKAGE,
            "--target",
            TARGET,
            "--profile",
            build.profile,
        ],
    ))?;
    let profile_dir = if build.profile == "dev" {
        "debug"
    } else {
        build.profile
    };
    let wasm = target_dir.join(TARGET).join(profile_dir).join(WASM_FILE);
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    run(ctx.cmd(
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--out-dir",
            &path_str(dir)?,
            &path_str(&wasm)?,
        ],
    ))?;
    if let Some((level, cache)) = build.wasm_opt {
        optimize(
            ctx,
            &dir.join("idempotence_wasm_bg.wasm"),
            level,
            &target_dir.join(cache),
        )?;
    }
    Ok(())
}

/// `wasm-opt LEVEL` in place, reusing the previous result when wasm-bindgen's output is
/// byte-identical to last time (wasm-opt takes ~20 s on 2 cores).
fn optimize(ctx: &Ctx, bg: &Path, level: &str, cache: &Path) -> Result<(), String> {
    let (cached_in, cached_out) = (cache.join("in.wasm"), cache.join("out.wasm"));
    let input = std::fs::read(bg).map_err(|e| format!("cannot read {}: {e}", bg.display()))?;
    if std::fs::read(&cached_in).is_ok_and(|c| c == input) && cached_out.is_file() {
        println!("build-lab: wasm unchanged, reusing the cached wasm-opt output");
        return std::fs::copy(&cached_out, bg)
            .map(|_| ())
            .map_err(|e| format!("cannot copy {}: {e}", cached_out.display()));
    }
    let bg_str = path_str(bg)?;
    // The wasm features rustc's wasm32 output uses (Rust 1.95: bulk memory, nontrapping
    // float-to-int, sign-ext, multivalue, reference types).
    run(ctx.cmd(
        "wasm-opt",
        &[
            level,
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            &bg_str,
            "-o",
            &bg_str,
        ],
    ))?;
    // Best effort: a failed cache write only costs time next run.
    let _ = std::fs::create_dir_all(cache)
        .and_then(|()| std::fs::write(&cached_in, &input))
        .and_then(|()| std::fs::copy(bg, &cached_out).map(|_| ()));
    Ok(())
}

fn path_str(path: &Path) -> Result<String, String> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| format!("path is not UTF-8: {}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest)
                .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}
