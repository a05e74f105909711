//! Resolving the PCI functions of a topology file: every port, bridge and endpoint whose id is
//! an address becomes a [`PciFunction`] with its PCIe type, ACS registers (written, or derived
//! from the older `acs` flags), quirks applied, SR-IOV links and bus ranges checked.
//!
//! Rules: a node with a `pci` description is described by it alone (an absent `acs` there
//! means "no ACS capability", as config space would say); a node without one keeps the older
//! meaning of its `acs`/`multifunction` flags (`acs: true` = a capability with SV, RR, CR and
//! UF implemented and enabled).

use super::pci::{AcsSpec, MMIO_DEFAULT, PciFunction, PcieType, ProposedAcs, acs, acs_enabled_standard, acs_enabled_standard_proposed};
use super::schema::{BusSpec, DeviceSpec, PciSpec};
use super::{Bdf, BusKind, quirks};
use crate::ids::DeviceId;

/// Where a problem is: a bus or device index, the field, and what is wrong.
pub(super) enum At {
    Bus(usize),
    Device(usize),
}

pub(super) type Problem = (At, &'static str, String);

/// The functions of the buses and of the devices, by index (`None`: not a PCI function).
pub(super) type Functions = (Vec<Option<PciFunction>>, Vec<Option<PciFunction>>);

/// Parses `"vvvv:dddd"`.
pub fn parse_ids(text: &str) -> Option<(u16, u16)> {
    let (v, d) = text.split_once(':')?;
    let hex = |s: &str| (s.len() == 4).then(|| u16::from_str_radix(s, 16).ok()).flatten();
    Some((hex(v)?, hex(d)?))
}

/// The ACS registers the older flag stands for.
fn legacy_acs(on: bool) -> Option<AcsSpec> {
    on.then_some(AcsSpec { cap: acs::REQ, ctrl: acs::REQ })
}

fn allowed_types(kind: BusKind) -> &'static [PcieType] {
    match kind {
        BusKind::RootPort => &[PcieType::RootPort],
        BusKind::SwitchUpstream => &[PcieType::Upstream],
        BusKind::SwitchDownstream => &[PcieType::Downstream],
        BusKind::PcieToPciBridge => &[PcieType::PcieToPciBridge, PcieType::PciToPcieBridge, PcieType::Conventional],
        BusKind::RootComplex | BusKind::PlatformBus => &[],
    }
}

/// PCIe types a `Device` (a header-type-0 function) may report. `RootPort` is among them
/// because real parts do it: the Xeon E5 v3 DMI2 host bridge (8086:2f00, class 0600, header
/// type 0) has a PCIe capability saying Root Port (corpus: Supermicro X10DRH). Linux judges it
/// by that type (drivers/pci/pci.c `pci_acs_enabled`: `pci_acs_flags_enabled`, so without an
/// ACS capability it is "no ACS"), which only matters if it shares a slot.
const ENDPOINT_TYPES: &[PcieType] = &[
    PcieType::Endpoint,
    PcieType::LegacyEndpoint,
    PcieType::RcEndpoint,
    PcieType::RcEventCollector,
    PcieType::Conventional,
    PcieType::RootPort,
];

/// Where a function sits (`pci_is_root_bus(dev->bus)`) and which kernel release judges it.
#[derive(Clone, Copy)]
struct Context {
    on_root_bus: bool,
    kernel: quirks::Kernel,
}

