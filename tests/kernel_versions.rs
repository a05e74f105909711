//! The kernel axis end to end: the same platform and script give different domains, errnos
//! and log lines on different kernels (docs/kernel-versions.md), `compare --kernels` shows
//! them side by side, and the reference page prints the code's rule table.

mod common;

use std::path::Path;
use std::process::Command;

use sim_core::linux::Kernel;
use sim_core::scenario::Scenario;
use sim_core::sim::run;
use sim_core::strategy::StrategyName::{self, IommufdAuto, VfioEmediumtype, VfioType1};
use sim_core::topology::Platform;

use common::root;

/// Three VT-d units: B offers 2M only, A 2M and 1G, C is 39-bit. Each has one device.
const THREE_UNITS: &str = r#"Topology(
    name: "t-vtd-three",
    iommus: [
        Iommu(id: "dmarB", kind: IntelVtd, caps: (page_sizes: ["4K", "2M"])),
        Iommu(id: "dmarA", kind: IntelVtd),
        Iommu(id: "dmarC", kind: IntelVtd, caps: (address_width: 39)),
    ],
    buses: [
        RootComplex(id: "pci0000:00", iommu: "dmarB"),
        RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: true),
        RootComplex(id: "pci0000:40", iommu: "dmarA"),
        RootPort(id: "0000:40:01.0", parent: "pci0000:40", acs: true),
        RootComplex(id: "pci0000:80", iommu: "dmarC"),
        RootPort(id: "0000:80:01.0", parent: "pci0000:80", acs: true),
    ],
    devices: [
        Device(id: "0000:01:00.0", parent: "0000:00:01.0"),
        Device(id: "0000:41:00.0", parent: "0000:40:01.0"),
        Device(id: "0000:81:00.0", parent: "0000:80:01.0"),
    ],
)"#;

/// B's device, then A's, then C's join one container; then 1 GiB of guest RAM is mapped.
const THREE_ATTACHES: &str = r#"(
    name: "three-units", topology: "t.ron", seed: 1, duration: 1_000_000,
    containers: [Container(id: "vm0")],
    events: [
        (at: 0, op: Attach(device: "0000:01:00.0", container: "vm0")),
        (at: 1, op: Attach(device: "0000:41:00.0", container: "vm0")),
        (at: 2, op: Attach(device: "0000:81:00.0", container: "vm0")),
        (at: 10, op: Map(container: "vm0", iova: 0, size: 0x4000_0000)),
        (at: 20, op: Dma(device: "0000:81:00.0", iova: 0x1000, bytes: 4096, dir: Read)),
    ],
)"#;

fn three_units(kernel: &str) -> Scenario {
    let platform = Platform::parse(Path::new("t.ron"), THREE_UNITS).unwrap_or_else(|e| panic!("{e}"));
    let mut s = Scenario::from_parts(Path::new("s.ron"), THREE_ATTACHES, platform).unwrap_or_else(|e| panic!("{e}"));
    s.kernel = Kernel::parse(kernel).unwrap();
    s
}

fn with_kernel(mut s: Scenario, kernel: &str) -> Scenario {
    s.kernel = Kernel::parse(kernel).unwrap();
    s
}

/// v6.12: no superpage check and a domain sheds levels to fit the 39-bit unit: one domain.
/// v6.15: superpage equality and width: three. v6.17: superpage subset: two.
#[test]
fn the_same_vtd_vm_needs_1_3_2_domains_on_6_12_6_15_6_17() {
    for strategy in [VfioEmediumtype, IommufdAuto, StrategyName::CompatIndex] {
        let counts: Vec<u64> =
            ["6.12", "6.15", "6.17"].iter().map(|k| run(&three_units(k), strategy, 1, None).metrics.domains_allocated).collect();
        assert_eq!(counts, [1, 3, 2], "{strategy}");
    }
    // The v6.12 domain shed a level for dmar C (pagetable/table.rs `shed_levels`) and C's DMA
    // still translates through it.
    let r = run(&three_units("6.12"), VfioEmediumtype, 1, None);
    // One 4 KiB read is 8 lookups: one per 512-byte read request TLP (pcie/transfer.rs).
    assert_eq!((r.metrics.faults, r.metrics.translations), (0, 8));
}

