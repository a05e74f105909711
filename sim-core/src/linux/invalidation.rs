//! Which TLB invalidation commands a driver sends for an unmapped range, by kernel version.
//! The hardware model (`iommu/invalidate.rs`) costs and applies the commands; which ones the
//! driver chooses is Linux's decision and lives here.
//!
//! Only the SMMUv3 rule depends on the version so far. VT-d (`mask > cap_max_amask_val` →
//! domain-selective), AMD (any power-of-two block in one command) and SMMUv2 follow the
//! instance's `max_invalidation_pages` in `iommu::invalidate::granularity`.

use crate::iommu::invalidate::Granularity;
use crate::linux::Kernel;

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
    use crate::linux::KernelVersion;

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
