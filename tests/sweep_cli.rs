//! `sweep`, `merge` and `compare --set/--seeds` through the real binary: shards merge into the
//! bytes of a single run whatever the worker count, a killed sweep resumes to the same file,
//! bad axes exit 2 naming the axis, incomplete merges exit 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");

fn data(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel).to_string_lossy().into_owned()
}

fn work(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep_cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("work dir");
    dir
}

fn sim(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).current_dir(dir).args(args).env_remove("SLURM_ARRAY_TASK_ID").output().expect("run iommu-sim")
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let out = sim(dir, args);
    assert!(out.status.success(), "iommu-sim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn shards_merge_into_the_bytes_of_one_run_whatever_the_workers() {
    let dir = work("shards");
    let sweep = data("sweep/small.ron");
    let loud = ok(&dir, &["sweep", &sweep, "-o", "one.jsonl", "-j", "1"]);
    assert!(String::from_utf8_lossy(&loud.stderr).contains("36 item(s) run"), "the summary is missing");
    let quiet = ok(&dir, &["sweep", &sweep, "-o", "two.jsonl", "-j", "2", "-q"]);
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "", "-q prints nothing but errors and warnings");
    let one = read(dir.join("one.jsonl"));
    assert_eq!(one, read(dir.join("two.jsonl")), "1 and 2 workers differ");
    let text = String::from_utf8(one.clone()).expect("utf8");
    assert_eq!(text.lines().count(), 36, "9 points × 2 seeds × 2 strategies");
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert_eq!(v["index"], i as u64, "sorted by item number");
        assert_eq!(v["key"].as_str().map(str::len), Some(32));
    }
    // Shards: explicit, and chosen by Slurm array variables (task ids 5..=7).
    ok(&dir, &["sweep", &sweep, "--shard", "1/3", "-o", "a.jsonl"]);
    let slurm = |id: &str, out: &str| {
        let o = Command::new(BIN)
            .current_dir(&dir)
            .args(["sweep", &sweep, "-o", out])
            .env("SLURM_ARRAY_TASK_ID", id)
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .env("SLURM_ARRAY_TASK_MIN", "5")
            .output()
            .expect("run");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    slurm("6", "b.jsonl");
    slurm("7", "c.jsonl");
    let a = String::from_utf8(read(dir.join("a.jsonl"))).expect("utf8");
    assert_eq!(a.lines().count(), 12);
    let m = ok(&dir, &["merge", "c.jsonl", "a.jsonl", "b.jsonl", "-o", "merged.jsonl"]);
    assert!(String::from_utf8_lossy(&m.stderr).contains("0 missing"));
    assert_eq!(read(dir.join("merged.jsonl")), one, "merged shards differ from the single run");

    // Incomplete: exit 1, missing items named, the partial file still written.
    let m = sim(&dir, &["merge", "a.jsonl", "a.jsonl", "-o", "partial.jsonl"]);
    assert_eq!(m.status.code(), Some(1));
    let err = String::from_utf8_lossy(&m.stderr);
    assert!(err.contains("12 duplicate(s)") && err.contains("24 missing") && err.contains("missing items: 1..=2, 4..=5"), "{err}");
    // Filling the gaps by resuming from the partial merge gives the full file.
    ok(&dir, &["sweep", &sweep, "-o", "partial.jsonl"]);
    assert_eq!(read(dir.join("partial.jsonl")), one);
}

