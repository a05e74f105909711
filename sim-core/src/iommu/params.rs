//! Everything that describes one IOMMU instance to the model: its capabilities (which decide
//! page-table format and domain compatibility), its translation-cache geometry and its costs.
//!
//! Each kind has defaults, each naming its source; a topology file overrides any of them per
//! instance. Where a default is not published for real hardware it says "assumed" and why.
//! Sources abbreviated: **[ref-LA]** `reference/linux-attach-semantics.md`, **[ref-MC]**
//! `reference/models-and-costs.md` (gem5 SMMUv3, Akaros, SM8150 measurements, F&S SOSP'24).

use serde::{Deserialize, Serialize};

use super::kind::{IommuKind, PageSizes};
use crate::time::Cycle;

/// Generates, for a parameter struct, its `…Overrides` twin (every field optional, unknown
/// fields refused) and the list of field names that the reference page in `docs/` must cover.
macro_rules! overridable {
    ($(#[$m:meta])* pub struct $name:ident / $over:ident { $( $(#[$fm:meta])* pub $field:ident : $ty:ty, )* }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        pub struct $name { $( $(#[$fm])* pub $field: $ty, )* }

        #[doc = concat!("Per-instance overrides of [`", stringify!($name), "`]; a missing field keeps the kind's default.")]
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $over { $( #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>, )* }

        impl $name {
            /// The field names as written in topology files.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// Applies the overrides that are set.
            pub fn apply(&mut self, o: &$over) {
                $( if let Some(v) = &o.$field { self.$field = v.clone(); } )*
            }
        }
    };
}

/// Replacement policy of a set-associative cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replacement {
    /// Least recently used within the set.
    Lru,
    /// First in, first out within the set (gem5's "rr" is a round-robin pointer, the same idea).
    Fifo,
    /// A uniformly random way, drawn from the cache's own RNG stream.
    Random,
}

overridable! {
    /// What the hardware can do. These decide the page-table format of a domain allocated on
    /// the instance and whether an existing domain is compatible with a device behind it.
    pub struct Caps / CapsOverrides {
        /// Input (IOVA) address width in bits. VT-d: 39/48/57 (3/4/5-level second stage,
        /// `agaw_to_width`); AMD v1: up to 64 (levels grow with the highest address); Arm
        /// LPAE: the IAS, 32..=52.
        pub address_width: u8,
        /// Output (physical) address width in bits; cross-instance sharing needs the domain's
        /// OAS to fit every instance ([ref-LA] §2, proposed `arm_smmu_domain_can_share`).
        pub output_width: u8,
        /// Page sizes the hardware supports (Linux `pgsize_bitmap`).
        pub page_sizes: PageSizes,
        /// Page-table walks are cache coherent (VT-d ECAP.C, SMMU COHACC). A VT-d domain
        /// records its unit's coherency and refuses units that differ ([ref-LA] §2).
        pub coherent_walk: bool,
        /// Can enforce cache coherency / snoop control (VT-d ECAP.SC, SMMUv3 CANWBS,
        /// `IOMMU_CAP_ENFORCE_CACHE_COHERENCY`).
        pub snoop_control: bool,
        /// Size of the domain-ID space: VT-d `cap_ndoms`, SMMUv2 context banks (≤ 128),
        /// SMMUv3 2^asid_bits, AMD 2^16, virtio-iommu's domain range. Which ids Linux can use
        /// and which pools are shared is decided in `linux/id_pools.rs::IdPools`.
        pub domain_ids: u32,
        /// SMMUv2: context banks that support stage 2 only (ID1.NUMS2CB). They come first, and
        /// a stage-1 domain (every VFIO / DMA-API domain) allocates after them
        /// (arm-smmu.c `arm_smmu_init_domain_context`: `start = smmu->num_s2_context_banks`).
        /// 0 elsewhere.
        pub s2_context_banks: u32,
        /// Range (or page-selective mask) invalidation: VT-d PSI, SMMUv3 RIL.
        pub range_invalidation: bool,
        /// VT-d: scalable mode with first-stage translation (ECAP.SMTS and ECAP.FLTS). Decides
        /// the stage of a domain allocated on the unit (see docs/kernel-versions.md) and
        /// whether a first-stage domain may be attached behind it. Ignored by other kinds.
        pub first_stage: bool,
        /// The largest invalidation, in pages of the granule, sent as one range/page command;
        /// larger ones become domain-wide (VT-d `mask > cap_max_amask_val`, SMMUv3
        /// `CMDQ_MAX_TLBI_OPS` = 512 without RIL) [ref-LA] §4.
        pub max_invalidation_pages: u32,
    }
}

overridable! {
    /// Geometry of the translation caches and walkers.
    pub struct Geometry / GeometryOverrides {
        /// IOTLB entries (all sets × ways).
        pub iotlb_entries: u32,
        /// IOTLB associativity; `iotlb_entries` for fully associative.
        pub iotlb_ways: u32,
        /// IOTLB replacement policy.
        pub iotlb_replacement: Replacement,
        /// Paging-structure (walk) cache entries per non-leaf level.
        pub walk_cache_entries: u32,
        /// Walk-cache associativity.
        pub walk_cache_ways: u32,
        /// Concurrent page-table walkers; requests queue when all are busy.
        pub walkers: u32,
        /// Device TLB (ATS translation cache) entries in each ATS-capable device.
        pub devtlb_entries: u32,
        /// Device TLB associativity.
        pub devtlb_ways: u32,
    }
}

overridable! {
    /// Cycle costs (1 cycle = 1 ns at the 1 GHz reference clock, `time.rs`).
    pub struct Costs / CostsOverrides {
        /// IOTLB hit latency.
        pub iotlb_hit: Cycle,
        /// Walk-cache lookup (paid once per miss, whatever level hits).
        pub walk_cache_lookup: Cycle,
        /// One page-table read from memory during a walk.
        pub pte_read: Cycle,
        /// Fixed overhead of a walk besides its reads (TBU↔TCU hops, slot handling).
        pub walk_overhead: Cycle,
        /// Device-TLB hit latency (ATS-cached translation, no trip to the IOMMU).
        pub devtlb_hit: Cycle,
        /// ATS translation request round trip over PCIe on a device-TLB miss.
        pub ats_round_trip: Cycle,
        /// CPU: write one PTE.
        pub cpu_pte_write: Cycle,
        /// CPU: allocate and zero one page-table page.
        pub cpu_table_alloc: Cycle,
        /// CPU: free one page-table page.
        pub cpu_table_free: Cycle,
        /// CPU: fixed cost of one map or unmap call (iommu_map/iommu_unmap entry, locking).
        pub cpu_map_call: Cycle,
        /// CPU: program a context entry / STE / DTE / context bank for a group.
        pub cpu_attach: Cycle,
        /// CPU: invalidate the context/config cache after programming (includes the wait).
        pub cpu_context_invalidate: Cycle,
        /// CPU: allocate (or free) a domain and its top-level table.
        pub cpu_domain_alloc: Cycle,
        /// CPU: queue one invalidation command.
        pub cpu_inv_command: Cycle,
        /// CPU: wait for one invalidation to complete (CMD_SYNC / wait descriptor).
        pub cpu_inv_sync: Cycle,
        /// CPU: one device-TLB (ATC) invalidation, including its completion.
        pub cpu_devtlb_invalidate: Cycle,
    }
}

/// Everything the model knows about one instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IommuParams {
    pub caps: Caps,
    pub geometry: Geometry,
    pub costs: Costs,
}

impl Caps {
    /// Default capabilities of a kind.
    pub fn defaults(kind: IommuKind) -> Caps {
        use PageSizes as P;
        match kind {
            // A server DMAR unit: 48-bit (4-level) second stage, 2M and 1G superpages (SLLPS),
            // coherent, snoop control; cap_ndoms = 64K on Sapphire-Rapids-class parts
            // (assumed; ND field 6 => 2^16); PSI with MAMV 9 (512 pages, assumed typical).
            IommuKind::IntelVtd => Caps {
                address_width: 48,
                output_width: 46,
                page_sizes: PageSizes(P::SZ_4K | P::SZ_2M | P::SZ_1G),
                coherent_walk: true,
                snoop_control: true,
                domain_ids: 65_536,
                s2_context_banks: 0,
                range_invalidation: true,
                first_stage: true,
                max_invalidation_pages: 512,
            },
            // AMD v1: every power of two 4K..2^51 except 512G (`AMD_IOMMU_PGSIZES`), 2^16
            // domain IDs (init.c), 64-bit input (6 levels at most) [ref-LA] §2, §5. Linux
            // builds 3-level tables at first and grows them. Invalidation: one command covers
            // any power-of-two aligned block (S bit), so ranges never fall back.
            IommuKind::AmdVi => Caps {
                address_width: 64,
                output_width: 52,
                page_sizes: PageSizes(((1u64 << 52) - 1) & !((1u64 << 12) - 1) & !(1u64 << 39)),
                coherent_walk: true,
                snoop_control: true,
                domain_ids: 65_536,
                s2_context_banks: 0,
                range_invalidation: true,
                first_stage: false,
                max_invalidation_pages: u32::MAX,
            },
            // MMU-500: 4K granule LPAE (4K|2M|1G), 48-bit, up to 128 context banks
            // (`ARM_SMMU_MAX_CBS`); TLBIVA per page, no range invalidation (SM8150
            // measurement in [ref-MC] §3.3); SoC integrations are often non-coherent (assumed).
            IommuKind::ArmSmmuV2 => Caps {
                address_width: 48,
                output_width: 48,
                page_sizes: PageSizes(P::SZ_4K | P::SZ_2M | P::SZ_1G),
                coherent_walk: false,
                snoop_control: false,
                domain_ids: 128,
                s2_context_banks: 0,
                range_invalidation: false,
                first_stage: false,
                max_invalidation_pages: 512,
            },
            // SMMUv3 server implementation: 4K granule, 48-bit, coherent, 16-bit ASIDs (gem5
            // IDR0 `0x094C100F` has 16-bit ASID/VMID), RIL on (SMMUv3.2, assumed for a recent
            // server part); without RIL >= 512 pages falls back to ASID-wide [ref-LA] §4.3.
            // `snoop_control` stands for the IORT root-complex CANWBS memory-access flag
            // (`IOMMU_FWSPEC_PCI_RC_CANWBS`, `arm_smmu_master_canwbs`, v6.13+): a per-root-
            // complex firmware promise that writes are coherent, added in IORT rev E.f and
            // set by few firmwares; without it Linux cannot enforce cache coherency, so the
            // default is off (set it per instance when the platform's IORT has it).
            IommuKind::ArmSmmuV3 => Caps {
                address_width: 48,
                output_width: 48,
                page_sizes: PageSizes(P::SZ_4K | P::SZ_2M | P::SZ_1G),
                coherent_walk: true,
                snoop_control: false,
                domain_ids: 65_536,
                s2_context_banks: 0,
                range_invalidation: true,
                first_stage: false,
                max_invalidation_pages: 512,
            },
            // virtio-iommu: the host keeps an interval tree per domain; page sizes as the
            // host advertises (4K assumed), domain range 32 bits (assumed: `domain_range`
            // default in QEMU is the full u32).
            IommuKind::VirtioIommu => Caps {
                address_width: 48,
                output_width: 48,
                page_sizes: PageSizes(P::SZ_4K),
                coherent_walk: true,
                snoop_control: false,
                domain_ids: u32::MAX,
                s2_context_banks: 0,
                range_invalidation: true,
                first_stage: false,
                max_invalidation_pages: u32::MAX,
            },
        }
    }
}

impl Geometry {
    /// Default translation-cache geometry of a kind.
    pub fn defaults(kind: IommuKind) -> Geometry {
        match kind {
            // VT-d IOTLB geometry is not disclosed; pcie-bench's knee suggests ~64 entries
            // ([ref-MC] §4.2, [U]); we take 64 fully associative. Paging-structure caches
            // "PTcache-L3 ≤ 64 entries" (F&S, [ref-MC] §3.2). Walkers: 4 (assumed).
            // Device TLB: 64 entries, 4-way (assumed, typical NIC ATC).
            IommuKind::IntelVtd | IommuKind::AmdVi => Geometry {
                iotlb_entries: 64,
                iotlb_ways: 64,
                iotlb_replacement: Replacement::Lru,
                walk_cache_entries: 64,
                walk_cache_ways: 4,
                walkers: 4,
                devtlb_entries: 64,
                devtlb_ways: 4,
            },
            // gem5 SMMUv3 TBU main TLB: 2048 entries, 4-way; walk cache level-2 partition 348
            // entries 4-way (we round to 256, MMU-600 Agilex depth); 16 PTW slots
            // ([ref-MC] §1.3, §4.1).
            IommuKind::ArmSmmuV3 => Geometry {
                iotlb_entries: 2048,
                iotlb_ways: 4,
                iotlb_replacement: Replacement::Fifo,
                walk_cache_entries: 256,
                walk_cache_ways: 4,
                walkers: 16,
                devtlb_entries: 64,
                devtlb_ways: 4,
            },
            // MMU-500 TBU TLB depth is configurable and undocumented here; 128 entries
            // 4-way and 4 walkers (assumed, small SoC configuration).
            IommuKind::ArmSmmuV2 => Geometry {
                iotlb_entries: 128,
                iotlb_ways: 4,
                iotlb_replacement: Replacement::Fifo,
                walk_cache_entries: 64,
                walk_cache_ways: 4,
                walkers: 4,
                devtlb_entries: 32,
                devtlb_ways: 4,
            },
            // virtio-iommu has no architectural IOTLB: the host's vIOMMU emulation caches a
            // little (QEMU SMMUv3/VT-d caps 256/1024); we model a 256-entry fully associative
            // cache and 1 "walker" (the single request virtqueue, assumed).
            IommuKind::VirtioIommu => Geometry {
                iotlb_entries: 256,
                iotlb_ways: 256,
                iotlb_replacement: Replacement::Lru,
                walk_cache_entries: 16,
                walk_cache_ways: 4,
                walkers: 1,
                devtlb_entries: 32,
                devtlb_ways: 4,
            },
        }
    }
}

impl Costs {
    /// Default costs of a kind, in cycles at 1 GHz.
    pub fn defaults(kind: IommuKind) -> Costs {
        // Common anchors ([ref-MC] §5): IOTLB hit ≈ 1–3 cycles (gem5 tlb_lat 3, MMU-500 2 clk);
        // walk-cache lookup 4 (gem5 walk_lat); PTE read ≈ 100 ns (F&S); TBU↔TCU 8 cycles each
        // way (gem5) => 16 cycles of walk overhead; invalidate + sync ≈ 800 ns (Akaros), split
        // as 50 to queue a command and 750 to wait. Strict 4K map ≈ 2.07 µs / unmap ≈ 1.85 µs
        // on SM8150 SMMUv2 including TLBI: map = call 1500 + PTE writes + table allocs (the
        // rest), unmap = call 900 + PTE 50 + inv 800 (assumed split of the measured total).
        let base = Costs {
            iotlb_hit: 3,
            walk_cache_lookup: 4,
            pte_read: 100,
            walk_overhead: 16,
            devtlb_hit: 1,
            // PCIe ATS translation request/completion round trip ≈ 500 ns (assumed: two
            // PCIe TLPs through a root port, ~250 ns each way).
            ats_round_trip: 500,
            cpu_pte_write: 50,
            // Allocate + zero a 4 KiB page ≈ 500 ns (assumed: get_zeroed_page, memset of 4 KiB).
            cpu_table_alloc: 500,
            cpu_table_free: 200,
            cpu_map_call: 1_500,
            // Programming a context entry/STE and its cache invalidation: ≈ 1 µs + 800 ns
            // (assumed; each is one descriptor write and one wait, like an IOTLB sync).
            cpu_attach: 1_000,
            cpu_context_invalidate: 800,
            cpu_domain_alloc: 2_000,
            cpu_inv_command: 50,
            cpu_inv_sync: 750,
            // ATC invalidation over PCIe completes in ~1-2 µs (assumed; PCIe spec allows up to
            // 60 s, real devices answer in microseconds).
            cpu_devtlb_invalidate: 1_500,
        };
        match kind {
            IommuKind::ArmSmmuV2 => Costs { iotlb_hit: 2, cpu_map_call: 1_500, ..base },
            // virtio-iommu: every map/unmap/attach is a virtqueue request with a VM exit, ~10 µs
            // round trip (assumed), and the invalidation is implied by the unmap request.
            IommuKind::VirtioIommu => Costs { cpu_map_call: 10_000, cpu_attach: 10_000, cpu_inv_sync: 0, ..base },
            _ => base,
        }
    }
}

impl IommuParams {
    /// The defaults of `kind`, before any override.
    pub fn defaults(kind: IommuKind) -> IommuParams {
        IommuParams { caps: Caps::defaults(kind), geometry: Geometry::defaults(kind), costs: Costs::defaults(kind) }
    }
}
