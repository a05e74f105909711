//! Presentation of a [`Platform`]: the readable listing of `iommu-sim topology` and its
//! `--json` form (contracts.md "topology --json"; fields may be added, never renamed).

use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use super::{BusKind, Platform};
use crate::ids::{BusId, DeviceId, IommuId};
use crate::iommu::PageSizes;

/// Key capabilities of an instance on one line.
fn caps_line(p: &Platform, i: IommuId) -> String {
    let m = p.iommu(i);
    let c = &m.params.caps;
    let g = &m.params.geometry;
    let pages = page_runs(c.page_sizes);
    let mut flags = Vec::new();
    if c.coherent_walk {
        flags.push("coherent");
    }
    if c.snoop_control {
        flags.push("snoop-control");
    }
    if c.range_invalidation {
        flags.push("range-inv");
    }
    format!(
        "{}-bit IOVA, {}-bit PA, pages {}, {} domain ids, {}{}IOTLB {} entries {}-way, {} walkers",
        c.address_width,
        c.output_width,
        pages,
        c.domain_ids,
        flags.join(", "),
        if flags.is_empty() { "" } else { ", " },
        g.iotlb_entries,
        g.iotlb_ways,
        g.walkers
    )
}

/// Page sizes with runs of consecutive powers of two shortened: `4K/2M/1G`, `4K..256G/1T..2048T`.
pub(crate) fn page_runs(sizes: PageSizes) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for s in sizes.iter() {
        match runs.last_mut() {
            Some((_, hi)) if *hi * 2 == s => *hi = s,
            _ => runs.push((s, s)),
        }
    }
    let name = PageSizes::size_name;
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(lo, hi)| match hi / lo {
            1 => name(lo),
            2 => format!("{}/{}", name(lo), name(hi)),
            _ => format!("{}..{}", name(lo), name(hi)),
        })
        .collect();
    parts.join("/")
}

fn device_line(p: &Platform, d: DeviceId) -> String {
    let dev = p.device(d);
    let mut s = format!("{}  [group {}]", dev.name, dev.group);
    if dev.bdf.is_none() {
        let sids: Vec<String> = dev.stream_ids.iter().map(|s| format!("{s:#x}")).collect();
        let _ = write!(s, " sid {}", sids.join(","));
    }
    if dev.multifunction {
        s += if dev.acs { " multifunction+acs" } else { " multifunction" };
    }
    if dev.ats {
        s += " ats";
    }
    s
}

fn bus_line(p: &Platform, b: BusId) -> String {
    let bus = p.bus(b);
    let mut s = format!("{}  {}", bus.name, bus.kind.as_str());
    if let Some(g) = bus.group {
        let _ = write!(s, " [group {g}]");
    }
    if let Some((v, d)) = bus.func.as_ref().and_then(|f| f.ids) {
        let _ = write!(s, " {v:04x}:{d:04x}");
    }
    if bus.func.as_ref().is_some_and(|f| f.multifunction) {
        s += " multifunction";
    }
    match bus.kind {
        BusKind::RootComplex | BusKind::PlatformBus => match bus.iommu {
            Some(i) => {
                let _ = write!(s, " -> {}", p.iommu(i).name);
            }
            None => s += " (no IOMMU)",
        },
        BusKind::RootPort | BusKind::SwitchDownstream => s += if bus.acs { " acs" } else { " no-acs" },
        BusKind::SwitchUpstream | BusKind::PcieToPciBridge => {}
    }
    s
}

/// Indentation of a tree line at `depth`: two spaces a level up to [`MAX_INDENT`] levels, then
/// the depth written out, so a deep chain's listing grows linearly, not quadratically.
fn indent(depth: usize) -> String {
    const MAX_INDENT: usize = 32;
    if depth <= MAX_INDENT { "  ".repeat(depth) } else { format!("{}[depth {depth}] ", "  ".repeat(MAX_INDENT)) }
}

