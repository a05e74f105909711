//! Hostile-but-valid inputs (issue 16): every file in tests/data/hostile/ and a few generated
//! ones, run through the real binary under a time and memory bound. Each must exit 0 or 2 with
//! its expected message, never panic, hang or abort — in the debug build and in the release
//! build (the one tests/determinism_builds.rs builds; `cargo build --release` is a no-op when
//! it is up to date, and cargo's lock serialises the two tests).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");
/// Address-space limit of every run (KiB): far above what a sane run needs, far below what
/// the unbounded allocations of the bugs asked for.
const MEMORY_KIB: u64 = 3 << 20;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile").join(name)
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `bin args` with an address-space limit, killing it after `limit`.
fn bounded(bin: &Path, args: &[&str], limit: Duration, shell_prefix: &str) -> Outcome {
    let script = format!("{shell_prefix} ulimit -v {MEMORY_KIB}; exec \"$0\" \"$@\"");
    let mut child =
        Command::new("sh").arg("-c").arg(script).arg(bin).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // Drain the pipes on threads so a chatty child never blocks.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} {args:?}: still running after {limit:?} (a hang)", bin.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    let code = status.code().unwrap_or_else(|| panic!("{args:?}: killed by a signal ({status:?}); stderr:\n{stderr}"));
    assert!(!stderr.contains("panicked"), "{args:?}: panicked:\n{stderr}");
    Outcome { code, stdout, stderr }
}

/// `(arguments, expected exit code, text expected in stderr (exit 2) or stdout (exit 0))`.
fn cases(tmp: &Path) -> Vec<(Vec<String>, i32, &'static str)> {
    let f = |n: &str| data(n).display().to_string();
    let t = |n: &str| tmp.join(n).display().to_string();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        // Arithmetic that used to wrap, divide by zero or panic.
        (v(&["run", &f("nic-fq-wrap.ron")]), 2, "flush_queue: 4294967295 is more than the limit"),
        (v(&["run", &f("nic-iova-top.ron")]), 2, "generators[0].iova_base"),
        (v(&["run", &f("repeat-clock-wrap.ron")]), 2, "events[0].at"),
        (v(&["run", &f("accel-huge-buffer.ron")]), 2, "generators[0].buffer_bytes"),
        (v(&["run", &f("nvme-qd-overflow.ron")]), 2, "generators[0].working_set"),
        (v(&["topology", &f("topo-cost-max.ron")]), 2, "costs.cpu_attach"),
        (v(&["run", "--json", &f("cost-limit-run.ron")]), 0, "\"cpu_cycles_attach\": 67108864"),
        // Maps a domain cannot represent are map errors, not successes.
        (v(&["run", "--json", "--strategy", "per-group", &f("map-beyond-width.ron")]), 0, "\"map_errors\": 1"),
        (v(&["run", "--json", "--strategy", "per-group", &f("map-top-phys-wrap.ron")]), 0, "\"map_errors\": 1"),
        // Unbounded work is refused up front with the estimate and the flag.
        (v(&["run", &f("dma-huge.ron")]), 2, "--max-events"),
        (v(&["run", &f("nvme-huge-block.ron")]), 2, "--max-events"),
        (v(&["run", &f("repeat-huge.ron")]), 2, "--max-events"),
        (v(&["run", &f("nic-rate-huge.ron")]), 2, "--max-events"),
        (v(&["run", &f("nic-gbps-max.ron")]), 2, "--max-events"),
        (v(&["run", &f("map-48bit-4k.ron")]), 2, "--max-events"),
        (v(&["check", &f("repeat-huge.ron")]), 2, "--max-events"),
        (v(&["compare", "--max-events", "10", &f("cost-limit-run.ron")]), 2, "above the budget of 10"),
        // Allocations that used to be accepted then exhausted memory.
        (v(&["topology", &f("topo-walkers-max.ron")]), 2, "geometry.walkers"),
        (v(&["topology", &f("topo-iotlb-max.ron")]), 2, "geometry.iotlb_entries"),
        (v(&["topology", &t("deep-300.ron")]), 2, "levels deep"),
        (v(&["topology", &t("deep-100000.ron")]), 2, "levels deep"),
        (v(&["topology", &t("deep-250.ron")]), 0, "[depth 250]"),
        // Expected files of ~14 MiB whose duplicate checks or escapes were quadratic (hours).
        (v(&["check", &t("exp-keys.ron")]), 2, "has no `digest"),
        (v(&["check", &t("exp-sections.ron")]), 2, "has no `digest"),
        (v(&["check", &t("exp-escapes.ron")]), 2, "no `[strategy]` section"),
        (v(&["trace-diff", "--context", "4611686018427387904", &f("topo.ron"), &f("topo.ron")]), 2, "--context"),
        (v(&["trace-diff", "--context", "100000000", &f("topo.ron"), &f("topo.ron")]), 2, "--context"),
        // Paths that are not files, or too large to read.
        (v(&["topology", tmp.to_str().unwrap()]), 2, "is a folder"),
        (v(&["topology", "/dev/zero"]), 2, "limited to"),
        (v(&["run", "/dev/zero"]), 2, "limited to"),
        (v(&["topology", &t("huge.ron")]), 2, "limited to"),
        (v(&["run", &t("dir-topology.ron")]), 2, "is a folder"),
        // Duplicate tolerances.
        (v(&["run", &f("tolerances-dup.ron")]), 2, "\"dma_latency_p99\" appears twice"),
        // Traces: never into a folder's sibling, never over an input.
        (v(&["run", &f("nic-fq-wrap.ron"), "--trace", tmp.to_str().unwrap()]), 2, "nic-fq-wrap"),
        (v(&["run", &t("small.ron"), "--trace", tmp.to_str().unwrap()]), 2, "is a folder"),
        (v(&["run", &t("small.ron"), "--strategy", "per-group", "--trace", &t("small.ron")]), 2, "would overwrite the input"),
        (v(&["run", &t("small.ron"), "--strategy", "per-group", "--trace", &t("topo.ron")]), 2, "would overwrite the input"),
    ]
}

