//! Bad scenario files are exit-2 errors that name the file (with line and column or the
//! offending id), never a panic, whatever the input.

use std::process::Command;

#[test]
fn every_malformed_scenario_exits_2_with_a_located_message() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenario/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("corpus").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 15);
    for f in files {
        for cmd in [&["run"][..], &["compare", "--json"][..]] {
            let out = Command::new(env!("CARGO_BIN_EXE_iommu-sim")).args(cmd).arg(&f).output().expect("run");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{}: {stderr}", f.display());
            assert!(!stderr.contains("panicked"), "{}: {stderr}", f.display());
            let name = f.file_name().expect("name").to_string_lossy().to_string();
            assert!(stderr.starts_with("error: ") && stderr.contains(&name) || stderr.contains("nope.ron"), "{}: {stderr}", f.display());
        }
    }
}

/// A VFIO container cannot be lazy: exit 2, and the message says why and what to write instead.
#[test]
fn a_lazy_vfio_container_is_refused_with_the_reason() {
    let f = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenario/malformed/lazy-vfio-container.ron");
    let out = Command::new(env!("CARGO_BIN_EXE_iommu-sim")).arg("run").arg(&f).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("lazy-vfio-container.ron:1:"), "located: {stderr}");
    assert!(stderr.contains("cannot be lazy") && stderr.contains("no flush queue") && stderr.contains("DmaApi("), "{stderr}");
}