/// The readable listing: IOMMU instances, the bus tree, the groups.
pub fn text(p: &Platform) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "topology {}: {} IOMMUs, {} buses, {} devices, {} groups",
        p.name,
        p.iommus.len(),
        p.buses.len(),
        p.devices.len(),
        p.groups.len()
    );
    out += "\nIOMMUs\n";
    let width = p.iommus.iter().map(|m| m.name.len()).max().unwrap_or(0);
    for (i, m) in p.iommus.iter().enumerate() {
        let id = IommuId::from_index(i);
        let _ = writeln!(
            out,
            "  {:width$}  {:12}  {:>3} devices  {}",
            m.name,
            m.kind.as_str(),
            p.devices.iter().filter(|d| d.iommu == id).count(),
            caps_line(p, id)
        );
    }
    out += "\nBuses\n";
    // Depth-first with an explicit stack (a deep chain must not overflow the call stack).
    enum Item {
        Bus(BusId),
        Device(DeviceId),
    }
    let mut stack: Vec<(Item, usize)> =
        p.buses.iter().enumerate().rev().filter(|(_, b)| b.parent.is_none()).map(|(i, _)| (Item::Bus(BusId::from_index(i)), 1)).collect();
    while let Some((item, depth)) = stack.pop() {
        let indent = indent(depth);
        match item {
            Item::Device(d) => {
                let _ = writeln!(out, "{indent}{}", device_line(p, d));
            }
            Item::Bus(b) => {
                let _ = writeln!(out, "{indent}{}", bus_line(p, b));
                let bus = p.bus(b);
                for &c in bus.child_buses.iter().rev() {
                    stack.push((Item::Bus(c), depth + 1));
                }
                for &d in bus.devices.iter().rev() {
                    stack.push((Item::Device(d), depth + 1));
                }
            }
        }
    }
    out += "\nGroups (bridges after `|`; vfio: whether VFIO could take the group)\n";
    for (g, group) in p.all_groups().enumerate() {
        let names: Vec<&str> = group.devices.iter().map(|d| p.device(*d).name.as_str()).collect();
        let _ = write!(out, "  group {g:<3} {:width$}  {}", p.iommu(group.iommu).name, names.join(" "));
        if !group.bridges.is_empty() {
            let bridges: Vec<&str> = group.bridges.iter().map(|b| p.bus(*b).name.as_str()).collect();
            let _ = write!(out, "{}| {}", if names.is_empty() { "" } else { " " }, bridges.join(" "));
        }
        out += if group.vfio_usable() { "  vfio: usable\n" } else { "  vfio: no endpoint\n" };
    }
    out
}

#[derive(Serialize)]
struct JsonTopology<'a> {
    topology: &'a str,
    iommus: Vec<JsonIommu<'a>>,
    groups: Vec<JsonGroup<'a>>,
    devices: Vec<JsonDevice<'a>>,
}

#[derive(Serialize)]
struct JsonIommu<'a> {
    id: &'a str,
    kind: &'static str,
    devices: Vec<&'a str>,
    address_width: u8,
    page_sizes: PageSizes,
    domain_ids: u32,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    id: usize,
    iommu: &'a str,
    devices: Vec<&'a str>,
    bridges: Vec<&'a str>,
    vfio_usable: bool,
}

#[derive(Serialize)]
struct JsonDevice<'a> {
    id: &'a str,
    iommu: &'a str,
    group: u32,
    ats: bool,
    stream_ids: &'a [u32],
}

/// The `--json` form, keys in the order of contracts.md. Contract keys: `topology`,
/// `iommus[].{id, kind, devices}`, `groups[].{id, iommu, devices}`; device lists sorted.
/// Added: `iommus[].address_width`, `iommus[].page_sizes`, `iommus[].domain_ids`, and
/// `devices[]` with each device's IOMMU, group, ATS and stream ids (in `DeviceId` order),
/// `groups[].bridges` (ports and bridges in the group) and `groups[].vfio_usable`; groups
/// holding only bridges follow the others.
pub fn json(p: &Platform) -> Value {
    serde_json::to_value(json_doc(p)).unwrap_or(Value::Null)
}

