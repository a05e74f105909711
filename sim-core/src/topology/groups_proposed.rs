//! IOMMU groups as the proposed (not merged) PCI ACS rework forms them, for `kernel:
//! "proposed"`: Jason Gunthorpe, "[PATCH v3 00/11] Fix incorrect iommu_groups with PCIe ACS"
//! (2025-09-05, <0-v3-8827cc7fc4e0+23f-pcie_switch_groups_jgg@nvidia.com>, branch
//! `pcie_switch_groups` of github.com/jgunthorpe/linux, based on v6.17-rc4). Revision 3 is the
//! one modelled; v2 grouped multifunction devices without an ACS capability and carried quirk
//! patches that v3 dropped. No released kernel has it: no stored kernel tree (torvalds/linux,
//! the linux-next copy `quirks.rs` cites) defines `PCI_ACS_DSP_MT_RR`, and the series was read
//! from the mailing list.
//!
//! The rules, from the v3 patches (each read in full):
//! - **Bus isolation** (02/11 `pci_bus_isolated`, <2-v3-...>, with 11/11's Enhanced bits,
//!   <11-v3-...>): isolation is a property of a bus, judged by the bridge above it:
//!   - the root bus: [`BusIsolation::PcieIsolated`];
//!   - below a root port: isolated, unless the port has an ACS capability and
//!     `pci_acs_enabled(port, PCI_ACS_ISOLATED | PCI_ACS_DSP_MT_RR)` is false, then
//!     [`BusIsolation::PcieNonIsolated`] (a root port *without* the capability counts as
//!     isolated: "assume if there is no ACS cap then there is no loopback");
//!   - below a switch downstream port: isolated (a point-to-point link);
//!   - the switch's internal bus (below its upstream port): each function on it, in devfn
//!     order, must be a downstream port without DMA aliases (else `PcieNonIsolated`) with
//!     `PCI_ACS_ISOLATED | DSP_MT_RR | USP_MT_RR` enabled; the first that is not gives
//!     `PcieNonIsolated` if it lacks even `USP_MT_RR` (a port without an ACS capability lacks
//!     it), else [`BusIsolation::PcieSwitchDspNonIsolated`];
//!   - below a PCIe-to-PCI bridge: [`BusIsolation::PciBridgeNonIsolated`] if the bridge has
//!     MMIO (`pci_has_mmio`: a memory BAR or the ROM; `PciFunction::mmio`), else
//!     [`BusIsolation::PciBusNonIsolated`];
//!   - below a PCI-to-PCIe or a conventional bridge: `PciBridgeNonIsolated`.
//! - **Groups** (03/11 `pci_device_group`, <3-v3-...>; 06/11 for multifunction devices,
//!   <6-v3-...>): devices are probed parents first. A function whose upstream bridge's group
//!   is marked non-isolated joins it (`pci_hierarchy_group`). Otherwise, by its bus:
//!   `PcieIsolated` → its own group, unless its reachable set (below) has other members;
//!   `PcieNonIsolated` / `PciBridgeNonIsolated` → the bridge's group, which becomes marked;
//!   `PcieSwitchDspNonIsolated` / `PciBusNonIsolated` → one marked group for every function
//!   on the bus, the bridge not included.
//! - **Reachable set** (05/11 `pci_reachable_set`, 06/11 `pci_devs_are_same_group`): on an
//!   isolated bus, the closure of "DMA aliases of each other" and "functions of one
//!   multifunction device that can loop back" (`pci_mfds_are_same_group`: never a VF; same
//!   slot; multifunction bits that differ → yes; both single-function → no; else yes when
//!   either function has an ACS capability and fails `pci_acs_enabled(PCI_ACS_ISOLATED)`: a
//!   function *without* the capability is taken to have no internal loopback, the reverse of
//!   released kernels). A set of more than one function is one marked group, so everything
//!   below a bridge in it joins too.
//! - **ACS on the proposed kernel** (`pci.rs` `acs_flags_enabled_proposed`, 09/11 and 10/11;
//!   quirks with the requested flags, `quirks::acs_quirk_flags`).
//!
//! Not modelled: `pci_real_dma_dev` (VMD) ordering, `PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT` (a root
//! port with it gets a group of its own; no topology names one), the
//! `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS` quirk that lets a conventional bridge be judged as a
//! PCIe-to-PCI bridge (such a bridge stays in its devices' group here), Enhanced control bits
//! that hardware wires to 0.

