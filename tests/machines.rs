//! Real machines (tests/data/machines/, sources in its README): each capture is imported with
//! the real binary and `topology --check-groups` must find the derived IOMMU groups equal to
//! the ones the machine reported. A machine whose groups differ would have its difference
//! explained here with the kernel rule; none does today (9 full machines).

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
}

fn machines() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/machines");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".lspci"))
        .collect();
    v.sort();
    v
}

fn import(file: &std::path::Path) -> (PathBuf, String) {
    let out_dir = std::env::temp_dir().join(format!("iommu-sim-machines-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(file.file_name().unwrap()).with_extension("ron");
    let r = bin().args(["import", file.to_str().unwrap(), "-o", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}: {}", file.display(), String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    (out, text)
}

#[test]
fn every_machine_imports_and_its_groups_match_what_it_reported() {
    let files = machines();
    assert!(files.len() >= 9, "corpus has {} machines", files.len());
    for file in files {
        let (out, _) = import(&file);
        let r = bin().args(["topology", out.to_str().unwrap(), "--check-groups"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&r.stdout);
        assert_eq!(r.status.code(), Some(0), "{}:\n{stdout}", file.display());
        assert!(stdout.contains("groups match"), "{stdout}");
    }
}

/// The rules each machine exercises, checked on the derived platform so that a regression in
/// one rule names it.
#[test]
fn the_rules_the_corpus_exercises() {
    use sim_core::topology::Platform;
    let load = |name: &str| {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/machines").join(name);
        let (out, text) = import(&file);
        Platform::parse(&out, &text).unwrap()
    };
    let group_of = |p: &Platform, name: &str| {
        p.device_by_name(name).map(|d| p.device(d).group).or_else(|| p.bus_by_name(name).and_then(|b| p.bus(b).group)).unwrap()
    };

    let x570 = load("amd-ryzen-x570-asrock-x570d4u.lspci.txt");
    // A chipset downstream port without ACS: the port and every function below share a group.
    for f in ["0000:2a:00.0", "0000:2a:00.1", "0000:2a:00.3"] {
        assert_eq!(group_of(&x570, f), group_of(&x570, "0000:21:08.0"), "{f}");
    }
    // The PCIe-to-PCI bridge and the VGA behind it: one requester id.
    assert_eq!(group_of(&x570, "0000:29:00.0"), group_of(&x570, "0000:28:00.0"));
    // 82599 functions have no ACS capability; the kernel's multifunction-endpoint quirk
    // (8086:10fb in pci_dev_acs_enabled[]) keeps them apart.
    assert_ne!(group_of(&x570, "0000:2d:00.0"), group_of(&x570, "0000:2d:00.1"));
    let f = x570.device(x570.device_by_name("0000:2d:00.0").unwrap()).func.clone().unwrap();
    assert!(f.acs_quirk.is_some_and(|q| q.contains("pci_quirk_mf_endpoint_acs")), "{f:?}");
    // Conventional multifunction FCH functions share a group.
    assert_eq!(group_of(&x570, "0000:00:14.0"), group_of(&x570, "0000:00:14.3"));
    // An ACS capability with every bit zero counts as enabled (nothing to enable).
    assert_ne!(group_of(&x570, "0000:30:00.0"), group_of(&x570, "0000:30:00.1"));

    let altra = load("ampere-altra-asrock-altrad8.lspci.txt");
    // Every root port with ACS isolates what is below it, across 8 segments.
    assert_ne!(group_of(&altra, "0003:03:00.0"), group_of(&altra, "0003:03:00.1"));
    assert_ne!(group_of(&altra, "0003:01:00.0"), group_of(&altra, "0003:00:01.0"));

    let epyc = load("amd-epyc-milan-asrock-romed8-2t.lspci.txt");
    // Internal GPP bridges implement only SrcValid and TransBlk: pci_acs_flags_enabled masks
    // REQ_ACS_FLAGS by the capability, so SV alone (enabled) is enough and the NBIF functions
    // below are isolated; those functions have ACS capabilities with no bits (nothing to
    // enable), so each multifunction sibling is alone too.
    assert_ne!(group_of(&epyc, "0000:40:07.1"), group_of(&epyc, "0000:46:00.0"));
    assert_ne!(group_of(&epyc, "0000:46:00.0"), group_of(&epyc, "0000:46:00.2"));
    // A switch downstream port with ACS isolates the GPU's functions from the port.
    assert_ne!(group_of(&epyc, "0000:82:00.0"), group_of(&epyc, "0000:83:00.0"));
    // The AST1150 bridge and the VGA behind it share one requester id.
    assert_eq!(group_of(&epyc, "0000:44:00.0"), group_of(&epyc, "0000:45:00.0"));

    let b650 = load("amd-ryzen7000-b650-asrock-b650d4u.lspci.txt");
    // Promontory 21 downstream ports have no ACS capability: the port, the AST1150 bridge and
    // the VGA below share one group; sibling ports stay apart (the upstream port's bus is
    // behind an ACS root port, and a port is not multifunction).
    assert_eq!(group_of(&b650, "0000:03:03.0"), group_of(&b650, "0000:08:00.0"));
    assert_ne!(group_of(&b650, "0000:03:00.0"), group_of(&b650, "0000:03:01.0"));
    assert_eq!(group_of(&b650, "0000:03:01.0"), group_of(&b650, "0000:05:00.0"));

    let w680 = load("intel-raptorlake-w680-asrock-w680d4u.lspci.txt");
    // PCH functions without a PCIe capability in one slot share a group.
    assert_eq!(group_of(&w680, "0000:00:1f.0"), group_of(&w680, "0000:00:1f.5"));
    assert_ne!(group_of(&w680, "0000:00:1f.0"), group_of(&w680, "0000:00:1c.0"));

    let x10 = load("intel-xeon-e3v3-c226-supermicro-x10slh.lspci.txt");
    // Haswell CPU root ports 00:01.0/00:01.1: multifunction, no ACS capability, no quirk →
    // one group with everything below them.
    for f in ["0000:00:01.1", "0000:01:00.0", "0000:01:00.1", "0000:02:00.0"] {
        assert_eq!(group_of(&x10, f), group_of(&x10, "0000:00:01.0"), "{f}");
    }
    // Lynx Point PCH root ports: no ACS capability either, but the Intel PCH ACS quirk
    // (pci_quirk_intel_pch_acs, 8086:8c10..8c1e) isolates them.
    let pch = x10.bus(x10.bus_by_name("0000:00:1c.0").unwrap()).func.clone().unwrap();
    assert!(pch.acs_quirk.is_some_and(|q| q.contains("pci_quirk_intel_pch_acs")), "{pch:?}");
    assert_ne!(group_of(&x10, "0000:00:1c.0"), group_of(&x10, "0000:00:1c.2"));
    // SR-IOV: 16 enabled 82599 VFs on bus 08 (PF offset 384, stride 2), each alone although
    // eight share a slot, and apart from their PFs (themselves apart by the MF-endpoint quirk).
    let vf = x10.device(x10.device_by_name("0000:08:10.1").unwrap()).func.clone().unwrap();
    assert!(vf.physfn.is_some() && !vf.multifunction, "{vf:?}");
    assert_ne!(group_of(&x10, "0000:08:10.0"), group_of(&x10, "0000:08:10.2"));
    assert_ne!(group_of(&x10, "0000:08:10.0"), group_of(&x10, "0000:07:00.0"));
    assert_ne!(group_of(&x10, "0000:07:00.0"), group_of(&x10, "0000:07:00.1"));

    let drh = load("intel-xeon-e5v3-c612-supermicro-x10drh.lspci.txt");
    // Haswell-EP root-complex integrated endpoints (IOAT DMA 00:04.0-7, VT-d/RAS 00:05.x) and
    // the C612 SPSR/sSATA (00:11.0/.4) are multifunction without an ACS capability, yet each is
    // reported alone: Intel's pci_quirk_rciep_acs (any Intel RCiEP) answers "isolated". The
    // first import found them grouped per slot until the quirk was modelled.
    for (a, b) in [("0000:00:04.0", "0000:00:04.7"), ("0000:00:05.0", "0000:00:05.4"), ("0000:00:11.0", "0000:00:11.4")] {
        assert_ne!(group_of(&drh, a), group_of(&drh, b), "{a} {b}");
    }
    let dma = drh.device(drh.device_by_name("0000:00:04.0").unwrap()).func.clone().unwrap();
    assert!(dma.acs_quirk.is_some_and(|q| q.contains("pci_quirk_rciep_acs")), "{dma:?}");
    // The uncore on bus ff has no PCIe capabilities: each multifunction slot is one group
    // (its first functions' device ids are cut short in the listing, "[8086...": the group
    // rule does not need them).
    assert_eq!(group_of(&drh, "0000:ff:13.0"), group_of(&drh, "0000:ff:13.7"));
    let cut = drh.device(drh.device_by_name("0000:ff:13.0").unwrap()).func.clone().unwrap();
    assert!(cut.ids.is_none(), "{cut:?}");
    let whole = drh.device(drh.device_by_name("0000:ff:13.2").unwrap()).func.clone().unwrap();
    assert_eq!(whole.ids, Some((0x8086, 0x2faa)));
    assert_ne!(group_of(&drh, "0000:ff:13.0"), group_of(&drh, "0000:ff:16.0"));
    // C612 PCH root ports 8d10/8d18: isolated by pci_quirk_intel_pch_acs.
    assert_ne!(group_of(&drh, "0000:00:1c.0"), group_of(&drh, "0000:00:1c.4"));

    let rome = load("amd-epyc-rome-asrock-romed8-2t.lspci.txt");
    // EPYC 7002 (Rome IOMMU 1022:1481), four root complexes: the same board as the Milan
    // machine, another generation. GPP bridges with SrcValid/TransBlk only isolate the NBIF
    // functions below them, each of which is alone (ACS capability with no bits).
    assert_ne!(group_of(&rome, "0000:40:08.1"), group_of(&rome, "0000:46:00.0"));
    assert_ne!(group_of(&rome, "0000:46:00.0"), group_of(&rome, "0000:46:00.1"));
    // A BCM57416 (14e4:16d8) has no ACS capability and no quirk entry: its two functions share
    // a group (pci_device_group's multifunction alias walk), as reported (group 49).
    assert_eq!(group_of(&rome, "0000:42:00.0"), group_of(&rome, "0000:42:00.1"));
    assert_ne!(group_of(&rome, "0000:42:00.0"), group_of(&rome, "0000:40:01.3"));
    // RTX 3090 VGA + audio behind an ACS root port: one group, apart from the port.
    assert_eq!(group_of(&rome, "0000:81:00.0"), group_of(&rome, "0000:81:00.1"));
    assert_ne!(group_of(&rome, "0000:81:00.0"), group_of(&rome, "0000:80:01.1"));
    // The AST1150 PCIe-to-PCI bridge and the VGA behind it: one requester id.
    assert_eq!(group_of(&rome, "0000:43:00.0"), group_of(&rome, "0000:44:00.0"));

    let skx = load("intel-xeon-skylake-sp-c620-dell-r740.lspci.txt");
    // Xeon Scalable: every root complex integrated endpoint of the uncore (VT-d, RAS, IOxAPIC,
    // IMC, UPI/KTI, M3KTI) is alone by pci_quirk_rciep_acs, while the conventional functions of
    // the same slots (no PCIe capability: not RC_END, no quirk applies) share one group.
    assert_ne!(group_of(&skx, "0000:00:08.0"), group_of(&skx, "0000:00:08.1"));
    assert_ne!(group_of(&skx, "0000:00:08.1"), group_of(&skx, "0000:00:08.2"));
    assert_ne!(group_of(&skx, "0000:5d:12.0"), group_of(&skx, "0000:5d:12.1"));
    assert_eq!(group_of(&skx, "0000:5d:12.1"), group_of(&skx, "0000:5d:12.2"));
    assert_eq!(group_of(&skx, "0000:5d:12.1"), group_of(&skx, "0000:5d:12.5"));
    assert_ne!(group_of(&skx, "0000:5d:12.1"), group_of(&skx, "0000:5d:12.4"));
    // CHA registers: conventional, eight per slot, one group per slot.
    assert_eq!(group_of(&skx, "0000:17:08.0"), group_of(&skx, "0000:17:08.7"));
    assert_ne!(group_of(&skx, "0000:17:08.0"), group_of(&skx, "0000:17:09.0"));
    // C620 (Lewisburg) root ports 8086:a190/a194 match no PCH ACS quirk id: 00:1c.0 has no ACS
    // capability and an empty bus (its own group); 00:1c.4 has one without UpstreamFwd, which
    // the kernel masks away (pci_acs_flags_enabled), so the PLDA PCIe-to-PCI bridge and the
    // Matrox VGA behind it form their own group.
    assert_ne!(group_of(&skx, "0000:00:1c.0"), group_of(&skx, "0000:00:1c.4"));
    assert_ne!(group_of(&skx, "0000:00:1c.4"), group_of(&skx, "0000:02:00.0"));
    assert_eq!(group_of(&skx, "0000:02:00.0"), group_of(&skx, "0000:03:00.0"));
    // Two BCM5720 (no ACS, no quirk) behind CPU root ports: each pair shares a group.
    assert_eq!(group_of(&skx, "0000:18:00.0"), group_of(&skx, "0000:18:00.1"));
    assert_ne!(group_of(&skx, "0000:18:00.0"), group_of(&skx, "0000:19:00.0"));
    // One VT-d unit per IIO stack that shows its VT-d register function (8086:2024/2034):
    // 8 stacks on two sockets, each root bus on its own unit.
    assert_eq!(skx.iommus.len(), 8);
    let unit = |name: &str| skx.device(skx.device_by_name(name).unwrap()).iommu;
    assert_ne!(unit("0000:18:00.0"), unit("0000:3b:00.0"));
    assert_ne!(unit("0000:17:05.0"), unit("0000:85:05.0"));
    assert_eq!(unit("0000:18:00.0"), unit("0000:17:05.0"));
}

/// The v5.9 Intel PCH ACS regression on the reporter's X99 machine: under v5.9 every function
/// behind the PCH root ports shares one group (the reported one); before and after it the
/// ports are isolated by the quirk and the groups are the ones the v5.8 listing shows.
#[test]
fn the_x99_pch_regression_of_v5_9_as_reported() {
    use sim_core::topology::Platform;
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/machines/intel-x99-pch-v5.9.ron");
    let text = std::fs::read_to_string(&file).unwrap();
    let v59 = Platform::parse_for_kernel(&file, &text, Some((5, 9))).unwrap();
    assert!(sim_core::topology::check::differences(&v59).is_empty(), "{:?}", sim_core::topology::check::differences(&v59));
    let groups = |p: &Platform, names: &[&str]| -> Vec<u32> {
        names
            .iter()
            .map(|n| {
                p.device_by_name(n)
                    .map(|d| p.device(d).group.0)
                    .or_else(|| p.bus_by_name(n).and_then(|b| p.bus(b).group).map(|g| g.0))
                    .unwrap()
            })
            .collect()
    };
    for kernel in [Some((5, 8)), None] {
        let p = Platform::parse_for_kernel(&file, &text, kernel).unwrap();
        let g = groups(&p, &["0000:08:01.0", "0000:09:00.0", "0000:0c:00.0", "0000:0d:00.0", "0000:00:1c.0"]);
        assert_eq!(g[0], g[1], "{kernel:?}: I211 shares the non-ACS switch port's group");
        assert!(g[1] != g[2] && g[2] != g[3] && g[3] != g[4] && g[1] != g[4], "{kernel:?}: {g:?}");
    }
    // The CLI: as v5.9 the reported groups match; as a current kernel the merge is reported.
    let r = bin().args(["topology", file.to_str().unwrap(), "--check-groups", "--kernel", "5.9.1"]).output().unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stdout));
    let r = bin().args(["topology", file.to_str().unwrap(), "--check-groups"]).output().unwrap();
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stdout).contains("reported group 29"), "{}", String::from_utf8_lossy(&r.stdout));
    let r = bin().args(["topology", file.to_str().unwrap(), "--kernel", "five"]).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
}
