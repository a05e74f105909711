//! How Linux invalidates, where it depends on the domain rather than on the hardware alone.
//!
//! VT-d first-stage domains are flushed with PASID-based IOTLB invalidation (`qi_flush_piotlb`,
//! granularity "PASID page-selective" with an address mask of any size): intel/cache.c
//! `cache_tag_flush_iotlb` takes that path first (`intel_domain_use_piotlb`) and returns, so the
//! second stage's fallback to a domain-selective flush "if no PSI support or the size is too
//! big" (`!cap_pgsel_inv || mask > cap_max_amask_val`) never applies to them. First-stage
//! domains are what VFIO gets from v6.13 when the unit has scalable mode + FLTS
//! (`linux/attach.rs::alloc_props`).

use crate::ids::IommuId;
use crate::iommu::IommuKind;
use crate::iommu::driver::DomainProps;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IommuId;
    use crate::iommu::Caps;
    use crate::linux::{Kernel, attach::alloc_props};

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
}