/// A chain of `n` switch ports below one root port.
fn deep_topology(n: usize) -> String {
    let mut s = String::from(
        "Topology(name: \"deep\", iommus: [Iommu(id: \"m\", kind: ArmSmmuV3)], buses: [RootComplex(id: \"rc\", iommu: \"m\"), RootPort(id: \"rp\", parent: \"rc\"),\n",
    );
    let mut parent = "rp".to_string();
    for i in 0..n {
        let kind = if i % 2 == 0 { "SwitchUpstream" } else { "SwitchDownstream" };
        s += &format!("{kind}(id: \"s{i}\", parent: \"{parent}\"),\n");
        parent = format!("s{i}");
    }
    s + &format!("], devices: [Device(id: \"0000:01:00.0\", parent: \"{parent}\")])\n")
}

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    std::fs::write(p.join("deep-250.ron"), deep_topology(250)).unwrap();
    std::fs::write(p.join("deep-300.ron"), deep_topology(300)).unwrap();
    std::fs::write(p.join("deep-100000.ron"), deep_topology(100_000)).unwrap();
    // 17 MiB, sparse: refused from its size, never read.
    std::fs::File::create(p.join("huge.ron")).unwrap().set_len(17 << 20).unwrap();
    std::fs::create_dir(p.join("topo-dir")).unwrap();
    let check = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check");
    for f in ["small.ron", "topo.ron"] {
        std::fs::copy(check.join(f), p.join(f)).unwrap();
    }
    let small = std::fs::read_to_string(p.join("small.ron")).unwrap();
    // Expected files near the 16 MiB input limit, beside copies of small.ron.
    let header = "format = 1\nscenario = small\ntopology = topo\nseed = 1\n";
    let keys: String = (0..400_000).map(|i| format!("device[d{i}].translations = 1\n")).collect();
    let sections: String = (0..1_000_000).map(|i| format!("[s{i}]\n")).collect();
    let escapes = format!("format = 1\nscenario = {}\n", "\\u".repeat(4_000_000));
    for (name, text) in
        [("exp-keys", format!("{header}[x]\n{keys}")), ("exp-sections", format!("{header}{sections}")), ("exp-escapes", escapes)]
    {
        std::fs::write(p.join(format!("{name}.ron")), &small).unwrap();
        std::fs::write(p.join(format!("{name}.expected")), text).unwrap();
    }
    std::fs::write(p.join("dir-topology.ron"), small.replace("topology: \"topo.ron\"", "topology: \"topo-dir\"")).unwrap();
    tmp
}

