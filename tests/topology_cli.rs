//! `iommu-sim topology` end to end: the real binary on every malformed input (exit 2, a
//! message naming the file, never a panic) and on every bundled platform (exit 0, JSON with
//! the keys of contracts.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
}

fn topology(args: &[&str]) -> Output {
    bin().arg("topology").args(args).output().expect("run iommu-sim")
}

/// Every malformed file: exit 2, `error:` naming the file, no panic; and where the file opens
/// with `// expect: TEXT`, the message contains TEXT.
#[test]
fn malformed_topologies_exit_2_with_a_located_message() {
    let files = files_in(&root().join("tests/data/topology/malformed"));
    assert!(files.len() >= 12, "only {} malformed files", files.len());
    for file in files {
        let out = topology(&[file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let name = file.file_name().unwrap().to_string_lossy();
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(stderr.starts_with("error: "), "{name}: {stderr}");
        assert!(stderr.contains(&*name), "{name}: message does not name the file: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: wrote to stdout");
        let text = std::fs::read(&file).unwrap();
        if let Some(expect) = std::str::from_utf8(&text).ok().and_then(|t| t.lines().next()).and_then(|l| l.strip_prefix("// expect: ")) {
            assert!(stderr.contains(expect), "{name}: expected `{expect}` in: {stderr}");
        }
    }
}

#[test]
fn missing_file_and_directory_exit_2() {
    for arg in ["tests/data/topology/no-such-file.ron", "tests/data/topology"] {
        let out = bin().current_dir(root()).args(["topology", arg]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{arg}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(arg) && !stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn bundled_topologies_print_and_their_json_has_the_contract_keys() {
    let files = files_in(&root().join("topologies"));
    for needed in ["xeon-2s", "epyc", "arm-server", "arm-soc", "mixed-arm"] {
        assert!(files.iter().any(|f| f.file_stem().unwrap() == needed), "topologies/{needed}.ron missing");
    }
    for file in files {
        let path = file.to_str().unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//"), "{path}: must open with a comment naming the machine it imitates");

        let out = topology(&[path]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("IOMMUs") && stdout.contains("Groups"), "{path}: {stdout}");

        let out = topology(&[path, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{path}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json is JSON");
        let name = v["topology"].as_str().expect("topology");
        assert_eq!(Some(name), file.file_stem().and_then(|s| s.to_str()), "{path}: name matches file");
        let iommus = v["iommus"].as_array().expect("iommus");
        assert!(!iommus.is_empty());
        let kinds = ["intel-vtd", "amd-vi", "arm-smmu-v2", "arm-smmu-v3", "virtio-iommu"];
        let mut in_iommus = Vec::new();
        for m in iommus {
            assert!(m["id"].is_string(), "{m}");
            assert!(kinds.contains(&m["kind"].as_str().unwrap()), "{m}");
            let devs: Vec<&str> = m["devices"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
            assert!(devs.is_sorted(), "{path}: iommu devices not sorted: {devs:?}");
            in_iommus.extend(devs);
        }
        let groups = v["groups"].as_array().expect("groups");
        let mut in_groups = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            assert_eq!(g["id"].as_u64(), Some(i as u64), "{g}");
            let iommu = g["iommu"].as_str().unwrap();
            let devs: Vec<&str> = g["devices"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
            let bridges = g["bridges"].as_array().expect("bridges");
            // A group holds a device, or only bridges (then VFIO has nothing to take).
            assert!(devs.is_sorted() && (!devs.is_empty() || !bridges.is_empty()), "{path}: {g}");
            assert_eq!(g["vfio_usable"].as_bool(), Some(!devs.is_empty()), "{path}: {g}");
            // Every member sits behind the group's IOMMU.
            let owner = iommus.iter().find(|m| m["id"] == iommu).unwrap();
            for d in &devs {
                assert!(owner["devices"].as_array().unwrap().iter().any(|x| x == d), "{path}: {d} not behind {iommu}");
            }
            in_groups.extend(devs);
        }
        in_iommus.sort_unstable();
        in_groups.sort_unstable();
        assert_eq!(in_iommus, in_groups, "{path}: each device in exactly one group");
    }
}

/// The properties the bundled platforms promise in their opening comments.
#[test]
fn bundled_platforms_have_what_they_are_for() {
    let json = |name: &str| -> serde_json::Value {
        let out = topology(&[root().join("topologies").join(format!("{name}.ron")).to_str().unwrap(), "--json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let count = |v: &serde_json::Value, kind: &str| v["iommus"].as_array().unwrap().iter().filter(|m| m["kind"] == kind).count();
    let group_of = |v: &serde_json::Value, dev: &str| {
        v["groups"].as_array().unwrap().iter().position(|g| g["devices"].as_array().unwrap().iter().any(|d| d == dev))
    };

    let xeon = json("xeon-2s");
    assert!(count(&xeon, "intel-vtd") >= 3);
    let widths: Vec<u64> = xeon["iommus"].as_array().unwrap().iter().map(|m| m["address_width"].as_u64().unwrap()).collect();
    assert!(widths.contains(&48) && widths.contains(&39), "{widths:?}");
    // Multifunction NIC below a non-ACS port, and the two devices behind the PCIe-to-PCI bridge.
    assert_eq!(group_of(&xeon, "0000:03:00.0"), group_of(&xeon, "0000:03:00.1"));
    assert_eq!(group_of(&xeon, "0000:06:00.0"), group_of(&xeon, "0000:06:01.0"));
    assert_ne!(group_of(&xeon, "0000:85:00.0"), group_of(&xeon, "0000:86:00.0"));

    assert_eq!(count(&json("epyc"), "amd-vi"), 4);
    assert_eq!(count(&json("arm-server"), "arm-smmu-v3"), 4);

    let soc = json("arm-soc");
    assert!(count(&soc, "arm-smmu-v2") >= 2);
    assert_eq!(group_of(&soc, "ipa@1e40000"), group_of(&soc, "ipa-uc@1e40000"));
    let small = soc["iommus"].as_array().unwrap().iter().find(|m| m["domain_ids"].as_u64() == Some(4)).expect("a 4-bank SMMU");
    let small_groups = soc["groups"].as_array().unwrap().iter().filter(|g| g["iommu"] == small["id"]).count();
    assert!(small_groups > 4, "the small SMMU must be exhaustible: {small_groups} groups");

    let mixed = json("mixed-arm");
    assert!(count(&mixed, "arm-smmu-v2") >= 1 && count(&mixed, "arm-smmu-v3") >= 1);
}
