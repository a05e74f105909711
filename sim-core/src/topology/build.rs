//! From parsed file to validated [`Platform`]: resolves names to ids, applies per-kind
//! defaults and overrides, refuses anything impossible with a message that names the entry
//! (`devices[2] "0000:05:00.0"`), the field and, where it can be found in the text, the line
//! and column; then derives IOMMU groups and the graph.
//!
//! Structural rules (what may hang below what) follow PCIe port types: a root port sits on a
//! root complex; a switch upstream port below a root port or a switch downstream port; a switch
//! downstream port below a switch upstream port; a PCIe-to-PCI bridge on a root complex, root
//! port or downstream port, with only devices below it (conventional PCI behind it is flat
//! here). Platform buses are roots that hold only platform devices. Every algorithm here is
//! iterative: a 100 000-deep chain of ports must not overflow the stack.

use std::collections::BTreeMap;
use std::path::Path;

use super::schema::{BusSpec, DeviceSpec, TopologyFile};
use super::{Bdf, Bus, BusKind, Device, Node, Platform};
use crate::error::{InputError, Location, parse_ron};
use crate::ids::{BusId, DeviceId, GroupId, IommuId};
use crate::iommu::{IommuKind, IommuParams, PageSizes};

/// Finds places in the source text for semantic errors (the RON parser keeps no spans once
/// deserialized).
struct Locator<'a> {
    path: &'a Path,
    source: &'a str,
}

impl Locator<'_> {
    fn at_offset(&self, offset: usize) -> Location {
        let before = &self.source[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location { path: self.path.to_path_buf(), line, col }
    }

    /// Byte offset of the `nth` (0-based) `id: "name"` in the file, falling back to the first.
    fn decl(&self, name: &str, nth: usize) -> Option<usize> {
        let quoted = format!("\"{name}\"");
        let mut found = self.source.match_indices(&quoted).map(|(o, _)| o).filter(|&o| {
            let before = self.source[..o].trim_end();
            before.strip_suffix(':').is_some_and(|b| {
                let b = b.trim_end();
                b.strip_suffix("id").is_some_and(|rest| !rest.ends_with(|c: char| c.is_alphanumeric() || c == '_'))
            })
        });
        let first = found.next()?;
        Some(if nth == 0 { first } else { found.nth(nth - 1).unwrap_or(first) })
    }

    /// The first `field:` after `from` (the entry's declaration), or the declaration itself.
    fn field(&self, from: Option<usize>, field: &str) -> Location {
        let Some(start) = from else {
            return Location::file(self.path);
        };
        let rest = &self.source[start..];
        let mut search = 0;
        while let Some(pos) = rest[search..].find(field) {
            let o = search + pos;
            let before_ok = !rest[..o].ends_with(|c: char| c.is_alphanumeric() || c == '_');
            let after = rest[o + field.len()..].trim_start();
            if before_ok && after.starts_with(':') {
                return self.at_offset(start + o);
            }
            search = o + field.len();
        }
        self.at_offset(start)
    }

    fn decl_location(&self, from: Option<usize>) -> Location {
        from.map_or_else(|| Location::file(self.path), |o| self.at_offset(o))
    }
}

/// What a name refers to (ids are unique across IOMMUs, buses and devices).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entity {
    Iommu(usize),
    Bus(usize),
    Device(usize),
}

/// Limits so that every index fits its id type (`IommuId` is 16-bit).
const MAX_IOMMUS: usize = u16::MAX as usize + 1;
const MAX_NODES: usize = u32::MAX as usize;

