//! Fuzz smoke (docs/fuzzing.md). Always: the bodies of the five fuzz targets of `fuzz/`
//! (`sim_core::fuzzing`) run over seed corpora built from the repository's own files, plus
//! cheap mutations of them (truncations and byte flips), so a crash the fuzzer once found stays
//! fixed without cargo-fuzz or a nightly compiler. Additionally, when `cargo fuzz` is installed
//! and `CI=true` or `IOMMU_SIM_FUZZ_SMOKE=1`: a real libFuzzer run of every target for
//! `IOMMU_SIM_FUZZ_SECONDS` (default 20) seconds each, on stable via `RUSTC_BOOTSTRAP=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dirs: &[&str], ext: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(root().join(d)) else { continue };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == ext)).collect();
        paths.sort();
        out.extend(paths.iter().map(|p| std::fs::read(p).unwrap()));
    }
    out
}

/// Each seed, plus a few deterministic mutations of it.
fn with_mutations(seeds: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for s in seeds {
        let n = s.len();
        for k in 1..4 {
            out.push(s[..n * k / 4].to_vec());
            let mut m = s.clone();
            if n > 0 {
                let at = (n * k / 4 + 7 * k) % n;
                m[at] = [b'9', b'0', b')', b'"'][k % 4];
            }
            out.push(m);
        }
        out.push(s);
    }
    out
}

#[test]
fn topology_target_over_its_seeds() {
    for s in with_mutations(files(
        &["topologies", "tests/data/strategies/topologies", "tests/data/topology/malformed", "tests/data/hostile"],
        "ron",
    )) {
        sim_core::fuzzing::topology(&s);
    }
}

#[test]
fn scenario_target_over_its_seeds() {
    // Every bundled and hostile scenario (the hostile ones are refused or capped).
    for s in with_mutations(files(&["scenarios", "tests/data/hostile", "tests/data/check"], "ron")) {
        sim_core::fuzzing::scenario(&s);
    }
}

#[test]
fn expected_target_over_its_seeds() {
    for s in with_mutations(files(&["scenarios"], "expected")) {
        sim_core::fuzzing::expected(&s);
    }
}

#[test]
fn trace_and_results_targets_over_their_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["small.ron", "topo.ron"] {
        std::fs::copy(root().join("tests/data/check").join(f), tmp.path().join(f)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
        .args(["run", "--json", "--trace"])
        .arg(tmp.path().join("t.trace"))
        .arg(tmp.path().join("small.ron"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let traces: Vec<Vec<u8>> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "trace"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    assert_eq!(traces.len(), 2);
    for s in with_mutations(traces) {
        sim_core::fuzzing::trace(&s);
    }
    let mut results = files(&["tests/data/reports"], "json");
    results.push(out.stdout);
    for s in with_mutations(results) {
        sim_core::fuzzing::results(&s);
    }
}

/// The real fuzzer, briefly, when it is installed and asked for (CI or IOMMU_SIM_FUZZ_SMOKE).
#[test]
fn cargo_fuzz_smoke_run() {
    let asked = std::env::var("CI").is_ok_and(|v| v == "true") || std::env::var_os("IOMMU_SIM_FUZZ_SMOKE").is_some();
    let installed = Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !asked || !installed {
        eprintln!("cargo fuzz smoke skipped (installed: {installed}, asked: {asked}); the target bodies ran over their seeds above");
        return;
    }
    let seconds: u64 = std::env::var("IOMMU_SIM_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let fuzz = root().join("fuzz");
    let seed = Command::new("bash").arg(fuzz.join("seed.sh")).arg(env!("CARGO_BIN_EXE_iommu-sim")).status().unwrap();
    assert!(seed.success());
    for target in ["topology", "scenario", "expected", "trace", "results"] {
        let status = Command::new("cargo")
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "-s", "none", "-O", target])
            .arg(Path::new("corpus").join(target))
            .args(["--", &format!("-max_total_time={seconds}"), "-rss_limit_mb=2048", "-timeout=10"])
            .status()
            .unwrap();
        assert!(status.success(), "cargo fuzz run {target} found a crash (see fuzz/artifacts/{target}/)");
    }
}
