//! The text of `lspci -vvv -nn` (run as root, so capabilities are shown), optionally with
//! `lspci -xxxx` hex dumps in the blocks, `lspci -t`, and an "IOMMU Group N" listing (the
//! loop over /sys/kernel/iommu_groups that guides print). What decides groups is read from the
//! decoded text: header `[class]` and `[vendor:device]`, "Bus: primary=.., secondary=..,
//! subordinate=..", "Express (vN) <type>", the ACS "ACSCap:/ACSCtl:" bits, ATS, SR-IOV and
//! "IOMMU group: N". A hex dump, when present, is parsed as config space and wins.
//!
//! What the text lacks, and the assumption made (written as notes into the topology): the
//! header's multifunction bit, taken as "the slot holds more than one function"; IOMMU units,
//! one unit for the whole machine, of the kind the host bridge's vendor implies (Intel VT-d,
//! AMD-Vi, else SMMUv3) unless `--iommu` says, or one VT-d unit per Xeon Scalable IIO stack
//! whose VT-d register function the listing shows; parents, from the bridges' secondary buses.

use std::collections::BTreeMap;

use super::config::{self, ConfigInfo};
use super::{Function, Machine, Parent, bad};
use crate::error::InputError;
use crate::iommu::IommuKind;
use crate::topology::Bdf;
use crate::topology::pci::{AcsSpec, PcieType, SriovSpec};

/// Device ids of the per-IIO-stack VT-d register functions of Xeon Scalable (Skylake-SP and
/// Cascade Lake share them): 2024 "Sky Lake-E MM/Vt-d Configuration Registers" (CSTACK, bus 00 of
/// a socket), 2034 "Sky Lake-E VT-d" (PCIe stacks), as a Dell R740's listing names them. Later
/// generations (Ice Lake-SP, Sapphire Rapids) use other ids, not listed here (unverified).
const VTD_STACK_REGISTERS: [u16; 2] = [0x2024, 0x2034];

/// A device header line's address: `BB:DD.F` or `SSSS:BB:DD.F` at column 0.
fn header_bdf(line: &str) -> Option<Bdf> {
    let word = line.split_whitespace().next()?;
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    Bdf::parse(word).or_else(|| Bdf::parse(&format!("0000:{word}")))
}

/// `[xxxx]` groups of hex in a line, in order.
fn bracketed(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('[') {
        let Some(len) = rest[start + 1..].find(']') else { break };
        out.push(&rest[start + 1..start + 1 + len]);
        rest = &rest[start + 1 + len..];
    }
    out
}

/// ACS bits from "SrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-".
fn acs_bits(text: &str) -> u16 {
    const NAMES: [(&str, u16); 7] = [
        ("SrcValid+", 1),
        ("TransBlk+", 2),
        ("ReqRedir+", 4),
        ("CmpltRedir+", 8),
        ("UpstreamFwd+", 16),
        ("EgressCtrl+", 32),
        ("DirectTrans+", 64),
    ];
    NAMES.iter().filter(|(n, _)| text.split_whitespace().any(|w| w == *n)).map(|(_, b)| b).sum()
}

/// What a resource line of `lspci -v` says for `pci_has_mmio` (the kernel's BARs 0-5 and the
/// ROM with a memory type; lspci ls-header/show_bases): `Region N: Memory at ..` (assigned or
/// not, `[virtual]`/`[disabled]` included) and `Expansion ROM at ..` are memory; `Region N: I/O
/// ports at ..` is not; a bridge's `I/O|Memory|Prefetchable memory behind bridge` window lines
/// are not BARs but show the resources were printed. `None`: not a resource line. (The VF BARs
/// an SR-IOV capability lists as `Region N:` are not the function's own: the caller skips them.)
fn bar_line(t: &str) -> Option<bool> {
    if t.starts_with("Region ") {
        return Some(t.split_once(": ").is_some_and(|(_, r)| r.starts_with("Memory at")));
    }
    if t.starts_with("Expansion ROM at") {
        return Some(true);
    }
    (t.starts_with("I/O behind bridge") || t.starts_with("Memory behind bridge") || t.starts_with("Prefetchable memory behind bridge"))
        .then_some(false)
}

