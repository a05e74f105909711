//! Domain ids as Linux allocates them: which ids of an instance's ID space (`Caps::domain_ids`,
//! `s2_context_banks`: the hardware states only the sizes) a driver uses, which instances
//! share one pool, when an id is taken, and the errno a full pool returns. Sources per driver
//! on [`usable_ids`]; the table is docs/kernel-versions.md, "Domains after attach".

use crate::ids::IommuId;
use crate::iommu::IommuKind;
use crate::linux::Errno;
use crate::topology::IommuInstance;

/// A domain-ID allocator (one pool): lowest free id first, as Linux's IDA does
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

/// The ids Linux can use out of an instance's `domain_ids`, and the errno a full pool gives.
///
/// - VT-d: DID 0 is reserved (caching mode tags invalid translations with it, and 0 marks "no
///   DID") and DID 1 is `FLPT_DEFAULT_DID` (first-level/pass-through PASID entries, identity):
///   `ida_alloc_range(&iommu->domain_ida, IDA_START_DID = 2, cap_ndoms - 1)` in
///   intel/iommu.c `domain_attach_iommu`, per unit, at attach; full: -ENOSPC and
///   "No free domain ids". (Before the IDA conversion a bitmap reserved 0 always and 1 in
///   scalable mode, which the model assumes: the same two ids.)
/// - AMD-Vi: one IDA for the whole platform, ids 1..MAX_DOMAIN_ID-1, taken when the domain is
///   allocated (amd/iommu.c `pdom_id_alloc` in `protection_domain_alloc`; earlier the global
///   `amd_iommu_pd_alloc_bitmap`); full: the allocation returns NULL → -ENOMEM.
/// - SMMUv3: stage-1 domains take an ASID from the global `arm_smmu_asid_xa`
///   (`XA_LIMIT(1, (1 << asid_bits) - 1)`, arm-smmu-v3.c `arm_smmu_domain_finalise_s1`, v5.10+);
///   full: `xa_alloc` returns -EBUSY. VMIDs (per SMMU, `ida_alloc_range(&smmu->vmid_map, 1,
///   ...)`) serve stage-2 domains only, which VFIO / DMA-API domains on a stage-1 SMMU are not:
///   not modelled.
/// - SMMUv2: a stage-1 domain takes a context bank in `[num_s2_context_banks,
///   num_context_banks)` (arm-smmu.c `arm_smmu_init_domain_context` →
///   `__arm_smmu_alloc_bitmap`); full: -ENOSPC.
/// - virtio-iommu: the device's whole domain range.
pub fn usable_ids(info: &IommuInstance) -> u32 {
    let caps = &info.params.caps;
    match info.kind {
        IommuKind::IntelVtd => caps.domain_ids.saturating_sub(2),
        IommuKind::AmdVi | IommuKind::ArmSmmuV3 => caps.domain_ids.saturating_sub(1),
        IommuKind::ArmSmmuV2 => caps.domain_ids.saturating_sub(caps.s2_context_banks),
        IommuKind::VirtioIommu => caps.domain_ids,
    }
}

/// The errno Linux returns when `kind`'s domain-ID pool is full (see [`usable_ids`]).
pub fn full_pool_errno(kind: IommuKind) -> Errno {
    match kind {
        IommuKind::ArmSmmuV3 => Errno::EBUSY,
        IommuKind::AmdVi => Errno::ENOMEM,
        IommuKind::IntelVtd | IommuKind::ArmSmmuV2 | IommuKind::VirtioIommu => Errno::ENOSPC,
    }
}

/// A platform's domain-ID pools and which instance allocates from which.
#[derive(Clone, Debug)]
pub struct IdPools {
    spaces: Vec<IdSpace>,
    /// The kind whose errno a full pool gives (a pool never mixes kinds).
    kinds: Vec<IommuKind>,
    /// Per instance (by `IommuId`): its pool.
    pool: Vec<usize>,
    /// Per instance: the tag is taken when the domain is allocated and is the domain's on every
    /// instance (AMD-Vi), not when it is first attached behind this instance.
    tag_at_alloc: Vec<bool>,
}

impl IdPools {
    /// One pool per instance, except that every SMMUv3 shares one (global ASIDs) and every
    /// AMD-Vi unit shares one (global domain ids), each sized by the smallest of its members.
    pub fn for_platform(infos: &[IommuInstance]) -> IdPools {
        let mut p = IdPools { spaces: Vec::new(), kinds: Vec::new(), pool: Vec::with_capacity(infos.len()), tag_at_alloc: Vec::new() };
        let shared =
            |p: &mut IdPools, kind: IommuKind| infos.iter().filter(|i| i.kind == kind).map(usable_ids).min().map(|size| p.push(kind, size));
        let (smmuv3, amd) = (shared(&mut p, IommuKind::ArmSmmuV3), shared(&mut p, IommuKind::AmdVi));
        for info in infos {
            p.tag_at_alloc.push(info.kind == IommuKind::AmdVi);
            let pool = match (info.kind, smmuv3, amd) {
                (IommuKind::ArmSmmuV3, Some(pool), _) | (IommuKind::AmdVi, _, Some(pool)) => pool,
                _ => p.push(info.kind, usable_ids(info)),
            };
            p.pool.push(pool);
        }
        p
    }

    fn push(&mut self, kind: IommuKind, size: u32) -> usize {
        self.spaces.push(IdSpace::new(size));
        self.kinds.push(kind);
        self.spaces.len() - 1
    }

    /// The pool `iommu` allocates its tags from.
    #[inline]
    pub fn pool(&self, iommu: IommuId) -> usize {
        self.pool[iommu.index()]
    }

    /// Whether `iommu`'s tags are taken when a domain is allocated (AMD-Vi).
    #[inline]
    pub fn tag_at_alloc(&self, iommu: IommuId) -> bool {
        self.tag_at_alloc[iommu.index()]
    }

    /// The lowest free id of `pool`, or the errno Linux returns when it is full.
    pub fn alloc(&mut self, pool: usize) -> Result<u32, Errno> {
        self.spaces[pool].alloc().map_err(|_| full_pool_errno(self.kinds[pool]))
    }

    pub fn free(&mut self, pool: usize, id: u32) {
        self.spaces[pool].free(id);
    }

    pub fn peak(&self, pool: usize) -> u32 {
        self.spaces[pool].peak()
    }

    /// Fault injection: see [`IdSpace::exhaust`].
    pub fn exhaust(&mut self, pool: usize, leave: u32) -> u32 {
        self.spaces[pool].exhaust(leave)
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
