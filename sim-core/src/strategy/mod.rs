//! Domain-reuse strategies: how a group being attached to a container finds or allocates its
//! domain. One module per strategy, all behind [`Strategy`]; the driver verdicts they react
//! to come from `iommu/driver.rs`, the domain operations from `sim/core.rs`.

mod compat_index;
mod iommufd_auto;
mod name;
mod per_group;
mod search;
mod vfio_type1;

pub use name::StrategyName;

use crate::ids::{ContainerId, DomainId, GroupId};
use crate::iommu::driver::{DriverEra, Errno};
use crate::scenario::SoftErrno;
use crate::sim::core::Core;

/// A domain-reuse strategy.
pub trait Strategy: Send {
    /// Attaches group `g` to container `c`: reuse a domain of the container or allocate one.
    /// On success the group is attached to the returned domain, which is in the container.
    fn attach(&mut self, core: &mut Core<'_>, g: GroupId, c: ContainerId) -> Result<DomainId, Errno>;

    /// A domain was freed (its last group left); drop any reference to it.
    fn domain_freed(&mut self, _d: DomainId) {}
}

/// How a strategy runs: the strategy itself, the driver era it assumes and whether drivers may
/// share a domain across SMMU instances.
pub struct Setup {
    pub strategy: Box<dyn Strategy>,
    pub era: DriverEra,
    pub sharing: bool,
}

/// Builds strategy `name` for a scenario whose drivers answer incompatibility with `soft`.
pub fn setup(name: StrategyName, soft: SoftErrno) -> Setup {
    let soft = match soft {
        SoftErrno::EINVAL => Errno::EINVAL,
        SoftErrno::EMEDIUMTYPE => Errno::EMEDIUMTYPE,
    };
    let series = DriverEra::SoftErrno(soft);
    let (strategy, era, sharing): (Box<dyn Strategy>, _, _) = match name {
        StrategyName::PerGroup => (Box::new(per_group::PerGroup), series, false),
        StrategyName::VfioType1 => (Box::new(vfio_type1::VfioType1), series, false),
        StrategyName::VfioEmediumtype => (Box::new(search::FirstFit), series, false),
        StrategyName::IommufdAuto => (Box::new(iommufd_auto::IommufdAuto), series, false),
        StrategyName::HardFail => (Box::new(search::FirstFit), DriverEra::HardErrno, false),
        StrategyName::CompatIndex => (Box::new(compat_index::CompatIndex::default()), series, false),
        StrategyName::SharedAcrossInstances => (Box::new(search::FirstFit), series, true),
    };
    Setup { strategy, era, sharing }
}

/// The common last step: allocate a domain for the group, attach, and add it to the container
/// (replaying existing mappings). The fresh domain is freed if the attach fails.
pub(crate) fn allocate_and_join(core: &mut Core<'_>, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
    let d = core.alloc_domain(g)?;
    if let Err(e) = core.attach(d, g, false) {
        core.free_domain(d);
        return Err(e);
    }
    core.join_container(d, c);
    Ok(d)
}