/// [`json`] as pretty-printed text with the keys in contract order (a `serde_json::Value`
/// would sort them), as `iommu-sim topology --json` prints it.
pub fn json_pretty(p: &Platform) -> String {
    serde_json::to_string_pretty(&json_doc(p)).unwrap_or_default()
}

fn json_doc(p: &Platform) -> JsonTopology<'_> {
    let name = |d: &DeviceId| p.device(*d).name.as_str();
    JsonTopology {
        topology: &p.name,
        iommus: p
            .iommus
            .iter()
            .enumerate()
            .map(|(i, m)| JsonIommu {
                id: &m.name,
                kind: m.kind.as_str(),
                devices: p.devices_of_iommu(IommuId::from_index(i)).iter().map(name).collect(),
                address_width: m.params.caps.address_width,
                page_sizes: m.params.caps.page_sizes,
                domain_ids: m.params.caps.domain_ids,
            })
            .collect(),
        groups: p
            .all_groups()
            .enumerate()
            .map(|(g, group)| JsonGroup {
                id: g,
                iommu: &p.iommu(group.iommu).name,
                devices: group.devices.iter().map(name).collect(),
                bridges: group.bridges.iter().map(|b| p.bus(*b).name.as_str()).collect(),
                vfio_usable: group.vfio_usable(),
            })
            .collect(),
        devices: p
            .devices
            .iter()
            .map(|d| JsonDevice { id: &d.name, iommu: &p.iommu(d.iommu).name, group: d.group.0, ats: d.ats, stream_ids: &d.stream_ids })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    const SRC: &str = r#"Topology(name: "r", iommus: [Iommu(id: "smmu0", kind: ArmSmmuV3)],
        buses: [RootComplex(id: "pci0000:00", iommu: "smmu0"), RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: false)],
        devices: [Device(id: "0000:01:00.1", parent: "0000:00:01.0"), Device(id: "0000:01:00.0", parent: "0000:00:01.0", ats: true)])"#;

    #[test]
    fn page_size_runs_are_shortened() {
        use crate::iommu::{Caps, IommuKind};
        assert_eq!(page_runs(Caps::defaults(IommuKind::IntelVtd).page_sizes), "4K/2M/1G");
        assert_eq!(page_runs(Caps::defaults(IommuKind::AmdVi).page_sizes), "4K..256G/1T..2048T");
        assert_eq!(page_runs(PageSizes(PageSizes::SZ_16K | PageSizes::SZ_32M)), "16K/32M");
    }

    #[test]
    fn json_has_the_contract_shape_with_sorted_devices() {
        let p = Platform::parse(Path::new("r.ron"), SRC).unwrap();
        let v = json(&p);
        assert_eq!(v["topology"], "r");
        assert_eq!(v["iommus"][0]["id"], "smmu0");
        assert_eq!(v["iommus"][0]["kind"], "arm-smmu-v3");
        assert_eq!(v["iommus"][0]["devices"], json!(["0000:01:00.0", "0000:01:00.1"]));
        assert_eq!(
            v["groups"],
            json!([{ "id": 0, "iommu": "smmu0", "devices": ["0000:01:00.0", "0000:01:00.1"], "bridges": ["0000:00:01.0"], "vfio_usable": true }])
        );
    }

    #[test]
    fn text_lists_iommus_tree_and_groups() {
        let p = Platform::parse(Path::new("r.ron"), SRC).unwrap();
        let t = text(&p);
        assert!(t.contains("smmu0  arm-smmu-v3     2 devices  48-bit IOVA"), "{t}");
        assert!(t.contains("IOTLB 2048 entries 4-way"), "{t}");
        assert!(
            t.contains("  pci0000:00  RootComplex -> smmu0\n    0000:00:01.0  RootPort [group 0] no-acs\n      0000:01:00.1  [group 0]"),
            "{t}"
        );
        assert!(t.contains("group 0   smmu0  0000:01:00.0 0000:01:00.1 | 0000:00:01.0  vfio: usable"), "{t}");
    }
}
