//! IOMMU groups, derived as Linux does (reference/linux-attach-semantics.md §3).
//!
//! Every PCI function is a member, ports and bridges included, as `/sys/kernel/iommu_groups`
//! lists them. Source: drivers/iommu/iommu.c `pci_device_group`, `get_pci_alias_or_group`,
//! `get_pci_alias_group`, `get_pci_function_alias_group` (structure unchanged v3.17 → v6.x;
//! read at commit 00208852d351, the v6.1/6.2 tree), with `pci_acs_path_enabled`
//! (drivers/pci/pci.c) and `pci_for_each_dma_alias` (drivers/pci/search.c). For a function F:
//!
//! 1. **Alias.** `pci_for_each_dma_alias` walks up from F; the first PCIe-to-PCI, PCI-to-PCIe
//!    or conventional bridge it meets already has a group (Linux probes parents first), and F
//!    joins it. Root and switch ports are skipped by the walk.
//! 2. **ACS climb.** Otherwise, with `bus->self` = P the bridge above F: unless every port
//!    from P to the root bus has ACS (`pci_acs_path_enabled(P, NULL, REQ_ACS_FLAGS)`), F joins
//!    P's group (the climb's `iommu_group_get(&pdev->dev)` returns at the first step, and P's
//!    own group came from the same rules one level up). Functions on a root bus stop here.
//! 3. **DMA aliases.** Functions on one bus that alias each other's devfn (quirks or explicit)
//!    share a group (`pci_devs_are_dma_aliases`).
//! 4. **Multifunction.** A multifunction F without ACS (`pci_acs_enabled` with quirks) shares a
//!    group with every function of its slot (same bus, same device number) that lacks ACS;
//!    a single-function PCIe endpoint counts as having it, a conventional device never.
//!
//! Linux computes groups device by device in probe order; the relations are symmetric, so
//! the result is the union-find of them, which is what we compute (rules 3 and 4 apply to
//! functions that returned early too: their slot mates and aliases sit below the same bridge
//! and joined the same group anyway).
//!
//! Platform devices follow `generic_device_group` (one group each), except that devices
//! sharing a stream id on the same IOMMU share a group, as the SMMUv2 driver does when a new
//! master's stream matches an existing S2CR (`arm_smmu_device_group`, arm-smmu.c).

use std::collections::BTreeMap;

use super::{Bus, BusKind, Device, Group};
use crate::ids::{BusId, DeviceId, GroupId, IommuId};

/// (parent bus node, segment, bus number, device or devfn): a slot or a requester id.
type SlotKey = (BusId, u16, u8, u8);

/// `pci_acs_enabled(port, REQ_ACS_FLAGS)` for a bus node acting as `bus->self`.
fn acs_enabled(bus: &Bus) -> bool {
    if let Some(f) = &bus.func {
        return f.acs_enabled;
    }
    match bus.kind {
        BusKind::RootPort | BusKind::SwitchDownstream => bus.acs,
        BusKind::SwitchUpstream => true,
        BusKind::PcieToPciBridge => false,
        BusKind::RootComplex | BusKind::PlatformBus => true,
    }
}

/// Whether `pci_for_each_dma_alias` reports this bridge (rule 1).
fn is_alias_bridge(bus: &Bus) -> bool {
    match &bus.func {
        Some(f) => f.is_alias_bridge(),
        None => bus.kind == BusKind::PcieToPciBridge,
    }
}

