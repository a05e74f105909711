//! The kernel's ACS and DMA-alias quirks, keyed by vendor:device, applied to every PCI function
//! whose ids the topology gives.
//!
//! Source: drivers/pci/quirks.c, every entry checked against two texts: linux-next as copied
//! in `ColinIanKing/linux-next` at commit 26f71eab75e287b137865795182f5142e4519719 (2025–26;
//! the `pci_dev_acs_enabled[]` table, the functions it names, and the DMA-alias fixups), and
//! torvalds/linux at commit 84389343d35f (v4.13 era), to tell the old entries from the ones
//! added later. Each entry carries the table line it mirrors and the kernels it is known in
//! ("v4.13" = already in the v4.13-era text; "after v4.13" = only in the linux-next text, first
//! release not verified). The v5.9 Intel PCH regression ([`PCH_ACS_REGRESSION`]) is the one
//! version-dependent behaviour a scenario's `kernel:` selects.

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

/// The quirk function an ACS entry calls; each returns Some(enabled) or None ("-ENOTTY" or
/// another negative errno: fall through to the next entry / the standard test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcsQuirk {
    /// `pci_quirk_amd_sb_acs`: multifunction southbridge functions on a root bus (with an
    /// IVRS table, assumed present): RR and CR count as enabled.
    AmdSb,
    /// `pci_quirk_mf_endpoint_acs`: vendor-verified multifunction endpoints without P2P.
    MfEndpoint,
    /// `pci_quirk_qcom_rp_acs`, `pci_quirk_xgene_acs`, `pci_quirk_brcm_acs`,
    /// `pci_quirk_loongson_acs`, `pci_quirk_nxp_rp_acs`: the device (by id alone) isolates as
    /// SV|RR|CR|UF would, without a capability.
    Isolated,
    /// `pci_quirk_al_acs`: as [`AcsQuirk::Isolated`], for root ports only.
    RootPortIsolated,
    /// `pci_quirk_rciep_acs` (Intel, any id): a root-complex integrated endpoint is isolated;
    /// any other type falls through.
    IntelRciep,
    /// `pci_quirk_intel_pch_acs`: PCH root ports without an ACS capability, whose peer
    /// decodes `pci_quirk_enable_intel_pch_acs` disables at boot.
    IntelPch,
    /// `pci_quirk_intel_spt_pch_acs`: Sunrise/Union Point (and 9d10..9d1b) root ports whose
    /// ACS control is a dword at +8; the enable quirk sets it from the capability, so it counts
    /// as enabled.
    IntelSptPch,
    /// `pci_quirk_cavium_acs`: Cavium ThunderX root ports a000..a7ff (ThunderX1), af84
    /// (ThunderX2), b884 (ThunderX3).
    Cavium,
    /// `pci_quirk_zhaoxin_pcie_ports_acs`: root and downstream ports; listed ids are isolated,
    /// other ids answer "not enabled" (0, not a fall-through).
    ZhaoxinPorts,
    /// `pci_quirk_wangxun_nic_acs`: listed ids isolated, others answer "not enabled".
    Wangxun,
}

/// One `pci_dev_acs_enabled[]` entry.
#[derive(Clone, Copy, Debug)]
pub struct AcsEntry {
    pub vendor: u16,
    pub devices: Ids,
    pub quirk: AcsQuirk,
    /// The kernel source line it mirrors.
    pub source: &'static str,
    /// Where the entry is known: "v4.13" or "after v4.13" (see the module comment).
    pub since: &'static str,
}