fn express_type(text: &str) -> Option<PcieType> {
    // After "Express (v2) " or "Express " come the type words lspci prints (ls-caps.c cap_express).
    let t = text.split_once(") ").map_or(text, |(_, r)| r);
    Some(match () {
        _ if t.starts_with("Root Port") => PcieType::RootPort,
        _ if t.starts_with("Upstream Port") => PcieType::Upstream,
        _ if t.starts_with("Downstream Port") => PcieType::Downstream,
        _ if t.starts_with("Legacy Endpoint") => PcieType::LegacyEndpoint,
        _ if t.starts_with("Root Complex Integrated Endpoint") => PcieType::RcEndpoint,
        _ if t.starts_with("Root Complex Event Collector") => PcieType::RcEventCollector,
        _ if t.starts_with("PCI-Express to PCI/PCI-X Bridge") => PcieType::PcieToPciBridge,
        _ if t.starts_with("PCI/PCI-X to PCI-Express Bridge") => PcieType::PciToPcieBridge,
        _ if t.starts_with("Endpoint") => PcieType::Endpoint,
        _ => return None,
    })
}

fn num_after(text: &str, key: &str) -> Option<u16> {
    let rest = &text[text.find(key)? + key.len()..];
    let w: String = rest.trim_start().chars().take_while(|c| c.is_ascii_hexdigit() || *c == 'x').collect();
    w.parse().ok()
}

