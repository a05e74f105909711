//! What Linux does with a domain once it exists — DMA-API domains versus VFIO/iommufd domains,
//! domain-ID spaces, the invalidation commands — as a reference table. The rules themselves
//! are implemented where they act (cited per row); this table is what docs/kernel-versions.md
//! prints, and a test keeps the two in step.

/// One rule: who, in which kernels, what, what Linux does, and where it was read.
#[derive(Clone, Copy, Debug)]
pub struct DomainRule {
    pub driver: &'static str,
    pub kernels: &'static str,
    pub rule: &'static str,
    pub behaviour: &'static str,
    pub source: &'static str,
    /// Where the model implements it.
    pub model: &'static str,
}

const fn r(
    driver: &'static str,
    kernels: &'static str,
    rule: &'static str,
    behaviour: &'static str,
    source: &'static str,
    model: &'static str,
) -> DomainRule {
    DomainRule { driver, kernels, rule, behaviour, source, model }
}

/// The table (docs/kernel-versions.md, "Domains after attach").
pub const RULES: &[DomainRule] = &[
    r(
        "dma-iommu",
        "5.19 – 6.17",
        "default DMA domain mode",
        "lazy (`IOMMU_DOMAIN_DMA_FQ`) behind VT-d and AMD-Vi, strict elsewhere (`IOMMU_DEFAULT_DMA_LAZY if X86`); `iommu.strict=` overrides: a `DmaApi` domain's `invalidation`",
        "drivers/iommu/Kconfig (the x86 condition since v5.15's strictness rework)",
        "scenario/load.rs dma_api_groups",
    ),
    r(
        "dma-iommu",
        "5.19 – 6.17",
        "flush queue",
        "per-CPU ring of `IOVA_DEFAULT_FQ_SIZE` = 256 holding 255: a full ring flushes before taking the entry; a 10 ms timer (`IOVA_DEFAULT_FQ_TIMEOUT`) armed by the first entry after it fired flushes unconditionally",
        "dma-iommu.c:queue_iova, fq_full, fq_flush_timeout (read in a v6.x copy with the single queue)",
        "sim/mod.rs unmap, FlushTimer",
    ),
    r(
        "dma-iommu",
        "with shadow_on_flush",
        "single flush queue",
        "one queue of `IOVA_SINGLE_FQ_SIZE` = 32768, 1000 ms, only for IOMMUs that shadow their flushes (s390); not modelled (no such IOMMU); release not verified",
        "dma-iommu.c:iommu_dma_init_options",
        "—",
    ),
    r(
        "vfio type1, iommufd",
        "5.19 – 6.17",
        "VFIO domains are strict",
        "unmanaged paging domains without a flush queue: a lazy `Container` is refused (exit 2)",
        "iommu.c:iommu_paging_domain_alloc; vfio_iommu_type1.c:vfio_unmap_unpin",
        "scenario/load.rs",
    ),
    r(
        "vfio type1",
        "5.19 – 6.17",
        "unmap sync batching",
        "the head (newest) domain is unmapped chunk by physically contiguous chunk and synced every `VFIO_IOMMU_TLB_SYNC_MAX` = 512 chunks; every other domain with one `iommu_unmap`",
        "vfio_iommu_type1.c:vfio_unmap_unpin, unmap_unpin_fast",
        "container.rs vfio_sync_bytes",
    ),
    r(
        "intel-iommu",
        "5.19 – 6.17",
        "domain ids",
        "per unit, at attach, from `IDA_START_DID` = 2 (DID 0: caching-mode invalid translations and \"no DID\"; DID 1: `FLPT_DEFAULT_DID`); full: `-ENOSPC`, `%s: No free domain ids`",
        "intel/iommu.h; intel/iommu.c:domain_attach_iommu (bitmap before the IDA conversion: DID 1 reserved in scalable mode, assumed)",
        "linux/id_pools.rs usable_ids",
    ),
    r(
        "amd-iommu",
        "5.19 – 6.17",
        "domain ids",
        "one platform-wide pool, ids 1..`MAX_DOMAIN_ID`-1, taken when the domain is allocated; full: the allocation fails, `-ENOMEM`",
        "amd/iommu.c:pdom_id_alloc, protection_domain_alloc (earlier the global `amd_iommu_pd_alloc_bitmap`)",
        "sim/core.rs alloc_domain",
    ),
    r(
        "arm-smmu-v3",
        "5.19 – 6.17",
        "ASIDs and VMIDs",
        "stage-1 ASIDs from the global `arm_smmu_asid_xa`, 1..2^asid_bits-1; full: `xa_alloc` `-EBUSY`. VMIDs per SMMU for stage-2 domains only: not modelled (VFIO domains are stage 1)",
        "arm-smmu-v3.c:arm_smmu_domain_finalise_s1",
        "linux/id_pools.rs IdPools",
    ),
    r(
        "arm-smmu",
        "5.19 – 6.17",
        "context banks",
        "stage-1 domains take a bank in [`num_s2_context_banks`, `num_context_banks`) (topology `s2_context_banks`); full: `-ENOSPC`",
        "arm-smmu.c:arm_smmu_init_domain_context",
        "linux/id_pools.rs usable_ids",
    ),
    r(
        "arm-smmu-v3",
        "5.19 – 6.17",
        "invalidation with RIL",
        "range commands (`num` × 2^`scale` pages, 5-bit `num`), never an ASID-wide fallback",
        "arm-smmu-v3.c:__arm_smmu_tlb_inv_range",
        "linux/invalidation.rs smmuv3",
    ),
    r(
        "arm-smmu-v3",
        "5.19 – 6.17",
        "invalidation without RIL",
        "one TLBI per leaf entry (per granule under a freed table), however many; `CMDQ_MAX_TLBI_OPS` only on the SVA path (v6.6)",
        "arm-smmu-v3.c:__arm_smmu_tlb_inv_range; arm-smmu-v3-sva.c",
        "linux/invalidation.rs smmuv3",
    ),
    r(
        "arm-smmu-v3",
        "proposed (not merged)",
        "invalidation array",
        "without RIL, `size >= (1 << (ilog2(granule) - 3)) × granule` (512 leaves of 4K) becomes one ASID/VMID-wide command; with RIL unchanged",
        "arm_smmu_domain_inv_range, arm_smmu_inv_size_too_big (\"Introduce a per-domain arm_smmu_invs array\", posted Nov 2025)",
        "linux/invalidation.rs smmuv3",
    ),
];

/// The table as docs/kernel-versions.md prints it.
pub fn markdown_table() -> String {
    let mut s = String::from("| driver | kernels | rule | what Linux does | source | model |\n|---|---|---|---|---|---|\n");
    for r in RULES {
        s.push_str(&format!("| {} | {} | {} | {} | {} | {} |\n", r.driver, r.kernels, r.rule, r.behaviour, r.source, r.model));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reference_page_prints_this_table() {
        let page = include_str!("../../../docs/kernel-versions.md");
        let table = super::markdown_table();
        assert!(page.contains(&table), "docs/kernel-versions.md is out of date; its \"Domains after attach\" table should read:\n{table}");
    }
}