pub(super) fn build(path: &Path, source: &str, kernel: super::quirks::Kernel) -> Result<Platform, InputError> {
    let file: TopologyFile = parse_ron(path, source)?;
    let loc = Locator { path, source };
    let invalid = |at: Location, message: String| InputError::Invalid { at, message };

    if file.iommus.len() > MAX_IOMMUS {
        return Err(invalid(Location::file(path), format!("{} IOMMUs: at most {MAX_IOMMUS} fit a 16-bit IOMMU id", file.iommus.len())));
    }
    if file.buses.len() > MAX_NODES || file.devices.len() > MAX_NODES {
        return Err(invalid(Location::file(path), format!("more than {MAX_NODES} buses or devices")));
    }

    // Names: declared once, non-empty, unique across all three lists.
    let mut names: BTreeMap<&str, Entity> = BTreeMap::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    // For each entity, how many earlier entities carry the same name: its declaration is
    // that occurrence in the text. Offsets are searched only when an error is reported (a
    // search per entity would be quadratic on large files).
    let mut iommu_nth = Vec::with_capacity(file.iommus.len());
    let mut bus_nth = Vec::with_capacity(file.buses.len());
    let mut dev_nth = Vec::with_capacity(file.devices.len());
    let entities = file
        .iommus
        .iter()
        .enumerate()
        .map(|(i, s)| (Entity::Iommu(i), s.id.as_str()))
        .chain(file.buses.iter().enumerate().map(|(i, s)| (Entity::Bus(i), s.id())))
        .chain(file.devices.iter().enumerate().map(|(i, s)| (Entity::Device(i), s.id.as_str())));
    for (entity, name) in entities {
        let me = label(&file, entity);
        let nth = seen.entry(name).or_insert(0);
        let k = *nth;
        *nth += 1;
        match entity {
            Entity::Iommu(_) => iommu_nth.push(k),
            Entity::Bus(_) => bus_nth.push(k),
            Entity::Device(_) => dev_nth.push(k),
        }
        // Only on error look for where it is written.
        let at = if name.trim().is_empty() || names.contains_key(name) { loc.decl(name, k) } else { None };
        if name.trim().is_empty() {
            return Err(invalid(loc.decl_location(at), format!("{me}: id is empty")));
        }
        if let Some(prev) = names.insert(name, entity) {
            return Err(invalid(loc.decl_location(at), format!("{me}: id is already used by {}", label(&file, prev))));
        }
    }

    let iommu_at = |i: usize| loc.decl(&file.iommus[i].id, iommu_nth[i]);
    let bus_at = |i: usize| loc.decl(file.buses[i].id(), bus_nth[i]);
    let dev_at = |i: usize| loc.decl(&file.devices[i].id, dev_nth[i]);

    // IOMMU instances: kind defaults, then overrides, then checks.
    let mut iommus = Vec::with_capacity(file.iommus.len());
    for (i, spec) in file.iommus.iter().enumerate() {
        let mut params = IommuParams::defaults(spec.kind);
        if let Some(name) = &spec.iotlb {
            let preset = crate::iommu::presets::find(name).ok_or_else(|| {
                invalid(
                    loc.field(iommu_at(i), "iotlb"),
                    format!(
                        "{}: iotlb: no preset \"{name}\"; known: {}",
                        label(&file, Entity::Iommu(i)),
                        crate::iommu::presets::names().join(", ")
                    ),
                )
            })?;
            preset.apply(&mut params.geometry);
        }
        params.caps.apply(&spec.caps);
        params.geometry.apply(&spec.geometry);
        params.costs.apply(&spec.costs);
        if let Err((field, why)) = check_params(spec.kind, &params) {
            let leaf = field.rsplit('.').next().unwrap_or(field);
            return Err(invalid(loc.field(iommu_at(i), leaf), format!("{}: {field}: {why}", label(&file, Entity::Iommu(i)))));
        }
        iommus.push(super::IommuInstance { name: spec.id.clone(), kind: spec.kind, params });
    }

    // Bus references.
    let resolve_iommu = |i: usize, name: &str| -> Result<IommuId, InputError> {
        match names.get(name) {
            Some(Entity::Iommu(k)) => Ok(IommuId::from_index(*k)),
            other => Err(invalid(
                loc.field(bus_at(i), "iommu"),
                format!(
                    "{}: iommu \"{name}\" is not an IOMMU in this topology{}",
                    label(&file, Entity::Bus(i)),
                    what_it_is(&file, other.copied())
                ),
            )),
        }
    };
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(file.buses.len());
    let mut root_iommu: Vec<Option<IommuId>> = Vec::with_capacity(file.buses.len());
    for (i, spec) in file.buses.iter().enumerate() {
        let parent = match spec.parent() {
            None => None,
            Some(p) => match names.get(p) {
                Some(Entity::Bus(k)) => Some(*k),
                other => {
                    return Err(invalid(
                        loc.field(bus_at(i), "parent"),
                        format!(
                            "{}: parent \"{p}\" is not a bus in this topology{}",
                            label(&file, Entity::Bus(i)),
                            what_it_is(&file, other.copied())
                        ),
                    ));
                }
            },
        };
        parents.push(parent);
        root_iommu.push(match spec {
            BusSpec::RootComplex { iommu: Some(name), .. } | BusSpec::PlatformBus { iommu: Some(name), .. } => {
                Some(resolve_iommu(i, name)?)
            }
            _ => None,
        });
    }

    // Cycles: each bus has at most one parent, so follow parent links with colours.
    // 0 = unvisited, 1 = on the current path, 2 = reaches a root.
    let mut colour = vec![0u8; file.buses.len()];
    for start in 0..file.buses.len() {
        let mut path = Vec::new();
        let mut cur = Some(start);
        while let Some(b) = cur {
            match colour[b] {
                2 => break,
                1 => {
                    let from = path.iter().position(|&x| x == b).unwrap_or(0);
                    let cycle: Vec<&str> = path[from..].iter().chain(std::iter::once(&b)).map(|&x| file.buses[x].id()).collect();
                    return Err(invalid(
                        loc.field(bus_at(b), "parent"),
                        format!(
                            "{}: parent links form a cycle ({}); every bus must lead up to a RootComplex or PlatformBus",
                            label(&file, Entity::Bus(b)),
                            cycle.join(" -> ")
                        ),
                    ));
                }
                _ => {
                    colour[b] = 1;
                    path.push(b);
                    cur = parents[b];
                }
            }
        }
        for b in path {
            colour[b] = 2;
        }
    }

    // What may sit below what.
    let kinds: Vec<BusKind> = file.buses.iter().map(bus_kind).collect();
    for (i, spec) in file.buses.iter().enumerate() {
        let Some(p) = parents[i] else { continue };
        let allowed: &[BusKind] = match kinds[i] {
            BusKind::RootPort => &[BusKind::RootComplex],
            BusKind::SwitchUpstream => &[BusKind::RootPort, BusKind::SwitchDownstream],
            BusKind::SwitchDownstream => &[BusKind::SwitchUpstream],
            BusKind::PcieToPciBridge => &[BusKind::RootComplex, BusKind::RootPort, BusKind::SwitchDownstream],
            BusKind::RootComplex | BusKind::PlatformBus => &[],
        };
        if !allowed.contains(&kinds[p]) {
            let names: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
            return Err(invalid(
                loc.field(bus_at(i), "parent"),
                format!(
                    "{}: parent \"{}\" is a {}, but a {} must sit below a {}",
                    label(&file, Entity::Bus(i)),
                    file.buses[p].id(),
                    kinds[p].as_str(),
                    spec.variant_name(),
                    names.join(" or ")
                ),
            ));
        }
    }

    // Parents before children (breadth-first from the roots), and each node's root IOMMU.
    let mut child_buses: Vec<Vec<BusId>> = vec![Vec::new(); file.buses.len()];
    for (i, p) in parents.iter().enumerate() {
        if let Some(p) = p {
            child_buses[*p].push(BusId::from_index(i));
        }
    }
    let mut order: Vec<BusId> = (0..file.buses.len()).filter(|&i| parents[i].is_none()).map(BusId::from_index).collect();
    let mut next = 0;
    while next < order.len() {
        let b = order[next].index();
        next += 1;
        if let Some(p) = parents[b] {
            root_iommu[b] = root_iommu[p];
        }
        order.extend_from_slice(&child_buses[b]);
    }

    // Devices.
    let mut devices = Vec::with_capacity(file.devices.len());
    let mut bus_devices: Vec<Vec<DeviceId>> = vec![Vec::new(); file.buses.len()];
    // (IOMMU, stream id) → first device, to refuse SMMUv3 aliasing.
    let mut streams: BTreeMap<(IommuId, u32), usize> = BTreeMap::new();
    let mut dev_parent: Vec<usize> = Vec::with_capacity(file.devices.len());
    for (i, spec) in file.devices.iter().enumerate() {
        let me = label(&file, Entity::Device(i));
        let parent = match names.get(spec.parent.as_str()) {
            Some(Entity::Bus(k)) => *k,
            other => {
                return Err(invalid(
                    loc.field(dev_at(i), "parent"),
                    format!("{me}: parent \"{}\" is not a bus in this topology{}", spec.parent, what_it_is(&file, other.copied())),
                ));
            }
        };
        let pkind = kinds[parent];
        check_device_placement(spec, pkind, file.buses[parent].id()).map_err(|(field, why)| {
            invalid(if field == "id" { loc.decl_location(dev_at(i)) } else { loc.field(dev_at(i), field) }, format!("{me}: {why}"))
        })?;
        let Some(iommu) = root_iommu[parent] else {
            let mut root = parent;
            while let Some(p) = parents[root] {
                root = p;
            }
            return Err(invalid(
                loc.field(dev_at(i), "parent"),
                format!(
                    "{me}: no IOMMU upstream: its root {} \"{}\" is not bound to an IOMMU (add `iommu: \"...\"` to it)",
                    kinds[root].as_str(),
                    file.buses[root].id()
                ),
            ));
        };
        let iommu = match &spec.iommu {
            None => iommu,
            Some(name) => match names.get(name.as_str()) {
                Some(Entity::Iommu(k)) => IommuId::from_index(*k),
                other => {
                    return Err(invalid(
                        loc.field(dev_at(i), "iommu"),
                        format!("{me}: iommu \"{name}\" is not an IOMMU in this topology{}", what_it_is(&file, other.copied())),
                    ));
                }
            },
        };
        dev_parent.push(parent);
        let kind = iommus[iommu.index()].kind;
        let bdf = Bdf::parse(&spec.id).filter(|_| pkind.is_pci());
        let stream_ids = match bdf {
            Some(bdf) => vec![u32::from(bdf.rid())],
            None => spec.stream_ids.clone(),
        };
        for (k, &sid) in spec.stream_ids.iter().enumerate() {
            let x86 = matches!(kind, IommuKind::IntelVtd | IommuKind::AmdVi);
            if x86 && sid > u32::from(u16::MAX) {
                return Err(invalid(
                    loc.field(dev_at(i), "stream_ids"),
                    format!("{me}: stream_ids[{k}] {sid:#x} does not fit the 16-bit source id of {kind}"),
                ));
            }
            if spec.stream_ids[..k].contains(&sid) {
                return Err(invalid(loc.field(dev_at(i), "stream_ids"), format!("{me}: stream_ids[{k}] {sid:#x} is listed twice")));
            }
            let first = *streams.entry((iommu, sid)).or_insert(i);
            if first != i && kind == IommuKind::ArmSmmuV3 {
                return Err(invalid(
                    loc.field(dev_at(i), "stream_ids"),
                    format!(
                        "{me}: stream_ids[{k}] {sid:#x} is already used by {} behind the same SMMUv3 \"{}\"; \
                         arm-smmu-v3 refuses aliasing stream ids (\"Aliasing StreamID unsupported\", \
                         arm_smmu_insert_master) — only SMMUv2 shares them as one group",
                        label(&file, Entity::Device(first)),
                        iommus[iommu.index()].name
                    ),
                ));
            }
        }
        // Class defaults first (tags), then what the file sets (`pcie/class.rs`).
        let class = spec.class.or_else(|| spec.pci.as_ref().and_then(|p| p.class).and_then(crate::pcie::DeviceClass::from_pci_class));
        let mut link = crate::pcie::LinkParams::default();
        if let Some(c) = class {
            link.tags = c.default_tags();
        }
        link.apply(&spec.link);
        if let Err((field, why)) = link.check() {
            return Err(invalid(loc.field(dev_at(i), field), format!("{me}: link.{field}: {why}")));
        }
        let mut root = parent;
        while let Some(p) = parents[root] {
            root = p;
        }
        let socket = match &file.buses[root] {
            BusSpec::RootComplex { socket, .. } => socket.unwrap_or(0),
            _ => 0,
        };
        bus_devices[parent].push(DeviceId::from_index(i));
        devices.push(Device {
            link,
            class,
            tags_set: spec.link.tags.is_some(),
            socket,
            name: spec.id.clone(),
            parent: BusId::from_index(parent),
            iommu,
            group: GroupId(0),
            ats: spec.ats,
            stream_ids,
            bdf,
            multifunction: spec.multifunction,
            acs: spec.acs,
            func: None,
        });
    }

    // PCI functions: types, ACS (quirks applied), SR-IOV, bus numbers.
    let dev_index = |name: &str| match names.get(name) {
        Some(Entity::Device(k)) => Some(*k),
        _ => None,
    };
    let (mut bus_funcs, dev_funcs) =
        super::functions::resolve(&file.buses, &kinds, &parents, &file.devices, &dev_parent, &dev_index, kernel).map_err(
            |(at, field, why)| {
                let (entity, decl) = match at {
                    super::functions::At::Bus(i) => (Entity::Bus(i), bus_at(i)),
                    super::functions::At::Device(i) => (Entity::Device(i), dev_at(i)),
                };
                invalid(loc.field(decl, field), format!("{}: {why}", label(&file, entity)))
            },
        )?;
    for (d, f) in devices.iter_mut().zip(dev_funcs) {
        if let Some(f) = &f {
            d.multifunction = f.multifunction;
        }
        d.func = f;
    }

    let buses: Vec<Bus> = file
        .buses
        .iter()
        .enumerate()
        .map(|(i, spec)| Bus {
            name: spec.id().to_string(),
            kind: kinds[i],
            parent: parents[i].map(BusId::from_index),
            iommu: root_iommu[i],
            acs: match spec {
                BusSpec::RootPort { acs, .. } => acs.unwrap_or(true),
                BusSpec::SwitchDownstream { acs, .. } => acs.unwrap_or(false),
                _ => false,
            },
            child_buses: std::mem::take(&mut child_buses[i]),
            devices: std::mem::take(&mut bus_devices[i]),
            func: bus_funcs[i].take(),
            group: None,
        })
        .collect();
    let mut buses = buses;
    for b in &mut buses {
        if let (Some(f), BusKind::RootPort | BusKind::SwitchDownstream) = (&b.func, b.kind) {
            b.acs = f.acs_enabled;
        }
    }

    let (groups, bridge_groups) =
        super::groups::derive(&mut buses, &order, &mut devices, kernel.proposed).map_err(|why| invalid(Location::file(path), why))?;
    let reported_groups = file.reported_groups.iter().map(|g| (g.id, g.members.clone())).collect();

    let mut graph = petgraph::Graph::with_capacity(iommus.len() + buses.len() + devices.len(), buses.len() + devices.len());
    let iommu_nodes: Vec<_> = (0..iommus.len()).map(|i| graph.add_node(Node::Iommu(IommuId::from_index(i)))).collect();
    let bus_nodes: Vec<_> = (0..buses.len()).map(|i| graph.add_node(Node::Bus(BusId::from_index(i)))).collect();
    for (i, bus) in buses.iter().enumerate() {
        match (bus.parent, bus.iommu) {
            (Some(p), _) => graph.add_edge(bus_nodes[p.index()], bus_nodes[i], ()),
            (None, Some(m)) => graph.add_edge(iommu_nodes[m.index()], bus_nodes[i], ()),
            (None, None) => continue,
        };
    }
    for (i, dev) in devices.iter().enumerate() {
        let n = graph.add_node(Node::Device(DeviceId::from_index(i)));
        graph.add_edge(bus_nodes[dev.parent.index()], n, ());
    }

    Ok(Platform {
        name: file.name.clone(),
        iommu_names: iommus.iter().enumerate().map(|(i, m)| (m.name.clone(), IommuId::from_index(i))).collect(),
        bus_names: buses.iter().enumerate().map(|(i, b)| (b.name.clone(), BusId::from_index(i))).collect(),
        device_names: devices.iter().enumerate().map(|(i, d)| (d.name.clone(), DeviceId::from_index(i))).collect(),
        iommus,
        buses,
        devices,
        groups,
        bridge_groups,
        reported_groups,
        graph,
        memory: {
            let mut m = crate::pcie::MemoryParams::default();
            m.apply(&file.memory);
            m
        },
    })
}

