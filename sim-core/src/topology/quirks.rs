//! The kernel's ACS and DMA-alias quirks, keyed by vendor:device, applied to every PCI function
//! whose ids the topology gives.
//!
//! Source: drivers/pci/quirks.c, read at torvalds/linux commit 84389343d35f (v4.13 era):
//! the `pci_dev_acs_enabled[]` table and the functions it names, and the
//! `DECLARE_PCI_FIXUP_HEADER(..., quirk_dma_func1_alias / quirk_dma_func0_alias)` lines. Later
//! kernels added entries (Ampere, Amazon, Zhaoxin, Wangxun, NXP, Loongson...); the Ampere
//! Altra root ports are included because the Arm corpus machines need them (seen in the v5.8+
//! table). Each entry carries the table line it mirrors and an optional kernel version range
//! so a scenario's `kernel:` can select quirks that changed across versions (not wired yet:
//! every entry applies).

use super::pci::{AcsSpec, PcieType};

/// Which device ids an entry matches.
#[derive(Clone, Copy, Debug)]
pub enum Ids {
    Any,
    One(u16),
    /// Inclusive range.
    Range(u16, u16),
    List(&'static [u16]),
}

impl Ids {
    fn matches(self, device: u16) -> bool {
        match self {
            Ids::Any => true,
            Ids::One(d) => d == device,
            Ids::Range(lo, hi) => (lo..=hi).contains(&device),
            Ids::List(l) => l.contains(&device),
        }
    }
}

/// The quirk function an ACS entry calls; each returns Some(enabled) or None ("-ENOTTY":
/// fall through to the next entry / the standard test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcsQuirk {
    /// `pci_quirk_amd_sb_acs`: multifunction southbridge functions on a root bus (with an
    /// IVRS table): RR and CR count as enabled.
    AmdSb,
    /// `pci_quirk_mf_endpoint_acs`: vendor-verified multifunction endpoints without P2P.
    MfEndpoint,
    /// `pci_quirk_qcom_rp_acs` / `pci_quirk_xgene_acs` / `pci_quirk_al_acs`: root ports with
    /// ACS-equivalent isolation and no capability.
    RootPortIsolated,
    /// `pci_quirk_intel_pch_acs`: PCH root ports without an ACS capability, whose peer
    /// decodes `pci_quirk_enable_intel_pch_acs` disables at boot.
    IntelPch,
    /// `pci_quirk_intel_spt_pch_acs`: Sunrise/Union Point root ports whose ACS control is a
    /// dword at +8; the enable quirk sets it from the capability, so it counts as enabled.
    IntelSptPch,
    /// `pci_quirk_cavium_acs`: Cavium ThunderX devices 0xa000..=0xa0ff.
    Cavium,
}

/// One `pci_dev_acs_enabled[]` entry.
#[derive(Clone, Copy, Debug)]
pub struct AcsEntry {
    pub vendor: u16,
    pub devices: Ids,
    pub quirk: AcsQuirk,
    /// The kernel source line it mirrors.
    pub source: &'static str,
    /// First kernel with the entry and first without it, where known (`kernel:` selection).
    pub kernels: Option<(&'static str, Option<&'static str>)>,
}

const INTEL: u16 = 0x8086;
const fn e(vendor: u16, devices: Ids, quirk: AcsQuirk, source: &'static str) -> AcsEntry {
    AcsEntry { vendor, devices, quirk, source, kernels: None }
}

/// `pci_quirk_intel_pch_acs_ids[]`: "as provided by Intel in Red Hat bugzilla 1037684".
const INTEL_PCH_IDS: &[u16] = &[
    0x3b42, 0x3b43, 0x3b44, 0x3b45, 0x3b46, 0x3b47, 0x3b48, 0x3b49, 0x3b4a, 0x3b4b, 0x3b4c, 0x3b4d, 0x3b4e, 0x3b4f, 0x3b50, 0x3b51, 0x1c10,
    0x1c11, 0x1c12, 0x1c13, 0x1c14, 0x1c15, 0x1c16, 0x1c17, 0x1c18, 0x1c19, 0x1c1a, 0x1c1b, 0x1c1c, 0x1c1d, 0x1c1e, 0x1c1f, 0x1e10, 0x1e11,
    0x1e12, 0x1e13, 0x1e14, 0x1e15, 0x1e16, 0x1e17, 0x1e18, 0x1e19, 0x1e1a, 0x1e1b, 0x1e1c, 0x1e1d, 0x1e1e, 0x1e1f, 0x8c10, 0x8c11, 0x8c12,
    0x8c13, 0x8c14, 0x8c15, 0x8c16, 0x8c17, 0x8c18, 0x8c19, 0x8c1a, 0x8c1b, 0x8c1c, 0x8c1d, 0x8c1e, 0x8c1f, 0x9c10, 0x9c11, 0x9c12, 0x9c13,
    0x9c14, 0x9c15, 0x9c16, 0x9c17, 0x9c18, 0x9c19, 0x9c1a, 0x9c1b, 0x9c90, 0x9c91, 0x9c92, 0x9c93, 0x9c94, 0x9c95, 0x9c96, 0x9c97, 0x9c98,
    0x9c99, 0x9c9a, 0x9c9b, 0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e, 0x8d10, 0x8d11, 0x8d12, 0x8d13, 0x8d14, 0x8d15,
    0x8d16, 0x8d17, 0x8d18, 0x8d19, 0x8d1a, 0x8d1b, 0x8d1c, 0x8d1d, 0x8d1e, 0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e,
];