use std::collections::BTreeMap;

use super::groups::UnionFind;
use super::pci::{AcsSpec, MMIO_DEFAULT, PcieType, ProposedAcs, acs, acs_enabled_standard_proposed};
use super::{Bdf, Bus, BusKind, Device};
use crate::ids::BusId;

/// `enum pci_bus_isolation` (include/linux/pci.h as 02/11 adds it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusIsolation {
    /// No peer-to-peer on this bus.
    PcieIsolated,
    /// A switch's internal bus: the upstream port is isolated, the downstream ports are not.
    PcieSwitchDspNonIsolated,
    /// No isolation between the bridge and anything below it.
    PcieNonIsolated,
    /// A PCI bus behind a PCIe bridge that neither aliases nor takes part in P2P.
    PciBusNonIsolated,
    /// A PCI bus: no isolation, the bridge is in the group.
    PciBridgeNonIsolated,
}

/// What the rules read of one PCI function (a port, bridge or endpoint), whether the file
/// describes it as a PCI function or only by its node type and `acs` flag.
#[derive(Clone, Copy, Debug)]
struct Facts {
    bdf: Option<Bdf>,
    pcie: PcieType,
    multifunction: bool,
    is_vf: bool,
    /// Has an ACS extended capability.
    has_cap: bool,
    /// `pci_acs_enabled(PCI_ACS_ISOLATED)`, quirks applied.
    isolated: bool,
    ports: ProposedAcs,
    mmio: bool,
    /// `pdev->dma_alias_mask` is set (explicit aliases or a DMA-alias quirk).
    aliased: bool,
}

/// The ACS answers of a node without a `PciFunction`: its `acs` flag stands for a capability
/// with SV, RR, CR and UF implemented and enabled, as `functions.rs` reads it.
fn legacy_ports(pcie: PcieType, on: bool) -> ProposedAcs {
    let regs = on.then_some(AcsSpec { cap: acs::REQ, ctrl: acs::REQ });
    let ask = |flags| acs_enabled_standard_proposed(pcie, false, regs, flags);
    ProposedAcs {
        root_port: ask(acs::REQ | acs::DSP_MT_RR),
        downstream: ask(acs::REQ | acs::DSP_MT_RR | acs::USP_MT_RR),
        usp_isolated: ask(acs::USP_MT_RR),
    }
}

fn bus_facts(bus: &Bus) -> Facts {
    if let Some(f) = &bus.func {
        return Facts {
            bdf: Some(f.bdf),
            pcie: f.pcie,
            multifunction: f.multifunction,
            is_vf: false,
            has_cap: f.acs.is_some(),
            isolated: f.acs_enabled,
            ports: f.acs_proposed.unwrap_or_else(|| legacy_ports(f.pcie, f.acs_enabled)),
            mmio: f.mmio,
            aliased: !f.dma_aliases.is_empty(),
        };
    }
    let pcie = match bus.kind {
        BusKind::RootPort => PcieType::RootPort,
        BusKind::SwitchUpstream => PcieType::Upstream,
        BusKind::SwitchDownstream => PcieType::Downstream,
        BusKind::PcieToPciBridge => PcieType::PcieToPciBridge,
        BusKind::RootComplex | BusKind::PlatformBus => PcieType::Conventional,
    };
    let has_cap = bus.acs && matches!(bus.kind, BusKind::RootPort | BusKind::SwitchDownstream);
    Facts {
        bdf: None,
        pcie,
        multifunction: false,
        is_vf: false,
        has_cap,
        isolated: has_cap,
        ports: legacy_ports(pcie, has_cap),
        mmio: MMIO_DEFAULT,
        aliased: false,
    }
}