/// Computes the groups, writes each device's and bridge's `group`, and returns the endpoint
/// groups (ordered by IOMMU, then lowest device) and the bridge-only groups (numbered after,
/// ordered by IOMMU, then lowest bus). `order` lists every bus with parents before children.
/// `proposed`: form the PCI groups with the proposed ACS group rework
/// ([`super::groups_proposed`]) instead of the rules above. Linear in the size of the tree
/// (plus a log for the ordered maps), whatever its depth.
pub fn derive(buses: &mut [Bus], order: &[BusId], devices: &mut [Device], proposed: bool) -> Result<(Vec<Group>, Vec<Group>), String> {
    let nd = devices.len();
    let mut uf = UnionFind::new(nd + buses.len());
    // Platform devices: one group each, unless they share a stream id on one IOMMU.
    let mut by_stream: BTreeMap<(IommuId, u32), usize> = BTreeMap::new();
    for (i, dev) in devices.iter().enumerate() {
        if buses[dev.parent.index()].kind == BusKind::PlatformBus {
            for &sid in &dev.stream_ids {
                let first = *by_stream.entry((dev.iommu, sid)).or_insert(i);
                uf.union(first, i);
            }
        }
    }
    if proposed {
        super::groups_proposed::unions(&mut uf, buses, order, devices);
    } else {
        pci_unions(&mut uf, buses, order, devices);
    }
    assemble(&mut uf, buses, devices)
}

/// Rules 1-4 for every PCI function, as unions (nodes: devices `0..nd`, then buses).
fn pci_unions(uf: &mut UnionFind, buses: &[Bus], order: &[BusId], devices: &[Device]) {
    let nd = devices.len();
    // acs_path[b]: b and every port above it up to the root bus have ACS.
    // alias_at[b]: the nearest alias bridge at or above b (as `bus->self` of its children).
    let mut acs_path = vec![false; buses.len()];
    let mut alias_at: Vec<Option<BusId>> = vec![None; buses.len()];
    for &b in order {
        let bus = &buses[b.index()];
        let Some(p) = bus.parent else { continue };
        let parent_is_root = buses[p.index()].kind.is_root();
        acs_path[b.index()] = acs_enabled(bus) && (parent_is_root || acs_path[p.index()]);
        alias_at[b.index()] = if is_alias_bridge(bus) {
            Some(b)
        } else if parent_is_root {
            None
        } else {
            alias_at[p.index()]
        };
    }

    // Nodes: devices 0..nd, then buses.
    let bus_node = |b: BusId| nd + b.index();
    // Rules 1–2 for a function whose parent bus is `p`.
    let climb = |uf: &mut UnionFind, me: usize, p: BusId| {
        if buses[p.index()].kind.is_root() {
            return;
        }
        if let Some(a) = alias_at[p.index()] {
            uf.union(me, bus_node(a));
        } else if !acs_path[p.index()] {
            uf.union(me, bus_node(p));
        }
    };
    // (parent, segment, bus, slot) → (non-ACS members, triggered by a multifunction one).
    let mut slots: BTreeMap<SlotKey, (Vec<usize>, bool)> = BTreeMap::new();
    // (parent, segment, bus, devfn) → node, for DMA aliases.
    let mut at_devfn: BTreeMap<SlotKey, usize> = BTreeMap::new();
    let mut with_aliases: Vec<(usize, BusId)> = Vec::new();
    let mut note = |me: usize, p: BusId, f: &super::pci::PciFunction| {
        let b = f.bdf;
        at_devfn.insert((p, b.segment, b.bus, (b.device << 3) | b.function), me);
        if !f.dma_aliases.is_empty() {
            with_aliases.push((me, p));
        }
        if !f.acs_enabled {
            let slot = slots.entry((p, b.segment, b.bus, b.device)).or_default();
            slot.0.push(me);
            slot.1 |= f.multifunction;
        }
    };
    for (i, dev) in devices.iter().enumerate() {
        let p = dev.parent;
        if buses[p.index()].kind == BusKind::PlatformBus {
            continue;
        }
        climb(uf, i, p);
        if let Some(f) = &dev.func {
            note(i, p, f);
        }
    }
    for (b, bus) in buses.iter().enumerate() {
        let Some(p) = bus.parent else { continue };
        if !bus.kind.is_pci() {
            continue;
        }
        climb(uf, nd + b, p);
        if let Some(f) = &bus.func {
            note(nd + b, p, f);
        }
    }
    // Rule 3.
    let func_of = |n: usize| if n < nd { devices[n].func.as_ref() } else { buses[n - nd].func.as_ref() };
    for &(me, p) in &with_aliases {
        let Some(f) = func_of(me) else { continue };
        for &devfn in &f.dma_aliases {
            if let Some(&other) = at_devfn.get(&(p, f.bdf.segment, f.bdf.bus, devfn)) {
                uf.union(me, other);
            }
        }
    }
    // Rule 4.
    for (members, triggered) in slots.values() {
        if *triggered {
            for &m in &members[1..] {
                uf.union(members[0], m);
            }
        }
    }
}