/// Intel multifunction NICs verified without internal P2P (82576, 82580, I350, 82599...).
const INTEL_MF_NICS: &[u16] = &[
    0x10C6, 0x10DB, 0x10DD, 0x10E1, 0x10F1, 0x10F7, 0x10F8, 0x10F9, 0x10FA, 0x10FB, 0x10FC, 0x1507, 0x1514, 0x151C, 0x1529, 0x152A, 0x154D,
    0x154F, 0x1551, 0x1558, 0x1509, 0x150E, 0x150F, 0x1510, 0x1511, 0x1516, 0x1527, 0x10C9, 0x10E6, 0x10E7, 0x10E8, 0x150A, 0x150D, 0x1518,
    0x1526, 0x10A7, 0x10A9, 0x10D6, 0x1521, 0x1522, 0x1523, 0x1524, 0x105E, 0x105F, 0x1060, 0x10D9, 0x15b7, 0x15b8,
];

/// `pci_dev_acs_enabled[]`, in table order (the first entry that answers decides).
pub const ACS_QUIRKS: &[AcsEntry] = &[
    e(
        0x1002,
        Ids::List(&[0x4385, 0x439c, 0x4383, 0x439d, 0x4384, 0x4399]),
        AcsQuirk::AmdSb,
        "{ PCI_VENDOR_ID_ATI, 0x4385.., pci_quirk_amd_sb_acs }",
    ),
    e(0x1022, Ids::List(&[0x780f, 0x7809]), AcsQuirk::AmdSb, "{ PCI_VENDOR_ID_AMD, 0x780f/0x7809, pci_quirk_amd_sb_acs }"),
    e(
        0x1924,
        Ids::List(&[0x0903, 0x0923, 0x0A03]),
        AcsQuirk::MfEndpoint,
        "{ PCI_VENDOR_ID_SOLARFLARE, 0x0903.., pci_quirk_mf_endpoint_acs }",
    ),
    e(
        INTEL,
        Ids::List(INTEL_MF_NICS),
        AcsQuirk::MfEndpoint,
        "{ PCI_VENDOR_ID_INTEL, 0x10C6.. (82576/82580/I350/I219...), pci_quirk_mf_endpoint_acs }",
    ),
    e(
        0x17cb,
        Ids::List(&[0x400, 0x401]),
        AcsQuirk::RootPortIsolated,
        "{ 0x17cb, 0x400/0x401, pci_quirk_qcom_rp_acs } /* QCOM QDF2xxx root ports */",
    ),
    e(
        INTEL,
        Ids::List(INTEL_PCH_IDS),
        AcsQuirk::IntelPch,
        "{ PCI_VENDOR_ID_INTEL, PCI_ANY_ID, pci_quirk_intel_pch_acs } /* pci_quirk_intel_pch_acs_ids */",
    ),
    e(
        INTEL,
        Ids::List(&[]),
        AcsQuirk::IntelSptPch,
        "{ PCI_VENDOR_ID_INTEL, PCI_ANY_ID, pci_quirk_intel_spt_pch_acs } /* 0xa110-0xa11f, 0xa167-0xa16a, 0xa290-0xa29f, 0xa2e7-0xa2ee */",
    ),
    e(0x19a2, Ids::One(0x710), AcsQuirk::MfEndpoint, "{ 0x19a2, 0x710, pci_quirk_mf_endpoint_acs } /* Emulex BE3-R */"),
    e(0x10df, Ids::One(0x720), AcsQuirk::MfEndpoint, "{ 0x10df, 0x720, pci_quirk_mf_endpoint_acs } /* Emulex Skyhawk-R */"),
    e(0x177d, Ids::Any, AcsQuirk::Cavium, "{ PCI_VENDOR_ID_CAVIUM, PCI_ANY_ID, pci_quirk_cavium_acs }"),
    AcsEntry {
        vendor: 0x1def,
        devices: Ids::Range(0xE005, 0xE00C),
        quirk: AcsQuirk::RootPortIsolated,
        source: "{ PCI_VENDOR_ID_AMPERE, 0xE005..0xE00C, pci_quirk_xgene_acs }",
        kernels: Some(("v5.8", None)),
    },
];