fn device_facts(dev: &Device) -> Facts {
    match &dev.func {
        Some(f) => Facts {
            bdf: Some(f.bdf),
            pcie: f.pcie,
            multifunction: f.multifunction,
            is_vf: f.physfn.is_some(),
            has_cap: f.acs.is_some(),
            isolated: f.acs_enabled,
            ports: f.acs_proposed.unwrap_or_else(|| legacy_ports(f.pcie, false)),
            mmio: f.mmio,
            aliased: !f.dma_aliases.is_empty(),
        },
        None => Facts {
            bdf: None,
            pcie: PcieType::Endpoint,
            multifunction: false,
            is_vf: false,
            has_cap: false,
            isolated: true,
            ports: legacy_ports(PcieType::Endpoint, false),
            mmio: MMIO_DEFAULT,
            aliased: false,
        },
    }
}

/// The functions on the bus below `p` (its child bridges and its devices) as union-find nodes
/// (devices `0..nd`, then buses), in devfn order (`bus->devices`), nodes without an address
/// last.
fn members(buses: &[Bus], devices: &[Device], p: BusId) -> Vec<(usize, Facts)> {
    let nd = devices.len();
    let bus = &buses[p.index()];
    let mut v: Vec<(usize, Facts)> = bus.child_buses.iter().map(|c| (nd + c.index(), bus_facts(&buses[c.index()]))).collect();
    v.extend(bus.devices.iter().map(|d| (d.index(), device_facts(&devices[d.index()]))));
    v.sort_by_key(|(n, f)| (f.bdf.is_none(), f.bdf.map(|b| (b.bus, b.device, b.function)), *n));
    v
}

/// `pci_bus_isolated` of the bus below `p`.
pub fn isolation(buses: &[Bus], devices: &[Device], p: BusId) -> BusIsolation {
    let bus = &buses[p.index()];
    if bus.kind.is_root() {
        return BusIsolation::PcieIsolated;
    }
    let me = bus_facts(bus);
    match me.pcie {
        PcieType::RootPort if me.has_cap && !me.ports.root_port => BusIsolation::PcieNonIsolated,
        PcieType::RootPort | PcieType::Downstream => BusIsolation::PcieIsolated,
        PcieType::Upstream => {
            for (_, f) in members(buses, devices, p) {
                if f.pcie != PcieType::Downstream || f.aliased {
                    return BusIsolation::PcieNonIsolated;
                }
                if !f.ports.downstream {
                    return if f.ports.usp_isolated { BusIsolation::PcieSwitchDspNonIsolated } else { BusIsolation::PcieNonIsolated };
                }
            }
            BusIsolation::PcieIsolated
        }
        PcieType::PcieToPciBridge if me.mmio => BusIsolation::PciBridgeNonIsolated,
        PcieType::PcieToPciBridge => BusIsolation::PciBusNonIsolated,
        _ => BusIsolation::PciBridgeNonIsolated,
    }
}

/// Union-find with a "non-isolated" mark per set (`BUS_DATA_PCI_NON_ISOLATED`).
struct Marked<'a> {
    uf: &'a mut UnionFind,
    marked: Vec<bool>,
}

impl Marked<'_> {
    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.uf.find(a), self.uf.find(b));
        let m = self.marked[ra] || self.marked[rb];
        self.uf.union(ra, rb);
        let r = self.uf.find(ra);
        self.marked[r] = m;
    }

    fn mark(&mut self, a: usize) {
        let r = self.uf.find(a);
        self.marked[r] = true;
    }

    fn is_marked(&mut self, a: usize) -> bool {
        let r = self.uf.find(a);
        self.marked[r]
    }
}