const INTEL: u16 = 0x8086;
const fn e(vendor: u16, devices: Ids, quirk: AcsQuirk, source: &'static str) -> AcsEntry {
    AcsEntry { vendor, devices, quirk, source, since: "v4.13" }
}
const fn late(vendor: u16, devices: Ids, quirk: AcsQuirk, source: &'static str) -> AcsEntry {
    AcsEntry { vendor, devices, quirk, source, since: "after v4.13" }
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
    // Commit 3247bd10a450 ("PCI: Add ACS quirk for Intel Root Complex Integrated Endpoints",
    // 2019); it answers for every Intel RCiEP, before the PCH entries.
    late(INTEL, Ids::Any, AcsQuirk::IntelRciep, "{ PCI_VENDOR_ID_INTEL, PCI_ANY_ID, pci_quirk_rciep_acs }"),
    e(0x17cb, Ids::List(&[0x400, 0x401]), AcsQuirk::Isolated, "{ 0x17cb, 0x400/0x401, pci_quirk_qcom_rp_acs } /* QCOM QDF2xxx */"),
    late(
        0x17cb,
        Ids::List(&[0x115, 0x111, 0x120]),
        AcsQuirk::Isolated,
        "{ 0x17cb, 0x115/0x111/0x120, pci_quirk_qcom_rp_acs } /* QCOM SA8775P, QCS610... */",
    ),
    late(0x1dbf, Ids::One(0x401), AcsQuirk::Isolated, "{ 0x1dbf, 0x401, pci_quirk_qcom_rp_acs } /* HXT SD4800 */"),
    e(
        INTEL,
        Ids::List(INTEL_PCH_IDS),
        AcsQuirk::IntelPch,
        "{ PCI_VENDOR_ID_INTEL, PCI_ANY_ID, pci_quirk_intel_pch_acs } /* pci_quirk_intel_pch_acs_ids */",
    ),
    e(
        INTEL,
        Ids::Any,
        AcsQuirk::IntelSptPch,
        "{ PCI_VENDOR_ID_INTEL, PCI_ANY_ID, pci_quirk_intel_spt_pch_acs } /* 0xa110-0xa11f, 0xa167-0xa16a, 0xa290-0xa29f, 0xa2e7-0xa2ee, 0x9d10-0x9d1b */",
    ),
    e(0x19a2, Ids::One(0x710), AcsQuirk::MfEndpoint, "{ 0x19a2, 0x710, pci_quirk_mf_endpoint_acs } /* Emulex BE3-R */"),
    e(0x10df, Ids::One(0x720), AcsQuirk::MfEndpoint, "{ 0x10df, 0x720, pci_quirk_mf_endpoint_acs } /* Emulex Skyhawk-R */"),
    e(0x177d, Ids::Any, AcsQuirk::Cavium, "{ PCI_VENDOR_ID_CAVIUM, PCI_ANY_ID, pci_quirk_cavium_acs }"),
    late(
        0x177d,
        Ids::List(&[0xA026, 0xA059, 0xA060]),
        AcsQuirk::MfEndpoint,
        "{ PCI_VENDOR_ID_CAVIUM, 0xA026/0xA059/0xA060, pci_quirk_mf_endpoint_acs }",
    ),
    late(0x10e8, Ids::One(0xE004), AcsQuirk::Isolated, "{ PCI_VENDOR_ID_AMCC, 0xE004, pci_quirk_xgene_acs } /* APM X-Gene */"),
    late(0x1def, Ids::Range(0xE005, 0xE00C), AcsQuirk::Isolated, "{ PCI_VENDOR_ID_AMPERE, 0xE005..0xE00C, pci_quirk_xgene_acs }"),
    late(
        0x14e4,
        Ids::List(&[0x16D7, 0x1750, 0x1751, 0x1752, 0x1760, 0x1761, 0x1762, 0x1763]),
        AcsQuirk::MfEndpoint,
        "{ PCI_VENDOR_ID_BROADCOM, 0x16D7/0x1750.., pci_quirk_mf_endpoint_acs }",
    ),
    late(0x14e4, Ids::One(0xD714), AcsQuirk::Isolated, "{ PCI_VENDOR_ID_BROADCOM, 0xD714, pci_quirk_brcm_acs }"),
    late(
        0x0014,
        Ids::List(&[0x3C09, 0x3C19, 0x3C29, 0x7A09, 0x7A19, 0x7A29, 0x7A39, 0x7A49, 0x7A59, 0x7A69]),
        AcsQuirk::Isolated,
        "{ PCI_VENDOR_ID_LOONGSON, 0x3C09.., pci_quirk_loongson_acs }",
    ),
    late(0x1d0f, Ids::One(0x0031), AcsQuirk::RootPortIsolated, "{ PCI_VENDOR_ID_AMAZON_ANNAPURNA_LABS, 0x0031, pci_quirk_al_acs }"),
    late(
        0x1d17,
        Ids::List(&[0x3038, 0x3104, 0x9083]),
        AcsQuirk::MfEndpoint,
        "{ PCI_VENDOR_ID_ZHAOXIN, 0x3038/0x3104/0x9083, pci_quirk_mf_endpoint_acs }",
    ),
    late(
        0x1957,
        Ids::List(&[
            0x8d81, 0x8da1, 0x8d83, 0x8d80, 0x8da0, 0x8d82, 0x8d90, 0x8db0, 0x8d92, 0x8d91, 0x8db1, 0x8d93, 0x8d89, 0x8da9, 0x8d8b, 0x8d88,
            0x8da8, 0x8d8a, 0x8d98, 0x8db8, 0x8d9a, 0x8d99, 0x8db9, 0x8d9b,
        ]),
        AcsQuirk::Isolated,
        "{ PCI_VENDOR_ID_NXP, 0x8d81.. (LX2xx0), pci_quirk_nxp_rp_acs }",
    ),
    late(0x1d17, Ids::Any, AcsQuirk::ZhaoxinPorts, "{ PCI_VENDOR_ID_ZHAOXIN, PCI_ANY_ID, pci_quirk_zhaoxin_pcie_ports_acs }"),
    late(0x8088, Ids::Any, AcsQuirk::Wangxun, "{ PCI_VENDOR_ID_WANGXUN, PCI_ANY_ID, pci_quirk_wangxun_nic_acs }"),
];

