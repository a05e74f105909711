//! Page-table formats: which radix tree a domain allocated on an instance gets.
//!
//! A [`Format`] fixes the granule (the smallest page and the size of one table page), how many
//! address bits each level resolves, how many levels the tree has (and, for AMD v1, how far it
//! may grow), the accepted input and output address widths, and the leaf sizes a map may use.
//! [`Format::for_instance`] derives it from an instance's kind and capabilities the way the
//! Linux drivers do (reference `linux-attach-semantics.md` §5); the topology loader calls it to
//! refuse impossible instances up front, so [`FormatError`] messages are written for users.

use super::super::iommu::{Caps, IommuKind, PageSizes};

/// The page-table formats the simulator models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FormatKind {
    /// Intel VT-d second-stage tables (`drivers/iommu/intel/iommu.c`, `dma_pte`): 4 KiB table
    /// pages of 512 entries, 3/4/5 levels for a 39/48/57-bit address width.
    VtdSecondStage,
    /// AMD-Vi v1 tables (`drivers/iommu/amd/io_pgtable.c`): 4 KiB table pages, created with
    /// three levels (`PAGE_MODE_3_LEVEL`) and grown one level at a time
    /// (`increase_address_space`) up to six when a map reaches above the current reach.
    AmdV1,
    /// Arm VMSAv8-64 long-descriptor tables (`drivers/iommu/io-pgtable-arm.c`), 4K/16K/64K
    /// granule; used by SMMUv2 and SMMUv3 stage 1, and as the model of virtio-iommu's host tree.
    ArmLpae,
}

impl FormatKind {
    /// The name used in messages and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            FormatKind::VtdSecondStage => "vt-d second-stage",
            FormatKind::AmdV1 => "amd v1",
            FormatKind::ArmLpae => "arm lpae",
        }
    }
}