/// Parses the text into a machine. `shown` names the file in messages.
pub fn parse(shown: &str, text: &str, name: &str, kind: Option<IommuKind>) -> Result<Machine, InputError> {
    let mut funcs: Vec<(Bdf, ConfigInfo, Option<u32>, bool, usize)> = Vec::new();
    let mut ids_unknown: std::collections::BTreeSet<Bdf> = std::collections::BTreeSet::new();
    let mut listed_groups: BTreeMap<Bdf, u32> = BTreeMap::new();
    let mut current_listing: Option<u32> = None;
    let mut saw_tree = false;
    let mut hex: BTreeMap<usize, u8> = BTreeMap::new();
    let mut in_acs = false;
    let mut in_sriov = false;
    let at = |n: usize| format!("{shown}:{n}");

    // Finishes the block in progress: a hex dump, when there is one, replaces the decoded text.
    let finish = |funcs: &mut Vec<(Bdf, ConfigInfo, Option<u32>, bool, usize)>, hex: &mut BTreeMap<usize, u8>| -> Result<(), InputError> {
        if hex.is_empty() {
            return Ok(());
        }
        let Some(last) = funcs.last_mut() else { return Ok(()) };
        let len = hex.keys().next_back().map_or(0, |k| k + 1);
        let mut bytes = vec![0u8; len];
        for (k, v) in hex.iter() {
            bytes[*k] = *v;
        }
        hex.clear();
        let mut c = config::parse(&bytes).map_err(|e| {
            bad(at(last.4), {
                let b = last.0;
                format!("{:04x}:{:02x}:{:02x}.{:x}: hex config space: {e}", b.segment, b.bus, b.device, b.function)
            })
        })?;
        // What the decoded text said of the BARs stays (config space cannot size them).
        c.mmio = last.1.mmio;
        last.1 = c;
        last.3 = true;
        Ok(())
    };

    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        let t = line.trim_start();
        if t.starts_with("IOMMU Group ") || t.starts_with("IOMMU group ") && !line.starts_with('\t') {
            let rest = &t["IOMMU Group ".len()..];
            let num: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let g = num.parse::<u32>().map_err(|_| bad(at(n), "IOMMU Group without a number"))?;
            current_listing = Some(g);
            let after = rest[num.len()..].trim_start_matches(':').trim();
            if let Some(b) = after.split_whitespace().next().and_then(|w| Bdf::parse(w).or_else(|| Bdf::parse(&format!("0000:{w}")))) {
                listed_groups.insert(b, g);
            }
            continue;
        }
        if let (Some(g), true) = (current_listing, line.starts_with(char::is_whitespace))
            && let Some(b) = t.split_whitespace().next().and_then(|w| Bdf::parse(w).or_else(|| Bdf::parse(&format!("0000:{w}"))))
            && (funcs.is_empty() || !t.contains(':') || t.split_whitespace().next().is_some_and(|w| w.contains('.')))
        {
            listed_groups.insert(b, g);
            continue;
        }
        if t.starts_with("-[") || t.starts_with("+-[") || t.starts_with("\\-[") {
            saw_tree = true;
            current_listing = None;
            continue;
        }
        if let Some(bdf) = header_bdf(line) {
            current_listing = None;
            finish(&mut funcs, &mut hex)?;
            in_acs = false;
            in_sriov = false;
            let br = bracketed(line);
            let class_code = br.first().and_then(|c| u32::from_str_radix(c, 16).ok()).filter(|_| br.first().is_some_and(|c| c.len() == 4));
            let mut ids = br.iter().rev().find_map(|b| crate::topology::parse_ids(b));
            // lspci cuts a long name, bracket included: "... Registers [8086... (rev 02)".
            // The vendor survives; the device id does not (the function is kept without ids).
            if ids.is_none()
                && let Some(v) = line.rfind('[').map(|p| &line[p + 1..]).filter(|r| r.len() > 7 && &r[4..7] == "...")
                && let Ok(vendor) = u16::from_str_radix(&v[..4], 16)
            {
                ids = Some((vendor, 0));
                ids_unknown.insert(bdf);
            }
            let (Some(class_code), Some((vendor, device))) = (class_code, ids) else {
                return Err(bad(at(n), "device line lacks `[class]` or `[vendor:device]`: run `lspci -vvv -nn` (with -nn)"));
            };
            let prog_if = line.find("(prog-if ").and_then(|p| u32::from_str_radix(&line[p + 9..p + 11], 16).ok()).unwrap_or(0);
            let c = ConfigInfo {
                vendor,
                device,
                class: class_code << 8 | prog_if,
                header_layout: if class_code >> 8 == 0x06 && matches!(class_code & 0xff, 0x04 | 0x09) { 1 } else { 0 },
                multifunction: false,
                pcie: PcieType::Conventional,
                acs: None,
                ats: false,
                sriov: None,
                bus_range: None,
                mmio: None,
            };
            funcs.push((bdf, c, None, false, n));
            continue;
        }
        let Some(last) = funcs.last_mut() else {
            continue;
        };
        if let Some((off, bytes)) = t.split_once(": ").filter(|(o, _)| o.len() == 2 || o.len() == 3)
            && let Ok(base) = usize::from_str_radix(off, 16)
        {
            let vals: Vec<u8> = bytes.split_whitespace().filter_map(|b| u8::from_str_radix(b, 16).ok()).collect();
            if vals.len() == 16 && bytes.split_whitespace().count() == 16 {
                for (k, v) in vals.into_iter().enumerate() {
                    hex.insert(base + k, v);
                }
                continue;
            }
        }
        if let Some(has) = bar_line(t).filter(|_| !in_sriov) {
            // `pci_has_mmio`: a memory BAR or the ROM. A bridge's "... behind bridge" lines say
            // the resources were printed, so no memory `Region` means none.
            last.1.mmio = Some(last.1.mmio == Some(true) || has);
        } else if let Some(g) = t.strip_prefix("IOMMU group:") {
            last.2 = Some(g.trim().parse().map_err(|_| bad(at(n), format!("IOMMU group \"{}\" is not a number", g.trim())))?);
        } else if t.starts_with("Capabilities: <access denied>") {
            return Err(bad(
                at(n),
                "capabilities are hidden (<access denied>): run `sudo lspci -vvv -nn` so ACS and the PCIe port type are shown",
            ));
        } else if let Some(rest) = t.strip_prefix("Bus: primary=") {
            let sec = rest.split("secondary=").nth(1).and_then(|s| u8::from_str_radix(&s[..2.min(s.len())], 16).ok());
            let sub = rest.split("subordinate=").nth(1).and_then(|s| u8::from_str_radix(&s[..2.min(s.len())], 16).ok());
            match (sec, sub) {
                (Some(a), Some(b)) => {
                    last.1.bus_range = Some((a, b));
                    last.1.header_layout = 1;
                }
                _ => return Err(bad(at(n), "unreadable bus numbers")),
            }
        } else if let Some(rest) = t.strip_prefix("Capabilities: [") {
            in_acs = rest.contains("Access Control Services");
            in_sriov = rest.contains("Single Root I/O Virtualization");
            if rest.contains("Address Translation Service") {
                last.1.ats = true;
            }
            if let Some(p) = rest.find("Express (") {
                last.1.pcie = express_type(&rest[p..]).ok_or_else(|| bad(at(n), format!("unknown PCI Express type in `{t}`")))?;
            }
            if in_acs {
                last.1.acs = Some(AcsSpec { cap: 0, ctrl: 0 });
            }
        } else if in_acs && t.starts_with("ACSCap:") {
            if let Some(a) = last.1.acs.as_mut() {
                a.cap = acs_bits(&t[7..]);
            }
        } else if in_acs && t.starts_with("ACSCtl:") {
            if let Some(a) = last.1.acs.as_mut() {
                a.ctrl = acs_bits(&t[7..]);
            }
        } else if in_sriov && t.starts_with("Initial VFs:") {
            let total = num_after(t, "Total VFs:").unwrap_or(0);
            let num = num_after(t, "Number of VFs:").unwrap_or(0);
            last.1.sriov = Some(SriovSpec { total_vfs: total, num_vfs: num, offset: 0, stride: 0 });
        } else if in_sriov
            && t.starts_with("VF offset:")
            && let Some(s) = last.1.sriov.as_mut()
        {
            s.offset = num_after(t, "VF offset:").unwrap_or(0);
            s.stride = num_after(t, "stride:").unwrap_or(0);
        }
    }
    finish(&mut funcs, &mut hex)?;
    if funcs.is_empty() {
        return Err(bad(shown, "no PCI devices: expected the output of `lspci -vvv -nn`"));
    }

    let mut m = Machine { name: name.to_string(), ..Machine::default() };
    // SR-IOV VFs: lspci prints no link from a VF to its PF, but a PF with VFs enabled says
    // where they are: VF k's routing id is PF RID + offset + k * stride, k < NumVFs (PCIe r5.0
    // §9.3.3.9-10; drivers/pci/iov.c `pci_iov_virtfn_bus`/`pci_iov_virtfn_devfn`).
    let mut vf_of: BTreeMap<Bdf, Bdf> = BTreeMap::new();
    for f in &funcs {
        let Some(s) = f.1.sriov.filter(|s| s.num_vfs > 0) else { continue };
        for k in 0..u32::from(s.num_vfs) {
            let rid = u32::from(f.0.rid()) + u32::from(s.offset) + k * u32::from(s.stride);
            let Ok(rid) = u16::try_from(rid) else { break };
            let vf = Bdf { segment: f.0.segment, bus: (rid >> 8) as u8, device: ((rid >> 3) & 0x1f) as u8, function: (rid & 7) as u8 };
            vf_of.insert(vf, f.0);
        }
    }
    vf_of.retain(|vf, _| funcs.iter().any(|f| f.0 == *vf));
    if !vf_of.is_empty() {
        m.notes.push(format!(
            "{} functions are SR-IOV VFs, placed from their PF's VF offset and stride; a VF is never multifunction (drivers/pci/iov.c).",
            vf_of.len()
        ));
    }
    // Multifunction from the slot's population where no hex dump said. A VF is not a function
    // of a multifunction device (drivers/pci/iov.c `pci_iov_add_virtfn`: `virtfn->multifunction
    // = 0`), so VFs neither count nor are counted.
    let mut slot_count: BTreeMap<(u16, u8, u8), usize> = BTreeMap::new();
    for f in funcs.iter().filter(|f| !vf_of.contains_key(&f.0)) {
        *slot_count.entry((f.0.segment, f.0.bus, f.0.device)).or_default() += 1;
    }
    let mut inferred = false;
    for f in funcs.iter_mut().filter(|f| !f.3) {
        f.1.multifunction = !vf_of.contains_key(&f.0) && slot_count[&(f.0.segment, f.0.bus, f.0.device)] > 1;
        inferred = true;
    }
    if inferred {
        m.notes.push("lspci text does not show the header's multifunction bit: taken as \"its slot holds more than one function\".".into());
    }
    // Parents from secondary bus numbers.
    let mut by_secondary: BTreeMap<(u16, u8), Bdf> = BTreeMap::new();
    for f in &funcs {
        if let Some((sec, _)) = f.1.bus_range
            && let Some(prev) = by_secondary.insert((f.0.segment, sec), f.0)
        {
            return Err(bad(at(f.4), format!("bridges {} and {} both claim secondary bus {sec:#04x}", prev.rid(), f.0.rid())));
        }
    }
    for (b, g) in &listed_groups {
        if let Some(f) = funcs.iter_mut().find(|f| f.0 == *b) {
            f.2 = Some(*g);
        }
    }
    m.groups_known = funcs.iter().any(|f| f.2.is_some());
    let guessed = funcs
        .iter()
        .find(|f| f.1.class >> 8 == 0x0600)
        .map(|f| match f.1.vendor {
            0x8086 => IommuKind::IntelVtd,
            0x1022 => IommuKind::AmdVi,
            _ => IommuKind::ArmSmmuV3,
        })
        .unwrap_or(IommuKind::ArmSmmuV3);
    let kind = kind.unwrap_or(guessed);
    let unit = match kind {
        IommuKind::IntelVtd => "dmar0",
        IommuKind::AmdVi => "ivhd0",
        IommuKind::ArmSmmuV3 => "smmu3.0",
        IommuKind::ArmSmmuV2 => "smmu.0",
        IommuKind::VirtioIommu => "virtio-iommu0",
    };
    // Xeon Scalable (Skylake-SP, Cascade Lake) has a VT-d engine per IIO stack, and each stack's
    // root bus shows its register function (device 5 function 0: 8086:2024 "MM/Vt-d" on the
    // CSTACK, 8086:2034 "VT-d" on the PCIe stacks). Where the listing shows more than one, one
    // DRHD per such root bus is assumed (dmar0.. in bus order; the firmware's DMAR order and
    // names are not in lspci) and a root bus without one takes dmar0.
    let root_of = |mut b: Bdf| {
        for _ in 0..=256 {
            match by_secondary.get(&(b.segment, b.bus)) {
                Some(br) => b = *br,
                None => break,
            }
        }
        (b.segment, b.bus)
    };
    let vtd_roots: Vec<(u16, u8)> = if kind == IommuKind::IntelVtd {
        let mut r: Vec<(u16, u8)> = funcs
            .iter()
            .filter(|f| f.1.vendor == 0x8086 && VTD_STACK_REGISTERS.contains(&f.1.device) && !ids_unknown.contains(&f.0))
            .map(|f| root_of(f.0))
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    } else {
        Vec::new()
    };
    let unit_of = |bdf: Bdf| -> String {
        match vtd_roots.iter().position(|r| *r == root_of(bdf)) {
            Some(i) if vtd_roots.len() > 1 => format!("dmar{i}"),
            _ => unit.to_string(),
        }
    };
    if vtd_roots.len() > 1 {
        for i in 0..vtd_roots.len() {
            m.units.insert(format!("dmar{i}"), kind);
        }
        let buses: Vec<String> = vtd_roots.iter().map(|(s, b)| format!("{s:04x}:{b:02x}")).collect();
        m.notes.push(format!(
            "lspci does not show IOMMU units: one VT-d unit per root bus showing a Xeon Scalable VT-d register function assumed ({} units, dmar0.. for buses {}); other root buses take dmar0.",
            vtd_roots.len(),
            buses.join(", ")
        ));
    } else {
        m.units.insert(unit.to_string(), kind);
        m.notes.push(format!("lspci does not show IOMMU units: one {kind} unit \"{unit}\" assumed for every translated function."));
    }
    if saw_tree {
        m.notes.push("lspci -t seen; parents are taken from the bridges' secondary bus numbers.".into());
    }
    let parent_of = |bdf: Bdf| match by_secondary.get(&(bdf.segment, bdf.bus)) {
        Some(b) => Parent::Bridge(*b),
        None => Parent::Root(bdf.segment, bdf.bus),
    };
    if !ids_unknown.is_empty() {
        let cut: Vec<String> =
            ids_unknown.iter().map(|b| format!("{:04x}:{:02x}:{:02x}.{:x}", b.segment, b.bus, b.device, b.function)).collect();
        m.notes.push(format!(
            "lspci cut the names, and with them the device ids, of {}: written without ids (no id-keyed quirk applies to them).",
            cut.join(", ")
        ));
    }
    for (bdf, c, group, hex_known, line) in funcs {
        // A VF hangs where its PF does (its bus may be one the PF's bridge only spans).
        let physfn = vf_of.get(&bdf).copied();
        let parent = parent_of(physfn.unwrap_or(bdf));
        let translated = !m.groups_known || group.is_some();
        m.functions.push(Function {
            bdf,
            parent,
            config: c,
            multifunction_known: false,
            iommu: translated.then(|| unit_of(physfn.unwrap_or(bdf))),
            group,
            physfn,
            // A hex dump (parsed into `c`) names the ids whatever the text cut.
            ids_known: hex_known || !ids_unknown.contains(&bdf),
            source: at(line),
        });
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Region / Expansion ROM lines give `mmio`; a bridge's window lines alone give `false`;
    /// the VF BARs under SR-IOV are not the function's; text without resource lines (the
    /// corpus, reduced) leaves it unknown.
    #[test]
    fn resource_lines_give_mmio() {
        let text = "00:1c.0 PCI bridge [0604]: Intel Corporation Root Port [8086:a338] (prog-if 00 [Normal decode])
\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0
\tMemory behind bridge: f7000000-f70fffff [size=1M]
\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00

00:1c.4 PCI bridge [0604]: Intel Corporation Root Port [8086:a33c] (prog-if 00 [Normal decode])
\tRegion 0: Memory at f7200000 (64-bit, non-prefetchable) [size=4K]
\tBus: primary=00, secondary=02, subordinate=02, sec-latency=0
\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00

00:1d.0 PCI bridge [0604]: Intel Corporation Root Port [8086:a330] (prog-if 00 [Normal decode])
\tBus: primary=00, secondary=03, subordinate=03, sec-latency=0
\tI/O behind bridge: 0000e000-0000efff [size=4K]
\tExpansion ROM at f7300000 [disabled] [size=64K]

00:1f.0 ISA bridge [0601]: Intel Corporation LPC [8086:a305]
\tRegion 0: I/O ports at efa0 [size=32]
\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)
\t\tRegion 0: Memory at 0000006000000000 (64-bit, prefetchable)

00:1f.3 Audio device [0403]: Intel Corporation HD Audio [8086:a348]
\tCapabilities: [50] Power Management version 3
";
        let m = parse("t.txt", text, "t", None).unwrap();
        let mmio: Vec<Option<bool>> = m.functions.iter().map(|f| f.config.mmio).collect();
        assert_eq!(mmio, vec![Some(false), Some(true), Some(true), Some(false), None]);
    }
}