/// The kernel whose PCI behaviour forms the IOMMU groups: the release whose quirks apply
/// (`(5, 9)`; `None` = a current kernel), and whether the proposed (not merged) ACS group
/// rework applies ("[PATCH v3 00/11] Fix incorrect iommu_groups with PCIe ACS", Jason
/// Gunthorpe, 2025-09-05, <0-v3-8827cc7fc4e0+23f-pcie_switch_groups_jgg@nvidia.com>;
/// `topology/groups_proposed.rs`). A scenario's `kernel:` gives it through
/// `linux::Kernel::pci_quirks`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kernel {
    /// The release whose quirk table applies; `None` for a current kernel.
    pub release: Option<(u16, u16)>,
    /// The proposed ACS group rework (v3) on top of a current kernel.
    pub proposed: bool,
}

impl Kernel {
    /// A current kernel (the newest release modelled).
    pub const CURRENT: Kernel = Kernel { release: None, proposed: false };
    /// A current kernel plus the proposed ACS group rework.
    pub const PROPOSED: Kernel = Kernel { release: None, proposed: true };

    /// The release `major.minor`.
    pub const fn release(major: u16, minor: u16) -> Kernel {
        Kernel { release: Some((major, minor)), proposed: false }
    }
}

impl From<Option<(u16, u16)>> for Kernel {
    fn from(release: Option<(u16, u16)>) -> Kernel {
        Kernel { release, proposed: false }
    }
}

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
    kernel.release.is_some_and(|k| k >= from && k < until)
}

/// Whether two kernels form the same groups (so a platform built for one serves the other):
/// they differ only across [`PCH_ACS_REGRESSION`] and with the proposed ACS rework.
pub fn same_quirks(a: Kernel, b: Kernel) -> bool {
    in_range(a, PCH_ACS_REGRESSION) == in_range(b, PCH_ACS_REGRESSION) && a.proposed == b.proposed
}

/// Whether an Intel device id is a Sunrise Point / Union Point / 7th-8th gen mobile PCH root
/// port id (`pci_quirk_intel_spt_pch_acs_match`; the 9d10..9d1b case is in the linux-next text
/// only).
fn intel_spt_match(device: u16) -> bool {
    matches!(device, 0xa110..=0xa11f | 0xa167..=0xa16a | 0xa290..=0xa29f | 0xa2e7..=0xa2ee | 0x9d10..=0x9d1b)
}

/// `pci_quirk_cavium_acs_match`: ThunderX1/2/3 root ports.
fn cavium_match(device: u16) -> bool {
    matches!(device, 0xa000..=0xa7ff | 0xaf84 | 0xb884)
}

/// `pci_quirk_zhaoxin_pcie_ports_acs`: the ids it says isolate.
fn zhaoxin_port_ok(device: u16) -> bool {
    matches!(device, 0x0710..=0x071e | 0x0721 | 0x0723..=0x0752)
}

