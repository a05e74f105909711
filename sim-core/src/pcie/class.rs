//! Device classes: what kind of device an endpoint is, for the PCIe defaults that differ by
//! class (today the number of tags, i.e. outstanding non-posted requests). A device's class
//! comes from the topology (`Device(class: Nvme)`), else from its PCI class code
//! (`Pci(class: 0x010802)`), else from the generator that drives it in the scenario; a device
//! with none of these is `Other`. An explicit `link: (tags: N)` always wins.
//!
//! The tag field sizes are PCIe's (Base Spec §2.2.6.2): 5 bits (32 tags) unless Extended Tag
//! Field Enable is set, 8 bits (256) with it, and 10-bit tags (PCIe 4.0; tag values whose upper
//! two bits are 0 are not used as 10-bit tags, so 1024 − 256 = 768 outstanding).

use serde::{Deserialize, Serialize};

/// What kind of device an endpoint is (topology `Device(class: ...)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DeviceClass {
    /// A network controller (PCI base class 02h).
    Nic,
    /// An NVMe drive (PCI class 0108xxh, non-volatile memory controller; 010802h = NVM Express).
    Nvme,
    /// A GPU or other accelerator (PCI base class 03h display, 12h processing accelerator,
    /// 0B40h co-processor).
    Accelerator,
    /// A DMA engine, e.g. an FPGA's in the style of pcie-bench (PCI class 0801h, DMA
    /// controller).
    DmaEngine,
    /// Anything else, or unknown.
    Other,
}

impl DeviceClass {
    /// Every class, in the order the reference page lists them.
    pub const ALL: [DeviceClass; 5] =
        [DeviceClass::Nic, DeviceClass::Nvme, DeviceClass::Accelerator, DeviceClass::DmaEngine, DeviceClass::Other];

    /// The class a 24-bit PCI class code (base, sub-class, programming interface) names, as
    /// the PCI Code and ID Assignment Specification assigns them; `None` when the code is of
    /// none of the classes above (bridges, USB, audio, ...).
    pub fn from_pci_class(code: u32) -> Option<DeviceClass> {
        let (base, sub) = (code >> 16, (code >> 8) & 0xff);
        match (base, sub) {
            (0x02, _) => Some(DeviceClass::Nic),
            (0x01, 0x08) => Some(DeviceClass::Nvme),
            (0x03, _) | (0x12, _) | (0x0b, 0x40) => Some(DeviceClass::Accelerator),
            (0x08, 0x01) => Some(DeviceClass::DmaEngine),
            _ => None,
        }
    }

    /// Default outstanding non-posted requests (PCIe tags) of a device of this class; each
    /// value's source is in docs/topology-format.md ("Device classes") and below.
    pub const fn default_tags(self) -> u32 {
        match self {
            // 8-bit Extended Tag: Linux sets Extended Tag Field Enable whenever the device
            // supports it (drivers/pci/probe.c `pci_configure_extended_tags`, v4.13+); that
            // server NICs and NVMe controllers support it is assumed.
            DeviceClass::Nic | DeviceClass::Nvme | DeviceClass::Other => 256,
            // 10-bit tags: e.g. the Intel R-Tile PCIe hard IP's x16 controller allows 768
            // outstanding non-posted requests (R-Tile Avalon-ST IP for PCIe User Guide 683501,
            // "Tag Allocation"). That the accelerator uses them is assumed (10-Bit Tag
            // Requester Enable is set by firmware or the driver; the generic Linux enablement
            // `pci_configure_10bit_tags` was a 2021 patch series, not modelled).
            DeviceClass::Accelerator => 768,
            // An FPGA DMA engine on an x8/x4 hard IP with 8-bit tags: "up to 256 outstanding
            // Non-Posted Requests" (Intel F-Tile Avalon-ST IP for PCIe User Guide 683140,
            // "Tag Allocation").
            DeviceClass::DmaEngine => 256,
        }
    }

    /// The name as written in files.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeviceClass::Nic => "Nic",
            DeviceClass::Nvme => "Nvme",
            DeviceClass::Accelerator => "Accelerator",
            DeviceClass::DmaEngine => "DmaEngine",
            DeviceClass::Other => "Other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_class_codes_name_the_classes() {
        assert_eq!(DeviceClass::from_pci_class(0x02_00_00), Some(DeviceClass::Nic));
        assert_eq!(DeviceClass::from_pci_class(0x01_08_02), Some(DeviceClass::Nvme));
        assert_eq!(DeviceClass::from_pci_class(0x03_00_00), Some(DeviceClass::Accelerator));
        assert_eq!(DeviceClass::from_pci_class(0x12_00_00), Some(DeviceClass::Accelerator));
        assert_eq!(DeviceClass::from_pci_class(0x0b_40_00), Some(DeviceClass::Accelerator));
        assert_eq!(DeviceClass::from_pci_class(0x08_01_00), Some(DeviceClass::DmaEngine));
        // SATA AHCI, a PCI bridge and a USB controller are none of them.
        for code in [0x01_06_01, 0x06_04_00, 0x0c_03_30] {
            assert_eq!(DeviceClass::from_pci_class(code), None, "{code:#x}");
        }
    }

    #[test]
    fn every_default_is_a_legal_tag_count() {
        for c in DeviceClass::ALL {
            assert!((1..=1024).contains(&c.default_tags()), "{c:?}");
        }
        assert_ne!(DeviceClass::Accelerator.default_tags(), DeviceClass::Nic.default_tags());
    }
}
