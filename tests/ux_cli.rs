//! What a new user meets on the command line (issue 14): best marks only for strategies
//! that did the work, and the other CLI manners.

use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("run")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// what-if-hard-fail fails 4 of 6 attaches in the default scenario and so has the fewest domains and
/// the least CPU; it must not get the `*` best mark for that.
#[test]
fn a_strategy_that_failed_attaches_gets_no_best_mark() {
    let o = sim(&["compare", "scenarios/default.ron", "--wide"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let header = out.lines().find(|l| l.starts_with("metric")).expect("header");
    let cols: Vec<&str> = header.split_whitespace().collect();
    let hf = cols.iter().position(|c| *c == "what-if-hard-fail").expect("what-if-hard-fail column");
    let mut rows = 0;
    for line in out.lines().skip_while(|l| !l.starts_with("metric")).skip(1).take_while(|l| !l.starts_with('(')) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.len() == cols.len() {
            rows += 1;
            assert!(!cells[hf].starts_with('*'), "what-if-hard-fail marked best: {line}");
        }
    }
    assert!(rows > 30, "{out}");
    assert!(out.contains("what-if-hard-fail failed attaches and cannot be best"), "{out}");
}

/// Two NVMe drives in one container used to share the default IOVA base: 300 map errors and
/// 124 DMA faults in a scenario with no script. Each now gets its own range.
#[test]
fn generators_in_one_container_get_disjoint_iova_ranges() {
    let o = sim(&["run", "tests/data/ux/two-nvme.ron", "--json"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let m = &v["runs"][0]["metrics"];
    // 300 requests per drive, mapped one by one, plus each drive's queue pair mapped once.
    assert_eq!(m["maps"], 602, "{m}");
    assert_eq!(m["map_errors"], 0, "{m}");
    assert_eq!(m["faults"], 0, "{m}");
}

#[test]
fn an_explicit_iova_overlap_is_an_error_naming_both_generators() {
    let o = sim(&["run", "tests/data/ux/two-nvme-overlap.ron"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("generators[1].iova_base: \"b\" maps [0x2000800000, 0x2001801000), which overlaps [0x2000000000, 0x2001001000) of generators[0] \"a\" in container \"c\""), "{err}");
    // The caret is under b's iova_base, on line 15.
    assert!(err.contains("two-nvme-overlap.ron:15:"), "{err}");
}

/// Every `ron` example in docs/scenario-format.md that is a whole scenario runs cleanly.
#[test]
fn scenario_format_examples_run() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/scenario-format.md")).expect("doc");
    let mut n = 0;
    for (k, block) in doc.split("```ron\n").skip(1).enumerate() {
        let body = block.split("```").next().unwrap_or_default();
        if !body.contains("Scenario(") {
            continue;
        }
        let body = body.replace("\"../topologies/", &format!("\"{root}/topologies/"));
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("doc-example-{k}.ron"));
        std::fs::write(&path, body).expect("write");
        let o = sim(&["run", path.to_str().expect("utf-8"), "--json"]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "example {k}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        for run in v["runs"].as_array().expect("runs") {
            assert_eq!(run["metrics"]["map_errors"], 0, "example {k}");
        }
        n += 1;
    }
    assert!(n >= 2, "expected the overview and the generator example");
}

/// Operations due after `duration` used to vanish without a word (`unmaps 0`, exit 0).
#[test]
fn operations_after_duration_are_counted_and_warned_about() {
    let o = sim(&["run", "tests/data/ux/after-duration.ron", "--json"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("warning: scenario after-duration: 4 operation(s) due after its duration (1000000 cycles) were not run"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    for run in v["runs"].as_array().expect("runs") {
        assert_eq!(run["events_after_duration"], 4, "{run}");
        assert_eq!(run["metrics"]["unmaps"], 0);
    }
    let (table, _) = text(&sim(&["run", "tests/data/ux/after-duration.ron"]));
    assert!(table.contains("4 operation(s) were due after the scenario's duration"), "{table}");
}

fn sim_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// `report` used to accept any JSON and write an empty page with exit 0.
#[test]
fn report_refuses_what_is_not_results() {
    for (json, want) in [
        ("{\"hello\":1}", "missing field `schema`"),
        ("[]", "expected a JSON object"),
        ("{\"schema\": 99, \"scenario\": \"s\", \"topology\": \"t\", \"runs\": []}", "results schema 99"),
    ] {
        let o = sim_stdin(&["report", "-", "-o", "-"], json.as_bytes());
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{json}: {err}");
        assert!(err.contains("<stdin>: not iommu-sim results") && err.contains(want), "{json}: {err}");
        assert!(out.is_empty(), "no page for bad input");
    }
}

/// `-` reads stdin and writes stdout: `compare - --json | report - -o -`.
#[test]
fn dash_is_stdin_and_stdout() {
    let scenario = std::fs::read("tests/data/ux/two-nvme.ron").expect("scenario");
    // From stdin the topology path is relative to the current folder.
    let scenario = String::from_utf8(scenario).unwrap().replace("../../../topologies/", "topologies/");
    let o = sim_stdin(&["compare", "-", "--json"], scenario.as_bytes());
    let (json, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let o = sim_stdin(&["report", "-", "-o", "-"], json.as_bytes());
    let (html, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("two-nvme"), "{err}");
    let o = sim(&["demo", "-o", "-"]);
    let (html, _) = text(&o);
    assert!(o.status.success() && html.starts_with("<!DOCTYPE html>"), "demo -o - writes the page, not the table, to stdout");
}

/// Two results of different scenarios: side by side, never a percent change between them.
#[test]
fn report_of_different_scenarios_computes_no_changes() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ux-different");
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.json");
    let b = dir.join("b.json");
    std::fs::write(&a, sim(&["compare", "tests/data/ux/two-nvme.ron", "--json"]).stdout).unwrap();
    std::fs::write(&b, sim(&["compare", "tests/data/ux/after-duration.ron", "--json"]).stdout).unwrap();
    let page = dir.join("r.html");
    let o = sim(&["report", a.to_str().unwrap(), b.to_str().unwrap(), "-o", page.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o).1);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("without changes computed between them"), "says why there are no changes");
    assert!(!html.contains("class=\"chg\""), "no change cells between different scenarios");
}

fn error_of(file: &str) -> String {
    let o = sim(&["run", file]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Issue 16 item 6: locations come from the parser's view of the file, not text search.
#[test]
fn errors_point_at_the_offending_value_with_a_snippet() {
    // An error in events[2] points at events[2] (old: the first `Map(`, in the name).
    let err = error_of("tests/data/ux/bad-event2.ron");
    assert!(err.starts_with("error: tests/data/ux/bad-event2.ron:9:"), "{err}");
    assert!(err.contains("9 |         (at: 2, op: Map(container: \"c\", iova: 0x1800"), "snippet of the line: {err}");
    // A bad stride points at the stride (old: at the word in the scenario's name).
    let err = error_of("tests/data/ux/bad-stride.ron");
    assert!(err.starts_with("error: tests/data/ux/bad-stride.ron:8:55: events[1].repeat.stride"), "{err}");
    assert!(err.contains("^^^^^"), "caret under 0x800: {err}");
    // A misspelt strategy: did you mean.
    let err = error_of("tests/data/ux/bad-strategy.ron");
    assert!(err.contains("help: did you mean `vfio-type1`?"), "{err}");
    assert!(err.contains("bad-strategy.ron:4:31"), "{err}");
}

#[test]
fn type_errors_name_their_field_and_misspellings_get_a_hint() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ux-diag");
    std::fs::create_dir_all(&dir).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let s = dir.join("seed.ron");
    std::fs::write(&s, format!("Scenario(name: \"x\", topology: \"{root}/topologies/arm-server.ron\", seed: -7)\n")).unwrap();
    let err = error_of(s.to_str().unwrap());
    assert!(err.contains("seed: Integer is out of bounds"), "{err}");
    assert!(err.contains("help: this field takes a non-negative integer"), "{err}");
    let t = dir.join("topo.ron");
    let topo = std::fs::read_to_string(format!("{root}/topologies/arm-server.ron")).unwrap().replacen("ArmSmmuV3", "ArmSmmuv3", 1);
    std::fs::write(&t, topo).unwrap();
    let o = sim(&["topology", t.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("iommus[0].kind: Unexpected variant named `ArmSmmuv3`") && err.contains("help: did you mean `ArmSmmuV3`?"),
        "{err}"
    );
    assert!(err.contains("^^^^^^^^^"), "{err}");
    // clap's own hint for a misspelt --strategy, and the names listed in --help.
    let (_, err) = text(&sim(&["run", "scenarios/default.ron", "--strategy", "vfio-typ1"]));
    assert!(err.contains("'vfio-type1'"), "{err}");
    let (help, _) = text(&sim(&["compare", "--help"]));
    assert!(help.contains("possible values: per-group, vfio-type1"), "{help}");
}

#[test]
fn completions_man_page_and_version_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let o = sim(&["completions", shell]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{shell}: {err}");
        assert!(out.contains("trace-diff") && out.contains("vfio-emediumtype"), "{shell}: subcommands and strategy names");
    }
    let (man, _) = text(&sim(&["man"]));
    assert!(man.contains(".TH iommu-sim 1") && man.contains("compare"), "{man}");
    let (v, _) = text(&sim(&["--version"]));
    // "iommu-sim 0.1.0 (abcdef123456)" or "(unknown)" without git; never empty.
    assert!(v.starts_with(&format!("iommu-sim {} (", env!("CARGO_PKG_VERSION"))) && v.trim_end().ends_with(')'), "{v}");
}

/// `check --junit FILE` (one test case per scenario) and `check --json`: a missing expected
/// file is a failure, an unreadable scenario an error, a match a passing case.
#[test]
fn check_writes_junit_and_json() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ux-junit");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    for f in ["small.ron", "topo.ron"] {
        std::fs::copy(format!("{root}/tests/data/check/{f}"), dir.join(f)).unwrap();
    }
    std::fs::copy(format!("{root}/scenarios/default.ron"), dir.join("default.ron")).unwrap();
    std::fs::copy(format!("{root}/scenarios/default.expected"), dir.join("default.expected")).unwrap();
    let text_of = std::fs::read_to_string(dir.join("default.ron")).unwrap().replace("../topologies/", &format!("{root}/topologies/"));
    std::fs::write(dir.join("default.ron"), text_of).unwrap();
    let junit = dir.join("junit.xml");
    let d = dir.to_str().unwrap();
    let o = sim(&["check", d, "--junit", junit.to_str().unwrap(), "--json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "small.ron has no expected file: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is only JSON");
    assert_eq!((v["ok"].as_u64(), v["missing"].as_u64()), (Some(1), Some(1)), "{v}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<testsuite name=\"iommu-sim check\" tests=\"2\" failures=\"1\" errors=\"0\">"), "{xml}");
    assert!(xml.contains("default.ron\"/>"), "passing case: {xml}");
    assert!(xml.contains("<failure message=\"MISSING"), "missing expected file is a failure: {xml}");
}

/// `run --log` prints the lines `log_lines` counts (here: SMMUv3 before v6.2 refusing a
/// domain of another SMMU), each with its Linux source, and watching changes no result.
#[test]
fn run_log_prints_what_log_lines_counts() {
    let args = ["run", "scenarios/default.ron", "--strategy", "vfio-type1", "--kernel", "6.1", "--json"];
    let (plain, _) = text(&sim(&args));
    let o = sim(&[&args[..], &["--log"]].concat());
    let (json, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(json, plain, "--log changes no result (stdout stays pure JSON)");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let counted = v["runs"][0]["metrics"]["log_lines"].as_u64().unwrap();
    assert!(counted > 0, "{v}");
    assert_eq!(err.matches("cannot attach to SMMU").count() as u64, counted, "{err}");
    assert_eq!(err.matches("source: arm-smmu-v3.c:arm_smmu_attach_dev").count() as u64, counted, "{err}");
    let (table, _) = text(&sim(&["run", "scenarios/default.ron", "--strategy", "compat-index", "--log"]));
    assert!(table.contains("[compat-index] (nothing)"), "{table}");
}

/// `--help` lists the kernels as possible values (one release per era), and a version outside
/// the modelled range is refused by the flag's parser with the list of eras (exit 2).
#[test]
fn kernel_flags_list_their_possible_values() {
    let o = sim(&["compare", "--help"]);
    let (out, _) = text(&o);
    for want in ["6.1:", "6.12:", "6.15.0:", "6.17:", "proposed:"] {
        assert!(out.contains(want), "{want} missing from compare --help:\n{out}");
    }
    let o = sim(&["run", "scenarios/default.ron", "--kernel", "7.3"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("'--kernel <V>'") && err.contains("eras:"), "{err}");
}

/// The throughput section (added with the closed-loop model) was one line of 167 columns for
/// the default scenario: every part of the table fits 100 columns unless `--wide`.
#[test]
fn the_whole_table_fits_100_columns_throughput_included() {
    for scenario in ["scenarios/default.ron", "scenarios/vm-four-smmuv3.ron"] {
        let o = sim(&["compare", scenario]);
        let (table, err) = text(&o);
        assert!(o.status.success(), "{err}");
        assert!(table.contains("throughput, Gb/s"), "{table}");
        let long: Vec<&str> = table.lines().filter(|l| l.chars().count() > 100).collect();
        assert!(long.is_empty(), "{scenario}: lines over 100 columns:\n{}", long.join("\n"));
        let o = sim(&["compare", scenario, "--wide"]);
        assert!(text(&o).0.lines().any(|l| l.chars().count() > 100), "--wide keeps one table");
    }
}

/// `--no-baselines` leaves out the identity and IOMMU-off runs and nothing else: the strategies'
/// runs are identical with and without it, on `run` (plain and watched) and `compare`.
#[test]
fn no_baselines_skips_only_the_baselines() {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.ron");
    let json = |args: &[&str]| -> serde_json::Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_iommu-sim")).args(args).arg(&scenario).output().expect("run");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let full = json(&["run", "--json"]);
    assert_eq!(full["baselines"].as_array().map(Vec::len), Some(2), "default.ron moves data");
    for args in
        [&["run", "--json", "--no-baselines"][..], &["run", "--json", "--log", "--no-baselines"], &["compare", "--json", "--no-baselines"]]
    {
        let lean = json(args);
        assert_eq!(lean["baselines"].as_array().map(Vec::len), Some(0), "{args:?}");
        assert_eq!(lean["runs"], full["runs"], "{args:?}: the strategies' runs must not change");
    }
    let table = |args: &[&str]| String::from_utf8_lossy(&sim(args).stdout).into_owned();
    let (with, without) = (table(&["run", "scenarios/default.ron"]), table(&["run", "scenarios/default.ron", "--no-baselines"]));
    assert!(with.contains("iommu-off") && !with.contains("(no baselines)"), "{with}");
    assert!(without.contains("(no baselines)") && !without.contains("iommu-off"), "{without}");
}
