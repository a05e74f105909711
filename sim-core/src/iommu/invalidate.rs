//! Invalidation commands as the hardware knows them: page/range, domain-wide or global, and the
//! hardware limits that choose between them. Which commands an unmap sends, to which
//! instances and at what cost is the simulation's glue (`sim/invalidate.rs`); where that choice
//! is the kernel's, by version, it is `linux/invalidation.rs`.
//!
//! A domain attached behind N instances sends its invalidation to each of them (VT-d cache-tag
//! list, AMD `iommu_array`, the proposed SMMUv3 invalidation array: reference §4.5), plus one
//! device-TLB invalidation per ATS device. Granularity follows the hardware's limits: a range
//! larger than `max_invalidation_pages` becomes domain-wide (VT-d `mask > cap_max_amask_val`);
//! without range support every page is its own command (SMMUv2 TLBIVA). SMMUv3's choice
//! depends on the kernel version (`linux/invalidation.rs`).

/// How one instance is told about a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// `n` page or range commands.
    Pages(u64),
    /// One domain-wide command (DSI, TLBI by ASID/VMID).
    Domain,
    /// One global command (all domains on the instance).
    Global,
}

/// Chooses the commands for `pages` pages on an instance with these capabilities.
pub fn granularity(pages: u64, range_invalidation: bool, max_pages: u32) -> Granularity {
    if pages > u64::from(max_pages) {
        Granularity::Domain
    } else if range_invalidation {
        Granularity::Pages(1)
    } else {
        Granularity::Pages(pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_limits() {
        assert_eq!(granularity(1, true, 512), Granularity::Pages(1));
        assert_eq!(granularity(512, true, 512), Granularity::Pages(1));
        assert_eq!(granularity(513, true, 512), Granularity::Domain);
        assert_eq!(granularity(16, false, 512), Granularity::Pages(16));
        assert_eq!(granularity(4096, false, 512), Granularity::Domain);
    }
}
