//! What a topology file says, exactly as written: serde types for RON, with unknown fields
//! refused everywhere so that a typo is a parse error with line and column instead of a
//! silently ignored setting. Nothing here is validated beyond types; `build.rs` checks
//! meaning. Every field is described in `docs/topology-format.md` (a test keeps the two in
//! step, see `crate::schema`).

use serde::Deserialize;

use crate::iommu::IommuKind;
use crate::iommu::params::{CapsOverrides, CostsOverrides, GeometryOverrides};

/// The whole file: `Topology(name: ..., iommus: [...], buses: [...], devices: [...])`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename = "Topology", deny_unknown_fields)]
pub struct TopologyFile {
    /// Name of the platform, shown in listings and results.
    pub name: String,
    /// IOMMU instances; their order is the order of `IommuId`s.
    pub iommus: Vec<IommuSpec>,
    /// Bus nodes (root complexes, ports, bridges, platform buses), any order.
    #[serde(default)]
    pub buses: Vec<BusSpec>,
    /// Endpoint devices; their order is the order of `DeviceId`s.
    #[serde(default)]
    pub devices: Vec<DeviceSpec>,
    /// Memory latency seen by DMA reads, and the socket the DMA buffers are on
    /// (`crate::pcie::MemoryParams`).
    #[serde(default)]
    pub memory: crate::pcie::MemoryOverrides,
    /// The IOMMU groups the real machine reported (`/sys/kernel/iommu_groups`), as written by
    /// `iommu-sim import`; `iommu-sim topology --check-groups` compares them with the derived
    /// ones. Not used by simulations.
    #[serde(default)]
    pub reported_groups: Vec<ReportedGroup>,
}

/// One group as the machine reported it: `Group(id: 13, members: ["0000:00:1c.0", ...])`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename = "Group", deny_unknown_fields)]
pub struct ReportedGroup {
    /// The group's number on that machine (`/sys/kernel/iommu_groups/N`).
    pub id: u32,
    /// Every PCI function in it, bridges included, by address.
    pub members: Vec<String>,
}

/// A PCI function as Linux reads it from configuration space: what `pci_device_group`
/// (drivers/iommu/iommu.c) and `pci_acs_enabled` (drivers/pci/pci.c) look at. Every field is
/// optional; what is left out is derived from the node's place in the tree (see
/// docs/topology-format.md, "Pci").
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename = "Pci", deny_unknown_fields)]
pub struct PciSpec {
    /// `"vvvv:dddd"` vendor and device id (hex), as `lspci -nn` prints them; selects quirks.
    #[serde(default)]
    pub ids: Option<String>,
    /// 24-bit class code (`0x060400` PCI bridge, `0x020000` Ethernet, `0x060000` host bridge).
    #[serde(default)]
    pub class: Option<u32>,
    /// PCIe device/port type from the PCI Express capability; `Conventional` when it has none.
    #[serde(default)]
    pub pcie: Option<PcieType>,
    /// Header type bit 7: one function of a multifunction device.
    #[serde(default)]
    pub multifunction: bool,
    /// The ACS extended capability: absent (`None`), or its capability and control registers.
    #[serde(default)]
    pub acs: Option<AcsSpec>,
    /// SR-IOV capability of a physical function.
    #[serde(default)]
    pub sriov: Option<SriovSpec>,
    /// For a virtual function: its physical function's address.
    #[serde(default)]
    pub physfn: Option<String>,
    /// For a bridge: `(secondary, subordinate)` bus numbers.
    #[serde(default)]
    pub bus_range: Option<(u8, u8)>,
    /// Extra requester ids this function uses, as devfns on its own bus (`pci_add_dma_alias`);
    /// added to those the DMA-alias quirk table gives for its ids.
    #[serde(default)]
    pub dma_aliases: Vec<u8>,
    /// A BAR or the expansion ROM decodes memory (`pci_has_mmio` in the proposed ACS series);
    /// absent: assumed `true` (`pci::MMIO_DEFAULT`). Read only by the proposed kernel's rule
    /// for PCIe-to-PCI bridges.
    #[serde(default)]
    pub mmio: Option<bool>,
}

/// ACS capability (PCIe r5.0 §7.7.8) registers: bit 0 SV, 1 TB, 2 RR, 3 CR, 4 UF, 5 EC, 6 DT;
/// ACS Enhanced: `cap` bit 7, `ctrl` bits 7 IORB, 8-9 DSP memory target (RB, RR), 10-11 USP
/// memory target (RB, RR), 12 unclaimed request redirect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename = "Acs", deny_unknown_fields)]
pub struct AcsSpec {
    /// ACS Capability register (what the function implements).
    pub cap: u16,
    /// ACS Control register (what is enabled; Linux enables SV, RR, CR, UF at boot).
    pub ctrl: u16,
}

