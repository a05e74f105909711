//! Named IOTLB / walk-cache geometries of real parts, selectable in a topology with
//! `Iommu(..., iotlb: "mmu-700")`; explicit `geometry: (...)` still overrides any field.
//! Vendors rarely publish these numbers: each preset says where each number comes from, and
//! "assumed" where it is an informed guess. Device-TLB geometry is left to the kind's default.

use super::params::{Geometry, Replacement};

/// One preset: the geometry fields it sets and its sources.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    pub name: &'static str,
    pub iotlb_entries: u32,
    pub iotlb_ways: u32,
    pub iotlb_replacement: Replacement,
    pub walk_cache_entries: u32,
    pub walk_cache_ways: u32,
    pub walkers: u32,
    /// Where the numbers come from.
    pub source: &'static str,
}

impl Preset {
    /// Sets the preset's fields on `g` (device-TLB fields are untouched).
    pub fn apply(&self, g: &mut Geometry) {
        g.iotlb_entries = self.iotlb_entries;
        g.iotlb_ways = self.iotlb_ways;
        g.iotlb_replacement = self.iotlb_replacement;
        g.walk_cache_entries = self.walk_cache_entries;
        g.walk_cache_ways = self.walk_cache_ways;
        g.walkers = self.walkers;
    }
}

/// Every preset, by name.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "vtd-haswell",
        iotlb_entries: 64,
        iotlb_ways: 64,
        iotlb_replacement: Replacement::Lru,
        walk_cache_entries: 32,
        walk_cache_ways: 4,
        walkers: 2,
        source: "IOTLB 64 entries: the knee of pcie-bench's IOMMU working-set sweep on Xeon E5 v3 \
                 (Neugebauer et al., SIGCOMM 2018, §6.4: throughput drops past 256 KiB of 4 KiB pages); \
                 fully associative LRU, walk cache and walkers assumed",
    },
    Preset {
        name: "vtd-broadwell",
        iotlb_entries: 64,
        iotlb_ways: 64,
        iotlb_replacement: Replacement::Lru,
        walk_cache_entries: 32,
        walk_cache_ways: 4,
        walkers: 2,
        source: "as vtd-haswell: pcie-bench also measured the 64-entry knee on Xeon E5 v4 (ibid.); rest assumed",
    },
    Preset {
        name: "vtd-skylake",
        iotlb_entries: 128,
        iotlb_ways: 8,
        iotlb_replacement: Replacement::Lru,
        walk_cache_entries: 64,
        walk_cache_ways: 4,
        walkers: 4,
        source: "assumed: Intel does not publish IOTLB geometry; doubled from the E5 measurement, and \
                 \"PTcache-L3 ≤ 64 entries\" (F&S, SOSP'24) for the paging-structure cache",
    },
    Preset {
        name: "vtd-sapphire-rapids",
        iotlb_entries: 256,
        iotlb_ways: 8,
        iotlb_replacement: Replacement::Lru,
        walk_cache_entries: 64,
        walk_cache_ways: 4,
        walkers: 8,
        source: "assumed: not published; larger than Skylake-SP on the trend of the E5 measurement; \
                 walk cache as F&S (SOSP'24) bound",
    },
    Preset {
        name: "amd-epyc-rome",
        iotlb_entries: 128,
        iotlb_ways: 4,
        iotlb_replacement: Replacement::Lru,
        walk_cache_entries: 64,
        walk_cache_ways: 4,
        walkers: 4,
        source: "assumed: AMD's IOMMU spec (48882) leaves IOTLB size to the implementation; nothing published for Zen 2",
    },
    Preset {
        name: "mmu-500",
        iotlb_entries: 128,
        iotlb_ways: 4,
        iotlb_replacement: Replacement::Fifo,
        walk_cache_entries: 64,
        walk_cache_ways: 4,
        walkers: 4,
        source: "assumed: MMU-500 TBU TLB depth is an integration choice; a small SoC configuration",
    },
    Preset {
        name: "mmu-600",
        iotlb_entries: 2048,
        iotlb_ways: 4,
        iotlb_replacement: Replacement::Fifo,
        walk_cache_entries: 256,
        walk_cache_ways: 4,
        walkers: 16,
        source: "walk cache 256 entries per level (TCUCFG_WCS1Lx_DEPTH = 256 in Intel's Agilex 5 HPS TRM, \
                 §4.3.4.4.1 MMU-600 TCU configuration); TBU main TLB 2048 4-way and 16 PTW slots as gem5's \
                 SMMUv3 model (assumed for a server integration)",
    },
    Preset {
        name: "mmu-700",
        iotlb_entries: 4096,
        iotlb_ways: 4,
        iotlb_replacement: Replacement::Fifo,
        walk_cache_entries: 512,
        walk_cache_ways: 4,
        walkers: 32,
        source: "assumed: MMU-700 configurations are not published; twice MMU-600's integration above \
                 (Arm positions it for larger PCIe-attached working sets)",
    },
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// Every preset name, for messages and docs.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iommu::IommuKind;

    #[test]
    fn presets_are_valid_geometries() {
        for p in PRESETS {
            assert!(p.iotlb_entries % p.iotlb_ways == 0, "{}", p.name);
            assert!(p.walk_cache_entries % p.walk_cache_ways == 0, "{}", p.name);
            assert!(!p.source.is_empty());
            let mut g = Geometry::defaults(IommuKind::ArmSmmuV3);
            p.apply(&mut g);
            assert_eq!(g.iotlb_entries, p.iotlb_entries);
        }
        assert!(find("mmu-700").is_some() && find("nope").is_none());
    }
}
