//! `iommu-sim check`: regression replays against expected files, driven through the real
//! binary on private copies of `tests/data/check/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check").join(name)
}

/// A fresh folder holding copies of the named test files.
fn workdir(test: &str, files: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iommu-sim-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in files {
        std::fs::copy(data(f), dir.join(f)).unwrap();
    }
    dir
}

fn check(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out: Output = Command::new(BIN).arg("check").args(args).current_dir(dir).output().unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), s(&out.stdout), s(&out.stderr))
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn cost_change_fails_naming_the_metric_and_bless_accepts_it() {
    let dir = workdir("cost", &["topo.ron", "small.ron"]);
    // No expected file yet: a mismatch that says to bless.
    let (code, out, _) = check(&["small.ron"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("MISSING") && out.contains("--bless"), "{out}");

    let (code, out, err) = check(&["--bless", "small.ron"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("created"), "{out}");
    let blessed = std::fs::read(dir.join("small.expected")).unwrap();
    let (code, out, err) = check(&["small.ron"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok"), "{out}");

    // A model change: a different attach cost on smmu0.
    edit(&dir.join("topo.ron"), "costs: (cpu_attach: 10000)", "costs: (cpu_attach: 12500)");
    let (code, out, err) = check(&["small.ron"], &dir);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("[per-group]") && out.contains("[vfio-type1]"), "{out}");
    let line = out.lines().find(|l| l.trim_start().starts_with("cpu_cycles_attach")).expect("metric named");
    assert!(line.contains('→') && line.contains("(+"), "{line}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("digest") && l.contains('→')), "{out}");
    // Bless again: it passes, and the file changed and says so.
    let (code, out, _) = check(&["--bless", "small.ron"], &dir);
    assert_eq!(code, 0);
    assert!(out.contains("updated") && out.contains("per-group: digest"), "{out}");
    assert_ne!(std::fs::read(dir.join("small.expected")).unwrap(), blessed);
    let (code, out, _) = check(&["small.ron"], &dir);
    assert_eq!(code, 0, "{out}");
    // Blessing again changes nothing.
    let (_, out, _) = check(&["--bless", "small.ron"], &dir);
    assert!(out.contains("same"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_relative_change_is_exact() {
    let dir = workdir("relchange", &["topo.ron", "trace.ron"]);
    check(&["--bless", "trace.ron"], &dir);
    let expected = std::fs::read_to_string(dir.join("trace.expected")).unwrap();
    let old: u64 = expected.lines().find_map(|l| l.strip_prefix("cpu_cycles_attach = ")).unwrap().parse().unwrap();
    edit(&dir.join("topo.ron"), "cpu_attach: 10000", "cpu_attach: 12500");
    let (code, out, _) = check(&["trace.ron"], &dir);
    assert_eq!(code, 1);
    // `cpu_cycles_attach  OLD → NEW (+X.Y%)`: the per-mille change, truncated, in integers.
    let line = out.lines().find(|l| l.trim_start().starts_with("cpu_cycles_attach")).expect("metric named");
    let nums: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert_eq!(nums[0], old, "{line}");
    let new = nums[1];
    assert!(new > old, "{line}");
    let pm = (new - old) * 1000 / old;
    let want = format!("{old} → {new} (+{}.{}%)", pm / 10, pm % 10);
    assert!(line.ends_with(&want), "want {want} in\n{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_expected_file_is_exit_2_with_file_and_line() {
    let dir = workdir("malformed", &["topo.ron", "small.ron"]);
    check(&["--bless", "small.ron"], &dir);
    let path = dir.join("small.expected");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().position(|l| l.starts_with("walks = ")).unwrap() + 1;
    std::fs::write(&path, text.replacen("walks = ", "walks = x", 1)).unwrap();
    let (code, out, err) = check(&["small.ron"], &dir);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&format!("small.expected:{line}:")), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn folders_are_scanned_for_scenarios_in_sorted_order_and_topologies_skipped() {
    let dir = workdir("folder", &["topo.ron", "small.ron", "trace.ron"]);
    let (code, out, err) = check(&["--bless", "."], &dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!dir.join("topo.expected").exists());
    let (code, out, _) = check(&[], &dir); // the default, scenarios/, does not exist here
    assert_eq!(code, 2, "no scenarios/ folder here: {out}");
    let (code, out, _) = check(&["."], &dir);
    assert_eq!(code, 0, "{out}");
    let small = out.find("small.ron").unwrap();
    let trace = out.find("trace.ron").unwrap();
    assert!(small < trace, "{out}");
    // A broken scenario in a folder is reported, not skipped.
    std::fs::write(dir.join("broken.ron"), "Scenario(name: \"b\", topology: \"topo.ron\", sed: 1)").unwrap();
    let (code, _, err) = check(&["."], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("broken.ron:1:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tolerances_are_used_only_with_tolerant_and_unknown_names_are_exit_2() {
    let dir = workdir("tolerant", &["topo.ron", "small.ron"]);
    check(&["--bless", "small.ron"], &dir);
    // +5 % attach cost on smmu0 moves cpu_cycles_attach by less than its 20.0 % tolerance.
    edit(&dir.join("topo.ron"), "cpu_attach: 10000", "cpu_attach: 10500");
    let (code, out, _) = check(&["small.ron"], &dir);
    assert_eq!(code, 1, "plain check is exact: {out}");
    let (code, out, _) = check(&["--tolerant", "small.ron"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("within ±20.0%") && out.contains("excused"), "{out}");
    // Far outside it.
    edit(&dir.join("topo.ron"), "cpu_attach: 10500", "cpu_attach: 90000");
    let (code, out, _) = check(&["--tolerant", "small.ron"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("outside ±20.0%"), "{out}");
    // A misspelt metric in `tolerances` is bad input with its location.
    edit(&dir.join("small.ron"), "\"dma_latency_p99\"", "\"dma_latency_p98\"");
    let (code, _, err) = check(&["small.ron"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("small.ron:7:") && err.contains("dma_latency_p98"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
