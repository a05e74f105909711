//! What a domain records about itself (`DomainProps`) and the per-instance domain-ID pools.
//! The attach decisions themselves are Linux's and depend on the kernel version: they live in
//! `linux/attach.rs` and `linux/rules.rs`.

use crate::ids::IommuId;
use crate::iommu::{Caps, IommuKind, PageSizes};
/// Re-exported for the ID pools below; errnos are Linux's (`linux/errno.rs`).
pub use crate::linux::errno::Errno;

/// What a domain fixed about itself when it was allocated: the properties every later
/// compatibility check compares against (VT-d `paging_domain_alloc`, SMMU finalise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainProps {
    pub kind: IommuKind,
    /// The instance the domain was allocated for. SMMUv2/v3 and virtio-iommu domains belong
    /// to it alone.
    pub owner: IommuId,
    pub address_width: u8,
    pub output_width: u8,
    /// Leaf page sizes the domain's page table may use.
    pub page_sizes: PageSizes,
    pub coherent_walk: bool,
    /// The domain enforces cache coherency (VT-d force_snooping / SMMUv3 CANWBS): VFIO and
    /// iommufd ask for it when the device's IOMMU can do it.
    pub enforce_cc: bool,
    /// VT-d: a first-stage domain (different ops from a second-stage one from v6.17).
    pub first_stage: bool,
}

impl DomainProps {
    /// The properties of a domain allocated for a device behind an instance with `caps`.
    pub fn for_instance(kind: IommuKind, owner: IommuId, caps: &Caps, page_sizes: PageSizes) -> DomainProps {
        DomainProps {
            kind,
            owner,
            address_width: caps.address_width,
            output_width: caps.output_width,
            page_sizes,
            coherent_walk: caps.coherent_walk,
            enforce_cc: caps.snoop_control,
            first_stage: false,
        }
    }
}

/// A domain-ID allocator for one instance: lowest free id first, as Linux's IDA does
/// (`ida_alloc_range`), so ids are reused deterministically.
#[derive(Clone, Debug)]
pub struct IdSpace {
    size: u32,
    in_use: u32,
    peak: u32,
    /// Freed ids, kept sorted descending so `pop` gives the lowest.
    free: Vec<u32>,
    next: u32,
}

impl IdSpace {
    /// Ids `1..=size` (0 is reserved, as VT-d reserves DID 0 and the SMMUv3 ASID 0).
    pub fn new(size: u32) -> IdSpace {
        IdSpace { size, in_use: 0, peak: 0, free: Vec::new(), next: 1 }
    }

    /// The lowest free id, or `ENOSPC`.
    pub fn alloc(&mut self) -> Result<u32, Errno> {
        let id = if let Some(id) = self.free.pop() {
            id
        } else if self.next <= self.size {
            self.next += 1;
            self.next - 1
        } else {
            return Err(Errno::ENOSPC);
        };
        self.in_use += 1;
        self.peak = self.peak.max(self.in_use);
        Ok(id)
    }

    pub fn free(&mut self, id: u32) {
        let pos = self.free.partition_point(|&x| x > id);
        self.free.insert(pos, id);
        self.in_use -= 1;
    }

    pub fn peak(&self) -> u32 {
        self.peak
    }

    /// Takes every free id but `leave` (fault injection: another user exhausted the space).
    /// Returns how many were taken; they are never given back.
    pub fn exhaust(&mut self, leave: u32) -> u32 {
        let free_now = u64::from(self.size - self.in_use);
        let taken = free_now.saturating_sub(u64::from(leave)) as u32;
        if taken == 0 {
            return 0;
        }
        // Keep the `leave` lowest free ids: first from the freed list (sorted descending, so
        // its tail), then from the never-used range.
        let keep = leave as usize;
        if self.free.len() >= keep {
            self.free.drain(..self.free.len() - keep);
            self.size = self.next - 1; // nothing left in the never-used range
        } else {
            self.size = self.next - 1 + (keep - self.free.len()) as u32;
        }
        self.in_use += taken;
        self.peak = self.peak.max(self.in_use);
        taken
    }

    pub fn in_use(&self) -> u32 {
        self.in_use
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_space_reuses_lowest_and_runs_out() {
        let mut ids = IdSpace::new(3);
        assert_eq!((ids.alloc(), ids.alloc(), ids.alloc()), (Ok(1), Ok(2), Ok(3)));
        assert_eq!(ids.alloc(), Err(Errno::ENOSPC));
        ids.free(2);
        ids.free(1);
        assert_eq!(ids.alloc(), Ok(1));
        assert_eq!(ids.peak(), 3);
    }

    #[test]
    fn exhaustion_leaves_exactly_the_lowest_ids() {
        let mut ids = IdSpace::new(u32::MAX);
        assert_eq!(ids.alloc(), Ok(1));
        assert_eq!(ids.exhaust(2), u32::MAX - 3);
        assert_eq!((ids.alloc(), ids.alloc(), ids.alloc()), (Ok(2), Ok(3), Err(Errno::ENOSPC)));
        let mut small = IdSpace::new(8);
        for _ in 0..4 {
            small.alloc().unwrap();
        }
        small.free(2);
        small.free(3);
        assert_eq!(small.exhaust(1), 5);
        assert_eq!((small.alloc(), small.alloc()), (Ok(2), Err(Errno::ENOSPC)));
    }
}
