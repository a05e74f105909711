//! `-` as stdin/stdout wherever a file is read or written (issue 14, CLI manners): `check -`,
//! `run --trace -`, `import -`, `topology -`, `sweep - / -o -`, `merge - / -o -`, sweep
//! `report - / -o - / --csv -`, `compare - --set ... -o -`. Each drives the real binary and
//! compares with what the file-based form gives.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `dir` with `input` on stdin (none: empty stdin).
fn sim_in(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // Written from a thread: the child may print before it has read everything.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn work(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iommu-sim-dash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

#[test]
fn check_reads_a_scenario_from_stdin_against_expected() {
    let dir = root().join("scenarios");
    let scenario = std::fs::read(dir.join("nic-strict-vs-lazy.ron")).expect("scenario");
    let o = sim_in(&dir, &["check", "-", "--expected", "nic-strict-vs-lazy.expected"], &scenario);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok       <stdin>"), "{}", String::from_utf8_lossy(&o.stdout));

    // Against another scenario's expected file: a mismatch (exit 1), not an error.
    let o = sim_in(&dir, &["check", "-", "--expected", "default.expected"], &scenario);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));

    // No --expected: refused with the hint; --bless: refused with a hint; `-` with others.
    for (args, needle) in [
        (vec!["check", "-"], "--expected FILE.expected"),
        (vec!["check", "-", "--bless"], "iommu-sim check --bless FILE.ron"),
        (vec!["check", "-", "default.ron", "--expected", "default.expected"], "give `-` as the only path"),
        (vec!["check", "default.ron", "nic-strict-vs-lazy.ron", "--expected", "default.expected"], "single scenario file"),
    ] {
        let o = sim_in(&dir, &args, &scenario);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains(needle), "{args:?}: {}", err(&o));
    }
    assert!(!dir.join("-.expected").exists() && !dir.join("<stdin>.expected").exists());

    // From another folder the relative topology path cannot be found: the error says why.
    let elsewhere = work("stdin-topology").join("a");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    let o = sim_in(&elsewhere, &["run", "-"], &scenario);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("resolved against the current folder"), "{}", err(&o));
}

