//! The bundled scenarios are regression tests: each is replayed against its committed
//! expected results (this is how CI runs `iommu-sim check` over `scenarios/`), and each
//! replays to byte-identical traces run after run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundled() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_bundled_scenario_matches_its_expected_results() {
    let out = bin().arg("check").arg(root().join("scenarios")).output().expect("run check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "iommu-sim check scenarios/ failed:\n{stdout}\n{stderr}");
    for s in bundled() {
        let expected = s.with_extension("expected");
        assert!(expected.is_file(), "{} has no committed expected results", s.display());
    }
}

#[test]
fn every_bundled_scenario_gives_identical_traces_twice() {
    let dir = std::env::temp_dir().join(format!("iommu-sim-bundled-traces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    assert!(bundled().len() >= 8, "the library has at least eight scenarios");
    for s in bundled() {
        let name = s.file_stem().expect("stem").to_string_lossy().to_string();
        let mut traces = Vec::new();
        for run in 0..2 {
            let trace = dir.join(format!("{name}-{run}.trace"));
            let out = bin().args(["run", "--strategy", "compat-index", "--trace"]).arg(&trace).arg(&s).output().expect("run");
            assert!(out.status.success(), "{}: {}", s.display(), String::from_utf8_lossy(&out.stderr));
            traces.push(std::fs::read(&trace).expect("trace written"));
        }
        assert!(!traces[0].is_empty());
        assert!(traces[0] == traces[1], "{}: two runs gave different traces", s.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compare_in_parallel_equals_each_strategy_run_alone() {
    let s = root().join("scenarios/vm-four-smmuv3.ron");
    let out = bin().args(["compare", "--json"]).arg(&s).output().expect("compare");
    assert!(out.status.success());
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("compare JSON");
    let runs = all["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 7);
    for run in runs {
        let name = run["strategy"].as_str().expect("strategy");
        let one = bin().args(["run", "--json", "--strategy", name]).arg(&s).output().expect("run");
        let alone: serde_json::Value = serde_json::from_slice(&one.stdout).expect("run JSON");
        assert_eq!(&alone["runs"][0], run, "{name}: parallel compare differs from a sequential run");
    }
}