/// Builds one function; `on_root_bus` is `pci_is_root_bus(dev->bus)`.
fn function(
    bdf: Bdf,
    spec: Option<&PciSpec>,
    default_type: PcieType,
    allowed: &[PcieType],
    legacy_mf: bool,
    legacy: Option<AcsSpec>,
    ctx: Context,
) -> Result<PciFunction, (&'static str, String)> {
    let Context { on_root_bus, kernel } = ctx;
    let empty = PciSpec::default();
    let s = spec.unwrap_or(&empty);
    let ids = match &s.ids {
        None => None,
        Some(t) => Some(parse_ids(t).ok_or(("ids", format!("ids \"{t}\" is not \"vvvv:dddd\" (hex vendor:device, as lspci -nn prints)")))?),
    };
    if let Some(c) = s.class.filter(|&c| c > 0xff_ffff) {
        return Err(("class", format!("class {c:#x} does not fit 24 bits")));
    }
    let pcie = s.pcie.unwrap_or(default_type);
    if !allowed.contains(&pcie) {
        let names: Vec<String> = allowed.iter().map(|t| format!("{t:?}")).collect();
        return Err(("pcie", format!("pcie type {pcie:?} does not fit this node (allowed: {})", names.join(", "))));
    }
    let acs_regs = if spec.is_some() { s.acs } else { legacy };
    if let Some((sec, sub)) = s.bus_range.filter(|(sec, sub)| sec > sub) {
        return Err(("bus_range", format!("secondary bus {sec:#04x} is above subordinate {sub:#04x}")));
    }
    // A VF is never multifunction, whatever its header says: drivers/pci/iov.c
    // `pci_iov_add_virtfn` sets `virtfn->multifunction = 0` (read in the v6.x text; the line
    // dates from the first SR-IOV support).
    let multifunction = (legacy_mf || s.multifunction) && s.physfn.is_none();
    let (acs_enabled, acs_quirk) =
        match ids.and_then(|(v, d)| quirks::acs_quirk_for(kernel, v, d, pcie, multifunction, on_root_bus, acs_regs)) {
            Some((on, src)) => (on, Some(src)),
            None => (acs_enabled_standard(pcie, multifunction, acs_regs), None),
        };
    // On the proposed kernel, what the ACS group rework asks of a port (quirks first, as
    // `pci_acs_enabled` does).
    let acs_proposed = kernel.proposed.then(|| {
        let ask = |flags: u16| {
            let quirk = ids.and_then(|(vendor, device)| {
                let who = quirks::AcsAsk { vendor, device, pcie, multifunction, on_root_bus, cap: acs_regs };
                quirks::acs_quirk_flags(kernel, who, flags)
            });
            quirk.map_or_else(|| acs_enabled_standard_proposed(pcie, multifunction, acs_regs, flags), |(on, _)| on)
        };
        ProposedAcs {
            root_port: ask(acs::REQ | acs::DSP_MT_RR),
            downstream: ask(acs::REQ | acs::DSP_MT_RR | acs::USP_MT_RR),
            usp_isolated: ask(acs::USP_MT_RR),
        }
    });
    let mut dma_aliases = s.dma_aliases.clone();
    if let Some((v, d)) = ids {
        dma_aliases.extend(quirks::dma_alias_devfns(v, d, bdf.device).into_iter().map(|(devfn, _)| devfn));
    }
    dma_aliases.sort_unstable();
    dma_aliases.dedup();
    dma_aliases.retain(|&a| a != (bdf.device << 3 | bdf.function));
    Ok(PciFunction {
        bdf,
        ids,
        class: s.class,
        pcie,
        multifunction,
        acs: acs_regs,
        sriov: s.sriov,
        physfn: None,
        bus_range: s.bus_range,
        dma_aliases,
        acs_enabled,
        acs_quirk,
        mmio: s.mmio.unwrap_or(MMIO_DEFAULT),
        acs_proposed,
    })
}