#[test]
fn a_killed_sweep_resumes_to_the_same_file() {
    let dir = work("kill");
    let sweep = data("sweep/resume.ron");
    ok(&dir, &["sweep", &sweep, "-o", "full.jsonl"]);
    let full = read(dir.join("full.jsonl"));
    let total = full.iter().filter(|&&b| b == b'\n').count();

    let mut child = Command::new(BIN).current_dir(&dir).args(["sweep", &sweep, "-o", "killed.jsonl", "-j", "2"]).spawn().expect("spawn");
    let start = Instant::now();
    let count = || std::fs::read(dir.join("killed.jsonl")).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(0);
    while count() < total / 3 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    let killed_at = count();
    assert!(killed_at >= total / 3, "sweep did not progress");
    assert!(
        killed_at < total,
        "the sweep finished before it could be killed ({killed_at} of {total}): make tests/data/sweep/resume.ron bigger"
    );
    let killed = read(dir.join("killed.jsonl"));
    assert_ne!(killed, full);
    // Lines are written in item order as they finish, even with two workers: what a kill
    // leaves is the start of the final file (up to a torn last line).
    let complete = killed.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    assert!(full.starts_with(&killed[..complete]), "the killed file is not a prefix of the final one");
    let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(dir.join("killed.jsonl")).expect("metadata"));
    let before = inode();
    let out = ok(&dir, &["sweep", &sweep, "-o", "killed.jsonl", "-j", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{} item(s) run, {killed_at} already present", total - killed_at)), "{err}");
    assert_eq!(read(dir.join("killed.jsonl")), full, "resumed file differs from the uninterrupted one");
    assert_eq!(inode(), before, "resuming appended to the file instead of rewriting it");
}

#[test]
fn bad_axes_exit_2_naming_the_axis() {
    let dir = work("bad");
    let scenario = data("reports/sample.ron");
    for (set, needle) in [
        ("iommus[nope].geometry.iotlb_entries=64", "no element with id \"nope\""),
        ("iommus[smmu0].geometry.iotlb_entries=\"many\"", "Expected integer"),
        ("containers[vm1].invalidation=Strict,Sometimes", "Sometimes"),
        ("containers[vm1].no_such_field=1", "no_such_field"),
        ("events[99].at=1", "out of range"),
        ("seed.x=1", "cannot take field `x` of a number"),
        // An axis on `seed` used to be overridden by each item's seed: every "point" ran the
        // scenario's own seed.
        ("seed=1,2", "--seeds A..B"),
        ("kernel=\"6.17\",\"9.9\"", "9.9"),
    ] {
        let out = sim(&dir, &["compare", &scenario, "--set", set]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {err}");
        let axis = set.split('=').next().unwrap_or_default();
        assert!(err.contains(&format!("axis `{axis}`")) && err.contains(needle), "{set}: {err}");
    }
    let file = dir.join("bad.ron");
    std::fs::write(
        &file,
        format!(
            "Sweep(name: \"bad\", scenario: \"{scenario}\", axes: [Axis(path: \"duration\", name: \"run time\", values: [1000, \"long\"])])"
        ),
    )
    .expect("write");
    let out = sim(&dir, &["sweep", file.to_str().unwrap_or_default()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("axis `run time`: value \"long\""), "{err}");
    assert!(!dir.join("bad.jsonl").exists(), "nothing runs when an axis is bad");
}

#[test]
fn compare_sweeps_from_the_command_line() {
    let dir = work("compare");
    let scenario = data("reports/sample.ron");
    let out = ok(
        &dir,
        &[
            "compare",
            &scenario,
            "--set",
            "containers[vm1].invalidation=Strict,None",
            "--seeds",
            "1..3",
            "--strategies",
            "per-group,vfio-type1",
            "--html",
            "c.html",
        ],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("2 points × 3 seeds × 2 strategies"), "{table}");
    assert_eq!(table.lines().filter(|l| l.contains("vfio-type1")).count(), 2, "{table}");
    let html = std::fs::read_to_string(dir.join("c.html")).expect("sweep report");
    assert!(html.contains("2 point(s) × 3 seed(s) × 2 strategies"), "the sweep report, not the comparison report");
    let json = ok(&dir, &["compare", &scenario, "--seeds", "4..5", "--json"]);
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&json.stdout).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(lines.len(), 2 * 7, "two seeds × every strategy of the scenario");
    assert_eq!(lines[7]["seed"], 5);
}

#[test]
fn emitted_jobs_name_every_shard_and_the_merge() {
    let dir = work("emit");
    let sweep = data("sweep/small.ron");
    let out_dir = dir.join("shards");
    let od = out_dir.to_str().unwrap_or_default();
    let slurm = String::from_utf8(
        ok(
            &dir,
            &[
                "sweep",
                &sweep,
                "--emit",
                "slurm",
                "--shards",
                "3",
                "--throttle",
                "2",
                "--cpus-per-task",
                "2",
                "--mem",
                "1G",
                "--out-dir",
                od,
            ],
        )
        .stdout,
    )
    .expect("utf8");
    for needle in [
        "#!/bin/bash",
        "#SBATCH --array=1-3%2",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --mem=1G",
        "slurm-%A_%a.out",
        "shard-${SLURM_ARRAY_TASK_ID}.jsonl",
        " merge ",
    ] {
        assert!(slurm.contains(needle), "missing {needle}:\n{slurm}");
    }
    assert!(out_dir.is_dir(), "the output directory is created for Slurm's logs");
    let parallel =
        String::from_utf8(ok(&dir, &["sweep", &sweep, "--emit", "parallel", "--shards", "3", "--out-dir", od]).stdout).expect("utf8");
    for needle in ["parallel --will-cite --jobs 3", "--joblog", "--resume", "--shard {}/3", "::: 1 2 3", " merge "] {
        assert!(parallel.contains(needle), "missing {needle}:\n{parallel}");
    }
}

#[test]
fn ctrl_c_stops_a_sweep_cleanly_and_it_resumes_to_the_same_file() {
    let dir = work("sigint");
    let sweep = data("sweep/resume.ron");
    ok(&dir, &["sweep", &sweep, "-q", "-o", "full.jsonl"]);
    let full = read(dir.join("full.jsonl"));
    let total = full.iter().filter(|&&b| b == b'\n').count();
    let mut child = Command::new(BIN).current_dir(&dir).args(["sweep", &sweep, "-q", "-o", "int.jsonl", "-j", "1"]).spawn().expect("spawn");
    let start = Instant::now();
    let count = || std::fs::read(dir.join("int.jsonl")).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(0);
    while count() < total / 3 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    let stopped_at = count();
    assert!(stopped_at >= total / 3, "sweep did not progress");
    assert!(stopped_at < total, "finished before Ctrl-C ({stopped_at} of {total}): make tests/data/sweep/resume.ron bigger");
    assert_eq!(status.code(), Some(130), "Ctrl-C exits 130");
    let out = ok(&dir, &["sweep", &sweep, "-o", "int.jsonl"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{stopped_at} already present")), "no partial run was recorded: {err}");
    assert_eq!(read(dir.join("int.jsonl")), full);
}
