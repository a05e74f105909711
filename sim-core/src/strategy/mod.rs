//! Domain-reuse strategies: how a group being attached to a container finds or allocates its
//! domain. One module per strategy, all behind [`Strategy`]; the driver verdicts they react
//! to come from `linux/` (by kernel version), the domain operations through [`Domains`]
//! (implemented by the simulation's `sim/core.rs`, so that this layer, Linux's VFIO / iommufd
//! behaviour, never imports the simulation).

mod compat_index;
mod iommufd_auto;
mod name;
mod per_group;
mod search;
mod vfio_type1;

pub use name::StrategyName;

use crate::ids::{ContainerId, DomainId, GroupId};
use crate::iommu::domain_props::DomainProps;
use crate::linux::{Errno, Kernel};

/// The domain operations a strategy builds on: Linux's iommu core as VFIO and iommufd call it
/// (`iommu_domain_alloc`, `iommu_attach_group`, `iommu_detach_group`, `iommu_domain_free`) and
/// the container's domain list. The simulation's `Core` implements it and does the accounting.
pub trait Domains {
    /// Allocates a domain suited to group `g`'s IOMMU.
    fn alloc_domain(&mut self, g: GroupId) -> Result<DomainId, Errno>;
    /// Attaches `g` to `d`; `trial` marks an attempt against an existing domain.
    fn attach(&mut self, d: DomainId, g: GroupId, trial: bool) -> Result<(), Errno>;
    fn detach(&mut self, d: DomainId, g: GroupId);
    fn free_domain(&mut self, d: DomainId);
    /// Adds `d` to container `c` (replaying its mappings).
    fn join_container(&mut self, d: DomainId, c: ContainerId);
    /// The container's domains, oldest first.
    fn container_domains(&self, c: ContainerId) -> &[DomainId];
    /// Whether `g` would attach to `d` (the side-effect-free predicate of the index).
    fn is_compatible(&self, d: DomainId, g: GroupId) -> bool;
    /// Whether `e` is the soft "incompatible" answer of this run's kernel.
    fn is_soft(&self, e: Errno) -> bool;
    fn props(&self, d: DomainId) -> DomainProps;
    /// The kernel this run models.
    fn kernel(&self) -> Kernel;
}

/// A domain-reuse strategy.
pub trait Strategy: Send {
    /// Attaches group `g` to container `c`: reuse a domain of the container or allocate one.
    /// On success the group is attached to the returned domain, which is in the container.
    fn attach(&mut self, core: &mut dyn Domains, g: GroupId, c: ContainerId) -> Result<DomainId, Errno>;

    /// A domain was freed (its last group left); drop any reference to it.
    fn domain_freed(&mut self, _d: DomainId) {}
}

/// How a strategy runs: the strategy itself, whether every refusal is final (the
/// `what-if-hard-fail` world) and whether drivers may share a domain across SMMU instances.
/// The kernel's own rules come from the scenario (`scenario.kernel`, `linux/`).
pub struct Setup {
    pub strategy: Box<dyn Strategy>,
    pub all_hard: bool,
    pub sharing: bool,
}

/// Builds strategy `name`.
pub fn setup(name: StrategyName) -> Setup {
    let (strategy, all_hard, sharing): (Box<dyn Strategy>, _, _) = match name {
        StrategyName::PerGroup => (Box::new(per_group::PerGroup), false, false),
        StrategyName::VfioType1 => (Box::new(vfio_type1::VfioType1), false, false),
        StrategyName::VfioEmediumtype => (Box::new(search::FirstFit), false, false),
        StrategyName::IommufdAuto => (Box::new(iommufd_auto::IommufdAuto), false, false),
        StrategyName::WhatIfHardFail => (Box::new(search::FirstFit), true, false),
        StrategyName::CompatIndex => (Box::new(compat_index::CompatIndex), false, false),
        StrategyName::SharedAcrossInstances => (Box::new(search::FirstFit), false, true),
    };
    Setup { strategy, all_hard, sharing }
}

/// The common last step: allocate a domain for the group, attach, and add it to the container
/// (replaying existing mappings). The fresh domain is freed if the attach fails.
pub(crate) fn allocate_and_join(core: &mut dyn Domains, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
    let d = core.alloc_domain(g)?;
    if let Err(e) = core.attach(d, g, false) {
        core.free_domain(d);
        return Err(e);
    }
    core.join_container(d, c);
    Ok(d)
}
