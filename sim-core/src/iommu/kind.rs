//! The kinds of IOMMU the simulator models, and their page-size sets.

use serde::{Deserialize, Serialize};

/// The IOMMU architecture of an instance; it chooses the driver model, the page-table format
/// and the default geometry and costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IommuKind {
    /// Intel VT-d DMA remapping unit (DMAR), second-stage tables.
    IntelVtd,
    /// AMD-Vi IOMMU, v1 page tables.
    AmdVi,
    /// Arm SMMUv2 (MMU-500 class), stage-1 LPAE tables, context banks.
    ArmSmmuV2,
    /// Arm SMMUv3, stage-1 LPAE tables, ASIDs.
    ArmSmmuV3,
    /// virtio-iommu (paravirtual; the host walks its own mapping tree).
    VirtioIommu,
}

impl IommuKind {
    /// Every kind, in a fixed order.
    pub const ALL: [IommuKind; 5] =
        [IommuKind::IntelVtd, IommuKind::AmdVi, IommuKind::ArmSmmuV2, IommuKind::ArmSmmuV3, IommuKind::VirtioIommu];

    /// The name used in JSON output and reports (contracts.md).
    pub const fn as_str(self) -> &'static str {
        match self {
            IommuKind::IntelVtd => "intel-vtd",
            IommuKind::AmdVi => "amd-vi",
            IommuKind::ArmSmmuV2 => "arm-smmu-v2",
            IommuKind::ArmSmmuV3 => "arm-smmu-v3",
            IommuKind::VirtioIommu => "virtio-iommu",
        }
    }

    /// The Linux driver that handles this kind (the core refuses to attach a domain owned by
    /// another driver: `__iommu_attach_group`, reference §2 "core").
    pub const fn driver(self) -> &'static str {
        match self {
            IommuKind::IntelVtd => "intel-iommu",
            IommuKind::AmdVi => "amd-iommu",
            IommuKind::ArmSmmuV2 => "arm-smmu",
            IommuKind::ArmSmmuV3 => "arm-smmu-v3",
            IommuKind::VirtioIommu => "virtio-iommu",
        }
    }
}

impl std::fmt::Display for IommuKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of page sizes, as Linux's `pgsize_bitmap`: bit `n` set means pages of `2^n` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PageSizes(pub u64);

impl PageSizes {
    pub const SZ_4K: u64 = 1 << 12;
    pub const SZ_16K: u64 = 1 << 14;
    pub const SZ_64K: u64 = 1 << 16;
    pub const SZ_2M: u64 = 1 << 21;
    pub const SZ_32M: u64 = 1 << 25;
    pub const SZ_512M: u64 = 1 << 29;
    pub const SZ_1G: u64 = 1 << 30;

    /// True if pages of `size` bytes are in the set.
    #[inline]
    pub const fn contains(self, size: u64) -> bool {
        size.is_power_of_two() && self.0 & size != 0
    }

    /// The smallest page size (the granule), if any.
    pub const fn min(self) -> Option<u64> {
        if self.0 == 0 { None } else { Some(1 << self.0.trailing_zeros()) }
    }

    /// Sizes in ascending order.
    pub fn iter(self) -> impl Iterator<Item = u64> {
        (0..64).map(|b| 1u64 << b).filter(move |s| self.0 & s != 0)
    }

    /// True if every size in `self` is also in `other`.
    pub const fn is_subset_of(self, other: PageSizes) -> bool {
        self.0 & !other.0 == 0
    }

    /// Formats a size the way users write it: `4K`, `2M`, `1G`.
    pub fn size_name(size: u64) -> String {
        const UNITS: [(u64, &str); 5] = [(1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K"), (1, "")];
        for (unit, suffix) in UNITS {
            if size >= unit && size.is_multiple_of(unit) {
                return format!("{}{}", size / unit, suffix);
            }
        }
        size.to_string()
    }

    /// Parses `4K`, `2M`, `1G`, `512M`, `16K` or a plain byte count. Only powers of two of at
    /// least 4 KiB and at most 2^51 (AMD's largest) are page sizes.
    pub fn parse_size(text: &str) -> Option<u64> {
        let t = text.trim();
        let (digits, shift) = match t.as_bytes().last()? {
            b'K' | b'k' => (&t[..t.len() - 1], 10),
            b'M' | b'm' => (&t[..t.len() - 1], 20),
            b'G' | b'g' => (&t[..t.len() - 1], 30),
            b'T' | b't' => (&t[..t.len() - 1], 40),
            _ => (t, 0),
        };
        let n: u64 = digits.parse().ok()?;
        let size = n.checked_mul(1u64 << shift)?;
        (size.is_power_of_two() && (1 << 12..=1 << 51).contains(&size)).then_some(size)
    }
}

impl Serialize for PageSizes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(None)?;
        for size in self.iter() {
            seq.serialize_element(&PageSizes::size_name(size))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for PageSizes {
    /// A list of sizes written as strings: `["4K", "2M", "1G"]`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names: Vec<String> = Vec::deserialize(d)?;
        let mut bits = 0u64;
        for name in &names {
            let size = PageSizes::parse_size(name).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{name}` is not a page size (a power of two from 4K to 2^51, written like \"4K\", \"2M\", \"1G\")"
                ))
            })?;
            bits |= size;
        }
        if bits == 0 {
            return Err(serde::de::Error::custom("the page-size set is empty"));
        }
        Ok(PageSizes(bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_sizes() {
        assert_eq!(PageSizes::parse_size("4K"), Some(4096));
        assert_eq!(PageSizes::parse_size("2M"), Some(2 << 20));
        assert_eq!(PageSizes::parse_size("1G"), Some(1 << 30));
        assert_eq!(PageSizes::parse_size("3K"), None);
        assert_eq!(PageSizes::parse_size("1K"), None);
        assert_eq!(PageSizes::parse_size("junk"), None);
        assert_eq!(PageSizes::size_name(1 << 30), "1G");
        assert_eq!(PageSizes::size_name(512 << 20), "512M");
    }

    #[test]
    fn set_operations() {
        let s = PageSizes(PageSizes::SZ_4K | PageSizes::SZ_2M);
        assert_eq!(s.min(), Some(4096));
        assert!(s.contains(PageSizes::SZ_2M));
        assert!(!s.contains(PageSizes::SZ_1G));
        assert!(s.is_subset_of(PageSizes(s.0 | PageSizes::SZ_1G)));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![4096, 2 << 20]);
    }
}
