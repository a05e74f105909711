//! `iommu-sim check [PATH ...] [--bless] [--tolerant]`: regression replay. Re-runs every
//! scenario (all its strategies, its own seed) and compares the results with the expected file
//! beside it (`NAME.ron` → `NAME.expected`, docs/expected-format.md).
//!
//! Exit 0 when everything matches, 1 on any mismatch (including a missing expected file), 2
//! when a scenario or an expected file cannot be read. Scenarios run in parallel across cores
//! (rayon); the report is printed afterwards in sorted path order, so it is the same on every
//! machine. A progress bar is drawn on stderr only when stderr is a terminal (never in CI logs).

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sim_core::golden::{self, Comparison, Expected, LineDiff, Mode, RunDiff};
use sim_core::scenario::Scenario;

use super::CmdResult;
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files or folders; a folder means every `*.ron` scenario in it (topology files
    /// are skipped). Default: `scenarios/`. `-` reads one scenario from stdin (its topology
    /// path relative to the current folder) and needs `--expected`.
    pub paths: Vec<PathBuf>,
    /// The expected file to compare with, instead of the one beside the scenario
    /// (`NAME.expected`): only with a single scenario, and required for `-` (stdin).
    #[arg(long, value_name = "FILE")]
    pub expected: Option<PathBuf>,
    /// Rewrite the expected files from this run instead of comparing (says which changed).
    #[arg(long)]
    pub bless: bool,
    /// Let metrics move within the scenario's `tolerances` (per-mille); the digest stays
    /// exact but a change of it is excused when every moved metric is within tolerance.
    #[arg(long, conflicts_with = "bless")]
    pub tolerant: bool,
    /// Also write a JUnit XML report (one test case per scenario) for CI systems (`-` = stdout).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print a JSON summary (one entry per scenario) instead of the text report.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub budget: super::Budget,
    /// Replay every scenario on this Linux kernel instead of its own `kernel` ("6.12",
    /// "proposed"...). With `--bless` this would record another kernel's results, so the two
    /// cannot be combined.
    #[arg(long, value_name = "V", conflicts_with = "bless", value_parser = super::KernelValue)]
    pub kernel: Option<String>,
}

/// One scenario's outcome as reports show it: a status word and the text block under it.
struct Case {
    path: String,
    /// `ok`, `failed`, `missing`, `error`, `created`, `updated` or `same`.
    status: &'static str,
    detail: String,
}

/// What happened to one scenario.
enum Verdict {
    /// Matches (`Some`: only tolerated changes, shown as a note).
    Pass {
        runs: usize,
        tolerated: Option<Comparison>,
    },
    Fail(Comparison),
    Missing,
    /// `--bless`: whether the file was created, rewritten (and what changed) or left alone.
    Blessed {
        created: bool,
        changed: Option<Vec<String>>,
    },
    /// Could not be checked (exit 2).
    Error(String),
}

