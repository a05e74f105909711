//! A sweep through GNU parallel: the `--emit parallel` command line, run by bash, writes
//! shards and merges them into the bytes of a local run; run again, `--joblog --resume` skips
//! every shard.
//!
//! Needs Debian's `parallel` (`.ci/run` installs it). Without it the test fails when `CI` is
//! set and is skipped with a notice otherwise.

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");

fn parallel_available() -> bool {
    let found = Command::new("sh").args(["-c", "command -v parallel"]).stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("GNU parallel is missing: install it (apt-get install -y parallel) so the sweep test can run in CI");
    }
    if !found {
        eprintln!("notice: GNU parallel not found; skipping the parallel sweep test (apt-get install -y parallel)");
    }
    found
}

#[test]
fn a_sweep_through_gnu_parallel_merges_into_the_local_bytes_and_resumes() {
    if !parallel_available() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep_parallel");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let sweep = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sweep/small.ron");
    let sweep = sweep.to_str().expect("utf8");
    let out_dir = dir.join("shards");
    let emitted = Command::new(BIN)
        .args(["sweep", sweep, "--emit", "parallel", "--shards", "3", "--parallel-jobs", "2", "--out-dir"])
        .arg(&out_dir)
        .output()
        .expect("emit");
    assert!(emitted.status.success(), "{}", String::from_utf8_lossy(&emitted.stderr));
    let line: String = String::from_utf8_lossy(&emitted.stdout).lines().filter(|l| !l.starts_with('#')).collect();
    let run = || {
        let o = Command::new("bash").args(["-c", &line]).current_dir(&dir).stdin(Stdio::null()).output().expect("bash");
        assert!(o.status.success(), "{line}\n{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let first = run();
    assert_eq!(first.matches("12 item(s) run").count(), 3, "{first}");
    let local = Command::new(BIN).current_dir(&dir).args(["sweep", sweep, "-q", "-o", "local.jsonl"]).output().expect("local");
    assert!(local.status.success());
    let merged = std::fs::read(out_dir.join("results.jsonl")).expect("merged");
    assert!(merged == std::fs::read(dir.join("local.jsonl")).expect("local"), "parallel's merged results differ from the local run");
    let second = run();
    assert!(!second.contains("item(s) run"), "the joblog should skip finished shards: {second}");
    assert!(std::fs::read(out_dir.join("results.jsonl")).expect("merged") == merged);
}