/// SR-IOV capability of a physical function (PCIe r5.0 §9.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename = "Sriov", deny_unknown_fields)]
pub struct SriovSpec {
    /// TotalVFs.
    pub total_vfs: u16,
    /// NumVFs currently enabled.
    #[serde(default)]
    pub num_vfs: u16,
    /// First VF Offset (routing-id offset of VF 1 from the PF).
    pub offset: u16,
    /// VF Stride (routing-id distance between consecutive VFs).
    pub stride: u16,
}

/// PCI Express capability device/port type (`PCI_EXP_TYPE_*`, include/uapi/linux/pci_regs.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum PcieType {
    /// `PCI_EXP_TYPE_ENDPOINT` (0).
    Endpoint,
    /// `PCI_EXP_TYPE_LEG_END` (1).
    LegacyEndpoint,
    /// `PCI_EXP_TYPE_ROOT_PORT` (4).
    RootPort,
    /// `PCI_EXP_TYPE_UPSTREAM` (5).
    Upstream,
    /// `PCI_EXP_TYPE_DOWNSTREAM` (6).
    Downstream,
    /// `PCI_EXP_TYPE_PCI_BRIDGE` (7): PCIe-to-PCI/PCI-X bridge.
    PcieToPciBridge,
    /// `PCI_EXP_TYPE_PCIE_BRIDGE` (8): PCI/PCI-X-to-PCIe bridge.
    PciToPcieBridge,
    /// `PCI_EXP_TYPE_RC_END` (9): root-complex integrated endpoint.
    RcEndpoint,
    /// `PCI_EXP_TYPE_RC_EC` (10): root-complex event collector.
    RcEventCollector,
    /// No PCI Express capability: conventional PCI / PCI-X.
    Conventional,
}

/// One IOMMU instance: `Iommu(id: "dmar0", kind: IntelVtd, caps: (...), ...)`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename = "Iommu", deny_unknown_fields)]
pub struct IommuSpec {
    /// Unique id (e.g. the DMAR unit's or SMMU's name).
    pub id: String,
    /// Architecture: chooses driver model, page-table format and the defaults.
    pub kind: IommuKind,
    /// Capability overrides applied on top of `Caps::defaults(kind)`.
    #[serde(default)]
    pub caps: CapsOverrides,
    /// Cache/walker geometry overrides applied on top of `Geometry::defaults(kind)`.
    #[serde(default)]
    pub geometry: GeometryOverrides,
    /// Cost overrides applied on top of `Costs::defaults(kind)`.
    #[serde(default)]
    pub costs: CostsOverrides,
    /// A named IOTLB / walk-cache preset of a real part (`"mmu-700"`, `"vtd-broadwell"`...,
    /// `crate::iommu::presets`), applied before `geometry`, which still overrides it.
    #[serde(default)]
    pub iotlb: Option<String>,
}

/// A bus node. The PCI ones follow the PCIe port types Linux distinguishes in
/// `pci_acs_enabled` (drivers/pci/pci.c), because those decide IOMMU groups.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum BusSpec {
    /// A PCI host bridge / root bus (`pci0000:00`); a root of the tree, bound to an IOMMU.
    RootComplex {
        id: String,
        /// The IOMMU translating everything below; none means DMA is untranslated and
        /// devices below are refused.
        #[serde(default)]
        iommu: Option<String>,
        /// The CPU socket (NUMA node) the root complex is on; DMA to memory on another
        /// socket pays `memory.remote_latency`. Default 0.
        #[serde(default)]
        socket: Option<u32>,
    },
    /// A PCIe root port, child of a root complex.
    RootPort {
        id: String,
        parent: String,
        /// ACS (SV, RR, CR, UF) enabled; default true (server root ports implement ACS and
        /// Linux enables it at enumeration, `pci_enable_acs`).
        #[serde(default)]
        acs: Option<bool>,
        /// The port as a PCI function (ids, ACS registers, multifunction, bus range).
        #[serde(default)]
        pci: Option<PciSpec>,
    },
    /// The upstream port of a PCIe switch, child of a root port or a downstream port.
    SwitchUpstream {
        id: String,
        parent: String,
        #[serde(default)]
        pci: Option<PciSpec>,
    },
    /// A downstream port of a PCIe switch, child of a switch upstream port.
    SwitchDownstream {
        id: String,
        parent: String,
        /// ACS enabled; default false (many switches lack it or leave it off).
        #[serde(default)]
        acs: Option<bool>,
        #[serde(default)]
        pci: Option<PciSpec>,
    },
    /// A PCIe-to-PCI(-X) bridge (or a conventional PCI-to-PCI bridge): everything below
    /// shares its alias.
    PcieToPciBridge {
        id: String,
        parent: String,
        #[serde(default)]
        pci: Option<PciSpec>,
    },
    /// A platform (non-PCI) bus such as an SoC interconnect, a root bound to an IOMMU;
    /// its devices are identified by stream ids.
    PlatformBus {
        id: String,
        #[serde(default)]
        iommu: Option<String>,
    },
}