pub fn run(args: Args) -> CmdResult {
    let paths = if args.paths.is_empty() { vec![PathBuf::from("scenarios")] } else { args.paths.clone() };
    check_stdin_use(&args, &paths)?;
    let scenarios = collect(&paths)?;
    if args.expected.is_some() && (scenarios.len() != 1 || paths.iter().any(|p| p.is_dir())) {
        return Err(format!(
            "check --expected: applies to a single scenario file, but {} name {} scenario(s); drop --expected to use each scenario's own NAME.expected",
            list(&paths),
            scenarios.len()
        )
        .into());
    }
    if let Some(k) = &args.kernel {
        sim_core::linux::Kernel::parse(k).map_err(|e| format!("--kernel: {e}"))?;
    }
    if scenarios.is_empty() {
        return Err(format!("check: no scenario files found in {}", list(&paths)).into());
    }

    let bar = if std::io::stderr().is_terminal() && !crate::out::quiet() {
        let bar = indicatif::ProgressBar::new(scenarios.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("checking [{bar:30}] {pos}/{len} scenarios, ETA {eta}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    // `collect` on an indexed parallel iterator keeps input order: the report is sorted.
    let verdicts: Vec<Verdict> = scenarios
        .par_iter()
        .map(|p| {
            let exp_path = args.expected.clone().unwrap_or_else(|| golden::expected_path(p));
            let v = check_one(p, &exp_path, args.bless, args.tolerant, args.budget, args.kernel.as_deref());
            bar.inc(1);
            v
        })
        .collect();
    bar.finish_and_clear();

    let (mut ok, mut failed, mut missing, mut errors) = (0, 0, 0, Vec::new());
    let mut out = String::new();
    let mut cases: Vec<Case> = Vec::new();
    for (path, verdict) in scenarios.iter().zip(verdicts) {
        let p = super::io::label(path);
        let expected = args.expected.clone().unwrap_or_else(|| golden::expected_path(path));
        let e = expected.display();
        let before = out.len();
        let status = match &verdict {
            Verdict::Pass { .. } => "ok",
            Verdict::Fail(_) => "failed",
            Verdict::Missing => "missing",
            Verdict::Blessed { created: true, .. } => "created",
            Verdict::Blessed { changed: None, .. } => "same",
            Verdict::Blessed { .. } => "updated",
            Verdict::Error(_) => "error",
        };
        if let Verdict::Error(msg) = &verdict {
            cases.push(Case { path: p.to_string(), status, detail: msg.clone() });
        }
        match verdict {
            Verdict::Pass { runs, tolerated: None } => {
                ok += 1;
                let _ = writeln!(out, "ok       {p} ({runs} {})", plural(runs));
            }
            Verdict::Pass { runs, tolerated: Some(c) } => {
                ok += 1;
                let _ = writeln!(out, "ok       {p} ({runs} {}; changes within tolerances)", plural(runs));
                render_comparison(&mut out, &c);
            }
            Verdict::Fail(c) => {
                failed += 1;
                let _ = writeln!(out, "FAIL     {p} (differs from {e})");
                render_comparison(&mut out, &c);
            }
            Verdict::Missing => {
                missing += 1;
                let _ = writeln!(out, "MISSING  {p}: no expected file {e}; run `iommu-sim check --bless {p}` to create it");
            }
            Verdict::Blessed { created: true, .. } => {
                let _ = writeln!(out, "created  {e}");
            }
            Verdict::Blessed { created: false, changed: None } => {
                let _ = writeln!(out, "same     {e}");
            }
            Verdict::Blessed { created: false, changed: Some(what) } => {
                let _ = writeln!(out, "updated  {e}: {}", what.join("; "));
            }
            Verdict::Error(msg) => errors.push(msg),
        }
        if status != "error" {
            cases.push(Case { path: p.to_string(), status, detail: out[before..].to_string() });
        }
    }
    if let Some(file) = &args.junit {
        super::io::write_text(file, &junit(&cases))?;
    }
    if args.json {
        let list: Vec<serde_json::Value> =
            cases.iter().map(|c| serde_json::json!({ "scenario": c.path, "status": c.status, "detail": c.detail })).collect();
        let summary = serde_json::json!({
            "scenarios": list,
            "ok": ok, "failed": failed, "missing": missing, "errors": errors.len(),
        });
        crate::outln!("{}", serde_json::to_string_pretty(&summary)?)?;
        out.clear();
    }
    crate::out::print(&out)?;
    let total = scenarios.len();
    if args.json {
        // The JSON above is the whole of stdout.
    } else if args.bless {
        crate::outln!("check --bless: {total} scenario(s), {} not blessed (errors)", errors.len())?;
    } else {
        crate::outln!("check: {total} scenario(s): {ok} ok, {failed} failed, {missing} missing, {} error(s)", errors.len())?;
    }
    if !errors.is_empty() {
        // Exit 2 takes precedence: every unreadable input is listed, the last by `main`.
        let last = errors.pop().unwrap_or_default();
        for e in &errors {
            eprintln!("error: {e}");
        }
        return Err(last.into());
    }
    Ok(if failed + missing == 0 { Outcome::Success } else { Outcome::Mismatch })
}

/// JUnit XML (the subset every CI system reads): one `<testcase>` per scenario, a
/// `<failure>` for a mismatch or a missing expected file, an `<error>` for an unreadable input.
fn junit(cases: &[Case]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let failures = cases.iter().filter(|c| matches!(c.status, "failed" | "missing")).count();
    let errors = cases.iter().filter(|c| c.status == "error").count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<testsuites name=\"iommu-sim check\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">", cases.len());
    let _ = writeln!(x, "  <testsuite name=\"iommu-sim check\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">", cases.len());
    for c in cases {
        let _ = write!(x, "    <testcase classname=\"iommu-sim.check\" name=\"{}\"", esc(&c.path));
        match c.status {
            "failed" | "missing" => {
                let first = c.detail.lines().next().unwrap_or_default();
                let _ = writeln!(x, ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>", esc(first.trim()), esc(&c.detail));
            }
            "error" => {
                let _ = writeln!(
                    x,
                    ">\n      <error message=\"{}\">{}</error>\n    </testcase>",
                    esc(c.detail.lines().next().unwrap_or_default()),
                    esc(&c.detail)
                );
            }
            _ => {
                let _ = writeln!(x, "/>");
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "strategy" } else { "strategies" }
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// `-` (a scenario on stdin) has no file beside it: it is checked against `--expected FILE`,
/// it cannot be blessed (there is no scenario file for the expected one to sit beside), and it
/// is the only scenario of the run.
fn check_stdin_use(args: &Args, paths: &[PathBuf]) -> Result<(), String> {
    if !paths.iter().any(|p| super::io::is_std(p)) {
        return Ok(());
    }
    if paths.len() > 1 {
        return Err("check -: a scenario on stdin is checked alone; give `-` as the only path".into());
    }
    if args.bless {
        return Err("check - --bless: a scenario read from stdin has no file to bless an expected file beside; \
                    save it and run `iommu-sim check --bless FILE.ron`"
            .into());
    }
    if args.expected.is_none() {
        return Err("check -: a scenario read from stdin has no expected file beside it; \
                    name one with `--expected FILE.expected`"
            .into());
    }
    Ok(())
}

/// Files as given, folders expanded to their `*.ron` scenarios; sorted, without duplicates.
/// `-` (stdin) is kept as it is.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for p in paths {
        if super::io::is_std(p) {
            out.push(p.clone());
        } else if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| format!("{}: cannot list folder: {e}", p.display()))?;
            for entry in entries {
                let path = entry.map_err(|e| format!("{}: cannot list folder: {e}", p.display()))?.path();
                if path.is_file() && path.extension().is_some_and(|x| x == "ron") && !is_topology(&path) {
                    out.push(path);
                }
            }
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or folder", p.display()).into());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Whether a RON file is a topology (its top-level struct is `Topology(...)`), which a folder
/// scan skips. Anything else, including unreadable files, is treated as a scenario so that
/// its errors are reported rather than silently skipped.
fn is_topology(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let mut s = text.as_str();
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("//") {
            s = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r);
        } else if let Some(rest) = s.strip_prefix("#!") {
            s = rest.split_once(']').map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    s.strip_prefix("Topology").is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

fn check_one(path: &Path, exp_path: &Path, bless: bool, tolerant: bool, budget: super::Budget, kernel: Option<&str>) -> Verdict {
    let mut scenario: Scenario = match super::io::load_scenario(path) {
        Ok(s) => s,
        Err(e) => return Verdict::Error(e.to_string()),
    };
    if let Err(e) = super::apply_kernel(&mut scenario, kernel) {
        return Verdict::Error(e);
    }
    if let Err(e) = budget.check(&scenario) {
        return Verdict::Error(e);
    }
    // Strategies the kernel lacks (iommufd before v6.2) are not run, as in `run`/`compare`.
    let (strategies, _) = sim_core::runner::available(&scenario.strategies, scenario.kernel);
    let results = sim_core::runner::run_all(&scenario, &strategies, scenario.seed);
    if results.runs.iter().any(|r| r.interrupted) {
        return Verdict::Error(format!("{}: interrupted; nothing compared or written", super::io::label(path)));
    }
    super::warn_after_duration(&results, scenario.duration);
    let actual = Expected::from_results(&results);
    if bless {
        let text = actual.render();
        let old = std::fs::read_to_string(exp_path).ok();
        if old.as_deref() == Some(text.as_str()) {
            return Verdict::Blessed { created: false, changed: None };
        }
        if let Err(e) = sim_core::atomic::write(exp_path, &text) {
            return Verdict::Error(format!("{}: cannot write: {e}", exp_path.display()));
        }
        let changed = old.map(|o| match Expected::parse(exp_path, &o) {
            Ok(prev) => describe_changes(&golden::compare(&prev, &actual, Mode::Exact)),
            Err(_) => vec!["the old file did not parse".to_string()],
        });
        return Verdict::Blessed { created: changed.is_none(), changed };
    }
    if !exp_path.exists() {
        return Verdict::Missing;
    }
    let expected = match Expected::load(exp_path) {
        Ok(e) => e,
        Err(e) => return Verdict::Error(e.to_string()),
    };
    let mode = if tolerant { Mode::Tolerant(&scenario.tolerances) } else { Mode::Exact };
    let c = golden::compare(&expected, &actual, mode);
    if !c.passed() {
        Verdict::Fail(c)
    } else if c.identical() {
        Verdict::Pass { runs: results.runs.len(), tolerated: None }
    } else {
        Verdict::Pass { runs: results.runs.len(), tolerated: Some(c) }
    }
}

/// One phrase per changed strategy, for `--bless` ("per-group: digest, 3 lines").
fn describe_changes(c: &Comparison) -> Vec<String> {
    let mut out: Vec<String> = c.header.iter().map(|(k, a, b)| format!("{k} {a} → {b}")).collect();
    for r in &c.runs {
        out.push(match r {
            RunDiff::Changed { strategy, digest, lines, .. } => {
                let d = if digest.is_some() { "digest, " } else { "" };
                format!("{strategy}: {d}{} line(s)", lines.len())
            }
            RunDiff::NotRun { strategy } => format!("{strategy}: removed"),
            RunDiff::NotExpected { strategy } => format!("{strategy}: added"),
        });
    }
    out
}

fn value(v: Option<u64>) -> String {
    v.map_or_else(|| "(absent)".to_string(), |v| v.to_string())
}

fn permille(p: u32) -> String {
    format!("±{}.{}%", p / 10, p % 10)
}

fn render_line(out: &mut String, width: usize, l: &LineDiff) {
    let mut note = match (l.old, l.new) {
        (Some(a), Some(b)) => golden::format_change(a, b),
        _ => "line added or removed".to_string(),
    };
    if let Some(t) = l.tolerance {
        let _ = write!(note, ", {} {}", if l.ok { "within" } else { "outside" }, permille(t));
    }
    let _ = writeln!(out, "    {:<width$}  {} → {} ({note})", l.key, value(l.old), value(l.new));
}

fn render_comparison(out: &mut String, c: &Comparison) {
    for (k, a, b) in &c.header {
        let _ = writeln!(out, "  {k}: {a} → {b}");
    }
    for r in &c.runs {
        match r {
            RunDiff::Changed { strategy, digest, digest_excused, lines } => {
                let _ = writeln!(out, "  [{strategy}]");
                let width = lines.iter().map(|l| l.key.len()).max().unwrap_or(0).max("digest".len());
                if let Some((a, b)) = digest {
                    let note = if *digest_excused { " (excused: every moved line is within tolerance)" } else { "" };
                    let _ = writeln!(out, "    {:<width$}  {a} → {b}{note}", "digest");
                }
                for l in lines {
                    render_line(out, width, l);
                }
            }
            RunDiff::NotRun { strategy } => {
                let _ = writeln!(out, "  [{strategy}] is in the expected file but the scenario no longer runs it");
            }
            RunDiff::NotExpected { strategy } => {
                let _ = writeln!(out, "  [{strategy}] runs but is not in the expected file");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_detection_skips_comments_and_attributes() {
        let dir = std::env::temp_dir().join(format!("iommu-sim-check-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases = [
            ("a.ron", "// c\n#![enable(implicit_some)]\n/* x */ Topology(name: \"t\")", true),
            ("b.ron", "Scenario(name: \"s\")", false),
            ("c.ron", "TopologyX()", false),
            ("d.ron", "(name: \"s\", topology: \"t.ron\")", false),
        ];
        for (name, text, want) in cases {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            assert_eq!(is_topology(&p), want, "{name}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
