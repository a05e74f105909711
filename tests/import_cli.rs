//! `iommu-sim import` end to end: a synthetic sysfs capture (directory and tarball) and lspci
//! text become topologies whose derived groups match the reported ones
//! (`topology --check-groups` exit 0), a changed reported group is found (exit 1), and every
//! kind of bad capture exits 2 naming the file and what is wrong.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("iommu-sim-import-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run iommu-sim")
}

/// A 4096-byte config space. `pcie`: PCIe device/port type code or None (conventional);
/// `acs`: (cap, ctrl); `bridge`: (secondary, subordinate).
fn config(vendor: u16, device: u16, class: u32, mf: bool, pcie: Option<u8>, acs: Option<(u16, u16)>, bridge: Option<(u8, u8)>) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    b[0..2].copy_from_slice(&vendor.to_le_bytes());
    b[2..4].copy_from_slice(&device.to_le_bytes());
    b[0x09] = class as u8;
    b[0x0a] = (class >> 8) as u8;
    b[0x0b] = (class >> 16) as u8;
    b[0x0e] = u8::from(bridge.is_some()) | if mf { 0x80 } else { 0 };
    if let Some((sec, sub)) = bridge {
        b[0x19] = sec;
        b[0x1a] = sub;
    }
    if let Some(t) = pcie {
        b[6] = 0x10;
        b[0x34] = 0x40;
        b[0x40] = 0x10;
        b[0x42] = (t << 4) | 2;
        if let Some((cap, ctrl)) = acs {
            b[0x100..0x104].copy_from_slice(&0x0001_000du32.to_le_bytes());
            b[0x104..0x106].copy_from_slice(&cap.to_le_bytes());
            b[0x106..0x108].copy_from_slice(&ctrl.to_le_bytes());
        }
    }
    b
}

/// Writes a capture of a small Intel desktop: an ACS root port with a two-function NIC
/// without ACS, and a PCH root port (8086:a110, Sunrise Point, ACS capability present) with
/// an NVMe drive; the host bridge, with no group. Returns the capture directory.
fn desktop_capture(dir: &Path, groups: &[(&str, u32)]) -> PathBuf {
    let root = dir.join("capture");
    let devs: [(&str, &str, Vec<u8>); 6] = [
        ("0000:00:00.0", "", config(0x8086, 0x3e30, 0x060000, false, None, None, None)),
        ("0000:00:01.0", "", config(0x8086, 0x1901, 0x060400, false, Some(4), Some((0x5f, 0x1d)), Some((1, 1)))),
        ("0000:01:00.0", "0000:00:01.0/", config(0x8086, 0x1572, 0x020000, true, Some(0), None, None)),
        ("0000:01:00.1", "0000:00:01.0/", config(0x8086, 0x1572, 0x020000, true, Some(0), None, None)),
        ("0000:00:1c.0", "", config(0x8086, 0xa110, 0x060400, true, Some(4), Some((0x1f, 0x00)), Some((2, 2)))),
        ("0000:02:00.0", "0000:00:1c.0/", config(0x144d, 0xa808, 0x010802, false, Some(0), None, None)),
    ];
    std::fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
    std::fs::create_dir_all(root.join("class/iommu")).unwrap();
    std::fs::create_dir_all(root.join("devices/virtual/iommu/dmar0")).unwrap();
    std::fs::write(root.join("iommu-sim-capture"), "iommu-sim capture 1\n").unwrap();
    symlink("../../devices/virtual/iommu/dmar0", root.join("class/iommu/dmar0")).unwrap();
    for (bdf, parent, cfg) in devs {
        let rel = format!("devices/pci0000:00/{parent}{bdf}");
        let d = root.join(&rel);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("config"), cfg).unwrap();
        if bdf == "0000:00:01.0" {
            // The kernel's `resource` file (captures since it was added): BAR 0 memory.
            let zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
            let res = format!("0x00000000f7200000 0x00000000f7200fff 0x0000000000040200\n{}", zero.repeat(12));
            std::fs::write(d.join("resource"), res).unwrap();
        }
        let up = "../".repeat(rel.matches('/').count() + 1);
        symlink(format!("../../../{rel}"), root.join("bus/pci/devices").join(bdf)).unwrap();
        if let Some((_, g)) = groups.iter().find(|(b, _)| *b == bdf) {
            symlink(format!("{up}devices/virtual/iommu/dmar0"), d.join("iommu")).unwrap();
            let gdir = root.join(format!("kernel/iommu_groups/{g}/devices"));
            std::fs::create_dir_all(&gdir).unwrap();
            symlink(format!("{up}kernel/iommu_groups/{g}"), d.join("iommu_group")).unwrap();
            symlink(format!("../../../../{rel}"), gdir.join(bdf)).unwrap();
        }
    }
    root
}

const GROUPS: [(&str, u32); 5] = [("0000:00:01.0", 1), ("0000:01:00.0", 2), ("0000:01:00.1", 2), ("0000:00:1c.0", 3), ("0000:02:00.0", 4)];