/// VT-d first-stage domains (v6.13+) invalidate a 1 GiB unmap with one PASID-based range
/// command; v6.12's second-stage domains fall back to a domain-selective flush beyond MAMV.
#[test]
fn vtd_first_stage_invalidation_has_no_domain_wide_fallback() {
    let s = Scenario::load(&root().join("scenarios/vm-vtd-mixed-dmar.ron")).unwrap();
    let m = |k: &str| run(&with_kernel(s.clone(), k), VfioEmediumtype, s.seed, None).metrics;
    let (old, new) = (m("6.12"), m("6.17"));
    assert!(old.invalidations_domain > new.invalidations_domain, "{} vs {}", old.invalidations_domain, new.invalidations_domain);
    assert!(new.invalidations_page > old.invalidations_page);
}

/// VFIO type1 before v6.2 went on after any error: the same domains as on v6.2+, but each
/// refused trial of another SMMU's domain printed "cannot attach to SMMU %s (upstream of %s)".
#[test]
fn pre_6_2_type1_gives_type1s_domains_with_log_lines() {
    let s = Scenario::load(&root().join("scenarios/vm-four-smmuv3.ron")).unwrap();
    let old = run(&with_kernel(s.clone(), "6.1"), VfioType1, s.seed, None).metrics;
    let new = run(&with_kernel(s.clone(), "6.12"), VfioType1, s.seed, None).metrics;
    assert_eq!((old.domains_allocated, old.domains_peak, old.attaches_failed), (new.domains_allocated, new.domains_peak, 0));
    assert_eq!(old.trial_attaches, new.trial_attaches);
    assert!(old.log_lines > 0 && new.log_lines == 0, "{} / {}", old.log_lines, new.log_lines);
    assert_eq!(old.log_lines, old.hard_failures, "one dev_err per ENXIO refusal");
    // The series' flow on the same pre-6.2 drivers stops at the first ENXIO.
    let series = run(&with_kernel(s, "6.1"), VfioEmediumtype, 7, None).metrics;
    assert!(series.attaches_failed > 0);
}

/// v6.15.0's arm-smmu-v3 accepted another SMMU's domain: one domain for four SMMUs, through
/// 6.15.2; 6.15.3 carries the fix (the 6.15.3-rc1 stable review, docs/kernel-versions.md).
#[test]
fn the_6_15_0_smmuv3_regression_is_its_own_version() {
    let s = Scenario::load(&root().join("scenarios/vm-four-smmuv3.ron")).unwrap();
    let peak = |k: &str| run(&with_kernel(s.clone(), k), VfioEmediumtype, s.seed, None).metrics.domains_peak;
    assert_eq!((peak("6.14"), peak("6.15.0"), peak("6.15.2"), peak("6.15.3"), peak("6.16")), (4, 1, 1, 4, 4));
}

/// Another driver's domain (arm-smmu and arm-smmu-v3 side by side): before v6.8 the domain's
/// driver answers with its own, hard errno (no core owner check yet), so the series' flow
/// stops; from v6.8 the core's `-EINVAL` is soft and the flow goes on to allocate. VFIO type1
/// never tries another driver's domain, so it is the same on both.
#[test]
fn another_drivers_domain_is_hard_before_6_8_and_soft_from_6_8() {
    let s = Scenario::load(&root().join("scenarios/vm-mixed-arm.ron")).unwrap();
    let m = |k: &str, strategy| run(&with_kernel(s.clone(), k), strategy, s.seed, None).metrics;
    let (old, new) = (m("6.7", VfioEmediumtype), m("6.8", VfioEmediumtype));
    assert!(old.attaches_failed > 0 && old.soft_failures == 0, "6.7: {old:?}");
    assert_eq!((new.attaches_failed, new.hard_failures), (0, 0), "6.8");
    assert!(new.soft_failures > 0 && new.domains_peak > old.domains_peak);
    assert_eq!(m("6.7", VfioType1).domains_peak, m("6.8", VfioType1).domains_peak);
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
}

