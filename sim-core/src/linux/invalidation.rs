//! How Linux invalidates, where it depends on the domain or the kernel version rather than on
//! the hardware alone. The simulation (`sim/invalidate.rs`) costs and applies the
//! commands; which ones the driver chooses, and where they go, is decided here.
//!
//! VT-d first-stage domains are flushed with PASID-based IOTLB invalidation (`qi_flush_piotlb`,
//! granularity "PASID page-selective" with an address mask of any size): intel/cache.c
//! `cache_tag_flush_iotlb` takes that path first (`intel_domain_use_piotlb`) and returns, so the
//! second stage's fallback to a domain-selective flush "if no PSI support or the size is too
//! big" (`!cap_pgsel_inv || mask > cap_max_amask_val`) never applies to them. First-stage
//! domains are what VFIO gets from v6.13 when the unit has scalable mode + FLTS
//! (`linux/attach.rs::alloc_props`).
//!
//! arm-smmu-v3 chooses range commands, per-leaf commands or an ASID-wide one by version
//! ([`smmuv3`]). VT-d second stage (`mask > cap_max_amask_val` → domain-selective), AMD (any
//! power-of-two block in one command) and SMMUv2 follow the instance's
//! `max_invalidation_pages` in `iommu::invalidate::granularity`.

use crate::ids::IommuId;
use crate::iommu::IommuKind;
use crate::iommu::domain_props::DomainProps;
use crate::iommu::invalidate::Granularity;
use crate::linux::{Era, Kernel};

/// The domain's range invalidations are one command whatever their size (no domain-wide
/// fallback): VT-d first-stage domains.
pub fn range_without_domain_fallback(d: &DomainProps) -> bool {
    d.kind == IommuKind::IntelVtd && d.first_stage
}

/// Whether the kernel sends a domain's IOTLB invalidations to `iommu` at all. Only v6.15.0's
/// arm-smmu-v3 regression says no: a domain accepted behind another SMMU is still invalidated
/// through `smmu_domain->smmu` alone (`arm_smmu_tlb_inv_range_domain` →
/// `__arm_smmu_tlb_inv_range` on the owning SMMU's command queue), so the other SMMU keeps
/// stale TLB entries (device-TLB/ATC invalidation goes per master and still reaches them).
pub fn reaches(kernel: Kernel, d: &DomainProps, iommu: IommuId) -> bool {
    !(kernel.era() == Era::V6_15_0 && d.kind == IommuKind::ArmSmmuV3 && iommu != d.owner)
}

/// Range-invalidation commands `__arm_smmu_tlb_inv_range` (arm-smmu-v3.c, RIL support since
/// v5.7) sends for `pages` leaf pages: each command covers `num × 2^scale` pages with a 5-bit
/// `num` (`CMDQ_TLBI_RANGE_NUM_MAX` = 31), taken from the low end of the remaining page count
/// (`scale = __ffs(num_pages)`, `num = (num_pages >> scale) & 31`). A power of two is one
/// command; 33 pages are two (1 + 32).
pub fn smmuv3_range_commands(pages: u64) -> u64 {
    let mut left = pages;
    let mut commands = 0;
    while left > 0 {
        let scale = left.trailing_zeros();
        let num = (left >> scale) & 31;
        left -= num << scale;
        commands += 1;
    }
    commands
}

/// The per-domain invalidation array (`struct arm_smmu_invs`, `arm_smmu_domain_inv_range`,
/// Nicolin Chen's series "Introduce a per-domain arm_smmu_invs array", v5 posted Nov 2025 with
/// Jason Gunthorpe's review) replaces `__arm_smmu_tlb_inv_range` and, through
/// `arm_smmu_inv_size_too_big`, brings the `CMDQ_MAX_TLBI_OPS` threshold — until then only on
/// the SVA path (`arm_smmu_mm_arch_invalidate_secondary_tlbs`, v6.6) — to every unmap. It is in
/// no release the model names (newest 6.17), so only the proposed kernel has it; when a
/// release ships it, this is the one place to name that version.
pub fn smmuv3_has_invalidation_array(kernel: &Kernel) -> bool {
    kernel.proposed
}

