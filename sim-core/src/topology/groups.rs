//! IOMMU groups, derived as Linux does (reference/linux-attach-semantics.md §3).
//!
//! PCI devices follow `pci_device_group` (drivers/iommu/iommu.c) with the ACS tests of
//! `pci_acs_enabled` / `pci_acs_path_enabled` (drivers/pci/pci.c) and the DMA-alias walk of
//! `pci_for_each_dma_alias` (drivers/pci/search.c):
//!
//! 1. **Alias.** A PCIe-to-PCI bridge forwards everything below it with the requester id
//!    `(secondary bus, devfn 0)`, so every device below one bridge is the same requester to the
//!    IOMMU: the search continues from the bridge.
//! 2. **ACS climb.** From that point, go up bus by bus: stop at the first upstream port whose
//!    whole path to the root has ACS (`pci_acs_path_enabled(bus->self, NULL, REQ_ACS_FLAGS)`);
//!    otherwise the port itself becomes the search point and its group is joined. A root bus
//!    stops the climb, so root-complex integrated endpoints are isolated.
//! 3. **Multifunction.** A multifunction device without its own ACS shares a group with the
//!    other non-ACS functions of the same slot (`get_pci_function_alias_group`).
//!
//! In Linux the bridges and ports are themselves PCI devices that get groups; here they are
//! bus nodes, so "the port's group" is the group of every endpoint whose search stopped at that
//! port. Linux computes groups device by device in probe order; the rules are symmetric, so
//! the result is the union-find of the relations, which is what we compute.
//!
//! `pci_acs_enabled` per port type: root ports and switch downstream ports have ACS only if
//! enabled; a (single-function) switch upstream port counts as isolated ("no ACS capabilities
//! are applicable to single function devices with the exception of downstream ports", PCIe 3.0
//! §6.12.1.3); a PCIe-to-PCI bridge never ("ACS is never applicable", §6.12.1). Simplification:
//! ports are never multifunction here (Linux would merge non-ACS multifunction root ports of one
//! slot, as on some PCH root ports).
//!
//! Platform devices follow `generic_device_group` (one group each), except that devices
//! sharing a stream id on the same IOMMU share a group, as the SMMUv2 driver does when a new
//! master's stream matches an existing S2CR (`arm_smmu_device_group`, arm-smmu.c).

use std::collections::BTreeMap;

use super::{Bus, BusKind, Device, Group};
use crate::ids::{BusId, DeviceId, GroupId, IommuId};

/// `pci_acs_enabled(port, REQ_ACS_FLAGS)` for a bus node acting as `bus->self`.
fn acs_enabled(bus: &Bus) -> bool {
    match bus.kind {
        BusKind::RootPort | BusKind::SwitchDownstream => bus.acs,
        BusKind::SwitchUpstream => true,
        BusKind::PcieToPciBridge => false,
        // Roots are never `bus->self` of a non-root bus; never reached.
        BusKind::RootComplex | BusKind::PlatformBus => true,
    }
}

/// Where the search of rules 1–2 ended for a device: the device itself, or a bus node whose
/// group it joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Anchor {
    Device(DeviceId),
    Bus(BusId),
}

/// Computes the groups and writes each device's `group`. `order` lists every bus with parents
/// before children (the builder guarantees the tree is acyclic). Iterative and linear in the
/// size of the tree, whatever its depth.
pub fn derive(buses: &[Bus], order: &[BusId], devices: &mut [Device]) -> Vec<Group> {
    // acs_path[b]: every node from b up to (not including) the root has ACS.
    // up[b]: the search point reached when the climb arrives at b as `bus->self` and fails.
    let mut acs_path = vec![false; buses.len()];
    let mut up: Vec<BusId> = (0..buses.len()).map(BusId::from_index).collect();
    for &b in order {
        let bus = &buses[b.index()];
        match bus.parent {
            None => acs_path[b.index()] = true,
            Some(p) => {
                let parent = &buses[p.index()];
                let parent_is_root = parent.kind.is_root();
                acs_path[b.index()] = acs_enabled(bus) && (parent_is_root || acs_path[p.index()]);
                up[b.index()] = if parent_is_root || acs_path[p.index()] { b } else { up[p.index()] };
            }
        }
    }

    let mut uf = UnionFind::new(devices.len());
    let mut by_anchor: BTreeMap<Anchor, usize> = BTreeMap::new();
    let mut by_slot: BTreeMap<(BusId, u16, u8, u8), usize> = BTreeMap::new();
    let mut by_stream: BTreeMap<(IommuId, u32), usize> = BTreeMap::new();
    for (i, dev) in devices.iter().enumerate() {
        let parent = &buses[dev.parent.index()];
        if parent.kind == BusKind::PlatformBus {
            for &sid in &dev.stream_ids {
                let first = *by_stream.entry((dev.iommu, sid)).or_insert(i);
                uf.union(first, i);
            }
            continue;
        }
        let p = dev.parent;
        let anchor = if parent.kind == BusKind::PcieToPciBridge {
            // Rule 1: the alias is the bridge; continue from it.
            Anchor::Bus(up[p.index()])
        } else if parent.kind.is_root() || acs_path[p.index()] {
            Anchor::Device(DeviceId::from_index(i))
        } else {
            Anchor::Bus(up[p.index()])
        };
        let first = *by_anchor.entry(anchor).or_insert(i);
        uf.union(first, i);
        // Rule 3: non-ACS functions of one multifunction slot.
        if let Some(bdf) = dev.bdf.filter(|_| dev.multifunction && !dev.acs) {
            let first = *by_slot.entry((p, bdf.segment, bdf.bus, bdf.device)).or_insert(i);
            uf.union(first, i);
        }
    }

    // Components ordered by (IOMMU, lowest device index); members sorted by name.
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..devices.len() {
        members.entry(uf.find(i)).or_default().push(i);
    }
    let mut comps: Vec<Vec<usize>> = members.into_values().collect();
    // Each component's members are in ascending index order, so [0] is the lowest.
    comps.sort_by_key(|c| (devices[c[0]].iommu, c[0]));
    let mut groups = Vec::with_capacity(comps.len());
    for (g, comp) in comps.into_iter().enumerate() {
        let gid = GroupId::from_index(g);
        let iommu = devices[comp[0]].iommu;
        let mut ids: Vec<DeviceId> = comp.iter().map(|&i| DeviceId::from_index(i)).collect();
        for &i in &comp {
            debug_assert_eq!(devices[i].iommu, iommu, "a group spans two IOMMUs");
            devices[i].group = gid;
        }
        ids.sort_by(|a, b| devices[a.index()].name.cmp(&devices[b.index()].name));
        groups.push(Group { iommu, devices: ids });
    }
    groups
}

/// Disjoint sets with path halving and union by size.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
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