#[test]
fn a_sysfs_capture_imports_and_its_groups_check() {
    let dir = tmp("sysfs");
    let cap = desktop_capture(&dir, &GROUPS);
    let out_file = dir.join("desk.ron");
    let out = run(&["import", cap.to_str().unwrap(), "-o", out_file.to_str().unwrap(), "--name", "desk"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let ron = std::fs::read_to_string(&out_file).unwrap();
    assert!(ron.contains("Iommu(id: \"dmar0\", kind: IntelVtd)"), "{ron}");
    assert!(ron.contains("RootPort(id: \"0000:00:1c.0\", parent: \"pci0000:00\", pci: Pci(ids: \"8086:a110\""), "{ron}");
    assert!(ron.contains("left out: 0000:00:00.0 [8086:3e30]"), "{ron}");
    // `mmio` from the `resource` file where the capture has one (`pci_has_mmio`).
    assert!(ron.contains("bus_range: (0x01, 0x01), mmio: true)"), "{ron}");
    assert!(ron.contains("bus_range: (0x02, 0x02))"), "no resource file, no mmio: {ron}");
    let check = run(&["topology", out_file.to_str().unwrap(), "--check-groups"]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("groups match: 5 PCI functions in 4 reported groups"), "{stdout}");
    // The PCH port is isolated by the Sunrise Point quirk although its ACS control is zero.
    let listing = String::from_utf8_lossy(&run(&["topology", out_file.to_str().unwrap()]).stdout).into_owned();
    assert!(listing.contains("0000:00:1c.0  RootPort [group"), "{listing}");

    // A machine that reported something else: the difference is printed, exit 1.
    let dir2 = tmp("sysfs-diff");
    let cap2 =
        desktop_capture(&dir2, &[("0000:00:01.0", 1), ("0000:01:00.0", 2), ("0000:01:00.1", 5), ("0000:00:1c.0", 3), ("0000:02:00.0", 4)]);
    let f2 = dir2.join("d.ron");
    assert_eq!(run(&["import", cap2.to_str().unwrap(), "-o", f2.to_str().unwrap()]).status.code(), Some(0));
    let check = run(&["topology", f2.to_str().unwrap(), "--check-groups"]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("merges reported group 2 [0000:01:00.0], reported group 5 [0000:01:00.1]"), "{stdout}");
}

/// Older kernels have `iommu_group` links but no `iommu` link: the units come from
/// /sys/class/iommu and the groups still check.
#[test]
fn a_capture_without_iommu_links_uses_the_class_iommu_units() {
    let dir = tmp("no-iommu-links");
    let cap = desktop_capture(&dir, &GROUPS);
    for (bdf, _) in GROUPS {
        let parent = if bdf.starts_with("0000:00:") {
            String::new()
        } else if bdf.starts_with("0000:01:") {
            "0000:00:01.0/".into()
        } else {
            "0000:00:1c.0/".into()
        };
        std::fs::remove_file(cap.join(format!("devices/pci0000:00/{parent}{bdf}/iommu"))).unwrap();
    }
    let f = dir.join("t.ron");
    let out = run(&["import", cap.to_str().unwrap(), "-o", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&f).unwrap().contains("RootComplex(id: \"pci0000:00\", iommu: \"dmar0\")"));
    assert_eq!(run(&["topology", f.to_str().unwrap(), "--check-groups"]).status.code(), Some(0));
}

#[test]
fn a_tarball_capture_from_the_capture_script_layout_imports() {
    let dir = tmp("tar");
    let cap = desktop_capture(&dir, &GROUPS);
    let tarball = dir.join("cap.tar.gz");
    let st = Command::new("tar").arg("-C").arg(&dir).arg("-czf").arg(&tarball).arg(cap.file_name().unwrap()).status().unwrap();
    assert!(st.success());
    let out = run(&["import", tarball.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Group(id: 2, members: [\"0000:01:00.0\", \"0000:01:00.1\"])"));
}

#[test]
fn lspci_text_imports_and_checks() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/lspci-small.txt");
    let dir = tmp("lspci");
    let out_file = dir.join("small.ron");
    let out = run(&["import", file.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let check = run(&["topology", out_file.to_str().unwrap(), "--check-groups"]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
}

/// Expects exit 2 with every `needles` in the message.
fn refused(capture: &Path, needles: &[&str]) {
    let out = run(&["import", capture.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", capture.display());
    assert!(stderr.starts_with("error: ") && !stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "expected `{n}` in: {stderr}");
    }
}

#[test]
fn bad_captures_exit_2_naming_the_file_and_the_problem() {
    // Truncated config space.
    let dir = tmp("bad-trunc");
    let cap = desktop_capture(&dir, &GROUPS);
    std::fs::write(cap.join("devices/pci0000:00/0000:00:01.0/0000:01:00.0/config"), [0x86, 0x80, 0x72]).unwrap();
    refused(&cap, &["0000:01:00.0/config", "truncated config space: 3 bytes"]);

    // Unknown capability id.
    let dir = tmp("bad-capid");
    let cap = desktop_capture(&dir, &GROUPS);
    let mut c = config(0x8086, 0x1572, 0x020000, true, Some(0), None, None);
    c[0x40] = 0x99;
    std::fs::write(cap.join("devices/pci0000:00/0000:00:01.0/0000:01:00.0/config"), c).unwrap();
    refused(&cap, &["0000:01:00.0/config", "unknown capability id 0x99"]);

    // Dangling link: a group directory missing.
    let dir = tmp("bad-dangling");
    let cap = desktop_capture(&dir, &GROUPS);
    std::fs::remove_dir_all(cap.join("kernel/iommu_groups/4")).unwrap();
    refused(&cap, &["0000:02:00.0/iommu_group", "dangling link"]);

    // Cycle: a link that points at itself through another.
    let dir = tmp("bad-cycle");
    let cap = desktop_capture(&dir, &GROUPS);
    let d = cap.join("devices/pci0000:00/0000:00:1c.0/0000:02:00.0");
    std::fs::remove_file(d.join("iommu")).unwrap();
    symlink("iommu2", d.join("iommu")).unwrap();
    symlink("iommu", d.join("iommu2")).unwrap();
    refused(&cap, &["0000:02:00.0/iommu", "cycle"]);

    // A link leaving the capture.
    let dir = tmp("bad-outside");
    let cap = desktop_capture(&dir, &GROUPS);
    std::fs::remove_file(cap.join("bus/pci/devices/0000:02:00.0")).unwrap();
    symlink("../../../../../../../etc", cap.join("bus/pci/devices/0000:02:00.0")).unwrap();
    refused(&cap, &["bus/pci/devices/0000:02:00.0", "outside the capture"]);

    // Duplicate addresses in lspci text.
    let dir = tmp("bad-dup");
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/lspci-small.txt")).unwrap();
    let first = text.split("\n\n").next().unwrap();
    let f = dir.join("dup.txt");
    std::fs::write(&f, format!("{text}\n{first}\n")).unwrap();
    refused(&f, &["dup.txt", "duplicate PCI address 0000:00:00.0"]);

    // Capabilities hidden (lspci not run as root).
    let f = dir.join("user.txt");
    std::fs::write(
        &f,
        "00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a110]\n\tIOMMU group: 3\n\tCapabilities: <access denied>\n",
    )
    .unwrap();
    refused(&f, &["user.txt:3", "sudo lspci -vvv -nn"]);

    // A tarball with an entry outside it.
    let f = dir.join("evil.tar");
    std::fs::write(&f, tar_with_entry("../evil", b"x")).unwrap();
    refused(&f, &["evil.tar:../evil", "leaves the capture"]);
    // Nothing was written next to the archive.
    assert!(!dir.parent().unwrap().join("evil").exists());
}

/// A one-entry ustar archive written by hand (the tar crate refuses `..` in paths, as it
/// should; a hostile archive would not).
fn tar_with_entry(name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(512 * 2, 0);
    out.resize(512 * 4, 0);
    out
}

/// `lspci -xxxx` hex dumps inside the blocks are parsed as config space and win over the
/// decoded text (the multifunction bit comes from the header); a bad one names the line.
#[test]
fn lspci_hex_dumps_are_config_space() {
    let hex = |cfg: &[u8]| -> String {
        cfg.chunks(16)
            .enumerate()
            .map(|(i, c)| format!("{:03x}: {}\n", i * 16, c.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")))
            .collect()
    };
    // A multifunction endpoint alone in its slot: only the header can say it is multifunction.
    let nic = config(0x8086, 0x1572, 0x020000, true, Some(9), None, None);
    let text = format!(
        "00:03.0 Ethernet controller [0200]: Intel Corporation Ethernet Controller X710 [8086:1572]\n\tIOMMU group: 4\n{}\n",
        hex(&nic)
    );
    let dir = tmp("hex");
    let f = dir.join("hex.txt");
    std::fs::write(&f, &text).unwrap();
    let out = run(&["import", f.to_str().unwrap()]);
    let ron = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(ron.contains("multifunction: true") && ron.contains("pcie: RcEndpoint"), "{ron}");
    assert!(!ron.contains("taken as"), "no multifunction guess when the header is known: {ron}");

    let mut bad = nic.clone();
    bad[0x40] = 0x42;
    std::fs::write(&f, text.replace(&hex(&nic), &hex(&bad))).unwrap();
    refused(&f, &["hex.txt:1", "0000:00:03.0: hex config space: unknown capability id 0x42"]);
}

/// A device or an endless stream given as the capture is refused once it passes the size
/// limit, never read whole (it used to read `/dev/zero` forever).
#[test]
fn an_endless_capture_is_refused_not_read_forever() {
    let o = run(&["import", "/dev/zero", "-o", tmp("zero").join("out.ron").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("/dev/zero") && err.contains("not a capture"), "{err}");
}
