//! What a new user meets on the command line (issue 14): best marks only for strategies
//! that did the work, and the other CLI manners.

use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("run")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// hard-fail fails 4 of 6 attaches in the default scenario and so has the fewest domains and
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
            assert!(!cells[hf].starts_with('*'), "hard-fail marked best: {line}");
        }
    }
    assert!(rows > 30, "{out}");
    assert!(out.contains("hard-fail failed attaches and cannot be best"), "{out}");
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
    assert_eq!(m["maps"], 600, "{m}");
    assert_eq!(m["map_errors"], 0, "{m}");
    assert_eq!(m["faults"], 0, "{m}");
}

#[test]
fn an_explicit_iova_overlap_is_an_error_naming_both_generators() {
    let o = sim(&["run", "tests/data/ux/two-nvme-overlap.ron"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("generators[0] \"a\" and generators[1] \"b\" map overlapping IOVA ranges in container \"c\""), "{err}");
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
