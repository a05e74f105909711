//! `iommu-sim` with no arguments runs the embedded default scenario from any folder, prints
//! the comparison and writes a self-contained report.html there.

use std::process::Command;

#[test]
fn no_arguments_runs_the_default_scenario_and_writes_the_report() {
    let dir = std::env::temp_dir().join(format!("iommu-sim-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_iommu-sim")).current_dir(&dir).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for strategy in
        ["per-group", "vfio-type1", "vfio-emediumtype", "iommufd-auto", "what-if-hard-fail", "compat-index", "shared-across-instances"]
    {
        assert!(stdout.contains(strategy), "table lacks {strategy}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html written");
    assert!(html.contains("<svg") && html.contains("</html>"));
    // `demo` is the same job, and is deterministic: the same page twice.
    let out2 = Command::new(env!("CARGO_BIN_EXE_iommu-sim")).current_dir(&dir).args(["demo", "-o", "again.html"]).output().expect("run");
    assert!(out2.status.success());
    assert_eq!(std::fs::read(dir.join("again.html")).expect("again.html"), html.as_bytes());
    let _ = std::fs::remove_dir_all(&dir);
}