/// The groups from the unions: members in node order, so the first device is the lowest.
fn assemble(uf: &mut UnionFind, buses: &mut [Bus], devices: &mut [Device]) -> Result<(Vec<Group>, Vec<Group>), String> {
    let nd = devices.len();
    let mut comps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for n in 0..nd + buses.len() {
        let is_member = if n < nd { true } else { buses[n - nd].func.is_some() && buses[n - nd].iommu.is_some() };
        if is_member {
            comps.entry(uf.find(n)).or_default().push(n);
        }
    }
    let mut with_devices: Vec<Vec<usize>> = Vec::new();
    let mut bridges_only: Vec<Vec<usize>> = Vec::new();
    for comp in comps.into_values() {
        if comp[0] < nd { with_devices.push(comp) } else { bridges_only.push(comp) }
    }
    with_devices.sort_by_key(|c| (devices[c[0]].iommu, c[0]));
    let bridge_iommu: Vec<IommuId> = bridges_only.iter().map(|c| buses[c[0] - nd].iommu.unwrap_or(IommuId(0))).collect();
    let mut order_b: Vec<usize> = (0..bridges_only.len()).collect();
    order_b.sort_by_key(|&k| (bridge_iommu[k], bridges_only[k][0]));

    let mut groups = Vec::with_capacity(with_devices.len());
    for comp in &with_devices {
        let iommu = devices[comp[0]].iommu;
        groups.push(make_group(groups.len(), comp, iommu, nd, buses, devices)?);
    }
    let mut bridge_groups = Vec::with_capacity(bridges_only.len());
    for k in order_b {
        let g = groups.len() + bridge_groups.len();
        bridge_groups.push(make_group(g, &bridges_only[k], bridge_iommu[k], nd, buses, devices)?);
    }
    Ok((groups, bridge_groups))
}

/// Writes group `g`'s number into its members and returns it with members sorted by name.
fn make_group(g: usize, comp: &[usize], iommu: IommuId, nd: usize, buses: &mut [Bus], devices: &mut [Device]) -> Result<Group, String> {
    let gid = GroupId::from_index(g);
    let mut devs = Vec::new();
    let mut brs = Vec::new();
    for &n in comp {
        if n < nd {
            if devices[n].iommu != iommu {
                return Err(format!(
                    "devices \"{}\" and \"{}\" share an IOMMU group but sit behind different IOMMUs",
                    devices[comp[0]].name, devices[n].name
                ));
            }
            devices[n].group = gid;
            devs.push(DeviceId::from_index(n));
        } else {
            buses[n - nd].group = Some(gid);
            brs.push(BusId::from_index(n - nd));
        }
    }
    devs.sort_by(|a, b| devices[a.index()].name.cmp(&devices[b.index()].name));
    brs.sort_by(|a, b| buses[a.index()].name.cmp(&buses[b.index()].name));
    Ok(Group { iommu, devices: devs, bridges: brs })
}