/// A kernel release `(major, minor)`, e.g. `(5, 9)`; `None` stands for a current kernel. The
/// i10 branch's `KernelVersion` can convert into it when the scenario's `kernel:` is wired.
pub type Kernel = Option<(u16, u16)>;

/// The v5.9 regression of the Intel PCH ACS quirk: commit 52fbf5bdeeef ("PCI: Cache ACS
/// capability offset in device", v5.9) called `pci_enable_acs` only for functions with an ACS
/// capability, so `pci_quirk_enable_intel_pch_acs` never set
/// `PCI_DEV_FLAGS_ACS_ENABLED_QUIRK` and `pci_quirk_intel_pch_acs` answered "not enabled":
/// every device behind the PCH root ports fell into one group (reported on linux-pci,
/// "Kernel 5.9 IOMMU groups regression/change", 2020-10-25, X99 / C610). Fixed for v5.10 by
/// "PCI: Always enable ACS even if no ACS Capability" (and in 5.9.y stable; a 5.9.y release
/// is treated as affected here).
pub const PCH_ACS_REGRESSION: ((u16, u16), (u16, u16)) = ((5, 9), (5, 10));

fn in_range(kernel: Kernel, (from, until): ((u16, u16), (u16, u16))) -> bool {
    kernel.is_some_and(|k| k >= from && k < until)
}

/// Whether an Intel device id is a Sunrise Point / Union Point PCH root port
/// (`pci_quirk_intel_spt_pch_acs_match`).
fn intel_spt_match(device: u16) -> bool {
    matches!(device, 0xa110..=0xa11f | 0xa167..=0xa16a | 0xa290..=0xa29f | 0xa2e7..=0xa2ee)
}

/// What the quirk table says about `pci_acs_enabled(dev, REQ_ACS_FLAGS)` for a function,
/// with the entry that decided; `None` when no entry answers (the standard test applies).
/// `on_root_bus`: the function sits on a root bus (`pci_is_root_bus(dev->bus)`).
pub fn acs_quirk(
    vendor: u16,
    device: u16,
    pcie: PcieType,
    multifunction: bool,
    on_root_bus: bool,
    cap: Option<AcsSpec>,
) -> Option<(bool, &'static str)> {
    acs_quirk_for(None, vendor, device, pcie, multifunction, on_root_bus, cap)
}

/// [`acs_quirk`] as a given kernel release behaves (see [`PCH_ACS_REGRESSION`]).
pub fn acs_quirk_for(
    kernel: Kernel,
    vendor: u16,
    device: u16,
    pcie: PcieType,
    multifunction: bool,
    on_root_bus: bool,
    cap: Option<AcsSpec>,
) -> Option<(bool, &'static str)> {
    for entry in ACS_QUIRKS {
        if entry.vendor != vendor {
            continue;
        }
        let matched = match entry.quirk {
            AcsQuirk::IntelSptPch => intel_spt_match(device),
            _ => entry.devices.matches(device),
        };
        if !matched {
            continue;
        }
        let answer = match entry.quirk {
            // Returns -ENODEV unless multifunction on a root bus; RR|CR cover the request.
            AcsQuirk::AmdSb => (multifunction && on_root_bus).then_some(true),
            // Every requested flag is masked out as not applicable.
            AcsQuirk::MfEndpoint | AcsQuirk::RootPortIsolated => Some(true),
            // In the v5.9 regression the enable quirk never ran (no ACS capability), so the
            // flag it sets is clear and the quirk answers "not enabled".
            AcsQuirk::IntelPch => (pcie == PcieType::RootPort).then_some(!(cap.is_none() && in_range(kernel, PCH_ACS_REGRESSION))),
            // Needs the capability; the boot-time enable sets ctrl from cap.
            AcsQuirk::IntelSptPch => (pcie == PcieType::RootPort && cap.is_some()).then_some(true),
            AcsQuirk::Cavium => (0xa000..=0xa0ff).contains(&device).then_some(true),
        };
        if let Some(enabled) = answer {
            return Some((enabled, entry.source));
        }
    }
    None
}