/// `pci_mfds_are_same_group`.
fn mfd_loopback(a: &Facts, b: &Facts) -> bool {
    if a.is_vf || b.is_vf {
        return false;
    }
    if a.multifunction != b.multifunction {
        return true;
    }
    if !a.multifunction {
        return false;
    }
    (a.has_cap && !a.isolated) || (b.has_cap && !b.isolated)
}

/// Every PCI function's group under the proposed rules, as unions into `uf` (nodes: devices
/// `0..nd`, then buses). `order` lists buses parents first, so each bridge's group is settled
/// before the functions below it are placed, as Linux's probe order (which 03/11 enforces
/// with `-EPROBE_DEFER`) guarantees. Linear in the tree, plus the pairs within a slot.
pub(super) fn unions(uf: &mut UnionFind, buses: &[Bus], order: &[BusId], devices: &[Device]) {
    let nd = devices.len();
    let mut sets = Marked { uf, marked: vec![false; nd + buses.len()] };
    for &p in order {
        let bus = &buses[p.index()];
        if !bus.kind.is_pci() {
            continue;
        }
        let on_bus = members(buses, devices, p);
        let Some(&(first, _)) = on_bus.first() else { continue };
        let me = nd + p.index();
        // `pci_hierarchy_group`: below a marked group, everything joins it.
        if !bus.kind.is_root() && sets.is_marked(me) {
            for &(m, _) in &on_bus {
                sets.join(me, m);
            }
            continue;
        }
        match isolation(buses, devices, p) {
            BusIsolation::PcieIsolated => reachable_sets(&mut sets, buses, devices, &on_bus),
            BusIsolation::PcieNonIsolated | BusIsolation::PciBridgeNonIsolated => {
                for &(m, _) in &on_bus {
                    sets.join(me, m);
                }
                sets.mark(me);
            }
            BusIsolation::PcieSwitchDspNonIsolated | BusIsolation::PciBusNonIsolated => {
                for &(m, _) in &on_bus {
                    sets.join(first, m);
                }
                sets.mark(first);
            }
        }
    }
}

