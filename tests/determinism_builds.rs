//! The digest is identical between the debug and the release build (contracts.md: "identical
//! ... on every run, build profile and machine"). Builds the other profile of the binary with
//! the same cargo and target folder as this test, then compares `run --json` digests of a
//! scenario. The first run may take a while (a release build); later runs are incremental.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");

fn digests(bin: &Path, scenario: &Path) -> Vec<(String, String)> {
    let out = Command::new(bin).args(["run", "--json"]).arg(scenario).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["strategy"].as_str().unwrap().to_string(), r["digest"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn debug_and_release_builds_agree_on_digests() {
    // This binary lives in TARGET/PROFILE/iommu-sim: build the other profile into TARGET.
    let this = PathBuf::from(BIN);
    let profile_dir = this.parent().unwrap();
    let target = profile_dir.parent().unwrap();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--bin", "iommu-sim", "--manifest-path"]).arg(&manifest).env("CARGO_TARGET_DIR", target);
    if !release {
        cmd.arg("--release");
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "cargo build of the other profile failed");
    let other = target.join(if release { "debug" } else { "release" }).join(this.file_name().unwrap());

    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check/small.ron");
    let a = digests(&this, &scenario);
    let b = digests(&other, &scenario);
    assert_eq!(a.len(), 2);
    assert_eq!(a, b, "digests differ between {} and {}", this.display(), other.display());
}