impl std::fmt::Display for FormatKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an instance's capabilities cannot describe a page table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The input (IOVA) width is outside what the format can translate.
    #[error("{format} page tables cannot use a {width}-bit input address width (supported: {supported})")]
    AddressWidth { format: FormatKind, width: u32, supported: &'static str },
    /// The output (physical) width is outside what the format can encode.
    #[error("{format} page tables cannot use a {width}-bit output address width (supported: {supported})")]
    OutputWidth { format: FormatKind, width: u32, supported: &'static str },
    /// The smallest page size is not a granule of the format.
    #[error("{format} page tables need {needed} as the smallest page size, but the page sizes are {sizes}")]
    Granule { format: FormatKind, sizes: String, needed: &'static str },
    /// None of the instance's page sizes is a leaf size of the format.
    #[error("none of the page sizes {sizes} is a leaf size of {format} page tables")]
    NoLeafSize { format: FormatKind, sizes: String },
}

/// A page-table format, fully resolved for one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    pub kind: FormatKind,
    /// log2 of the granule: the smallest page and the size of every table page (12/14/16).
    pub granule_shift: u32,
    /// Address bits resolved per level: `granule_shift - 3` (a PTE is 8 bytes), 9/11/13.
    pub bits_per_level: u32,
    /// Levels when the table is created (AMD v1: 3, it grows).
    pub levels: u8,
    /// Most levels the table may reach (AMD v1: 6; the others never grow: `levels`).
    pub max_levels: u8,
    /// IOVA bits accepted: a map or translation above `2^address_width` is out of range.
    pub address_width: u32,
    /// Physical-address bits a leaf may point to (io-pgtable-arm refuses `paddr >> oas` with
    /// `-ERANGE`; the others are checked the same way here).
    pub output_width: u32,
    /// Leaf sizes usable: the format's natural sizes ∩ the instance's `page_sizes`.
    pub page_sizes: PageSizes,
}

/// Natural leaf sizes of a 4 KiB-granule, 9-bit-per-level tree: 4K pages, 2M and 1G
/// superpages. VT-d `intel_iommu_map_pages` accepts only these; LPAE 4K granule restricts to
/// them (`arm_lpae_restrict_pgsizes`).
const SIZES_4K: u64 = PageSizes::SZ_4K | PageSizes::SZ_2M | PageSizes::SZ_1G;

impl Format {
    /// Whether a domain with this page-table format can hold `[iova, iova + size)` →
    /// `[phys, phys + size)`: both ends inside the input and output widths, nothing wrapping.
    /// A map that fails this is a `map_error` (as `iommu_map` fails with -ERANGE/-EINVAL).
    pub fn representable(&self, iova: u64, phys: u64, size: u64) -> bool {
        let fits = |start: u64, bits: u32| start.checked_add(size.saturating_sub(1)).is_some_and(|last| bits >= 64 || last >> bits == 0);
        size > 0 && fits(iova, self.address_width) && fits(phys, self.output_width)
    }

    /// The format of a domain allocated on an instance of `kind` with capabilities `caps`.
    ///
    /// * `IntelVtd`: 4K granule; levels = `agaw_to_level(width_to_agaw(w))`, i.e. 3/4/5 for
    ///   39/48/57 bits. Widths in between are MGAW-clipped widths (`domain->gaw` may be smaller
    ///   than `agaw_to_width(agaw)`, e.g. 46 bits on 4 levels) and accepted; below 30 or above
    ///   57 is refused. Widths up to 39 use 3 levels (2-level SAGAW is not used by Linux).
    /// * `AmdVi`: 4K granule, 3 levels at creation, up to 6; width 32..=64. Leaf sizes are the
    ///   level sizes 4K/2M/1G ∩ caps. Linux's v1 code also builds any power-of-two page that is
    ///   not a level size (`AMD_IOMMU_PGSIZES`) by replicating a "next-level 7" PTE
    ///   (`PAGE_SIZE_PTE_COUNT`); that is not modelled (such sizes are dropped), nor is the
    ///   256T level-4 page.
    /// * `ArmSmmuV2` / `ArmSmmuV3`: `arm_lpae_alloc_pgtable` — granule = smallest page size
    ///   (must be 4K/16K/64K; Linux prefers the CPU page size, which with 4K CPU pages is the
    ///   same choice whenever 4K is offered), `levels = ceil((ias - pg_shift) / bits_per_level)`
    ///   with the root partly used; leaf sizes per granule 4K→4K|2M|1G, 16K→16K|32M,
    ///   64K→64K|512M (+4T with a 52-bit output width, FEAT_LPA), ∩ caps. At most 4 levels
    ///   (no LPA2), so 4K/52 is refused; ias 32..=52, oas ≤ 52.
    /// * `VirtioIommu`: modelled as an Arm LPAE table built from the host's advertised page
    ///   sizes (4K by default). The real host keeps an interval tree; an LPAE walk is a
    ///   stand-in for its lookup cost (assumed).
    pub fn for_instance(kind: IommuKind, caps: &Caps) -> Result<Format, FormatError> {
        let width = u32::from(caps.address_width);
        let oas = u32::from(caps.output_width);
        match kind {
            IommuKind::IntelVtd => {
                let format = FormatKind::VtdSecondStage;
                if !(30..=57).contains(&width) {
                    return Err(FormatError::AddressWidth { format, width, supported: "30..=57 (39/48/57 for 3/4/5 levels)" });
                }
                check_oas(format, oas)?;
                // width_to_agaw = ceil((w - 30) / 9), at least 1; agaw_to_level = agaw + 2.
                let agaw = (width - 30).div_ceil(9).max(1);
                let levels = (agaw + 2) as u8;
                Self::fixed_4k(format, caps, levels, levels, width, oas)
            }
            IommuKind::AmdVi => {
                let format = FormatKind::AmdV1;
                if !(32..=64).contains(&width) {
                    return Err(FormatError::AddressWidth { format, width, supported: "32..=64" });
                }
                check_oas(format, oas)?;
                Self::fixed_4k(format, caps, 3, 6, width, oas)
            }
            IommuKind::ArmSmmuV2 | IommuKind::ArmSmmuV3 | IommuKind::VirtioIommu => Self::arm_lpae(caps, width, oas),
        }
    }

    /// VT-d and AMD v1: the 4K granule is mandatory.
    fn fixed_4k(kind: FormatKind, caps: &Caps, levels: u8, max_levels: u8, width: u32, oas: u32) -> Result<Format, FormatError> {
        if !caps.page_sizes.contains(PageSizes::SZ_4K) {
            return Err(FormatError::Granule { format: kind, sizes: sizes_text(caps.page_sizes), needed: "4K" });
        }
        Self::finish(kind, caps, 12, levels, max_levels, width, oas, SIZES_4K)
    }

    fn arm_lpae(caps: &Caps, width: u32, oas: u32) -> Result<Format, FormatError> {
        let format = FormatKind::ArmLpae;
        if !(32..=52).contains(&width) {
            return Err(FormatError::AddressWidth { format, width, supported: "32..=52" });
        }
        check_oas(format, oas)?;
        let natural = match caps.page_sizes.min() {
            Some(PageSizes::SZ_4K) => SIZES_4K,
            Some(PageSizes::SZ_16K) => PageSizes::SZ_16K | PageSizes::SZ_32M,
            Some(PageSizes::SZ_64K) if oas >= 52 => PageSizes::SZ_64K | PageSizes::SZ_512M | (1 << 42),
            Some(PageSizes::SZ_64K) => PageSizes::SZ_64K | PageSizes::SZ_512M,
            _ => {
                return Err(FormatError::Granule { format, sizes: sizes_text(caps.page_sizes), needed: "4K, 16K or 64K" });
            }
        };
        let granule_shift = caps.page_sizes.0.trailing_zeros();
        let bits_per_level = granule_shift - 3;
        let levels = (width - granule_shift).div_ceil(bits_per_level);
        if levels > 4 {
            return Err(FormatError::AddressWidth {
                format,
                width,
                supported: "at most 4 levels: 4K granule up to 48 bits, 16K/64K up to 52",
            });
        }
        let levels = levels as u8;
        Self::finish(format, caps, granule_shift, levels, levels, width, oas, natural)
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        kind: FormatKind,
        caps: &Caps,
        granule_shift: u32,
        levels: u8,
        max_levels: u8,
        address_width: u32,
        output_width: u32,
        natural: u64,
    ) -> Result<Format, FormatError> {
        let bits_per_level = granule_shift - 3;
        // A leaf must be the entry size of some level of the tallest tree: shift = granule +
        // k·bits, k < max_levels.
        let level_sizes =
            (0..u32::from(max_levels)).map(|k| granule_shift + k * bits_per_level).filter(|&s| s < 64).fold(0u64, |acc, s| acc | (1 << s));
        let page_sizes = PageSizes(natural & caps.page_sizes.0 & level_sizes);
        if page_sizes.0 == 0 {
            return Err(FormatError::NoLeafSize { format: kind, sizes: sizes_text(caps.page_sizes) });
        }
        Ok(Format { kind, granule_shift, bits_per_level, levels, max_levels, address_width, output_width, page_sizes })
    }

    /// The granule in bytes (one table page, the smallest leaf).
    #[inline]
    pub const fn granule(&self) -> u64 {
        1 << self.granule_shift
    }

    /// Entries in one table page.
    #[inline]
    pub const fn entries_per_table(&self) -> u64 {
        1 << self.bits_per_level
    }

    /// Address bits covered by one entry of the table at `depth` (1 = root) in a tree of
    /// `levels` levels. Depth `levels` holds granule-sized entries.
    #[inline]
    pub const fn level_shift(&self, levels: u8, depth: u8) -> u32 {
        self.granule_shift + self.bits_per_level * (levels.saturating_sub(depth) as u32)
    }

    /// Address bits a tree of `levels` levels can reach (may exceed 64 for AMD v1 at 6 levels,
    /// `PM_LEVEL_SIZE(6)` is all ones).
    #[inline]
    pub const fn reach_bits(&self, levels: u8) -> u32 {
        self.granule_shift + self.bits_per_level * levels as u32
    }
}

fn check_oas(format: FormatKind, oas: u32) -> Result<(), FormatError> {
    // io-pgtable-arm: `ARM_LPAE_MAX_ADDR_BITS` 52; AMD `IOMMU_OUT_ADDR_BIT_SIZE` 52; VT-d
    // MGAW/host address width at most 52 as well (`cap_mgaw`, 5-level paging's 52-bit PA).
    if (32..=52).contains(&oas) { Ok(()) } else { Err(FormatError::OutputWidth { format, width: oas, supported: "32..=52" }) }
}

fn sizes_text(sizes: PageSizes) -> String {
    if sizes.0 == 0 {
        return "(none)".to_string();
    }
    let names: Vec<String> = sizes.iter().map(PageSizes::size_name).collect();
    names.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iommu::Caps;
    use PageSizes as P;

    fn caps(kind: IommuKind, width: u8, sizes: u64) -> Caps {
        Caps { address_width: width, page_sizes: PageSizes(sizes), ..Caps::defaults(kind) }
    }

    fn fmt(kind: IommuKind, width: u8, sizes: u64) -> Format {
        Format::for_instance(kind, &caps(kind, width, sizes)).expect("valid format")
    }

    #[test]
    fn vtd_levels_follow_agaw() {
        for (w, l) in [(39, 3), (48, 4), (57, 5), (46, 4), (32, 3)] {
            let f = fmt(IommuKind::IntelVtd, w, SIZES_4K);
            assert_eq!(
                (f.kind, f.levels, f.max_levels, f.granule_shift, f.bits_per_level),
                (FormatKind::VtdSecondStage, l, l, 12, 9),
                "width {w}"
            );
            assert_eq!(f.address_width, u32::from(w));
        }
        // 1G not advertised (SLLPS bit 1 clear): only 4K|2M.
        assert_eq!(fmt(IommuKind::IntelVtd, 48, P::SZ_4K | P::SZ_2M).page_sizes, PageSizes(P::SZ_4K | P::SZ_2M));
        // Extra sizes the format cannot build are dropped.
        assert_eq!(fmt(IommuKind::IntelVtd, 48, SIZES_4K | P::SZ_64K).page_sizes, PageSizes(SIZES_4K));
    }

    #[test]
    fn amd_v1_starts_at_three_levels_and_may_grow_to_six() {
        let f = fmt(IommuKind::AmdVi, 64, Caps::defaults(IommuKind::AmdVi).page_sizes.0);
        assert_eq!((f.kind, f.levels, f.max_levels), (FormatKind::AmdV1, 3, 6));
        // The default AMD bitmap (every power of two but 512G) reduces to the level sizes.
        assert_eq!(f.page_sizes, PageSizes(SIZES_4K));
        assert_eq!(f.reach_bits(3), 39);
        assert_eq!(f.reach_bits(6), 66);
        assert_eq!(fmt(IommuKind::AmdVi, 64, P::SZ_4K).page_sizes, PageSizes(P::SZ_4K));
    }

    #[test]
    fn arm_lpae_granules_and_levels() {
        let cases = [
            (P::SZ_4K | P::SZ_2M | P::SZ_1G, 48, 12, 4, SIZES_4K),
            (P::SZ_4K | P::SZ_2M | P::SZ_1G, 39, 12, 3, SIZES_4K),
            (P::SZ_16K | P::SZ_32M, 48, 14, 4, P::SZ_16K | P::SZ_32M),
            (P::SZ_64K | P::SZ_512M, 48, 16, 3, P::SZ_64K | P::SZ_512M),
            (P::SZ_64K | P::SZ_512M, 52, 16, 3, P::SZ_64K | P::SZ_512M),
            // 16K granule ignores a 2M size it cannot build.
            (P::SZ_16K | P::SZ_2M | P::SZ_32M, 48, 14, 4, P::SZ_16K | P::SZ_32M),
        ];
        for kind in [IommuKind::ArmSmmuV2, IommuKind::ArmSmmuV3] {
            for (sizes, ias, shift, levels, leaves) in cases {
                let mut c = caps(kind, ias, sizes);
                c.output_width = 48;
                let f = Format::for_instance(kind, &c).unwrap();
                assert_eq!(f.kind, FormatKind::ArmLpae);
                assert_eq!(
                    (f.granule_shift, f.bits_per_level, f.levels, f.max_levels),
                    (shift, shift - 3, levels, levels),
                    "{sizes:#x}/{ias}"
                );
                assert_eq!(f.page_sizes, PageSizes(leaves));
            }
        }
        // 64K granule with a 52-bit output adds the 4T level-1 block.
        let mut c = caps(IommuKind::ArmSmmuV3, 52, P::SZ_64K | P::SZ_512M | (1 << 42));
        c.output_width = 52;
        assert_eq!(Format::for_instance(IommuKind::ArmSmmuV3, &c).unwrap().page_sizes, PageSizes(P::SZ_64K | P::SZ_512M | (1 << 42)));
    }

    #[test]
    fn virtio_is_modelled_as_lpae_4k() {
        let f = Format::for_instance(IommuKind::VirtioIommu, &Caps::defaults(IommuKind::VirtioIommu)).unwrap();
        assert_eq!((f.kind, f.granule_shift, f.levels), (FormatKind::ArmLpae, 12, 4));
        assert_eq!(f.page_sizes, PageSizes(P::SZ_4K));
    }

    #[test]
    fn defaults_of_every_kind_are_valid() {
        for kind in IommuKind::ALL {
            assert!(Format::for_instance(kind, &Caps::defaults(kind)).is_ok(), "{kind}");
        }
    }

    #[test]
    fn impossible_combinations_are_refused() {
        let err = |kind, c: Caps| Format::for_instance(kind, &c).unwrap_err();
        assert!(matches!(err(IommuKind::IntelVtd, caps(IommuKind::IntelVtd, 64, SIZES_4K)), FormatError::AddressWidth { width: 64, .. }));
        assert!(matches!(err(IommuKind::IntelVtd, caps(IommuKind::IntelVtd, 48, P::SZ_2M)), FormatError::Granule { .. }));
        assert!(matches!(err(IommuKind::AmdVi, caps(IommuKind::AmdVi, 16, SIZES_4K)), FormatError::AddressWidth { .. }));
        assert!(matches!(err(IommuKind::ArmSmmuV3, caps(IommuKind::ArmSmmuV3, 56, SIZES_4K)), FormatError::AddressWidth { .. }));
        // 4K granule at 52 bits would need 5 levels (LPA2), not supported.
        assert!(matches!(err(IommuKind::ArmSmmuV3, caps(IommuKind::ArmSmmuV3, 52, SIZES_4K)), FormatError::AddressWidth { .. }));
        // 8K is not an LPAE granule; 2M alone has no granule.
        assert!(matches!(err(IommuKind::ArmSmmuV2, caps(IommuKind::ArmSmmuV2, 48, 1 << 13)), FormatError::Granule { .. }));
        assert!(matches!(err(IommuKind::ArmSmmuV2, caps(IommuKind::ArmSmmuV2, 48, P::SZ_2M)), FormatError::Granule { .. }));
        assert!(matches!(err(IommuKind::ArmSmmuV2, caps(IommuKind::ArmSmmuV2, 48, 0)), FormatError::Granule { .. }));
        let mut c = caps(IommuKind::ArmSmmuV3, 48, SIZES_4K);
        c.output_width = 60;
        assert!(matches!(err(IommuKind::ArmSmmuV3, c), FormatError::OutputWidth { width: 60, .. }));
        // Messages name the problem for the user.
        let msg = err(IommuKind::ArmSmmuV2, caps(IommuKind::ArmSmmuV2, 48, P::SZ_2M)).to_string();
        assert!(msg.contains("2M") && msg.contains("4K, 16K or 64K"), "{msg}");
    }

    #[test]
    fn representable_checks_both_widths_and_wrap() {
        let f = Format {
            kind: FormatKind::AmdV1,
            granule_shift: 12,
            bits_per_level: 9,
            levels: 4,
            max_levels: 4,
            address_width: 48,
            output_width: 48,
            page_sizes: crate::iommu::PageSizes(4096),
        };
        assert!(f.representable(0, 0, 1 << 48));
        assert!(!f.representable(1, 0, 1 << 48));
        assert!(!f.representable(0, 1 << 48, 4096));
        assert!(!f.representable(u64::MAX - 4095, 0, 8192));
    }
}
