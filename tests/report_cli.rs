//! `iommu-sim report` and `compare --html` through the real binary: every scenario in
//! `scenarios/*.ron` (whatever is there) plus the report sample goes `compare --json` →
//! `report`, and the pages must be self-contained and byte-identical across runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run iommu-sim")
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(out.status.success(), "iommu-sim {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The scenarios to report on: `scenarios/*.ron` (sorted) and the report sample.
fn scenarios() -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "ron")).collect())
        .unwrap_or_default();
    list.sort();
    list.push(root().join("tests/data/reports/sample.ron"));
    list
}

/// No reference leaves the page: no URL scheme, no protocol-relative or outside src/href,
/// no `@import`, no `url(` other than a fragment.
fn assert_self_contained(html: &str, what: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in ["http://", "https://", "@import", "<script", "<link", "<iframe", "<img", "file://"] {
        assert!(!lower.contains(bad), "{what}: page contains {bad:?}");
    }
    for attr in ["src=", "href="] {
        for (i, _) in lower.match_indices(attr) {
            let value = lower[i + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(value.starts_with('#'), "{what}: {attr} must point inside the page: {}", &value[..value.len().min(60)]);
        }
    }
    for (i, _) in lower.match_indices("url(") {
        let value = lower[i + 4..].trim_start_matches(['"', '\'', ' ']);
        assert!(value.starts_with('#'), "{what}: url( must be local: {}", &value[..value.len().min(60)]);
    }
}

#[test]
fn every_scenario_reports_and_is_byte_identical() {
    let dir = scratch("scenarios");
    for (i, scenario) in scenarios().iter().enumerate() {
        let s = scenario.to_str().expect("utf-8 path");
        let json = dir.join(format!("{i}.json"));
        let out = ok(&["compare", s, "--json"]);
        std::fs::write(&json, &out.stdout).expect("write results");
        let (a, b) = (dir.join(format!("{i}-a.html")), dir.join(format!("{i}-b.html")));
        ok(&["report", json.to_str().unwrap(), "-o", a.to_str().unwrap()]);
        ok(&["report", json.to_str().unwrap(), "-o", b.to_str().unwrap()]);
        let (ha, hb) = (std::fs::read(&a).expect("report a"), std::fs::read(&b).expect("report b"));
        assert!(ha == hb, "{s}: two reports of the same results differ");
        let html = String::from_utf8(ha).expect("utf-8 page");
        assert!(html.starts_with("<!DOCTYPE html>"), "{s}");
        assert!(html.contains("<svg class=\"chart cdf\""), "{s}: no latency chart");
        assert!(html.contains("<svg class=\"chart platform\""), "{s}: no platform diagram");
        assert!(html.contains("id=\"comparison\""), "{s}");
        assert_self_contained(&html, s);
    }
}

#[test]
fn compare_html_writes_a_stable_page() {
    let dir = scratch("compare_html");
    let sample = root().join("tests/data/reports/sample.ron");
    let (a, b) = (dir.join("a.html"), dir.join("b.html"));
    let out = ok(&["compare", sample.to_str().unwrap(), "--html", a.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("per-group"), "the table is still printed");
    ok(&["compare", sample.to_str().unwrap(), "--json", "--html", b.to_str().unwrap()]);
    let (ha, hb) = (std::fs::read_to_string(&a).expect("a"), std::fs::read_to_string(&b).expect("b"));
    assert_eq!(ha, hb);
    assert!(ha.contains("iommu-sim report: report-sample"));
    assert_self_contained(&ha, "compare --html");
}

#[test]
fn several_results_files_side_by_side() {
    let dir = scratch("multi");
    let sample = root().join("tests/data/reports/sample.ron");
    let (s7, s8) = (dir.join("seed7.json"), dir.join("seed8.json"));
    std::fs::write(&s7, ok(&["compare", sample.to_str().unwrap(), "--json"]).stdout).unwrap();
    std::fs::write(&s8, ok(&["compare", sample.to_str().unwrap(), "--json", "--seed", "8"]).stdout).unwrap();
    let html_path = dir.join("multi.html");
    ok(&["report", s7.to_str().unwrap(), s8.to_str().unwrap(), "-o", html_path.to_str().unwrap()]);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("class=\"input-head\">seed7.json</th>"), "one column group per input");
    assert!(html.contains("class=\"input-head sep\">seed8.json</th>"));
    assert!(html.contains("seed8.json vs seed7.json"));
    assert!(html.contains("id=\"in1-charts\""));
    assert_self_contained(&html, "multi");
}

#[test]
fn bad_results_files_exit_2_naming_the_file() {
    let dir = scratch("bad");
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{ this is not json").unwrap();
    let wrong = dir.join("wrong-shape.json");
    std::fs::write(&wrong, "{\"runs\": 3}").unwrap();
    let missing = dir.join("missing.json");
    let out_html = dir.join("out.html");
    for bad in [&garbage, &wrong, &missing] {
        let out = run(&["report", bad.to_str().unwrap(), "-o", out_html.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", bad.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(bad.file_name().unwrap().to_str().unwrap()), "error names the file: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!out_html.exists(), "nothing is written when an input is bad");
    // No input at all is a usage error.
    assert_eq!(run(&["report", "-o", out_html.to_str().unwrap()]).status.code(), Some(2));
    // An unwritable output is an error too (exit 2), naming the path.
    let sample_json = dir.join("ok.json");
    std::fs::write(&sample_json, ok(&["compare", root().join("tests/data/reports/sample.ron").to_str().unwrap(), "--json"]).stdout)
        .unwrap();
    let out = run(&["report", sample_json.to_str().unwrap(), "-o", "/nonexistent-dir/r.html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent-dir/r.html"));
}
