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
    /// What `pci_device_group` requires (drivers/iommu/iommu.c `REQ_ACS_FLAGS`; the proposed
    /// series renames it `PCI_ACS_ISOLATED`, same bits).
    pub const REQ: u16 = SV | RR | CR | UF;

    // ACS Enhanced (PCIe r5.0 §7.7.8; Linux names from "[PATCH v3 08/11] PCI: Add the ACS
    // Enhanced Capability definitions", <8-v3-8827cc7fc4e0+23f-pcie_switch_groups_jgg@nvidia.com>,
    // not merged).
    /// Capability register: ACS Enhanced Capability (IORB, DSP/USP memory target, unclaimed
    /// request redirect are implemented). Capability only.
    pub const ENHANCED: u16 = 0x0080;
    /// Control register: I/O Request Blocking.
    pub const IORB: u16 = 0x0080;
    /// Control: DSP Memory Target Access Control, request blocking.
    pub const DSP_MT_RB: u16 = 0x0100;
    /// Control: DSP Memory Target Access Control, request redirect (the port's own MMIO).
    pub const DSP_MT_RR: u16 = 0x0200;
    /// Control: USP Memory Target Access Control, request blocking.
    pub const USP_MT_RB: u16 = 0x0400;
    /// Control: USP Memory Target Access Control, request redirect.
    pub const USP_MT_RR: u16 = 0x0800;
    /// Control: Unclaimed Request Redirect.
    pub const UNCLAIMED_RR: u16 = 0x1000;
    /// The classic capability bits a control bit can be checked against (SV..DT, not EC).
    pub const CLASSIC: u16 = SV | TB | RR | CR | UF | DT;
    /// The control bits the Enhanced capability bit stands for.
    pub const ENHANCED_CTRL: u16 = IORB | DSP_MT_RB | DSP_MT_RR | USP_MT_RB | USP_MT_RR | UNCLAIMED_RR;
    /// What the proposed kernel writes at boot when `ENHANCED` is implemented.
    pub const ENHANCED_ENABLE: u16 = DSP_MT_RR | USP_MT_RR | UNCLAIMED_RR;
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
    /// Whether a BAR or the expansion ROM decodes memory (`pci_has_mmio` in the proposed
    /// series): written `pci.mmio`, else assumed `true` (see [`MMIO_DEFAULT`]).
    pub mmio: bool,
    /// What the proposed ACS grouping asks of this function as a port, on the proposed kernel
    /// (`None` on every released kernel).
    pub acs_proposed: Option<ProposedAcs>,
}

/// `pci_has_mmio` for a function whose file says nothing: assumed `true`. It is the reading
/// that keeps a PCIe-to-PCI bridge in the group of the devices below it, as every released
/// kernel does, so an unknown part never looks better isolated than it may be (the only rule
/// that reads it, `pci_bus_isolated`'s `PCI_EXP_TYPE_PCI_BRIDGE` case, then answers
/// `PCI_BRIDGE_NON_ISOLATED`).
pub const MMIO_DEFAULT: bool = true;

/// `pci_acs_enabled(port, flags)` for the requests the proposed grouping makes (quirks applied),
/// as the proposed kernel answers them ("[PATCH v3 11/11] PCI: Check ACS Extended flags for
/// pci_bus_isolated()", <11-v3-8827cc7fc4e0+23f-pcie_switch_groups_jgg@nvidia.com>).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposedAcs {
    /// `PCI_ACS_ISOLATED | PCI_ACS_DSP_MT_RR`: a root port keeps downstream requests off its
    /// own MMIO.
    pub root_port: bool,
    /// `PCI_ACS_ISOLATED | PCI_ACS_DSP_MT_RR | PCI_ACS_USP_MT_RR`: a downstream port sends
    /// everything upstream.
    pub downstream: bool,
    /// `PCI_ACS_USP_MT_RR`: a downstream port at least keeps requests off the upstream port.
    pub usp_isolated: bool,
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

