//! Build-time facts for the `iommu-sim` binary and its tests:
//!
//! - `IOMMU_SIM_COMMIT`: the git commit the binary was built from (with `-dirty` when the
//!   work tree had changes), shown by `--version`; "unknown" when there is no git or no
//!   repository (a crate tarball), so the build never fails for it.
//! - `cfg(has_chromium)`: set when `/usr/bin/chromium` exists, so the browser test is
//!   *ignored* (visible as such in the test summary) rather than passing silently without it.
//! - Start-up cost on Linux/glibc (issue 15: a short `run` is mostly process start): see
//!   [`link_for_fast_start`].

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).filter(|c| !c.is_empty());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let text = match commit {
        Some(c) if dirty => format!("{c}-dirty"),
        Some(c) => c,
        None => "unknown".to_string(),
    };
    println!("cargo::rustc-env=IOMMU_SIM_COMMIT={text}");
    // Rebuild when HEAD moves (a commit, a checkout); the paths may be absent (no git).
    if let Some(git_dir) = git(&["rev-parse", "--git-dir"]) {
        let dir = Path::new(&git_dir);
        println!("cargo::rerun-if-changed={}", dir.join("HEAD").display());
        if let Some(head_ref) =
            std::fs::read_to_string(dir.join("HEAD")).ok().and_then(|h| h.strip_prefix("ref: ").map(|r| r.trim().to_string()))
        {
            let common = git(&["rev-parse", "--git-common-dir"]).unwrap_or_else(|| git_dir.clone());
            println!("cargo::rerun-if-changed={}", Path::new(&common).join(head_ref).display());
        }
    }
    println!("cargo::rustc-check-cfg=cfg(has_chromium)");
    if Path::new("/usr/bin/chromium").exists() {
        println!("cargo::rustc-cfg=has_chromium");
    }
    // The folder's time stamp changes when chromium is installed or removed.
    println!("cargo::rerun-if-changed=/usr/bin");
    println!("cargo::rerun-if-changed=build.rs");
    link_for_fast_start();
}

/// A short `iommu-sim run` is mostly process start (issue 15), and two link choices cut it
/// on x86-64/aarch64 glibc hosts (measured in the commit that added this: the one-DMA setup
/// run 2.25 -> 2.05 ms task-clock, 362 -> 328 page faults; `--version` 1.76 -> 1.59 ms):
/// - the unwinder from the static libgcc_eh.a (what `gcc -static-libgcc` does) instead of
///   libgcc_s.so.1: one shared object less to load and bind, and no run of its constructor,
///   whose CPUID probes cost ~10 µs each in a VM. Panics still unwind (catch_unwind in
///   `sweep::exec`), from the same libgcc code.
/// - a non-PIE executable: no 9 000 relative relocations to apply at start, and the pages
///   they would dirty stay shared. The program does not rely on its own address being random.
///
/// Native builds only, and only where libgcc_eh.a is found; otherwise the default link.
/// (A fully static glibc build is ~0.1 ms faster still, but needs `-C target-feature=
/// +crt-static` on the binary alone, which stable Cargo cannot scope: it breaks proc macros.)
fn link_for_fast_start() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" || var("TARGET") != var("HOST") {
        return;
    }
    let found = Command::new("cc")
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .is_some_and(|p| Path::new(&p).is_absolute() && Path::new(&p).exists());
    if found {
        println!("cargo::rustc-link-lib=static=gcc_eh");
    }
    println!("cargo::rustc-link-arg-bins=-no-pie");
}