fn run_all(bin: &Path, limit: Duration) {
    let tmp = setup();
    for (args, code, text) in cases(tmp.path()) {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = bounded(bin, &a, limit, "");
        let shown = if code == 0 { &o.stdout } else { &o.stderr };
        assert_eq!(o.code, code, "{a:?}: exit {} (expected {code}); stderr:\n{}", o.code, o.stderr);
        assert!(shown.contains(text), "{a:?}: expected {text:?} in:\n{shown:.2000}");
        assert!(o.stdout.len() < 1 << 20, "{a:?}: {} bytes of output", o.stdout.len());
    }
    // Nothing was written beside the folder given to --trace.
    let parent = tmp.path().parent().unwrap();
    let stem = tmp.path().file_stem().unwrap().to_string_lossy().into_owned();
    let stray: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("{stem}.")) && e.file_name().to_string_lossy().ends_with(".trace"))
        .collect();
    assert!(stray.is_empty(), "traces written beside the folder: {stray:?}");
}

#[test]
fn hostile_inputs_exit_0_or_2_in_bounded_time_and_memory_debug() {
    run_all(Path::new(BIN), Duration::from_secs(120));
}

#[test]
fn hostile_inputs_exit_0_or_2_in_bounded_time_and_memory_release() {
    // The release binary of tests/determinism_builds.rs (same command, same target folder).
    let this = PathBuf::from(BIN);
    let profile_dir = this.parent().unwrap();
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        return run_all(&this, Duration::from_secs(60));
    }
    let target = profile_dir.parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "iommu-sim", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", target)
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --release failed");
    run_all(&target.join("release").join(this.file_name().unwrap()), Duration::from_secs(60));
}

#[test]
fn trace_names_are_stem_strategy_trace_beside_the_path() {
    let tmp = setup();
    let p = tmp.path();
    for given in ["out.trace", "out", "out.bin"] {
        let o = bounded(
            Path::new(BIN),
            &["run", p.join("small.ron").to_str().unwrap(), "--trace", p.join(given).to_str().unwrap()],
            Duration::from_secs(60),
            "",
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        for s in ["per-group", "vfio-type1"] {
            let f = p.join(format!("out.{s}.trace"));
            assert!(f.is_file(), "--trace {given}: no {}", f.display());
            std::fs::remove_file(f).unwrap();
        }
        assert!(!p.join(given).exists(), "--trace {given} with two strategies also wrote {given}");
    }
}

#[test]
fn a_spaced_scenario_name_passes_check_after_bless() {
    let tmp = setup();
    let p = tmp.path();
    std::fs::copy(data("name-spaces.ron"), p.join("spaced.ron")).unwrap();
    let sc = p.join("spaced.ron");
    let o = bounded(Path::new(BIN), &["check", "--bless", sc.to_str().unwrap()], Duration::from_secs(60), "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = bounded(Path::new(BIN), &["check", sc.to_str().unwrap()], Duration::from_secs(60), "");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

/// `check --bless` on a disk that fills up (a file-size limit: writes fail with EFBIG) leaves
/// the old expected file intact and no temporary file behind.
#[test]
fn a_failed_bless_leaves_the_old_expected_file_intact() {
    let tmp = setup();
    let p = tmp.path();
    let sc = p.join("small.ron");
    let expected = p.join("small.expected");
    let old = "format = 1\nscenario = stale\n";
    std::fs::write(&expected, old).unwrap();
    // 4 KiB limit: the new expected file (~5 KiB) cannot be written whole.
    let o = bounded(Path::new(BIN), &["check", "--bless", sc.to_str().unwrap()], Duration::from_secs(60), "trap '' XFSZ; ulimit -f 4;");
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("cannot write"), "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&expected).unwrap(), old);
    let debris: Vec<_> = std::fs::read_dir(p).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".tmp")).collect();
    assert!(debris.is_empty(), "{debris:?}");
    // Without the limit it is written whole.
    let o = bounded(Path::new(BIN), &["check", "--bless", sc.to_str().unwrap()], Duration::from_secs(60), "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(std::fs::read_to_string(&expected).unwrap().contains("[per-group]"));
}

/// Ctrl-C stops a long run cleanly: partial results, marked as such, exit 130.
#[test]
fn ctrl_c_stops_a_long_run_with_partial_results() {
    let tmp = setup();
    let p = tmp.path();
    // 10^10 packets: within the largest --max-events, hours of work.
    let text = std::fs::read_to_string(data("nic-rate-huge.ron"))
        .unwrap()
        .replace("duration: 10000000000000", "duration: 100000000000")
        .replace("PacketsPerSec(1000000000)", "PacketsPerSec(100000000)");
    std::fs::write(p.join("long.ron"), text).unwrap();
    std::fs::copy(data("topo.ron"), p.join("topo.ron")).unwrap();
    let child = Command::new(BIN)
        .args(["run", "--strategy", "per-group", "--max-events", "68719476736"])
        .arg(p.join("long.ron"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?} to stop", start.elapsed());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("INTERRUPTED"), "{stdout}");
}
