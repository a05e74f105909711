//! A PCI function as Linux sees it, and the one question IOMMU grouping asks of it:
//! `pci_acs_enabled(pdev, REQ_ACS_FLAGS)` (drivers/pci/pci.c).
//!
//! Sources (read for this model): drivers/pci/pci.c `pci_acs_enabled`, `pci_acs_flags_enabled`
//! and `pci_acs_path_enabled` (unchanged in substance from v4.0 to v6.x; `acs_cap` caching
//! since v5.9); drivers/iommu/iommu.c `REQ_ACS_FLAGS` = SV | RR | CR | UF (since v3.17).

use super::Bdf;
pub use super::schema::{AcsSpec, PcieType, SriovSpec};
use crate::ids::DeviceId;

/// ACS capability / control bits (include/uapi/linux/pci_regs.h `PCI_ACS_*`).
pub mod acs {
    /// Source Validation.
    pub const SV: u16 = 0x01;
    /// Translation Blocking.
    pub const TB: u16 = 0x02;
    /// P2P Request Redirect.
    pub const RR: u16 = 0x04;
    /// P2P Completion Redirect.
    pub const CR: u16 = 0x08;
    /// Upstream Forwarding.
    pub const UF: u16 = 0x10;
    /// P2P Egress Control.
    pub const EC: u16 = 0x20;
    /// Direct Translated P2P.
    pub const DT: u16 = 0x40;
    /// What `pci_device_group` requires (drivers/iommu/iommu.c `REQ_ACS_FLAGS`).
    pub const REQ: u16 = SV | RR | CR | UF;
}

/// A validated PCI function (an endpoint, a port or a bridge).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PciFunction {
    pub bdf: Bdf,
    /// `(vendor, device)` ids, when known.
    pub ids: Option<(u16, u16)>,
    /// 24-bit class code, when known.
    pub class: Option<u32>,
    pub pcie: PcieType,
    pub multifunction: bool,
    /// The ACS extended capability's registers, `None` when the function has none.
    pub acs: Option<AcsSpec>,
    pub sriov: Option<SriovSpec>,
    /// For a VF: its PF (a device).
    pub physfn: Option<DeviceId>,
    /// `(secondary, subordinate)` for bridges.
    pub bus_range: Option<(u8, u8)>,
    /// devfns on its own bus that are DMA aliases of this function (explicit + quirks).
    pub dma_aliases: Vec<u8>,
    /// `pci_acs_enabled(self, REQ_ACS_FLAGS)`, quirks applied.
    pub acs_enabled: bool,
    /// The quirk that decided `acs_enabled`, if one did (its kernel source line).
    pub acs_quirk: Option<&'static str>,
}

impl PciFunction {
    /// A bridge to another bus at which `pci_for_each_dma_alias` (drivers/pci/search.c) stops
    /// and reports the bridge: PCIe-to-PCI, PCI-to-PCIe, or any conventional bridge.
    pub fn is_alias_bridge(&self) -> bool {
        matches!(self.pcie, PcieType::PcieToPciBridge | PcieType::PciToPcieBridge | PcieType::Conventional)
    }
}

/// `pci_acs_flags_enabled` (drivers/pci/pci.c): no capability → false; "features missing from
/// the capability field can therefore be assumed as hard-wired enabled" except egress control.
pub fn acs_flags_enabled(cap: Option<AcsSpec>, flags: u16) -> bool {
    let Some(a) = cap else { return false };
    let flags = flags & (a.cap | acs::EC);
    a.ctrl & flags == flags
}

/// `pci_acs_enabled(pdev, REQ_ACS_FLAGS)` without quirks (the caller applies
/// `pci_dev_specific_acs_enabled` first, as Linux does).
pub fn acs_enabled_standard(pcie: PcieType, multifunction: bool, cap: Option<AcsSpec>) -> bool {
    match pcie {
        // "Conventional PCI and PCI-X devices never support ACS."
        PcieType::Conventional => false,
        // PCIe 3.0 §6.12.1: never applicable to bridges to PCI, nor to event collectors.
        PcieType::PciToPcieBridge | PcieType::PcieToPciBridge | PcieType::RcEventCollector => false,
        // §6.12.1.1: downstream and root ports must implement it to be isolated.
        PcieType::Downstream | PcieType::RootPort => acs_flags_enabled(cap, acs::REQ),
        // §6.12.1.2: other types only when part of a multifunction device.
        PcieType::Endpoint | PcieType::Upstream | PcieType::LegacyEndpoint | PcieType::RcEndpoint => {
            !multifunction || acs_flags_enabled(cap, acs::REQ)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acs_flags_follow_capability_and_control() {
        // Capability absent: not enabled.
        assert!(!acs_flags_enabled(None, acs::REQ));
        // Present with every control bit zero: not enabled.
        assert!(!acs_flags_enabled(Some(AcsSpec { cap: 0x5f, ctrl: 0 }), acs::REQ));
        // All required bits on.
        assert!(acs_flags_enabled(Some(AcsSpec { cap: 0x5f, ctrl: 0x1d }), acs::REQ));
        // UF not implemented (not in cap): treated as hard-wired on.
        assert!(acs_flags_enabled(Some(AcsSpec { cap: 0x0d, ctrl: 0x0d }), acs::REQ));
        // RR implemented but off.
        assert!(!acs_flags_enabled(Some(AcsSpec { cap: 0x1f, ctrl: 0x19 }), acs::REQ));
    }

    #[test]
    fn port_types_as_pci_acs_enabled() {
        let none = None;
        assert!(!acs_enabled_standard(PcieType::RootPort, false, none));
        assert!(acs_enabled_standard(PcieType::Upstream, false, none));
        assert!(!acs_enabled_standard(PcieType::Upstream, true, none));
        assert!(acs_enabled_standard(PcieType::Endpoint, false, none));
        assert!(!acs_enabled_standard(PcieType::Endpoint, true, none));
        assert!(!acs_enabled_standard(PcieType::Conventional, false, none));
        assert!(!acs_enabled_standard(PcieType::PcieToPciBridge, false, Some(AcsSpec { cap: 0x1f, ctrl: 0x1f })));
    }
}
