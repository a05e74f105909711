//! `kernel: "proposed"` forms IOMMU groups as the not-merged PCI ACS rework does ("[PATCH v3
//! 00/11] Fix incorrect iommu_groups with PCIe ACS", 2025; sim-core/src/topology/
//! groups_proposed.rs), driven through the real binary: `topology --kernel proposed`, a
//! scenario's `kernel: "proposed"`, `run --kernel proposed` and `compare --kernels
//! 6.17,proposed` all see the switch whose downstream ports have ACS off as one group.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
}

/// A root port with ACS on, a switch whose two downstream ports have an ACS capability with
/// every control bit off, one device below each port.
const SWITCH: &str = r#"Topology(
    name: "t-switch",
    iommus: [Iommu(id: "dmar0", kind: IntelVtd)],
    buses: [
        RootComplex(id: "pci0000:00", iommu: "dmar0"),
        RootPort(id: "0000:00:01.0", parent: "pci0000:00", pci: Pci(acs: Acs(cap: 0x1f, ctrl: 0x1d), bus_range: (1, 4))),
        SwitchUpstream(id: "0000:01:00.0", parent: "0000:00:01.0", pci: Pci(bus_range: (2, 4))),
        SwitchDownstream(id: "0000:02:01.0", parent: "0000:01:00.0", pci: Pci(acs: Acs(cap: 0x1f, ctrl: 0), bus_range: (3, 3))),
        SwitchDownstream(id: "0000:02:02.0", parent: "0000:01:00.0", pci: Pci(acs: Acs(cap: 0x1f, ctrl: 0), bus_range: (4, 4))),
    ],
    devices: [
        Device(id: "0000:03:00.0", parent: "0000:02:01.0"),
        Device(id: "0000:04:00.0", parent: "0000:02:02.0"),
    ],
)"#;

/// Each device to its own VM; the file's kernel is substituted.
const SCENARIO: &str = r#"(
    name: "switch-two-vms", topology: "t-switch.ron", seed: 1, duration: 1_000_000, kernel: "KERNEL",
    containers: [Container(id: "vm0"), Container(id: "vm1")],
    events: [
        (at: 0, op: Attach(device: "0000:03:00.0", container: "vm0")),
        (at: 1, op: Attach(device: "0000:04:00.0", container: "vm1")),
    ],
)"#;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iommu-sim-acs-proposed-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("t-switch.ron"), SWITCH).unwrap();
    for k in ["6.17", "proposed"] {
        std::fs::write(d.join(format!("s-{k}.ron")), SCENARIO.replace("KERNEL", k)).unwrap();
    }
    d
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (domains allocated, attaches failed) of a `run --json`.
fn outcome(v: &serde_json::Value) -> (u64, u64) {
    let m = &v["runs"][0]["metrics"];
    (m["domains_allocated"].as_u64().unwrap(), m["attaches_failed"].as_u64().unwrap())
}

fn path(d: &Path, f: &str) -> String {
    d.join(f).to_str().unwrap().to_string()
}

#[test]
fn topology_kernel_proposed_groups_the_switch() {
    let d = dir("topology");
    let topo = path(&d, "t-switch.ron");
    let groups_with_devices = |v: &serde_json::Value| -> Vec<Vec<String>> {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| !g["devices"].as_array().unwrap().is_empty())
            .map(|g| g["devices"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .collect()
    };
    let now = json(&["topology", &topo, "--json"]);
    let proposed = json(&["topology", &topo, "--json", "--kernel", "proposed"]);
    assert_eq!(groups_with_devices(&now), vec![vec!["0000:03:00.0".to_string()], vec!["0000:04:00.0".to_string()]]);
    assert_eq!(groups_with_devices(&proposed), vec![vec!["0000:03:00.0".to_string(), "0000:04:00.0".to_string()]]);
    // The downstream ports are in the devices' group, the upstream port apart.
    let g0 = &proposed["groups"][0];
    assert_eq!(g0["bridges"], serde_json::json!(["0000:02:01.0", "0000:02:02.0"]), "{proposed}");
    // A bad kernel name says what is accepted.
    let out = bin().args(["topology", &topo, "--kernel", "propsed"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("proposed"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

/// On 6.17 each VM gets its device (two groups, two domains); on the proposed kernel both
/// devices are one group, owned by the first VM, so the second attach fails.
#[test]
fn scenario_kernel_run_kernel_and_compare_kernels_see_the_proposed_groups() {
    let d = dir("scenario");
    let (s617, sprop) = (path(&d, "s-6.17.ron"), path(&d, "s-proposed.ron"));
    let run = |file: &str, extra: &[&str]| {
        let mut args = vec!["run", file, "--strategy", "vfio-type1", "--json"];
        args.extend_from_slice(extra);
        outcome(&json(&args))
    };
    assert_eq!(run(&s617, &[]), (2, 0));
    assert_eq!(run(&sprop, &[]), (1, 1));
    assert_eq!(run(&s617, &["--kernel", "proposed"]), (1, 1));
    assert_eq!(run(&sprop, &["--kernel", "6.17"]), (2, 0));

    let v = json(&["compare", &s617, "--kernels", "6.17,proposed", "--strategy", "vfio-type1", "--json"]);
    let by_kernel: Vec<(String, u64)> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kernel"].as_str().unwrap().to_string(), r["metrics"]["domains_allocated"].as_u64().unwrap()))
        .collect();
    assert_eq!(by_kernel, vec![("6.17".to_string(), 2), ("proposed".to_string(), 1)]);
    let _ = std::fs::remove_dir_all(&d);
}