/// Accessors common to every variant.
impl BusSpec {
    /// The node's id.
    pub fn id(&self) -> &str {
        match self {
            BusSpec::RootComplex { id, .. }
            | BusSpec::RootPort { id, .. }
            | BusSpec::SwitchUpstream { id, .. }
            | BusSpec::SwitchDownstream { id, .. }
            | BusSpec::PcieToPciBridge { id, .. }
            | BusSpec::PlatformBus { id, .. } => id,
        }
    }

    /// The parent's id; `None` for roots (root complexes, platform buses).
    pub fn parent(&self) -> Option<&str> {
        match self {
            BusSpec::RootComplex { .. } | BusSpec::PlatformBus { .. } => None,
            BusSpec::RootPort { parent, .. }
            | BusSpec::SwitchUpstream { parent, .. }
            | BusSpec::SwitchDownstream { parent, .. }
            | BusSpec::PcieToPciBridge { parent, .. } => Some(parent),
        }
    }

    /// The variant name as written in files.
    pub fn variant_name(&self) -> &'static str {
        match self {
            BusSpec::RootComplex { .. } => "RootComplex",
            BusSpec::RootPort { .. } => "RootPort",
            BusSpec::SwitchUpstream { .. } => "SwitchUpstream",
            BusSpec::SwitchDownstream { .. } => "SwitchDownstream",
            BusSpec::PcieToPciBridge { .. } => "PcieToPciBridge",
            BusSpec::PlatformBus { .. } => "PlatformBus",
        }
    }

    /// The node's PCI function description, if written.
    pub fn pci(&self) -> Option<&PciSpec> {
        match self {
            BusSpec::RootPort { pci, .. }
            | BusSpec::SwitchUpstream { pci, .. }
            | BusSpec::SwitchDownstream { pci, .. }
            | BusSpec::PcieToPciBridge { pci, .. } => pci.as_ref(),
            BusSpec::RootComplex { .. } | BusSpec::PlatformBus { .. } => None,
        }
    }
}

/// An endpoint: `Device(id: "0000:03:00.0", parent: "0000:02:01.0", ats: true)`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename = "Device", deny_unknown_fields)]
pub struct DeviceSpec {
    /// Unique id; for a PCI device its address `DDDD:BB:DD.F` (hex).
    pub id: String,
    /// The bus it sits on.
    pub parent: String,
    /// Address Translation Services: the device caches translations in a device TLB.
    #[serde(default)]
    pub ats: bool,
    /// One function of a multi-function PCI device (header type bit 7).
    #[serde(default)]
    pub multifunction: bool,
    /// The function itself implements ACS (only matters for multifunction devices,
    /// `pci_acs_enabled`).
    #[serde(default)]
    pub acs: bool,
    /// Stream ids of a platform device (SMMU StreamID, or the source id on x86). PCI devices
    /// use their requester id and must leave this empty.
    #[serde(default)]
    pub stream_ids: Vec<u32>,
    /// The device's PCIe link and request limits (`crate::pcie::LinkParams`).
    #[serde(default)]
    pub link: crate::pcie::LinkOverrides,
    /// What kind of device it is (`crate::pcie::DeviceClass`): chooses class defaults such as
    /// the number of PCIe tags. Absent: from `pci.class`, else from the scenario's generator.
    #[serde(default)]
    pub class: Option<crate::pcie::DeviceClass>,
    /// The IOMMU translating this device when it is not its root's (a VT-d DRHD unit whose
    /// scope names one device, e.g. the integrated GPU's `dmar0`).
    #[serde(default)]
    pub iommu: Option<String>,
    /// The function as Linux reads it from config space (PCI devices only).
    #[serde(default)]
    pub pci: Option<PciSpec>,
}