/// `pci_quirk_wangxun_nic_acs`: the ids it says isolate.
fn wangxun_ok(device: u16) -> bool {
    matches!(device, 0x0100..=0x010F | 0x1001 | 0x2001 | 0x5010 | 0x5025 | 0x5040 | 0x5110 | 0x5125 | 0x5140)
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
    acs_quirk_for(Kernel::CURRENT, vendor, device, pcie, multifunction, on_root_bus, cap)
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
    acs_quirk_flags(kernel, AcsAsk { vendor, device, pcie, multifunction, on_root_bus, cap }, super::pci::acs::REQ)
}

/// The function a quirk is asked about.
#[derive(Clone, Copy, Debug)]
pub struct AcsAsk {
    pub vendor: u16,
    pub device: u16,
    pub pcie: PcieType,
    pub multifunction: bool,
    /// `pci_is_root_bus(dev->bus)`.
    pub on_root_bus: bool,
    pub cap: Option<AcsSpec>,
}

/// What the quirk table answers to `pci_acs_enabled(dev, flags)`, with the entry that decided.
/// Most quirk functions vouch for a fixed set of flags and answer "enabled" only when every
/// requested flag is in it (`pci_acs_ctrl_enabled(acs_flags, SV | RR | CR | UF)`, read in the
/// quirks of the linux-next text named in the module comment); a request with an ACS Enhanced
/// bit (the proposed grouping asks for DSP_MT_RR / USP_MT_RR) therefore gets "not enabled" from
/// them. `pci_quirk_intel_pch_acs` answers by its enable flag alone; `pci_quirk_intel_spt_pch_acs`
/// first drops the requested bits the capability register lacks (as `pci_acs_flags_enabled`
/// did), which the Enhanced control bits (0x200, 0x800: the egress-vector-size field of that
/// register) are taken to be; `pci_quirk_amd_sb_acs` filters the request to RR, CR, EC and DT.
pub fn acs_quirk_flags(kernel: Kernel, ask: AcsAsk, flags: u16) -> Option<(bool, &'static str)> {
    use super::pci::acs;
    let AcsAsk { vendor, device, pcie, multifunction, on_root_bus, cap } = ask;
    // `pci_acs_ctrl_enabled(flags, vouched)`.
    let vouch = |vouched: u16| flags & !vouched == 0;
    let isolating = acs::SV | acs::RR | acs::CR | acs::UF;
    for entry in ACS_QUIRKS {
        if entry.vendor != vendor {
            continue;
        }
        if !entry.devices.matches(device) {
            continue;
        }
        let port = matches!(pcie, PcieType::RootPort | PcieType::Downstream);
        let answer = match entry.quirk {
            // Returns -ENODEV unless multifunction on a root bus; of the request it keeps RR, CR,
            // EC and DT and vouches for RR and CR.
            AcsQuirk::AmdSb => {
                (multifunction && on_root_bus).then_some(flags & (acs::RR | acs::CR | acs::EC | acs::DT) & !(acs::RR | acs::CR) == 0)
            }
            AcsQuirk::MfEndpoint => Some(vouch(isolating | acs::TB | acs::DT)),
            AcsQuirk::Isolated => Some(vouch(isolating)),
            AcsQuirk::RootPortIsolated => (pcie == PcieType::RootPort).then(|| vouch(isolating)),
            AcsQuirk::IntelRciep => (pcie == PcieType::RcEndpoint).then(|| vouch(isolating)),
            // In the v5.9 regression the enable quirk never ran (no ACS capability), so the
            // flag it sets is clear and the quirk answers "not enabled".
            AcsQuirk::IntelPch => (pcie == PcieType::RootPort).then_some(!(cap.is_none() && in_range(kernel, PCH_ACS_REGRESSION))),
            // Needs the capability; the boot-time enable sets ctrl from cap.
            AcsQuirk::IntelSptPch => (pcie == PcieType::RootPort && intel_spt_match(device) && cap.is_some()).then_some(true),
            AcsQuirk::Cavium => (pcie == PcieType::RootPort && cavium_match(device)).then(|| vouch(isolating)),
            AcsQuirk::ZhaoxinPorts => port.then(|| zhaoxin_port_ok(device) && vouch(isolating)),
            AcsQuirk::Wangxun => Some(wangxun_ok(device) && vouch(isolating)),
        };
        if let Some(enabled) = answer {
            return Some((enabled, entry.source));
        }
    }
    None
}