fn bus_kind(spec: &BusSpec) -> BusKind {
    match spec {
        BusSpec::RootComplex { .. } => BusKind::RootComplex,
        BusSpec::RootPort { .. } => BusKind::RootPort,
        BusSpec::SwitchUpstream { .. } => BusKind::SwitchUpstream,
        BusSpec::SwitchDownstream { .. } => BusKind::SwitchDownstream,
        BusSpec::PcieToPciBridge { .. } => BusKind::PcieToPciBridge,
        BusSpec::PlatformBus { .. } => BusKind::PlatformBus,
    }
}

/// `iommus[1] "dmar1"`, `buses[0] "pci0000:00"`, `devices[2] "0000:05:00.0"`.
fn label(file: &TopologyFile, e: Entity) -> String {
    match e {
        Entity::Iommu(i) => format!("iommus[{i}] \"{}\"", file.iommus[i].id),
        Entity::Bus(i) => format!("buses[{i}] \"{}\"", file.buses[i].id()),
        Entity::Device(i) => format!("devices[{i}] \"{}\"", file.devices[i].id),
    }
}

/// A hint for a reference that names the wrong kind of thing.
fn what_it_is(file: &TopologyFile, e: Option<Entity>) -> String {
    match e {
        None => String::new(),
        Some(e @ Entity::Iommu(_)) => format!(" (it is {}, an IOMMU)", label(file, e)),
        Some(e @ Entity::Bus(_)) => format!(" (it is {}, a bus)", label(file, e)),
        Some(e @ Entity::Device(_)) => format!(" (it is {}, a device)", label(file, e)),
    }
}