/// Disjoint sets with path halving and union by size.
pub(super) struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    pub(super) fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect(), size: vec![1; n] }
    }

    pub(super) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    pub(super) fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use crate::topology::Platform;
    use std::path::Path;

    fn platform(buses: &str, devices: &str) -> Platform {
        let src = format!(
            "Topology(name: \"t\", iommus: [Iommu(id: \"mmu0\", kind: IntelVtd), Iommu(id: \"smmu\", kind: ArmSmmuV2)],
             buses: [RootComplex(id: \"pci0000:00\", iommu: \"mmu0\"), PlatformBus(id: \"soc\", iommu: \"smmu\"), {buses}],
             devices: [{devices}])"
        );
        match Platform::parse(Path::new("t.ron"), &src) {
            Ok(p) => p,
            Err(e) => panic!("{e}\n{src}"),
        }
    }

    /// The groups as sorted name lists, in group order.
    fn groups(p: &Platform) -> Vec<Vec<&str>> {
        p.groups.iter().map(|g| g.devices.iter().map(|d| p.devices[d.index()].name.as_str()).collect()).collect()
    }

    const SWITCH: &str = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", acs: true),
        SwitchUpstream(id: \"0000:01:00.0\", parent: \"0000:00:01.0\"),
        SwitchDownstream(id: \"0000:02:01.0\", parent: \"0000:01:00.0\", acs: ACS1),
        SwitchDownstream(id: \"0000:02:02.0\", parent: \"0000:01:00.0\", acs: ACS2)";
    const SWITCH_DEVS: &str = "Device(id: \"0000:03:00.0\", parent: \"0000:02:01.0\"),
        Device(id: \"0000:03:00.1\", parent: \"0000:02:01.0\", multifunction: true, acs: true),
        Device(id: \"0000:04:00.0\", parent: \"0000:02:02.0\")";

    #[test]
    fn downstream_port_with_acs_isolates_each_device() {
        let p = platform(&SWITCH.replace("ACS1", "true").replace("ACS2", "true"), SWITCH_DEVS);
        assert_eq!(groups(&p), vec![vec!["0000:03:00.0"], vec!["0000:03:00.1"], vec!["0000:04:00.0"]]);
    }

    #[test]
    fn downstream_port_without_acs_puts_everything_below_it_in_one_group() {
        let p = platform(&SWITCH.replace("ACS1", "false").replace("ACS2", "true"), SWITCH_DEVS);
        assert_eq!(groups(&p), vec![vec!["0000:03:00.0", "0000:03:00.1"], vec!["0000:04:00.0"]]);
    }

    #[test]
    fn root_port_without_acs_merges_the_whole_switch_below_it() {
        let buses = SWITCH.replace("acs: true),", "acs: false),").replace("ACS1", "true").replace("ACS2", "true");
        let p = platform(&buses, SWITCH_DEVS);
        assert_eq!(groups(&p), vec![vec!["0000:03:00.0", "0000:03:00.1", "0000:04:00.0"]]);
    }

    #[test]
    fn root_port_acs_defaults_on_and_downstream_acs_defaults_off() {
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\"),
            RootPort(id: \"0000:00:02.0\", parent: \"pci0000:00\"),
            SwitchUpstream(id: \"0000:02:00.0\", parent: \"0000:00:02.0\"),
            SwitchDownstream(id: \"0000:03:01.0\", parent: \"0000:02:00.0\")";
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\"), Device(id: \"0000:01:00.1\", parent: \"0000:00:01.0\"),
            Device(id: \"0000:04:00.0\", parent: \"0000:03:01.0\"), Device(id: \"0000:04:00.1\", parent: \"0000:03:01.0\")";
        let p = platform(buses, devs);
        assert_eq!(groups(&p), vec![vec!["0000:01:00.0"], vec!["0000:01:00.1"], vec!["0000:04:00.0", "0000:04:00.1"]]);
    }

    #[test]
    fn everything_behind_a_pcie_to_pci_bridge_is_one_group() {
        let buses = "RootPort(id: \"0000:00:1c.0\", parent: \"pci0000:00\", acs: true),
            PcieToPciBridge(id: \"0000:01:00.0\", parent: \"0000:00:1c.0\"),
            PcieToPciBridge(id: \"0000:00:1e.0\", parent: \"pci0000:00\")";
        let devs = "Device(id: \"0000:02:00.0\", parent: \"0000:01:00.0\"), Device(id: \"0000:02:01.0\", parent: \"0000:01:00.0\"),
            Device(id: \"0000:05:00.0\", parent: \"0000:00:1e.0\"), Device(id: \"0000:05:01.0\", parent: \"0000:00:1e.0\"),
            Device(id: \"0000:00:1f.3\", parent: \"pci0000:00\")";
        let p = platform(buses, devs);
        assert_eq!(groups(&p), vec![vec!["0000:02:00.0", "0000:02:01.0"], vec!["0000:05:00.0", "0000:05:01.0"], vec!["0000:00:1f.3"]]);
    }

    #[test]
    fn multifunction_without_acs_shares_the_slot_and_with_acs_does_not() {
        let devs = "Device(id: \"0000:00:1f.0\", parent: \"pci0000:00\", multifunction: true),
            Device(id: \"0000:00:1f.3\", parent: \"pci0000:00\", multifunction: true),
            Device(id: \"0000:00:1f.4\", parent: \"pci0000:00\", multifunction: true, acs: true),
            Device(id: \"0000:00:1e.0\", parent: \"pci0000:00\", multifunction: true),
            Device(id: \"0000:00:02.0\", parent: \"pci0000:00\")";
        let p = platform("RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\")", devs);
        assert_eq!(
            groups(&p),
            vec![vec!["0000:00:1f.0", "0000:00:1f.3"], vec!["0000:00:1f.4"], vec!["0000:00:1e.0"], vec!["0000:00:02.0"]]
        );
    }

    #[test]
    fn multifunction_functions_under_an_acs_port_still_share_their_slot() {
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", acs: true)";
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\", multifunction: true),
            Device(id: \"0000:01:00.1\", parent: \"0000:00:01.0\", multifunction: true)";
        let p = platform(buses, devs);
        assert_eq!(groups(&p), vec![vec!["0000:01:00.0", "0000:01:00.1"]]);
    }

    /// Every group as sorted names, bridges included, endpoint groups then bridge-only ones.
    fn all(p: &Platform) -> Vec<Vec<String>> {
        p.all_groups()
            .map(|g| {
                let mut v: Vec<String> = g.devices.iter().map(|d| p.devices[d.index()].name.clone()).collect();
                v.extend(g.bridges.iter().map(|b| p.buses[b.index()].name.clone()));
                v.sort();
                v
            })
            .collect()
    }

    #[test]
    fn bridges_are_members_and_a_port_without_acs_shares_its_group_with_what_is_below() {
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", acs: false),
            RootPort(id: \"0000:00:02.0\", parent: \"pci0000:00\", acs: true)";
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\"), Device(id: \"0000:02:00.0\", parent: \"0000:00:02.0\")";
        let p = platform(buses, devs);
        assert_eq!(all(&p), vec![vec!["0000:00:01.0", "0000:01:00.0"], vec!["0000:02:00.0"], vec!["0000:00:02.0"]]);
        assert_eq!(p.groups.len(), 2);
        assert!(p.groups.iter().all(|g| g.vfio_usable()) && !p.bridge_groups[0].vfio_usable());
        assert_eq!(p.buses[p.bus_by_name("0000:00:02.0").unwrap().index()].group.map(|g| g.index()), Some(2));
    }

    /// Intel client PCH: root ports 1c.0 and 1c.4 are functions of one slot without an ACS
    /// capability. Without the PCH quirk (device id not in the list) they and everything below
    /// them are one group; with a listed id each is isolated.
    #[test]
    fn multifunction_root_ports_without_acs_share_a_group_unless_the_pch_quirk_applies() {
        let buses = |id: &str| {
            format!(
                "RootPort(id: \"0000:00:1c.0\", parent: \"pci0000:00\", pci: Pci(ids: \"8086:{id}\", multifunction: true, bus_range: (1, 1))),
                 RootPort(id: \"0000:00:1c.4\", parent: \"pci0000:00\", pci: Pci(ids: \"8086:{id}\", multifunction: true, bus_range: (2, 2)))"
            )
        };
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:1c.0\"), Device(id: \"0000:02:00.0\", parent: \"0000:00:1c.4\")";
        let p = platform(&buses("4dbb"), devs);
        assert_eq!(all(&p), vec![vec!["0000:00:1c.0", "0000:00:1c.4", "0000:01:00.0", "0000:02:00.0"]]);
        let p = platform(&buses("8c10"), devs);
        assert_eq!(all(&p), vec![vec!["0000:01:00.0"], vec!["0000:02:00.0"], vec!["0000:00:1c.0"], vec!["0000:00:1c.4"]]);
        let f = p.buses[p.bus_by_name("0000:00:1c.0").unwrap().index()].func.clone().unwrap();
        assert!(f.acs_enabled && f.acs_quirk.unwrap().contains("pci_quirk_intel_pch_acs"));
    }

    #[test]
    fn acs_capability_with_control_bits_off_does_not_isolate() {
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", pci: Pci(acs: Acs(cap: 0x5f, ctrl: 0))),
            RootPort(id: \"0000:00:02.0\", parent: \"pci0000:00\", pci: Pci(acs: Acs(cap: 0x5f, ctrl: 0x1d)))";
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\"), Device(id: \"0000:01:00.1\", parent: \"0000:00:01.0\"),
            Device(id: \"0000:02:00.0\", parent: \"0000:00:02.0\"), Device(id: \"0000:02:00.1\", parent: \"0000:00:02.0\")";
        let p = platform(buses, devs);
        assert_eq!(
            all(&p),
            vec![vec!["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"], vec!["0000:02:00.0"], vec!["0000:02:00.1"], vec!["0000:00:02.0"]]
        );
    }

    /// AMD chipset style: below a root port, the switch upstream port is function 2 of a slot
    /// whose functions 0 and 1 are USB and SATA, none with ACS: one group, and the downstream
    /// ports' devices (no ACS there) join it.
    #[test]
    fn an_upstream_port_sharing_a_slot_with_endpoints() {
        let buses = "RootPort(id: \"0000:00:01.2\", parent: \"pci0000:00\", pci: Pci(acs: Acs(cap: 0x5f, ctrl: 0x1d), bus_range: (2, 4))),
            SwitchUpstream(id: \"0000:02:00.2\", parent: \"0000:00:01.2\", pci: Pci(multifunction: true, bus_range: (3, 4))),
            SwitchDownstream(id: \"0000:03:04.0\", parent: \"0000:02:00.2\", pci: Pci(bus_range: (4, 4)))";
        let devs = "Device(id: \"0000:02:00.0\", parent: \"0000:00:01.2\", pci: Pci(multifunction: true)),
            Device(id: \"0000:02:00.1\", parent: \"0000:00:01.2\", pci: Pci(multifunction: true)),
            Device(id: \"0000:04:00.0\", parent: \"0000:03:04.0\")";
        let p = platform(buses, devs);
        assert_eq!(
            all(&p),
            vec![vec!["0000:02:00.0", "0000:02:00.1", "0000:02:00.2", "0000:03:04.0", "0000:04:00.0"], vec!["0000:00:01.2"]]
        );
    }

    #[test]
    fn a_pcie_to_pci_bridge_sharing_a_slot_with_an_endpoint_and_dma_alias_quirks() {
        let buses = "PcieToPciBridge(id: \"0000:00:1e.0\", parent: \"pci0000:00\", pci: Pci(multifunction: true, pcie: Conventional))";
        let devs = "Device(id: \"0000:00:1e.1\", parent: \"pci0000:00\", pci: Pci(multifunction: true)),
            Device(id: \"0000:05:00.0\", parent: \"0000:00:1e.0\"),
            Device(id: \"0000:00:1f.0\", parent: \"pci0000:00\", pci: Pci(ids: \"1b4b:9128\")),
            Device(id: \"0000:00:1f.1\", parent: \"pci0000:00\")";
        let p = platform(buses, devs);
        assert_eq!(all(&p), vec![vec!["0000:00:1e.0", "0000:00:1e.1", "0000:05:00.0"], vec!["0000:00:1f.0", "0000:00:1f.1"]]);
    }

    #[test]
    fn sriov_vfs_are_isolated_and_must_sit_where_the_pf_puts_them() {
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\")";
        let devs = |vf: &str| {
            format!(
                "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\", pci: Pci(sriov: Sriov(total_vfs: 8, num_vfs: 2, offset: 0x80, stride: 2))),
                 Device(id: \"{vf}\", parent: \"0000:00:01.0\", pci: Pci(physfn: \"0000:01:00.0\"))"
            )
        };
        let p = platform(buses, &devs("0000:01:10.2"));
        assert_eq!(groups(&p), vec![vec!["0000:01:00.0"], vec!["0000:01:10.2"]]);
        let src = format!(
            "Topology(name: \"t\", iommus: [Iommu(id: \"mmu0\", kind: IntelVtd)], buses: [RootComplex(id: \"pci0000:00\", iommu: \"mmu0\"), {buses}], devices: [{}])",
            devs("0000:01:10.6")
        );
        let e = Platform::parse(Path::new("t.ron"), &src).unwrap_err().to_string();
        assert!(e.contains("routing id 0x0186 is not a VF of \"0000:01:00.0\""), "{e}");
    }

    #[test]
    fn vfs_are_never_multifunction_even_when_their_header_says_so() {
        // drivers/pci/iov.c pci_iov_add_virtfn: `virtfn->multifunction = 0`. Two VFs of one PF
        // in one slot, no ACS, header MF bit set: still one group each.
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", pci: Pci(acs: Acs(cap: 0x1f, ctrl: 0x1d)))";
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\", pci: Pci(sriov: Sriov(total_vfs: 8, num_vfs: 2, offset: 0x80, stride: 1))),
             Device(id: \"0000:01:10.0\", parent: \"0000:00:01.0\", pci: Pci(multifunction: true, physfn: \"0000:01:00.0\")),
             Device(id: \"0000:01:10.1\", parent: \"0000:00:01.0\", pci: Pci(multifunction: true, physfn: \"0000:01:00.0\"))";
        let p = platform(buses, devs);
        assert_eq!(groups(&p), vec![vec!["0000:01:00.0"], vec!["0000:01:10.0"], vec!["0000:01:10.1"]]);
    }

    #[test]
    fn bus_numbers_are_checked() {
        let src = "Topology(name: \"t\", iommus: [Iommu(id: \"m\", kind: IntelVtd)], buses: [RootComplex(id: \"pci0000:00\", iommu: \"m\"),
            RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", pci: Pci(bus_range: (1, 1)))],
            devices: [Device(id: \"0000:02:00.0\", parent: \"0000:00:01.0\")])";
        let e = Platform::parse(Path::new("t.ron"), src).unwrap_err().to_string();
        assert!(e.contains("bus 0x02 is not the secondary bus 0x01 of its parent"), "{e}");
    }

    #[test]
    fn platform_devices_are_alone_unless_they_share_a_stream_id() {
        let devs = "Device(id: \"gpu\", parent: \"soc\", stream_ids: [0x10, 0x11]),
            Device(id: \"vpu\", parent: \"soc\", stream_ids: [0x20]),
            Device(id: \"dsp\", parent: \"soc\", stream_ids: [0x30, 0x11]),
            Device(id: \"usb\", parent: \"soc\", stream_ids: [0x40])";
        let p = platform("RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\")", devs);
        assert_eq!(groups(&p), vec![vec!["dsp", "gpu"], vec!["vpu"], vec!["usb"]]);
        assert!(p.groups.iter().all(|g| g.iommu == p.iommu_by_name("smmu").unwrap()));
    }

    #[test]
    fn groups_are_ordered_by_iommu_then_lowest_device_and_stay_behind_one_iommu() {
        let devs = "Device(id: \"npu\", parent: \"soc\", stream_ids: [1]),
            Device(id: \"0000:00:03.0\", parent: \"pci0000:00\"),
            Device(id: \"0000:00:02.0\", parent: \"pci0000:00\")";
        let p = platform("RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\")", devs);
        assert_eq!(groups(&p), vec![vec!["0000:00:03.0"], vec!["0000:00:02.0"], vec!["npu"]]);
        for (g, group) in p.groups.iter().enumerate() {
            for d in &group.devices {
                assert_eq!(p.devices[d.index()].iommu, group.iommu);
                assert_eq!(p.devices[d.index()].group.index(), g);
            }
        }
    }
}