/// `pci_get_function_group` on an isolated bus: DMA aliases and looping-back functions of one
/// multifunction device share one marked group.
fn reachable_sets(sets: &mut Marked, buses: &[Bus], devices: &[Device], on_bus: &[(usize, Facts)]) {
    let nd = devices.len();
    let func = |n: usize| if n < nd { devices[n].func.as_ref() } else { buses[n - nd].func.as_ref() };
    // (bus number, devfn) → node, and (bus number, slot) → its functions.
    let mut at: BTreeMap<(u8, u8), usize> = BTreeMap::new();
    let mut slots: BTreeMap<(u8, u8), Vec<(usize, Facts)>> = BTreeMap::new();
    for &(n, f) in on_bus {
        if let Some(b) = f.bdf {
            at.insert((b.bus, (b.device << 3) | b.function), n);
            slots.entry((b.bus, b.device)).or_default().push((n, f));
        }
    }
    for &(n, f) in on_bus {
        let (Some(b), Some(pf)) = (f.bdf, func(n)) else { continue };
        for &devfn in &pf.dma_aliases {
            if let Some(&other) = at.get(&(b.bus, devfn)) {
                sets.join(n, other);
                sets.mark(n);
            }
        }
    }
    for slot in slots.values() {
        for (i, (a, fa)) in slot.iter().enumerate() {
            for (b, fb) in &slot[i + 1..] {
                if mfd_loopback(fa, fb) {
                    sets.join(*a, *b);
                    sets.mark(*a);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::topology::Platform;
    use crate::topology::quirks::Kernel;
    use std::path::Path;

    fn platform(buses: &str, devices: &str, kernel: Kernel) -> Platform {
        let src = format!(
            "Topology(name: \"t\", iommus: [Iommu(id: \"mmu0\", kind: IntelVtd)],
             buses: [RootComplex(id: \"pci0000:00\", iommu: \"mmu0\"), {buses}], devices: [{devices}])"
        );
        match Platform::parse_for_kernel(Path::new("t.ron"), &src, kernel) {
            Ok(p) => p,
            Err(e) => panic!("{e}\n{src}"),
        }
    }

    /// Every group (bridges included) as sorted names, sorted.
    fn all(p: &Platform) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = p
            .all_groups()
            .map(|g| {
                let mut v: Vec<String> = g.devices.iter().map(|d| p.devices[d.index()].name.clone()).collect();
                v.extend(g.bridges.iter().map(|b| p.buses[b.index()].name.clone()));
                v.sort();
                v
            })
            .collect();
        out.sort();
        out
    }

    /// (current kernel, proposed kernel) groups of one topology.
    fn both(buses: &str, devices: &str) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        (all(&platform(buses, devices, Kernel::CURRENT)), all(&platform(buses, devices, Kernel::PROPOSED)))
    }

    fn g(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// Root port 00:01.0 (ACS on) → switch USP 01:00.0 → DSPs 02:01.0 and 02:02.0, one endpoint
    /// below each. `DSP1`/`DSP2` are the downstream ports' `pci:` contents.
    fn switch(dsp1: &str, dsp2: &str, usp: &str) -> String {
        format!(
            "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", pci: Pci(acs: Acs(cap: 0x1f, ctrl: 0x1d), bus_range: (1, 4))),
             SwitchUpstream(id: \"0000:01:00.0\", parent: \"0000:00:01.0\", pci: Pci(bus_range: (2, 4){usp})),
             SwitchDownstream(id: \"0000:02:01.0\", parent: \"0000:01:00.0\", pci: Pci(bus_range: (3, 3){dsp1})),
             SwitchDownstream(id: \"0000:02:02.0\", parent: \"0000:01:00.0\", pci: Pci(bus_range: (4, 4){dsp2}))"
        )
    }
    const SWITCH_DEVS: &str =
        "Device(id: \"0000:03:00.0\", parent: \"0000:02:01.0\"), Device(id: \"0000:04:00.0\", parent: \"0000:02:02.0\")";
    const ACS_ON: &str = ", acs: Acs(cap: 0x1f, ctrl: 0x1d)";
    const ACS_OFF: &str = ", acs: Acs(cap: 0x1f, ctrl: 0)";

    #[test]
    fn switch_with_acs_everywhere_is_isolated_on_both() {
        let (cur, prop) = both(&switch(ACS_ON, ACS_ON, ""), SWITCH_DEVS);
        assert_eq!(cur, prop);
        assert_eq!(prop.len(), 6, "{prop:?}");
    }

    /// PCIE_SWITCH_DSP_NON_ISOLATED: downstream ports with an ACS capability that is off. The
    /// released walk-up gives each port and its endpoint a group; v3 puts both ports and both
    /// endpoints in one (A can reach B's MMIO), the upstream and root ports apart.
    #[test]
    fn sibling_downstream_ports_with_acs_off_share_a_group() {
        let (cur, prop) = both(&switch(ACS_OFF, ACS_OFF, ""), SWITCH_DEVS);
        assert_eq!(
            cur,
            vec![g(&["0000:00:01.0"]), g(&["0000:01:00.0"]), g(&["0000:02:01.0", "0000:03:00.0"]), g(&["0000:02:02.0", "0000:04:00.0"])]
        );
        assert_eq!(
            prop,
            vec![g(&["0000:00:01.0"]), g(&["0000:01:00.0"]), g(&["0000:02:01.0", "0000:02:02.0", "0000:03:00.0", "0000:04:00.0"])]
        );
    }

    /// Asymmetric ACS: one isolating port does not isolate its endpoint from the other port's.
    #[test]
    fn one_non_isolating_downstream_port_spoils_the_whole_switch() {
        let (cur, prop) = both(&switch(ACS_ON, ACS_OFF, ""), SWITCH_DEVS);
        assert!(cur.contains(&g(&["0000:03:00.0"])), "{cur:?}");
        assert_eq!(
            prop,
            vec![g(&["0000:00:01.0"]), g(&["0000:01:00.0"]), g(&["0000:02:01.0", "0000:02:02.0", "0000:03:00.0", "0000:04:00.0"])]
        );
    }

    /// PCIE_NON_ISOLATED: a downstream port with no ACS capability lacks USP_MT_RR too, so the
    /// upstream port joins the group.
    #[test]
    fn a_downstream_port_without_acs_capability_takes_the_upstream_port_in() {
        let (_, prop) = both(&switch(ACS_ON, "", ""), SWITCH_DEVS);
        assert_eq!(prop, vec![g(&["0000:00:01.0"]), g(&["0000:01:00.0", "0000:02:01.0", "0000:02:02.0", "0000:03:00.0", "0000:04:00.0"])]);
    }

    /// v3 does not read the upstream port's MMIO (pci_has_mmio is only asked of PCIe-to-PCI
    /// bridges): the same switch groups the same with and without it.
    #[test]
    fn upstream_port_mmio_does_not_matter() {
        for (d1, d2) in [(ACS_ON, ACS_ON), (ACS_OFF, ACS_OFF), (ACS_ON, "")] {
            let with = both(&switch(d1, d2, ", mmio: true"), SWITCH_DEVS).1;
            let without = both(&switch(d1, d2, ", mmio: false"), SWITCH_DEVS).1;
            assert_eq!(with, without);
        }
    }

    /// Downstream ports with DMA aliases: "don't understand what this is, be conservative".
    #[test]
    fn an_aliased_downstream_port_makes_the_switch_non_isolated() {
        let (_, prop) = both(&switch(ACS_ON, ", acs: Acs(cap: 0x1f, ctrl: 0x1d), dma_aliases: [0x11]", ""), SWITCH_DEVS);
        assert_eq!(prop.len(), 2, "{prop:?}");
    }

    /// ACS Enhanced: the proposed kernel sets DSP/USP memory-target redirect at boot, so a
    /// captured control register without them still isolates.
    #[test]
    fn enhanced_capability_bits_are_enabled_by_the_proposed_kernel() {
        let enh = ", acs: Acs(cap: 0x9f, ctrl: 0x1d)";
        let (_, prop) = both(&switch(enh, enh, ""), SWITCH_DEVS);
        assert_eq!(prop.len(), 6, "{prop:?}");
    }

    /// A Zhaoxin downstream port without an ACS capability is isolated by quirk on released
    /// kernels; its quirk vouches for SV|RR|CR|UF only, so v3's request with DSP_MT_RR and
    /// USP_MT_RR fails and the switch is PCIE_NON_ISOLATED.
    #[test]
    fn fixed_set_quirks_do_not_vouch_for_the_enhanced_bits() {
        let zx = ", ids: \"1d17:0721\", pcie: Downstream";
        let (cur, prop) = both(&switch(zx, zx, ""), SWITCH_DEVS);
        assert_eq!(cur.len(), 6, "{cur:?}");
        assert_eq!(prop.len(), 2, "{prop:?}");
    }

    /// Root port without an ACS capability: the released walk-up joins everything below it to
    /// the port; v3 takes it as isolated.
    #[test]
    fn root_port_without_acs_capability_is_isolated() {
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", acs: false)";
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\"), Device(id: \"0000:01:00.1\", parent: \"0000:00:01.0\")";
        let (cur, prop) = both(buses, devs);
        assert_eq!(cur, vec![g(&["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"])]);
        assert_eq!(prop, vec![g(&["0000:00:01.0"]), g(&["0000:01:00.0"]), g(&["0000:01:00.1"])]);
        // With the capability present but off, both kernels put the port and the devices together.
        let off = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", pci: Pci(acs: Acs(cap: 0x1f, ctrl: 0)))";
        let (cur, prop) = both(off, devs);
        assert_eq!(cur, prop);
        assert_eq!(prop, vec![g(&["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"])]);
    }

    /// Multifunction devices (the cover letter's example): 1f.0 has an ACS capability that is
    /// off, 1f.2 none, 1f.6 one that is on. Released: [1f.0, 1f.2] and [1f.6]. v3: 1f.0 can
    /// loop back into every function, so all three; without 1f.0's capability each is alone.
    #[test]
    fn multifunction_loopback_follows_the_acs_capability() {
        let devs = |f0: &str| {
            format!(
                "Device(id: \"0000:00:1f.0\", parent: \"pci0000:00\", pci: Pci(multifunction: true, pcie: RcEndpoint{f0})),
                 Device(id: \"0000:00:1f.2\", parent: \"pci0000:00\", pci: Pci(multifunction: true, pcie: RcEndpoint)),
                 Device(id: \"0000:00:1f.6\", parent: \"pci0000:00\", pci: Pci(multifunction: true, pcie: RcEndpoint{ACS_ON}))"
            )
        };
        let (cur, prop) = both("", &devs(ACS_OFF));
        assert_eq!(cur, vec![g(&["0000:00:1f.0", "0000:00:1f.2"]), g(&["0000:00:1f.6"])]);
        assert_eq!(prop, vec![g(&["0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.6"])]);
        let (cur, prop) = both("", &devs(""));
        assert_eq!(cur, vec![g(&["0000:00:1f.0", "0000:00:1f.2"]), g(&["0000:00:1f.6"])]);
        assert_eq!(prop, vec![g(&["0000:00:1f.0"]), g(&["0000:00:1f.2"]), g(&["0000:00:1f.6"])]);
    }

    /// Multifunction root ports without ACS (the Intel client PCH case): v3 leaves each port
    /// and what is below it apart. With the capability off, the looping set is marked
    /// non-isolated and takes in everything below both ports.
    #[test]
    fn multifunction_root_ports() {
        let buses = |acs: &str| {
            format!(
                "RootPort(id: \"0000:00:1c.0\", parent: \"pci0000:00\", pci: Pci(ids: \"8086:4dbb\", multifunction: true, bus_range: (1, 1){acs})),
                 RootPort(id: \"0000:00:1c.4\", parent: \"pci0000:00\", pci: Pci(ids: \"8086:4dbb\", multifunction: true, bus_range: (2, 2){acs}))"
            )
        };
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:1c.0\"), Device(id: \"0000:02:00.0\", parent: \"0000:00:1c.4\")";
        let (cur, prop) = both(&buses(""), devs);
        assert_eq!(cur, vec![g(&["0000:00:1c.0", "0000:00:1c.4", "0000:01:00.0", "0000:02:00.0"])]);
        assert_eq!(prop, vec![g(&["0000:00:1c.0"]), g(&["0000:00:1c.4"]), g(&["0000:01:00.0"]), g(&["0000:02:00.0"])]);
        let (_, prop) = both(&buses(ACS_OFF), devs);
        assert_eq!(prop, vec![g(&["0000:00:1c.0", "0000:00:1c.4", "0000:01:00.0", "0000:02:00.0"])]);
    }

    /// Multifunction bits that differ within a slot: "be conservative", one group.
    #[test]
    fn a_slot_whose_functions_disagree_on_multifunction_is_one_group() {
        let devs = "Device(id: \"0000:00:1f.0\", parent: \"pci0000:00\", pci: Pci(multifunction: true, pcie: RcEndpoint)),
             Device(id: \"0000:00:1f.1\", parent: \"pci0000:00\", pci: Pci(pcie: RcEndpoint))";
        assert_eq!(both("", devs).1, vec![g(&["0000:00:1f.0", "0000:00:1f.1"])]);
    }

    /// PCIe-to-PCI bridge: with MMIO (or unknown) PCI_BRIDGE_NON_ISOLATED, the bridge shares
    /// its devices' group; without, PCI_BUS_NON_ISOLATED, the devices share a group without it.
    #[test]
    fn pcie_to_pci_bridge_with_and_without_mmio() {
        let buses = |mmio: &str| {
            format!(
                "RootPort(id: \"0000:00:1c.0\", parent: \"pci0000:00\", acs: true),
                 PcieToPciBridge(id: \"0000:01:00.0\", parent: \"0000:00:1c.0\", pci: Pci(bus_range: (2, 2){mmio}))"
            )
        };
        let devs = "Device(id: \"0000:02:00.0\", parent: \"0000:01:00.0\"), Device(id: \"0000:02:01.0\", parent: \"0000:01:00.0\")";
        let everything = g(&["0000:01:00.0", "0000:02:00.0", "0000:02:01.0"]);
        for mmio in ["", ", mmio: true"] {
            let (cur, prop) = both(&buses(mmio), devs);
            assert_eq!(cur, vec![g(&["0000:00:1c.0"]), everything.clone()]);
            assert_eq!(prop, cur);
        }
        let (cur, prop) = both(&buses(", mmio: false"), devs);
        assert_eq!(cur, vec![g(&["0000:00:1c.0"]), everything]);
        assert_eq!(prop, vec![g(&["0000:00:1c.0"]), g(&["0000:01:00.0"]), g(&["0000:02:00.0", "0000:02:01.0"])]);
        // A conventional (non-PCIe) bridge is PCI_BRIDGE_NON_ISOLATED whatever its MMIO.
        let conv =
            "PcieToPciBridge(id: \"0000:00:1e.0\", parent: \"pci0000:00\", pci: Pci(pcie: Conventional, mmio: false, bus_range: (5, 5)))";
        let devs = "Device(id: \"0000:05:00.0\", parent: \"0000:00:1e.0\"), Device(id: \"0000:05:01.0\", parent: \"0000:00:1e.0\")";
        assert_eq!(both(conv, devs).1, vec![g(&["0000:00:1e.0", "0000:05:00.0", "0000:05:01.0"])]);
    }

    #[test]
    fn classification_names_the_kernel_cases() {
        use super::{BusIsolation, isolation};
        let p = platform(&switch(ACS_OFF, ACS_ON, ""), SWITCH_DEVS, Kernel::PROPOSED);
        let at = |n: &str| isolation(&p.buses, &p.devices, p.bus_by_name(n).unwrap());
        assert_eq!(at("pci0000:00"), BusIsolation::PcieIsolated);
        assert_eq!(at("0000:00:01.0"), BusIsolation::PcieIsolated);
        assert_eq!(at("0000:01:00.0"), BusIsolation::PcieSwitchDspNonIsolated);
        assert_eq!(at("0000:02:01.0"), BusIsolation::PcieIsolated);
        let p = platform(&switch("", ACS_ON, ""), SWITCH_DEVS, Kernel::PROPOSED);
        assert_eq!(isolation(&p.buses, &p.devices, p.bus_by_name("0000:01:00.0").unwrap()), BusIsolation::PcieNonIsolated);
    }

    /// VFs never loop back as multifunction functions, and a PF's VFs stay apart from it.
    #[test]
    fn vfs_are_not_multifunction_members() {
        let buses = "RootPort(id: \"0000:00:01.0\", parent: \"pci0000:00\", acs: true)";
        let devs = "Device(id: \"0000:01:00.0\", parent: \"0000:00:01.0\", pci: Pci(sriov: Sriov(total_vfs: 8, num_vfs: 2, offset: 1, stride: 1))),
             Device(id: \"0000:01:00.1\", parent: \"0000:00:01.0\", pci: Pci(physfn: \"0000:01:00.0\", acs: Acs(cap: 0x1f, ctrl: 0)))";
        assert_eq!(both(buses, devs).1, vec![g(&["0000:00:01.0"]), g(&["0000:01:00.0"]), g(&["0000:01:00.1"])]);
    }
}
