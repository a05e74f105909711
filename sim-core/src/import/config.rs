//! PCI configuration space, as `/sys/bus/pci/devices/*/config` or `lspci -xxxx` gives it:
//! the header, the capability list and the extended capability list, parsed for what IOMMU
//! grouping needs (PCIe type, ACS, ATS, SR-IOV, multifunction, bus numbers).
//!
//! Layout: PCI Local Bus 3.0 §6.1 (header, capability list), PCIe r5.0 §7.5 (PCI Express
//! capability), §7.6 (extended capabilities), §7.7.8 (ACS), §9.3.3 (SR-IOV). Capability ids:
//! PCI Code and ID Assignment Specification r1.11 (standard 0x00..=0x15, extended
//! 0x0000..=0x0030); anything else, a list that loops or points past the captured bytes is a
//! bad capture.

use crate::topology::pci::{AcsSpec, PcieType, SriovSpec};

/// What the importer takes from one function's config space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigInfo {
    pub vendor: u16,
    pub device: u16,
    pub class: u32,
    /// Header layout (0 endpoint, 1 PCI-to-PCI bridge, 2 CardBus).
    pub header_layout: u8,
    pub multifunction: bool,
    pub pcie: PcieType,
    pub acs: Option<AcsSpec>,
    pub ats: bool,
    pub sriov: Option<SriovSpec>,
    /// `(secondary, subordinate)` of a bridge header.
    pub bus_range: Option<(u8, u8)>,
    /// A memory BAR or the expansion ROM is decoded (`pci_has_mmio`, read by the proposed ACS
    /// grouping); `None` when the capture does not say. Config space alone cannot tell (a BAR's
    /// size needs a write), so it comes from the kernel's `resource` file or lspci's `Region`
    /// lines.
    pub mmio: Option<bool>,
}

const MAX_STD_CAP: u8 = 0x15;
const MAX_EXT_CAP: u16 = 0x0030;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// PCIe capability register bits 7:4 (`PCI_EXP_FLAGS_TYPE`).
fn pcie_type(code: u16) -> Option<PcieType> {
    Some(match code {
        0 => PcieType::Endpoint,
        1 => PcieType::LegacyEndpoint,
        4 => PcieType::RootPort,
        5 => PcieType::Upstream,
        6 => PcieType::Downstream,
        7 => PcieType::PcieToPciBridge,
        8 => PcieType::PciToPcieBridge,
        9 => PcieType::RcEndpoint,
        10 => PcieType::RcEventCollector,
        _ => return None,
    })
}

