//! A reader that stops early (`iommu-sim compare x --json | head -1`) must end the program
//! quietly: exit 0, no panic message, as every Unix tool does. Each test closes the read end
//! of stdout before the program writes anything, so every write meets a broken pipe.

use std::process::{Command, Stdio};

fn closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("iommu-sim-pipe-{}-{}", std::process::id(), args.join("_").replace(['/', '.'], "")));
    std::fs::create_dir_all(&dir).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut child = Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
        .args(args.iter().map(|a| a.replace("{root}", root).replace("{tmp}", &dir.display().to_string())))
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_quiet(args: &[&str], want: i32) {
    let (code, stderr) = closed_pipe(args);
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{args:?} complained: {stderr}");
    assert_eq!(code, Some(want), "{args:?}: {stderr}");
}

#[test]
fn every_command_ends_quietly_on_a_closed_pipe() {
    assert_quiet(&["topology", "{root}/topologies/arm-server.ron"], 0);
    assert_quiet(&["topology", "--json", "{root}/topologies/arm-server.ron"], 0);
    assert_quiet(&["run", "{root}/scenarios/default.ron"], 0);
    assert_quiet(&["run", "--json", "{root}/scenarios/default.ron"], 0);
    assert_quiet(&["compare", "--json", "{root}/scenarios/default.ron"], 0);
    assert_quiet(&["compare", "{root}/scenarios/default.ron"], 0);
    assert_quiet(&["check", "{root}/scenarios/default.ron"], 0);
    assert_quiet(&["demo", "--json", "-o", "{tmp}/r.html"], 0);
    assert_quiet(&["demo", "-o", "{tmp}/r.html"], 0);
    assert_quiet(&["--help"], 0);
}

#[test]
fn trace_diff_ends_quietly_on_a_closed_pipe() {
    let dir = std::env::temp_dir().join(format!("iommu-sim-pipe-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let t = dir.join("a.trace");
    let st = Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
        .args(["run", &format!("{root}/scenarios/default.ron"), "--strategy", "per-group", "--trace"])
        .arg(&t)
        .output()
        .unwrap();
    assert!(st.status.success());
    let ts = t.display().to_string();
    assert_quiet(&["trace-diff", &ts, &ts], 0);
    let _ = std::fs::remove_dir_all(&dir);
}
