//! Containers: a VFIO container or an iommufd IOAS. It holds the user's mappings and the
//! domains that must all reflect them: every map goes into every domain
//! (`vfio_iommu_map` loops over `domain_list`; iommufd copies PFNs into every domain of
//! `iopt->domains`), and a domain added later gets every mapping replayed into it.

use std::collections::BTreeMap;

use crate::ids::DomainId;
use crate::spec::{ContainerSpec, ProtBits};

/// A user mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub size: u64,
    pub prot: ProtBits,
    /// log2 of the physically contiguous chunks behind it (0: all contiguous).
    pub backing_shift: u8,
}

/// A container during a run.
#[derive(Debug)]
pub struct Container {
    pub spec: ContainerSpec,
    /// Mappings by start IOVA; never overlapping.
    pub mappings: BTreeMap<u64, Mapping>,
    /// Domains in the order they joined (the search order of every strategy).
    pub domains: Vec<DomainId>,
    /// Lazy DMA-API domain: unmaps queued since the last flush (one CPU's ring).
    pub fq_pending: u32,
    /// Lazy DMA-API domain: the flush timer is armed (`cookie->fq_timer_on`).
    pub fq_timer_on: bool,
    /// Lazy DMA-API domain: bumped when the flush queue is torn down with its domain
    /// (`iommu_dma_free_fq` → `del_timer_sync`), so a timer armed before is ignored.
    pub fq_generation: u32,
    /// The container's synthetic physical base: a mapping of `iova` points at `base + iova`,
    /// so translations can be checked and superpage alignment is preserved.
    pub phys_base: u64,
}

impl Container {
    pub fn new(spec: ContainerSpec, index: usize) -> Container {
        Container {
            spec,
            mappings: BTreeMap::new(),
            domains: Vec::new(),
            fq_pending: 0,
            fq_timer_on: false,
            fq_generation: 0,
            phys_base: ((index as u64) + 1) << 40,
        }
    }

    /// True if `[iova, iova + size)` overlaps an existing mapping.
    pub fn overlaps(&self, iova: u64, size: u64) -> bool {
        let end = iova + size;
        if let Some((&start, m)) = self.mappings.range(..end).next_back() {
            return start + m.size > iova;
        }
        false
    }

    /// Removes every mapping inside `[iova, iova + size)` into `out` (cleared first; a buffer
    /// the caller reuses, so the per-unmap path does not allocate). Like `vfio_dma_do_unmap`, a
    /// mapping straddling either end of the range is not split: the request is refused with
    /// [`Straddles`] and nothing is removed.
    pub fn take_range(&mut self, iova: u64, size: u64, out: &mut Vec<(u64, Mapping)>) -> Result<(), Straddles> {
        out.clear();
        let end = iova + size;
        if let Some((&s, m)) = self.mappings.range(..iova).next_back()
            && s + m.size > iova
        {
            return Err(Straddles);
        }
        out.extend(self.mappings.range(iova..end).map(|(&s, &m)| (s, m)));
        if out.last().is_some_and(|&(s, m)| s + m.size > end) {
            out.clear();
            return Err(Straddles);
        }
        for (s, _) in out.iter() {
            self.mappings.remove(s);
        }
        Ok(())
    }
}

/// How many unmapped regions VFIO type1 gathers before one IOTLB sync
/// (`VFIO_IOMMU_TLB_SYNC_MAX`, drivers/vfio/vfio_iommu_type1.c, since v5.6 — the fast unmap
/// path; before, every region paid its own `iommu_unmap` and sync).
pub const VFIO_IOMMU_TLB_SYNC_MAX: u64 = 512;

/// Bytes of one IOTLB sync when VFIO type1 unmaps user mapping `m` from its first domain
/// (`vfio_unmap_unpin`): it walks the mapping by physically contiguous chunk
/// (`unmap_unpin_fast` → `iommu_unmap_fast` into one gather) and syncs every
/// [`VFIO_IOMMU_TLB_SYNC_MAX`] chunks, so a mapping backed by small pages costs one ranged
/// invalidation per 512 pages instead of one for the whole range. The other domains of the
/// container are unmapped with one plain `iommu_unmap` (one sync) each.
pub fn vfio_sync_bytes(m: &Mapping) -> u64 {
    if m.backing_shift == 0 {
        return m.size;
    }
    (VFIO_IOMMU_TLB_SYNC_MAX << m.backing_shift).min(m.size)
}

/// An unmap range that cuts a mapping in two (VFIO refuses it with -EINVAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Straddles;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ContainerKind, Invalidation};

    fn c() -> Container {
        Container::new(
            ContainerSpec {
                name: "c".into(),
                kind: ContainerKind::Vfio,
                invalidation: Invalidation::Strict,
                flush_queue: 256,
                flush_timeout: 1,
                granularity: Default::default(),
            },
            0,
        )
    }

    #[test]
    fn overlap_and_take() {
        let mut c = c();
        c.mappings.insert(0x1000, Mapping { size: 0x2000, prot: 3, backing_shift: 0 });
        c.mappings.insert(0x8000, Mapping { size: 0x1000, prot: 3, backing_shift: 0 });
        assert!(c.overlaps(0x2000, 0x1000));
        assert!(!c.overlaps(0x3000, 0x1000));
        let mut taken = Vec::new();
        assert_eq!(c.take_range(0x2000, 0x1000, &mut taken), Err(Straddles));
        assert_eq!(c.mappings.len(), 2);
        c.take_range(0x0, 0x9000, &mut taken).unwrap();
        assert_eq!(taken.len(), 2);
        assert!(c.mappings.is_empty());
    }

    #[test]
    fn vfio_syncs_every_512_chunks() {
        let contiguous = Mapping { size: 1 << 30, prot: 3, backing_shift: 0 };
        assert_eq!(vfio_sync_bytes(&contiguous), 1 << 30, "one chunk, one sync");
        let small = Mapping { size: 1 << 30, prot: 3, backing_shift: 12 };
        assert_eq!(vfio_sync_bytes(&small), 512 * 4096, "1 GiB of 4K pages: 512 syncs of 2 MiB");
        let huge = Mapping { size: 1 << 30, prot: 3, backing_shift: 21 };
        assert_eq!(vfio_sync_bytes(&huge), 1 << 30, "512 2M chunks fit one batch");
    }
}