#[test]
fn compare_kernels_side_by_side_in_table_json_and_html() {
    let dir = std::env::temp_dir().join(format!("iommu-sim-kernels-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("k.html");
    let scenario = root().join("scenarios/vm-four-smmuv3.ron");
    let out = bin()
        .args(["compare", scenario.to_str().unwrap(), "--kernels", "6.1,6.12,6.17", "--strategy", "vfio-type1", "--html"])
        .arg(&html)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    for col in ["vfio-type1@6.1", "vfio-type1@6.12", "vfio-type1@6.17"] {
        assert!(table.contains(col), "{table}");
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("vfio-type1@6.12"));
    assert!(page.contains("Linux 6.1 &#x2f; 6.12 &#x2f; 6.17"), "the subtitle names the kernels");
    let out = bin().args(["compare", scenario.to_str().unwrap(), "--kernels", "6.1,6.17", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = v["runs"].as_array().unwrap();
    let kernels: Vec<&str> = runs.iter().map(|r| r["kernel"].as_str().unwrap()).collect();
    assert!(kernels.contains(&"6.1") && kernels.contains(&"6.17"));
    // No iommufd before v6.2: skipped there with a note, present on 6.17.
    assert!(!runs.iter().any(|r| r["kernel"] == "6.1" && r["strategy"] == "iommufd-auto"));
    assert!(runs.iter().any(|r| r["kernel"] == "6.17" && r["strategy"] == "iommufd-auto"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("iommufd was merged in v6.2"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_kernels_and_old_names() {
    let scenario = root().join("scenarios/default.ron");
    let out = bin().args(["run", scenario.to_str().unwrap(), "--kernel", "4.19"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("older than the oldest modelled") && err.contains("proposed"), "{err}");
    let out = bin().args(["run", scenario.to_str().unwrap(), "--kernel", "6.1", "--strategy", "iommufd-auto"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "iommufd named explicitly on a kernel without it");
    let out = bin().args(["run", scenario.to_str().unwrap(), "--strategy", "hard-fail"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("deprecated"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("what-if-hard-fail"));
}

/// docs/kernel-versions.md prints exactly the code's rule table.
#[test]
fn the_reference_page_prints_the_rule_table() {
    let page = std::fs::read_to_string(root().join("docs/kernel-versions.md")).unwrap();
    let table = sim_core::linux::rules::markdown_table();
    assert!(page.contains(&table), "docs/kernel-versions.md is out of date; the table should read:\n{table}");
    for e in sim_core::linux::Era::ALL {
        assert!(page.contains(e.as_str()), "era {e} undocumented");
    }
}

/// Every bundled scenario states the kernel it models.
#[test]
fn bundled_scenarios_state_their_kernel() {
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "ron") {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(text.contains("\n    kernel: \""), "{} has no `kernel:` line", p.display());
        }
    }
}

/// v6.15.0 invalidated an accepted foreign domain only on its own SMMU: a device behind the
/// other SMMU keeps using the unmapped translation (a stale hit, not a fault).
#[test]
fn the_6_15_0_regression_leaves_stale_translations_on_the_other_smmu() {
    let text = format!(
        r#"(name: "stale", topology: "t.ron", seed: 3, duration: 1_000_000,
        containers: [Container(id: "vm0")],
        events: [
            (at: 0, op: Attach(device: "{nic}", container: "vm0")),
            (at: 1, op: Attach(device: "{nvme}", container: "vm0")),
            (at: 10, op: Map(container: "vm0", iova: 0x10_0000, size: 0x1000)),
            (at: 20, op: Dma(device: "{nvme}", iova: 0x10_0000, bytes: 4096, dir: Read)),
            (at: 30, op: Unmap(container: "vm0", iova: 0x10_0000, size: 0x1000)),
            (at: 40, op: Dma(device: "{nvme}", iova: 0x10_0000, bytes: 4096, dir: Read)),
        ])"#,
        nic = common::NIC,
        nvme = common::NVME
    );
    let s = common::arm_server_scenario("stale.ron", &text);
    let m = |k: &str| run(&with_kernel(s.clone(), k), VfioEmediumtype, 3, None).metrics;
    let (bad, fixed) = (m("6.15.0"), m("6.16"));
    // The stale 4 KiB read is 8 read-request TLPs, each translated (and so counted) on its own.
    assert_eq!((bad.domains_allocated, bad.stale_translations, bad.faults), (1, 8, 0));
    assert_eq!((fixed.domains_allocated, fixed.stale_translations, fixed.faults), (2, 0, 8));
}

/// Two C610/X99 PCH root ports (8086:8d10, 8086:8d18; no ACS capability, functions of one
/// slot) with a device each, as on the X99 of the v5.9 regression report
/// (tests/data/machines/intel-x99-pch-v5.9.ron).
const PCH_TOPOLOGY: &str = r#"Topology(
    name: "t-pch",
    iommus: [Iommu(id: "dmar0", kind: IntelVtd)],
    buses: [
        RootComplex(id: "pci0000:00", iommu: "dmar0"),
        RootPort(id: "0000:00:1c.0", parent: "pci0000:00", pci: Pci(ids: "8086:8d10", class: 0x060400, multifunction: true)),
        RootPort(id: "0000:00:1c.4", parent: "pci0000:00", pci: Pci(ids: "8086:8d18", class: 0x060400, multifunction: true)),
    ],
    devices: [
        Device(id: "0000:02:00.0", parent: "0000:00:1c.0"),
        Device(id: "0000:03:00.0", parent: "0000:00:1c.4"),
    ],
)"#;

/// Each device to its own VM.
const PCH_SCENARIO: &str = r#"(
    name: "pch-two-vms", topology: "t-pch.ron", seed: 1, duration: 1_000_000, kernel: "5.9",
    containers: [Container(id: "vm0"), Container(id: "vm1")],
    events: [
        (at: 0, op: Attach(device: "0000:02:00.0", container: "vm0")),
        (at: 1, op: Attach(device: "0000:03:00.0", container: "vm1")),
    ],
)"#;

/// A scenario's `kernel:` selects the PCI quirks its groups are formed with: under v5.9 the
/// Intel PCH ACS quirk answered "not enabled" (topology::quirks::PCH_ACS_REGRESSION), so both
/// root ports and their devices are one group and the second VM cannot have its device
/// (the group is the first VM's); v5.8 and v5.10+ isolate the ports: two groups, two domains.
/// `--kernel` (Scenario::set_kernel) rebuilds the groups the same way.
#[test]
fn a_scenario_kernel_selects_the_pch_acs_quirk_of_its_release() {
    let dir = std::env::temp_dir().join(format!("iommu-sim-pch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t-pch.ron"), PCH_TOPOLOGY).unwrap();
    let file = dir.join("s.ron");
    std::fs::write(&file, PCH_SCENARIO).unwrap();

    let s59 = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(s59.kernel.attach_rules_approximated());
    let group = |s: &Scenario, name: &str| s.platform.device(s.platform.device_by_name(name).unwrap()).group;
    assert_eq!(group(&s59, "0000:02:00.0"), group(&s59, "0000:03:00.0"));
    let m59 = run(&s59, VfioType1, 1, None).metrics;
    assert_eq!((m59.domains_allocated, m59.attaches_failed), (1, 1));

    for k in ["5.8", "5.10", "6.17"] {
        let mut s = s59.clone();
        s.set_kernel(Kernel::parse(k).unwrap()).unwrap();
        assert_ne!(group(&s, "0000:02:00.0"), group(&s, "0000:03:00.0"), "{k}");
        let m = run(&s, VfioType1, 1, None).metrics;
        assert_eq!((m.domains_allocated, m.attaches_failed), (2, 0), "{k}");
    }
    // And back: 5.9 over a 6.17 scenario regroups again.
    let mut back = s59.clone();
    back.set_kernel(Kernel::NEWEST).unwrap();
    back.set_kernel(Kernel::parse("5.9").unwrap()).unwrap();
    assert_eq!(group(&back, "0000:02:00.0"), group(&back, "0000:03:00.0"));

    // The CLI: `run --kernel 5.10` over the file's 5.9, and the note on older releases.
    let cli = |extra: &[&str]| {
        let mut args = vec!["run", file.to_str().unwrap(), "--strategy", "vfio-type1"];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_iommu-sim")).args(&args).output().unwrap()
    };
    let old = cli(&[]);
    assert!(String::from_utf8_lossy(&old.stderr).contains("attach rules are v5.19"), "{}", String::from_utf8_lossy(&old.stderr));
    let new = cli(&["--kernel", "5.10"]);
    assert_eq!(new.status.code(), Some(0), "{}", String::from_utf8_lossy(&new.stderr));
    assert_ne!(old.stdout, new.stdout);
}