/// One DMA-alias quirk: the device issues DMA with another function's requester id.
#[derive(Clone, Copy, Debug)]
pub struct AliasEntry {
    pub vendor: u16,
    pub device: u16,
    /// The aliased function number in the same slot.
    pub function: u8,
    pub source: &'static str,
}

/// `quirk_dma_func1_alias` / `quirk_dma_func0_alias` entries (drivers/pci/quirks.c).
pub const DMA_ALIAS_QUIRKS: &[AliasEntry] = &[
    AliasEntry {
        vendor: 0x1180,
        device: 0xe832,
        function: 0,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_RICOH, 0xe832, quirk_dma_func0_alias)",
    },
    AliasEntry {
        vendor: 0x1180,
        device: 0xe476,
        function: 0,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_RICOH, 0xe476, quirk_dma_func0_alias)",
    },
    AliasEntry {
        vendor: 0x1b4b,
        device: 0x9120,
        function: 1,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_MARVELL_EXT, 0x9120, quirk_dma_func1_alias)",
    },
    AliasEntry {
        vendor: 0x1b4b,
        device: 0x9123,
        function: 1,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_MARVELL_EXT, 0x9123, quirk_dma_func1_alias)",
    },
    AliasEntry {
        vendor: 0x1b4b,
        device: 0x9128,
        function: 1,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_MARVELL_EXT, 0x9128, quirk_dma_func1_alias)",
    },
    AliasEntry {
        vendor: 0x1b4b,
        device: 0x9130,
        function: 1,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_MARVELL_EXT, 0x9130, quirk_dma_func1_alias)",
    },
    AliasEntry {
        vendor: 0x1b4b,
        device: 0x9172,
        function: 1,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_MARVELL_EXT, 0x9172, quirk_dma_func1_alias)",
    },
    AliasEntry {
        vendor: 0x1b4b,
        device: 0x9182,
        function: 1,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_MARVELL_EXT, 0x9182, quirk_dma_func1_alias)",
    },
    AliasEntry {
        vendor: 0x1b4b,
        device: 0x9230,
        function: 1,
        source: "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_MARVELL_EXT, 0x9230, quirk_dma_func1_alias)",
    },
];

/// The function numbers a device aliases by quirk, in its own slot.
pub fn dma_alias_functions(vendor: u16, device: u16) -> impl Iterator<Item = (u8, &'static str)> {
    DMA_ALIAS_QUIRKS.iter().filter(move |q| q.vendor == vendor && q.device == device).map(|q| (q.function, q.source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intel_pch_root_port_without_acs_is_isolated_by_quirk() {
        let (on, src) = acs_quirk(0x8086, 0x1c10, PcieType::RootPort, true, true, None).unwrap();
        assert!(on && src.contains("pci_quirk_intel_pch_acs"));
        // Not a root port: the quirk does not answer.
        assert!(acs_quirk(0x8086, 0x1c10, PcieType::Endpoint, true, true, None).is_none());
        // A newer PCH port (not listed): no quirk.
        assert!(acs_quirk(0x8086, 0x4dbb, PcieType::RootPort, true, true, None).is_none());
    }

    #[test]
    fn the_v5_9_pch_regression_only_in_its_range() {
        let ask = |k| acs_quirk_for(k, 0x8086, 0x8d10, PcieType::RootPort, true, true, None).map(|x| x.0);
        assert_eq!(ask(None), Some(true));
        assert_eq!(ask(Some((5, 8))), Some(true));
        assert_eq!(ask(Some((5, 9))), Some(false));
        assert_eq!(ask(Some((5, 10))), Some(true));
    }

    #[test]
    fn spt_needs_the_capability_and_amd_sb_needs_a_multifunction_root_bus_function() {
        assert!(acs_quirk(0x8086, 0xa110, PcieType::RootPort, true, true, None).is_none());
        let cap = Some(AcsSpec { cap: 0x1f, ctrl: 0 });
        assert_eq!(acs_quirk(0x8086, 0xa110, PcieType::RootPort, true, true, cap).map(|x| x.0), Some(true));
        assert!(acs_quirk(0x1022, 0x780f, PcieType::Conventional, false, true, None).is_none());
        assert_eq!(acs_quirk(0x1022, 0x780f, PcieType::Conventional, true, true, None).map(|x| x.0), Some(true));
        assert_eq!(acs_quirk(0x8086, 0x1521, PcieType::Endpoint, true, false, None).map(|x| x.0), Some(true));
        assert!(acs_quirk(0x177d, 0xb000, PcieType::RootPort, false, true, None).is_none());
    }
}
