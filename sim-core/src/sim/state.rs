//! Run-time state of devices and groups, and the faults injected into a run: the plain data
//! [`super::core::Core`] holds (split out of `core.rs` to keep it one concept per file).

use crate::ids::{ContainerId, DomainId, IommuId};
use crate::iommu::iotlb::Iotlb;
use crate::metrics::Histogram;
use crate::time::Cycle;

/// Run-time state of a device.
#[derive(Debug)]
pub struct DeviceState {
    /// The domain its group is attached to, and the domain's tag on its instance: cached here
    /// so a translation needs no search.
    pub domain: Option<(DomainId, u32)>,
    /// ATS device TLB, for ATS-capable devices.
    pub devtlb: Option<Iotlb>,
    /// The device asked to be attached (its group may be attached through a sibling too).
    pub attached: bool,
    pub latency: Histogram,
    pub translations: u64,
    pub devtlb_hits: u64,
    pub iotlb_hits: u64,
    pub iotlb_misses: u64,
    pub faults: u64,
    pub stale: u64,
    /// Creation serial of the domain the device was last attached to (reports colour by it).
    pub last_domain: Option<u64>,
    /// Surprise-removed (fault injection): it issues no more DMA.
    pub removed: bool,
}

/// Run-time state of an IOMMU group.
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupState {
    pub domain: Option<DomainId>,
    pub container: Option<ContainerId>,
    /// Devices of the group that asked to be attached.
    pub users: u32,
}

/// An invalidation whose completion an injected fault delayed: the caches keep the old
/// entries until `at`.
#[derive(Clone, Copy, Debug)]
pub struct DeferredInvalidation {
    pub at: Cycle,
    pub iommu: IommuId,
    pub tag: u32,
    /// `None`: the whole tag; `Some((_, 0))`: global (every tag).
    pub range: Option<(u64, u64)>,
}

/// Faults currently injected.
#[derive(Clone, Debug, Default)]
pub struct Injected {
    /// Domain allocations fail with ENOMEM until this cycle, every `alloc_fail_every`-th one.
    pub alloc_fail_until: Option<Cycle>,
    pub alloc_fail_every: u32,
    pub alloc_attempts: u64,
    /// Per instance: invalidations complete late by `.1` cycles until `.0`.
    pub late: Vec<Option<(Cycle, Cycle)>>,
    /// Delayed invalidations not yet handed to the engine.
    pub deferred: Vec<DeferredInvalidation>,
}