/// What a DMA-alias fixup adds to a device.
#[derive(Clone, Copy, Debug)]
pub enum Alias {
    /// `quirk_dma_func0_alias` / `quirk_dma_func1_alias`: this function number in the
    /// device's own slot.
    Function(u8),
    /// Fixed devfns on the device's bus (`quirk_mic_x200_dma_alias`).
    Devfns(&'static [u8]),
    /// Functions `0..n` of every slot 0..0x1f on the bus (`quirk_pex_vca_alias`:
    /// `pci_add_dma_alias(pdev, PCI_DEVFN(slot, 0), 5)`).
    EverySlot(u8),
    /// Recorded for completeness, with why it is not applied.
    NotModelled(&'static str),
}

/// One DMA-alias fixup line of drivers/pci/quirks.c.
#[derive(Clone, Copy, Debug)]
pub struct AliasEntry {
    pub vendor: u16,
    pub device: u16,
    pub alias: Alias,
    pub source: &'static str,
    /// "v4.13" or "after v4.13" (see the module comment).
    pub since: &'static str,
}

const fn f0(vendor: u16, device: u16, since: &'static str) -> AliasEntry {
    AliasEntry { vendor, device, alias: Alias::Function(0), source: "DECLARE_PCI_FIXUP_HEADER(.., quirk_dma_func0_alias)", since }
}
const fn f1(vendor: u16, device: u16, since: &'static str) -> AliasEntry {
    AliasEntry { vendor, device, alias: Alias::Function(1), source: "DECLARE_PCI_FIXUP_HEADER(.., quirk_dma_func1_alias)", since }
}
const fn other(vendor: u16, device: u16, alias: Alias, source: &'static str, since: &'static str) -> AliasEntry {
    AliasEntry { vendor, device, alias, source, since }
}

const OLD: &str = "v4.13";
const NEW: &str = "after v4.13";
const MARVELL: u16 = 0x1b4b;
const BRIDGE_ALIAS: &str = "PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS only changes which requester id a conventional bridge reports in \
     pci_for_each_dma_alias; the walk still reports that bridge, so the group is the same";
const MIC_X200: &[u8] = &[0x10 << 3, 0x11 << 3, (0x12 << 3) | 3];

/// The DMA-alias fixups of drivers/pci/quirks.c (see the module comment for the texts).
pub const DMA_ALIAS_QUIRKS: &[AliasEntry] = &[
    // Ricoh R5C832 / R5U230 (func0).
    f0(0x1180, 0xe832, OLD),
    f0(0x1180, 0xe476, OLD),
    // Glenfly Arise GPU audio (func0).
    f0(0x6766, 0x3d40, NEW),
    f0(0x6766, 0x3d41, NEW),
    // Marvell SATA controllers that DMA as function 1.
    f1(MARVELL, 0x9120, OLD),
    f1(MARVELL, 0x9123, OLD),
    f1(MARVELL, 0x9125, NEW),
    f1(MARVELL, 0x9128, NEW),
    f1(MARVELL, 0x9130, OLD),
    f1(MARVELL, 0x9170, NEW),
    f1(MARVELL, 0x9172, OLD),
    f1(MARVELL, 0x917a, OLD),
    f1(MARVELL, 0x9182, OLD),
    f1(MARVELL, 0x9183, NEW),
    f1(MARVELL, 0x91a0, OLD),
    f1(MARVELL, 0x9215, NEW),
    f1(MARVELL, 0x9220, NEW),
    f1(MARVELL, 0x9230, OLD),
    f1(MARVELL, 0x9235, NEW),
    // HighPoint (TTI) RocketRAID 642L / 644L.
    f1(0x1103, 0x0642, OLD),
    f1(0x1103, 0x0645, NEW),
    // JMicron JMB388 ESD.
    f1(0x197b, 0x2393, OLD),
    // Lite-On (Plextor M6e) NVMe.
    f1(0x1c28, 0x0122, OLD),
    other(
        0x9005,
        0x0285,
        Alias::NotModelled("applies only to subsystem 9005:02bb / 9005:02bc, and the topology carries no subsystem ids"),
        "DECLARE_PCI_FIXUP_HEADER(PCI_VENDOR_ID_ADAPTEC2, 0x0285, quirk_fixed_dma_alias) /* devfn 01.0 */",
        OLD,
    ),
    other(0x1b21, 0x1080, Alias::NotModelled(BRIDGE_ALIAS), "quirk_use_pcie_bridge_dma_alias /* ASMedia 1080 */", OLD),
    other(0x10e3, 0x8113, Alias::NotModelled(BRIDGE_ALIAS), "quirk_use_pcie_bridge_dma_alias /* Tundra 8113 */", OLD),
    other(0x1283, 0x8892, Alias::NotModelled(BRIDGE_ALIAS), "quirk_use_pcie_bridge_dma_alias /* ITE 8892 */", OLD),
    other(0x1283, 0x8893, Alias::NotModelled(BRIDGE_ALIAS), "quirk_use_pcie_bridge_dma_alias /* ITE 8893 */", OLD),
    other(INTEL, 0x244e, Alias::NotModelled(BRIDGE_ALIAS), "quirk_use_pcie_bridge_dma_alias /* Intel 82801 PCI bridge */", OLD),
    other(INTEL, 0x2260, Alias::Devfns(MIC_X200), "quirk_mic_x200_dma_alias /* 10.0, 11.0, 12.3 */", OLD),
    other(INTEL, 0x2264, Alias::Devfns(MIC_X200), "quirk_mic_x200_dma_alias /* 10.0, 11.0, 12.3 */", OLD),
    other(INTEL, 0x2954, Alias::EverySlot(5), "quirk_pex_vca_alias", NEW),
    other(INTEL, 0x2955, Alias::EverySlot(5), "quirk_pex_vca_alias", NEW),
    other(INTEL, 0x2956, Alias::EverySlot(5), "quirk_pex_vca_alias", NEW),
    other(INTEL, 0x2958, Alias::EverySlot(5), "quirk_pex_vca_alias", NEW),
    other(INTEL, 0x2959, Alias::EverySlot(5), "quirk_pex_vca_alias", NEW),
    other(INTEL, 0x295A, Alias::EverySlot(5), "quirk_pex_vca_alias", NEW),
    other(
        0x14e4,
        0x9000,
        Alias::NotModelled("PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT stops the alias walk at this root port, which is the top of the walk anyway"),
        "quirk_bridge_cavm_thrx2_pcie_root",
        OLD,
    ),
    other(
        0x14e4,
        0x9084,
        Alias::NotModelled("PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT stops the alias walk at this root port, which is the top of the walk anyway"),
        "quirk_bridge_cavm_thrx2_pcie_root",
        OLD,
    ),
    other(
        0x1a03,
        0x1150,
        Alias::NotModelled(
            "PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS (2025-26, linux-next; first release not verified) would stop the AST1150 \
             aliasing its VGA/USB functions and so give them groups of their own; every corpus machine runs an older \
             kernel and reports them in the bridge's group, as modelled",
        ),
        "quirk_aspeed_pci_bridge_no_alias",
        NEW,
    ),
];

/// The devfns (on its own bus) a device aliases by quirk, with the fixup's source line.
pub fn dma_alias_devfns(vendor: u16, device: u16, slot: u8) -> Vec<(u8, &'static str)> {
    let mut out = Vec::new();
    for q in DMA_ALIAS_QUIRKS.iter().filter(|q| q.vendor == vendor && q.device == device) {
        match q.alias {
            Alias::Function(f) => out.push(((slot << 3) | f, q.source)),
            Alias::Devfns(list) => out.extend(list.iter().map(|&d| (d, q.source))),
            Alias::EverySlot(n) => out.extend((0..0x20u8).flat_map(|s| (0..n).map(move |f| ((s << 3) | f, q.source)))),
            Alias::NotModelled(_) => {}
        }
    }
    out
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
        let ask = |k: Option<(u16, u16)>| acs_quirk_for(k.into(), 0x8086, 0x8d10, PcieType::RootPort, true, true, None).map(|x| x.0);
        assert_eq!(ask(None), Some(true));
        assert_eq!(ask(Some((5, 8))), Some(true));
        assert_eq!(ask(Some((5, 9))), Some(false));
        assert_eq!(ask(Some((5, 10))), Some(true));
    }

    /// The proposed grouping asks ports for DSP_MT_RR / USP_MT_RR too: fixed-set quirks
    /// (`pci_acs_ctrl_enabled(flags, SV|RR|CR|UF)`) say no, the PCH flag quirk and SPT do not
    /// change their answer.
    #[test]
    fn quirks_asked_for_enhanced_bits() {
        use crate::topology::pci::acs;
        let ask = |vendor, device, cap, flags| {
            let who = AcsAsk { vendor, device, pcie: PcieType::RootPort, multifunction: true, on_root_bus: true, cap };
            acs_quirk_flags(Kernel::CURRENT, who, flags).map(|x| x.0)
        };
        let enh = acs::REQ | acs::DSP_MT_RR;
        assert_eq!(ask(0x177d, 0xa000, None, acs::REQ), Some(true));
        assert_eq!(ask(0x177d, 0xa000, None, enh), Some(false));
        assert_eq!(ask(0x1d17, 0x0721, None, enh), Some(false));
        assert_eq!(ask(0x8086, 0x1c10, None, enh), Some(true));
        let cap = Some(AcsSpec { cap: 0x1f, ctrl: 0 });
        assert_eq!(ask(0x8086, 0xa110, cap, enh), Some(true));
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

    #[test]
    fn intel_rciep_cavium_zhaoxin_wangxun_rules_from_quirks_c() {
        // pci_quirk_rciep_acs: any Intel RCiEP, nothing else.
        let (on, src) = acs_quirk(0x8086, 0x6f20, PcieType::RcEndpoint, true, true, None).unwrap();
        assert!(on && src.contains("pci_quirk_rciep_acs"));
        assert!(acs_quirk(0x8086, 0x6f20, PcieType::Endpoint, true, true, None).is_none());
        // Cavium: root ports a000..a7ff, af84, b884 only.
        assert_eq!(acs_quirk(0x177d, 0xa7ff, PcieType::RootPort, false, true, None).map(|x| x.0), Some(true));
        assert_eq!(acs_quirk(0x177d, 0xaf84, PcieType::RootPort, false, true, None).map(|x| x.0), Some(true));
        assert!(acs_quirk(0x177d, 0xa000, PcieType::Endpoint, false, true, None).is_none());
        // Zhaoxin ports: listed ids isolated, other port ids answer "not enabled".
        assert_eq!(acs_quirk(0x1d17, 0x0721, PcieType::RootPort, false, true, None).map(|x| x.0), Some(true));
        assert_eq!(acs_quirk(0x1d17, 0x0722, PcieType::RootPort, false, true, None).map(|x| x.0), Some(false));
        assert!(acs_quirk(0x1d17, 0x0722, PcieType::Endpoint, false, true, None).is_none());
        assert_eq!(acs_quirk(0x8088, 0x1001, PcieType::Endpoint, true, false, None).map(|x| x.0), Some(true));
        assert_eq!(acs_quirk(0x8088, 0x1002, PcieType::Endpoint, true, false, None).map(|x| x.0), Some(false));
        // SPT gained the 7th/8th gen mobile ids.
        let cap = Some(AcsSpec { cap: 0x1f, ctrl: 0 });
        assert_eq!(acs_quirk(0x8086, 0x9d1b, PcieType::RootPort, true, true, cap).map(|x| x.0), Some(true));
    }

    #[test]
    fn dma_alias_fixups_cover_the_quirks_c_lines() {
        let devfns = |v, d, slot| dma_alias_devfns(v, d, slot).into_iter().map(|x| x.0).collect::<Vec<_>>();
        for d in [0x9120, 0x9123, 0x9125, 0x9128, 0x9130, 0x9170, 0x9172, 0x917a, 0x9182, 0x9183, 0x91a0, 0x9215, 0x9220, 0x9230, 0x9235] {
            assert_eq!(devfns(0x1b4b, d, 0), vec![1], "{d:x}");
        }
        assert_eq!(devfns(0x1180, 0xe832, 3), vec![3 << 3]);
        assert_eq!(devfns(0x197b, 0x2393, 0), vec![1]);
        assert_eq!(devfns(0x8086, 0x2260, 0), vec![0x80, 0x88, 0x93]);
        assert_eq!(devfns(0x8086, 0x2954, 0).len(), 32 * 5);
        // Recorded, not applied.
        assert!(devfns(0x1a03, 0x1150, 0).is_empty() && devfns(0x1b21, 0x1080, 0).is_empty());
        assert!(DMA_ALIAS_QUIRKS.iter().any(|q| q.vendor == 0x1a03 && matches!(q.alias, Alias::NotModelled(_))));
    }
}
