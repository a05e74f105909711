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
    let out = bin().args(["topology", &topo, "--kernel", "proposed"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("kernel proposed (not merged)"), "{}", String::from_utf8_lossy(&out.stderr));
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

    // A sweep whose axis is the kernel forms each point's groups with that kernel.
    let out = bin().args(["compare", &s617, "--set", "kernel=\"6.17\",\"proposed\""]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let peak = |kernel: &str| -> String {
        let line = table.lines().find(|l| l.starts_with(&format!("\"{kernel}\"")) && l.contains(" vfio-type1 ")).unwrap();
        line.split_whitespace().nth(3).unwrap().to_string()
    };
    assert_eq!((peak("6.17"), peak("proposed")), ("2".to_string(), "1".to_string()), "{table}");
    let _ = std::fs::remove_dir_all(&d);
}

/// `sudo lspci -vvv -nn` of a root port with ACS, a PCIe-to-PCI bridge below it whose only
/// resources are its windows (no BAR, no ROM), and two conventional devices behind it; the
/// machine (a released kernel) reported the bridge with its devices.
const LSPCI_BRIDGE: &str = "00:00.0 Host bridge [0600]: Intel Corporation Host Bridge [8086:3e30] (rev 0d)
\tIOMMU group: 0

00:1c.0 PCI bridge [0604]: Intel Corporation Cannon Lake PCH PCI Express Root Port #1 [8086:a338] (rev f0) (prog-if 00 [Normal decode])
\tIOMMU group: 1
\tBus: primary=00, secondary=01, subordinate=02, sec-latency=0
\tI/O behind bridge: 0000d000-0000dfff [size=4K]
\tMemory behind bridge: f7000000-f70fffff [size=1M]
\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00
\tCapabilities: [220 v1] Access Control Services
\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-

01:00.0 PCI bridge [0604]: Texas Instruments XIO2001 PCI Express-to-PCI Bridge [104c:8240] (prog-if 00 [Normal decode])
\tIOMMU group: 2
\tBus: primary=01, secondary=02, subordinate=02, sec-latency=32
\tI/O behind bridge: 0000d000-0000dfff [size=4K]
\tMemory behind bridge: f7000000-f70fffff [size=1M]
\tCapabilities: [80] Express (v1) PCI-Express to PCI/PCI-X Bridge, MSI 00

02:00.0 Multimedia audio controller [0401]: Creative Labs SB Audigy [1102:0004] (rev 04)
\tIOMMU group: 2
\tRegion 0: I/O ports at d000 [size=64]

02:01.0 Serial controller [0700]: NetMos Technology PCI 9835 Multi-I/O Controller [9710:9835] (rev 01)
\tIOMMU group: 2
\tRegion 0: Memory at f7000000 (32-bit, non-prefetchable) [size=4K]
";

/// The importer fills `mmio` from lspci's resource lines; the released kernel's groups check,
/// and the proposed kernel takes the MMIO-less PCIe-to-PCI bridge out of its devices' group
/// (PCI_BUS_NON_ISOLATED), which `--check-groups --kernel proposed` reports.
#[test]
fn imported_bridge_without_mmio_leaves_its_devices_group_on_the_proposed_kernel() {
    let d = dir("import");
    let text = d.join("bridge.lspci.txt");
    std::fs::write(&text, LSPCI_BRIDGE).unwrap();
    let ron = d.join("bridge.ron");
    let out = bin().args(["import", text.to_str().unwrap(), "-o", ron.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let topo = std::fs::read_to_string(&ron).unwrap();
    assert!(topo.contains("PcieToPciBridge(id: \"0000:01:00.0\"") && topo.contains("bus_range: (0x02, 0x02), mmio: false"), "{topo}");
    assert!(topo.contains("bus_range: (0x01, 0x02), mmio: false"), "the root port has no BAR either: {topo}");
    let check = |extra: &[&str]| {
        let mut args = vec!["topology", ron.to_str().unwrap(), "--check-groups"];
        args.extend_from_slice(extra);
        bin().args(&args).output().unwrap()
    };
    let now = check(&[]);
    assert_eq!(now.status.code(), Some(0), "{}", String::from_utf8_lossy(&now.stdout));
    let proposed = check(&["--kernel", "proposed"]);
    let said = String::from_utf8_lossy(&proposed.stdout);
    assert_eq!(proposed.status.code(), Some(1), "{said}");
    assert!(said.contains("0000:01:00.0"), "{said}");
    let v = json(&["topology", ron.to_str().unwrap(), "--json", "--kernel", "proposed"]);
    let behind = v["groups"].as_array().unwrap().iter().find(|g| g["devices"][0] == "0000:02:00.0").unwrap();
    assert_eq!(behind["devices"], serde_json::json!(["0000:02:00.0", "0000:02:01.0"]));
    assert_eq!(behind["bridges"], serde_json::json!([]), "the bridge is not in its devices' group: {v}");
    let _ = std::fs::remove_dir_all(&d);
}

/// Two corpus machines (tests/data/machines, real `lspci -vvv` of machines on released kernels)
/// under the proposed kernel, with the cover letter's predictions: groups get *wider* where a
/// switch's downstream ports lack ACS (the X570 chipset switch: ports 21:08-0a have no ACS
/// capability, so the internal bus is PCIE_NON_ISOLATED and the upstream port, every
/// downstream port and everything below are one group), and *narrower* where root ports or
/// multifunction functions have no ACS capability (the X10SLH's CPU root ports 00:01.0/.1 and
/// the PCH's 00:1f.x, one group each on v5.15 as reported, split here).
#[test]
fn corpus_machines_under_the_proposed_kernel() {
    let d = dir("corpus");
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/machines");
    let load = |name: &str| {
        let ron = d.join(format!("{name}.ron"));
        let src = corpus.join(format!("{name}.lspci.txt"));
        let out = bin().args(["import", src.to_str().unwrap(), "-o", ron.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json(&["topology", ron.to_str().unwrap(), "--json", "--kernel", "proposed"])
    };
    let group_of = |v: &serde_json::Value, bdf: &str| -> u64 {
        let hit = |g: &&serde_json::Value| ["devices", "bridges"].iter().any(|k| g[k].as_array().unwrap().iter().any(|x| x == bdf));
        v["groups"].as_array().unwrap().iter().find(hit).unwrap()["id"].as_u64().unwrap()
    };
    let x570 = load("amd-ryzen-x570-asrock-x570d4u");
    let usp = group_of(&x570, "0000:20:00.0");
    for f in ["0000:21:01.0", "0000:21:08.0", "0000:21:0a.0", "0000:23:00.0", "0000:2a:00.0", "0000:2c:00.0"] {
        assert_eq!(group_of(&x570, f), usp, "{f}");
    }
    let x10 = load("intel-xeon-e3v3-c226-supermicro-x10slh");
    let ids: Vec<u64> = ["0000:00:01.0", "0000:00:01.1", "0000:01:00.0", "0000:02:00.0", "0000:00:1f.0", "0000:00:1f.2"]
        .iter()
        .map(|f| group_of(&x10, f))
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "each its own group: {ids:?}");
    let _ = std::fs::remove_dir_all(&d);
}
