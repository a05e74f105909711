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
    },
    /// The upstream port of a PCIe switch, child of a root port or a downstream port.
    SwitchUpstream { id: String, parent: String },
    /// A downstream port of a PCIe switch, child of a switch upstream port.
    SwitchDownstream {
        id: String,
        parent: String,
        /// ACS enabled; default false (many switches lack it or leave it off).
        #[serde(default)]
        acs: Option<bool>,
    },
    /// A PCIe-to-PCI(-X) bridge: everything below shares its secondary-bus alias.
    PcieToPciBridge { id: String, parent: String },
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
}