/// `pci_acs_flags_enabled` as the proposed series has it, on the control register the proposed
/// kernel leaves after boot:
/// - "[PATCH v3 09/11] PCI: Enable ACS Enhanced bits for enable_acs and config_acs"
///   (<9-v3-8827cc7fc4e0+23f-pcie_switch_groups_jgg@nvidia.com>): `pci_std_enable_acs` also
///   sets DSP_MT_RR, USP_MT_RR and UNCLAIMED_RR when the capability has ACS Enhanced. The spec
///   lets hardware wire them; the model assumes they can be set (a part wiring them to 0 is not
///   modelled).
/// - "[PATCH v3 10/11] PCI: Check ACS DSP/USP redirect bits in pci_enable_pasid()"
///   (<10-v3-8827cc7fc4e0+23f-pcie_switch_groups_jgg@nvidia.com>), `pci_acs_ctrl_mask`: a
///   requested bit counts only if the capability implements it (SV, TB, RR, CR, UF, DT by
///   their own bits; IORB and the memory-target / unclaimed bits by ACS Enhanced); anything
///   else is taken as hard-wired on. (Egress control is not in the mask as v3 writes it; no
///   request the grouping makes contains it.)
pub fn acs_flags_enabled_proposed(cap: Option<AcsSpec>, flags: u16) -> bool {
    let Some(a) = cap else { return false };
    let enhanced = a.cap & acs::ENHANCED != 0;
    let ctrl = if enhanced { a.ctrl | acs::ENHANCED_ENABLE } else { a.ctrl };
    let mask = (a.cap & acs::CLASSIC) | if enhanced { acs::ENHANCED_CTRL } else { 0 };
    let need = flags & mask;
    ctrl & need == need
}

/// `pci_acs_enabled(pdev, flags)` without quirks on the proposed kernel: the same type rules as
/// [`acs_enabled_standard`], with [`acs_flags_enabled_proposed`].
pub fn acs_enabled_standard_proposed(pcie: PcieType, multifunction: bool, cap: Option<AcsSpec>, flags: u16) -> bool {
    by_type(pcie, multifunction, || acs_flags_enabled_proposed(cap, flags))
}

/// `pci_acs_enabled(pdev, REQ_ACS_FLAGS)` without quirks (the caller applies
/// `pci_dev_specific_acs_enabled` first, as Linux does).
pub fn acs_enabled_standard(pcie: PcieType, multifunction: bool, cap: Option<AcsSpec>) -> bool {
    by_type(pcie, multifunction, || acs_flags_enabled(cap, acs::REQ))
}

/// The port-type switch of `pci_acs_enabled`; `flags_enabled` is `pci_acs_flags_enabled`.
fn by_type(pcie: PcieType, multifunction: bool, flags_enabled: impl Fn() -> bool) -> bool {
    match pcie {
        // "Conventional PCI and PCI-X devices never support ACS."
        PcieType::Conventional => false,
        // PCIe 3.0 §6.12.1: never applicable to bridges to PCI, nor to event collectors.
        PcieType::PciToPcieBridge | PcieType::PcieToPciBridge | PcieType::RcEventCollector => false,
        // §6.12.1.1: downstream and root ports must implement it to be isolated.
        PcieType::Downstream | PcieType::RootPort => flags_enabled(),
        // §6.12.1.2: other types only when part of a multifunction device.
        PcieType::Endpoint | PcieType::Upstream | PcieType::LegacyEndpoint | PcieType::RcEndpoint => !multifunction || flags_enabled(),
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

    /// v3 09/11 + 10/11: Enhanced bits count only when the capability has ACS Enhanced, and
    /// the proposed kernel turns the redirect ones on at boot.
    #[test]
    fn proposed_flags_mask_and_enable_the_enhanced_bits() {
        let want = acs::REQ | acs::DSP_MT_RR | acs::USP_MT_RR;
        // No capability: never.
        assert!(!acs_flags_enabled_proposed(None, acs::USP_MT_RR));
        // Classic capability: the Enhanced bits are taken as hard-wired on.
        assert!(acs_flags_enabled_proposed(Some(AcsSpec { cap: 0x1f, ctrl: 0x1d }), want));
        assert!(acs_flags_enabled_proposed(Some(AcsSpec { cap: 0x1f, ctrl: 0 }), acs::USP_MT_RR));
        assert!(!acs_flags_enabled_proposed(Some(AcsSpec { cap: 0x1f, ctrl: 0 }), want));
        // ACS Enhanced with the control bits clear as captured: set at boot.
        assert!(acs_flags_enabled_proposed(Some(AcsSpec { cap: 0x9f, ctrl: 0x1d }), want));
        // Blocking bits are in the mask but never set by the kernel.
        assert!(!acs_flags_enabled_proposed(Some(AcsSpec { cap: 0x9f, ctrl: 0x1d }), acs::DSP_MT_RB));
        // A classic bit the capability lacks is hard-wired on, as before.
        assert!(acs_flags_enabled_proposed(Some(AcsSpec { cap: 0x0d, ctrl: 0x0d }), acs::REQ));
        // The released reading ignores bits above DT in the request mask only through `cap`.
        assert!(acs_flags_enabled(Some(AcsSpec { cap: 0x1f, ctrl: 0x1d }), acs::REQ));
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