/// The commands arm-smmu-v3 sends to invalidate `size` bytes whose page table held `leaves`
/// leaf entries (smallest page `1 << granule_shift`), on an SMMU with (`ril`) or without range
/// invalidation. The gather hands the driver the leaf size as its granule
/// (`iommu_iotlb_gather_add_page`, a new gather when the size changes).
///
/// - Released kernels (`__arm_smmu_tlb_inv_range`): with RIL, range commands over the range in
///   smallest pages (`tg = __ffs(pgsize_bitmap)`, [`smmuv3_range_commands`]), never an
///   ASID-wide fallback however large the range; without RIL, one command per leaf
///   (`inv_range = granule`), however many — the soft lockups the threshold later fixed.
/// - With the invalidation array ([`smmuv3_has_invalidation_array`]):
///   `arm_smmu_inv_size_too_big` — with RIL never too big; without RIL, `size >=
///   (1 << (ilog2(granule) - 3)) × granule` (512 leaves of 4 KiB, 2^18 of 2 MiB) becomes one
///   ASID/VMID-wide command.
pub fn smmuv3(size: u64, granule_shift: u32, leaves: u64, ril: bool, kernel: &Kernel) -> Granularity {
    if ril {
        return Granularity::Pages(smmuv3_range_commands((size >> granule_shift).max(1)));
    }
    let leaves = leaves.max(1);
    // The leaf size: uniform leaves of `size / leaves` bytes (a power of two ≥ the granule).
    let leaf_shift = (size / leaves).max(1 << granule_shift).ilog2();
    let max_tlbi_ops = 1u128 << leaf_shift.saturating_sub(3);
    if smmuv3_has_invalidation_array(kernel) && u128::from(size) >= max_tlbi_ops << leaf_shift {
        Granularity::Domain
    } else {
        Granularity::Pages(leaves)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IommuId;
    use crate::iommu::Caps;
    use crate::linux::{KernelVersion, attach::alloc_props};

    #[test]
    fn only_vtd_first_stage_domains_skip_the_fallback() {
        let caps = Caps::defaults(IommuKind::IntelVtd);
        let k = |s: &str| Kernel::parse(s).unwrap();
        let fs = alloc_props(k("6.17"), IommuKind::IntelVtd, IommuId(0), &caps, caps.page_sizes, 0);
        let ss = alloc_props(k("6.12"), IommuKind::IntelVtd, IommuId(0), &caps, caps.page_sizes, 0);
        assert!(range_without_domain_fallback(&fs));
        assert!(!range_without_domain_fallback(&ss));
        let smmu = Caps::defaults(IommuKind::ArmSmmuV3);
        assert!(!range_without_domain_fallback(&alloc_props(k("6.17"), IommuKind::ArmSmmuV3, IommuId(0), &smmu, smmu.page_sizes, 0)));
    }

    #[test]
    fn the_6_15_0_regression_invalidates_only_the_owner() {
        let smmu = Caps::defaults(IommuKind::ArmSmmuV3);
        let k = |s: &str| Kernel::parse(s).unwrap();
        let d = alloc_props(k("6.15"), IommuKind::ArmSmmuV3, IommuId(0), &smmu, smmu.page_sizes, 0);
        assert!(reaches(k("6.15"), &d, IommuId(0)));
        assert!(!reaches(k("6.15"), &d, IommuId(1)));
        assert!(reaches(k("proposed"), &d, IommuId(1)), "the sharing series invalidates every SMMU");
    }

    #[test]
    fn range_commands_take_five_bits_at_a_time() {
        assert_eq!(smmuv3_range_commands(1), 1);
        assert_eq!(smmuv3_range_commands(31), 1);
        assert_eq!(smmuv3_range_commands(32), 1);
        assert_eq!(smmuv3_range_commands(33), 2);
        assert_eq!(smmuv3_range_commands(1 << 18), 1, "1 GiB of 4K pages: one command");
        assert_eq!(smmuv3_range_commands((1 << 18) - 1), 4, "18 one-bits, 5 at a time");
    }

    #[test]
    fn ril_never_falls_back_and_non_ril_only_with_the_invalidation_array() {
        const K4: u64 = 4096;
        let released = Kernel::release(KernelVersion::new(6, 12, 0));
        let newest = Kernel::NEWEST;
        let proposed = Kernel::PROPOSED;
        for k in [released, newest, proposed] {
            assert_eq!(smmuv3(1 << 30, 12, 1 << 18, true, &k), Granularity::Pages(1), "{k:?}: RIL, 1 GiB");
            assert_eq!(smmuv3(511 * K4, 12, 511, false, &k), Granularity::Pages(511), "{k:?}");
            assert_eq!(smmuv3(1 << 30, 12, 1, false, &k), Granularity::Pages(1), "{k:?}: one 1G block, one TLBI");
        }
        assert_eq!(smmuv3(512 * K4, 12, 512, false, &released), Granularity::Pages(512));
        assert_eq!(smmuv3(1 << 30, 12, 1 << 18, false, &newest), Granularity::Pages(1 << 18), "one TLBI per 4K leaf");
        assert_eq!(smmuv3(512 * K4, 12, 512, false, &proposed), Granularity::Domain, "size >= 512 x 4K");
        assert_eq!(smmuv3(1 << 30, 12, 512, false, &proposed), Granularity::Pages(512), "2M leaves: 2^18 of them");
    }
}
