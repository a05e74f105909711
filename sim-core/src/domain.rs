//! IOMMU domains: one page table in one format, attached to groups behind one or several
//! instances, with a tag (DID, ASID, context bank, AMD domain id) on each instance.

use crate::ids::{ContainerId, DeviceId, GroupId, IommuId};
use crate::iommu::domain_props::DomainProps;
use crate::pagetable::PageTable;

/// Where a domain is attached on one instance.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub iommu: IommuId,
    /// The domain's tag on that instance: what its IOTLB entries are tagged with.
    pub tag: u32,
    /// Groups behind that instance attached to the domain.
    pub groups: u32,
}

/// A live domain.
#[derive(Debug)]
pub struct Domain {
    /// Creation order: strategies that search "in creation order" sort by it.
    pub serial: u64,
    pub props: DomainProps,
    pub table: PageTable,
    pub container: Option<ContainerId>,
    pub attachments: Vec<Attachment>,
    pub groups: Vec<GroupId>,
    /// ATS-capable devices attached: their device TLBs must be invalidated with the domain.
    pub ats_devices: Vec<DeviceId>,
    /// The tag taken when the domain was allocated, valid on every instance of its pool
    /// (AMD-Vi domain ids, `linux/id_pools.rs::usable_ids`); `None` where tags are taken at
    /// attach.
    pub alloc_tag: Option<u32>,
    /// Bumped by every unmap: an IOTLB entry filled at an older epoch may be stale and is
    /// checked against the page table before it counts as fresh.
    pub unmap_epoch: u32,
    /// `shifts[d - 1]`: address bits covered by one entry of the table at depth `d` (the
    /// walk-cache keys, `iommu/walk_cache.rs`), refreshed when the table grows.
    pub shifts: [u32; 8],
    pub shifts_levels: u8,
}

impl Domain {
    /// The domain's tag on `iommu`, if attached there.
    #[inline]
    pub fn tag_on(&self, iommu: IommuId) -> Option<u32> {
        self.attachments.iter().find(|a| a.iommu == iommu).map(|a| a.tag)
    }

    /// Recomputes the walk-cache shifts if the table grew (AMD v1).
    #[inline]
    pub fn refresh_shifts(&mut self) {
        let levels = self.table.levels();
        if levels != self.shifts_levels {
            for d in 1..=levels {
                self.shifts[d as usize - 1] = self.table.level_shift(d);
            }
            self.shifts_levels = levels;
        }
    }
}
