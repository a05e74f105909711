//! `per-group`: no reuse at all, a fresh domain for every group (what a VMM gets with one
//! container per device: openvmm before PR #3322, reference §6).

use super::{Strategy, allocate_and_join};
use crate::ids::{ContainerId, DomainId, GroupId};
use crate::iommu::driver::Errno;
use crate::sim::core::Core;

pub struct PerGroup;

impl Strategy for PerGroup {
    fn attach(&mut self, core: &mut Core<'_>, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
        allocate_and_join(core, g, c)
    }
}
