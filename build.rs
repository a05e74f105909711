//! Build-time facts for the `iommu-sim` binary and its tests:
//!
//! - `IOMMU_SIM_COMMIT`: the git commit the binary was built from (with `-dirty` when the
//!   work tree had changes), shown by `--version`; "unknown" when there is no git or no
//!   repository (a crate tarball), so the build never fails for it.
//! - `cfg(has_chromium)`: set when `/usr/bin/chromium` exists, so the browser test is
//!   *ignored* (visible as such in the test summary) rather than passing silently without it.

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
}