/// PCI devices on PCI buses, platform devices on platform buses. Returns (field, why).
fn check_device_placement(spec: &DeviceSpec, parent: BusKind, parent_name: &str) -> Result<(), (&'static str, String)> {
    if parent == BusKind::PlatformBus {
        if spec.stream_ids.is_empty() {
            return Err(("parent", format!("a platform device on \"{parent_name}\" needs stream_ids (its StreamIDs / source ids)")));
        }
        if spec.multifunction || spec.acs {
            let field = if spec.multifunction { "multifunction" } else { "acs" };
            return Err((field, format!("{field} applies only to PCI functions, not to a platform device")));
        }
        if spec.ats {
            return Err(("ats", "ats (PCIe Address Translation Services) applies only to PCI devices".into()));
        }
        return Ok(());
    }
    if Bdf::parse(&spec.id).is_none() {
        return Err((
            "id",
            "a PCI device's id must be its address DDDD:BB:DD.F in hex (e.g. \"0000:03:00.0\", device ≤ 1f, function ≤ 7)".into(),
        ));
    }
    if !spec.stream_ids.is_empty() {
        return Err(("stream_ids", "a PCI device uses its requester id as stream id; stream_ids is only for platform devices".into()));
    }
    Ok(())
}

/// Checks a kind's parameters after overrides. Returns (field path, why).
fn check_params(kind: IommuKind, p: &IommuParams) -> Result<(), (&'static str, String)> {
    use PageSizes as P;
    let c = &p.caps;
    let aw = c.address_width;
    let ok_width = match kind {
        // agaw_to_width: 3-, 4- or 5-level second-stage tables (VT-d spec §3.6, SAGAW).
        IommuKind::IntelVtd => matches!(aw, 39 | 48 | 57),
        // LPAE IAS: 32..=52 bits (52 needs LVA/LPA2).
        IommuKind::ArmSmmuV2 | IommuKind::ArmSmmuV3 => (32..=52).contains(&aw),
        IommuKind::AmdVi | IommuKind::VirtioIommu => (32..=64).contains(&aw),
    };
    if !ok_width {
        let allowed = match kind {
            IommuKind::IntelVtd => "39, 48 or 57 (3-, 4- or 5-level tables)",
            IommuKind::ArmSmmuV2 | IommuKind::ArmSmmuV3 => "32..=52",
            _ => "32..=64",
        };
        return Err(("caps.address_width", format!("{aw} bits is impossible for {kind} (allowed: {allowed})")));
    }
    if !(32..=52).contains(&c.output_width) {
        return Err(("caps.output_width", format!("{} bits is impossible (allowed: 32..=52)", c.output_width)));
    }
    let names = |s: PageSizes| s.iter().map(PageSizes::size_name).collect::<Vec<_>>().join(", ");
    let sizes = c.page_sizes;
    match kind {
        IommuKind::IntelVtd => {
            let allowed = PageSizes(P::SZ_4K | P::SZ_2M | P::SZ_1G);
            if !sizes.contains(P::SZ_4K) || !sizes.is_subset_of(allowed) {
                return Err((
                    "caps.page_sizes",
                    format!("[{}] is impossible for intel-vtd: it must contain 4K and only 4K, 2M, 1G (SLLPS)", names(sizes)),
                ));
            }
        }
        IommuKind::ArmSmmuV2 | IommuKind::ArmSmmuV3 => {
            let granule = sizes.min().unwrap_or(0);
            let blocks = match granule {
                P::SZ_4K => P::SZ_2M | P::SZ_1G,
                P::SZ_16K => P::SZ_32M,
                P::SZ_64K => P::SZ_512M,
                _ => 0,
            };
            if blocks == 0 || !sizes.is_subset_of(PageSizes(granule | blocks)) {
                return Err((
                    "caps.page_sizes",
                    format!(
                        "[{}] is impossible for {kind}: one LPAE granule (4K, 16K or 64K) plus only its block sizes \
                         (4K: 2M, 1G; 16K: 32M; 64K: 512M)",
                        names(sizes)
                    ),
                ));
            }
        }
        IommuKind::AmdVi => {
            let allowed = crate::iommu::Caps::defaults(IommuKind::AmdVi).page_sizes;
            if !sizes.contains(P::SZ_4K) || !sizes.is_subset_of(allowed) {
                return Err((
                    "caps.page_sizes",
                    format!("[{}] is impossible for amd-vi: it must contain 4K and only powers of two 4K..2^51 except 512G", names(sizes)),
                ));
            }
        }
        IommuKind::VirtioIommu => {}
    }
    let max_ids: u32 = match kind {
        // ARM_SMMU_MAX_CBS.
        IommuKind::ArmSmmuV2 => 128,
        // 16-bit DID (VT-d cap_ndoms ≤ 2^16), AMD 16-bit domain id, SMMUv3 16-bit ASID.
        IommuKind::IntelVtd | IommuKind::AmdVi | IommuKind::ArmSmmuV3 => 1 << 16,
        IommuKind::VirtioIommu => u32::MAX,
    };
    if c.domain_ids == 0 || c.domain_ids > max_ids {
        return Err(("caps.domain_ids", format!("{} is impossible for {kind} (allowed: 1..={max_ids})", c.domain_ids)));
    }
    if c.max_invalidation_pages == 0 {
        return Err(("caps.max_invalidation_pages", "must be at least 1".into()));
    }
    if c.s2_context_banks != 0 && (kind != IommuKind::ArmSmmuV2 || c.s2_context_banks >= c.domain_ids) {
        return Err((
            "caps.s2_context_banks",
            format!(
                "{} is impossible for {kind}: only arm-smmu-v2 has stage-2-only context banks, fewer than domain_ids",
                c.s2_context_banks
            ),
        ));
    }
    let g = &p.geometry;
    for (entries, ways, e_name, w_name) in [
        (g.iotlb_entries, g.iotlb_ways, "geometry.iotlb_entries", "geometry.iotlb_ways"),
        (g.walk_cache_entries, g.walk_cache_ways, "geometry.walk_cache_entries", "geometry.walk_cache_ways"),
        (g.devtlb_entries, g.devtlb_ways, "geometry.devtlb_entries", "geometry.devtlb_ways"),
    ] {
        if entries == 0 {
            return Err((e_name, "must be at least 1".into()));
        }
        if ways == 0 {
            return Err((w_name, "must be at least 1".into()));
        }
        if entries % ways != 0 {
            return Err((e_name, format!("{entries} is not a multiple of the {ways} ways ({w_name})")));
        }
    }
    if g.walkers == 0 {
        return Err(("geometry.walkers", "must be at least 1 (no walker means no translation)".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::error::InputError;
    use crate::topology::Platform;
    use std::path::Path;

    /// A valid base; tests substitute pieces of it.
    const BASE: &str = r#"// test platform
Topology(
    name: "t",
    iommus: [
        Iommu(id: "dmar0", kind: IntelVtd),
        Iommu(id: "smmu0", kind: ArmSmmuV3),
    ],
    buses: [
        RootComplex(id: "pci0000:00", iommu: "dmar0"),
        RootPort(id: "0000:00:01.0", parent: "pci0000:00"),
        PlatformBus(id: "soc", iommu: "smmu0"),
    ],
    devices: [
        Device(id: "0000:01:00.0", parent: "0000:00:01.0"),
        Device(id: "gpu", parent: "soc", stream_ids: [0x10]),
    ],
)
"#;

    fn err(src: &str) -> (String, usize, usize) {
        match Platform::parse(Path::new("t.ron"), src) {
            Ok(_) => panic!("accepted:\n{src}"),
            Err(InputError::Invalid { at, message }) | Err(InputError::Parse { at, message }) => (message, at.line, at.col),
            Err(e) => panic!("unexpected {e}"),
        }
    }

    fn with(from: &str, to: &str) -> String {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1)
    }

    #[test]
    fn base_is_valid() {
        let p = Platform::parse(Path::new("t.ron"), BASE).unwrap();
        assert_eq!(p.devices.len(), 2);
        assert_eq!(p.devices[0].stream_ids, vec![0x0100]);
        assert_eq!(p.graph.node_count(), 2 + 3 + 2);
        assert_eq!(p.graph.edge_count(), 2 + 1 + 2);
    }

    #[test]
    fn unknown_field_is_a_parse_error_with_line_and_col() {
        let (m, line, col) = err(&with("Device(id: \"gpu\"", "Device(colour: 1, id: \"gpu\""));
        assert!(m.contains("colour"), "{m}");
        assert_eq!(line, 15);
        assert!(col > 0);
    }

    #[test]
    fn empty_id() {
        let (m, line, col) = err(&with("id: \"gpu\"", "id: \"\""));
        assert!(m.contains("devices[1] \"\": id is empty"), "{m}");
        assert_eq!((line, col), (15, 20));
    }

    #[test]
    fn duplicate_id_points_at_the_second_declaration() {
        let (m, line, col) = err(&with("id: \"gpu\"", "id: \"smmu0\""));
        assert!(m.contains("devices[1] \"smmu0\": id is already used by iommus[1] \"smmu0\""), "{m}");
        assert_eq!((line, col), (15, 20));
    }

    #[test]
    fn unknown_parent() {
        let (m, line, _) = err(&with("parent: \"0000:00:01.0\")", "parent: \"0000:09:00.0\")"));
        assert!(m.contains("devices[0] \"0000:01:00.0\": parent \"0000:09:00.0\" is not a bus in this topology"), "{m}");
        assert_eq!(line, 14);
    }

    #[test]
    fn parent_that_is_a_device() {
        let (m, _, _) =
            err(&with("RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\")", "RootPort(id: \"0000:00:01.0\", parent: \"gpu\")"));
        assert!(m.contains("buses[1] \"0000:00:01.0\": parent \"gpu\" is not a bus") && m.contains("a device"), "{m}");
    }

    #[test]
    fn unknown_iommu() {
        let (m, line, col) = err(&with("iommu: \"dmar0\"", "iommu: \"dmar9\""));
        assert!(m.contains("buses[0] \"pci0000:00\": iommu \"dmar9\" is not an IOMMU"), "{m}");
        assert_eq!((line, col), (9, 39));
    }

    #[test]
    fn cycle_in_parent_links() {
        let src = with(
            "PlatformBus(id: \"soc\", iommu: \"smmu0\"),",
            "PlatformBus(id: \"soc\", iommu: \"smmu0\"),
        SwitchUpstream(id: \"0000:02:00.0\", parent: \"0000:03:01.0\"),
        SwitchDownstream(id: \"0000:03:01.0\", parent: \"0000:02:00.0\"),",
        );
        let (m, line, _) = err(&src);
        assert!(m.contains("cycle (0000:02:00.0 -> 0000:03:01.0 -> 0000:02:00.0)"), "{m}");
        assert!(m.starts_with("buses[3] \"0000:02:00.0\""), "{m}");
        assert_eq!(line, 12);
    }

    #[test]
    fn no_iommu_upstream() {
        let (m, line, _) = err(&with("RootComplex(id: \"pci0000:00\", iommu: \"dmar0\")", "RootComplex(id: \"pci0000:00\")"));
        assert!(m.contains("devices[0] \"0000:01:00.0\": no IOMMU upstream: its root RootComplex \"pci0000:00\""), "{m}");
        assert_eq!(line, 14);
    }

    #[test]
    fn bus_below_a_platform_bus() {
        let (m, _, _) = err(&with("parent: \"pci0000:00\")", "parent: \"soc\")"));
        assert!(
            m.contains("buses[1] \"0000:00:01.0\": parent \"soc\" is a PlatformBus, but a RootPort must sit below a RootComplex"),
            "{m}"
        );
    }

    #[test]
    fn pci_device_on_a_platform_bus_needs_stream_ids() {
        let (m, _, _) = err(&with("parent: \"0000:00:01.0\")", "parent: \"soc\")"));
        assert!(m.contains("devices[0] \"0000:01:00.0\": a platform device on \"soc\" needs stream_ids"), "{m}");
    }

    #[test]
    fn platform_device_on_a_pci_bus() {
        let (m, _, _) = err(&with("parent: \"soc\"", "parent: \"0000:00:01.0\""));
        assert!(m.contains("devices[1] \"gpu\": a PCI device's id must be its address"), "{m}");
    }

    #[test]
    fn stream_ids_on_a_pci_device() {
        let (m, _, _) = err(&with("parent: \"0000:00:01.0\")", "parent: \"0000:00:01.0\", stream_ids: [1])"));
        assert!(m.contains("devices[0] \"0000:01:00.0\": a PCI device uses its requester id"), "{m}");
    }

    #[test]
    fn ats_on_a_platform_device() {
        let (m, _, _) = err(&with("stream_ids: [0x10]", "stream_ids: [0x10], ats: true"));
        assert!(m.contains("devices[1] \"gpu\": ats"), "{m}");
    }

    #[test]
    fn impossible_address_widths() {
        for (kind, width, ok) in [
            ("IntelVtd", 40, false),
            ("IntelVtd", 57, true),
            ("ArmSmmuV3", 53, false),
            ("ArmSmmuV3", 32, true),
            ("AmdVi", 31, false),
            ("AmdVi", 64, true),
        ] {
            let src = with(
                "Iommu(id: \"dmar0\", kind: IntelVtd)",
                &format!("Iommu(id: \"dmar0\", kind: {kind}, caps: (address_width: {width}))"),
            );
            let r = Platform::parse(Path::new("t.ron"), &src);
            assert_eq!(r.is_ok(), ok, "{kind} {width}");
            if !ok {
                let (m, line, col) = err(&src);
                assert!(m.contains("iommus[0] \"dmar0\": caps.address_width:"), "{m}");
                let want = src.lines().nth(4).and_then(|l| l.find("address_width")).unwrap() + 1;
                assert_eq!((line, col), (5, want));
            }
        }
    }

    #[test]
    fn impossible_page_sizes() {
        for (kind, sizes, ok) in [
            ("IntelVtd", "[\"2M\"]", false),
            ("IntelVtd", "[\"4K\", \"16K\"]", false),
            ("IntelVtd", "[\"4K\", \"2M\"]", true),
            ("ArmSmmuV3", "[\"4K\", \"64K\"]", false),
            ("ArmSmmuV3", "[\"16K\", \"2M\"]", false),
            ("ArmSmmuV3", "[\"16K\", \"32M\"]", true),
            ("ArmSmmuV3", "[\"64K\", \"512M\"]", true),
            ("ArmSmmuV3", "[\"2M\"]", false),
            ("AmdVi", "[\"4K\", \"512G\"]", false),
            ("AmdVi", "[\"4K\", \"8K\", \"1G\"]", true),
        ] {
            let src =
                with("Iommu(id: \"smmu0\", kind: ArmSmmuV3)", &format!("Iommu(id: \"smmu0\", kind: {kind}, caps: (page_sizes: {sizes}))"));
            let r = Platform::parse(Path::new("t.ron"), &src);
            assert_eq!(r.is_ok(), ok, "{kind} {sizes}");
            if !ok {
                let (m, line, _) = err(&src);
                assert!(m.contains("iommus[1] \"smmu0\": caps.page_sizes:"), "{m}");
                assert_eq!(line, 6);
            }
        }
    }

    #[test]
    fn geometry_and_domain_id_limits() {
        for (over, field) in [
            ("geometry: (iotlb_entries: 0)", "geometry.iotlb_entries: must be at least 1"),
            ("geometry: (iotlb_ways: 0)", "geometry.iotlb_ways: must be at least 1"),
            ("geometry: (iotlb_entries: 100, iotlb_ways: 8)", "geometry.iotlb_entries: 100 is not a multiple"),
            ("geometry: (walk_cache_ways: 0)", "geometry.walk_cache_ways"),
            ("geometry: (devtlb_entries: 6)", "geometry.devtlb_entries: 6 is not a multiple"),
            ("geometry: (walkers: 0)", "geometry.walkers: must be at least 1"),
            ("caps: (domain_ids: 0)", "caps.domain_ids: 0 is impossible"),
            ("caps: (domain_ids: 70000)", "caps.domain_ids: 70000 is impossible"),
            ("caps: (output_width: 60)", "caps.output_width"),
            ("caps: (max_invalidation_pages: 0)", "caps.max_invalidation_pages"),
        ] {
            let src = with("Iommu(id: \"dmar0\", kind: IntelVtd)", &format!("Iommu(id: \"dmar0\", kind: IntelVtd, {over})"));
            let (m, line, _) = err(&src);
            assert!(m.contains(&format!("iommus[0] \"dmar0\": {field}")), "{over}: {m}");
            assert_eq!(line, 5);
        }
    }

    /// Limit errors (limits::check_platform) point at the offending value, found through the
    /// span index by the entry's id, not at the file.
    #[test]
    fn limit_errors_point_at_the_value() {
        let src = "Topology(\n    name: \"t\",\n    iommus: [\n        Iommu(id: \"a\", kind: IntelVtd),\n        Iommu(id: \"b\", kind: IntelVtd,\n              geometry: (iotlb_entries: 64, walkers: 5000)),\n    ],\n    buses: [RootComplex(id: \"pci0000:00\", iommu: \"b\")],\n    devices: [],\n)";
        let (m, line, col) = err(src);
        assert!(m.contains("iommus \"b\" geometry.walkers: 5000 is more than the limit"), "{m}");
        // Line 6, at `5000` (after `              geometry: (iotlb_entries: 64, walkers: `).
        assert_eq!((line, col), (6, 54), "{m}");
        // A field left to its default points at its entry; costs inside `costs: (..)`.
        let src2 = src.replace("geometry: (iotlb_entries: 64, walkers: 5000)", "costs: (pte_read: 99999999)");
        let (m, line, col) = err(&src2);
        assert!(m.contains("costs.pte_read"), "{m}");
        assert_eq!((line, col), (6, 33), "{m}");
        // A bus tree too deep: the bus named in the message, at its id.
        let mut buses = String::from("RootComplex(id: \"rc\", iommu: \"m\"), RootPort(id: \"rp\", parent: \"rc\", acs: false)");
        let mut parent = "rp".to_string();
        for i in 0..200 {
            buses += &format!(",\n  SwitchUpstream(id: \"u{i}\", parent: \"{parent}\"), SwitchDownstream(id: \"d{i}\", parent: \"u{i}\")");
            parent = format!("d{i}");
        }
        let deep = format!("Topology(name: \"deep\", iommus: [Iommu(id: \"m\", kind: AmdVi)], buses: [{buses}], devices: [])");
        let (m, line, col) = err(&deep);
        let named = m.split('"').nth(1).unwrap().to_string();
        // At the start of that bus's entry (`  SwitchUpstream(id: "u127", ...` → column 3).
        let (at_line, text) = deep.lines().enumerate().find(|(_, l)| l.contains(&format!("id: \"{named}\""))).unwrap();
        assert_eq!((line, col), (at_line + 1, text.find(&format!("SwitchUpstream(id: \"{named}\"")).unwrap() + 1), "{m}");
        assert_eq!((named.as_str(), line, col), ("u127", 129, 3));
    }

    #[test]
    fn smmu_v2_has_at_most_128_context_banks() {
        let src = with("Iommu(id: \"smmu0\", kind: ArmSmmuV3)", "Iommu(id: \"smmu0\", kind: ArmSmmuV2, caps: (domain_ids: 129))");
        let (m, _, _) = err(&src);
        assert!(m.contains("caps.domain_ids: 129 is impossible for arm-smmu-v2 (allowed: 1..=128)"), "{m}");
        let ok = with("Iommu(id: \"smmu0\", kind: ArmSmmuV3)", "Iommu(id: \"smmu0\", kind: ArmSmmuV2, caps: (domain_ids: 4))");
        assert_eq!(Platform::parse(Path::new("t.ron"), &ok).unwrap().iommus[1].params.caps.domain_ids, 4);
    }

    #[test]
    fn overrides_apply_on_top_of_kind_defaults() {
        let src = with(
            "Iommu(id: \"dmar0\", kind: IntelVtd)",
            "Iommu(id: \"dmar0\", kind: IntelVtd, caps: (address_width: 39, snoop_control: false), geometry: (iotlb_entries: 32, iotlb_ways: 32), costs: (pte_read: 120))",
        );
        let p = Platform::parse(Path::new("t.ron"), &src).unwrap();
        let m = &p.iommus[0].params;
        assert_eq!((m.caps.address_width, m.caps.snoop_control, m.caps.coherent_walk), (39, false, true));
        assert_eq!((m.geometry.iotlb_entries, m.costs.pte_read, m.costs.iotlb_hit), (32, 120, 3));
    }

    #[test]
    fn stream_id_rules() {
        // Shared on SMMUv2: one group. On SMMUv3: refused, as arm-smmu-v3 does.
        let shared = BASE.replace(
            "Device(id: \"gpu\", parent: \"soc\", stream_ids: [0x10]),",
            "Device(id: \"gpu\", parent: \"soc\", stream_ids: [0x10]), Device(id: \"dpu\", parent: \"soc\", stream_ids: [0x10]),",
        );
        let (m, _, _) = err(&shared);
        assert!(m.contains("devices[2] \"dpu\": stream_ids[0] 0x10 is already used by devices[1] \"gpu\""), "{m}");
        let v2 = shared.replace("kind: ArmSmmuV3", "kind: ArmSmmuV2");
        let p = Platform::parse(Path::new("t.ron"), &v2).unwrap();
        assert_eq!(p.devices[1].group, p.devices[2].group);
        let (m, _, _) = err(&with("stream_ids: [0x10]", "stream_ids: [0x10, 0x10]"));
        assert!(m.contains("stream_ids[1] 0x10 is listed twice"), "{m}");
        let x86 = with("kind: ArmSmmuV3", "kind: IntelVtd").replace("[0x10]", "[0x10000]");
        let (m, _, _) = err(&x86);
        assert!(m.contains("does not fit the 16-bit source id"), "{m}");
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        for src in [
            "",
            "[1, 2, 3]",
            "Scenario(name: \"x\")",
            "Topology(name: \"x\")",
            "Topology(name: \"x\", iommus: [], buses: [RootComplex(id: \"a\", parent: \"b\")])",
            &"[".repeat(100_000),
            &format!("Topology(name: \"x\", iommus: {})", "[".repeat(10_000)),
            "\u{0}\u{1}\u{ff}garbage",
        ] {
            assert!(Platform::parse(Path::new("t.ron"), src).is_err(), "{src:.40}");
        }
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let mut buses = String::from("RootComplex(id: \"rc\", iommu: \"m\"), RootPort(id: \"rp\", parent: \"rc\", acs: false),");
        let mut parent = "rp".to_string();
        for i in 0..20_000 {
            buses += &format!("SwitchUpstream(id: \"u{i}\", parent: \"{parent}\"), SwitchDownstream(id: \"d{i}\", parent: \"u{i}\"),");
            parent = format!("d{i}");
        }
        let src = format!(
            "Topology(name: \"deep\", iommus: [Iommu(id: \"m\", kind: AmdVi)], buses: [{buses}], devices: [Device(id: \"0000:01:00.0\", parent: \"{parent}\"), Device(id: \"0000:02:00.0\", parent: \"rp\")])"
        );
        // `build` itself (Platform::parse then refuses it: deeper than limits::MAX_BUS_DEPTH).
        let p = super::build(Path::new("t.ron"), &src, super::super::quirks::Kernel::CURRENT).unwrap();
        assert_eq!(p.groups.len(), 1);
        assert!(Platform::parse(Path::new("t.ron"), &src).unwrap_err().to_string().contains("levels deep"));
        let _ = crate::topology::report::text(&p);
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        const BUNDLED: [&str; 5] = [
            include_str!("../../../topologies/xeon-2s.ron"),
            include_str!("../../../topologies/epyc.ron"),
            include_str!("../../../topologies/arm-server.ron"),
            include_str!("../../../topologies/arm-soc.ron"),
            include_str!("../../../topologies/mixed-arm.ron"),
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Arbitrary text is an error or a platform, never a panic.
            #[test]
            fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
                let _ = Platform::parse(Path::new("f.ron"), &src);
            }

            /// A bundled file cut anywhere, or with one byte replaced, never panics, and
            /// any error it gives points into the file (line within range).
            #[test]
            fn mutated_bundled_files_never_panic(which in 0usize..5, cut in 0usize..10_000, pos in 0usize..10_000, byte in 0u8..128) {
                let src = BUNDLED[which];
                let cut = src.char_indices().map(|(i, _)| i).nth(cut % src.chars().count()).unwrap_or(0);
                let _ = Platform::parse(Path::new("f.ron"), &src[..cut]);
                let mut bytes = src.as_bytes().to_vec();
                let p = pos % bytes.len();
                if bytes[p].is_ascii() {
                    bytes[p] = byte;
                }
                let text = String::from_utf8(bytes).unwrap_or_default();
                if let Err(InputError::Invalid { at, .. } | InputError::Parse { at, .. }) = Platform::parse(Path::new("f.ron"), &text) {
                    prop_assert!(at.line <= text.lines().count() + 1);
                }
            }
        }
    }
}