/// Resolves every function. `kinds`/`parents` describe the buses; `dev_parent` each device's
/// bus; `dev_names` maps a device name to its index (for `physfn`).
pub(super) fn resolve(
    buses: &[BusSpec],
    kinds: &[BusKind],
    parents: &[Option<usize>],
    devices: &[DeviceSpec],
    dev_parent: &[usize],
    dev_index: &dyn Fn(&str) -> Option<usize>,
    kernel: quirks::Kernel,
) -> Result<Functions, Problem> {
    let mut bus_funcs = Vec::with_capacity(buses.len());
    for (i, spec) in buses.iter().enumerate() {
        let kind = kinds[i];
        let Some(p) = parents[i] else {
            bus_funcs.push(None);
            continue;
        };
        let Some(bdf) = Bdf::parse(spec.id()) else {
            if spec.pci().is_some() {
                return Err((At::Bus(i), "pci", "a node with `pci` must have its address DDDD:BB:DD.F as id".into()));
            }
            bus_funcs.push(None);
            continue;
        };
        let legacy = match spec {
            BusSpec::RootPort { acs, .. } => {
                if acs.is_some() && spec.pci().is_some() {
                    return Err((At::Bus(i), "acs", "write ACS either as `acs` or as `pci: Pci(acs: ...)`, not both".into()));
                }
                legacy_acs(acs.unwrap_or(true))
            }
            BusSpec::SwitchDownstream { acs, .. } => {
                if acs.is_some() && spec.pci().is_some() {
                    return Err((At::Bus(i), "acs", "write ACS either as `acs` or as `pci: Pci(acs: ...)`, not both".into()));
                }
                legacy_acs(acs.unwrap_or(false))
            }
            _ => None,
        };
        let default_type = allowed_types(kind).first().copied().unwrap_or(PcieType::Conventional);
        let f = function(
            bdf,
            spec.pci(),
            default_type,
            allowed_types(kind),
            false,
            legacy,
            Context { on_root_bus: kinds[p] == BusKind::RootComplex, kernel },
        )
        .map_err(|(field, why)| (At::Bus(i), field, why))?;
        bus_funcs.push(Some(f));
    }

    let mut dev_funcs = Vec::with_capacity(devices.len());
    for (i, spec) in devices.iter().enumerate() {
        let p = dev_parent[i];
        let pkind = kinds[p];
        let bdf = if pkind.is_pci() { Bdf::parse(&spec.id) } else { None };
        let Some(bdf) = bdf else {
            if spec.pci.is_some() {
                return Err((At::Device(i), "pci", "`pci` applies only to PCI functions (a device on a PCI bus, id its address)".into()));
            }
            dev_funcs.push(None);
            continue;
        };
        if spec.pci.is_some() && spec.acs {
            return Err((At::Device(i), "acs", "write ACS either as `acs: true` or as `pci: Pci(acs: ...)`, not both".into()));
        }
        let default_type = match pkind {
            BusKind::RootComplex => PcieType::RcEndpoint,
            BusKind::PcieToPciBridge => PcieType::Conventional,
            _ => PcieType::Endpoint,
        };
        let f = function(
            bdf,
            spec.pci.as_ref(),
            default_type,
            ENDPOINT_TYPES,
            spec.multifunction,
            legacy_acs(spec.acs),
            Context { on_root_bus: pkind == BusKind::RootComplex, kernel },
        )
        .map_err(|(field, why)| (At::Device(i), field, why))?;
        dev_funcs.push(Some(f));
    }

    // SR-IOV: a VF names a PF with the capability, on the same parent, at a routing id the
    // PF's offset and stride give (PCIe r5.0 §9.3.3.9-10: VF n's RID = PF RID + offset +
    // (n - 1) * stride).
    for (i, spec) in devices.iter().enumerate() {
        let Some(pf_name) = spec.pci.as_ref().and_then(|p| p.physfn.as_deref()) else { continue };
        let Some(pf) = dev_index(pf_name) else {
            return Err((At::Device(i), "physfn", format!("physfn \"{pf_name}\" is not a device in this topology")));
        };
        let (Some(vf), Some(pff)) = (&dev_funcs[i], &dev_funcs[pf]) else {
            return Err((At::Device(i), "physfn", format!("physfn \"{pf_name}\" is not a PCI function")));
        };
        let Some(sriov) = pff.sriov else {
            return Err((At::Device(i), "physfn", format!("physfn \"{pf_name}\" has no SR-IOV capability (`sriov`)")));
        };
        let n = if sriov.num_vfs > 0 { sriov.num_vfs } else { sriov.total_vfs };
        let base = u32::from(pff.bdf.rid()) + u32::from(sriov.offset);
        let rid = u32::from(vf.bdf.rid());
        let ok = vf.bdf.segment == pff.bdf.segment
            && rid >= base
            && (sriov.stride == 0 && rid == base
                || sriov.stride > 0
                    && (rid - base) % u32::from(sriov.stride) == 0
                    && (rid - base) / u32::from(sriov.stride) < u32::from(n));
        if !ok {
            return Err((
                At::Device(i),
                "physfn",
                format!("routing id {:#06x} is not a VF of \"{pf_name}\" ({} VFs at {:#06x} + k * {})", rid, n, base, sriov.stride),
            ));
        }
        if dev_parent[i] != dev_parent[pf] {
            return Err((At::Device(i), "parent", format!("a VF sits on its PF's bus; \"{pf_name}\" has another parent")));
        }
        if let Some(f) = dev_funcs[i].as_mut() {
            f.physfn = Some(DeviceId::from_index(pf));
        }
    }

    // Bus numbers: a function below a bridge with a bus range sits on its secondary bus (a VF
    // anywhere in the range), and a child bridge's range nests inside its parent's.
    let range_of = |b: usize| bus_funcs[b].as_ref().and_then(|f: &PciFunction| f.bus_range);
    for (i, f) in bus_funcs.iter().enumerate() {
        let (Some(f), Some(p)) = (f, parents[i]) else { continue };
        if let Some((sec, sub)) = range_of(p) {
            if f.bdf.bus != sec {
                return Err((At::Bus(i), "parent", format!("bus {:#04x} is not the secondary bus {sec:#04x} of its parent", f.bdf.bus)));
            }
            if let Some((csec, csub)) = f.bus_range.filter(|&(csec, csub)| csec <= sec || csub > sub) {
                return Err((
                    At::Bus(i),
                    "bus_range",
                    format!("buses {csec:#04x}..={csub:#04x} do not nest inside the parent's {sec:#04x}..={sub:#04x}"),
                ));
            }
        }
    }
    for (i, f) in dev_funcs.iter().enumerate() {
        let Some(f) = f else { continue };
        if let Some((sec, sub)) = range_of(dev_parent[i]) {
            let ok = if f.physfn.is_some() { (sec..=sub).contains(&f.bdf.bus) } else { f.bdf.bus == sec };
            if !ok {
                return Err((At::Device(i), "parent", format!("bus {:#04x} is not the secondary bus {sec:#04x} of its parent", f.bdf.bus)));
            }
        }
    }
    Ok((bus_funcs, dev_funcs))
}