/// Parses config space bytes (64, 256 or 4096 of them).
pub fn parse(b: &[u8]) -> Result<ConfigInfo, String> {
    let len = b.len();
    if len < 64 {
        return Err(format!("truncated config space: {len} bytes, the header alone needs 64"));
    }
    let vendor = u16_at(b, 0).unwrap_or(0xffff);
    let device = u16_at(b, 2).unwrap_or(0xffff);
    if vendor == 0xffff || vendor == 0 {
        return Err(format!("vendor id {vendor:#06x}: the function did not answer the config read"));
    }
    let class = u32::from(b[0x0b]) << 16 | u32::from(b[0x0a]) << 8 | u32::from(b[0x09]);
    let header_layout = b[0x0e] & 0x7f;
    let multifunction = b[0x0e] & 0x80 != 0;
    let bus_range = (header_layout == 1).then(|| (b[0x19], b[0x1a]));
    let mut info = ConfigInfo {
        vendor,
        device,
        class,
        header_layout,
        multifunction,
        pcie: PcieType::Conventional,
        acs: None,
        ats: false,
        sriov: None,
        bus_range,
        mmio: None,
    };
    // Standard capability list (Status bit 4).
    if u16_at(b, 6).unwrap_or(0) & 0x10 != 0 {
        let first = if header_layout == 2 { 0x14 } else { 0x34 };
        let mut ptr = b[first] & 0xfc;
        let mut seen = [false; 256];
        while ptr != 0 {
            if ptr < 0x40 {
                return Err(format!("capability pointer {ptr:#04x} points into the header"));
            }
            let at = usize::from(ptr);
            if seen[at] {
                return Err(format!("capability list loops back to {ptr:#04x}"));
            }
            seen[at] = true;
            if at + 2 > len {
                return Err(format!("truncated config space: capability at {ptr:#04x} lies past the {len} bytes captured"));
            }
            let id = b[at];
            if id > MAX_STD_CAP {
                return Err(format!("unknown capability id {id:#04x} at {ptr:#04x} (known: 0x00..=0x15)"));
            }
            if id == 0x10 {
                let flags = u16_at(b, at + 2).ok_or(format!("truncated config space: PCI Express capability at {ptr:#04x} is cut"))?;
                let code = (flags >> 4) & 0xf;
                info.pcie = pcie_type(code).ok_or(format!("PCI Express capability at {ptr:#04x}: reserved device/port type {code}"))?;
            }
            ptr = b[at + 1] & 0xfc;
        }
    }
    // Extended capabilities: only when the extended space was captured and the function is
    // PCIe (conventional functions have none).
    if len > 0x100 && info.pcie != PcieType::Conventional {
        let mut at = 0x100usize;
        let mut seen = vec![false; len / 4 + 1];
        loop {
            let Some(h) = u32_at(b, at) else {
                return Err(format!("truncated config space: extended capability at {at:#05x} lies past the {len} bytes captured"));
            };
            if h == 0 || h == 0xffff_ffff {
                break;
            }
            if seen[at / 4] {
                return Err(format!("extended capability list loops back to {at:#05x}"));
            }
            seen[at / 4] = true;
            let id = (h & 0xffff) as u16;
            if id > MAX_EXT_CAP {
                return Err(format!("unknown extended capability id {id:#06x} at {at:#05x} (known: 0x0000..=0x{MAX_EXT_CAP:04x})"));
            }
            let cut = |what: &str| format!("truncated config space: {what} capability at {at:#05x} is cut");
            match id {
                0x000d => {
                    let cap = u16_at(b, at + 4).ok_or_else(|| cut("ACS"))?;
                    let ctrl = u16_at(b, at + 6).ok_or_else(|| cut("ACS"))?;
                    info.acs = Some(AcsSpec { cap, ctrl });
                }
                0x000f => info.ats = true,
                0x0010 => {
                    let total_vfs = u16_at(b, at + 0x0e).ok_or_else(|| cut("SR-IOV"))?;
                    let num_vfs = u16_at(b, at + 0x10).ok_or_else(|| cut("SR-IOV"))?;
                    let offset = u16_at(b, at + 0x14).ok_or_else(|| cut("SR-IOV"))?;
                    let stride = u16_at(b, at + 0x16).ok_or_else(|| cut("SR-IOV"))?;
                    info.sriov = Some(SriovSpec { total_vfs, num_vfs, offset, stride });
                }
                _ => {}
            }
            let next = ((h >> 20) & 0xffc) as usize;
            if next == 0 {
                break;
            }
            if next < 0x100 {
                return Err(format!("extended capability at {at:#05x} points to {next:#05x}, inside the standard space"));
            }
            at = next;
        }
    }
    Ok(info)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 4096-byte config space: a root port with PCIe (at 0x40) and ACS (at 0x100).
    pub(crate) fn root_port(acs_ctrl: u16) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        b[0..4].copy_from_slice(&[0x86, 0x80, 0x10, 0xa1]);
        b[6] = 0x10;
        b[0x09..0x0c].copy_from_slice(&[0x00, 0x04, 0x06]);
        b[0x0e] = 0x81;
        b[0x19] = 1;
        b[0x1a] = 2;
        b[0x34] = 0x40;
        b[0x40] = 0x10;
        b[0x41] = 0;
        b[0x42] = 0x42; // version 2, type 4 (root port)
        b[0x100..0x104].copy_from_slice(&0x0001_000du32.to_le_bytes());
        b[0x104..0x106].copy_from_slice(&0x5fu16.to_le_bytes());
        b[0x106..0x108].copy_from_slice(&acs_ctrl.to_le_bytes());
        b
    }

    #[test]
    fn a_root_port_with_acs() {
        let c = parse(&root_port(0x1d)).unwrap();
        assert_eq!((c.vendor, c.device, c.class), (0x8086, 0xa110, 0x060400));
        assert!(c.multifunction && c.header_layout == 1);
        assert_eq!(c.pcie, PcieType::RootPort);
        assert_eq!(c.acs, Some(AcsSpec { cap: 0x5f, ctrl: 0x1d }));
        assert_eq!(c.bus_range, Some((1, 2)));
        // Only 256 bytes (no root): no extended capabilities.
        assert_eq!(parse(&root_port(0x1d)[..256]).unwrap().acs, None);
    }

    /// The ACS words are kept whole: ACS Enhanced (cap bit 7, ctrl bits 7-12) reaches the
    /// topology from config space, which lspci's decoded lines cannot carry.
    #[test]
    fn acs_enhanced_bits_survive_from_config_space() {
        let mut b = root_port(0x021d);
        b[0x104..0x106].copy_from_slice(&0x9fu16.to_le_bytes());
        let c = parse(&b).unwrap();
        assert_eq!(c.acs, Some(AcsSpec { cap: 0x9f, ctrl: 0x021d }));
        assert_eq!(c.mmio, None, "config space cannot size BARs");
    }

    #[test]
    fn bad_config_spaces() {
        assert!(parse(&[0x86, 0x80]).unwrap_err().contains("truncated config space: 2 bytes"));
        let mut b = root_port(0);
        b[0x41] = 0x40;
        assert!(parse(&b).unwrap_err().contains("loops back to 0x40"));
        let mut b = root_port(0);
        b[0x40] = 0x7e;
        assert!(parse(&b).unwrap_err().contains("unknown capability id 0x7e"));
        let mut b = root_port(0);
        b[0x100..0x104].copy_from_slice(&0x1001_0077u32.to_le_bytes());
        assert!(parse(&b).unwrap_err().contains("unknown extended capability id 0x0077"));
        let mut b = root_port(0);
        b[0x100..0x104].copy_from_slice(&0x1001_000du32.to_le_bytes());
        assert!(parse(&b).unwrap_err().contains("loops back to 0x100"));
        let b = root_port(0);
        assert!(parse(&b[..0x41]).unwrap_err().contains("capability at 0x40 lies past the 65 bytes"));
        let mut b = root_port(0);
        b[0] = 0xff;
        b[1] = 0xff;
        assert!(parse(&b).unwrap_err().contains("did not answer"));
    }
}
