//! The sweep report in headless Chromium, like tests/report_browser.rs: no console or load
//! errors, every curve chart drawn with a size, and screenshots at desktop and phone width
//! under `target/report-screenshots/`. Also: the page is self-contained and the CSV has a row
//! per results line.
//!
//! Needs `/usr/bin/chromium`. Without it the test fails when `CI` is set and is skipped with
//! a notice otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");
const CHROMIUM: &str = "/usr/bin/chromium";

const PROBE: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push('error: ' + (e.message || e.type)); }, true);
window.addEventListener('load', function () {
  var charts = [];
  document.querySelectorAll('svg.chart').forEach(function (s) {
    var r = s.getBoundingClientRect();
    charts.push({ drawn: s.querySelectorAll('path,circle,line,text').length, w: Math.round(r.width), h: Math.round(r.height) });
  });
  var pre = document.createElement('pre');
  pre.id = '__probe';
  pre.textContent = JSON.stringify({ errors: window.__errors, charts: charts, rows: document.querySelectorAll('#points tbody tr').length });
  document.body.appendChild(pre);
});
</script>"#;

fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{CHROMIUM} is missing: install it (apt-get install -y chromium) so the sweep report browser test can run in CI");
    }
    eprintln!("notice: {CHROMIUM} not found; skipping the sweep report browser test (apt-get install -y chromium)");
    false
}

fn chromium(work: &Path, tag: &str, args: &[String]) -> (String, String) {
    let profile = work.join(format!("profile-{tag}"));
    let (out_path, err_path) = (work.join(format!("{tag}.stdout")), work.join(format!("{tag}.stderr")));
    let mut child = Command::new(CHROMIUM)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-extensions"])
        .args(["--disable-component-update", "--disable-sync", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout"))
        .stderr(std::fs::File::create(&err_path).expect("stderr"))
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium ({tag}) did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&profile);
    (std::fs::read_to_string(&out_path).unwrap_or_default(), std::fs::read_to_string(&err_path).unwrap_or_default())
}

fn iommu_sim(dir: &Path, args: &[&str]) {
    let out = Command::new(BIN).current_dir(dir).args(args).output().expect("run");
    assert!(out.status.success(), "iommu-sim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn sweep_report_renders_in_chromium_without_errors() {
    let work: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep_report_browser");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work");
    let sweep = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sweep/small.ron");
    iommu_sim(&work, &["sweep", sweep.to_str().expect("utf8"), "-q", "-o", "r.jsonl"]);
    iommu_sim(&work, &["report", "r.jsonl", "-o", "sweep.html", "--csv", "r.csv"]);
    let html = std::fs::read_to_string(work.join("sweep.html")).expect("page");
    assert!(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"), "self-contained");
    let charts = html.matches("<svg class=\"chart").count();
    // The small sweep's second axis was vm1's Strict/Lazy/None until VFIO containers could no
    // longer be lazy (issue 10); its granularity axis moves three invalidation metrics.
    assert!(charts >= 3, "too few charts: {charts}");
    let csv = std::fs::read_to_string(work.join("r.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 1 + 36);
    // Same input, same bytes.
    iommu_sim(&work, &["report", "r.jsonl", "-o", "again.html"]);
    assert_eq!(std::fs::read_to_string(work.join("again.html")).expect("again"), html);

    if !chromium_available() {
        return;
    }
    let probe = work.join("probe.html");
    std::fs::write(&probe, html.replacen("<head>", &format!("<head>\n{PROBE}"), 1)).expect("probe");
    let (dom, stderr) = chromium(&work, "dom", &["--dump-dom".into(), format!("file://{}", probe.display())]);
    let errors: Vec<&str> =
        stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("net::ERR_")).collect();
    assert!(errors.is_empty(), "chromium logged page errors:\n{}", errors.join("\n"));
    let json = dom.split("<pre id=\"__probe\">").nth(1).and_then(|s| s.split("</pre>").next()).expect("probe output in the DOM");
    let seen: serde_json::Value = serde_json::from_str(&json.replace("&quot;", "\"")).expect("probe json");
    assert_eq!(seen["errors"].as_array().map(Vec::len), Some(0), "{seen}");
    let drawn = seen["charts"].as_array().expect("charts");
    assert_eq!(drawn.len(), charts);
    for c in drawn {
        assert!(c["drawn"].as_u64() > Some(10) && c["w"].as_u64() > Some(100) && c["h"].as_u64() > Some(100), "chart not drawn: {c}");
    }
    assert_eq!(seen["rows"], 9 * 2, "a table row per point and strategy");

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target").join("report-screenshots");
    std::fs::create_dir_all(&shots).expect("shots");
    for (tag, width) in [("sweep-desktop", 1280), ("sweep-phone", 390)] {
        let png = shots.join(format!("{tag}.png"));
        let _ = std::fs::remove_file(&png);
        chromium(
            &work,
            tag,
            &[
                format!("--window-size={width},2400"),
                format!("--screenshot={}", png.display()),
                format!("file://{}", work.join("sweep.html").display()),
            ],
        );
        assert!(std::fs::metadata(&png).map(|m| m.len() > 10_000).unwrap_or(false), "{tag}: no screenshot");
    }
}