#[test]
fn run_trace_dash_writes_one_strategy_to_stdout() {
    let dir = root().join("scenarios");
    let tmp = work("trace");
    let file = tmp.join("per-group.trace");
    let f = file.to_str().expect("utf-8");
    let o = sim_in(&dir, &["run", "default.ron", "--strategy", "per-group", "--trace", f], b"");
    assert!(o.status.success(), "{}", err(&o));
    let o = sim_in(&dir, &["run", "default.ron", "--strategy", "per-group", "--trace", "-"], b"");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(o.stdout, std::fs::read(&file).expect("trace"), "stdout carries exactly the trace file's bytes");
    assert!(err(&o).contains("per-group"), "the summary goes to stderr: {}", err(&o));

    // Several strategies cannot share stdout.
    let o = sim_in(&dir, &["run", "default.ron", "--trace", "-"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--strategy NAME") && o.stdout.is_empty(), "{}", err(&o));

    // The stream feeds trace-diff directly.
    let o = sim_in(&dir, &["run", "default.ron", "--strategy", "per-group", "--trace", "-"], b"");
    let d = sim_in(&dir, &["trace-diff", "-", f], &o.stdout);
    assert!(d.status.success() && String::from_utf8_lossy(&d.stdout).contains("identical"), "{}", err(&d));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn import_and_topology_read_stdin_and_write_stdout() {
    let dir = root();
    let capture = "tests/data/machines/amd-ryzen-x570-asrock-x570d4u.lspci.txt";
    let text = std::fs::read(dir.join(capture)).expect("capture");
    let tmp = work("import");
    let out = tmp.join("x570.ron");
    let o = sim_in(&dir, &["import", capture, "--iommu", "amd-vi", "--name", "x570", "-o", out.to_str().expect("utf-8")], b"");
    assert!(o.status.success(), "{}", err(&o));
    let from_file = std::fs::read_to_string(&out).expect("topology");
    let o = sim_in(&dir, &["import", "-", "--iommu", "amd-vi", "--name", "x570", "-o", "-"], &text);
    assert!(o.status.success(), "{}", err(&o));
    let from_stdin = String::from_utf8(o.stdout).expect("utf-8");
    // Only the provenance comment names the input differently.
    assert_eq!(from_stdin.replace("<stdin>", capture), from_file);

    let o = sim_in(&dir, &["topology", "-", "--check-groups"], from_stdin.as_bytes());
    assert!(o.status.success(), "{}", err(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("<stdin>: groups match"), "{}", String::from_utf8_lossy(&o.stdout));
    let o = sim_in(&dir, &["topology", "-"], b"Topology(");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("<stdin>:1:"), "{}", err(&o));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn sweep_merge_and_report_take_dash() {
    let data = root().join("tests/data");
    let tmp = work("sweep");
    let t = |n: &str| tmp.join(n).to_str().expect("utf-8").to_string();
    let sweep = data.join("sweep/small.ron");
    let sweep = sweep.to_str().expect("utf-8");
    let o = sim_in(&tmp, &["sweep", sweep, "-o", &t("all.jsonl"), "-j", "2"], b"");
    assert!(o.status.success(), "{}", err(&o));
    let all = std::fs::read(tmp.join("all.jsonl")).expect("results");

    // -o -: the same lines, in order, on stdout.
    let o = sim_in(&tmp, &["sweep", sweep, "-o", "-", "-j", "2"], b"");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(o.stdout, all);

    // A sweep file on stdin: its scenario is relative to the current folder.
    let text = std::fs::read_to_string(sweep).expect("sweep").replace("../reports/", "reports/");
    let o = sim_in(&data, &["sweep", "-", "-o", "-"], text.as_bytes());
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(o.stdout.iter().filter(|&&b| b == b'\n').count(), 36);
    let o = sim_in(&data, &["sweep", "-", "--emit", "slurm"], text.as_bytes());
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));

    // merge: one shard from stdin, merged file on stdout.
    for (i, name) in [(1, "a.jsonl"), (2, "b.jsonl")] {
        let o = sim_in(&tmp, &["sweep", sweep, "--shard", &format!("{i}/2"), "-o", &t(name)], b"");
        assert!(o.status.success(), "{}", err(&o));
    }
    let b = std::fs::read(tmp.join("b.jsonl")).expect("shard");
    let o = sim_in(&tmp, &["merge", &t("a.jsonl"), "-", "-o", "-"], &b);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(o.stdout, all, "merged on stdout = the single run's bytes");

    // report: sweep results from stdin, the page on stdout, the CSV on stdout.
    let o = sim_in(&tmp, &["report", "-", "-o", "-", "--csv", &t("r.csv")], &all);
    assert!(o.status.success(), "{}", err(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("<!DOCTYPE html>"));
    let csv = std::fs::read(tmp.join("r.csv")).expect("csv");
    let o = sim_in(&tmp, &["report", &t("all.jsonl"), "-o", &t("r.html"), "--csv", "-"], b"");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(o.stdout, csv);
    assert!(!tmp.join("-").exists(), "`-` never becomes a file named -");
    let o = sim_in(&tmp, &["report", "-", "-o", "-", "--csv", "-"], &all);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn compare_sweep_reads_stdin_and_writes_lines_to_stdout() {
    let dir = root().join("tests/data/reports");
    let text = std::fs::read(dir.join("sample.ron")).expect("scenario");
    let o = sim_in(&dir, &["compare", "sample.ron", "--seeds", "1..2", "--strategies", "per-group", "-o", "-"], b"");
    assert!(o.status.success(), "{}", err(&o));
    let lines = String::from_utf8(o.stdout).expect("utf-8");
    assert_eq!(lines.lines().count(), 2, "{lines}");
    assert!(lines.lines().all(|l| l.starts_with("{\"key\":")), "{lines}");
    // From stdin the topology is relative to the current folder: run from the scenario's.
    let o = sim_in(&dir, &["compare", "-", "--seeds", "1..2", "--strategies", "per-group"], &text);
    assert!(o.status.success(), "{}", err(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 points × 2 seeds × 1 strategies"), "{}", String::from_utf8_lossy(&o.stdout));
}

/// `compare S -o F` used to be accepted and ignored without `--set` (exit 0, no file).
#[test]
fn run_and_compare_write_results_json_with_dash_o() {
    let dir = root().join("scenarios");
    let tmp = work("o");
    for cmd in ["run", "compare"] {
        let json = sim_in(&dir, &[cmd, "nic-strict-vs-lazy.ron", "--json"], b"");
        assert!(json.status.success(), "{}", err(&json));
        let file = tmp.join(format!("{cmd}.json"));
        let o = sim_in(&dir, &[cmd, "nic-strict-vs-lazy.ron", "-o", file.to_str().expect("utf-8")], b"");
        assert!(o.status.success(), "{}", err(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("metric"), "{cmd}: the table is still printed");
        assert_eq!(std::fs::read(&file).expect("written"), json.stdout, "{cmd} -o FILE holds what --json prints");
        let o = sim_in(&dir, &[cmd, "nic-strict-vs-lazy.ron", "-o", "-"], b"");
        assert_eq!(o.stdout, json.stdout, "{cmd} -o - prints the JSON instead of the table");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
